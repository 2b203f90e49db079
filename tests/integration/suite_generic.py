"""The generic receiver kind on the real binary: Kargo v1.11.2's
TestGenericHandler cases and the docs' examples (tests/fixtures/generic/,
see PROVENANCE.md) with Kargo's exact status and body, the Warehouses each
refreshes, `receivers` and `check` (what Kargo's CRD refuses, each at its
line), and the Kubernetes world, where the API server refusing one
Warehouse makes Kargo's PartialSuccess answer."""
import json
import os

import kw
from kw import Server, eq, expect, run_cli, write

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures", "generic"))
TESTS_YAML = os.path.join(FIXTURES, "kargo-test-receivers.yaml")
DOCS_YAML = os.path.join(FIXTURES, "docs-receivers.yaml")


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def paths(*manifests):
    args = ["receivers", "-o", "json"]
    for m in manifests:
        args += ["--manifests", m]
    p = run_cli(*args)
    eq(p.returncode, 0, "receivers: " + p.stderr.decode())
    return dict((r["name"], r["path"]) for r in json.loads(p.stdout) if r["kind"] == "generic")


def post(s, path, body, event=None):
    h = {"Content-Type": "application/json"}
    if event:
        h["X-Event-Type"] = event
    st, _, b = s.request("POST", path, body, h)
    return st, b.decode()


def refreshed(s, *manifests):
    args = ["get", "warehouses", "--state", s.state, "-o", "json"]
    for m in manifests:
        args += ["--manifests", m]
    p = run_cli(*args)
    eq(p.returncode, 0, "get: " + p.stderr.decode())
    return sorted("%s/%s" % (i["metadata"]["namespace"], i["metadata"]["name"])
                  for i in json.loads(p.stdout)["items"]
                  if "kargo.akuity.io/refresh" in i["metadata"].get("annotations", {}))


ECHO_WHEN_PUSH_DOESNTMATTER = (
    '{"action":"Refresh","whenExpression":"request.header(\'X-Event-Type\') == \'push\'",'
    '"targetSelectionCriteria":[{"kind":"Warehouse","name":"doesntmatter","labelSelector":{},'
    '"indexSelector":{}}]')
ECHO_PARTIAL = (
    '{"action":"Refresh","whenExpression":"request.header(\'X-Event-Type\') == \'push\'",'
    '"parameters":{"foo":"bar"},"targetSelectionCriteria":[{"kind":"Warehouse",'
    '"labelSelector":{"matchLabels":{"foo":"bar"},"matchExpressions":[{"key":"tier",'
    '"operator":"In","values":["backend","frontend"]}]},"indexSelector":{"matchIndices":'
    '[{"key":"subscribedURLs","operator":"Equals","value":"${{ normalizeGit(request.body.'
    'repository.url) }}"}]}}]')


def selected(*pairs):
    return ',"selectedTargets":[%s]' % ",".join(
        '{"namespace":"%s","name":"%s","success":%s}' % (ns, n, "true" if ok else "false")
        for ns, n, ok in pairs)


def test_generic_listed_and_checked(tmp):
    p = paths(TESTS_YAML, DOCS_YAML)
    eq(sorted(p), ["by-dynamic-name", "by-index", "by-label", "by-label-in",
                   "by-static-name", "evaluated-to-false", "failure-creating-base-env",
                   "my-receiver", "non-boolean", "partial-success"], "every generic receiver")
    expect(all(v.startswith("/generic/") for v in p.values()), "under /generic/")
    c = run_cli("check", "--manifests", TESTS_YAML, "--manifests", DOCS_YAML)
    eq(c.returncode, 0, "check: " + c.stderr.decode() + c.stdout.decode())


