/*
 * expr.c: the expr-lang subset of expr.h: an arena, a lexer and Pratt
 * parser into a small tree (refusing whatever is outside the subset), and
 * an evaluator with expr-lang's runtime rules for the operators kept
 * (runtime.Equal, Less, Add, In, Fetch). Templates, Go's float format and
 * json.Marshal of values are in expr_template.c.
 */
#include "expr.h"

#include "expr_internal.h"
#include "headers.h"
#include "imagenorm.h"
#include "urlnorm.h"
#include "utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct expr_chunk {
	struct expr_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

void expr_arena_init(struct expr_arena *a, size_t max)
{
	a->chunks = NULL;
	a->used = 0;
	a->max = max;
}

void expr_arena_free(struct expr_arena *a)
{
	struct expr_chunk *c = a->chunks, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->chunks = NULL;
	a->used = 0;
}

void *expr_alloc(struct expr_arena *a, size_t size)
{
	struct expr_chunk *c = a->chunks;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (size == 0)
		size = 16;
	if (size > a->max || a->used > a->max - size)
		return NULL;
	if (c == NULL || c->size - c->used < size) {
		size_t want = size > 8192 ? size : 8192;

		c = malloc(sizeof(*c) + want);
		if (c == NULL)
			return NULL;
		c->size = want;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += size;
	a->used += size;
	memset(p, 0, size);
	return p;
}

/* ---- the tree ---- */

struct expr_program {
	struct node *root;
};

enum name {
	NAME_REQUEST = 0, NAME_PARAMS, NAME_FUNC,
};

static const struct {
	const char *name;
	int fn;
	int min, max;   /* arguments */
	bool template;  /* only in templates (Kargo's EvaluateTemplate) */
	bool builtin;   /* only callable (expr-lang's builtins) */
} functions[] = {
	{ "normalizeGit", FN_NORM_GIT, 1, 1, false, false },
	{ "normalizeImage", FN_NORM_IMAGE, 1, 1, false, false },
	{ "normalizeChart", FN_NORM_CHART, 1, 1, false, false },
	{ "lower", FN_LOWER, 1, 1, false, true },
	{ "upper", FN_UPPER, 1, 1, false, true },
	{ "trim", FN_TRIM, 1, 1, false, true },
	{ "trimPrefix", FN_TRIM_PREFIX, 2, 2, false, true },
	{ "trimSuffix", FN_TRIM_SUFFIX, 2, 2, false, true },
	{ "hasPrefix", FN_HAS_PREFIX, 2, 2, false, true },
	{ "hasSuffix", FN_HAS_SUFFIX, 2, 2, false, true },
	{ "split", FN_SPLIT, 2, 2, false, true },
	{ "len", FN_LEN, 1, 1, false, true },
};

/* Names expr-lang knows that the subset refuses, with why. */
static const char *const refused_words[] = {
	"matches", "let", "if", "else", "map", "filter", "all", "any", "none",
	"one", "count", "sum", "find", "groupBy", "sortBy", "reduce", "asYAML",
	"asJSON", "quote", "unsafeQuote", "toJSON", "fromJSON", "$env",
};

/* ---- lexer ---- */

enum tok { T_EOF, T_IDENT, T_INT, T_FLOAT, T_STRING, T_OP };

struct parser {
	const char *s;
	size_t len, pos;
	enum tok t;
	size_t tpos, tlen;
	struct expr_value v; /* the literal of T_INT, T_FLOAT, T_STRING */
	bool template;
	int depth;
	struct expr_arena *arena;
	struct kw_err *err;
	size_t err_pos;
	int rc;
};

/* fmt with its one "%s" replaced by arg (messages name user text, so
 * they are built without a format the compiler cannot check). */
static void subst(char *out, size_t size, const char *fmt, const char *arg)
{
	const char *at = strstr(fmt, "%s");

	if (at == NULL)
		snprintf(out, size, "%s", fmt);
	else
		snprintf(out, size, "%.*s%s%s", (int)(at - fmt), fmt, arg, at + 2);
}

static int fail(struct parser *p, size_t pos, const char *fmt, const char *arg)
{
	if (p->rc == KW_OK) {
		p->rc = KW_EINVAL;
		char msg[480];

		p->err_pos = pos;
		subst(msg, sizeof(msg), fmt, arg);
		kw_errf(p->err, KW_EINVAL, "%s", msg);
	}
	return p->rc;
}

static int oom(struct parser *p)
{
	if (p->rc == KW_OK)
		p->rc = KW_ENOMEM;
	return p->rc;
}

static bool is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static const char *const ops3[] = { "..." };
static const char *const ops2[] = { "==", "!=", "<=", ">=", "&&", "||", "??",
	"?.", "**", ".." };

/* Decodes a quoted literal as expr-lang's unescape (Go's escapes). */
static void lex_string(struct parser *p)
{
	char q = p->s[p->pos];
	size_t start = ++p->pos, n = 0;
	char *out;

	while (p->pos < p->len && p->s[p->pos] != q) {
		if (q != '`' && p->s[p->pos] == '\\')
			p->pos++;
		if (q != '`' && p->pos < p->len && p->s[p->pos] == '\n') {
			fail(p, p->pos, "%s", "literal not terminated");
			return;
		}
		p->pos++;
	}
	if (p->pos >= p->len) {
		fail(p, start - 1, "%s", "literal not terminated");
		return;
	}
	out = expr_alloc(p->arena, p->pos - start + 1);
	if (out == NULL) {
		oom(p);
		return;
	}
	for (size_t i = start; i < p->pos; i++) {
		unsigned long r;
		char c = p->s[i];

		if (q == '`' || c != '\\') {
			out[n++] = c;
			continue;
		}
		c = p->s[++i];
		switch (c) {
		case 'a': out[n++] = '\a'; break;
		case 'b': out[n++] = '\b'; break;
		case 'f': out[n++] = '\f'; break;
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case 'v': out[n++] = '\v'; break;
		case '\\': case '\'': case '"': out[n++] = c; break;
		case 'x': case 'u': case 'U': {
			size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;

			r = 0;
			for (size_t k = 0; k < digits; k++) {
				int h = i + 1 + k < p->pos ? kw_hex_value(p->s[i + 1 + k]) : -1;

				if (h < 0) {
					fail(p, i, "%s", "invalid char escape");
					return;
				}
				r = r * 16 + (unsigned long)h;
			}
			i += digits;
			if (c == 'x') {
				out[n++] = (char)r;
			} else if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) {
				fail(p, i, "%s", "escape sequence is invalid Unicode code point");
				return;
			} else {
				n += utf8_encode((unsigned char *)out + n, (uint32_t)r);
			}
			break;
		}
		default:
			fail(p, i, "%s", "invalid char escape");
			return;
		}
	}
	p->pos++;
	p->t = T_STRING;
	p->v.type = EXPR_STRING;
	p->v.u.str.s = out;
	p->v.u.str.len = n;
}

