/* Tests the git receiver kinds (src/receivers/) through the handler and a
 * fake world: for each kind, Kargo's status and body for every check
 * (wrong secret, missing header, unsupported event, bad body, no match,
 * refreshed N, ping, ignored actions), path filters, and the delivery id
 * each kind reads. The cases follow Kargo v1.11's
 * pkg/webhook/external/{github,gitlab,gitea,azure}_test.go. */
#include "handler.h"
#include "headers.h"
#include "kw.h"
#include "manifest.h"
#include "receiver.h"
#include "signature.h"
#include "snapshot.h"
#include "test.h"
#include "world.h"

#include <stdlib.h>

#include "fake_world.h"

static const char manifests[] =
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: ProjectConfig\n"
	"metadata: {name: p, namespace: p}\n"
	"spec:\n"
	"  webhookReceivers:\n"
	"    - {name: gh, github: {secretRef: {name: s-gh}}}\n"
	"    - {name: gl, gitlab: {secretRef: {name: s-gl}}}\n"
	"    - {name: ge, gitea: {secretRef: {name: s-ge}}}\n"
	"    - {name: az, azure: {secretRef: {name: s-az}}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-gh, namespace: p}, stringData: {secret: k}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-gl, namespace: p}, stringData: {secret-token: tok}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-ge, namespace: p}, stringData: {secret: k}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-az, namespace: p}, stringData: {secret: k}}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: w-main, namespace: p}\n"
	"spec:\n"
	"  subscriptions:\n"
	"    - git: {repoURL: 'https://github.com/example/repo', branch: main}\n"
	"    - git: {repoURL: 'git@gitlab.com:example/repo.git', branch: main}\n"
	"    - git: {repoURL: 'https://gitea.example.com/example/repo.git', branch: main}\n"
	"    - git: {repoURL: 'https://dev.azure.com/org/proj/_git/repo', branch: main}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: w-paths, namespace: p}\n"
	"spec:\n"
	"  subscriptions:\n"
	"    - git: {repoURL: 'https://github.com/example/paths', branch: main,\n"
	"            includePaths: [apps/foo], excludePaths: ['glob:**/*.md']}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Promotion\n"
	"metadata: {name: promo, namespace: p}\n"
	"spec: {steps: [{uses: git-wait-for-pr, as: a}, {uses: git-wait-for-pr, as: b},\n"
	"  {uses: git-wait-for-pr, as: c}, {uses: git-wait-for-pr, as: d}]}\n"
	"status:\n"
	"  phase: Running\n"
	"  currentStep: 3\n"
	"  state:\n"
	"    a: {pr: {url: 'https://github.com/example/repo/pull/42'}}\n"
	"    b: {pr: {url: 'https://gitlab.com/example/repo/-/merge_requests/1'}}\n"
	"    c: {pr: {url: 'https://gitea.example.com/example/repo/pulls/3'}}\n"
	"    d: {pr: {url: 'https://dev.azure.com/org/proj/_git/repo/pullrequest/7'}}\n"
	/* Project q: Kargo's test tables, apart from p's counts. */
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: ProjectConfig\n"
	"metadata: {name: q, namespace: q}\n"
	"spec:\n"
	"  webhookReceivers:\n"
	"    - {name: gh-q, github: {secretRef: {name: s-gh}}}\n"
	"    - {name: gl-q, gitlab: {secretRef: {name: s-gl}}}\n"
	"    - {name: ge-q, gitea: {secretRef: {name: s-ge}}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-gh, namespace: q}, stringData: {secret: k}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-gl, namespace: q}, stringData: {secret-token: tok}}\n"
	"---\n"
	"{apiVersion: v1, kind: Secret, metadata: {name: s-ge, namespace: q}, stringData: {secret: k}}\n"
	/* Kargo's RunningPromotionsByPullRequestURL (pkg/indexer/indexer.go):
	 * a step without "as" is skipped, and so is every step after
	 * status.currentStep (0 when absent). */
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Promotion\n"
	"metadata: {name: no-alias, namespace: q}\n"
	"spec: {steps: [{uses: git-wait-for-pr}]}\n"
	"status: {phase: Running, state: {step-0: {pr: {url: 'https://github.com/q/repo/pull/1'}}}}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Promotion\n"
	"metadata: {name: ahead, namespace: q}\n"
	"spec: {steps: [{uses: git-clone}, {uses: git-wait-for-pr, as: w}]}\n"
	"status: {phase: Running, state: {w: {pr: {url: 'https://github.com/q/repo/pull/2'}}}}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Promotion\n"
	"metadata: {name: reached, namespace: q}\n"
	"spec: {steps: [{uses: git-clone}, {uses: git-wait-for-pr, as: w}]}\n"
	"status: {phase: Running, currentStep: 1,\n"
	"  state: {w: {pr: {url: 'https://github.com/q/repo/pull/3'}}}}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: semver, namespace: q}\n"
	"spec: {subscriptions: [{git: {repoURL: 'https://gitlab.com/q/semver',\n"
	"  commitSelectionStrategy: SemVer, semverConstraint: ^2.0.0}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: ssh, namespace: q}\n"
	"spec: {subscriptions: [{git: {repoURL: 'git@gitlab.com:q/ssh',\n"
	"  commitSelectionStrategy: SemVer}}]}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: paths, namespace: q}\n"
	"spec: {subscriptions: [{git: {repoURL: 'https://gitlab.com/q/paths',\n"
	"  includePaths: ['glob:apps/foo/**']}}, {git: {repoURL: 'https://gitea.q/q/paths',\n"
	"  includePaths: ['glob:apps/foo/**']}}]}\n";

