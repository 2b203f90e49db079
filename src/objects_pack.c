/*
 * objects_pack.c: one Warehouse packed into a single allocation for the
 * Kubernetes world's cache, where 100,000 of them live for the life of
 * the process: the shared header, the Warehouse, its subscriptions and
 * every string, laid out back to back (no obj_set: the header points at
 * the Warehouse). Packing measures
 * first, then copies, with the same walk.
 */
#include "objects.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct packer {
	char *base; /* NULL while measuring */
	size_t used;
};

static void *take(struct packer *k, size_t size)
{
	void *p = k->base ? k->base + k->used : NULL;

	k->used += (size + 7) & ~(size_t)7;
	return p;
}

static char *pack_str(struct packer *k, const char *s)
{
	size_t n;
	char *d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	if ((d = take(k, n)) != NULL)
		memcpy(d, s, n);
	return d;
}

static char **pack_strv(struct packer *k, char *const *v, size_t n)
{
	char **d;

	if (n == 0)
		return NULL;
	d = take(k, n * sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		char *s = pack_str(k, v[i]);

		if (d != NULL)
			d[i] = s;
	}
	return d;
}

/* Positions, with their file (the only one a Warehouse's come from). */
static struct obj_pos *pack_posv(struct packer *k, const struct obj_pos *v,
	size_t n, const char *file)
{
	struct obj_pos *d;

	if (v == NULL || n == 0)
		return NULL;
	if ((d = take(k, n * sizeof(*d))) != NULL)
		for (size_t i = 0; i < n; i++) {
			d[i] = v[i];
			d[i].file = file;
		}
	return d;
}

/* Every pointer of a subscription gets its packed copy; a field added to
 * struct obj_subscription needs its line here. */
static void pack_sub(struct packer *k, const struct obj_subscription *a,
	struct obj_subscription *out, const char *file)
{
	struct obj_subscription b = *a;

	b.repo_url = pack_str(k, a->repo_url);
	b.branch = pack_str(k, a->branch);
	b.allow_regexes = pack_strv(k, a->allow_regexes, a->n_allow_regexes);
	b.allow_regex_pos = pack_posv(k, a->allow_regex_pos, a->n_allow_regexes, file);
	b.ignore_regexes = pack_strv(k, a->ignore_regexes, a->n_ignore_regexes);
	b.ignore_regex_pos = pack_posv(k, a->ignore_regex_pos, a->n_ignore_regexes, file);
	b.semver_constraint = pack_str(k, a->semver_constraint);
	b.constraint_pos.file = file;
	b.constraint = pack_str(k, a->constraint);
	b.platform = pack_str(k, a->platform);
	b.chart_name = pack_str(k, a->chart_name);
	b.include_paths = pack_strv(k, a->include_paths, a->n_include_paths);
	b.exclude_paths = pack_strv(k, a->exclude_paths, a->n_exclude_paths);
	b.allow_tags = pack_str(k, a->allow_tags);
	b.ignore_tags = pack_strv(k, a->ignore_tags, a->n_ignore_tags);
	b.pos.file = file;
	if (out != NULL)
		*out = b;
}

/* A subscription is kept as long as its fields need: the head of struct
 * obj_subscription when every field after it is empty (a git
 * subscription to a branch, most of them: 64 bytes instead of 232), else
 * the whole struct. Decided from the bytes of the source, so a field
 * added to the tail can only make it whole. */
#define SUB_HEAD offsetof(struct obj_subscription, allow_regexes)

static size_t sub_len(const struct obj_subscription *a)
{
	struct obj_subscription c;
	const unsigned char *p = (const unsigned char *)&c;

	memcpy(&c, a, sizeof(c));
	if (c.constraint_pos.line == 0) /* a file without a line says nothing */
		c.constraint_pos.file = NULL;
	for (size_t i = SUB_HEAD; i < sizeof(c); i++)
		if (p[i] != 0)
			return sizeof(c);
	return SUB_HEAD;
}

