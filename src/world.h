/*
 * world.h: the boundary between the receiver's logic and where objects
 * live. The handler asks a world for the current snapshot and hands it
 * refreshes to apply; it never knows whether they come from manifest files
 * and SQLite (world_embedded.c) or from a Kubernetes API server.
 */
#ifndef WORLD_H
#define WORLD_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct snapshot;
struct world;

struct refresh_target {
	const char *kind; /* "Warehouse" or "Promotion" */
	const char *namespace;
	const char *name;
};

/*
 * One request's refreshes, applied atomically with its delivery record.
 * The caller owns the job and everything it points to until done() runs.
 */
struct world_job {
	const struct refresh_target *targets;
	size_t n_targets;
	const char *token;            /* the annotation's new value */
	struct delivery_rec delivery; /* written when the refreshes commit */
	/* Filled by the world before done() is called: */
	int status;      /* KW_OK, or KW_EIO when nothing was applied */
	size_t n_failed; /* targets that could not be refreshed; with status
	                    not KW_OK, 0 means every target */
	char failed[200]; /* the first failure ("Warehouse ns/name: 403 Forbidden"),
	                     for the delivery log; "" when none */
	/* Optional, n_targets long, zeroed by the caller: a world that
	 * refreshes targets one by one (Kubernetes) sets target_failed[i] for
	 * each target it could not refresh. When status is not KW_OK every
	 * target counts as failed (the embedded world commits all or none). */
	bool *target_failed;
	void (*done)(struct world_job *job); /* called from a world thread */
	void *arg;
	struct world_job *next; /* the world's own */
};

struct world_ops {
	/* The current snapshot, with a new reference for the caller. */
	struct snapshot *(*snapshot)(struct world *w);
	/* Queues job. KW_OK: job->done will be called (from another thread)
	 * once the refreshes are durable or have failed. KW_EBUSY: the world
	 * cannot keep up; done is not called. */
	int (*submit)(struct world *w, struct world_job *job);
	/* Records a delivery that refreshed nothing; copies d, never waits,
	 * and may drop it under back-pressure. */
	void (*log_delivery)(struct world *w, const struct delivery_rec *d);
	/* The answer already given to a successful delivery with this
	 * request id at this receiver: KW_OK with *status and answer filled,
	 * KW_ENOTFOUND, or KW_EIO. */
	int (*find_delivery)(struct world *w, const char *receiver,
		const char *request_id, int *status, char *answer,
		size_t answer_len);
	/* Rebuilds the snapshot from its sources; keeps the old one when the
	 * new one is invalid (KW_EINVAL, errors logged). */
	int (*reload)(struct world *w);
	/* Whether the world can serve (the state is writable). Fills why with
	 * the reason it cannot, or, when it can, with what is degraded
	 * ("" when nothing is): a rejected reload, a missing Secret. */
	bool (*ready)(struct world *w, char *why, size_t why_len);
	/* Shutting down: later submits fail with KW_EBUSY, and every job
	 * still queued (not yet being written) is done at once with KW_EBUSY,
	 * so no request waits past the shutdown grace period. */
	void (*cancel)(struct world *w);
	/* Stops threads after finishing queued jobs, frees everything. */
	void (*free)(struct world *w);
};

struct world {
	const struct world_ops *ops;
};

static inline struct snapshot *world_snapshot(struct world *w)
{
	return w->ops->snapshot(w);
}

static inline int world_submit(struct world *w, struct world_job *job)
{
	return w->ops->submit(w, job);
}

static inline void world_log_delivery(struct world *w,
	const struct delivery_rec *d)
{
	w->ops->log_delivery(w, d);
}

static inline int world_find_delivery(struct world *w, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len)
{
	return w->ops->find_delivery(w, receiver, request_id, status, answer,
		answer_len);
}

static inline int world_reload(struct world *w)
{
	return w->ops->reload(w);
}

static inline bool world_ready(struct world *w, char *why, size_t why_len)
{
	return w->ops->ready(w, why, why_len);
}

static inline void world_cancel(struct world *w)
{
	w->ops->cancel(w);
}

static inline void world_free(struct world *w)
{
	if (w != NULL)
		w->ops->free(w);
}

#endif
