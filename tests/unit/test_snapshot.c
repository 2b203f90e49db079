/* Tests src/snapshot.c, the core of Kargo's semantics, table-driven: which
 * Warehouses a push refreshes (URL forms, branch and tag strategies,
 * subscription order, a Warehouse reached through several URLs or
 * subscriptions counted once, project and ClusterConfig scope), which
 * Running Promotions a pull request refreshes, the receivers (paths with
 * and without the base path, order, previous secrets, a missing Secret
 * leaving its receiver out), and a selection that cannot be built making
 * the whole snapshot an error. */
#include "kw.h"
#include "manifest.h"
#include "snapshot.h"
#include "test.h"

#include <stdlib.h>

#define MAX_ITEMS 8

/* Normalized URLs as the Bitbucket parser hands them over. */
#define AB "https://bitbucket.org/a/b"
#define AB_SSH "ssh://git@bitbucket.org/a/b"
#define MIXED "https://bitbucket.org/a/mixed"
#define U1 "https://bitbucket.org/a/u1"
#define U2 "https://bitbucket.org/a/u2"
#define PR "https://bitbucket.org/a/b/pull-requests/7"

#define RECEIVERS \
	"apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n" \
	"metadata: {name: p, namespace: p}\nspec:\n  webhookReceivers:\n" \
	"    - {name: r, bitbucket: {secretRef: {name: s}}}\n" \
	"    - {name: gone, bitbucket: {secretRef: {name: missing}}}\n" \
	"---\napiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: p}\n" \
	"stringData: {secret: k, previous-secret: old}\n" \
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: ClusterConfig\n" \
	"metadata: {name: cluster}\nspec:\n  webhookReceivers:\n" \
	"    - {name: c, bitbucket: {secretRef: {name: cs}}}\n" \
	"---\napiVersion: v1\nkind: Secret\n" \
	"metadata: {name: cs, namespace: kargo-system-resources}\n" \
	"stringData: {secret: ck}\n"

#define WH(ns, name, subs) \
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n" \
	"metadata: {name: " name ", namespace: " ns "}\nspec:\n  subscriptions:\n" subs
#define GIT(fields) "    - git: {" fields "}\n"

#define PROMO(ns, name, phase, url) \
	"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Promotion\n" \
	"metadata: {name: " name ", namespace: " ns "}\n" \
	"spec: {steps: [{uses: git-wait-for-pr, as: wait}]}\n" \
	"status: {phase: " phase ", state: {wait: {pr: {url: '" url "'}}}}\n"

/* Documents, joined at run time (one literal would be too long for C11). */
static const char *const world[] = { RECEIVERS,
	/* URL forms that normalize to AB (or its SSH form). */
	WH("p", "main-dotgit", GIT("repoURL: 'https://bitbucket.org/a/b.git', branch: main")),
	WH("p", "default-case", GIT("repoURL: 'https://Bitbucket.org/A/B/'")),
	WH("p", "ssh-scp", GIT("repoURL: 'git@bitbucket.org:a/b.git', branch: main")),
	WH("p", "dev-userinfo", GIT("repoURL: 'https://u:pw@bitbucket.org/a/b', branch: develop")),
	/* Tag strategies on AB. */
	WH("p", "tags", GIT("repoURL: 'https://bitbucket.org/a/b', commitSelectionStrategy: NewestTag,"
		" allowTagsRegexes: ['^v'], ignoreTagsRegexes: ['-rc']")),
	WH("p", "semver", GIT("repoURL: 'https://bitbucket.org/a/b', commitSelectionStrategy: SemVer,"
		" semverConstraint: '^1.0.0'")),
	WH("p", "lexical", GIT("repoURL: 'https://bitbucket.org/a/b', commitSelectionStrategy: Lexical")),
	/* Another namespace: only the ClusterConfig's receiver reaches it. */
	WH("q", "foreign", GIT("repoURL: 'https://bitbucket.org/a/b', branch: main")),
	/* Several subscriptions to one URL: any one that matches chooses. */
	WH("p", "mixed", GIT("repoURL: '" MIXED "', branch: main")
		GIT("repoURL: '" MIXED "', commitSelectionStrategy: NewestTag,"
		" allowTagsRegexes: ['^v']")),
	/* Two URLs: chosen through either, counted once. */
	WH("p", "u1-and-u2", GIT("repoURL: '" U1 "', branch: main")
		GIT("repoURL: '" U2 "', commitSelectionStrategy: SemVer")),
	PROMO("p", "running", "Running", PR),
	PROMO("p", "done", "Succeeded", PR),
	PROMO("p", "other-pr", "Running", "https://bitbucket.org/a/b/pull-requests/8"),
	PROMO("q", "foreign-running", "Running", PR) };

