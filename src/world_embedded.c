/*
 * world_embedded.c: the world of manifest files and SQLite (see
 * world_embedded.h). Three kinds of threads meet here: request threads
 * read the snapshot and queue jobs; one writer thread owns the store and
 * commits every queued job in one transaction; an optional watcher thread
 * polls the manifest files and reloads when they change.
 */
#include "world_embedded.h"

#include "dirwalk.h"
#include "kw.h"
#include "log.h"
#include "manifest.h"
#include "snapshot_build.h"
#include "store.h"
#include "world.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct embedded {
	struct world base;
	struct world_embedded_options opts;

	pthread_mutex_t reload_lock; /* one reload at a time */
	pthread_mutex_t snap_lock;
	struct snapshot *snap;
	char degraded[256]; /* what readiness reports besides "ready"; "" when fine */

	pthread_mutex_t lock; /* guards the queue and the flags below */
	pthread_cond_t wake;
	struct world_job *head, *tail;
	size_t queued;      /* refresh jobs waiting */
	size_t queued_logs; /* log-only jobs waiting: bounded on their own */
	bool stopping;
	bool cancelled; /* shutting down: no new jobs */
	bool store_ok;
	bool writer_started;
	pthread_t writer;
	struct store *store;

	pthread_mutex_t reader_lock; /* the reader is one connection */
	struct store *reader;

	pthread_t watcher;
	bool watching;
	uint64_t fingerprint;
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

static struct embedded *from_world(struct world *w)
{
	return (struct embedded *)w;
}

int world_embedded_load(struct snapshot **out,
	const struct world_embedded_options *opts, struct diag_list *dl)
{
	struct manifest_options mo = { opts->snap.system_namespace, false };
	struct obj_set *objs = NULL;
	int rc;

	rc = manifest_load_with(&objs, dl, opts->manifest_paths, opts->n_manifest_paths, &mo);
	return snapshot_build(out, objs, rc, &opts->snap, false, dl);
}

static struct snapshot *embedded_snapshot(struct world *w)
{
	struct embedded *e = from_world(w);
	struct snapshot *s;

	pthread_mutex_lock(&e->snap_lock);
	s = snapshot_ref(e->snap);
	pthread_mutex_unlock(&e->snap_lock);
	return s;
}

static void log_diags(const struct diag_list *dl)
{
	for (size_t i = 0; i < dl->n; i++) {
		const struct diag *d = &dl->items[i];
		char pos[64];

		snprintf(pos, sizeof(pos), "%zu:%zu", d->line, d->column);
		log_kv(d->severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN,
			"manifest problem", "file", d->file, "pos", pos, "key", d->key,
			"problem", d->message, NULL);
	}
}

/* Readiness names what the configuration serves without (receivers left
 * out, none at all, unknown kinds skipped). */
static void set_unserved_reason(struct embedded *e, const struct snapshot *s)
{
	snapshot_warnings_text(s, e->degraded, sizeof(e->degraded));
}

static int embedded_reload(struct world *w)
{
	struct embedded *e = from_world(w);
	struct diag_list dl = { 0 };
	struct snapshot *s = NULL, *old;
	int rc;

	/* Reloads come from the signal thread and the watcher thread;
	 * reload_lock serializes them. */
	pthread_mutex_lock(&e->reload_lock);
	rc = world_embedded_load(&s, &e->opts, &dl);
	log_diags(&dl);
	pthread_mutex_lock(&e->snap_lock);
	if (rc != KW_OK) {
		snprintf(e->degraded, sizeof(e->degraded),
			"last reload failed: %zu manifest error(s); serving the previous configuration",
			dl.n_errors);
		pthread_mutex_unlock(&e->snap_lock);
		log_kv(LOG_ERROR, "reload rejected; previous configuration kept", NULL);
		pthread_mutex_unlock(&e->reload_lock);
		diag_clear(&dl);
		return rc;
	}
	old = e->snap;
	e->snap = s;
	set_unserved_reason(e, s);
	pthread_mutex_unlock(&e->snap_lock);
	pthread_mutex_unlock(&e->reload_lock);
	snapshot_unref(old);
	log_kv(LOG_INFO, "configuration loaded", NULL);
	diag_clear(&dl);
	return KW_OK;
}

