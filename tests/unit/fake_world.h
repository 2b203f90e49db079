/*
 * fake_world.h: a world (world.h) for unit tests: submit applies at once
 * and records the first target, the delivery log only counts, and
 * find_delivery knows one request id, "seen". Header-only; each test
 * program includes it once.
 */
#ifndef FAKE_WORLD_H
#define FAKE_WORLD_H

#include "handler.h"
#include "kw.h"
#include "snapshot.h"
#include "world.h"

#include <stdio.h>
#include <string.h>

struct fake {
	struct world base;
	struct snapshot *snap;
	int submit_rc;     /* what submit answers */
	int job_status;    /* what the job ends with */
	size_t submitted;
	size_t logged;
	char last_target[128];
	int last_logged_status;
};

static struct snapshot *fake_snapshot(struct world *w)
{
	return snapshot_ref(((struct fake *)w)->snap);
}

static int fake_submit(struct world *w, struct world_job *job)
{
	struct fake *f = (struct fake *)w;

	if (f->submit_rc != KW_OK)
		return f->submit_rc;
	f->submitted++;
	snprintf(f->last_target, sizeof(f->last_target), "%s %s/%s",
		job->targets[0].kind, job->targets[0].namespace, job->targets[0].name);
	job->status = f->job_status;
	job->n_failed = 0;
	job->done(job);
	return KW_OK;
}

static void fake_log(struct world *w, const struct delivery_rec *d)
{
	struct fake *f = (struct fake *)w;

	f->logged++;
	f->last_logged_status = d->status;
}

static int fake_find(struct world *w, const char *receiver, const char *id,
	int *status, char *answer, size_t len)
{
	(void)w;
	(void)receiver;
	if (strcmp(id, "seen") != 0)
		return KW_ENOTFOUND;
	*status = 200;
	snprintf(answer, len, "{\"msg\":\"refreshed 7 warehouse(s)\"}\n");
	return KW_OK;
}

static int fake_reload(struct world *w)
{
	(void)w;
	return KW_OK;
}

static bool fake_ready(struct world *w, char *why, size_t len)
{
	(void)w;
	snprintf(why, len, "not today");
	return false;
}

static void fake_cancel(struct world *w)
{
	(void)w;
}

static void fake_free(struct world *w)
{
	(void)w;
}

static const struct world_ops fake_ops = {
	.snapshot = fake_snapshot, .submit = fake_submit, .log_delivery = fake_log,
	.find_delivery = fake_find, .reload = fake_reload, .ready = fake_ready,
	.cancel = fake_cancel, .free = fake_free,
};

static inline void fake_done(struct world_job *job)
{
	(void)job;
}

/* One POST through the handler's steps to the receiver named name (path
 * "/none" when there is none): req->path is filled, the rest is the
 * caller's. The answer; its big_body is the caller's to free. */
static inline struct handler_response fake_post(struct fake *w,
	const char *name, struct handler_request *req)
{
	struct handler_env env = { &w->base, NULL, NULL };
	struct handler_ctx ctx = { 0 };
	struct handler_response resp = { 0 };
	const struct snap_receiver *r;
	size_t n;

	r = snapshot_receivers(w->snap, &n);
	while (n > 0 && strcmp(r->name, name) != 0) {
		r++;
		n--;
	}
	req->path = n > 0 ? r->path : "/none";
	if (handler_route(&ctx, &env, "POST", req->path, "c", (long long)req->body_len,
	    req->headers, &resp) == HANDLER_READ &&
	    handler_request(&ctx, req, &resp, fake_done, NULL) == HANDLER_WAIT)
		handler_finish(&ctx, &resp);
	handler_ctx_clear(&ctx);
	return resp;
}

#endif
