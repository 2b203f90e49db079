/*
 * handler.c: the order of checks of contract §4, and every status
 * and body the receiver answers. Each step is one call into a module with
 * plain data in and out; nothing here touches sockets or files.
 */
#include "handler.h"

#include "generic.h"
#include "headers.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "receiver.h"
#include "signature.h"
#include "snapshot.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Sets a JSON answer: body is the object without the newline. */
static void answer(struct handler_response *resp, int status,
	enum outcome outcome, const char *body)
{
	resp->status = status;
	resp->outcome = outcome;
	resp->body_len = (size_t)snprintf(resp->body, sizeof(resp->body), "%s\n", body);
	if (resp->body_len >= sizeof(resp->body))
		resp->body_len = sizeof(resp->body) - 1;
}

/* {"<field>":"<text>"}, escaped as Go escapes it. A text too long for
 * resp->body (an absurd event key) goes out whole through big_body. */
static void answer_text(struct handler_response *resp, int status,
	enum outcome outcome, const char *field, const char *text)
{
	struct strbuf sb;

	strbuf_init(&sb, 1024 * 1024);
	if (strbuf_printf(&sb, "{\"%s\":", field) != KW_OK ||
	    strbuf_json_string(&sb, text, strlen(text)) != KW_OK ||
	    strbuf_puts(&sb, "}") != KW_OK) {
		answer(resp, 500, OUTCOME_ERROR, "{}");
	} else if (sb.len + 2 <= sizeof(resp->body)) {
		answer(resp, status, outcome, sb.buf);
	} else if (strbuf_puts(&sb, "\n") == KW_OK) {
		resp->status = status;
		resp->outcome = outcome;
		resp->body_len = sb.len;
		resp->big_body = strbuf_take(&sb);
	}
	strbuf_free(&sb);
}

static void answer_unsupported(struct handler_response *resp, int status,
	const char *key)
{
	struct strbuf sb;

	strbuf_init(&sb, 1024 * 1024);
	if (strbuf_printf(&sb, "event type %s is not supported", key) == KW_OK)
		answer_text(resp, status, OUTCOME_UNSUPPORTED_EVENT, "error", sb.buf);
	else
		answer(resp, 500, OUTCOME_ERROR, "{}");
	strbuf_free(&sb);
}

static void answer_internal(struct handler_response *resp)
{
	answer(resp, 500, OUTCOME_ERROR, "{}");
}

