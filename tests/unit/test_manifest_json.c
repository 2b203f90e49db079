/* manifest_json.c: an object decoded from its cJSON tree reads exactly as
 * its JSON text does through manifest_parse (objects and errors alike). */
#include "test.h"

#include "diag.h"
#include "kw.h"
#include "manifest.h"
#include "objects.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KARGO "kargo.akuity.io/v1alpha1"

/* Items as the API server sends them; "kind" absent: a core list's item. */
static const struct {
	const char *json;
	size_t objects; /* decoded */
	bool errors;
} cases[] = {
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\","
	  "\"namespace\":\"ns\",\"generation\":3},\"spec\":{\"interval\":\"5m0s\",\"subscriptions\":["
	  "{\"git\":{\"repoURL\":\"https://bitbucket.org/a/b.git\",\"branch\":\"main\","
	  "\"discoveryLimit\":20,\"strictSemvers\":false}},{\"image\":{\"repoURL\":\"ghcr.io/a/b\","
	  "\"constraint\":\"^1.0\",\"platform\":\"linux/amd64\"}},{\"chart\":{\"repoURL\":"
	  "\"oci://ghcr.io/a/c\",\"semverConstraint\":\"1.x\"}},{\"git\":{\"repoURL\":\"https://x/y\","
	  "\"commitSelectionStrategy\":\"SemVer\",\"includePaths\":[\"glob:a/*\"],"
	  "\"excludePaths\":[\"b\"],\"allowTagsRegexes\":[\"^v\"]}}]}}", 1, false },
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\","
	  "\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":[]}}", 0, true },
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\","
	  "\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":[{\"git\":{\"repoURL\":5}}]}}", 0, true },
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\","
	  "\"namespace\":\"ns\",\"name\":\"v\"},\"spec\":{\"subscriptions\":[{\"git\":"
	  "{\"repoURL\":\"https://a/b\"}}]}}", 0, true }, /* duplicate key */
	{ "{\"metadata\":{\"name\":\"s\",\"namespace\":\"ns\"},\"data\":{\"secret\":\"eA==\","
	  "\"other\":\"eQ==\"},\"type\":\"Opaque\"}", 1, false }, /* kind added */
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"ProjectConfig\",\"metadata\":{\"name\":\"p\","
	  "\"namespace\":\"p\"},\"spec\":{\"webhookReceivers\":[{\"name\":\"bb\","
	  "\"bitbucket\":{\"secretRef\":{\"name\":\"s\"}}}]}}", 1, false },
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Promotion\",\"metadata\":{\"name\":\"p\","
	  "\"namespace\":\"ns\"},\"spec\":{\"steps\":[{\"uses\":\"git-wait-for-pr\",\"as\":\"w\"}]},"
	  "\"status\":{\"phase\":\"Running\",\"state\":{\"w\":{\"pr\":{\"url\":\"https://p/1\"}}}}}",
	  1, false },
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\x7f\","
	  "\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":[{\"git\":{\"repoURL\":\"https://a\"}}]}}",
	  0, true }, /* DEL: YAML refuses the raw character */
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\xc3\","
	  "\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":[{\"git\":{\"repoURL\":\"https://a\"}}]}}",
	  0, true }, /* invalid UTF-8 */
	{ "{\"apiVersion\":\"" KARGO "\",\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"w\","
	  "\"namespace\":\"ns\",\"annotations\":{\"a\":\"tab\\there, \\u00e9, \\ud83d\\ude00\"}},"
	  "\"spec\":{\"subscriptions\":[{\"git\":{\"repoURL\":\"https://a/\\u00e9\"}}]}}", 1, false },
	{ "[1, 2]", 0, true },
	{ "null", 0, false },
};

/* What kube_cache.c used to do: print the item, kind and apiVersion in
 * front when it has none, and parse the text. */
static struct obj_set *via_text(const cJSON *item, size_t *errors)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };
	char *text = cJSON_PrintUnformatted(item), *full = NULL;
	size_t len = strlen(text);

	if (cJSON_IsObject(item) && !cJSON_GetObjectItemCaseSensitive(item, "kind") && len > 2) {
		full = malloc(len + 64);
		len = (size_t)sprintf(full, "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",%s", text + 1);
	}
	set->without_objects = true;
	manifest_parse(set, &dl, "x", full ? full : text, len);
	*errors = dl.n_errors;
	diag_clear(&dl);
	free(full);
	free(text);
	return set;
}

static struct obj_set *via_tree(const cJSON *item, size_t *errors)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	set->without_objects = true;
	manifest_parse_json(set, &dl, "x", item, "v1", "Secret");
	*errors = dl.n_errors;
	diag_clear(&dl);
	return set;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!same_str(a[i], b[i]))
			return false;
	return true;
}

