/*
 * http.c: libmicrohttpd glue (see http.h). One struct req per request
 * carries it through the handler's four steps (handler.h): refuse or route
 * on the headers, collect the body (bounded), then answer, possibly after a
 * suspension while the world commits the refresh.
 *
 * libmicrohttpd 0.9.75 only knows an inactivity timeout, which a client
 * that sends one byte a second never trips. So one struct conn per
 * connection records when the current request started and how far it
 * got, and a sweeper thread shuts down the socket of any connection
 * still sending its headers after HEADER_TIMEOUT, or its body after
 * REQUEST_TIMEOUT. The library then sees end of file and closes the
 * connection itself, so it stays the only owner of the socket.
 */
#include "http.h"

#include "handler.h"
#include "headers.h"
#include "kw.h"
#include "gate.h"
#include "goquery.h"
#include "log.h"
#include "metrics.h"
#include "proxy.h"
#include "ratelimit.h"
#include "strbuf.h"
#include "tls_pem.h"
#include "world.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Default seconds to receive a request's line and headers, counted from
 * the connection's start or the end of its previous request, and to
 * receive the whole request (--header-timeout, --request-timeout). */
#define HEADER_TIMEOUT 10
#define REQUEST_TIMEOUT 30
/* How often the sweeper looks, in milliseconds. */
#define SWEEP_MS 200
/* Connections libmicrohttpd may hold beyond --max-connections. At its
 * own limit the library stops accepting, and a client would wait in the
 * listen backlog; below it, we refuse the excess at once ourselves. */
#define REFUSE_SLACK 64

/* Room libmicrohttpd gets beyond --header-limit (its memory pool also
 * holds the answer's head); see reject_headers. The pool is per
 * connection, touched as used: at twice the limit, 256 connections under
 * load took 34 MiB, past the 32 MB target (docs/performance.md). */
#define HEAD_SLACK 8192

/* What a connection over --max-connections gets before it is closed
 * (plain HTTP only; under TLS it is just closed). */
#define BUSY_BODY "{\"error\":\"too many open connections\"}\n"
static const char busy_answer[] =
	"HTTP/1.1 503 Service Unavailable\r\n"
	"Content-Type: application/json\r\n"
	"Retry-After: 1\r\n"
	"Connection: close\r\n"
	"Content-Length: 38\r\n"
	"\r\n"
	BUSY_BODY;
_Static_assert(sizeof(BUSY_BODY) - 1 == 38, "Content-Length of busy_answer");

enum conn_phase { C_HEADERS = 0, C_BODY, C_DONE };

/* One open connection, from libmicrohttpd's "started" notification to
 * its "closed" one (which comes before the socket is closed). */
struct conn {
	struct conn *prev, *next;
	MHD_socket fd;
	double since; /* when the current request's reading began */
	enum conn_phase phase;
	bool cut;     /* shut down by the sweeper */
	bool refused; /* over --max-connections or --max-per-ip: shut down at once */
	bool proxy;   /* the peer is a trusted proxy: no per-address cap */
	char addr[PROXY_ADDR_SIZE]; /* the peer's address */
};

struct http_server {
	struct MHD_Daemon *d;
	struct handler_env env;
	unsigned port;
	atomic_long in_flight;
	atomic_ulong next_id;
	char *tls_cert_pem;
	char *tls_key_pem;

	pthread_mutex_t wait_lock; /* orders suspend and resume (see process) */
	atomic_long n_suspended;   /* connections waiting for the world */
	bool no_suspend;           /* stopping: wait in place; under wait_lock */
	pthread_cond_t job_cond;   /* job_finished set; with wait_lock */
	pthread_mutex_t conn_lock; /* guards conns, every conn, stopping */
	pthread_cond_t sweep_wake;
	struct conn *conns;
	size_t n_conns;   /* tracked and not refused */
	size_t max_conns; /* 0: no limit of our own */
	size_t max_per_ip; /* 0: no limit */
	size_t header_limit; /* --header-limit, enforced by reject_headers */
	struct gate *gate;   /* plain HTTP: accepts and looks first (gate.h) */
	const struct proxy_list *trusted; /* may be NULL */
	bool tls;
	bool stopping;
	bool sweeping;
	pthread_t sweeper;
	double header_timeout, request_timeout, idle_timeout;
};

enum req_state { R_READ = 0, R_WAIT, R_ANSWER, R_DISCARD };

/* An announced body is allocated at once up to this size (a real push);
 * beyond, the buffer grows as bytes arrive, so a client that announces
 * 2 MiB and trickles holds no more than it sent. */
#define RESERVE_MAX (64 * 1024)

