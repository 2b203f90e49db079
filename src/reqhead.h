/*
 * reqhead.h: a first look at a connection's first request head, before
 * libmicrohttpd sees it. The library answers malformed requests itself,
 * with HTML bodies it alone writes, or not at all (a request line of NUL
 * bytes waits for the header deadline); see docs/design.md, "What
 * libmicrohttpd answers itself". This check finds those requests in the
 * bytes that arrived, so the gate (gate.c) can answer them with JSON and
 * close at once, and hands every other connection to the library
 * untouched. Pure: no I/O, no globals.
 */
#ifndef REQHEAD_H
#define REQHEAD_H

#include <stdbool.h>
#include <stddef.h>

enum reqhead_verdict {
	REQHEAD_MORE = 0, /* no complete head yet, and nothing wrong so far */
	REQHEAD_PASS,     /* well-formed as far as this check goes */
	REQHEAD_REFUSE,   /* answer status with body, then close */
};

struct reqhead_answer {
	int status;       /* 400, 413, 414, 431 or 505 */
	const char *body; /* JSON with a final newline (static) */
};

/*
 * Looks at the first len bytes a client sent (eof: it will send no more).
 * limit is --header-limit: a request line over it is 414, a head over it
 * 431. A NUL or other control byte in the head, a request line that is not
 * "METHOD SP TARGET SP HTTP/d.d", a header line without a name and colon is
 * 400; an HTTP version other than 1.x is 505. Empty lines before the
 * request line are skipped, as RFC 9112 allows. Of a finished head, the
 * fields the library itself refuses: no Host on HTTP/1.1 (400), a first
 * Content-Length (without Transfer-Encoding) that is not all digits (400)
 * or does not fit in 64 bits (413, the handler's body-limit answer). Only
 * the head is read; a head that passes is REQHEAD_PASS whatever follows.
 */
enum reqhead_verdict reqhead_check(const char *buf, size_t len, bool eof,
	size_t limit, struct reqhead_answer *out);

#endif
