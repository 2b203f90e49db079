/*
 * handler.h: the order of checks for one request (contract §4) and
 * the only place that maps outcomes to HTTP statuses and bodies. It knows
 * nothing of sockets: the HTTP layer feeds it the request in four steps,
 * numbered 0 to 3 below (the headers alone, method and path before the
 * body is read, the whole request, the answer once the world has made the
 * refresh durable).
 */
#ifndef HANDLER_H
#define HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "kw.h"
#include "outcome.h"
#include "world.h"

#define HANDLER_BODY_LIMIT 2097152u
/* The 413 answer's body (also the gate's, for a length past 64 bits). */
#define HANDLER_TOO_LARGE_JSON "{\"error\":\"content exceeds limit of 2097152 bytes\"}"
#define HANDLER_ANSWER_MAX 512
/* Longest event key kept for the delivery log, and longest request id
 * used to recognize a retried delivery. */
#define HANDLER_FIELD_MAX 256
/* Header fields a request may carry; more is answered 431. */
#define HANDLER_MAX_HEADERS 100

struct snapshot;
struct snap_receiver;

struct header_lookup;

struct handler_request {
	const char *method;
	const char *path;
	/* The header fields; the receiver's kind says which it reads. */
	const struct header_lookup *headers;
	const char *body;
	size_t body_len;
	/* The query's arguments (generic's request.params); NULL: none. */
	const struct header_lookup *query;
};

struct handler_response {
	int status;
	char body[HANDLER_ANSWER_MAX]; /* JSON and a newline */
	size_t body_len;
	char *big_body;           /* when set, the body instead (owned; free()) */
	const char *content_type; /* NULL: application/json */
	bool allow_post;  /* add "Allow: POST" */
	int retry_after;  /* seconds; 0: no Retry-After header */
	enum outcome outcome;
};

struct ratelimit;
struct generic_plan;

/* What every request shares: the world and the limits. */
struct handler_env {
	struct world *world;
	struct ratelimit *per_receiver; /* NULL: no limit */
	struct ratelimit *per_client;   /* NULL: no limit */
};

/* Per-request state, owned by the HTTP layer; zero it before use. */
struct handler_ctx {
	struct world *world;
	struct snapshot *snap;            /* a reference, held to the end */
	const struct snap_receiver *receiver;
	const char *kind;                 /* the receiver's kind (static) */
	double start;                     /* kw_monotonic() at arrival */
	const struct handler_env *env;    /* for the rate limits */
	const char *client;               /* the client's address (borrowed) */
	bool over_rate;                   /* a bucket was empty on arrival */
	int retry_after;                  /* seconds, when over_rate */
	struct world_job job;
	struct refresh_target *targets;
	const char *noun;                 /* "warehouse" or "promotion" */
	char token[KW_TIME_SIZE];
	char time[KW_TIME_SIZE];
	char receiver_name[300];
	char *event_key;
	char *request_id;
	char *refreshed;
	struct generic_plan *plan;        /* a generic receiver's evaluation */
};

enum handler_step {
	HANDLER_DONE = 0, /* resp holds the answer */
	HANDLER_READ,     /* read the body, then call handler_request */
	HANDLER_WAIT,     /* the job was submitted; call handler_finish from
	                     job.done */
};

/*
 * Step 1, before the body: routes method and path, and applies the rate
 * limits to unverified requests (see handler.c). client is the client's
 * address as text (behind a trusted proxy, from X-Forwarded-For), borrowed
 * until the request ends. content_length is the announced length, or -1
 * when unknown (chunked); headers tell whether the field the receiver's
 * kind authenticates with came (a kind without one counts as signed: its
 * URL is its secret). Returns HANDLER_DONE (health, readiness, metrics,
 * 404, 405, 413, 429) or HANDLER_READ.
 */
enum handler_step handler_route(struct handler_ctx *ctx,
	const struct handler_env *env, const char *method, const char *path,
	const char *client, long long content_length,
	const struct header_lookup *headers, struct handler_response *resp);

/* What the HTTP layer counted in the request's headers. */
struct handler_headers {
	size_t n_fields;          /* header fields */
	size_t n_content_length;  /* Content-Length fields */
	bool transfer_encoding;   /* a Transfer-Encoding field came */
	size_t line_len;          /* bytes of the request line */
	size_t head_len;          /* bytes of request line and header fields */
	size_t limit;             /* --header-limit; 0: none */
};

/* Step 0, before routing: refuses requests on their headers alone: a
 * request line (414) or head (431) over the limit, too many fields (431),
 * or an ambiguous body length (400: request smuggling, RFC 9112 section
 * 6.3). true when resp holds the refusal; the connection should then be
 * closed after it. */
bool handler_reject_headers(const struct handler_headers *h,
	struct handler_response *resp);

/* The answer for a body that grew past the limit while being read. */
void handler_too_large(struct handler_ctx *ctx, struct handler_response *resp);

/*
 * Step 2, with the whole body: verifies, parses, matches and, when
 * something is to be refreshed, submits ctx->job with done/arg set as given
 * (HANDLER_WAIT). Otherwise answers at once (HANDLER_DONE).
 */
enum handler_step handler_request(struct handler_ctx *ctx,
	const struct handler_request *req, struct handler_response *resp,
	void (*done)(struct world_job *job), void *arg);

/* Step 3, after job.done ran: the answer for the refresh. */
void handler_finish(struct handler_ctx *ctx, struct handler_response *resp);

/* Releases what ctx holds; ctx may be reused after zeroing. */
void handler_ctx_clear(struct handler_ctx *ctx);

#endif
