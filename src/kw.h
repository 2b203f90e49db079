/*
 * kw.h: what every module shares: the project-wide status codes and the
 * error message a caller passes in. A fallible function returns KW_OK or a
 * negative kw_status and, when err is not NULL, says why in err->msg.
 * Statuses map to HTTP answers in exactly one place (handler.c).
 */
#ifndef KW_H
#define KW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kw_status {
	KW_OK = 0,
	KW_ENOMEM = -1,       /* allocation failed */
	KW_EINVAL = -2,       /* malformed input */
	KW_ENOTFOUND = -3,    /* no such object */
	KW_ETOOBIG = -4,      /* input over its bound */
	KW_EAUTH = -5,        /* signature missing or wrong */
	KW_EIO = -6,          /* file, database or network failure */
	KW_EUNSUPPORTED = -7, /* well-formed but not handled (event key) */
	KW_EBUSY = -8,        /* try again later (back-pressure) */
};

struct kw_err {
	char msg[512];
};

/* Formats a message into err (no-op when err is NULL); returns status. */
int kw_errf(struct kw_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A short English name of a status, for logs. */
const char *kw_status_str(int status);

/* A copy of exactly len bytes of s (which need not be NUL-terminated,
 * and may hold NUL bytes), with a NUL added: memdup, not strndup, which
 * would stop at the first NUL. NULL on overflow or allocation failure. */
char *kw_strndup(const char *s, size_t len);

/* "2006-01-02T15:04:05Z" or, with nanos, "2006-01-02T15:04:05.123456789Z"
 * (UTC, now). */
#define KW_TIME_SIZE 40
void kw_time_rfc3339(char out[KW_TIME_SIZE], bool nanos);

/*
 * Decodes like Go's base64.StdEncoding, which Kubernetes uses for Secret
 * data and kubeconfig *-data fields: line breaks are ignored, padding is
 * required, nothing may follow it. out has room for len bytes.
 */
bool kw_base64_decode(const char *s, size_t len, unsigned char *out,
	size_t *out_len);

/* Monotonic clock in seconds. */
double kw_monotonic(void);

/*
 * Arrays that carry no capacity field grow by doubling, their capacity
 * implied by their length (the smallest power of two that holds it).
 * kw_array_grow returns arr grown to hold n + add items (add > 0) of size
 * bytes; kw_array_append appends n > 0 items from src to arr, which holds
 * *len. Both return NULL when out of memory, arr being then untouched.
 */
void *kw_array_grow(void *arr, size_t n, size_t add, size_t size);
void *kw_array_append(void *arr, size_t *len, const void *src, size_t n,
	size_t size);

/* The value of hex digit c (either case), or -1. */
int kw_hex_value(int c);

/* FNV-1a (64 bits) of p[0..n) continuing from h; start from KW_FNV1A_INIT.
 * For hash tables and change detection, never for security. */
#define KW_FNV1A_INIT 14695981039346656037ULL
uint64_t kw_fnv1a(uint64_t h, const void *p, size_t n);

#define KW_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
