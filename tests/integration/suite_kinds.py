"""The git receiver kinds (github, gitlab, gitea, azure) against the real
binary: each kind's URL, Kargo's status and body for every check (wrong
secret, missing header, unsupported event, bad body, no match, refreshed
N, ping), the real payloads of tests/fixtures/<kind>/ (PROVENANCE.md),
golden signatures, path filters, each kind's delivery id, the kind label
in /metrics, and `receivers` and `check` for every kind."""
import json
import os

import kw
from kw import Server, eq, expect, run_cli, write

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
GITEA_SECRET = b"IsWishesWereHorsesWedAllBeEatingSteak!"
SECRETS = {"gh": b"gh-secret", "gl": b"gl-token", "ge": GITEA_SECRET, "az": b"az-secret"}
KINDS = {"gh": "github", "gl": "gitlab", "ge": "gitea", "az": "azure"}
KEYS = {"gh": "secret", "gl": "secret-token", "ge": "secret", "az": "secret"}
PING = {"msg": "ping event received, webhook is configured correctly"}


def path(r):
    return kw.receiver_path("kinds", r, SECRETS[r], kind=KINDS[r])


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


MANIFESTS = """apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: kinds, namespace: kinds}
spec:
  webhookReceivers:
%(receivers)s
%(secrets)s
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: sample-app, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'https://github.com/binkkatal/sample_app', branch: master}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: sample-app-docs, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'git@github.com:binkkatal/sample_app.git', branch: master,
            includePaths: ['glob:docs/**']}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: sample-app-controllers, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'https://github.com/binkkatal/sample_app.git', branch: master,
            includePaths: [app/controllers], excludePaths: ['regex:\\\\.md$']}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: diaspora, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'git@example.com:mike/diaspora.git', branch: master,
            includePaths: [nowhere]}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: example-tags, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'http://example.com/jsmith/example', commitSelectionStrategy: SemVer}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: gitea-example, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'http://localhost:3000/example/example', branch: master}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: gitea-example-ssh, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'git@localhost:example/example.git', branch: master}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: fabrikam, namespace: kinds}
spec:
  subscriptions:
    - git: {repoURL: 'https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/Fabrikam-Fiber-Git', branch: main}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Promotion
metadata: {name: waiting, namespace: kinds}
spec: {steps: [{uses: git-wait-for-pr, as: gh}, {uses: git-wait-for-pr, as: gl},
               {uses: git-wait-for-pr, as: ge}]}
status:
  phase: Running
  currentStep: 2
  state:
    gh: {pr: {url: 'https://github.com/baxterthehacker/public-repo/pull/1'}}
    gl: {pr: {url: 'http://example.com/diaspora/merge_requests/1'}}
    ge: {pr: {url: 'http://localhost:3000/example/example/pulls/2'}}
"""


def make(tmp):
    receivers, secrets = [], []
    for r, kind in KINDS.items():
        receivers.append("    - {name: %s, %s: {secretRef: {name: s-%s}}}" % (r, kind, r))
        secrets.append("---\napiVersion: v1\nkind: Secret\nmetadata: {name: s-%s, namespace: kinds}\n"
                       "stringData: {%s: %s}" % (r, KEYS[r], json.dumps(SECRETS[r].decode())))
    m = os.path.join(tmp, "m")
    write(os.path.join(m, "all.yaml"), MANIFESTS % {"receivers": "\n".join(receivers),
                                                     "secrets": "\n".join(secrets)})
    return m


def post(s, r, body, headers):
    st, _, data = s.request("POST", path(r), body, headers)
    return st, json.loads(data) if data.strip() else None


def gh(s, event, body, secret=SECRETS["gh"], extra=None):
    h = {"X-GitHub-Event": event, "X-Hub-Signature-256": kw.sign(secret, body)}
    h.update(extra or {})
    return post(s, "gh", body, h)


def gl(s, event, body, token=SECRETS["gl"], extra=None):
    h = {"X-Gitlab-Event": event, "X-Gitlab-Token": token.decode()}
    h.update(extra or {})
    return post(s, "gl", body, h)


def ge(s, event, body, secret=GITEA_SECRET):
    return post(s, "ge", body, {"X-Gitea-Event": event,
                                "X-Hub-Signature-256": kw.sign(secret, body)})


def az(s, body, agent="VSServices/16.255.35115.1"):
    return post(s, "az", body, {"User-Agent": agent})


