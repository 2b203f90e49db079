"""The Kubernetes world against the fake API server (tests/kube/): the
receiver cases answered the same as in embedded mode, refreshes as merge
patches, and the faults of issue 7 (watch dropped, history compacted, API
server down and back, token rotated, PATCH 500/403/429, Secret rotated and
deleted, objects added and deleted while serving, a storm of pushes,
SIGTERM with patches in flight, readiness before sync). Every (verb,
resource) the program used is compared with deploy/rbac.yaml at the end.
"""
import base64
import json
import os
import re
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
import kw  # noqa: E402
from fakekube import FakeKube  # noqa: E402
from kw import eq, expect, jbody, receiver_path  # noqa: E402
import world  # noqa: E402
from world import CLUSTER_SECRET, SECRET, cloud_pr, cloud_push, server_pr, server_push  # noqa: E402

API = "kargo.akuity.io/v1alpha1"
SYSTEM_NS = "kargo-system-resources"
CALLS = set()  # (verb, resource) the program used, over the whole suite
GROUPED = True  # run.py: these tests run in order in one process (CALLS)


def secret(ns, name, value, previous=None):
    data = {"secret": base64.b64encode(value).decode()}
    if previous is not None:
        data["previous-secret"] = base64.b64encode(previous).decode()
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "type": "Opaque", "data": data}


def objects():
    """world.py's objects as the API server holds them."""
    objs = [
        {"apiVersion": API, "kind": "ProjectConfig",
         "metadata": {"name": "kargo-demo", "namespace": "kargo-demo"},
         "spec": {"webhookReceivers": [{"name": "bb", "bitbucket": {"secretRef": {"name": "bb-secret"}}}]}},
        secret("kargo-demo", "bb-secret", SECRET),
        {"apiVersion": API, "kind": "ClusterConfig", "metadata": {"name": "cluster"},
         "spec": {"webhookReceivers": [{"name": "cluster-bb",
                                        "bitbucket": {"secretRef": {"name": "cluster-secret"}}}]}},
        secret(SYSTEM_NS, "cluster-secret", CLUSTER_SECRET),
        {"apiVersion": API, "kind": "Promotion", "metadata": {"name": "promo-1", "namespace": "kargo-demo"},
         "spec": {"stage": "prod", "freight": "abc",
                  "steps": [{"uses": "git-open-pr", "as": "open"}, {"uses": "git-wait-for-pr", "as": "wait"}]},
         "status": {"phase": "Running", "currentStep": 1, "state": {
             "open": {"pr": {"url": "https://bitbucket.org/acme/app/pull-requests/7"}},
             "wait": {"pr": {"url": "https://bitbucket.org/acme/app/pull-requests/7"}}}}},
        {"apiVersion": API, "kind": "Promotion", "metadata": {"name": "promo-done", "namespace": "kargo-demo"},
         "spec": {"steps": [{"uses": "git-wait-for-pr", "as": "wait"}]},
         "status": {"phase": "Succeeded", "state": {
             "wait": {"pr": {"url": "https://bitbucket.org/acme/app/pull-requests/7"}}}}},
    ]
    objs += [world.wh_dict(n, ns, url, **git) for n, ns, url, git in world.WAREHOUSE_ARGS]
    return objs


PATH = receiver_path("kargo-demo", "bb", SECRET)
CLUSTER_PATH = receiver_path("", "cluster-bb", CLUSTER_SECRET)


def poll(call, done, seconds=20, what="condition"):
    deadline = time.time() + seconds * kw.SLOW
    last = None
    while time.time() < deadline:
        last = call()
        if done(last):
            return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s; last: %r" % (what, last))