static void lex_number(struct parser *p)
{
	size_t start = p->pos;
	bool is_float = false;
	char buf[64];

	while (p->pos < p->len && is_digit(p->s[p->pos]))
		p->pos++;
	if (p->pos + 1 < p->len && p->s[p->pos] == '.' && is_digit(p->s[p->pos + 1])) {
		is_float = true;
		p->pos++;
		while (p->pos < p->len && is_digit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		size_t e = p->pos + 1;

		if (e < p->len && (p->s[e] == '+' || p->s[e] == '-'))
			e++;
		if (e < p->len && is_digit(p->s[e])) {
			is_float = true;
			p->pos = e;
			while (p->pos < p->len && is_digit(p->s[p->pos]))
				p->pos++;
		}
	}
	if (p->pos < p->len && (is_ident_start(p->s[p->pos]) || p->s[p->pos] == '.')) {
		fail(p, start, "%s", "only decimal numbers are in the subset (no 0x, 0o, 0b, _ or 1.)");
		return;
	}
	if (p->pos - start >= sizeof(buf)) {
		fail(p, start, "%s", "number literal too long");
		return;
	}
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	errno = 0;
	if (is_float) {
		p->t = T_FLOAT;
		p->v.type = EXPR_FLOAT;
		p->v.u.f = strtod(buf, NULL);
	} else {
		p->t = T_INT;
		p->v.type = EXPR_INT;
		p->v.u.i = strtoll(buf, NULL, 10);
	}
	if (errno == ERANGE)
		fail(p, start, "%s", "number literal out of range");
}

static void next(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) != NULL)
		p->pos++;
	p->tpos = p->pos;
	if (p->pos >= p->len) {
		p->t = T_EOF;
	} else if (is_ident_start((unsigned char)p->s[p->pos])) {
		while (p->pos < p->len && (is_ident_start(p->s[p->pos]) || is_digit(p->s[p->pos])))
			p->pos++;
		p->t = T_IDENT;
	} else if (is_digit(p->s[p->pos])) {
		lex_number(p);
	} else if (strchr("'\"`", p->s[p->pos]) != NULL) {
		lex_string(p);
	} else {
		size_t n = 1;

		for (size_t i = 0; i < KW_ARRAY_LEN(ops3); i++)
			if (p->len - p->pos >= 3 && memcmp(p->s + p->pos, ops3[i], 3) == 0)
				n = 3;
		for (size_t i = 0; n == 1 && i < KW_ARRAY_LEN(ops2); i++)
			if (p->len - p->pos >= 2 && memcmp(p->s + p->pos, ops2[i], 2) == 0)
				n = 2;
		if (n == 1 && strchr("=!<>+-*/%^()[]{}.,?:|#;~&", p->s[p->pos]) == NULL)
			fail(p, p->pos, "%s", "unrecognized character");
		p->pos += n;
		p->t = T_OP;
	}
	p->tlen = p->pos - p->tpos;
}