struct match_row {
	const char *receiver; /* "p/r" or "/c" */
	const char *urls[3];
	const char *refs[4];
	const char *want; /* "ns/name ..." sorted by index */
};

static const struct match_row match_rows[] = {
	/* URL forms: .git, case and trailing slash, SCP-style SSH, user info. */
	{ "p/r", { AB }, { "refs/heads/main" },
		"p/main-dotgit p/default-case" },
	{ "p/r", { AB_SSH }, { "refs/heads/main" }, "p/ssh-scp" },
	{ "p/r", { AB, AB_SSH }, { "refs/heads/main" },
		"p/main-dotgit p/default-case p/ssh-scp" },
	{ "p/r", { AB }, { "refs/heads/develop" }, "p/dev-userinfo" },
	{ "p/r", { "https://bitbucket.org/a/nope" }, { "refs/heads/main" }, "" },
	/* NewestFromBranch without a branch: main or master only. */
	{ "p/r", { AB }, { "refs/heads/master" }, "p/default-case" },
	{ "p/r", { AB }, { "refs/heads/feature" }, "" },
	/* A branch ref never matches a tag strategy, nor a tag a branch. */
	{ "p/r", { AB }, { "refs/tags/main" }, "p/lexical" },
	{ "p/r", { AB }, { "refs/tags/v1.2.3" }, "p/tags p/semver p/lexical" },
	{ "p/r", { AB }, { "refs/tags/v2.0.0" }, "p/tags p/lexical" },
	{ "p/r", { AB }, { "refs/tags/v1.2.4-rc.1" }, "p/lexical" },
	{ "p/r", { AB }, { "refs/tags/1.0.0" }, "p/semver p/lexical" },
	/* Any one ref of several chooses. */
	{ "p/r", { AB }, { "refs/heads/nope", "refs/tags/1.0.0", "refs/heads/develop" },
		"p/dev-userinfo p/semver p/lexical" },
	/* No refs (only deletions): every Warehouse found by URL. */
	{ "p/r", { AB }, { NULL },
		"p/main-dotgit p/default-case p/dev-userinfo p/tags p/semver p/lexical" },
	/* Several subscriptions, several URLs: chosen once. */
	{ "p/r", { MIXED }, { "refs/heads/main" }, "p/mixed" },
	{ "p/r", { MIXED }, { "refs/tags/v1" }, "p/mixed" },
	{ "p/r", { MIXED }, { "refs/heads/main", "refs/tags/v1" }, "p/mixed" },
	{ "p/r", { MIXED }, { "refs/tags/x1" }, "" },
	{ "p/r", { U1, U2 }, { "refs/heads/main", "refs/tags/1.0.0" }, "p/u1-and-u2" },
	{ "p/r", { U2, U1 }, { "refs/heads/main" }, "p/u1-and-u2" },
	{ "p/r", { U2 }, { "refs/heads/main" }, "" },
	{ "p/r", { U2 }, { "refs/tags/1.0.0" }, "p/u1-and-u2" },
	/* A URL given twice counts once. */
	{ "p/r", { AB_SSH, AB_SSH }, { "refs/heads/main" }, "p/ssh-scp" },
	/* Scope: the ClusterConfig's receiver reaches every namespace. */
	{ "/c", { AB }, { "refs/heads/main" }, "p/main-dotgit p/default-case q/foreign" },
	{ "/c", { AB, AB_SSH }, { "refs/tags/v2.0.0" }, "p/tags p/lexical" },
};

