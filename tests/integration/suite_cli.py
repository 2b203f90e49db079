"""The command line as a new user meets it (issue 8, item 7): every flag
error names the flag given, out-of-range values are refused rather than
changed, -n is the namespace everywhere and the delivery count is
--limit, deliveries prints YAML, get takes a NAME, and a bad --base-url is
a flag error."""
import json
import os

import kw
from kw import Server, eq, expect, poll, run_cli
import world as W

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)


def usage_error(args, flag, what):
    p = run_cli(*args)
    err = p.stderr.decode()
    eq(p.returncode, 2, "%s exit (%s)" % (what, err))
    expect(flag in err, "%s: the message names %s: %r" % (what, flag, err))
    return err


def test_cli_flag_errors_name_the_flag(tmp):
    m = W.make_world(tmp)
    serve = ["serve", "--manifests", m, "--listen", "127.0.0.1:0"]
    err = usage_error(serve + ["--threads", "-3"], "--threads", "negative threads")
    expect("--option" not in err, "no generic --option: " + err)
    usage_error(serve + ["--threads", "65"], "--threads", "threads over 64")
    usage_error(serve + ["--header-limit", "10"], "--header-limit", "header limit below 1024")
    usage_error(serve + ["--max-connections", "0"], "--max-connections", "no connections")
    usage_error(serve + ["--queue-max", "0"], "--queue-max", "empty queue")
    usage_error(serve + ["--header-timeout", "0"], "--header-timeout", "zero timeout")
    usage_error(serve + ["--rate-burst", "0.5"], "--rate-burst", "burst under 1 s")
    usage_error(serve + ["--rate-per-client", "x"], "--rate-per-client", "rate not a number")
    usage_error(serve + ["--sync", "sometimes"], "--sync", "sync mode")
    usage_error(["deliveries", "--limit", "-1"], "--limit", "negative count")
    usage_error(["deliveries", "--limit", "0"], "--limit", "zero count")
    usage_error(["receivers", "--manifests", m, "--state", "x"], "--state", "option of another command")


def test_cli_base_url_is_a_flag_error(tmp):
    m = W.make_world(tmp)
    for cmd in (["receivers"], ["check"]):
        err = usage_error(cmd + ["--manifests", m, "--base-url", "notaurl"],
                          "--base-url", "bad base URL for " + cmd[0])
        expect("error(s)" not in err and ".yaml" not in err, "not a manifest error: " + err)
    p = run_cli("receivers", "--manifests", m, env={"EXTERNAL_WEBHOOK_SERVER_BASE_URL": "ftp:x"})
    eq(p.returncode, 2, "bad base URL from the environment")
    expect(b"EXTERNAL_WEBHOOK_SERVER_BASE_URL" in p.stderr, p.stderr.decode())


def test_cli_namespace_and_limit(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m])
    try:
        eq(s.push(PATH, "repo:push", W.cloud_push(), W.SECRET)[0], 200, "push")
        cpath = kw.receiver_path("", "cluster-bb", W.CLUSTER_SECRET)
        eq(s.push(cpath, "repo:push", W.cloud_push(), W.CLUSTER_SECRET)[0], 200, "cluster push")
        eq(s.push(PATH, "repo:push", W.cloud_push(), b"wrong")[0], 401, "bad push")
        # Deliveries are written after the answer: wait for all three.
        d = poll(lambda: json.loads(run_cli("deliveries", "--state", s.state, "-o", "json").stdout),
                 lambda a: len(a) == 3)
        eq(len(d), 3, "three deliveries")
        p = run_cli("deliveries", "--state", s.state, "--limit", "2", "-o", "json")
        eq(len(json.loads(p.stdout)), 2, "--limit 2")
        p = run_cli("deliveries", "--state", s.state, "-n", "kargo-demo", "-o", "json")
        d = json.loads(p.stdout)
        eq(sorted(x["status"] for x in d), [200, 401], "-n kargo-demo: its own receiver only")
        expect(all(x["receiver"] == "kargo-demo/bb" for x in d), str(d))
        p = run_cli("deliveries", "--state", s.state, "-n", "5")
        eq(p.returncode, 0, "-n 5 is a namespace")
        expect(b"--limit" in p.stderr, "hint that the count is --limit: %r" % p.stderr)
        p = run_cli("deliveries", "--state", s.state, "-o", "yaml")
        eq(p.returncode, 0, "deliveries -o yaml: " + p.stderr.decode())
        expect(p.stdout.startswith(b"-") and b"receiver: kargo-demo/bb" in p.stdout,
               "YAML list: %r" % p.stdout[:200])
    finally:
        s.stop()


