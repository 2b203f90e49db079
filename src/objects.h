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
	RECEIVER_OTHER, /* github, gitlab, ...: loaded and listed, not served */
};

struct obj_receiver {
	char *name;
	enum receiver_kind kind;
	char *kind_name;   /* "bitbucket", "github", ... */
	char *secret_name; /* secretRef.name; NULL when absent */
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
	struct obj_pos pos;
};

enum commit_strategy {
	STRATEGY_NEWEST_FROM_BRANCH = 0,
	STRATEGY_SEMVER,
	STRATEGY_LEXICAL,
	STRATEGY_NEWEST_TAG,
};

enum sub_kind { SUB_GIT = 0, SUB_IMAGE, SUB_CHART };

struct obj_subscription {
	enum sub_kind kind;
	char *repo_url; /* as written; NULL when absent */
	/* git only: */
	char *branch;   /* NULL when absent */
	enum commit_strategy strategy;
	char **allow_regexes;
	struct obj_pos *allow_regex_pos; /* one per regex; may be NULL */
	size_t n_allow_regexes;
	char **ignore_regexes;
	struct obj_pos *ignore_regex_pos; /* one per regex; may be NULL */
	size_t n_ignore_regexes;
	char *semver_constraint; /* NULL when absent */
	struct obj_pos constraint_pos; /* line 0 when not recorded */
	bool strict_semvers;
	char *allow_tags;  /* deprecated; NULL when absent */
	char **ignore_tags; /* deprecated */
	size_t n_ignore_tags;
	struct obj_pos pos;
};

struct obj_warehouse {
	char *namespace;
	char *name;
	struct obj_subscription *subs;
	size_t n_subs;
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
	char **files; /* every file name a pos points to */
	size_t n_files;
	struct obj_config *configs;
	size_t n_configs;
	struct obj_secret *secrets;
	size_t n_secrets;
	struct obj_warehouse *warehouses;
	size_t n_warehouses;
	struct obj_promotion *promotions;
	size_t n_promotions;
	/* Objects of kinds that kargo.akuity.io does not have (a typo such as
	 * "Warehose"): skipped with a warning; the first kind's name kept for
	 * readiness's message. */
	size_t n_unknown_kinds;
	char *unknown_kind;
};

/* Frees everything a set owns, then the set itself. Accepts NULL. */
void objects_free_set(struct obj_set *set);

/* Whether the snapshot serves receivers of r's kind (Bitbucket's). The
 * snapshot reports a served receiver's missing Secret or key; the loader
 * reports only the others', so each problem is reported once. */
bool objects_receiver_served(const struct obj_receiver *r);

/* The secret named name in namespace, or NULL. */
const struct obj_secret *objects_find_secret(const struct obj_set *set,
	const char *namespace, const char *name);

#endif
