/*
 * kube.c: the Kubernetes API client of kube.h on libcurl and cJSON. It
 * owns the connections (a pool of curl easy handles: a handle keeps its
 * connection alive between calls, so a call that takes a pooled handle
 * reuses it), the login (a bearer token, re-read from its file when the
 * file changes and after a 401, or a client certificate), the client-side
 * rate limit (a token bucket, as client-go's QPS and burst), and the three
 * shapes of a call: one request, a list paged with limit/continue, and a
 * watch stream framed into events by kube_frame.c. What to list, watch
 * and patch is the caller's business; nothing here knows Kargo.
 */
#include "kube.h"

#include "kube_frame.h"
#include "kw.h"
#include "strbuf.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define POOL_MAX 64                      /* idle handles kept */
#define BODY_MAX ((size_t)256 << 20)     /* one answer (a page of a list) */
#define ERROR_BODY_MAX ((size_t)64 << 10) /* a failed watch's Status */
#define TOKEN_MAX ((size_t)64 << 10)
#define WATCH_GRACE 30                   /* seconds past timeoutSeconds */

struct kube_client {
	struct kube_config cfg;
	double timeout;
	pthread_mutex_t lock; /* everything below */
	CURL *pool[POOL_MAX];
	size_t n_pool;
	char *token;          /* the bearer token in use, or NULL */
	struct stat token_st; /* the token file when it was read */
	double bucket, qps, burst, refilled;
	/* the background calls' own bucket, at half the rate and burst:
	 * whatever they do, the other half stays for refreshes */
	double bg_bucket, bg_qps, bg_burst;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void kube_response_clear(struct kube_response *r)
{
	if (r == NULL)
		return;
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* ---- login ---------------------------------------------------------------- */

static void wipe_free(char *s)
{
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
	free(s);
}

/* Re-reads the token file when it changed (or when forced, after a 401).
 * A file that cannot be read keeps the token we have: the kubelet writes
 * a new one atomically, so a failed read is a moment, not a logout. */
static void token_reload(struct kube_client *c, bool force)
{
	struct stat st;
	char buf[256], *tok = NULL;
	struct strbuf sb;
	FILE *f;
	size_t n;
	bool same;

	if (c->cfg.token_file == NULL || stat(c->cfg.token_file, &st) != 0)
		return;
	pthread_mutex_lock(&c->lock);
	same = !force && c->token != NULL && st.st_ino == c->token_st.st_ino &&
		st.st_size == c->token_st.st_size &&
		st.st_mtim.tv_sec == c->token_st.st_mtim.tv_sec &&
		st.st_mtim.tv_nsec == c->token_st.st_mtim.tv_nsec;
	pthread_mutex_unlock(&c->lock);
	if (same || (f = fopen(c->cfg.token_file, "rb")) == NULL)
		return;
	strbuf_init(&sb, TOKEN_MAX);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && strbuf_append(&sb, buf, n) == KW_OK)
		;
	if (!ferror(f) && sb.len > 0 && !(sb.len == TOKEN_MAX && !feof(f))) {
		while (sb.len > 0 && strchr(" \t\r\n", sb.buf[sb.len - 1]) != NULL)
			sb.buf[--sb.len] = '\0';
		tok = sb.len > 0 ? strbuf_take(&sb) : NULL;
	}
	fclose(f);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (sb.buf != NULL)
		OPENSSL_cleanse(sb.buf, sb.len);
	strbuf_free(&sb);
	if (tok == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	wipe_free(c->token);
	c->token = tok;
	c->token_st = st;
	pthread_mutex_unlock(&c->lock);
}

/* The Authorization header, or NULL without a token. */
static struct curl_slist *auth_header(struct kube_client *c, struct curl_slist *h)
{
	char *line = NULL;
	struct curl_slist *more;

	pthread_mutex_lock(&c->lock);
	if (c->token != NULL && asprintf(&line, "Authorization: Bearer %s", c->token) < 0)
		line = NULL;
	pthread_mutex_unlock(&c->lock);
	if (line == NULL)
		return h;
	more = curl_slist_append(h, line);
	wipe_free(line);
	return more ? more : h;
}

/* ---- the rate limit ------------------------------------------------------- */

/* Takes one token from the bucket, waiting for it when the bucket is
 * empty. A reservation: the wait is decided under the lock, slept outside.
 * The wait counts in the call's timeout: when it would take all of it,
 * nothing is reserved and -1 is returned (the call fails as transient: a
 * refresh answers 503 at once rather than after the sender gave up);
 * else the seconds waited. A background call also takes a token of the
 * background bucket (kube_get_background). A call with a stop (a watch)
 * waits on it: raised, the wait ends at once (and so does the call). */
static double rate_wait(struct kube_client *c, double timeout, bool background,
	struct kube_stop *stop)
{
	double now = kw_monotonic(), wait;
	struct timespec ts;

	pthread_mutex_lock(&c->lock);
	c->bucket = fmin(c->burst, c->bucket + (now - c->refilled) * c->qps);
	c->bg_bucket = fmin(c->bg_burst, c->bg_bucket + (now - c->refilled) * c->bg_qps);
	c->refilled = now;
	wait = c->bucket < 1 ? (1 - c->bucket) / c->qps : 0;
	if (background && c->bg_bucket < 1)
		wait = fmax(wait, (1 - c->bg_bucket) / c->bg_qps);
	if (wait < timeout) {
		c->bucket -= 1;
		c->bg_bucket -= background;
	}
	pthread_mutex_unlock(&c->lock);
	if (wait >= timeout)
		return -1;
	if (wait <= 0)
		return 0;
	if (stop != NULL) {
		kube_stop_wait(stop, wait);
		return wait;
	}
	ts.tv_sec = (time_t)wait;
	ts.tv_nsec = (long)((wait - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return wait;
}

/* ---- handles -------------------------------------------------------------- */

static void blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob b = {.data = (void *)pem, .len = strlen(pem),
		.flags = CURL_BLOB_COPY};

	curl_easy_setopt(h, opt, &b);
}

/* A new handle with what every call shares: TLS and login material. */
static CURL *handle_new(struct kube_client *c)
{
	const struct kube_config *k = &c->cfg;
	CURL *h = curl_easy_init();

	if (h == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* A connection that died without FIN or RST (a lost node, a NAT
	 * dropping the flow) is found within about a minute (15 s idle, then
	 * probes every 5 s, which Linux gives up after 9), not only at the
	 * watch's timeout minutes later: meanwhile a deleted Secret would stay
	 * valid. */
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 15L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (k->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (k->ca_file != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, k->ca_file);
	if (k->ca_pem != NULL)
		blob(h, CURLOPT_CAINFO_BLOB, k->ca_pem);
	if (k->cert_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLCERT, k->cert_file);
	if (k->cert_pem != NULL)
		blob(h, CURLOPT_SSLCERT_BLOB, k->cert_pem);
	if (k->key_file != NULL)
		curl_easy_setopt(h, CURLOPT_SSLKEY, k->key_file);
	if (k->key_pem != NULL)
		blob(h, CURLOPT_SSLKEY_BLOB, k->key_pem);
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "kargo-webhooks/" KW_VERSION);
	return h;
}

static CURL *handle_take(struct kube_client *c)
{
	CURL *h = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->n_pool > 0)
		h = c->pool[--c->n_pool];
	pthread_mutex_unlock(&c->lock);
	return h ? h : handle_new(c);
}

static void handle_give(struct kube_client *c, CURL *h)
{
	pthread_mutex_lock(&c->lock);
	if (c->n_pool < POOL_MAX) {
		c->pool[c->n_pool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	curl_easy_cleanup(h);
}

/* ---- one transfer --------------------------------------------------------- */

/* What a transfer collects; the watch adds its framer through sink. */
struct xfer {
	struct kube_response *resp;
	struct strbuf body;
	size_t (*sink)(struct xfer *x, const char *data, size_t len);
	void *sink_arg;
	struct kube_stop *stop;
	bool background; /* paces itself by the background bucket too */
	CURL *h;
	long status; /* known once the body starts */
};

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		long v = strtol(data + sizeof(name) - 1, NULL, 10);

		/* Seconds only; an HTTP date (never sent by kube-apiserver) counts as 1. */
		x->resp->retry_after = v > 3600 ? 3600 : v > 0 ? (int)v : 1;
	}
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		x->resp->retry_after = 0; /* a new answer (after a 100 Continue) */
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;

	if (x->status == 0)
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->sink != NULL)
		return x->sink(x, data, len);
	return strbuf_append(&x->body, data, len) == KW_OK ? len : 0;
}

/* A Status body's reason and message into resp (and retryAfterSeconds
 * when no header said it). Other bodies leave them as they are. */
static void status_parse(struct kube_response *r)
{
	cJSON *j = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(j, "kind");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
	const cJSON *det = cJSON_GetObjectItemCaseSensitive(j, "details");
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(det, "retryAfterSeconds");

	if (cJSON_IsString(kind) && strcmp(kind->valuestring, "Status") == 0) {
		if (cJSON_IsString(reason))
			snprintf(r->reason, sizeof(r->reason), "%s", reason->valuestring);
		if (cJSON_IsString(msg))
			snprintf(r->message, sizeof(r->message), "%s", msg->valuestring);
		if (r->retry_after == 0 && cJSON_IsNumber(ra) && ra->valuedouble > 0)
			r->retry_after = ra->valuedouble > 3600 ? 3600 : (int)ra->valuedouble;
	}
	cJSON_Delete(j);
}

/* Sets the per-call options of a (possibly reused) handle. */
static struct curl_slist *prepare(struct kube_client *c, CURL *h, struct xfer *x,
	const char *method, const char *url, const char *ctype, const char *body,
	size_t body_len, double timeout, char *errbuf)
{
	struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/json");
	char line[160];

	hdr = auth_header(c, hdr);
	if (body != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype ? ctype : "application/json");
		hdr = curl_slist_append(hdr, line);
		hdr = curl_slist_append(hdr, "Expect:");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	} else {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
		strcmp(method, body ? "POST" : "GET") == 0 ? NULL : method);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(fmin(timeout, 30) * 1000));
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	/* a stoppable transfer's loop checks its stop (perform_stoppable):
	 * no progress callback on the watch's hot path */
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	return hdr;
}

