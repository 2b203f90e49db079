/*
 * test_kube_client.c: the real client (src/kube.c) against the fake API
 * server (tests/kube/fake_apiserver.py, started here on 127.0.0.1 with a
 * CA made at test time). Faults are set through the fake's control port
 * (JSON calls of fakekube.FakeKube's methods). Every wait polls with a
 * deadline; nothing is timed.
 */
#include "kube.h"
#include "kube_cache.h"
#include "kw.h"
#include "test.h"

#include "fake_apiserver.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GROUP "/apis/kargo.akuity.io/v1alpha1"

static void put_warehouse(const char *ns, const char *name)
{
	char args[256];

	snprintf(args, sizeof(args), "[{\"apiVersion\":\"kargo.akuity.io/v1alpha1\","
		"\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
		"\"spec\":{}}]", name, ns);
	ctl0("put", args);
}

/* A kubeconfig variant from the fake (kwargs as JSON). */
static struct kube_client *client_with(const char *kwargs)
{
	cJSON *path = ctl_kw("kubeconfig_with", NULL, kwargs);
	struct kube_client *c = NULL;

	if (cJSON_IsString(path))
		c = client_for(path->valuestring, NULL);
	cJSON_Delete(path);
	return c;
}

/* ---- tests ---------------------------------------------------------------- */

struct names {
	char got[16][32];
	int n;
	bool compact_after_first;
};

