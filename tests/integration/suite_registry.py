"""The registry receiver kinds (dockerhub, quay, harbor, artifactory) on
the real binary: every check of Kargo v1.11's handlers with its exact
status and body, fed the fixtures of tests/fixtures/<kind>/ (see their
PROVENANCE.md), and the Warehouses each refresh. Secrets are Kargo's own
test values (testSigningKey, harbor's testAuthToken)."""
import hashlib
import hmac
import http.client
import json
import os

import kw
from kw import Server, eq, expect, run_cli, write

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures"))
PROJECT = "reg"
KEY = b"mysupersecrettoken"
HARBOR_TOKEN = b"test-auth-token-123"

RECEIVERS = [  # name, kind, secret key, secret, extra config
    ("dh", "dockerhub", "secret", KEY, ""),
    ("qy", "quay", "secret", KEY, ""),
    ("hb", "harbor", "auth-header", HARBOR_TOKEN, ""),
    ("af", "artifactory", "secret-token", KEY, ""),
    ("afv", "artifactory", "secret-token", KEY, ", virtualRepoName: virtual-test-repo"),
    ("az", "azure", "secret", KEY, ""),
    ("gh", "github", "secret", KEY, ""),
]

WAREHOUSES = {  # name: subscription
    "dh-image": "image: {repoURL: docker.io/example/repo, constraint: ^1.0.0}",
    "dh-busybox": "image: {repoURL: docker.io/library/busybox}",
    "dh-other": "image: {repoURL: ghcr.io/example/repo}",
    "quay": "image: {repoURL: quay.io/mynamespace/repository, constraint: ^1.0.0}",
    "quay-v2": "image: {repoURL: quay.io/mynamespace/repository, constraint: ^2.0.0}",
    "harbor": "image: {repoURL: harbor.example.com/library/alpine, constraint: ^1.0.0}",
    "harbor-chart": "chart: {repoURL: 'oci://harbor.example.com/charts/my-chart', "
                    "semverConstraint: ^1.0.0}",
    "af-image": "image: {repoURL: artifactory.example.com/test-repo/test-image, "
                "constraint: ^1.0.0}",
    "af-virtual": "chart: {repoURL: 'oci://artifactory.example.com/virtual-test-repo/foo/bar/"
                  "test-chart', semverConstraint: ^1.0.0}",
    "acr": "image: {repoURL: myregistry.azurecr.io/hello-world, imageSelectionStrategy: Lexical}",
    "acr-strict": "image: {repoURL: myregistry.azurecr.io/hello-world}",
    "ghcr": "image: {repoURL: ghcr.io/example/repo, constraint: ^1.0.0}",
}


def path_of(name, kind, secret):
    h = hashlib.sha256(PROJECT.encode() + name.encode() + secret).hexdigest()
    return "/%s/%s" % (kind, h)


PATHS = dict((name, path_of(name, kind, secret)) for name, kind, _, secret, _ in RECEIVERS)


def world(tmp):
    docs = ["apiVersion: kargo.akuity.io/v1alpha1\nkind: ProjectConfig\n"
            "metadata: {name: %s, namespace: %s}\nspec:\n  webhookReceivers:\n" % (PROJECT, PROJECT)]
    for name, kind, key, secret, extra in RECEIVERS:
        docs[0] += "    - {name: %s, %s: {secretRef: {name: %s}%s}}\n" % (name, kind, name, extra)
        docs.append("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\n"
                    "stringData: {%s: %s}\n" % (name, PROJECT, key, json.dumps(secret.decode())))
    for name, sub in sorted(WAREHOUSES.items()):
        docs.append("apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\n"
                    "metadata: {name: %s, namespace: %s}\nspec:\n  subscriptions:\n    - %s\n"
                    % (name, PROJECT, sub))
    m = os.path.join(tmp, "manifests", "world.yaml")
    write(m, "---\n".join(docs))
    return m