static void answer_metrics(struct handler_response *resp)
{
	struct strbuf sb;

	strbuf_init(&sb, 4u * 1024 * 1024);
	if (metrics_render(&sb) != KW_OK) {
		strbuf_free(&sb);
		answer_internal(resp);
		return;
	}
	resp->status = 200;
	resp->outcome = OUTCOME_OK;
	resp->body_len = sb.len;
	resp->big_body = strbuf_take(&sb);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Health, readiness and metrics: answered without a receiver. */
static bool route_service(struct world *w, const char *path,
	struct handler_response *resp)
{
	char why[256] = "";

	if (strcmp(path, "/healthz") == 0) {
		answer(resp, 200, OUTCOME_OK, "{}");
	} else if (strcmp(path, "/readyz") == 0) {
		bool ready = world_ready(w, why, sizeof(why));
		char msg[300];

		snprintf(msg, sizeof(msg), "ready%s%s", why[0] ? "; " : "", why);
		if (ready)
			answer_text(resp, 200, OUTCOME_OK, "msg", msg);
		else
			answer_text(resp, 503, OUTCOME_ERROR, "error", why);
	} else if (strcmp(path, "/metrics") == 0) {
		answer_metrics(resp);
	} else {
		return false;
	}
	return true;
}

/*
 * The rate limits throttle unverified traffic only (docs/security.md,
 * "Floods"). The two token buckets, per client address and per receiver
 * path, are charged by requests that turn out unverified: an unknown path,
 * another method, a body over the limit, a ping, a missing or wrong
 * signature. A verified delivery never takes a token, so behind a proxy
 * (one address for every delivery) a burst of signed pushes is never
 * refused for rate, only for capacity (503). While a bucket is empty, a
 * request is refused with 429 as soon as it is known to be unverified:
 * before its body when it carries no signature or names no receiver,
 * after the HMAC otherwise (never after JSON or matching work).
 */
static void rate_check(struct handler_ctx *ctx, const struct handler_env *env,
	const char *client)
{
	ctx->env = env;
	ctx->client = client ? client : "";
	ctx->over_rate = !ratelimit_peek(env->per_client, ctx->client, ctx->start,
		&ctx->retry_after) || (ctx->receiver != NULL &&
		!ratelimit_peek(env->per_receiver, ctx->receiver->path, ctx->start,
			&ctx->retry_after));
}

/* Charges an unverified request; true (and resp is the 429) when its
 * client or receiver was already over the rate. */
static bool charge_unverified(struct handler_ctx *ctx,
	struct handler_response *resp)
{
	if (ctx->env == NULL)
		return false;
	ratelimit_take(ctx->env->per_client, ctx->client, ctx->start, NULL);
	if (ctx->receiver != NULL)
		ratelimit_take(ctx->env->per_receiver, ctx->receiver->path, ctx->start, NULL);
	if (!ctx->over_rate)
		return false;
	answer(resp, 429, OUTCOME_RATE_LIMITED, "{\"error\":\"rate limit exceeded\"}");
	resp->retry_after = ctx->retry_after > 0 ? ctx->retry_after : 1;
	return true;
}

enum handler_step handler_route(struct handler_ctx *ctx,
	const struct handler_env *env, const char *method, const char *path,
	const char *client, long long content_length,
	const struct header_lookup *headers, struct handler_response *resp)
{
	const char *auth;

	ctx->world = env->world;
	ctx->start = kw_monotonic();
	if (route_service(env->world, path, resp))
		return HANDLER_DONE;
	ctx->snap = world_snapshot(env->world);
	if (ctx->snap == NULL) {
		/* A world that has not read its objects yet (the Kubernetes
		 * caches before their first list) cannot tell who is addressed. */
		answer(resp, 503, OUTCOME_ERROR, "{\"error\":\"not ready; retry later\"}");
		resp->retry_after = 1;
		return HANDLER_DONE;
	}
	ctx->receiver = snapshot_find_receiver(ctx->snap, path);
	rate_check(ctx, env, client);
	if (ctx->receiver == NULL) {
		if (!charge_unverified(ctx, resp))
			answer(resp, 404, OUTCOME_NOT_FOUND, "{}");
		return HANDLER_DONE;
	}
	snprintf(ctx->receiver_name, sizeof(ctx->receiver_name), "%s/%s",
		ctx->receiver->project, ctx->receiver->name);
	ctx->kind = ctx->receiver->ops->name;
	if (strcmp(method, "POST") != 0) {
		if (!charge_unverified(ctx, resp)) {
			answer(resp, 405, OUTCOME_ERROR, "{\"error\":\"method not allowed\"}");
			resp->allow_post = true;
		}
		return HANDLER_DONE;
	}
	if (content_length > (long long)HANDLER_BODY_LIMIT) {
		if (!charge_unverified(ctx, resp))
			handler_too_large(ctx, resp);
		return HANDLER_DONE;
	}
	auth = ctx->receiver->ops->auth_header;
	if (ctx->over_rate && auth != NULL && header_get(headers, auth) == NULL &&
	    charge_unverified(ctx, resp))
		return HANDLER_DONE;
	return HANDLER_READ;
}

bool handler_reject_headers(const struct handler_headers *h,
	struct handler_response *resp)
{
	if (h->limit > 0 && h->line_len > h->limit)
		answer(resp, 414, OUTCOME_BAD_REQUEST, "{\"error\":\"request line too long\"}");
	else if (h->limit > 0 && h->head_len > h->limit)
		answer(resp, 431, OUTCOME_BAD_REQUEST, "{\"error\":\"request header fields too large\"}");
	else if (h->n_fields > HANDLER_MAX_HEADERS)
		answer(resp, 431, OUTCOME_BAD_REQUEST, "{\"error\":\"too many header fields\"}");
	else if (h->n_content_length > 1)
		answer(resp, 400, OUTCOME_BAD_REQUEST,
			"{\"error\":\"more than one Content-Length header\"}");
	else if (h->n_content_length > 0 && h->transfer_encoding)
		answer(resp, 400, OUTCOME_BAD_REQUEST,
			"{\"error\":\"both Content-Length and Transfer-Encoding\"}");
	else
		return false;
	return true;
}

void handler_too_large(struct handler_ctx *ctx, struct handler_response *resp)
{
	(void)ctx;
	answer(resp, 413, OUTCOME_TOO_LARGE, HANDLER_TOO_LARGE_JSON);
}

/* Fills the delivery record from the request and the answer. */
static void record(struct handler_ctx *ctx, const struct handler_response *resp,
	struct delivery_rec *d)
{
	kw_time_rfc3339(ctx->time, false);
	d->time = ctx->time;
	d->receiver = ctx->receiver_name;
	d->event = ctx->event_key ? ctx->event_key : "";
	d->request_id = ctx->request_id;
	d->status = resp->status;
	d->answer = resp->body;
	d->refreshed = ctx->refreshed ? ctx->refreshed : "";
	d->duration_ms = (kw_monotonic() - ctx->start) * 1000.0;
}

static void log_now(struct handler_ctx *ctx, const struct handler_response *resp)
{
	struct delivery_rec d = { 0 };

	record(ctx, resp, &d);
	d.attempt = ctx->job.delivery.attempt;
	world_log_delivery(ctx->world, &d);
}

/* The receiver's kind authenticates; the answers are mapped here. */
static int check_auth(const struct handler_ctx *ctx,
	const struct handler_request *req, struct handler_response *resp)
{
	const struct snap_receiver *r = ctx->receiver;
	struct auth_input in = { r->ops, req->headers, r->secret, r->secret_len,
		req->body, req->body_len };
	char msg[160];

	switch (r->ops->authenticate(&in)) {
	case AUTH_OK:
		return KW_OK;
	case AUTH_REPEATED:
		snprintf(msg, sizeof(msg), "more than one %s header", r->ops->auth_header);
		answer_text(resp, 400, OUTCOME_BAD_REQUEST, "error", msg);
		break;
	case AUTH_MISSING:
		answer(resp, 401, OUTCOME_MISSING_SIGNATURE,
			"{\"error\":\"missing signature\"}");
		break;
	case AUTH_WRONG:
		answer(resp, 401, OUTCOME_BAD_SIGNATURE, "{\"error\":\"unauthorized\"}");
		break;
	case AUTH_WRONG_BARE:
		answer(resp, 401, OUTCOME_BAD_SIGNATURE, "{}");
		break;
	case AUTH_MISSING_AUTHORIZATION:
		answer(resp, 401, OUTCOME_MISSING_SIGNATURE,
			"{\"error\":\"missing authorization\"}");
		break;
	}
	return KW_EAUTH;
}

/* "ns/name, ns/name, ... and N more", for the delivery log. */
static char *describe_targets(const struct refresh_target *t, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb, 4096);
	for (size_t i = 0; i < n; i++) {
		if (i == 16) {
			strbuf_printf(&sb, " and %zu more", n - i);
			break;
		}
		strbuf_printf(&sb, "%s%s %s/%s", i ? ", " : "", t[i].kind,
			t[i].namespace, t[i].name);
	}
	return strbuf_take(&sb);
}

