/* Tests the generic receiver (generic.h, decode_generic.c,
 * receivers/generic.c) through the manifest loader, the handler and a
 * world that refreshes target by target: Kargo v1.11.2's TestGenericHandler
 * cases (pkg/webhook/external/generic_test.go) with their status and body
 * byte for byte, as Go's encoder writes them; the selection rules of
 * list.go (labels, index, name, scope, union and order); the
 * configuration Kargo's CRD and admission webhook refuse, each at its
 * line; label syntax; Warehouse labels in the packed cache. */
#include "generic.h"
#include "handler.h"
#include "headers.h"
#include "kw.h"
#include "manifest.h"
#include "objects.h"
#include "receiver.h"
#include "snapshot.h"
#include "test.h"
#include "world.h"

#include <stdlib.h>

#include "fake_world.h"

/* Kargo's "partial success" configuration as a ProjectConfig (the same
 * action in every receiver but where the test says otherwise). */
#define SELECTOR \
	"        targetSelectionCriteria:\n" \
	"        - kind: Warehouse\n" \
	"          labelSelector:\n" \
	"            matchLabels: {foo: bar}\n" \
	"            matchExpressions: [{key: tier, operator: In, values: [backend, frontend]}]\n" \
	"          indexSelector:\n" \
	"            matchIndices:\n" \
	"            - {key: subscribedURLs, operator: Equals,\n" \
	"               value: '${{ normalizeGit(request.body.repository.url) }}'}\n"

static const char manifests[] =
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: ProjectConfig\n"
	"metadata: {name: test-project, namespace: test-project}\n"
	"spec:\n"
	"  webhookReceivers:\n"
	"  - name: partial\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"      actions:\n"
	"      - action: Refresh\n"
	"        parameters: {foo: bar}\n"
	"        whenExpression: \"request.header('X-Event-Type') == 'push'\"\n"
	SELECTOR
	"  - name: nonbool\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"      actions:\n"
	"      - action: Refresh\n"
	"        whenExpression: \"request.header('X-Event-Type')\"\n"
	"        targetSelectionCriteria: [{kind: Warehouse, name: doesntmatter}]\n"
	"  - name: select\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"      actions:\n"
	"      - action: Refresh\n"
	"        whenExpression: 'true'\n"
	"        targetSelectionCriteria: [{kind: Warehouse, name: '${{ request.body.n }}'}]\n"
	"      - action: Refresh\n"
	"        targetSelectionCriteria:\n"
	"        - {kind: Warehouse, name: '${{ params.w }}'}\n"
	"        - {kind: Warehouse, labelSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}}\n"
	"        parameters: {w: api-warehouse}\n"
	"      - action: Refresh\n"
	"        targetSelectionCriteria:\n"
	"        - kind: Warehouse\n"
	"          indexSelector: {matchIndices: [{key: receiverPaths, operator: Equals, value: x}]}\n"
	"  - name: none\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"  - name: labels\n"
	"    generic:\n"
	"      secretRef: {name: s}\n"
	"      actions:\n"
	"      - action: Refresh\n"
	"        targetSelectionCriteria:\n"
	"        - kind: Warehouse\n"
	"          labelSelector:\n"
	"            matchLabels: {tier: '${{ request.params(\"tier\") }}'}\n"
	"            matchExpressions: [{key: foo, operator: NotIn, values: [baz]}]\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s, namespace: test-project}, stringData: {secret: k}}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: api-warehouse, namespace: test-project, labels: {foo: bar, tier: backend}}\n"
	"spec: {subscriptions: [{git: {repoURL: 'http://github.com/example/repo.git'}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: other-api-warehouse, namespace: test-project, labels: {foo: bar, tier: backend}}\n"
	"spec: {subscriptions: [{git: {repoURL: 'http://github.com/example/other-repo.git'}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: ui-warehouse, namespace: test-project, labels: {foo: bar}}\n"
	"spec: {subscriptions: [{git: {repoURL: 'http://github.com/example/repo.git'}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: failure-warehouse, namespace: test-project, labels: {foo: bar, tier: backend}}\n"
	"spec: {subscriptions: [{git: {repoURL: 'http://github.com/example/repo.git'}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: api-warehouse, namespace: elsewhere, labels: {foo: bar, tier: backend}}\n"
	"spec: {subscriptions: [{git: {repoURL: 'http://github.com/example/repo.git'}}]}\n";