def fixture(rel):
    with open(os.path.join(FIXTURES, rel), "rb") as f:
        return f.read()


def refreshed(m, state):
    p = run_cli("get", "warehouses", "--manifests", m, "--state", state, "-o", "json")
    eq(p.returncode, 0, "get: " + p.stderr.decode())
    return sorted(i["metadata"]["name"] for i in json.loads(p.stdout)["items"]
                  if "kargo.akuity.io/refresh" in i["metadata"].get("annotations", {}))


def post(s, receiver, body, headers=None):
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    st, _, b = s.request("POST", PATHS[receiver], body, h)
    return st, b.decode()


def jfrog(body, key=KEY):
    return {"X-JFrog-Event-Auth": hmac.new(key, body, hashlib.sha256).hexdigest()}


def answer(n):
    return '{"msg":"refreshed %d warehouse(s)"}\n' % n


def test_registry_receivers_listed(tmp):
    m = world(tmp)
    p = run_cli("receivers", "--manifests", m, "-o", "json")
    eq(p.returncode, 0, "receivers: " + p.stderr.decode())
    got = dict((r["name"], r["path"]) for r in json.loads(p.stdout))
    eq(got, PATHS, "every registry receiver, at Kargo's path")


def test_dockerhub(tmp):
    m = world(tmp)
    s = Server(tmp, [m])
    try:
        eq(post(s, "dh", b"invalid json"), (400, '{"error":"invalid request body"}\n'), "bad body")
        eq(post(s, "dh", fixture("dockerhub/docs-example-latest-go-playground.json")),
           (200, answer(0)), "no subscriber")
        eq(post(s, "dh", fixture("dockerhub/kargo-image-v1.0.0.json")), (200, answer(1)),
           "image v1.0.0 in ^1.0.0")
        eq(post(s, "dh", fixture("dockerhub/no-tag-public-repository-jenkins-dockerhub.json")),
           (200, answer(1)), "no tag: every subscriber of busybox")
        eq(refreshed(m, s.state), ["dh-busybox", "dh-image"], "refreshed")
    finally:
        s.stop()


def test_quay(tmp):
    m = world(tmp)
    s = Server(tmp, [m])
    try:
        eq(post(s, "qy", fixture("quay/legacy-updated-tags-object-gist.json")),
           (400, '{"error":"invalid request body"}\n'), "updated_tags as an object")
        eq(post(s, "qy", fixture("quay/docs-repository-push-redhat.json")), (200, answer(0)),
           "docs example")
        eq(post(s, "qy", fixture("quay/kargo-push-v1.0.0.json")), (200, answer(1)),
           "v1.0.0: ^1.0.0 yes, ^2.0.0 no")
        eq(refreshed(m, s.state), ["quay"], "refreshed")
    finally:
        s.stop()


def raw_post(s, path, body, pairs):
    """A POST with the header pairs as given (names may repeat)."""
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        c.putrequest("POST", path)
        for k, v in pairs + [("Content-Length", str(len(body)))]:
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def test_harbor(tmp):
    m = world(tmp)
    s = Server(tmp, [m])
    tok = HARBOR_TOKEN.decode()
    body = fixture("harbor/kargo-push-image-v1.0.0.json")
    try:
        eq(post(s, "hb", body), (401, '{"error":"missing authorization"}\n'), "no header")
        eq(post(s, "hb", body, {"Authorization": ""}),
           (401, '{"error":"missing authorization"}\n'), "empty header")
        eq(post(s, "hb", body, {"Authorization": "invalid-token"}),
           (401, '{"error":"unauthorized"}\n'), "wrong token")
        eq(raw_post(s, PATHS["hb"], body, [("Authorization", tok), ("Authorization", tok)]),
           (400, '{"error":"more than one Authorization header"}\n'), "two headers")
        eq(post(s, "hb", b"invalid json", {"Authorization": tok}),
           (400, '{"error":"invalid request body"}\n'), "bad body")
        eq(post(s, "hb", b'{"type":"DELETE_ARTIFACT"}', {"Authorization": tok}),
           (400, '{"error":"unsupported event type"}\n'), "other type")
        eq(post(s, "hb", b'{"type":"PUSH_ARTIFACT","event_data":{"resources":[]}}',
                {"Authorization": tok}), (200, answer(0)), "no resources")
        eq(post(s, "hb", fixture("harbor/docs-push-artifact-latest-goharbor.json"),
                {"Authorization": tok}), (200, answer(0)), "docs example, no subscriber")
        eq(post(s, "hb", body, {"Authorization": tok}), (200, answer(1)), "image")
        eq(post(s, "hb", fixture("harbor/kargo-push-chart-v1.0.0.json"),
                {"Authorization": tok}), (200, answer(1)), "OCI chart")
        eq(refreshed(m, s.state), ["harbor", "harbor-chart"], "refreshed")
    finally:
        s.stop()


