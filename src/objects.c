/*
 * objects.c: freeing and finding the objects of objects.h. Secret bytes are
 * wiped before their memory goes back to the allocator, so a later
 * allocation cannot carry them anywhere. A set may instead borrow its
 * objects from reference-counted shared sets (the Kubernetes world's
 * caches), so a new snapshot copies small structs, not strings, and
 * points at the Warehouses instead of copying them.
 */
#include "objects.h"

#include "kw.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void wipe_free(unsigned char *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

static void free_target(struct obj_generic_target *t)
{
	free(t->kind);
	free(t->name);
	free_strings(t->match_labels, 2 * t->n_match_labels);
	for (size_t i = 0; i < t->n_exprs; i++) {
		free(t->exprs[i].key);
		free(t->exprs[i].op);
		free_strings(t->exprs[i].values, t->exprs[i].n_values);
	}
	free(t->exprs);
	for (size_t i = 0; i < t->n_indices; i++) {
		free(t->indices[i].key);
		free(t->indices[i].op);
		free(t->indices[i].value);
	}
	free(t->indices);
}

void objects_free_generic(struct obj_generic *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n_actions; i++) {
		struct obj_generic_action *a = &g->actions[i];

		free(a->action);
		free(a->when);
		free_strings(a->params, 2 * a->n_params);
		for (size_t j = 0; j < a->n_targets; j++)
			free_target(&a->targets[j]);
		free(a->targets);
	}
	free(g->actions);
	free(g);
}

void objects_free_receiver(struct obj_receiver *r)
{
	objects_free_generic(r->generic);
	free(r->name);
	free(r->kind_name);
	free(r->option);
	free(r->secret_name);
}

static void free_config(struct obj_config *c)
{
	for (size_t i = 0; i < c->n_receivers; i++)
		objects_free_receiver(&c->receivers[i]);
	free(c->receivers);
	free(c->project);
	free(c->namespace);
}

static void free_secret(struct obj_secret *s)
{
	free(s->namespace);
	free(s->name);
	wipe_free(s->secret, s->secret_len);
	wipe_free(s->previous, s->previous_len);
	for (size_t i = 0; i < s->n_values; i++) {
		free(s->values[i].key);
		wipe_free(s->values[i].bytes, s->values[i].len);
	}
	free(s->values);
}

static void free_subscription(struct obj_subscription *s)
{
	free(s->repo_url);
	free(s->branch);
	free_strings(s->allow_regexes, s->n_allow_regexes);
	free_strings(s->ignore_regexes, s->n_ignore_regexes);
	free(s->allow_regex_pos);
	free(s->ignore_regex_pos);
	free_strings(s->include_paths, s->n_include_paths);
	free_strings(s->exclude_paths, s->n_exclude_paths);
	free(s->semver_constraint);
	free(s->constraint);
	free(s->platform);
	free(s->chart_name);
	free(s->allow_tags);
	free_strings(s->ignore_tags, s->n_ignore_tags);
}

static void free_warehouse(struct obj_warehouse *w)
{
	for (size_t i = 0; i < w->n_subs; i++)
		free_subscription(&w->subs[i]);
	free(w->subs);
	free_strings(w->labels, 2 * w->n_labels);
	free(w->namespace);
	free(w->name);
	cJSON_Delete(w->object);
}

static void free_promotion(struct obj_promotion *p)
{
	free(p->namespace);
	free(p->name);
	free(p->phase);
	free_strings(p->pr_urls, p->n_pr_urls);
	cJSON_Delete(p->object);
}

void objects_free_set(struct obj_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	if (set->shared != NULL) {
		/* Borrowed objects: only the arrays are this set's own. */
		for (i = 0; i < set->n_shared; i++)
			objects_shared_unref(set->shared[i]);
		free(set->shared);
		set->n_configs = set->n_secrets = set->n_warehouses = 0;
		set->n_promotions = 0;
	}
	free_strings(set->files, set->n_files);
	free(set->unknown_kind);
	for (i = 0; i < set->n_configs; i++)
		free_config(&set->configs[i]);
	free(set->configs);
	for (i = 0; i < set->n_secrets; i++)
		free_secret(&set->secrets[i]);
	free(set->secrets);
	for (i = 0; i < set->n_warehouses; i++)
		free_warehouse(&set->warehouses[i]);
	free(set->warehouses);
	free(set->warehouse_refs); /* the Warehouses themselves borrowed */
	for (i = 0; i < set->n_promotions; i++)
		free_promotion(&set->promotions[i]);
	free(set->promotions);
	free(set);
}

struct obj_shared *objects_share(struct obj_set *set)
{
	struct obj_shared *sh = objects_pack_warehouse(set);