def test_cli_get_by_name(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m])
    s.stop()
    state = s.state
    p = run_cli("get", "warehouses", "wh-main", "--manifests", m, "--state", state, "-o", "json")
    eq(p.returncode, 0, "get by name: " + p.stderr.decode())
    items = json.loads(p.stdout)["items"]
    eq([i["metadata"]["name"] for i in items], ["wh-main"], "only wh-main")
    p = run_cli("get", "warehouses", "wh-main", "-n", "other-project", "--manifests", m,
                "--state", state)
    eq(p.returncode, 1, "not in that namespace")
    expect(b"not found" in p.stderr, p.stderr.decode())
    p = run_cli("get", "warehouses", "nope", "--manifests", m, "--state", state)
    eq(p.returncode, 1, "no such warehouse")
    p = run_cli("get", "warehouses", "a", "b", "--manifests", m, "--state", state)
    eq(p.returncode, 2, "two names")


def serve_fails(m, extra, what):
    """serve must refuse to start (exit 1) and say why on stderr."""
    p = run_cli("serve", "--manifests", m, "--listen", "127.0.0.1:0",
                "--state", os.path.join(os.path.dirname(m), "state.db"), *extra)
    eq(p.returncode, 1, what + ": " + p.stderr.decode())
    return p.stderr.decode()


def test_cli_bad_tls_files_named(tmp):
    """Issue 8 item 6: a bad TLS file is named with the reason, not reported
    as "cannot listen"."""
    from suite_abuse import make_cert
    m = W.make_world(tmp)
    cert, key = make_cert(tmp)
    os.makedirs(os.path.join(tmp, "other"))
    cert2, key2 = make_cert(os.path.join(tmp, "other"))
    err = serve_fails(m, ["--tls-cert", "/etc/hostname", "--tls-key", key], "not a certificate")
    expect("--tls-cert /etc/hostname" in err and "no PEM certificate" in err, err)
    expect("cannot listen" not in err, err)
    err = serve_fails(m, ["--tls-cert", cert, "--tls-key", cert], "certificate as key")
    expect(("--tls-key " + cert) in err and "private key" in err, err)
    err = serve_fails(m, ["--tls-cert", cert, "--tls-key", key2], "key of another certificate")
    expect("does not belong" in err and key2 in err, err)
    err = serve_fails(m, ["--tls-cert", os.path.join(tmp, "missing.pem"), "--tls-key", key],
                      "missing file")
    expect("missing.pem" in err and "No such file" in err, err)


BROKEN_SELECTIONS = """apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: wh-broken, namespace: kargo-demo}
spec:
  subscriptions:
  - git:
      repoURL: https://bitbucket.org/acme/app
      commitSelectionStrategy: NewestTag
      allowTagsRegexes:
      - "^v"
      - "(unclosed"
      - "[unclosed"
  - git:
      repoURL: https://bitbucket.org/acme/other
      commitSelectionStrategy: SemVer
      semverConstraint: ">>1"
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehose
metadata: {name: typo, namespace: kargo-demo}
"""


def test_check_reports_every_problem(tmp):
    """Issue 8 item 3: check names each bad regex of a list at its own
    line, and every subscription after a bad one; a kind kargo.akuity.io
    does not have is a warning at its line."""
    m = W.make_world(tmp)
    kw.write(os.path.join(m, "broken.yaml"), BROKEN_SELECTIONS)
    p = run_cli("check", "--manifests", m)
    err = p.stderr.decode()
    eq(p.returncode, 1, "check exit: " + err)
    f = os.path.join(m, "broken.yaml")
    for line, col, what in ((11, 9, "allowTagsRegexes[1]"), (12, 9, "allowTagsRegexes[2]"),
                            (16, 25, "semverConstraint")):
        expect(("%s:%d:%d: error: git: warehouse kargo-demo/wh-broken: %s" % (f, line, col, what))
               in err, "%s reported at %d:%d: %s" % (what, line, col, err))
    expect(("%s:19:7: warning: kind: kargo.akuity.io has no kind \"Warehose\" (Warehouse?)" % f)
           in err, "unknown kind warned: " + err)
    expect(b"3 error(s)" in p.stdout, p.stdout.decode())


