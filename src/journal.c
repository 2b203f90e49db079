/*
 * journal.c: the delivery journal (see journal.h). Request threads queue
 * jobs; one writer thread owns the store and commits every queued job in
 * one transaction; a reader connection answers find_delivery without
 * waiting for the writer.
 */
#include "journal.h"

#include "kw.h"
#include "log.h"
#include "store.h"
#include "world.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct journal {
	struct journal_options opts;

	pthread_mutex_t lock; /* guards the queue and the flags below */
	pthread_cond_t wake;
	struct world_job *head, *tail;
	size_t queued;      /* refresh jobs waiting */
	size_t queued_logs; /* log-only jobs waiting: bounded on their own */
	bool stopping;
	bool cancelled; /* shutting down: no new jobs */
	bool store_ok;
	char store_why[256]; /* why not store_ok, for readiness */
	double failed_at;    /* kw_monotonic() of the last failure or probe */
	bool writer_started;
	pthread_t writer;
	struct store *store;

	pthread_mutex_t reader_lock; /* the reader is one connection */
	struct store *reader;
};

/* A delivery that refreshed nothing: the job owns copies of its strings. */
struct log_job {
	struct world_job job;
	char *strings[6];
};

/* Marks a job as log-only (it refreshes nothing and nobody waits). */
static void log_job_done(struct world_job *job);

static bool is_log_job(const struct world_job *job)
{
	return job->done == log_job_done;
}

static int enqueue(struct journal *j, struct world_job *job)
{
	bool log = is_log_job(job);
	size_t *count = log ? &j->queued_logs : &j->queued;

	pthread_mutex_lock(&j->lock);
	if (*count >= j->opts.queue_max || j->stopping || j->cancelled) {
		pthread_mutex_unlock(&j->lock);
		return KW_EBUSY;
	}
	job->next = NULL;
	if (j->tail != NULL)
		j->tail->next = job;
	else
		j->head = job;
	j->tail = job;
	(*count)++;
	pthread_cond_signal(&j->wake);
	pthread_mutex_unlock(&j->lock);
	return KW_OK;
}

int journal_submit(struct journal *j, struct world_job *job)
{
	return enqueue(j, job);
}

static void log_job_done(struct world_job *job)
{
	struct log_job *lj = (struct log_job *)job;

	for (size_t i = 0; i < KW_ARRAY_LEN(lj->strings); i++)
		free(lj->strings[i]);
	free(lj);
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = strdup(s);
	if (p == NULL)
		*fail = true;
	return p;
}

void journal_log_delivery(struct journal *j, const struct delivery_rec *d)
{
	struct log_job *lj = calloc(1, sizeof(*lj));
	bool fail = false;

	if (lj == NULL)
		return;
	lj->job.delivery = *d;
	lj->job.delivery.time = lj->strings[0] = dup_or_null(d->time, &fail);
	lj->job.delivery.receiver = lj->strings[1] = dup_or_null(d->receiver, &fail);
	lj->job.delivery.event = lj->strings[2] = dup_or_null(d->event, &fail);
	lj->job.delivery.request_id = lj->strings[3] = dup_or_null(d->request_id, &fail);
	lj->job.delivery.answer = lj->strings[4] = dup_or_null(d->answer, &fail);
	lj->job.delivery.refreshed = lj->strings[5] = dup_or_null(d->refreshed, &fail);
	lj->job.done = log_job_done;
	if (fail || enqueue(j, &lj->job) != KW_OK)
		log_job_done(&lj->job);
}

/* Writes one job's rows inside the open transaction. */
static int apply_job(struct journal *j, struct world_job *job,
	struct kw_err *err)
{
	int rc = KW_OK;

	if (j->opts.apply != NULL && !is_log_job(job))
		rc = j->opts.apply(j->opts.apply_arg, j->store, job, err);
	if (rc == KW_OK)
		rc = store_put_delivery(j->store, &job->delivery,
			j->opts.deliveries_keep, err);
	return rc;
}

/* Commits jobs first..stop in one transaction. *job_failed tells whether
 * the failure came from one job's own rows (worth retrying the others
 * alone) rather than from the database as a whole (busy, full, I/O). */
