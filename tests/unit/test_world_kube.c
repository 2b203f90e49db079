/*
 * test_world_kube.c: the Kubernetes world (src/world_kube.c) against the
 * fake API server: the first snapshot, the one readiness turns on, serves
 * every receiver whose Secret exists. A 404 for a receiver right after
 * /readyz turned 200 was once seen in suite_kube_kinds.py.
 *
 * The world is started again and again while the ProjectConfigs' list is
 * held back by the fake (that cache syncs last, at a moment that varies)
 * and the test thread keeps asking for rebuilds (reload) with almost no
 * pause between them (rebuild_interval 0.1 ms), so the rebuild thread is
 * nearly always inside a rebuild when the list lands: an order that lets a
 * cache sync in the middle of a rebuild shows up within a few rounds.
 * KW_WORLD_KUBE_ROUNDS sets the rounds (default 8; the heavy run in
 * docs/design.md used thousands).
 */
#include "kube.h"
#include "kw.h"
#include "log.h"
#include "snapshot.h"
#include "test.h"
#include "world.h"
#include "world_kube.h"

#include "fake_apiserver.h"

#include <stdlib.h>

#define NS "kinds"
#define SYSTEM_NS "kargo-system"
#define N_RECEIVERS 3
#define N_CLUSTER_RECEIVERS 1000

/* A ProjectConfig naming three Secrets, the Secrets, and a Secret no
 * receiver names (kept as a stub). */
static void put_objects(void)
{
	static const char *const receivers[N_RECEIVERS][3] = {
		/* name, kind, the Secret's key and value (base64 of "v") */
		{ "gh", "github", "secret" },
		{ "gl", "gitlab", "secret-token" },
		{ "dh", "dockerhub", "secret" },
	};
	char args[1024];
	size_t used;

	used = (size_t)snprintf(args, sizeof(args), "[{\"apiVersion\":\"kargo.akuity.io/v1alpha1\","
		"\"kind\":\"ProjectConfig\",\"metadata\":{\"name\":\"" NS "\",\"namespace\":\"" NS "\"},"
		"\"spec\":{\"webhookReceivers\":[");
	for (int i = 0; i < N_RECEIVERS; i++)
		used += (size_t)snprintf(args + used, sizeof(args) - used,
			"%s{\"name\":\"%s\",\"%s\":{\"secretRef\":{\"name\":\"s-%s\"}}}",
			i ? "," : "", receivers[i][0], receivers[i][1], receivers[i][0]);
	snprintf(args + used, sizeof(args) - used, "]}}]");
	ctl0("put", args);
	for (int i = 0; i < N_RECEIVERS; i++) {
		snprintf(args, sizeof(args), "[{\"apiVersion\":\"v1\",\"kind\":\"Secret\","
			"\"type\":\"Opaque\",\"metadata\":{\"name\":\"s-%s\",\"namespace\":\"" NS "\"},"
			"\"data\":{\"%s\":\"dg==\"}}]", receivers[i][0], receivers[i][2]);
		ctl0("put", args);
	}
	ctl0("put", "[{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"type\":\"Opaque\","
		"\"metadata\":{\"name\":\"helm-release\",\"namespace\":\"" NS "\"},"
		"\"data\":{\"release\":\"dg==\"}}]");
}

/* A ClusterConfig with many receivers (their Secrets missing: left out
 * of every snapshot). Each rebuild works through their references, which
 * keeps it long where it once read the configs' caches too early: a
 * ProjectConfigs list landing there was missed about once a round instead
 * of once in a hundred. */
static void put_cluster_config(void)
{
	size_t len = 200 + (size_t)N_CLUSTER_RECEIVERS * 96, used;
	char *args = malloc(len);

	if (args == NULL)
		abort();
	used = (size_t)snprintf(args, len, "[{\"apiVersion\":\"kargo.akuity.io/v1alpha1\","
		"\"kind\":\"ClusterConfig\",\"metadata\":{\"name\":\"cluster\"},"
		"\"spec\":{\"webhookReceivers\":[");
	for (int i = 0; i < N_CLUSTER_RECEIVERS; i++)
		used += (size_t)snprintf(args + used, len - used,
			"%s{\"name\":\"c%d\",\"bitbucket\":{\"secretRef\":{\"name\":\"cs-%d\"}}}",
			i ? "," : "", i, i);
	snprintf(args + used, len - used, "]}}]");
	ctl0("put", args);
	free(args);
}

