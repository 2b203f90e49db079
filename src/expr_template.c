/*
 * expr_template.c: Kargo's expressions.EvaluateTemplate and evalAsString
 * over the subset (expr.h): `${{ }}` and `${% %}` delimiters, a non-string
 * result written as Go's json.Marshal writes it, then the result typed as
 * Kargo types it (quoted, a float, a bool, JSON, else a string).
 */
#include "expr_internal.h"

#include "strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEMPLATE_MAX (64u * 1024)

/* The next delimited expression at or after *pos: its bounds, or false
 * when there is none. *unclosed when a start has no end. */
static bool next_expression(const char *s, size_t len, size_t pos,
	size_t *start, size_t *body, size_t *body_len, size_t *after, bool *unclosed)
{
	static const char *const open[] = { "${{", "${%" };
	static const char *const close[] = { "}}", "%}" };
	size_t best = len;
	int which = -1;
	const char *end;

	*unclosed = false;
	for (int d = 0; d < 2; d++) {
		const char *hit = memmem(s + pos, len - pos, open[d], 3);

		if (hit != NULL && (size_t)(hit - s) < best) {
			best = (size_t)(hit - s);
			which = d;
		}
	}
	if (which < 0)
		return false;
	end = memmem(s + best + 3, len - best - 3, close[which], 2);
	if (end == NULL) {
		*unclosed = true;
		*start = best;
		return false;
	}
	*start = best;
	*body = best + 3;
	*body_len = (size_t)(end - s) - *body;
	*after = (size_t)(end - s) + 2;
	return true;
}

int expr_template_check(const char *tpl, size_t len, size_t *col,
	struct kw_err *err)
{
	size_t pos = 0, start, body, body_len, after;
	bool unclosed;
	int rc = KW_OK;

	*col = 0;
	while (rc == KW_OK && next_expression(tpl, len, pos, &start, &body,
	    &body_len, &after, &unclosed)) {
		struct expr_arena a;
		struct expr_program *p;
		size_t c;

		if (body_len == 0) /* the rest is text (see expr_template_string) */
			break;
		expr_arena_init(&a, TEMPLATE_MAX * 16);
		rc = expr_compile(&p, &a, tpl + body, body_len, true, &c, err);
		expr_arena_free(&a);
		if (rc != KW_OK)
			*col = body + c;
		pos = after;
	}
	if (rc == KW_OK && unclosed) {
		*col = start + 1;
		rc = kw_errf(err, KW_EINVAL, "unclosed expression: expected \"%s\" but "
			"reached end of template", tpl[start + 2] == '{' ? "}}" : "%}");
	}
	return rc;
}

