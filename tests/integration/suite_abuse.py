"""Hostile traffic (issue 3): limits, slow and malformed clients, faults,
TLS, metrics, rate limits, secret rotation and duplicate deliveries. Each
test starts the real binary on 127.0.0.1 and fails without the behaviour
it names; docs/security.md maps every threat to these tests.

KW_VALGRIND=1 in the environment (make check-valgrind) skips the tests
that measure time, which valgrind's slowdown would make meaningless."""
import json
import os
import re
import socket
import ssl
import subprocess
import threading
import time
import http.client

import kw
from kw import Server, Skip, eq, expect, poll, run_cli, write
import world as W

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)
UNDER_VALGRIND = os.environ.get("KW_VALGRIND") == "1"


def started(tmp, **kwargs):
    m = W.make_world(tmp)
    return m, Server(tmp, [m], **kwargs)


def timed():
    if UNDER_VALGRIND:
        raise Skip("measures time; meaningless under valgrind")


def connect(s, timeout=5):
    return socket.create_connection(("127.0.0.1", s.port), timeout=timeout)


def raw(s, data, timeout=5, shut=True):
    """Sends raw bytes, then reads until the server closes (or timeout).
    Returns the bytes read; a reset after an answer keeps the answer."""
    c = connect(s, timeout)
    out = b""
    try:
        c.sendall(data)
        if shut:
            try:
                c.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        while True:
            d = c.recv(65536)
            if not d:
                break
            out += d
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        pass
    finally:
        c.close()
    return out


def status_of(answer):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(m.group(1)) if m else None


def closed_within(sock, seconds):
    """Whether the server closes sock (EOF or reset) within seconds;
    anything it answers first is read and ignored."""
    sock.settimeout(0.2)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:
            return True
    return False


def signed_push_ok(s, what):
    st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
    eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "signed push after " + what)


def healthz(s):
    """GET /healthz's status, or None when the connection is refused."""
    try:
        return s.request("GET", "/healthz")[0]
    except (OSError, http.client.HTTPException):
        return None


def healthy(s, what):
    # Closed client connections are counted down when the server notices
    # them: poll rather than expect it at once.
    eq(poll(lambda: healthz(s), lambda st: st == 200), 200, "healthz after " + what)
    signed_push_ok(s, what)


def held_connection(s):
    """A keep-alive connection the server has certainly accepted and
    counted: it has answered one request on it."""
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5 * kw.SLOW)
    c.request("GET", "/healthz")
    r = c.getresponse()
    r.read()
    eq(r.status, 200, "held connection answered")
    return c


def head(path, *headers, body=b"", length=True):
    h = "POST %s HTTP/1.1\r\nHost: x\r\n" % path
    for k in headers:
        h += k + "\r\n"
    if length:
        h += "Content-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + body


# 1. Bounded everything ---------------------------------------------------

def test_abuse_header_limits(tmp):
    _, s = started(tmp)
    try:
        big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 17000 + b"\r\n\r\n"
        a = raw(s, big, shut=False)
        eq(status_of(a), 431, "header over --header-limit")
        expect(a.endswith(b'{"error":"request header fields too large"}\n'), "431 is ours, JSON: %r" % a[-80:])
        many = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +
                b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n")
        a = raw(s, many)
        eq(status_of(a), 431, "more than 100 header fields")
        expect(a.endswith(b'{"error":"too many header fields"}\n'), "431 body: %r" % a[-80:])
        # An over-long request line is 414, ours up to about twice the
        # limit (docs/design.md, "What libmicrohttpd answers itself").
        url = b"GET /" + b"a" * 17000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
        a = raw(s, url, shut=False)
        eq(status_of(a), 414, "request line over the limit")
        expect(a.endswith(b'{"error":"request line too long"}\n'), "414 is ours, JSON: %r" % a[-80:])
        healthy(s, "oversized headers")
    finally:
        s.stop()
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--header-limit", "2048"])
    try:
        mid = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Mid: " + b"a" * 4000 + b"\r\n\r\n"
        a = raw(s, mid, shut=False)
        eq(status_of(a), 431, "4 KB header over --header-limit 2048")
        expect(b"application/json" in a, "JSON 431: %r" % a[:200])
        under = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Mid: " + b"a" * 1900 + b"\r\n\r\n"
        eq(status_of(raw(s, under)), 200, "a head just under the limit passes")
        healthy(s, "--header-limit 2048")
    finally:
        s.stop()


