/*
 * expr.h: the subset of expr-lang (github.com/expr-lang/expr v1.17) that
 * Kargo's generic webhook receiver evaluates: a whenExpression (a whole
 * expression, which must yield a bool) and `${{ ... }}` templates in target
 * names, label values and index values (Kargo's
 * expressions.EvaluateTemplate, which must yield a string). Pure: values
 * live in an arena the caller frees; no I/O, no globals.
 *
 * The subset (docs/receivers/generic.md lists it for users): literals
 * (strings in '', "" or ``, decimal integers and floats, true, false, nil,
 * arrays [a, b]); the names request, params, normalizeGit, normalizeImage,
 * normalizeChart; member access a.b, a?.b, a["b"], a[0] (negative counts
 * from the end); calls request.header(k), request.headers(k),
 * request.params(k), normalizeGit/Image/Chart(s), lower, upper, trim,
 * trimPrefix, trimSuffix, hasPrefix, hasSuffix, split, len; operators == != < > <= >= && || ! and
 * or not in "not in" contains startsWith endsWith + (numbers, strings)
 * unary - and the ternary a ? b : c. Anything else (matches, * / %, **,
 * .., ??, ?., pipes, closures, maps, quote, other names) is refused by expr_compile with a
 * message naming it: never guessed.
 */
#ifndef EXPR_H
#define EXPR_H

#include <stdbool.h>
#include <stddef.h>

#include "kw.h"

struct header_lookup;

enum expr_type {
	EXPR_NIL = 0,
	EXPR_BOOL,
	EXPR_INT,
	EXPR_FLOAT,
	EXPR_STRING,
	EXPR_ARRAY,
	EXPR_MAP,
	EXPR_FUNC,
};

struct expr_member;

/* A value as expr-lang holds it (Go's any). Strings may hold NUL bytes. */
struct expr_value {
	enum expr_type type;
	union {
		bool b;
		long long i;
		double f;
		struct {
			const char *s;
			size_t len;
		} str;
		struct {
			struct expr_value *items;
			size_t n;
		} arr;
		struct {
			struct expr_member *m; /* sorted by key, keys unique */
			size_t n;
		} map;
		int fn;
	} u;
};

struct expr_member {
	const char *key;
	size_t key_len;
	struct expr_value v;
};

/* A bump allocator; everything a parse or an evaluation makes lives here
 * until expr_arena_free. max bounds the total. */
struct expr_arena {
	struct expr_chunk *chunks;
	size_t used, max;
};

void expr_arena_init(struct expr_arena *a, size_t max);
void expr_arena_free(struct expr_arena *a);
/* Zeroed memory, or NULL past max or out of memory. */
void *expr_alloc(struct expr_arena *a, size_t size);

/* What an evaluation sees: Kargo's newBaseEnv and newActionEnv. */
struct expr_env {
	const struct expr_value *body;          /* request.body (nil when empty) */
	const struct header_lookup *headers;    /* request.header(s) */
	const struct header_lookup *query;      /* request.params; may be NULL */
	const char *const *params;              /* action parameters: key, value, ... */
	size_t n_params;
};

struct expr_program;

/*
 * Compiles src[0..len) (one expression, no delimiters). template: the
 * template-only functions (quote, unsafeQuote) are known. KW_OK with *out
 * in arena; KW_EINVAL with err naming the problem and *col (1-based byte
 * column within src) where it is; KW_ENOMEM.
 */
int expr_compile(struct expr_program **out, struct expr_arena *arena,
	const char *src, size_t len, bool template, size_t *col,
	struct kw_err *err);

/* Evaluates p. KW_OK with *out (in arena); KW_EINVAL with err for a
 * runtime error (expr-lang's would be one too); KW_ENOMEM. */
int expr_run(struct expr_value *out, const struct expr_program *p,
	const struct expr_env *env, struct expr_arena *arena, struct kw_err *err);

/* Checks every `${{ }}` of a template (Kargo's EvaluateTemplate; `${% %}`
 * is a delimiter too): KW_OK, or KW_EINVAL with err and *col (1-based,
 * within tpl). A template without delimiters is a plain string. */
int expr_template_check(const char *tpl, size_t len, size_t *col,
	struct kw_err *err);

/* A template evaluated as Kargo's evalAsString does: KW_OK with the
 * string in *out, *out_len (in arena); KW_EINVAL when an expression fails
 * or the result is not a string (a number, bool, null or JSON value). */
int expr_template_string(const char **out, size_t *out_len, const char *tpl,
	size_t len, const struct expr_env *env, struct expr_arena *arena,
	struct kw_err *err);

/* Kargo's whenExpression: "" is true; otherwise the expression must yield
 * a bool. KW_OK with *met; KW_EINVAL; KW_ENOMEM. */
int expr_when(bool *met, const char *src, size_t len,
	const struct expr_env *env, struct expr_arena *arena, struct kw_err *err);

/* Appends v as Go's json.Marshal writes it (maps sorted by key, HTML
 * escaping, floats in Go's format). KW_OK, KW_ETOOBIG, KW_ENOMEM. */
struct strbuf;
int expr_marshal(struct strbuf *sb, const struct expr_value *v);

/*
 * body[0..len) as Go's json.Unmarshal into an any holds it (objects as
 * maps, numbers as float64), in arena. KW_OK; KW_EINVAL with Go's message
 * in err ("unexpected end of JSON input", "invalid character 'x' looking
 * for beginning of value", "json: cannot unmarshal number 1e400 into Go
 * value of type float64"); KW_ENOMEM. Nesting deeper than 1000 levels is
 * refused (Go allows 10000).
 */
int expr_json_decode(struct expr_value *out, const char *body, size_t len,
	struct expr_arena *arena, struct kw_err *err);

/* Go's strconv.ParseFloat(s, 64) succeeds on s (syntax and range). */
bool expr_go_parses_float(const char *s, size_t len);

#endif
