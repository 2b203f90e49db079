/*
 * kw.c: the shared status names, error formatting, strings, clocks and
 * growing arrays declared in kw.h.
 */
#include "kw.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int kw_errf(struct kw_err *err, int status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

const char *kw_status_str(int status)
{
	switch (status) {
	case KW_OK: return "ok";
	case KW_ENOMEM: return "out of memory";
	case KW_EINVAL: return "invalid input";
	case KW_ENOTFOUND: return "not found";
	case KW_ETOOBIG: return "too large";
	case KW_EAUTH: return "unauthorized";
	case KW_EIO: return "i/o error";
	case KW_EUNSUPPORTED: return "unsupported";
	case KW_EBUSY: return "busy";
	default: return "unknown error";
	}
}

char *kw_strndup(const char *s, size_t len)
{
	char *p;

	if (len == (size_t)-1)
		return NULL;
	p = malloc(len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void kw_time_rfc3339(char out[KW_TIME_SIZE], bool nanos)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(out, KW_TIME_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
	if (nanos)
		snprintf(out + n, KW_TIME_SIZE - n, ".%09ldZ", (long)ts.tv_nsec);
	else
		snprintf(out + n, KW_TIME_SIZE - n, "Z");
}

double kw_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/*
 * Decodes like Go's base64.StdEncoding, which Kubernetes uses for a Secret's
 * data: line breaks are ignored, padding is required, nothing may follow it.
 * out has room for len bytes.
 */
bool kw_base64_decode(const char *s, size_t len, unsigned char *out,
	size_t *out_len)
{
	int quad[4];
	size_t q = 0, n = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=' && q >= 2) {
			pad++;
			quad[q++] = 0;
		} else if (pad > 0 || (quad[q] = b64_value(c)) < 0) {
			return false;
		} else {
			q++;
		}
		if (q < 4)
			continue;
		out[n++] = (unsigned char)(quad[0] << 2 | quad[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char)((quad[1] & 15) << 4 | quad[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char)((quad[2] & 3) << 6 | quad[3]);
		q = 0;
		if (pad > 0)
			pad = 3; /* nothing but line breaks may follow */
	}
	*out_len = n;
	return q == 0;
}

static size_t implied_cap(size_t n)
{
	size_t cap = 1;

	if (n == 0)
		return 0;
	while (cap < n && cap <= SIZE_MAX / 2)
		cap *= 2;
	return cap < n ? n : cap;
}

void *kw_array_grow(void *arr, size_t n, size_t add, size_t size)
{
	size_t cap;

	if (add > SIZE_MAX - n)
		return NULL;
	if (arr != NULL && n + add <= implied_cap(n))
		return arr;
	cap = implied_cap(n + add);
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(arr, cap * size);
}

void *kw_array_append(void *arr, size_t *len, const void *src, size_t n,
	size_t size)
{
	char *v = kw_array_grow(arr, *len, n, size);

	if (v == NULL)
		return NULL;
	memcpy(v + *len * size, src, n * size);
	*len += n;
	return v;
}

int kw_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint64_t kw_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}
