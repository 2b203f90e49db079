/* Tests src/strbuf.c: bounds, growth, JSON string escaping. */
#include "kw.h"
#include "strbuf.h"
#include "test.h"

#include <stdlib.h>

static void test_bounds(void)
{
	struct strbuf sb;

	strbuf_init(&sb, 8);
	CHECK_INT(strbuf_append(&sb, "12345678", 8), KW_OK);
	CHECK_INT(strbuf_append(&sb, "9", 1), KW_ETOOBIG);
	CHECK_INT(sb.len, 8);
	CHECK_STR(sb.buf, "12345678");
	CHECK_INT(strbuf_append(&sb, "", 0), KW_OK);
	strbuf_reset(&sb);
	CHECK_INT(sb.len, 0);
	CHECK_INT(strbuf_append(&sb, "x", (size_t)-1), KW_ETOOBIG);
	strbuf_free(&sb);
	strbuf_init(&sb, 100);
	CHECK_INT(strbuf_reserve(&sb, 101), KW_ETOOBIG);
	CHECK_INT(strbuf_reserve(&sb, 100), KW_OK);
	CHECK(sb.cap >= 101 && sb.len == 0);
	CHECK_INT(strbuf_append(&sb, "abc", 3), KW_OK);
	CHECK_STR(sb.buf, "abc");
	strbuf_free(&sb);
}

static void test_growth_and_printf(void)
{
	struct strbuf sb;
	char *s;

	strbuf_init(&sb, 1 << 20);
	for (int i = 0; i < 1000; i++)
		CHECK_INT(strbuf_printf(&sb, "%04d", i), KW_OK);
	CHECK_INT(sb.len, 4000);
	CHECK(strncmp(sb.buf + 3996, "0999", 4) == 0);
	strbuf_reset(&sb);
	CHECK_INT(strbuf_printf(&sb, "%300s", "x"), KW_OK);
	CHECK_INT(sb.len, 300);
	s = strbuf_take(&sb);
	CHECK(s != NULL && strlen(s) == 300);
	CHECK(sb.buf == NULL && sb.len == 0);
	free(s);
	s = strbuf_take(&sb);
	CHECK_STR(s, "");
	free(s);
}

static void test_json_string(void)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
		{ "plain", "\"plain\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "nl\n\t\r", "\"nl\\n\\t\\r\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
		{ "", "\"\"" },
		{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },
		/* As Go's encoding/json: HTML characters, \b \f, U+2028/9. */
		{ "a<b>&c", "\"a\\u003cb\\u003e\\u0026c\"" },
		{ "\b\f", "\"\\b\\f\"" },
		{ "\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"" },
		/* Invalid UTF-8 becomes U+FFFD, one per bad byte. */
		{ "x\xff", "\"x\xef\xbf\xbd\"" },
		{ "\xc3", "\"\xef\xbf\xbd\"" },
		{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
		{ "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"" },
	};
	struct strbuf sb;

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		strbuf_init(&sb, 1024);
		CHECK_INT(strbuf_json_string(&sb, cases[i].in, strlen(cases[i].in)), KW_OK);
		CHECK_STR(sb.buf, cases[i].want);
		strbuf_free(&sb);
	}
	strbuf_init(&sb, 4);
	CHECK_INT(strbuf_json_string(&sb, "abcdef", 6), KW_ETOOBIG);
	strbuf_free(&sb);
}

int main(void)
{
	test_bounds();
	test_growth_and_printf();
	test_json_string();
	TEST_DONE("test_strbuf");
}
