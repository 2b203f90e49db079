/*
 * objects.h: the Kargo and Kubernetes objects the receiver reads, as typed C
 * structs. manifest.c fills them from YAML; snapshot.c indexes them;
 * selector.c compiles a git subscription's selection. Every string is owned
 * by the struct that holds it (malloc'd, NUL-terminated) and freed by
 * objects_free_set(). Positions point into the file named by pos.file,
 * whose string is owned by the enclosing set.
 */
#ifndef OBJECTS_H
#define OBJECTS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

struct obj_pos {
	const char *file; /* borrowed from obj_set.files */
	size_t line;      /* 1-based; 0 when unknown */
	size_t column;    /* 1-based */
};

enum receiver_kind {
	RECEIVER_BITBUCKET = 0,
	RECEIVER_OTHER, /* github, gitlab, ...: every other kind */
};

/* A labelSelector.matchExpressions item (metav1.LabelSelectorRequirement):
 * operator In, NotIn, Exists or DoesNotExist; values are templates. */
struct obj_label_req {
	char *key;
	char *op;
	char **values;
	size_t n_values;
};

/* An indexSelector.matchIndices item: key subscribedURLs or receiverPaths,
 * operator Equals or NotEquals, value a template. */
struct obj_index_req {
	char *key;
	char *op;
	char *value;
};

/* A generic action's targetSelectionCriteria item. Strings are as
 * configured: "" is absent (Go's omitempty). */
struct obj_generic_target {
	char *kind;          /* "Warehouse" (the CRD's only kind) */
	char *name;          /* a template; NULL when absent */
	char **match_labels; /* key, template, key, ...: sorted by key */
	size_t n_match_labels; /* pairs */
	struct obj_label_req *exprs;
	size_t n_exprs;
	struct obj_index_req *indices;
	size_t n_indices;
};

/* One of a generic receiver's actions, kept as configured: its answer
 * echoes it. */
struct obj_generic_action {
	char *action; /* "Refresh" (the CRD's only action) */
	char *when;   /* an expression; NULL when absent */
	char **params; /* key, value, key, ...: sorted by key */
	size_t n_params; /* pairs */
	struct obj_generic_target *targets;
	size_t n_targets;
};

/* A generic receiver's configuration (decode_generic.c). */
struct obj_generic {
	struct obj_generic_action *actions;
	size_t n_actions;
};

struct obj_receiver {
	char *name;
	enum receiver_kind kind;
	char *kind_name;   /* "bitbucket", "github", ... */
	char *secret_name; /* secretRef.name; NULL when absent */
	char *option;      /* artifactory: virtualRepoName; NULL when absent */
	struct obj_generic *generic; /* generic: its actions; NULL otherwise */
	struct obj_pos pos;
};

/* A ProjectConfig, or the ClusterConfig (cluster == true, project ""). */
struct obj_config {
	bool cluster;
	char *project;   /* metadata.name; "" for the ClusterConfig */
	char *namespace; /* where its Secrets live */
	struct obj_receiver *receivers;
	size_t n_receivers;
	struct obj_pos pos;
};

struct obj_secret_value {
	char *key;
	unsigned char *bytes;
	size_t len;
};

struct obj_secret {
	char *namespace;
	char *name;
	/* Raw decoded bytes of key "secret" (data, base64) or stringData. */
	unsigned char *secret;
	size_t secret_len;
	bool has_secret;
	/* Key "previous-secret", for rotation. */
	unsigned char *previous;
	size_t previous_len;
	bool has_previous;
	/* Every other key (secret-token, auth-header, ...), as decoded. */
	struct obj_secret_value *values;
	size_t n_values;
	struct obj_pos pos;
};

enum commit_strategy {
	STRATEGY_NEWEST_FROM_BRANCH = 0,
	STRATEGY_SEMVER,
	STRATEGY_LEXICAL,
	STRATEGY_NEWEST_TAG,
};

enum sub_kind { SUB_GIT = 0, SUB_IMAGE, SUB_CHART };

/* An image subscription's imageSelectionStrategy; Kargo defaults it to
 * SemVer. */
