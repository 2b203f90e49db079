/*
 * crosscheck.c: checks across the objects of a manifest set (crosscheck.h).
 */
#include "crosscheck.h"

#include "kw.h"
#include "receiver.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where the fields that identify one kind's objects are. */
struct ident_desc {
	const char *kind;
	bool config; /* "ClusterConfig" when cluster is set */
	size_t size, ns_off, name_off, pos_off;
};

struct ident {
	const char *ns, *name;
	const struct obj_pos *pos;
	size_t index;
	bool cluster;
};

static int ident_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	if (r == 0)
		r = strcmp(x->name, y->name);
	return r != 0 ? r : (x->index < y->index ? -1 : x->index > y->index);
}

#define FIELD(elem, off, type) (*(type *)(void *)((char *)(elem) + (off)))

static void ident_report(struct diag_list *dl, const struct ident_desc *dd,
	const struct ident *dup, const struct ident *first, bool *oom)
{
	const char *kind = dd->config && dup->cluster ? "ClusterConfig" : dd->kind;
	struct diag_shown a, b;

	if (diag_add(dl, DIAG_ERROR, dup->pos->file, dup->pos->line, dup->pos->column,
		"metadata.name", "duplicate %s %s%s%s (first at %s:%zu); this one is "
		"ignored", kind, dd->config ? "" : diag_show(&a, dup->ns), dd->config ? "" : "/",
		dd->config && dup->cluster ? "cluster" : diag_show(&b, dup->name),
		first->pos->file, first->pos->line) != KW_OK)
		*oom = true;
}

/* Marks in drop the objects whose kind, namespace and name came before. */
static int find_duplicates(struct diag_list *dl, void *arr, size_t n,
	const struct ident_desc *dd, bool *drop)
{
	struct ident *ids = calloc(n, sizeof(*ids));
	bool oom = ids == NULL;

	for (size_t i = 0; !oom && i < n; i++) {
		char *elem = (char *)arr + i * dd->size;

		ids[i].ns = FIELD(elem, dd->ns_off, char *);
		ids[i].name = FIELD(elem, dd->name_off, char *);
		ids[i].pos = &FIELD(elem, dd->pos_off, struct obj_pos);
		ids[i].index = i;
		ids[i].cluster = dd->config && ((struct obj_config *)(void *)elem)->cluster;
	}
	if (!oom)
		qsort(ids, n, sizeof(*ids), ident_cmp);
	for (size_t i = 1, first = 0; !oom && i < n; i++) {
		if (strcmp(ids[i].ns, ids[first].ns) != 0 ||
			strcmp(ids[i].name, ids[first].name) != 0) {
			first = i;
			continue;
		}
		drop[ids[i].index] = true;
		ident_report(dl, dd, &ids[i], &ids[first], &oom);
	}
	free(ids);
	return oom ? KW_ENOMEM : KW_OK;
}

/*
 * Removes duplicates from arr (holding *n), keeping the first of each in
 * load order; *gone gets a new array of the removed ones (for freeing), or
 * NULL. Nothing changes when out of memory.
 */
static int dedupe(struct diag_list *dl, void *arr, size_t *n,
	const struct ident_desc *dd, void **gone, size_t *n_gone)
{
	bool *drop;
	char *keep = NULL, *out = NULL;
	size_t k = 0, g = 0;
	int rc;

	*gone = NULL;
	*n_gone = 0;
	if (*n < 2)
		return KW_OK;
	if ((drop = calloc(*n, sizeof(*drop))) == NULL)
		return KW_ENOMEM;
	rc = find_duplicates(dl, arr, *n, dd, drop);
	if (rc == KW_OK && memchr(drop, true, *n) != NULL) {
		keep = malloc(*n * dd->size);
		out = malloc(*n * dd->size);
		if (keep == NULL || out == NULL)
			rc = KW_ENOMEM;
		for (size_t i = 0; rc == KW_OK && i < *n; i++)
			memcpy(drop[i] ? out + g++ * dd->size : keep + k++ * dd->size,
				(char *)arr + i * dd->size, dd->size);
		if (rc == KW_OK) {
			memcpy(arr, keep, k * dd->size);
			*n = k;
			*gone = out;
			*n_gone = g;
			out = NULL;
		}
	}
	free(keep);
	free(out);
	free(drop);
	return rc;
}

