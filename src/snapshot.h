/*
 * snapshot.h: everything a request reads, built once from the objects and
 * never mutated afterwards: receivers keyed by path (with secret and scope),
 * git, image and chart subscriptions keyed by normalized repository URL (so
 * matching never scans), compiled selectors, Running Promotions keyed by pull request URL.
 * A snapshot is reference-counted: a reload swaps in a new one and the old
 * one is freed when the last request lets go of it.
 */
#ifndef SNAPSHOT_H
#define SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "objects.h"

struct diag_list;
struct receiver_ops;

struct snap_receiver {
	const struct receiver_ops *ops; /* its kind */
	const char *project;   /* "" for the ClusterConfig; borrowed */
	const char *name;      /* borrowed */
	const char *namespace; /* where its Secret lives; borrowed */
	const char *secret_name;
	const char *option;    /* the kind's option (artifactory's
	                          virtualRepoName); borrowed, NULL when none */
	/* generic: its actions (borrowed); NULL for the other kinds */
	const struct obj_generic *generic;
	bool cluster;          /* refreshes Warehouses in every namespace */
	bool previous;         /* served with the Secret's previous-secret */
	char *path;            /* owned */
	char *alt_path;        /* owned; path without the base path, or NULL */
	char *url;             /* owned */
	unsigned char *secret; /* owned, the value of ops->secret_key; wiped */
	size_t secret_len;
};

struct snapshot;

struct snapshot_options {
	const char *base_url;         /* EXTERNAL_WEBHOOK_SERVER_BASE_URL */
	const char *system_namespace; /* SYSTEM_RESOURCES_NAMESPACE */
};

struct snapshot;

/*
 * Builds a snapshot that takes ownership of objs (also on failure).
 * Receivers whose Secret or key is missing are left out (their URL answers
 * 404: deleting a Secret revokes it) and reported in dl as warnings with
 * key "secretRef", naming the receiver, the Secret and the reason. A git
 * subscription whose selection cannot be built (a bad regex or constraint,
 * a deprecated field on a tag strategy) is an error: every one is reported
 * in dl and no snapshot is built (KW_EINVAL), so `serve` does not start on
 * it and a reload with it is rejected; a Warehouse is never served broken,
 * so it can never cost another Warehouse of the same push its refresh.
 * Returns KW_OK with *out holding one reference, KW_EINVAL for a bad base
 * URL or a broken selection, KW_ENOMEM.
 */
int snapshot_new(struct snapshot **out, struct obj_set *objs,
	const struct snapshot_options *opts, struct diag_list *dl);

/*
 * snapshot_new() for the Kubernetes world: a subscription whose selection
 * cannot be built is reported in dl all the same but left out (it never
 * matches) instead of refusing the snapshot, and named by
 * snapshot_warnings_text(). In a cluster its author is not the operator,
 * and the snapshot it would freeze is nobody's choice (a deleted Secret
 * would stay valid). KW_OK, KW_EINVAL for a bad base URL, KW_ENOMEM.
 */
int snapshot_new_serving_broken(struct snapshot **out, struct obj_set *objs,
	const struct snapshot_options *opts, struct diag_list *dl);

/* How many receivers are not served because their Secret or key is
 * missing. */
size_t snapshot_unserved(const struct snapshot *s);

/* What readiness reports about a snapshot that serves despite warnings,
 * into buf ("" when there are none): receivers left out (missing Secret or
 * key), no receivers at all, objects of unknown kargo.akuity.io kinds
 * skipped. The log has each warning with its position. */
void snapshot_warnings_text(const struct snapshot *s, char *buf, size_t len);

/* Takes another reference (thread-safe). Returns s. */
struct snapshot *snapshot_ref(struct snapshot *s);

/* Drops a reference; frees on the last one. Accepts NULL. */
void snapshot_unref(struct snapshot *s);

/* The objects the snapshot was built from (borrowed). */
const struct obj_set *snapshot_objects(const struct snapshot *s);

/* The receivers, sorted by project then name. */
const struct snap_receiver *snapshot_receivers(const struct snapshot *s,
	size_t *n);

/* The receiver served at path, or NULL. Matches the full path, and the
 * same path without the base URL's path prefix. */
const struct snap_receiver *snapshot_find_receiver(const struct snapshot *s,
	const char *path);

/*
 * The Warehouses the receiver r refreshes for a push to any of urls
 * (normalized), as Kargo's refreshWarehouses and shouldRefresh decide:
 * Warehouse indexes of snapshot_objects(s) (read each with
 * objects_warehouse()), sorted and unique, in a new array *out (free()). A
 * Warehouse is found by any subscription whose
 * normalized URL equals one of urls (git, image and chart alike); with
 * qualifiers (refs) it is chosen when one of those subscriptions selects
 * one of them (a git ref such as "refs/heads/main", an image tag, a chart
 * version) and, when the push lists changed paths, its includePaths/
 * excludePaths let one through (Kargo's MatchesPaths); with none every
 * Warehouse found by URL is chosen. Returns KW_OK, KW_EINVAL when a
 * subscription consulted could not build its selection, KW_ENOMEM.
 */
struct snapshot_push {
	char *const *urls; /* normalized repository URLs */
	size_t n_urls;
	char *const *refs; /* full refs */
	size_t n_refs;
	char *const *paths; /* changed files; none: no path filtering */
	size_t n_paths;
};

int snapshot_match_warehouses(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct snapshot_push *push);

/* Told, for each Warehouse subscribed to a pushed URL, whether it was
 * chosen and why (a fixed English sentence), with the ref that chose it
 * (or NULL): what --log-level debug shows when a push "refreshed 0". */
struct snapshot_trace {
	void (*fn)(void *arg, const char *namespace, const char *name,
		const char *url, bool chosen, const char *why, const char *ref);
	void *arg;
};

/* snapshot_match_warehouses, telling trace (may be NULL) about every
 * candidate. */
int snapshot_match_warehouses_traced(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct snapshot_push *push, const struct snapshot_trace *trace);

/* The Running Promotions in r's scope waiting on the pull request url:
 * indexes into snapshot_objects(s)->promotions. KW_OK or KW_ENOMEM. */
int snapshot_match_promotions(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const char *url);

#endif
