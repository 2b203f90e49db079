/*
 * event.h: builds a neutral event (receiver.h) from the strings a kind's
 * parser finds: repository URLs, refs, changed paths. As Kargo's
 * refreshWarehouses and collectPaths do, each list is sorted, empty
 * URLs and refs are dropped (not empty paths) and duplicates removed. The event comes out as one
 * allocation. Bounds: past EVENT_MAX_URLS URLs the rest are dropped; past
 * EVENT_MAX_REFS refs, or EVENT_MAX_PATHS paths, the list is emptied,
 * which makes the receiver refresh every subscriber of the repository
 * (refreshing too many is harmless, missing one is not).
 */
#ifndef EVENT_H
#define EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "receiver.h"

struct gojson_decoder;
struct gojson_span;
struct gojson_field;
struct kw_err;

#define EVENT_MAX_URLS 1024
#define EVENT_MAX_REFS 4096
#define EVENT_MAX_PATHS 65536

enum event_list { EVENT_URLS = 0, EVENT_REFS, EVENT_PATHS, EVENT_LISTS };

struct event_strings {
	char **v;
	size_t n, cap;
	bool overflow;
};

struct event_builder {
	struct event_strings lists[EVENT_LISTS];
	char *name; /* the event type named by the body, or NULL */
};

void event_builder_init(struct event_builder *b);

/* Frees what b holds; accepts a builder event_builder_finish emptied. */
void event_builder_free(struct event_builder *b);

/* Adds a copy of s[0..n). KW_OK or KW_ENOMEM. */
int event_add(struct event_builder *b, enum event_list list, const char *s,
	size_t n);

/* Adds the string at span of d's body, as Go holds it. */
int event_add_go(struct event_builder *b, enum event_list list,
	const struct gojson_decoder *d, const struct gojson_span *sp);

/* Adds the git URL at span, normalized as Kargo's urls.NormalizeGit. */
int event_add_git_url(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *sp);

/* Adds every string of d->slices[slice] (GOJSON_STRINGS) to list. */
int event_add_go_list(struct event_builder *b, enum event_list list,
	const struct gojson_decoder *d, int slice);

/* The string at span as Go holds it, in a new C string (free()). */
char *event_go_string(const struct gojson_decoder *d,
	const struct gojson_span *sp);

/* Whether the string at span equals word once decoded. */
bool event_go_equal(const struct gojson_decoder *d,
	const struct gojson_span *sp, const char *word);

/* A pull request event: EVENT_PR with the URL at url when the action at
 * action is one of actions (NULL-terminated), else EVENT_IGNORED. */
int event_pr_on(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *action, const char *const *actions,
	const struct gojson_span *url, enum event_kind *kind);

/*
 * A git push as GitHub, Gitea and GitLab send it: the repository's URLs at
 * http_url and ssh_url (each as event_add_git_url), the ref at ref, and
 * every path of d->slices[paths], unless paths is -1. Pass -1 when the
 * sender cut the commit list: without paths the push refreshes every
 * subscriber of the repository, whatever its path filters.
 */
int event_add_push(struct event_builder *b, const struct gojson_decoder *d,
	const struct gojson_span *http_url, const struct gojson_span *ssh_url,
	const struct gojson_span *ref, int paths);

/* Whether d->slices[commits] holds every commit of the push: the count at
 * total (Gitea's and GitLab's total_commits) is not above its length. */
bool event_commits_whole(const struct gojson_decoder *d,
	const struct gojson_span *total, int commits);

/* The integer at span (a GOJSON_INT the decoder checked); 0 when absent. */
long long event_go_int(const struct gojson_decoder *d,
	const struct gojson_span *sp);

/* Reads what a decoded body asks for into b; sets *kind (EVENT_PUSH when
 * left alone). KW_EUNSUPPORTED with b->name set refuses the event. */
typedef int (*event_extract_fn)(struct event_builder *b,
	const struct gojson_decoder *d, enum event_kind *kind);

/*
 * The frame of every kind's parse: decodes body as the struct shape
 * describes (Go's rules, gojson.h), then lets extract read it, then fills
 * out. Returns what receiver_ops.parse returns; a refused event keeps its
 * name in out->name.
 */
int event_decode(struct event *out, const struct gojson_field *shape,
	event_extract_fn extract, const char *body, size_t len,
	struct kw_err *err);

/* One event type a kind serves: its body's shape and what to read. */
struct event_route {
	const char *type;
	const struct gojson_field *shape;
	event_extract_fn extract;
};

/* event_decode() with the route for type (NULL: ""), or KW_EUNSUPPORTED
 * (REFUSE_EVENT) when no route has it. */
int event_route(struct event *out, const struct event_route *routes,
	size_t n_routes, const char *type, const char *body, size_t len,
	struct kw_err *err);

/* Fills out (kind, lists, name) from b and empties b. KW_OK or
 * KW_ENOMEM (b is then still freed by event_builder_free). */
int event_builder_finish(struct event *out, struct event_builder *b,
	enum event_kind kind);

#endif