class Kube:
    """A fake API server holding the world, and the program serving from it."""

    def __init__(self, tmp, objs=None, extra=(), env=None, wait=True, before=None):
        self.tmp = tmp
        self.fk = FakeKube(os.path.join(tmp, "fk"))
        if before:
            before(self.fk)
        for o in (objects() if objs is None else objs):
            self.fk.put(o)
        e = {"KUBECONFIG": ""}
        e.update(env or {})
        self.srv = kw.Server(os.path.join(tmp, "srv"), [],
                             extra=["--kubeconfig", self.fk.kubeconfig] + list(extra), env=e)
        if wait:
            self.wait_ready()

    def wait_ready(self):
        poll(lambda: self.srv.request("GET", "/readyz")[0], lambda s: s == 200,
             what="/readyz 200")

    def push(self, path=PATH, event="repo:push", body=None, secret_=SECRET, headers=None):
        return self.srv.push(path, event, cloud_push() if body is None else body, secret_,
                             headers=headers)

    def close(self, expect_code=0):
        try:
            if self.srv.proc.poll() is None or expect_code is not None:
                text = self.srv.stop(expect_code)
            else:
                text = self.srv.log()
        finally:
            for c in self.fk.calls():
                CALLS.add((c[0], c[2]))
            self.fk.close()
        return text


def kube_test(fn):
    def wrapper(tmp):
        os.makedirs(os.path.join(tmp, "srv"), exist_ok=True)
        k = Kube(tmp)
        try:
            fn(k)
        except BaseException:
            try:
                sys.stderr.write(k.srv.log()[-3000:])
            finally:
                k.close(expect_code=None)
            raise
        k.close()
    wrapper.__name__ = fn.__name__
    return wrapper


def same_answers_cases():
    """(label, path, event, body, secret) a receiver answers the same in both worlds."""
    return [
        ("ping", PATH, "diagnostics:ping", b"{}", SECRET),
        ("bad signature", PATH, "repo:push", cloud_push(), b"wrong"),
        ("missing signature", PATH, "repo:push", cloud_push(), None),
        ("unsupported event", PATH, "issue:created", b"{}", SECRET),
        ("invalid body", PATH, "repo:push", b"{not json", SECRET),
        ("cloud push main", PATH, "repo:push", cloud_push(), SECRET),
        ("cloud push tag", PATH, "repo:push", cloud_push(changes=(("tag", "v1.2.3"),)), SECRET),
        ("cloud push other", PATH, "repo:push",
         cloud_push(href="https://bitbucket.org/acme/other", full_name="acme/other"), SECRET),
        ("server refs_changed", PATH, "repo:refs_changed", server_push(), SECRET),
        ("cloud pr", PATH, "pullrequest:fulfilled", cloud_pr(), SECRET),
        ("server pr", PATH, "pr:merged", server_pr(), SECRET),
        ("cluster push", CLUSTER_PATH, "repo:push", cloud_push(), CLUSTER_SECRET),
        ("unknown path", "/bitbucket/" + "0" * 64, "repo:push", cloud_push(), SECRET),
    ]


def test_kube_same_answers_as_embedded(tmp):
    """Every receiver case answers the same status and body in both worlds."""
    emb_dir = os.path.join(tmp, "emb")
    os.makedirs(emb_dir)
    emb = kw.Server(emb_dir, [world.make_world(emb_dir)])
    k = Kube(os.path.join(tmp, "k") if os.makedirs(os.path.join(tmp, "k", "srv")) is None else tmp)
    try:
        for label, path, event, body, sec in same_answers_cases():
            a = emb.push(path, event, body, sec)
            b = k.srv.push(path, event, body, sec)
            eq((b[0], jbody(b[2])), (a[0], jbody(a[2])), label)
        st, _, _ = k.srv.request("GET", PATH)
        eq(st, 405, "GET on a receiver")
        patched = sorted((ns, n) for ns, n, _, _ in k.fk.patches())
        expect(("kargo-demo", "wh-main") in patched and ("kargo-demo", "promo-1") in patched,
               "patches: %r" % patched)
    finally:
        emb.stop()
        k.close()


@kube_test
def test_kube_refresh_is_a_merge_patch(k):
    st, _, data = k.push()
    eq(st, 200, "push")
    n = int(re.search(r"refreshed (\d+) warehouse", jbody(data)["msg"]).group(1))
    patches = k.fk.patches("Warehouse")
    eq(len(patches), n, "one PATCH per Warehouse")
    for ns, name, body, ctype in patches:
        eq(ctype.split(";")[0], "application/merge-patch+json", "content type")
        token = body["metadata"]["annotations"]["kargo.akuity.io/refresh"]
        expect(re.match(r"\d{4}-\d\d-\d\dT", token), "token %r" % token)
        got = k.fk.get("Warehouse", ns, name)["metadata"]["annotations"]
        eq(got["kargo.akuity.io/refresh"], token, "annotation on %s/%s" % (ns, name))
    p = kw.run_cli("deliveries", "--state", k.srv.state, "-o", "json")
    rows = json.loads(p.stdout)
    eq(rows[0]["status"], 200, "delivery journal")