#define IDENT(kind, config, type, ns, name) \
	{ kind, config, sizeof(type), offsetof(type, ns), offsetof(type, name), \
		offsetof(type, pos) }

static const struct ident_desc config_ids =
	IDENT("ProjectConfig", true, struct obj_config, namespace, project);
static const struct ident_desc secret_ids =
	IDENT("Secret", false, struct obj_secret, namespace, name);
static const struct ident_desc warehouse_ids =
	IDENT("Warehouse", false, struct obj_warehouse, namespace, name);
static const struct ident_desc promotion_ids =
	IDENT("Promotion", false, struct obj_promotion, namespace, name);

/* Two objects of one kind, namespace and name cannot both exist in a
 * cluster: the first one read is kept, the others reported and freed. */
static int drop_duplicates(struct obj_set *set, struct diag_list *dl)
{
	struct obj_set *trash = calloc(1, sizeof(*trash));
	void *gone = NULL;
	int rc;

	if (trash == NULL)
		return KW_ENOMEM;
	rc = dedupe(dl, set->configs, &set->n_configs, &config_ids, &gone, &trash->n_configs);
	trash->configs = gone;
	if (rc == KW_OK)
		rc = dedupe(dl, set->secrets, &set->n_secrets, &secret_ids, &gone, &trash->n_secrets);
	trash->secrets = rc == KW_OK ? gone : NULL;
	if (rc == KW_OK)
		rc = dedupe(dl, set->warehouses, &set->n_warehouses, &warehouse_ids, &gone,
			&trash->n_warehouses);
	trash->warehouses = rc == KW_OK ? gone : NULL;
	if (rc == KW_OK)
		rc = dedupe(dl, set->promotions, &set->n_promotions, &promotion_ids, &gone,
			&trash->n_promotions);
	trash->promotions = rc == KW_OK ? gone : NULL;
	objects_free_set(trash);
	return rc;
}

static int set_cluster_namespace(struct obj_set *set, const char *ns)
{
	for (size_t i = 0; i < set->n_configs; i++) {
		char *copy;

		if (!set->configs[i].cluster)
			continue;
		if ((copy = strdup(ns)) == NULL)
			return KW_ENOMEM;
		free(set->configs[i].namespace);
		set->configs[i].namespace = copy;
	}
	return KW_OK;
}

/* A receiver whose Secret is missing has no URL (Kargo leaves it out of
 * status.webhookReceivers): a warning, since the Secret may be created
 * apart from these files. Only for the receivers the snapshot does not
 * serve: it reports its own (Secret or key missing, "not served"), in
 * embedded and Kubernetes mode alike. */
static int check_receiver_secrets(const struct obj_set *set, struct diag_list *dl)
{
	for (size_t i = 0; i < set->n_configs; i++) {
		const struct obj_config *c = &set->configs[i];

		for (size_t j = 0; j < c->n_receivers; j++) {
			const struct obj_receiver *r = &c->receivers[j];
			const struct obj_secret *s;
			char key[160];
			struct diag_shown a, b;
			int rc = KW_OK;

			/* A kind the program serves: the snapshot reports it. */
			if (r->secret_name == NULL || receiver_find(r->kind_name) != NULL)
				continue;
			s = objects_find_secret(set, c->namespace, r->secret_name);
			snprintf(key, sizeof(key), "spec.webhookReceivers[%zu].%s.secretRef.name",
				j, r->kind_name);
			if (s == NULL)
				rc = diag_add(dl, DIAG_WARNING, r->pos.file, r->pos.line, r->pos.column,
					key, "secret %s/%s not found", diag_show(&a, c->namespace),
					diag_show(&b, r->secret_name));
			if (rc != KW_OK)
				return rc;
		}
	}
	return KW_OK;
}

int crosscheck_set(struct obj_set *set, struct diag_list *dl, const char *system_ns)
{
	int rc = set_cluster_namespace(set, system_ns);

	if (rc == KW_OK)
		rc = drop_duplicates(set, dl);
	if (rc == KW_OK)
		rc = check_receiver_secrets(set, dl);
	return rc;
}