def test_generic_kargo_cases(tmp):
    p = paths(TESTS_YAML)
    s = Server(tmp, [TESTS_YAML])
    try:
        eq(post(s, p["failure-creating-base-env"], fixture("kargo-invalid-json.txt")),
           (400, '{"error":"invalid request body: unexpected end of JSON input"}\n'),
           "failure creating base env")
        eq(post(s, p["evaluated-to-false"], fixture("kargo-some-data.json"), "pull_request"),
           (200, '{"results":[' + ECHO_WHEN_PUSH_DOESNTMATTER + ',"matchedWhenExpression":false,'
            '"result":"NotApplicable","summary":"Request did not match whenExpression"}]}\n'),
           "evaluated to false")
        eq(post(s, p["non-boolean"], fixture("kargo-some-data.json"), "pull_request"),
           (500, '{"results":[{"action":"Refresh","whenExpression":"request.header(\'X-Event-'
            'Type\')","targetSelectionCriteria":[{"kind":"Warehouse","name":"doesntmatter",'
            '"labelSelector":{},"indexSelector":{}}],"matchedWhenExpression":false,"result":'
            '"Error","summary":"Error evaluating whenExpression"}]}\n'), "non-boolean")
        eq(post(s, p["failure-creating-base-env"], b"{}"), (200, '{"results":[]}\n'),
           "no actions")
        eq(refreshed(s, TESTS_YAML), [], "nothing refreshed yet")
        eq(post(s, p["partial-success"], fixture("kargo-repository-url.json"), "push"),
           (200, '{"results":[' + ECHO_PARTIAL + ',"matchedWhenExpression":true' +
            selected(("test-project", "api-warehouse", True),
                     ("test-project", "failure-warehouse", True)) +
            ',"result":"Success","summary":"Refreshed 2 of 2 selected resources"}]}\n'),
           "labels and index: Kargo's selection (every refresh succeeds here)")
        eq(refreshed(s, TESTS_YAML), ["test-project/api-warehouse",
                                      "test-project/failure-warehouse"], "refreshed")
    finally:
        s.stop()


def test_generic_docs_examples(tmp):
    p = paths(DOCS_YAML)
    s = Server(tmp, [DOCS_YAML])
    body = fixture("docs-push.json")
    try:
        answers = {}
        for name in ["by-static-name", "by-dynamic-name", "by-label", "by-label-in", "by-index"]:
            st, b = post(s, p[name], body, "push")
            eq(st, 200, name + ": " + b)
            r = json.loads(b)["results"]
            eq(len(r), 1, name)
            answers[name] = [t["name"] for t in r[0].get("selectedTargets", [])]
            eq(r[0]["result"], "Success", name)
        eq(answers, {"by-static-name": ["my-warehouse"],
                     "by-dynamic-name": [],
                     "by-label": ["db", "my-warehouse"],
                     "by-label-in": ["kargo-demo", "my-warehouse"],
                     "by-index": ["my-warehouse"]}, "what each example selects")
        st, b = post(s, p["by-static-name"], body, "pull_request")
        eq((st, json.loads(b)["results"][0]["result"]), (200, "NotApplicable"), "another event")
        eq(refreshed(s, DOCS_YAML), ["kargo-demo/db", "kargo-demo/kargo-demo",
                                     "kargo-demo/my-warehouse"], "refreshed")
    finally:
        s.stop()


def test_generic_check_refuses(tmp):
    m = os.path.join(tmp, "bad.yaml")
    write(m, "apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
             "metadata: {name: kargo-demo, namespace: kargo-demo}\nspec:\n"
             "  webhookReceivers:\n"
             "    - name: promo\n"
             "      generic:\n"
             "        secretRef: {name: wh-secret}\n"
             "        actions:\n"
             "          - action: Refresh\n"
             "            targetSelectionCriteria:\n"
             "              - kind: Promotion\n"
             "                name: \"${{ request.body.promotion }}\"\n"
             "          - action: Refresh\n"
             "            whenExpression: \"request.body.ref matches '^refs/heads/'\"\n"
             "            targetSelectionCriteria:\n"
             "              - kind: Warehouse\n"
             "                labelSelector: {matchLabels: {env: prod}}\n"
             "          - action: Refresh\n"
             "            targetSelectionCriteria:\n"
             "              - kind: Warehouse\n"
             "---\napiVersion: v1\nkind: Secret\n"
             "metadata: {name: wh-secret, namespace: kargo-demo}\nstringData: {secret: x}\n")
    c = run_cli("check", "--manifests", m)
    out = c.stderr.decode() + c.stdout.decode()
    eq(c.returncode, 1, "check exits 1: " + out)
    errs = [l for l in out.splitlines() if ": error: " in l]
    lines = sorted(int(l.split(":")[1]) for l in errs)
    eq(lines, [12, 15, 21], "one error at each line: " + out)
    expect("kind Promotion is refused by Kargo's CRD" in out, out)
    expect("matches" in out, out)
    expect("at least one of name, labelSelector, or indexSelector must be specified" in out, out)
    # serve refuses to start on it, naming the problem.
    s = run_cli("serve", "--manifests", m, "--state", os.path.join(tmp, "st.db"),
                "--listen", "127.0.0.1:0")
    eq(s.returncode, 1, "serve refuses: " + s.stderr.decode())


