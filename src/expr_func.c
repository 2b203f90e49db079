/*
 * expr_func.c: the functions an expression may call (expr.h's subset):
 * the request's methods (http.Header.Get and Values, url.Values.Get),
 * Kargo's normalizers, and the expr-lang builtins kept, each with the
 * result its Go original gives.
 */
#include "expr_internal.h"

#include "headers.h"
#include "imagenorm.h"
#include "urlnorm.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

static const char *const fn_names[] = { "header", "headers", "params",
	"normalizeGit", "normalizeImage", "normalizeChart", "lower", "upper",
	"trim", "trimPrefix", "trimSuffix", "hasPrefix", "hasSuffix", "split",
	"len" };

static struct expr_value string_of(const char *s, size_t len)
{
	struct expr_value v = { .type = EXPR_STRING };

	v.u.str.s = s;
	v.u.str.len = len;
	return v;
}

static int copy_string(struct expr_value *out, const char *s, size_t len,
	struct expr_arena *a)
{
	char *c = expr_alloc(a, len + 1);

	if (c == NULL)
		return KW_ENOMEM;
	memcpy(c, s, len);
	*out = string_of(c, len);
	return KW_OK;
}

/* The argument as a C string (NUL bytes cut it: no header or URL holds
 * one). */
static const char *cstr(const struct expr_value *v, struct expr_arena *a)
{
	char *c = expr_alloc(a, v->u.str.len + 1);

	if (c != NULL)
		memcpy(c, v->u.str.s, strnlen(v->u.str.s, v->u.str.len));
	return c;
}

static int headers_values(struct expr_value *out, const struct header_lookup *h,
	const char *name, struct expr_arena *a)
{
	size_t n = header_count(h, name);
	struct expr_value *items = expr_alloc(a, (n + 1) * sizeof(*items));

	if (items == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *v = h->nth != NULL ? h->nth(h->src, name, i) :
			i == 0 ? header_get(h, name) : NULL;

		items[i] = string_of(v ? v : "", v ? strlen(v) : 0);
	}
	out->type = EXPR_ARRAY;
	out->u.arr.items = items;
	out->u.arr.n = n;
	return KW_OK;
}

static int normalize(struct expr_value *out, int fn, const struct expr_value *s,
	struct expr_arena *a)
{
	char *norm = NULL;
	int rc;

	if (fn == FN_NORM_GIT)
		rc = urlnorm_git(&norm, s->u.str.s, s->u.str.len);
	else if (fn == FN_NORM_IMAGE)
		rc = imagenorm_image(&norm, s->u.str.s, s->u.str.len);
	else
		rc = imagenorm_chart(&norm, s->u.str.s, s->u.str.len);
	if (rc == KW_OK)
		rc = copy_string(out, norm, strlen(norm), a);
	free(norm);
	return rc;
}

static int change_case(struct expr_value *out, const struct expr_value *s,
	bool upper, struct expr_arena *a, struct kw_err *err)
{
	char *c = expr_alloc(a, s->u.str.len + 1);

	if (c == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < s->u.str.len; i++) {
		unsigned char b = (unsigned char)s->u.str.s[i];

		if (b >= 0x80)
			return kw_errf(err, KW_EINVAL, "%s of non-ASCII text is outside the "
				"subset (docs/receivers/generic.md)", upper ? "upper" : "lower");
		if (upper && b >= 'a' && b <= 'z')
			b -= 32;
		else if (!upper && b >= 'A' && b <= 'Z')
			b += 32;
		c[i] = (char)b;
	}
	*out = string_of(c, s->u.str.len);
	return KW_OK;
}

/* unicode.IsSpace. */
static bool go_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202F: case 0x205F: case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

/* strings.TrimSpace. */
static struct expr_value trim_space(const struct expr_value *s)
{
	const unsigned char *p = (const unsigned char *)s->u.str.s;
	size_t start = 0, end = s->u.str.len;
	uint32_t r;

