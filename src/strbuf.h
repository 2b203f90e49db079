/*
 * strbuf.h: a growable byte buffer with a mandatory maximum size (after
 * curl's dynbuf). Every buffer filled from outside uses one, so no input can
 * make the process allocate without bound. The content is always
 * NUL-terminated; len does not count the terminator.
 */
#ifndef STRBUF_H
#define STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;  /* NULL until the first append */
	size_t len; /* bytes used, excluding the terminator */
	size_t cap; /* bytes allocated */
	size_t max; /* len may never exceed this */
};

/* Initializes an empty buffer that may hold at most max bytes. */
void strbuf_init(struct strbuf *sb, size_t max);

/* Appends len bytes: KW_OK, KW_ETOOBIG (over max, nothing appended) or
 * KW_ENOMEM. */
int strbuf_append(struct strbuf *sb, const void *data, size_t len);

/* Makes room for len bytes in all (KW_ETOOBIG past max, KW_ENOMEM). */
int strbuf_reserve(struct strbuf *sb, size_t len);

/* Appends a C string. */
int strbuf_puts(struct strbuf *sb, const char *s);

/* printf-style append, same statuses as strbuf_append. */
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal, quotes included, escaped exactly as
 * Go's encoding/json does by default: <, > and & as \u003c..., U+2028 and
 * U+2029 escaped, invalid UTF-8 replaced by U+FFFD, DEL left as it is. */
int strbuf_json_string(struct strbuf *sb, const char *s, size_t len);

/* Empties the buffer, keeping its memory. */
void strbuf_reset(struct strbuf *sb);

/* Hands the content to the caller (free() it; never NULL unless out of
 * memory) and leaves the buffer empty. */
char *strbuf_take(struct strbuf *sb);

/* Frees the memory; the buffer may be used again after strbuf_init. */
void strbuf_free(struct strbuf *sb);

#endif
