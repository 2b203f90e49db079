/*
 * fuzz_bitbucket.c: libFuzzer target for bitbucket_parse. The first byte
 * picks the event key among the six supported ones (its value modulo six:
 * the corpus uses '0'-'5'), the rest is the body. Besides the sanitizers'
 * findings it checks what holds for any input: a status from the
 * contract, an event exactly on success, a message on failure, and the
 * result's bounds.
 */
#include "bitbucket.h"
#include "kw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const keys[] = {
	"repo:push", "repo:refs_changed", "pullrequest:fulfilled",
	"pullrequest:rejected", "pr:merged", "pr:declined",
};

/* Non-empty and, for lists short enough to compare pairwise, distinct. */
static void check_list(char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (items[i] == NULL || items[i][0] == '\0')
			abort();
		for (size_t j = 0; n <= 64 && j < i; j++)
			if (strcmp(items[i], items[j]) == 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bitbucket_event *ev = NULL;
	struct kw_err err;
	int rc;

	if (size == 0)
		return 0;
	err.msg[0] = '\0';
	rc = bitbucket_parse(&ev, keys[data[0] % KW_ARRAY_LEN(keys)],
		(const char *)data + 1, size - 1, &err);
	if (rc != KW_OK && rc != KW_EINVAL && rc != KW_ENOMEM)
		abort();
	if ((rc == KW_OK) != (ev != NULL))
		abort();
	if (rc != KW_OK && err.msg[0] == '\0')
		abort();
	if (ev != NULL) {
		if (ev->n_urls > 1024 || ev->n_refs > 4096)
			abort();
		if (ev->kind == BITBUCKET_PR && (ev->n_urls > 1 || ev->n_refs > 0))
			abort();
		check_list(ev->urls, ev->n_urls);
		check_list(ev->refs, ev->n_refs);
	}
	bitbucket_event_free(ev);
	return 0;
}
