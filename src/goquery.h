/*
 * goquery.h: a raw query string read as Go's url.ParseQuery reads it,
 * which is what Kargo's r.URL.Query() gives the generic receiver's
 * request.params. Pairs are split at '&' only; a pair holding a ';' is
 * dropped (Go 1.17 on), as is one whose name or value has a '%' not
 * followed by two hex digits; an empty pair is skipped; '+' is a space.
 * A name keeps every value in order. Pure: no I/O, no globals.
 */
#ifndef GOQUERY_H
#define GOQUERY_H

#include <stddef.h>

struct goquery {
	char **kv; /* name, value, name, value, ...: malloc'd, NUL-terminated */
	size_t n;  /* pairs */
	size_t cap; /* pairs kv has room for */
};

/* Parses raw[0..len) into q (which the caller zeroed or freed). KW_OK or
 * KW_ENOMEM (q then empty). A value holding %00 reads as cut there. */
int goquery_parse(struct goquery *q, const char *raw, size_t len);

/* The first value of name (compared exactly), or NULL; how many values. */
const char *goquery_get(const struct goquery *q, const char *name);
size_t goquery_count(const struct goquery *q, const char *name);

/* Frees q's strings; q may be parsed into again. Accepts a zeroed q. */
void goquery_free(struct goquery *q);

#endif
