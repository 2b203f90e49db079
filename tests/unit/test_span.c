/* Tests src/span.c: the searches the span-walking parsers (urlnorm.c,
 * imagenorm.c) share, at the edges they rely on: empty spans, a match at
 * either end, and bytes past the span that must not count. */
#include "span.h"
#include "test.h"

static struct span sp(const char *s, size_t n)
{
	return (struct span){ s, n };
}

static void test_index(void)
{
	static const struct {
		const char *s;
		size_t n;
		char c;
		size_t first, last, count;
	} cases[] = {
		{ "", 0, '/', SPAN_NPOS, SPAN_NPOS, 0 },
		{ "a/b/c", 5, '/', 1, 3, 2 },
		{ "/", 1, '/', 0, 0, 1 },
		{ "ab/", 3, '/', 2, 2, 1 },
		{ "abc", 3, '/', SPAN_NPOS, SPAN_NPOS, 0 },
		{ "ab/", 2, '/', SPAN_NPOS, SPAN_NPOS, 0 }, /* past the span */
		{ "a@b@", 4, '@', 1, 3, 2 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct span s = sp(cases[i].s, cases[i].n);

		CHECK_MSG(span_index(s, cases[i].c) == cases[i].first, "index case %zu", i);
		CHECK_MSG(span_rindex(s, cases[i].c) == cases[i].last, "rindex case %zu", i);
		CHECK_MSG(span_count(s, cases[i].c) == cases[i].count, "count case %zu", i);
	}
}

static void test_cut(void)
{
	struct span s = sp("host:port", 9);
	struct span h = span_head(s, 4), t = span_tail(s, 5);

	CHECK(h.p == s.p && h.n == 4);
	CHECK(t.p == s.p + 5 && t.n == 4);
	CHECK_INT(span_tail(s, 9).n, 0);
	CHECK_INT(span_head(s, 0).n, 0);
}

static void test_compare(void)
{
	struct span s = sp("docker.iox", 9);

	CHECK(span_eq(s, "docker.io"));
	CHECK(!span_eq(s, "docker.i"));
	CHECK(!span_eq(s, "docker.iox"));
	CHECK(span_eq(sp("", 0), ""));
	CHECK(span_has_prefix(s, "docker."));
	CHECK(span_has_prefix(s, ""));
	CHECK(!span_has_prefix(s, "docker.iox"));
	CHECK(!span_has_prefix(sp("ssh", 3), "ssh://"));
}

int main(void)
{
	test_index();
	test_cut();
	test_compare();
	TEST_DONE("test_span");
}