/* ---- a transfer another thread can end at once ---------------------------- */

void kube_stop_init(struct kube_stop *s)
{
	pthread_condattr_t a;

	atomic_init(&s->raised, false);
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC); /* waits ignore clock steps */
	pthread_cond_init(&s->cond, &a);
	pthread_condattr_destroy(&a);
	s->multi = NULL;
}

void kube_stop_destroy(struct kube_stop *s)
{
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

void kube_stop_raise(struct kube_stop *s)
{
	atomic_store(&s->raised, true);
	pthread_mutex_lock(&s->lock);
	if (s->multi != NULL)
		curl_multi_wakeup(s->multi);
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void kube_stop_clear(struct kube_stop *s)
{
	atomic_store(&s->raised, false);
}

bool kube_stop_raised(struct kube_stop *s)
{
	return atomic_load(&s->raised);
}

bool kube_stop_wait(struct kube_stop *s, double seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L)
		until.tv_sec++, until.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->raised))
		if (pthread_cond_timedwait(&s->cond, &s->lock, &until) != 0)
			break;
	pthread_mutex_unlock(&s->lock);
	return atomic_load(&s->raised);
}

/* curl_easy_perform, but on a multi handle of its own whose poll
 * kube_stop_raise wakes: a raised stop ends the transfer at once. The
 * connection is the transfer's own (a watch lives for minutes anyway). */
