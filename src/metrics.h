/*
 * metrics.h: counters for /metrics in the Prometheus text format:
 * requests by receiver kind, receiver and outcome, refreshes, a request duration
 * histogram and open connections. Labels are receiver names
 * ("project/name"), never paths, secrets or signatures. Thread-safe.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

struct strbuf;

/* The counters are static and ready from the start (no init call).
 * metrics_free(), at the end, releases the receiver labels; a label's
 * counts start again from zero if it comes back. */
void metrics_free(void);

/* One answered request. receiver and kind (a receiver kind's name, a
 * string that lives as long as the process) may be NULL (no receiver
 * matched). */
void metrics_request(const char *receiver, const char *kind, int outcome,
	double seconds);

/* n objects refreshed. */
void metrics_refreshed(size_t n);

/* A connection opened (+1) or closed (-1). */
void metrics_connection(int delta);

/* Appends the exposition text. KW_OK, KW_ETOOBIG or KW_ENOMEM. */
int metrics_render(struct strbuf *out);

#endif
