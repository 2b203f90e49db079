/*
 * gate.c: the accepting thread in front of libmicrohttpd (gate.h). One
 * epoll set holds the listening socket and the connections whose first
 * head has not been judged yet, edge-triggered: peeking leaves the bytes
 * in the socket, so a level-triggered set would report them forever, while
 * an edge comes with each new segment. Every SWEEP_MS the thread drops
 * connections past the header deadline, as http.c's sweeper does for the
 * library's, and those idle past the idle timeout, as the library does
 * once it has them.
 */
#include "gate.h"

#include "kw.h"
#include "log.h"
#include "metrics.h"
#include "outcome.h"
#include "proxy.h"
#include "reqhead.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define SWEEP_MS 200
#define EVENTS 64

struct pending {
	struct pending *prev, *next;
	int fd;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char ip[PROXY_ADDR_SIZE];
	void *token; /* from admit */
	double since; /* accepted */
	double last;  /* the last new byte came (or accepted) */
	size_t seen;  /* bytes waiting in the socket at the last look */
};

struct gate {
	struct gate_options o;
	int ep;
	struct pending *list;
	size_t n_pending;
	char *buf; /* peek buffer: limit + 2 bytes, enough to see "over" */
	size_t cap;
	atomic_bool stop;
	pthread_t thread;
};

static void unlink_pending(struct gate *g, struct pending *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		g->list = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	g->n_pending--;
	epoll_ctl(g->ep, EPOLL_CTL_DEL, p->fd, NULL);
	/* Before the socket is closed or handed over: the fd number may be
	 * reused at once, and the connection record must not outlive it. */
	if (g->o.release != NULL)
		g->o.release(g->o.arg, p->token);
}

static void drop(struct gate *g, struct pending *p)
{
	unlink_pending(g, p);
	close(p->fd);
	free(p);
}

/* The library takes the connection over, bytes unread; it closes the
 * socket itself when it cannot take it. */
static void hand_over(struct gate *g, struct pending *p)
{
	unlink_pending(g, p);
	MHD_add_connection(g->o.daemon, p->fd, (const struct sockaddr *)&p->addr,
		p->addr_len);
	free(p);
}

static const char *reason(int status)
{
	switch (status) {
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Bad Request";
	}
}

static void log_refusal(const struct pending *p, const struct reqhead_answer *a)
{
	char st[16], ms[32];
	double dt = kw_monotonic() - p->since;
	enum outcome o = a->status == 413 ? OUTCOME_TOO_LARGE : OUTCOME_BAD_REQUEST;

	snprintf(st, sizeof(st), "%d", a->status);
	snprintf(ms, sizeof(ms), "%.3f", dt * 1000.0);
	log_kv(LOG_INFO, "request", "client", p->ip, "#status", st, "outcome",
		outcome_name(o), "#duration_ms", ms,
		"answer", "malformed request head, refused before the HTTP library", NULL);
	metrics_request(NULL, NULL, o, dt);
}

/* Answers, reads and drops what the client sent (closing a socket with
 * unread bytes would reset it, and the answer with it), then closes. */
static void refuse(struct gate *g, struct pending *p, const struct reqhead_answer *a)
{
	char head[512];
	size_t body_len = strlen(a->body);
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		"Connection: close\r\nContent-Length: %zu\r\n\r\n%s", a->status, reason(a->status),
		body_len, a->body);

	log_refusal(p, a);
	if (n > 0 && (size_t)n < sizeof(head))
		(void)!send(p->fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (recv(p->fd, g->buf, g->cap, MSG_DONTWAIT) > 0)
		;
	shutdown(p->fd, SHUT_WR);
	drop(g, p);
}

/* New bytes (or the end) on a connection being looked at. */
static void look(struct gate *g, struct pending *p, bool eof)
{
	struct reqhead_answer a;
	ssize_t n = recv(p->fd, g->buf, g->cap, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		drop(g, p); /* closed, or reset, before a byte of a request */
		return;
	}
	if ((size_t)n > p->seen) {
		p->seen = (size_t)n;
		p->last = kw_monotonic();
	}
	switch (reqhead_check(g->buf, (size_t)n, eof, g->o.header_limit, &a)) {
	case REQHEAD_PASS: hand_over(g, p); break;
	case REQHEAD_REFUSE: refuse(g, p, &a); break;
	case REQHEAD_MORE:
		if (eof)
			drop(g, p);
		break;
	}
}

static void accept_all(struct gate *g)
{
	for (;;) {
		struct pending *p = calloc(1, sizeof(*p));
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };
		bool refused = false;

		if (p == NULL)
			return;
		p->addr_len = sizeof(p->addr);
		p->fd = accept4(g->o.listen_fd, (struct sockaddr *)&p->addr, &p->addr_len,
			SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (p->fd < 0) {
			free(p);
			return; /* EAGAIN: all taken; anything else: next round */
		}
		p->since = p->last = kw_monotonic();
		proxy_addr_text(p->ip, sizeof(p->ip), (const struct sockaddr *)&p->addr);
		p->next = g->list;
		if (g->list != NULL)
			g->list->prev = p;
		g->list = p;
		g->n_pending++;
		ev.data.ptr = p;
		if (g->o.admit != NULL)
			p->token = g->o.admit(g->o.arg, p->fd, p->ip, &refused);
		if (refused)
			drop(g, p); /* answered 503 and shut down by admit */
		/* Past max_pending the library's own limits decide, unlooked. */
		else if (g->n_pending > g->o.max_pending ||
		    epoll_ctl(g->ep, EPOLL_CTL_ADD, p->fd, &ev) != 0)
			hand_over(g, p);
		else
			look(g, p, false); /* the head often came with the connection */
	}
}

static void sweep(struct gate *g)
{
	double now = kw_monotonic();
	struct pending *next;

	for (struct pending *p = g->list; p != NULL; p = next) {
		next = p->next;
		if (now - p->since > g->o.header_timeout ||
		    (g->o.idle_timeout > 0 && now - p->last > g->o.idle_timeout))
			drop(g, p);
	}
}

static void *gate_main(void *arg)
{
	struct gate *g = arg;
	struct epoll_event evs[EVENTS];

	while (!atomic_load(&g->stop)) {
		int n = epoll_wait(g->ep, evs, EVENTS, SWEEP_MS);

		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				accept_all(g);
			else
				look(g, evs[i].data.ptr,
					(evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
		}
		sweep(g);
	}
	return NULL;
}

int gate_start(struct gate **out, const struct gate_options *o,
	struct kw_err *err)
{
	struct gate *g = calloc(1, sizeof(*g));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

	*out = NULL;
	if (g == NULL)
		return KW_ENOMEM;
	g->o = *o;
	g->cap = o->header_limit + 2;
	g->buf = malloc(g->cap);
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	if (g->buf == NULL || g->ep < 0 ||
	    epoll_ctl(g->ep, EPOLL_CTL_ADD, o->listen_fd, &ev) != 0 ||
	    pthread_create(&g->thread, NULL, gate_main, g) != 0) {
		if (g->ep >= 0)
			close(g->ep);
		free(g->buf);
		free(g);
		return kw_errf(err, KW_EIO, "cannot start the accepting thread: %s",
			strerror(errno));
	}
	*out = g;
	return KW_OK;
}

void gate_stop(struct gate *g)
{
	if (g == NULL)
		return;
	atomic_store(&g->stop, true);
	pthread_join(g->thread, NULL);
	while (g->list != NULL)
		drop(g, g->list);
	close(g->o.listen_fd);
	close(g->ep);
	free(g->buf);
	free(g);
}
