/* Tests src/handler.c through a fake world: the order of checks, every
 * status and body, and what is handed to the world to refresh. The fake
 * world also shows that the handler needs nothing but the world.h
 * interface. */
#include "handler.h"
#include "headers.h"
#include "kw.h"
#include "manifest.h"
#include "ratelimit.h"
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
	"    - name: r\n"
	"      bitbucket: {secretRef: {name: s}}\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: Secret\n"
	"metadata: {name: s, namespace: p}\n"
	"stringData: {secret: k}\n"
	"---\n"
	"apiVersion: kargo.akuity.io/v1alpha1\n"
	"kind: Warehouse\n"
	"metadata: {name: w, namespace: p}\n"
	"spec:\n"
	"  subscriptions:\n"
	"    - git: {repoURL: 'https://bitbucket.org/a/b.git', branch: main}\n";

static const char push[] =
	"{\"repository\":{\"full_name\":\"a/b\",\"links\":{\"html\":{\"href\":"
	"\"https://bitbucket.org/a/b\"}}},\"push\":{\"changes\":[{\"new\":"
	"{\"type\":\"branch\",\"name\":\"main\"}}]}}";

static bool done_called;

static void on_done(struct world_job *job)
{
	(void)job;
	done_called = true;
}

static char path[128];
static const char *request_id;
static struct ratelimit *limit;

/* Runs one request through both steps; returns the response. */
static struct handler_response run(struct fake *f, const char *method,
	const char *event, const char *sig, const char *body)
{
	struct handler_env env = { &f->base, limit, NULL };
	struct handler_ctx ctx = { 0 };
	struct handler_response resp = { 0 };
	struct handler_request req = { 0 };
	const char *kv[6];
	struct header_pairs pairs = { kv, 0 };
	struct header_lookup headers = header_pairs_lookup(&pairs);
	enum handler_step step;

	if (event != NULL) {
		kv[2 * pairs.n] = "X-Event-Key";
		kv[2 * pairs.n++ + 1] = event;
	}
	if (sig != NULL) {
		kv[2 * pairs.n] = "X-Hub-Signature";
		kv[2 * pairs.n++ + 1] = sig;
	}
	if (request_id != NULL) {
		kv[2 * pairs.n] = "X-Request-UUID";
		kv[2 * pairs.n++ + 1] = request_id;
	}
	step = handler_route(&ctx, &env, method, path, "127.0.0.1", (long long)strlen(body),
		&headers, &resp);
	if (step == HANDLER_READ) {
		req.method = method;
		req.path = path;
		req.headers = &headers;
		req.body = body;
		req.body_len = strlen(body);
		done_called = false;
		step = handler_request(&ctx, &req, &resp, on_done, NULL);
		if (step == HANDLER_WAIT) {
			CHECK(done_called);
			handler_finish(&ctx, &resp);
		}
	}
	handler_ctx_clear(&ctx);
	return resp;
}

static void check_answer(struct handler_response r, int status, const char *body)
{
	CHECK_INT(r.status, status);
	CHECK_STR(r.body, body);
	CHECK_INT(r.body_len, strlen(body));
}

static void test_checks(struct fake *f, const char *good)
{
	struct handler_response r;
	char saved[128];

	check_answer(run(f, "GET", NULL, NULL, ""), 405, "{\"error\":\"method not allowed\"}\n");
	CHECK(run(f, "GET", NULL, NULL, "").allow_post);
	check_answer(run(f, "POST", "diagnostics:ping", NULL, "{}"), 200, "{\"msg\":\"pong\"}\n");
	check_answer(run(f, "POST", "repo:push", NULL, push), 401, "{\"error\":\"missing signature\"}\n");
	check_answer(run(f, "POST", "repo:push", "", push), 401, "{\"error\":\"missing signature\"}\n");
	check_answer(run(f, "POST", "repo:push", "sha256=00", push), 401, "{\"error\":\"unauthorized\"}\n");
	CHECK_INT(f->last_logged_status, 401);
	check_answer(run(f, "POST", "repo:fork", good, push), 400,
		"{\"error\":\"event type repo:fork is not supported\"}\n");
	check_answer(run(f, "POST", NULL, good, push), 400,
		"{\"error\":\"event type  is not supported\"}\n");
	memcpy(saved, path, sizeof(path));
	snprintf(path, sizeof(path), "/nope");
	check_answer(run(f, "POST", "repo:push", good, push), 404, "{}\n");
	snprintf(path, sizeof(path), "/healthz");
	check_answer(run(f, "GET", NULL, NULL, ""), 200, "{}\n");
	snprintf(path, sizeof(path), "/readyz");
	check_answer(run(f, "GET", NULL, NULL, ""), 503, "{\"error\":\"not today\"}\n");
	memcpy(path, saved, sizeof(path));
	r = run(f, "POST", "repo:push", good, push);
	check_answer(r, 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}\n");
	CHECK_STR(f->last_target, "Warehouse p/w");
}

