/*
 * kube.h: a small Kubernetes API client on libcurl and cJSON: where the
 * API server is and who we are (a kubeconfig file or the in-cluster
 * service account), plain calls with reused connections, paged lists and
 * watch streams. It knows nothing of Kargo: world_kube.c decides what to
 * list, watch and patch.
 *
 * Thread safety: a kube_client is shared by every thread; each call takes
 * a pooled curl handle (so connections are reused) and returns it after.
 * A token file is re-read when it changes and after a 401 (in-cluster
 * tokens expire and the kubelet rewrites the file).
 */
#ifndef KUBE_H
#define KUBE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct kw_err;
struct kube_client;

/* Where the API server is and how to log in to it. Every string is owned
 * (malloc'd) or NULL. */
struct kube_config {
	char *server;      /* "https://host:port", no trailing slash */
	char *ca_file;     /* certificate-authority, or NULL */
	char *ca_pem;      /* certificate-authority-data, decoded, or NULL */
	bool insecure;     /* insecure-skip-tls-verify */
	char *token;       /* a fixed bearer token, or NULL */
	char *token_file;  /* tokenFile / the service account token, or NULL */
	char *cert_file;   /* client-certificate, or NULL */
	char *cert_pem;    /* client-certificate-data, decoded, or NULL */
	char *key_file;    /* client-key, or NULL */
	char *key_pem;     /* client-key-data, decoded, or NULL */
	char *namespace;   /* the context's namespace, or the in-cluster one */
	char *source;      /* "kubeconfig FILE (context NAME)" or "in-cluster" */
};

/*
 * Reads the current context of the kubeconfig at path. An exec or
 * auth-provider user, a server that is not https, a missing context,
 * cluster or user are errors naming what was wrong (KW_EINVAL; KW_EIO for
 * an unreadable file).
 */
int kube_config_load(struct kube_config *out, const char *path,
	struct kw_err *err);

/* The most a kubeconfig file may hold. */
#define KUBE_CONFIG_MAX (4u << 20)

/*
 * The pure part of kube_config_load: the kubeconfig text in buf (YAML or
 * JSON, at most KUBE_CONFIG_MAX bytes) into out. Relative file names are
 * taken from dir (the kubeconfig's folder; NULL: as given); files are
 * named, not read. origin names the text in messages and in out->source.
 */
int kube_config_parse(struct kube_config *out, const char *buf, size_t len,
	const char *dir, const char *origin, struct kw_err *err);

/*
 * The in-cluster service account: KUBERNETES_SERVICE_HOST and
 * KUBERNETES_SERVICE_PORT (an IPv6 host is put in brackets), the token,
 * ca.crt and namespace files in dir (NULL: the standard
 * /var/run/secrets/kubernetes.io/serviceaccount). KW_EINVAL when the
 * variables are not set, KW_EIO when the files cannot be read.
 */
int kube_config_in_cluster(struct kube_config *out, const char *dir,
	struct kw_err *err);

/* Frees the strings; c may be reused. */
void kube_config_clear(struct kube_config *c);

struct kube_client_options {
	double qps;      /* client-side request rate (KUBE_API_QPS); 0: 50 */
	int burst;       /* KUBE_API_BURST; 0: 300 */
	double timeout;  /* seconds for one call (not a watch); 0: 30 */
};

/* Copies cfg. KW_EINVAL (with err) when TLS material cannot be used. */
int kube_client_new(struct kube_client **out, const struct kube_config *cfg,
	const struct kube_client_options *opts, struct kw_err *err);

/* Accepts NULL. Calls in progress must have returned. */
void kube_client_free(struct kube_client *c);

/* One call's answer. */
struct kube_response {
	long status;        /* HTTP status; 0 when no answer came */
	char *body;         /* owned, NUL-terminated; NULL when none */
	size_t body_len;
	int retry_after;    /* seconds from Retry-After; 0 when absent */
	char reason[64];    /* a failed call's Status reason ("NotFound", "Expired") */
	char message[512];  /* its Status message, or why no answer came */
};

/* Frees the body; r may be reused. Accepts NULL. */
void kube_response_clear(struct kube_response *r);

/*
 * One call: method on path ("/apis/...", query allowed), with an optional
 * body of content_type. Waits for the client-side rate limit, then at most
 * the call timeout. A 401 re-reads the token file and tries once more.
 * KW_OK when the server answered (any status: see resp->status; the
 * Status body of a non-2xx answer fills reason, message and, without a
 * Retry-After header, retry_after from details.retryAfterSeconds), KW_EIO
 * when it did not (refused, reset,
 * timed out, TLS failure: resp->message says which).
 */