def test_abuse_connection_limits(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--max-connections", "4", "--max-per-ip", "0", "--threads", "2"])
    held = []
    try:
        for _ in range(4):
            held.append(held_connection(s))
        extra = connect(s)
        extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        # Refused means answered or closed; a connection held waiting for
        # a free slot would time out here (no timing bound needed).
        extra.settimeout(10 * kw.SLOW)
        try:
            a = extra.recv(4096)
        except socket.timeout:
            raise AssertionError("the connection over the limit was queued, not refused")
        except OSError:
            a = b""
        expect(a == b"" or status_of(a) == 503, "closed or 503: %r" % a)
        if a:
            hd, _, bd = a.partition(b"\r\n\r\n")
            eq(bd, b'{"error":"too many open connections"}\n', "503 body")
            expect(b"Content-Length: %d\r\n" % len(bd) in hd + b"\r\n", "503 length: %r" % hd)
            expect(b"Retry-After: 1" in hd, "503 Retry-After")
        extra.close()
        for c in held:
            c.close()
        held = []
        healthy(s, "connection limit")
    finally:
        for c in held:
            c.close()
        s.stop()
    s = Server(tmp, [m], extra=["--max-per-ip", "2"])
    try:
        held = [held_connection(s), held_connection(s)]
        extra = connect(s)
        expect(closed_within(extra, 10 * kw.SLOW), "third connection from one address closed")
        extra.close()
        for c in held:
            c.close()
        held = []
        healthy(s, "per-address limit")
    finally:
        for c in held:
            c.close()
        s.stop()


def test_abuse_idle_timeout(tmp):
    """A connection that sends nothing, or stops halfway through its
    first head, is closed at the idle timeout, not only at the (here much
    longer) header deadline: the accepting gate holds such connections
    before the library does, and keeps the same rule."""
    timed()
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--idle-timeout", "1", "--header-timeout", "60"])
    try:
        for sent in (b"", b"POST /heal"):
            c = connect(s)
            c.sendall(sent)
            t0 = time.time()
            # Load only delays the close, so the lower bound is safe; 0.2 s
            # below 1 s covers libmicrohttpd checking timeouts in whole
            # seconds. The upper bound, far below the 60 s header
            # deadline, fails a server that applies only that one.
            expect(closed_within(c, 20), "idle connection closed (sent %r)" % sent)
            expect(time.time() - t0 >= 0.8, "not before the idle timeout (sent %r)" % sent)
            c.close()
        healthy(s, "idle timeout")
    finally:
        s.stop()


def test_abuse_header_and_request_timeouts(tmp):
    """A client that trickles its headers (or body) never trips the idle
    timeout; the header and whole-request deadlines cut it."""
    timed()
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--idle-timeout", "30", "--header-timeout", "2",
                                "--request-timeout", "3"])
    stop = threading.Event()
    result = {}

    def trickle(name, prefix, data):
        c = connect(s)
        c.sendall(prefix)
        t0 = time.time()
        try:
            for byte in data:
                if stop.is_set():
                    break
                c.sendall(bytes([byte]))
                time.sleep(0.25)
                c.settimeout(0.01)
                try:
                    if c.recv(1) == b"":
                        break
                except socket.timeout:
                    pass
        except OSError:
            pass
        result[name] = time.time() - t0
        c.close()

    body = W.cloud_push()
    slow_head = threading.Thread(target=trickle, args=(
        "headers", b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 200))
    slow_body = threading.Thread(target=trickle, args=(
        "body", ("POST %s HTTP/1.1\r\nHost: x\r\nX-Event-Key: repo:push\r\n"
                 "X-Hub-Signature: %s\r\nContent-Length: %d\r\n\r\n"
                 % (PATH, kw.sign(W.SECRET, body), len(body))).encode(), body))
    try:
        slow_head.start()
        slow_body.start()
        slow_head.join(15)
        slow_body.join(15)
        stop.set()
        # Margins: without the deadlines a trickle lasts about a minute
        # (the 30 s idle timeout never trips), so any upper bound below
        # the 15 s join shows the cut; 10 s leaves ASan on a loaded 2-core
        # machine 7 s of delay before the sweeper notices. Load only
        # delays a cut, so the lower bounds (which tell the header
        # deadline from the request deadline) keep their 0.5 s.
        expect("headers" in result and 1.5 < result["headers"] < 10,
               "trickled headers cut near 2 s: %r" % result)
        expect("body" in result and 2.5 < result["body"] < 10,
               "trickled body cut near 3 s: %r" % result)
        healthy(s, "cut slow requests")
    finally:
        stop.set()
        s.stop()