static void test_world_failures(struct fake *f, const char *good)
{
	struct handler_response r;

	f->job_status = KW_EIO;
	r = run(f, "POST", "repo:push", good, push);
	check_answer(r, 503, "{\"error\":\"failed to refresh 1 of 1 warehouses\"}\n");
	CHECK(r.retry_after > 0);
	f->job_status = KW_OK;
	f->submit_rc = KW_EBUSY;
	r = run(f, "POST", "repo:push", good, push);
	CHECK_INT(r.status, 503);
	CHECK(r.retry_after > 0);
	f->submit_rc = KW_OK;
}

static void test_too_large(struct fake *f)
{
	struct handler_env env = { &f->base, NULL, NULL };
	struct handler_ctx ctx = { 0 };
	struct handler_response resp = { 0 };
	const char *kv[2] = { "X-Hub-Signature", "sha256=00" };
	struct header_pairs pairs = { kv, 1 };
	struct header_lookup signed_headers = header_pairs_lookup(&pairs);

	CHECK_INT(handler_route(&ctx, &env, "POST", path, "c", 2097153, &signed_headers, &resp),
		HANDLER_DONE);
	check_answer(resp, 413, "{\"error\":\"content exceeds limit of 2097152 bytes\"}\n");
	handler_ctx_clear(&ctx);
	memset(&resp, 0, sizeof(resp));
	CHECK_INT(handler_route(&ctx, &env, "POST", path, "c", 2097152, &signed_headers, &resp),
		HANDLER_READ);
	handler_ctx_clear(&ctx);
}

static void test_duplicate_and_rate_limit(struct fake *f, const char *good)
{
	struct handler_response r;
	size_t before = f->submitted;

	request_id = "seen";
	r = run(f, "POST", "repo:push", good, push);
	check_answer(r, 200, "{\"msg\":\"refreshed 7 warehouse(s)\"}\n");
	CHECK_INT(f->submitted, before);
	/* Only a verified request may learn the original answer. */
	check_answer(run(f, "POST", "repo:push", "sha256=00", push), 401,
		"{\"error\":\"unauthorized\"}\n");
	request_id = "new";
	r = run(f, "POST", "repo:push", good, push);
	check_answer(r, 200, "{\"msg\":\"refreshed 1 warehouse(s)\"}\n");
	CHECK_INT(f->submitted, before + 1);
	request_id = NULL;
	/* Verified deliveries never take a token: five pass a bucket of 2. */
	limit = ratelimit_new(0.001, 2, 16);
	for (int i = 0; i < 5; i++)
		CHECK_INT(run(f, "POST", "repo:push", good, push).status, 200);
	/* Unverified ones do: two reach their 401, then 429 before the body
	 * (unsigned) or after the HMAC (wrongly signed). */
	CHECK_INT(run(f, "POST", "repo:push", NULL, push).status, 401);
	CHECK_INT(run(f, "POST", "repo:push", "sha256=00", push).status, 401);
	r = run(f, "POST", "repo:push", NULL, push);
	check_answer(r, 429, "{\"error\":\"rate limit exceeded\"}\n");
	CHECK(r.retry_after >= 1);
	CHECK_INT(run(f, "POST", "repo:push", "sha256=00", push).status, 429);
	CHECK_INT(run(f, "POST", "diagnostics:ping", NULL, "{}").status, 429);
	CHECK_INT(run(f, "GET", NULL, NULL, "").status, 429);
	/* An empty bucket still lets a verified delivery through. */
	CHECK_INT(run(f, "POST", "repo:push", good, push).status, 200);
	ratelimit_free(limit);
	limit = NULL;
}

int main(void)
{
	struct snapshot_options so = { "http://localhost:8080", "kargo-system-resources" };
	struct diag_list dl = { 0 };
	struct obj_set *set = manifest_set_new();
	struct fake f = { .base = { &fake_ops } };
	const struct snap_receiver *rcv;
	char good[SIGNATURE_HEADER_SIZE];
	size_t n;

	CHECK_INT(manifest_parse(set, &dl, "t.yaml", manifests, strlen(manifests)), KW_OK);
	CHECK_INT(snapshot_new(&f.snap, set, &so, &dl), KW_OK);
	diag_clear(&dl);
	if (f.snap == NULL)
		TEST_DONE("test_handler");
	rcv = snapshot_receivers(f.snap, &n);
	CHECK_INT(n, 1);
	snprintf(path, sizeof(path), "%s", rcv[0].path);
	signature_sign(good, (const unsigned char *)"k", 1, push, strlen(push));
	test_checks(&f, good);
	test_world_failures(&f, good);
	test_too_large(&f);
	test_duplicate_and_rate_limit(&f, good);
	CHECK(f.logged > 0);
	snapshot_unref(f.snap);
	TEST_DONE("test_handler");
}
