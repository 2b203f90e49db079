/*
 * headers.h: how the handler reads a request's header fields without
 * knowing the HTTP library: a lookup (the first value of a field, and how
 * many fields carry that name), names compared case-insensitively. http.c
 * backs it with libmicrohttpd; tests and fuzz targets with name/value
 * pairs. A receiver kind names the fields it reads; nothing else does.
 */
#ifndef HEADERS_H
#define HEADERS_H

#include <stddef.h>

struct header_lookup {
	/* The first value of the field called name, NULL when absent. */
	const char *(*get)(const void *src, const char *name);
	/* How many fields are called name. */
	size_t (*count)(const void *src, const char *name);
	const void *src;
	/* The i-th value of the field called name (0-based), NULL past the
	 * last; NULL when the source cannot say (then only the first is
	 * known). */
	const char *(*nth)(const void *src, const char *name, size_t i);
};

static inline const char *header_get(const struct header_lookup *h,
	const char *name)
{
	return name != NULL ? h->get(h->src, name) : NULL;
}

static inline size_t header_count(const struct header_lookup *h,
	const char *name)
{
	return name != NULL ? h->count(h->src, name) : 0;
}

/* Name/value pairs: kv[2i] is a name, kv[2i + 1] its value. Borrowed. */
struct header_pairs {
	const char *const *kv;
	size_t n; /* pairs */
};

/* A lookup over pairs (borrowed; it must outlive the lookup). */
struct header_lookup header_pairs_lookup(const struct header_pairs *pairs);

#endif