/* Ready means able to serve: the state is writable. A rejected reload or
 * a missing Secret leaves the server serving, so they are reported in why
 * with readiness kept (a probe must not take a serving pod out). */
static bool embedded_ready(struct world *w, char *why, size_t why_len)
{
	struct embedded *e = from_world(w);
	bool ok;

	pthread_mutex_lock(&e->lock);
	ok = e->store_ok;
	pthread_mutex_unlock(&e->lock);
	if (!ok) {
		snprintf(why, why_len, "state database is not writable");
		return false;
	}
	pthread_mutex_lock(&e->snap_lock);
	snprintf(why, why_len, "%s", e->degraded);
	pthread_mutex_unlock(&e->snap_lock);
	return true;
}

static int enqueue(struct embedded *e, struct world_job *job)
{
	bool log = is_log_job(job);
	size_t *count = log ? &e->queued_logs : &e->queued;

	pthread_mutex_lock(&e->lock);
	if (*count >= e->opts.queue_max || e->stopping || e->cancelled) {
		pthread_mutex_unlock(&e->lock);
		return KW_EBUSY;
	}
	job->next = NULL;
	if (e->tail != NULL)
		e->tail->next = job;
	else
		e->head = job;
	e->tail = job;
	(*count)++;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	return KW_OK;
}

static int embedded_submit(struct world *w, struct world_job *job)
{
	return enqueue(from_world(w), job);
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

static void embedded_log_delivery(struct world *w, const struct delivery_rec *d)
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
	if (fail || enqueue(from_world(w), &lj->job) != KW_OK)
		log_job_done(&lj->job);
}

/* Writes one job's rows inside the open transaction. */
static int apply_job(struct embedded *e, struct world_job *job,
	struct kw_err *err)
{
	int rc = KW_OK;

	for (size_t i = 0; i < job->n_targets && rc == KW_OK; i++)
		rc = store_put_refresh(e->store, job->targets[i].kind,
			job->targets[i].namespace, job->targets[i].name, job->token, err);
	if (rc == KW_OK)
		rc = store_put_delivery(e->store, &job->delivery,
			e->opts.deliveries_keep, err);
	return rc;
}

/* Commits jobs first..stop in one transaction. *job_failed tells whether
 * the failure came from one job's own rows (worth retrying the others
 * alone) rather than from the database as a whole (busy, full, I/O). */
static int commit_jobs(struct embedded *e, struct world_job *first,
	struct world_job *stop, bool *job_failed, struct kw_err *err)
{
	int rc = store_begin(e->store, err);

	*job_failed = false;
	for (struct world_job *j = first; j != stop && rc == KW_OK; j = j->next) {
		rc = apply_job(e, j, err);
		*job_failed = rc != KW_OK;
	}
	if (rc == KW_OK)
		return store_commit(e->store, err);
	store_rollback(e->store);
	return rc;
}

static void set_store_ok(struct embedded *e, bool ok, const char *why)
{
	pthread_mutex_lock(&e->lock);
	if (e->store_ok != ok)
		log_kv(ok ? LOG_INFO : LOG_ERROR,
			ok ? "state database writable again" : "state database write failed",
			"error", why, NULL);
	e->store_ok = ok;
	pthread_mutex_unlock(&e->lock);
}

/* Commits a batch. When one job's rows fail, each job is tried on its own
 * so it cannot fail the others; when the database itself fails, the whole
 * batch fails at once rather than waiting on it once per job. */