enum image_strategy {
	IMAGE_SEMVER = 0,
	IMAGE_DIGEST,
	IMAGE_LEXICAL,
	IMAGE_NEWEST_BUILD,
};

struct obj_subscription {
	/* The fields every subscription has come first: objects_pack.c keeps
	 * only this head when every field after branch is empty. */
	enum sub_kind kind;
	enum commit_strategy strategy; /* git */
	enum image_strategy image_strategy; /* image */
	bool strict_semvers; /* git and image */
	struct obj_pos pos;
	char *repo_url; /* as written; NULL when absent */
	/* git only: */
	char *branch;   /* NULL when absent */
	/* git and image: */
	char **allow_regexes;
	struct obj_pos *allow_regex_pos; /* one per regex; may be NULL */
	size_t n_allow_regexes;
	char **ignore_regexes;
	struct obj_pos *ignore_regex_pos; /* one per regex; may be NULL */
	size_t n_ignore_regexes;
	char *allow_tags;  /* deprecated; NULL when absent */
	char **ignore_tags; /* deprecated */
	size_t n_ignore_tags;
	/* git and chart: */
	char *semver_constraint; /* NULL when absent */
	/* Where semverConstraint (or an image's constraint) is; line 0 when
	 * not recorded. */
	struct obj_pos constraint_pos;
	/* image only: */
	char *constraint; /* semver constraint, or Digest's tag; NULL when absent */
	char *platform;   /* "os/arch[/variant]"; NULL when absent */
	/* chart only: */
	char *chart_name; /* a classic repository's chart; NULL when absent */
	/* Path filters of push events (Kargo v1.10): "glob:", "regex:" or
	 * "regexp:" patterns, else a base directory. */
	char **include_paths;
	size_t n_include_paths;
	char **exclude_paths;
	size_t n_exclude_paths;
};

struct obj_warehouse {
	char *namespace;
	char *name;
	/* metadata.labels: key, value, key, ..., sorted by key; NULL when
	 * none (generic receivers select by label). */
	char **labels;
	size_t n_labels; /* pairs */
	struct obj_subscription *subs; /* NULL when packed_subs holds them */
	size_t n_subs;
	/* A packed Warehouse's subscriptions, each as long as its fields
	 * need (objects_pack.c); read them with objects_subscription(). */
	const unsigned char *packed_subs;
	struct cJSON *object; /* the whole manifest, for `get`; may be NULL */
	struct obj_pos pos;
};

/* A Promotion; only what pull-request events need. */
struct obj_promotion {
	char *namespace;
	char *name;
	char *phase;   /* status.phase; NULL when absent */
	char **pr_urls; /* pr.url of git-wait-for-pr steps' state */
	size_t n_pr_urls;
	struct cJSON *object; /* may be NULL (see obj_set.without_objects) */
	struct obj_pos pos;
};

struct obj_set {
	/* Set before loading when nobody will print the objects: Warehouses
	 * and Promotions then keep no ->object (NULL), which is most of the
	 * memory a large set takes. */
	bool without_objects;
	/* Set before loading in Kubernetes mode: a receiver that cannot be
	 * decoded is left out (its problems become warnings), not its whole
	 * config. There a ProjectConfig's author is the project's, not the
	 * operator, and the project's other receivers keep serving; in
	 * embedded mode the operator fixes the file (an error). */
	bool receivers_one_by_one;
	char **files; /* every file name a pos points to */
	size_t n_files;
	struct obj_config *configs;
	size_t n_configs;
	struct obj_secret *secrets;
	size_t n_secrets;
	/* Read Warehouse i with objects_warehouse(set, i): a set of shared
	 * objects has warehouse_refs instead of warehouses (NULL then). */
	struct obj_warehouse *warehouses;
	size_t n_warehouses;
	/* Pointers to the shared Warehouses, not copies of them: the
	 * Kubernetes world's snapshots point at its cache's packed Warehouses
	 * (a copy is 88 bytes, 8.8 MB at 100,000 Warehouses; a pointer 8).
	 * NULL in every other set. */
	const struct obj_warehouse **warehouse_refs;
	struct obj_promotion *promotions;
	size_t n_promotions;
	/* Objects of kinds that kargo.akuity.io does not have (a typo such as
	 * "Warehose"): skipped with a warning; the first kind's name kept for
	 * readiness's message. */
	size_t n_unknown_kinds;
	char *unknown_kind;
	/* When set, every object above is a shallow copy of one held by these
	 * shared sets (the Kubernetes world's caches hand the same parsed
	 * objects to each new snapshot): freeing the set drops one reference
	 * to each instead of freeing the objects' strings. */
	struct obj_shared **shared;
	size_t n_shared;
};