static bool tok_is(const struct parser *p, const char *s)
{
	return (p->t == T_OP || p->t == T_IDENT) && p->tlen == strlen(s) &&
		memcmp(p->s + p->tpos, s, p->tlen) == 0;
}

static bool expect(struct parser *p, const char *s)
{
	char msg[64];

	if (tok_is(p, s)) {
		next(p);
		return true;
	}
	snprintf(msg, sizeof(msg), "expected %s", s);
	fail(p, p->tpos, "%s", msg);
	return false;
}

/* ---- parser ---- */

static struct node *node_new(struct parser *p, enum node_kind k, size_t pos)
{
	struct node *n = expr_alloc(p->arena, sizeof(*n));

	if (n == NULL) {
		oom(p);
		return NULL;
	}
	n->kind = k;
	n->pos = pos;
	return n;
}

static struct node *parse_expr(struct parser *p, int prec);

static int function_index(const char *s, size_t len)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(functions); i++)
		if (strlen(functions[i].name) == len && memcmp(functions[i].name, s, len) == 0)
			return (int)i;
	return -1;
}

static struct node **parse_args(struct parser *p, const char *close, size_t *n)
{
	struct node **args = NULL;
	size_t cap = 0;

	*n = 0;
	while (p->rc == KW_OK && !tok_is(p, close)) {
		struct node *a;

		if (*n > 0 && !expect(p, ","))
			return NULL;
		if (tok_is(p, close)) /* a trailing comma, as expr-lang allows */
			break;
		if ((a = parse_expr(p, 0)) == NULL)
			return NULL;
		if (*n == cap) {
			struct node **grown;

			cap = cap ? cap * 2 : 4;
			grown = expr_alloc(p->arena, cap * sizeof(*grown));
			if (grown == NULL) {
				oom(p);
				return NULL;
			}
			if (*n > 0)
				memcpy(grown, args, *n * sizeof(*grown));
			args = grown;
		}
		args[(*n)++] = a;
	}
	return expect(p, close) ? args : NULL;
}

/* A call of a known function: checks its arguments' count. */
static struct node *parse_call(struct parser *p, struct node *callee, int fi)
{
	struct node *n = node_new(p, N_CALL, callee->pos);
	char msg[160];

	if (n == NULL)
		return NULL;
	next(p); /* ( */
	n->a = callee;
	n->args = parse_args(p, ")", &n->n_args);
	if (p->rc != KW_OK)
		return NULL;
	if (fi >= 0 && ((int)n->n_args < functions[fi].min ||
	    (int)n->n_args > functions[fi].max)) {
		snprintf(msg, sizeof(msg), "%s takes %d argument%s (got %zu)",
			functions[fi].name, functions[fi].min,
			functions[fi].min == 1 ? "" : "s", n->n_args);
		fail(p, callee->pos, "%s", msg);
		return NULL;
	}
	return n;
}

static struct node *parse_name(struct parser *p)
{
	struct node *n = node_new(p, N_NAME, p->tpos);
	const char *s = p->s + p->tpos;
	size_t len = p->tlen;
	char word[64];
	int fi;

	if (n == NULL)
		return NULL;
	snprintf(word, sizeof(word), "%.*s", (int)(len < 40 ? len : 40), s);
	next(p);
	if (len == 7 && memcmp(s, "request", 7) == 0) {
		n->name = NAME_REQUEST;
		return n;
	}
	if (len == 6 && memcmp(s, "params", 6) == 0) {
		n->name = NAME_PARAMS;
		return n;
	}
	fi = function_index(s, len);
	if (fi < 0 || (functions[fi].template && !p->template)) {
		for (size_t i = 0; i < KW_ARRAY_LEN(refused_words); i++)
			if (strcmp(word, refused_words[i]) == 0) {
				fail(p, n->pos, "%s is expr-lang's but outside the subset "
					"this receiver evaluates (docs/receivers/generic.md)", word);
				return NULL;
			}
		fail(p, n->pos, "unknown name %s: the generic receiver knows request, "
			"params, normalizeGit, normalizeImage, normalizeChart and the "
			"functions of docs/receivers/generic.md", word);
		return NULL;
	}
	n->name = NAME_FUNC;
	n->lit.type = EXPR_FUNC;
	n->lit.u.fn = functions[fi].fn;
	if (!tok_is(p, "(")) {
		if (functions[fi].builtin) {
			fail(p, n->pos, "%s must be called", word);
			return NULL;
		}
		return n;
	}
	return parse_call(p, n, fi);
}

