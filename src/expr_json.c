/*
 * expr_json.c: a body as Go's json.Unmarshal(body, &any) holds it, for
 * the generic receiver's request.body: objects as maps (the last of
 * repeated keys wins), numbers as float64, strings as Go decodes them.
 * The validity pass follows encoding/json's scanner state by state, so a
 * refused body gets Go's own message ("invalid character 'x' looking for
 * beginning of value", "unexpected end of JSON input"), which Kargo puts
 * in its 400 answer. Pure.
 */
#include "expr_internal.h"

#include "gojson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREE_MAX_DEPTH GOJSON_MAX_DEPTH

enum st {
	S_BEGIN_VALUE, S_BEGIN_VALUE_OR_EMPTY, S_BEGIN_STRING_OR_EMPTY,
	S_BEGIN_STRING, S_END_VALUE, S_END_TOP, S_IN_STRING, S_IN_ESC, S_IN_ESC_U,
	S_NEG, S_ONE, S_ZERO, S_DOT, S_DOT0, S_E, S_ESIGN, S_E0, S_LIT,
};

enum ps { P_OBJECT_KEY, P_OBJECT_VALUE, P_ARRAY_VALUE };

struct scan {
	enum st st;
	unsigned char *stack; /* parse states */
	size_t depth;
	int hex_left;        /* S_IN_ESC_U */
	const char *lit;     /* S_LIT: the rest of the literal expected */
	const char *lit_name;
	char msg[160];
};

/* Go's quoteChar. */
static void quote_char(char *out, size_t size, unsigned char c)
{
	if (c == '\'')
		snprintf(out, size, "'\\''");
	else if (c == '"')
		snprintf(out, size, "'\"'");
	else if (c == '\\')
		snprintf(out, size, "'\\\\'");
	else if (c >= 0x20 && c < 0x7f)
		snprintf(out, size, "'%c'", c);
	else if (strchr("\a\b\f\n\r\t\v", c) != NULL && c != 0)
		snprintf(out, size, "'\\%c'", "abfnrtv"[strchr("\a\b\f\n\r\t\v", c) - "\a\b\f\n\r\t\v"]);
	else if (c < 0x80)
		snprintf(out, size, "'\\x%02x'", c);
	else if (c < 0xa1 || c == 0xad)
		snprintf(out, size, "'\\u%04x'", c);
	else
		snprintf(out, size, "'%c%c'", 0xc0 | (c >> 6), 0x80 | (c & 0x3f));
}