def refreshed(n, noun="warehouse"):
    return {"msg": "refreshed %d %s(s)" % (n, noun)}


def test_kinds_github(tmp):
    s = Server(tmp, [make(tmp)])
    try:
        push = fixture("github/push-go-playground.json")
        eq(post(s, "gh", push, {"X-GitHub-Event": "push"}),
           (401, {"error": "missing signature"}), "missing signature")
        eq(gh(s, "push", push, secret=b"wrong"), (401, {"error": "unauthorized"}), "wrong secret")
        eq(gh(s, "issues", b"{}"), (400, {"error": "event type issues is not supported"}), "unsupported")
        eq(gh(s, "push", b"invalid json"), (400, {"error": "invalid request body"}), "bad body")
        eq(gh(s, "ping", fixture("github/ping-go-playground.json")), (200, PING), "ping")
        # The fixture changes .razorops.yaml and app/controllers/...: the
        # docs/** Warehouse is filtered out, the other two are refreshed.
        eq(gh(s, "push", push), (200, refreshed(2)), "push refreshes by URL, ref and paths")
        eq(gh(s, "push", push.replace(b"refs/heads/master", b"refs/heads/dev")),
           (200, refreshed(0)), "no match")
        pr = fixture("github/pull-request-go-playground.json")
        eq(gh(s, "pull_request", pr), (200, {}), "opened: nothing to do")
        eq(gh(s, "pull_request", pr.replace(b'"action": "opened"', b'"action": "closed"', 1)),
           (200, refreshed(1, "promotion")), "closed: the waiting Promotion")
        # A redelivery (same X-GitHub-Delivery) gets the first answer.
        d = {"X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958"}
        eq(gh(s, "push", push, extra=d), (200, refreshed(2)), "first delivery")
        eq(gh(s, "push", push.replace(b"refs/heads/master", b"refs/heads/dev"), extra=d),
           (200, refreshed(2)), "redelivery answered from the log")
        _, _, text = s.request("GET", "/metrics")
        expect(b'kargo_webhooks_requests_total{kind="github",receiver="kinds/gh",outcome="ok"}'
               in text, "kind label in metrics")
    finally:
        s.stop()


def test_kinds_gitlab(tmp):
    s = Server(tmp, [make(tmp)])
    try:
        push = fixture("gitlab/push-hook-go-playground.json")
        eq(post(s, "gl", push, {"X-Gitlab-Event": "Push Hook"}), (401, {}), "missing token")
        eq(gl(s, "Push Hook", push, token=b"wrong"), (401, {}), "wrong token")
        eq(post(s, "gl", b"{}", {"X-Gitlab-Event": "Issue Hook"}), (401, {}),
           "the token is checked before the event")
        eq(gl(s, "Issue Hook", b"{}"), (400, {"error": "event type Issue Hook is not supported"}),
           "unsupported")
        eq(gl(s, "Push Hook", b"[]"), (400, {"error": "invalid request body"}), "bad body")
        # 4 commits announced, 2 sent: GitLab cut the list, so the
        # includePaths [nowhere] filter is not applied (as Kargo does).
        eq(gl(s, "Push Hook", push), (200, refreshed(1)), "push by SSH URL")
        eq(gl(s, "Tag Push Hook", fixture("gitlab/tag-push-hook-go-playground.json")),
           (200, refreshed(1)), "tag v1.0.0 satisfies the SemVer selection")
        mr = fixture("gitlab/merge-request-hook-go-playground.json")
        eq(gl(s, "Merge Request Hook", mr), (200, {}), "open: nothing to do")
        eq(gl(s, "Merge Request Hook", mr.replace(b'"action": "open"', b'"action": "merge"')),
           (200, refreshed(1, "promotion")), "merge: the waiting Promotion")
        d = {"X-Gitlab-Event-UUID": "13792a34-cac6-4fda-95a8-c58e00a3954e"}
        eq(gl(s, "Push Hook", push, extra=d), (200, refreshed(1)), "first delivery")
        eq(gl(s, "Push Hook", push, extra=d), (200, refreshed(1)), "retry answered from the log")
    finally:
        s.stop()


