/*
 * ydoc.c: reading one YAML document of a manifest (ydoc.h): reporting at
 * positions, the alias budget, scalars typed with their tags, lookups
 * through << merges.
 */
#include "ydoc.h"

#include "kw.h"

#include <string.h>

static void report_at(struct ydoc *d, enum diag_severity sev, size_t line,
	size_t column, const char *fmt, va_list ap) YDOC_PRINTF(5, 0);

static void report_at(struct ydoc *d, enum diag_severity sev, size_t line,
	size_t column, const char *fmt, va_list ap)
{
	const char *key = d->kp.len > 0 ? d->kp.buf : NULL;

	if (diag_vadd(d->dl, sev, d->file, line, column, key, fmt, ap) != KW_OK)
		d->oom = true;
}

void ydoc_error(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_ERROR, n->start_mark.line + 1, n->start_mark.column + 1,
		fmt, ap);
	va_end(ap);
}

void ydoc_warning(struct ydoc *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_WARNING, n->start_mark.line + 1,
		n->start_mark.column + 1, fmt, ap);
	va_end(ap);
}

void ydoc_error_mark(struct ydoc *d, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_ERROR, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
}

struct obj_pos ydoc_pos(const struct ydoc *d, const yaml_node_t *n)
{
	struct obj_pos p = { d->file, n->start_mark.line + 1, n->start_mark.column + 1 };

	return p;
}

bool ydoc_spend(struct ydoc *d, const yaml_node_t *n, size_t nodes, size_t bytes)
{
	if (d->exhausted)
		return false;
	if (nodes > d->budget_nodes || bytes > d->budget_bytes) {
		ydoc_error(d, n, "the document expands to more than %d nodes or %u "
			"bytes (through aliases?)", MANIFEST_MAX_NODES,
			MANIFEST_MAX_FILE_SIZE);
		d->exhausted = true;
		return false;
	}
	d->budget_nodes -= nodes;
	d->budget_bytes -= bytes;
	return true;
}

size_t ydoc_n_pairs(const yaml_node_t *m)
{
	return (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
}

const yaml_node_t *ydoc_node(const struct ydoc *d, int index)
{
	return yaml_document_get_node(d->ydoc, index);
}

size_t ydoc_list_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static bool tagged_str(const struct ydoc *d, const yaml_node_t *n)
{
	size_t lo = 0, hi = d->n_tagged;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->tagged[mid] == n->start_mark.index)
			return true;
		if (d->tagged[mid] < n->start_mark.index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Whether an explicit core tag accepts what the text resolved to. */
static bool tag_accepts(const char *tag, struct yaml11_scalar *sc)
{
	if (strcmp(tag, YAML_NULL_TAG) == 0)
		return sc->type == YAML11_NULL;
	if (strcmp(tag, YAML_BOOL_TAG) == 0)
		return sc->type == YAML11_BOOL;
	if (strcmp(tag, YAML_INT_TAG) == 0)
		return sc->type == YAML11_INT || sc->type == YAML11_UINT;
	if (sc->type == YAML11_INT || sc->type == YAML11_UINT) { /* !!float 1 */
		sc->f = sc->type == YAML11_INT ? (double)sc->i : (double)sc->u;
		sc->type = YAML11_FLOAT;
	}
	return sc->type == YAML11_FLOAT;
}

static bool is_core_tag(const char *tag)
{
	return strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
		strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0;
}

bool ydoc_scalar(const struct ydoc *d, const yaml_node_t *n,
	struct yaml11_scalar *sc)
{
	const char *tag = (const char *)n->tag;

	memset(sc, 0, sizeof(*sc));
	sc->type = YAML11_STR;
	sc->s = (const char *)n->data.scalar.value;
	sc->len = n->data.scalar.length;
	if (tag == NULL || strcmp(tag, YAML_STR_TAG) == 0) {
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tagged_str(d, n))
			yaml11_resolve_plain(sc->s, sc->len, sc);
		return true;
	}
	if (!is_core_tag(tag))
		return true;
	yaml11_resolve_plain(sc->s, sc->len, sc);
	return tag_accepts(tag, sc);
}

const char *ydoc_describe(const struct ydoc *d, const yaml_node_t *n)
{
	struct yaml11_scalar sc;

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (!ydoc_scalar(d, n, &sc))
		return "a ydoc_mistagged scalar";
	switch (sc.type) {
	case YAML11_NULL: return "null";
	case YAML11_BOOL: return "a boolean";
	case YAML11_STR: return "a string";
	default: return "a number";
	}
}

bool ydoc_mistagged(const struct ydoc *d, const yaml_node_t *n)
{
	struct yaml11_scalar sc;

	return n->type == YAML_SCALAR_NODE && !ydoc_scalar(d, n, &sc);
}

bool ydoc_is_null(const struct ydoc *d, const yaml_node_t *n)
{
	struct yaml11_scalar sc;

	return n == NULL || (n->type == YAML_SCALAR_NODE &&
		ydoc_scalar(d, n, &sc) && sc.type == YAML11_NULL);
}

bool ydoc_is_merge_key(const struct ydoc *d, const yaml_node_t *k)
{
	const char *tag = (const char *)k->tag;

	return k->type == YAML_SCALAR_NODE &&
		k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		k->data.scalar.length == 2 &&
		memcmp(k->data.scalar.value, "<<", 2) == 0 &&
		(tag == NULL || strcmp(tag, YAML_STR_TAG) == 0 ||
			strcmp(tag, "tag:yaml.org,2002:merge") == 0) &&
		!tagged_str(d, k);
}

static const yaml_node_t *map_find(struct ydoc *d, const yaml_node_t *m,
	const char *key, size_t klen, unsigned depth);

static const yaml_node_t *merge_find(struct ydoc *d, const yaml_node_t *v,
	const char *key, size_t klen, unsigned depth)
{
	const yaml_node_t *r;

	if (v->type == YAML_MAPPING_NODE)
		return map_find(d, v, key, klen, depth + 1);
	if (v->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
		it < v->data.sequence.items.top; it++)
		if ((r = map_find(d, ydoc_node(d, *it), key, klen, depth + 1)) != NULL)
			return r;
	return NULL;
}

static const yaml_node_t *map_find(struct ydoc *d, const yaml_node_t *m,
	const char *key, size_t klen, unsigned depth)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *r;

	if (m == NULL || m->type != YAML_MAPPING_NODE || depth > MANIFEST_MAX_DEPTH ||
		(depth > 0 && !ydoc_spend(d, m, 1 + ydoc_n_pairs(m), 0)))
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = ydoc_node(d, p->key);

		if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
			memcmp(k->data.scalar.value, key, klen) == 0 && !ydoc_is_merge_key(d, k))
			return ydoc_node(d, p->value);
	}
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (ydoc_is_merge_key(d, ydoc_node(d, p->key)) &&
			(r = merge_find(d, ydoc_node(d, p->value), key, klen, depth)) != NULL)
			return r;
	return NULL;
}

const yaml_node_t *ydoc_map_get(struct ydoc *d, const yaml_node_t *m,
	const char *key)
{
	return map_find(d, m, key, strlen(key), 0);
}
