/*
 * tls_pem.c: the start-up check of the TLS files (tls_pem.h), with
 * OpenSSL's PEM readers. OpenSSL and GnuTLS (which libmicrohttpd uses)
 * read the same PEM blocks, so what passes here is what the server loads;
 * the check only exists to name the file and the reason.
 */
#include "tls_pem.h"

#include "kw.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* OpenSSL's reason for the last failure, or what we expected. */
static const char *ossl_reason(const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : fallback;
}

int tls_pem_check(const char *cert, size_t cert_len, const char *key,
	size_t key_len, const char *cert_name, const char *key_name,
	struct kw_err *err)
{
	BIO *cb = NULL, *kb = NULL;
	X509 *x = NULL;
	EVP_PKEY *k = NULL;
	int rc = KW_OK;

	ERR_clear_error();
	if (cert_len > INT_MAX || key_len > INT_MAX)
		return kw_errf(err, KW_EINVAL, "TLS files over 2 GiB");
	cb = BIO_new_mem_buf(cert, (int)cert_len);
	kb = BIO_new_mem_buf(key, (int)key_len);
	if (cb == NULL || kb == NULL) {
		rc = kw_errf(err, KW_ENOMEM, "out of memory reading the TLS files");
		goto out;
	}
	x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
	if (x == NULL) {
		rc = kw_errf(err, KW_EINVAL, "--tls-cert %s: no PEM certificate in it (%s)",
			cert_name, ossl_reason("no \"BEGIN CERTIFICATE\" block"));
		goto out;
	}
	ERR_clear_error();
	/* An empty passphrase callback result: an encrypted key fails here
	 * instead of prompting on the terminal. */
	k = PEM_read_bio_PrivateKey(kb, NULL, NULL, (void *)"");
	if (k == NULL) {
		rc = kw_errf(err, KW_EINVAL, "--tls-key %s: no usable PEM private key in it (%s)",
			key_name, ossl_reason("no \"BEGIN PRIVATE KEY\" block"));
		goto out;
	}
	if (X509_check_private_key(x, k) != 1)
		rc = kw_errf(err, KW_EINVAL,
			"--tls-key %s does not belong to the certificate in --tls-cert %s",
			key_name, cert_name);
out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	X509_free(x);
	BIO_free(cb);
	BIO_free(kb);
	return rc;
}
