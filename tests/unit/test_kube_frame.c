/*
 * test_kube_frame.c: watch stream framing (src/kube_frame.c). A stream is
 * fed whole and then cut at every possible split point: the lines that
 * come out must be the same. Then the bound, CRLF, blank lines, and event
 * parsing.
 */
#include "kube_frame.h"
#include "kw.h"
#include "test.h"

#include <cjson/cJSON.h>

struct lines {
	char text[4096];
	int n;
	int stop_at; /* return non-zero at this line (0: never) */
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;
	size_t used = strlen(l->text);

	snprintf(l->text + used, sizeof(l->text) - used, "[%.*s]", (int)len, line);
	l->n++;
	return l->n == l->stop_at ? 42 : 0;
}

static const char STREAM[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
	"\r\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}\r\n"
	"\n"
	"{\"type\":\"DELETED\",\"object\":{}}\n";

static const char WANT[] =
	"[{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}]"
	"[{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}]"
	"[{\"type\":\"DELETED\",\"object\":{}}]";

static void test_every_split(void)
{
	size_t len = strlen(STREAM);
	int bad = 0;

	for (size_t a = 0; a <= len; a++) {
		for (size_t b = a; b <= len; b++) {
			struct kube_framer f;
			struct lines l = {"", 0, 0};
			int rc;

			kube_framer_init(&f, 0);
			rc = kube_framer_feed(&f, STREAM, a, on_line, &l);
			rc |= kube_framer_feed(&f, STREAM + a, b - a, on_line, &l);
			rc |= kube_framer_feed(&f, STREAM + b, len - b, on_line, &l);
			if (rc != KW_OK || strcmp(l.text, WANT) != 0 || kube_framer_pending(&f) != 0)
				bad++;
			kube_framer_free(&f);
		}
	}
	CHECK_INT(bad, 0);
}

static void test_byte_by_byte_and_pending(void)
{
	struct kube_framer f;
	struct lines l = {"", 0, 0};

	kube_framer_init(&f, 0);
	for (size_t i = 0; i < strlen(STREAM); i++)
		CHECK_INT(kube_framer_feed(&f, STREAM + i, 1, on_line, &l), KW_OK);
	CHECK_STR(l.text, WANT);
	CHECK_INT(kube_framer_feed(&f, "{\"type\"", 7, on_line, &l), KW_OK);
	CHECK_INT(kube_framer_pending(&f), 7);
	CHECK_INT(l.n, 3);
	kube_framer_free(&f);
}

static void test_bound(void)
{
	struct kube_framer f;
	struct lines l = {"", 0, 0};

	/* A line of exactly max bytes passes, whole or in pieces. */
	kube_framer_init(&f, 8);
	CHECK_INT(kube_framer_feed(&f, "12345678\n", 9, on_line, &l), KW_OK);
	CHECK_INT(kube_framer_feed(&f, "1234", 4, on_line, &l), KW_OK);
	CHECK_INT(kube_framer_feed(&f, "5678\n", 5, on_line, &l), KW_OK);
	CHECK_STR(l.text, "[12345678][12345678]");
	/* One more byte fails, and the framer stays failed. */
	CHECK_INT(kube_framer_feed(&f, "123456789\n", 10, on_line, &l), KW_ETOOBIG);
	CHECK_INT(kube_framer_feed(&f, "1\n", 2, on_line, &l), KW_ETOOBIG);
	kube_framer_free(&f);
	kube_framer_init(&f, 8);
	CHECK_INT(kube_framer_feed(&f, "12345", 5, on_line, &l), KW_OK);
	CHECK_INT(kube_framer_feed(&f, "6789", 4, on_line, &l), KW_ETOOBIG);
	kube_framer_free(&f);
	/* Without a newline at all, the bound still holds. */
	kube_framer_init(&f, 8);
	CHECK_INT(kube_framer_feed(&f, "123456789", 9, on_line, &l), KW_ETOOBIG);
	kube_framer_free(&f);
}

static void test_callback_stops(void)
{
	struct kube_framer f;
	struct lines l = {"", 0, 2};

	kube_framer_init(&f, 0);
	CHECK_INT(kube_framer_feed(&f, "a\nb\nc\n", 6, on_line, &l), 42);
	CHECK_STR(l.text, "[a][b]");
	kube_framer_free(&f);
}

static void test_event_parse(void)
{
	static const struct {
		const char *line, *type;
		int rc;
	} cases[] = {
		{"{\"type\":\"ADDED\",\"object\":{\"a\":1}}", "ADDED", KW_OK},
		{"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}} ", "ERROR", KW_OK},
		{"{\"type\":\"ADDED\"}", NULL, KW_EINVAL},
		{"{\"type\":1,\"object\":{}}", NULL, KW_EINVAL},
		{"{\"type\":\"ADDED\",\"object\":[]}", NULL, KW_EINVAL},
		{"{\"type\":\"ADDED\",\"object\":{}} {}", NULL, KW_EINVAL},
		{"[]", NULL, KW_EINVAL},
		{"{\"type\":\"ADDED\",\"object\":{", NULL, KW_EINVAL},
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		cJSON *ev = NULL;
		const char *type = NULL;
		const cJSON *obj = NULL;
		int rc = kube_event_parse(&ev, &type, &obj, cases[i].line, strlen(cases[i].line));

		CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d", i, rc);
		if (rc == KW_OK) {
			CHECK_STR(type, cases[i].type);
			CHECK(cJSON_IsObject(obj));
		}
		cJSON_Delete(ev);
	}
}

int main(void)
{
	test_every_split();
	test_byte_by_byte_and_pending();
	test_bound();
	test_callback_stops();
	test_event_parse();
	TEST_DONE("test_kube_frame");
}
