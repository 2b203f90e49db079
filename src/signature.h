/*
 * signature.h: Bitbucket's X-Hub-Signature: "sha256=" and the hex
 * HMAC-SHA256 of the raw body under the shared secret (contract §4.5).
 * Pure: no I/O, no globals.
 */
#ifndef SIGNATURE_H
#define SIGNATURE_H

#include <stddef.h>

/* "sha256=" + 64 hex digits + NUL */
#define SIGNATURE_HEADER_SIZE 72

/*
 * Verifies header[0..header_len) against body under key. Hex digits are
 * accepted in either case; the MAC is compared in constant time.
 * Returns KW_OK when it matches, KW_EAUTH for anything else (wrong prefix,
 * wrong length, a non-hex digit, a different MAC). The caller handles the
 * absent/empty header (401 "missing signature") before calling.
 */
int signature_verify(const char *header, size_t header_len,
	const unsigned char *key, size_t key_len,
	const void *body, size_t body_len);

/* Writes "sha256=<lowercase hex>" and a NUL into out. */
void signature_sign(char out[SIGNATURE_HEADER_SIZE],
	const unsigned char *key, size_t key_len,
	const void *body, size_t body_len);

#endif
