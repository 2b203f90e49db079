/*
 * reqhead.c: the first request head's syntax (reqhead.h), after RFC 9112
 * sections 2.2, 3 and 5: tokens for the method and field names, visible
 * bytes for the target (bytes past ASCII are let through, as the library
 * does), HTTP/d.d, CRLF or bare LF line ends. It is stricter than
 * libmicrohttpd only where the library would answer with HTML or not at
 * all; what it lets pass, the library still checks.
 */
#include "reqhead.h"

#include <string.h>

#define BAD_REQUEST "{\"error\":\"malformed request\"}\n"

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

/* "name: value", the name a token right before the colon. */
static bool field_line(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && tchar((unsigned char)p[i]))
		i++;
	return i > 0 && i < n && p[i] == ':';
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
	size_t start = 0, n, next, at;
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
			return REQHEAD_PASS;
		if (!field_line(buf + at, n))
			return refuse(out, 400, BAD_REQUEST);
	}
	return unfinished(buf + at, len - at, eof, len - start, limit, false, out);
}