static int on_item(void *arg, const cJSON *item)
{
	struct names *nm = arg;
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(item, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");

	if (nm->n < 16 && cJSON_IsString(name))
		snprintf(nm->got[nm->n++], 32, "%s", name->valuestring);
	if (nm->compact_after_first && nm->n == 1) {
		put_warehouse("p9", "later"); /* history moves past the list's RV */
		ctl0("compact", NULL);
	}
	return 0;
}

static void test_list_paging(struct kube_client *c)
{
	struct kube_response r = {0};
	struct names nm = {.n = 0};
	char *rv = NULL;
	static const char *const want[] = {"w0", "w1", "w2", "w3", "w4", "w5", "w6"};

	for (size_t i = 0; i < KW_ARRAY_LEN(want); i++)
		put_warehouse("p1", want[i]);
	put_warehouse("p2", "other");
	ctl0("clear_calls", NULL);
	CHECK_INT(kube_list(c, GROUP "/namespaces/p1/warehouses", 3, on_item, &nm, &rv, &r),
		KW_OK);
	CHECK_INT(nm.n, 7);
	for (int i = 0; i < nm.n && i < 7; i++)
		CHECK_STR(nm.got[i], want[i]);
	CHECK(rv != NULL && atol(rv) > 100);
	{
		cJSON *calls = ctl("calls", NULL);

		CHECK_INT(cJSON_GetArraySize(calls), 3); /* 3 + 3 + 1 items */
		cJSON_Delete(calls);
	}
	free(rv);
	/* A continue token that expired between pages: 410, list again. */
	memset(&nm, 0, sizeof(nm));
	nm.compact_after_first = true;
	CHECK_INT(kube_list(c, GROUP "/namespaces/p1/warehouses", 3, on_item, &nm, &rv, &r),
		KW_EIO);
	CHECK_INT(r.status, 410);
	CHECK_STR(r.reason, "Expired");
	CHECK(rv == NULL);
	free(rv);
	kube_response_clear(&r);
}

/* A cache whose continue tokens always expire (a list slower than the
 * server's history) still syncs: after two 410s it lists in one answer
 * (review-kube.md #9). Without that it would back off forever. */
static void test_cache_list_expired_pages(struct kube_client *c)
{
	struct kube_cache *kc = NULL;
	struct kube_cache_options o = {
		.path = GROUP "/namespaces/p7/warehouses", .api_version = "kargo.akuity.io/v1alpha1",
		.kind = "Warehouse", .label = "p7 warehouses", .page = 3,
	};
	double deadline = kw_monotonic() + 20;

	for (int i = 0; i < 7; i++) {
		char args[400];

		snprintf(args, sizeof(args), "[{\"apiVersion\":\"kargo.akuity.io/v1alpha1\","
			"\"kind\":\"Warehouse\",\"metadata\":{\"name\":\"v%d\",\"namespace\":"
			"\"p7\"},\"spec\":{\"subscriptions\":[{\"git\":{\"repoURL\":"
			"\"https://bitbucket.org/a/b\"}}]}}]", i);
		ctl0("put", args);
	}
	ctl0("expire_continues", "[-1]");
	CHECK_INT(kube_cache_start(&kc, c, &o), KW_OK);
	while (kc != NULL && !kube_cache_synced(kc) && kw_monotonic() < deadline)
		usleep(20 * 1000);
	CHECK(kc != NULL && kube_cache_synced(kc));
	CHECK_INT(kc ? (long)kube_cache_count(kc) : -1, 7);
	kube_cache_stop(kc);
	ctl0("expire_continues", "[0]");
}

static size_t one_name(void *arg, const char *path, char ***out)
{
	(void)arg, (void)path;
	*out = calloc(1, sizeof(**out));
	if (*out == NULL || ((*out)[0] = strdup("s1")) == NULL)
		return 0;
	return 1;
}

/* Whether the fake saw a watch of secrets in p8. */
static bool watched_p8(void)
{
	cJSON *calls = ctl("calls", NULL), *call;
	bool seen = false;

	cJSON_ArrayForEach(call, calls) {
		const cJSON *verb = cJSON_GetArrayItem(call, 0), *ns = cJSON_GetArrayItem(call, 3);

		seen = seen || (cJSON_IsString(verb) && strcmp(verb->valuestring, "watch") == 0 &&
			cJSON_IsString(ns) && strcmp(ns->valuestring, "p8") == 0);
	}
	cJSON_Delete(calls);
	return seen;
}

/* GET mode is not forever (review-kube.md #5): once listing is granted
 * the cache lists and watches again within list_retry. */
static void test_cache_get_mode_retries_list(struct kube_client *c)
{
	struct kube_cache *kc = NULL;
	struct kube_cache_options o = {
		.path = "/api/v1/namespaces/p8/secrets", .api_version = "v1", .kind = "Secret",
		.label = "secrets in p8", .names = one_name, .get_ttl = 0.1, .list_retry = 0.5,
	};
	double deadline = kw_monotonic() + 20;

	ctl0("put", "[{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":"
		"\"s1\",\"namespace\":\"p8\"},\"data\":{\"secret\":\"cw==\"}}]");
	ctl0("forbid", "[\"list\",\"secrets\",\"p8\"]");
	ctl0("clear_calls", NULL);
	CHECK_INT(kube_cache_start(&kc, c, &o), KW_OK);
	while (kc != NULL && !kube_cache_synced(kc) && kw_monotonic() < deadline)
		usleep(20 * 1000);
	CHECK(kc != NULL && kube_cache_synced(kc) && kube_cache_count(kc) == 1);
	CHECK(!watched_p8());
	ctl0("clear_faults", NULL); /* the grant comes */
	while (kc != NULL && !watched_p8() && kw_monotonic() < deadline)
		usleep(20 * 1000);
	CHECK(watched_p8());
	kube_cache_stop(kc);
}

static size_t forty_names(void *arg, const char *path, char ***out)
{
	(void)arg, (void)path;
	*out = calloc(40, sizeof(**out));
	for (int i = 0; *out != NULL && i < 40; i++)
		if (asprintf(&(*out)[i], "s%d", i) < 0)
			abort();
	return *out != NULL ? 40 : 0;
}

static int count_gets_p9(void)
{
	cJSON *calls = ctl("calls", NULL), *call;
	int n = 0;

	cJSON_ArrayForEach(call, calls) {
		const cJSON *verb = cJSON_GetArrayItem(call, 0), *ns = cJSON_GetArrayItem(call, 3);

		n += cJSON_IsString(verb) && strcmp(verb->valuestring, "get") == 0 &&
			cJSON_IsString(ns) && strcmp(ns->valuestring, "p9") == 0;
	}
	cJSON_Delete(calls);
	return n;
}

/* A stop ends a GET round between two GETs: 40 Secrets at 1 GET a second
 * (half of 2/s) would hold the stop about 40 s; it must take far less
 * (checked against 20 s: a slow machine only makes the round longer). */
static void test_cache_get_mode_stops_between_gets(const char *kubeconfig)
{
	struct kube_client_options slow = {.qps = 2, .burst = 2};
	struct kube_client *c = client_for(kubeconfig, &slow);
	struct kube_cache *kc = NULL;
	struct kube_cache_options o = {
		.path = "/api/v1/namespaces/p9/secrets", .api_version = "v1", .kind = "Secret",
		.label = "secrets in p9", .names = forty_names, .get_ttl = 0.1, .list_retry = 600,
	};
	double deadline = kw_monotonic() + 20, t0;

	ctl0("forbid", "[\"list\",\"secrets\",\"p9\"]");
	ctl0("clear_calls", NULL);
	CHECK_INT(c ? kube_cache_start(&kc, c, &o) : -1, KW_OK);
	while (kc != NULL && count_gets_p9() < 2 && kw_monotonic() < deadline)
		usleep(20 * 1000);
	CHECK(count_gets_p9() >= 2);
	t0 = kw_monotonic();
	kube_cache_stop(kc);
	CHECK_MSG(kw_monotonic() - t0 < 20, "stopped after %.1f s", kw_monotonic() - t0);
	CHECK(count_gets_p9() < 30);
	ctl0("clear_faults", NULL);
	kube_client_free(c);
}

static void test_status_bodies(struct kube_client *c)
{
	struct kube_response r = {0};
	const char *merge = "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}";

	CHECK_INT(kube_request(c, "GET", GROUP "/namespaces/p1/warehouses/nope", NULL, NULL, 0,
		&r), KW_OK);
	CHECK_INT(r.status, 404);
	CHECK_STR(r.reason, "NotFound");
	CHECK_STR(r.message, "warehouses.kargo.akuity.io \"nope\" not found");
	CHECK_INT(kube_request(c, "PATCH", GROUP "/namespaces/p1/warehouses/w1",
		"application/merge-patch+json", merge, strlen(merge), &r), KW_OK);
	CHECK_INT(r.status, 200);
	CHECK(r.body != NULL && strstr(r.body, "\"a\":\"b\"") != NULL);
	CHECK_STR(r.reason, "");
	CHECK_INT(kube_request(c, "PATCH", GROUP "/namespaces/p1/warehouses/w1",
		"application/strategic-merge-patch+json", merge, strlen(merge), &r), KW_OK);
	CHECK_INT(r.status, 415);
	CHECK_STR(r.reason, "UnsupportedMediaType");
	ctl0("fail_requests", "[429, \"get\", null, 1, null, 7]");
	CHECK_INT(kube_request(c, "GET", GROUP "/namespaces/p1/warehouses/w1", NULL, NULL, 0, &r),
		KW_OK);
	CHECK_INT(r.status, 429);
	CHECK_INT(r.retry_after, 7);
	CHECK_STR(r.reason, "TooManyRequests");
	ctl0("fail_requests", "[500, \"list\", null, 1]");
	{
		struct names nm = {.n = 0};
		char *rv = NULL;

		CHECK_INT(kube_list(c, GROUP "/warehouses", 0, on_item, &nm, &rv, &r), KW_EIO);
		CHECK_INT(r.status, 500);
		CHECK_STR(r.reason, "InternalError");
		CHECK_STR(r.message, "Internal error occurred: injected fault");
	}
	kube_response_clear(&r);
}

struct seen {
	char log[1024];
	int bookmarks, events;
	struct kube_stop *stop;
	bool stop_on_first;
};

static void on_event(void *arg, const char *type, const cJSON *object)
{
	struct seen *s = arg;
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(object, "metadata");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
	size_t n = strlen(s->log);

	if (strcmp(type, "BOOKMARK") == 0) {
		s->bookmarks++;
	} else {
		s->events++;
		snprintf(s->log + n, sizeof(s->log) - n, "%s %s;", type,
			cJSON_IsString(name) ? name->valuestring : "?");
	}
	if (s->stop_on_first)
		kube_stop_raise(s->stop);
}

/* Polls (with a deadline) until the fake has a watch open, then stops it. */
static void *stop_when_watching(void *arg)
{
	double deadline = kw_monotonic() + 30;

	while (ctl_int("open_watches") < 1 && kw_monotonic() < deadline)
		usleep(20000);
	kube_stop_raise(arg);
	return NULL;
}

static void test_watch(struct kube_client *c)
{
	struct kube_response r = {0};
	struct seen s = {.bookmarks = 0};
	cJSON *rvj = ctl("resource_version", NULL);
	char *rv = NULL;

	if (asprintf(&rv, "%ld", (long)cJSON_GetNumberValue(rvj)) < 0)
		abort();
	cJSON_Delete(rvj);
	struct kube_stop stop;

	kube_stop_init(&stop);
	s.stop = &stop;
	put_warehouse("p3", "x");
	put_warehouse("p3", "y");
	ctl0("delete", "[\"Warehouse\", \"p3\", \"x\"]");
	ctl0("set_watch_split", "[5]"); /* every event cut into 5-byte chunks */
	ctl0("set_bookmark_interval", "[0.1]");
	CHECK_INT(kube_watch(c, GROUP "/namespaces/p3/warehouses", &rv, 1, on_event, &s, &stop,
		&r), KUBE_WATCH_CLOSED);
	CHECK_STR(s.log, "ADDED x;ADDED y;DELETED x;");
	CHECK(s.bookmarks >= 1);
	CHECK(rv != NULL && atol(rv) >= 100);
	ctl0("set_watch_split", "[0]");

	/* The stop flag, set by the first event, ends a long watch. */
	memset(&s, 0, sizeof(s));
	s.stop = &stop;
	s.stop_on_first = true;
	CHECK_INT(kube_watch(c, GROUP "/namespaces/p3/warehouses", &rv, 600, on_event, &s,
		&stop, &r), KUBE_WATCH_STOPPED);

	/* On an idle stream (no bookmarks), the flag set by another thread
	 * once the watch is open. */
	{
		pthread_t t;

		double deadline = kw_monotonic() + 30;

		/* The fake notices the stopped watch at its next bookmark. */
		while (ctl_int("open_watches") > 0 && kw_monotonic() < deadline)
			usleep(20000);
		CHECK_INT(ctl_int("open_watches"), 0);
		memset(&s, 0, sizeof(s));
		kube_stop_clear(&stop);
		ctl0("set_bookmark_interval", "[1000]");
		pthread_create(&t, NULL, stop_when_watching, &stop);
		CHECK_INT(kube_watch(c, GROUP "/namespaces/p3/warehouses", &rv, 600, on_event, &s,
			&stop, &r), KUBE_WATCH_STOPPED);
		pthread_join(t, NULL);
		ctl0("set_bookmark_interval", "[0.1]");
	}

	/* History compacted: 410 as an ERROR event, then as an HTTP status. */
	ctl0("compact", "[true]");
	free(rv);
	rv = strdup("101");
	memset(&s, 0, sizeof(s));
	kube_stop_clear(&stop);
	CHECK_INT(kube_watch(c, GROUP "/warehouses", &rv, 5, on_event, &s, &stop, &r),
		KUBE_WATCH_EXPIRED);
	CHECK_INT(r.status, 410);
	CHECK_STR(r.reason, "Expired");
	ctl0("compact", "[false]");
	CHECK_INT(kube_watch(c, GROUP "/warehouses", &rv, 5, on_event, &s, &stop, &r),
		KUBE_WATCH_EXPIRED);
	CHECK_INT(r.status, 410);
	CHECK_INT(s.events, 0);
	ctl0("forbid", "[\"watch\", \"warehouses\"]");
	CHECK_INT(kube_watch(c, GROUP "/warehouses", &rv, 5, on_event, &s, &stop, &r),
		KUBE_WATCH_FAILED);
	CHECK_INT(r.status, 403);
	CHECK_STR(r.reason, "Forbidden");
	ctl0("clear_faults", NULL);
	free(rv);
	kube_response_clear(&r);
	kube_stop_destroy(&stop);
}

static int get_ok(struct kube_client *c, struct kube_response *r)
{
	if (kube_request(c, "GET", GROUP "/namespaces/p1/warehouses/w1", NULL, NULL, 0, r) !=
	    KW_OK)
		return -1;
	return (int)r->status;
}

static void test_token_rotation(struct kube_client *c)
{
	struct kube_response r = {0};
	long before;

	CHECK_INT(get_ok(c, &r), 200);
	/* Replaced file: noticed before the call, no 401. */
	before = ctl_int("unauthorized");
	ctl0("rotate_token", NULL);
	CHECK_INT(get_ok(c, &r), 200);
	CHECK_INT(ctl_int("unauthorized"), before);
	/* Rewritten in place with size and mtime kept: the 401 makes the
	 * client read it again, and the call is tried once more. */
	ctl0("rotate_token", "[true]");
	CHECK_INT(get_ok(c, &r), 200);
	CHECK_INT(ctl_int("unauthorized"), before + 1);
	kube_response_clear(&r);
}

static void test_reuse_and_server_down(struct kube_client *c)
{
	struct kube_response r = {0};
	long conns;
	int ok = 0;

	CHECK_INT(get_ok(c, &r), 200);
	conns = ctl_int("connections");
	for (int i = 0; i < 20; i++)
		ok += get_ok(c, &r) == 200;
	CHECK_INT(ok, 20);
	CHECK_INT(ctl_int("connections"), conns); /* one kept-alive connection */
	ctl0("stop", NULL);
	CHECK_INT(kube_request(c, "GET", GROUP "/warehouses", NULL, NULL, 0, &r), KW_EIO);
	CHECK_INT(r.status, 0);
	CHECK_MSG(strstr(r.message, "GET https://127.0.0.1:") != NULL, "message: %s", r.message);
	ctl0("start", NULL);
	CHECK_INT(get_ok(c, &r), 200);
	kube_response_clear(&r);
}

static void test_tls_variants(void)
{
	static const char *const variants[] = {"{\"client_cert\":true}",
		"{\"cert_data\":true,\"ca_data\":true}", "{\"token\":true}"};
	struct kube_response r = {0};

	for (size_t i = 0; i < KW_ARRAY_LEN(variants); i++) {
		struct kube_client *c = client_with(variants[i]);

		CHECK_MSG(c != NULL && get_ok(c, &r) == 200, "%s: %ld %s", variants[i], r.status,
			r.message);
		kube_client_free(c);
	}
	{
		struct kube_client *c = client_with("{\"token\":\"wrong\"}");

		CHECK_INT(c ? get_ok(c, &r) : -1, 401);
		CHECK_STR(r.reason, "Unauthorized");
		kube_client_free(c);
	}
	kube_response_clear(&r);
}

/* The call timeout and the rate limit, checked only from below (a slow
 * machine can make them longer, never shorter). */
static void test_timeout_and_rate(const char *kubeconfig)
{
	struct kube_client_options quick = {.timeout = 1}, slow = {.qps = 20, .burst = 1},
		crawl = {.qps = 0.1, .burst = 1, .timeout = 2};
	struct kube_client *c = client_for(kubeconfig, &quick);
	struct kube_response r = {0};
	const char *body = "{}";
	double t0;
	int ok = 0;

	ctl0("set_patch_delay", "[3]");
	CHECK_INT(c ? kube_request(c, "PATCH", GROUP "/namespaces/p1/warehouses/w1",
		"application/merge-patch+json", body, 2, &r) : -1, KW_EIO);
	CHECK_INT(r.status, 0);
	CHECK_MSG(strstr(r.message, "imed out") != NULL, "message: %s", r.message);
	ctl0("set_patch_delay", "[0]");
	kube_client_free(c);
	c = client_for(kubeconfig, &slow);
	t0 = kw_monotonic();
	for (int i = 0; i < 6 && c != NULL; i++)
		ok += get_ok(c, &r) == 200;
	CHECK_INT(ok, 6);
	CHECK_MSG(kw_monotonic() - t0 >= 0.24, "6 calls at 20/s, burst 1, in %.3f s",
		kw_monotonic() - t0);
	kube_client_free(c);
	/* A rate wait longer than the call timeout fails the call at once
	 * (review-kube.md #5): 0.1/s, burst 1, timeout 2 s. */
	c = client_for(kubeconfig, &crawl);
	CHECK_INT(c ? get_ok(c, &r) : -1, 200);
	CHECK_INT(c ? kube_request(c, "GET", GROUP "/namespaces/p1/warehouses/w1", NULL, NULL, 0,
		&r) : -1, KW_EIO);
	CHECK_INT(r.status, 0);
	CHECK_MSG(strstr(r.message, "rate limit") != NULL, "message: %s", r.message);
	kube_client_free(c);

	/* Background GETs have half the rate and burst to themselves: at
	 * 0.1/s, burst 2, the second one in a row would wait 20 s for the
	 * background bucket (past the 2 s timeout) while a refresh still
	 * finds a token in the shared one. */
	crawl.burst = 2;
	c = client_for(kubeconfig, &crawl);
	CHECK_INT(c ? kube_get_background(c, GROUP "/namespaces/p1/warehouses/w1", &r) : -1, KW_OK);
	CHECK_INT(r.status, 200);
	CHECK_INT(c ? kube_get_background(c, GROUP "/namespaces/p1/warehouses/w1", &r) : -1,
		KW_EIO);
	CHECK_MSG(strstr(r.message, "rate limit") != NULL, "message: %s", r.message);
	CHECK_INT(c ? get_ok(c, &r) : -1, 200);
	kube_client_free(c);

	/* A watch waiting for a token ends when its stop is raised, not when
	 * the token comes (here in 60 s: 1/60 per second, burst 1, the token
	 * taken; a watch's call timeout is minutes, so it does wait). */
	{
		struct kube_client_options glacial = {.qps = 1.0 / 60, .burst = 1};
		struct kube_stop stop;
		struct seen s = {.bookmarks = 0};
		char *rv = NULL;

		kube_stop_init(&stop);
		c = client_for(kubeconfig, &glacial);
		CHECK_INT(c ? get_ok(c, &r) : -1, 200);
		kube_stop_raise(&stop);
		t0 = kw_monotonic();
		CHECK(c != NULL);
		CHECK_INT(c ? (int)kube_watch(c, GROUP "/warehouses", &rv, 600, on_event, &s,
			&stop, &r) : -1, KUBE_WATCH_STOPPED);
		CHECK_MSG(kw_monotonic() - t0 < 30, "a stopped watch waited %.1f s for a token",
			kw_monotonic() - t0);
		free(rv);
		kube_client_free(c);
		kube_stop_destroy(&stop);
	}
	kube_response_clear(&r);
}

int main(void)
{
	struct kube_client *c = NULL;
	char kc[320];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!start_fake()) {
		fprintf(stderr, "the fake API server did not start\n");
		stop_fake();
		CHECK(false);
		TEST_DONE("test_kube_client");
	}
	snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
	c = client_for(kc, NULL);
	CHECK(c != NULL);
	if (c != NULL) {
		test_list_paging(c);
		test_cache_list_expired_pages(c);
		test_cache_get_mode_retries_list(c);
		test_status_bodies(c);
		test_watch(c);
		test_token_rotation(c);
		test_reuse_and_server_down(c);
		test_tls_variants();
		test_timeout_and_rate(kc);
		test_cache_get_mode_stops_between_gets(kc);
	}
	kube_client_free(c);
	stop_fake();
	curl_global_cleanup();
	TEST_DONE("test_kube_client");
}
