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

/* ---- the tree expr.c parses into ---- */

enum node_kind { N_LIT, N_NAME, N_MEMBER, N_CALL, N_UNARY, N_BINARY, N_COND, N_ARRAY };

enum op {
	OP_NONE = 0, OP_OR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE,
	OP_IN, OP_NOT_IN, OP_CONTAINS, OP_STARTS, OP_ENDS, OP_ADD, OP_NOT, OP_NEG,
};

struct node {
	enum node_kind kind;
	enum op op;
	struct expr_value lit; /* N_LIT; N_NAME: the name's value kind */
	int name;              /* N_NAME: enum name */
	struct node *a, *b, *c;
	struct node **args;
	size_t n_args;
	size_t pos;            /* 0-based byte offset in the source */
};

/*
 * expr-lang's type checker over a parsed tree (expr_check.c): KW_OK, or
 * KW_EINVAL with err in expr-lang's words and *pos (0-based) where.
 */
int expr_check(const struct node *root, size_t *pos, struct kw_err *err);

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
