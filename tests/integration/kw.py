"""Shared helpers for the integration tests: start the real binary on a
loopback port 0, talk HTTP to it like Bitbucket, stop it, and fail on any
sanitizer report in its stderr."""
import hashlib
import hmac
import http.client
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = None  # set by run.py
# KW_WRAPPER runs the binary under another program, e.g.
# "valgrind --error-exitcode=99 --leak-check=full" (make check-valgrind).
WRAPPER = shlex.split(os.environ.get("KW_WRAPPER", ""))
# Time allowances grow under a wrapper, or by KW_SLOW (make check-tsan).
SLOW = float(os.environ.get("KW_SLOW", 10 if WRAPPER else 1))

SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                   "UndefinedBehaviorSanitizer", "ThreadSanitizer")


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def receiver_path(project: str, name: str, secret: bytes, base="/", kind="bitbucket") -> str:
    h = hashlib.sha256(project.encode() + name.encode() + secret).hexdigest()
    base = "/" + "/".join(p for p in base.split("/") if p)
    return (base.rstrip("/") + "/" + kind + "/" + h)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def run_cli(*args, input_bytes=None, env=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run(WRAPPER + [BIN] + list(args), input=input_bytes,
                       capture_output=True, env=e, timeout=60 * SLOW)
    if WRAPPER and p.returncode == 99:
        raise AssertionError("valgrind reported errors in %s:\n%s" % (
            " ".join(args), p.stderr.decode(errors="replace")[-4000:]))
    check_sanitizers(p.stderr.decode(errors="replace"), " ".join(args))
    return p


def poll(call, done, seconds=10):
    """Calls call() until done(result) or seconds (longer under a wrapper)
    pass; returns the last result, which the caller then asserts on. The
    tests synchronize with the server this way, never by sleeping."""
    deadline = time.time() + seconds * SLOW
    while True:
        result = call()
        if done(result) or time.time() > deadline:
            return result
        time.sleep(0.05)


def recv_until(sock, marker):
    """Reads from sock until marker has arrived or the peer closes."""
    data = b""
    while marker not in data:
        d = sock.recv(65536)
        if not d:
            break
        data += d
    return data


def read_answer(sock):
    """Reads one HTTP answer from sock: (status, {header: value}, body)."""
    data = recv_until(sock, b"\r\n\r\n")
    if b"\r\n\r\n" not in data:
        raise AssertionError("connection closed before an answer: %r" % data[:200])
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict((k.strip().lower(), v.strip()) for k, _, v in
                   (ln.partition(":") for ln in lines[1:]))
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        d = sock.recv(65536)
        if not d:
            break
        body += d
    return int(lines[0].split()[1]), headers, body


def check_sanitizers(text, what):
    for m in SANITIZER_MARKS:
        if m in text:
            raise AssertionError("sanitizer report from %s:\n%s" % (what, text[-4000:]))
    if re.search(r"ERROR SUMMARY: [1-9]", text):
        raise AssertionError("valgrind report from %s:\n%s" % (what, text[-4000:]))


class Server:
    """The real binary, serving on 127.0.0.1 and a free port."""

    def __init__(self, workdir, manifests, extra=(), env=None, base_url=None):
        self.workdir = workdir
        self.state = os.path.join(workdir, "state.db")
        self.port_file = os.path.join(workdir, "port")
        self.stderr_path = os.path.join(workdir, "server.log")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        args = WRAPPER + [BIN, "serve", "--listen", "127.0.0.1:0", "--port-file",
                self.port_file, "--state", self.state, "--log-level", "debug"]
        for m in manifests:
            args += ["--manifests", m]
        if base_url:
            args += ["--base-url", base_url]
        args += list(extra)
        e = dict(os.environ)
        e.update(env or {})
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, env=e)
        deadline = time.time() + 20 * SLOW
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None:
                raise AssertionError("server exited %d:\n%s" % (self.proc.returncode, self.log()))
            if time.time() > deadline:
                raise AssertionError("server did not start:\n" + self.log())
            time.sleep(0.02)
        with open(self.port_file) as f:
            self.port = int(f.read().strip())

    def log(self):
        if not self.stderr.closed:
            self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def request(self, method, path, body=b"", headers=None, timeout=10):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data
        finally:
            c.close()

    def push(self, path, event, body, secret=None, headers=None):
        h = {"X-Event-Key": event, "Content-Type": "application/json"}
        if secret is not None:
            h["X-Hub-Signature"] = sign(secret, body)
        h.update(headers or {})
        return self.request("POST", path, body, h)

    def begin_request(self, path, event, body, secret, headers=None, timeout=10):
        """Sends a signed POST's head with "Expect: 100-continue" and waits
        for the server's "100 Continue", which libmicrohttpd sends only
        after the request handler has seen the headers: from then on the
        request is in flight. Returns the socket; send the body with
        sock.sendall(body) and read the answer with read_answer(sock)."""
        c = socket.create_connection(("127.0.0.1", self.port), timeout=timeout * SLOW)
        h = {"X-Event-Key": event, "X-Hub-Signature": sign(secret, body),
             "Expect": "100-continue", "Content-Length": str(len(body))}
        h.update(headers or {})
        c.sendall(("POST %s HTTP/1.1\r\nHost: x\r\n" % path +
                   "".join("%s: %s\r\n" % kv for kv in h.items()) + "\r\n").encode())
        got = recv_until(c, b"\r\n\r\n")
        if not got.startswith(b"HTTP/1.1 100 "):
            c.close()
            raise AssertionError("no 100 Continue: %r" % got[:200])
        return c

    def accepting(self):
        """Whether the listening socket still takes connections."""
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, expect_code=0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("server did not stop on SIGTERM")
        self.stderr.close()
        text = self.log()
        check_sanitizers(text, "serve")
        if expect_code is not None and self.proc.returncode != expect_code:
            raise AssertionError("server exited %s:\n%s" % (self.proc.returncode, text[-3000:]))
        return text

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.stderr.close()


class TestRun:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def run(self, fn, *args):
        label = fn.__name__
        tmp = tempfile.mkdtemp(prefix="kw-it-")
        t0 = time.time()
        try:
            fn(tmp, *args)
            self.passed += 1
            print("ok   %s (%.2fs)" % (label, time.time() - t0), file=sys.stderr)
        except Skip as s:
            self.skipped += 1
            print("skip %s: %s" % (label, s), file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - a test's failure is reported, not raised
            self.failed += 1
            import traceback
            print("FAIL %s: %s" % (label, e), file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def done(self):
        line = "%s: %d passed, %d failed" % (self.name, self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line)
        return 1 if self.failed else 0


class Skip(Exception):
    pass


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def jbody(data):
    return json.loads(data.decode())