/* strconv.FormatFloat(f, 'f' or 'e', -1, 64) as json.Marshal picks. */
static int go_float(struct strbuf *sb, double f)
{
	char e[40], digits[24];
	int prec, exp, nd = 0;
	double a = fabs(f);

	for (prec = 1; prec <= 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, f);
		if (strtod(e, NULL) == f)
			break;
	}
	for (const char *p = e; *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	digits[nd] = '\0';
	exp = atoi(strchr(e, 'e') + 1);
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		return strbuf_printf(sb, "%s%c%s%s%se%c%d", signbit(f) ? "-" : "", digits[0],
			nd > 1 ? "." : "", nd > 1 ? digits + 1 : "", "",
			exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
	if (signbit(f) && strbuf_puts(sb, "-") != KW_OK)
		return KW_ENOMEM;
	if (exp < 0) {
		if (strbuf_puts(sb, "0.") != KW_OK)
			return KW_ENOMEM;
		for (int i = -1; i > exp; i--)
			strbuf_puts(sb, "0");
		return strbuf_puts(sb, digits);
	}
	for (int i = 0; i <= exp || i < nd; i++) {
		if (i == exp + 1 && strbuf_puts(sb, ".") != KW_OK)
			return KW_ENOMEM;
		if (strbuf_append(sb, i < nd ? &digits[i] : "0", 1) != KW_OK)
			return KW_ENOMEM;
	}
	return KW_OK;
}

int expr_marshal(struct strbuf *sb, const struct expr_value *v)
{
	int rc = KW_OK;

	switch (v->type) {
	case EXPR_NIL: return strbuf_puts(sb, "null");
	case EXPR_BOOL: return strbuf_puts(sb, v->u.b ? "true" : "false");
	case EXPR_INT: return strbuf_printf(sb, "%lld", v->u.i);
	case EXPR_FLOAT:
		if (isnan(v->u.f) || isinf(v->u.f))
			return KW_EINVAL; /* json: unsupported value */
		return go_float(sb, v->u.f);
	case EXPR_STRING: return strbuf_json_string(sb, v->u.str.s, v->u.str.len);
	case EXPR_FUNC: return KW_EINVAL; /* json: unsupported type */
	case EXPR_ARRAY:
		rc = strbuf_puts(sb, "[");
		for (size_t i = 0; rc == KW_OK && i < v->u.arr.n; i++)
			if ((i == 0 || (rc = strbuf_puts(sb, ",")) == KW_OK))
				rc = expr_marshal(sb, &v->u.arr.items[i]);
		return rc == KW_OK ? strbuf_puts(sb, "]") : rc;
	case EXPR_MAP:
		rc = strbuf_puts(sb, "{");
		for (size_t i = 0; rc == KW_OK && i < v->u.map.n; i++) {
			const struct expr_member *m = &v->u.map.m[i];

			if (i > 0)
				rc = strbuf_puts(sb, ",");
			if (rc == KW_OK)
				rc = strbuf_json_string(sb, m->key, m->key_len);
			if (rc == KW_OK)
				rc = strbuf_puts(sb, ":");
			if (rc == KW_OK)
				rc = expr_marshal(sb, &m->v);
		}
		return rc == KW_OK ? strbuf_puts(sb, "}") : rc;
	}
	return KW_EINVAL;
}

/* A run of digits (hex ones too with hex) and underscores, which Go's
 * readFloat skips and underscore_ok judges afterwards. */
static bool digits_run(const char *s, size_t len, size_t *i, bool hex)
{
	bool digits = false;

	for (; *i < len; (*i)++) {
		if ((s[*i] >= '0' && s[*i] <= '9') || (hex && kw_hex_value(s[*i]) >= 0))
			digits = true;
		else if (s[*i] != '_')
			break;
	}
	return digits;
}

/* Go's underscoreOK: an underscore only between digits, or between a base
 * prefix (0b, 0o, 0x) and a digit. */
static bool underscore_ok(const char *s, size_t len)
{
	char saw = '^'; /* '^' start, '0' digit or prefix, '_', '!' other */
	bool hex = false;
	size_t i = 0;

	if (len >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		len--;
	}
	if (len >= 2 && s[0] == '0' && strchr("bBoOxX", s[1]) != NULL) {
		i = 2;
		saw = '0';
		hex = s[1] == 'x' || s[1] == 'X';
	}
	for (; i < len; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (hex && kw_hex_value(s[i]) >= 0)) {
			saw = '0';
		} else if (s[i] == '_') {
			if (saw != '0')
				return false;
			saw = '_';
		} else if (saw == '_') {
			return false;
		} else {
			saw = '!';
		}
	}
	return saw != '_';
}

/* Go's readFloat grammar (decimal, hexadecimal with p exponent, inf,
 * infinity, nan; underscores as underscoreOK allows them), then its
 * range. */
bool expr_go_parses_float(const char *s, size_t len)
{
	size_t i = 0;
	bool hex = false, mant = false;
	char buf[128], *o = buf;

	if (len == 0 || len >= sizeof(buf))
		return false;
	if (s[0] == '+' || s[0] == '-')
		i++;
	if ((len - i == 3 && strncasecmp(s + i, "inf", 3) == 0) ||
	    (len - i == 8 && strncasecmp(s + i, "infinity", 8) == 0) ||
	    (len == 3 && strncasecmp(s, "nan", 3) == 0))
		return true;
	if (len - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		hex = true;
		i += 2;
	}
	mant = digits_run(s, len, &i, hex);
	if (i < len && s[i] == '.') {
		i++;
		mant = digits_run(s, len, &i, hex) || mant;
	}
	if (!mant)
		return false;
	if (i < len && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || s[i] < '0' || s[i] > '9')
			return false;
		digits_run(s, len, &i, false);
	} else if (hex) {
		return false;
	}
	if (i != len || (memchr(s, '_', len) != NULL && !underscore_ok(s, len)))
		return false;
	for (size_t k = 0; k < len; k++) /* strtod reads the rest */
		if (s[k] != '_')
			*o++ = s[k];
	*o = '\0';
	errno = 0;
	return !(isinf(strtod(buf, NULL)) && errno == ERANGE);
}