static void same_warehouse(const struct obj_warehouse *a, const struct obj_warehouse *b)
{
	CHECK_STR(a->namespace, b->namespace);
	CHECK_STR(a->name, b->name);
	CHECK_INT(a->n_subs, b->n_subs);
	for (size_t i = 0; i < a->n_subs && i < b->n_subs; i++) {
		const struct obj_subscription *x = &a->subs[i], *y = &b->subs[i];

		CHECK_INT(x->kind, y->kind);
		CHECK_INT(x->strategy, y->strategy);
		CHECK_INT(x->strict_semvers, y->strict_semvers);
		CHECK(same_str(x->repo_url, y->repo_url) && same_str(x->branch, y->branch));
		CHECK(same_str(x->constraint, y->constraint) && same_str(x->platform, y->platform));
		CHECK(same_str(x->semver_constraint, y->semver_constraint));
		CHECK(same_strv(x->include_paths, x->n_include_paths, y->include_paths,
			y->n_include_paths));
		CHECK(same_strv(x->exclude_paths, x->n_exclude_paths, y->exclude_paths,
			y->n_exclude_paths));
		CHECK(same_strv(x->allow_regexes, x->n_allow_regexes, y->allow_regexes,
			y->n_allow_regexes));
	}
}

static void test_same_as_text(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		cJSON *item = cJSON_Parse(cases[i].json);
		size_t ea = 0, eb = 0;
		struct obj_set *a, *b;

		CHECK_MSG(item != NULL, "case %zu parses", i);
		if (item == NULL)
			continue;
		a = via_text(item, &ea);
		b = via_tree(item, &eb);
		CHECK_MSG(ea == eb && (ea > 0) == cases[i].errors, "case %zu: errors %zu %zu", i, ea, eb);
		CHECK_INT(b->n_warehouses + b->n_secrets + b->n_configs + b->n_promotions,
			cases[i].objects);
		CHECK_INT(a->n_warehouses, b->n_warehouses);
		CHECK_INT(a->n_secrets, b->n_secrets);
		CHECK_INT(a->n_configs, b->n_configs);
		CHECK_INT(a->n_promotions, b->n_promotions);
		for (size_t w = 0; w < a->n_warehouses && w < b->n_warehouses; w++)
			same_warehouse(&a->warehouses[w], &b->warehouses[w]);
		for (size_t s = 0; s < a->n_secrets && s < b->n_secrets; s++) {
			CHECK_INT(a->secrets[s].secret_len, b->secrets[s].secret_len);
			CHECK_INT(a->secrets[s].n_values, b->secrets[s].n_values);
		}
		for (size_t p = 0; p < a->n_promotions && p < b->n_promotions; p++) {
			CHECK(same_strv(a->promotions[p].pr_urls, a->promotions[p].n_pr_urls,
				b->promotions[p].pr_urls, b->promotions[p].n_pr_urls));
			CHECK(same_str(a->promotions[p].phase, b->promotions[p].phase));
		}
		objects_free_set(a);
		objects_free_set(b);
		cJSON_Delete(item);
	}
}

/* The bounds manifest.c's first pass applies to a document. */
static void test_bounds(void)
{
	char deep[400] = "";
	size_t e;
	cJSON *item;
	struct obj_set *set;

	for (int i = 0; i < 70; i++)
		strcat(deep, "[");
	for (int i = 0; i < 70; i++)
		strcat(deep, "]");
	item = cJSON_Parse(deep);
	set = via_tree(item, &e);
	CHECK_INT(e, 1);
	objects_free_set(set);
	cJSON_Delete(item);

	item = cJSON_CreateArray();
	for (int i = 0; i < MANIFEST_MAX_NODES; i++)
		cJSON_AddItemToArray(item, cJSON_CreateNull());
	set = via_tree(item, &e);
	CHECK_INT(e, 1);
	objects_free_set(set);
	cJSON_Delete(item);
}

/* YAML ends an implicit key 1024 characters after it starts, quotes and
 * escapes included: both ways refuse the longer key, accept the other. */
static void test_key_length(void)
{
	for (size_t n = 1018; n <= 1024; n++) {
		char key[1100], json[1400];
		size_t ea, eb;
		struct obj_set *a, *b;
		cJSON *item;

		memset(key, 'k', n);
		memcpy(key, "\\n\\u0001", 8); /* printed as written */
		key[n] = '\0';
		snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"s\",\"namespace\":\"n\","
			"\"labels\":{\"%s\":\"v\"}},\"data\":{\"secret\":\"eA==\"}}", key);
		item = cJSON_Parse(json);
		a = via_text(item, &ea);
		b = via_tree(item, &eb);
		CHECK_MSG(ea == eb, "key of %zu: errors %zu %zu", n, ea, eb);
		CHECK_INT(b->n_secrets, n + 2 <= 1024 ? 1 : 0);
		objects_free_set(a);
		objects_free_set(b);
		cJSON_Delete(item);
	}
}

int main(void)
{
	test_same_as_text();
	test_key_length();
	test_bounds();
	TEST_DONE("test_manifest_json");
}