	while (start < end) {
		size_t w = utf8_decode(p + start, end - start, &r);

		if (!go_space(r))
			break;
		start += w;
	}
	while (end > start) {
		size_t back = 1;

		while (back < 4 && back < end - start && (p[end - back] & 0xC0) == 0x80)
			back++;
		if (utf8_decode(p + end - back, back, &r) != back)
			back = 1, r = p[end - 1];
		if (!go_space(r))
			break;
		end -= back;
	}
	return string_of(s->u.str.s + start, end - start);
}

static int split(struct expr_value *out, const struct expr_value *s,
	const struct expr_value *sep, struct expr_arena *a)
{
	size_t n = 0, cap = s->u.str.len + 2, start = 0;
	struct expr_value *items = expr_alloc(a, cap * sizeof(*items));
	const unsigned char *p = (const unsigned char *)s->u.str.s;

	if (items == NULL)
		return KW_ENOMEM;
	if (sep->u.str.len == 0) {
		/* strings.Split with "": one element per UTF-8 sequence. */
		while (start < s->u.str.len) {
			uint32_t r;
			size_t w = utf8_decode(p + start, s->u.str.len - start, &r);

			items[n++] = string_of(s->u.str.s + start, w);
			start += w;
		}
	} else {
		for (;;) {
			const char *hit = memmem(s->u.str.s + start, s->u.str.len - start,
				sep->u.str.s, sep->u.str.len);

			if (hit == NULL)
				break;
			items[n++] = string_of(s->u.str.s + start, (size_t)(hit - s->u.str.s) - start);
			start = (size_t)(hit - s->u.str.s) + sep->u.str.len;
		}
		items[n++] = string_of(s->u.str.s + start, s->u.str.len - start);
	}
	out->type = EXPR_ARRAY;
	out->u.arr.items = items;
	out->u.arr.n = n;
	return KW_OK;
}

static int length(struct expr_value *out, const struct expr_value *v,
	struct kw_err *err)
{
	out->type = EXPR_INT;
	if (v->type == EXPR_ARRAY) {
		out->u.i = (long long)v->u.arr.n;
	} else if (v->type == EXPR_MAP) {
		out->u.i = (long long)v->u.map.n;
	} else if (v->type == EXPR_STRING) {
		const unsigned char *p = (const unsigned char *)v->u.str.s;
		uint32_t r;

		out->u.i = 0;
		for (size_t i = 0; i < v->u.str.len; out->u.i++)
			i += utf8_decode(p + i, v->u.str.len - i, &r);
	} else {
		return kw_errf(err, KW_EINVAL, "invalid argument for len (type %s)",
			expr_type_name(v));
	}
	return KW_OK;
}

static struct expr_value boolean(bool b)
{
	struct expr_value v = { .type = EXPR_BOOL };

	v.u.b = b;
	return v;
}

static bool prefix(const struct expr_value *s, const struct expr_value *p)
{
	return s->u.str.len >= p->u.str.len &&
		memcmp(s->u.str.s, p->u.str.s, p->u.str.len) == 0;
}

static bool suffix(const struct expr_value *s, const struct expr_value *p)
{
	return s->u.str.len >= p->u.str.len && memcmp(s->u.str.s + s->u.str.len -
		p->u.str.len, p->u.str.s, p->u.str.len) == 0;
}

/* The string functions of two arguments. */
static int string_pair(struct expr_value *out, int fn,
	const struct expr_value *s, const struct expr_value *p)
{
	switch (fn) {
	case FN_TRIM_PREFIX:
		*out = prefix(s, p) ? string_of(s->u.str.s + p->u.str.len,
			s->u.str.len - p->u.str.len) : *s;
		break;
	case FN_TRIM_SUFFIX:
		*out = suffix(s, p) ? string_of(s->u.str.s, s->u.str.len - p->u.str.len) : *s;
		break;
	case FN_HAS_PREFIX:
		*out = boolean(prefix(s, p));
		break;
	default:
		*out = boolean(suffix(s, p));
		break;
	}
	return KW_OK;
}

static int call_strings(struct expr_value *out, int fn,
	const struct expr_value *args, const struct expr_env *env,
	struct expr_arena *a, struct kw_err *err)
{
	const char *name;

