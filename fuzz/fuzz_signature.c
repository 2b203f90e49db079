/*
 * fuzz_signature.c: libFuzzer target for signature_verify and
 * signature_sign. Input layout: one byte of key length, one byte of header
 * length, the key, the header, then the body (lengths are cut to what is
 * there). Checks that a header verifies exactly when it is our own
 * signature up to the case of its hex digits, and that any other digit
 * fails.
 */
#include "kw.h"
#include "signature.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const unsigned char *key, *body;
	const char *header;
	size_t key_len, header_len, body_len;
};

static size_t take(size_t want, size_t *left)
{
	size_t n = want < *left ? want : *left;

	*left -= n;
	return n;
}

static bool split(struct input *in, const uint8_t *data, size_t size)
{
	size_t left;

	if (size < 2)
		return false;
	left = size - 2;
	in->key_len = take(data[0], &left);
	in->header_len = take(data[1], &left);
	in->key = data + 2;
	in->header = (const char *)in->key + in->key_len;
	in->body = (const unsigned char *)in->header + in->header_len;
	in->body_len = left;
	return true;
}

static int verify(const struct input *in, const char *h, size_t n)
{
	return signature_verify(h, n, in->key, in->key_len, in->body,
		in->body_len);
}

/* The fuzzed header verifies if and only if it matches our signature. */
static void check_header(const struct input *in, const char *sig)
{
	int rc = verify(in, in->header, in->header_len);
	bool same = in->header_len == SIGNATURE_HEADER_SIZE - 1 &&
		memcmp(in->header, sig, 7) == 0 &&
		strncasecmp(in->header + 7, sig + 7, SIGNATURE_HEADER_SIZE - 8) == 0 &&
		memchr(in->header, '\0', in->header_len) == NULL;

	if (rc != KW_OK && rc != KW_EAUTH)
		abort();
	if ((rc == KW_OK) != same)
		abort();
}

/* Our signature verifies in either case; one changed digit does not. */
static void check_own(const struct input *in, const char *sig, uint8_t pick)
{
	char copy[SIGNATURE_HEADER_SIZE];
	size_t pos = 7 + pick % 64;

	if (strlen(sig) != SIGNATURE_HEADER_SIZE - 1 ||
	    verify(in, sig, strlen(sig)) != KW_OK)
		abort();
	memcpy(copy, sig, sizeof(copy));
	for (size_t i = 7; i < SIGNATURE_HEADER_SIZE - 1; i++)
		if (copy[i] >= 'a' && copy[i] <= 'f')
			copy[i] = (char)(copy[i] - 'a' + 'A');
	if (verify(in, copy, strlen(copy)) != KW_OK)
		abort();
	copy[pos] = copy[pos] == '0' ? '1' : '0';
	if (verify(in, copy, strlen(copy)) != KW_EAUTH)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sig[SIGNATURE_HEADER_SIZE];
	struct input in;

	if (!split(&in, data, size))
		return 0;
	signature_sign(sig, in.key, in.key_len, in.body, in.body_len);
	check_header(&in, sig);
	check_own(&in, sig, data[0] ^ data[1]);
	return 0;
}