static struct fake world = { .base = { &fake_ops } };
static size_t last_n_targets;

/* Refreshes target by target as the Kubernetes world does: the Warehouse
 * named failure-warehouse is refused (Kargo's test's Patch interceptor). */
static int per_target_submit(struct world *w, struct world_job *job)
{
	struct fake *f = (struct fake *)w;

	f->submitted++;
	last_n_targets = job->n_targets;
	job->status = f->job_status;
	job->n_failed = 0;
	for (size_t i = 0; i < job->n_targets; i++)
		if (strcmp(job->targets[i].name, "failure-warehouse") == 0) {
			job->target_failed[i] = true;
			job->n_failed++;
		}
	job->done(job);
	return KW_OK;
}

struct answer {
	int status;
	char *body; /* malloc'd */
};

static struct answer run(const char *name, const char *event, const char *query_tier,
	const char *body)
{
	const char *kv[2] = { "X-Event-Type", event };
	const char *qkv[2] = { "tier", query_tier };
	struct header_pairs pairs = { kv, event ? 1 : 0 }, qpairs = { qkv, query_tier ? 1 : 0 };
	struct header_lookup headers = header_pairs_lookup(&pairs);
	struct header_lookup query = header_pairs_lookup(&qpairs);
	struct handler_request req = { "POST", NULL, &headers, body, strlen(body), &query };
	struct handler_response resp = fake_post(&world, name, &req);
	struct answer a;

	a.status = resp.status;
	a.body = resp.big_body ? resp.big_body : strdup(resp.body);
	return a;
}

#define ANSWER(a, st, b) do { \
	struct answer a_ = (a); \
	CHECK_INT(a_.status, st); \
	CHECK_STR(a_.body, b "\n"); \
	free(a_.body); \
} while (0)

#define ECHO_PARTIAL \
	"{\"action\":\"Refresh\",\"whenExpression\":\"request.header('X-Event-Type') == 'push'\"," \
	"\"parameters\":{\"foo\":\"bar\"},\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\"," \
	"\"labelSelector\":{\"matchLabels\":{\"foo\":\"bar\"},\"matchExpressions\":[{\"key\":\"tier\"," \
	"\"operator\":\"In\",\"values\":[\"backend\",\"frontend\"]}]},\"indexSelector\":{\"matchIndices\":" \
	"[{\"key\":\"subscribedURLs\",\"operator\":\"Equals\",\"value\":\"${{ normalizeGit(request.body." \
	"repository.url) }}\"}]}}]"

static const char repo_body[] = "{\"repository\": {\"url\": \"http://github.com/example/repo.git\"}}";

