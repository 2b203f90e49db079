/*
 * kw.c: the shared status names and error formatting declared in kw.h.
 */
#include "kw.h"

#include <stdarg.h>
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