def test_kube_readiness_before_sync(tmp):
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, wait=False,
             before=lambda fk: fk.fail_requests(500, verb="list", kind="Warehouse"))
    try:
        eq(k.srv.request("GET", "/healthz")[0], 200, "healthz at once")
        st, _, body = k.srv.request("GET", "/readyz")
        eq(st, 503, "readyz before sync")
        poll(lambda: k.srv.request("GET", "/readyz"),
             lambda r: r[0] == 503 and "warehouses" in jbody(r[2])["error"],
             what="readyz naming the cache not synced")
        st, h, _ = k.push()
        eq(st, 503, "push before sync")
        expect(int(h.get("retry-after", "0")) >= 1, "Retry-After")
        k.fk.clear_faults()
        k.wait_ready()
        eq(k.push()[0], 200, "push after sync")
    finally:
        k.close()


@kube_test
def test_kube_patch_failures(k):
    k.fk.fail_patches(500)
    st, h, data = k.push()
    eq(st, 503, "PATCH 500")
    expect(int(h.get("retry-after", "0")) >= 1, "Retry-After on 503")
    k.fk.clear_faults()
    k.fk.fail_patches(429, retry_after=1)
    eq(k.push()[0], 503, "PATCH 429")
    k.fk.clear_faults()
    k.fk.fail_patches(403, match="wh-main")
    st, _, data = k.push()
    eq(st, 500, "PATCH 403")
    expect(re.match(r"failed to refresh 1 of \d+ warehouses", jbody(data)["error"]),
           "answer %r" % data)
    k.fk.clear_faults()
    # A failed delivery is logged without waiting for the disk: poll.
    # (until it is written the list may be empty: the call must not fail then)
    poll(lambda: json.loads(kw.run_cli("deliveries", "--state", k.srv.state, "-o",
                                       "json").stdout)[:1],
         lambda r: r and r[0]["status"] == 500 and "wh-main" in r[0]["refreshed"]
         and "403" in r[0]["refreshed"],
         what="the delivery naming the refused object")
    expect("wh-main" in k.srv.log(), "log names the object")
    # Mixed (review-kube.md #10b): one refused, one transient -> 503 (a
    # transient failure is retried), counting the 2 that failed, not all.
    k.fk.fail_patches(403, match="wh-main")
    k.fk.fail_patches(500, match="wh-default")
    st, _, data = k.push()
    eq(st, 503, "one 403 and one 500")
    m = re.match(r"failed to refresh (\d+) of (\d+) warehouses", jbody(data)["error"])
    expect(m and int(m.group(1)) == 2 and int(m.group(2)) > 2, "answer %r" % data)
    k.fk.clear_faults()
    eq(k.push()[0], 200, "after the faults")


@kube_test
def test_kube_watch_dropped_and_compacted(k):
    k.fk.drop_watches()
    k.fk.put(world.wh_dict("wh-late", "kargo-demo", "https://bitbucket.org/acme/late", branch="main"))
    late = cloud_push(href="https://bitbucket.org/acme/late", full_name="acme/late")
    poll(lambda: jbody(k.push(body=late)[2]).get("msg"), lambda m: m == "refreshed 1 warehouse(s)",
         what="object added after a dropped watch")
    lists = sum(1 for c in k.fk.calls() if c[0] == "list" and c[2] == "warehouses")
    k.fk.compact()
    k.fk.put(world.wh_dict("wh-later", "kargo-demo", "https://bitbucket.org/acme/late", branch="main"))
    k.fk.drop_watches()
    poll(lambda: jbody(k.push(body=late)[2]).get("msg"), lambda m: m == "refreshed 2 warehouse(s)",
         what="object added across a compaction")
    k.fk.delete("Warehouse", "kargo-demo", "wh-late")
    poll(lambda: jbody(k.push(body=late)[2]).get("msg"), lambda m: m == "refreshed 1 warehouse(s)",
         what="object deleted while serving")
    expect(sum(1 for c in k.fk.calls() if c[0] == "list" and c[2] == "warehouses") >= lists,
           "lists counted")


