"""Rate limits behind a proxy (issue 8, item 4): a verified delivery is
never refused for rate; unverified traffic (no or wrong signature, unknown
paths) pays the per-client and per-receiver buckets and gets 429 once they
are empty; X-Forwarded-For names the client only when the TCP peer is a
--trusted-proxy, and such a proxy is exempt from --max-per-ip."""
import re
import socket
import time

import kw
from kw import Server, eq, expect
import world as W

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)
# Buckets of 2 tokens that refill one token per 50 s: no test here depends
# on how fast it runs.
TIGHT = ["--rate-per-client", "0.02", "--rate-burst", "100", "--rate-per-receiver", "0.02"]


def unsigned(s, xff=None, path=PATH):
    h = {"X-Forwarded-For": xff} if xff else {}
    return s.push(path, "repo:push", W.cloud_push(), headers=h)[0]


def test_proxy_signed_burst_never_rate_limited(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=TIGHT)
    try:
        # Ten times the bucket, signed: every one is refreshed.
        sts = [s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)[0] for _ in range(20)]
        eq(sts, [200] * 20, "signed burst over the per-client and per-receiver rate")
        sts = [unsigned(s) for _ in range(8)]
        eq(sts[:2], [401, 401], "the first unsigned ones reach the signature check")
        eq(sts[2:], [429] * 6, "then an unsigned flood is refused")
        st, _, _ = s.push(PATH, "repo:push", W.cloud_push(), headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        eq(st, 429, "a wrong signature while over the rate")
        eq(s.request("GET", "/bitbucket/" + "0" * 64)[0], 429, "unknown path while over the rate")
        eq(s.push(PATH, "diagnostics:ping", b"{}")[0], 429, "ping while over the rate")
        eq(s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)[0], 200,
           "a signed delivery still passes the empty bucket")
        eq(s.request("GET", "/healthz")[0], 200, "health is never limited")
    finally:
        log = s.stop()
    expect(log.count("outcome=rate_limited") >= 9, "429s are logged")


def test_proxy_unknown_paths_pay(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=TIGHT)
    try:
        sts = [s.request("POST", "/bitbucket/%064d" % i)[0] for i in range(5)]
        eq(sts, [404, 404, 429, 429, 429], "a path scan is throttled")
    finally:
        s.stop()


def clients_of_requests(log):
    """How many request log lines name each client= (a count, not an
    order: a request's line is written when it completes, which may come
    after the client sent the next one)."""
    out = {}
    for line in log.splitlines():
        m = re.search(r" client=(\S+)", line) if "msg=request " in line else None
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + 1
    return out


def test_proxy_xff_only_from_trusted_peer(tmp):
    m = W.make_world(tmp)
    one = ["--rate-per-client", "0.01", "--rate-burst", "100", "--rate-per-receiver", "0"]
    # Untrusted peer: the header is ignored; every request is 127.0.0.1's.
    s = Server(tmp, [m], extra=one)
    try:
        eq(unsigned(s, "203.0.113.5"), 401, "first")
        eq(unsigned(s, "203.0.113.6"), 429, "another X-Forwarded-For does not get a new bucket")
    finally:
        log = s.stop()
    eq(clients_of_requests(log), {"127.0.0.1": 2}, "the client is the peer")
    # Trusted peer: the right-most untrusted address is the client.
    s = Server(tmp, [m], extra=one + ["--trusted-proxy", "127.0.0.0/8",
                                      "--trusted-proxy", "10.0.0.0/8"])
    try:
        eq(unsigned(s, "203.0.113.5"), 401, "client .5")
        eq(unsigned(s, "203.0.113.5"), 429, "client .5 again")
        eq(unsigned(s, "203.0.113.6"), 401, "client .6 has its own bucket")
        eq(unsigned(s, "1.2.3.4, 203.0.113.5, 10.1.1.1"), 429,
           "a forged left part and a trusted hop: still client .5")
        eq(unsigned(s), 401, "no header: the proxy itself")
    finally:
        log = s.stop()
    # .5 twice, the forged one as .5, .6 once, the proxy itself once
    eq(clients_of_requests(log), {"203.0.113.5": 3, "203.0.113.6": 1, "127.0.0.1": 1},
       "clients from the header")
    expect("peer=127.0.0.1" in log, "the proxy is logged as the peer")


def test_proxy_exempt_from_max_per_ip(tmp):
    m = W.make_world(tmp)
    for trusted, want in (([], 503), (["--trusted-proxy", "127.0.0.1"], 200)):
        s = Server(tmp, [m], extra=["--max-per-ip", "2"] + trusted)
        held = []
        try:
            held = [socket.create_connection(("127.0.0.1", s.port), timeout=5) for _ in range(2)]
            # The server counts a connection once it accepted it: wait until
            # both are counted (a request on each answers).
            for c in held:
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                expect(c.recv(4096).startswith(b"HTTP/1.1 200"), "held connection answers")
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            a = b""
            try:
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    a += d
            except OSError:
                pass
            c.close()
            eq(a[:12], b"HTTP/1.1 %d" % want, "third connection (%s): %r" % (trusted, a[:80]))
            if want == 503:
                expect(b"Retry-After: 1" in a, "capacity refusal has Retry-After")
        finally:
            for c in held:
                c.close()
            s.stop()


TESTS = [test_proxy_signed_burst_never_rate_limited, test_proxy_unknown_paths_pay,
         test_proxy_xff_only_from_trusted_peer, test_proxy_exempt_from_max_per_ip]