/* A body over the limit is read and dropped up to this many bytes before
 * the 413 goes out: closing a socket with unread data makes the kernel
 * send a reset, and the client would never see the answer. Past this,
 * the answer goes out at once. */
#define DISCARD_MAX (16u * 1024 * 1024)

struct req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct handler_ctx ctx;
	struct handler_response resp;
	struct strbuf body;
	enum req_state state;
	struct conn *conn_track; /* borrowed; lives as long as the connection */
	bool close;              /* answer with Connection: close */
	bool suspended;          /* waiting for job_done; under wait_lock */
	bool job_finished;       /* job_done ran; under wait_lock */
	bool fresh;              /* made by on_uri: on_request not called yet */
	char *raw_query;         /* after the '?', as sent (on_uri); or NULL */
	struct goquery query;    /* raw_query as Go reads it, parsed on first use */
	bool query_parsed;
	unsigned long id;
	char method[16];              /* for the log; cut when longer */
	char peer[PROXY_ADDR_SIZE];   /* the TCP peer */
	char client[PROXY_ADDR_SIZE]; /* the client: the peer, or from X-Forwarded-For */
};

static void client_address(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	proxy_addr_text(out, len, ci ? ci->client_addr : NULL);
}

/* Moves a connection's request to another phase; C_HEADERS starts the
 * clock of the next request. */
