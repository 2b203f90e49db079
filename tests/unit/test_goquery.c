/* Tests src/goquery.c: a query string read as Go's url.ParseQuery reads
 * it (the generic receiver's request.params), case by case from net/url's
 * rules: '&' only, a ';' drops its pair, a bad escape drops its pair, '+'
 * is a space, empty pairs are skipped, names compare exactly. */
#include "goquery.h"
#include "kw.h"
#include "test.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *raw, *name, *first; /* first: NULL when absent */
	size_t count;
} cases[] = {
	{ "a=1&b=2", "b", "2", 1 },
	{ "a=1&a=2", "a", "1", 2 },
	{ "a=1;b=2", "a", NULL, 0 },          /* Go 1.17 on: the pair is dropped */
	{ "a=1;b=2", "b", NULL, 0 },
	{ "ref=a;b&ref=c", "ref", "c", 1 },
	{ "ref=%zz&ref=ok", "ref", "ok", 1 },  /* a bad escape drops its pair */
	{ "ref=%4", "ref", NULL, 0 },
	{ "ref=%", "ref", NULL, 0 },
	{ "%zz=1&x=2", "x", "2", 1 },
	{ "x=a+b%20c%2B", "x", "a b c+", 1 },
	{ "%41%62=1", "Ab", "1", 1 },
	{ "=v", "", "v", 1 },                   /* an empty name is a name */
	{ "k", "k", "", 1 },                    /* no '=': the value is empty */
	{ "k=", "k", "", 1 },
	{ "&&k=1&", "k", "1", 1 },
	{ "a==b", "a", "=b", 1 },
	{ "K=1", "k", NULL, 0 },                /* exact names */
	{ "k=%00x", "k", "", 1 },               /* NUL: the C string ends there */
	{ "", "k", NULL, 0 },
	{ "k=caf%C3%A9", "k", "caf\xc3\xa9", 1 },
};

static void test_cases(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct goquery q;
		const char *got;

		CHECK_INT(goquery_parse(&q, cases[i].raw, strlen(cases[i].raw)), KW_OK);
		got = goquery_get(&q, cases[i].name);
		CHECK_MSG((got == NULL) == (cases[i].first == NULL) &&
			(got == NULL || strcmp(got, cases[i].first) == 0),
			"case %zu (%s): %s = %s", i, cases[i].raw, cases[i].name, got ? got : "(none)");
		CHECK_MSG(goquery_count(&q, cases[i].name) == cases[i].count,
			"case %zu (%s): count %zu", i, cases[i].raw, goquery_count(&q, cases[i].name));
		goquery_free(&q);
		goquery_free(&q); /* freeing twice is harmless */
	}
}

/* The raw bytes are bounded by their length, not a NUL. */
static void test_length(void)
{
	struct goquery q;

	CHECK_INT(goquery_parse(&q, "a=1&b=2", 3), KW_OK);
	CHECK_STR(goquery_get(&q, "a"), "1");
	CHECK(goquery_get(&q, "b") == NULL);
	goquery_free(&q);
}

/* Many pairs (the array doubles as it grows): all kept, in order. */
static void test_many(void)
{
	static char raw[40000];
	struct goquery q;
	size_t len = 0;

	for (int i = 0; i < 10000; i++)
		len += (size_t)snprintf(raw + len, sizeof(raw) - len, "a=%d&", i % 10);
	CHECK_INT(goquery_parse(&q, raw, len), KW_OK);
	CHECK_INT(goquery_count(&q, "a"), 10000);
	CHECK_STR(goquery_get(&q, "a"), "0");
	CHECK_STR(q.n == 10000 ? q.kv[2 * 9999 + 1] : "", "9");
	goquery_free(&q);
}

int main(void)
{
	test_cases();
	test_length();
	test_many();
	TEST_DONE("test_goquery");
}