# 2. Slow and malformed clients -------------------------------------------

def test_abuse_slowloris(tmp):
    """500 connections sending one header byte a second do not delay a
    legitimate signed push."""
    timed()
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--max-per-ip", "0", "--max-connections", "1024"])
    socks = []
    stop = threading.Event()
    rounds = []
    line = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 64

    def drip():
        i = 0
        while not stop.is_set() and i < len(line):
            for c in socks:
                try:
                    c.send(line[i:i + 1])
                except OSError:
                    pass
            i += 1
            rounds.append(i)
            stop.wait(1.0)

    def timed_push(uuid):
        t0 = time.time()
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                          headers={"X-Request-UUID": uuid})
        eq(st, 200, "push " + uuid)
        return time.time() - t0

    try:
        # The same push without the attack, in this run, on this machine.
        baseline = max(timed_push("baseline-%d" % i) for i in range(3))
        for _ in range(500):
            socks.append(connect(s, timeout=10))
        t = threading.Thread(target=drip)
        t.start()
        poll(lambda: len(rounds), lambda n: n >= 2)
        times = []
        for i in range(3):
            times.append(timed_push("slowloris-%d" % i))
            time.sleep(0.5)  # pacing: spread the pushes over the drip
        # A server the drip held up would answer after its 10 s header
        # timeout (or never); 1 s plus ten times the undisturbed push
        # leaves room for ASan on a loaded machine and still fails that.
        limit = 1.0 + 10 * baseline
        expect(max(times) < limit, "pushes answered within %.2f s: %r" % (limit, times))
        st, _, _ = s.request("GET", "/healthz")
        eq(st, 200, "healthz while they drip")
        stop.set()
        t.join()
    finally:
        stop.set()
        for c in socks:
            c.close()
        s.stop()


