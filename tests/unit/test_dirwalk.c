/*
 * test_dirwalk.c: src/dirwalk.c through dirwalk.h: which files a folder
 * names (kubectl apply -f's extensions, sorted, hidden entries skipped),
 * links reached twice visited once, the depth cap, and that the loader
 * reads a .json manifest found in a folder.
 */
#include "dirwalk.h"
#include "kw.h"
#include "manifest.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	char list[4096];
	size_t problems;
	char problem[256];
};

static bool on_file(void *ctx, const char *path, const struct stat *st, bool named)
{
	struct seen *s = ctx;
	const char *base = strrchr(path, '/');

	(void)st;
	(void)named;
	strncat(s->list, base != NULL ? base + 1 : path, sizeof(s->list) - strlen(s->list) - 2);
	strcat(s->list, " ");
	return true;
}

static void on_problem(void *ctx, const char *path, int err, const char *msg)
{
	struct seen *s = ctx;

	(void)err;
	s->problems++;
	snprintf(s->problem, sizeof(s->problem), "%s", msg != NULL ? msg : path);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static const char warehouse_json[] =
	"{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
	"\"metadata\":{\"name\":\"w\",\"namespace\":\"p\"},\"spec\":{\"subscriptions\":"
	"[{\"git\":{\"repoURL\":\"https://e.org/r.git\"}}]}}\n";

static void test_walk(const char *root)
{
	struct seen s = { "", 0, "" };
	struct dirwalk_visitor v = { on_file, on_problem, &s };
	const char *paths[] = { root };
	char path[512];

	put(root, "b.yaml", "");
	put(root, "a.yml", "");
	put(root, "c.json", warehouse_json);
	put(root, "d.txt", "");
	put(root, ".hidden.yaml", "");
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0700);
	put(path, "e.yaml", "");
	snprintf(path, sizeof(path), "%s/sub/loop", root);
	CHECK(symlink("..", path) == 0);
	CHECK_INT(dirwalk(paths, 1, &v), KW_OK);
	CHECK_STR(s.list, "a.yml b.yaml c.json e.yaml ");
	CHECK_INT(s.problems, 0);
	CHECK(dirwalk_is_manifest("x.json"));
	CHECK(!dirwalk_is_manifest("x.jsonl"));
	CHECK(!dirwalk_is_manifest(".yaml"));
}

/* 33 folders below the named one: the deepest is reported, not read, by
 * the loader and the watcher alike (they share this walk). */
static void test_depth(const char *root)
{
	struct seen s = { "", 0, "" };
	struct dirwalk_visitor v = { on_file, on_problem, &s };
	char path[4096];
	const char *paths[] = { path };
	size_t len;

	snprintf(path, sizeof(path), "%s/deep", root);
	mkdir(path, 0700);
	len = strlen(path);
	for (int i = 0; i < DIRWALK_MAX_DEPTH + 1; i++) {
		len += (size_t)snprintf(path + len, sizeof(path) - len, "/d");
		mkdir(path, 0700);
		put(path, "x.yaml", "");
	}
	snprintf(path, sizeof(path), "%s/deep", root);
	CHECK_INT(dirwalk(paths, 1, &v), KW_OK);
	CHECK_INT(s.problems, 1);
	CHECK(strstr(s.problem, "32 folders") != NULL);
	/* x.yaml at depths 1..32 read, the one at 33 not */
	len = 0;
	for (const char *p = s.list; (p = strstr(p, "x.yaml")) != NULL; p++)
		len++;
	CHECK_INT(len, DIRWALK_MAX_DEPTH);
}

static void test_loader_reads_json(const char *root)
{
	struct obj_set *set = NULL;
	struct diag_list dl = { 0 };
	const char *paths[] = { root };

	manifest_load(&set, &dl, paths, 1);
	CHECK(set != NULL && set->n_warehouses == 1);
	diag_clear(&dl);
	objects_free_set(set);
}

int main(void)
{
	char root[] = "/tmp/test_dirwalk.XXXXXX";
	char cmd[256];

	if (mkdtemp(root) == NULL)
		return 1;
	test_walk(root);
	test_loader_reads_json(root);
	test_depth(root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	TEST_DONE("test_dirwalk");
}
