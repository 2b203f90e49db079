/* objects_pack.c: a packed Warehouse reads the same as the parsed one. */
#include "test.h"

#include "diag.h"
#include "kw.h"
#include "manifest.h"
#include "objects.h"

#include <stdlib.h>
#include <string.h>

static const char wh_json[] =
	"{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
	"\"metadata\":{\"name\":\"wh\",\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":["
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/b\",\"branch\":\"main\"}},"
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/c\",\"commitSelectionStrategy\":\"NewestTag\","
	"\"allowTagsRegexes\":[\"^v\",\"^release-\"],\"ignoreTagsRegexes\":[\"-rc\"]}},"
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/d\",\"commitSelectionStrategy\":\"SemVer\","
	"\"semverConstraint\":\"^1\",\"includePaths\":[\"glob:src/**\"],\"excludePaths\":[\"docs\"]}},"
	"{\"image\":{\"repoURL\":\"ghcr.io/a/b\",\"constraint\":\"^2\",\"platform\":\"linux/amd64\"}},"
	"{\"chart\":{\"repoURL\":\"https://charts.example.com\",\"name\":\"app\"}}]}}";

static struct obj_set *parse(const char *text, bool keep)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	set->without_objects = !keep;
	CHECK_INT(manifest_parse(set, &dl, "Warehouse", text, strlen(text)), KW_OK);
	diag_clear(&dl);
	return set;
}

static void same_str(const char *a, const char *b)
{
	CHECK((a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0));
}

static void same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	CHECK_INT(na, nb);
	for (size_t i = 0; i < na && i < nb; i++)
		CHECK_STR(a[i], b[i]);
}

static void same_pos(const struct obj_pos *a, const struct obj_pos *b)
{
	CHECK_INT(a->line, b->line);
	CHECK_INT(a->column, b->column);
	CHECK(a->line == 0 || strcmp(a->file, b->file) == 0);
}

static void same_sub(const struct obj_subscription *a, const struct obj_subscription *b)
{
	CHECK_INT(a->kind, b->kind);
	CHECK(a->repo_url == b->repo_url || strcmp(a->repo_url, b->repo_url) == 0);
	CHECK(a->branch == b->branch || strcmp(a->branch, b->branch) == 0);
	CHECK_INT(a->strategy, b->strategy);
	CHECK_INT(a->n_allow_regexes, b->n_allow_regexes);
	for (size_t i = 0; i < a->n_allow_regexes && i < b->n_allow_regexes; i++)
		CHECK_STR(a->allow_regexes[i], b->allow_regexes[i]);
	CHECK_INT(a->n_ignore_regexes, b->n_ignore_regexes);
	for (size_t i = 0; i < a->n_ignore_regexes && i < b->n_ignore_regexes; i++)
		CHECK_STR(a->ignore_regexes[i], b->ignore_regexes[i]);
	for (size_t i = 0; i < a->n_allow_regexes && i < b->n_allow_regexes; i++)
		same_pos(&a->allow_regex_pos[i], &b->allow_regex_pos[i]);
	for (size_t i = 0; i < a->n_ignore_regexes && i < b->n_ignore_regexes; i++)
		same_pos(&a->ignore_regex_pos[i], &b->ignore_regex_pos[i]);
	same_str(a->semver_constraint, b->semver_constraint);
	same_pos(&a->constraint_pos, &b->constraint_pos);
	same_str(a->constraint, b->constraint);
	same_str(a->platform, b->platform);
	same_str(a->chart_name, b->chart_name);
	same_strv(a->include_paths, a->n_include_paths, b->include_paths, b->n_include_paths);
	same_strv(a->exclude_paths, a->n_exclude_paths, b->exclude_paths, b->n_exclude_paths);
	CHECK_STR(a->pos.file, b->pos.file);
	CHECK_INT(a->pos.line, b->pos.line);
}

/* Compared after the parsed set is freed, against a second parse: a field
 * left pointing into the freed set is a use after free under ASan. */