struct pr_row {
	const char *receiver;
	const char *url;
	const char *want;
};

static const struct pr_row pr_rows[] = {
	{ "p/r", PR, "p/running" }, /* not the Succeeded one, not q's */
	{ "/c", PR, "p/running q/foreign-running" },
	{ "p/r", "https://bitbucket.org/a/b/pull-requests/8", "p/other-pr" },
	{ "p/r", "https://bitbucket.org/a/b/pull-requests/9", "" },
	{ "p/r", "https://bitbucket.org/a/b/pull-requests/7/", "" }, /* exact */
};

/* The snapshot of docs; want is what snapshot_new answers. */
static struct snapshot *build_rc(const char *const *docs, size_t n_docs,
	const char *base, struct diag_list *dl, int want)
{
	struct snapshot_options so = { base, "kargo-system-resources" };
	struct obj_set *set = manifest_set_new();
	struct snapshot *s = NULL;

	for (size_t i = 0; i < n_docs; i++)
		CHECK_INT(manifest_parse(set, dl, "t.yaml", docs[i], strlen(docs[i])), KW_OK);
	CHECK_INT(snapshot_new(&s, set, &so, dl), want);
	return s;
}

static struct snapshot *build(const char *const *docs, size_t n_docs,
	const char *base, struct diag_list *dl)
{
	return build_rc(docs, n_docs, base, dl, KW_OK);
}

/* The current (not previous-secret) receiver "project/name". */
static const struct snap_receiver *receiver(const struct snapshot *s,
	const char *id)
{
	size_t n;
	const struct snap_receiver *r = snapshot_receivers(s, &n);
	char buf[128];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", r[i].project, r[i].name);
		if (!r[i].previous && strcmp(buf, id) == 0)
			return &r[i];
	}
	return NULL;
}

/* "ns/name ..." for indexes into Warehouses (promos false) or Promotions. */
static void names(char *buf, size_t len, const struct snapshot *s,
	const size_t *idx, size_t n, bool promos)
{
	const struct obj_set *o = snapshot_objects(s);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		const char *ns = promos ? o->promotions[idx[i]].namespace :
			objects_warehouse(o, idx[i])->namespace;
		const char *name = promos ? o->promotions[idx[i]].name :
			objects_warehouse(o, idx[i])->name;

		used += (size_t)snprintf(buf + used, len - used, "%s%s/%s",
			i ? " " : "", ns, name);
	}
}

static void test_match_warehouses(const struct snapshot *s)
{
	for (size_t t = 0; t < KW_ARRAY_LEN(match_rows); t++) {
		const struct match_row *row = &match_rows[t];
		const struct snap_receiver *r = receiver(s, row->receiver);
		char *urls[3], *refs[4], got[512];
		size_t n_urls = 0, n_refs = 0, *idx = NULL, n = 0;
		int rc;

		CHECK(r != NULL);
		if (r == NULL)
			continue;
		while (n_urls < 3 && row->urls[n_urls] != NULL) {
			urls[n_urls] = (char *)row->urls[n_urls];
			n_urls++;
		}
		while (n_refs < 4 && row->refs[n_refs] != NULL) {
			refs[n_refs] = (char *)row->refs[n_refs];
			n_refs++;
		}
		{
			struct snapshot_push push = { urls, n_urls, refs, n_refs, NULL, 0 };

			rc = snapshot_match_warehouses(&idx, &n, s, r, &push);
		}
		names(got, sizeof(got), s, idx, n, false);
		CHECK_MSG(rc == KW_OK && strcmp(got, row->want) == 0,
			"row %zu: got \"%s\", want \"%s\"", t, got, row->want);
		free(idx);
	}
}