/* The records of src's subscriptions, back to back (each its length,
 * then that many bytes of the struct), then their strings. Returns where
 * the records start (NULL while measuring). */
static unsigned char *pack_subs(struct packer *k, const struct obj_warehouse *src,
	const char *file)
{
	unsigned char *first = k->base ? (unsigned char *)k->base + k->used : NULL;
	unsigned char *rec = first;

	for (size_t i = 0; i < src->n_subs; i++)
		take(k, sizeof(size_t) + sub_len(&src->subs[i]));
	for (size_t i = 0; i < src->n_subs; i++) {
		size_t len = sub_len(&src->subs[i]);
		struct obj_subscription b;

		pack_sub(k, &src->subs[i], rec != NULL ? &b : NULL, file);
		if (rec == NULL)
			continue;
		memcpy(rec, &len, sizeof(len));
		memcpy(rec + sizeof(size_t), &b, len);
		rec += sizeof(size_t) + ((len + 7) & ~(size_t)7);
	}
	return first;
}

const struct obj_subscription *objects_subscription(
	const struct obj_warehouse *w, size_t i, struct obj_subscription *tmp)
{
	const unsigned char *rec = w->packed_subs;
	size_t len;

	if (rec == NULL)
		return &w->subs[i];
	for (; i > 0; i--) {
		memcpy(&len, rec, sizeof(len));
		rec += sizeof(size_t) + ((len + 7) & ~(size_t)7);
	}
	memcpy(&len, rec, sizeof(len));
	memset(tmp, 0, sizeof(*tmp));
	memcpy(tmp, rec + sizeof(size_t), len);
	if (len < sizeof(*tmp))
		tmp->constraint_pos.file = tmp->pos.file;
	return tmp;
}

/* The name positions point to. The Kubernetes caches name each object's
 * "file" after its kind: 100,000 Warehouses share this one copy. */
static const char *pack_file(struct packer *k, const char *file)
{
	static const char kind[] = "Warehouse";

	if (file != NULL && strcmp(file, kind) == 0)
		return kind;
	return pack_str(k, file);
}

/* The walk: returns the header (NULL while measuring). */
static struct obj_shared *pack(struct packer *k, const struct obj_warehouse *src)
{
	struct obj_shared *sh = take(k, sizeof(*sh));
	struct obj_warehouse *w = take(k, sizeof(*w));
	const char *file = pack_file(k, src->pos.file);
	char *ns = pack_str(k, src->namespace), *name = pack_str(k, src->name);
	unsigned char *subs = pack_subs(k, src, file);
	/* Labels (generic receivers select by them): key, value pairs. */
	char **labels = pack_strv(k, src->labels, 2 * src->n_labels);

	if (sh == NULL)
		return NULL;
	*w = *src;
	w->namespace = ns;
	w->name = name;
	w->labels = labels;
	w->subs = NULL;
	w->packed_subs = src->n_subs ? subs : NULL;
	w->object = NULL;
	w->pos.file = file;
	sh->set = NULL; /* packed: w follows sh (objects_shared_warehouse) */
	__atomic_store_n(&sh->refs, 1, __ATOMIC_RELAXED);
	return sh;
}

const struct obj_warehouse *objects_shared_warehouse(const struct obj_shared *sh)
{
	/* pack() takes the header, then the Warehouse, which starts right
	 * after it (take() rounds to 8; the header is a multiple of 8). */
	_Static_assert(sizeof(*sh) % 8 == 0, "the Warehouse follows the header");
	return sh->set == NULL ? (const struct obj_warehouse *)(sh + 1) : NULL;
}

struct obj_shared *objects_pack_warehouse(const struct obj_set *set)
{
	struct packer k = { NULL, 0 };

	if (set->n_warehouses != 1 || set->n_configs || set->n_secrets ||
	    set->n_promotions || set->shared || set->warehouses[0].object)
		return NULL;
	pack(&k, &set->warehouses[0]);
	if ((k.base = malloc(k.used)) == NULL)
		return NULL;
	k.used = 0;
	return pack(&k, &set->warehouses[0]);
}
