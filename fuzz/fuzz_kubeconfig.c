/*
 * fuzz_kubeconfig.c: libFuzzer target for kube_config_parse. Any bytes
 * are a possible kubeconfig. Besides memory safety it checks what every
 * accepted configuration promises the client: an https server without a
 * trailing slash, a certificate only with its key, no certificate
 * authority next to insecure-skip-tls-verify, and a source to name.
 */
#include "kube.h"
#include "kw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config c;
	struct kw_err err;
	size_t n;

	if (kube_config_parse(&c, (const char *)data, size, "/d", "fuzz", &err) != KW_OK) {
		if (c.server != NULL || c.source != NULL || err.msg[0] == '\0')
			abort();
		return 0;
	}
	n = strlen(c.server);
	if (strncmp(c.server, "https://", 8) != 0 || n <= 8 || c.server[n - 1] == '/')
		abort();
	if ((c.cert_file || c.cert_pem) != (c.key_file || c.key_pem))
		abort();
	if (c.insecure && (c.ca_file || c.ca_pem))
		abort();
	if (c.source == NULL)
		abort();
	kube_config_clear(&c);
	return 0;
}
