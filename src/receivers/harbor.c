/*
 * receivers/harbor.c: the Harbor kind, as Kargo v1.11's
 * pkg/webhook/external/harbor.go serves it: path segment "harbor", Secret
 * key "auth-header", which the Authorization header must equal (the "Auth
 * Header" registered in Harbor); an absent or empty one is 401 "missing
 * authorization", another value 401 "unauthorized". The body (Go's
 * encoding/json: 400 "invalid request body") must be of type PUSH_ARTIFACT
 * (else 400 "unsupported event type"); the repository is the first
 * resource's resource_url, offered as an image and as a chart (its tag or
 * digest is dropped by the normalizers), and every resource's tag is a
 * qualifier. No resources: no URL, so nothing is refreshed.
 * [beyond] The comparison takes constant time, and two Authorization
 * headers are refused (400). Harbor sends no delivery id.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"
#include "registry.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

enum { TYPE };      /* root slots */
enum { RESOURCES }; /* slices */
enum { TAG, RESOURCE_URL, RESOURCE_WIDTH }; /* per resource */

static const struct gojson_field resource_fields[] = {
	GOJSON_F_STR("tag", TAG), GOJSON_F_STR("resource_url", RESOURCE_URL),
};
static const struct gojson_field event_data_fields[] = {
	GOJSON_F_LIST("resources", resource_fields, RESOURCES, RESOURCE_WIDTH),
};
static const struct gojson_field body_fields[] = {
	GOJSON_F_STR("type", TYPE), GOJSON_F_OBJ("event_data", event_data_fields),
};
static const struct gojson_field body_shape = GOJSON_F_OBJ("", body_fields);

/* Kargo: authHeader == "" is missing, authHeader != token is wrong. */
static enum auth_result authenticate(const struct auth_input *in)
{
	const char *got = header_get(in->headers, in->ops->auth_header);
	size_t len;

	if (header_count(in->headers, in->ops->auth_header) > 1)
		return AUTH_REPEATED;
	if (got == NULL || got[0] == '\0')
		return AUTH_MISSING_AUTHORIZATION;
	len = strlen(got);
	if (len != in->key_len || CRYPTO_memcmp(got, in->key, len) != 0)
		return AUTH_WRONG;
	return AUTH_OK;
}

static int push_event(struct event *out, struct event_builder *b,
	const struct gojson_decoder *d)
{
	const struct gojson_slice *res = &d->slices[RESOURCES];
	char *url;
	int rc;

	if (!event_go_equal(d, &d->root[TYPE], "PUSH_ARTIFACT"))
		return registry_refuse(out, 400, "unsupported event type");
	if (res->len == 0)
		return KW_OK;
	url = event_go_string(d, &res->elems[RESOURCE_URL]);
	rc = url ? registry_add_repo(b, url, strlen(url), NULL) : KW_ENOMEM;
	free(url);
	for (size_t i = 0; rc == KW_OK && i < res->len; i++)
		rc = event_add_go(b, EVENT_REFS, d, &res->elems[i * RESOURCE_WIDTH + TAG]);
	return rc;
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	(void)h;
	return registry_parse(out, &body_shape, push_event, body, len, err);
}

const struct receiver_ops receiver_harbor = {
	.name = "harbor",
	.secret_key = "auth-header",
	.auth_header = "Authorization",
	.unsupported_status = 400,
	.authenticate = authenticate,
	.parse = parse,
};
