/* Tests src/world_embedded.c's writer through the world.h interface only
 * (so the test holds wherever the writer lives): when one job's rows fail
 * inside a group commit, the other jobs of the batch still commit, each
 * on its own; shutting down answers the jobs still queued at once. To get
 * several jobs into one batch, the first job's done() holds the writer
 * thread until the others are queued. */
#include "kw.h"
#include "manifest.h"
#include "test.h"
#include "world.h"
#include "world_embedded.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char dir[] = "/tmp/kw-world-XXXXXX";
static char manifests[256], state[256];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static size_t n_done;       /* jobs whose done() ran */
static bool holding;        /* the holding job's done() is running */
static bool release;        /* the holding job may return */

struct test_job {
	struct world_job job;
	struct refresh_target target;
	char name[16];
};

/* Waits (up to 10 s) until *flag, or n_done reaches want when flag is NULL. */
static bool wait_until(const bool *flag, size_t want)
{
	struct timespec deadline;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&lock);
	while (!(flag ? *flag : n_done >= want) &&
	       pthread_cond_timedwait(&changed, &lock, &deadline) == 0)
		;
	ok = flag ? *flag : n_done >= want;
	pthread_mutex_unlock(&lock);
	return ok;
}

static void on_done(struct world_job *job)
{
	(void)job;
	pthread_mutex_lock(&lock);
	n_done++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

/* Holds the writer thread until the test sets release. */
static void on_done_hold(struct world_job *job)
{
	struct timespec deadline;

	(void)job;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&lock);
	holding = true;
	pthread_cond_broadcast(&changed);
	while (!release && pthread_cond_timedwait(&changed, &lock, &deadline) == 0)
		;
	holding = false;
	n_done++;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static void job_init(struct test_job *t, const char *name, const char *token,
	void (*done)(struct world_job *))
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->target = (struct refresh_target){ "Warehouse", "p", t->name };
	t->job.targets = &t->target;
	t->job.n_targets = 1;
	t->job.token = token;
	t->job.delivery = (struct delivery_rec){ .time = "2026-01-01T00:00:00Z",
		.receiver = "p/r", .event = "repo:push", .request_id = t->name,
		.attempt = 1, .status = 200, .answer = "{\"msg\":\"refreshed 1 warehouse(s)\"}\n",
		.refreshed = "Warehouse p/x" };
	t->job.done = done;
	t->job.status = -1;
}

/* Submits a job whose done() holds the writer, and waits until it does. */
static bool hold_writer(struct world *w, struct test_job *t)
{
	pthread_mutex_lock(&lock);
	release = false;
	pthread_mutex_unlock(&lock);
	job_init(t, "hold", "t0", on_done_hold);
	CHECK_INT(world_submit(w, &t->job), KW_OK);
	return wait_until(&holding, 0);
}

static void release_writer(void)
{
	pthread_mutex_lock(&lock);
	release = true;
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&lock);
}

static bool committed(struct world *w, const char *request_id)
{
	char answer[128];
	int status = 0;

	return world_find_delivery(w, "p/r", request_id, &status, answer,
		sizeof(answer)) == KW_OK && status == 200;
}

/* One batch of three: the middle job's refresh row breaks a NOT NULL
 * constraint (no token), standing in for any one job's rows failing. */
static void test_retry_after_failed_batch(struct world *w)
{
	struct test_job hold, a, bad, c;
	char why[256];

	if (!hold_writer(w, &hold)) {
		CHECK_MSG(false, "the writer never ran the first job");
		release_writer();
		return;
	}
	job_init(&a, "a", "t1", on_done);
	job_init(&bad, "bad", NULL, on_done);
	job_init(&c, "c", "t1", on_done);
	CHECK_INT(world_submit(w, &a.job), KW_OK);
	CHECK_INT(world_submit(w, &bad.job), KW_OK);
	CHECK_INT(world_submit(w, &c.job), KW_OK);
	release_writer();
	CHECK(wait_until(NULL, 4));
	CHECK_INT(hold.job.status, KW_OK);
	CHECK_INT(a.job.status, KW_OK);
	CHECK_INT(a.job.n_failed, 0);
	CHECK_INT(bad.job.status, KW_EIO);
	CHECK_INT(bad.job.n_failed, 1);
	CHECK_INT(c.job.status, KW_OK);
	CHECK_INT(c.job.n_failed, 0);
	CHECK(committed(w, "a"));
	CHECK(committed(w, "c"));
	CHECK(!committed(w, "bad"));
	/* One job's bad rows do not make the state unwritable. */
	CHECK(world_ready(w, why, sizeof(why)));
}

/* Shutting down: a job still queued behind the batch being written is
 * answered at once with KW_EBUSY, and later submits are refused. */
static void test_cancel(struct world *w)
{
	struct test_job hold, queued, late;
	size_t before;

	if (!hold_writer(w, &hold)) {
		CHECK_MSG(false, "the writer never ran the first job");
		release_writer();
		return;
	}
	pthread_mutex_lock(&lock);
	before = n_done;
	pthread_mutex_unlock(&lock);
	job_init(&queued, "queued", "t2", on_done);
	CHECK_INT(world_submit(w, &queued.job), KW_OK);
	world_cancel(w);
	CHECK_INT(queued.job.status, KW_EBUSY);
	CHECK_INT(queued.job.n_failed, 1);
	CHECK(wait_until(NULL, before + 1));
	job_init(&late, "late", "t2", on_done);
	CHECK_INT(world_submit(w, &late.job), KW_EBUSY);
	release_writer();
	CHECK(wait_until(NULL, before + 2));
	CHECK(!committed(w, "queued"));
}

int main(void)
{
	const char *paths[1] = { manifests };
	struct world_embedded_options o = {
		.manifest_paths = paths, .n_manifest_paths = 1, .state_path = state,
		.snap = { "http://localhost:8080", "kargo-system-resources" },
		.deliveries_keep = 100, .queue_max = 16,
	};
	struct diag_list dl = { 0 };
	struct kw_err err = { "" };
	struct world *w = NULL;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(manifests, sizeof(manifests), "%s/m.yaml", dir);
	snprintf(state, sizeof(state), "%s/state.db", dir);
	f = fopen(manifests, "w");
	if (f == NULL)
		return 1;
	fputs("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
		"metadata: {name: a, namespace: p}\n"
		"spec: {subscriptions: [{git: {repoURL: 'https://h/r'}}]}\n", f);
	fclose(f);
	CHECK_INT(world_embedded_new(&w, &o, &dl, &err), KW_OK);
	diag_clear(&dl);
	if (w != NULL) {
		test_retry_after_failed_batch(w);
		test_cancel(w);
		world_free(w);
	}
	unlink(manifests);
	test_unlink_db(state);
	rmdir(dir);
	TEST_DONE("test_world_embedded");
}