MALFORMED = [
    # (name, raw bytes, allowed statuses; None: closed without an answer)
    ("no version", b"GET /healthz\r\n\r\n", {400, 505, None}),
    ("garbage line", b"GARBAGE\r\n\r\n", {400, None}),
    ("spaces only", b"   \r\n\r\n", {400, None}),
    ("header without colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", {400, None}),
    ("bad chunk size", head(PATH, "X-Event-Key: repo:push", "Transfer-Encoding: chunked",
                            body=b"ZZ\r\nabc\r\n0\r\n\r\n", length=False), {400}),
    ("chunk longer than said", head(PATH, "X-Event-Key: repo:push", "Transfer-Encoding: chunked",
                                    body=b"3\r\nabcdef\r\n0\r\n\r\n", length=False), {400, 401, None}),
    ("huge chunk", head(PATH, "X-Event-Key: repo:push", "Transfer-Encoding: chunked",
                        body=b"ffffffffffffffffffff\r\nab", length=False), {400, 413, None}),
    ("absurd Content-Length", head(PATH, "X-Event-Key: repo:push",
                                   "Content-Length: 99999999999999999999999", length=False), {413}),
    ("3 MB body", head(PATH, "X-Event-Key: repo:push", body=b"x" * 3000000), {413}),
    ("negative Content-Length", head(PATH, "Content-Length: -1", length=False), {400}),
    ("text Content-Length", head(PATH, "Content-Length: ten", length=False), {400}),
    ("two Content-Lengths", head(PATH, "Content-Length: 2", "Content-Length: 3",
                                 body=b"{}x", length=False), {400}),
    ("Content-Length and chunked", head(PATH, "Content-Length: 5", "Transfer-Encoding: chunked",
                                        body=b"0\r\n\r\n", length=False), {400, None}),
    ("NUL in path", b"GET /heal\x00thz/x HTTP/1.1\r\nHost: x\r\n\r\n", {400, 404, None}),
    ("NUL in header", head(PATH, "X-Event-Key: repo:\x00push", body=b"{}"), {400, 401, None}),
    ("invalid UTF-8 path", b"POST /bitbucket/\xff\xfe\xc3\x28 HTTP/1.1\r\nHost: x\r\n"
                           b"Content-Length: 2\r\n\r\n{}", {400, 404}),
    ("invalid UTF-8 header", b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                             b"X-Event-Key: \xff\xfe\xc3\x28\r\nContent-Length: 2\r\n\r\n{}", {400, 401}),
    ("two signatures", head(PATH, "X-Event-Key: repo:push", "X-Hub-Signature: sha256=00",
                            "X-Hub-Signature: sha256=11", body=b"{}"), {400}),
    ("unknown version", b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", {505}),
]


def test_abuse_malformed_requests(tmp):
    _, s = started(tmp)
    seen = {}
    try:
        for name, data, allowed in MALFORMED:
            a = raw(s, data)
            st = status_of(a)
            seen[name] = st
            expect(st in allowed, "%s: got %r (%r), want one of %r" % (name, st, a[:120], allowed))
            if st is not None and a.count(b"\r\n\r\n") and b"application/json" in a.split(b"\r\n\r\n")[0]:
                json.loads(a.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace"))
            healthy(s, name)
        a = raw(s, head(PATH, "X-Event-Key: repo:push", "X-Hub-Signature: sha256=00",
                        "X-Hub-Signature: sha256=11", body=b"{}"))
        expect(a.endswith(b'{"error":"more than one X-Hub-Signature header"}\n'), "dup sig body")
    finally:
        s.stop()


HEAD_FIELDS = [
    # (name, raw first request, status, exact JSON body): what libmicrohttpd
    # refuses itself with an HTML body (and its status line sent twice, in
    # 0.9.75) is answered by the gate, once, in JSON.
    ("no Host on HTTP/1.1", b"GET /healthz HTTP/1.1\r\n\r\n", 400,
     b'{"error":"missing Host header"}\n'),
    ("Content-Length past 64 bits", head(PATH, "X-Event-Key: repo:push",
                                         "Content-Length: 18446744073709551616", length=False),
     413, b'{"error":"content exceeds limit of 2097152 bytes"}\n'),
    ("Content-Length of 23 digits", head(PATH, "Content-Length: 99999999999999999999999",
                                         length=False),
     413, b'{"error":"content exceeds limit of 2097152 bytes"}\n'),
    ("negative Content-Length", head(PATH, "Content-Length: -1", length=False), 400,
     b'{"error":"malformed Content-Length header"}\n'),
    ("Content-Length with a sign", head(PATH, "Content-Length: +2", body=b"{}", length=False),
     400, b'{"error":"malformed Content-Length header"}\n'),
    ("Content-Length list", head(PATH, "Content-Length: 2, 2", body=b"{}", length=False), 400,
     b'{"error":"malformed Content-Length header"}\n'),
]


def test_abuse_head_fields_in_json(tmp):
    _, s = started(tmp)
    try:
        for name, data, status, body in HEAD_FIELDS:
            a = raw(s, data)
            eq(status_of(a), status, name)
            head_, _, got = a.partition(b"\r\n\r\n")
            expect(b"application/json" in head_.lower(), "%s: JSON answer: %r" % (name, a[:200]))
            eq(got, body, name + " body")
            eq(a.count(b"HTTP/1.1 "), 1, name + ": one status line")
        healthy(s, "head fields")
    finally:
        s.stop()
    log = s.log()
    expect(log.count("malformed request head, refused before the HTTP library") >= len(HEAD_FIELDS),
           "each refusal logged")


def test_abuse_invalid_utf8_echo(tmp):
    """An event key with invalid UTF-8 is echoed in the 400 answer: the
    answer must still be valid JSON (UTF-8)."""
    _, s = started(tmp)
    try:
        body = b"{}"
        a = raw(s, b"POST " + PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Event-Key: ev\xff\xc3\x28\r\n"
                b"X-Hub-Signature: " + kw.sign(W.SECRET, body).encode() + b"\r\n"
                b"Content-Length: 2\r\n\r\n{}")
        eq(status_of(a), 400, "unsupported event with invalid UTF-8")
        healthy(s, "invalid UTF-8 event key")
    finally:
        s.stop()
    answer = a.split(b"\r\n\r\n", 1)[1]
    # As Go's encoding/json: each invalid byte becomes U+FFFD.
    eq(json.loads(answer.decode("utf-8")),
       {"error": "event type ev\ufffd\ufffd( is not supported"}, "valid JSON, U+FFFD")


# 3. Faults ---------------------------------------------------------------

def test_abuse_state_unwritable(tmp):
    """A full disk under the state database: 503 with Retry-After, /readyz
    503, and recovery once space is back."""
    mnt = os.path.join(tmp, "mnt")
    os.mkdir(mnt)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt],
                       capture_output=True)
    if p.returncode != 0:
        raise Skip("cannot mount a tmpfs here: %s" % p.stderr.decode().strip())
    s = None
    try:
        m = W.make_world(tmp)
        work = os.path.join(mnt, "w")
        os.mkdir(work)
        s = Server(work, [m])
        signed_push_ok(s, "start")
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        got = []
        for i in range(3):
            st, h, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                              headers={"X-Request-UUID": "full-%d" % i})
            got.append(st)
            if st == 503:
                break
        eq(got[-1], 503, "push on a full disk: %r" % got)
        expect(h.get("retry-after", "").isdigit(), "Retry-After: %r" % h)
        eq(b, b'{"error":"failed to refresh 3 of 3 warehouses"}\n', "503 body")
        st, _, _ = s.request("GET", "/readyz")
        eq(st, 503, "readyz while the disk is full")
        st, _, _ = s.request("GET", "/healthz")
        eq(st, 200, "still alive")
        os.unlink(filler)
        # Ready again without any request: the writer probes the store
        # while it is failing (a readiness probe may have taken traffic).
        st, _, _ = poll(lambda: s.request("GET", "/readyz"), lambda a: a[0] == 200, seconds=5)
        eq(st, 200, "ready again once space is back, before any push")
        signed_push_ok(s, "space is back")
    finally:
        if s is not None:
            s.stop()
        subprocess.run(["umount", "-l", mnt], capture_output=True)


