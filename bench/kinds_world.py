"""The receiver kinds of the benchmark's world (docs/performance.md,
"Receiver kinds end to end"): for each kind, the receiver, the real payload
it is driven with (tests/fixtures/, see each PROVENANCE.md), the headers a
sender sets (signature computed here for that fixed body), the header that
carries a unique delivery id (None where the kind has none, so duplicate
suppression never applies), and its Warehouses in the target project: two
the push must refresh, two on the same repository whose selection must
reject it. gen_world.py renders them; bench.py drives them. A kind whose
answer is not Bitbucket's gives it ("expect", a function of the project),
and one configured by more than a Secret gives the rest of its receiver
("config", YAML under the kind's key) and its Warehouses' labels."""
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "tests", "fixtures")


def _git(https, alt, branch):
    """Two subscriptions a push of branch refreshes (the URL with the
    branch, the other spelling the sender reports with the default branch)
    and two the URL index finds but the selection rejects."""
    return {"match": [{"url": https, "branch": branch}, {"url": alt}],
            "reject": [{"url": https, "branch": "release/2.x"},
                       {"url": https, "commitSelectionStrategy": "SemVer",
                        "semverConstraint": "^2.0.0"}],
            "share": {"url": https, "branch": branch}}


def _image(repo, alt, tag):
    """Two image subscriptions the tag is selected by (Lexical, and Digest
    naming the tag) and two that reject it (another Digest tag, a SemVer
    constraint it cannot satisfy)."""
    return {"match": [{"image": repo, "imageSelectionStrategy": "Lexical"},
                      {"image": alt, "imageSelectionStrategy": "Digest", "constraint": tag}],
            "reject": [{"image": repo, "imageSelectionStrategy": "Digest",
                        "constraint": "stable"},
                       {"image": alt, "constraint": "^9.0.0"}],
            "share": {"image": repo, "imageSelectionStrategy": "Lexical"}}


def _hub(secret, body):
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


# name (receiver and path segment key), kind, Secret key, fixture, headers
# (a function of secret and body), delivery-id header, Warehouses.
KINDS = [
    {"name": "github", "kind": "github", "key": "secret",
     "fixture": "github/push-go-playground.json",
     "headers": lambda s, b: [("User-Agent", "GitHub-Hookshot/4b1c5b3"),
                              ("X-GitHub-Event", "push"),
                              ("X-Hub-Signature-256", _hub(s, b))],
     "id": "X-GitHub-Delivery",
     "subs": _git("https://github.com/binkkatal/sample_app",
                  "git@github.com:binkkatal/sample_app.git", "master")},
    {"name": "gitlab", "kind": "gitlab", "key": "secret-token",
     "fixture": "gitlab/push-hook-go-playground.json",
     "headers": lambda s, b: [("User-Agent", "GitLab/17.0.0"),
                              ("X-Gitlab-Event", "Push Hook"),
                              ("X-Gitlab-Token", s.decode())],
     "id": "X-Gitlab-Event-UUID",
     "subs": _git("http://example.com/mike/diaspora.git",
                  "git@example.com:mike/diaspora.git", "master")},
    {"name": "gitea", "kind": "gitea", "key": "secret",
     "fixture": "gitea/push-go-playground.json",
     "headers": lambda s, b: [("User-Agent", "Go-http-client/1.1"),
                              ("X-Gitea-Event", "push"),
                              ("X-Hub-Signature-256", _hub(s, b))],
     "id": "X-Gitea-Delivery",
     "subs": _git("http://localhost:3000/example/example",
                  "git@localhost:example/example.git", "master")},
    {"name": "azure-devops", "kind": "azure", "key": "secret",
     "fixture": "azure/git.push-go-playground.json",
     "headers": lambda s, b: [("User-Agent", "VSServices/16.255.35115.1")],
     "id": None,
     "subs": _git("https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/"
                  "Fabrikam-Fiber-Git",
                  "https://dev.azure.com/fabrikam-fiber-inc/DefaultCollection/_git/"
                  "Fabrikam-Fiber-Git.git", "main")},
    {"name": "dockerhub", "kind": "dockerhub", "key": "secret",
     "fixture": "dockerhub/docs-example-latest-go-playground.json",
     "headers": lambda s, b: [("User-Agent", "Go-http-client/1.1")],
     "id": None,
     "subs": _image("svendowideit/testhook", "docker.io/svendowideit/testhook", "latest")},
    {"name": "quay", "kind": "quay", "key": "secret",
     "fixture": "quay/docs-repository-push-redhat.json",
     "headers": lambda s, b: [("User-Agent", "python-requests/2.31.0")],
     "id": None,
     "subs": _image("quay.io/dgangaia/test", "quay.io/dgangaia/test", "latest")},
    {"name": "harbor", "kind": "harbor", "key": "auth-header",
     "fixture": "harbor/docs-push-artifact-latest-goharbor.json",
     "headers": lambda s, b: [("User-Agent", "Go-http-client/1.1"),
                              ("Authorization", s.decode())],
     "id": None,
     "subs": _image("hub.harbor.com/test-webhook/debian",
                    "hub.harbor.com/test-webhook/debian", "latest")},
    {"name": "artifactory", "kind": "artifactory", "key": "secret-token",
     "fixture": "artifactory/kargo-push-image.json",
     "headers": lambda s, b: [("User-Agent", "Artifactory/7.77.5"),
                              ("X-Jfrog-Event-Auth",
                               hmac.new(s, b, hashlib.sha256).hexdigest())],
     "id": None,
     "subs": _image("artifactory.example.com/test-repo/test-image",
                    "artifactory.example.com/test-repo/test-image", "v1.0.0")},
    {"name": "acr", "kind": "azure", "key": "secret",
     "fixture": "azure-acr/push-v1-jenkins-dockerhub.json",
     "headers": lambda s, b: [("User-Agent", "AzureContainerRegistry/1.0")],
     "id": None,
     "subs": _image("myregistry.azurecr.io/hello-world",
                    "myregistry.azurecr.io/hello-world", "v1")},
    {"name": "ghcr", "kind": "github", "key": "secret",
     "fixture": "ghcr/kargo-package-image.json",
     "headers": lambda s, b: [("User-Agent", "GitHub-Hookshot/4b1c5b3"),
                              ("X-GitHub-Event", "package"),
                              ("X-Hub-Signature-256", _hub(s, b))],
     "id": "X-GitHub-Delivery",
     "subs": _image("ghcr.io/example/repo", "ghcr.io/example/repo", "v1.0.0")},
]

