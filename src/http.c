/*
 * http.c: libmicrohttpd glue (see http.h). One struct req per request
 * carries it through three calls of the access handler: route on the
 * headers, collect the body (bounded), then answer, possibly after a
 * suspension while the world commits the refresh.
 */
#include "http.h"

#include "handler.h"
#include "kw.h"
#include "log.h"
#include "metrics.h"
#include "ratelimit.h"
#include "strbuf.h"
#include "world.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct http_server {
	struct MHD_Daemon *d;
	struct handler_env env;
	unsigned port;
	atomic_long in_flight;
	atomic_ulong next_id;
	char *tls_cert_pem;
	char *tls_key_pem;
};

enum req_state { R_READ = 0, R_WAIT, R_ANSWER, R_DISCARD };

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
	unsigned long id;
	size_t discarded;
	char client[INET6_ADDRSTRLEN];
};

static void client_address(struct MHD_Connection *c, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, (socklen_t)len);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, (socklen_t)len);
}

static enum MHD_Result send_answer(struct req *r)
{
	const struct handler_response *a = &r->resp;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char retry[16];

	r->state = R_ANSWER;
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
	if (a->retry_after > 0) {
		snprintf(retry, sizeof(retry), "%d", a->retry_after);
		MHD_add_response_header(resp, "Retry-After", retry);
	}
	ret = MHD_queue_response(r->conn, (unsigned)a->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void job_done(struct world_job *job)
{
	struct req *r = job->arg;

	handler_finish(&r->ctx, &r->resp);
	r->state = R_ANSWER;
	MHD_resume_connection(r->conn);
}

struct header_count {
	const char *name;
	size_t n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
	const char *key, const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, hc->name) == 0)
		hc->n++;
	return MHD_YES;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static enum MHD_Result process(struct req *r, const char *method,
	const char *url)
{
	struct header_count sigs = { "X-Hub-Signature", 0 };
	struct handler_request hr = { 0 };

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_header, &sigs);
	hr.method = method;
	hr.path = url;
	hr.event_key = header(r->conn, "X-Event-Key");
	hr.signature = header(r->conn, "X-Hub-Signature");
	hr.n_signatures = sigs.n;
	hr.request_id = header(r->conn, "X-Request-UUID");
	if (hr.request_id == NULL)
		hr.request_id = header(r->conn, "X-Request-Id");
	hr.attempt = header(r->conn, "X-Attempt-Number");
	hr.body = r->body.buf ? r->body.buf : "";
	hr.body_len = r->body.len;
	/* Suspend first: the world may finish the job before we return. */
	MHD_suspend_connection(r->conn);
	r->state = R_WAIT;
	if (handler_request(&r->ctx, &hr, &r->resp, job_done, r) == HANDLER_WAIT)
		return MHD_YES;
	r->state = R_ANSWER;
	MHD_resume_connection(r->conn);
	return MHD_YES;
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
	if (r->state == R_DISCARD) {
		r->discarded += n;
		return r->discarded > DISCARD_MAX ? send_answer(r) : MHD_YES;
	}
	rc = strbuf_append(&r->body, data, n);
	if (rc == KW_ETOOBIG) {
		handler_too_large(&r->ctx, &r->resp);
		strbuf_free(&r->body);
		r->state = R_DISCARD;
		r->discarded = n;
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
	strbuf_init(&r->body, HANDLER_BODY_LIMIT);
	atomic_fetch_add(&srv->in_flight, 1);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	struct req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = req_new(srv, c);
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		client_address(c, r->client, sizeof(r->client));
		if (handler_route(&r->ctx, &srv->env, method, url, r->client,
		    content_length(c), &r->resp) == HANDLER_READ)
			return MHD_YES;
		if (r->resp.status == 413 && content_length(c) <= (long long)DISCARD_MAX) {
			r->state = R_DISCARD;
			return MHD_YES;
		}
		return send_answer(r);
	}
	if (r->state == R_ANSWER)
		return send_answer(r);
	if (*upload_data_size > 0)
		return upload(r, upload_data, upload_data_size);
	if (r->state == R_DISCARD)
		return send_answer(r);
	return process(r, method, url);
}

