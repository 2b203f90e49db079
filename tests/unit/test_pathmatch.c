/* Tests src/pathmatch.c and selector_match_paths() (src/selector.c):
 * Kargo's TestBaseSelector_MatchesPaths cases
 * (pkg/controller/git/commit/base_selector_test.go), doublestar's glob
 * rules, and filepath.Rel's base-directory rule. */
#include "kw.h"
#include "objects.h"
#include "pathmatch.h"
#include "selector.h"
#include "test.h"

#include <stdlib.h>

static void test_glob(void)
{
	static const struct { const char *pat, *path; bool want; } cases[] = {
		{ "path2/*.tpl", "path2/_helpers.tpl", true },
		{ "*/?helpers.tpl", "path2/_helpers.tpl", true },
		{ "*.tpl", "path2/_helpers.tpl", false },
		{ "*/*.tpl", "path2/_helpers.tpl", true },
		{ "path*/*", "path1/values.yaml", true },
		{ "*/*/*/abe/*", "path3/abc/abd/abe/deployment.yaml", true },
		{ "**/*.md", "README.md", true },
		{ "**/*.md", "a/b/c/README.md", true },
		{ "apps/**", "apps", true },
		{ "apps/**", "apps/x/y", true },
		{ "apps/**", "appsx", false },
		{ "a/**/b", "a/b", true },
		{ "a/**/b", "a/x/y/b", true },
		{ "a**b", "axxb", true },
		{ "a**b", "ax/xb", false },
		{ "{a,b}/*.yaml", "b/v.yaml", true },
		{ "{a,b}/*.yaml", "c/v.yaml", false },
		{ "[a-c]x", "bx", true },
		{ "[!a-c]x", "bx", false },
		{ "[^a-c]x", "dx", true },
		{ "a?c", "a/c", false },
		{ "\\*x", "*x", true },
		{ "\\*x", "ax", false },
		{ "file*", "path1/file1", false },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++)
		CHECK_MSG(pathmatch_glob(cases[i].pat, cases[i].path) == cases[i].want,
			"glob %s on %s", cases[i].pat, cases[i].path);
	CHECK(pathmatch_glob_valid("a/{b,c}/[x-z]*"));
	CHECK(!pathmatch_glob_valid("["));
	CHECK(!pathmatch_glob_valid("{a,b"));
	CHECK(!pathmatch_glob_valid("a\\"));
}

static void test_base_dir(void)
{
	static const struct { const char *base, *path; bool want; } cases[] = {
		{ "path1/", "path1/values.yaml", true },
		{ "path1", "path1/values.yaml", true },
		{ "path1", "path1", true },
		{ "path3/", "path1/values.yaml", false },
		{ "path1/f", "path1/file1", false },
		{ "apps/foo", "apps/foo/../bar/x", false },
		{ "apps/foo", "apps/foo/a..b", false }, /* Kargo: ".." anywhere */
		{ "", "anything/at/all", true },
		{ ".", "x", true },
		{ "/abs", "rel", false },
		{ "./apps//foo/", "apps/foo/v.yaml", true },
		{ "yaml", "path1/values.yaml", false },
		{ "nonexistent", "path1/values.yaml", false },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++)
		CHECK_MSG(pathmatch_base_dir(cases[i].base, cases[i].path) == cases[i].want,
			"base %s on %s", cases[i].base, cases[i].path);
}