/* "a, b, c" of at most 16 strings, for the debug log. */
static char *join16(char *const *v, size_t n)
{
	struct strbuf sb;

	strbuf_init(&sb, 64 * 1024);
	for (size_t i = 0; i < n && i < 16; i++)
		strbuf_printf(&sb, "%s%s", i ? ", " : "", v[i]);
	if (n > 16)
		strbuf_printf(&sb, " and %zu more", n - 16);
	return strbuf_take(&sb);
}

static void trace_candidate(void *arg, const char *namespace, const char *name,
	const char *url, bool chosen, const char *why, const char *ref)
{
	const struct handler_ctx *ctx = arg;
	char wh[300];

	snprintf(wh, sizeof(wh), "%s/%s", namespace, name);
	log_kv(LOG_DEBUG, "candidate", "receiver", ctx->receiver_name, "warehouse", wh,
		"url", url, "chosen", chosen ? "true" : "false", "why", why, "ref", ref, NULL);
}

/* --log-level debug: what the payload named, then why each Warehouse
 * subscribed to it was or was not chosen (see snapshot_trace). */
static int match_debug(struct handler_ctx *ctx, const struct event *ev,
	const struct snapshot_push *push, size_t **idx, size_t *n)
{
	struct snapshot_trace t = { trace_candidate, ctx };
	char *urls = join16(ev->urls, ev->n_urls), *refs = join16(ev->refs, ev->n_refs);
	char nu[24];

	snprintf(nu, sizeof(nu), "%zu", ev->n_urls);
	log_kv(LOG_DEBUG, "payload", "receiver", ctx->receiver_name, "event", ctx->event_key,
		"#n_urls", nu, "urls", urls, "refs", ev->n_refs ? refs : "(none: every subscriber)",
		NULL);
	free(urls);
	free(refs);
	return snapshot_match_warehouses_traced(idx, n, ctx->snap, ctx->receiver,
		push, &t);
}