static struct node *parse_postfix(struct parser *p, struct node *n)
{
	while (n != NULL && p->rc == KW_OK) {
		struct node *m;

		if (tok_is(p, "?.")) {
			fail(p, p->tpos, "%s", "?. is outside the subset");
			return NULL;
		} else if (tok_is(p, ".")) {
			next(p);
			if (p->t != T_IDENT) {
				fail(p, p->tpos, "%s", "expected a name after .");
				return NULL;
			}
			if ((m = node_new(p, N_MEMBER, p->tpos)) == NULL ||
			    (m->b = node_new(p, N_LIT, p->tpos)) == NULL)
				return NULL;
			m->b->lit.type = EXPR_STRING;
			m->b->lit.u.str.s = p->s + p->tpos;
			m->b->lit.u.str.len = p->tlen;
			m->a = n;
			n = m;
			next(p);
		} else if (tok_is(p, "[")) {
			if ((m = node_new(p, N_MEMBER, p->tpos)) == NULL)
				return NULL;
			next(p);
			m->a = n;
			if ((m->b = parse_expr(p, 0)) == NULL)
				return NULL;
			if (tok_is(p, ":")) {
				fail(p, p->tpos, "%s", "slices a[i:j] are outside the subset");
				return NULL;
			}
			if (!expect(p, "]"))
				return NULL;
			n = m;
		} else if (tok_is(p, "(")) {
			/* A method of a value (request.header): checked when run. */
			if ((n = parse_call(p, n, -1)) == NULL)
				return NULL;
		} else {
			break;
		}
	}
	return n;
}

static struct node *parse_literal(struct parser *p)
{
	struct node *n = node_new(p, N_LIT, p->tpos);

	if (n == NULL)
		return NULL;
	n->lit = p->v;
	next(p);
	return n;
}

static struct node *parse_word(struct parser *p)
{
	struct node *n;

	if (tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "nil")) {
		if ((n = node_new(p, N_LIT, p->tpos)) == NULL)
			return NULL;
		n->lit.type = tok_is(p, "nil") ? EXPR_NIL : EXPR_BOOL;
		n->lit.u.b = tok_is(p, "true");
		next(p);
		return n;
	}
	if (tok_is(p, "not")) {
		if ((n = node_new(p, N_UNARY, p->tpos)) == NULL)
			return NULL;
		next(p);
		n->op = OP_NOT;
		n->a = parse_expr(p, 50);
		return n->a ? n : NULL;
	}
	return parse_name(p);
}

static struct node *parse_primary(struct parser *p)
{
	struct node *n;

	if (++p->depth > 64) {
		fail(p, p->tpos, "%s", "expression nested too deeply");
		return NULL;
	}
	if (p->t == T_EOF) {
		fail(p, p->tpos, "%s", "unexpected end of expression");
		return NULL;
	}
	if (p->t == T_STRING || p->t == T_INT || p->t == T_FLOAT) {
		n = parse_literal(p);
	} else if (p->t == T_IDENT) {
		n = parse_word(p);
	} else if (tok_is(p, "!") || tok_is(p, "-")) {
		if ((n = node_new(p, N_UNARY, p->tpos)) == NULL)
			return NULL;
		n->op = tok_is(p, "!") ? OP_NOT : OP_NEG;
		next(p);
		n->a = parse_expr(p, n->op == OP_NOT ? 50 : 90);
		if (n->a == NULL)
			return NULL;
	} else if (tok_is(p, "(")) {
		next(p);
		n = parse_expr(p, 0);
		if (n == NULL || !expect(p, ")"))
			return NULL;
	} else if (tok_is(p, "[")) {
		if ((n = node_new(p, N_ARRAY, p->tpos)) == NULL)
			return NULL;
		next(p);
		n->args = parse_args(p, "]", &n->n_args);
		if (p->rc != KW_OK)
			return NULL;
	} else {
		char tok[16];

		snprintf(tok, sizeof(tok), "%.*s", (int)(p->tlen < 8 ? p->tlen : 8), p->s + p->tpos);
		fail(p, p->tpos, "unexpected token %s", tok);
		return NULL;
	}
	n = parse_postfix(p, n);
	p->depth--;
	return n;
}

static const struct {
	const char *tok;
	enum op op;
	int prec;
} binary_ops[] = {
	{ "||", OP_OR, 10 }, { "or", OP_OR, 10 }, { "&&", OP_AND, 15 },
	{ "and", OP_AND, 15 }, { "==", OP_EQ, 20 }, { "!=", OP_NE, 20 },
	{ "<", OP_LT, 20 }, { ">", OP_GT, 20 }, { "<=", OP_LE, 20 },
	{ ">=", OP_GE, 20 }, { "in", OP_IN, 20 }, { "contains", OP_CONTAINS, 20 },
	{ "startsWith", OP_STARTS, 20 }, { "endsWith", OP_ENDS, 20 },
	{ "+", OP_ADD, 30 },
};

/* Operators expr-lang has and the subset refuses. */
static const char *const refused_ops[] = { "matches", "..", "-", "*", "/",
	"%", "**", "^", "??", "|", "#", "{", "...", "&", "~", ";" };