@kube_test
def test_kube_api_down_and_back(k):
    k.fk.stop()
    st, _, _ = k.push()
    eq(st, 503, "push with the API server down")
    k.fk.put(world.wh_dict("wh-back", "kargo-demo", "https://bitbucket.org/acme/back", branch="main"))
    k.fk.start()
    back = cloud_push(href="https://bitbucket.org/acme/back", full_name="acme/back")
    poll(lambda: jbody(k.push(body=back)[2]).get("msg"), lambda m: m == "refreshed 1 warehouse(s)",
         seconds=60, what="object added while the API server was down")


@kube_test
def test_kube_token_rotated(k):
    k.fk.rotate_token()
    eq(k.push()[0], 200, "push after the token was rotated")
    k.fk.drop_watches()
    k.fk.put(world.wh_dict("wh-rot", "kargo-demo", "https://bitbucket.org/acme/rot", branch="main"))
    rot = cloud_push(href="https://bitbucket.org/acme/rot", full_name="acme/rot")
    poll(lambda: jbody(k.push(body=rot)[2]).get("msg"), lambda m: m == "refreshed 1 warehouse(s)",
         what="watch with the new token")


@kube_test
def test_kube_secret_rotated_and_deleted(k):
    k.fk.put(secret("kargo-demo", "bb-secret", b"new-secret", previous=SECRET))
    new_path = receiver_path("kargo-demo", "bb", b"new-secret")
    poll(lambda: k.push(path=new_path, secret_=b"new-secret")[0], lambda s: s == 200,
         what="rotated secret served")
    eq(k.push()[0], 200, "previous-secret keeps working")
    k.fk.delete("Secret", "kargo-demo", "bb-secret")
    poll(lambda: k.push(path=new_path, secret_=b"new-secret")[0], lambda s: s == 404,
         what="deleted secret revokes its URL")
    eq(k.push()[0], 404, "previous URL revoked too")


def test_kube_secrets_by_get_when_list_forbidden(tmp):
    """Without list/watch on Secrets the referenced ones are read by GET
    every few seconds: a rotation and a deletion still take effect."""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, before=lambda fk: (fk.forbid("list", "secrets", "kargo-demo"),
                                     fk.forbid("watch", "secrets", "kargo-demo")))
    try:
        eq(k.push()[0], 200, "served with a Secret read by GET")
        k.fk.put(secret("kargo-demo", "bb-secret", b"by-get"))
        new_path = receiver_path("kargo-demo", "bb", b"by-get")
        poll(lambda: k.push(path=new_path, secret_=b"by-get")[0], lambda s: s == 200,
             what="rotated secret read by GET")
        k.fk.delete("Secret", "kargo-demo", "bb-secret")
        poll(lambda: k.push(path=new_path, secret_=b"by-get")[0], lambda s: s == 404,
             what="deleted secret revoked")
        expect(any(c[0] == "get" and c[2] == "secrets" for c in k.fk.calls()), "GETs seen")
    finally:
        k.close()


@kube_test
def test_kube_push_storm_coalesced(k):
    three = [world.wh_dict("storm-%d" % i, "kargo-demo", "https://bitbucket.org/acme/storm",
                           branch="main") for i in range(3)]
    for o in three:
        k.fk.put(o)
    body = cloud_push(href="https://bitbucket.org/acme/storm", full_name="acme/storm")
    poll(lambda: jbody(k.push(body=body)[2]).get("msg"), lambda m: m == "refreshed 3 warehouse(s)",
         what="three storm warehouses")
    k.fk.clear_calls()
    k.fk.set_patch_delay(0.05)
    answers = []

    def one():
        answers.append(k.push(body=body)[0])

    threads = [threading.Thread(target=one) for _ in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(answers, [200] * 64, "every push answered 200")
    n = len(k.fk.patches("Warehouse"))
    print("kube: 64 concurrent pushes x 3 Warehouses -> %d PATCHes" % n, file=sys.stderr)
    expect(3 <= n <= 48, "PATCH count %d (192 without coalescing)" % n)


def test_kube_sigterm_with_patches_in_flight(tmp):
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp)
    try:
        k.fk.set_patch_delay(1.5)
        answers = []

        def one():
            answers.append(k.push()[0])

        threads = [threading.Thread(target=one) for _ in range(4)]
        for t in threads:
            t.start()
        poll(lambda: k.fk.open_patches() if hasattr(k.fk, "open_patches") else len(k.fk.calls()),
             lambda n: n > 0, what="patches in flight")
        time.sleep(0.2)  # let the PATCHes reach the fake
        k.srv.signal(signal.SIGTERM)
        for t in threads:
            t.join(60)
        eq(len(answers), 4, "every waiting request answered")
        expect(all(a in (200, 503) for a in answers), "answers %r" % answers)
        eq(k.srv.proc.wait(60), 0, "exit status")
    finally:
        k.close()