static struct fake world = { .base = { &fake_ops } };

/* One request to the receiver named name, with n_kv header fields. */
static struct handler_response run(const char *name, const char *const *kv,
	size_t n_kv, const char *body)
{
	struct header_pairs pairs = { kv, n_kv };
	struct header_lookup headers = header_pairs_lookup(&pairs);
	struct handler_request req = { "POST", NULL, &headers, body, strlen(body), NULL };

	return fake_post(&world, name, &req);
}

#define ANSWER(r, st, b) do { \
	struct handler_response r_ = (r); \
	CHECK_INT(r_.status, st); \
	CHECK_STR(r_.body, b "\n"); \
	free(r_.big_body); \
} while (0)

/* A request signed with "k" in the given signature field. */
static struct handler_response signed_run(const char *name, const char *event_field,
	const char *event, const char *sig_field, const char *body)
{
	char sig[SIGNATURE_HEADER_SIZE];
	const char *kv[6] = { event_field, event, sig_field, sig, "X-Test", "1" };

	signature_sign(sig, (const unsigned char *)"k", 1, body, strlen(body));
	return event ? run(name, kv, 3, body) : run(name, kv + 2, 2, body);
}

static struct handler_response gh(const char *event, const char *body)
{
	return signed_run("gh", "X-GitHub-Event", event, "X-Hub-Signature-256", body);
}

static struct handler_response ge(const char *event, const char *body)
{
	return signed_run("ge", "X-Gitea-Event", event, "X-Hub-Signature-256", body);
}

static struct handler_response gl(const char *event, const char *token,
	const char *body)
{
	const char *kv[4] = { "X-Gitlab-Event", event, "X-Gitlab-Token", token };

	return run("gl", kv, token ? 2 : 1, body);
}

static struct handler_response az(const char *agent, const char *body)
{
	const char *kv[2] = { "User-Agent", agent };

	return run("az", kv, agent ? 1 : 0, body);
}