	switch (fn) {
	case FN_HEADER:
		if ((name = cstr(&args[0], a)) == NULL)
			return KW_ENOMEM;
		name = header_get(env->headers, name);
		*out = string_of(name ? name : "", name ? strlen(name) : 0);
		return KW_OK;
	case FN_HEADERS:
		if ((name = cstr(&args[0], a)) == NULL)
			return KW_ENOMEM;
		return headers_values(out, env->headers, name, a);
	case FN_PARAMS:
		if ((name = cstr(&args[0], a)) == NULL)
			return KW_ENOMEM;
		name = env->query != NULL ? header_get(env->query, name) : NULL;
		*out = string_of(name ? name : "", name ? strlen(name) : 0);
		return KW_OK;
	case FN_NORM_GIT: case FN_NORM_IMAGE: case FN_NORM_CHART:
		return normalize(out, fn, &args[0], a);
	case FN_LOWER: case FN_UPPER:
		return change_case(out, &args[0], fn == FN_UPPER, a, err);
	case FN_TRIM:
		*out = trim_space(&args[0]);
		return KW_OK;
	case FN_SPLIT:
		return split(out, &args[0], &args[1], a);
	default:
		return string_pair(out, fn, &args[0], &args[1]);
	}
}

int expr_call(struct expr_value *out, int fn, const struct expr_value *args,
	size_t n, const struct expr_env *env, struct expr_arena *arena,
	struct kw_err *err)
{
	size_t want = fn == FN_TRIM_PREFIX || fn == FN_TRIM_SUFFIX ||
		fn == FN_HAS_PREFIX || fn == FN_HAS_SUFFIX || fn == FN_SPLIT ? 2 : 1;

	memset(out, 0, sizeof(*out));
	if (n != want)
		return kw_errf(err, KW_EINVAL, "%s takes %zu argument%s (got %zu)",
			fn_names[fn], want, want == 1 ? "" : "s", n);
	if (fn == FN_LEN)
		return length(out, &args[0], err);
	for (size_t i = 0; i < n; i++)
		if (args[i].type != EXPR_STRING)
			return kw_errf(err, KW_EINVAL, "%s: argument %zu is %s, not a string",
				fn_names[fn], i + 1, expr_type_name(&args[i]));
	return call_strings(out, fn, args, env, arena, err);
}

static int member_cmp(const struct expr_member *a, const struct expr_member *b)
{
	size_t k = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, k);

	if (c != 0)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

/* A stable merge sort, so that of equal keys the last stays last. */
static void merge_sort(struct expr_member *m, struct expr_member *tmp, size_t n)
{
	size_t h = n / 2, i = 0, j = h, k = 0;

	if (n < 2)
		return;
	merge_sort(m, tmp, h);
	merge_sort(m + h, tmp, n - h);
	while (i < h && j < n)
		tmp[k++] = member_cmp(&m[j], &m[i]) < 0 ? m[j++] : m[i++];
	while (i < h)
		tmp[k++] = m[i++];
	while (j < n)
		tmp[k++] = m[j++];
	memcpy(m, tmp, n * sizeof(*m));
}

int expr_map_finish(struct expr_value *map)
{
	struct expr_member *m = map->u.map.m, *tmp;
	size_t n = map->u.map.n, out = 0;

	if (n < 2)
		return KW_OK;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL)
		return KW_ENOMEM;
	merge_sort(m, tmp, n);
	free(tmp);
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && member_cmp(&m[out - 1], &m[i]) == 0)
			m[out - 1] = m[i];
		else
			m[out++] = m[i];
	}
	map->u.map.n = out;
	return KW_OK;
}

int expr_params_value(struct expr_value *out, const char *const *kv, size_t n,
	struct expr_arena *arena)
{
	struct expr_member *m = expr_alloc(arena, (n + 1) * sizeof(*m));

	if (m == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		m[i].key = kv[2 * i];
		m[i].key_len = strlen(kv[2 * i]);
		m[i].v = string_of(kv[2 * i + 1], strlen(kv[2 * i + 1]));
	}
	out->type = EXPR_MAP;
	out->u.map.m = m;
	out->u.map.n = n;
	return expr_map_finish(out);
}
