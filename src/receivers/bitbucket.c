/*
 * receivers/bitbucket.c: the Bitbucket kind (Cloud and Server/Data
 * Center), as Kargo v1.11's pkg/webhook/external/bitbucket.go serves it:
 * path segment "bitbucket", Secret key "secret", X-Hub-Signature HMAC,
 * the event in X-Event-Key. Bodies are read by src/bitbucket.c.
 * [beyond] The signature is checked before the event (Kargo checks the
 * event first), "diagnostics:ping" answers pong unsigned, and
 * X-Request-UUID (Cloud) or X-Request-Id (Data Center) recognizes a
 * retried delivery.
 */
#include "receiver.h"

#include "bitbucket.h"
#include "headers.h"
#include "kw.h"

#include <stdlib.h>

static void release(void *block)
{
	bitbucket_event_free(block);
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	const char *key = header_get(h, "X-Event-Key");
	struct bitbucket_event *ev = NULL;
	int rc = bitbucket_parse(&ev, key ? key : "", body, len, err);

	if (rc != KW_OK)
		return rc;
	out->kind = ev->kind == BITBUCKET_PUSH ? EVENT_PUSH : EVENT_PR;
	out->urls = ev->urls;
	out->n_urls = ev->n_urls;
	out->refs = ev->refs;
	out->n_refs = ev->n_refs;
	out->block = ev;
	out->release = release;
	return KW_OK;
}

const struct receiver_ops receiver_bitbucket = {
	.name = "bitbucket",
	.secret_key = "secret",
	.event_header = "X-Event-Key",
	.auth_header = "X-Hub-Signature",
	.delivery_headers = { "X-Request-UUID", "X-Request-Id", NULL },
	.attempt_header = "X-Attempt-Number",
	.pong_event = "diagnostics:ping",
	.ping_msg = "pong",
	.unsupported_status = 400,
	.authenticate = auth_hmac_sha256,
	.parse = parse,
};