static void process_batch(struct embedded *e, struct world_job *batch)
{
	struct kw_err err = { "" };
	struct world_job *next;
	bool job_failed, retry, any_ok = false;
	int rc = commit_jobs(e, batch, NULL, &job_failed, &err);

	/* Decided once for the whole batch: each retry overwrites job_failed. */
	retry = rc != KW_OK && job_failed;
	for (struct world_job *j = batch; j != NULL; j = j->next) {
		if (retry)
			j->status = commit_jobs(e, j, j->next, &job_failed, &err);
		else
			j->status = rc;
		j->n_failed = j->status == KW_OK ? 0 : j->n_targets;
		any_ok = any_ok || j->status == KW_OK;
	}
	set_store_ok(e, any_ok, err.msg);
	for (struct world_job *j = batch; j != NULL; j = next) {
		next = j->next;
		j->done(j);
	}
}

/* While the state is not writable, try a write every second so readiness
 * comes back without waiting for a request (a readiness probe may have
 * taken the traffic away). */
static void probe_store(struct embedded *e)
{
	struct kw_err err = { "" };

	if (store_probe(e->store, &err) == KW_OK)
		set_store_ok(e, true, NULL);
}

static void *writer_main(void *arg)
{
	struct embedded *e = arg;
	struct world_job *batch;
	bool probe;

	for (;;) {
		pthread_mutex_lock(&e->lock);
		while (e->head == NULL && !e->stopping && e->store_ok)
			pthread_cond_wait(&e->wake, &e->lock);
		if (e->head == NULL && !e->stopping && !e->store_ok) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&e->wake, &e->lock, &ts);
		}
		batch = e->head;
		e->head = e->tail = NULL;
		e->queued = e->queued_logs = 0;
		probe = batch == NULL && !e->store_ok && !e->stopping;
		if (batch == NULL && e->stopping) {
			pthread_mutex_unlock(&e->lock);
			break; /* stopping, and nothing left to do */
		}
		pthread_mutex_unlock(&e->lock);
		if (probe)
			probe_store(e);
		else if (batch != NULL)
			process_batch(e, batch);
	}
	return NULL;
}

/* The watcher's fingerprint: FNV-1a over the names, sizes, modification
 * times and inodes of the files the loader would read (the same walk,
 * dirwalk.h), and the paths it could not walk: cheap enough to poll every
 * second. */
struct fingerprint {
	uint64_t h;
	size_t budget; /* files hashed; past it the loader refuses anyway */
};

static bool fingerprint_file(void *ctx, const char *path, const struct stat *st,
	bool named)
{
	struct fingerprint *fp = ctx;

	(void)named;
	fp->h = kw_fnv1a(fp->h, path, strlen(path));
	fp->h = kw_fnv1a(fp->h, &st->st_size, sizeof(st->st_size));
	fp->h = kw_fnv1a(fp->h, &st->st_mtim, sizeof(st->st_mtim));
	fp->h = kw_fnv1a(fp->h, &st->st_ino, sizeof(st->st_ino));
	return --fp->budget > 0;
}

static void fingerprint_problem(void *ctx, const char *path, int err, const char *msg)
{
	struct fingerprint *fp = ctx;

	(void)msg;
	fp->h = kw_fnv1a(fp->h, path, strlen(path));
	fp->h = kw_fnv1a(fp->h, &err, sizeof(err));
}

static uint64_t fingerprint(const struct embedded *e)
{
	struct fingerprint fp = { KW_FNV1A_INIT, MANIFEST_MAX_FILES + 1 };
	struct dirwalk_visitor v = { fingerprint_file, fingerprint_problem, &fp };

	if (dirwalk(e->opts.manifest_paths, e->opts.n_manifest_paths, &v) != KW_OK)
		return 0; /* out of memory: the next poll tries again */
	return fp.h;
}

static void *watcher_main(void *arg)
{
	struct embedded *e = arg;
	bool stop = false;

	while (!stop) {
		uint64_t f;

		for (int i = 0; i < 10 && !stop; i++) {
			usleep(100 * 1000);
			pthread_mutex_lock(&e->lock);
			stop = e->stopping;
			pthread_mutex_unlock(&e->lock);
		}
		f = fingerprint(e);
		if (!stop && f != e->fingerprint) {
			e->fingerprint = f;
			log_kv(LOG_INFO, "manifests changed; reloading", NULL);
			embedded_reload(&e->base);
		}
	}
	return NULL;
}