# 4. TLS ------------------------------------------------------------------

def make_cert(tmp):
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                       capture_output=True)
    if p.returncode != 0:
        raise Skip("openssl cannot make a certificate: " + p.stderr.decode()[-200:])
    return cert, key


def https_push(port, context):
    body = W.cloud_push()
    c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        c.request("POST", PATH, body=body, headers={
            "X-Event-Key": "repo:push", "X-Hub-Signature": kw.sign(W.SECRET, body)})
        r = c.getresponse()
        return r.status, r.read(), c.sock.version()
    finally:
        c.close()


def insecure_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # Bitbucket's "Skip certificate verification"
    return ctx


def test_abuse_tls(tmp):
    if UNDER_VALGRIND:
        raise Skip("libmicrohttpd does not start its GnuTLS daemon under valgrind here")
    cert, key = make_cert(tmp)
    m = W.make_world(tmp)
    for how in ("flags", "env"):
        if how == "flags":
            s = Server(tmp, [m], extra=["--tls-cert", cert, "--tls-key", key])
        else:
            s = Server(tmp, [m], env={"TLS_ENABLED": "true", "TLS_CERT_PATH": cert,
                                      "TLS_KEY_PATH": key})
        try:
            st, b, ver = https_push(s.port, insecure_context())
            eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), how + ": push over HTTPS")
            expect(ver in ("TLSv1.2", "TLSv1.3"), "negotiated " + str(ver))
            ctx = insecure_context()
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            st, _, ver = https_push(s.port, ctx)
            eq((st, ver), (200, "TLSv1.2"), how + ": TLS 1.2 accepted")
            a = raw(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3)
            expect(status_of(a) is None, how + ": plain HTTP is not served on the TLS port")
            if how == "flags":
                check_tls11_refused(s)
        finally:
            s.stop()


