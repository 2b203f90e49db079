/*
 * span.h: a piece of a byte string, a pointer and a length, never
 * NUL-terminated, and the few searches the hand-written parsers make on
 * it (urlnorm.c, imagenorm.c; semver.c uses the type). The searches
 * compare bytes: the characters looked for are ASCII.
 */
#ifndef SPAN_H
#define SPAN_H

#include <stdbool.h>
#include <stddef.h>

/* Not found, for span_index and span_rindex. */
#define SPAN_NPOS ((size_t)-1)

struct span {
	const char *p;
	size_t n;
};

/* s from byte from on; from <= s.n. */
struct span span_tail(struct span s, size_t from);

/* The first n bytes of s; n <= s.n. */
struct span span_head(struct span s, size_t n);

/* The index of the first c in s, or SPAN_NPOS. */
size_t span_index(struct span s, char c);

/* The index of the last c in s, or SPAN_NPOS. */
size_t span_rindex(struct span s, char c);

/* How many times c stands in s. */
size_t span_count(struct span s, char c);

/* Whether s starts with the C string lit. */
bool span_has_prefix(struct span s, const char *lit);

/* Whether s is the C string lit. */
bool span_eq(struct span s, const char *lit);

#endif
