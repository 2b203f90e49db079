/* objects_pack.c: a packed Warehouse reads the same as the parsed one. */
#include "test.h"

#include "diag.h"
#include "kw.h"
#include "manifest.h"
#include "objects.h"

#include <string.h>

static const char wh_json[] =
	"{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
	"\"metadata\":{\"name\":\"wh\",\"namespace\":\"ns\"},\"spec\":{\"subscriptions\":["
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/b\",\"branch\":\"main\"}},"
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/c\",\"commitSelectionStrategy\":\"NewestTag\","
	"\"allowTagsRegexes\":[\"^v\",\"^release-\"],\"ignoreTagsRegexes\":[\"-rc\"]}},"
	"{\"image\":{\"repoURL\":\"ghcr.io/a/b\",\"constraint\":\"^1.0\",\"platform\":\"linux/amd64\"}},"
	"{\"chart\":{\"repoURL\":\"https://charts.example.com\",\"name\":\"c\",\"semverConstraint\":\"1.x\"}},"
	"{\"git\":{\"repoURL\":\"https://bitbucket.org/a/d\",\"includePaths\":[\"glob:a/*\",\"b\"],"
	"\"excludePaths\":[\"regex:^c\"],\"allowTags\":\"x\",\"ignoreTags\":[\"y\"]}}]}}";

static struct obj_set *parse(const char *text, bool keep)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	set->without_objects = !keep;
	CHECK_INT(manifest_parse(set, &dl, "Warehouse", text, strlen(text)), KW_OK);
	diag_clear(&dl);
	return set;
}

/* Equal, and the packed copy is a copy (not the parsed set's string,
 * which is freed once packed). */
static void same_str(const char *a, const char *b)
{
	CHECK((a == NULL) == (b == NULL));
	if (a != NULL && b != NULL) {
		CHECK_STR(b, a);
		CHECK(a != b);
	}
}

static void same_strv(char *const *a, size_t na, char *const *b, size_t nb)
{
	CHECK_INT(nb, na);
	CHECK(na == 0 || a != b);
	for (size_t i = 0; i < na && i < nb; i++)
		same_str(a[i], b[i]);
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
	same_strv(a->include_paths, a->n_include_paths, b->include_paths, b->n_include_paths);
	same_strv(a->exclude_paths, a->n_exclude_paths, b->exclude_paths, b->n_exclude_paths);
	same_strv(a->ignore_tags, a->n_ignore_tags, b->ignore_tags, b->n_ignore_tags);
	same_str(a->constraint, b->constraint);
	same_str(a->platform, b->platform);
	same_str(a->chart_name, b->chart_name);
	same_str(a->semver_constraint, b->semver_constraint);
	same_str(a->allow_tags, b->allow_tags);
	CHECK_INT(a->strict_semvers, b->strict_semvers);
	CHECK_INT(a->image_strategy, b->image_strategy);
	CHECK_STR(a->pos.file, b->pos.file);
	CHECK_INT(a->pos.line, b->pos.line);
}

static void test_packed_reads_the_same(void)
{
	struct obj_set *set = parse(wh_json, false);
	struct obj_shared *sh = objects_pack_warehouse(set);
	const struct obj_warehouse *a = &set->warehouses[0], *b;

	CHECK(sh != NULL);
	if (sh == NULL) {
		objects_free_set(set);
		return;
	}
	CHECK(sh->packed);
	b = &sh->set->warehouses[0];
	CHECK_INT(sh->set->n_warehouses, 1);
	CHECK_STR(b->namespace, a->namespace);
	CHECK_STR(b->name, a->name);
	CHECK_INT(b->n_subs, a->n_subs);
	for (size_t i = 0; i < a->n_subs && i < b->n_subs; i++)
		same_sub(&a->subs[i], &b->subs[i]);
	objects_free_set(set); /* the packed copy owns nothing of set */
	for (size_t i = 0; i < b->n_subs; i++) { /* ASan: nothing dangles */
		const struct obj_subscription *x = &b->subs[i];
		size_t len = 0;

		for (size_t j = 0; j < x->n_include_paths; j++)
			len += strlen(x->include_paths[j]);
		for (size_t j = 0; j < x->n_exclude_paths; j++)
			len += strlen(x->exclude_paths[j]);
		len += x->constraint ? strlen(x->constraint) : 0;
		len += x->platform ? strlen(x->platform) : 0;
		len += x->chart_name ? strlen(x->chart_name) : 0;
		CHECK(len < 1000);
	}
	objects_shared_unref(objects_shared_ref(sh));
	objects_shared_unref(sh);
}

static void test_not_packed(void)
{
	struct obj_set *with_json = parse(wh_json, true);
	struct obj_shared *sh;

	CHECK(objects_pack_warehouse(with_json) == NULL);
	sh = objects_share(with_json); /* wrapped, not packed */
	CHECK(sh != NULL && !sh->packed);
	objects_shared_unref(sh);
}

int main(void)
{
	test_packed_reads_the_same();
	test_not_packed();
	TEST_DONE("test_objects_pack");
}