static void test_match_promotions(const struct snapshot *s)
{
	for (size_t t = 0; t < KW_ARRAY_LEN(pr_rows); t++) {
		const struct snap_receiver *r = receiver(s, pr_rows[t].receiver);
		size_t *idx = NULL, n = 0;
		char got[256];

		CHECK(r != NULL);
		if (r == NULL)
			continue;
		CHECK_INT(snapshot_match_promotions(&idx, &n, s, r, pr_rows[t].url), KW_OK);
		names(got, sizeof(got), s, idx, n, true);
		CHECK_MSG(strcmp(got, pr_rows[t].want) == 0, "pr row %zu: got \"%s\", want \"%s\"",
			t, got, pr_rows[t].want);
		free(idx);
	}
}

/* Receivers: sorted by project then name (the ClusterConfig's first), one
 * more for a previous secret, none for a missing Secret;
 * paths found with and without the base URL's path. */
static void test_receivers(const struct snapshot *s, const struct diag_list *dl)
{
	size_t n;
	const struct snap_receiver *r = snapshot_receivers(s, &n);

	CHECK_INT(n, 3);
	if (n != 3)
		return;
	CHECK_STR(r[0].project, "");
	CHECK(r[0].cluster);
	CHECK_STR(r[0].namespace, "kargo-system-resources");
	CHECK_STR(r[1].name, "r");
	CHECK(!r[1].previous && r[2].previous);
	CHECK(strcmp(r[1].path, r[2].path) != 0);
	CHECK(strncmp(r[1].path, "/base/bitbucket/", 16) == 0);
	CHECK(r[1].alt_path != NULL && strncmp(r[1].alt_path, "/bitbucket/", 11) == 0);
	CHECK(snapshot_find_receiver(s, r[1].path) == &r[1]);
	CHECK(snapshot_find_receiver(s, r[1].alt_path) == &r[1]);
	CHECK(snapshot_find_receiver(s, r[2].path) == &r[2]);
	CHECK(snapshot_find_receiver(s, "/base/bitbucket/0") == NULL);
	CHECK(r[1].secret_len == 1 && memcmp(r[1].secret, "k", 1) == 0);
	CHECK(r[2].secret_len == 3 && memcmp(r[2].secret, "old", 3) == 0);
	/* Reported: the receiver whose Secret is missing, a warning. */
	CHECK_INT(dl->n, 1);
	CHECK_INT(dl->n_errors, 0);
	if (dl->n == 1) {
		CHECK_STR(dl->items[0].key, "secretRef");
		CHECK_INT(dl->items[0].severity, DIAG_WARNING);
		CHECK(strstr(dl->items[0].message, "p/gone") != NULL);
	}
	CHECK_INT(snapshot_unserved(s), 1);
}

/* A reload that loses a Secret revokes its receiver: left out (its URL
 * answers 404), a warning, counted as not served. */
static void test_secret_deleted(void)
{
	static const char *const lost[] = {
		"apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
		"metadata: {name: p, namespace: p}\nspec:\n  webhookReceivers:\n"
		"    - {name: r, bitbucket: {secretRef: {name: s}}}\n" };
	struct diag_list dl = { 0 };
	struct snapshot *s = build(lost, 1, "http://h/base", &dl);
	size_t n;

	CHECK_INT(dl.n_errors, 0);
	CHECK_INT(dl.n, 1);
	if (dl.n == 1)
		CHECK_STR(dl.items[0].key, "secretRef");
	diag_clear(&dl);
	if (s != NULL) {
		snapshot_receivers(s, &n);
		CHECK_INT(n, 0);
		CHECK_INT(snapshot_unserved(s), 1);
		snapshot_unref(s);
	}
}

/* Two Warehouses whose selections cannot be built, one beside them. */
static const char *const broken[] = { RECEIVERS,
	WH("p", "ok", GIT("repoURL: '" AB "', branch: main")),
	WH("p", "bad-regex", GIT("repoURL: '" AB "', branch: main")
		GIT("repoURL: '" AB "', commitSelectionStrategy: NewestTag,"
		" allowTagsRegexes: ['(unclosed']")),
	WH("p", "bad-constraint", GIT("repoURL: '" U2 "', commitSelectionStrategy: SemVer,"
		" semverConstraint: 'not one'")) };

