/*
 * fuzz_kind.h: the body of every receiver kind's fuzz target (one
 * fuzz_<kind>.c each). The first byte picks the value of the kind's event
 * field among a few (modulo their number: the corpora use '0', '1', ...),
 * the rest is the body handed to ops->parse. Besides the sanitizers'
 * findings it checks what holds for any input: a status from the
 * contract, a message with KW_EINVAL, and an event whose lists are
 * strings, sorted and distinct, within their bounds, and none empty but
 * a path (Kargo keeps an empty file name).
 */
#ifndef FUZZ_KIND_H
#define FUZZ_KIND_H

#include "event.h"
#include "headers.h"
#include "kw.h"
#include "receiver.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check_list(char *const *items, size_t n, size_t max,
	bool empty_ok)
{
	if (n > max)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (items[i] == NULL || (items[i][0] == '\0' && !empty_ok))
			abort();
		if (i > 0 && strcmp(items[i - 1], items[i]) >= 0)
			abort();
	}
}

static int fuzz_kind(const struct receiver_ops *ops, const char *field,
	const char *const *values, size_t n_values, const uint8_t *data,
	size_t size)
{
	const char *kv[2] = { field, NULL };
	struct header_pairs pairs = { kv, 1 };
	struct header_lookup h = header_pairs_lookup(&pairs);
	struct event ev = { 0 };
	struct kw_err err;
	int rc;

	if (size == 0)
		return 0;
	kv[1] = values[data[0] % n_values];
	err.msg[0] = '\0';
	rc = ops->parse(&ev, &h, (const char *)data + 1, size - 1, &err);
	if (rc != KW_OK && rc != KW_EINVAL && rc != KW_EUNSUPPORTED && rc != KW_ENOMEM)
		abort();
	if (rc == KW_EINVAL && err.msg[0] == '\0')
		abort();
	if (rc == KW_OK) {
		fuzz_check_list(ev.urls, ev.n_urls, EVENT_MAX_URLS, false);
		fuzz_check_list(ev.refs, ev.n_refs, EVENT_MAX_REFS, false);
		fuzz_check_list(ev.paths, ev.n_paths, EVENT_MAX_PATHS, true);
		if (ev.kind == EVENT_PR && (ev.n_urls > 1 || ev.n_refs > 0))
			abort();
	}
	event_clear(&ev);
	return 0;
}

#endif
