#!/usr/bin/env python3
"""Integration tests: the real binary on 127.0.0.1, one test per rule of
contract §4, plus the commands, reload, SIGTERM and kill -9
durability; and the runner of every suite_*.py here and the fixtures
replay. Usage: run.py PATH_TO_BINARY [TEST_NAME...]. Tests run in forked
workers (jobs() says how many; KW_TEST_JOBS=1 runs them in order in this
process). Prints "integration: N passed, N failed[, N skipped]"."""
import http.client
import json
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kw  # noqa: E402
from kw import Server, eq, expect, jbody, poll, read_answer, run_cli, write  # noqa: E402
import world as W  # noqa: E402

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)
CLUSTER_PATH = kw.receiver_path("", "cluster-bb", W.CLUSTER_SECRET)


def refreshed(tmp, manifests, state, ns=None):
    args = ["get", "warehouses", "--manifests", manifests, "--state", state, "-o", "json"]
    if ns:
        args += ["-n", ns]
    p = run_cli(*args)
    eq(p.returncode, 0, "get exit: " + p.stderr.decode())
    out = {}
    for item in json.loads(p.stdout)["items"]:
        ann = item["metadata"].get("annotations", {})
        if "kargo.akuity.io/refresh" in ann:
            out[item["metadata"]["namespace"] + "/" + item["metadata"]["name"]] = \
                ann["kargo.akuity.io/refresh"]
    return out


def started(tmp, **kw_args):
    m = W.make_world(tmp)
    return m, Server(tmp, [m], **kw_args)


def test_healthz_and_not_found(tmp):
    _, s = started(tmp)
    try:
        st, h, b = s.request("GET", "/healthz")
        eq(st, 200, "healthz")
        eq(h.get("content-type"), "application/json", "content type")
        st, h, b = s.request("POST", "/bitbucket/" + "0" * 64, b"{}")
        eq((st, b), (404, b"{}\n"), "unknown receiver")
        st, _, b = s.request("GET", "/nope")
        eq((st, b), (404, b"{}\n"), "unknown path")
        st, _, b = s.request("POST", PATH + "/", b"{}")
        eq(st, 404, "path matches exactly")
    finally:
        s.stop()


def test_method_not_allowed(tmp):
    _, s = started(tmp)
    try:
        st, h, b = s.request("GET", PATH)
        eq(st, 405, "GET on receiver")
        eq(h.get("allow"), "POST", "Allow header")
        expect(b.endswith(b"\n") and "error" in jbody(b), "405 body is an error")
    finally:
        s.stop()


def test_body_limit(tmp):
    _, s = started(tmp)
    try:
        def announced(length, body):
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nX-Event-Key: repo:push\r\n"
                       "Content-Length: %d\r\n\r\n" % (PATH, length)).encode() + body)
            data = kw.recv_until(c, b'bytes"}\n')
            c.close()
            expect(data.startswith(b"HTTP/1.1 413"), "announced %d: %r" % (length, data[:100]))
            expect(data.endswith(b'{"error":"content exceeds limit of 2097152 bytes"}\n'),
                   "announced body")
        # A body a little over the limit is read and dropped, so the client
        # sees the answer; an absurd length is answered from the headers.
        announced(2097153, b"x" * 2097153)
        announced(10 ** 12, b"")
        # Chunked: no Content-Length, found while reading.
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nX-Event-Key: repo:push\r\n"
                "Transfer-Encoding: chunked\r\n\r\n" % PATH).encode()
        c.sendall(head)
        chunk = b"x" * 65536
        try:
            for _ in range(40):
                c.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            c.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                data += d
                if b"\r\n\r\n" in data and data.endswith(b"\n}\n") or data.endswith(b"}\n"):
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        c.close()
        expect(data.startswith(b"HTTP/1.1 413"), "chunked over limit: %r" % data[:200])
        expect(b'{"error":"content exceeds limit of 2097152 bytes"}\n' in data, "chunked body")
        # Exactly at the limit is accepted as far as size goes (then 400).
        body = b" " * 2097152
        st, _, b = s.push(PATH, "repo:push", body, W.SECRET)
        eq(st, 400, "at the limit")
    finally:
        s.stop()


def test_keepalive_after_early_answers(tmp):
    """Answers given without reading a body (health, 404, 405) keep the
    connection open, as probes and Bitbucket's keep-alive expect."""
    _, s = started(tmp)
    try:
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        for method, path, want in [("GET", "/healthz", 200), ("GET", "/healthz", 200),
                                   ("GET", PATH, 405), ("GET", "/nope", 404),
                                   ("POST", PATH, 200)]:
            headers = {"X-Event-Key": "diagnostics:ping"} if method == "POST" else {}
            c.request(method, path, body=b"{}" if method == "POST" else None, headers=headers)
            r = c.getresponse()
            r.read()
            eq(r.status, want, "%s %s" % (method, path))
            expect((r.getheader("Connection") or "").lower() != "close",
                   "%s %s kept the connection" % (method, path))
        c.close()
    finally:
        s.stop()


