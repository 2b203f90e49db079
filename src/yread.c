/*
 * yread.c: typed reading of manifest mappings and field tables (yread.h).
 */
#include "yread.h"

#include "kw.h"
#include "manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum typed { TYPED_OK, TYPED_ABSENT, TYPED_MISTAGGED, TYPED_BAD };

/* Resolves n as a scalar of type want: TYPED_ABSENT when absent or null,
 * TYPED_MISTAGGED when an error about its tag was already reported,
 * TYPED_BAD when it is of another type (the caller says which it wants). */
static enum typed typed_scalar(struct ydoc *d, const yaml_node_t *n,
	enum yaml11_type want, struct yaml11_scalar *sc)
{
	if (ydoc_is_null(d, n))
		return TYPED_ABSENT;
	if (ydoc_mistagged(d, n))
		return TYPED_MISTAGGED;
	if (n->type != YAML_SCALAR_NODE || !ydoc_scalar(d, n, sc) ||
	    sc->type != want)
		return TYPED_BAD;
	return TYPED_OK;
}

bool yread_node_string(struct ydoc *d, const yaml_node_t *n, size_t max,
	char **out)
{
	struct yaml11_scalar sc;
	enum typed t;

	*out = NULL;
	t = typed_scalar(d, n, YAML11_STR, &sc);
	if (t == TYPED_BAD)
		ydoc_error(d, n, "must be a string, not %s%s", ydoc_describe(d, n),
			n->type == YAML_SCALAR_NODE ? " (quote it)" : "");
	if (t != TYPED_OK)
		return t == TYPED_ABSENT;
	if (memchr(sc.s, '\0', sc.len) != NULL) {
		ydoc_error(d, n, "must not contain a NUL character");
		return false;
	}
	if (sc.len > max) {
		ydoc_error(d, n, "is longer than %zu bytes", max);
		return false;
	}
	*out = kw_strndup(sc.s, sc.len);
	if (*out == NULL)
		d->oom = true;
	return *out != NULL;
}

bool yread_string(struct ydoc *d, const yaml_node_t *m, const char *key,
	unsigned flags, char **out, const yaml_node_t **at)
{
	const yaml_node_t *v = ydoc_map_get(d, m, key);
	size_t old = keypath_str(&d->kp, key);
	bool ok = yread_node_string(d, v, MANIFEST_MAX_STRING, out);

	if (ok && *out == NULL && (flags & YREAD_REQUIRED)) {
		if (!d->exhausted) /* lookups fail then: "required" would mislead */
			ydoc_error(d, v != NULL ? v : m, "required");
		ok = false;
	} else if (ok && *out != NULL && **out == '\0' && (flags & YREAD_NONEMPTY)) {
		ydoc_error(d, v, "must not be empty");
		ok = false;
	}
	keypath_pop(&d->kp, old);
	if (at != NULL)
		*at = v;
	return ok;
}

bool yread_node(struct ydoc *d, const yaml_node_t *m, const char *key,
	yaml_node_type_t type, unsigned flags, const yaml_node_t **out)
{
	const yaml_node_t *v = ydoc_map_get(d, m, key);
	size_t old = keypath_str(&d->kp, key);
	bool ok = true;

	*out = NULL;
	if (ydoc_is_null(d, v)) {
		if (flags & YREAD_REQUIRED) {
			if (!d->exhausted)
				ydoc_error(d, v != NULL ? v : m, "required");
			ok = false;
		}
	} else if (v->type != type) {
		ydoc_error(d, v, "must be %s, not %s",
			type == YAML_MAPPING_NODE ? "a mapping" : "a list", ydoc_describe(d, v));
		ok = false;
	} else {
		*out = v;
	}
	keypath_pop(&d->kp, old);
	return ok;
}

bool yread_expect_mapping(struct ydoc *d, const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return true;
	ydoc_error(d, n, "must be a mapping, not %s", ydoc_describe(d, n));
	return false;
}