/* Kargo's TestGenericHandler: status and body exactly. */
static void test_kargo_cases(void)
{
	/* "failure creating base env" (and Go's message for it) */
	ANSWER(run("partial", "push", NULL, "\"invalid-json"), 400,
		"{\"error\":\"invalid request body: unexpected end of JSON input\"}");
	/* "condition not met - evaluated to false" */
	ANSWER(run("partial", "pull_request", NULL, "{\"some\": \"data\"}"), 200,
		"{\"results\":[" ECHO_PARTIAL ",\"matchedWhenExpression\":false,\"result\":"
		"\"NotApplicable\",\"summary\":\"Request did not match whenExpression\"}]}");
	/* "condition not met - evaluated to non-boolean type" */
	ANSWER(run("nonbool", "pull_request", NULL, "{\"some\": \"data\"}"), 500,
		"{\"results\":[{\"action\":\"Refresh\",\"whenExpression\":\"request.header("
		"'X-Event-Type')\",\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\",\"name\":"
		"\"doesntmatter\",\"labelSelector\":{},\"indexSelector\":{}}],"
		"\"matchedWhenExpression\":false,\"result\":\"Error\",\"summary\":\"Error "
		"evaluating whenExpression\"}]}");
	/* "partial success": failure-warehouse is refused, ui-warehouse lacks
	 * tier, other-api-warehouse has another URL, elsewhere/ is out of the
	 * project's scope. */
	world.submitted = 0;
	ANSWER(run("partial", "push", NULL, repo_body), 500,
		"{\"results\":[" ECHO_PARTIAL ",\"matchedWhenExpression\":true,\"selectedTargets\":"
		"[{\"namespace\":\"test-project\",\"name\":\"api-warehouse\",\"success\":true},"
		"{\"namespace\":\"test-project\",\"name\":\"failure-warehouse\",\"success\":false}],"
		"\"result\":\"PartialSuccess\",\"summary\":\"Refreshed 1 of 2 selected resources\"}]}");
	CHECK_INT(world.submitted, 1);
	/* An empty body is request.body == nil, not an error. */
	ANSWER(run("nonbool", "x", NULL, ""), 500,
		"{\"results\":[{\"action\":\"Refresh\",\"whenExpression\":\"request.header("
		"'X-Event-Type')\",\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\",\"name\":"
		"\"doesntmatter\",\"labelSelector\":{},\"indexSelector\":{}}],"
		"\"matchedWhenExpression\":false,\"result\":\"Error\",\"summary\":\"Error "
		"evaluating whenExpression\"}]}");
	/* No actions: no results, 200. */
	ANSWER(run("none", NULL, NULL, "{}"), 200, "{\"results\":[]}");
}

/* list.go's rules: a selection error is the action's Error; criteria are
 * unioned, sorted by namespace and name; the job refreshes every action's
 * targets at once. */
static void test_selection(void)
{
	world.submitted = 0;
	ANSWER(run("select", NULL, NULL, "{\"n\": 5}"), 500,
		"{\"results\":[{\"action\":\"Refresh\",\"whenExpression\":\"true\","
		"\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\",\"name\":\"${{ request.body.n }}\","
		"\"labelSelector\":{},\"indexSelector\":{}}],\"matchedWhenExpression\":true,"
		"\"result\":\"Error\",\"summary\":\"Error evaluating targetSelectionCriteria\"},"
		"{\"action\":\"Refresh\",\"parameters\":{\"w\":\"api-warehouse\"},"
		"\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\",\"name\":\"${{ params.w }}\","
		"\"labelSelector\":{},\"indexSelector\":{}},{\"kind\":\"Warehouse\",\"labelSelector\":"
		"{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"DoesNotExist\"}]},"
		"\"indexSelector\":{}}],\"matchedWhenExpression\":true,\"selectedTargets\":["
		"{\"namespace\":\"test-project\",\"name\":\"api-warehouse\",\"success\":true},"
		"{\"namespace\":\"test-project\",\"name\":\"ui-warehouse\",\"success\":true}],"
		"\"result\":\"Success\",\"summary\":\"Refreshed 2 of 2 selected resources\"},"
		"{\"action\":\"Refresh\",\"targetSelectionCriteria\":[{\"kind\":\"Warehouse\","
		"\"labelSelector\":{},\"indexSelector\":{\"matchIndices\":[{\"key\":\"receiverPaths\","
		"\"operator\":\"Equals\",\"value\":\"x\"}]}}],\"matchedWhenExpression\":true,"
		"\"result\":\"Error\",\"summary\":\"Error evaluating targetSelectionCriteria\"}]}");
	CHECK_INT(world.submitted, 1);
	CHECK_INT(last_n_targets, 2);
	/* Labels from the query; nothing selected is Success, 0 of 0. */
	world.submitted = 0;
	ANSWER(run("labels", NULL, "frontend", "{}"), 200,
		"{\"results\":[{\"action\":\"Refresh\",\"targetSelectionCriteria\":[{\"kind\":"
		"\"Warehouse\",\"labelSelector\":{\"matchLabels\":{\"tier\":\"${{ request.params("
		"\\\"tier\\\") }}\"},\"matchExpressions\":[{\"key\":\"foo\",\"operator\":\"NotIn\","
		"\"values\":[\"baz\"]}]},\"indexSelector\":{}}],\"matchedWhenExpression\":true,"
		"\"result\":\"Success\",\"summary\":\"Refreshed 0 of 0 selected resources\"}]}");
	CHECK_INT(world.submitted, 0);
	{
		struct answer a = run("labels", NULL, "backend", "{}");

		CHECK_INT(a.status, 500); /* failure-warehouse is among them */
		CHECK(strstr(a.body, "\"Refreshed 2 of 3 selected resources\"") != NULL);
		CHECK(strstr(a.body, "other-api-warehouse\",\"success\":true") != NULL);
		CHECK(strstr(a.body, "elsewhere") == NULL);
		free(a.body);
	}
	/* A label value that is not one (a '/') fails the selection. */
	{
		struct answer a = run("labels", NULL, "a/b", "{}");

		CHECK_INT(a.status, 500);
		CHECK(strstr(a.body, "\"Error evaluating targetSelectionCriteria\"") != NULL);
		free(a.body);
	}
}