def test_artifactory(tmp):
    m = world(tmp)
    s = Server(tmp, [m])
    img = fixture("artifactory/kargo-push-image.json")
    nested = fixture("artifactory/kargo-push-chart-nested.json")
    try:
        eq(post(s, "af", img), (401, '{"error":"missing signature"}\n'), "no signature")
        eq(post(s, "af", img, {"X-JFrog-Event-Auth": "invalid-signature"}),
           (401, '{"error":"unauthorized"}\n'), "wrong signature")
        eq(post(s, "af", img, {"X-JFrog-Event-Auth": jfrog(img)["X-JFrog-Event-Auth"].upper()}),
           (401, '{"error":"unauthorized"}\n'), "upper-case hex is refused, as in Kargo")
        bad = b"invalid json"
        eq(post(s, "af", bad, jfrog(bad)), (400, '{"error":"invalid request body"}\n'), "bad body")
        ev = b'{"domain":"docker","event_type":"deleted"}'
        eq(post(s, "af", ev, jfrog(ev)), (501, '{"error":"event type must be \'pushed\' and '
                                                "domain must be 'docker'\"}\n"), "deleted")
        ev = b'{"domain":"docker","event_type":"pushed","data":{"image_type":"helm"}}'
        eq(post(s, "af", ev, jfrog(ev)),
           (501, '{"error":"unsupported image type \\"helm\\""}\n'), "image type")
        ev = (b'{"domain":"docker","event_type":"pushed","data":{"image_type":"docker",'
              b'"path":"invalidpath"}}')
        eq(post(s, "af", ev, jfrog(ev)), (400, '{"error":"invalid value \\"invalidpath\\" in '
                                               'payload\'s data.path field"}\n'), "path")
        eq(post(s, "af", img, jfrog(img)), (200, answer(1)), "image")
        eq(post(s, "af", nested, jfrog(nested)), (200, answer(0)), "chart, local repo name")
        eq(post(s, "afv", nested, jfrog(nested)), (200, answer(1)), "chart, virtualRepoName")
        eq(refreshed(m, s.state), ["af-image", "af-virtual"], "refreshed")
    finally:
        s.stop()


def test_acr(tmp):
    m = world(tmp)
    s = Server(tmp, [m])
    acr = {"User-Agent": "AzureContainerRegistry/1.0"}
    try:
        eq(post(s, "az", b'{"action":"ping"}', acr),
           (200, '{"msg":"ping event received, webhook is configured correctly"}\n'), "ping")
        eq(post(s, "az", b'{"action":"delete"}', acr),
           (400, '{"error":"event type delete is not supported"}\n'), "delete")
        eq(post(s, "az", b"invalid json", acr), (400, '{"error":"invalid request body"}\n'),
           "bad body")
        eq(post(s, "az", fixture("azure-acr/push-v1-jenkins-dockerhub.json"), acr),
           (200, answer(1)), "push v1: Lexical yes, strict SemVer no")
        eq(refreshed(m, s.state), ["acr"], "refreshed")
    finally:
        s.stop()