static void test_github(void)
{
	const char *kv[4] = { "X-GitHub-Event", "push", "X-Hub-Signature-256",
		"totally-invalid-signature" };
	const char *push = "{\"ref\":\"refs/heads/main\",\"repository\":"
		"{\"clone_url\":\"https://github.com/example/repo\"}}";

	ANSWER(run("gh", kv, 1, "{}"), 401, "{\"error\":\"missing signature\"}");
	/* [beyond] Unsigned, an unsupported event learns nothing (Kargo: 400). */
	kv[1] = "issues";
	ANSWER(run("gh", kv, 1, "{}"), 401, "{\"error\":\"missing signature\"}");
	kv[1] = "push";
	ANSWER(run("gh", kv, 2, "{}"), 401, "{\"error\":\"unauthorized\"}");
	ANSWER(gh("nonsense", "{}"), 400, "{\"error\":\"event type nonsense is not supported\"}");
	ANSWER(gh(NULL, "{}"), 400, "{\"error\":\"event type  is not supported\"}");
	ANSWER(gh("push", "invalid json"), 400, "{\"error\":\"invalid request body\"}");
	ANSWER(gh("push", "{\"ref\":1}"), 400, "{\"error\":\"invalid request body\"}");
	ANSWER(gh("push", "{\"size\":1.5}"), 400, "{\"error\":\"invalid request body\"}");
	ANSWER(gh("ping", "{}"), 200,
		"{\"msg\":\"ping event received, webhook is configured correctly\"}");
	ANSWER(gh("push", push), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	ANSWER(gh("push", "{\"ref\":\"refs/heads/not-main\",\"repository\":"
		"{\"clone_url\":\"https://github.com/example/repo\"}}"), 200,
		"{\"msg\":\"refreshed 0 warehouse(s)\"}");
	/* As in Kargo, the SSH URL alone does not find a subscription written
	 * as https (GitHub always sends both). */
	ANSWER(gh("push", "{\"ref\":\"refs/heads/main\",\"repository\":"
		"{\"ssh_url\":\"git@github.com:example/repo.git\"}}"), 200,
		"{\"msg\":\"refreshed 0 warehouse(s)\"}");
	ANSWER(gh("pull_request", "{\"action\":\"opened\",\"pull_request\":"
		"{\"html_url\":\"https://github.com/example/repo/pull/42\"}}"), 200, "{}");
	ANSWER(gh("pull_request", "{\"action\":\"closed\",\"number\":42,\"pull_request\":"
		"{\"merged\":true,\"html_url\":\"https://github.com/example/repo/pull/42\"}}"),
		200, "{\"msg\":\"refreshed 1 promotion(s)\"}");
	ANSWER(gh("pull_request", "{\"action\":\"closed\",\"pull_request\":"
		"{\"html_url\":\"https://github.com/example/repo/pull/43\"}}"), 200,
		"{\"msg\":\"refreshed 0 promotion(s)\"}");
	ANSWER(gh("package", "{\"action\":\"deleted\"}"), 200, "{}");
	ANSWER(gh("package", "{\"action\":\"published\"}"), 400,
		"{\"error\":\"invalid request body\"}");
}

/* Kargo's path filter cases (github_test.go, base_selector_test.go). */
static void test_paths(void)
{
	static const struct { const char *files; const char *want; } cases[] = {
		{ "\"apps/bar/values.yaml\"", "0" },
		{ "\"apps/foo/values.yaml\"", "1" },
		{ "\"apps/foo/README.md\"", "0" },
		{ "\"apps/foo/README.md\",\"apps/foo/x.yaml\"", "1" },
		{ "", "1" }, /* no changed files: no path filtering */
		/* An empty name is a changed file to Kargo's collectPaths, and
		 * one includePaths does not take. */
		{ "\"\"", "0" },
		{ "\"\",\"apps/foo/x.yaml\"", "1" },
	};
	char body[512], want[64];

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		snprintf(body, sizeof(body), "{\"ref\":\"refs/heads/main\",\"repository\":"
			"{\"clone_url\":\"https://github.com/example/paths\"},"
			"\"head_commit\":{\"modified\":[%s]}}", cases[i].files);
		snprintf(want, sizeof(want), "{\"msg\":\"refreshed %s warehouse(s)\"}\n",
			cases[i].want);
		CHECK_STR(gh("push", body).body, want);
	}
	/* 2048 commits or more: GitHub cut the list, so no path filtering. */
	{
		size_t n = strlen("{\"commits\":[") + 2048 * 3 + 200;
		char *big = malloc(n), *p = big;

		p += sprintf(p, "{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":"
			"\"https://github.com/example/paths\"},\"commits\":[");
		for (int i = 0; i < 2048; i++)
			p += sprintf(p, "%s{}", i ? "," : "");
		sprintf(p, "],\"head_commit\":{\"added\":[\"docs/x\"]}}");
		CHECK_STR(gh("push", big).body, "{\"msg\":\"refreshed 1 warehouse(s)\"}\n");
		free(big);
	}
}