/* How many receivers of project NS s serves. */
static size_t project_receivers(const struct snapshot *s)
{
	size_t n = 0, k = 0;
	const struct snap_receiver *r = snapshot_receivers(s, &n);

	for (size_t i = 0; i < n; i++)
		k += strcmp(r[i].project, NS) == 0;
	return k;
}

/* One start: asks for rebuilds until the first snapshot exists, then
 * checks that it serves every receiver. Returns false when it did not. */
static bool one_round(const struct kube_config *cfg, int round)
{
	char state[320], why[1024] = "";
	struct world_kube_options o = {
		.config = cfg, .client = { .timeout = 10 }, .state_path = state,
		.snap = { "http://127.0.0.1", SYSTEM_NS }, .deliveries_keep = 100,
		.queue_max = 16, .patch_workers = 1, .rebuild_interval = 0.0001,
	};
	struct kw_err err = { "" };
	struct world *w = NULL;
	struct snapshot *s = NULL;
	double deadline = kw_monotonic() + 60;
	size_t n = 0;
	bool ready = false;

	snprintf(state, sizeof(state), "%s/state-%d.db", dir, round);
	if (world_kube_new(&w, &o, &err) != KW_OK) {
		CHECK_MSG(false, "world_kube_new: %s", err.msg);
		return false;
	}
	while (s == NULL && kw_monotonic() < deadline) {
		world_reload(w); /* keeps the rebuild thread busy */
		if ((s = world_snapshot(w)) == NULL)
			usleep(200);
	}
	CHECK_MSG(s != NULL, "round %d: no snapshot within 60 s", round);
	if (s != NULL) {
		ready = world_ready(w, why, sizeof(why));
		n = project_receivers(s);
	}
	CHECK_MSG(ready && n == N_RECEIVERS, "round %d: the first snapshot serves %zu of "
		"the %d receivers of " NS " (ready %d)", round, n, N_RECEIVERS, ready);
	snapshot_unref(s);
	world_free(w);
	test_unlink_db(state);
	return ready && n == N_RECEIVERS;
}

static void test_first_snapshot_has_every_receiver(const char *kubeconfig, int rounds)
{
	struct kube_config cfg;
	struct kw_err err = { "" };
	int bad = 0;

	if (kube_config_load(&cfg, kubeconfig, &err) != KW_OK) {
		CHECK_MSG(false, "kubeconfig: %s", err.msg);
		return;
	}
	put_objects();
	put_cluster_config();
	for (int i = 0; i < rounds; i++) {
		char args[64];

		/* 30..60 ms: the ProjectConfigs land after the other caches,
		 * at a different point of a rebuild each round */
		snprintf(args, sizeof(args), "[%g, \"ProjectConfig\"]", 0.030 + 0.005 * (i % 7));
		ctl0("set_list_delay", args);
		bad += !one_round(&cfg, i);
	}
	ctl0("clear_faults", NULL);
	kube_config_clear(&cfg);
	printf("test_world_kube: %d rounds, %d first snapshots lacking a receiver\n", rounds, bad);
}

int main(void)
{
	const char *env = getenv("KW_WORLD_KUBE_ROUNDS");
	int rounds = env != NULL && atoi(env) > 0 ? atoi(env) : 8;
	char kc[320];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	log_setup(getenv("KW_WORLD_KUBE_DEBUG") ? LOG_DEBUG : LOG_ERROR, false);
	if (!start_fake()) {
		fprintf(stderr, "the fake API server did not start\n");
		stop_fake();
		CHECK(false);
		TEST_DONE("test_world_kube");
	}
	snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
	test_first_snapshot_has_every_receiver(kc, rounds);
	stop_fake();
	curl_global_cleanup();
	TEST_DONE("test_world_kube");
}