def check_tls11_refused(s):
    ctx = insecure_context()
    try:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError) as e:
        print("  note: local OpenSSL cannot offer TLS 1.1 (%s); 1.2 minimum shown by the "
              "1.2 handshake only" % e)
        return
    try:
        https_push(s.port, ctx)
    except ssl.SSLError as e:
        if "NO_PROTOCOLS_AVAILABLE" in str(e) or "no protocols available" in str(e):
            print("  note: local OpenSSL refuses to offer TLS 1.1; skipped that check")
            return
        return  # the server refused the handshake: what we want
    except OSError:
        return
    raise AssertionError("a TLS 1.1 handshake succeeded")


# 5. Operations -----------------------------------------------------------

OUTCOMES = ["ok", "bad_signature", "missing_signature", "unsupported_event", "bad_body",
            "too_large", "rate_limited", "not_found", "no_match"]


def test_abuse_metrics_and_no_leaks(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--rate-per-receiver", "1000", "--rate-per-client", "0",
                                "--rate-burst", "1"])
    body = W.cloud_push()
    try:
        st, _, _ = s.request("GET", "/readyz")
        eq(st, 200, "readyz")
        s.push(PATH, "repo:push", body, W.SECRET)                                  # ok
        s.push(PATH, "repo:push", body, headers={"X-Hub-Signature": "sha256=" + "0" * 64})
        s.push(PATH, "repo:push", body)                                             # missing
        s.push(PATH, "repo:fork", b"{}", W.SECRET)                                  # unsupported
        s.push(PATH, "repo:push", b"[]", W.SECRET)                                  # bad body
        s.push(PATH, "repo:push", W.cloud_push(href="https://x/none", full_name="n/none"),
               W.SECRET)                                                            # no match
        raw(s, head(PATH, "Content-Length: 3000000", length=False))                 # too large
        s.request("GET", "/bitbucket/" + "0" * 64)                                  # not found
        held = connect(s)

        def gauge(answer):
            mo = re.search(rb"^kargo_webhooks_open_connections (\d+)$", answer[2], re.M)
            return int(mo.group(1)) if mo else 0
        st, h, text = poll(lambda: s.request("GET", "/metrics"), lambda a: gauge(a) >= 2)
        eq(st, 200, "metrics")
        expect(h.get("content-type", "").startswith("text/plain"), "Prometheus content type")
        t = text.decode()
        for o in OUTCOMES:
            if o in ("rate_limited", "not_found"):
                continue
            expect('kargo_webhooks_requests_total{kind="bitbucket",receiver="kargo-demo/bb",outcome="%s"} 1' % o in t,
                   "outcome %s counted:\n%s" % (o, t))
        expect('outcome="not_found"} 1' in t, "not found counted")
        expect("# TYPE kargo_webhooks_request_duration_seconds histogram" in t, "histogram")
        expect('kargo_webhooks_request_duration_seconds_bucket{le="+Inf"}' in t, "+Inf bucket")
        mo = re.search(r"^kargo_webhooks_open_connections (\d+)$", t, re.M)
        expect(mo and int(mo.group(1)) >= 2, "open connections gauge counts the held one")
        held.close()
    finally:
        log = s.stop()
    # Rate limited, on a server with a tiny per-receiver rate.
    s = Server(tmp, [m], extra=["--rate-per-receiver", "1", "--rate-burst", "1"])
    try:
        for _ in range(3):
            s.push(PATH, "repo:push", body)
        _, _, text = s.request("GET", "/metrics")
        expect(re.search(rb'receiver="kargo-demo/bb",outcome="rate_limited"} [12]\n', text),
               "rate_limited counted")
    finally:
        log += s.stop()
    secret_hash = PATH.rsplit("/", 1)[1]
    for where, t in (("metrics", text.decode() + t), ("log", log)):
        expect(W.SECRET.decode() not in t, "secret in " + where)
        expect(secret_hash not in t, "receiver hash path in " + where)
        expect(kw.sign(W.SECRET, body) not in t and "sha256=" not in t, "signature in " + where)