def test_chunked_far_over_limit(tmp):
    """A chunked body far past the limit (and past what is read and
    dropped in one go) still gets its 413, not a reset."""
    _, s = started(tmp)
    try:
        c = socket.create_connection(("127.0.0.1", s.port), timeout=20)
        c.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nX-Event-Key: repo:push\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % PATH).encode())
        chunk = b"x" * 1048576
        for _ in range(20):
            c.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        c.sendall(b"0\r\n\r\n")
        data = b""
        while not data.endswith(b"}\n"):
            d = c.recv(65536)
            if not d:
                break
            data += d
        c.close()
        expect(data.startswith(b"HTTP/1.1 413"), "20 MiB chunked: %r" % data[:80])
    finally:
        s.stop()


def test_ping(tmp):
    _, s = started(tmp)
    try:
        st, _, b = s.push(PATH, "diagnostics:ping", b"{}")
        eq((st, b), (200, b'{"msg":"pong"}\n'), "ping unsigned")
        p = run_cli("deliveries", "--state", s.state, "-o", "json")
        eq(json.loads(p.stdout), [], "ping leaves no trace")
    finally:
        s.stop()


def test_signature(tmp):
    _, s = started(tmp)
    try:
        body = W.cloud_push()
        st, _, b = s.push(PATH, "repo:push", body)
        eq((st, b), (401, b'{"error":"missing signature"}\n'), "absent")
        st, _, b = s.push(PATH, "repo:push", body, headers={"X-Hub-Signature": ""})
        eq((st, b), (401, b'{"error":"missing signature"}\n'), "empty")
        for bad in ["sha256=" + "0" * 64, "sha1=abc", kw.sign(b"wrong", body),
                    kw.sign(W.SECRET, body)[:-1], "sha256=" + "zz" * 32]:
            st, _, b = s.push(PATH, "repo:push", body, headers={"X-Hub-Signature": bad})
            eq((st, b), (401, b'{"error":"unauthorized"}\n'), "bad " + bad[:20])
        # Authentication comes before the event check.
        st, _, b = s.push(PATH, "repo:fork", body, headers={"X-Hub-Signature": "sha256=00"})
        eq(st, 401, "auth before event")
        upper = "sha256=" + kw.sign(W.SECRET, body)[7:].upper()
        st, _, b = s.push(PATH, "repo:push", body, headers={"X-Hub-Signature": upper})
        eq(st, 200, "upper-case hex")
    finally:
        s.stop()


def test_unsupported_event(tmp):
    _, s = started(tmp)
    try:
        st, _, b = s.push(PATH, "repo:fork", b"{}", W.SECRET)
        eq((st, b), (400, b'{"error":"event type repo:fork is not supported"}\n'), "fork")
        st, _, b = s.push(PATH, 'a"b', b"{}", W.SECRET)
        eq(st, 400, "quoted key")
        eq(jbody(b)["error"], 'event type a"b is not supported', "escaped")
        # Escaped as Go's encoding/json escapes it, byte for byte.
        st, _, b = s.push(PATH, "a<b>&c", b"{}", W.SECRET)
        eq(b, b'{"error":"event type a\\u003cb\\u003e\\u0026c is not supported"}\n', "html escapes")
        long_key = "k" * 2000
        st, _, b = s.push(PATH, long_key, b"{}", W.SECRET)
        eq(jbody(b)["error"], "event type %s is not supported" % long_key, "long key whole")
    finally:
        s.stop()


def test_invalid_body(tmp):
    _, s = started(tmp)
    try:
        for body in [b"[]", b'{"repository":"x"}', b"{} trailing", b"{", b'"s"']:
            st, _, b = s.push(PATH, "repo:push", body, W.SECRET)
            eq((st, b), (400, b'{"error":"invalid request body"}\n'), repr(body))
        st, _, b = s.push(PATH, "repo:push", b"null", W.SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 0 warehouse(s)"}\n'), "null is empty")
    finally:
        s.stop()


def test_cloud_push_branch(tmp):
    m, s = started(tmp)
    try:
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "main push")
        got = refreshed(tmp, m, s.state)
        eq(sorted(got), ["kargo-demo/wh-default", "kargo-demo/wh-main", "kargo-demo/wh-ssh"],
           "refreshed set")
        tok = got["kargo-demo/wh-main"]
        expect(tok.endswith("Z") and "." in tok and "T" in tok, "RFC 3339 with sub-seconds: " + tok)
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(changes=(("branch", "develop"),)), W.SECRET)
        eq(b, b'{"msg":"refreshed 1 warehouse(s)"}\n', "develop")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(changes=(("branch", "master"),)), W.SECRET)
        eq(b, b'{"msg":"refreshed 1 warehouse(s)"}\n', "master: default branch only")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(changes=(None,)), W.SECRET)
        eq(b, b'{"msg":"refreshed 7 warehouse(s)"}\n', "deletion only: no refs, all by URL")
    finally:
        s.stop()


