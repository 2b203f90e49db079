/*
 * expr_internal.h: what the files of the expression module share
 * (expr.c parses and evaluates, expr_func.c holds the functions,
 * expr_template.c templates and json.Marshal, expr_json.c bodies).
 */
#ifndef EXPR_INTERNAL_H
#define EXPR_INTERNAL_H

#include "expr.h"

#include <stdint.h>

enum expr_fn {
	FN_HEADER = 0, FN_HEADERS, FN_PARAMS, FN_NORM_GIT, FN_NORM_IMAGE,
	FN_NORM_CHART, FN_LOWER, FN_UPPER, FN_TRIM, FN_TRIM_PREFIX,
	FN_TRIM_SUFFIX, FN_HAS_PREFIX, FN_HAS_SUFFIX, FN_SPLIT, FN_LEN,
};

/* Calls function fn with n evaluated arguments (the count was checked
 * when compiled, except for methods such as request.header). */
int expr_call(struct expr_value *out, int fn, const struct expr_value *args,
	size_t n, const struct expr_env *env, struct expr_arena *arena,
	struct kw_err *err);

/* The action's parameters as a map (Kargo's params). */
int expr_params_value(struct expr_value *out, const char *const *kv, size_t n,
	struct expr_arena *arena);

/* Go's %T of a value as Kargo's messages name it. */
const char *expr_type_name(const struct expr_value *v);

/* runtime.Equal. */
bool expr_equal(const struct expr_value *a, const struct expr_value *b);

/* A map's value under key, or NULL. */
const struct expr_value *expr_map_get(const struct expr_value *map,
	const char *key, size_t len);

/* Sorts a map's members by key, the last of equal keys kept (Go's
 * map[string]any of a JSON object). KW_OK or KW_ENOMEM. */
int expr_map_finish(struct expr_value *map);

#endif
