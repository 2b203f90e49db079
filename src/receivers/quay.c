/*
 * receivers/quay.c: the Quay kind, as Kargo v1.11's
 * pkg/webhook/external/quay.go serves it: path segment "quay", Secret key
 * "secret" (it only makes the URL unguessable), no authentication, no
 * event type: every body is a "Push to Repository" notification. Kargo
 * decodes docker_url and updated_tags ([]string) with Go's encoding/json
 * (400 "invalid request body" when that fails, as for the object form of
 * updated_tags old Quay versions sent), offers docker_url both as an image
 * and as a chart, and every updated tag as a qualifier (a repeated
 * updated_tags replaces the earlier one, as it does in Go). Quay signs nothing
 * and sends no delivery id.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "kw.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

enum { DOCKER_URL };  /* root slots */
enum { UPDATED_TAGS }; /* slices */

static const struct gojson_field body_fields[] = {
	GOJSON_F_STR("docker_url", DOCKER_URL),
	GOJSON_F_STRSLICE("updated_tags", UPDATED_TAGS),
};
static const struct gojson_field body_shape = GOJSON_F_OBJ("", body_fields);

static int push_event(struct event *out, struct event_builder *b,
	const struct gojson_decoder *d)
{
	char *url = event_go_string(d, &d->root[DOCKER_URL]);
	int rc = url ? registry_add_repo(b, url, strlen(url), NULL) : KW_ENOMEM;

	(void)out;
	if (rc == KW_OK)
		rc = event_add_go_list(b, EVENT_REFS, d, UPDATED_TAGS);
	free(url);
	return rc;
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	(void)h;
	return registry_parse(out, &body_shape, push_event, body, len, err);
}

const struct receiver_ops receiver_quay = {
	.name = "quay",
	.secret_key = "secret",
	.unsupported_status = 400,
	.authenticate = auth_none,
	.parse = parse,
};