static int commit_jobs(struct journal *j, struct world_job *first,
	struct world_job *stop, bool *job_failed, struct kw_err *err)
{
	int rc = store_begin(j->store, err);

	*job_failed = false;
	for (struct world_job *w = first; w != stop && rc == KW_OK; w = w->next) {
		rc = apply_job(j, w, err);
		*job_failed = rc != KW_OK;
	}
	if (rc == KW_OK)
		return store_commit(j->store, err);
	store_rollback(j->store);
	return rc;
}

static void set_store_ok(struct journal *j, bool ok, const char *why)
{
	pthread_mutex_lock(&j->lock);
	if (j->store_ok != ok)
		log_kv(ok ? LOG_INFO : LOG_ERROR,
			ok ? "state database writable again" : "state database write failed",
			"error", why, NULL);
	if (j->store_ok && !ok)
		j->failed_at = kw_monotonic();
	j->store_ok = ok;
	snprintf(j->store_why, sizeof(j->store_why), "%s", why ? why : "");
	pthread_mutex_unlock(&j->lock);
}

/* Commits a batch. When one job's rows fail, each job is tried on its own
 * so it cannot fail the others; when the database itself fails, the whole
 * batch fails at once rather than waiting on it once per job. */
static void process_batch(struct journal *j, struct world_job *batch)
{
	struct kw_err err = { "" };
	struct world_job *next;
	bool job_failed = false, retry, any_ok = false;
	/* A removed or replaced file takes no more writes (see reopen_store). */
	int rc = store_check_file(j->store, &err);

	if (rc == KW_OK)
		rc = commit_jobs(j, batch, NULL, &job_failed, &err);

	/* Decided once for the whole batch: each retry overwrites job_failed. */
	retry = rc != KW_OK && job_failed;
	for (struct world_job *w = batch; w != NULL; w = w->next) {
		if (retry)
			w->status = commit_jobs(j, w, w->next, &job_failed, &err);
		else
			w->status = rc;
		w->n_failed = w->status == KW_OK ? 0 : w->n_targets;
		any_ok = any_ok || w->status == KW_OK;
	}
	set_store_ok(j, any_ok, err.msg);
	for (struct world_job *w = batch; w != NULL; w = next) {
		next = w->next;
		w->done(w);
	}
}

/* The state file was removed or replaced while serving (rm state.db*):
 * SQLite would go on writing to a file nobody reads again, and every 200
 * would be a lost refresh. So writes fail (503) from the moment it is
 * noticed, and the probe a second later opens a fresh database at the
 * path, the reader too. A no-op while the file is the one open. */
static int reopen_store(struct journal *j, struct kw_err *err)
{
	struct store *w = NULL, *r = NULL;
	int rc;

	if (store_check_file(j->store, err) == KW_OK)
		return KW_OK;
	rc = store_open(&w, j->opts.state_path, false, err);
	if (rc == KW_OK && j->opts.sync_normal)
		rc = store_set_sync(w, false, err);
	if (rc == KW_OK)
		rc = store_open(&r, j->opts.state_path, true, err);
	if (rc != KW_OK) {
		store_close(w);
		return rc;
	}
	store_close(j->store);
	j->store = w;
	pthread_mutex_lock(&j->reader_lock);
	store_close(j->reader);
	j->reader = r;
	pthread_mutex_unlock(&j->reader_lock);
	log_kv(LOG_WARN, "opened a fresh state database", "path", j->opts.state_path, NULL);
	return KW_OK;
}

/* Once a second while idle: has the state file gone? */
static void watch_store_file(struct journal *j)
{
	struct kw_err err = { "" };

	if (store_check_file(j->store, &err) != KW_OK)
		set_store_ok(j, false, err.msg);
}

/* While the state is not writable, try a write every second so readiness
 * comes back without waiting for a request (a readiness probe may have
 * taken the traffic away); a file that is gone is replaced first. */
static void probe_store(struct journal *j)
{
	struct kw_err err = { "" };

	pthread_mutex_lock(&j->lock);
	j->failed_at = kw_monotonic();
	pthread_mutex_unlock(&j->lock);
	if (reopen_store(j, &err) == KW_OK && store_probe(j->store, &err) == KW_OK)
		set_store_ok(j, true, NULL);
	else
		set_store_ok(j, false, err.msg);
}