def test_cloud_push_tags(tmp):
    _, s = started(tmp)
    try:
        cases = [("v1.2.3", 2), ("v2.0.0", 1), ("release-1", 2), ("release-1-rc", 1),
                 ("1.0.0-rc.1", 1),
                 # strictSemvers defaults to true, as in Kargo's CRD.
                 ("v1.2", 1)]
        for tag, n in cases:
            st, _, b = s.push(PATH, "repo:push", W.cloud_push(changes=(("tag", tag),)), W.SECRET)
            eq((st, b), (200, b'{"msg":"refreshed %d warehouse(s)"}\n' % n), "tag " + tag)
    finally:
        s.stop()


def test_server_refs_changed(tmp):
    m, s = started(tmp)
    try:
        st, _, b = s.push(PATH, "repo:refs_changed", W.server_push(), W.SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 1 warehouse(s)"}\n'), "server push")
        eq(list(refreshed(tmp, m, s.state)), ["kargo-demo/wh-server"], "server wh")
        body = json.dumps({"repository": {"slug": "x"}, "changes": []}).encode()
        st, _, b = s.push(PATH, "repo:refs_changed", body, W.SECRET)
        eq(b, b'{"msg":"refreshed 0 warehouse(s)"}\n', "no links: no URL")
    finally:
        s.stop()


def test_pull_requests(tmp):
    _, s = started(tmp)
    try:
        for ev, body in [("pullrequest:fulfilled", W.cloud_pr()),
                         ("pullrequest:rejected", W.cloud_pr()),
                         ("pr:merged", W.server_pr()), ("pr:declined", W.server_pr())]:
            st, _, b = s.push(PATH, ev, body, W.SECRET)
            eq((st, b), (200, b'{"msg":"refreshed 1 promotion(s)"}\n'), ev)
        st, _, b = s.push(PATH, "pr:merged", W.server_pr("https://x/other"), W.SECRET)
        eq(b, b'{"msg":"refreshed 0 promotion(s)"}\n', "other PR")
        p = run_cli("get", "promotions", "--manifests", os.path.join(tmp, "manifests"),
                    "--state", s.state, "-o", "json")
        items = {i["metadata"]["name"]: i for i in json.loads(p.stdout)["items"]}
        expect("kargo.akuity.io/refresh" in items["promo-1"]["metadata"].get("annotations", {}),
               "running promotion refreshed")
        expect("annotations" not in items["promo-done"]["metadata"], "finished one not")
    finally:
        s.stop()


def test_cluster_receiver(tmp):
    m, s = started(tmp)
    try:
        st, _, b = s.push(CLUSTER_PATH, "repo:push", W.cloud_push(), W.CLUSTER_SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 4 warehouse(s)"}\n'), "cluster push")
        expect("other-project/wh-foreign" in refreshed(tmp, m, s.state), "other namespace")
    finally:
        s.stop()


def test_bad_selector_is_an_error(tmp):
    """A selection that cannot be built (bad regex) is an error: serve does
    not start on it, a reload with it is rejected (the old configuration
    keeps serving every Warehouse), and check names every one and exits 1."""
    m = W.make_world(tmp)
    bad = ("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
           "metadata: {name: wh-bad, namespace: kargo-demo}\nspec:\n  subscriptions:\n"
           "    - git: {repoURL: 'https://bitbucket.org/acme/app', branch: main}\n"
           "    - git: {repoURL: 'https://bitbucket.org/acme/app', commitSelectionStrategy: NewestTag,"
           " allowTagsRegexes: ['(unclosed']}\n"
           "    - git: {repoURL: 'https://bitbucket.org/acme/app', commitSelectionStrategy: NewestTag,"
           " ignoreTagsRegexes: ['[z-a]']}\n")
    write(os.path.join(m, "bad.yaml"), bad)
    p = run_cli("serve", "--manifests", m, "--listen", "127.0.0.1:0",
                "--state", os.path.join(tmp, "bad.db"))
    err = p.stderr.decode()
    expect(p.returncode != 0, "serve refuses to start (%d)" % p.returncode)
    expect("wh-bad" in err, "names the Warehouse: %r" % err)
    p = run_cli("check", "--manifests", m)
    err = p.stderr.decode()
    eq(p.returncode, 1, "check exits 1: " + err)
    expect("bad.yaml:7:" in err and "bad.yaml:8:" in err,
           "each broken subscription at its own line: " + err)
    os.unlink(os.path.join(m, "bad.yaml"))
    s = Server(tmp, [m], extra=["--no-watch"])
    try:
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq(st, 200, "served before")
        write(os.path.join(m, "bad.yaml"), bad)
        s.signal(signal.SIGHUP)
        st, _, b = poll(lambda: s.request("GET", "/readyz"), lambda a: b"last reload failed" in a[2])
        expect(b"last reload failed" in b, "readyz reports the rejected reload: %r" % b)
        eq(st, 200, "still ready: the old configuration serves")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(changes=(("tag", "v1"),)), W.SECRET)
        eq(st, 200, "every Warehouse of the push still refreshed, no 500: %r" % b)
        expect("wh-bad" in s.log(), "the broken Warehouse is named in the log")
    finally:
        s.stop()


def test_base_path_prefix(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], base_url="https://kargo.example.com/webhooks/")
    try:
        full = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET, "/webhooks")
        expect(full.startswith("/webhooks/bitbucket/"), full)
        for p in (full, PATH):
            st, _, b = s.push(p, "repo:push", W.cloud_push(), W.SECRET)
            eq(st, 200, "path " + p[:30])
    finally:
        s.stop()