static int binary_at(struct parser *p, int *prec, bool *negated)
{
	*negated = false;
	if (tok_is(p, "not")) {
		/* "not in": the only binary use of not. */
		struct parser save = *p;

		next(p);
		if (!tok_is(p, "in")) {
			*p = save;
			return -1;
		}
		*negated = true;
	}
	for (size_t i = 0; i < KW_ARRAY_LEN(binary_ops); i++)
		if (tok_is(p, binary_ops[i].tok)) {
			*prec = binary_ops[i].prec;
			return (int)i;
		}
	return -1;
}

static bool refused_op(struct parser *p)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(refused_ops); i++)
		if (tok_is(p, refused_ops[i])) {
			fail(p, p->tpos, "operator %s is outside the subset this receiver "
				"evaluates (docs/receivers/generic.md)", refused_ops[i]);
			return true;
		}
	return false;
}

static struct node *parse_binary(struct parser *p, struct node *left, int prec)
{
	for (;;) {
		int op_prec = 0, i;
		bool negated;
		struct parser save = *p;
		struct node *n;

		i = binary_at(p, &op_prec, &negated);
		if (i < 0 || op_prec <= prec) {
			*p = save;
			if (i < 0 && refused_op(p))
				return NULL;
			return left;
		}
		if ((n = node_new(p, N_BINARY, p->tpos)) == NULL)
			return NULL;
		n->op = negated ? OP_NOT_IN : binary_ops[i].op;
		next(p);
		n->a = left;
		if ((n->b = parse_expr(p, op_prec)) == NULL)
			return NULL;
		left = n;
	}
}

static struct node *parse_expr(struct parser *p, int prec)
{
	struct node *n = parse_primary(p), *c;

	if (n == NULL || p->rc != KW_OK)
		return NULL;
	if ((n = parse_binary(p, n, prec)) == NULL)
		return NULL;
	if (prec == 0 && tok_is(p, "?")) {
		if ((c = node_new(p, N_COND, p->tpos)) == NULL)
			return NULL;
		next(p);
		c->a = n;
		if ((c->b = parse_expr(p, 0)) == NULL || !expect(p, ":") ||
		    (c->c = parse_expr(p, 0)) == NULL)
			return NULL;
		n = c;
	}
	return n;
}

int expr_compile(struct expr_program **out, struct expr_arena *arena,
	const char *src, size_t len, bool template, size_t *col,
	struct kw_err *err)
{
	struct parser p = { .s = src, .len = len, .template = template,
		.arena = arena, .err = err, .rc = KW_OK };
	struct node *root;

	*out = NULL;
	*col = 0;
	next(&p);
	root = p.rc == KW_OK ? parse_expr(&p, 0) : NULL;
	if (root != NULL && p.rc == KW_OK && p.t != T_EOF)
		fail(&p, p.tpos, "%s", "unexpected token after the expression");
	if (p.rc == KW_OK && (p.rc = expr_check(root, &p.err_pos, err)) != KW_OK)
		p.rc = KW_EINVAL;
	if (p.rc == KW_OK && (*out = expr_alloc(arena, sizeof(**out))) == NULL)
		oom(&p);
	if (p.rc != KW_OK) {
		*col = p.err_pos + 1;
		return p.rc;
	}
	(*out)->root = root;
	return KW_OK;
}

/* ---- evaluation ---- */

struct eval {
	const struct expr_env *env;
	struct expr_arena *arena;
	struct kw_err *err;
	int rc;
};

static int rt_error(struct eval *e, const char *fmt, const char *arg)
{
	if (e->rc == KW_OK) {
		char msg[480];

		e->rc = KW_EINVAL;
		subst(msg, sizeof(msg), fmt, arg);
		kw_errf(e->err, KW_EINVAL, "%s", msg);
	}
	return e->rc;
}

static int rt_oom(struct eval *e)
{
	if (e->rc == KW_OK)
		e->rc = KW_ENOMEM;
	return e->rc;
}

const char *expr_type_name(const struct expr_value *v)
{
	static const char *const names[] = { "<nil>", "bool", "int", "float64",
		"string", "[]interface {}", "map[string]interface {}", "func" };

	return names[v->type];
}

static struct expr_value str_value(const char *s, size_t len)
{
	struct expr_value v = { .type = EXPR_STRING };

	v.u.str.s = s;
	v.u.str.len = len;
	return v;
}

static struct expr_value func_value(int fn)
{
	struct expr_value v = { .type = EXPR_FUNC };

	v.u.fn = fn;
	return v;
}