int kube_request(struct kube_client *c, const char *method, const char *path,
	const char *content_type, const char *body, size_t body_len,
	struct kube_response *resp);

/*
 * A GET that paces itself to half the client's rate and burst (its own
 * bucket, on top of the shared one): reads that repeat for ever (a
 * Secret polled where listing is forbidden) leave the other half to
 * refreshes however many there are. Otherwise as kube_request.
 */
int kube_get_background(struct kube_client *c, const char *path,
	struct kube_response *resp);

/*
 * Items a list page asks for. client-go's reflector asks for 500; the API
 * server takes any limit. The caches keep every item anyway, so a bigger
 * page only costs its transient memory (the text and its cJSON tree,
 * freed before the next page: a few MB for 2,000 Warehouses with status)
 * while each page costs a round trip and about 10 ms of this process's
 * CPU: at 100,000 Warehouses against the fake, 500 a page took 4.4 s of
 * CPU and 6.2 s to ready, 2,000 took 2.0 s and 3.4 s, and 5,000 gained
 * nothing more (docs/performance.md).
 */
#define KUBE_LIST_LIMIT 2000

/* A limit that asks for the whole collection in one answer (no paging):
 * what a list falls back to when continue tokens expire (410) twice, as
 * client-go's pager does. */
#define KUBE_LIST_ALL SIZE_MAX

/*
 * Lists a collection page by page (limit items a page, continue tokens)
 * and calls on_item for each item (borrowed for the call; a non-zero
 * return stops the list and is returned). *resource_version gets the
 * list's resourceVersion (malloc'd). KW_OK; KW_EIO with resp filled (the
 * failing call's status, reason and message; status 410 when a continue
 * token expired: list again).
 */
int kube_list(struct kube_client *c, const char *path, size_t limit,
	int (*on_item)(void *arg, const struct cJSON *item), void *arg,
	char **resource_version, struct kube_response *resp);

/*
 * A flag another thread raises to end a watch (or a wait) at once: the
 * watch's poll is woken (curl_multi_wakeup), not left to notice within
 * the second libcurl's progress callback takes. Any thread may raise
 * it, but it serves one watch at a time (it holds one transfer's multi
 * handle). Init before use, destroy after the last user.
 */
struct kube_stop {
	atomic_bool raised;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void *multi; /* the CURLM of the transfer waiting on it, or NULL */
};

void kube_stop_init(struct kube_stop *s);
void kube_stop_destroy(struct kube_stop *s);
/* Raises the flag and wakes a watch or kube_stop_wait waiting on it. */
void kube_stop_raise(struct kube_stop *s);
void kube_stop_clear(struct kube_stop *s);
bool kube_stop_raised(struct kube_stop *s);
/* Waits up to seconds or until the flag is raised; true when raised. */
bool kube_stop_wait(struct kube_stop *s, double seconds);

/* What ended a watch. */
enum kube_watch_end {
	KUBE_WATCH_CLOSED = 0, /* the server ended the stream: watch again */
	KUBE_WATCH_EXPIRED,    /* 410 or an ERROR event with code 410: list again */
	KUBE_WATCH_FAILED,     /* another error: resp says which; back off */
	KUBE_WATCH_STOPPED,    /* stop was raised */
};

/*
 * Watches a collection from *resource_version (NULL or "": from now, the
 * server first sending every object as ADDED) with bookmarks and the
 * given timeoutSeconds (<= 0: 300); the call's own timeout is 30 s more. on_event gets each event's type ("ADDED",
 * "MODIFIED", "DELETED", "BOOKMARK") and object, borrowed for the call;
 * *resource_version follows each event's metadata.resourceVersion.
 * Events are framed across any chunk boundaries (kube_frame.h); a line
 * over 16 MiB or one that is not an event fails the watch. A stream the
 * server cut after it started is KUBE_WATCH_CLOSED; a 401 re-reads the
 * token file and tries once more, as kube_request. Raising stop (may be
 * NULL) ends the watch at once.
 */
enum kube_watch_end kube_watch(struct kube_client *c, const char *path,
	char **resource_version, int timeout_seconds,
	void (*on_event)(void *arg, const char *type, const struct cJSON *object),
	void *arg, struct kube_stop *stop, struct kube_response *resp);

#endif