def test_reload_sighup_and_watch(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--no-watch"])
    try:
        add = W.wh("wh-new", "kargo-demo", "https://bitbucket.org/acme/new", branch="main")
        write(os.path.join(m, "new.yaml"), add)
        body = W.cloud_push(href="https://bitbucket.org/acme/new", full_name="acme/new")
        st, _, b = s.push(PATH, "repo:push", body, W.SECRET)
        eq(b, b'{"msg":"refreshed 0 warehouse(s)"}\n', "before reload")
        s.signal(signal.SIGHUP)
        st, _, b = poll(lambda: s.push(PATH, "repo:push", body, W.SECRET),
                        lambda a: a[2] == b'{"msg":"refreshed 1 warehouse(s)"}\n')
        eq(b, b'{"msg":"refreshed 1 warehouse(s)"}\n', "after SIGHUP")
        # A broken manifest is rejected; the old configuration keeps serving.
        write(os.path.join(m, "broken.yaml"), "kind: Warehouse\napiVersion: kargo.akuity.io/v1alpha1\n"
              "metadata: {name: x, namespace: kargo-demo}\nspec:\n  subscriptions:\n    - git: {}\n")
        s.signal(signal.SIGHUP)
        st, _, b = poll(lambda: s.request("GET", "/readyz"), lambda a: b"last reload failed" in a[2])
        eq(st, 200, "still ready: the old configuration serves")
        expect(b"last reload failed" in b, "readyz reports the rejected reload: %r" % b)
        st, _, b = s.push(PATH, "repo:push", body, W.SECRET)
        eq(b, b'{"msg":"refreshed 1 warehouse(s)"}\n', "still serving")
        expect("reload" in s.log(), "reload logged")
    finally:
        s.stop()
    # Watching: a file change reloads by itself.
    os.unlink(os.path.join(m, "broken.yaml"))
    s = Server(tmp, [m])
    try:
        write(os.path.join(m, "newer.yaml"),
              W.wh("wh-newer", "kargo-demo", "https://bitbucket.org/acme/newer", branch="main"))
        body = W.cloud_push(href="https://bitbucket.org/acme/newer", full_name="acme/newer")
        st, _, b = poll(lambda: s.push(PATH, "repo:push", body, W.SECRET),
                        lambda a: a[2] == b'{"msg":"refreshed 1 warehouse(s)"}\n')
        eq(b, b'{"msg":"refreshed 1 warehouse(s)"}\n', "after file change")
    finally:
        s.stop()


def test_reload_secret_deleted(tmp):
    """Deleting a Secret revokes its receiver at once: an operator deletes
    a Secret to kill a leaked secret (previous-secret is the way to change
    one without downtime)."""
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--no-watch"])
    try:
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "served before")
        parts = W.PROJECT_YAML.split("---\n")
        write(os.path.join(m, "project.yaml"), "---\n".join([parts[0]] + parts[2:]))
        s.signal(signal.SIGHUP)
        st, _, b = poll(lambda: s.request("GET", "/readyz"),
                        lambda a: b"not served" in a[2])
        eq(st, 200, "still ready: the other receivers serve")
        expect(b"1 receiver(s) not served" in b, "readyz names the revoked receiver: %r" % b)
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq((st, b), (404, b'{}\n'), "deleted Secret: its URL is revoked")
        expect("secret kargo-demo/bb-secret not found; receiver not served" in s.log(),
               "logged")
        # A Secret without its key revokes too.
        nokey = parts[1].replace("  secret: s3cret-value", "  other: s3cret-value")
        write(os.path.join(m, "project.yaml"), "---\n".join([parts[0], nokey] + parts[2:]))
        s.signal(signal.SIGHUP)
        poll(lambda: s.request("GET", "/readyz"), lambda a: b"not served" in a[2])
        expect('has no key' in poll(s.log, lambda t: 'has no key' in t),
               "missing key logged")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq((st, b), (404, b'{}\n'), "Secret without its key: revoked")
        write(os.path.join(m, "project.yaml"), W.PROJECT_YAML)
        s.signal(signal.SIGHUP)
        st, _, b = poll(lambda: s.request("GET", "/readyz"),
                        lambda a: a[2] == b'{"msg":"ready"}\n')
        eq((st, b), (200, b'{"msg":"ready"}\n'), "plain ready once the Secret is back")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "served again")
    finally:
        s.stop()