static bool scan_error(struct scan *s, unsigned char c, const char *context)
{
	char q[16];

	quote_char(q, sizeof(q), c);
	snprintf(s->msg, sizeof(s->msg), "invalid character %s %s", q, context);
	return false;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool push(struct scan *s, enum ps p)
{
	if (s->depth >= GOJSON_GO_MAX_DEPTH) {
		snprintf(s->msg, sizeof(s->msg), "exceeded max depth");
		return false;
	}
	s->stack[s->depth++] = (unsigned char)p;
	return true;
}

static bool begin_literal(struct scan *s, const char *rest, const char *name)
{
	s->st = S_LIT;
	s->lit = rest;
	s->lit_name = name;
	return true;
}

static bool begin_value(struct scan *s, unsigned char c)
{
	if (is_space(c))
		return true;
	switch (c) {
	case '{': s->st = S_BEGIN_STRING_OR_EMPTY; return push(s, P_OBJECT_KEY);
	case '[': s->st = S_BEGIN_VALUE_OR_EMPTY; return push(s, P_ARRAY_VALUE);
	case '"': s->st = S_IN_STRING; return true;
	case '-': s->st = S_NEG; return true;
	case '0': s->st = S_ZERO; return true;
	case 't': return begin_literal(s, "rue", "true");
	case 'f': return begin_literal(s, "alse", "false");
	case 'n': return begin_literal(s, "ull", "null");
	}
	if (c >= '1' && c <= '9') {
		s->st = S_ONE;
		return true;
	}
	return scan_error(s, c, "looking for beginning of value");
}

static bool end_value(struct scan *s, unsigned char c)
{
	if (s->depth == 0) {
		s->st = S_END_TOP;
		return is_space(c) || scan_error(s, c, "after top-level value");
	}
	if (is_space(c)) {
		s->st = S_END_VALUE;
		return true;
	}
	switch (s->stack[s->depth - 1]) {
	case P_OBJECT_KEY:
		if (c != ':')
			return scan_error(s, c, "after object key");
		s->stack[s->depth - 1] = P_OBJECT_VALUE;
		s->st = S_BEGIN_VALUE;
		return true;
	case P_OBJECT_VALUE:
		if (c == ',') {
			s->stack[s->depth - 1] = P_OBJECT_KEY;
			s->st = S_BEGIN_STRING;
			return true;
		}
		if (c != '}')
			return scan_error(s, c, "after object key:value pair");
		break;
	default:
		if (c == ',') {
			s->st = S_BEGIN_VALUE;
			return true;
		}
		if (c != ']')
			return scan_error(s, c, "after array element");
	}
	s->depth--;
	s->st = s->depth == 0 ? S_END_TOP : S_END_VALUE;
	return true;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool in_number(struct scan *s, unsigned char c)
{
	switch (s->st) {
	case S_NEG:
		if (c == '0') { s->st = S_ZERO; return true; }
		if (c >= '1' && c <= '9') { s->st = S_ONE; return true; }
		return scan_error(s, c, "in numeric literal");
	case S_ONE:
		if (is_digit(c))
			return true;
		/* fall through */
	case S_ZERO:
		if (c == '.') { s->st = S_DOT; return true; }
		if (c == 'e' || c == 'E') { s->st = S_E; return true; }
		return end_value(s, c);
	case S_DOT:
		if (is_digit(c)) { s->st = S_DOT0; return true; }
		return scan_error(s, c, "after decimal point in numeric literal");
	case S_DOT0:
		if (is_digit(c))
			return true;
		if (c == 'e' || c == 'E') { s->st = S_E; return true; }
		return end_value(s, c);
	case S_E:
		if (c == '+' || c == '-') { s->st = S_ESIGN; return true; }
		/* fall through */
	case S_ESIGN:
		if (is_digit(c)) { s->st = S_E0; return true; }
		return scan_error(s, c, "in exponent of numeric literal");
	default: /* S_E0 */
		return is_digit(c) || end_value(s, c);
	}
}

static bool in_string(struct scan *s, unsigned char c)
{
	switch (s->st) {
	case S_IN_STRING:
		if (c == '"') {
			s->st = S_END_VALUE;
			return true;
		}
		if (c == '\\')
			s->st = S_IN_ESC;
		else if (c < 0x20)
			return scan_error(s, c, "in string literal");
		return true;
	case S_IN_ESC:
		if (strchr("bfnrt\\/\"", c) != NULL && c != 0) {
			s->st = S_IN_STRING;
			return true;
		}
		if (c == 'u') {
			s->st = S_IN_ESC_U;
			s->hex_left = 4;
			return true;
		}
		return scan_error(s, c, "in string escape code");
	default:
		if (kw_hex_value(c) < 0)
			return scan_error(s, c, "in \\u hexadecimal character escape");
		if (--s->hex_left == 0)
			s->st = S_IN_STRING;
		return true;
	}
}

static bool step(struct scan *s, unsigned char c)
{
	char ctx[64];

	switch (s->st) {
	case S_BEGIN_VALUE:
		return begin_value(s, c);
	case S_BEGIN_VALUE_OR_EMPTY:
		if (is_space(c))
			return true;
		if (c == ']')
			return end_value(s, c);
		s->st = S_BEGIN_VALUE;
		return begin_value(s, c);
	case S_BEGIN_STRING_OR_EMPTY:
		if (is_space(c))
			return true;
		if (c == '}') {
			s->stack[s->depth - 1] = P_OBJECT_VALUE;
			return end_value(s, c);
		}
		/* fall through */
	case S_BEGIN_STRING:
		if (is_space(c))
			return true;
		if (c != '"')
			return scan_error(s, c, "looking for beginning of object key string");
		s->st = S_IN_STRING;
		return true;
	case S_END_VALUE:
		return end_value(s, c);
	case S_END_TOP:
		return is_space(c) || scan_error(s, c, "after top-level value");
	case S_IN_STRING: case S_IN_ESC: case S_IN_ESC_U:
		return in_string(s, c);
	case S_LIT:
		if (c != (unsigned char)*s->lit) {
			snprintf(ctx, sizeof(ctx), "in literal %s (expecting '%c')",
				s->lit_name, *s->lit);
			return scan_error(s, c, ctx);
		}
		if (*++s->lit == '\0')
			s->st = S_END_VALUE;
		return true;
	default:
		return in_number(s, c);
	}
}

/* Go's checkValid: false with s->msg on the first error. */
static bool check_valid(struct scan *s, const unsigned char *p, size_t len)
{
	s->st = S_BEGIN_VALUE;
	for (size_t i = 0; i < len; i++)
		if (!step(s, p[i]))
			return false;
	/* Go's eof: one more space ends a number or reports a literal cut
	 * short; anything still open is an unexpected end. */
	if (s->st == S_END_TOP)
		return true;
	if (!step(s, ' '))
		return false;
	if (s->st == S_END_TOP)
		return true;
	snprintf(s->msg, sizeof(s->msg), "unexpected end of JSON input");
	return false;
}

/* ---- the tree ---- */

struct builder {
	const unsigned char *p;
	size_t len, pos;
	struct expr_arena *a;
	struct kw_err *err;
	int rc;
};

static void skip_ws(struct builder *b)
{
	while (b->pos < b->len && is_space(b->p[b->pos]))
		b->pos++;
}

static int build(struct builder *b, struct expr_value *out, size_t depth);

static int build_string(struct builder *b, const char **s, size_t *n)
{
	size_t start = ++b->pos;
	char *o;

	while (b->p[b->pos] != '"')
		b->pos += b->p[b->pos] == '\\' ? 2 : 1;
	o = expr_alloc(b->a, 3 * (b->pos - start) + 1);
	if (o == NULL)
		return KW_ENOMEM;
	*n = gojson_string((unsigned char *)o, b->p + start, b->pos - start);
	/* gojson_string reads \u0000 as U+0001 (C strings); Go holds NUL. */
	*s = o;
	b->pos++;
	return KW_OK;
}

static int build_number(struct builder *b, struct expr_value *out)
{
	size_t start = b->pos;
	char buf[400];

	while (b->pos < b->len && strchr("+-.eE0123456789", b->p[b->pos]) != NULL && b->p[b->pos] != 0)
		b->pos++;
	out->type = EXPR_FLOAT;
	if (b->pos - start >= sizeof(buf)) {
		char *big = kw_strndup((const char *)b->p + start, b->pos - start);

		if (big == NULL)
			return KW_ENOMEM;
		errno = 0;
		out->u.f = strtod(big, NULL);
		free(big);
	} else {
		memcpy(buf, b->p + start, b->pos - start);
		buf[b->pos - start] = '\0';
		errno = 0;
		out->u.f = strtod(buf, NULL);
	}
	if (errno == ERANGE && isinf(out->u.f))
		return kw_errf(b->err, KW_EINVAL, "json: cannot unmarshal number %.*s into "
			"Go value of type float64", (int)(b->pos - start < 300 ? b->pos - start : 300),
			(const char *)b->p + start);
	return KW_OK;
}

static int grow(struct builder *b, void **arr, size_t n, size_t *cap, size_t size)
{
	void *g;

	if (n < *cap)
		return KW_OK;
	*cap = *cap ? *cap * 2 : 4;
	if ((g = expr_alloc(b->a, *cap * size)) == NULL)
		return KW_ENOMEM;
	if (n > 0)
		memcpy(g, *arr, n * size);
	*arr = g;
	return KW_OK;
}

static int build_object(struct builder *b, struct expr_value *out, size_t depth)
{
	struct expr_member *m = NULL;
	size_t n = 0, cap = 0;
	int rc;

	b->pos++;
	for (skip_ws(b); b->p[b->pos] != '}'; skip_ws(b)) {
		if (b->p[b->pos] == ',') {
			b->pos++;
			skip_ws(b);
		}
		if ((rc = grow(b, (void **)&m, n, &cap, sizeof(*m))) != KW_OK ||
		    (rc = build_string(b, &m[n].key, &m[n].key_len)) != KW_OK)
			return rc;
		skip_ws(b);
		b->pos++; /* : */
		if ((rc = build(b, &m[n].v, depth + 1)) != KW_OK)
			return rc;
		n++;
	}
	b->pos++;
	out->type = EXPR_MAP;
	out->u.map.m = m;
	out->u.map.n = n;
	return expr_map_finish(out);
}

static int build_array(struct builder *b, struct expr_value *out, size_t depth)
{
	struct expr_value *items = NULL;
	size_t n = 0, cap = 0;
	int rc;

	b->pos++;
	for (skip_ws(b); b->p[b->pos] != ']'; skip_ws(b)) {
		if (b->p[b->pos] == ',')
			b->pos++;
		if ((rc = grow(b, (void **)&items, n, &cap, sizeof(*items))) != KW_OK ||
		    (rc = build(b, &items[n], depth + 1)) != KW_OK)
			return rc;
		n++;
	}
	b->pos++;
	out->type = EXPR_ARRAY;
	out->u.arr.items = items;
	out->u.arr.n = n;
	return KW_OK;
}

static int build(struct builder *b, struct expr_value *out, size_t depth)
{
	memset(out, 0, sizeof(*out));
	if (depth > TREE_MAX_DEPTH)
		return kw_errf(b->err, KW_EINVAL, "JSON nested deeper than %d levels",
			TREE_MAX_DEPTH);
	skip_ws(b);
	switch (b->p[b->pos]) {
	case '{': return build_object(b, out, depth);
	case '[': return build_array(b, out, depth);
	case '"':
		out->type = EXPR_STRING;
		return build_string(b, &out->u.str.s, &out->u.str.len);
	case 't': case 'f':
		out->type = EXPR_BOOL;
		out->u.b = b->p[b->pos] == 't';
		b->pos += out->u.b ? 4 : 5;
		return KW_OK;
	case 'n':
		b->pos += 4;
		return KW_OK;
	default:
		return build_number(b, out);
	}
}

int expr_json_decode(struct expr_value *out, const char *body, size_t len,
	struct expr_arena *a, struct kw_err *err)
{
	struct scan s = { 0 };
	struct builder b = { (const unsigned char *)body, len, 0, a, err, KW_OK };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((s.stack = malloc(GOJSON_GO_MAX_DEPTH)) == NULL)
		return KW_ENOMEM;
	if (!check_valid(&s, b.p, len)) {
		rc = kw_errf(err, KW_EINVAL, "%s", s.msg);
		free(s.stack);
		return rc;
	}
	free(s.stack);
	return build(&b, out, 0);
}