def test_kube_read_commands(tmp):
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, wait=False)
    try:
        d = world.make_world(tmp)
        a = kw.run_cli("receivers", "--manifests", d, "-o", "json")
        b = kw.run_cli("receivers", "--kubeconfig", k.fk.kubeconfig, "-o", "json")
        eq(b.returncode, a.returncode, "receivers exit " + b.stderr.decode())
        eq(json.loads(b.stdout), json.loads(a.stdout), "receivers")
        c = kw.run_cli("check", "--kubeconfig", k.fk.kubeconfig)
        eq(c.returncode, 0, "check: " + c.stderr.decode())
        g = kw.run_cli("get", "warehouses", "--kubeconfig", k.fk.kubeconfig, "-o", "json")
        eq(len(json.loads(g.stdout)["items"]), len(world.WAREHOUSE_ARGS), "get warehouses")
        x = kw.run_cli("receivers", "--kubeconfig", k.fk.kubeconfig_with(exec_plugin=True))
        eq(x.returncode, 1, "exec plugin is an error")
        expect("exec" in x.stderr.decode(), "names exec: %r" % x.stderr)
    finally:
        k.close(expect_code=None)


def rbac_rules(root):
    """(verb, resource) granted by the ClusterRole and Roles of deploy/*.yaml."""
    granted = set()
    for dirpath, _, files in os.walk(os.path.join(root, "deploy")):
        for f in files:
            if not f.endswith(".yaml"):
                continue
            with open(os.path.join(dirpath, f)) as fh:
                text = fh.read()
            for doc in text.split("\n---"):
                if not re.search(r"^kind: (ClusterRole|Role)\s*$", doc, re.M):
                    continue
                for rule in re.split(r"^- apiGroups:", doc, flags=re.M)[1:]:
                    res = re.search(r"resources:\n((?:\s+- .*\n)+)", rule + "\n")
                    verbs = re.search(r"verbs:\n((?:\s+- .*\n?)+)", rule + "\n")
                    if not res or not verbs:
                        continue
                    for r in re.findall(r"- (\S+)", res.group(1)):
                        for v in re.findall(r"- (\S+)", verbs.group(1)):
                            granted.add((v, r))
    return granted


def test_kube_rbac_matches_deploy(tmp):
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    if not os.path.isdir(os.path.join(root, "deploy")):
        raise kw.Skip("deploy/ is not here yet")
    granted = rbac_rules(root)
    used = set(CALLS)
    expect(used, "no calls recorded")
    eq(sorted(used - granted), [], "used but not granted")
    # Kargo's ClusterRole (kept as it is: the drop-in runs under Kargo's
    # names) also grants get on the Kargo kinds, which the caches never
    # need; anything else granted must be used.
    kargo_gets = {("get", r) for r in ("warehouses", "promotions", "projectconfigs",
                                       "clusterconfigs")}
    eq(sorted(granted - used - kargo_gets), [], "granted but never used")



BROKEN = {"apiVersion": API, "kind": "Warehouse",
          "metadata": {"name": "wh-bad", "namespace": "kargo-demo"},
          "spec": {"subscriptions": [{"git": {
              "repoURL": "https://bitbucket.org/acme/app",
              "commitSelectionStrategy": "NewestTag",
              "allowTagsRegexes": ["(unclosed"]}}]}}


