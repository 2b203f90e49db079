/*
 * receivers/gitea.c: the Gitea kind, as Kargo v1.11's
 * pkg/webhook/external/gitea.go serves it: path segment "gitea", Secret
 * key "secret", X-Hub-Signature-256 HMAC, the event in X-Gitea-Event.
 *
 *  - push: repository.clone_url, normalized; the ref; the changed files
 *    of commits[] unless Gitea cut the list (total_commits above the
 *    commits sent), for path filters.
 *  - pull_request: "closed" refreshes the Promotions waiting on
 *    pull_request.html_url; other actions answer 200 {}.
 *  - anything else: 501 "event type <X-Gitea-Event> is not supported".
 * Kargo decodes with encoding/json into small structs of its own, mirrored
 * below field for field, so 400 "invalid request body" comes exactly when
 * Kargo's would.
 * [beyond] The signature is checked before the event type (Kargo answers
 * an unsigned request for another event 501), X-Gitea-Delivery
 * recognizes a redelivery, and repository.ssh_url (not in Kargo's struct:
 * read when it is a string, else ignored) also finds the Warehouses
 * subscribed with the SSH form, which Kargo never refreshes from Gitea.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"

#include <string.h>

enum { REF, CLONE_URL, TOTAL, SSH_URL };  /* push: root slots */
enum { COMMITS, PATHS };         /* push: slices */
enum { ACTION, HTML_URL };       /* pull_request: root slots */

static const struct gojson_field commit_fields[] = {
	GOJSON_F_STRINGS("added", PATHS), GOJSON_F_STRINGS("modified", PATHS),
	GOJSON_F_STRINGS("removed", PATHS),
};
static const struct gojson_field repo_fields[] = {
	GOJSON_F_STR("clone_url", CLONE_URL),
	{ "ssh_url", GOJSON_ANY_STRING, NULL, 0, SSH_URL, 0 }, /* [beyond] */
};
static const struct gojson_field push_fields[] = {
	GOJSON_F_STR("ref", REF), GOJSON_F_OBJ("repository", repo_fields),
	GOJSON_F_LIST("commits", commit_fields, COMMITS, 1),
	GOJSON_F_INT_AT("total_commits", TOTAL),
};
static const struct gojson_field push_body = GOJSON_F_OBJ("", push_fields);

static const struct gojson_field pull_request_fields[] = {
	GOJSON_F_STR("html_url", HTML_URL),
};
static const struct gojson_field pr_fields[] = {
	GOJSON_F_STR("action", ACTION), GOJSON_F_OBJ("pull_request", pull_request_fields),
};
static const struct gojson_field pr_body = GOJSON_F_OBJ("", pr_fields);

static int push_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	bool whole = event_commits_whole(d, &d->root[TOTAL], COMMITS);

	(void)kind;
	return event_add_push(b, d, &d->root[CLONE_URL], &d->root[SSH_URL],
		&d->root[REF], whole ? PATHS : -1);
}

static int pr_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	static const char *const closed[] = { "closed", NULL };

	return event_pr_on(b, d, &d->root[ACTION], closed, &d->root[HTML_URL], kind);
}

static const struct event_route routes[] = {
	{ "push", &push_body, push_event },
	{ "pull_request", &pr_body, pr_event },
};

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	return event_route(out, routes, KW_ARRAY_LEN(routes),
		header_get(h, "X-Gitea-Event"), body, len, err);
}

const struct receiver_ops receiver_gitea = {
	.name = "gitea",
	.secret_key = "secret",
	.event_header = "X-Gitea-Event",
	.auth_header = "X-Hub-Signature-256",
	.delivery_headers = { "X-Gitea-Delivery", NULL },
	.unsupported_status = 501,
	.authenticate = auth_hmac_sha256,
	.parse = parse,
};
