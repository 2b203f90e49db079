/*
 * manifest.h: YAML manifests (files, folders, multi-document streams) into
 * the typed objects of objects.h, with every problem reported with
 * file:line:column and the offending key. All problems are reported, not
 * just the first.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "objects.h"

/* Bounds on input, so no manifest can make the loader run away. */
#define MANIFEST_MAX_FILE_SIZE (16u * 1024 * 1024)
#define MANIFEST_MAX_FILES 10000
#define MANIFEST_MAX_DOCUMENTS 100000 /* per file */
#define MANIFEST_MAX_DEPTH 64         /* nested mappings and lists */
#define MANIFEST_MAX_NODES 100000     /* per document, aliases expanded */
#define MANIFEST_MAX_STRING 65536     /* one name, URL, regex, ... */
#define MANIFEST_MAX_SECRET (1024u * 1024) /* Kubernetes' own Secret limit */
#define MANIFEST_DEFAULT_SYSTEM_NAMESPACE "kargo-system-resources"

/* A new empty set (free with objects_free_set). NULL when out of memory. */
struct obj_set *manifest_set_new(void);

/*
 * Parses one YAML stream buf[0..len) named file into set (pure: no I/O).
 * Kinds other than ProjectConfig, ClusterConfig, Secret, Warehouse and
 * Promotion are skipped. Problems go to dl; an invalid object is not added
 * to set. Returns KW_OK when the stream added no error, KW_EINVAL when it
 * did, KW_ENOMEM.
 * A ClusterConfig's Secrets namespace depends on the process's
 * SYSTEM_RESOURCES_NAMESPACE, which a pure parser does not know: its
 * obj_config.namespace is left "" here and set by manifest_load_ns().
 */
int manifest_parse(struct obj_set *set, struct diag_list *dl,
	const char *file, const char *buf, size_t len);

/*
 * Loads every path (a file, or a folder walked as dirwalk.h says: *.yaml,
 * *.yml and *.json, sorted, recursively; names starting with "." such as
 * the ..data links of a mounted ConfigMap are skipped, and a file reached
 * twice through symbolic links is read once) into a new set. Also checks
 * across objects: ProjectConfig name == namespace, unique receiver names, a
 * missing Secret of a receiver the snapshot does not serve (a warning; the
 * snapshot reports the others'), no receivers at
 * all (a warning); a secret ending in white space is a warning too. The
 * ClusterConfig's Secrets are looked up in
 * MANIFEST_DEFAULT_SYSTEM_NAMESPACE. Returns KW_OK when no error was found,
 * KW_EINVAL when some were (*out is still filled with the valid objects),
 * KW_EIO for an unreadable path (reported in dl), KW_ENOMEM.
 */
int manifest_load(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths);

/* manifest_load() with the namespace where the ClusterConfig's Secrets
 * live (SYSTEM_RESOURCES_NAMESPACE; NULL means the default): the
 * ClusterConfig's obj_config.namespace is set to it before the Secrets of
 * its receivers are looked up. */
int manifest_load_ns(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const char *system_namespace);

struct manifest_options {
	const char *system_namespace; /* NULL: kargo-system-resources */
	bool keep_objects;            /* keep each object's JSON (for `get`) */
};

/* manifest_load_ns() with options: serve keeps no JSON copies. */
int manifest_load_with(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const struct manifest_options *mo);

#endif
