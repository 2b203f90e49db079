#!/usr/bin/env python3
"""Generates the benchmark's world (docs/performance.md).

    gen_world.py OUT_DIR --warehouses N [--projects P] [--seed S] [--kinds]

writes
    OUT_DIR/manifests/team-NNN.yaml  per project: a ProjectConfig with one
                                     Bitbucket receiver, its Secret and the
                                     project's Warehouses
    OUT_DIR/push.json                one Bitbucket Cloud repo:push body
                                     (branch main of acme/payments-api,
                                     several commits, links, actor)
    OUT_DIR/world.json               what the driver needs: the target
                                     project, receiver path, secret, the
                                     X-Hub-Signature of push.json and the
                                     answer our server must give; under
                                     "kinds", each receiver's path, body,
                                     headers file and delivery-id header
    OUT_DIR/kinds/NAME.{body,headers}  with --kinds: each kind's request

The push matches exactly two Warehouses of the target project
(payments-api-main: https URL, branch main; payments-api-ssh: the SSH form of
the same repository, default branch). The URL index also finds two that the
ref must reject (a release branch and a SemVer tag subscription), and ten
other projects subscribe to the same repository (out of the receiver's
scope). Every other Warehouse subscribes to its own project's repositories.
With --kinds the target project also has one receiver of every other kind
(bench_kinds.py: the table KINDS), each with a real payload of
tests/fixtures/ and the same shape of Warehouses: two that its push must
refresh, two on the same repository whose selection must reject it, and one
in each of the ten sharing projects; the total stays N. The generic
receiver's action selects by the subscribedURLs index and a label, so its
four Warehouses are labelled (environment prod or staging).
Deterministic for a given seed; python3 standard library only.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import sys

import kinds_world

TARGET_PROJECT = 42
REPO = "payments-api"
WORKSPACE = "acme"
RECEIVER = "bitbucket"
SECRET_NAME = "bitbucket-webhook"
EXPECTED_ANSWER = '{"msg":"refreshed 2 warehouse(s)"}\n'


def project_name(i):
    return "team-%03d" % i


def secret_for(rng):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(alphabet) for _ in range(32))


def project_header(project, secret, extra=()):
    """The ProjectConfig with the Bitbucket receiver and its Secret; extra:
    (receiver name, kind, Secret key, secret, the rest of its configuration)
    of more receivers."""
    head = (
        "apiVersion: kargo.akuity.io/v1alpha1\n"
        "kind: ProjectConfig\n"
        "metadata:\n"
        "  name: %(p)s\n"
        "  namespace: %(p)s\n"
        "spec:\n"
        "  webhookReceivers:\n"
        "  - name: %(r)s\n"
        "    bitbucket:\n"
        "      secretRef:\n"
        "        name: %(s)s\n"
        "---\n"
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        "  name: %(s)s\n"
        "  namespace: %(p)s\n"
        "type: Opaque\n"
        "stringData:\n"
        "  secret: \"%(secret)s\"\n"
    ) % {"p": project, "r": RECEIVER, "s": SECRET_NAME, "secret": secret}
    recv, secrets = [], []
    for name, kind, key, value, config in extra:
        recv.append("  - name: %s\n    %s:\n      secretRef:\n        name: %s-webhook\n%s"
                    % (name, kind, name, config))
        secrets.append("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: %s-webhook\n"
                       "  namespace: %s\ntype: Opaque\nstringData:\n  %s: \"%s\"\n"
                       % (name, project, key, value))
    head = head.replace("---\n", "".join(recv) + "---\n", 1)
    return head + "".join(secrets)


def warehouse(project, name, subs, labels=None):
    out = [
        "---\n",
        "apiVersion: kargo.akuity.io/v1alpha1\n",
        "kind: Warehouse\n",
        "metadata:\n",
        "  name: %s\n" % name,
        "  namespace: %s\n" % project,
    ]
    if labels:
        out.append("  labels:\n")
        out += ["    %s: %s\n" % kv for kv in sorted(labels.items())]
    out += [
        "spec:\n",
        "  interval: 5m0s\n",
        "  subscriptions:\n",
    ]
    for s in subs:
        if "image" in s:
            out.append("  - image:\n      repoURL: %s\n" % s["image"])
            for key in ("imageSelectionStrategy", "constraint"):
                if key in s:
                    out.append("      %s: '%s'\n" % (key, s[key]))
            continue
        out.append("  - git:\n      repoURL: %s\n" % s["url"])
        for key in ("branch", "commitSelectionStrategy", "semverConstraint"):
            if key in s:
                out.append("      %s: %s\n" % (key, s[key]))
        if "ignoreTagsRegexes" in s:
            out.append("      ignoreTagsRegexes:\n")
            for rx in s["ignoreTagsRegexes"]:
                out.append("      - '%s'\n" % rx)
    return "".join(out)


def https_url(ws, repo):
    return "https://bitbucket.org/%s/%s.git" % (ws, repo)


def ssh_url(ws, repo):
    return "git@bitbucket.org:%s/%s.git" % (ws, repo)


def filler(project, i, rng):
    """One ordinary Warehouse of a project: a mix of the shapes seen in
    real Kargo projects (branch, SSH, tags, plus an image)."""
    ws = "acme-" + project
    repo = "svc-%04d" % (i % 400)
    kind = i % 5
    if kind == 0:
        subs = [{"url": https_url(ws, repo), "branch": "main"}]
    elif kind == 1:
        subs = [{"url": ssh_url(ws, repo), "branch": "develop"}]
    elif kind == 2:
        subs = [{"url": https_url(ws, repo), "commitSelectionStrategy": "SemVer",
                 "semverConstraint": "^%d.0.0" % (1 + i % 3)}]
    elif kind == 3:
        subs = [{"url": https_url(ws, repo), "commitSelectionStrategy": "NewestTag",
                 "ignoreTagsRegexes": ["-rc\\.[0-9]+$"]}]
    else:
        subs = [{"url": https_url(ws, repo), "branch": "release/%d.x" % (i % 4)},
                {"image": "ghcr.io/%s/%s" % (ws, repo)}]
    return warehouse(project, "%s-wh-%05d" % (repo, i), subs)


def special(project, target):
    """The Warehouses on acme/payments-api: two match a push of main in the
    target project; in other projects they are out of the receiver's scope."""
    out = [
        warehouse(project, "payments-api-main",
                  [{"url": https_url(WORKSPACE, REPO), "branch": "main"}]),
    ]
    if target:
        out += [
            warehouse(project, "payments-api-ssh", [{"url": ssh_url(WORKSPACE, REPO)}]),
            warehouse(project, "payments-api-release",
                      [{"url": https_url(WORKSPACE, REPO), "branch": "release/2.x"}]),
            warehouse(project, "payments-api-tags",
                      [{"url": https_url(WORKSPACE, REPO), "commitSelectionStrategy": "SemVer",
                        "semverConstraint": "^2.0.0"}]),
        ]
    return out


