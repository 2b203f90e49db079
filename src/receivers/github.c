/*
 * receivers/github.c: the GitHub kind, as Kargo v1.11's
 * pkg/webhook/external/github.go serves it: path segment "github", Secret
 * key "secret", X-Hub-Signature-256 HMAC, the event in X-GitHub-Event.
 *
 *  - push: the repository's clone_url and ssh_url, normalized; the ref;
 *    the changed files of commits[] and head_commit (added, modified,
 *    removed) when fewer than 2048 commits came (GitHub cuts the list
 *    there), for path filters.
 *  - pull_request: "closed" refreshes the Promotions waiting on
 *    pull_request.html_url; other actions answer 200 {}.
 *  - ping: 200 "ping event received, webhook is configured correctly".
 *  - package, registry_package (GHCR): images; see github_package().
 *  - anything else: 400 "event type <X-GitHub-Event> is not supported".
 * Kargo decodes each body with go-github into its event struct; the
 * fields mirrored below are those Kargo reads and the typed fields GitHub
 * sends beside them, so a body Kargo refuses (400 "invalid request body")
 * is refused here. Fields neither read nor typed here (timestamps, nested
 * users) are skipped, where go-github would check them.
 * [beyond] The signature is checked before the event type, only as
 * "sha256=" (go-github also takes "sha1=" and "sha512=" there), and
 * X-GitHub-Delivery recognizes a redelivery.
 */
#include "receiver.h"

#include "event.h"
#include "gojson.h"
#include "headers.h"
#include "kw.h"

#include <string.h>

#define MAX_COMMITS 2048 /* GitHub's cut; Kargo filters paths below it */

enum { REF, CLONE_URL, SSH_URL };      /* push: root slots */
enum { COMMITS, PATHS };               /* push: slices */
enum { ACTION, HTML_URL };             /* pull_request: root slots */

static const struct gojson_field commit_fields[] = {
	GOJSON_F_STR("id", 0), GOJSON_F_STR("tree_id", GOJSON_NO_SLOT),
	GOJSON_F_STR("message", GOJSON_NO_SLOT), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_BOOL("distinct"), GOJSON_F_STR("sha", GOJSON_NO_SLOT),
	GOJSON_F_STRINGS("added", PATHS), GOJSON_F_STRINGS("removed", PATHS),
	GOJSON_F_STRINGS("modified", PATHS),
};
static const struct gojson_field head_commit_fields[] = {
	GOJSON_F_STR("id", GOJSON_NO_SLOT), GOJSON_F_STR("tree_id", GOJSON_NO_SLOT),
	GOJSON_F_STR("message", GOJSON_NO_SLOT), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_BOOL("distinct"), GOJSON_F_STR("sha", GOJSON_NO_SLOT),
	GOJSON_F_STRINGS("added", PATHS), GOJSON_F_STRINGS("removed", PATHS),
	GOJSON_F_STRINGS("modified", PATHS),
};
static const struct gojson_field push_repo_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("node_id", GOJSON_NO_SLOT),
	GOJSON_F_STR("name", GOJSON_NO_SLOT), GOJSON_F_STR("full_name", GOJSON_NO_SLOT),
	GOJSON_F_BOOL("private"), GOJSON_F_BOOL("fork"), GOJSON_F_INT("size"),
	GOJSON_F_INT("stargazers_count"), GOJSON_F_INT("watchers_count"),
	GOJSON_F_INT("forks_count"), GOJSON_F_INT("open_issues_count"),
	GOJSON_F_BOOL("has_issues"), GOJSON_F_BOOL("has_wiki"),
	GOJSON_F_BOOL("has_pages"), GOJSON_F_BOOL("has_downloads"),
	GOJSON_F_BOOL("archived"), GOJSON_F_BOOL("disabled"),
	GOJSON_F_STR("default_branch", GOJSON_NO_SLOT),
	GOJSON_F_STR("master_branch", GOJSON_NO_SLOT),
	GOJSON_F_STR("html_url", GOJSON_NO_SLOT), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_STR("git_url", GOJSON_NO_SLOT), GOJSON_F_STR("svn_url", GOJSON_NO_SLOT),
	GOJSON_F_STR("clone_url", CLONE_URL), GOJSON_F_STR("ssh_url", SSH_URL),
};
static const struct gojson_field push_fields[] = {
	GOJSON_F_STR("ref", REF), GOJSON_F_STR("before", GOJSON_NO_SLOT),
	GOJSON_F_STR("after", GOJSON_NO_SLOT), GOJSON_F_BOOL("created"),
	GOJSON_F_BOOL("deleted"), GOJSON_F_BOOL("forced"),
	GOJSON_F_STR("base_ref", GOJSON_NO_SLOT), GOJSON_F_STR("compare", GOJSON_NO_SLOT),
	GOJSON_F_INT("size"), GOJSON_F_INT("distinct_size"), GOJSON_F_INT("push_id"),
	GOJSON_F_LIST("commits", commit_fields, COMMITS, 1),
	GOJSON_F_OBJ("head_commit", head_commit_fields),
	GOJSON_F_OBJ("repository", push_repo_fields),
};
static const struct gojson_field push_body = GOJSON_F_OBJ("", push_fields);