static void test_gitlab(void)
{
	const char *push = "{\"object_kind\":\"push\",\"ref\":\"refs/heads/main\","
		"\"repository\":{\"git_http_url\":\"https://gitlab.com/example/repo.git\","
		"\"git_ssh_url\":\"git@gitlab.com:example/repo.git\"},\"commits\":[],"
		"\"total_commits_count\":0}";

	/* The token comes first: even an unsupported event gets 401 {}. */
	ANSWER(gl("nonsense", NULL, "{}"), 401, "{}");
	ANSWER(gl("Push Hook", "wrong", push), 401, "{}");
	ANSWER(gl("nonsense", "tok", "{}"), 400,
		"{\"error\":\"event type nonsense is not supported\"}");
	ANSWER(gl("Push Hook", "tok", "invalid json"), 400,
		"{\"error\":\"invalid request body\"}");
	ANSWER(gl("Push Hook", "tok", "{\"total_commits_count\":\"1\"}"), 400,
		"{\"error\":\"invalid request body\"}");
	ANSWER(gl("Push Hook", "tok", push), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	ANSWER(gl("Tag Push Hook", "tok", "{\"ref\":\"refs/tags/v1.0.0\",\"repository\":"
		"{\"git_http_url\":\"https://gitlab.com/example/repo.git\"}}"), 200,
		"{\"msg\":\"refreshed 0 warehouse(s)\"}");
	ANSWER(gl("Merge Request Hook", "tok", "{\"object_attributes\":{\"action\":"
		"\"open\",\"url\":\"https://gitlab.com/example/repo/-/merge_requests/1\"}}"),
		200, "{}");
	ANSWER(gl("Merge Request Hook", "tok", "{\"object_attributes\":{\"action\":"
		"\"merge\",\"url\":\"https://gitlab.com/example/repo/-/merge_requests/1\"}}"),
		200, "{\"msg\":\"refreshed 1 promotion(s)\"}");
	ANSWER(gl("Merge Request Hook", "tok", "{\"object_attributes\":{\"action\":"
		"\"close\",\"url\":\"https://gitlab.com/example/repo/-/merge_requests/1\"}}"),
		200, "{\"msg\":\"refreshed 1 promotion(s)\"}");
}

static void test_gitea(void)
{
	const char *kv[2] = { "X-Gitea-Event", "push" };

	ANSWER(run("ge", kv, 1, "{}"), 401, "{\"error\":\"missing signature\"}");
	kv[1] = "issues"; /* [beyond] Kargo: 501 before the signature */
	ANSWER(run("ge", kv, 1, "{}"), 401, "{\"error\":\"missing signature\"}");
	ANSWER(ge("issues", "{}"), 501, "{\"error\":\"event type issues is not supported\"}");
	ANSWER(ge("push", "{\"total_commits\":true}"), 400,
		"{\"error\":\"invalid request body\"}");
	ANSWER(ge("push", "{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":"
		"\"https://gitea.example.com/example/repo.git\"},\"commits\":[{\"added\":"
		"[\"a\"]}],\"total_commits\":1}"), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	/* ssh_url is not in Kargo's struct: a number there is ignored, not 400. */
	ANSWER(ge("push", "{\"ref\":\"refs/heads/main\",\"repository\":{\"clone_url\":"
		"\"https://gitea.example.com/example/repo.git\",\"ssh_url\":5}}"), 200,
		"{\"msg\":\"refreshed 1 warehouse(s)\"}");
	ANSWER(ge("pull_request", "{\"action\":\"opened\"}"), 200, "{}");
	ANSWER(ge("pull_request", "{\"action\":\"closed\",\"pull_request\":{\"html_url\":"
		"\"https://gitea.example.com/example/repo/pulls/3\"}}"), 200,
		"{\"msg\":\"refreshed 1 promotion(s)\"}");
}

static void test_azure(void)
{
	const char *push = "{\"eventType\":\"git.push\",\"resource\":{\"refUpdates\":"
		"[{\"name\":\"refs/heads/main\"}],\"repository\":{\"remoteUrl\":"
		"\"https://dev.azure.com/org/proj/_git/repo\"}}}";

	ANSWER(az(NULL, push), 400, "{\"error\":\"request does not appear to have "
		"originated from a supported service\"}");
	ANSWER(az("curl/8", push), 400, "{\"error\":\"request does not appear to have "
		"originated from a supported service\"}");
	ANSWER(az("VSServices/16.255", "nope"), 400, "{\"error\":\"invalid request body\"}");
	ANSWER(az("VSServices/16.255", "{\"eventType\":\"git.fork\"}"), 400,
		"{\"error\":\"event type git.fork is not supported\"}");
	ANSWER(az("VSServices/16.255", "{\"resource\":{\"pullRequestId\":\"7\"}}"), 400,
		"{\"error\":\"invalid request body\"}");
	ANSWER(az("VSServices/16.255", push), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	ANSWER(az("VSServices/16.255", "{\"eventType\":\"git.pullrequest.updated\","
		"\"resource\":{\"status\":\"active\"}}"), 200, "{}");
	ANSWER(az("VSServices/16.255", "{\"eventType\":\"git.pullrequest.updated\","
		"\"resource\":{\"status\":\"abandoned\",\"_links\":{\"web\":{\"href\":"
		"\"https://dev.azure.com/org/proj/_git/repo/pullrequest/7\"}}}}"), 200,
		"{\"msg\":\"refreshed 1 promotion(s)\"}");
	ANSWER(az("VSServices/16.255", "{\"eventType\":\"git.pullrequest.merged\","
		"\"resource\":{\"_links\":{\"web\":{\"href\":"
		"\"https://dev.azure.com/org/proj/_git/repo/pullrequest/7\"}}}}"), 200,
		"{\"msg\":\"refreshed 1 promotion(s)\"}");
	ANSWER(az("AzureContainerRegistry/1.0", "{\"action\":\"ping\"}"), 200,
		"{\"msg\":\"ping event received, webhook is configured correctly\"}");
	ANSWER(az("AzureContainerRegistry/1.0", "{\"action\":\"chart_push\"}"), 400,
		"{\"error\":\"event type chart_push is not supported\"}");
}

/* Each kind's delivery-id field recognizes a retried delivery. */
static void test_delivery_ids(void)
{
	const char *push = "{\"ref\":\"refs/heads/main\",\"repository\":"
		"{\"clone_url\":\"https://github.com/example/repo\"}}";
	char sig[SIGNATURE_HEADER_SIZE];
	const char *kv[6] = { "X-GitHub-Event", "push", "X-Hub-Signature-256", sig,
		"X-GitHub-Delivery", "seen" };
	const char *gkv[6] = { "X-Gitlab-Event", "Push Hook", "X-Gitlab-Token", "tok",
		"X-Gitlab-Event-UUID", "seen" };
	size_t before = world.submitted;

	signature_sign(sig, (const unsigned char *)"k", 1, push, strlen(push));
	ANSWER(run("gh", kv, 3, push), 200, "{\"msg\":\"refreshed 7 warehouse(s)\"}");
	ANSWER(run("gl", gkv, 3, "{}"), 200, "{\"msg\":\"refreshed 7 warehouse(s)\"}");
	CHECK_INT(world.submitted, before);
}

/* GitHub's documented vector ("Validating webhook deliveries"): secret
 * "It's a Secret to Everybody", body "Hello, World!". */
static void test_golden_signatures(void)
{
	static const char body[] = "Hello, World!";
	static const char key[] = "It's a Secret to Everybody";
	const char *kv[2] = { "X-Hub-Signature-256", "sha256="
		"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" };
	struct header_pairs pairs = { kv, 1 };
	struct header_lookup h = header_pairs_lookup(&pairs);
	struct auth_input in = { &receiver_github, &h, (const unsigned char *)key,
		strlen(key), body, strlen(body) };
	const char *kv2[4] = { kv[0], kv[1], kv[0], kv[1] };
	struct header_pairs twice = { kv2, 2 };
	struct header_lookup h2 = header_pairs_lookup(&twice);

	CHECK_INT(receiver_github.authenticate(&in), AUTH_OK);
	CHECK_INT(receiver_gitea.authenticate(&in), AUTH_OK);
	in.body_len--;
	CHECK_INT(receiver_github.authenticate(&in), AUTH_WRONG);
	in.body_len++;
	in.headers = &h2;
	CHECK_INT(receiver_github.authenticate(&in), AUTH_REPEATED);
	/* [beyond] The right HMAC-SHA1, which go-github would take. */
	kv[1] = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59";
	in.headers = &h;
	CHECK_INT(receiver_github.authenticate(&in), AUTH_WRONG);
	CHECK_INT(receiver_gitea.authenticate(&in), AUTH_WRONG);
}

/* Which git-wait-for-pr steps a Promotion waits on (see project q). */
static void test_promotion_steps(void)
{
	static const struct { const char *url; const char *want; } cases[] = {
		{ "https://github.com/q/repo/pull/1", "0" }, /* no alias */
		{ "https://github.com/q/repo/pull/2", "0" }, /* after currentStep */
		{ "https://github.com/q/repo/pull/3", "1" },
	};
	char body[256], want[64];

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		snprintf(body, sizeof(body), "{\"action\":\"closed\",\"pull_request\":"
			"{\"html_url\":\"%s\"}}", cases[i].url);
		snprintf(want, sizeof(want), "{\"msg\":\"refreshed %s promotion(s)\"}\n",
			cases[i].want);
		CHECK_STR(signed_run("gh-q", "X-GitHub-Event", "pull_request",
			"X-Hub-Signature-256", body).body, want);
	}
}

/* Cases of Kargo's gitlab_test.go and gitea_test.go, on project q. */
static void test_kargo_tables(void)
{
#define TAG "{\"ref\":\"refs/tags/v1.0.0\",\"repository\":" \
		"{\"git_http_url\":\"https://gitlab.com/q/%s.git\"," \
		"\"git_ssh_url\":\"git@gitlab.com:q/%s.git\"}}"
#define GLPUSH "{\"ref\":\"refs/heads/main\",\"repository\":" \
		"{\"git_http_url\":\"https://gitlab.com/q/paths.git\"},\"commits\":" \
		"[{\"added\":[\"apps/bar/values.yaml\"],\"modified\":[],\"removed\":[]}]%s}"
#define GEPUSH "{\"ref\":\"refs/heads/main\",\"repository\":" \
		"{\"clone_url\":\"https://gitea.q/q/paths.git\"},\"commits\":" \
		"[{\"added\":[\"apps/bar/values.yaml\"]}]%s}"
	const char *kv[4] = { "X-Gitlab-Event", "Tag Push Hook", "X-Gitlab-Token", "tok" };
	char body[512];

	snprintf(body, sizeof(body), TAG, "semver", "semver");
	ANSWER(run("gl-q", kv, 2, body), 200, "{\"msg\":\"refreshed 0 warehouse(s)\"}");
	snprintf(body, sizeof(body), TAG, "ssh", "ssh");
	ANSWER(run("gl-q", kv, 2, body), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	kv[1] = "Push Hook";
	snprintf(body, sizeof(body), GLPUSH, "");
	ANSWER(run("gl-q", kv, 2, body), 200, "{\"msg\":\"refreshed 0 warehouse(s)\"}");
	snprintf(body, sizeof(body), GLPUSH, ",\"total_commits_count\":25");
	ANSWER(run("gl-q", kv, 2, body), 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	snprintf(body, sizeof(body), GEPUSH, "");
	ANSWER(signed_run("ge-q", "X-Gitea-Event", "push", "X-Hub-Signature-256", body),
		200, "{\"msg\":\"refreshed 0 warehouse(s)\"}");
	snprintf(body, sizeof(body), GEPUSH, ",\"total_commits\":25");
	ANSWER(signed_run("ge-q", "X-Gitea-Event", "push", "X-Hub-Signature-256", body),
		200, "{\"msg\":\"refreshed 1 warehouse(s)\"}");
	/* GitHub's form encoding: Kargo hands the raw body to json.Unmarshal. */
	ANSWER(signed_run("gh-q", "X-GitHub-Event", "push", "X-Hub-Signature-256",
		"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D"), 400,
		"{\"error\":\"invalid request body\"}");
	/* No repository: no URL, nothing refreshed. */
	ANSWER(signed_run("gh-q", "X-GitHub-Event", "push", "X-Hub-Signature-256",
		"{\"ref\":\"refs/heads/main\"}"), 200, "{\"msg\":\"refreshed 0 warehouse(s)\"}");
#undef TAG
#undef GLPUSH
#undef GEPUSH
}

int main(void)
{
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	size_t n;

	CHECK_INT(manifest_parse(set, &dl, "t.yaml", manifests, strlen(manifests)), KW_OK);
	CHECK_INT(snapshot_new(&world.snap, set, &so, &dl), KW_OK);
	for (size_t i = 0; i < dl.n; i++)
		fprintf(stderr, "diag: %s\n", dl.items[i].message);
	diag_clear(&dl);
	if (world.snap == NULL)
		TEST_DONE("test_kinds");
	snapshot_receivers(world.snap, &n);
	CHECK_INT(n, 7);
	test_github();
	test_paths();
	test_gitlab();
	test_gitea();
	test_azure();
	test_delivery_ids();
	test_golden_signatures();
	test_promotion_steps();
	test_kargo_tables();
	snapshot_unref(world.snap);
	TEST_DONE("test_kinds");
}