# 6. Rate limits ----------------------------------------------------------

def test_abuse_rate_limits(tmp):
    m = W.make_world(tmp)
    # Per client: an unsigned flood is limited before any signature work
    # (suite_proxy.py has the signed bursts and the proxies).
    s = Server(tmp, [m], extra=["--rate-per-client", "2", "--rate-burst", "1",
                                "--rate-per-receiver", "0"])
    try:
        got = [s.push(PATH, "repo:push", b"{}") for _ in range(6)]
        sts = [g[0] for g in got]
        eq(sts[:2], [401, 401], "first two reach the signature check")
        expect(sts.count(429) >= 3, "unsigned flood limited: %r" % sts)
        st, h, b = next(g for g in got if g[0] == 429)
        eq(b, b'{"error":"rate limit exceeded"}\n', "429 body")
        expect(h.get("retry-after", "").isdigit() and int(h["retry-after"]) >= 1, "Retry-After")
        # Only unverified requests pay: a signed push passes an empty bucket.
        signed_push_ok(s, "an unsigned flood emptied the client's bucket")
        st, _, _ = s.request("GET", "/healthz")
        eq(st, 200, "health is never rate limited")
    finally:
        log = s.stop()
    eq(log.count("outcome=bad_signature"), 0, "no signature was checked")
    # Per receiver.
    s = Server(tmp, [m], extra=["--rate-per-client", "0", "--rate-per-receiver", "2",
                                "--rate-burst", "1"])
    try:
        sts = [s.push(PATH, "repo:push", b"{}")[0] for _ in range(5)]
        expect(sts.count(429) >= 2 and sts[:2] == [401, 401], "per-receiver: %r" % sts)
        cluster = kw.receiver_path("", "cluster-bb", W.CLUSTER_SECRET)
        st, _, _ = s.push(cluster, "repo:push", b"{}")
        eq(st, 401, "another receiver has its own bucket")
    finally:
        s.stop()


# 7. Secret rotation ------------------------------------------------------

def test_abuse_secret_rotation(tmp):
    m = W.make_world(tmp)
    new, old = b"brand-new-secret", W.SECRET
    write(os.path.join(m, "project.yaml"), W.PROJECT_YAML.replace(
        "stringData:\n  secret: s3cret-value\n",
        "stringData:\n  secret: brand-new-secret\n  previous-secret: s3cret-value\n"))
    new_path = kw.receiver_path(W.PROJECT, W.RECEIVER, new)
    p = run_cli("receivers", "--manifests", m, "-o", "json")
    eq(p.returncode, 0, "receivers: " + p.stderr.decode())
    mine = [r for r in json.loads(p.stdout) if r["project"] == W.PROJECT]
    eq(sorted((r["path"], r.get("expiring", False)) for r in mine),
       sorted([(new_path, False), (PATH, True)]), "both URLs, the old one expiring")
    s = Server(tmp, [m])
    try:
        body = W.cloud_push()
        for path, secret in ((new_path, new), (PATH, old)):
            st, _, b = s.push(path, "repo:push", body, secret)
            eq(st, 200, "own secret on its URL")
        for path, secret in ((new_path, old), (PATH, new)):
            st, _, b = s.push(path, "repo:push", body, secret)
            eq((st, b), (401, b'{"error":"unauthorized"}\n'), "the other secret is refused")
    finally:
        s.stop()


# 8. Duplicate deliveries -------------------------------------------------

