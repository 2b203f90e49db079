/*
 * objects.c: freeing and finding the objects of objects.h. Secret bytes are
 * wiped before their memory goes back to the allocator, so a later
 * allocation cannot carry them anywhere.
 */
#include "objects.h"

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

static void free_config(struct obj_config *c)
{
	for (size_t i = 0; i < c->n_receivers; i++) {
		free(c->receivers[i].name);
		free(c->receivers[i].kind_name);
		free(c->receivers[i].secret_name);
	}
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
}

static void free_subscription(struct obj_subscription *s)
{
	free(s->repo_url);
	free(s->branch);
	free_strings(s->allow_regexes, s->n_allow_regexes);
	free_strings(s->ignore_regexes, s->n_ignore_regexes);
	free(s->allow_regex_pos);
	free(s->ignore_regex_pos);
	free(s->semver_constraint);
	free(s->allow_tags);
	free_strings(s->ignore_tags, s->n_ignore_tags);
}

static void free_warehouse(struct obj_warehouse *w)
{
	for (size_t i = 0; i < w->n_subs; i++)
		free_subscription(&w->subs[i]);
	free(w->subs);
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
	for (i = 0; i < set->n_promotions; i++)
		free_promotion(&set->promotions[i]);
	free(set->promotions);
	free(set);
}

bool objects_receiver_served(const struct obj_receiver *r)
{
	return r->kind == RECEIVER_BITBUCKET;
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
