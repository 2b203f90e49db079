/*
 * yread.h: typed reading of a manifest's mappings: a key as a string, a
 * boolean, a list of strings, one of a set of names, a mapping or a list,
 * each reported at its own position and key path when it is of the wrong
 * type; and field tables, so a decoder lists its fields instead of
 * repeating the reading code.
 */
#ifndef YREAD_H
#define YREAD_H

#include <stdbool.h>
#include <stddef.h>

#include "ydoc.h"

enum { YREAD_REQUIRED = 1u, YREAD_NONEMPTY = 2u };

/* n (at the current key path) as a string of at most max bytes into *out
 * (the caller's): NULL when n is absent or null. False when an error was
 * reported. */
bool yread_node_string(struct ydoc *d, const yaml_node_t *n, size_t max, char **out);

/* Reads key of mapping m as a string (at most MANIFEST_MAX_STRING bytes);
 * flags YREAD_REQUIRED, YREAD_NONEMPTY; *at (optional) gets its node.
 * False when an error was reported. */
bool yread_string(struct ydoc *d, const yaml_node_t *m, const char *key,
	unsigned flags, char **out, const yaml_node_t **at);

/* Reads key of m as a node of the given type (a mapping or a list); *out
 * NULL when absent or null. False when an error was reported. */
bool yread_node(struct ydoc *d, const yaml_node_t *m, const char *key,
	yaml_node_type_t type, unsigned flags, const yaml_node_t **out);

/* Reads key of m as a list of strings into *out, *n_out (each item
 * reported at its own position when it is not a string). */
void yread_strings(struct ydoc *d, const yaml_node_t *m, const char *key,
	char ***out, size_t *n_out);

/* Reads key of m as a mapping of strings to strings: *out holds key,
 * value, key, value, ... sorted by key (Go marshals maps so), *n_pairs
 * the pairs; nothing when absent or empty. Each value that is not a
 * string is reported at its own position. */
void yread_string_map(struct ydoc *d, const yaml_node_t *m, const char *key,
	char ***out, size_t *n_pairs);

/* Whether n is a mapping; reports it when not. */
bool yread_expect_mapping(struct ydoc *d, const yaml_node_t *n);

enum yread_kind { YREAD_STRING, YREAD_BOOL, YREAD_STRINGS, YREAD_ENUM };

/* One field of a struct read from a mapping key. */
struct yread_field {
	const char *key;
	enum yread_kind kind;
	unsigned flags;
	size_t off;                /* of the value (an int for YREAD_ENUM) */
	size_t n_off;              /* of the count, for YREAD_STRINGS */
	const char *const *names;  /* YREAD_ENUM: the value is the index */
	size_t n_names;
};

/* Reads every field of the table from m into the struct at base. */
void yread_fields(struct ydoc *d, const yaml_node_t *m,
	const struct yread_field *fields, size_t n, void *base);

/* Which one of keys m has with a non-null value: its index, or -1 after
 * reporting none or several ("what" lists the keys for the message). */
int yread_exactly_one(struct ydoc *d, const yaml_node_t *m,
	const char *const *keys, size_t n, const char *what);

#endif