def tokens(m, state):
    p = run_cli("get", "warehouses", "--manifests", m, "--state", state, "-o", "json")
    return {i["metadata"]["name"]: i["metadata"].get("annotations", {}).get("kargo.akuity.io/refresh")
            for i in json.loads(p.stdout)["items"]}


def test_abuse_duplicate_delivery(tmp):
    m, s = started(tmp)
    try:
        for hdr in ("X-Request-UUID", "X-Request-Id"):
            rid = "dup-" + hdr
            st, _, b1 = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                               headers={hdr: rid, "X-Attempt-Number": "1"})
            eq(st, 200, "first delivery")
            before = tokens(m, s.state)
            expect(before["wh-main"], "refreshed")
            time.sleep(0.05)  # not a wait: a second refresh would get a newer token
            st, _, b2 = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                               headers={hdr: rid, "X-Attempt-Number": "2"})
            eq((st, b2), (200, b1), "retry gets the original answer")
            eq(tokens(m, s.state), before, "not applied again")
        # A failed delivery is not remembered: its retry is processed.
        st, _, _ = s.push(PATH, "repo:push", W.cloud_push(), headers={
            "X-Hub-Signature": "sha256=" + "0" * 64, "X-Request-UUID": "retry-after-401"})
        eq(st, 401, "forged")
        st, _, _ = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                          headers={"X-Request-UUID": "retry-after-401"})
        eq(st, 200, "then signed")
        # The retry's delivery is logged without waiting for the disk.
        d = poll(lambda: [x for x in json.loads(run_cli("deliveries", "--state", s.state, "-o",
                                                        "json").stdout)
                          if x["requestId"] == "dup-X-Request-UUID"], lambda a: len(a) == 2)
        eq(sorted(x["attempt"] for x in d), [1, 2], "both attempts recorded")
        expect(any("not applied" in x["refreshed"] for x in d), "the retry says so: %r" % d)
    finally:
        s.stop()


def test_abuse_library_answers_logged_and_counted(tmp):
    """A malformed first request is refused by the gate with JSON at once;
    what libmicrohttpd still answers itself (a malformed request later on a
    kept-alive connection, with its HTML body) is logged and counted."""
    _, s = started(tmp)
    try:
        a = raw(s, b"GET / HTTP/9.9\r\nHost: x\r\n\r\n")
        eq(status_of(a), 505, "unknown version")
        expect(a.endswith(b'{"error":"HTTP version not supported"}\n'), "JSON 505: %r" % a)
        t0 = time.time()
        a = raw(s, b"\0\0\0\0\r\n\r\n", shut=False)
        eq(status_of(a), 400, "a request line of NUL bytes")
        expect(time.time() - t0 < 5 * kw.SLOW, "answered at once, not at the header deadline")
        expect(a.endswith(b'{"error":"malformed request"}\n'), "JSON 400: %r" % a)
        a = raw(s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                   b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n")
        expect(a.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 400" in a, "second request: %r" % a[:300])
        st, _, b = s.request("GET", "/metrics")
        line = [l for l in b.decode().splitlines()
                if l.startswith('kargo_webhooks_requests_total{receiver="",outcome="bad_request"}')]
        expect(line and int(float(line[0].split()[-1])) >= 3, "counted: %r" % line)
    finally:
        log = s.stop()
    for status in ("505", "400"):
        expect(re.search(r"msg=request .*status=%s outcome=bad_request" % status, log),
               "answer %s logged" % status)
    expect("libmicrohttpd's own" in log, "the library's own answer logged")


TESTS = [test_abuse_head_fields_in_json, test_abuse_library_answers_logged_and_counted, test_abuse_header_limits,
         test_abuse_connection_limits, test_abuse_idle_timeout,
         test_abuse_header_and_request_timeouts, test_abuse_slowloris,
         test_abuse_malformed_requests, test_abuse_invalid_utf8_echo,
         test_abuse_state_unwritable, test_abuse_tls,
         test_abuse_metrics_and_no_leaks, test_abuse_rate_limits, test_abuse_secret_rotation,
         test_abuse_duplicate_delivery]