def test_kinds_gitea(tmp):
    s = Server(tmp, [make(tmp)])
    try:
        push = fixture("gitea/push-go-playground.json")
        # go-playground's golden X-Gitea-Signature for this file and secret.
        eq(kw.sign(GITEA_SECRET, push),
           "sha256=60fe446c74fa0cb9474f98cc557db79e10c7aaf22cf324ad65239600b9e4d915", "golden")
        eq(post(s, "ge", push, {"X-Gitea-Event": "push"}), (401, {"error": "missing signature"}),
           "missing signature")
        eq(ge(s, "push", push, secret=b"wrong"), (401, {"error": "unauthorized"}), "wrong secret")
        eq(ge(s, "issues", b"{}"), (501, {"error": "event type issues is not supported"}),
           "unsupported is 501 for gitea")
        eq(ge(s, "push", b'{"ref": 7}'), (400, {"error": "invalid request body"}), "bad body")
        # [beyond] repository.ssh_url finds the SSH subscription too
        # (Kargo reads clone_url only: 1).
        eq(ge(s, "push", push), (200, refreshed(2)), "push")
        pr = fixture("gitea/pull-request-go-playground.json")
        eq(kw.sign(GITEA_SECRET, pr),
           "sha256=65c18a212efc7bde0f336acaec87f596fe20e80b2a0e7e51a790dd38393ff771", "golden PR")
        eq(ge(s, "pull_request", pr), (200, {}), "opened: nothing to do")
        eq(ge(s, "pull_request", pr.replace(b'"action": "opened"', b'"action": "closed"', 1)),
           (200, refreshed(1, "promotion")), "closed: the waiting Promotion")
    finally:
        s.stop()


def test_kinds_azure(tmp):
    s = Server(tmp, [make(tmp)])
    try:
        push = fixture("azure/git.push-go-playground.json")
        other = {"error": "request does not appear to have originated from a supported service"}
        eq(az(s, push, agent="curl/8.0"), (400, other), "unknown sender")
        eq(az(s, b"nope"), (400, {"error": "invalid request body"}), "bad body")
        eq(az(s, fixture("azure/git.pullrequest.created-go-playground.json")),
           (400, {"error": "event type git.pullrequest.created is not supported"}), "unsupported")
        eq(az(s, push), (200, refreshed(1)), "git.push")
        eq(az(s, push.replace(b"refs/heads/main", b"refs/heads/other")), (200, refreshed(0)),
           "no match")
        eq(az(s, fixture("azure/git.pullrequest.updated-go-playground.json")), (200, {}),
           "updated but not abandoned")
        eq(az(s, fixture("azure/git.pullrequest.merged-go-playground.json")),
           (200, refreshed(0, "promotion")), "merged (the sample has no web link)")
        eq(az(s, b'{"action": "ping"}', agent="AzureContainerRegistry/1.0"), (200, PING), "ACR ping")
    finally:
        s.stop()


def test_kinds_receivers_and_check(tmp):
    m = make(tmp)
    p = run_cli("receivers", "--manifests", m, "-o", "json")
    eq(p.returncode, 0, "receivers: " + p.stderr.decode())
    got = sorted((r["name"], r["kind"], r["path"]) for r in json.loads(p.stdout))
    eq(got, sorted((r, KINDS[r], path(r)) for r in KINDS), "every kind listed with its path")
    # A gitlab Secret with "secret" instead of "secret-token" is reported.
    write(os.path.join(m, "bad.yaml"), "apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
          "metadata: {name: p2, namespace: p2}\nspec:\n  webhookReceivers:\n"
          "    - {name: r, gitlab: {secretRef: {name: s}}}\n---\napiVersion: v1\nkind: Secret\n"
          "metadata: {name: s, namespace: p2}\nstringData: {secret: x}\n"
          "---\napiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
          "metadata: {name: w, namespace: p2}\nspec:\n  subscriptions:\n"
          "    - git: {repoURL: 'https://x/y', includePaths: ['regex:[a-']}\n")
    p = run_cli("check", "--manifests", m)
    err = p.stderr.decode() + p.stdout.decode()
    expect('has no key "secret-token"; receiver not served' in err,
           "missing secret-token reported:\n" + err)
    expect("includePaths[0]" in err, "bad path filter reported:\n" + err)
    eq(p.returncode, 1, "check fails on the bad path filter")


TESTS = [test_kinds_github, test_kinds_gitlab, test_kinds_gitea, test_kinds_azure,
         test_kinds_receivers_and_check]