/* The state not written: every target failed, 503 so the sender retries. */
static void test_not_durable(void)
{
	struct answer a;

	world.job_status = KW_EIO;
	a = run("partial", "push", NULL, repo_body);
	world.job_status = KW_OK;
	CHECK_INT(a.status, 503);
	CHECK(strstr(a.body, "\"api-warehouse\",\"success\":false") != NULL);
	CHECK(strstr(a.body, "\"result\":\"Failure\",\"summary\":\"Refreshed 0 of 2 "
		"selected resources\"") != NULL);
	free(a.body);
}

/* What Kargo's CRD or admission webhook refuses, and what cannot be
 * built, each an error at its line; what Kargo serves with an Error for
 * every request, a warning. */
static void test_config_errors(void)
{
	static const struct {
		const char *action; /* YAML of one action, indented 6 */
		size_t line;        /* of the diagnostic; 0: no error */
		const char *msg;    /* part of the message */
	} rows[] = {
		{ "      - {action: Refresh, targetSelectionCriteria: [{kind: Promotion, name: p}]}\n",
		  8, "kind Promotion is refused by Kargo's CRD" },
		{ "      - {action: Promote, targetSelectionCriteria: [{kind: Warehouse, name: p}]}\n",
		  8, "action Promote is refused by Kargo's CRD" },
		{ "      - {actionType: Refresh, targetSelectionCriteria: [{kind: Warehouse, name: p}]}\n",
		  8, "required" },
		{ "      - {action: Refresh, targetSelectionCriteria: [{kind: Warehouse}]}\n",
		  8, "at least one of name, labelSelector, or indexSelector must be specified for target" },
		{ "      - {action: Refresh, targetSelectionCriteria: []}\n",
		  8, "must list at least one target" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria: [{kind: Warehouse, name: p}]\n"
		  "        whenExpression: 'foo()'\n",
		  10, "expression" },
		{ "      - action: Refresh\n"
		  "        whenExpression: \"request.body.x matches 'y'\"\n"
		  "        targetSelectionCriteria: [{kind: Warehouse, name: p}]\n",
		  9, "matches" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          name: '${{ request.body.x '\n",
		  11, "template" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          labelSelector: {matchExpressions: [{key: tier, operator: Like, values: [a]}]}\n",
		  11, "\"Like\" is not a valid label selector operator" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          labelSelector: {matchExpressions: [{key: tier, operator: In}]}\n",
		  11, "In needs at least one value" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          labelSelector: {matchLabels: {tier: 'a b'}}\n",
		  11, "is not a valid label value" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          labelSelector: {matchLabels: {'-x': a}}\n",
		  11, "is not a valid label key" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          indexSelector: {matchIndices: [{key: byName, operator: Equals, value: x}]}\n",
		  11, "\"byName\" is not an index Kargo's CRD allows" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          indexSelector: {matchIndices: [{key: subscribedURLs, operator: Is, value: x}]}\n",
		  11, "\"Is\" is not an index operator" },
		{ "      - action: Refresh\n"
		  "        targetSelectionCriteria:\n"
		  "        - kind: Warehouse\n"
		  "          name: '${{ request.body.x }}'\n"
		  "          labelSelector: {matchLabels: {tier: '${{ request.params(\"t\") }}'}}\n",
		  0, NULL },
	};
	for (size_t i = 0; i < KW_ARRAY_LEN(rows); i++) {
		struct diag_list dl = { 0 };
		struct obj_set *set = manifest_set_new();
		bool found = false;

		{
			/* "actions:" is line 8: an action's first line is 9. */
			char full[2300];

			snprintf(full, sizeof(full),
				"apiVersion: kargo.akuity.io/v1alpha1\n"
				"kind: ProjectConfig\n"
				"metadata: {name: p, namespace: p}\n"
				"spec:\n"
				"  webhookReceivers:\n"
				"  - name: g\n"
				"    generic:\n"
				"      actions:\n"
				"%s"
				"      secretRef: {name: s}\n", rows[i].action);
			manifest_parse(set, &dl, "t.yaml", full, strlen(full));
		}
		for (size_t j = 0; j < dl.n; j++) {
			if (rows[i].msg != NULL && dl.items[j].severity == DIAG_ERROR &&
			    dl.items[j].line == rows[i].line + 1 &&
			    strstr(dl.items[j].message, rows[i].msg) != NULL)
				found = true;
		}
		if (rows[i].msg == NULL)
			CHECK_MSG(dl.n_errors == 0, "row %zu: %zu errors, first: %s", i, dl.n_errors,
				dl.n ? dl.items[0].message : "");
		else
			CHECK_MSG(found, "row %zu: no error \"%s\" at line %zu (%zu diagnostics%s%s)",
				i, rows[i].msg, rows[i].line + 1, dl.n, dl.n ? ": " : "",
				dl.n ? dl.items[0].message : "");
		for (size_t j = 0; !found && j < dl.n; j++)
			fprintf(stderr, "  %zu:%zu %s\n", dl.items[j].line, dl.items[j].column,
				dl.items[j].message);
		diag_clear(&dl);
		objects_free_set(set);
	}
}