def test_secret_deleted_watched(tmp):
    """The same revocation through the manifest watcher, without SIGHUP."""
    m = W.make_world(tmp)
    s = Server(tmp, [m])
    try:
        parts = W.PROJECT_YAML.split("---\n")
        write(os.path.join(m, "project.yaml"), "---\n".join([parts[0]] + parts[2:]))
        st, _, b = poll(lambda: s.push(PATH, "repo:push", W.cloud_push(), W.SECRET),
                        lambda a: a[0] == 404)
        eq((st, b), (404, b'{}\n'), "revoked once the watcher reloads")
    finally:
        s.stop()


def test_sigterm_finishes_in_flight(tmp):
    """A request whose headers arrived before SIGTERM and whose body
    arrives after the listening socket closed is still answered."""
    _, s = started(tmp)
    body = W.cloud_push()
    c = s.begin_request(PATH, "repo:push", body, W.SECRET)
    s.signal(signal.SIGTERM)
    expect(not poll(s.accepting, lambda a: not a), "SIGTERM stops accepting")
    c.sendall(body)
    st, _, b = read_answer(c)
    c.close()
    eq((st, b), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "in-flight request answered")
    s.proc.wait(timeout=20 * kw.SLOW)
    eq(s.proc.returncode, 0, "exit status")
    s.stop()


def test_sigterm_with_state_locked(tmp):
    """SIGTERM while refreshes wait on a locked state database: they are
    answered (503, which Bitbucket retries) and the process exits 0."""
    m, s = started(tmp)
    db = sqlite3.connect(s.state, timeout=1, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    answers = []
    sent = []

    def worker():
        try:
            body = W.cloud_push()
            c = s.begin_request(PATH, "repo:push", body, W.SECRET)
            c.sendall(body)
            sent.append(1)
            st, h, b = read_answer(c)
            c.close()
            answers.append((st, h.get("retry-after")))
        except (OSError, AssertionError) as e:
            sent.append(1)
            answers.append(("error", str(e)))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    try:
        for t in threads:
            t.start()
        # Every request is in flight (its headers seen) before the signal.
        eq(len(poll(lambda: sent, lambda a: len(a) == 4)), 4, "four requests in flight")
        s.signal(signal.SIGTERM)
        s.proc.wait(timeout=60)
        for t in threads:
            t.join(timeout=30)
    finally:
        db.execute("ROLLBACK")
        db.close()
    eq(s.proc.returncode, 0, "exit status")
    eq(len(answers), 4, "every client answered")
    expect(all(a[0] == 503 and a[1] for a in answers), "503 with Retry-After: %r" % answers)
    s.stop()


def test_kill9_durability(tmp):
    kill9_under_load(tmp, [])


def test_kill9_durability_sync_normal(tmp):
    """--sync normal survives the process being killed too (not a power
    loss, which no test here can stage)."""
    kill9_under_load(tmp, ["--sync", "normal"])


def kill9_under_load(tmp, extra):
    m, s = started(tmp, extra=extra + ["--rate-per-client", "0", "--rate-per-receiver", "0"])
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(i):
        n = 0
        while not stop.is_set() and n < 400:
            href = "https://bitbucket.org/acme/app"
            try:
                st, _, b = s.push(PATH, "repo:push", W.cloud_push(href=href), W.SECRET,
                                  headers={"X-Request-UUID": "w%d-%d" % (i, n)})
            except OSError:
                return
            if st == 200:
                with lock:
                    acked.append("w%d-%d" % (i, n))
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    poll(lambda: len(acked), lambda n: n >= 200, seconds=30)
    s.kill9()
    stop.set()
    for t in threads:
        t.join()
    expect(len(acked) > 10, "some pushes answered before the kill: %d" % len(acked))
    db = sqlite3.connect(s.state)
    eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "integrity")
    ids = set(r[0] for r in db.execute("SELECT request_id FROM delivery WHERE status = 200"))
    missing = [a for a in acked if a not in ids]
    eq(missing, [], "every acknowledged delivery is in the state")
    n = db.execute("SELECT count(*) FROM refresh WHERE kind = 'Warehouse'").fetchone()[0]
    eq(n, 3, "refresh rows")
    db.close()