/* n (at the current key path) as a list of strings. */
static void node_strings(struct ydoc *d, const yaml_node_t *n, char ***out,
	size_t *n_out)
{
	size_t count;

	if (ydoc_is_null(d, n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		ydoc_error(d, n, "must be a list of strings, not %s", ydoc_describe(d, n));
		return;
	}
	count = ydoc_list_len(n);
	if (count == 0)
		return;
	*out = calloc(count, sizeof(**out));
	if (*out == NULL) {
		d->oom = true;
		return;
	}
	for (size_t i = 0; i < count; i++) {
		size_t old = keypath_index(&d->kp, i);
		const yaml_node_t *item = ydoc_node(d, n->data.sequence.items.start[i]);

		if (ydoc_is_null(d, item))
			ydoc_error(d, item, "must be a string, not null");
		else if (yread_node_string(d, item, MANIFEST_MAX_STRING, &(*out)[*n_out]))
			(*n_out)++;
		keypath_pop(&d->kp, old);
	}
}

void yread_strings(struct ydoc *d, const yaml_node_t *m, const char *key,
	char ***out, size_t *n_out)
{
	size_t old = keypath_str(&d->kp, key);

	node_strings(d, ydoc_map_get(d, m, key), out, n_out);
	keypath_pop(&d->kp, old);
}

static int pair_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One key: value pair of a string map into v[2i], v[2i + 1]. */
static bool map_pair(struct ydoc *d, const yaml_node_t *k, const yaml_node_t *v,
	char **out)
{
	size_t old;
	bool ok;

	if (k->type != YAML_SCALAR_NODE) /* reported by kjson_convert() */
		return false;
	old = keypath_key(&d->kp, (const char *)k->data.scalar.value,
		k->data.scalar.length);
	out[0] = kw_strndup((const char *)k->data.scalar.value, k->data.scalar.length);
	if (out[0] == NULL)
		d->oom = true;
	if (ydoc_is_null(d, v))
		ydoc_error(d, v, "must be a string, not null");
	ok = out[0] != NULL && !ydoc_is_null(d, v) &&
		yread_node_string(d, v, MANIFEST_MAX_STRING, &out[1]) && out[1] != NULL;
	keypath_pop(&d->kp, old);
	if (!ok) {
		free(out[0]);
		out[0] = NULL;
	}
	return ok;
}

void yread_string_map(struct ydoc *d, const yaml_node_t *m, const char *key,
	char ***out, size_t *n_pairs)
{
	const yaml_node_t *map;
	size_t old, n, i = 0;

	if (!yread_node(d, m, key, YAML_MAPPING_NODE, 0, &map) || map == NULL ||
	    (n = ydoc_n_pairs(map)) == 0)
		return;
	if ((*out = calloc(2 * n, sizeof(**out))) == NULL) {
		d->oom = true;
		return;
	}
	old = keypath_str(&d->kp, key);
	/* Merge keys are not followed: a "<<" value is not a string. */
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top && !d->oom; p++)
		if (map_pair(d, ydoc_node(d, p->key), ydoc_node(d, p->value), *out + 2 * i))
			i++;
	keypath_pop(&d->kp, old);
	*n_pairs = i;
	qsort(*out, i, 2 * sizeof(**out), pair_cmp);
}

static bool node_bool(struct ydoc *d, const yaml_node_t *n, bool *out)
{
	struct yaml11_scalar sc;
	enum typed t = typed_scalar(d, n, YAML11_BOOL, &sc);

	if (t == TYPED_BAD)
		ydoc_error(d, n, "must be true or false, not %s", ydoc_describe(d, n));
	if (t == TYPED_OK)
		*out = sc.b;
	return t != TYPED_BAD && t != TYPED_MISTAGGED;
}

/* n as one of names: *out gets its index. */
static void read_enum(struct ydoc *d, const yaml_node_t *v, const char *const *names,
	size_t n_names, int *out)
{
	char *s = NULL, msg[256] = "";
	size_t len = 0;

	if (!yread_node_string(d, v, MANIFEST_MAX_STRING, &s) || s == NULL)
		return;
	for (size_t i = 0; i < n_names; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			free(s);
			return;
		}
		len += (size_t)snprintf(msg + len, len < sizeof(msg) ? sizeof(msg) - len : 0,
			"%s%s", i == 0 ? "" : i + 1 == n_names ? " or " : ", ", names[i]);
		if (len >= sizeof(msg))
			len = sizeof(msg) - 1;
	}
	ydoc_error(d, v, "must be %s", msg);
	free(s);
}

static void read_field(struct ydoc *d, const yaml_node_t *m,
	const struct yread_field *f, void *base)
{
	const yaml_node_t *v = ydoc_map_get(d, m, f->key);
	char *p = (char *)base + f->off;
	size_t old;

	if (f->kind == YREAD_STRING) {
		yread_string(d, m, f->key, f->flags, (char **)(void *)p, NULL);
		return;
	}
	old = keypath_str(&d->kp, f->key);
	if (f->kind == YREAD_BOOL)
		node_bool(d, v, (bool *)(void *)p);
	else if (f->kind == YREAD_ENUM)
		read_enum(d, v, f->names, f->n_names, (int *)(void *)p);
	else
		node_strings(d, v, (char ***)(void *)p,
			(size_t *)(void *)((char *)base + f->n_off));
	keypath_pop(&d->kp, old);
}

void yread_fields(struct ydoc *d, const yaml_node_t *m,
	const struct yread_field *fields, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		read_field(d, m, &fields[i], base);
}

int yread_exactly_one(struct ydoc *d, const yaml_node_t *m,
	const char *const *keys, size_t n, const char *what)
{
	int found = -1;
	bool several = false;

	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *v = ydoc_map_get(d, m, keys[i]);
		size_t old;

		if (ydoc_is_null(d, v))
			continue;
		if (found < 0) {
			found = (int)i;
			continue;
		}
		old = keypath_str(&d->kp, keys[i]);
		ydoc_error(d, v, "only one of %s is allowed, and %s is already set",
			what, keys[found]);
		keypath_pop(&d->kp, old);
		several = true;
	}
	if (found < 0)
		ydoc_error(d, m, "needs one of %s", what);
	return several ? -1 : found;
}
