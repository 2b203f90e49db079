/*
 * test_snapshot_images.c: image and chart subscriptions in the snapshot's one URL
 * index, matched as Kargo's refreshWarehouses and shouldRefresh do for the
 * registry receivers (pkg/webhook/external/refresh.go). The cases marked
 * "Kargo" are refresh_test.go's TestShouldRefresh image and chart rows
 * (v1.11.2); the rest follow from the selectors in pkg/image and
 * pkg/helm/chart. Manifests go through manifest_parse, so the decoders'
 * image and chart fields are exercised too.
 */
#include "diag.h"
#include "kw.h"
#include "manifest.h"
#include "snapshot.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static const char manifests[] =
	"apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: p}\n"
	"stringData: {secret: k}\n"
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
	"metadata: {name: p, namespace: p}\n"
	"spec: {webhookReceivers: [{name: r, bitbucket: {secretRef: {name: s}}}]}\n"
	/* 0: Kargo's "Image subscription with matching qualifier" */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: semver, namespace: p}\n"
	"spec: {subscriptions: [{image: {repoURL: docker.io/example/repo,"
	" imageSelectionStrategy: SemVer, constraint: ^1.0.0, strictSemvers: true}}]}\n"
	/* 1: Kargo's chart rows */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: chart1, namespace: p}\n"
	"spec: {subscriptions: [{chart: {repoURL: 'oci://example.com/charts',"
	" semverConstraint: ^1.0.0}}]}\n"
	/* 2 */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: chart2, namespace: p}\n"
	"spec: {subscriptions: [{chart: {repoURL: 'oci://example.com/charts',"
	" semverConstraint: ^2.0.0}}]}\n"
	/* 3: default strategy (SemVer), strict by default, allow/ignore */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: regex, namespace: p}\n"
	"spec: {subscriptions: [{image: {repoURL: ghcr.io/org/app,"
	" allowTagsRegexes: ['^v'], ignoreTagsRegexes: ['-rc']}}]}\n"
	/* 4 */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: digest, namespace: p}\n"
	"spec: {subscriptions: [{image: {repoURL: GHCR.io/org/app,"
	" imageSelectionStrategy: Digest, constraint: latest}}]}\n"
	/* 5 */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: lexical, namespace: p}\n"
	"spec: {subscriptions: [{image: {repoURL: ghcr.io/org/app,"
	" imageSelectionStrategy: Lexical}}]}\n"
	/* 7: another project */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: other, namespace: q}\n"
	"spec: {subscriptions: [{image: {repoURL: docker.io/example/repo}}]}\n"
	/* 8: a git subscription is never an image's */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: git, namespace: p}\n"
	"spec: {subscriptions: [{git: {repoURL: 'https://github.com/example/repo'}}]}\n"
	/* 9: strictSemvers false accepts "v1" */
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
	"metadata: {name: loose, namespace: p}\n"
	"spec: {subscriptions: [{image: {repoURL: 'quay.io/org/loose',"
	" strictSemvers: false}}]}\n";

static struct snapshot *snap;
static const struct snap_receiver *rcv;

/* The names of the Warehouses matched, space-separated, or "ERROR". */
static void match(char *out, size_t cap, const char *url, const char *tag)
{
	char *urls[1] = { (char *)url }, *tags[1] = { (char *)tag };
	size_t *idx = NULL, n = 0;
	const struct obj_set *objs = snapshot_objects(snap);
	struct snapshot_push push = { urls, 1, tags, tag ? 1 : 0, NULL, 0 };
	int rc = snapshot_match_warehouses(&idx, &n, snap, rcv, &push);

	out[0] = '\0';
	if (rc != KW_OK) {
		snprintf(out, cap, "ERROR");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strncat(out, " ", cap - strlen(out) - 1);
		strncat(out, objects_warehouse(objs, idx[i])->name, cap - strlen(out) - 1);
	}
	free(idx);
}

struct row {
	const char *url; /* as a registry receiver normalizes it */
	const char *tag; /* NULL: no qualifier */
	const char *want;
};

