/*
 * fuzz_manifest_json.c: manifest_parse_json() against manifest_parse() on
 * the same object. Arbitrary bytes that cJSON parses are decoded both ways,
 * from the tree and from the printed text (kind and apiVersion put in
 * front when the object has no kind, as the cache once did); the two must
 * decode the same number of objects of each kind and agree on whether
 * there were errors, or the fuzzer stops.
 */
#include "manifest.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counts {
	size_t configs, secrets, warehouses, promotions, errors;
};

static void count(struct counts *c, struct obj_set *set, const struct diag_list *dl)
{
	c->configs = set->n_configs;
	c->secrets = set->n_secrets;
	c->warehouses = set->n_warehouses;
	c->promotions = set->n_promotions;
	c->errors = dl->n_errors > 0;
}

static void via_text(struct counts *c, const cJSON *item, bool one_by_one)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };
	char *text = cJSON_PrintUnformatted(item), *full = NULL;
	size_t len;

	if (set == NULL || text == NULL)
		abort();
	len = strlen(text);
	if (cJSON_IsObject(item) && cJSON_GetObjectItemCaseSensitive(item, "kind") == NULL &&
	    len > 2) {
		full = malloc(len + 64);
		if (full == NULL)
			abort();
		len = (size_t)snprintf(full, len + 64, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",%s",
			text + 1);
	}
	set->without_objects = true;
	set->receivers_one_by_one = one_by_one;
	manifest_parse(set, &dl, "x", full ? full : text, len);
	count(c, set, &dl);
	diag_clear(&dl);
	objects_free_set(set);
	free(full);
	free(text);
}

static void via_tree(struct counts *c, const cJSON *item, bool one_by_one)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	if (set == NULL)
		abort();
	set->without_objects = true;
	set->receivers_one_by_one = one_by_one;
	manifest_parse_json(set, &dl, "x", item, "v1", "Secret");
	count(c, set, &dl);
	diag_clear(&dl);
	objects_free_set(set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *item = cJSON_ParseWithLength((const char *)data, size);
	struct counts a, b;

	if (item == NULL)
		return 0;
	/* both modes: Kubernetes mode leaves a broken receiver out
	 * (odd sizes), embedded mode refuses its config */
	via_text(&a, item, size & 1);
	via_tree(&b, item, size & 1);
	if (memcmp(&a, &b, sizeof(a)) != 0) {
		fprintf(stderr, "text and tree disagree: %zu/%zu/%zu/%zu/%zu vs "
			"%zu/%zu/%zu/%zu/%zu\n", a.configs, a.secrets, a.warehouses,
			a.promotions, a.errors, b.configs, b.secrets, b.warehouses,
			b.promotions, b.errors);
		abort();
	}
	cJSON_Delete(item);
	return 0;
}
