/*
 * registry_check.h: what the registry kinds' fuzz targets check of a
 * parse, shared by fuzz_dockerhub.c, fuzz_quay.c, fuzz_harbor.c and
 * fuzz_artifactory.c. Besides memory safety: the result is one of the
 * statuses receiver_ops.parse may return, a push event's lists hold no
 * empty string and are sorted without duplicates, and a refusal names a
 * status and a message.
 */
#ifndef REGISTRY_CHECK_H
#define REGISTRY_CHECK_H

#include "headers.h"
#include "kw.h"
#include "receiver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void registry_check_list(char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i][0] == '\0')
			abort();
		if (i > 0 && strcmp(v[i - 1], v[i]) >= 0)
			abort();
	}
}

/* Parses data as kind's body; option is the receiver's option. */
static void registry_check(const char *kind, const char *option,
	const uint8_t *data, size_t size)
{
	const struct receiver_ops *ops = receiver_find(kind);
	struct header_pairs pairs = { NULL, 0 };
	struct header_lookup h = header_pairs_lookup(&pairs);
	struct event ev = { .option = option };
	struct kw_err err;
	int rc;

	if (ops == NULL)
		abort();
	rc = ops->parse(&ev, &h, (const char *)data, size, &err);
	if (rc == KW_OK) {
		if (ev.kind != EVENT_PUSH)
			abort();
		registry_check_list(ev.urls, ev.n_urls);
		registry_check_list(ev.refs, ev.n_refs);
	} else if (rc == KW_EUNSUPPORTED) {
		if (ev.refusal != REFUSE_CUSTOM || ev.error == NULL ||
		    (ev.status != 400 && ev.status != 501))
			abort();
	} else if (rc != KW_EINVAL && rc != KW_ENOMEM) {
		abort();
	}
	event_clear(&ev);
}

#endif