static CURLcode perform_stoppable(CURL *h, struct kube_stop *stop)
{
	CURLM *m = curl_multi_init();
	CURLcode cc = CURLE_ABORTED_BY_CALLBACK;
	int running = 1;

	if (m == NULL)
		return CURLE_OUT_OF_MEMORY;
	if (curl_multi_add_handle(m, h) != CURLM_OK) {
		curl_multi_cleanup(m);
		return CURLE_OUT_OF_MEMORY;
	}
	pthread_mutex_lock(&stop->lock);
	stop->multi = m;
	pthread_mutex_unlock(&stop->lock);
	while (running > 0 && !kube_stop_raised(stop)) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running > 0 && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	}
	pthread_mutex_lock(&stop->lock);
	stop->multi = NULL;
	pthread_mutex_unlock(&stop->lock);
	for (CURLMsg *msg; (msg = curl_multi_info_read(m, &running)) != NULL;)
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	return cc;
}

/* One attempt: KW_OK when an answer came (any status), else KW_EIO. */
static int perform(struct kube_client *c, struct xfer *x, const char *method,
	const char *url, const char *ctype, const char *body, size_t body_len,
	double timeout)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct kube_response *r = x->resp;
	struct curl_slist *hdr;
	CURL *h = handle_take(c);
	CURLcode cc;

	kube_response_clear(r);
	strbuf_reset(&x->body);
	x->status = 0;
	if (h == NULL) {
		snprintf(r->message, sizeof(r->message), "out of memory");
		return KW_ENOMEM;
	}
	x->h = h;
	hdr = prepare(c, h, x, method, url, ctype, body, body_len, timeout, errbuf);
	cc = x->stop != NULL ? perform_stoppable(h, x->stop) : curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdr);
	handle_give(c, h);
	x->h = NULL;
	if (cc == CURLE_WRITE_ERROR && x->sink == NULL) {
		snprintf(r->message, sizeof(r->message), "%s %s: an answer over %zu bytes",
			method, url, x->body.max);
		return KW_ETOOBIG;
	}
	if (cc != CURLE_OK) {
		snprintf(r->message, sizeof(r->message), "%s %s: %s", method, url,
			errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return KW_EIO;
	}
	r->body_len = x->body.len;
	r->body = strbuf_take(&x->body);
	if (r->status < 200 || r->status >= 300)
		status_parse(r); /* a success is not parsed twice (list pages are big) */
	return KW_OK;
}