/* The refresh targets for a parsed event; KW_EINVAL when a Warehouse's
 * selection cannot be built. */
static int find_targets(struct handler_ctx *ctx, const struct event *ev,
	size_t *n)
{
	const struct obj_set *objs = snapshot_objects(ctx->snap);
	size_t *idx = NULL;
	int rc;

	*n = 0;
	if (ev->kind == EVENT_PUSH) {
		ctx->noun = "warehouse";
		struct snapshot_push push = { ev->urls, ev->n_urls, ev->refs,
			ev->n_refs, ev->paths, ev->n_paths };

		rc = log_enabled(LOG_DEBUG) ? match_debug(ctx, ev, &push, &idx, n) :
			snapshot_match_warehouses(&idx, n, ctx->snap, ctx->receiver, &push);
	} else {
		ctx->noun = "promotion";
		rc = ev->n_urls == 0 ? KW_OK :
			snapshot_match_promotions(&idx, n, ctx->snap, ctx->receiver,
				ev->urls[0]);
	}
	if (rc != KW_OK || *n == 0) {
		free(idx);
		return rc;
	}
	ctx->targets = calloc(*n, sizeof(*ctx->targets));
	if (ctx->targets == NULL) {
		free(idx);
		return KW_ENOMEM;
	}
	for (size_t i = 0; i < *n; i++) {
		if (ev->kind == EVENT_PUSH) {
			const struct obj_warehouse *wh = objects_warehouse(objs, idx[i]);

			ctx->targets[i] = (struct refresh_target){ "Warehouse",
				wh->namespace, wh->name };
		} else {
			const struct obj_promotion *p = &objs->promotions[idx[i]];

			ctx->targets[i] = (struct refresh_target){ "Promotion",
				p->namespace, p->name };
		}
	}
	free(idx);
	return KW_OK;
}

static void answer_refreshed(struct handler_ctx *ctx,
	struct handler_response *resp, size_t n)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "{\"msg\":\"refreshed %zu %s(s)\"}", n, ctx->noun);
	answer(resp, 200, n ? OUTCOME_OK : OUTCOME_NO_MATCH, msg);
}

/* A generic receiver's answer: a result per action (generic.h), with each
 * target's outcome once the job is done. The state not written answers
 * 503 with Retry-After, as for every kind: the sender may retry. */
