/*
 * expr_check.c: expr-lang v1.17's type checker (checker/checker.go,
 * checker/nature) over the subset's tree. Kargo compiles a whenExpression
 * and each template expression with expr.Compile and no environment, so
 * every name (request, params, normalizeGit, ...) is of unknown type; but
 * literals and builtins have types, and the checker refuses an operation
 * those types cannot take ("invalid operation: == (mismatched types bool
 * and int)") before anything runs, whichever branch a run would take:
 * `false && 1` fails every request in Kargo. Here it is refused when the
 * expression is compiled, like any other compile error, where evaluating
 * it would have answered false.
 *
 * A nature here is what the checker knows of a value: unknown, nil, bool,
 * int, float64, string, []interface {} (an array literal: its elements
 * unknown) or []string (split's). The rules are the checker's for the
 * subset's operators, each cited at its case.
 */
#include "expr_internal.h"

#include "kw.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum nature { NT_UNKNOWN, NT_NIL, NT_BOOL, NT_INT, NT_FLOAT, NT_STRING, NT_ARRAY, NT_STRINGS };

static const char *const nature_names[] = { "unknown", "nil", "bool", "int",
	"float64", "string", "[]interface {}", "[]string" };

static const char *const op_names[] = { "", "||", "&&", "==", "!=", "<", ">",
	"<=", ">=", "in", "in", "contains", "startsWith", "endsWith", "+", "!", "-" };

struct checker {
	size_t pos;
	struct kw_err *err;
};

static int refuse(struct checker *c, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct checker *c, size_t pos, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->pos = pos;
	return kw_errf(c->err, KW_EINVAL, "%s", msg);
}

static bool is_number(enum nature n)
{
	return n == NT_INT || n == NT_FLOAT;
}

static bool is_array(enum nature n)
{
	return n == NT_ARRAY || n == NT_STRINGS;
}

/* Nature.MaybeCompatible with one check: either side unknown and the
 * other unknown or passing it. */
static bool maybe(enum nature l, enum nature r, bool (*ok)(enum nature))
{
	return (l == NT_UNKNOWN && (r == NT_UNKNOWN || ok(r))) ||
		(r == NT_UNKNOWN && ok(l));
}

static bool is_bool(enum nature n) { return n == NT_BOOL; }
static bool is_string(enum nature n) { return n == NT_STRING; }
static bool is_number_or_string(enum nature n) { return is_number(n) || is_string(n); }

/* Nature.ComparableTo. */
static bool comparable(enum nature l, enum nature r)
{
	return l == NT_UNKNOWN || r == NT_UNKNOWN || l == NT_NIL || r == NT_NIL ||
		(is_number(l) && is_number(r)) || (is_array(l) && is_array(r)) || l == r;
}

static int check(struct checker *c, const struct node *n, enum nature *out);

static int mismatched(struct checker *c, const struct node *n, enum nature l,
	enum nature r)
{
	return refuse(c, n->pos, "invalid operation: %s (mismatched types %s and %s)",
		op_names[n->op], nature_names[l], nature_names[r]);
}

/* binaryNode's "in": a map or struct never has a nature here. */
static int check_in(struct checker *c, const struct node *n, enum nature l,
	enum nature r, enum nature *out)
{
	*out = NT_BOOL;
	if (r == NT_STRINGS && !comparable(l, NT_STRING))
		return refuse(c, n->pos, "cannot use %s as type %s in array",
			nature_names[l], "string");
	if (is_array(r) || r == NT_UNKNOWN ||
	    (l == NT_UNKNOWN && r == NT_STRING))
		return KW_OK;
	return mismatched(c, n, l, r);
}