def kind_warehouses(project, target):
    """Each kind's Warehouses (kinds_world.KINDS): in the target project
    the two its push refreshes and the two it must reject; elsewhere one
    out of the receiver's scope. Labels where the kind gives them."""
    out = []
    for k in kinds_world.KINDS:
        subs = k["subs"]
        labels = k.get("labels", {})
        if target:
            for i, s in enumerate(subs["match"] + subs["reject"]):
                role = "match" if i < 2 else "reject"
                out.append(warehouse(project, "%s-%s-%d" % (k["name"], role, i % 2), [s],
                                     labels.get(role)))
        else:
            out.append(warehouse(project, "%s-shared" % k["name"], [subs["share"]]))
    return out


def kind_requests(out_dir, project, secrets):
    """world.json's "kinds": each receiver's path and request files."""
    out = []
    for k in kinds_world.KINDS:
        secret = secrets[k["name"]].encode()
        body = kinds_world.fixture(k)
        bf, hf = kinds_world.write_request(out_dir, k["name"], k["headers"](secret, body), body)
        path = "/%s/%s" % (k["kind"], hashlib.sha256(project.encode() + k["name"].encode()
                                                     + secret).hexdigest())
        out.append({"name": k["name"], "kind": k["kind"], "path": path, "body_file": bf,
                    "headers_file": hf, "id_header": k["id"], "body_bytes": len(body),
                    "expect": k["expect"](project) if "expect" in k else EXPECTED_ANSWER})
    return out


