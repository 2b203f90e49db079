#!/usr/bin/env python3
"""make check-image's second half (tests/image/run.sh made the root):
runs the release binary inside ROOT with chroot as the image's user and
checks it serves. Embedded mode: the bundled examples answer a signed push
with "refreshed 1 warehouse(s)". Kubernetes mode: against the tests' fake
API server (TLS with a CA made now, a bearer token, on 127.0.0.1) it gets
ready and a push refreshes three Warehouses by PATCH. Usage: runtime.py ROOT
"""
import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
import kw  # noqa: E402
import suite_kube as S  # noqa: E402

ROOT = os.path.abspath(sys.argv[1])
USER = "65532:65532"
WORK = "/var/lib/kargo-webhooks"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(port, args, env=""):
    """The binary inside ROOT, as the image's user, in its working folder."""
    cmd = "cd %s && %s exec /usr/local/bin/kargo-webhooks serve --listen 127.0.0.1:%d %s" % (
        WORK, env, port, args)
    log = open(os.path.join(ROOT, WORK.lstrip("/"), "serve-%d.log" % port), "w")
    return subprocess.Popen(["chroot", "--userspec=" + USER, ROOT, "sh", "-c", cmd],
                            stdout=log, stderr=log)


def status(port, path):
    try:
        return urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2).status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def wait_ready(port, proc):
    deadline = time.time() + 30
    while time.time() < deadline and proc.poll() is None:
        if status(port, "/readyz") == 200:
            return
        time.sleep(0.1)
    raise SystemExit("check-image: the server on %d never got ready" % port)


def push(port, path, secret, body, event="repo:push"):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=body, method="POST",
                                 headers={"X-Event-Key": event, "Content-Type": "application/json",
                                          "X-Hub-Signature": kw.sign(secret, body)})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def stop(proc):
    proc.terminate()
    if proc.wait(timeout=30) != 0:
        raise SystemExit("check-image: the server exited %d" % proc.returncode)


def embedded():
    port = free_port()
    base = "EXTERNAL_WEBHOOK_SERVER_BASE_URL=http://127.0.0.1:%d" % port
    out = subprocess.run(["chroot", "--userspec=" + USER, ROOT, "sh", "-c",
                          "%s /usr/local/bin/kargo-webhooks receivers --manifests /examples/manifests "
                          "-o json" % base], capture_output=True, check=True).stdout
    url = __import__("json").loads(out)[0]["url"]
    secret = subprocess.run(["sed", "-n", r's/^ *secret: *"\{0,1\}\([^"]*\)"\{0,1\} *$/\1/p',
                             os.path.join(ROOT, "examples/manifests/secret.yaml")],
                            capture_output=True, check=True).stdout.split(b"\n")[0]
    body = open(os.path.join(ROOT, "examples/push.json"), "rb").read()
    p = serve(port, "--manifests /examples/manifests --state embedded.db", base)
    try:
        wait_ready(port, p)
        st, answer = push(port, url[url.index("/", len("http://")):], secret, body)
        kw.eq((st, answer), (200, b'{"msg":"refreshed 1 warehouse(s)"}\n'), "embedded push")
    finally:
        stop(p)


def kubernetes():
    fk = S.FakeKube(os.path.join(ROOT, "tmp", "fk"))
    try:
        for o in S.objects():
            fk.put(o)
        ca = base64.b64encode(open(os.path.join(fk.dir, "ca.crt"), "rb").read()).decode()
        with open(os.path.join(ROOT, WORK.lstrip("/"), "kubeconfig"), "w") as f:
            f.write("apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                    "clusters:\n- name: fake\n  cluster:\n    server: https://127.0.0.1:%d\n"
                    "    certificate-authority-data: %s\n"
                    "users:\n- name: u\n  user:\n    token: %s\n"
                    "contexts:\n- name: fake\n  context: {cluster: fake, user: u}\n"
                    % (fk.port, ca, fk.token))
        port = free_port()
        p = serve(port, "--kubeconfig kubeconfig --state kube.db")
        try:
            wait_ready(port, p)
            st, answer = push(port, S.PATH, S.SECRET, S.cloud_push())
            kw.eq((st, answer), (200, b'{"msg":"refreshed 3 warehouse(s)"}\n'), "Kubernetes push")
            patched = sorted(c[4] for c in fk.calls() if c[0] == "patch")
            kw.eq(patched, ["wh-default", "wh-main", "wh-ssh"], "PATCHed Warehouses")
        finally:
            stop(p)
    finally:
        fk.close()


if __name__ == "__main__":
    embedded()
    kubernetes()
    print("check-image: the runtime stage's packages run the binary as %s: "
          "embedded and Kubernetes mode answer and refresh" % USER)
