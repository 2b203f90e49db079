/*
 * kjson.c: manifest YAML into kubectl's JSON (kjson.h).
 */
#include "kjson.h"

#include "kw.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends s to out[*n] within cap (out is sized for every float). */
static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len && *n + 1 < cap; i++)
		out[(*n)++] = s[i];
	out[*n] = '\0';
}

static void put_zeros(char *out, size_t cap, size_t *n, int count)
{
	for (int i = 0; i < count; i++)
		put(out, cap, n, "0", 1);
}

/*
 * Writes finite v as Go's encoding/json does: the shortest digits that read
 * back as v, positional from 1e-6 to 1e21, else an exponent without leading
 * zeros. cJSON's own printing differs (15 or 17 digits, "1e+15"), so such
 * numbers are kept as raw JSON text.
 */
static void go_float(char *out, size_t cap, double v)
{
	char buf[40], digits[24];
	int prec, exp, nd = 0;
	const char *p = buf;
	size_t n = 0;
	double a = fabs(v);

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
	if (*p == '-')
		put(out, cap, &n, p++, 1);
	for (; *p != 'e' && nd + 1 < (int)sizeof(digits); p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		char e[16];

		put(out, cap, &n, digits, 1);
		if (nd > 1) {
			put(out, cap, &n, ".", 1);
			put(out, cap, &n, digits + 1, (size_t)nd - 1);
		}
		snprintf(e, sizeof(e), "e%c%d", exp < 0 ? '-' : '+', abs(exp));
		put(out, cap, &n, e, strlen(e));
	} else if (exp >= nd - 1) {
		put(out, cap, &n, digits, (size_t)nd);
		put_zeros(out, cap, &n, exp - (nd - 1));
	} else if (exp >= 0) {
		put(out, cap, &n, digits, (size_t)exp + 1);
		put(out, cap, &n, ".", 1);
		put(out, cap, &n, digits + exp + 1, (size_t)(nd - exp - 1));
	} else {
		put(out, cap, &n, "0.", 2);
		put_zeros(out, cap, &n, -exp - 1);
		put(out, cap, &n, digits, (size_t)nd);
	}
}

struct conv {
	struct ydoc *d;
	bool failed; /* an error was reported; the result is dropped */
	bool stop;   /* out of budget, depth or memory: give up at once */
};

static cJSON *to_json(struct conv *c, const yaml_node_t *n, unsigned depth);

static bool charge(struct conv *c, const yaml_node_t *n, size_t bytes)
{
	if (c->stop || !ydoc_spend(c->d, n, 1, bytes)) {
		c->stop = true;
		return false;
	}
	return true;
}

static cJSON *oom(struct conv *c)
{
	c->d->oom = true;
	c->stop = true;
	return NULL;
}

/* A finite number; beyond 2^53 a double would lose digits that Go keeps,
 * so such integers are raw JSON text, as are floats (see go_float). */
static cJSON *number_to_json(const struct yaml11_scalar *sc)
{
	char num[64];

	if (sc->type == YAML11_INT && sc->i >= -(INT64_C(1) << 53) &&
		sc->i <= (INT64_C(1) << 53))
		return cJSON_CreateNumber((double)sc->i);
	if (sc->type == YAML11_INT)
		snprintf(num, sizeof(num), "%" PRId64, sc->i);
	else if (sc->type == YAML11_UINT)
		snprintf(num, sizeof(num), "%" PRIu64, sc->u);
	else
		go_float(num, sizeof(num), sc->f);
	return cJSON_CreateRaw(num);
}

