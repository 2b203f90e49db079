/*
 * goquery.c: Go's url.ParseQuery and QueryUnescape (goquery.h), from
 * net/url's documented behaviour: strings.Cut at '&', a ';' anywhere in a
 * pair is an error that drops the pair, strings.Cut at the first '=', and
 * each side unescaped in query-component mode ('+' is a space, "%XY"
 * needs two hex digits, anything else is an error that drops the pair).
 */
#include "goquery.h"

#include "kw.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* QueryUnescape of s[0..n) into *out (malloc'd). KW_OK, KW_EINVAL for a
 * bad escape, KW_ENOMEM; *out is NULL unless KW_OK. */
static int unescape(const char *s, size_t n, char **out)
{
	char *o = malloc(n + 1);
	size_t k = 0;

	*out = NULL;
	if (o == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			o[k++] = s[i] == '+' ? ' ' : s[i];
			continue;
		}
		if (i + 2 >= n || (hi = kw_hex_value((unsigned char)s[i + 1])) < 0 ||
		    (lo = kw_hex_value((unsigned char)s[i + 2])) < 0) {
			free(o);
			return KW_EINVAL;
		}
		o[k++] = (char)(hi << 4 | lo);
		i += 2;
	}
	o[k] = '\0';
	*out = o;
	return KW_OK;
}

/* Adds the pair p[0..n) (no '&' in it) to q unless Go drops it. */
static int add_pair(struct goquery *q, const char *p, size_t n)
{
	const char *eq = memchr(p, '=', n);
	size_t klen = eq ? (size_t)(eq - p) : n;
	char *key, *value, **kv;
	int rc;

	if (n == 0 || memchr(p, ';', n) != NULL)
		return KW_OK;
	if ((rc = unescape(p, klen, &key)) != KW_OK)
		return rc == KW_EINVAL ? KW_OK : rc;
	rc = eq ? unescape(eq + 1, n - klen - 1, &value) : unescape("", 0, &value);
	if (rc != KW_OK) {
		free(key);
		return rc == KW_EINVAL ? KW_OK : rc;
	}
	if (q->n == q->cap) { /* doubling: a query of 10,000 pairs stays linear */
		size_t cap = q->cap ? 2 * q->cap : 8;

		if ((kv = realloc(q->kv, 2 * cap * sizeof(*kv))) == NULL) {
			free(key);
			free(value);
			return KW_ENOMEM;
		}
		q->kv = kv;
		q->cap = cap;
	}
	kv = q->kv;
	kv[2 * q->n] = key;
	kv[2 * q->n + 1] = value;
	q->n++;
	return KW_OK;
}

int goquery_parse(struct goquery *q, const char *raw, size_t len)
{
	size_t at = 0;

	q->kv = NULL;
	q->n = q->cap = 0;
	while (at < len) {
		const char *amp = memchr(raw + at, '&', len - at);
		size_t end = amp ? (size_t)(amp - raw) : len;

		if (add_pair(q, raw + at, end - at) != KW_OK) {
			goquery_free(q);
			return KW_ENOMEM;
		}
		at = end + 1;
	}
	return KW_OK;
}

const char *goquery_get(const struct goquery *q, const char *name)
{
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->kv[2 * i], name) == 0)
			return q->kv[2 * i + 1];
	return NULL;
}

size_t goquery_count(const struct goquery *q, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < q->n; i++)
		k += strcmp(q->kv[2 * i], name) == 0;
	return k;
}

void goquery_free(struct goquery *q)
{
	for (size_t i = 0; i < 2 * q->n; i++)
		free(q->kv[i]);
	free(q->kv);
	q->kv = NULL;
	q->n = q->cap = 0;
}
