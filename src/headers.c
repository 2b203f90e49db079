/*
 * headers.c: the header lookup over name/value pairs (headers.h), for
 * tests and fuzz targets; http.c has its own over libmicrohttpd.
 */
#include "headers.h"

#include <strings.h>

static const char *pairs_get(const void *src, const char *name)
{
	const struct header_pairs *p = src;

	for (size_t i = 0; i < p->n; i++)
		if (strcasecmp(p->kv[2 * i], name) == 0)
			return p->kv[2 * i + 1];
	return NULL;
}

static size_t pairs_count(const void *src, const char *name)
{
	const struct header_pairs *p = src;
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += strcasecmp(p->kv[2 * i], name) == 0;
	return n;
}

static const char *pairs_nth(const void *src, const char *name, size_t i)
{
	const struct header_pairs *p = src;

	for (size_t k = 0; k < p->n; k++)
		if (strcasecmp(p->kv[2 * k], name) == 0 && i-- == 0)
			return p->kv[2 * k + 1];
	return NULL;
}

struct header_lookup header_pairs_lookup(const struct header_pairs *pairs)
{
	return (struct header_lookup){ pairs_get, pairs_count, pairs, pairs_nth };
}
