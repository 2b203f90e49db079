/*
 * strbuf.c: the bounded growable buffer declared in strbuf.h.
 */
#include "strbuf.h"

#include "kw.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *sb, size_t max)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	sb->max = max;
}

static int grow(struct strbuf *sb, size_t need)
{
	size_t cap;
	char *p;

	if (need <= sb->cap)
		return KW_OK;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return KW_ENOMEM;
		cap *= 2;
	}
	if (cap > sb->max + 1 && need <= sb->max + 1)
		cap = sb->max + 1;
	p = realloc(sb->buf, cap);
	if (p == NULL)
		return KW_ENOMEM;
	sb->buf = p;
	sb->cap = cap;
	return KW_OK;
}

int strbuf_reserve(struct strbuf *sb, size_t len)
{
	int rc;

	if (len > sb->max)
		return KW_ETOOBIG;
	rc = grow(sb, len + 1);
	if (rc == KW_OK)
		sb->buf[sb->len] = '\0';
	return rc;
}

int strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	int rc;

	if (len > sb->max || sb->len > sb->max - len)
		return KW_ETOOBIG;
	rc = grow(sb, sb->len + len + 1);
	if (rc != KW_OK)
		return rc;
	if (len > 0)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return KW_OK;
}

int strbuf_puts(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;
	char *big;
	int rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return KW_EINVAL;
	if ((size_t)n < sizeof(small))
		return strbuf_append(sb, small, (size_t)n);
	big = malloc((size_t)n + 1);
	if (big == NULL)
		return KW_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = strbuf_append(sb, big, (size_t)n);
	free(big);
	return rc;
}

/* The escape Go's encoding/json writes for code point c, or NULL when c
 * is written as it is. HTML-sensitive characters are escaped as Go's
 * default encoder does, so answers match Kargo's byte for byte. */
static const char *json_escape(unsigned long c, char buf[8])
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"': return "\\\"";
	case '\\': return "\\\\";
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	case '\b': return "\\b";
	case '\f': return "\\f";
	case 0x2028: return "\\u2028";
	case 0x2029: return "\\u2029";
	default: break;
	}
	if (c >= 0x20 && c != '<' && c != '>' && c != '&')
		return NULL;
	snprintf(buf, 8, "\\u00%c%c", hex[(c >> 4) & 15], hex[c & 15]);
	return buf;
}

int strbuf_json_string(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0;
	int rc = strbuf_append(sb, "\"", 1);

	while (i < len && rc == KW_OK) {
		uint32_t c = 0;
		size_t n = utf8_valid_len(p + i, len - i, &c);
		const char *esc;
		char buf[8];

		if (n == 0) {
			esc = "\xef\xbf\xbd"; /* U+FFFD for an invalid byte */
			n = 1;
		} else {
			esc = json_escape(c, buf);
		}
		if (esc != NULL) {
			rc = strbuf_append(sb, s + start, i - start);
			if (rc == KW_OK)
				rc = strbuf_puts(sb, esc);
			start = i + n;
		}
		i += n;
	}
	if (rc == KW_OK)
		rc = strbuf_append(sb, s + start, len - start);
	if (rc == KW_OK)
		rc = strbuf_append(sb, "\"", 1);
	return rc;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

char *strbuf_take(struct strbuf *sb)
{
	char *p = sb->buf;

	if (p == NULL)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
	return p;
}

void strbuf_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = 0;
	sb->cap = 0;
}
