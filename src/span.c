/*
 * span.c: the searches on a piece of a byte string (span.h), one copy for
 * every parser that walks its input by spans instead of copying it.
 */
#include "span.h"

#include <string.h>

struct span span_tail(struct span s, size_t from)
{
	struct span t = { s.p + from, s.n - from };

	return t;
}

struct span span_head(struct span s, size_t n)
{
	struct span h = { s.p, n };

	return h;
}

size_t span_index(struct span s, char c)
{
	const char *q = s.n ? memchr(s.p, c, s.n) : NULL;

	return q ? (size_t)(q - s.p) : SPAN_NPOS;
}

size_t span_rindex(struct span s, char c)
{
	for (size_t i = s.n; i > 0; i--)
		if (s.p[i - 1] == c)
			return i - 1;
	return SPAN_NPOS;
}

size_t span_count(struct span s, char c)
{
	size_t k = 0;

	for (size_t i = 0; i < s.n; i++)
		k += s.p[i] == c;
	return k;
}

bool span_has_prefix(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

bool span_eq(struct span s, const char *lit)
{
	return s.n == strlen(lit) && span_has_prefix(s, lit);
}