static void *writer_main(void *arg)
{
	struct journal *j = arg;
	struct world_job *batch;
	bool probe, watch;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		/* Wakes for work, and once a second to probe an unwritable
		 * state or to look at the state file. */
		if (j->head == NULL && !j->stopping) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&j->wake, &j->lock, &ts);
		}
		batch = j->head;
		j->head = j->tail = NULL;
		j->queued = j->queued_logs = 0;
		/* A probe a second after a failure, traffic or not. */
		probe = !j->store_ok && !j->stopping && kw_monotonic() - j->failed_at >= 1.0;
		watch = batch == NULL && j->store_ok && !j->stopping;
		if (batch == NULL && j->stopping) {
			pthread_mutex_unlock(&j->lock);
			break; /* stopping, and nothing left to do */
		}
		pthread_mutex_unlock(&j->lock);
		if (probe)
			probe_store(j);
		if (watch)
			watch_store_file(j);
		if (batch != NULL)
			process_batch(j, batch);
	}
	return NULL;
}

int journal_find_delivery(struct journal *j, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len)
{
	char *found_answer = NULL;
	bool found = false;
	int rc;

	pthread_mutex_lock(&j->reader_lock);
	rc = store_find_delivery(j->reader, receiver, request_id, &found, status,
		&found_answer, NULL);
	pthread_mutex_unlock(&j->reader_lock);
	if (rc == KW_OK && found)
		snprintf(answer, answer_len, "%s", found_answer);
	free(found_answer);
	if (rc != KW_OK)
		return rc;
	return found ? KW_OK : KW_ENOTFOUND;
}

bool journal_writable(struct journal *j)
{
	return journal_writable_why(j, NULL, 0);
}

bool journal_writable_why(struct journal *j, char *why, size_t why_len)
{
	bool ok;

	pthread_mutex_lock(&j->lock);
	ok = j->store_ok;
	if (!ok && why != NULL)
		snprintf(why, why_len, "state database is not writable%s%s",
			j->store_why[0] ? ": " : "", j->store_why);
	pthread_mutex_unlock(&j->lock);
	return ok;
}

void journal_cancel(struct journal *j)
{
	struct world_job *queued, *next;

	pthread_mutex_lock(&j->lock);
	j->cancelled = true;
	queued = j->head;
	j->head = j->tail = NULL;
	j->queued = j->queued_logs = 0;
	pthread_mutex_unlock(&j->lock);
	for (struct world_job *w = queued; w != NULL; w = next) {
		next = w->next;
		w->status = KW_EBUSY;
		w->n_failed = w->n_targets;
		w->done(w);
	}
}

void journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = true;
	pthread_cond_broadcast(&j->wake);
	pthread_mutex_unlock(&j->lock);
	if (j->writer_started)
		pthread_join(j->writer, NULL);
	store_close(j->store);
	store_close(j->reader);
	pthread_mutex_destroy(&j->reader_lock);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->wake);
	free(j);
}

int journal_open(struct journal **out, const struct journal_options *opts,
	struct kw_err *err)
{
	struct journal *j = calloc(1, sizeof(*j));
	int rc;

	*out = NULL;
	if (j == NULL)
		return KW_ENOMEM;
	j->opts = *opts;
	j->store_ok = true;
	pthread_mutex_init(&j->lock, NULL);
	pthread_mutex_init(&j->reader_lock, NULL);
	pthread_cond_init(&j->wake, NULL);
	rc = store_open(&j->store, opts->state_path, false, err);
	if (rc == KW_OK && opts->sync_normal)
		rc = store_set_sync(j->store, false, err);
	if (rc == KW_OK)
		rc = store_open(&j->reader, opts->state_path, true, err);
	if (rc == KW_OK && pthread_create(&j->writer, NULL, writer_main, j) != 0)
		rc = kw_errf(err, KW_ENOMEM, "cannot start the writer thread");
	if (rc != KW_OK) {
		journal_close(j);
		return rc;
	}
	j->writer_started = true;
	*out = j;
	return KW_OK;
}
