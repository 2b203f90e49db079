/*
 * test_yaml11.c: src/yaml11.c through yaml11.h, and the rule it exists
 * for: what `get -o yaml` prints (output.c) reads back through the loader
 * (manifest.c) as the very same JSON.
 */
#include "kw.h"
#include "manifest.h"
#include "output.h"
#include "test.h"
#include "yaml11.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

/* Strings that YAML 1.1 would read as something else, or that look like
 * syntax, each of which must be quoted; and plain ones that must not be. */
static const struct {
	const char *s;
	bool plain;
} plain_cases[] = {
	{ "main", true }, { "feature/x-1", true }, { "v1.2.3", true },
	{ "a b", true }, { "x:y", true }, { "100%", true },
	{ "YES", false }, { "yes", false }, { "Y", false }, { "off", false },
	{ "OFF", false }, { "null", false }, { "~", false }, { "", false },
	{ ".inf", false }, { "-.Inf", false }, { ".NaN", false },
	{ "1_000", false }, { "0x1F", false }, { "017", false }, { "0b101", false },
	{ "+12", false }, { "1e3", false }, { "3.", false }, { ".5", false },
	{ "2024-01-02T03:04:05Z", false }, { "2024-01-02", false },
	{ "2024-01-02 03:04:05.1 -5", false }, { "1:20", false }, { "-1:20:30.5", false },
	{ "<<", false }, { "- x", false }, { "a: b", false }, { "a #b", false },
	{ "trailing ", false }, { " leading", false }, { "tab\there", false },
	{ "#c", false }, { "&a", false }, { "*a", false }, { "!t", false },
	{ "'q'", false }, { "\"q\"", false }, { "@x", false }, { "`x", false },
	{ "[a]", false }, { "{a}", false }, { "|", false }, { ">", false },
};

static void test_plain_safe(void)
{
	for (size_t i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++)
		CHECK_MSG(yaml11_plain_safe(plain_cases[i].s) == plain_cases[i].plain,
			"yaml11_plain_safe(\"%s\") != %d", plain_cases[i].s, plain_cases[i].plain);
}

static void test_resolve(void)
{
	struct yaml11_scalar sc;

	memset(&sc, 0, sizeof(sc));
	yaml11_resolve_plain("1_000", 5, &sc);
	CHECK_INT(sc.type, YAML11_INT);
	CHECK_INT(sc.i, 1000);
	yaml11_resolve_plain("YES", 3, &sc);
	CHECK_INT(sc.type, YAML11_BOOL);
	CHECK(sc.b);
	yaml11_resolve_plain(".inf", 4, &sc);
	CHECK_INT(sc.type, YAML11_FLOAT);
	yaml11_resolve_plain("2024-01-02T03:04:05Z", 20, &sc);
	CHECK_INT(sc.type, YAML11_STR); /* go-yaml v2 keeps it text */
	yaml11_resolve_plain("", 0, &sc);
	CHECK_INT(sc.type, YAML11_NULL);
}

/* A Warehouse whose values are strings YAML 1.1 would retype. */
static const char warehouse_json[] =
	"{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
	"\"metadata\":{\"annotations\":{\"<<\":\"merge\",\"a\":\"1_000\","
	"\"b\":\".inf\",\"c\":\"1:20\",\"d\":\"on\",\"e\":\"0x1F\",\"f\":\"\","
	"\"g\":\"null\",\"h\":\"- x\",\"i\":\"plain text\",\"j\":\"x\\ny\","
	"\"kargo.akuity.io/refresh\":\"2024-01-02T03:04:05Z\"},\"name\":\"w\","
	"\"namespace\":\"p\"},\"spec\":{\"f\":1.5,\"l\":[],\"n\":3,\"o\":{},"
	"\"subscriptions\":[{\"git\":{\"allowTagsRegexes\":[\"017\",\"~\"],"
	"\"branch\":\"YES\",\"repoURL\":\"https://e.org/r.git\",\"strictSemvers\":true}}],"
	"\"z\":null}}";

/* The JSON text of v, as `get -o json` prints it. */
static char *json_text(const cJSON *v)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	output_json(f, v);
	fclose(f);
	return text;
}

static void test_round_trip(void)
{
	cJSON *in = cJSON_Parse(warehouse_json);
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	CHECK(in != NULL && set != NULL && f != NULL);
	if (in == NULL || set == NULL || f == NULL)
		return;
	output_yaml(f, in);
	fclose(f);
	rc = manifest_parse(set, &dl, "printed.yaml", text, len);
	CHECK_INT(rc, KW_OK);
	if (dl.n > 0)
		diag_print(&dl, stderr);
	CHECK_INT(set->n_warehouses, 1);
	if (set->n_warehouses == 1) {
		char *want = json_text(in), *got = json_text(set->warehouses[0].object);

		CHECK_MSG(want != NULL && got != NULL && strcmp(want, got) == 0,
			"printed YAML:\n%s\nreads back as:\n%s", text, got ? got : "");
		free(want);
		free(got);
		CHECK_STR(set->warehouses[0].subs[0].branch, "YES");
	}
	diag_clear(&dl);
	objects_free_set(set);
	cJSON_Delete(in);
	free(text);
}

int main(void)
{
	test_plain_safe();
	test_resolve();
	test_round_trip();
	TEST_DONE("test_yaml11");
}