def test_warnings_at_start_and_in_readyz(tmp):
    """Issue 8 item 3: a configuration with no receivers, or with a kind
    kargo.akuity.io does not have, serves with warnings: in the log at
    start and in /readyz's message (200: it serves what it has)."""
    m = os.path.join(tmp, "manifests")
    kw.write(os.path.join(m, "w.yaml"), W.WAREHOUSES[0] + "---\n" +
             "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehose\n"
             "metadata: {name: typo, namespace: kargo-demo}\n")
    p = run_cli("check", "--manifests", m)
    eq(p.returncode, 0, "warnings only: " + p.stderr.decode())
    expect(b"warning: no receivers" in p.stderr and b'no kind "Warehose"' in p.stderr,
           p.stderr.decode())
    s = Server(tmp, [m])
    try:
        st, _, b = s.request("GET", "/readyz")
        eq(st, 200, "ready: it serves what it has")
        eq(json.loads(b)["msg"], "ready; no receivers configured; 1 object(s) of unknown "
           "kargo.akuity.io kinds skipped (first: Warehose)", "readyz names the warnings")
        log = poll(s.log, lambda t: "no receivers" in t and "Warehose" in t)
        expect("no receivers" in log and 'no kind "Warehose"' in log, "logged at start: " + log)
    finally:
        s.stop()


def test_each_problem_once(tmp):
    """Issue 9 item 4: the manifests -> snapshot path has one home
    (snapshot_build), so serve, receivers and check report a receiver's
    missing Secret once each (serve logged it twice: the loader's report
    and the snapshot's)."""
    m = os.path.join(tmp, "manifests")
    kw.write(os.path.join(m, "p.yaml"), "apiVersion: kargo.akuity.io/v1alpha1\n"
             "kind: ProjectConfig\nmetadata: {name: p, namespace: p}\nspec:\n"
             "  webhookReceivers:\n  - {name: r, bitbucket: {secretRef: {name: s}}}\n")
    what = "secret p/s not found"
    for cmd in ("check", "receivers"):
        err = run_cli(cmd, "--manifests", m).stderr.decode()
        eq(err.count(what), 1, "%s reports it once: %s" % (cmd, err))
    s = Server(tmp, [m])
    try:
        st, _, b = s.request("GET", "/readyz")
        expect(b"1 receiver(s) not served" in b, "readyz: %r" % b)
        log = s.log()
        eq(log.count(what), 1, "serve reports it once at start: " + log)
    finally:
        s.stop()


TESTS = [test_check_reports_every_problem, test_each_problem_once, test_warnings_at_start_and_in_readyz,
         test_cli_flag_errors_name_the_flag, test_cli_bad_tls_files_named, test_cli_base_url_is_a_flag_error,
         test_cli_namespace_and_limit, test_cli_get_by_name]


def test_make_run_example(tmp):
    """README's first command: scripts/run-example.sh (make run) checks the
    bundled examples, serves them and prints a curl command that refreshes
    a Warehouse. Run with this build, a free port and a state file here."""
    import re
    import signal
    import socket
    import subprocess
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    env = dict(os.environ, PORT=str(port), KW_BIN=kw.BIN,
               KW_STATE=os.path.join(tmp, "state.db"))
    env.pop("EXTERNAL_WEBHOOK_SERVER_BASE_URL", None)
    out = open(os.path.join(tmp, "out"), "wb")
    err = open(os.path.join(tmp, "err"), "wb")
    p = subprocess.Popen(kw.WRAPPER + ["sh", os.path.join(root, "scripts", "run-example.sh")],
                         stdout=out, stderr=err, env=env, cwd=tmp)
    try:
        def healthy():
            try:
                import http.client
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                return c.getresponse().status
            except OSError:
                return None
        eq(poll(healthy, lambda st: st == 200 or p.poll() is not None), 200,
           "make run serves the examples: %s" % open(os.path.join(tmp, "err")).read()[-2000:])
        text = open(os.path.join(tmp, "out")).read()
        m = re.search(r"^  (curl .*)$", text, re.M)
        expect(m is not None, "prints a curl command: %r" % text)
        q = subprocess.run(["sh", "-c", m.group(1)], capture_output=True, cwd=root, timeout=30)
        eq(q.stdout, b'{"msg":"refreshed 1 warehouse(s)"}\n',
           "the printed curl refreshes the example Warehouse (%r)" % q.stderr)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)
        out.close()
        err.close()
    kw.check_sanitizers(open(os.path.join(tmp, "err")).read(), "make run")


TESTS.append(test_make_run_example)