static void conn_set_phase(struct http_server *s, struct conn *k,
	enum conn_phase phase)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&s->conn_lock);
	if (phase == C_HEADERS)
		k->since = kw_monotonic();
	k->phase = phase;
	pthread_mutex_unlock(&s->conn_lock);
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result send_answer(struct req *r)
{
	const struct handler_response *a = &r->resp;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char retry[16];

	r->state = R_ANSWER;
	conn_set_phase(r->srv, r->conn_track, C_DONE);
	if (a->big_body != NULL) {
		resp = MHD_create_response_from_buffer(a->body_len, a->big_body,
			MHD_RESPMEM_MUST_FREE);
		r->resp.big_body = NULL; /* the response owns it now */
	} else {
		resp = MHD_create_response_from_buffer(a->body_len, (void *)a->body,
			MHD_RESPMEM_MUST_COPY);
	}
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type",
		a->content_type ? a->content_type : "application/json");
	if (a->allow_post)
		MHD_add_response_header(resp, "Allow", "POST");
	if (r->close)
		MHD_add_response_header(resp, "Connection", "close");
	if (a->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", a->retry_after);
		MHD_add_response_header(resp, "Retry-After", retry);
	}
	ret = MHD_queue_response(r->conn, (unsigned)a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Called from the world's writer thread. If the request thread has not
 * suspended the connection yet, it answers itself (see process). */
static void job_done(struct world_job *job)
{
	struct req *r = job->arg;
	struct http_server *s = r->srv;
	bool suspended;

	handler_finish(&r->ctx, &r->resp);
	pthread_mutex_lock(&s->wait_lock);
	r->job_finished = true;
	suspended = r->suspended;
	pthread_cond_broadcast(&s->job_cond);
	pthread_mutex_unlock(&s->wait_lock);
	if (suspended) {
		r->state = R_ANSWER;
		MHD_resume_connection(r->conn);
		atomic_fetch_sub(&s->n_suspended, 1);
	}
}

struct header_count {
	const char *name; /* NULL: count every header */
	size_t n;
	size_t want;        /* the value to keep, by index */
	const char *value;  /* that value, once reached */
	bool exact;         /* names compared case-sensitively (query) */
	size_t bytes;       /* "key: value\r\n" (query arguments: "key=value&") */
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	if (hc->name == NULL || (hc->exact ? strcmp(key, hc->name) :
	    strcasecmp(key, hc->name)) == 0) {
		if (hc->n == hc->want && hc->value == NULL)
			hc->value = value ? value : "";
		hc->n++;
		hc->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
	}
	return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* The header lookup (headers.h) over a connection's fields. */
static const char *mhd_get(const void *src, const char *name)
{
	return header((struct MHD_Connection *)src, name);
}

static size_t mhd_count(const void *src, const char *name)
{
	struct header_count hc = { name, 0, 0, NULL, false, 0 };

	MHD_get_connection_values((struct MHD_Connection *)src, MHD_HEADER_KIND,
		count_header, &hc);
	return hc.n;
}

static const char *mhd_nth(const void *src, const char *name, size_t i)
{
	struct header_count hc = { name, 0, i, NULL, false, 0 };

	MHD_get_connection_values((struct MHD_Connection *)src, MHD_HEADER_KIND,
		count_header, &hc);
	return hc.value;
}

/* The query's arguments (the generic receiver's request.params): read
 * from the raw query as Go's url.ParseQuery reads it (goquery.h), not as
 * libmicrohttpd splits and decodes it (it keeps pairs Go drops). Parsed
 * when first asked for: most requests never read their query. */
static const struct goquery *query_of(const void *src)
{
	struct req *r = (struct req *)src; /* the lookup's handle is our own record */

	if (!r->query_parsed && r->raw_query != NULL &&
	    goquery_parse(&r->query, r->raw_query, strlen(r->raw_query)) != KW_OK)
		log_kv(LOG_WARN, "out of memory reading the query", NULL);
	r->query_parsed = true;
	return &r->query;
}

static const char *query_get(const void *src, const char *name)
{
	return goquery_get(query_of(src), name);
}

static size_t query_count(const void *src, const char *name)
{
	return goquery_count(query_of(src), name);
}

static enum MHD_Result process(struct req *r, const char *method,
	const char *url)
{
	struct header_lookup headers = { mhd_get, mhd_count, r->conn, mhd_nth };
	struct header_lookup query = { query_get, query_count, r, NULL };
	struct handler_request hr = { 0 };
	bool finished;


	hr.method = method;
	hr.path = url;
	hr.headers = &headers;
	hr.query = &query;
	hr.body = r->body.buf ? r->body.buf : "";
	hr.body_len = r->body.len;
	conn_set_phase(r->srv, r->conn_track, C_DONE);
	r->state = R_WAIT;
	if (handler_request(&r->ctx, &hr, &r->resp, job_done, r) == HANDLER_DONE)
		return send_answer(r);
	/* Only a refresh waits for the disk. Answers that need no wait are
	 * sent at once: a suspended connection whose client has shut its
	 * write side is closed by libmicrohttpd on resume, unanswered. */
	pthread_mutex_lock(&r->srv->wait_lock);
	/* While stopping, a suspended connection would make libmicrohttpd
	 * abort; the world is cancelled then, so waiting here is short. */
	while (!r->job_finished && r->srv->no_suspend)
		pthread_cond_wait(&r->srv->job_cond, &r->srv->wait_lock);
	finished = r->job_finished;
	if (!finished) {
		r->suspended = true;
		atomic_fetch_add(&r->srv->n_suspended, 1);
		MHD_suspend_connection(r->conn);
	}
	pthread_mutex_unlock(&r->srv->wait_lock);
	return finished ? send_answer(r) : MHD_YES;
}

static long long content_length(struct MHD_Connection *c)
{
	const char *v = header(c, "Content-Length");
	char *end;
	long long n;

	if (v == NULL)
		return -1;
	n = strtoll(v, &end, 10);
	return (end == v || n < 0) ? -1 : n;
}

/* Collects a piece of the body; past the limit, drops the rest. */
static enum MHD_Result upload(struct req *r, const char *data, size_t *size)
{
	size_t n = *size;
	int rc;

	*size = 0;
	/* libmicrohttpd 0.9.75 cannot queue an answer in the middle of a
	 * body: the rest is dropped until it ends, within --request-timeout. */
	if (r->state == R_DISCARD)
		return MHD_YES;
	rc = strbuf_append(&r->body, data, n);
	if (rc == KW_ETOOBIG) {
		handler_too_large(&r->ctx, &r->resp);
		strbuf_free(&r->body);
		r->state = R_DISCARD;
		return MHD_YES;
	}
	return rc == KW_OK ? MHD_YES : MHD_NO;
}

static struct req *req_new(struct http_server *srv, struct MHD_Connection *c)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->srv = srv;
	r->conn = c;
	r->id = atomic_fetch_add(&srv->next_id, 1) + 1;
	r->ctx.start = kw_monotonic();
	strbuf_init(&r->body, HANDLER_BODY_LIMIT);
	return r;
}

/* Requests refused on their headers alone (see handler_reject_headers);
 * the connection is closed after the answer. The sizes are measured from
 * what libmicrohttpd parsed (within a byte or two per field of the wire):
 * it is given room for the limit plus HEAD_SLACK, so a head over the
 * limit but under that gets our JSON 431/414, not its own HTML one (the
 * gate answers every first head over the limit itself). */
static bool reject_headers(struct req *r, struct MHD_Connection *c,
	const char *method, const char *url, const char *version)
{
	struct header_count all = { NULL, 0, 0, NULL, false, 0 };
	struct header_count lengths = { "Content-Length", 0, 0, NULL, false, 0 };
	struct header_count args = { NULL, 0, 0, NULL, false, 0 };
	struct handler_headers h;

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &all);
	MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &lengths);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, count_header, &args);
	h.n_fields = all.n;
	h.n_content_length = lengths.n;
	h.transfer_encoding = header(c, "Transfer-Encoding") != NULL;
	h.line_len = strlen(method) + strlen(url) + args.bytes + strlen(version) + 4;
	h.head_len = h.line_len + all.bytes + 2;
	h.limit = r->srv->header_limit;
	if (!handler_reject_headers(&h, &r->resp))
		return false;
	r->close = true;
	return true;
}