def user(rng, name, display):
    uid = "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16),
                                          rng.getrandbits(16), rng.getrandbits(16),
                                          rng.getrandbits(48))
    return {
        "display_name": display,
        "links": {
            "self": {"href": "https://api.bitbucket.org/2.0/users/%7B" + uid + "%7D"},
            "avatar": {"href": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/initials/%s-5.png" % display[:2].upper()},
            "html": {"href": "https://bitbucket.org/%7B" + uid + "%7D/"},
        },
        "type": "user",
        "uuid": "{" + uid + "}",
        "account_id": "5f%022x" % rng.getrandbits(88),
        "nickname": name,
    }


def commit(rng, api, html, sha, parent, author, msg, date):
    return {
        "type": "commit",
        "hash": sha,
        "date": date,
        "author": {"type": "author", "raw": "%s <%s@acme.example>" % (author["display_name"], author["nickname"]), "user": author},
        "message": msg + "\n",
        "summary": {"type": "rendered", "raw": msg + "\n", "markup": "markdown", "html": "<p>%s</p>" % msg},
        "links": {
            "self": {"href": "%s/commit/%s" % (api, sha)},
            "html": {"href": "%s/commits/%s" % (html, sha)},
        },
        "parents": [{"type": "commit", "hash": parent}],
    }


def push_body(rng):
    api = "https://api.bitbucket.org/2.0/repositories/%s/%s" % (WORKSPACE, REPO)
    html = "https://bitbucket.org/%s/%s" % (WORKSPACE, REPO)
    actor = user(rng, "dana", "Dana Developer")
    messages = ["Retry idempotent refunds on 503", "Add settlement batch metrics",
                "Raise payment intent timeout to 30s"]
    shas = ["%040x" % rng.getrandbits(160) for _ in range(len(messages) + 1)]
    commits = []
    for i, msg in enumerate(messages):
        commits.append(commit(rng, api, html, shas[i + 1], shas[i], actor, msg,
                              "2025-06-02T14:%02d:17+00:00" % (10 + i)))
    commits.reverse()  # newest first, as Bitbucket lists them

    def ref(sha, c):
        return {"type": "branch", "name": "main",
                "links": {"commits": {"href": "%s/commits/main" % api},
                          "self": {"href": "%s/refs/branches/main" % api},
                          "html": {"href": "%s/branch/main" % html}},
                "target": c}
    change = {
        "old": ref(shas[0], {"type": "commit", "hash": shas[0], "date": "2025-06-02T09:12:44+00:00",
                             "message": "Release 2.14.0\n",
                             "links": {"self": {"href": "%s/commit/%s" % (api, shas[0])},
                                       "html": {"href": "%s/commits/%s" % (html, shas[0])}}}),
        "new": ref(shas[-1], commits[0]),
        "truncated": False, "created": False, "forced": False, "closed": False,
        "links": {"commits": {"href": "%s/commits?include=%s&exclude=%s" % (api, shas[-1], shas[0])},
                  "diff": {"href": "%s/diff/%s..%s" % (api, shas[-1], shas[0])},
                  "html": {"href": "%s/branches/compare/%s..%s" % (html, shas[-1], shas[0])}},
        "commits": commits,
    }
    repo = {
        "type": "repository", "full_name": "%s/%s" % (WORKSPACE, REPO), "name": REPO,
        "is_private": True, "scm": "git", "website": None,
        "uuid": "{%08x-1b2c-4d5e-8f90-%012x}" % (rng.getrandbits(32), rng.getrandbits(48)),
        "links": {"self": {"href": api}, "html": {"href": html},
                  "avatar": {"href": "https://bytebucket.org/ravatar/%7Bpayments-api%7D?ts=default"}},
        "project": {"type": "project", "key": "PAY", "name": "Payments",
                    "uuid": "{%08x-0000-4000-8000-000000000001}" % rng.getrandbits(32),
                    "links": {"self": {"href": "https://api.bitbucket.org/2.0/workspaces/acme/projects/PAY"},
                              "html": {"href": "https://bitbucket.org/acme/workspace/projects/PAY"},
                              "avatar": {"href": "https://bitbucket.org/acme/workspace/projects/PAY/avatar/32"}}},
        "workspace": {"type": "workspace", "slug": WORKSPACE, "name": "ACME",
                      "uuid": "{%08x-0000-4000-8000-000000000002}" % rng.getrandbits(32),
                      "links": {"self": {"href": "https://api.bitbucket.org/2.0/workspaces/acme"},
                                "html": {"href": "https://bitbucket.org/acme/"},
                                "avatar": {"href": "https://bitbucket.org/workspaces/acme/avatar/"}}},
        "owner": {"type": "team", "display_name": "ACME", "username": "acme",
                  "uuid": "{%08x-0000-4000-8000-000000000003}" % rng.getrandbits(32),
                  "links": {"self": {"href": "https://api.bitbucket.org/2.0/workspaces/acme"},
                            "html": {"href": "https://bitbucket.org/acme/"},
                            "avatar": {"href": "https://bitbucket.org/workspaces/acme/avatar/"}}},
    }
    # Bitbucket Cloud sends compact JSON.
    return json.dumps({"push": {"changes": [change]}, "repository": repo, "actor": actor},
                      separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--warehouses", type=int, default=10000)
    ap.add_argument("--projects", type=int, default=100)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--kinds", action="store_true",
                    help="a receiver of every kind in the target project")
    a = ap.parse_args()
    n_sharing = min(10, a.projects - 1)
    n_special = 4 + n_sharing
    if a.kinds:
        n_special *= 1 + len(kinds_world.KINDS)
    if a.projects <= TARGET_PROJECT or a.warehouses < n_special:
        sys.exit("gen_world: need more than %d projects and at least %d warehouses"
                 % (TARGET_PROJECT, n_special))
    rng = random.Random(a.seed)
    mdir = os.path.join(a.out, "manifests")
    os.makedirs(mdir, exist_ok=True)
    secrets = [secret_for(rng) for _ in range(a.projects)]
    # Projects that share acme/payments-api besides the target.
    sharing = [(TARGET_PROJECT + 1 + k * 7) % a.projects for k in range(n_sharing)]
    fillers = a.warehouses - n_special
    # The other kinds' secrets come from their own generator, so --kinds
    # leaves the Bitbucket secrets and push body as they were.
    krng = random.Random(a.seed + 1)
    ksecrets = {k["name"]: secret_for(krng) for k in kinds_world.KINDS} if a.kinds else {}
    extra = [(k["name"], k["kind"], k["key"], ksecrets[k["name"]], k.get("config", ""))
             for k in kinds_world.KINDS] if a.kinds else []
    for p in range(a.projects):
        name = project_name(p)
        target = p == TARGET_PROJECT
        parts = [project_header(name, secrets[p], extra if target else ())]
        if target or p in sharing:
            parts += special(name, target)
            if a.kinds:
                parts += kind_warehouses(name, target)
        # fillers spread round-robin: project p gets indexes p, p+P, ...
        parts += [filler(name, i, rng) for i in range(p, fillers, a.projects)]
        with open(os.path.join(mdir, name + ".yaml"), "w") as f:
            f.write("".join(parts))
    body = push_body(rng)
    with open(os.path.join(a.out, "push.json"), "wb") as f:
        f.write(body)
    secret = secrets[TARGET_PROJECT].encode()
    project = project_name(TARGET_PROJECT)
    path = "/bitbucket/" + hashlib.sha256(project.encode() + RECEIVER.encode() + secret).hexdigest()
    bb_body, bb_headers = kinds_world.write_request(
        a.out, RECEIVER, kinds_world.BITBUCKET_HEADERS(secret, body), body)
    kinds = [{"name": RECEIVER, "kind": "bitbucket", "path": path, "body_file": bb_body,
              "headers_file": bb_headers, "id_header": kinds_world.BITBUCKET_ID,
              "body_bytes": len(body), "expect": EXPECTED_ANSWER}]
    if a.kinds:
        kinds += kind_requests(a.out, project, ksecrets)
    world = {
        "warehouses": a.warehouses,
        "projects": a.projects,
        "project": project,
        "receiver": RECEIVER,
        "path": path,
        "secret": secret.decode(),
        "signature": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        "body_bytes": len(body),
        "expected_answer": EXPECTED_ANSWER,
        "kinds": kinds,
    }
    with open(os.path.join(a.out, "world.json"), "w") as f:
        json.dump(world, f, indent=1)
    print("gen_world: %d Warehouses in %d projects, push body %d bytes -> %s"
          % (a.warehouses, a.projects, len(body), a.out))


if __name__ == "__main__":
    main()