static int url_of(struct kube_client *c, const char *path, char **out)
{
	if (asprintf(out, "%s%s", c->cfg.server, path) < 0) {
		*out = NULL;
		return KW_ENOMEM;
	}
	return KW_OK;
}

/* A call with the 401 rule: re-read the token and try once more. */
static int call(struct kube_client *c, struct xfer *x, const char *method,
	const char *path, const char *ctype, const char *body, size_t body_len, double timeout)
{
	char *url;
	int rc;

	if (url_of(c, path, &url) != KW_OK) {
		kube_response_clear(x->resp);
		snprintf(x->resp->message, sizeof(x->resp->message), "out of memory");
		return KW_EIO;
	}
	for (int attempt = 0;; attempt++) {
		double waited;

		token_reload(c, attempt > 0);
		if ((waited = rate_wait(c, timeout, x->background, x->stop)) < 0) {
			kube_response_clear(x->resp);
			snprintf(x->resp->message, sizeof(x->resp->message),
				"%s %s: the client-side rate limit (%g/s%s) would delay it past "
				"the call timeout", method, path, x->background ? c->bg_qps : c->qps,
				x->background ? " for background reads" : "");
			rc = KW_EIO;
			break;
		}
		rc = perform(c, x, method, url, ctype, body, body_len, timeout - waited);
		if (rc != KW_OK || x->resp->status != 401 || attempt > 0 ||
		    c->cfg.token_file == NULL)
			break;
	}
	free(url);
	return rc == KW_OK ? KW_OK : KW_EIO;
}

/* One call with its own answer buffer; background: paced by the
 * background bucket too. */
static int request(struct kube_client *c, bool background, const char *method,
	const char *path, const char *content_type, const char *body, size_t body_len,
	struct kube_response *resp)
{
	struct xfer x = {.resp = resp, .background = background};
	int rc;

	strbuf_init(&x.body, BODY_MAX);
	rc = call(c, &x, method, path, content_type, body, body_len, c->timeout);
	strbuf_free(&x.body);
	return rc;
}

int kube_request(struct kube_client *c, const char *method, const char *path,
	const char *content_type, const char *body, size_t body_len,
	struct kube_response *resp)
{
	return request(c, false, method, path, content_type, body, body_len, resp);
}

int kube_get_background(struct kube_client *c, const char *path,
	struct kube_response *resp)
{
	return request(c, true, "GET", path, NULL, NULL, 0, resp);
}

/* ---- client --------------------------------------------------------------- */

static bool dup_field(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return src == NULL || *dst != NULL;
}