/* An answer given before the body was read. A body under DISCARD_MAX is
 * read and dropped first: closing a socket with unread data makes the
 * kernel send a reset, and the client would never see the answer. */
static enum MHD_Result answer_early(struct req *r, struct MHD_Connection *c)
{
	long long n = content_length(c);
	bool body = n > 0 || header(c, "Transfer-Encoding") != NULL;

	/* Answered on the call after the (empty or dropped) body: an answer
	 * queued with the headers alone makes libmicrohttpd close the
	 * connection, which would end keep-alive for every probe. */
	if (!r->close && (!body || n <= (long long)DISCARD_MAX)) {
		r->state = R_DISCARD;
		return MHD_YES;
	}
	return send_answer(r);
}

static enum MHD_Result join_xff(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	struct strbuf *sb = cls;

	(void)kind;
	if (strcasecmp(key, "X-Forwarded-For") == 0 && value != NULL &&
	    ((sb->len > 0 && strbuf_append(sb, ",", 1) != KW_OK) ||
	    strbuf_append(sb, value, strlen(value)) != KW_OK))
		return MHD_NO;
	return MHD_YES;
}

/* The client: the peer, or, when the peer is a trusted proxy, the address
 * X-Forwarded-For gives (every such header, in order; see proxy.h). */
static void resolve_client(struct req *r, struct MHD_Connection *c)
{
	struct strbuf xff;

	client_address(c, r->peer, sizeof(r->peer));
	snprintf(r->client, sizeof(r->client), "%s", r->peer);
	if (r->srv->trusted == NULL || !proxy_list_contains(r->srv->trusted, r->peer))
		return;
	/* Bounded by the header limit already; proxy.c reads the right end. */
	strbuf_init(&xff, 1024 * 1024);
	MHD_get_connection_values(c, MHD_HEADER_KIND, join_xff, &xff);
	proxy_client(r->client, r->srv->trusted, r->peer, xff.buf, xff.len);
	strbuf_free(&xff);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct req *r = *con_cls;

	if (r == NULL || r->fresh) {
		if (r == NULL && (r = req_new(srv, c)) == NULL)
			return MHD_NO;
		/* in flight from its head on (a head still arriving is the
		 * header deadline's, not the shutdown's to wait for) */
		r->fresh = false;
		atomic_fetch_add(&srv->in_flight, 1);
		*con_cls = r;
		resolve_client(r, c);
		snprintf(r->method, sizeof(r->method), "%s", method);
		r->conn_track = conn_of(c);
		conn_set_phase(srv, r->conn_track, C_BODY);
		if (reject_headers(r, c, method, url, version))
			return send_answer(r);
		struct header_lookup headers = { mhd_get, mhd_count, c, mhd_nth };

		if (handler_route(&r->ctx, &srv->env, method, url, r->client,
		    content_length(c), &headers, &r->resp) != HANDLER_READ)
			return answer_early(r, c);
		/* One allocation for an announced body (already bounded by
		 * handler_route) instead of growing by doubling. */
		if (content_length(c) > 0)
			strbuf_reserve(&r->body, (size_t)(content_length(c) < RESERVE_MAX ?
				content_length(c) : RESERVE_MAX));
		return MHD_YES;
	}
	if (r->state == R_ANSWER)
		return send_answer(r);
	if (*upload_data_size > 0)
		return upload(r, upload_data, upload_data_size);
	if (r->state == R_DISCARD)
		return send_answer(r);
	return process(r, method, url);
}

/* libmicrohttpd's URI log callback, the one place it shows the raw
 * request target (before it splits off and decodes the query): the
 * request's record starts here, keeping the raw query. Its return value
 * is the request's context; on_completed frees it even when the request
 * ends before on_request (the library says so once this callback ran). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	const char *q = uri != NULL ? strchr(uri, '?') : NULL;
	struct req *r = req_new(cls, c);

	if (r == NULL)
		return NULL; /* on_request makes one; the query reads empty */
	r->fresh = true;
	if (q != NULL && (r->raw_query = strdup(q + 1)) == NULL)
		log_kv(LOG_WARN, "out of memory keeping the query", NULL);
	return r;
}