static void log_request(const struct req *r)
{
	char id[24], status[8], ms[32];

	if (!log_enabled(LOG_INFO))
		return;
	snprintf(id, sizeof(id), "%lu", r->id);
	snprintf(status, sizeof(status), "%d", r->resp.status);
	snprintf(ms, sizeof(ms), "%.3f", (kw_monotonic() - r->ctx.start) * 1000.0);
	log_kv(LOG_INFO, "request", "id", id,
		"receiver", r->ctx.receiver ? r->ctx.receiver_name : NULL,
		"event", r->ctx.event_key, "delivery", r->ctx.request_id,
		"status", status, "outcome", handler_outcome_name(r->resp.outcome),
		"duration_ms", ms, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct req *r = *con_cls;

	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->resp.status != 0) {
		log_request(r);
		metrics_request(r->ctx.receiver ? r->ctx.receiver_name : NULL,
			(int)r->resp.outcome, kw_monotonic() - r->ctx.start);
	}
	free(r->resp.big_body);
	handler_ctx_clear(&r->ctx);
	strbuf_free(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c,
	void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	(void)socket_context;
	metrics_connection(toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_kv(LOG_DEBUG, "http", "detail", msg, NULL);
}

static char *read_pem(const char *path, struct kw_err *err)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb;
	char buf[4096];
	size_t n;

	if (f == NULL) {
		kw_errf(err, KW_EIO, "cannot read %s", path);
		return NULL;
	}
	strbuf_init(&sb, 1024 * 1024);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (strbuf_append(&sb, buf, n) != KW_OK)
			break;
	fclose(f);
	return strbuf_take(&sb);
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

static struct MHD_Daemon *start_daemon(struct http_server *s,
	const struct http_options *o, const struct sockaddr_storage *ss, bool v6)
{
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG | MHD_USE_ITC;
	unsigned threads = o->threads ? o->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	struct MHD_OptionItem tls[3] = {
		{ MHD_OPTION_END, 0, NULL }, { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (v6)
		flags |= MHD_USE_IPv6;
	if (s->tls_cert_pem != NULL) {
		flags |= MHD_USE_TLS;
		tls[0] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem };
		tls[1] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem };
		tls[2] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
			"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" };
	}
	return MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL,
		on_request, s,
		MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads < 1 ? 1u : threads,
		MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, o->idle_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->header_limit,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_ARRAY, tls,
		MHD_OPTION_END);
}

static int load_tls(struct http_server *s, const struct http_options *o,
	struct kw_err *err)
{
	if (o->tls_cert == NULL && o->tls_key == NULL)
		return KW_OK;
	if (o->tls_cert == NULL || o->tls_key == NULL)
		return kw_errf(err, KW_EINVAL, "TLS needs both a certificate and a key");
	s->tls_cert_pem = read_pem(o->tls_cert, err);
	s->tls_key_pem = s->tls_cert_pem ? read_pem(o->tls_key, err) : NULL;
	return s->tls_key_pem ? KW_OK : KW_EIO;
}

int http_start(struct http_server **out, struct world *w,
	const struct http_options *o, struct kw_err *err)
{
	struct http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	bool v6;
	int rc;

	*out = NULL;
	if (s == NULL)
		return KW_ENOMEM;
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
	if (rc == KW_OK) {
		s->d = start_daemon(s, o, &ss, v6);
		if (s->d == NULL)
			rc = kw_errf(err, KW_EIO, "cannot listen on %s:%u", o->host, o->port);
	}
	if (rc == KW_OK) {
		info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
		s->port = info ? info->port : o->port;
		if (o->port_file != NULL)
			rc = write_port_file(o->port_file, s->port, err);
	}
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

void http_stop(struct http_server *s, unsigned grace)
{
	if (s == NULL)
		return;
	if (s->d != NULL) {
		MHD_socket fd = MHD_quiesce_daemon(s->d);

		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		for (unsigned i = 0; i < grace * 100 && atomic_load(&s->in_flight) > 0; i++)
			usleep(10 * 1000);
		MHD_stop_daemon(s->d);
	}
	ratelimit_free(s->env.per_client);
	ratelimit_free(s->env.per_receiver);
	free(s->tls_cert_pem);
	if (s->tls_key_pem != NULL) {
		memset(s->tls_key_pem, 0, strlen(s->tls_key_pem));
		free(s->tls_key_pem);
	}
	free(s);
}