static bool config_copy(struct kube_config *d, const struct kube_config *s)
{
	return dup_field(&d->server, s->server) && dup_field(&d->ca_file, s->ca_file) &&
		dup_field(&d->ca_pem, s->ca_pem) && dup_field(&d->token, s->token) &&
		dup_field(&d->token_file, s->token_file) &&
		dup_field(&d->cert_file, s->cert_file) && dup_field(&d->cert_pem, s->cert_pem) &&
		dup_field(&d->key_file, s->key_file) && dup_field(&d->key_pem, s->key_pem) &&
		dup_field(&d->namespace, s->namespace) && dup_field(&d->source, s->source) &&
		((d->insecure = s->insecure), true);
}

/* PEM text that OpenSSL can read: a certificate or, for keys, a key. */
static bool pem_ok(const char *pem, bool key)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	void *v = NULL;
	bool ok;

	if (b == NULL)
		return false;
	v = key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) :
		(void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
	ok = v != NULL;
	if (key)
		EVP_PKEY_free(v);
	else
		X509_free(v);
	BIO_free(b);
	return ok;
}

/* TLS material that cannot work is a start-up error, not a failed call. */
static int check_tls(const struct kube_config *k, struct kw_err *err)
{
	const char *files[] = {k->ca_file, k->cert_file, k->key_file, k->token_file};
	const char *names[] = {"certificate-authority", "client-certificate", "client-key",
		"tokenFile"};

	for (size_t i = 0; i < KW_ARRAY_LEN(files); i++) {
		FILE *f = files[i] ? fopen(files[i], "rb") : NULL;

		if (files[i] != NULL && f == NULL)
			return kw_errf(err, KW_EINVAL, "%s %s: %s", names[i], files[i],
				strerror(errno));
		if (f != NULL)
			fclose(f);
	}
	if (k->ca_pem != NULL && !pem_ok(k->ca_pem, false))
		return kw_errf(err, KW_EINVAL, "certificate-authority-data holds no PEM certificate");
	if (k->cert_pem != NULL && !pem_ok(k->cert_pem, false))
		return kw_errf(err, KW_EINVAL, "client-certificate-data holds no PEM certificate");
	if (k->key_pem != NULL && !pem_ok(k->key_pem, true))
		return kw_errf(err, KW_EINVAL, "client-key-data holds no PEM private key");
	return KW_OK;
}