static void log_request(const struct req *r, bool sent)
{
	char id[24], status[8], ms[32];

	if (!log_enabled(LOG_INFO))
		return;
	snprintf(id, sizeof(id), "%lu", r->id);
	snprintf(status, sizeof(status), "%d", r->resp.status);
	snprintf(ms, sizeof(ms), "%.3f", (kw_monotonic() - r->ctx.start) * 1000.0);
	/* The receiver is named project/name, never by its path (the hash
	 * in it is as good as the secret for reaching the receiver). */
	log_kv(LOG_INFO, "request", "#id", id, "method", r->method,
		"receiver", r->ctx.receiver ? r->ctx.receiver_name : NULL,
		"client", r->client, "peer", strcmp(r->peer, r->client) ? r->peer : NULL,
		"kind", r->ctx.kind, "event", r->ctx.event_key, "delivery", r->ctx.request_id,
		"#status", status, "outcome", outcome_name(r->resp.outcome),
		"#duration_ms", ms, "answer", sent ? NULL : "not sent (connection closed)",
		NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct req *r = *con_cls;

	(void)c;
	if (r == NULL)
		return;
	if (r->resp.status != 0) {
		log_request(r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
		metrics_request(r->ctx.receiver ? r->ctx.receiver_name : NULL,
			r->ctx.kind, (int)r->resp.outcome, kw_monotonic() - r->ctx.start);
	}
	conn_set_phase(srv, r->conn_track, C_HEADERS);
	free(r->resp.big_body);
	free(r->raw_query);
	goquery_free(&r->query);
	handler_ctx_clear(&r->ctx);
	if (!r->fresh)
		atomic_fetch_sub(&srv->in_flight, 1);
	strbuf_free(&r->body);
	free(r);
	*con_cls = NULL;
}

/* Whether k's address already holds --max-per-ip connections. A trusted
 * proxy carries many clients on its connections and is not capped. One
 * pass over the open connections (at most --max-connections + slack) per
 * accepted connection; under conn_lock. */
static bool over_per_ip(const struct http_server *s, const struct conn *k)
{
	size_t n = 0;

	if (s->max_per_ip == 0 || k->proxy)
		return false;
	for (const struct conn *o = s->conns; o != NULL && n < s->max_per_ip; o = o->next)
		if (!o->refused && strcmp(o->addr, k->addr) == 0)
			n++;
	return n >= s->max_per_ip;
}

/* Records an open connection, the library's or one the gate is looking
 * at; over --max-connections or --max-per-ip it is answered 503 (plain
 * HTTP) and shut down: k->refused. NULL when out of memory (no deadline for
 * this one; the idle timeout still holds). */
static struct conn *conn_track(struct http_server *s, int fd, const char *addr)
{
	struct conn *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->fd = fd;
	k->since = kw_monotonic();
	snprintf(k->addr, sizeof(k->addr), "%s", addr);
	k->proxy = s->trusted != NULL && proxy_list_contains(s->trusted, k->addr);
	pthread_mutex_lock(&s->conn_lock);
	if ((s->max_conns > 0 && s->n_conns >= s->max_conns) || over_per_ip(s, k)) {
		k->refused = k->cut = true;
		if (!s->tls)
			(void)!send(k->fd, busy_answer, sizeof(busy_answer) - 1,
				MSG_NOSIGNAL | MSG_DONTWAIT);
		shutdown(k->fd, SHUT_RDWR);
	} else {
		s->n_conns++;
	}
	k->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = k;
	s->conns = k;
	pthread_mutex_unlock(&s->conn_lock);
	return k;
}

static void conn_add(struct http_server *s, struct MHD_Connection *c,
	void **socket_context)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	char addr[PROXY_ADDR_SIZE];

	*socket_context = NULL;
	if (ci == NULL)
		return;
	client_address(c, addr, sizeof(addr));
	*socket_context = conn_track(s, ci->connect_fd, addr);
}

static void conn_remove(struct http_server *s, struct conn *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&s->conn_lock);
	if (!k->refused)
		s->n_conns--;
	if (k->prev != NULL)
		k->prev->next = k->next;
	else
		s->conns = k->next;
	if (k->next != NULL)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&s->conn_lock);
	free(k);
}

static void on_connection(void *cls, struct MHD_Connection *c,
	void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		metrics_connection(1);
		conn_add(s, c, socket_context);
	} else {
		metrics_connection(-1);
		conn_remove(s, *socket_context);
		*socket_context = NULL;
	}
}

