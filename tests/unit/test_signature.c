/*
 * test_signature.c: signature_verify and signature_sign, table-driven.
 * Known answers come from RFC 4231 (HMAC-SHA256 test cases 1-4, 6 and 7;
 * case 5 is truncated) and from Python's hmac module.
 */
#include "kw.h"
#include "signature.h"
#include "test.h"

#include <stdlib.h>

struct vector {
	const char *name;
	const char *key;
	size_t key_len;
	const char *body;
	size_t body_len;
	const char *hex;
};

#define B(s) s, sizeof(s) - 1

/* 131 bytes of 0xaa, longer than SHA-256's block; filled by main(). */
static char key_aa131[131];

static const struct vector vectors[] = {
	{ "rfc4231 #1", B("\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
		"\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"), B("Hi There"),
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "rfc4231 #2", B("Jefe"), B("what do ya want for nothing?"),
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "rfc4231 #3", B("\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
		"\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"),
	  B("\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd"
		"\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd"
		"\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd\xdd"
		"\xdd\xdd"),
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "rfc4231 #4", B("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d"
		"\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19"),
	  B("\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
		"\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
		"\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd\xcd"
		"\xcd\xcd"),
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "rfc4231 #6", key_aa131, sizeof(key_aa131),
	  B("Test Using Larger Than Block-Size Key - Hash Key First"),
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "rfc4231 #7", key_aa131, sizeof(key_aa131),
	  B("This is a test using a larger than block-size key and a larger "
		"than block-size data. The key needs to be hashed before being "
		"used by the HMAC algorithm."),
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ "empty key and body", B(""), B(""),
	  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad" },
	{ "bitbucket push", B("mysupersecrettoken"), B("{\"push\":{\"changes\":[]}}"),
	  "e35e65bb4b5890d8ab0ca1da6e1aa1e13d784806061edcc4f52250f72527f144" },
	/* The secret's bytes are the key as they are: a newline counts. */
	{ "secret with newline", B("mysupersecrettoken\n"),
	  B("{\"push\":{\"changes\":[]}}"),
	  "7a322e43cb42cb0c0bd7dd062594eec0b53645c71b22a1e38c5148b6067d663c" },
	{ "NUL bytes in key and body", B("a\0b"), B("x\0y"),
	  "e3332b4f965951ec6731b4d73b3be91959b6dff459653a92e7eba8d87e8570ea" },
};

static int verify(const char *header, size_t len, const struct vector *v)
{
	return signature_verify(header, len, (const unsigned char *)v->key,
		v->key_len, v->body, v->body_len);
}

static void test_vectors(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(vectors); i++) {
		const struct vector *v = &vectors[i];
		char want[SIGNATURE_HEADER_SIZE], got[SIGNATURE_HEADER_SIZE];

		snprintf(want, sizeof(want), "sha256=%s", v->hex);
		signature_sign(got, (const unsigned char *)v->key, v->key_len,
			v->body, v->body_len);
		CHECK_MSG(strcmp(got, want) == 0, "%s: signed %s", v->name, got);
		CHECK_MSG(verify(want, strlen(want), v) == KW_OK, "%s", v->name);
	}
}

/* Hex digits in either case, as Go's hex.DecodeString takes them. */
static void test_case_of_hex(void)
{
	const struct vector *v = &vectors[1];
	char upper[SIGNATURE_HEADER_SIZE], mixed[SIGNATURE_HEADER_SIZE];

	signature_sign(upper, (const unsigned char *)v->key, v->key_len,
		v->body, v->body_len);
	memcpy(mixed, upper, sizeof(mixed));
	for (size_t i = 7; upper[i] != '\0'; i++) {
		if (upper[i] >= 'a' && upper[i] <= 'f') {
			upper[i] = (char)(upper[i] - 'a' + 'A');
			if (i % 2)
				mixed[i] = upper[i];
		}
	}
	CHECK_INT(verify(upper, strlen(upper), v), KW_OK);
	CHECK_INT(verify(mixed, strlen(mixed), v), KW_OK);
}

#define GOOD "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

struct reject {
	const char *why;
	const char *header;
	size_t len;
};

/* Against rfc4231 #2; each must fail with KW_EAUTH. */
static const struct reject rejects[] = {
	{ "upper-case algorithm", B("SHA256=" GOOD) },
	{ "sha1 (go-github takes it; the contract does not)",
	  B("sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79") },
	{ "sha512 (likewise)", B("sha512=164b7a7bfcf819e2e395fbe73b56e0a387bd6422"
		"2e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a3"
		"4d4a6b4b636e070a38bce737") },
	{ "colon instead of '='", B("sha256:" GOOD) },
	{ "no prefix", B(GOOD) },
	{ "leading space", B(" sha256=" GOOD) },
	{ "trailing newline", B("sha256=" GOOD "\n") },
	{ "prefix only", B("sha256=") },
	{ "63 digits", B("sha256=" "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec384") },
	{ "65 digits", B("sha256=" GOOD "0") },
	{ "62 digits (whole bytes)",
	  B("sha256=" "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec38") },
	{ "non-hex digit", B("sha256=" "gbdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") },
	{ "space inside", B("sha256=" "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec 843") },
	{ "NUL inside", B("sha256=" "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec\0" "843") },
	{ "one digit off", B("sha256=" "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3844") },
	{ "another key's MAC", B("sha256=" "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7") },
	{ "empty", B("") },
};

static void test_rejects(void)
{
	const struct vector *v = &vectors[1];

	for (size_t i = 0; i < KW_ARRAY_LEN(rejects); i++)
		CHECK_MSG(verify(rejects[i].header, rejects[i].len, v) == KW_EAUTH,
			"%s accepted", rejects[i].why);
	CHECK_INT(verify(NULL, 0, v), KW_EAUTH);
}

/* The MAC covers key and body: any change to either fails. */
static void test_binding(void)
{
	const char *h = "sha256=" GOOD;
	const unsigned char *body = (const unsigned char *)"what do ya want for nothing?";

	CHECK_INT(signature_verify(h, strlen(h), (const unsigned char *)"Jefe", 4,
		body, 28), KW_OK);
	CHECK_INT(signature_verify(h, strlen(h), (const unsigned char *)"jefe", 4,
		body, 28), KW_EAUTH);
	CHECK_INT(signature_verify(h, strlen(h), (const unsigned char *)"Jefe", 4,
		body, 27), KW_EAUTH);
	CHECK_INT(signature_verify(h, strlen(h), NULL, 0, body, 28), KW_EAUTH);
}

/* NULL with a zero length is the empty key or body. */
static void test_null_empty(void)
{
	char sig[SIGNATURE_HEADER_SIZE];

	signature_sign(sig, NULL, 0, NULL, 0);
	CHECK_STR(sig, "sha256=b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
	CHECK_INT(signature_verify(sig, strlen(sig), NULL, 0, NULL, 0), KW_OK);
	CHECK_INT(strlen(sig), SIGNATURE_HEADER_SIZE - 1);
}

int main(void)
{
	memset(key_aa131, 0xaa, sizeof(key_aa131));
	test_vectors();
	test_case_of_hex();
	test_rejects();
	test_binding();
	test_null_empty();
	TEST_DONE("test_signature");
}
