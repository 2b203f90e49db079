/*
 * fuzz_proxy.c: libFuzzer target for proxy.c. The input's first line is a
 * CIDR added to a list that also trusts 127.0.0.1; the rest is an
 * X-Forwarded-For value from 127.0.0.1. The client found must be an
 * address (the peer's or one from the header) and fit its buffer.
 */
#include "kw.h"
#include "proxy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_list pl = { .n = 0 };
	const uint8_t *nl = memchr(data, '\n', size);
	size_t first = nl ? (size_t)(nl - data) : size;
	char cidr[128], out[PROXY_ADDR_SIZE];

	proxy_list_add(&pl, "127.0.0.1", NULL);
	if (first < sizeof(cidr)) {
		memcpy(cidr, data, first);
		cidr[first] = '\0';
		proxy_list_add(&pl, cidr, NULL);
	}
	if (nl != NULL) {
		struct proxy_list any = { .n = 0 };

		proxy_list_add(&any, "0.0.0.0/0", NULL);
		proxy_list_add(&any, "::/0", NULL);
		proxy_client(out, &pl, "127.0.0.1", (const char *)nl + 1, size - first - 1);
		/* Always an address: the peer, or one canonically printed. */
		if (strlen(out) >= sizeof(out) || !proxy_list_contains(&any, out))
			abort();
	}
	return 0;
}
