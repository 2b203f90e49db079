"""Receiver kinds other than Bitbucket in Kubernetes mode: a github, a
gitlab and a dockerhub receiver served from the fake API server answer
every case (bad signature or token, unsupported event, bad body, ping, no
match, push, PR closed, image push) with the same status and body as in
embedded mode, and refresh the same objects: after each request, the
objects PATCHed through the fake are those whose annotation embedded mode
changed, and every PATCH is Kargo's merge patch of the refresh annotation
alone. The objects are written once, as JSON, and read by both worlds (a
manifest folder reads .json like kubectl apply -f).
"""
import base64
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
import kw  # noqa: E402
from fakekube import FakeKube  # noqa: E402
from kw import eq, expect, run_cli  # noqa: E402
import suite_kube as K  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
API = "kargo.akuity.io/v1alpha1"
NS = "kinds"
ANNOTATION = "kargo.akuity.io/refresh"
RECEIVERS = {  # name: (kind, secret key, secret)
    "gh": ("github", "secret", b"gh-secret"),
    "gl": ("gitlab", "secret-token", b"gl-token"),
    "dh": ("dockerhub", "secret", b"dh-secret"),
}


def wh(name, sub):
    return {"apiVersion": API, "kind": "Warehouse", "metadata": {"name": name, "namespace": NS},
            "spec": {"subscriptions": [sub]}}


# Warehouses with path filters (includePaths/excludePaths) and an image
# constraint: these fields were once not packed by objects_pack.c (the
# server crashed on the first includePaths), so they are in this world.
EXTRA = [
    ("sample-app-docs", {"git": {"repoURL": "git@github.com:binkkatal/sample_app.git",
                                 "branch": "master", "includePaths": ["glob:docs/**"]}}),
    ("sample-app-controllers", {"git": {
        "repoURL": "https://github.com/binkkatal/sample_app.git", "branch": "master",
        "includePaths": ["app/controllers"], "excludePaths": ["regex:\\.md$"]}}),
    ("dh-constrained", {"image": {"repoURL": "docker.io/example/repo", "constraint": "^2.0.0"}}),
]


def objects(extra=True):
    objs = [{"apiVersion": API, "kind": "ProjectConfig", "metadata": {"name": NS, "namespace": NS},
             "spec": {"webhookReceivers": [{"name": r, kind: {"secretRef": {"name": "s-" + r}}}
                                           for r, (kind, _, _) in sorted(RECEIVERS.items())]}}]
    for r, (_, key, value) in sorted(RECEIVERS.items()):
        objs.append({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                     "metadata": {"name": "s-" + r, "namespace": NS},
                     "data": {key: base64.b64encode(value).decode()}})
    objs += [
        wh("sample-app", {"git": {"repoURL": "https://github.com/binkkatal/sample_app",
                                  "branch": "master"}}),
        wh("diaspora", {"git": {"repoURL": "git@example.com:mike/diaspora.git",
                                "branch": "master"}}),
        wh("example-tags", {"git": {"repoURL": "http://example.com/jsmith/example",
                                    "commitSelectionStrategy": "SemVer"}}),
        wh("dh-image", {"image": {"repoURL": "docker.io/example/repo"}}),
        wh("dh-busybox", {"image": {"repoURL": "docker.io/library/busybox"}}),
        wh("dh-other", {"image": {"repoURL": "ghcr.io/example/repo"}}),
    ] + [wh(n, sub) for n, sub in (EXTRA if extra else [])] + [
        {"apiVersion": API, "kind": "Promotion", "metadata": {"name": "waiting", "namespace": NS},
         "spec": {"steps": [{"uses": "git-wait-for-pr", "as": "gh"},
                            {"uses": "git-wait-for-pr", "as": "gl"}]},
         "status": {"phase": "Running", "currentStep": 1, "state": {
             "gh": {"pr": {"url": "https://github.com/baxterthehacker/public-repo/pull/1"}},
             "gl": {"pr": {"url": "http://example.com/diaspora/merge_requests/1"}}}}},
    ]
    return objs


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def path(r):
    kind, _, secret = RECEIVERS[r]
    return kw.receiver_path(NS, r, secret, kind=kind)


def github(event, body, secret=b"gh-secret", signed=True):
    h = {"X-GitHub-Event": event}
    if signed:
        h["X-Hub-Signature-256"] = kw.sign(secret, body)
    return ("gh", body, h)


def gitlab(event, body, token=b"gl-token"):
    h = {"X-Gitlab-Event": event}
    if token is not None:
        h["X-Gitlab-Token"] = token.decode()
    return ("gl", body, h)