static void test_packed_reads_the_same(void)
{
	struct obj_set *set = parse(wh_json, false), *ref = parse(wh_json, false);
	struct obj_shared *sh = objects_pack_warehouse(set);
	const struct obj_warehouse *a = &ref->warehouses[0], *b;

	objects_free_set(set); /* the packed copy owns nothing of set */
	CHECK(sh != NULL);
	if (sh == NULL) {
		objects_free_set(ref);
		return;
	}
	CHECK(sh->set == NULL);
	b = objects_shared_warehouse(sh);
	CHECK(b != NULL && b->name != NULL);
	if (b == NULL || b->name == NULL) {
		objects_free_set(ref);
		objects_shared_unref(sh);
		return;
	}
	CHECK_STR(b->namespace, a->namespace);
	CHECK_STR(b->name, a->name);
	CHECK_INT(b->n_subs, a->n_subs);
	CHECK_INT(a->n_subs, 5);
	CHECK(b->subs == NULL && b->packed_subs != NULL);
	for (size_t i = 0; i < a->n_subs && i < b->n_subs; i++) {
		struct obj_subscription tmp;

		same_sub(&a->subs[i], objects_subscription(b, i, &tmp));
	}
	objects_free_set(ref);
	objects_shared_unref(objects_shared_ref(sh));
	objects_shared_unref(sh);
}

static void test_not_packed(void)
{
	struct obj_set *with_json = parse(wh_json, true);
	struct obj_shared *sh;

	CHECK(objects_pack_warehouse(with_json) == NULL);
	sh = objects_share(with_json); /* wrapped, not packed */
	CHECK(sh != NULL && sh->set == with_json);
	CHECK(sh == NULL || objects_shared_warehouse(sh) == NULL);
	objects_shared_unref(sh);
}

/* A set of shared objects points at their Warehouses instead of copying
 * them (a copy of 100,000 is 8.8 MB in every snapshot), packed or not,
 * and freeing it drops its references only. */
static void test_set_points_at_shared(void)
{
	static const char other[] =
		"{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
		"\"metadata\":{\"name\":\"wh2\",\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":["
		"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/e\"}}]}}";
	struct obj_shared **v = calloc(3, sizeof(*v));
	struct obj_set *set = NULL;
	struct obj_shared *packed, *wrapped; /* v is the set's once given */

	CHECK(v != NULL);
	if (v == NULL)
		return;
	v[0] = objects_share(parse(wh_json, false)); /* packed */
	v[1] = objects_share(parse(other, true));    /* a set, with its JSON */
	v[2] = objects_share(parse(other, false));
	CHECK(v[0] != NULL && v[0]->set == NULL && v[1] != NULL && v[1]->set != NULL && v[2] != NULL);
	if (v[0] == NULL || v[1] == NULL || v[2] == NULL) {
		objects_shared_unref_all(v, 3);
		return;
	}
	packed = objects_shared_ref(v[0]);
	wrapped = objects_shared_ref(v[1]);
	CHECK_INT(objects_set_from_shared(&set, v, 3), KW_OK);
	if (set != NULL) {
		CHECK_INT(set->n_warehouses, 3);
		CHECK(set->warehouses == NULL);
		CHECK(objects_warehouse(set, 0) == objects_shared_warehouse(packed));
		CHECK(objects_warehouse(set, 1) == &wrapped->set->warehouses[0]);
		CHECK_STR(objects_warehouse(set, 2)->name, "wh2");
		CHECK_INT(objects_warehouse(set, 0)->n_subs, 5);
		CHECK(objects_warehouse(set, 1)->object != NULL);
	}
	objects_free_set(set);
	CHECK_INT(packed->refs, 1); /* ours: the set dropped its own */
	CHECK_INT(wrapped->refs, 1);
	objects_shared_unref(packed);
	objects_shared_unref(wrapped);
}

int main(void)
{
	test_packed_reads_the_same();
	test_not_packed();
	test_set_points_at_shared();
	TEST_DONE("test_objects_pack");
}
