/*
 * test_manifest.c: src/manifest.c through manifest.h. A table of YAML
 * streams with the diagnostics each must give (position, key, message), then
 * checks of the decoded values, the JSON kept for `get`, the bounds, and
 * manifest_load over a temporary folder tree.
 */
#include "manifest.h"

#include "kw.h"
#include "test.h"

#include <cjson/cJSON.h>

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HDR_KARGO "apiVersion: kargo.akuity.io/v1alpha1\n"

struct want {
	enum diag_severity sev;
	size_t line, column;
	const char *key; /* NULL: none */
	const char *msg; /* a part of the message */
};

struct diag_case {
	const char *name;
	const char *yaml;
	int rc;
	size_t objects; /* kept, of every kind */
	size_t n_diags;
	struct want want[3];
};

static const struct diag_case diag_cases[] = {
	/* A kind kargo.akuity.io does not have is a typo: a warning at the
	 * kind, with the nearest kind; Kargo's other kinds, other groups' kinds
	 * and Lists of them are skipped quietly. */
	{ "unknown kargo kind", HDR_KARGO "kind: Warehose\nmetadata: {name: w}\n",
		KW_OK, 0, 1, { { DIAG_WARNING, 2, 7, "kind",
		"kargo.akuity.io has no kind \"Warehose\" (Warehouse?); the object is skipped" } } },
	{ "unknown kargo kind, no guess", "apiVersion: kargo.akuity.io/v1beta1\n"
		"kind: Gizmo\n", KW_OK, 0, 1, { { DIAG_WARNING, 2, 7, "kind",
		"kargo.akuity.io has no kind \"Gizmo\"; the object is skipped" } } },
	{ "unknown kargo kind in a List", "apiVersion: v1\nkind: List\nitems:\n"
		"- {apiVersion: kargo.akuity.io/v1alpha1, kind: warehouse}\n",
		KW_OK, 0, 1, { { DIAG_WARNING, 4, 48, "items[0].kind",
		"no kind \"warehouse\" (Warehouse?)" } } },
	{ "kargo's own kinds", HDR_KARGO "kind: Stage\n---\n" HDR_KARGO "kind: Freight\n"
		"---\napiVersion: other.io/v1\nkind: Warehose\n", KW_OK, 0, 0, { { 0 } } },
	{ "project config", HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata:\n"
		"  name: kargo-demo\n"
		"  namespace: kargo-demo\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: bb\n"
		"    bitbucket:\n"
		"      secretRef:\n"
		"        name: bb-secret\n",
		KW_OK, 1, 0, { { 0 } } },
	{ "project config without namespace", HDR_KARGO
		"kind: ProjectConfig\nmetadata:\n  name: p\n",
		KW_OK, 1, 0, { { 0 } } },
	{ "name != namespace", HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata:\n"
		"  name: kargo-demo\n"
		"  namespace: other\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 5, 14, "metadata.namespace", "must equal metadata.name" } } },
	{ "cluster config", HDR_KARGO
		"kind: ClusterConfig\n"
		"metadata: {name: cluster}\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - {name: bb, bitbucket: {secretRef: {name: s}}}\n",
		KW_OK, 1, 0, { { 0 } } },
	{ "cluster config misnamed", HDR_KARGO
		"kind: ClusterConfig\n"
		"metadata:\n"
		"  name: clusters\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 4, 9, "metadata.name", "must be named \"cluster\"" } } },
	{ "duplicate receiver names", HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata:\n"
		"  name: p\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: a\n"
		"    bitbucket: {secretRef: {name: s}}\n"
		"  - name: a\n"
		"    github: {secretRef: {name: s}}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 9, 5, "spec.webhookReceivers[1].name", "duplicate receiver name \"a\" (first at line 7)" } } },
	{ "two kinds in one receiver", HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata:\n"
		"  name: p\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: a\n"
		"    bitbucket: {secretRef: {name: s}}\n"
		"    gitlab: {secretRef: {name: s}}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 9, 13, "spec.webhookReceivers[0].gitlab", "bitbucket is already set" } } },
	{ "receiver without kind or secretRef", HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata:\n"
		"  name: p\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: a\n"
		"  - name: b\n"
		"    bitbucket: {}\n",
		KW_EINVAL, 0, 2,
		{ { DIAG_ERROR, 7, 5, "spec.webhookReceivers[0]", "needs one of bitbucket, github" },
		  { DIAG_ERROR, 9, 16, "spec.webhookReceivers[1].bitbucket.secretRef", "required" } } },
	{ "secret data", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: s, namespace: p}\n"
		"data:\n"
		"  secret: bXlzdXBlcnNlY3JldHRva2Vu\n",
		KW_OK, 1, 0, { { 0 } } },
	{ "bad base64", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: s, namespace: p}\n"
		"data:\n"
		"  other: \"abc\"\n"
		"  secret: bXlzdXBlcnNlY3JldHRva2Vu=\n",
		KW_EINVAL, 0, 2,
		{ { DIAG_ERROR, 5, 10, "data.other", "not valid base64" },
		  { DIAG_ERROR, 6, 11, "data.secret", "not valid base64" } } },
	{ "secret as a number", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: s, namespace: p}\n"
		"stringData:\n"
		"  secret: 12345\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 5, 11, "stringData.secret", "must be a string, not a number (quote it)" } } },
	{ "secret with a trailing newline", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: s, namespace: p}\n"
		"stringData:\n"
		"  secret: |\n"
		"    mysupersecrettoken\n",
		KW_OK, 1, 1,
		{ { DIAG_WARNING, 5, 11, "stringData.secret", "ends in white space (a newline)" } } },
	{ "secret encoded with echo", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: s, namespace: p}\n"
		"data:\n"
		"  secret: YWJjCg==\n",
		KW_OK, 1, 1,
		{ { DIAG_WARNING, 5, 11, "data.secret", "without -n?" } } },
	{ "secret without namespace", "apiVersion: v1\nkind: Secret\n"
		"metadata:\n"
		"  name: s\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 4, 3, "metadata.namespace", "required" } } },
	{ "two errors in one Warehouse", HDR_KARGO
		"kind: Warehouse\n"
		"metadata:\n"
		"  name: w\n"
		"  namespace: p\n"
		"spec:\n"
		"  subscriptions:\n"
		"  - git:\n"
		"      repoURL: https://bitbucket.org/example/repo.git\n"
		"      commitSelectionStrategy: Newest\n"
		"  - git:\n"
		"      branch: main\n",
		KW_EINVAL, 0, 2,
		{ { DIAG_ERROR, 10, 32, "spec.subscriptions[0].git.commitSelectionStrategy",
		    "must be NewestFromBranch, SemVer, Lexical or NewestTag" },
		  { DIAG_ERROR, 12, 7, "spec.subscriptions[1].git.repoURL", "required" } } },
	{ "subscription of two kinds", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  subscriptions:\n"
		"  - image: {repoURL: ghcr.io/example/app}\n"
		"    chart: {repoURL: oci://ghcr.io/example/chart}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 7, 12, "spec.subscriptions[0].chart", "image is already set" } } },
	{ "Warehouse without subscriptions", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  subscriptions: []\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 5, 18, "spec.subscriptions", "at least one" } } },
	{ "YAML 1.1 booleans", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  subscriptions:\n"
		"  - git: {repoURL: \"https://a/b\", strictSemvers: yes}\n"
		"  - git: {repoURL: \"https://a/b\", branch: no}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 7, 43, "spec.subscriptions[1].git.branch", "not a boolean (quote it)" } } },
	{ "deprecated allowTags on a tag strategy", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  subscriptions:\n"
		"  - git: {repoURL: \"https://a/b\", commitSelectionStrategy: SemVer, allowTags: \"^v1\"}\n",
		KW_OK, 1, 1,
		{ { DIAG_WARNING, 6, 79, "spec.subscriptions[0].git.allowTags", "deprecated" } } },
	{ "NaN cannot be JSON", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  weight: .nan\n"
		"  subscriptions: [{image: {repoURL: ghcr.io/a/b}}]\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 5, 11, "spec.weight", "cannot be written in JSON" } } },
	{ "duplicate key", HDR_KARGO
		"kind: Warehouse\n"
		"metadata:\n"
		"  name: a\n"
		"  namespace: p\n"
		"  name: b\n"
		"spec: {subscriptions: [{image: {repoURL: ghcr.io/a/b}}]}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 6, 3, "metadata.name", "duplicate key (first at line 4)" } } },
	{ "invalid name", HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: My_Warehouse, namespace: p}\n"
		"spec: {subscriptions: [{image: {repoURL: ghcr.io/a/b}}]}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 3, 18, "metadata.name", "RFC 1123 subdomain" } } },
	{ "YAML syntax error", "apiVersion: v1\nkind: Secret: x\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 2, 13, NULL, "mapping values are not allowed" } } },
	{ "undefined alias", "apiVersion: v1\nkind: *nope\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 2, 7, NULL, "undefined alias" } } },
	{ "document without kind", "apiVersion: v1\nmetadata: {name: x}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 1, 1, "kind", "required" } } },
	{ "document that is a list", "- a\n- b\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 1, 1, NULL, "a manifest is a mapping" } } },
	{ "kind in another group is skipped", "apiVersion: example.com/v1\n"
		"kind: Warehouse\nmetadata: {name: w}\n",
		KW_OK, 0, 0, { { 0 } } },
	{ "unknown kinds are skipped", "apiVersion: v1\nkind: ConfigMap\n"
		"metadata: {name: c}\ndata: {a: b}\n---\n"
		"apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {name: s}\n",
		KW_OK, 0, 0, { { 0 } } },
	{ "other version of a known kind", "apiVersion: kargo.akuity.io/v1beta1\n"
		"kind: Warehouse\nmetadata: {name: w, namespace: p}\n",
		KW_EINVAL, 0, 1,
		{ { DIAG_ERROR, 1, 13, "apiVersion", "Warehouse is served as kargo.akuity.io/v1alpha1" } } },
	{ "multi-document stream", "---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: a, namespace: p}\n"
		"stringData: {secret: x}\n"
		"---\n"
		"# only a comment\n"
		"---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: b, namespace: p}\n"
		"---\n"
		"apiVersion: v1\nkind: Secret\nmetadata: {name: c, namespace: p}\n"
		"data: {secret: \"!!\"}\n"
		"...\n",
		KW_EINVAL, 2, 1,
		{ { DIAG_ERROR, 16, 16, "data.secret", "not valid base64" } } },
	{ "List of objects", "apiVersion: v1\nkind: List\nitems:\n"
		"- apiVersion: v1\n"
		"  kind: Secret\n"
		"  metadata: {name: s, namespace: p}\n"
		"- apiVersion: v1\n"
		"  kind: Secret\n"
		"  metadata:\n"
		"    name: t\n",
		KW_EINVAL, 1, 1,
		{ { DIAG_ERROR, 10, 5, "items[1].metadata.namespace", "required" } } },
	{ "Promotion", HDR_KARGO
		"kind: Promotion\nmetadata: {name: p1, namespace: p}\n"
		"spec: {stage: test, steps: [{uses: git-wait-for-pr}]}\n",
		KW_OK, 1, 0, { { 0 } } },
	{ "empty stream", "", KW_OK, 0, 0, { { 0 } } },
};

static size_t count_objects(const struct obj_set *set)
{
	return set->n_configs + set->n_secrets + set->n_warehouses + set->n_promotions;
}

static struct obj_set *parse(const char *yaml, struct diag_list *dl, int *rc)
{
	struct obj_set *set = manifest_set_new();

	*rc = manifest_parse(set, dl, "t.yaml", yaml, strlen(yaml));
	return set;
}

static void check_diag(const char *name, const struct diag *got, const struct want *w)
{
	CHECK_MSG(got->severity == w->sev, "%s: severity %d, want %d (%s)", name,
		got->severity, w->sev, got->message);
	CHECK_MSG(got->line == w->line && got->column == w->column,
		"%s: at %zu:%zu, want %zu:%zu (%s)", name, got->line, got->column,
		w->line, w->column, got->message);
	CHECK_MSG((w->key == NULL && got->key == NULL) ||
		(w->key != NULL && got->key != NULL && strcmp(w->key, got->key) == 0),
		"%s: key %s, want %s", name, got->key ? got->key : "(none)",
		w->key ? w->key : "(none)");
	CHECK_MSG(strstr(got->message, w->msg) != NULL, "%s: message \"%s\" lacks \"%s\"",
		name, got->message, w->msg);
	CHECK_STR(got->file, "t.yaml");
}

static void test_diag_cases(void)
{
	for (size_t i = 0; i < sizeof(diag_cases) / sizeof(diag_cases[0]); i++) {
		const struct diag_case *c = &diag_cases[i];
		struct diag_list dl = { 0 };
		int rc;
		struct obj_set *set = parse(c->yaml, &dl, &rc);

		CHECK_MSG(rc == c->rc, "%s: rc %d, want %d", c->name, rc, c->rc);
		CHECK_MSG(count_objects(set) == c->objects, "%s: %zu objects, want %zu",
			c->name, count_objects(set), c->objects);
		CHECK_MSG(dl.n == c->n_diags, "%s: %zu diagnostics, want %zu", c->name,
			dl.n, c->n_diags);
		if (dl.n != c->n_diags)
			diag_print(&dl, stderr);
		for (size_t j = 0; j < dl.n && j < c->n_diags; j++)
			check_diag(c->name, &dl.items[j], &c->want[j]);
		diag_clear(&dl);
		objects_free_set(set);
	}
}

static void test_values(void)
{
	struct diag_list dl = { 0 };
	int rc;
	struct obj_set *set = parse(HDR_KARGO
		"kind: ProjectConfig\n"
		"metadata: {name: kargo-demo}\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: bb-wh-receiver\n"
		"    bitbucket: {secretRef: {name: bb-wh-secret}}\n"
		"  - name: gh\n"
		"    github: {secretRef: {name: gh-secret}}\n"
		"---\n"
		"apiVersion: v1\nkind: Secret\n"
		"metadata: {name: bb-wh-secret, namespace: kargo-demo}\n"
		"data:\n"
		"  secret: YQ==\n"
		"  previous-secret: |\n"
		"    bXlzdXBlcnNl\n"
		"    Y3JldHRva2Vu\n"
		"stringData:\n"
		"  secret: mysupersecrettoken\n"
		"---\n"
		HDR_KARGO
		"kind: ClusterConfig\nmetadata: {name: cluster}\n", &dl, &rc);
	const struct obj_config *c = &set->configs[0];
	const struct obj_secret *s;

	CHECK_INT(rc, KW_OK);
	CHECK_INT(set->n_configs, 2);
	CHECK_STR(c->project, "kargo-demo");
	CHECK_STR(c->namespace, "kargo-demo");
	CHECK(!c->cluster);
	CHECK_INT(c->n_receivers, 2);
	CHECK_STR(c->receivers[0].name, "bb-wh-receiver");
	CHECK_INT(c->receivers[0].kind, RECEIVER_BITBUCKET);
	CHECK_STR(c->receivers[0].kind_name, "bitbucket");
	CHECK_STR(c->receivers[0].secret_name, "bb-wh-secret");
	CHECK_INT(c->receivers[0].pos.line, 6);
	CHECK_INT(c->receivers[1].kind, RECEIVER_OTHER);
	CHECK_STR(c->receivers[1].kind_name, "github");
	CHECK(set->configs[1].cluster);
	CHECK_STR(set->configs[1].project, "");
	s = objects_find_secret(set, "kargo-demo", "bb-wh-secret");
	CHECK(s != NULL);
	if (s != NULL) {
		/* stringData wins over data, as in Kubernetes */
		CHECK(s->has_secret && s->secret_len == 18 &&
			memcmp(s->secret, "mysupersecrettoken", 18) == 0);
		/* line breaks inside base64 are ignored */
		CHECK(s->has_previous && s->previous_len == 18 &&
			memcmp(s->previous, "mysupersecrettoken", 18) == 0);
	}
	CHECK(objects_find_secret(set, "other", "bb-wh-secret") == NULL);
	CHECK(objects_find_secret(NULL, "kargo-demo", "bb-wh-secret") == NULL);
	diag_clear(&dl);
	objects_free_set(set);
}

static void test_warehouse_values(void)
{
	struct diag_list dl = { 0 };
	int rc;
	struct obj_set *set = parse(HDR_KARGO
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec:\n"
		"  subscriptions:\n"
		"  - git: &g\n"
		"      repoURL: https://bitbucket.org/example/kargo-demo.git\n"
		"      commitSelectionStrategy: SemVer\n"
		"      semverConstraint: ^1.0.0\n"
		"      strictSemvers: true\n"
		"      allowTagsRegexes: [\"^v\", 'x']\n"
		"      ignoreTagsRegexes: [rc]\n"
		"  - git:\n"
		"      <<: *g\n"
		"      commitSelectionStrategy: NewestFromBranch\n"
		"      branch: main\n"
		"  - image: {repoURL: ghcr.io/example/app}\n"
		"  - chart: {repoURL: oci://ghcr.io/example/chart}\n", &dl, &rc);
	const struct obj_subscription *s;

	CHECK_INT(rc, KW_OK);
	CHECK_INT(dl.n, 0);
	CHECK_INT(set->n_warehouses, 1);
	if (set->n_warehouses != 1 || set->warehouses[0].n_subs != 4)
		goto out;
	s = set->warehouses[0].subs;
	CHECK_STR(set->warehouses[0].name, "w");
	CHECK_STR(set->warehouses[0].namespace, "p");
	CHECK_INT(s[0].kind, SUB_GIT);
	CHECK_STR(s[0].repo_url, "https://bitbucket.org/example/kargo-demo.git");
	CHECK_INT(s[0].strategy, STRATEGY_SEMVER);
	CHECK_STR(s[0].semver_constraint, "^1.0.0");
	CHECK(s[0].strict_semvers);
	CHECK(s[0].branch == NULL);
	CHECK_INT(s[0].n_allow_regexes, 2);
	CHECK_STR(s[0].allow_regexes[1], "x");
	CHECK_INT(s[0].n_ignore_regexes, 1);
	/* the merge brings repoURL; the keys written beside it win */
	CHECK_STR(s[1].repo_url, "https://bitbucket.org/example/kargo-demo.git");
	CHECK_INT(s[1].strategy, STRATEGY_NEWEST_FROM_BRANCH);
	CHECK_STR(s[1].branch, "main");
	CHECK_INT(s[2].kind, SUB_IMAGE);
	CHECK_STR(s[2].repo_url, "ghcr.io/example/app");
	CHECK_INT(s[3].kind, SUB_CHART);
	CHECK_INT(s[3].pos.line, 18);
out:
	diag_clear(&dl);
	objects_free_set(set);
}

/* The JSON kept for `get`: keys sorted, scalars resolved as Kubernetes
 * resolves them, floats written as Go writes them. */
static void test_json(void)
{
	struct diag_list dl = { 0 };
	int rc;
	struct obj_set *set = parse(HDR_KARGO
		"kind: Warehouse\n"
		"metadata:\n"
		"  name: w\n"
		"  namespace: p\n"
		"spec:\n"
		"  m: {b: \"123\", a: 123, 1: one, true: yes}\n"
		"  interval: 5m\n"
		"  subscriptions:\n"
		"  - git:\n"
		"      repoURL: https://bitbucket.org/example/kargo-demo.git\n"
		"      discoveryLimit: 20\n"
		"      strictSemvers: True\n"
		"  x: [0x1F, 017, 0o17, 0b11, 1_000, +7, 1.5, 1e3, 1.0, ~, null, yes, off,\n"
		"      \"true\", 'no', !!str 12, ! 13, !!int \"14\", !!float 15, 9007199254740993,\n"
		"      18446744073709551615, -0.000001, 1e21, 1e-7, .5, 08, 0x, 1e400, 3.0e+2,\n"
		"      0.1, 2001-12-14, -.inf_]\n", &dl, &rc);
	const char *want = "{\"apiVersion\":\"kargo.akuity.io/v1alpha1\",\"kind\":\"Warehouse\","
		"\"metadata\":{\"name\":\"w\",\"namespace\":\"p\"},\"spec\":{\"interval\":\"5m\","
		"\"m\":{\"1\":\"one\",\"a\":123,\"b\":\"123\",\"true\":true},"
		"\"subscriptions\":[{\"git\":{\"discoveryLimit\":20,\"repoURL\":"
		"\"https://bitbucket.org/example/kargo-demo.git\",\"strictSemvers\":true}}],"
		"\"x\":[31,15,15,3,1000,7,1.5,1000,1,null,null,true,false,\"true\",\"no\","
		"\"12\",\"13\",14,15,9007199254740993,18446744073709551615,-0.000001,1e+21,"
		"1e-7,0.5,8,\"0x\",\"1e400\",300,0.1,\"2001-12-14\",\"-.inf_\"]}}";
	char *got;

	CHECK_INT(rc, KW_OK);
	CHECK_INT(set->n_warehouses, 1);
	if (dl.n > 0)
		diag_print(&dl, stderr);
	if (set->n_warehouses == 1) {
		CHECK(set->warehouses[0].object != NULL);
		got = cJSON_PrintUnformatted(set->warehouses[0].object);
		CHECK_STR(got, want);
		free(got);
	}
	diag_clear(&dl);
	objects_free_set(set);
}

static void test_promotion(void)
{
	struct diag_list dl = { 0 };
	int rc;
	struct obj_set *set = parse(HDR_KARGO
		"kind: Promotion\n"
		"metadata: {name: p1, namespace: kargo-demo}\n"
		"spec:\n"
		"  stage: test\n"
		"  steps:\n"
		"  - uses: git-open-pr\n"
		"    as: open\n"
		"  - uses: git-wait-for-pr\n"
		"    as: wait-pr\n"
		"  - uses: git-wait-for-pr\n"
		"  - uses: git-wait-for-pr\n"
		"    as: later\n"
		"status:\n"
		"  phase: Running\n"
		"  currentStep: 2\n"
		"  state:\n"
		"    open: {pr: {url: \"https://bitbucket.org/example/repo/pull-requests/1\"}}\n"
		"    wait-pr:\n"
		"      pr: {url: \"https://bitbucket.org/example/repo/pull-requests/42\", open: true}\n"
		"    step-2:\n"
		"      pr: {url: \"https://bitbucket.example.com/projects/EX/repos/r/pull-requests/43\"}\n"
		"    later: {pr: {url: \"https://bitbucket.org/example/repo/pull-requests/44\"}}\n",
		&dl, &rc);
	const struct obj_promotion *p = set->n_promotions == 1 ? &set->promotions[0] : NULL;

	CHECK_INT(rc, KW_OK);
	CHECK(p != NULL);
	if (p != NULL) {
		CHECK_STR(p->phase, "Running");
		CHECK_STR(p->name, "p1");
		/* As Kargo's index: not open (another step), not step-2 (no
		 * alias), not later (after currentStep). */
		CHECK_INT(p->n_pr_urls, 1);
		if (p->n_pr_urls == 1)
			CHECK_STR(p->pr_urls[0], "https://bitbucket.org/example/repo/pull-requests/42");
		CHECK(p->object != NULL);
	}
	diag_clear(&dl);
	objects_free_set(set);
}

/* A few hundred bytes of aliases stand for 10^9 nodes; the budget ends the
 * conversion quickly, with one error. */
static void test_billion_laughs(void)
{
	struct diag_list dl = { 0 };
	int rc;
	clock_t start = clock();
	struct obj_set *set = parse(
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
		HDR_KARGO "kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n"
		"spec: {subscriptions: [{image: {repoURL: a}}]}\n"
		"---\n"
		"self: &s {<<: *s}\n"
		HDR_KARGO "kind: Warehouse\n"
		"metadata: {name: w, namespace: p}\n", &dl, &rc);

	CHECK_INT(rc, KW_EINVAL);
	CHECK_INT(count_objects(set), 0);
	CHECK_INT(dl.n, 2);
	if (dl.n == 2) {
		CHECK(strstr(dl.items[0].message, "expands to more than") != NULL);
		CHECK(strstr(dl.items[1].message, "nested deeper than") != NULL);
	}
	diag_clear(&dl);
	objects_free_set(set);

	/* the same through << merges of an unknown kind, whose apiVersion and
	 * kind lookups follow them, and through the items of Lists */
	set = parse(
		"a: &a {x: 1, y: 2}\n"
		"b: &b {<<: [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]}\n"
		"c: &c {<<: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]}\n"
		"d: &d {<<: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]}\n"
		"e: &e {<<: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]}\n"
		"f: &f {<<: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]}\n"
		"g: &g {<<: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]}\n"
		"<<: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"---\n"
		"apiVersion: v1\nkind: List\n"
		"a: &a {apiVersion: v1, kind: ConfigMap}\n"
		"l1: &l1 {apiVersion: v1, kind: List, items: [*a, *a, *a, *a, *a, *a, *a, *a]}\n"
		"l2: &l2 {apiVersion: v1, kind: List, items: [*l1, *l1, *l1, *l1, *l1, *l1, *l1, *l1]}\n"
		"l3: &l3 {apiVersion: v1, kind: List, items: [*l2, *l2, *l2, *l2, *l2, *l2, *l2, *l2]}\n"
		"l4: &l4 {apiVersion: v1, kind: List, items: [*l3, *l3, *l3, *l3, *l3, *l3, *l3, *l3]}\n"
		"l5: &l5 {apiVersion: v1, kind: List, items: [*l4, *l4, *l4, *l4, *l4, *l4, *l4, *l4]}\n"
		"l6: &l6 {apiVersion: v1, kind: List, items: [*l5, *l5, *l5, *l5, *l5, *l5, *l5, *l5]}\n"
		"l7: &l7 {apiVersion: v1, kind: List, items: [*l6, *l6, *l6, *l6, *l6, *l6, *l6, *l6]}\n"
		"items: [*l7, *l7, *l7, *l7, *l7, *l7, *l7, *l7]\n"
		"---\n"
		"&self {apiVersion: v1, kind: List, items: [*self]}\n", &dl, &rc);
	CHECK_INT(rc, KW_EINVAL);
	CHECK_INT(dl.n, 3);
	if (dl.n == 3) {
		CHECK(strstr(dl.items[0].message, "expands to more than") != NULL);
		CHECK(strstr(dl.items[1].message, "expands to more than") != NULL);
		CHECK(strstr(dl.items[2].message, "Lists nested deeper than 32") != NULL);
	}
	CHECK_MSG((double)(clock() - start) / CLOCKS_PER_SEC < 5.0, "billion laughs took %.1fs",
		(double)(clock() - start) / CLOCKS_PER_SEC);
	diag_clear(&dl);
	objects_free_set(set);
}

static char *repeat(const char *s, size_t n, const char *tail)
{
	size_t len = strlen(s), tl = strlen(tail);
	char *out = malloc(len * n + tl + 1);

	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	memcpy(out + len * n, tail, tl + 1);
	return out;
}

static void test_bounds(void)
{
	struct diag_list dl = { 0 };
	int rc;
	char *deep = repeat("[", MANIFEST_MAX_DEPTH + 1, "");
	char *ok = repeat("[", MANIFEST_MAX_DEPTH, "");
	char *wide = repeat("- x\n", MANIFEST_MAX_NODES + 1, "");
	struct obj_set *set = parse(deep, &dl, &rc);

	CHECK_INT(rc, KW_EINVAL);
	CHECK(dl.n == 1 && strstr(dl.items[0].message, "nested deeper than 64") != NULL);
	CHECK(dl.n == 1 && dl.items[0].line == 1 && dl.items[0].column == 65);
	diag_clear(&dl);
	objects_free_set(set);

	/* 64 levels are fine as far as depth goes; the flow list is unclosed */
	set = parse(ok, &dl, &rc);
	CHECK(dl.n == 1 && strstr(dl.items[0].message, "nested") == NULL);
	diag_clear(&dl);
	objects_free_set(set);

	set = parse(wide, &dl, &rc);
	CHECK(dl.n == 1 && strstr(dl.items[0].message, "more than 100000 nodes") != NULL);
	diag_clear(&dl);
	objects_free_set(set);

	set = manifest_set_new();
	rc = manifest_parse(set, &dl, "big.yaml", wide, MANIFEST_MAX_FILE_SIZE + 1u);
	CHECK_INT(rc, KW_EINVAL);
	CHECK(dl.n == 1 && strstr(dl.items[0].message, "larger than") != NULL);
	diag_clear(&dl);
	objects_free_set(set);
	free(deep);
	free(ok);
	free(wide);
}

static void test_diag_print(void)
{
	struct diag_list dl = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK_INT(diag_add(&dl, DIAG_ERROR, "a.yaml", 3, 7, "spec.x", "bad %d", 1), KW_OK);
	CHECK_INT(diag_add(&dl, DIAG_WARNING, "b.yaml", 0, 0, NULL, "hmm"), KW_OK);
	CHECK_INT(diag_add(&dl, DIAG_WARNING, "c.yaml", 2, 1, NULL, "w"), KW_OK);
	CHECK_INT(dl.n, 3);
	CHECK_INT(dl.n_errors, 1);
	diag_print(&dl, f);
	fclose(f);
	CHECK_STR(buf, "a.yaml:3:7: error: spec.x: bad 1\n"
		"b.yaml: warning: hmm\n"
		"c.yaml:2:1: warning: w\n");
	free(buf);
	diag_clear(&dl);
	CHECK_INT(dl.n, 0);
	diag_clear(NULL);
	objects_free_set(NULL);
}

/* ---- manifest_load over a folder tree ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	CHECK_MSG(f != NULL, "cannot write %s", path);
	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool has_diag(const struct diag_list *dl, enum diag_severity sev,
	const char *file_end, const char *msg)
{
	for (size_t i = 0; i < dl->n; i++) {
		const struct diag *d = &dl->items[i];
		size_t fl = strlen(d->file), el = strlen(file_end);

		if (d->severity == sev && fl >= el && strcmp(d->file + fl - el, file_end) == 0 &&
			strstr(d->message, msg) != NULL)
			return true;
	}
	return false;
}

static void make_tree(const char *root)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/b-sub", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/b-sub/deeper", root);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.hidden", root);
	mkdir(path, 0700);
	write_file(root, "a-project.yaml", HDR_KARGO
		"kind: ProjectConfig\nmetadata: {name: kargo-demo}\n"
		"spec:\n  webhookReceivers:\n"
		"  - {name: bb, bitbucket: {secretRef: {name: bb-secret}}}\n"
		"  - {name: missing, bitbucket: {secretRef: {name: nope}}}\n"
		"  - {name: keyless, bitbucket: {secretRef: {name: keyless}}}\n"
		"  - {name: gen, generic: {secretRef: {name: gh-nope}}}\n"
		"---\n" HDR_KARGO "kind: ClusterConfig\nmetadata: {name: cluster}\n"
		"spec:\n  webhookReceivers:\n"
		"  - {name: bb, bitbucket: {secretRef: {name: global}}}\n");
	write_file(root, "b-sub/secrets.yml", "apiVersion: v1\nkind: Secret\n"
		"metadata: {name: bb-secret, namespace: kargo-demo}\n"
		"stringData: {secret: s3cret}\n---\n"
		"apiVersion: v1\nkind: Secret\n"
		"metadata: {name: keyless, namespace: kargo-demo}\n"
		"stringData: {token: x}\n---\n"
		"apiVersion: v1\nkind: Secret\n"
		"metadata: {name: global, namespace: sys}\n"
		"stringData: {secret: g}\n");
	write_file(root, "b-sub/deeper/w1.yaml", HDR_KARGO "kind: Warehouse\n"
		"metadata: {name: w, namespace: kargo-demo}\n"
		"spec: {subscriptions: [{git: {repoURL: \"https://bitbucket.org/a/b\"}}]}\n");
	write_file(root, "b-sub/deeper/w2.yaml", HDR_KARGO "kind: Warehouse\n"
		"metadata: {name: w, namespace: kargo-demo}\n"
		"spec: {subscriptions: [{git: {repoURL: \"https://bitbucket.org/a/c\"}}]}\n");
	write_file(root, "b-sub/notes.txt", "not: [yaml\n");
	write_file(root, ".hidden/x.yaml", "not: [yaml\n");
	snprintf(path, sizeof(path), "%s/b-sub/deeper/loop", root);
	CHECK(symlink("..", path) == 0);
	snprintf(path, sizeof(path), "%s/c-link.yaml", root);
	CHECK(symlink("b-sub/deeper/w1.yaml", path) == 0);
}

static void test_load(void)
{
	char root[] = "/tmp/test_manifest.XXXXXX";
	char missing[600];
	const char *paths[2];
	struct diag_list dl = { 0 };
	struct obj_set *set = NULL;
	int rc;

	if (mkdtemp(root) == NULL) {
		CHECK_MSG(0, "mkdtemp failed");
		return;
	}
	make_tree(root);
	paths[0] = root;
	rc = manifest_load_ns(&set, &dl, paths, 1, "sys");
	CHECK_INT(rc, KW_EINVAL);
	CHECK(set != NULL);
	if (set != NULL) {
		CHECK_INT(set->n_configs, 2);
		CHECK_INT(set->n_secrets, 3);
		/* w2 repeats w1: the first in sorted order stays */
		CHECK_INT(set->n_warehouses, 1);
		if (set->n_warehouses == 1)
			CHECK_STR(set->warehouses[0].subs[0].repo_url, "https://bitbucket.org/a/b");
		if (set->n_configs == 2) {
			CHECK_STR(set->configs[1].namespace, "sys");
			CHECK_INT(set->configs[0].receivers[0].pos.line, 6);
		}
		CHECK_INT(set->n_files, 4);
		if (set->n_files == 4)
			CHECK(strstr(set->files[0], "/a-project.yaml") != NULL &&
				strstr(set->files[1], "/b-sub/deeper/w1.yaml") != NULL &&
				strstr(set->files[2], "/b-sub/deeper/w2.yaml") != NULL &&
				strstr(set->files[3], "/b-sub/secrets.yml") != NULL);
	}
	CHECK_INT(dl.n_errors, 1);
	CHECK(has_diag(&dl, DIAG_ERROR, "w2.yaml", "duplicate Warehouse kargo-demo/w (first at"));
	/* Missing Secrets are the snapshot's to report (test_snapshot), each
	 * once; every kind is served, the generic one too. */
	CHECK(!has_diag(&dl, DIAG_WARNING, "a-project.yaml", "kargo-demo/gh-nope"));
	CHECK(!has_diag(&dl, DIAG_WARNING, "a-project.yaml", "kargo-demo/nope"));
	CHECK(!has_diag(&dl, DIAG_WARNING, "a-project.yaml", "kargo-demo/keyless"));
	CHECK_INT(dl.n, 1);
	diag_clear(&dl);
	objects_free_set(set);

	/* the default system namespace */
	rc = manifest_load(&set, &dl, paths, 1);
	CHECK(set != NULL && set->n_configs == 2 &&
		strcmp(set->configs[1].namespace, "kargo-system-resources") == 0);
	diag_clear(&dl);
	objects_free_set(set);

	snprintf(missing, sizeof(missing), "%s/none.yaml", root);
	paths[1] = missing;
	rc = manifest_load(&set, &dl, paths, 2);
	CHECK_INT(rc, KW_EIO);
	CHECK(has_diag(&dl, DIAG_ERROR, "none.yaml", "cannot read"));
	CHECK(set != NULL && set->n_warehouses == 1);
	diag_clear(&dl);
	objects_free_set(set);

	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A configuration without receivers is a warning naming the path given;
 * one with receivers has none (test_load counts its diagnostics). */
static void test_load_no_receivers(void)
{
	char root[] = "/tmp/test_manifest.XXXXXX", file[600];
	const char *paths[1] = { root };
	struct diag_list dl = { 0 };
	struct obj_set *set = NULL;
	FILE *f;

	if (mkdtemp(root) == NULL) {
		CHECK_MSG(0, "mkdtemp failed");
		return;
	}
	snprintf(file, sizeof(file), "%s/w.yaml", root);
	if ((f = fopen(file, "w")) != NULL) {
		fputs(HDR_KARGO "kind: Warehouse\nmetadata: {name: w, namespace: p}\n"
			"spec: {subscriptions: [{git: {repoURL: 'https://h/a'}}]}\n", f);
		fclose(f);
	}
	CHECK_INT(manifest_load(&set, &dl, paths, 1), KW_OK);
	CHECK_INT(dl.n, 1);
	if (dl.n == 1) {
		CHECK_INT(dl.items[0].severity, DIAG_WARNING);
		CHECK_STR(dl.items[0].file, root);
		CHECK(strstr(dl.items[0].message, "no receivers") == dl.items[0].message);
	}
	diag_clear(&dl);
	objects_free_set(set);
	unlink(file);
	rmdir(root);
}

int main(void)
{
	test_diag_cases();
	test_values();
	test_warehouse_values();
	test_json();
	test_promotion();
	test_billion_laughs();
	test_bounds();
	test_diag_print();
	test_load();
	test_load_no_receivers();
	TEST_DONE("test_manifest");
}
