"""The fake Kubernetes API server (tests/kube/) held to the real protocol:
real kubectl drives it (get -o json, patch --type merge, get -w, errors it
prints from Status bodies, a stale replace), and direct HTTPS calls check
what kubectl does not reach (paging and expired continue tokens, watch
bookmarks, timeoutSeconds, 410 in both forms, chunk splits, token
rotation, faults, a restart on the same port). If the fake drifts from
kube-apiserver, these fail before the program's Kubernetes tests can lie.
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
from fakekube import FakeKube  # noqa: E402
from kw import eq, expect  # noqa: E402

GROUP = "/apis/kargo.akuity.io/v1alpha1"


def warehouse(ns, name, **spec):
    return {"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "Warehouse",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def kubectl(fk, *args, kubeconfig=None, timeout=60):
    if shutil.which("kubectl") is None:
        raise AssertionError("kubectl not found: run make deps (Debian kubernetes-client)")
    return subprocess.run(["kubectl", "--kubeconfig", kubeconfig or fk.kubeconfig,
                           "--request-timeout=20s"] + list(args),
                          capture_output=True, timeout=timeout)


class Api:
    """Direct HTTPS calls with the fake's CA and token."""

    def __init__(self, fk, token=None):
        self.fk = fk
        self.token = token
        self.ctx = ssl.create_default_context(cafile=os.path.join(fk.dir, "ca.crt"))

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.fk.port, context=self.ctx,
                                           timeout=timeout)

    def call(self, method, path, body=None, ctype="application/json", token=None):
        c = self.conn()
        try:
            h = {"Authorization": "Bearer " + (token or self.token or self.fk.token)}
            if body is not None:
                h["Content-Type"] = ctype
                body = json.dumps(body).encode()
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), json.loads(data)
        finally:
            c.close()

    def watch(self, path, timeout=10):
        """Opens a watch; returns (status, response, connection)."""
        c = self.conn(timeout)
        c.request("GET", path, headers={"Authorization": "Bearer " + self.fk.token})
        return c.getresponse(), c


def events(resp, n):
    out = []
    while len(out) < n:
        line = resp.readline()
        if not line:
            break
        out.append(json.loads(line))
    return out


def test_kube_fake_kubectl_get_json(tmp):
    fk = FakeKube(tmp)
    try:
        for ns, name in (("p1", "a"), ("p1", "b"), ("p2", "c")):
            fk.put(warehouse(ns, name))
        fk.put({"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "ClusterConfig",
                "metadata": {"name": "cluster"}, "spec": {}})
        p = kubectl(fk, "get", "warehouses", "-A", "-o", "json")
        eq(p.returncode, 0, "kubectl get: " + p.stderr.decode())
        got = json.loads(p.stdout)
        eq([(i["metadata"]["namespace"], i["metadata"]["name"]) for i in got["items"]],
           [("p1", "a"), ("p1", "b"), ("p2", "c")], "items")
        eq(got["items"][0]["kind"], "Warehouse", "kind")
        p = kubectl(fk, "get", "clusterconfig", "cluster", "-o", "json")
        eq((p.returncode, json.loads(p.stdout or b"{}").get("metadata", {}).get("name")),
           (0, "cluster"), "cluster-scoped get: " + p.stderr.decode())
        expect(("list", "kargo.akuity.io", "warehouses", "", "") in fk.calls(), "list recorded")
    finally:
        fk.close()


def test_kube_fake_kubectl_patch_merge(tmp):
    fk = FakeKube(tmp)
    try:
        fk.put(warehouse("p1", "w"))
        before = fk.get("Warehouse", "p1", "w")["metadata"]["resourceVersion"]
        patch = '{"metadata":{"annotations":{"kargo.akuity.io/refresh":"2026-01-01T00:00:00Z"}}}'
        p = kubectl(fk, "patch", "warehouse", "w", "-n", "p1", "--type", "merge", "-p", patch)
        eq(p.returncode, 0, "kubectl patch: " + p.stderr.decode())
        expect(b"patched" in p.stdout, "kubectl says patched: %r" % p.stdout)
        w = fk.get("Warehouse", "p1", "w")
        eq(w["metadata"]["annotations"], {"kargo.akuity.io/refresh": "2026-01-01T00:00:00Z"},
           "annotation stored")
        expect(int(w["metadata"]["resourceVersion"]) > int(before), "RV bumped")
        eq(fk.patches("Warehouse")[-1][3], "application/merge-patch+json", "content type")
        expect(("patch", "kargo.akuity.io", "warehouses", "p1", "w") in fk.calls(), "recorded")
        # null deletes a key (RFC 7386)
        p = kubectl(fk, "patch", "warehouse", "w", "-n", "p1", "--type", "merge", "-p",
                    '{"metadata":{"annotations":{"kargo.akuity.io/refresh":null}}}')
        eq(p.returncode, 0, "null patch")
        eq(fk.get("Warehouse", "p1", "w")["metadata"].get("annotations"), {}, "key deleted")
        # strategic merge patch on a custom resource: 415, as kubectl shows it
        p = kubectl(fk, "patch", "warehouse", "w", "-n", "p1", "--type", "strategic", "-p", patch)
        expect(p.returncode != 0 and b"is not supported by kargo.akuity.io/v1alpha1" in p.stderr
               and b"accepted media types include" in p.stderr,
               "strategic patch refused with 415: %r" % p.stderr)
        p = kubectl(fk, "patch", "warehouse", "nope", "-n", "p1", "--type", "merge", "-p", patch)
        expect(b'(NotFound): warehouses.kargo.akuity.io "nope" not found' in p.stderr,
               "not found Status: %r" % p.stderr)
        p = kubectl(fk, "get", "warehouse", "nope", "-n", "p9")
        expect(b'(NotFound): namespaces "p9" not found' in p.stderr,
               "not found Status: %r" % p.stderr)
    finally:
        fk.close()