static const struct gojson_field pull_request_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_INT("number"), GOJSON_F_STR("state", GOJSON_NO_SLOT),
	GOJSON_F_BOOL("locked"), GOJSON_F_STR("title", GOJSON_NO_SLOT),
	GOJSON_F_BOOL("merged"), GOJSON_F_BOOL("draft"), GOJSON_F_INT("comments"),
	GOJSON_F_INT("commits"), GOJSON_F_INT("additions"), GOJSON_F_INT("deletions"),
	GOJSON_F_INT("changed_files"), GOJSON_F_STR("url", GOJSON_NO_SLOT),
	GOJSON_F_STR("html_url", HTML_URL),
};
static const struct gojson_field pr_fields[] = {
	GOJSON_F_STR("action", ACTION), GOJSON_F_INT("number"),
	GOJSON_F_OBJ("pull_request", pull_request_fields),
};
static const struct gojson_field pr_body = GOJSON_F_OBJ("", pr_fields);

static const struct gojson_field hook_fields[] = {
	GOJSON_F_INT("id"), GOJSON_F_STR("type", GOJSON_NO_SLOT),
	GOJSON_F_STR("name", GOJSON_NO_SLOT), GOJSON_F_BOOL("active"),
	GOJSON_F_STRINGS("events", GOJSON_NO_SLOT),
};
static const struct gojson_field ping_fields[] = {
	GOJSON_F_STR("zen", GOJSON_NO_SLOT), GOJSON_F_INT("hook_id"),
	GOJSON_F_OBJ("hook", hook_fields),
};
static const struct gojson_field ping_body = GOJSON_F_OBJ("", ping_fields);

static int push_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	(void)kind;
	return event_add_push(b, d, &d->root[CLONE_URL], &d->root[SSH_URL],
		&d->root[REF], d->slices[COMMITS].len < MAX_COMMITS ? PATHS : -1);
}

static int pr_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	static const char *const closed[] = { "closed", NULL };

	return event_pr_on(b, d, &d->root[ACTION], closed, &d->root[HTML_URL], kind);
}

static int ping_event(struct event_builder *b, const struct gojson_decoder *d,
	enum event_kind *kind)
{
	(void)b;
	(void)d;
	*kind = EVENT_PING;
	return KW_OK;
}

static const struct event_route routes[] = {
	{ "push", &push_body, push_event },
	{ "pull_request", &pr_body, pr_event },
	{ "ping", &ping_body, ping_event },
};

static int parse(struct event *out, const struct header_lookup *h,
	const char *body, size_t len, struct kw_err *err)
{
	const char *type = header_get(h, "X-GitHub-Event");

	if (type != NULL && (strcmp(type, "package") == 0 ||
	    strcmp(type, "registry_package") == 0))
		return github_package(out, type, body, len, err);
	return event_route(out, routes, KW_ARRAY_LEN(routes), type, body, len, err);
}

const struct receiver_ops receiver_github = {
	.name = "github",
	.secret_key = "secret",
	.event_header = "X-GitHub-Event",
	.auth_header = "X-Hub-Signature-256",
	.delivery_headers = { "X-GitHub-Delivery", NULL },
	.ping_msg = "ping event received, webhook is configured correctly",
	.unsupported_status = 400,
	.authenticate = auth_hmac_sha256,
	.parse = parse,
};
