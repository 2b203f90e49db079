/*
 * signature.c: Bitbucket's X-Hub-Signature, "sha256=" and the hex
 * HMAC-SHA256 of the raw body under the receiver's secret (contract §4.5).
 *
 * Kargo checks it with go-github's ValidateSignature
 * (pkg/webhook/external/bitbucket.go): the algorithm name before the first
 * '=' is compared case-sensitively, the hex after it is decoded by Go's
 * hex.DecodeString (either case), and the MACs are compared with
 * hmac.Equal. go-github also takes "sha1=" and "sha512="; the contract allows
 * "sha256=" only, which is all Bitbucket sends, so the others fail here.
 * The header's shape is checked before any hashing: it only tells about
 * the attacker's own input, and it spares hashing 2 MiB for a bad header.
 */
#include "signature.h"

#include "kw.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>

#include <stdbool.h>
#include <string.h>

#define SIG_PREFIX "sha256="
#define SIG_PREFIX_LEN (sizeof(SIG_PREFIX) - 1)
#define MAC_LEN ((size_t)32)

/* OpenSSL looks an algorithm up by name on every EVP_Q_mac call; the
 * HMAC implementation is fetched once instead and shared by all threads
 * (an EVP_MAC is immutable and reference-counted). */
static EVP_MAC *hmac_impl;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void fetch_hmac(void)
{
	hmac_impl = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* The HMAC; false only when OpenSSL fails (out of memory). Empty key or
 * body still get valid pointers, which OpenSSL wants. */
static bool hmac_sha256(unsigned char mac[MAC_LEN], const unsigned char *key,
	size_t key_len, const void *body, size_t body_len)
{
	static const unsigned char empty[1];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx;
	size_t n = 0;
	bool ok;

	pthread_once(&hmac_once, fetch_hmac);
	if (hmac_impl == NULL || (ctx = EVP_MAC_CTX_new(hmac_impl)) == NULL)
		return false;
	ok = EVP_MAC_init(ctx, key_len ? key : empty, key_len, params) == 1 &&
		EVP_MAC_update(ctx, body_len ? body : empty, body_len) == 1 &&
		EVP_MAC_final(ctx, mac, &n, MAC_LEN) == 1 && n == MAC_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

/* "sha256=" and exactly 64 hex digits, decoded into out. */
static bool parse_header(unsigned char out[MAC_LEN], const char *header,
	size_t len)
{
	const unsigned char *hex;

	if (header == NULL || len != SIG_PREFIX_LEN + 2 * MAC_LEN ||
	    memcmp(header, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
		return false;
	hex = (const unsigned char *)header + SIG_PREFIX_LEN;
	for (size_t i = 0; i < MAC_LEN; i++) {
		int hi = kw_hex_value(hex[2 * i]), lo = kw_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

int signature_verify(const char *header, size_t header_len,
	const unsigned char *key, size_t key_len,
	const void *body, size_t body_len)
{
	unsigned char given[MAC_LEN], want[MAC_LEN];
	int rc = KW_EAUTH;

	if (parse_header(given, header, header_len) &&
	    hmac_sha256(want, key, key_len, body, body_len) &&
	    CRYPTO_memcmp(given, want, MAC_LEN) == 0)
		rc = KW_OK;
	OPENSSL_cleanse(want, sizeof(want));
	return rc;
}

void signature_sign(char out[SIGNATURE_HEADER_SIZE],
	const unsigned char *key, size_t key_len,
	const void *body, size_t body_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[MAC_LEN];
	char *p = out + SIG_PREFIX_LEN;

	/* An empty string, which no verification accepts, if OpenSSL fails. */
	out[0] = '\0';
	if (!hmac_sha256(mac, key, key_len, body, body_len))
		return;
	memcpy(out, SIG_PREFIX, SIG_PREFIX_LEN);
	for (size_t i = 0; i < MAC_LEN; i++) {
		*p++ = hex[mac[i] >> 4];
		*p++ = hex[mac[i] & 15];
	}
	*p = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
}