def test_kube_broken_warehouse_does_not_freeze_revocation(tmp):
    """One Warehouse with a selection that cannot be built (anyone's, in any
    project) must not freeze the snapshot: a Secret deleted afterwards is
    revoked (404). (review-kube.md #2)"""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp)
    try:
        eq(k.push()[0], 200, "served")
        k.fk.put(BROKEN)
        k.fk.delete("Secret", "kargo-demo", "bb-secret")
        poll(lambda: k.push()[0], lambda s: s == 404, seconds=10,
             what="deleted secret revoked although wh-bad is broken")
    finally:
        k.close(expect_code=None)


def test_kube_broken_warehouse_at_start_still_ready(tmp):
    """A broken Warehouse present before the first sync must not keep the
    whole server unready (every project's receivers 503 forever); /readyz
    names it. (review-kube.md #2)"""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, objs=objects() + [BROKEN], wait=False)
    try:
        st, _, body = poll(lambda: k.srv.request("GET", "/readyz"), lambda r: r[0] == 200,
                           seconds=10, what="/readyz 200 with one broken Warehouse")
        expect("selection cannot be built" in body.decode(errors="replace"),
               "/readyz names the broken selection: %r" % body)
        eq(k.push()[0], 200, "the valid Warehouses are served")
    finally:
        k.close(expect_code=None)


def test_kube_broken_receiver_leaves_its_siblings(tmp):
    """A ProjectConfig with one receiver that cannot be decoded (here a
    whenExpression expr-lang's checker refuses) keeps its other receivers:
    the broken one is left out and named in the log, where before the
    whole ProjectConfig was ignored and every receiver of the project
    answered 404."""
    objs = objects()
    pc = next(o for o in objs if o["kind"] == "ProjectConfig")
    pc["spec"]["webhookReceivers"].append({"name": "bad", "generic": {
        "secretRef": {"name": "bb-secret"},
        "actions": [{"action": "Refresh", "whenExpression": "false && 1",
                     "targetSelectionCriteria": [{"kind": "Warehouse", "name": "wh-main"}]}]}})
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, objs=objs)
    try:
        eq(k.push(event="diagnostics:ping", body=b"{}")[:1], (200,), "the valid receiver serves")
        eq(k.push()[0], 200, "and refreshes")
        bad = receiver_path("kargo-demo", "bad", SECRET, kind="generic")
        eq(k.srv.request("POST", bad, b"{}")[0], 404, "the broken receiver is not served")
        log = k.srv.log()
        expect(re.search(r"configuration problem.*webhookReceivers\[1\].*this receiver is left "
                         r"out: .*mismatched types bool and int", log),
               "the log names the left-out receiver: %s" % log[-2000:])
        # The operator's check reads strictly: the broken receiver is an error.
        p = kw.run_cli("check", "--kubeconfig", k.fk.kubeconfig, env={"KUBECONFIG": ""})
        out = (p.stdout + p.stderr).decode(errors="replace")
        eq(p.returncode, 1, "check --kubeconfig: " + out[-1500:])
        expect("mismatched types bool and int" in out, "check names the problem: " + out[-1500:])
    finally:
        k.close()


def test_kube_sigterm_fails_pushes_behind_a_patch_in_flight(tmp):
    """A push that arrives while its Warehouses' PATCHes are in flight
    waits for the next PATCH; when the shutdown grace period ends first, it
    is answered 503 (the sender retries) and no new PATCH starts.
    (review-kube.md #8)"""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp, env={"GRACEFUL_SHUTDOWN_TIMEOUT": "1s"})  # ends before A's PATCH
    try:
        msg = jbody(k.push()[2]).get("msg", "")
        n = int(re.search(r"refreshed (\d+) warehouse", msg).group(1))
        k.fk.clear_calls()
        k.fk.set_patch_delay(3)
        answers = {}

        def one(tag):
            answers[tag] = k.push()[0]

        def patches():
            return len([c for c in k.fk.calls() if c[0] == "patch"])

        a = threading.Thread(target=one, args=("a",))
        a.start()
        poll(patches, lambda m: m == n, what="A's %d PATCHes in flight" % n)
        b = threading.Thread(target=one, args=("b",))
        b.start()
        time.sleep(0.3)  # B reaches the server and waits behind A's PATCHes
        k.srv.signal(signal.SIGTERM)
        a.join(60)
        b.join(60)
        eq(answers.get("b"), 503, "B, waiting behind a patch in flight, answered 503")
        eq(k.srv.proc.wait(60), 0, "exit status")
        eq(answers.get("a"), 200, "A, in flight at SIGTERM, finished")
        eq(patches(), n, "no PATCH started after SIGTERM")
    finally:
        k.close(expect_code=None)