static bool conn_expired(const struct http_server *s, const struct conn *k,
	double now)
{
	if (k->cut || k->phase == C_DONE)
		return false;
	return now - k->since > (k->phase == C_HEADERS ? s->header_timeout :
		s->request_timeout);
}

/* Shuts down the sockets of requests past their deadline, every SWEEP_MS.
 * The connection is still open (its "closed" notification, which takes
 * conn_lock, comes before the library closes the socket). */
static void *sweeper_main(void *arg)
{
	struct http_server *s = arg;
	struct timespec ts;

	pthread_mutex_lock(&s->conn_lock);
	while (!s->stopping) {
		double now = kw_monotonic();
		size_t cut = 0;
		char n[24];

		for (struct conn *k = s->conns; k != NULL; k = k->next)
			if (conn_expired(s, k, now)) {
				shutdown(k->fd, SHUT_RDWR);
				k->cut = true;
				cut++;
			}
		if (cut > 0) {
			snprintf(n, sizeof(n), "%zu", cut);
			log_kv(LOG_DEBUG, "slow requests cut", "#connections", n, NULL);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->sweep_wake, &s->conn_lock, &ts);
	}
	pthread_mutex_unlock(&s->conn_lock);
	return NULL;
}


/* How libmicrohttpd 0.9.75 reports an answer it gives itself (a head too
 * large for its memory, a malformed request line or header, an unknown
 * HTTP version, bad chunking): the access handler never sees those
 * requests, so this message is the only trace of them. */
#define MHD_OWN_ANSWER "Error processing request (HTTP response code is %u"

/* Logs and counts an answer the library gave itself (docs/design.md,
 * "What libmicrohttpd answers itself"). */
static void library_answer(unsigned status)
{
	char st[16];

	snprintf(st, sizeof(st), "%u", status);
	log_kv(LOG_INFO, "request", "#status", st, "outcome", "bad_request",
		"answer", "libmicrohttpd's own (HTML body), connection closed", NULL);
	metrics_request(NULL, NULL, OUTCOME_BAD_REQUEST, 0.0);
}

/* The library's own messages, at debug level. */
__attribute__((format(printf, 2, 0)))
static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	va_list copy;

	(void)cls;
	if (strncmp(fmt, MHD_OWN_ANSWER, sizeof(MHD_OWN_ANSWER) - 1) == 0) {
		va_copy(copy, ap);
		library_answer(va_arg(copy, unsigned));
		va_end(copy);
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_kv(LOG_DEBUG, "http", "detail", msg, NULL);
}

/* Reads a PEM file whole (1 MiB at most); flag names it in errors. */
static char *read_pem(const char *flag, const char *path, struct kw_err *err)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb;
	char buf[4096];
	size_t n;
	int rc = KW_OK;
	char *text;

	if (f == NULL) {
		kw_errf(err, KW_EIO, "%s %s: %s", flag, path, strerror(errno));
		return NULL;
	}
	strbuf_init(&sb, 1024 * 1024);
	while (rc == KW_OK && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		rc = strbuf_append(&sb, buf, n);
	if (rc == KW_OK && ferror(f))
		rc = kw_errf(err, KW_EIO, "%s %s: %s", flag, path, strerror(errno));
	else if (rc != KW_OK)
		kw_errf(err, rc, "%s %s: %s", flag, path, rc == KW_ETOOBIG ?
			"over 1 MiB: not a certificate or key" : kw_status_str(rc));
	fclose(f);
	text = rc == KW_OK ? strbuf_take(&sb) : NULL;
	if (rc == KW_OK && text == NULL)
		kw_errf(err, KW_ENOMEM, "%s %s: out of memory", flag, path);
	strbuf_free(&sb);
	return text;
}

static int make_addr(struct sockaddr_storage *ss, const char *host,
	unsigned port, bool *v6, struct kw_err *err)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*v6 = false;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return KW_OK;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = true;
		return KW_OK;
	}
	return kw_errf(err, KW_EINVAL, "bind address %s is not an IP address", host);
}

static int write_port_file(const char *path, unsigned port, struct kw_err *err)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL)
		return kw_errf(err, KW_EIO, "cannot write %s", tmp);
	fprintf(f, "%u\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return kw_errf(err, KW_EIO, "cannot write %s", path);
	return KW_OK;
}

/* Binds and listens ourselves, so a port already in use is a start-up
 * error naming the address and the cause. No SO_REUSEPORT: a second
 * process on the same port would silently take a share of the
 * deliveries into its own state. SO_REUSEADDR only lets a restart bind
 * while old connections linger in TIME_WAIT. */
