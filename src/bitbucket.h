/*
 * bitbucket.h: a Bitbucket webhook payload (Cloud or Server/Data Center)
 * turned into what the receiver acts on: the repository URLs (normalized)
 * and the pushed refs, or the pull request's URL (contract §4.6-4.8).
 * Pure: no I/O, no globals.
 */
#ifndef BITBUCKET_H
#define BITBUCKET_H

#include <stdbool.h>
#include <stddef.h>

struct kw_err;

enum bitbucket_kind {
	BITBUCKET_PUSH = 0, /* repo:push, repo:refs_changed: refresh Warehouses */
	BITBUCKET_PR,       /* pull request events: refresh Promotions */
};

struct bitbucket_event {
	enum bitbucket_kind kind;
	/* PUSH: normalized repository URLs (deduplicated), in payload order.
	 * PR: the pull request's URL as given, at most one. */
	char **urls;
	size_t n_urls;
	/* PUSH: full refs ("refs/heads/x", "refs/tags/y"), deduplicated. */
	char **refs;
	size_t n_refs;
};

/* Whether key is one of the six supported X-Event-Key values. */
bool bitbucket_event_supported(const char *key);

/*
 * Parses body[0..len) for the event key. Returns KW_OK and *out (free with
 * bitbucket_event_free), KW_EUNSUPPORTED for an unsupported key, KW_EINVAL
 * (with err) for a body that is not JSON of the event's shape, KW_ENOMEM.
 * JSON null is an empty event (no URLs, no refs).
 */
int bitbucket_parse(struct bitbucket_event **out, const char *event_key,
	const char *body, size_t len, struct kw_err *err);

/* Accepts NULL. */
void bitbucket_event_free(struct bitbucket_event *ev);

#endif
