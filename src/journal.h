/*
 * journal.h: the local delivery journal every world shares: a SQLite
 * state database, a bounded queue of jobs and one writer thread that
 * commits every queued job in one transaction (group commit), so
 * durability does not cap throughput. A world decides what a job writes
 * besides its delivery row through the apply callback: the embedded world
 * stores refresh rows there, the Kubernetes world (which refreshed by
 * merge patches before queueing) writes nothing more.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

struct delivery_rec;
struct journal;
struct kw_err;
struct store;
struct world_job;

struct journal_options {
	const char *state_path;
	size_t deliveries_keep; /* delivery log retention, in rows */
	size_t queue_max;       /* pending jobs before KW_EBUSY */
	bool sync_normal;       /* commits not synced to disk (see store_set_sync) */
	/* Writes a job's own rows inside the open transaction, before its
	 * delivery row (called from the writer thread). NULL: none. */
	int (*apply)(void *arg, struct store *st, const struct world_job *job,
		struct kw_err *err);
	void *apply_arg;
};

/* Opens the state database and starts the writer thread. KW_EIO (with
 * err) when the database cannot be opened, KW_ENOMEM. */
int journal_open(struct journal **out, const struct journal_options *opts,
	struct kw_err *err);

/* Queues job. KW_OK: job->done is called from the writer thread once its
 * rows are committed (status KW_OK) or failed (KW_EIO). KW_EBUSY: the queue
 * is full or the journal is cancelled; done is not called. */
int journal_submit(struct journal *j, struct world_job *job);

/* Queues a delivery that refreshed nothing (copied; bounded on its own;
 * dropped under back-pressure). Never waits. */
void journal_log_delivery(struct journal *j, const struct delivery_rec *d);

/* See world_ops.find_delivery. */
int journal_find_delivery(struct journal *j, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len);

/* Whether the last write succeeded (a failed one is probed every second
 * until it succeeds again, so readiness comes back without a request).
 * Before each batch and once a second while idle, the writer also checks
 * that the state path still names the file it opened (store_check_file);
 * a removed or replaced file fails writes until the probe a second later
 * opens a fresh database at the path. */
bool journal_writable(struct journal *j);

/* journal_writable, and when not, why ("state database is not writable:
 * <cause>", e.g. the file was removed) into why. */
bool journal_writable_why(struct journal *j, char *why, size_t why_len);

/* See world_ops.cancel: later submits fail, queued jobs are done at once
 * with KW_EBUSY. */
void journal_cancel(struct journal *j);

/* Finishes the queued jobs, stops the writer, frees. Accepts NULL. */
void journal_close(struct journal *j);

#endif