/* The value of `request` or `params`: built per evaluation. */
static int name_value(struct eval *e, const struct node *n, struct expr_value *out)
{
	static const char *const keys[] = { "body", "header", "headers", "params" };
	struct expr_member *m;

	if (n->name == NAME_FUNC) {
		*out = n->lit;
		return KW_OK;
	}
	if (n->name == NAME_PARAMS)
		return expr_params_value(out, e->env->params, e->env->n_params, e->arena) ==
			KW_OK ? KW_OK : rt_oom(e);
	if ((m = expr_alloc(e->arena, 4 * sizeof(*m))) == NULL)
		return rt_oom(e);
	for (size_t i = 0; i < 4; i++) {
		m[i].key = keys[i];
		m[i].key_len = strlen(keys[i]);
	}
	if (e->env->body != NULL)
		m[0].v = *e->env->body;
	m[1].v = func_value(FN_HEADER);
	m[2].v = func_value(FN_HEADERS);
	m[3].v = func_value(FN_PARAMS);
	out->type = EXPR_MAP;
	out->u.map.m = m;
	out->u.map.n = 4;
	return KW_OK;
}

static int eval(struct eval *e, const struct node *n, struct expr_value *out);

static bool as_number(const struct expr_value *v, double *f)
{
	if (v->type == EXPR_INT)
		*f = (double)v->u.i;
	else if (v->type == EXPR_FLOAT)
		*f = v->u.f;
	else
		return false;
	return true;
}

bool expr_equal(const struct expr_value *a, const struct expr_value *b)
{
	double x, y;

	if (as_number(a, &x) && as_number(b, &y)) {
		if (a->type == EXPR_INT && b->type == EXPR_INT)
			return a->u.i == b->u.i;
		return x == y;
	}
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case EXPR_NIL: return true;
	case EXPR_BOOL: return a->u.b == b->u.b;
	case EXPR_STRING:
		return a->u.str.len == b->u.str.len &&
			memcmp(a->u.str.s, b->u.str.s, a->u.str.len) == 0;
	case EXPR_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return false;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!expr_equal(&a->u.arr.items[i], &b->u.arr.items[i]))
				return false;
		return true;
	case EXPR_MAP:
		if (a->u.map.n != b->u.map.n)
			return false;
		for (size_t i = 0; i < a->u.map.n; i++)
			if (a->u.map.m[i].key_len != b->u.map.m[i].key_len ||
			    memcmp(a->u.map.m[i].key, b->u.map.m[i].key, a->u.map.m[i].key_len) != 0 ||
			    !expr_equal(&a->u.map.m[i].v, &b->u.map.m[i].v))
				return false;
		return true;
	default:
		return false;
	}
}