static const struct row rows[] = {
	/* Kargo: image, matching and non-matching qualifier */
	{ "example/repo", "v1.0.0", "semver" },
	{ "docker.io/example/repo", "invalid-tag", "" },
	{ "example/repo", "invalid-tag", "" },
	{ "example/repo", "v2.0.0", "" },
	/* Kargo: chart, matching and non-matching qualifier */
	{ "example.com/charts", "v1.0.0", "chart1" },
	{ "example.com/charts", "1.0.0", "chart1" },
	{ "example.com/charts", "2.1.0", "chart2" },
	/* no qualifier: everything subscribed, in the receiver's project */
	{ "example/repo", NULL, "semver" },
	{ "example.com/charts", NULL, "chart1 chart2" },
	/* allow / ignore regexes; strict semvers by default */
	{ "ghcr.io/org/app", "v1.2.3", "regex lexical" },
	{ "ghcr.io/org/app", "v1.2.3-rc1", "lexical" },
	{ "ghcr.io/org/app", "1.2.3", "lexical" },
	{ "ghcr.io/org/app", "v1.2", "lexical" },
	{ "ghcr.io/org/app", "latest", "digest lexical" },
	{ "quay.io/org/loose", "v1", "loose" },
	{ "quay.io/org/loose", "abc", "" },
	/* a git URL finds git subscriptions only */
	{ "https://github.com/example/repo", "v1.0.0", "" },
	{ "https://github.com/example/repo", "refs/heads/main", "git" },
	{ "nothing/here", "v1.0.0", "" },
};

/* An image or chart selection Kargo cannot build makes the whole
 * configuration an error, as a git one does (reported, then refused). */
static void test_broken(void)
{
	static const char *const subs[] = {
		"{image: {repoURL: quay.io/org/broken, allowTags: '^v'}}",
		"{image: {repoURL: nginx, platform: linux}}",
		"{image: {repoURL: 'not an image'}}",
		"{image: {repoURL: nginx, constraint: 'not a constraint'}}",
		"{chart: {repoURL: 'OCI://ghcr.io/o/c'}}",
		"{chart: {repoURL: 'oci://ghcr.io/O/c'}}",
	};
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	char doc[512];

	for (size_t i = 0; i < KW_ARRAY_LEN(subs); i++) {
		struct diag_list dl = { 0 };
		struct obj_set *set = manifest_set_new();
		struct snapshot *s = NULL;

		snprintf(doc, sizeof(doc), "apiVersion: kargo.akuity.io/v1alpha1\n"
			"kind: Warehouse\nmetadata: {name: w, namespace: p}\n"
			"spec: {subscriptions: [%s]}\n", subs[i]);
		CHECK_INT(manifest_parse(set, &dl, "t.yaml", doc, strlen(doc)), KW_OK);
		CHECK_MSG(snapshot_new(&s, set, &so, &dl) == KW_EINVAL && s == NULL,
			"broken selection %zu accepted", i);
		CHECK(dl.n > 0 && dl.items[dl.n - 1].severity == DIAG_ERROR);
		diag_clear(&dl);
		snapshot_unref(s);
	}
}

int main(void)
{
	test_broken();
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	char got[256];
	size_t n;

	CHECK_INT(manifest_parse(set, &dl, "t.yaml", manifests, strlen(manifests)), KW_OK);
	CHECK_INT(snapshot_new(&snap, set, &so, &dl), KW_OK);
	CHECK_INT(dl.n, 0);
	diag_clear(&dl);
	if (snap == NULL)
		TEST_DONE("test_snapshot_images");
	rcv = snapshot_receivers(snap, &n);
	CHECK_INT(n, 1);
	for (size_t i = 0; i < KW_ARRAY_LEN(rows); i++) {
		match(got, sizeof(got), rows[i].url, rows[i].tag);
		CHECK_MSG(strcmp(got, rows[i].want) == 0, "%s %s: \"%s\", want \"%s\"",
			rows[i].url, rows[i].tag ? rows[i].tag : "(none)", got,
			rows[i].want);
	}
	snapshot_unref(snap);
	TEST_DONE("test_snapshot_images");
}