def changed_lines(text, obj):
    """Log lines of watch events that changed the cache, naming obj."""
    return [l for l in text.splitlines()
            if "watch event changes the cache" in l and obj in l]


def test_kube_unreferenced_secrets_not_kept(tmp):
    """Only Secrets a receiver names are decoded: another Secret's change
    costs no rebuild (review-kube.md #3), and a receiver added later that
    names a Secret that already exists (kept as a stub) is served."""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp)
    try:
        eq(k.push()[0], 200, "served")
        other = secret("kargo-demo", "tls-other", b"not ours")
        other["data"]["tls.key"] = base64.b64encode(b"x" * 4096).decode()
        k.fk.put(other)
        other["data"]["tls.key"] = base64.b64encode(b"y" * 4096).decode()
        k.fk.put(other)
        # a marker on the same watch: once its event is seen, the others were
        k.fk.put(secret("kargo-demo", "bb-secret", SECRET, previous=b"marker"))
        poll(lambda: changed_lines(k.srv.log(), "kargo-demo/bb-secret"), lambda v: v,
             what="the referenced Secret's change seen")
        eq(changed_lines(k.srv.log(), "kargo-demo/tls-other"), [],
           "an unreferenced Secret's changes rebuild nothing")
        cfg = objects()[0]
        cfg["spec"]["webhookReceivers"].append(
            {"name": "bb2", "bitbucket": {"secretRef": {"name": "tls-other"}}})
        k.fk.put(cfg)
        path2 = receiver_path("kargo-demo", "bb2", b"not ours")
        poll(lambda: k.push(path=path2, secret_=b"not ours")[0], lambda s: s == 200,
             what="a Secret referenced later is fetched")
    finally:
        k.close(expect_code=None)


def test_kube_own_patch_echo_no_rebuild(tmp):
    """The MODIFIED event of our own refresh PATCH (an annotation changed)
    and a status written by Kargo's controller decode to the Warehouse
    already cached: no rebuild (review-kube.md #7)."""
    os.makedirs(os.path.join(tmp, "srv"))
    k = Kube(tmp)
    try:
        eq(k.push()[0], 200, "refreshed")
        patched = k.fk.patches("Warehouse")
        expect(patched, "some Warehouse patched")
        wh = json.loads(json.dumps(k.fk.get("Warehouse", patched[0][0], patched[0][1])))
        wh["status"] = {"discoveredArtifacts": {"discoveredAt": "2026-01-01T00:00:00Z"}}
        k.fk.put(wh)
        k.fk.put(world.wh_dict("wh-marker", "kargo-demo", "https://bitbucket.org/acme/marker"))
        poll(lambda: changed_lines(k.srv.log(), "kargo-demo/wh-marker"), lambda v: v,
             what="the marker Warehouse seen")
        lines = [l for l in k.srv.log().splitlines()
                 if "watch event changes the cache" in l and "MODIFIED" in l]
        eq(lines, [], "no MODIFIED event changed the cache")
    finally:
        k.close(expect_code=None)


TESTS = [
    test_kube_same_answers_as_embedded,
    test_kube_broken_warehouse_does_not_freeze_revocation,
    test_kube_broken_warehouse_at_start_still_ready,
    test_kube_broken_receiver_leaves_its_siblings,
    test_kube_refresh_is_a_merge_patch,
    test_kube_readiness_before_sync,
    test_kube_patch_failures,
    test_kube_watch_dropped_and_compacted,
    test_kube_api_down_and_back,
    test_kube_token_rotated,
    test_kube_secret_rotated_and_deleted,
    test_kube_secrets_by_get_when_list_forbidden,
    test_kube_unreferenced_secrets_not_kept,
    test_kube_own_patch_echo_no_rebuild,
    test_kube_push_storm_coalesced,
    test_kube_sigterm_with_patches_in_flight,
    test_kube_sigterm_fails_pushes_behind_a_patch_in_flight,
    test_kube_read_commands,
    test_kube_rbac_matches_deploy,  # last: it reads the calls of the others
]

