/*
 * world_embedded.c: the world of manifest files and SQLite (see
 * world_embedded.h): objects come from manifests, and a refresh is a row
 * in the state database, written by the delivery journal (journal.c) in
 * the same transaction as the delivery. An optional watcher thread polls
 * the manifest files and reloads when they change.
 */
#include "world_embedded.h"

#include "dirwalk.h"
#include "journal.h"
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
#include <unistd.h>

struct embedded {
	struct world base;
	struct world_embedded_options opts;

	pthread_mutex_t reload_lock; /* one reload at a time */
	pthread_mutex_t snap_lock;
	struct snapshot *snap;
	char degraded[256]; /* what readiness reports besides "ready"; "" when fine */

	struct journal *journal;

	pthread_mutex_t stop_lock;
	bool stopping; /* the watcher stops */
	pthread_t watcher;
	bool watching;
	uint64_t fingerprint;
};

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
		char line[24], column[24];

		snprintf(line, sizeof(line), "%zu", d->line);
		snprintf(column, sizeof(column), "%zu", d->column);
		log_kv(d->severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN,
			"manifest problem", "file", d->file, "#line", line, "#column", column,
			"key", d->key, "problem", d->message, NULL);
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

	if (!journal_writable_why(e->journal, why, why_len))
		return false;
	pthread_mutex_lock(&e->snap_lock);
	snprintf(why, why_len, "%s", e->degraded);
	pthread_mutex_unlock(&e->snap_lock);
	return true;
}

static int embedded_submit(struct world *w, struct world_job *job)
{
	return journal_submit(from_world(w)->journal, job);
}

static void embedded_log_delivery(struct world *w, const struct delivery_rec *d)
{
	journal_log_delivery(from_world(w)->journal, d);
}

/* A job's refresh rows, written in the journal's transaction. */
static int apply_refreshes(void *arg, struct store *st,
	const struct world_job *job, struct kw_err *err)
{
	int rc = KW_OK;

	(void)arg;
	for (size_t i = 0; i < job->n_targets && rc == KW_OK; i++)
		rc = store_put_refresh(st, job->targets[i].kind,
			job->targets[i].namespace, job->targets[i].name, job->token, err);
	return rc;
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
			pthread_mutex_lock(&e->stop_lock);
			stop = e->stopping;
			pthread_mutex_unlock(&e->stop_lock);
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

	pthread_mutex_lock(&e->stop_lock);
	e->stopping = true;
	pthread_mutex_unlock(&e->stop_lock);
	if (e->watching)
		pthread_join(e->watcher, NULL);
	journal_close(e->journal);
	snapshot_unref(e->snap);
	pthread_mutex_destroy(&e->stop_lock);
	pthread_mutex_destroy(&e->snap_lock);
	pthread_mutex_destroy(&e->reload_lock);
	free(e);
}

static int embedded_find_delivery(struct world *w, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len)
{
	return journal_find_delivery(from_world(w)->journal, receiver,
		request_id, status, answer, answer_len);
}

static void embedded_cancel(struct world *w)
{
	journal_cancel(from_world(w)->journal);
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

static int start_watcher(struct embedded *e, struct kw_err *err)
{
	if (!e->opts.watch)
		return KW_OK;
	e->fingerprint = fingerprint(e);
	if (pthread_create(&e->watcher, NULL, watcher_main, e) != 0)
		return kw_errf(err, KW_ENOMEM, "cannot start the watcher thread");
	e->watching = true;
	return KW_OK;
}

int world_embedded_new(struct world **out,
	const struct world_embedded_options *opts, struct diag_list *dl,
	struct kw_err *err)
{
	struct embedded *e = calloc(1, sizeof(*e));
	struct journal_options jo = {
		.state_path = opts->state_path, .deliveries_keep = opts->deliveries_keep,
		.queue_max = opts->queue_max, .sync_normal = opts->sync_normal,
		.apply = apply_refreshes,
	};
	int rc;

	*out = NULL;
	if (e == NULL)
		return KW_ENOMEM;
	e->base.ops = &embedded_ops;
	e->opts = *opts;
	pthread_mutex_init(&e->snap_lock, NULL);
	pthread_mutex_init(&e->reload_lock, NULL);
	pthread_mutex_init(&e->stop_lock, NULL);
	rc = world_embedded_load(&e->snap, opts, dl);
	if (rc == KW_EINVAL)
		kw_errf(err, rc, "the configuration has %zu error(s)", dl->n_errors);
	if (rc == KW_OK) {
		set_unserved_reason(e, e->snap);
		rc = journal_open(&e->journal, &jo, err);
	}
	if (rc == KW_OK)
		rc = start_watcher(e, err);
	if (rc != KW_OK) {
		embedded_free(&e->base);
		return rc;
	}
	*out = &e->base;
	return KW_OK;
}
