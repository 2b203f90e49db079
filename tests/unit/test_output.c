/* Tests src/output.c: format names, JSON as kubectl prints it (4-space
 * indent, Go's escaping), block YAML (a string is quoted exactly when a
 * plain scalar would read back as something else) and aligned tables. */
#include "kw.h"
#include "output.h"
#include "test.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

/* What fn prints for v (a JSON text), as a new string. */
static char *printed(void (*fn)(FILE *, const cJSON *), const char *json)
{
	cJSON *v = cJSON_Parse(json);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(v != NULL && f != NULL);
	if (v != NULL && f != NULL)
		fn(f, v);
	if (f != NULL)
		fclose(f);
	cJSON_Delete(v);
	return buf;
}

static void check_printed(void (*fn)(FILE *, const cJSON *), const char *json,
	const char *want)
{
	char *got = printed(fn, json);

	CHECK_MSG(got != NULL && strcmp(got, want) == 0, "%s printed\n%s\nwant\n%s", json,
		got ? got : "(null)", want);
	free(got);
}

static void test_formats(void)
{
	CHECK_INT(output_parse_format("table"), OUTPUT_TABLE);
	CHECK_INT(output_parse_format("wide"), OUTPUT_TABLE);
	CHECK_INT(output_parse_format("json"), OUTPUT_JSON);
	CHECK_INT(output_parse_format("yaml"), OUTPUT_YAML);
	CHECK_INT(output_parse_format("JSON"), -1);
	CHECK_INT(output_parse_format(""), -1);
}

static void test_json(void)
{
	check_printed(output_json,
		"{\"k\":\"<a&b>\",\"n\":1.5,\"i\":3,\"t\":true,\"z\":null,\"e\":{},\"l\":[],"
		"\"a\":[1,{\"x\":\"\\u2028\"}]}",
		"{\n"
		"    \"k\": \"\\u003ca\\u0026b\\u003e\",\n"
		"    \"n\": 1.5,\n"
		"    \"i\": 3,\n"
		"    \"t\": true,\n"
		"    \"z\": null,\n"
		"    \"e\": {},\n"
		"    \"l\": [],\n"
		"    \"a\": [\n"
		"        1,\n"
		"        {\n"
		"            \"x\": \"\\u2028\"\n"
		"        }\n"
		"    ]\n"
		"}\n");
	check_printed(output_json, "[]", "[]\n");
	check_printed(output_json, "\"s\"", "\"s\"\n");
}

struct yaml_row {
	const char *json; /* a JSON string */
	const char *want; /* its YAML scalar */
};

/* Plain when that reads back as the same string, quoted otherwise. */
static const struct yaml_row yaml_scalars[] = {
	{ "\"plain\"", "plain" },
	{ "\"with space\"", "with space" },
	{ "\"a:b\"", "a:b" },
	{ "\"https://h/p\"", "https://h/p" },
	{ "\"kargo.akuity.io/refresh\"", "kargo.akuity.io/refresh" },
	{ "\"\"", "\"\"" },
	{ "\"true\"", "\"true\"" },
	{ "\"False\"", "\"False\"" },
	{ "\"yes\"", "\"yes\"" },
	{ "\"n\"", "\"n\"" },
	{ "\"off\"", "\"off\"" },
	{ "\"~\"", "\"~\"" },
	{ "\"null\"", "\"null\"" },
	{ "\"123\"", "\"123\"" },
	{ "\"1.5\"", "\"1.5\"" },
	{ "\"1e3\"", "\"1e3\"" },
	{ "\"0x1F\"", "\"0x1F\"" },
	/* YAML 1.1 reads these as numbers, timestamps or merge keys. */
	{ "\"1_000\"", "\"1_000\"" },
	{ "\"1:20\"", "\"1:20\"" },
	{ "\".inf\"", "\".inf\"" },
	{ "\"+1\"", "\"+1\"" },
	{ "\"2001-12-14\"", "\"2001-12-14\"" },
	{ "\"2026-01-01T00:00:00.5Z\"", "\"2026-01-01T00:00:00.5Z\"" },
	{ "\"<<\"", "\"\\u003c\\u003c\"" },
	{ "\"-x\"", "\"-x\"" },
	{ "\"a: b\"", "\"a: b\"" },
	{ "\"a:\"", "\"a:\"" },
	{ "\"a #b\"", "\"a #b\"" },
	{ "\"#c\"", "\"#c\"" },
	{ "\"*ref\"", "\"*ref\"" },
	{ "\"{x}\"", "\"{x}\"" },
	{ "\"trailing \"", "\"trailing \"" },
	{ "\" leading\"", "\" leading\"" },
	{ "\"tab\\there\"", "\"tab\\there\"" },
	{ "\"line\\nbreak\"", "\"line\\nbreak\"" },
	{ "\"del\\u007f\"", "\"del\\x7f\"" },
	{ "\"quote\\\"d\"", "quote\"d" }, /* a quote inside a plain scalar is text */
	{ "1", "1" },
	{ "true", "true" },
	{ "null", "null" },
};

static void test_yaml_scalars(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(yaml_scalars); i++) {
		char want[128];

		snprintf(want, sizeof(want), "%s\n", yaml_scalars[i].want);
		check_printed(output_yaml, yaml_scalars[i].json, want);
	}
}

static void test_yaml_blocks(void)
{
	check_printed(output_yaml,
		"{\"a\":{\"b\":[1,\"x\",{}],\"c\":\"true\"},\"d\":[],\"on\":\"k\"}",
		"a:\n"
		"  b:\n"
		"    - 1\n"
		"    - x\n"
		"    - {}\n"
		"  c: \"true\"\n"
		"d: []\n"
		"\"on\": k\n");
	check_printed(output_yaml, "[{\"a\":1,\"b\":2}]",
		"-\n"
		"  a: 1\n"
		"  b: 2\n");
	check_printed(output_yaml, "[]", "[]\n");
	check_printed(output_yaml, "{}", "{}\n");
}

static void test_table(void)
{
	const char *cells[] = { "NAME", "AGE", "a", "1", "long-name", "22" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		abort();
	output_table(f, cells, 3, 2);
	fclose(f);
	CHECK_STR(buf,
		"NAME        AGE\n"
		"a           1\n"
		"long-name   22\n");
	free(buf);
}

int main(void)
{
	test_formats();
	test_json();
	test_yaml_scalars();
	test_yaml_blocks();
	test_table();
	TEST_DONE("test_output");
}
