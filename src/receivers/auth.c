/*
 * auth.c: the authentication schemes receiver kinds share (receiver.h).
 * Each reads only the field its kind names in ops->auth_header. A field
 * that comes twice is refused: one of the two is not what the sender
 * sent, and picking either would be a guess.
 */
#include "receiver.h"

#include "headers.h"
#include "kw.h"
#include "signature.h"

#include <openssl/crypto.h>
#include <string.h>

enum auth_result auth_none(const struct auth_input *in)
{
	(void)in;
	return AUTH_OK;
}

/* Kargo (go-github's ValidateSignature) treats an empty field as absent. */
enum auth_result auth_hmac_sha256(const struct auth_input *in)
{
	const char *sig = header_get(in->headers, in->ops->auth_header);

	if (header_count(in->headers, in->ops->auth_header) > 1)
		return AUTH_REPEATED;
	if (sig == NULL || sig[0] == '\0')
		return AUTH_MISSING;
	if (signature_verify(sig, strlen(sig), in->key, in->key_len, in->body,
	    in->body_len) != KW_OK)
		return AUTH_WRONG;
	return AUTH_OK;
}

/* Kargo compares string(token) != header: an absent field is "", so it
 * matches an empty secret. The comparison here takes constant time for a
 * given length. */
enum auth_result auth_token(const struct auth_input *in)
{
	const char *tok = header_get(in->headers, in->ops->auth_header);
	size_t len;

	if (header_count(in->headers, in->ops->auth_header) > 1)
		return AUTH_REPEATED;
	if (tok == NULL)
		tok = "";
	len = strlen(tok);
	if (len != in->key_len || (len > 0 && CRYPTO_memcmp(tok, in->key, len) != 0))
		return AUTH_WRONG_BARE;
	return AUTH_OK;
}
