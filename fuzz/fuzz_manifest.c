/*
 * fuzz_manifest.c: manifest_parse() on arbitrary bytes, then everything a
 * caller would do with the result (print the diagnostics, print the JSON of
 * each Warehouse and Promotion, look up Secrets), so that a malformed
 * object left in the set would show up as a sanitizer report.
 */
#include "manifest.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void print_json(const struct cJSON *object)
{
	char *s = object != NULL ? cJSON_PrintUnformatted(object) : NULL;

	free(s);
}

static void use_set(const struct obj_set *set)
{
	for (size_t i = 0; i < set->n_configs; i++)
		for (size_t j = 0; j < set->configs[i].n_receivers; j++)
			objects_find_secret(set, set->configs[i].namespace,
				set->configs[i].receivers[j].secret_name);
	for (size_t i = 0; i < set->n_warehouses; i++)
		print_json(set->warehouses[i].object);
	for (size_t i = 0; i < set->n_promotions; i++)
		print_json(set->promotions[i].object);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };
	FILE *devnull = fopen("/dev/null", "w");

	if (set != NULL) {
		manifest_parse(set, &dl, "fuzz.yaml", (const char *)data, size);
		use_set(set);
	}
	if (devnull != NULL) {
		diag_print(&dl, devnull);
		fclose(devnull);
	}
	diag_clear(&dl);
	objects_free_set(set);
	return 0;
}