/* strconv.ParseBool. */
static bool go_parses_bool(const char *s, size_t len)
{
	static const char *const words[] = { "1", "t", "T", "TRUE", "true", "True",
		"0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < KW_ARRAY_LEN(words); i++)
		if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
			return true;
	return false;
}

/* One expression's text in the template's result. */
static int evaluate_one(struct strbuf *sb, const char *src, size_t len,
	const struct expr_env *env, struct expr_arena *a, struct kw_err *err)
{
	struct expr_program *p;
	struct expr_value v;
	size_t col;
	int rc;

	if ((rc = expr_compile(&p, a, src, len, true, &col, err)) != KW_OK ||
	    (rc = expr_run(&v, p, env, a, err)) != KW_OK)
		return rc;
	if (v.type == EXPR_STRING)
		return strbuf_append(sb, v.u.str.s, v.u.str.len);
	rc = expr_marshal(sb, &v);
	return rc == KW_EINVAL ? kw_errf(err, KW_EINVAL, "json: unsupported value") : rc;
}

/* EvaluateTemplate's typing of the result, reduced to evalAsString's
 * question: is it a string, and which. */
static int as_string(const char **out, size_t *out_len, char *r, size_t n,
	struct expr_arena *a, struct kw_err *err)
{
	struct expr_value v;

	if (n > 0 && r[n - 1] == '\n')
		n--;
	if (n > 1 && r[0] == '"' && r[n - 1] == '"') {
		/* the quotes go, a newline cut off comes back: it sits where
		 * the closing quote was */
		if (r[n] == '\n')
			r[n - 1] = '\n';
		*out = r + 1;
		*out_len = n - 2 + (r[n] == '\n');
		return KW_OK;
	}
	if (expr_go_parses_float(r, n) || go_parses_bool(r, n))
		return kw_errf(err, KW_EINVAL, "expression result %.*s is not a string",
			(int)(n < 64 ? n : 64), r);
	if (expr_json_decode(&v, r, n, a, NULL) == KW_OK) {
		if (v.type != EXPR_STRING)
			return kw_errf(err, KW_EINVAL, "expression result evaluated to %s; "
				"not a string", expr_type_name(&v));
		*out = v.u.str.s;
		*out_len = v.u.str.len;
		return KW_OK;
	}
	*out = r;
	*out_len = n + (r[n] == '\n'); /* the newline comes back */
	return KW_OK;
}

int expr_template_string(const char **out, size_t *out_len, const char *tpl,
	size_t len, const struct expr_env *env, struct expr_arena *arena,
	struct kw_err *err)
{
	struct strbuf sb;
	size_t pos = 0, start, body, body_len, after;
	bool unclosed, any = false;
	int rc = KW_OK;
	char *r;

	*out = tpl;
	*out_len = len;
	strbuf_init(&sb, TEMPLATE_MAX);
	while (rc == KW_OK && next_expression(tpl, len, pos, &start, &body,
	    &body_len, &after, &unclosed)) {
		any = true;
		rc = strbuf_append(&sb, tpl + pos, start - pos);
		pos = after;
		/* Kargo's evaluateTemplate stops at an empty expression and
		 * writes the rest as it stands, delimiters and all. */
		if (body_len == 0)
			break;
		if (rc == KW_OK)
			rc = evaluate_one(&sb, tpl + body, body_len, env, arena, err);
	}
	if (rc == KW_OK && unclosed)
		rc = kw_errf(err, KW_EINVAL, "unclosed expression");
	if (rc != KW_OK || (!any && !unclosed)) {
		strbuf_free(&sb);
		return rc;
	}
	if (strbuf_append(&sb, tpl + pos, len - pos) != KW_OK ||
	    (r = expr_alloc(arena, sb.len + 1)) == NULL) {
		strbuf_free(&sb);
		return KW_ENOMEM;
	}
	if (sb.len > 0)
		memcpy(r, sb.buf, sb.len);
	rc = as_string(out, out_len, r, sb.len, arena, err);
	strbuf_free(&sb);
	return rc;
}