def cases():
    """(label, (receiver, body, headers)): Kargo's checks and refreshes."""
    push = fixture("github/push-go-playground.json")
    pr = fixture("github/pull-request-go-playground.json")
    gl_push = fixture("gitlab/push-hook-go-playground.json")
    mr = fixture("gitlab/merge-request-hook-go-playground.json")
    return [
        ("github missing signature", github("push", push, signed=False)),
        ("github wrong secret", github("push", push, secret=b"wrong")),
        ("github unsupported event", github("issues", b"{}")),
        ("github bad body", github("push", b"invalid json")),
        ("github ping", github("ping", fixture("github/ping-go-playground.json"))),
        ("github push (URL, ref and path filters)", github("push", push)),
        ("github push, no match", github("push", push.replace(b"refs/heads/master",
                                                              b"refs/heads/dev"))),
        ("github PR opened", github("pull_request", pr)),
        ("github PR closed", github("pull_request", pr.replace(b'"action": "opened"',
                                                               b'"action": "closed"', 1))),
        ("gitlab missing token", gitlab("Push Hook", gl_push, token=None)),
        ("gitlab wrong token", gitlab("Push Hook", gl_push, token=b"wrong")),
        ("gitlab unsupported event", gitlab("Issue Hook", b"{}")),
        ("gitlab bad body", gitlab("Push Hook", b"[]")),
        ("gitlab push by SSH URL", gitlab("Push Hook", gl_push)),
        ("gitlab tag push (SemVer)", gitlab("Tag Push Hook",
                                            fixture("gitlab/tag-push-hook-go-playground.json"))),
        ("gitlab MR merged", gitlab("Merge Request Hook",
                                    mr.replace(b'"action": "open"', b'"action": "merge"'))),
        ("dockerhub bad body", ("dh", b"invalid json", {})),
        ("dockerhub no subscriber",
         ("dh", fixture("dockerhub/docs-example-latest-go-playground.json"), {})),
        ("dockerhub v1.0.0", ("dh", fixture("dockerhub/kargo-image-v1.0.0.json"), {})),
        ("dockerhub no tag", ("dh", fixture(
            "dockerhub/no-tag-public-repository-jenkins-dockerhub.json"), {})),
    ]


def send(srv, req):
    r, body, headers = req
    h = {"Content-Type": "application/json"}
    h.update(headers)
    st, _, data = srv.request("POST", path(r), body, h)
    return st, json.loads(data) if data.strip() else None


def annotations(manifests, state):
    """{(kind, name): refresh annotation} of the embedded world's objects."""
    out = {}
    for kind, what in (("Warehouse", "warehouses"), ("Promotion", "promotions")):
        p = run_cli("get", what, "--manifests", manifests, "--state", state, "-o", "json")
        eq(p.returncode, 0, "get %s: %s" % (what, p.stderr.decode()))
        for item in json.loads(p.stdout)["items"]:
            a = item["metadata"].get("annotations", {}).get(ANNOTATION)
            if a is not None:
                out[(kind, item["metadata"]["name"])] = a
    return out


def check_patch(label, ns, name, body, ctype):
    eq(ctype.split(";")[0].strip(), "application/merge-patch+json",
       "%s: content type of the PATCH of %s" % (label, name))
    eq(ns, NS, "%s: namespace" % label)
    token = body["metadata"]["annotations"][ANNOTATION]
    eq(body, {"metadata": {"annotations": {ANNOTATION: token}}},
       "%s: the PATCH of %s sets the annotation alone" % (label, name))
    expect(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$", token),
           "%s: RFC 3339 token %r" % (label, token))


def test_kube_kinds_same_as_embedded(tmp, extra=True):
    objs = objects(extra)
    man = os.path.join(tmp, "manifests")
    os.makedirs(man)
    for i, o in enumerate(objs):
        with open(os.path.join(man, "%02d-%s.json" % (i, o["kind"].lower())), "w") as f:
            json.dump(o, f)
    os.makedirs(os.path.join(tmp, "emb"))
    os.makedirs(os.path.join(tmp, "srv"))
    emb = kw.Server(os.path.join(tmp, "emb"), [man])
    k = None
    try:
        k = K.Kube(tmp, objs=objs)
        before = annotations(man, emb.state)
        seen = {"Warehouse": 0, "Promotion": 0}
        for label, req in cases():
            a = send(emb, req)
            b = send(k.srv, req)
            eq(b, a, label + " (Kubernetes mode, embedded mode)")
            after = annotations(man, emb.state)
            want = sorted(key for key, v in after.items() if before.get(key) != v)
            before = after
            got = []
            for kind in seen:
                log = k.fk.patches(kind)
                for ns, name, body, ctype in log[seen[kind]:]:
                    check_patch(label, ns, name, body, ctype)
                    got.append((kind, name))
                seen[kind] = len(log)
            eq(sorted(got), want, label + ": objects PATCHed (Kubernetes) vs refreshed (embedded)")
        n_patches = sum(seen.values())
        expect(n_patches > 0, "some PATCHes were checked")
    finally:
        emb.stop()
        if k is not None:
            k.close()


TESTS = [test_kube_kinds_same_as_embedded]