static void embedded_free(struct world *w)
{
	struct embedded *e = from_world(w);

	pthread_mutex_lock(&e->lock);
	e->stopping = true;
	pthread_cond_broadcast(&e->wake);
	pthread_mutex_unlock(&e->lock);
	if (e->watching)
		pthread_join(e->watcher, NULL);
	if (e->writer_started)
		pthread_join(e->writer, NULL);
	store_close(e->store);
	store_close(e->reader);
	pthread_mutex_destroy(&e->reader_lock);
	snapshot_unref(e->snap);
	pthread_mutex_destroy(&e->lock);
	pthread_mutex_destroy(&e->snap_lock);
	pthread_mutex_destroy(&e->reload_lock);
	pthread_cond_destroy(&e->wake);
	free(e);
}

static int embedded_find_delivery(struct world *w, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len)
{
	struct embedded *e = from_world(w);
	char *found_answer = NULL;
	bool found = false;
	int rc;

	pthread_mutex_lock(&e->reader_lock);
	rc = store_find_delivery(e->reader, receiver, request_id, &found, status,
		&found_answer, NULL);
	pthread_mutex_unlock(&e->reader_lock);
	if (rc == KW_OK && found)
		snprintf(answer, answer_len, "%s", found_answer);
	free(found_answer);
	if (rc != KW_OK)
		return rc;
	return found ? KW_OK : KW_ENOTFOUND;
}

static void embedded_cancel(struct world *w)
{
	struct embedded *e = from_world(w);
	struct world_job *queued, *next;

	pthread_mutex_lock(&e->lock);
	e->cancelled = true;
	queued = e->head;
	e->head = e->tail = NULL;
	e->queued = e->queued_logs = 0;
	pthread_mutex_unlock(&e->lock);
	for (struct world_job *j = queued; j != NULL; j = next) {
		next = j->next;
		j->status = KW_EBUSY;
		j->n_failed = j->n_targets;
		j->done(j);
	}
}

static const struct world_ops embedded_ops = {
	.snapshot = embedded_snapshot,
	.submit = embedded_submit,
	.log_delivery = embedded_log_delivery,
	.find_delivery = embedded_find_delivery,
	.reload = embedded_reload,
	.ready = embedded_ready,
	.cancel = embedded_cancel,
	.free = embedded_free,
};

static int start_threads(struct embedded *e, struct kw_err *err)
{
	if (pthread_create(&e->writer, NULL, writer_main, e) != 0)
		return kw_errf(err, KW_ENOMEM, "cannot start the writer thread");
	e->writer_started = true;
	if (e->opts.watch) {
		e->fingerprint = fingerprint(e);
		if (pthread_create(&e->watcher, NULL, watcher_main, e) != 0)
			return kw_errf(err, KW_ENOMEM, "cannot start the watcher thread");
		e->watching = true;
	}
	return KW_OK;
}

int world_embedded_new(struct world **out,
	const struct world_embedded_options *opts, struct diag_list *dl,
	struct kw_err *err)
{
	struct embedded *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (e == NULL)
		return KW_ENOMEM;
	e->base.ops = &embedded_ops;
	e->opts = *opts;
	e->store_ok = true;
	pthread_mutex_init(&e->snap_lock, NULL);
	pthread_mutex_init(&e->reload_lock, NULL);
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->reader_lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	rc = world_embedded_load(&e->snap, opts, dl);
	if (rc == KW_EINVAL)
		kw_errf(err, rc, "the configuration has %zu error(s)", dl->n_errors);
	if (rc == KW_OK) {
		set_unserved_reason(e, e->snap);
		rc = store_open(&e->store, opts->state_path, false, err);
	}
	if (rc == KW_OK && opts->sync_normal)
		rc = store_set_sync(e->store, false, err);
	if (rc == KW_OK)
		rc = store_open(&e->reader, opts->state_path, true, err);
	if (rc == KW_OK)
		rc = start_threads(e, err);
	if (rc != KW_OK) {
		embedded_free(&e->base);
		return rc;
	}
	*out = &e->base;
	return KW_OK;
}