def test_back_pressure(tmp):
    """When refreshes queue faster than the disk commits them, the answer is
    an immediate 503 with Retry-After, never an unbounded queue."""
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--queue-max", "1", "--rate-per-client", "0",
                                "--rate-per-receiver", "0"])
    results = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            st, h, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
            with lock:
                results.append((st, h.get("retry-after"), b))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = set(r[0] for r in results)
        expect(statuses <= {200, 503}, "statuses: %r" % statuses)
        busy = [r for r in results if r[0] == 503]
        expect(busy, "some requests were turned away with 503")
        expect(all(r[1] == "1" for r in busy), "Retry-After on every 503")
        expect(any(r[0] == 200 for r in results), "others went through")
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq(st, 200, "served again once the queue drains")
    finally:
        s.stop()


def test_receivers_command(tmp):
    m = W.make_world(tmp)
    p = run_cli("receivers", "--manifests", m, "--base-url", "https://kargo.example.com/webhooks",
                "-o", "json")
    eq(p.returncode, 0, "receivers exit: " + p.stderr.decode())
    got = json.loads(p.stdout)
    eq(got, [
        {"project": "", "name": "cluster-bb", "kind": "bitbucket",
         "path": "/webhooks" + CLUSTER_PATH, "url": "https://kargo.example.com/webhooks" + CLUSTER_PATH},
        {"project": "kargo-demo", "name": "bb", "kind": "bitbucket",
         "path": "/webhooks" + PATH, "url": "https://kargo.example.com/webhooks" + PATH},
    ], "receivers")
    p = run_cli("receivers", "--manifests", m, "-o", "yaml")
    expect(b"project: kargo-demo" in p.stdout, "yaml output")
    p = run_cli("receivers", "--manifests", m)
    expect(p.stdout.startswith(b"PROJECT"), "table")
    # A receiver whose Secret is missing is left out, reported, exit 1.
    write(os.path.join(m, "p2.yaml"), "apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
          "metadata: {name: p2, namespace: p2}\nspec:\n  webhookReceivers:\n"
          "    - name: r2\n      bitbucket: {secretRef: {name: nope}}\n")
    p = run_cli("receivers", "--manifests", m, "-o", "json")
    eq(p.returncode, 1, "missing secret exit")
    eq(len(json.loads(p.stdout)), 2, "others still printed")
    err = p.stderr.decode()
    expect("r2" in err and "nope" in err and "not found" in err, "reported: " + err)


def test_check_command(tmp):
    m = W.make_world(tmp)
    p = run_cli("check", "--manifests", m)
    eq(p.returncode, 0, "valid: " + p.stderr.decode())
    write(os.path.join(m, "bad.yaml"),
          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: b\n"
          "  namespace: kargo-demo\nspec:\n  subscriptions:\n    - git:\n        repoURL: x\n"
          "        commitSelectionStrategy: Bogus\n---\n"
          "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata:\n  name: c\n"
          "  namespace: kargo-demo\nspec:\n  subscriptions:\n    - git:\n        branch: main\n")
    p = run_cli("check", "--manifests", m)
    eq(p.returncode, 1, "errors exit 1")
    err = p.stderr.decode()
    expect("bad.yaml:10:" in err and "commitSelectionStrategy" in err, "first error: " + err)
    expect(err.count("error") >= 2, "all errors reported: " + err)
    os.unlink(os.path.join(m, "bad.yaml"))
    parts = W.PROJECT_YAML.split("---\n")
    parts[1] = ("apiVersion: v1\nkind: Secret\nmetadata: {name: bb-secret, namespace: kargo-demo}\n"
                "stringData:\n  secret: \"trailing\\n\"\n")
    parts.append("apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
                 "metadata: {name: p3, namespace: p3}\nspec:\n  webhookReceivers:\n"
                 "    - name: r3\n      bitbucket: {secretRef: {name: missing}}\n")
    write(os.path.join(m, "project.yaml"), "---\n".join(parts))
    p = run_cli("check", "--manifests", m)
    err = p.stderr.decode()
    eq(p.returncode, 0, "warnings only: " + err)
    expect("warning" in err and "missing" in err, "missing secret warned: " + err)
    expect("white space" in err or "whitespace" in err or "trailing" in err, "trailing space warned: " + err)