/* receiverPaths and NotEquals are served as Kargo serves them, with a
 * warning; so is a list of several indices (only the last applies). */
static void test_config_warnings(void)
{
	static const char yaml[] =
		"apiVersion: kargo.akuity.io/v1alpha1\n"
		"kind: ProjectConfig\n"
		"metadata: {name: p, namespace: p}\n"
		"spec:\n"
		"  webhookReceivers:\n"
		"  - name: g\n"
		"    generic:\n"
		"      secretRef: {name: s}\n"
		"      actions:\n"
		"      - action: Refresh\n"
		"        targetSelectionCriteria:\n"
		"        - kind: Warehouse\n"
		"          indexSelector:\n"
		"            matchIndices:\n"
		"            - {key: receiverPaths, operator: Equals, value: x}\n"
		"            - {key: subscribedURLs, operator: NotEquals, value: x}\n";
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	size_t warnings = 0;

	CHECK_INT(manifest_parse(set, &dl, "t.yaml", yaml, strlen(yaml)), KW_OK);
	CHECK_INT(dl.n_errors, 0);
	for (size_t j = 0; j < dl.n; j++)
		warnings += dl.items[j].severity == DIAG_WARNING && dl.items[j].line == 14;
	CHECK_INT(warnings, 2); /* several; NotEquals */
	CHECK_INT(set->n_configs, 1);
	if (set->n_configs == 1) {
		const struct obj_generic *g = set->configs[0].receivers[0].generic;

		CHECK(g != NULL && g->n_actions == 1 && g->actions[0].n_targets == 1 &&
			g->actions[0].targets[0].n_indices == 2);
	}
	diag_clear(&dl);
	objects_free_set(set);
}

