/*
 * receivers/azure.c: the Azure kind, as Kargo v1.11's
 * pkg/webhook/external/azure.go serves it: path segment "azure", Secret
 * key "secret", no authentication (the URL is the secret). The sender is
 * told apart by User-Agent:
 *  - "VSServices..." (Azure DevOps service hooks), body eventType:
 *    git.push refreshes Warehouses by resource.repository.remoteUrl
 *    (normalized) and resource.refUpdates[].name; git.pullrequest.merged,
 *    and git.pullrequest.updated with resource.status "abandoned", refresh
 *    the Promotions waiting on resource._links.web.href (other updates
 *    answer 200 {}); any other eventType is 400 "event type <eventType>
 *    is not supported". No path filters (the payload lists no files).
 *  - "AzureContainerRegistry..." (ACR), body action: push refreshes the
 *    Warehouses subscribed to <request.host>/<target.repository> (as an
 *    image, a chart or both by target.mediaType) whose selection takes
 *    target.tag; ping answers 200 "ping event received, webhook is
 *    configured correctly"; any other action is 400 "event type <action> is
 *    not supported".
 *  - anything else: 400 "request does not appear to have originated from
 *    a supported service".
 * The body is decoded first (400 "invalid request body"), then the event
 * type is looked at, as Kargo does; the structs are Kargo's, mirrored.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EVENT_TYPE, STATUS, WEB_HREF, REMOTE_URL }; /* DevOps: root slots */
enum { REF_UPDATES };                               /* DevOps: slices */
enum { ACR_ACTION, ACR_MEDIA_TYPE, ACR_REPOSITORY, ACR_TAG, ACR_HOST }; /* ACR: root slots */

static const struct gojson_field href_fields[] = { GOJSON_F_STR("href", WEB_HREF) };
static const struct gojson_field links_fields[] = { GOJSON_F_OBJ("web", href_fields) };
static const struct gojson_field ref_update_fields[] = { GOJSON_F_STR("name", 0) };
static const struct gojson_field repository_fields[] = {
	GOJSON_F_STR("remoteUrl", REMOTE_URL),
};
static const struct gojson_field resource_fields[] = {
	GOJSON_F_INT("pullRequestId"), GOJSON_F_STR("status", STATUS),
	GOJSON_F_OBJ("_links", links_fields),
	GOJSON_F_LIST("refUpdates", ref_update_fields, REF_UPDATES, 1),
	GOJSON_F_OBJ("repository", repository_fields),
};
static const struct gojson_field devops_fields[] = {
	GOJSON_F_STR("eventType", EVENT_TYPE), GOJSON_F_OBJ("resource", resource_fields),
};
static const struct gojson_field devops_body = GOJSON_F_OBJ("", devops_fields);

static const struct gojson_field acr_target_fields[] = {
	GOJSON_F_STR("mediaType", ACR_MEDIA_TYPE), GOJSON_F_STR("repository", ACR_REPOSITORY),
	GOJSON_F_STR("tag", ACR_TAG),
};
static const struct gojson_field acr_request_fields[] = {
	GOJSON_F_STR("host", ACR_HOST),
};
static const struct gojson_field acr_fields[] = {
	GOJSON_F_STR("action", ACR_ACTION), GOJSON_F_OBJ("target", acr_target_fields),
	GOJSON_F_OBJ("request", acr_request_fields),
};
static const struct gojson_field acr_body = GOJSON_F_OBJ("", acr_fields);

static int devops_push(struct event_builder *b, const struct gojson_decoder *d)
{
	const struct gojson_slice *refs = &d->slices[REF_UPDATES];
	int rc = event_add_git_url(b, d, &d->root[REMOTE_URL]);

	for (size_t i = 0; rc == KW_OK && i < refs->len; i++)
		rc = event_add_go(b, EVENT_REFS, d, &refs->elems[i]);
	return rc;
}

/* The event the body's eventType asks for; KW_EUNSUPPORTED for another. */
static int devops_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	const struct gojson_span *type = &d->root[EVENT_TYPE];

	/* The event type names the delivery in the log, and in a refusal. */
	if ((b->name = event_go_string(d, type)) == NULL)
		return KW_ENOMEM;
	if (event_go_equal(d, type, "git.push")) {
		*kind = EVENT_PUSH;
		return devops_push(b, d);
	}
	if (event_go_equal(d, type, "git.pullrequest.merged") ||
	    (event_go_equal(d, type, "git.pullrequest.updated") &&
	     event_go_equal(d, &d->root[STATUS], "abandoned"))) {
		*kind = EVENT_PR;
		return event_add_go(b, EVENT_URLS, d, &d->root[WEB_HREF]);
	}
	*kind = EVENT_IGNORED;
	return event_go_equal(d, type, "git.pullrequest.updated") ? KW_OK :
		KW_EUNSUPPORTED;
}

/* ACR's push: "<request.host>/<target.repository>" as an image, a chart
 * or both by target.mediaType (registry.h), and target.tag. */
static int acr_push(struct event_builder *b, const struct gojson_decoder *d)
{
	char *host = event_go_string(d, &d->root[ACR_HOST]);
	char *repo = event_go_string(d, &d->root[ACR_REPOSITORY]);
	char *media = event_go_string(d, &d->root[ACR_MEDIA_TYPE]);
	size_t n = host && repo ? strlen(host) + strlen(repo) + 2 : 0;
	char *url = n ? malloc(n) : NULL;
	int rc = url && media ? KW_OK : KW_ENOMEM;

	if (rc == KW_OK) {
		snprintf(url, n, "%s/%s", host, repo);
		rc = registry_add_repo(b, url, strlen(url), media);
	}
	if (rc == KW_OK)
		rc = event_add_go(b, EVENT_REFS, d, &d->root[ACR_TAG]);
	free(url);
	free(media);
	free(repo);
	free(host);
	return rc;
}

/* ACR: "ping" answers the ping message; "push" refreshes the image's (or
 * chart's) subscribers; any other action is 400 "event type <action> is
 * not supported". */
static int acr_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	const struct gojson_span *action = &d->root[ACR_ACTION];

	/* The action names the delivery in the log, whatever it is. */
	if ((b->name = event_go_string(d, action)) == NULL)
		return KW_ENOMEM;
	*kind = EVENT_PUSH;
	if (event_go_equal(d, action, "push"))
		return acr_push(b, d);
	if (!event_go_equal(d, action, "ping"))
		return KW_EUNSUPPORTED;
	*kind = EVENT_PING;
	return KW_OK;
}

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	const char *ua = header_get(h, "User-Agent");

	if (ua != NULL && strncmp(ua, "VSServices", 10) == 0)
		return event_decode(out, &devops_body, devops_event, body, len, err);
	if (ua != NULL && strncmp(ua, "AzureContainerRegistry", 22) == 0)
		return event_decode(out, &acr_body, acr_event, body, len, err);
	out->refusal = REFUSE_SOURCE;
	return KW_EUNSUPPORTED;
}

const struct receiver_ops receiver_azure = {
	.name = "azure",
	.secret_key = "secret",
	.delivery_headers = { NULL },
	.ping_msg = "ping event received, webhook is configured correctly",
	.unsupported_status = 400,
	.authenticate = auth_none,
	.parse = parse,
};
