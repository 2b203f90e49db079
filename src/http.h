/*
 * http.h: the HTTP server (libmicrohttpd in thread-pool mode with poll):
 * limits, timeouts, TLS, and the glue that feeds requests to handler.c.
 * Why libmicrohttpd: it streams the body to us (so the 2 MiB limit is
 * enforced while reading), enforces connection and per-address limits and
 * timeouts itself, and lets a request wait for a group commit without
 * holding a thread (suspend/resume). See docs/design.md.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct world;
struct kw_err;
struct http_server;
struct proxy_list;

struct http_options {
	const char *host;         /* "0.0.0.0", "127.0.0.1", "::" */
	unsigned port;            /* 0: any free port */
	const char *port_file;    /* written with the bound port; may be NULL */
	unsigned threads;         /* request threads; 0: one per core */
	unsigned max_connections; /* total */
	unsigned max_per_ip;      /* open connections per peer address, trusted
	                             proxies exempt; 0: unlimited */
	unsigned idle_timeout;    /* seconds a connection may sit idle */
	unsigned header_timeout;  /* seconds to send the headers; 0: 10 */
	unsigned request_timeout; /* seconds to send the whole request; 0: 30 */
	size_t header_limit;      /* bytes of request line and headers */
	const char *tls_cert;     /* PEM files; both NULL: plain HTTP */
	const char *tls_key;
	double rate_per_client;   /* requests/s per client address; 0: none */
	double rate_per_receiver; /* requests/s per receiver; 0: none */
	double rate_burst;        /* bucket size, as a multiple of 1 s of rate */
	/* Peers whose X-Forwarded-For names the client (proxy.h); NULL or
	 * empty: none. Borrowed for the server's life. */
	const struct proxy_list *trusted_proxies;
};

/* Starts serving. KW_EINVAL/KW_EIO with err (bad address, port in use,
 * unreadable certificate). */
int http_start(struct http_server **out, struct world *w,
	const struct http_options *opts, struct kw_err *err);

/* The bound port. */
unsigned http_port(const struct http_server *s);

/* Stops accepting, lets requests in flight finish (at most grace seconds),
 * cancels refreshes still queued in the world (answered 503), then frees
 * everything and returns true. Returns false when requests still wait for
 * the world after that: the server's threads are then still running and
 * the caller must not free the world but end the process. Accepts NULL. */
bool http_stop(struct http_server *s, unsigned grace);

#endif