static void answer_generic(struct handler_ctx *ctx, struct handler_response *resp)
{
	struct world_job *job = &ctx->job;
	struct strbuf sb;
	int status = 500;

	if (job->status != KW_OK && job->target_failed != NULL)
		memset(job->target_failed, 1, job->n_targets * sizeof(bool));
	free(resp->big_body); /* the answer given before the job was done */
	resp->big_body = NULL;
	strbuf_init(&sb, 64u * 1024 * 1024);
	if (generic_plan_answer(&sb, &status, ctx->plan, job->target_failed) != KW_OK) {
		strbuf_free(&sb);
		answer_internal(resp);
		return;
	}
	resp->status = job->status == KW_OK ? status : 503;
	resp->outcome = status == 200 ? (job->n_targets ? OUTCOME_OK :
		OUTCOME_NO_MATCH) : OUTCOME_ERROR;
	resp->retry_after = job->status == KW_OK ? 0 : 5;
	if (sb.len < sizeof(resp->body)) {
		memcpy(resp->body, sb.buf, sb.len + 1);
		resp->body_len = sb.len;
	} else {
		resp->body[0] = '\0';
		resp->body_len = sb.len;
		resp->big_body = strbuf_take(&sb);
	}
	strbuf_free(&sb);
}

static enum handler_step submit(struct handler_ctx *ctx, size_t n,
	struct handler_response *resp, void (*done)(struct world_job *job),
	void *arg)
{
	struct world_job *job = &ctx->job;

	ctx->refreshed = describe_targets(ctx->targets, n);
	kw_time_rfc3339(ctx->token, true);
	job->targets = ctx->targets;
	job->n_targets = n;
	job->token = ctx->token;
	job->done = done;
	job->arg = arg;
	/* The delivery is recorded with the answer a commit earns. */
	if (ctx->plan != NULL)
		answer_generic(ctx, resp);
	else
		answer_refreshed(ctx, resp, n);
	record(ctx, resp, &job->delivery);
	if (world_submit(ctx->world, job) != KW_OK) {
		answer(resp, 503, OUTCOME_ERROR,
			"{\"error\":\"too many requests in flight; retry later\"}");
		resp->retry_after = 1;
		log_now(ctx, resp);
		return HANDLER_DONE;
	}
	return HANDLER_WAIT;
}

/* A delivery Bitbucket retries after it already succeeded gets the
 * original answer and is not applied twice. */
static bool replay(struct handler_ctx *ctx, struct handler_response *resp)
{
	int status = 0;

	if (world_find_delivery(ctx->world, ctx->receiver_name, ctx->request_id,
	    &status, resp->body, sizeof(resp->body)) != KW_OK)
		return false;
	resp->status = status;
	resp->body_len = strlen(resp->body);
	resp->outcome = OUTCOME_OK;
	ctx->refreshed = strdup("duplicate delivery: not applied again");
	return true;
}

static int parse_attempt(const char *s)
{
	long v;
	char *end;

	if (s == NULL)
		return 0;
	v = strtol(s, &end, 10);
	return (end == s || v < 0 || v > 1000000) ? 0 : (int)v;
}

/* Keeps what the delivery log and duplicate suppression need from the
 * headers: the event type, the delivery id, the attempt. */
static void note_delivery(struct handler_ctx *ctx, const struct receiver_ops *ops,
	const struct header_lookup *h)
{
	const char *event = header_get(h, ops->event_header), *id = NULL;

	ctx->event_key = event ? kw_strndup(event, strnlen(event, HANDLER_FIELD_MAX)) : NULL;
	for (size_t i = 0; id == NULL && ops->delivery_headers[i] != NULL; i++)
		id = header_get(h, ops->delivery_headers[i]);
	/* A request id too long to keep whole is not kept at all: a cut one
	 * could make two deliveries look like one. */
	if (id != NULL && strnlen(id, HANDLER_FIELD_MAX + 1) <= HANDLER_FIELD_MAX)
		ctx->request_id = kw_strndup(id, strlen(id));
	ctx->job.delivery.attempt = parse_attempt(header_get(h, ops->attempt_header));
}