def test_sign_command(tmp):
    sf = os.path.join(tmp, "secret")
    with open(sf, "wb") as f:
        f.write(b"soylent green is people\n")
    body = W.cloud_push()
    p = run_cli("sign", "--secret-file", sf, input_bytes=body)
    eq(p.stdout.decode().strip(), kw.sign(b"soylent green is people\n", body), "stdin")
    bf = os.path.join(tmp, "body")
    with open(bf, "wb") as f:
        f.write(body)
    p = run_cli("sign", "--secret-file", sf, bf)
    eq(p.stdout.decode().strip(), kw.sign(b"soylent green is people\n", body), "file")


def test_deliveries_and_no_secret_in_logs(tmp):
    _, s = started(tmp)
    try:
        s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
               headers={"X-Request-UUID": "uuid-1", "X-Attempt-Number": "2"})
        s.push(PATH, "repo:push", W.cloud_push(), headers={"X-Hub-Signature": "sha256=" + "1" * 64,
                                                          "X-Request-Id": "dc-id"})
        # The 401 is logged without waiting for the disk: poll for it.
        d = poll(lambda: json.loads(run_cli("deliveries", "--state", s.state, "-o", "json").stdout),
                 lambda a: len(a) == 2)
        eq(len(d), 2, "two deliveries")
        eq((d[0]["requestId"], d[0]["status"]), ("dc-id", 401), "newest first")
        eq((d[1]["requestId"], d[1]["attempt"], d[1]["status"]), ("uuid-1", 2, 200), "first")
        expect("wh-main" in d[1]["refreshed"], "what was refreshed")
        p = run_cli("deliveries", "--state", s.state, "--limit", "1")
        eq(len(p.stdout.decode().strip().splitlines()), 2, "table with -n 1")
    finally:
        log = s.stop()
    for secret in (W.SECRET, W.CLUSTER_SECRET):
        expect(secret.decode() not in log, "secret in log")
    expect(PATH.split("/")[-1] not in log, "receiver hash in log")
    expect("sha256=" not in log, "signature in log")


def test_port_in_use(tmp):
    """A port that is taken is a start-up error naming the address; no
    second server silently shares the port (and the deliveries)."""
    m, s = started(tmp)
    try:
        p = run_cli("serve", "--manifests", m, "--listen", "127.0.0.1:%d" % s.port,
                    "--state", os.path.join(tmp, "other.db"))
        err = p.stderr.decode()
        expect(p.returncode != 0, "second serve exits non-zero (%d)" % p.returncode)
        expect("cannot listen on 127.0.0.1:%d: Address already in use" % s.port in err,
               "names the address and the cause: %r" % err)
        st, _, b = s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)
        eq(st, 200, "the first server still serves")
    finally:
        s.stop()


def test_kargo_log_env(tmp):
    """Kargo's chart sets LOG_FORMAT=CONSOLE and LOG_LEVEL=INFO: accepted."""
    m = W.make_world(tmp)
    s = Server(tmp, [m], env={"LOG_FORMAT": "CONSOLE", "LOG_LEVEL": "INFO"})
    try:
        eq(s.request("GET", "/healthz")[0], 200, "serves with Kargo's values")
    finally:
        s.stop()
    p = run_cli("serve", "--manifests", m, "--log-format", "xml")
    expect(p.returncode != 0 and b"unknown log format xml" in p.stderr,
           "an unknown format is refused: %r" % p.stderr)


def test_help_and_version(tmp):
    p = run_cli("--help")
    eq(p.returncode, 0, "help")
    for c in ["serve", "receivers", "check", "get", "deliveries", "sign"]:
        expect(c.encode() in p.stdout, c)
        q = run_cli(c, "--help")
        eq(q.returncode, 0, c + " --help")
        expect(b"Usage: kargo-webhooks " + c.encode() in q.stdout, c + " usage")
    p = run_cli("--version")
    expect(p.stdout.startswith(b"kargo-webhooks "), "version")
    p = run_cli("bogus")
    eq(p.returncode, 2, "unknown command")


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]


def suites():
    """Every module of tests: this one, the shared fixtures replay and each
    suite_*.py here, each with its TESTS list."""
    here = os.path.dirname(os.path.abspath(__file__))
    names = ["fixtures_replay"] + sorted(f[:-3] for f in os.listdir(here)
                                         if f.startswith("suite_") and f.endswith(".py"))
    return [sys.modules[__name__]] + [__import__(n) for n in names]