# The Warehouses of kargo-test-receivers.yaml (Kargo's "partial success").
KARGO_WAREHOUSES = [
    ("api-warehouse", {"foo": "bar", "tier": "backend"}, "http://github.com/example/repo.git"),
    ("other-api-warehouse", {"foo": "bar", "tier": "backend"},
     "http://github.com/example/other-repo.git"),
    ("ui-warehouse", {"foo": "bar"}, "http://github.com/example/repo.git"),
    ("failure-warehouse", {"foo": "bar", "tier": "backend"}, "http://github.com/example/repo.git"),
]


def test_generic_kube_partial_success(tmp):
    import suite_kube
    objs = []
    for name, labels, url in KARGO_WAREHOUSES:
        objs.append({"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "Warehouse",
                     "metadata": {"name": name, "namespace": "test-project", "labels": labels},
                     "spec": {"subscriptions": [{"git": {"repoURL": url}}]}})
    cfg = {"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "ProjectConfig",
           "metadata": {"name": "test-project", "namespace": "test-project"},
           "spec": {"webhookReceivers": [{"name": "partial-success", "generic": {
               "secretRef": {"name": "wh-secret"},
               "actions": [{"action": "Refresh", "parameters": {"foo": "bar"},
                            "whenExpression": "request.header('X-Event-Type') == 'push'",
                            "targetSelectionCriteria": [{
                                "kind": "Warehouse",
                                "labelSelector": {"matchLabels": {"foo": "bar"},
                                                  "matchExpressions": [{
                                                      "key": "tier", "operator": "In",
                                                      "values": ["backend", "frontend"]}]},
                                "indexSelector": {"matchIndices": [{
                                    "key": "subscribedURLs", "operator": "Equals",
                                    "value": "${{ normalizeGit(request.body.repository.url) }}"
                                }]}}]}]}}]}}
    objs.append(cfg)
    objs.append(suite_kube.secret("test-project", "wh-secret", b"kargo-generic-test"))
    os.makedirs(os.path.join(tmp, "srv"), exist_ok=True)
    k = suite_kube.Kube(tmp, objs=objs)
    try:
        k.fk.fail_patches(403, match="failure-warehouse")
        st, _, b = k.srv.request("POST", paths(TESTS_YAML)["partial-success"],
                                 fixture("kargo-repository-url.json"),
                                 {"X-Event-Type": "push", "Content-Type": "application/json"})
        eq((st, b.decode()),
           (500, '{"results":[' + ECHO_PARTIAL + ',"matchedWhenExpression":true' +
            selected(("test-project", "api-warehouse", True),
                     ("test-project", "failure-warehouse", False)) +
            ',"result":"PartialSuccess","summary":"Refreshed 1 of 2 selected resources"}]}\n'),
           "Kargo's partial success, byte for byte")
        eq([p[1] for p in k.fk.patches("Warehouse")], ["api-warehouse"],
           "one patch applied (failure-warehouse's was refused)")
    except BaseException:
        k.close(expect_code=None)
        raise
    k.close()


PARAMS_WORLD = """apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: q, namespace: q}
spec:
  webhookReceivers:
  - name: by-param
    generic:
      secretRef: {name: s}
      actions:
      - action: Refresh
        targetSelectionCriteria:
        - kind: Warehouse
          name: '${{ request.params("wh") }}'
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: q}
stringData: {secret: params-secret}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: main, namespace: q}
spec: {subscriptions: [{git: {repoURL: "https://example.com/a.git"}}]}
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: dev, namespace: q}
spec: {subscriptions: [{git: {repoURL: "https://example.com/a.git"}}]}
"""


def test_generic_params_read_as_go(tmp):
    """request.params reads the raw query as Go's url.ParseQuery: a pair
    with a ';' or a bad '%' escape is dropped (libmicrohttpd kept it), the
    first value of a name wins (the rest: tests/unit/test_goquery.c)."""
    m = os.path.join(tmp, "q.yaml")
    write(m, PARAMS_WORLD)
    path = paths(m)["by-param"]
    s = Server(tmp, [m])
    try:
        for query, want in (("wh=a;b&wh=main", "main"), ("wh=%zz&wh=dev", "dev"),
                            ("wh=main&wh=dev", "main"), ("x=1;wh=dev&wh=main", "main")):
            st, body = post(s, path + "?" + query, b"{}")
            eq(st, 200, query + ": " + body)
            got = [t["name"] for t in json.loads(body)["results"][0]["selectedTargets"]]
            eq(got, [want], query + ": the Warehouse named by request.params('wh')")
    finally:
        s.stop()


TESTS = [test_generic_listed_and_checked, test_generic_kargo_cases, test_generic_docs_examples,
         test_generic_check_refuses, test_generic_kube_partial_success,
         test_generic_params_read_as_go]