# The generic receiver's one action (docs/receivers/generic.md): a push
# event refreshes the production Warehouses subscribed to the body's
# repository, found by the subscribedURLs index as Kargo's docs show it.
GENERIC_WHEN = "request.header('X-Event-Type') == 'push'"
GENERIC_URL = "${{ normalizeGit(request.body.repository.url) }}"
GENERIC_CONFIG = (
    "      actions:\n"
    "      - action: Refresh\n"
    "        whenExpression: \"%s\"\n"
    "        targetSelectionCriteria:\n"
    "        - kind: Warehouse\n"
    "          labelSelector:\n"
    "            matchLabels:\n"
    "              environment: prod\n"
    "          indexSelector:\n"
    "            matchIndices:\n"
    "            - key: subscribedURLs\n"
    "              operator: Equals\n"
    "              value: \"%s\"\n" % (GENERIC_WHEN, GENERIC_URL))


def _generic_answer(project):
    """The exact answer: the action echoed in Go's field order, then the
    two production Warehouses the index and the label selected."""
    action = json.dumps({
        "action": "Refresh", "whenExpression": GENERIC_WHEN,
        "targetSelectionCriteria": [{
            "kind": "Warehouse",
            "labelSelector": {"matchLabels": {"environment": "prod"}},
            "indexSelector": {"matchIndices": [{"key": "subscribedURLs", "operator": "Equals",
                                                "value": GENERIC_URL}]}}]},
        separators=(",", ":"))
    targets = ",".join('{"namespace":"%s","name":"generic-match-%d","success":true}'
                       % (project, i) for i in range(2))
    return ('{"results":[%s,"matchedWhenExpression":true,"selectedTargets":[%s],'
            '"result":"Success","summary":"Refreshed 2 of 2 selected resources"}]}\n'
            % (action[:-1], targets))


KINDS.append(
    {"name": "generic", "kind": "generic", "key": "secret",
     "fixture": "generic/docs-push.json",
     "headers": lambda s, b: [("User-Agent", "curl/8.5.0"), ("X-Event-Type", "push")],
     "id": None,
     "config": GENERIC_CONFIG,
     "labels": {"match": {"environment": "prod"}, "reject": {"environment": "staging"}},
     "expect": _generic_answer,
     # The index finds all four (normalizeGit drops ".git"); the label
     # rejects the two staging ones.
     "subs": _git("https://github.com/example/kargo-demo.git",
                  "https://github.com/example/kargo-demo", "main")})

# Bitbucket's request (the push of gen_world.py's push_body).
BITBUCKET_HEADERS = lambda s, b: [("User-Agent", "Bitbucket-Webhooks/2.0"),  # noqa: E731
                                  ("X-Event-Key", "repo:push"),
                                  ("X-Hub-Signature", _hub(s, b)),
                                  ("X-Attempt-Number", "1")]
BITBUCKET_ID = "X-Request-UUID"


def fixture(kind):
    with open(os.path.join(FIXTURES, kind["fixture"]), "rb") as f:
        return f.read()


def write_request(out_dir, name, headers, body):
    """Writes NAME.body and NAME.headers ("Field: value" lines, with the
    Content-Type every sender sets) for post.lua; returns their paths."""
    d = os.path.join(out_dir, "kinds")
    os.makedirs(d, exist_ok=True)
    bf, hf = os.path.join(d, name + ".body"), os.path.join(d, name + ".headers")
    with open(bf, "wb") as f:
        f.write(body)
    with open(hf, "w") as f:
        for k, v in [("Content-Type", "application/json")] + headers:
            f.write("%s: %s\n" % (k, v))
    return bf, hf