static int open_listener(int *out, const struct http_options *o,
	const struct sockaddr_storage *ss, bool v6, struct kw_err *err)
{
	int one = 1, e;
	int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*out = -1;
	if (fd < 0)
		return kw_errf(err, KW_EIO, "cannot listen on %s:%u: %s", o->host,
			o->port, strerror(errno));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (const struct sockaddr *)ss, v6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in)) != 0 || listen(fd, SOMAXCONN) != 0) {
		e = errno;
		close(fd);
		return kw_errf(err, KW_EIO, "cannot listen on %s:%u: %s", o->host,
			o->port, strerror(e));
	}
	*out = fd;
	return KW_OK;
}

static struct MHD_Daemon *start_daemon(struct http_server *s,
	const struct http_options *o, int listen_fd, bool v6)
{
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG | MHD_USE_ITC;
	bool gated = s->tls_cert_pem == NULL;
	unsigned threads = o->threads ? o->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);

	/* The library splits its connection limit among its threads and
	 * refuses to start with fewer connections than threads. */
	if (threads > o->max_connections + REFUSE_SLACK)
		threads = o->max_connections + REFUSE_SLACK;
	/* The listening socket (unless gated), three TLS options and the
	 * MHD_OPTION_END that closes the array. */
	struct MHD_OptionItem more[5] = {
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	size_t n = 0;

	if (v6)
		flags |= MHD_USE_IPv6;
	/* Plain HTTP: the gate accepts and hands connections over. */
	if (gated)
		flags |= MHD_USE_NO_LISTEN_SOCKET;
	else
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	if (s->tls_cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem };
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem };
		more[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
	}
	return MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL,
		on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		MHD_OPTION_THREAD_POOL_SIZE, threads < 1 ? 1u : threads,
		MHD_OPTION_CONNECTION_LIMIT, o->max_connections + REFUSE_SLACK,
		MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_limit + HEAD_SLACK,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_ARRAY, more,
		MHD_OPTION_END);
}

static int load_tls(struct http_server *s, const struct http_options *o,
	struct kw_err *err)
{
	if (o->tls_cert == NULL && o->tls_key == NULL)
		return KW_OK;
	if (o->tls_cert == NULL || o->tls_key == NULL)
		return kw_errf(err, KW_EINVAL, "TLS needs both a certificate and a key");
	s->tls_cert_pem = read_pem("--tls-cert", o->tls_cert, err);
	s->tls_key_pem = s->tls_cert_pem ? read_pem("--tls-key", o->tls_key, err) : NULL;
	if (s->tls_key_pem == NULL)
		return KW_EIO;
	return tls_pem_check(s->tls_cert_pem, strlen(s->tls_cert_pem),
		s->tls_key_pem, strlen(s->tls_key_pem), o->tls_cert, o->tls_key, err);
}

static unsigned bound_port(int fd, unsigned fallback)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return fallback;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
}

/* The gate's connections count toward the limits like the library's. */
static void *gate_admit(void *arg, int fd, const char *addr, bool *refused)
{
	struct conn *k = conn_track(arg, fd, addr);

	metrics_connection(1);
	*refused = k != NULL && k->refused;
	return k;
}

static void gate_release(void *arg, void *token)
{
	metrics_connection(-1);
	conn_remove(arg, token);
}

/* Plain HTTP: the gate takes the listening socket (non-blocking, so its
 * thread drains the accept queue and returns to its poll). */
static int start_gate(struct http_server *s, int fd, struct kw_err *err)
{
	struct gate_options go = {
		.listen_fd = fd, .daemon = s->d, .header_limit = s->header_limit,
		.header_timeout = s->header_timeout, .idle_timeout = s->idle_timeout,
		.max_pending = s->max_conns > 0 ? s->max_conns : 1024,
		.admit = gate_admit, .release = gate_release, .arg = s,
	};
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return kw_errf(err, KW_EIO, "listening socket: %s", strerror(errno));
	return gate_start(&s->gate, &go, err);
}