/* The answer to a parse that did not yield an event to match. The
 * event type is named whole (ctx->event_key may be cut). */
static void answer_parse_error(struct handler_ctx *ctx,
	const struct handler_request *req, const struct event *ev, int rc,
	struct handler_response *resp)
{
	const struct receiver_ops *ops = ctx->receiver->ops;
	const char *event = header_get(req->headers, ops->event_header);

	if (rc == KW_EUNSUPPORTED && ev->refusal == REFUSE_CUSTOM)
		answer_text(resp, ev->status, ev->status == 400 ? OUTCOME_BAD_BODY :
			OUTCOME_UNSUPPORTED_EVENT, "error", ev->error ? ev->error : "");
	else if (rc == KW_EUNSUPPORTED && ev->refusal == REFUSE_SOURCE)
		answer(resp, 400, OUTCOME_UNSUPPORTED_EVENT, "{\"error\":\"request does "
			"not appear to have originated from a supported service\"}");
	else if (rc == KW_EUNSUPPORTED)
		answer_unsupported(resp, ops->unsupported_status, ev->name ? ev->name :
			event ? event : "");
	else if (rc == KW_EINVAL)
		answer(resp, 400, OUTCOME_BAD_BODY, "{\"error\":\"invalid request body\"}");
	else
		answer_internal(resp);
}

/* Parses and matches; HANDLER_DONE with resp filled unless there is
 * something to refresh (*n > 0). */
static enum handler_step parse_and_match(struct handler_ctx *ctx,
	const struct handler_request *req, struct handler_response *resp, size_t *n)
{
	const struct receiver_ops *ops = ctx->receiver->ops;
	struct event ev = { .option = ctx->receiver->option };
	struct kw_err err;
	int rc = ops->parse(&ev, req->headers, req->body, req->body_len, &err);

	if (ev.name != NULL && ctx->event_key == NULL)
		ctx->event_key = kw_strndup(ev.name, strnlen(ev.name, HANDLER_FIELD_MAX));
	if (rc != KW_OK)
		answer_parse_error(ctx, req, &ev, rc, resp);
	else if (ev.kind == EVENT_PING)
		answer_text(resp, 200, OUTCOME_OK, "msg", ops->ping_msg);
	else if (ev.kind == EVENT_IGNORED)
		answer(resp, 200, OUTCOME_IGNORED, "{}");
	else if ((rc = find_targets(ctx, &ev, n)) != KW_OK)
		answer_internal(resp);
	else if (*n == 0)
		answer_refreshed(ctx, resp, 0);
	event_clear(&ev);
	return rc == KW_OK && *n > 0 ? HANDLER_WAIT : HANDLER_DONE;
}

/* A generic receiver runs its actions (generic.h): one job refreshes the
 * union of the Warehouses they select. HANDLER_DONE with resp filled
 * unless there is something to refresh (*n > 0). */
static enum handler_step generic_and_match(struct handler_ctx *ctx,
	const struct handler_request *req, struct handler_response *resp, size_t *n)
{
	struct generic_request gr = { req->headers, req->query, req->body,
		req->body_len };
	const struct obj_set *objs = snapshot_objects(ctx->snap);
	const size_t *idx;
	struct kw_err err;
	int rc = generic_plan_new(&ctx->plan, ctx->snap, ctx->receiver, &gr, &err);

	ctx->noun = "warehouse";
	if (rc == KW_EINVAL)
		answer_text(resp, 400, OUTCOME_BAD_BODY, "error", err.msg);
	if (rc != KW_OK) {
		if (rc != KW_EINVAL)
			answer_internal(resp);
		return HANDLER_DONE;
	}
	idx = generic_plan_targets(ctx->plan, n);
	ctx->targets = calloc(*n + 1, sizeof(*ctx->targets));
	ctx->job.target_failed = calloc(*n + 1, sizeof(bool));
	if (ctx->targets == NULL || ctx->job.target_failed == NULL) {
		answer_internal(resp);
		return HANDLER_DONE;
	}
	for (size_t i = 0; i < *n; i++) {
		const struct obj_warehouse *wh = objects_warehouse(objs, idx[i]);

		ctx->targets[i] = (struct refresh_target){ "Warehouse",
			wh->namespace, wh->name };
	}
	if (*n == 0)
		answer_generic(ctx, resp);
	return *n > 0 ? HANDLER_WAIT : HANDLER_DONE;
}