static int check_binary(struct checker *c, const struct node *n, enum nature *out)
{
	enum nature l, r;
	int rc;

	if ((rc = check(c, n->a, &l)) != KW_OK || (rc = check(c, n->b, &r)) != KW_OK)
		return rc;
	*out = NT_BOOL;
	switch (n->op) {
	case OP_EQ: case OP_NE:
		return comparable(l, r) ? KW_OK : mismatched(c, n, l, r);
	case OP_OR: case OP_AND:
		return (l == NT_BOOL && r == NT_BOOL) || maybe(l, r, is_bool) ? KW_OK :
			mismatched(c, n, l, r);
	case OP_LT: case OP_GT: case OP_LE: case OP_GE:
		return (is_number(l) && is_number(r)) || (l == NT_STRING && r == NT_STRING) ||
			maybe(l, r, is_number_or_string) ? KW_OK : mismatched(c, n, l, r);
	case OP_CONTAINS: case OP_STARTS: case OP_ENDS:
		return (l == NT_STRING && r == NT_STRING) || maybe(l, r, is_string) ?
			KW_OK : mismatched(c, n, l, r);
	case OP_IN: case OP_NOT_IN:
		return check_in(c, n, l, r, out);
	case OP_ADD:
		if (is_number(l) && is_number(r))
			*out = l == NT_INT && r == NT_INT ? NT_INT : NT_FLOAT;
		else if (l == NT_STRING && r == NT_STRING)
			*out = NT_STRING;
		else if (maybe(l, r, is_number_or_string))
			*out = NT_UNKNOWN;
		else
			return mismatched(c, n, l, r);
		return KW_OK;
	default:
		*out = NT_UNKNOWN;
		return KW_OK;
	}
}

static int check_unary(struct checker *c, const struct node *n, enum nature *out)
{
	enum nature a;
	int rc = check(c, n->a, &a);

	if (rc != KW_OK)
		return rc;
	if (n->op == OP_NOT && (a == NT_BOOL || a == NT_UNKNOWN)) {
		*out = NT_BOOL;
		return KW_OK;
	}
	if (n->op == OP_NEG && (is_number(a) || a == NT_UNKNOWN)) {
		*out = a;
		return KW_OK;
	}
	return refuse(c, n->pos, "invalid operation: %s (mismatched type %s)",
		op_names[n->op], nature_names[a]);
}

/* conditionalNode: the condition a bool or unknown; the result the
 * branches' nature when they agree (nil giving way), else unknown. */
static int check_cond(struct checker *c, const struct node *n, enum nature *out)
{
	enum nature cond, t1, t2;
	int rc;

	if ((rc = check(c, n->a, &cond)) != KW_OK)
		return rc;
	if (cond != NT_BOOL && cond != NT_UNKNOWN)
		return refuse(c, n->a->pos, "non-bool expression (type %s) used as "
			"condition", nature_names[cond]);
	if ((rc = check(c, n->b, &t1)) != KW_OK || (rc = check(c, n->c, &t2)) != KW_OK)
		return rc;
	*out = t1 == NT_NIL ? t2 : t2 == NT_NIL ? t1 : t1 == t2 ? t1 : NT_UNKNOWN;
	return KW_OK;
}

/* memberNode: an unknown base gives unknown; an array takes an integer
 * (or unknown) index; nothing else here has members. */
static int check_member(struct checker *c, const struct node *n, enum nature *out)
{
	enum nature base, prop;
	bool named = n->b->kind == N_LIT && n->b->lit.type == EXPR_STRING;
	char name[64];
	int rc;

	if ((rc = check(c, n->a, &base)) != KW_OK || (rc = check(c, n->b, &prop)) != KW_OK)
		return rc;
	*out = NT_UNKNOWN;
	if (base == NT_UNKNOWN)
		return KW_OK;
	if (is_array(base)) {
		if (prop != NT_INT && prop != NT_UNKNOWN)
			return refuse(c, n->b->pos, "array elements can only be selected "
				"using an integer (got %s)", nature_names[prop]);
		*out = base == NT_STRINGS ? NT_STRING : NT_UNKNOWN;
		return KW_OK;
	}
	if (!named)
		return refuse(c, n->pos, "type %s[%s] is undefined",
			nature_names[base], nature_names[prop]);
	snprintf(name, sizeof(name), "%.*s", (int)(n->b->lit.u.str.len < 40 ?
		n->b->lit.u.str.len : 40), n->b->lit.u.str.s);
	return refuse(c, n->pos, "type %s has no field %s", nature_names[base], name);
}