int http_start(struct http_server **out, struct world *w,
	const struct http_options *o, struct kw_err *err)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	bool v6;
	int rc, fd = -1;

	*out = NULL;
	if (s == NULL)
		return KW_ENOMEM;
	pthread_mutex_init(&s->conn_lock, NULL);
	pthread_mutex_init(&s->wait_lock, NULL);
	pthread_cond_init(&s->job_cond, NULL);
	pthread_cond_init(&s->sweep_wake, NULL);
	s->header_timeout = o->header_timeout ? o->header_timeout : HEADER_TIMEOUT;
	s->idle_timeout = o->idle_timeout;
	s->request_timeout = o->request_timeout ? o->request_timeout : REQUEST_TIMEOUT;
	s->max_conns = o->max_connections;
	s->max_per_ip = o->max_per_ip;
	s->header_limit = o->header_limit;
	s->trusted = o->trusted_proxies;
	s->tls = o->tls_cert != NULL;
	s->env.world = w;
	if (o->rate_per_client > 0)
		s->env.per_client = ratelimit_new(o->rate_per_client,
			o->rate_per_client * o->rate_burst, 65536);
	if (o->rate_per_receiver > 0)
		s->env.per_receiver = ratelimit_new(o->rate_per_receiver,
			o->rate_per_receiver * o->rate_burst, 4096);
	rc = make_addr(&ss, o->host, o->port, &v6, err);
	if (rc == KW_OK)
		rc = load_tls(s, o, err);
	if (rc == KW_OK)
		rc = open_listener(&fd, o, &ss, v6, err);
	if (rc == KW_OK) {
		s->d = start_daemon(s, o, fd, v6);
		if (s->d == NULL) {
			close(fd);
			rc = kw_errf(err, KW_EIO, "cannot start the HTTP server on %s:%u",
				o->host, o->port);
		}
	}
	if (rc == KW_OK && !s->tls && (rc = start_gate(s, fd, err)) != KW_OK)
		close(fd); /* still ours: the gate did not start */
	if (rc == KW_OK) {
		info = s->gate ? NULL : MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
		s->port = info ? info->port : bound_port(fd, o->port);
		if (pthread_create(&s->sweeper, NULL, sweeper_main, s) == 0)
			s->sweeping = true;
		else
			rc = kw_errf(err, KW_ENOMEM, "cannot start the sweeper thread");
	}
	if (rc == KW_OK && o->port_file != NULL)
		rc = write_port_file(o->port_file, s->port, err);
	if (rc != KW_OK) {
		http_stop(s, 0);
		return rc;
	}
	*out = s;
	return KW_OK;
}

unsigned http_port(const struct http_server *s)
{
	return s->port;
}

/* Waits up to seconds for *count to reach zero. */
static void wait_for(atomic_long *count, unsigned seconds)
{
	for (unsigned i = 0; i < seconds * 100 && atomic_load(count) > 0; i++)
		usleep(10 * 1000);
}

/* libmicrohttpd aborts the process when stopped with a suspended
 * connection. Requests still waiting for the world after the grace period
 * are cancelled (answered 503, which Bitbucket retries); the batch being
 * written finishes first. If some still wait, the daemon is left for the
 * process exit to reclaim rather than crashing it. */
static bool stop_daemon(struct http_server *s)
{
	/* From here no request suspends, and every job still queued is
	 * answered (503) at once; the batch being written finishes first. */
	pthread_mutex_lock(&s->wait_lock);
	s->no_suspend = true;
	pthread_mutex_unlock(&s->wait_lock);
	world_cancel(s->env.world);
	wait_for(&s->n_suspended, 30);
	wait_for(&s->in_flight, 1);
	if (atomic_load(&s->n_suspended) > 0) {
		log_kv(LOG_ERROR, "requests still wait for the state database", NULL);
		return false;
	}
	MHD_stop_daemon(s->d);
	s->d = NULL;
	return true;
}

bool http_stop(struct http_server *s, unsigned grace)
{
	if (s == NULL)
		return true;
	if (s->d != NULL) {
		MHD_socket fd = s->gate ? MHD_INVALID_SOCKET : MHD_quiesce_daemon(s->d);

		gate_stop(s->gate); /* stops accepting, closes the socket */
		s->gate = NULL;
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		wait_for(&s->in_flight, grace);
		/* Its threads still use s: leave it all to the process exit. */
		if (!stop_daemon(s))
			return false;
	}
	pthread_mutex_lock(&s->conn_lock);
	s->stopping = true;
	pthread_cond_signal(&s->sweep_wake);
	pthread_mutex_unlock(&s->conn_lock);
	if (s->sweeping)
		pthread_join(s->sweeper, NULL);
	pthread_mutex_destroy(&s->conn_lock);
	pthread_mutex_destroy(&s->wait_lock);
	pthread_cond_destroy(&s->job_cond);
	pthread_cond_destroy(&s->sweep_wake);
	ratelimit_free(s->env.per_client);
	ratelimit_free(s->env.per_receiver);
	free(s->tls_cert_pem);
	if (s->tls_key_pem != NULL) {
		memset(s->tls_key_pem, 0, strlen(s->tls_key_pem));
		free(s->tls_key_pem);
	}
	free(s);
	return true;
}