def test_kube_fake_kubectl_watch(tmp):
    fk = FakeKube(tmp)
    try:
        fk.put(warehouse("p1", "first"))
        p = subprocess.Popen(["kubectl", "--kubeconfig", fk.kubeconfig, "get", "warehouses",
                              "-n", "p1", "-w", "--no-headers"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = p.stdout.readline()
            expect(line.startswith(b"first "), "listed first: %r" % line)
            deadline = time.time() + 20
            while fk.open_watches() == 0 and time.time() < deadline:
                time.sleep(0.05)
            eq(fk.open_watches(), 1, "kubectl watches")
            fk.put(warehouse("p1", "second"))
            line = p.stdout.readline()
            expect(line.startswith(b"second "), "watched second: %r" % line)
        finally:
            p.kill()
            p.wait()
        expect(any(c[0] == "watch" and c[2] == "warehouses" for c in fk.calls()), "watch call")
    finally:
        fk.close()


def test_kube_fake_kubectl_auth_and_replace(tmp):
    fk = FakeKube(tmp)
    try:
        fk.put(warehouse("p1", "w"))
        for opts in ({"client_cert": True}, {"cert_data": True, "ca_data": True},
                     {"token": True, "insecure": True}):
            p = kubectl(fk, "get", "warehouse", "w", "-n", "p1", "-o", "name",
                        kubeconfig=fk.kubeconfig_with(**opts))
            eq((p.returncode, p.stdout), (0, b"warehouse.kargo.akuity.io/w\n"),
               "%s: %s" % (opts, p.stderr.decode()[-300:]))
        p = kubectl(fk, "get", "warehouses", "-n", "p1",
                    kubeconfig=fk.kubeconfig_with(token="wrong"))
        expect(p.returncode != 0 and b"Unauthorized" in p.stderr, "401: %r" % p.stderr)
        stale = fk.get("Warehouse", "p1", "w")
        fk.put(warehouse("p1", "w", interval="5m"))
        path = os.path.join(tmp, "stale.json")
        with open(path, "w") as f:
            json.dump(stale, f)
        # --validate=false: the fake serves no OpenAPI documents (404, as allowed)
        p = kubectl(fk, "replace", "--validate=false", "-f", path)
        expect(p.returncode != 0 and b"(Conflict)" in p.stderr, "409: %r" % p.stderr)
    finally:
        fk.close()


def test_kube_fake_paging_and_expired_continue(tmp):
    fk = FakeKube(tmp)
    api = Api(fk)
    try:
        for i in range(5):
            fk.put(warehouse("p1", "w%d" % i))
        st, _, page1 = api.call("GET", GROUP + "/warehouses?limit=2")
        eq((st, len(page1["items"])), (200, 2), "first page")
        rv = page1["metadata"]["resourceVersion"]
        fk.put(warehouse("p1", "w9"))  # after the list's RV: not in its pages
        fk.delete("Warehouse", "p1", "w3")
        names = [i["metadata"]["name"] for i in page1["items"]]
        tok = page1["metadata"]["continue"]
        while tok:
            st, _, page = api.call("GET", GROUP + "/warehouses?limit=2&continue=" + tok)
            eq((st, page["metadata"]["resourceVersion"]), (200, rv), "same RV on every page")
            names += [i["metadata"]["name"] for i in page["items"]]
            tok = page["metadata"].get("continue")
        eq(names, ["w0", "w1", "w2", "w3", "w4"], "a consistent snapshot")
        fk.compact()
        st, _, s = api.call("GET", GROUP + "/warehouses?limit=2&continue=" +
                            page1["metadata"]["continue"])
        eq((st, s["kind"], s["reason"], s["code"]), (410, "Status", "Expired", 410),
           "expired continue")
    finally:
        fk.close()


def test_kube_fake_watch_protocol(tmp):
    fk = FakeKube(tmp)
    api = Api(fk)
    try:
        fk.put(warehouse("p1", "a"))
        rv = fk.resource_version()
        fk.set_watch_split(7)
        fk.set_bookmark_interval(0.2)
        r, c = api.watch(GROUP + "/namespaces/p1/warehouses?watch=true&allowWatchBookmarks=true"
                         "&timeoutSeconds=2&resourceVersion=%d" % rv)
        eq((r.status, r.getheader("Transfer-Encoding")), (200, "chunked"), "chunked stream")
        fk.put(warehouse("p1", "b"))
        fk.put(warehouse("p2", "other"))
        fk.delete("Warehouse", "p1", "a")
        got = events(r, 3)
        eq([(e["type"], e["object"]["metadata"]["name"]) for e in got[:2]],
           [("ADDED", "b"), ("DELETED", "a")], "events of p1 only, in order")
        eq((got[2]["type"], list(got[2]["object"]["metadata"])), ("BOOKMARK", ["resourceVersion"]),
           "bookmark with only the RV")
        t0 = time.time()
        while r.readline():
            pass
        expect(time.time() - t0 < 5, "stream ended after timeoutSeconds")
        c.close()
        fk.compact(as_event=True)
        r, c = api.watch(GROUP + "/warehouses?watch=1&resourceVersion=%d" % rv)
        e = events(r, 1)
        eq((r.status, e[0]["type"], e[0]["object"]["code"], e[0]["object"]["reason"]),
           (200, "ERROR", 410, "Expired"), "410 as an ERROR event")
        c.close()
        fk.compact(as_event=False)
        r, c = api.watch(GROUP + "/warehouses?watch=1&resourceVersion=%d" % rv)
        eq((r.status, json.loads(r.read())["reason"]), (410, "Expired"), "410 as HTTP status")
        c.close()
        r, c = api.watch(GROUP + "/warehouses?watch=1")
        eq(events(r, 2)[0]["type"], "ADDED", "no RV: the current state as ADDED events")
        fk.drop_watches()
        while r.readline():
            pass
        c.close()
    finally:
        fk.close()


def test_kube_fake_faults_and_restart(tmp):
    fk = FakeKube(tmp)
    api = Api(fk)
    try:
        fk.put(warehouse("p1", "w"))
        old = fk.token
        new = fk.rotate_token()
        st, _, s = api.call("GET", GROUP + "/namespaces/p1/warehouses/w", token=old)
        eq((st, s["reason"]), (401, "Unauthorized"), "old token refused")
        with open(os.path.join(tmp, "token")) as f:
            eq(f.read().strip(), new, "token file rewritten")
        fk.fail_patches(429, count=1, retry_after=3)
        merge = "application/merge-patch+json"
        st, h, s = api.call("PATCH", GROUP + "/namespaces/p1/warehouses/w", {}, merge)
        eq((st, h.get("retry-after"), s["details"]["retryAfterSeconds"]), (429, "3", 3), "429")
        st, _, _ = api.call("PATCH", GROUP + "/namespaces/p1/warehouses/w", {}, merge)
        eq(st, 200, "count=1 fault used up")
        fk.forbid("get", "secrets", "p1")
        st, _, s = api.call("GET", "/api/v1/namespaces/p1/secrets/x")
        eq((st, s["reason"], s["details"]), (403, "Forbidden", {"name": "x", "kind": "secrets"}),
           "403 in the core group has no details.group")
        st, _, s = api.call("PUT", GROUP + "/namespaces/p1/warehouses/w",
                            warehouse("p1", "w"))
        eq((st, s["reason"]), (422, "Invalid"), "update without RV")
        port = fk.port
        fk.stop()
        try:
            api.call("GET", GROUP + "/warehouses")
            raise AssertionError("answered while stopped")
        except OSError:
            pass
        fk.start()
        eq(fk.port, port, "same port")
        st, _, _ = api.call("GET", GROUP + "/warehouses")
        eq(st, 200, "answers after start")
    finally:
        fk.close()


def test_kube_fake_program_mode(tmp):
    d = os.path.join(tmp, "srv")
    os.makedirs(d)
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube")
    p = subprocess.Popen([sys.executable, os.path.join(here, "fake_apiserver.py"), "--dir", d],
                         stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 30
        while not os.path.exists(os.path.join(d, "port")) and time.time() < deadline:
            time.sleep(0.05)
        c = http.client.HTTPConnection("127.0.0.1", int(open(os.path.join(d, "control-port"))
                                                        .read()), timeout=10)
        c.request("POST", "/", json.dumps({"call": "put", "args": [warehouse("p1", "w")]}))
        eq(c.getresponse().status, 200, "control put")
        p2 = subprocess.run(["kubectl", "--kubeconfig", os.path.join(d, "kubeconfig"), "get",
                             "warehouses", "-n", "p1", "-o", "name"], capture_output=True,
                            timeout=60)
        eq(p2.stdout, b"warehouse.kargo.akuity.io/w\n", "kubectl against program mode: " +
           p2.stderr.decode()[-300:])
    finally:
        p.terminate()
        eq(p.wait(timeout=30), 0, "exits on SIGTERM")
        p.stderr.close()


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]