static cJSON *scalar_to_json(struct conv *c, const yaml_node_t *n)
{
	struct yaml11_scalar sc;
	cJSON *j;

	if (!charge(c, n, n->data.scalar.length))
		return NULL;
	if (!ydoc_scalar(c->d, n, &sc)) {
		const char *tag = (const char *)n->tag;
		struct diag_shown sh;

		if (strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
			ydoc_error(c->d, n, "\"%s\" is not a valid !!%s", diag_show(&sh, sc.s), tag + 18);
		else
			ydoc_error(c->d, n, "\"%s\" is not a valid %s", diag_show(&sh, sc.s), tag);
		c->failed = true;
		return NULL;
	}
	if (sc.type == YAML11_STR && memchr(sc.s, '\0', sc.len) != NULL) {
		ydoc_error(c->d, n, "contains a NUL character, which is not supported");
		c->failed = true;
		return NULL;
	}
	if (sc.type == YAML11_FLOAT && !isfinite(sc.f)) {
		ydoc_error(c->d, n, "%s cannot be written in JSON", sc.s);
		c->failed = true;
		return NULL;
	}
	switch (sc.type) {
	case YAML11_NULL: j = cJSON_CreateNull(); break;
	case YAML11_BOOL: j = cJSON_CreateBool(sc.b); break;
	case YAML11_STR: j = cJSON_CreateString(sc.s); break;
	default: j = number_to_json(&sc); break;
	}
	return j != NULL ? j : oom(c);
}

static cJSON *seq_to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	struct ydoc *d = c->d;
	cJSON *arr;

	if (!charge(c, n, 0))
		return NULL;
	arr = cJSON_CreateArray();
	if (arr == NULL)
		return oom(c);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
		it < n->data.sequence.items.top && !c->stop; it++) {
		size_t old = keypath_index(&d->kp, (size_t)(it - n->data.sequence.items.start));
		cJSON *child = to_json(c, ydoc_node(d, *it), depth + 1);

		keypath_pop(&d->kp, old);
		if (child != NULL)
			cJSON_AddItemToArray(arr, child);
	}
	return arr;
}

/* One key and value of a mapping being converted. */
struct entry {
	char *key;
	cJSON *item;
	const yaml_node_t *key_node;
	size_t rank; /* 0: written in the mapping; k: from its k-th merge */
	size_t seq;  /* order of appearance, for a stable sort */
};

struct entries {
	struct entry *v;
	size_t n;
};

static void entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].key);
		cJSON_Delete(es->v[i].item);
	}
	free(es->v);
}

/* Takes key and item in every case. */
static void entry_add(struct conv *c, struct entries *es, char *key,
	cJSON *item, const yaml_node_t *key_node, size_t rank)
{
	struct entry e = { key, item, key_node, rank, es->n };
	struct entry *v = kw_array_append(es->v, &es->n, &e, 1, sizeof(e));

	if (v == NULL) {
		free(key);
		cJSON_Delete(item);
		oom(c);
		return;
	}
	es->v = v;
}

/* The JSON key of a scalar key: Kubernetes writes 1, true as "1", "true";
 * a float key keeps its text. NULL after reporting, or out of memory. */
static char *key_text(struct conv *c, const yaml_node_t *k)
{
	struct yaml11_scalar sc;
	char num[32], *key;

	if (k->type != YAML_SCALAR_NODE || !ydoc_scalar(c->d, k, &sc) ||
		sc.type == YAML11_NULL || memchr(sc.s, '\0', sc.len) != NULL) {
		ydoc_error(c->d, k, "a key must be a string, number or boolean, not %s",
			ydoc_describe(c->d, k));
		c->failed = true;
		return NULL;
	}
	if (!charge(c, k, sc.len))
		return NULL;
	if (sc.type == YAML11_INT)
		snprintf(num, sizeof(num), "%" PRId64, sc.i);
	else if (sc.type == YAML11_UINT)
		snprintf(num, sizeof(num), "%" PRIu64, sc.u);
	else if (sc.type == YAML11_BOOL)
		snprintf(num, sizeof(num), "%s", sc.b ? "true" : "false");
	key = strdup(sc.type == YAML11_INT || sc.type == YAML11_UINT || sc.type == YAML11_BOOL
		? num : sc.s);
	if (key == NULL)
		oom(c);
	return key;
}

static void collect_pairs(struct conv *c, const yaml_node_t *n,
	unsigned depth, struct entries *es)
{
	struct ydoc *d = c->d;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		p < n->data.mapping.pairs.top && !c->stop; p++) {
		const yaml_node_t *k = ydoc_node(d, p->key);
		char *key;
		size_t old;
		cJSON *item;

		if (ydoc_is_merge_key(d, k))
			continue;
		if ((key = key_text(c, k)) == NULL)
			continue;
		old = keypath_str(&d->kp, key);
		item = to_json(c, ydoc_node(d, p->value), depth + 1);
		keypath_pop(&d->kp, old);
		if (item == NULL)
			free(key);
		else
			entry_add(c, es, key, item, k, 0);
	}
}