/* A selection that cannot be built (bad regex, bad constraint, a
 * deprecated field on a tag strategy) is an error, each one reported at
 * its subscription, and no snapshot is built: no Warehouse is ever served
 * broken. */
static void test_broken_selections(void)
{
	struct diag_list dl = { 0 };
	struct snapshot *s = build_rc(broken, KW_ARRAY_LEN(broken), "http://h", &dl, KW_EINVAL);
	size_t git = 0;

	CHECK(s == NULL);
	snapshot_unref(s);
	for (size_t i = 0; i < dl.n; i++)
		if (dl.items[i].severity == DIAG_ERROR && strcmp(dl.items[i].key, "git") == 0)
			git++;
	CHECK_INT(git, 2);
	CHECK_INT(dl.n_errors, 2);
	diag_clear(&dl);
}

/* The matches of one push to url with ref, as "ns/name ...". */
static void match_one(char *got, size_t len, const struct snapshot *s,
	const char *url, const char *ref)
{
	char *urls[1] = { (char *)url }, *refs[1] = { (char *)ref };
	struct snapshot_push push = { urls, 1, refs, 1, NULL, 0 };
	const struct snap_receiver *r = receiver(s, "p/r");
	size_t *idx = NULL, n = 0;

	got[0] = '\0';
	CHECK(r != NULL);
	if (r != NULL && snapshot_match_warehouses(&idx, &n, s, r, &push) == KW_OK)
		names(got, len, s, idx, n, false);
	free(idx);
}

/* Kubernetes mode (snapshot_new_serving_broken): the same broken
 * selections are reported just as often, but the snapshot is built and
 * only they are left out, so one user's broken Warehouse freezes nobody's
 * configuration. */
static void test_broken_selections_served(void)
{
	struct snapshot_options so = { "http://h", "kargo-system-resources" };
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };
	struct snapshot *s = NULL;
	char got[256], text[512];

	for (size_t i = 0; i < KW_ARRAY_LEN(broken); i++)
		manifest_parse(set, &dl, "t.yaml", broken[i], strlen(broken[i]));
	CHECK_INT(snapshot_new_serving_broken(&s, set, &so, &dl), KW_OK);
	CHECK_INT(dl.n_errors, 2);
	diag_clear(&dl);
	if (s == NULL)
		return;
	match_one(got, sizeof(got), s, AB, "refs/heads/main");
	CHECK_STR(got, "p/ok p/bad-regex"); /* through its good subscription */
	match_one(got, sizeof(got), s, AB, "refs/tags/v1.0.0");
	CHECK_STR(got, "");
	match_one(got, sizeof(got), s, U2, "refs/tags/v1.0.0");
	CHECK_STR(got, "");
	snapshot_warnings_text(s, text, sizeof(text));
	CHECK(strstr(text, "2 subscription(s) not served") != NULL);
	snapshot_unref(s);
}

/* check reports every problem of the selections, each bad regex at its own
 * line: two bad regexes in one list, a bad constraint, and a bad regex in a
 * later subscription of the same Warehouse (issue 8 item 3). */