	if (sh != NULL) {
		objects_free_set(set);
		return sh;
	}
	sh = malloc(sizeof(*sh));
	if (sh == NULL) {
		objects_free_set(set);
		return NULL;
	}
	__atomic_store_n(&sh->refs, 1, __ATOMIC_RELAXED);
	sh->set = set;
	return sh;
}

struct obj_shared *objects_shared_ref(struct obj_shared *sh)
{
	__atomic_add_fetch(&sh->refs, 1, __ATOMIC_RELAXED);
	return sh;
}

void objects_shared_unref(struct obj_shared *sh)
{
	if (sh == NULL || __atomic_sub_fetch(&sh->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	objects_free_set(sh->set); /* NULL when packed: one block */
	free(sh);
}

void objects_shared_unref_all(struct obj_shared **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		objects_shared_unref(v[i]);
	free(v);
}

const struct obj_set *objects_shared_set(const struct obj_shared *sh)
{
	static const struct obj_set none;

	return sh->set != NULL ? sh->set : &none;
}

/* Its Warehouses: a packed one, or its set's. */
static size_t warehouses_of(const struct obj_shared *sh,
	const struct obj_warehouse **out)
{
	*out = sh->set != NULL ? sh->set->warehouses : objects_shared_warehouse(sh);
	return sh->set != NULL ? sh->set->n_warehouses : 1;
}

/* The arrays of a set of shared objects, sized for v[0..n). */
static bool alloc_arrays(struct obj_set *set, struct obj_shared *const *v, size_t n)
{
	size_t nc = 0, ns = 0, nw = 0, np = 0;

	for (size_t i = 0; i < n; i++) {
		const struct obj_set *s = objects_shared_set(v[i]);
		const struct obj_warehouse *wh;

		nc += s->n_configs;
		ns += s->n_secrets;
		nw += warehouses_of(v[i], &wh);
		np += s->n_promotions;
	}
	set->configs = calloc(nc + 1, sizeof(*set->configs));
	set->secrets = calloc(ns + 1, sizeof(*set->secrets));
	set->warehouse_refs = calloc(nw + 1, sizeof(*set->warehouse_refs));
	set->promotions = calloc(np + 1, sizeof(*set->promotions));
	return set->configs && set->secrets && set->warehouse_refs && set->promotions;
}

int objects_set_from_shared(struct obj_set **out, struct obj_shared **v, size_t n)
{
	struct obj_set *set = calloc(1, sizeof(*set));

	*out = NULL;
	if (set == NULL) {
		objects_shared_unref_all(v, n);
		return KW_ENOMEM;
	}
	set->shared = v;
	set->n_shared = n;
	if (!alloc_arrays(set, v, n)) {
		objects_free_set(set);
		return KW_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct obj_set *s = objects_shared_set(v[i]);
		const struct obj_warehouse *wh;
		size_t nwh = warehouses_of(v[i], &wh);

		for (size_t j = 0; j < s->n_configs; j++)
			set->configs[set->n_configs++] = s->configs[j];
		for (size_t j = 0; j < s->n_secrets; j++)
			set->secrets[set->n_secrets++] = s->secrets[j];
		for (size_t j = 0; j < nwh; j++) /* pointed at, not copied */
			set->warehouse_refs[set->n_warehouses++] = &wh[j];
		for (size_t j = 0; j < s->n_promotions; j++)
			set->promotions[set->n_promotions++] = s->promotions[j];
	}
	*out = set;
	return KW_OK;
}

const char *objects_warehouse_label(const struct obj_warehouse *w,
	const char *key)
{
	size_t lo = 0, hi = w->n_labels;

	while (lo < hi) { /* sorted by key: bisect */
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(w->labels[2 * mid], key);

		if (c == 0)
			return w->labels[2 * mid + 1];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct obj_secret *objects_find_secret(const struct obj_set *set,
	const char *namespace, const char *name)
{
	if (set == NULL || namespace == NULL || name == NULL)
		return NULL;
	for (size_t i = 0; i < set->n_secrets; i++) {
		const struct obj_secret *s = &set->secrets[i];

		if (s->namespace != NULL && s->name != NULL &&
			strcmp(s->namespace, namespace) == 0 && strcmp(s->name, name) == 0)
			return s;
	}
	return NULL;
}

bool objects_secret_value(const struct obj_secret *sec, const char *key,
	const unsigned char **value, size_t *len)
{
	if (strcmp(key, "secret") == 0 && sec->has_secret) {
		*value = sec->secret;
		*len = sec->secret_len;
		return true;
	}
	if (strcmp(key, "previous-secret") == 0 && sec->has_previous) {
		*value = sec->previous;
		*len = sec->previous_len;
		return true;
	}
	for (size_t i = 0; i < sec->n_values; i++) {
		if (strcmp(sec->values[i].key, key) == 0) {
			*value = sec->values[i].bytes;
			*len = sec->values[i].len;
			return true;
		}
	}
	return false;
}
