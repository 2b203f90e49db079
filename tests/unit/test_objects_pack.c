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
	"{\"image\":{\"repoURL\":\"ghcr.io/a/b\"}}]}}";

static struct obj_set *parse(const char *text, bool keep)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	set->without_objects = !keep;
	CHECK_INT(manifest_parse(set, &dl, "Warehouse", text, strlen(text)), KW_OK);
	diag_clear(&dl);
	return set;
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
