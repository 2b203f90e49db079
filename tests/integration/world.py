"""The integration tests' own small world: manifests and payloads."""
import json
import os

from kw import write

SECRET = b"s3cret-value"
CLUSTER_SECRET = b"cluster-secret-value"
PROJECT = "kargo-demo"
RECEIVER = "bb"

PROJECT_YAML = """\
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: kargo-demo
  namespace: kargo-demo
spec:
  webhookReceivers:
    - name: bb
      bitbucket:
        secretRef:
          name: bb-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: bb-secret
  namespace: kargo-demo
stringData:
  secret: s3cret-value
---
apiVersion: kargo.akuity.io/v1alpha1
kind: ClusterConfig
metadata:
  name: cluster
spec:
  webhookReceivers:
    - name: cluster-bb
      bitbucket:
        secretRef:
          name: cluster-secret
---
apiVersion: v1
kind: Secret
metadata:
  name: cluster-secret
  namespace: kargo-system-resources
data:
  secret: Y2x1c3Rlci1zZWNyZXQtdmFsdWU=
"""


def wh(name, ns, url, **git):
    lines = ["apiVersion: kargo.akuity.io/v1alpha1", "kind: Warehouse",
             "metadata:", "  name: %s" % name, "  namespace: %s" % ns,
             "spec:", "  subscriptions:", "    - git:", "        repoURL: %s" % url]
    for k, v in git.items():
        lines.append("        %s: %s" % (k, json.dumps(v)))
    return "\n".join(lines) + "\n"


WAREHOUSE_ARGS = [
    ("wh-main", "kargo-demo", "https://bitbucket.org/acme/app.git", {"branch": "main"}),
    ("wh-default", "kargo-demo", "https://bitbucket.org/Acme/App", {}),
    ("wh-dev", "kargo-demo", "https://bitbucket.org/acme/app", {"branch": "develop"}),
    ("wh-semver", "kargo-demo", "https://bitbucket.org/acme/app",
     {"commitSelectionStrategy": "SemVer", "semverConstraint": "^1.0.0"}),
    ("wh-tags", "kargo-demo", "https://bitbucket.org/acme/app",
     {"commitSelectionStrategy": "NewestTag", "allowTagsRegexes": ["^release-"],
      "ignoreTagsRegexes": ["-rc"]}),
    ("wh-lexical", "kargo-demo", "https://bitbucket.org/acme/app",
     {"commitSelectionStrategy": "Lexical"}),
    ("wh-ssh", "kargo-demo", "git@bitbucket.org:acme/app.git", {"branch": "main"}),
    ("wh-other", "kargo-demo", "https://bitbucket.org/acme/other", {"branch": "main"}),
    ("wh-server", "kargo-demo", "https://bitbucket.example.com/scm/proj/repo.git",
     {"branch": "main"}),
    ("wh-foreign", "other-project", "https://bitbucket.org/acme/app", {"branch": "main"}),
]

WAREHOUSES = [wh(n, ns, url, **git) for n, ns, url, git in WAREHOUSE_ARGS]


def wh_dict(name, ns, url, **git):
    """The Warehouse of wh() as an object (the Kubernetes tests' form)."""
    sub = {"repoURL": url}
    sub.update(git)
    return {"apiVersion": "kargo.akuity.io/v1alpha1", "kind": "Warehouse",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"subscriptions": [{"git": sub}]}}


PROMOTION_YAML = """\
apiVersion: kargo.akuity.io/v1alpha1
kind: Promotion
metadata:
  name: promo-1
  namespace: kargo-demo
spec:
  stage: prod
  freight: abc
  steps:
    - uses: git-open-pr
      as: open
    - uses: git-wait-for-pr
      as: wait
status:
  phase: Running
  currentStep: 1
  state:
    open:
      pr:
        url: https://bitbucket.org/acme/app/pull-requests/7
    wait:
      pr:
        url: https://bitbucket.org/acme/app/pull-requests/7
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Promotion
metadata:
  name: promo-done
  namespace: kargo-demo
spec:
  steps:
    - uses: git-wait-for-pr
      as: wait
status:
  phase: Succeeded
  state:
    wait:
      pr:
        url: https://bitbucket.org/acme/app/pull-requests/7
"""


def make_world(root):
    d = os.path.join(root, "manifests")
    write(os.path.join(d, "project.yaml"), PROJECT_YAML)
    write(os.path.join(d, "warehouses", "all.yaml"), "---\n".join(WAREHOUSES))
    write(os.path.join(d, "promotions.yml"), PROMOTION_YAML)
    return d


def cloud_push(href="https://bitbucket.org/acme/app", full_name="acme/app",
               changes=(("branch", "main"),)):
    ch = []
    for c in changes:
        if c is None:
            ch.append({"new": None, "old": {"type": "branch", "name": "gone"}})
        else:
            ch.append({"new": {"type": c[0], "name": c[1],
                               "target": {"hash": "a" * 40}}})
    return json.dumps({
        "actor": {"display_name": "Someone"},
        "repository": {"full_name": full_name, "name": full_name.split("/")[-1],
                       "links": {"html": {"href": href}}},
        "push": {"changes": ch},
    }).encode()


def server_push(clones=("https://bitbucket.example.com/scm/proj/repo.git",
                        "ssh://git@bitbucket.example.com:7999/proj/repo.git"),
                refs=("refs/heads/main",)):
    return json.dumps({
        "eventKey": "repo:refs_changed",
        "repository": {"slug": "repo", "links": {
            "clone": [{"href": h, "name": "http"} for h in clones]}},
        "changes": [{"ref": {"id": r, "displayId": r.split("/")[-1]},
                     "type": "UPDATE"} for r in refs],
    }).encode()


def cloud_pr(url="https://bitbucket.org/acme/app/pull-requests/7"):
    return json.dumps({"pullrequest": {"id": 7, "links": {"html": {"href": url}}}}).encode()


def server_pr(url="https://bitbucket.org/acme/app/pull-requests/7"):
    return json.dumps({"pullRequest": {"id": 7, "links": {"self": [{"href": url}]}}}).encode()
