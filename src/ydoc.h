/*
 * ydoc.h: one YAML document of a manifest stream being read, shared by the
 * modules that read it (kjson.c converts it to JSON, yread.c reads typed
 * fields, decode.c decodes objects): its libyaml node tree, the key path
 * being read, how problems are reported at a node's position, the budget
 * that bounds every walk through aliases, and scalars typed with their
 * explicit tags (yaml11.h types the untagged ones).
 */
#ifndef YDOC_H
#define YDOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "diag.h"
#include "keypath.h"
#include "objects.h"
#include "manifest.h"
#include "yaml11.h"

struct ydoc {
	struct obj_set *set;
	struct diag_list *dl;
	const char *file; /* owned by set->files */
	yaml_document_t *ydoc;
	const size_t *tagged; /* sorted start indexes of plain scalars tagged !!str or ! */
	size_t n_tagged;
	struct keypath kp;
	size_t budget_nodes; /* nodes that conversions and lookups may visit */
	size_t budget_bytes; /* and bytes that conversions may copy */
	bool exhausted;      /* the budget ran out (reported once) */
	unsigned lists;      /* Lists being decoded, one inside the other */
	size_t errors;       /* d->dl->n_errors before the current object */
	bool oom;
};

#define YDOC_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Report at node n (or mark m) under the current key path. Out of memory
 * sets d->oom. */
void ydoc_error(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
	YDOC_PRINTF(3, 4);
void ydoc_warning(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
	YDOC_PRINTF(3, 4);
void ydoc_error_mark(struct ydoc *d, yaml_mark_t m, const char *fmt, ...)
	YDOC_PRINTF(3, 4);

/* Where n is, for an object's pos. */
struct obj_pos ydoc_pos(const struct ydoc *d, const yaml_node_t *n);

/*
 * Spends from the document's budget. libyaml shares an aliased node, so a
 * walk through aliases (converting, following << merges, reading List
 * items) may visit far more nodes than the document has; every such walk
 * pays here, and stops when the budget is gone (reported once at n).
 */
bool ydoc_spend(struct ydoc *d, const yaml_node_t *n, size_t nodes, size_t bytes);

const yaml_node_t *ydoc_node(const struct ydoc *d, int index);
size_t ydoc_n_pairs(const yaml_node_t *m);
size_t ydoc_list_len(const yaml_node_t *n);

/* Types scalar node n; false when an explicit tag such as !!int does not
 * fit its text. Other tags (custom, !!binary, !!timestamp) leave the text,
 * as go-yaml v2 does when decoding into an interface. */
bool ydoc_scalar(const struct ydoc *d, const yaml_node_t *n, struct yaml11_scalar *sc);

/* "a mapping", "a list", "a string", "a number", ... for messages. */
const char *ydoc_describe(const struct ydoc *d, const yaml_node_t *n);

/* A scalar whose explicit tag does not fit its text (reported by the
 * conversion already, so typed reading only fails on it, quietly). */
bool ydoc_mistagged(const struct ydoc *d, const yaml_node_t *n);

/* Absent (NULL) or a null scalar. */
bool ydoc_is_null(const struct ydoc *d, const yaml_node_t *n);

/* A plain "<<" key: a merge. */
bool ydoc_is_merge_key(const struct ydoc *d, const yaml_node_t *k);

/* The value of key in mapping m, NULL when absent. Keys written in m win
 * over merged ones, earlier merges over later ones; merged mappings are
 * paid for from the budget. */
const yaml_node_t *ydoc_map_get(struct ydoc *d, const yaml_node_t *m, const char *key);

#endif
