/*
 * tls_pem.h: checks a TLS certificate and key before the server starts, so
 * a wrong file is reported by name and reason ("--tls-cert /etc/hostname:
 * no PEM certificate in it") instead of as a failure to listen.
 * libmicrohttpd hands the PEM to GnuTLS only when it starts, and says no
 * more than that it could not.
 */
#ifndef TLS_PEM_H
#define TLS_PEM_H

#include <stddef.h>

struct kw_err;

/*
 * Checks that cert holds at least one PEM certificate (the first one is the
 * server's; more may follow as its chain), that key holds a PEM private key,
 * and that the key belongs to the first certificate. cert_name and key_name
 * name the files in the message. Pure: no I/O. KW_OK, or KW_EINVAL with err.
 */
int tls_pem_check(const char *cert, size_t cert_len, const char *key,
	size_t key_len, const char *cert_name, const char *key_name,
	struct kw_err *err);

#endif