static void test_every_problem(void)
{
	static const char *const docs[] = { RECEIVERS,
		"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"  /* 1-3 */
		"metadata: {name: w, namespace: p}\n"                             /* 4 */
		"spec:\n  subscriptions:\n"                                      /* 5-6 */
		"  - git:\n"                                                     /* 7 */
		"      repoURL: " AB "\n"                                        /* 8 */
		"      commitSelectionStrategy: SemVer\n"                        /* 9 */
		"      allowTagsRegexes:\n"                                      /* 10 */
		"      - '^v'\n"                                                 /* 11 */
		"      - '(bad'\n"                                               /* 12 */
		"      - '[worse'\n"                                             /* 13 */
		"      semverConstraint: '>>1'\n"                                /* 14 */
		"  - git:\n"                                                     /* 15 */
		"      repoURL: " U1 "\n"                                        /* 16 */
		"      commitSelectionStrategy: Lexical\n"                       /* 17 */
		"      ignoreTagsRegexes: ['ok', '*x']\n" };                     /* 18 */
	static const struct { size_t line, column; const char *has; } want[] = {
		{ 12, 9, "allowTagsRegexes[1]" },
		{ 13, 9, "allowTagsRegexes[2]" },
		{ 14, 25, "semverConstraint" },
		{ 18, 33, "ignoreTagsRegexes[1]" },
	};
	struct diag_list dl = { 0 };
	struct snapshot *s = build_rc(docs, KW_ARRAY_LEN(docs), "http://h", &dl, KW_EINVAL);
	size_t k = 0;

	CHECK(s == NULL);
	CHECK_INT(dl.n_errors, KW_ARRAY_LEN(want));
	for (size_t i = 0; i < dl.n; i++) {
		const struct diag *dg = &dl.items[i];

		if (dg->severity != DIAG_ERROR)
			continue;
		if (k < KW_ARRAY_LEN(want)) {
			CHECK_MSG(dg->line == want[k].line && dg->column == want[k].column,
				"problem %zu at %zu:%zu, want %zu:%zu", k, dg->line,
				dg->column, want[k].line, want[k].column);
			CHECK_MSG(strstr(dg->message, want[k].has) != NULL &&
				strstr(dg->message, "warehouse p/w") != NULL,
				"problem %zu: %s", k, dg->message);
		}
		k++;
	}
	diag_clear(&dl);
}

/* What readiness says of a configuration served with warnings. */
static void test_warnings_text(void)
{
	static const char *const none[] = {
		"apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehose\n"
		"metadata: {name: w, namespace: p}\n",
		"---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\n"
		"metadata: {name: s, namespace: p}\n" };
	struct diag_list dl = { 0 };
	struct snapshot *s = build(none, KW_ARRAY_LEN(none), "http://h", &dl);
	char text[256];

	CHECK_INT(dl.n, 1); /* Warehose; a Stage is Kargo's, skipped quietly */
	if (dl.n == 1) {
		CHECK_INT(dl.items[0].severity, DIAG_WARNING);
		CHECK_INT(dl.items[0].line, 2);
		CHECK_STR(dl.items[0].message, "kargo.akuity.io has no kind \"Warehose\" "
			"(Warehouse?); the object is skipped");
	}
	diag_clear(&dl);
	if (s != NULL) {
		snapshot_warnings_text(s, text, sizeof(text));
		CHECK_STR(text, "no receivers configured; 1 object(s) of unknown "
			"kargo.akuity.io kinds skipped (first: Warehose)");
		snapshot_warnings_text(s, text, 20); /* cut, still terminated */
		CHECK_STR(text, "no receivers config");
		snapshot_unref(s);
	}
	s = build(world, KW_ARRAY_LEN(world), "http://h", &dl);
	diag_clear(&dl);
	if (s != NULL) {
		snapshot_warnings_text(s, text, sizeof(text));
		CHECK_STR(text, "1 receiver(s) not served: their Secret or its key is missing");
		snapshot_unref(s);
	}
}

int main(void)
{
	struct diag_list dl = { 0 };
	struct snapshot *s = build(world, KW_ARRAY_LEN(world), "http://h/base", &dl);

	if (s == NULL)
		TEST_DONE("test_snapshot");
	test_receivers(s, &dl);
	diag_clear(&dl);
	test_match_warehouses(s);
	test_match_promotions(s);
	test_secret_deleted();
	test_broken_selections();
	test_broken_selections_served();
	test_every_problem();
	test_warnings_text();
	/* A reference taken outlives the creator's. */
	CHECK(snapshot_ref(s) == s);
	snapshot_unref(s);
	CHECK_INT(snapshot_receivers(s, &(size_t){ 0 })[0].secret_len, 2);
	snapshot_unref(s);
	TEST_DONE("test_snapshot");
}