/* Adds the keys of mapping src, converted, with the given rank. */
static void merge_from(struct conv *c, const yaml_node_t *src, unsigned depth,
	size_t rank, struct entries *es)
{
	cJSON *obj, *child;

	/* depth + 1 although the keys land at this level: a mapping may merge
	 * itself through an alias, and the depth bound must end that. */
	obj = to_json(c, src, depth + 1);
	if (obj == NULL)
		return;
	while ((child = obj->child) != NULL && !c->stop) {
		char *key;

		cJSON_DetachItemViaPointer(obj, child);
		key = strdup(child->string);
		if (key == NULL) {
			cJSON_Delete(child);
			oom(c);
			break;
		}
		entry_add(c, es, key, child, src, rank);
	}
	cJSON_Delete(obj);
}

/* Applies the << keys of n: a mapping or a list of mappings, whose keys
 * count only where n and earlier merges do not set them. */
static void collect_merges(struct conv *c, const yaml_node_t *n,
	unsigned depth, struct entries *es)
{
	struct ydoc *d = c->d;
	size_t rank = 0;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		p < n->data.mapping.pairs.top && !c->stop; p++) {
		const yaml_node_t *v = ydoc_node(d, p->value);

		if (!ydoc_is_merge_key(d, ydoc_node(d, p->key)))
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			merge_from(c, v, depth, ++rank, es);
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE) {
			ydoc_error(d, v, "a merge (<<) takes a mapping or a list of mappings");
			c->failed = true;
			continue;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start;
			it < v->data.sequence.items.top && !c->stop; it++) {
			const yaml_node_t *src = ydoc_node(d, *it);

			if (src->type == YAML_MAPPING_NODE) {
				merge_from(c, src, depth, ++rank, es);
			} else {
				ydoc_error(d, src, "a merge (<<) takes a mapping or a list of mappings");
				c->failed = true;
			}
		}
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Builds the object from its entries in key order (Go sorts map keys),
 * keeping the first of each key; a key written twice is an error, as in
 * kubectl. */
static cJSON *build_object(struct conv *c, struct entries *es)
{
	struct ydoc *d = c->d;
	cJSON *obj = cJSON_CreateObject();
	size_t first = 0;

	if (obj == NULL)
		return oom(c);
	if (es->n > 1)
		qsort(es->v, es->n, sizeof(*es->v), entry_cmp);
	for (size_t i = 0; i < es->n; i++) {
		struct entry *e = &es->v[i];

		if (i > 0 && strcmp(e->key, es->v[first].key) == 0) {
			if (e->rank == 0) {
				size_t old = keypath_str(&d->kp, e->key);

				ydoc_error(d, e->key_node, "duplicate key (first at line %zu)",
					es->v[first].key_node->start_mark.line + 1);
				keypath_pop(&d->kp, old);
				c->failed = true;
			}
			continue;
		}
		first = i;
		if (!cJSON_AddItemToObject(obj, e->key, e->item))
			return cJSON_Delete(obj), oom(c);
		e->item = NULL;
	}
	return obj;
}

static cJSON *map_to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	struct entries es = { NULL, 0 };
	cJSON *obj = NULL;

	if (!charge(c, n, 0))
		return NULL;
	collect_pairs(c, n, depth, &es);
	collect_merges(c, n, depth, &es);
	if (!c->stop)
		obj = build_object(c, &es);
	entries_free(&es);
	return obj;
}

/* depth: the mappings and lists around n. */
static cJSON *to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	if (c->stop || n == NULL)
		return NULL;
	if (n->type != YAML_SCALAR_NODE && depth >= MANIFEST_MAX_DEPTH) {
		ydoc_error(c->d, n, "nested deeper than %d levels (an alias inside "
			"itself?)", MANIFEST_MAX_DEPTH);
		c->stop = true;
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE: return scalar_to_json(c, n);
	case YAML_SEQUENCE_NODE: return seq_to_json(c, n, depth);
	case YAML_MAPPING_NODE: return map_to_json(c, n, depth);
	default: return NULL;
	}
}

int kjson_convert(struct ydoc *d, const yaml_node_t *n, cJSON **out)
{
	struct conv c = { d, false, false };
	cJSON *j = to_json(&c, n, 0);

	*out = NULL;
	if (c.stop || c.failed || d->oom) {
		cJSON_Delete(j);
		return c.stop || d->oom ? KW_ETOOBIG : KW_EINVAL;
	}
	*out = j;
	return KW_OK;
}