enum handler_step handler_request(struct handler_ctx *ctx,
	const struct handler_request *req, struct handler_response *resp,
	void (*done)(struct world_job *job), void *arg)
{
	const struct receiver_ops *ops = ctx->receiver->ops;
	const char *event = header_get(req->headers, ops->event_header);
	size_t n = 0;

	if (ops->pong_event != NULL && event != NULL && strcmp(event, ops->pong_event) == 0) {
		if (!charge_unverified(ctx, resp))
			answer(resp, 200, OUTCOME_OK, "{\"msg\":\"pong\"}");
		return HANDLER_DONE;
	}
	note_delivery(ctx, ops, req->headers);
	if (check_auth(ctx, req, resp) != KW_OK) {
		charge_unverified(ctx, resp);
		goto log;
	}
	if (ctx->request_id != NULL && replay(ctx, resp))
		goto log;
	if (ctx->receiver->generic != NULL) {
		if (generic_and_match(ctx, req, resp, &n) == HANDLER_WAIT)
			return submit(ctx, n, resp, done, arg);
	} else if (parse_and_match(ctx, req, resp, &n) == HANDLER_WAIT)
		return submit(ctx, n, resp, done, arg);
log:
	log_now(ctx, resp);
	return HANDLER_DONE;
}

void handler_finish(struct handler_ctx *ctx, struct handler_response *resp)
{
	const struct world_job *job = &ctx->job;
	char msg[160];

	if (ctx->plan != NULL) {
		bool any_failed = job->status != KW_OK || job->n_failed > 0;

		for (size_t i = 0; i < job->n_targets && !any_failed; i++)
			any_failed = job->target_failed[i];
		answer_generic(ctx, resp);
		if (!any_failed)
			metrics_refreshed(job->n_targets);
		else
			log_now(ctx, resp); /* the delivery row was not written */
		return;
	}
	if (job->status == KW_OK && job->n_failed == 0) {
		metrics_refreshed(job->n_targets);
		answer_refreshed(ctx, resp, job->n_targets);
		return;
	}
	/* Kargo's words: "warehouses" but "promotion(s)". */
	snprintf(msg, sizeof(msg), "{\"error\":\"failed to refresh %zu of %zu %s\"}",
		job->status == KW_OK || job->n_failed > 0 ? job->n_failed : job->n_targets,
		job->n_targets, strcmp(ctx->noun, "promotion") == 0 ? "promotion(s)" :
		"warehouses");
	/* The state could not be written (full disk, read-only file): 503
	 * asks Bitbucket to retry, which it does for 5xx answers. */
	answer(resp, job->status == KW_OK ? 500 : 503, OUTCOME_ERROR, msg);
	if (job->status != KW_OK)
		resp->retry_after = 5;
	if (job->failed[0] != '\0') {
		/* The delivery log names what failed (the world's words). */
		struct strbuf sb;

		strbuf_init(&sb, 8192);
		strbuf_printf(&sb, "failed: %s; targets: %s", job->failed,
			ctx->refreshed ? ctx->refreshed : "");
		free(ctx->refreshed);
		ctx->refreshed = strbuf_take(&sb);
	}
	/* The delivery row went down with the failed transaction; record the
	 * failure on its own (it may fail too, for the same reason). */
	log_now(ctx, resp);
}

void handler_ctx_clear(struct handler_ctx *ctx)
{
	snapshot_unref(ctx->snap);
	free(ctx->targets);
	free(ctx->event_key);
	free(ctx->request_id);
	free(ctx->refreshed);
	generic_plan_free(ctx->plan);
	free(ctx->job.target_failed);
	memset(ctx, 0, sizeof(*ctx));
}