/* Warehouse i of set (i < set->n_warehouses), wherever it is held. */
static inline const struct obj_warehouse *objects_warehouse(
	const struct obj_set *set, size_t i)
{
	return set->warehouse_refs != NULL ? set->warehouse_refs[i] :
		&set->warehouses[i];
}

/* A set with a reference count, shared by snapshots; or, packed, one
 * Warehouse without a set around it (100,000 sets would cost 10 MB). 16
 * bytes: 100,000 packed Warehouses carry one each. */
struct obj_shared {
	unsigned long refs; /* atomic: objects_shared_ref/unref */
	/* NULL when packed: the Warehouse follows this header in the same
	 * block (objects_pack_warehouse); read it with
	 * objects_shared_warehouse(). */
	struct obj_set *set;
};

/* Wraps set (taking ownership) with one reference; a set of one
 * Warehouse without JSON is packed (objects_pack_warehouse). NULL when out
 * of memory (set is then freed). */
struct obj_shared *objects_share(struct obj_set *set);

/* A set of one Warehouse without JSON, copied into a single allocation
 * with one reference (free with objects_shared_unref); NULL when set is
 * not such a set or memory ran out. set is left as it was. */
struct obj_shared *objects_pack_warehouse(const struct obj_set *set);

/* A packed shared object's Warehouse; NULL when sh holds a set. */
const struct obj_warehouse *objects_shared_warehouse(const struct obj_shared *sh);

/* Subscription i of w: &w->subs[i], or for a packed Warehouse its copy
 * in *tmp (strings borrowed from w's block). */
const struct obj_subscription *objects_subscription(
	const struct obj_warehouse *w, size_t i, struct obj_subscription *tmp);

/* A set of the objects of v[0..n) (shallow copies; Warehouses pointed
 * at through warehouse_refs), taking v and its references, also on
 * failure: freeing the set drops them. KW_OK or KW_ENOMEM. */
int objects_set_from_shared(struct obj_set **out, struct obj_shared **v, size_t n);

/* What sh holds besides a packed Warehouse: its set, or an empty one. */
const struct obj_set *objects_shared_set(const struct obj_shared *sh);

/* Drops a reference to each of v[0..n), then frees v. */
void objects_shared_unref_all(struct obj_shared **v, size_t n);

/* Another reference (thread-safe). Returns sh. */
struct obj_shared *objects_shared_ref(struct obj_shared *sh);

/* Drops a reference; frees the set on the last one. Accepts NULL. */
void objects_shared_unref(struct obj_shared *sh);

/* Frees everything a set owns, then the set itself. Accepts NULL. */
void objects_free_set(struct obj_set *set);

/* The bytes under key ("secret", "previous-secret"; borrowed) in *value,
 * *len; false when the Secret has no such key. */
bool objects_secret_value(const struct obj_secret *sec, const char *key,
	const unsigned char **value, size_t *len);

/* The value of a Warehouse's label key (borrowed), or NULL. */
const char *objects_warehouse_label(const struct obj_warehouse *w,
	const char *key);

/* Frees a generic receiver's configuration. Accepts NULL. */
void objects_free_generic(struct obj_generic *g);

/* Frees what a receiver holds (not r itself). */
void objects_free_receiver(struct obj_receiver *r);

/* The secret named name in namespace, or NULL. */
const struct obj_secret *objects_find_secret(const struct obj_set *set,
	const char *namespace, const char *name);

#endif
