/*
 * reqhead.c: the first request head's syntax (reqhead.h), after RFC 9112
 * sections 2.2, 3 and 5: tokens for the method and field names, visible
 * bytes for the target (bytes past ASCII are let through, as the library
 * does), HTTP/d.d, CRLF or bare LF line ends. It is stricter than
 * libmicrohttpd only where the library would answer with HTML or not at
 * all; what it lets pass, the library still checks.
 */
#include "reqhead.h"

#include "handler.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define BAD_REQUEST "{\"error\":\"malformed request\"}\n"

/* What the head's fields say that the library checks before any handler
 * runs (0.9.75's parse_connection_headers): Host on HTTP/1.1, and the
 * first Content-Length unless a Transfer-Encoding overrides it. */
struct fields {
	bool host, transfer_encoding;
	const char *length; /* the first Content-Length's value, or NULL */
	size_t length_len;
};

/* RFC 9110 section 5.6.2 tchar. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static enum reqhead_verdict refuse(struct reqhead_answer *out, int status,
	const char *body)
{
	out->status = status;
	out->body = body;
	return REQHEAD_REFUSE;
}

/* A control byte other than the line ends and HT: never in a head. */
static bool has_ctl(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f)
			return true;
	}
	return false;
}

/* The line starting at p (without its CRLF or LF) and where the next
 * one starts; false when no line end arrived yet. */
static bool line_at(const char *p, size_t n, size_t *len, size_t *next)
{
	const char *lf = memchr(p, '\n', n);

	if (lf == NULL)
		return false;
	*next = (size_t)(lf - p) + 1;
	*len = (size_t)(lf - p) - (lf > p && lf[-1] == '\r');
	return true;
}

/* "METHOD SP TARGET SP HTTP/d.d": 0 when fine, else the status. */
static int request_line(const char *p, size_t n)
{
	size_t i = 0, t;

	while (i < n && tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ' ')
		return 400;
	t = ++i;
	while (i < n && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == t || i == n || p[i] != ' ' || n - i - 1 != 8)
		return 400;
	p += i + 1;
	if (memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' ||
	    p[7] < '0' || p[7] > '9')
		return 400;
	return p[5] == '1' ? 0 : 505;
}

static bool named(const char *p, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* "name: value", the name a token right before the colon; notes in f
 * the fields the library judges itself. */
static bool field_line(const char *p, size_t n, struct fields *f)
{
	size_t i = 0, v;

	while (i < n && tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ':')
		return false;
	for (v = i + 1; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
		; /* the library skips leading blanks only */
	if (named(p, i, "host"))
		f->host = true;
	else if (named(p, i, "transfer-encoding"))
		f->transfer_encoding = true;
	else if (named(p, i, "content-length") && f->length == NULL) {
		f->length = p + v;
		f->length_len = n - v;
	}
	return true;
}

/* The library's verdict on a finished head's fields, in JSON: 0 when it
 * lets the request through. A Content-Length must be all digits; a
 * number past 64 bits is 413 (the handler answers any other length over
 * the limit with the same body), anything else 400. */
static int head_fields(const struct fields *f, bool http11, struct reqhead_answer *out)
{
	uint64_t v = 0;

	if (http11 && !f->host) {
		out->body = "{\"error\":\"missing Host header\"}\n";
		return out->status = 400;
	}
	if (f->length == NULL || f->transfer_encoding)
		return 0;
	out->status = 400;
	out->body = "{\"error\":\"malformed Content-Length header\"}\n";
	if (f->length_len == 0)
		return 400;
	for (size_t i = 0; i < f->length_len; i++) {
		unsigned d = (unsigned char)f->length[i] - '0';

		if (d > 9)
			return 400;
		if (v > (UINT64_MAX - d) / 10) { /* past 64 bits before any other byte */
			out->body = HANDLER_TOO_LARGE_JSON "\n";
			return out->status = 413;
		}
		v = v * 10 + d;
	}
	return 0;
}

/* What a head that has not ended yet is: too long, malformed at its end
 * of input, or waiting for more. rest is its unfinished last line. */
static enum reqhead_verdict unfinished(const char *rest, size_t n, bool eof,
	size_t head_len, size_t limit, bool in_line, struct reqhead_answer *out)
{
	if (has_ctl(rest, n))
		return refuse(out, 400, BAD_REQUEST);
	if (head_len > limit)
		return in_line ? refuse(out, 414, "{\"error\":\"request line too long\"}\n") :
			refuse(out, 431, "{\"error\":\"request header fields too large\"}\n");
	return eof ? refuse(out, 400, BAD_REQUEST) : REQHEAD_MORE;
}

enum reqhead_verdict reqhead_check(const char *buf, size_t len, bool eof,
	size_t limit, struct reqhead_answer *out)
{
	struct fields f = { 0 };
	size_t start = 0, n, next, at, n_line;
	int st;

	while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
		start++; /* empty lines before the request line */
	if (start == len)
		return REQHEAD_MORE; /* nothing yet, or only empty lines */
	if (!line_at(buf + start, len - start, &n, &next))
		return unfinished(buf + start, len - start, eof, len - start, limit, true, out);
	if (has_ctl(buf + start, n))
		return refuse(out, 400, BAD_REQUEST);
	if (n > limit)
		return refuse(out, 414, "{\"error\":\"request line too long\"}\n");
	st = request_line(buf + start, n);
	n_line = n;
	if (st == 505)
		return refuse(out, 505, "{\"error\":\"HTTP version not supported\"}\n");
	if (st != 0)
		return refuse(out, 400, BAD_REQUEST);
	for (at = start + next; line_at(buf + at, len - at, &n, &next); at += next) {
		if (has_ctl(buf + at, n))
			return refuse(out, 400, BAD_REQUEST);
		if (at + next - start > limit)
			return refuse(out, 431, "{\"error\":\"request header fields too large\"}\n");
		if (n == 0)
			/* HTTP/1.1 to 1.9 need a Host, as the library says */
			return head_fields(&f, buf[start + n_line - 1] >= '1', out) ?
				REQHEAD_REFUSE : REQHEAD_PASS;
		if (!field_line(buf + at, n, &f))
			return refuse(out, 400, BAD_REQUEST);
	}
	return unfinished(buf + at, len - at, eof, len - start, limit, false, out);
}
