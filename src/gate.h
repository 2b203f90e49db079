/*
 * gate.h: accepts plain-HTTP connections before libmicrohttpd does and
 * looks at each one's first request head (reqhead.h) without reading it
 * (MSG_PEEK). A malformed head is answered here, with JSON, logged and
 * counted, and the connection closed at once; every other connection is
 * handed to the library (MHD_add_connection) with its bytes still unread.
 * Kept-alive later requests and TLS connections are the library's alone
 * (docs/design.md, "What libmicrohttpd answers itself").
 */
#ifndef GATE_H
#define GATE_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Daemon;
struct kw_err;
struct gate;

struct gate_options {
	int listen_fd;             /* listening socket; the gate closes it */
	struct MHD_Daemon *daemon; /* started with MHD_USE_NO_LISTEN_SOCKET */
	size_t header_limit;       /* --header-limit */
	double header_timeout;     /* seconds to send the first head */
	double idle_timeout;       /* seconds without a new byte (0: none),
	                              as the library's --idle-timeout */
	size_t max_pending;        /* connections looked at, at most, at once;
	                              beyond, they go to the library unlooked */
	/* Told of each accepted connection (addr: the peer's address as
	 * text); *refused when it is over a connection limit (already
	 * answered and shut down: the gate closes it). The token returned is
	 * given back to release before the socket is closed or handed over. */
	void *(*admit)(void *arg, int fd, const char *addr, bool *refused);
	void (*release)(void *arg, void *token);
	void *arg;
};

/* Starts the gate's thread. KW_OK, or KW_ENOMEM/KW_EIO with err (the
 * listening socket is then still the caller's). */
int gate_start(struct gate **out, const struct gate_options *o,
	struct kw_err *err);

/* Stops accepting: joins the thread, closes the listening socket and the
 * connections still being looked at. Accepts NULL. */
void gate_stop(struct gate *g);

#endif