static const char *fn_name(int fn)
{
	static const char *const names[] = { [FN_LOWER] = "lower", [FN_UPPER] = "upper",
		[FN_TRIM] = "trim", [FN_TRIM_PREFIX] = "trimPrefix",
		[FN_TRIM_SUFFIX] = "trimSuffix", [FN_HAS_PREFIX] = "hasPrefix",
		[FN_HAS_SUFFIX] = "hasSuffix", [FN_SPLIT] = "split", [FN_LEN] = "len" };

	return fn >= 0 && fn < (int)KW_ARRAY_LEN(names) && names[fn] ? names[fn] : "";
}

/* A builtin's arguments (checkArguments: each string or unknown; len's
 * Validate: an array, a string or unknown) and its result. */
static int check_builtin(struct checker *c, const struct node *n, int fn,
	const enum nature *args, enum nature *out)
{
	if (fn == FN_LEN) {
		if (args[0] != NT_UNKNOWN && args[0] != NT_STRING && !is_array(args[0]))
			return refuse(c, n->pos, "invalid argument for len (type %s)",
				nature_names[args[0]]);
		*out = NT_INT;
		return KW_OK;
	}
	for (size_t i = 0; i < n->n_args; i++)
		if (args[i] != NT_STRING && args[i] != NT_UNKNOWN)
			return refuse(c, n->args[i]->pos, "cannot use %s as argument "
				"(type string) to call %s", nature_names[args[i]],
				fn_name(fn));
	*out = fn == FN_HAS_PREFIX || fn == FN_HAS_SUFFIX ? NT_BOOL :
		fn == FN_SPLIT ? NT_STRINGS : NT_STRING;
	return KW_OK;
}

static int check_call(struct checker *c, const struct node *n, enum nature *out)
{
	enum nature callee, args[2] = { NT_UNKNOWN, NT_UNKNOWN };
	bool builtin = n->a->kind == N_NAME && n->a->lit.type == EXPR_FUNC &&
		fn_name(n->a->lit.u.fn)[0] != '\0';
	int rc = check(c, n->a, &callee);

	for (size_t i = 0; rc == KW_OK && i < n->n_args; i++) {
		enum nature a;

		rc = check(c, n->args[i], &a);
		if (i < KW_ARRAY_LEN(args))
			args[i] = a;
	}
	if (rc != KW_OK)
		return rc;
	if (builtin && n->n_args <= KW_ARRAY_LEN(args))
		return check_builtin(c, n, n->a->lit.u.fn, args, out);
	*out = NT_UNKNOWN;
	if (callee != NT_UNKNOWN)
		return refuse(c, n->pos, "%s is not callable", nature_names[callee]);
	return KW_OK;
}

static enum nature literal(const struct expr_value *v)
{
	switch (v->type) {
	case EXPR_NIL: return NT_NIL;
	case EXPR_BOOL: return NT_BOOL;
	case EXPR_INT: return NT_INT;
	case EXPR_FLOAT: return NT_FLOAT;
	case EXPR_STRING: return NT_STRING;
	default: return NT_UNKNOWN;
	}
}

static int check(struct checker *c, const struct node *n, enum nature *out)
{
	int rc = KW_OK;

	*out = NT_UNKNOWN;
	switch (n->kind) {
	case N_LIT:
		*out = literal(&n->lit);
		return KW_OK;
	case N_NAME: /* no environment when Kargo compiles: unknown */
		return KW_OK;
	case N_ARRAY:
		for (size_t i = 0; rc == KW_OK && i < n->n_args; i++)
			rc = check(c, n->args[i], out);
		*out = NT_ARRAY;
		return rc;
	case N_MEMBER:
		return check_member(c, n, out);
	case N_CALL:
		return check_call(c, n, out);
	case N_UNARY:
		return check_unary(c, n, out);
	case N_BINARY:
		return check_binary(c, n, out);
	case N_COND:
		return check_cond(c, n, out);
	}
	return KW_OK;
}

int expr_check(const struct node *root, size_t *pos, struct kw_err *err)
{
	struct checker c = { 0, err };
	enum nature n;
	int rc = check(&c, root, &n);

	*pos = c.pos;
	return rc;
}