def test_ghcr(tmp):
    m = world(tmp)
    s = Server(tmp, [m])

    def gh(event, body, secret=KEY):
        return {"X-GitHub-Event": event, "X-GitHub-Delivery": hashlib.sha1(body).hexdigest(),
                "X-Hub-Signature-256": kw.sign(secret, body)}
    npm = fixture("ghcr/registry-package-npm-go-playground.json")
    img = fixture("ghcr/kargo-package-image.json")
    try:
        eq(post(s, "gh", img, gh("package", img, b"wrong")), (401, '{"error":"unauthorized"}\n'),
           "wrong signature")
        eq(post(s, "gh", npm, gh("registry_package", npm)), (200, "{}\n"), "npm: ignored")
        eq(post(s, "gh", b'{"action":"published"}', gh("package", b'{"action":"published"}')),
           (400, '{"error":"invalid request body"}\n'), "no package")
        # Kargo (github.go handlePackageEvent): pkg == nil ||
        # pkg.GetPackageVersion() == nil is 400, whatever else the package says;
        # a package_version present (even {}) with another type is 200 {}.
        for event, field in (("package", "package"), ("registry_package", "registry_package")):
            for body, want in (
                    (b'{"package_type":"CONTAINER"}', (400, '{"error":"invalid request body"}\n')),
                    (b'{"package_type":"CONTAINER","package_version":null}',
                     (400, '{"error":"invalid request body"}\n')),
                    (b'{"package_version":{"id":1},"package_version":null}',
                     (400, '{"error":"invalid request body"}\n')),
                    (b'{"package_version":{}}', (200, "{}\n")),
                    (b'{"package_type":"npm","package_version":{}}', (200, "{}\n")),
                    (b'{"package_type":"CONTAINER","package_version":{}}', (200, answer(0)))):
                b = b'{"action":"published","%s":%s}' % (field.encode(), body)
                eq(post(s, "gh", b, gh(event, b)), want, "%s: %s" % (event, body))
        # manifest is a map[string]any in go-github: a config that is not an
        # object gives no media type (image and chart), never a bad body
        for cfg in (b'"x"', b'5', b'["a"]', b'null', b'{"media_type":7}'):
            b = img.replace(b'{"media_type":"application/vnd.docker.container.image.v1+json"}',
                            cfg)
            expect(b != img, "the fixture holds the config")
            eq(post(s, "gh", b, gh("package", b)), (200, answer(2)), "config %s" % cfg)
        eq(post(s, "gh", img, gh("package", img)), (200, answer(2)),
           "container image: v1.0.0 in ^1.0.0, and strict SemVer with no constraint")
        eq(refreshed(m, s.state), ["dh-other", "ghcr"], "refreshed")
    finally:
        s.stop()


def test_check_registry_secret_whitespace(tmp):
    """[beyond] check warns about a Harbor auth-header or an Artifactory
    secret-token ending in white space (never what the sender sends)."""
    m = os.path.join(tmp, "m.yaml")
    write(m, "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: p}\n"
             "stringData:\n  auth-header: \"Bearer x\\n\"\n  secret-token: \"k \"\n"
             "  secret: fine\n")
    p = run_cli("check", "--manifests", m)
    err = p.stderr.decode() + p.stdout.decode()
    eq(p.returncode, 0, "warnings only: " + err)
    eq(sorted(l.split(": ")[2] for l in err.splitlines() if ": warning: " in l),
       ["no receivers", "stringData.auth-header", "stringData.secret-token"], "warned keys")
    eq("a newline" in err and "a space" in err, True, "what ends them")


TESTS = [test_check_registry_secret_whitespace, test_registry_receivers_listed, test_dockerhub, test_quay, test_harbor,
         test_artifactory, test_acr, test_ghcr]