def units(only):
    """What the workers are given: one test each, except that a module
    with GROUPED = True is one unit, its tests run in order in one process
    (suite_kube's last test reads the calls the others made). Groups go
    first: they are the longest."""
    grouped, single = [], []
    for mod in suites():
        names = [fn.__name__ for fn in mod.TESTS if not only or fn.__name__ in only]
        if not names:
            continue
        if getattr(mod, "GROUPED", False):
            grouped.append((mod.__name__, names))
        else:
            single += [(mod.__name__, [n]) for n in names]
    return grouped + single


RESULT = "@@unit-result "
UNIT_LIMIT = 300  # seconds a unit may take (times kw.SLOW): a hung test fails, CI goes on


def start_unit(unit):
    """Forks a worker for one unit, its output (and a last line with its
    counts) going to a file of its own: (pid, path)."""
    fd, path = tempfile.mkstemp(prefix="kw-unit-")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid != 0:
        os.close(fd)
        return pid, path
    status = 1
    try:
        os.setpgid(0, 0)  # a group of its own: what its tests started ends with it
        signal.alarm(int(UNIT_LIMIT * kw.SLOW))  # SIGALRM's default action ends the worker
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        modname, names = unit
        t = kw.TestRun("integration")
        for name in names:
            t.run(getattr(sys.modules[modname], name))
        print("\n%s%d %d %d" % (RESULT, t.passed, t.failed, t.skipped), flush=True)
        status = 0
    finally:
        sys.stderr.flush()
        os._exit(status)


def finish_unit(unit, path, wstatus):
    """(passed, failed, skipped, output) of a worker that ended; one that
    died before its counts (a signal, an exit from a test) fails every test
    of its unit."""
    with open(path, errors="replace") as f:
        text = f.read()
    os.unlink(path)
    head, sep, counts = text.rpartition("\n" + RESULT)
    if sep and os.WIFEXITED(wstatus) and os.WEXITSTATUS(wstatus) == 0:
        passed, failed, skipped = (int(x) for x in counts.split())
        return passed, failed, skipped, head
    why = ("signal %d" % os.WTERMSIG(wstatus) if os.WIFSIGNALED(wstatus)
           else "exit %d" % os.WEXITSTATUS(wstatus))
    if os.WIFSIGNALED(wstatus) and os.WTERMSIG(wstatus) == signal.SIGALRM:
        why += ": over the %g s a unit may take" % (UNIT_LIMIT * kw.SLOW)
    return 0, len(unit[1]), 0, text + "\nFAIL %s: the worker died (%s)\n" % (
        ", ".join(unit[1]), why)


def jobs():
    """KW_TEST_JOBS, else two per CPU, at most 6: the tests mostly wait
    (on the server, the fake API server, deadlines), so more workers than
    CPUs pay; one under valgrind, whose processes are slow and heavy."""
    if os.environ.get("KW_TEST_JOBS"):
        return max(1, int(os.environ["KW_TEST_JOBS"]))
    if kw.WRAPPER or os.environ.get("KW_VALGRIND") == "1":
        return 1
    return max(1, min(6, 2 * (os.cpu_count() or 1)))


def main():
    kw.BIN = os.path.abspath(sys.argv[1])
    t = kw.TestRun("integration")
    work = units(sys.argv[2:])
    n = jobs()
    if n == 1:
        for modname, names in work:
            for name in names:
                t.run(getattr(sys.modules[modname], name))
        return t.done()
    # Each unit runs in a forked worker with its own temporary folder,
    # port 0 and fake API server; its output is printed whole when it ends.
    running = {}
    try:
        while work or running:
            while work and len(running) < n:
                unit = work.pop(0)
                pid, path = start_unit(unit)
                running[pid] = (unit, path)
            pid, wstatus = os.wait()
            if pid not in running:
                continue
            unit, path = running.pop(pid)
            end_group(pid)
            report(t, unit, path, wstatus)
    finally:  # interrupted: no worker, and no server of theirs, outlives the run
        for pid in running:
            end_group(pid)
    return t.done()


def end_group(pid):
    """Kills what is left of a worker's process group (the servers of a
    test that hung or died before stopping them)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def report(t, unit, path, wstatus):
    """Prints a finished unit's output whole and adds its counts to t."""
    passed, failed, skipped, text = finish_unit(unit, path, wstatus)
    sys.stderr.write(text)
    sys.stderr.flush()
    t.passed += passed
    t.failed += failed
    t.skipped += skipped


if __name__ == "__main__":
    sys.exit(main())