int kube_client_new(struct kube_client **out, const struct kube_config *cfg,
	const struct kube_client_options *opts, struct kw_err *err)
{
	struct kube_client *c;
	int rc;

	*out = NULL;
	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return kw_errf(err, KW_EIO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	if (cfg->server == NULL)
		return kw_errf(err, KW_EINVAL, "no API server address");
	if ((rc = check_tls(cfg, err)) != KW_OK)
		return rc;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return kw_errf(err, KW_ENOMEM, "out of memory");
	if (!config_copy(&c->cfg, cfg) ||
	    (cfg->token != NULL && (c->token = strdup(cfg->token)) == NULL)) {
		kube_config_clear(&c->cfg);
		wipe_free(c->token);
		free(c);
		return kw_errf(err, KW_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	c->qps = opts && opts->qps > 0 ? opts->qps : 50;
	c->burst = opts && opts->burst > 0 ? opts->burst : 300;
	c->timeout = opts && opts->timeout > 0 ? opts->timeout : 30;
	c->bucket = c->burst;
	c->bg_qps = c->qps / 2;
	c->bg_burst = fmax(1, floor(c->burst / 2));
	c->bg_bucket = c->bg_burst;
	c->refilled = kw_monotonic();
	token_reload(c, true);
	*out = c;
	return KW_OK;
}

void kube_client_free(struct kube_client *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_pool; i++)
		curl_easy_cleanup(c->pool[i]);
	wipe_free(c->token);
	kube_config_clear(&c->cfg);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- lists ---------------------------------------------------------------- */

/* Appends s percent-encoded for a query value. */
static int append_escaped(struct strbuf *sb, const char *s)
{
	int rc = KW_OK;

	for (; *s != '\0' && rc == KW_OK; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
			rc = strbuf_append(sb, s, 1);
		else
			rc = strbuf_printf(sb, "%%%02X", ch);
	}
	return rc;
}

/* path + "?" or "&" + the query parameters already formatted in params,
 * then name=escaped(value) when value is set. */
static char *with_query(const char *path, const char *params, const char *name,
	const char *value)
{
	struct strbuf sb;
	int rc;

	if (params[0] == '\0' && (value == NULL || value[0] == '\0'))
		return strdup(path);
	strbuf_init(&sb, 1u << 16);
	rc = strbuf_printf(&sb, "%s%c%s", path, strchr(path, '?') ? '&' : '?', params);
	if (rc == KW_OK && value != NULL && value[0] != '\0')
		rc = strbuf_printf(&sb, "&%s=", name);
	if (rc == KW_OK && value != NULL && value[0] != '\0')
		rc = append_escaped(&sb, value);
	if (rc != KW_OK) {
		strbuf_free(&sb);
		return NULL;
	}
	return strbuf_take(&sb);
}

static void fail(struct kube_response *r, const char *what)
{
	snprintf(r->message, sizeof(r->message), "%s", what);
}

/* One page: its items to on_item (whose non-zero return is returned);
 * *next gets the continue token; *bad says the page was not a list. */
static int list_page(const cJSON *page, int (*on_item)(void *, const cJSON *), void *arg,
	char **resource_version, char **next, bool *bad)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(page, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
	const cJSON *cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items");
	const cJSON *item;
	int rc;

	*bad = true;
	if (!cJSON_IsString(rv) || !(cJSON_IsArray(items) || cJSON_IsNull(items)) ||
	    (*resource_version == NULL && (*resource_version = strdup(rv->valuestring)) == NULL))
		return KW_EINVAL;
	*bad = false;
	cJSON_ArrayForEach(item, items)
		if ((rc = on_item(arg, item)) != 0)
			return rc;
	*next = NULL;
	if (cJSON_IsString(cont) && cont->valuestring[0] != '\0' &&
	    (*next = strdup(cont->valuestring)) == NULL) {
		*bad = true;
		return KW_ENOMEM;
	}
	return KW_OK;
}

int kube_list(struct kube_client *c, const char *path, size_t limit,
	int (*on_item)(void *arg, const cJSON *item), void *arg,
	char **resource_version, struct kube_response *resp)
{
	char params[32], *cont = NULL, *url;
	cJSON *page;
	int rc = KW_OK;
	bool bad = false;

	*resource_version = NULL;
	if (limit == KUBE_LIST_ALL)
		params[0] = '\0';
	else
		snprintf(params, sizeof(params), "limit=%zu", limit ? limit : KUBE_LIST_LIMIT);
	do {
		url = with_query(path, params, "continue", cont);
		free(cont);
		cont = NULL;
		if (url == NULL) {
			fail(resp, "out of memory");
			rc = KW_EIO;
			break;
		}
		rc = kube_request(c, "GET", url, NULL, NULL, 0, resp);
		free(url);
		if (rc != KW_OK || resp->status != 200) {
			rc = KW_EIO;
			break;
		}
		page = cJSON_ParseWithLength(resp->body, resp->body_len);
		bad = page == NULL;
		rc = page ? list_page(page, on_item, arg, resource_version, &cont, &bad) :
			KW_EINVAL;
		cJSON_Delete(page);
		if (bad) {
			snprintf(resp->message, sizeof(resp->message),
				"list %s: the answer is not a list", path);
			rc = KW_EIO;
		}
	} while (rc == KW_OK && cont != NULL);
	free(cont);
	if (rc != KW_OK) {
		free(*resource_version);
		*resource_version = NULL;
	} else {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
	}
	return rc;
}

/* ---- watches -------------------------------------------------------------- */

struct watch {
	struct xfer x;
	struct kube_framer framer;
	char **rv;
	void (*on_event)(void *arg, const char *type, const cJSON *object);
	void *arg;
	enum kube_watch_end end; /* set by an event that ends the watch */
	bool ended;
	struct kube_response why; /* status, reason and message of that event */
};

/* An ERROR event carries a Status: 410 means list again. */
static void watch_error(struct watch *w, const cJSON *status)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(status, "reason");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(status, "message");
	struct kube_response *r = &w->why;

	r->status = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
	if (cJSON_IsString(reason))
		snprintf(r->reason, sizeof(r->reason), "%s", reason->valuestring);
	snprintf(r->message, sizeof(r->message), "watch ERROR event: %s",
		cJSON_IsString(msg) ? msg->valuestring : "(no message)");
	w->end = r->status == 410 ? KUBE_WATCH_EXPIRED : KUBE_WATCH_FAILED;
	w->ended = true;
}

static int watch_line(void *arg, const char *line, size_t len)
{
	struct watch *w = arg;
	const cJSON *object, *rv;
	const char *type;
	char *copy;
	cJSON *ev;

	if (kube_event_parse(&ev, &type, &object, line, len) != KW_OK) {
		snprintf(w->why.message, sizeof(w->why.message),
			"watch: a line that is not an event (%zu bytes)", len);
		w->end = KUBE_WATCH_FAILED;
		w->ended = true;
		return KW_EINVAL;
	}
	if (strcmp(type, "ERROR") == 0) {
		watch_error(w, object);
		cJSON_Delete(ev);
		return KW_EINVAL;
	}
	rv = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(object, "metadata"), "resourceVersion");
	if (cJSON_IsString(rv) && (copy = strdup(rv->valuestring)) != NULL) {
		free(*w->rv);
		*w->rv = copy;
	}
	w->on_event(w->arg, type, object);
	cJSON_Delete(ev);
	return KW_OK;
}

/* The body of a 200 goes to the framer; any other status is kept (a
 * Status, bounded) for the caller. */
static size_t watch_sink(struct xfer *x, const char *data, size_t len)
{
	struct watch *w = x->sink_arg;
	int rc;

	if (x->status != 200)
		return strbuf_append(&x->body, data, len) == KW_OK ? len : 0;
	rc = kube_framer_feed(&w->framer, data, len, watch_line, w);
	if (rc == KW_ETOOBIG) {
		snprintf(w->why.message, sizeof(w->why.message),
			"watch: an event longer than %zu bytes", (size_t)KUBE_FRAME_MAX);
		w->end = KUBE_WATCH_FAILED;
		w->ended = true;
	}
	return rc == KW_OK ? len : 0;
}

static enum kube_watch_end watch_result(struct watch *w, struct kube_stop *stop)
{
	struct kube_response *r = w->x.resp;

	if (w->ended) {
		r->status = w->why.status;
		memcpy(r->reason, w->why.reason, sizeof(r->reason));
		memcpy(r->message, w->why.message, sizeof(r->message));
		return w->end;
	}
	if (stop != NULL && kube_stop_raised(stop)) {
		snprintf(r->message, sizeof(r->message), "stopped");
		return KUBE_WATCH_STOPPED;
	}
	if (r->status == 410)
		return KUBE_WATCH_EXPIRED;
	if (r->status == 200)
		return KUBE_WATCH_CLOSED; /* ended, cleanly or cut: watch again */
	return KUBE_WATCH_FAILED;
}

enum kube_watch_end kube_watch(struct kube_client *c, const char *path,
	char **resource_version, int timeout_seconds,
	void (*on_event)(void *arg, const char *type, const cJSON *object),
	void *arg, struct kube_stop *stop, struct kube_response *resp)
{
	struct watch w = {.x = {.resp = resp, .sink = watch_sink, .stop = stop},
		.rv = resource_version, .on_event = on_event, .arg = arg};
	char params[96], *url;
	enum kube_watch_end end;

	w.x.sink_arg = &w;
	if (timeout_seconds <= 0)
		timeout_seconds = 300;
	snprintf(params, sizeof(params),
		"watch=true&allowWatchBookmarks=true&timeoutSeconds=%d", timeout_seconds);
	url = with_query(path, params, "resourceVersion", *resource_version);
	if (url == NULL) {
		kube_response_clear(resp);
		fail(resp, "out of memory");
		return KUBE_WATCH_FAILED;
	}
	strbuf_init(&w.x.body, ERROR_BODY_MAX);
	kube_framer_init(&w.framer, 0);
	call(c, &w.x, "GET", url, NULL, NULL, 0, (double)timeout_seconds + WATCH_GRACE);
	end = watch_result(&w, stop);
	kube_framer_free(&w.framer);
	strbuf_free(&w.x.body);
	free(url);
	return end;
}