/* Splits "a|b|c" into a new list (free_list). */
static char **list(const char *s, size_t *n)
{
	char **v = calloc(32, sizeof(*v)), *copy = strdup(s), *save = NULL;

	*n = 0;
	for (char *t = strtok_r(copy, "|", &save); t; t = strtok_r(NULL, "|", &save))
		v[(*n)++] = strdup(t);
	free(copy);
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void test_kargo_cases(void)
{
	static const struct { const char *inc, *exc, *diffs; bool want; } cases[] = {
		{ "", "regexp:nonexistent", "path1/values.yaml|path2/_helpers.tpl", true },
		{ "regexp:values\\.ya?ml$", "regex:nonexistent",
			"path1/values.yaml|path2/_helpers.tpl", true },
		{ "regexp:values\\.ya?ml$", "regex:nonexistent|regexp:.*val.*",
			"path1/values.yaml|path2/_helpers.tpl", false },
		{ "glob:path2/*.tpl", "nonexistent", "path1/values.yaml|path2/_helpers.tpl", true },
		{ "path2/*.tpl", "regex:nonexistent|*/?helpers.tpl",
			"path1/values.yaml|path2/_helpers.tpl", false },
		{ "path1/", "nonexistent", "path1/values.yaml|path2/_helpers.tpl", true },
		{ "path3/", "regex:nonexistent|*/?helpers.tpl",
			"path1/values.yaml|path2/_helpers.tpl", false },
		{ "path3|regex:nonexistent|glob:nonexistent",
			"regex:nonexistent|*/?helpers.tpl|glob:nonexistent",
			"path1/values.yaml|path2/_helpers.tpl", false },
		{ "path1|regex:[_-]|glob:nonexistent",
			"regex:nonexistent|path1|path1|glob:*.tpl|glob:*/*.tpl|glob:*.tpl|path1",
			"path1/values.yaml|path2/_helpers.tpl|path2/ingress.yaml", false },
		{ "path1/f|regexp:path[1-3]|glob:file*",
			"regex:\\d|yaml|glob:*.tpl|glob:*.tpl|nonexistent",
			"path1/file1|path2/file2|path3/file3", false },
		{ "path1|regex:[_-]|glob:nonexistent|regex:no|glob:*/*/*/abe/*",
			"regex:nonexistent|path1|path1|glob:*.tpl|glob:*/*.tpl|glob:*.tpl|regexp:.*q",
			"path1/values.yaml|path2/_helpers.tpl|abc|abb|aba|abz|aby|abx|abw|abv|abu|"
			"path3/abc/abd/abe/deployment.yaml|path4.txt", true },
		{ "", "regexp:ab[cbazxwvu]|helpers.tpl|glob:path*/*",
			"path1/values.yaml|path2/_helpers.tpl|abc|abb|aba|abz|aby|abx|abw|abv|abu",
			true },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct obj_subscription sub = { .kind = SUB_GIT };
		struct selector *sel = NULL;
		struct kw_err err;
		char **diffs;
		size_t n;

		sub.include_paths = list(cases[i].inc, &sub.n_include_paths);
		sub.exclude_paths = list(cases[i].exc, &sub.n_exclude_paths);
		diffs = list(cases[i].diffs, &n);
		CHECK_INT(selector_new(&sel, &sub, &err), KW_OK);
		if (sel != NULL)
			CHECK_MSG(selector_match_paths(sel, diffs, n) == cases[i].want,
				"Kargo case %zu", i);
		selector_free(sel);
		free_list(diffs, n);
		free_list(sub.include_paths, sub.n_include_paths);
		free_list(sub.exclude_paths, sub.n_exclude_paths);
	}
}

static void test_bad_patterns(void)
{
	static const char *const bad[] = { "glob:[", "regex:[a-z", "regexp:(" };

	for (size_t i = 0; i < KW_ARRAY_LEN(bad); i++) {
		struct obj_subscription sub = { .kind = SUB_GIT };
		char *p[1] = { (char *)bad[i] };
		struct selector *sel = NULL;
		struct kw_err err;

		sub.include_paths = p;
		sub.n_include_paths = 1;
		CHECK_INT(selector_new(&sel, &sub, &err), KW_EINVAL);
		CHECK(sel == NULL);
	}
}

int main(void)
{
	test_glob();
	test_base_dir();
	test_kargo_cases();
	test_bad_patterns();
	TEST_DONE("test_pathmatch");
}