const struct expr_value *expr_map_get(const struct expr_value *map,
	const char *key, size_t len)
{
	size_t lo = 0, hi = map->u.map.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct expr_member *m = &map->u.map.m[mid];
		size_t k = m->key_len < len ? m->key_len : len;
		int c = memcmp(m->key, key, k);

		if (c == 0)
			c = m->key_len < len ? -1 : m->key_len > len;
		if (c == 0)
			return &m->v;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* runtime.Fetch: a map's key (nil when absent), an array's index. */
static int fetch(struct eval *e, const struct expr_value *from,
	const struct expr_value *key, struct expr_value *out)
{
	char k[80];

	memset(out, 0, sizeof(*out));
	if (from->type == EXPR_MAP) {
		const struct expr_value *v;

		if (key->type != EXPR_STRING)
			return rt_error(e, "cannot use %s as a map key", expr_type_name(key));
		v = expr_map_get(from, key->u.str.s, key->u.str.len);
		if (v != NULL)
			*out = *v;
		return KW_OK;
	}
	if (from->type == EXPR_ARRAY) {
		double f;
		long long i, len = (long long)from->u.arr.n;

		if (!as_number(key, &f))
			return rt_error(e, "cannot use %s as an array index", expr_type_name(key));
		i = key->type == EXPR_INT ? key->u.i : (long long)f;
		if (i < 0)
			i += len;
		if (i < 0 || i >= len)
			return rt_error(e, "%s", "index out of range");
		*out = from->u.arr.items[i];
		return KW_OK;
	}
	if (key->type == EXPR_STRING)
		snprintf(k, sizeof(k), "cannot fetch %.*s from %s",
			(int)(key->u.str.len < 40 ? key->u.str.len : 40), key->u.str.s,
			expr_type_name(from));
	else
		snprintf(k, sizeof(k), "cannot fetch from %s", expr_type_name(from));
	return rt_error(e, "%s", k);
}

static int compare(struct eval *e, enum op op, const struct expr_value *a,
	const struct expr_value *b, struct expr_value *out)
{
	double x, y;
	int c;

	out->type = EXPR_BOOL;
	if (as_number(a, &x) && as_number(b, &y)) {
		if (a->type == EXPR_INT && b->type == EXPR_INT)
			c = a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
		else
			c = x < y ? -1 : x > y;
		if (x != x || y != y)
			c = 2; /* NaN: every comparison false */
	} else if (a->type == EXPR_STRING && b->type == EXPR_STRING) {
		size_t k = a->u.str.len < b->u.str.len ? a->u.str.len : b->u.str.len;

		c = memcmp(a->u.str.s, b->u.str.s, k);
		if (c == 0)
			c = a->u.str.len < b->u.str.len ? -1 : a->u.str.len > b->u.str.len;
		c = c < 0 ? -1 : c > 0;
	} else {
		char msg[96];

		snprintf(msg, sizeof(msg), "invalid operation: %s and %s",
			expr_type_name(a), expr_type_name(b));
		return rt_error(e, "%s", msg);
	}
	switch (op) {
	case OP_LT: out->u.b = c == -1; break;
	case OP_GT: out->u.b = c == 1; break;
	case OP_LE: out->u.b = c == -1 || c == 0; break;
	default: out->u.b = c == 1 || c == 0; break;
	}
	return KW_OK;
}

static int add(struct eval *e, const struct expr_value *a,
	const struct expr_value *b, struct expr_value *out)
{
	double x, y;

	if (a->type == EXPR_INT && b->type == EXPR_INT) {
		out->type = EXPR_INT;
		out->u.i = (long long)((unsigned long long)a->u.i + (unsigned long long)b->u.i);
	} else if (as_number(a, &x) && as_number(b, &y)) {
		out->type = EXPR_FLOAT;
		out->u.f = x + y;
	} else if (a->type == EXPR_STRING && b->type == EXPR_STRING) {
		char *s = expr_alloc(e->arena, a->u.str.len + b->u.str.len + 1);

		if (s == NULL)
			return rt_oom(e);
		memcpy(s, a->u.str.s, a->u.str.len);
		memcpy(s + a->u.str.len, b->u.str.s, b->u.str.len);
		*out = str_value(s, a->u.str.len + b->u.str.len);
	} else {
		char msg[96];

		snprintf(msg, sizeof(msg), "invalid operation: %s + %s",
			expr_type_name(a), expr_type_name(b));
		return rt_error(e, "%s", msg);
	}
	return KW_OK;
}

/* runtime.In: an element of an array, a key of a map. */
static int in(struct eval *e, const struct expr_value *needle,
	const struct expr_value *hay, bool *found)
{
	*found = false;
	if (hay->type == EXPR_ARRAY) {
		for (size_t i = 0; i < hay->u.arr.n && !*found; i++)
			*found = expr_equal(&hay->u.arr.items[i], needle);
		return KW_OK;
	}
	if (hay->type == EXPR_MAP) {
		if (needle->type != EXPR_STRING && needle->type != EXPR_NIL)
			return rt_error(e, "cannot use %s as a map key", expr_type_name(needle));
		*found = needle->type == EXPR_STRING &&
			expr_map_get(hay, needle->u.str.s, needle->u.str.len) != NULL;
		return KW_OK;
	}
	return rt_error(e, "operator \"in\" not defined on %s", expr_type_name(hay));
}

static bool has_prefix(const struct expr_value *s, const struct expr_value *p)
{
	return s->u.str.len >= p->u.str.len &&
		memcmp(s->u.str.s, p->u.str.s, p->u.str.len) == 0;
}

static bool has_suffix(const struct expr_value *s, const struct expr_value *p)
{
	return s->u.str.len >= p->u.str.len &&
		memcmp(s->u.str.s + s->u.str.len - p->u.str.len, p->u.str.s, p->u.str.len) == 0;
}

static int string_op(struct eval *e, enum op op, const struct expr_value *a,
	const struct expr_value *b, struct expr_value *out)
{
	if (a->type != EXPR_STRING || b->type != EXPR_STRING)
		return rt_error(e, "%s", "contains, startsWith and endsWith take strings");
	out->type = EXPR_BOOL;
	if (op == OP_STARTS)
		out->u.b = has_prefix(a, b);
	else if (op == OP_ENDS)
		out->u.b = has_suffix(a, b);
	else
		out->u.b = b->u.str.len == 0 || (a->u.str.len >= b->u.str.len &&
			memmem(a->u.str.s, a->u.str.len, b->u.str.s, b->u.str.len) != NULL);
	return KW_OK;
}

static int eval_bool(struct eval *e, const struct node *n, bool *b)
{
	struct expr_value v;

	if (eval(e, n, &v) != KW_OK)
		return e->rc;
	if (v.type != EXPR_BOOL)
		return rt_error(e, "%s is not a bool", expr_type_name(&v));
	*b = v.u.b;
	return KW_OK;
}

static int eval_binary(struct eval *e, const struct node *n, struct expr_value *out)
{
	struct expr_value a, b;
	bool x = false;

	if (n->op == OP_AND || n->op == OP_OR) {
		if (eval_bool(e, n->a, &x) != KW_OK)
			return e->rc;
		out->type = EXPR_BOOL;
		out->u.b = x;
		if ((n->op == OP_AND) != x)
			return KW_OK; /* short-circuit, as expr-lang's jumps */
		return eval_bool(e, n->b, &out->u.b);
	}
	if (eval(e, n->a, &a) != KW_OK || eval(e, n->b, &b) != KW_OK)
		return e->rc;
	switch (n->op) {
	case OP_EQ: case OP_NE:
		out->type = EXPR_BOOL;
		out->u.b = expr_equal(&a, &b) == (n->op == OP_EQ);
		return KW_OK;
	case OP_LT: case OP_GT: case OP_LE: case OP_GE:
		return compare(e, n->op, &a, &b, out);
	case OP_IN: case OP_NOT_IN:
		if (in(e, &a, &b, &x) != KW_OK)
			return e->rc;
		out->type = EXPR_BOOL;
		out->u.b = x == (n->op == OP_IN);
		return KW_OK;
	case OP_ADD:
		return add(e, &a, &b, out);
	default:
		return string_op(e, n->op, &a, &b, out);
	}
}

static int eval_unary(struct eval *e, const struct node *n, struct expr_value *out)
{
	struct expr_value v;

	if (n->op == OP_NOT) {
		if (eval_bool(e, n->a, &out->u.b) != KW_OK)
			return e->rc;
		out->type = EXPR_BOOL;
		out->u.b = !out->u.b;
		return KW_OK;
	}
	if (eval(e, n->a, &v) != KW_OK)
		return e->rc;
	if (v.type == EXPR_INT)
		v.u.i = (long long)(0ULL - (unsigned long long)v.u.i);
	else if (v.type == EXPR_FLOAT)
		v.u.f = -v.u.f;
	else
		return rt_error(e, "invalid operation: - %s", expr_type_name(&v));
	*out = v;
	return KW_OK;
}

static int eval_call(struct eval *e, const struct node *n, struct expr_value *out)
{
	struct expr_value callee, args[2];

	if (eval(e, n->a, &callee) != KW_OK)
		return e->rc;
	if (callee.type != EXPR_FUNC)
		return rt_error(e, "%s is not a function", expr_type_name(&callee));
	if (n->n_args > 2)
		return rt_error(e, "%s", "too many arguments");
	for (size_t i = 0; i < n->n_args; i++)
		if (eval(e, n->args[i], &args[i]) != KW_OK)
			return e->rc;
	e->rc = expr_call(out, callee.u.fn, args, n->n_args, e->env, e->arena, e->err);
	return e->rc;
}

static int eval_array(struct eval *e, const struct node *n, struct expr_value *out)
{
	struct expr_value *items = expr_alloc(e->arena, (n->n_args + 1) * sizeof(*items));

	if (items == NULL)
		return rt_oom(e);
	for (size_t i = 0; i < n->n_args; i++)
		if (eval(e, n->args[i], &items[i]) != KW_OK)
			return e->rc;
	out->type = EXPR_ARRAY;
	out->u.arr.items = items;
	out->u.arr.n = n->n_args;
	return KW_OK;
}

static int eval(struct eval *e, const struct node *n, struct expr_value *out)
{
	struct expr_value a, b;
	bool c = false;

	memset(out, 0, sizeof(*out));
	switch (n->kind) {
	case N_LIT:
		*out = n->lit;
		return KW_OK;
	case N_NAME:
		return name_value(e, n, out);
	case N_MEMBER:
		if (eval(e, n->a, &a) != KW_OK || eval(e, n->b, &b) != KW_OK)
			return e->rc;
		return fetch(e, &a, &b, out);
	case N_CALL:
		return eval_call(e, n, out);
	case N_UNARY:
		return eval_unary(e, n, out);
	case N_BINARY:
		return eval_binary(e, n, out);
	case N_COND:
		if (eval_bool(e, n->a, &c) != KW_OK)
			return e->rc;
		return eval(e, c ? n->b : n->c, out);
	case N_ARRAY:
		return eval_array(e, n, out);
	}
	return rt_error(e, "%s", "unknown node");
}

int expr_run(struct expr_value *out, const struct expr_program *p,
	const struct expr_env *env, struct expr_arena *arena, struct kw_err *err)
{
	struct eval e = { env, arena, err, KW_OK };

	return eval(&e, p->root, out);
}

int expr_when(bool *met, const char *src, size_t len,
	const struct expr_env *env, struct expr_arena *arena, struct kw_err *err)
{
	struct expr_program *p;
	struct expr_value v;
	size_t col;
	int rc;

	*met = false;
	if (len == 0) {
		*met = true;
		return KW_OK;
	}
	if ((rc = expr_compile(&p, arena, src, len, false, &col, err)) != KW_OK ||
	    (rc = expr_run(&v, p, env, arena, err)) != KW_OK)
		return rc;
	if (v.type != EXPR_BOOL)
		return kw_errf(err, KW_EINVAL, "match expression result is of type %s; "
			"expected bool", expr_type_name(&v));
	*met = v.u.b;
	return KW_OK;
}
