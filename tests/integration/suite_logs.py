"""Logs (issue 8, item 8): with --log-format json every line serve writes
is JSON, start-up errors and manifest problems included; numbers are JSON
numbers; a request line names method, receiver (project/name, never the
hash), client, status and duration; --log-level debug shows what the payload
named and why each subscribed Warehouse was or was not chosen."""
import json
import os

import kw
from kw import Server, eq, expect, run_cli, write
import world as W

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)


def json_lines(text, what):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            raise AssertionError("%s: a line that is not JSON: %r" % (what, line))
    expect(out, what + ": no lines")
    return out


def test_logs_json_request_and_debug(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m], extra=["--log-format", "json"])  # debug: kw.Server's default
    try:
        eq(s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)[0], 200, "push")
    finally:
        log = s.stop()
    lines = json_lines(log, "serve --log-format json")
    req = [l for l in lines if l["msg"] == "request"]
    eq(len(req), 1, "one request line")
    r = req[0]
    eq((r["method"], r["receiver"], r["client"], r["status"]), ("POST", "kargo-demo/bb", "127.0.0.1", 200),
       "request fields")
    expect(isinstance(r["duration_ms"], (int, float)) and isinstance(r["id"], int), "numbers: %r" % r)
    expect(PATH.rsplit("/", 1)[1] not in log, "no receiver hash in the log")
    serving = next(l for l in lines if l["msg"] == "serving")
    expect(isinstance(serving["port"], int), "port is a number: %r" % serving)
    payload = next(l for l in lines if l["msg"] == "payload")
    expect("https://bitbucket.org/acme/app" in payload["urls"], "payload URLs: %r" % payload)
    eq(payload["refs"], "refs/heads/main", "payload refs")
    cand = {l["warehouse"]: l for l in lines if l["msg"] == "candidate"}
    eq(cand["kargo-demo/wh-main"]["chosen"], "true", "wh-main chosen")
    eq(cand["kargo-demo/wh-main"]["ref"], "refs/heads/main", "by its ref")
    eq(cand["kargo-demo/wh-dev"]["chosen"], "false", "wh-dev not chosen")
    expect("no pushed ref matches" in cand["kargo-demo/wh-dev"]["why"], "why: %r" % cand["kargo-demo/wh-dev"])
    expect("another project" in cand["other-project/wh-foreign"]["why"], "out of scope said")
    expect("kargo-demo/wh-other" not in cand, "only Warehouses subscribed to the pushed URL")


def test_logs_json_startup_errors(tmp):
    m = W.make_world(tmp)
    for extra, want in ((["--threads", "-3"], "--threads"),
                        (["--bogus"], "--bogus"),
                        (["--tls-cert", "/etc/hostname", "--tls-key", "/etc/hostname"], "/etc/hostname")):
        p = run_cli("serve", "--log-format", "json", "--manifests", m, "--listen", "127.0.0.1:0",
                    "--state", os.path.join(tmp, "s.db"), *extra)
        expect(p.returncode != 0, "%s refused" % extra)
        lines = json_lines(p.stderr.decode(), "start-up error %s" % extra)
        expect(any(l["level"] == "error" and want in l["msg"] for l in lines), "%s: %r" % (extra, lines))
    p = run_cli("serve", "--manifests", m, "--listen", "127.0.0.1:0", "--state",
                os.path.join(tmp, "s.db"), "--threads", "-3", env={"LOG_FORMAT": "json"})
    json_lines(p.stderr.decode(), "LOG_FORMAT=json")
    bad = os.path.join(tmp, "bad")
    write(os.path.join(bad, "w.yaml"), "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
          "metadata: {name: w, namespace: kargo-demo}\nspec:\n  subscriptions:\n"
          "    - git: {repoURL: 'https://x/y', commitSelectionStrategy: Bogus}\n")
    p = run_cli("serve", "--log-format", "json", "--manifests", bad, "--listen", "127.0.0.1:0",
                "--state", os.path.join(tmp, "s.db"))
    eq(p.returncode, 1, "a manifest error stops serve")
    lines = json_lines(p.stderr.decode(), "manifest problem")
    probs = [l for l in lines if l["msg"] == "manifest problem"]
    expect(probs and isinstance(probs[0]["line"], int) and probs[0]["line"] == 6
           and isinstance(probs[0]["column"], int), "diagnostic with numeric position: %r" % lines)


TESTS = [test_logs_json_request_and_debug, test_logs_json_startup_errors]