static void test_label_syntax(void)
{
	static const struct { const char *s; bool key, value; } rows[] = {
		{ "tier", true, true },
		{ "", false, true },
		{ "a.b-c_d", true, true },
		{ "-a", false, false },
		{ "a-", false, false },
		{ "kargo.akuity.io/tier", true, false },
		{ "Kargo.io/tier", false, false },
		{ "a/b/c", false, false },
		{ "/tier", false, false },
		{ "x.io/", false, false },
		{ "a b", false, false },
		{ "0123456789012345678901234567890123456789012345678901234567890123", false, false },
		{ "012345678901234567890123456789012345678901234567890123456789012", true, true },
	};
	for (size_t i = 0; i < KW_ARRAY_LEN(rows); i++) {
		CHECK_MSG(generic_label_key_ok(rows[i].s) == rows[i].key, "key \"%s\"", rows[i].s);
		CHECK_MSG(generic_label_value_ok(rows[i].s, strlen(rows[i].s)) == rows[i].value,
			"value \"%s\"", rows[i].s);
	}
}

/* The Kubernetes world's cache packs a Warehouse into one block: its
 * labels come along, sorted, and none is NULL. */
static void test_packed_labels(void)
{
	static const char yaml[] =
		"apiVersion: kargo.akuity.io/v1alpha1\n"
		"kind: Warehouse\n"
		"metadata: {name: w, namespace: p, labels: {tier: backend, app: api}}\n"
		"spec: {subscriptions: [{git: {repoURL: 'https://github.com/o/r'}}]}\n";
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	struct obj_shared *sh;

	set->without_objects = true;
	CHECK_INT(manifest_parse(set, &dl, "t.yaml", yaml, strlen(yaml)), KW_OK);
	sh = objects_pack_warehouse(set);
	objects_free_set(set);
	CHECK(sh != NULL);
	if (sh != NULL) {
		const struct obj_warehouse *w = objects_shared_warehouse(sh); /* packed: no set */

		CHECK_INT(w->n_labels, 2);
		CHECK_STR(w->labels[0], "app");
		CHECK_STR(objects_warehouse_label(w, "tier"), "backend");
		CHECK(objects_warehouse_label(w, "zone") == NULL);
	}
	objects_shared_unref(sh);
	diag_clear(&dl);
}

int main(void)
{
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	static struct world_ops ops;

	ops = fake_ops;
	ops.submit = per_target_submit;
	world.base.ops = &ops;
	CHECK_INT(manifest_parse(set, &dl, "t.yaml", manifests, strlen(manifests)), KW_OK);
	CHECK_INT(snapshot_new(&world.snap, set, &so, &dl), KW_OK);
	for (size_t i = 0; i < dl.n; i++)
		if (dl.items[i].severity == DIAG_ERROR)
			fprintf(stderr, "diag: %zu: %s\n", dl.items[i].line, dl.items[i].message);
	CHECK_INT(dl.n_errors, 0);
	diag_clear(&dl);
	if (world.snap == NULL)
		TEST_DONE("test_generic");
	test_kargo_cases();
	test_selection();
	test_not_durable();
	test_config_errors();
	test_config_warnings();
	test_label_syntax();
	test_packed_labels();
	snapshot_unref(world.snap);
	TEST_DONE("test_generic");
}
