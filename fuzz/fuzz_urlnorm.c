/*
 * fuzz_urlnorm.c: libFuzzer target for urlnorm_git. The input is any
 * byte string, as a webhook body or a manifest may carry. Besides memory
 * safety it checks what holds for every output of Kargo's NormalizeGit:
 * either the input comes back byte for byte, or the output is a URL that
 * Go's URL.String could have printed. Normalizing is not idempotent in
 * Kargo (".git.git" loses one ".git" per pass), so that is not checked.
 */
#include "kw.h"
#include "urlnorm.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* Kargo returned the input as given. Only out[0..n] is read, so an input
 * with a NUL in it is compared up to that NUL. */
static bool as_given(const char *out, size_t n, const uint8_t *data, size_t size)
{
	return n <= size && memcmp(out, data, n) == 0 &&
		(n == size || data[n] == '\0');
}

/* Everything before the query or fragment is escaped, so it is graphic
 * ASCII; nothing anywhere is a control byte (SanitizeURL drops them). */
static void check_bytes(const char *out, size_t n)
{
	size_t head = strcspn(out, "?#");

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7F)
			abort();
		if (i < head && (c <= 0x20 || c >= 0x7F))
			abort();
	}
}

/* Without a '%' in the input, upper case can only come from the hex
 * digits of escapes Go adds: the input itself was lowercased. */
static void check_case(const char *out, size_t n, const uint8_t *data,
	size_t size)
{
	if (memchr(data, '%', size) != NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '%' && i + 2 < n) {
			i += 2;
			continue;
		}
		if (out[i] >= 'A' && out[i] <= 'Z')
			abort();
	}
}

/* http(s) URLs lose their user info. */
static void check_no_user(const char *out)
{
	const char *auth;

	if (!has_prefix(out, "http://") && !has_prefix(out, "https://"))
		return;
	auth = strstr(out, "//") + 2;
	if (memchr(auth, '@', strcspn(auth, "/?#")) != NULL)
		abort();
}

static void check_normalized(const char *out, size_t n, const uint8_t *data,
	size_t size)
{
	if (!has_prefix(out, "http:") && !has_prefix(out, "https:") &&
	    !has_prefix(out, "ssh:"))
		abort();
	/* Lowercasing at most triples a byte, escaping triples it again. */
	if (n > 9 * size + 64)
		abort();
	check_bytes(out, n);
	check_case(out, n, data, size);
	check_no_user(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *again = NULL;
	size_t n;

	if (urlnorm_git(&out, (const char *)data, size) != KW_OK || out == NULL)
		abort();
	n = strlen(out);
	if (!as_given(out, n, data, size))
		check_normalized(out, n, data, size);
	if (urlnorm_git(&again, (const char *)data, size) != KW_OK ||
	    strcmp(out, again) != 0)
		abort();
	free(again);
	free(out);
	return 0;
}
