/* Tests src/reqhead.c: the first request head's syntax, as the gate
 * judges it before libmicrohttpd reads the connection. */
#include "kw.h"
#include "reqhead.h"
#include "test.h"

#include <stdlib.h>

#define CASE(in, eof, want, st) { in, sizeof(in) - 1, eof, want, st }

static const struct {
	const char *in;
	size_t len;
	bool eof;
	enum reqhead_verdict want;
	int status;
} cases[] = {
	CASE("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", false, REQHEAD_PASS, 0),
	CASE("POST /b/x HTTP/1.0\nHost: x\n\n{\"body\":\0\1}", false, REQHEAD_PASS, 0),
	CASE("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", false, REQHEAD_PASS, 0),
	CASE("GET /caf\xc3\xa9 HTTP/1.1\r\nhOST:\r\n\r\n", false, REQHEAD_PASS, 0),
	CASE("GET / HTTP/1.0\r\n\r\n", false, REQHEAD_PASS, 0),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", false, REQHEAD_PASS, 0),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \t 18446744073709551615\r\n\r\n",
		false, REQHEAD_PASS, 0),
	/* Only the first Content-Length, and none beside Transfer-Encoding,
	 * is the library's to judge (the handler refuses the rest in JSON). */
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: x\r\n\r\n",
		false, REQHEAD_PASS, 0),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\nTransfer-Encoding: chunked\r\n\r\n",
		false, REQHEAD_PASS, 0),
	CASE("GET /healthz HTTP/1.1\r\nHost: x\r\n", false, REQHEAD_MORE, 0),
	CASE("GET /healthz HT", false, REQHEAD_MORE, 0),
	CASE("", false, REQHEAD_MORE, 0),
	CASE("\r\n", false, REQHEAD_MORE, 0),
	/* What libmicrohttpd answers in HTML, or not at all. */
	CASE("\0\0\0\0\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("\0\0", false, REQHEAD_REFUSE, 400),
	CASE("GET /heal\0thz HTTP/1.1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("G\0T /healthz HTTP/1.1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz HTTP/1.1\r\nX-A: a\0b\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET / HTTP/9.9\r\nHost: x\r\n\r\n", false, REQHEAD_REFUSE, 505),
	CASE("GET / HTTP/0.9\r\n\r\n", false, REQHEAD_REFUSE, 505),
	CASE("GARBAGE\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("   \r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET  /x HTTP/1.1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /x HTTP/1.1 \r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /x http/1.1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz HTTP/1.1\r\n: empty name\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET /healthz HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET / HTTP/1.1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("GET / HTTP/1.9\r\nX-Host: x\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 \r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\ncontent-length: 1x\r\n\r\n", false, REQHEAD_REFUSE, 400),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n",
		false, REQHEAD_REFUSE, 413),
	CASE("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999x\r\n\r\n",
		false, REQHEAD_REFUSE, 413),
	/* The client stopped sending before the head ended. */
	CASE("GET /healthz HTTP/1.1\r\nHost: x\r\n", true, REQHEAD_REFUSE, 400),
	CASE("GET", true, REQHEAD_REFUSE, 400),
	CASE("", true, REQHEAD_MORE, 0),
};

static void test_cases(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct reqhead_answer a = { 0, NULL };
		enum reqhead_verdict v = reqhead_check(cases[i].in, cases[i].len,
			cases[i].eof, 128, &a);

		CHECK_MSG(v == cases[i].want, "case %zu: verdict %d, want %d", i, v, cases[i].want);
		if (v == REQHEAD_REFUSE && cases[i].want == REQHEAD_REFUSE) {
			CHECK_MSG(a.status == cases[i].status, "case %zu: status %d, want %d", i,
				a.status, cases[i].status);
			CHECK(a.body != NULL && a.body[0] == '{');
		}
	}
}

/* The limit: a request line over it is 414, a head over it 431, whether
 * or not it has ended. */
static void test_limits(void)
{
	char buf[512];
	struct reqhead_answer a;

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET /", 5);
	CHECK_INT(reqhead_check(buf, 100, false, 64, &a), REQHEAD_REFUSE);
	CHECK_INT(a.status, 414);
	snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nX-Big: %080d\r\nHost: x\r\n\r\n", 0);
	CHECK_INT(reqhead_check(buf, strlen(buf), false, 64, &a), REQHEAD_REFUSE);
	CHECK_INT(a.status, 431);
	CHECK_INT(reqhead_check(buf, 40, false, 64, &a), REQHEAD_MORE);
	CHECK_INT(reqhead_check(buf, 90, false, 64, &a), REQHEAD_REFUSE);
	CHECK_INT(a.status, 431);
	CHECK_INT(reqhead_check(buf, strlen(buf), false, 256, &a), REQHEAD_PASS);
}

/* The answers name what was wrong; a length past 64 bits gets the
 * handler's own 413 body. */
static void test_bodies(void)
{
	struct reqhead_answer a;
	static const char none[] = "GET / HTTP/1.1\r\n\r\n",
		bad[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
		huge[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n";

	CHECK_INT(reqhead_check(none, sizeof(none) - 1, false, 1024, &a), REQHEAD_REFUSE);
	CHECK_STR(a.body, "{\"error\":\"missing Host header\"}\n");
	CHECK_INT(reqhead_check(bad, sizeof(bad) - 1, false, 1024, &a), REQHEAD_REFUSE);
	CHECK_STR(a.body, "{\"error\":\"malformed Content-Length header\"}\n");
	CHECK_INT(reqhead_check(huge, sizeof(huge) - 1, false, 1024, &a), REQHEAD_REFUSE);
	CHECK_INT(a.status, 413);
	CHECK_STR(a.body, "{\"error\":\"content exceeds limit of 2097152 bytes\"}\n");
}

int main(void)
{
	test_cases();
	test_limits();
	test_bodies();
	TEST_DONE("test_reqhead");
}
