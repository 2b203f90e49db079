/*
 * receivers/gitlab.c: the GitLab kind, as Kargo v1.11's
 * pkg/webhook/external/gitlab.go serves it: path segment "gitlab", Secret
 * key "secret-token", X-Gitlab-Token equal to it (else 401 {}, checked
 * before the event type), the event in X-Gitlab-Event.
 *
 *  - "Push Hook": repository.git_http_url and git_ssh_url, normalized;
 *    the ref; the changed files of commits[] unless GitLab cut the list
 *    (total_commits_count above the commits sent), for path filters.
 *  - "Tag Push Hook": the same URLs and the tag's ref; no path filters.
 *  - "Merge Request Hook": object_attributes.action "close" or "merge"
 *    refreshes the Promotions waiting on object_attributes.url; other
 *    actions answer 200 {}.
 *  - anything else: 400 "event type <X-Gitlab-Event> is not supported".
 * Kargo decodes with GitLab's client-go (json.Unmarshal into PushEvent,
 * TagEvent, MergeEvent); the fields mirrored below are those it reads and
 * the typed ones GitLab sends beside them. Timestamps are not checked.
 * [beyond] Idempotency-Key (GitLab 17.4+, the same on every retry), else
 * X-Gitlab-Event-UUID, recognizes a retried delivery.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"

#include <string.h>

enum { REF, HTTP_URL, SSH_URL, TOTAL };     /* push: root slots */
enum { COMMITS, PATHS };                    /* push: slices */
enum { ACTION, MR_URL };                    /* merge request: root slots */

static const struct gojson_field author_fields[] = {
	GOJSON_F_STR("name", GOJSON_NO_SLOT), GOJSON_F_STR("email", GOJSON_NO_SLOT),
};
static const struct gojson_field commit_fields[] = {
	GOJSON_F_STR("id", 0), GOJSON_F_STR("message", GOJSON_NO_SLOT),
	GOJSON_F_STR("title", GOJSON_NO_SLOT), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_OBJ("author", author_fields),
	GOJSON_F_STRINGS("added", PATHS), GOJSON_F_STRINGS("modified", PATHS),
	GOJSON_F_STRINGS("removed", PATHS),
};
static const struct gojson_field repository_fields[] = {
	GOJSON_F_STR("name", GOJSON_NO_SLOT), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_STR("description", GOJSON_NO_SLOT),
	GOJSON_F_STR("homepage", GOJSON_NO_SLOT),
	GOJSON_F_STR("git_http_url", HTTP_URL), GOJSON_F_STR("git_ssh_url", SSH_URL),
};
static const struct gojson_field project_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("name", GOJSON_NO_SLOT),
	GOJSON_F_STR("web_url", GOJSON_NO_SLOT),
	GOJSON_F_STR("git_ssh_url", GOJSON_NO_SLOT),
	GOJSON_F_STR("git_http_url", GOJSON_NO_SLOT),
	GOJSON_F_STR("namespace", GOJSON_NO_SLOT),
	GOJSON_F_STR("path_with_namespace", GOJSON_NO_SLOT),
	GOJSON_F_STR("default_branch", GOJSON_NO_SLOT),
};
static const struct gojson_field push_fields[] = {
	GOJSON_F_STR("object_kind", GOJSON_NO_SLOT),
	GOJSON_F_STR("event_name", GOJSON_NO_SLOT),
	GOJSON_F_STR("before", GOJSON_NO_SLOT), GOJSON_F_STR("after", GOJSON_NO_SLOT),
	GOJSON_F_STR("ref", REF), GOJSON_F_BOOL("ref_protected"),
	GOJSON_F_STR("checkout_sha", GOJSON_NO_SLOT), GOJSON_F_INT("user_id"),
	GOJSON_F_STR("user_name", GOJSON_NO_SLOT),
	GOJSON_F_STR("user_username", GOJSON_NO_SLOT),
	GOJSON_F_STR("user_email", GOJSON_NO_SLOT), GOJSON_F_INT("project_id"),
	GOJSON_F_OBJ("project", project_fields),
	GOJSON_F_OBJ("repository", repository_fields),
	GOJSON_F_LIST("commits", commit_fields, COMMITS, 1),
	GOJSON_F_INT_AT("total_commits_count", TOTAL),
};
static const struct gojson_field push_body = GOJSON_F_OBJ("", push_fields);

static const struct gojson_field mr_attr_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_INT("iid"),
	GOJSON_F_STR("target_branch", GOJSON_NO_SLOT),
	GOJSON_F_STR("source_branch", GOJSON_NO_SLOT),
	GOJSON_F_INT("source_project_id"), GOJSON_F_INT("target_project_id"),
	GOJSON_F_INT("author_id"), GOJSON_F_STR("title", GOJSON_NO_SLOT),
	GOJSON_F_STR("state", GOJSON_NO_SLOT),
	GOJSON_F_STR("merge_status", GOJSON_NO_SLOT),
	GOJSON_F_STR("url", MR_URL), GOJSON_F_STR("action", ACTION),
};
static const struct gojson_field user_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("name", GOJSON_NO_SLOT),
	GOJSON_F_STR("username", GOJSON_NO_SLOT),
};
static const struct gojson_field mr_fields[] = {
	GOJSON_F_STR("object_kind", GOJSON_NO_SLOT),
	GOJSON_F_STR("event_type", GOJSON_NO_SLOT), GOJSON_F_OBJ("user", user_fields),
	GOJSON_F_OBJ("project", project_fields),
	GOJSON_F_OBJ("object_attributes", mr_attr_fields),
};
static const struct gojson_field mr_body = GOJSON_F_OBJ("", mr_fields);

static int push_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	bool whole = event_commits_whole(d, &d->root[TOTAL], COMMITS);

	(void)kind;
	return event_add_push(b, d, &d->root[HTTP_URL], &d->root[SSH_URL],
		&d->root[REF], whole ? PATHS : -1);
}

/* A tag push names no paths: every subscriber of the repository refreshes. */
static int tag_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	(void)kind;
	return event_add_push(b, d, &d->root[HTTP_URL], &d->root[SSH_URL],
		&d->root[REF], -1);
}

static int mr_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	static const char *const done[] = { "close", "merge", NULL };

	return event_pr_on(b, d, &d->root[ACTION], done, &d->root[MR_URL], kind);
}

static const struct event_route routes[] = {
	{ "Push Hook", &push_body, push_event },
	{ "Tag Push Hook", &push_body, tag_event },
	{ "Merge Request Hook", &mr_body, mr_event },
};

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	return event_route(out, routes, KW_ARRAY_LEN(routes),
		header_get(h, "X-Gitlab-Event"), body, len, err);
}

const struct receiver_ops receiver_gitlab = {
	.name = "gitlab",
	.secret_key = "secret-token",
	.event_header = "X-Gitlab-Event",
	.auth_header = "X-Gitlab-Token",
	.delivery_headers = { "Idempotency-Key", "X-Gitlab-Event-UUID", NULL },
	.unsupported_status = 400,
	.authenticate = auth_token,
	.parse = parse,
};
