/*
 * receivers/dockerhub.c: the Docker Hub kind, as Kargo v1.11's
 * pkg/webhook/external/dockerhub.go serves it: path segment "dockerhub",
 * Secret key "secret" (it only makes the URL unguessable), no
 * authentication, no event type: every body is a push. Kargo decodes
 * push_data.tag, push_data.media_type and repository.repo_name with Go's
 * encoding/json (400 "invalid request body" when that fails), offers the
 * repository as an image, a chart or both by media type (registry.h) and
 * the tag as the one qualifier (none when empty: every subscriber is
 * refreshed). Docker Hub signs nothing and sends no delivery id.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "kw.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

enum { TAG, MEDIA_TYPE, REPO_NAME };

static const struct gojson_field push_data_fields[] = {
	GOJSON_F_STR("media_type", MEDIA_TYPE), GOJSON_F_STR("tag", TAG),
};
static const struct gojson_field repository_fields[] = {
	GOJSON_F_STR("repo_name", REPO_NAME),
};
static const struct gojson_field body_fields[] = {
	GOJSON_F_OBJ("push_data", push_data_fields),
	GOJSON_F_OBJ("repository", repository_fields),
};
static const struct gojson_field body_shape = GOJSON_F_OBJ("", body_fields);

static int push_event(struct event *out, struct event_builder *b,
	const struct gojson_decoder *d)
{
	char *repo = event_go_string(d, &d->root[REPO_NAME]);
	char *media = event_go_string(d, &d->root[MEDIA_TYPE]);
	int rc = repo && media ? KW_OK : KW_ENOMEM;

	(void)out;
	if (rc == KW_OK)
		rc = registry_add_repo(b, repo, strlen(repo), media);
	if (rc == KW_OK)
		rc = event_add_go(b, EVENT_REFS, d, &d->root[TAG]);
	free(repo);
	free(media);
	return rc;
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	(void)h;
	return registry_parse(out, &body_shape, push_event, body, len, err);
}

const struct receiver_ops receiver_dockerhub = {
	.name = "dockerhub",
	.secret_key = "secret",
	.unsupported_status = 400,
	.authenticate = auth_none,
	.parse = parse,
};
