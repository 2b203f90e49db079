"""Replays tests/fixtures/bitbucket/ (real Bitbucket payloads, provenance in
its PROVENANCE.md) against the real binary: every fixture gets the answer
docs/contract.md gives, and the five golden signatures verify. The
fixtures are part of the repository: a missing folder is a failure."""
import json
import os
import re

import kw
from kw import Server, eq, expect, write

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.normpath(os.path.join(HERE, "..", "fixtures", "bitbucket"))
SUPPORTED = {"repo:push", "repo:refs_changed", "pullrequest:fulfilled",
             "pullrequest:rejected", "pr:merged", "pr:declined"}
GOLDEN = [
    ("cloud-repo-push-branch-create-signed-jenkins-bbs.json", b"Gkvl$k$wyNpQAF42",
     "sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a035",
     ["sha256=f205c729821c6954aff2afe72b965c34015b4baf96ea8ddc2cc44999c014a036"]),
    ("server-refs-changed-personal-repo-delete-go-playground.json", b"secret",
     "sha256=8a60f7487d167f55886df87d4077192035d76f76a8e0b3a48fd8ae8cad25f391", ["sha256=111"]),
    ("server-pr-merged-go-playground.json", b"secret",
     "sha256=adbee42ddd6a178b0c1160e89f666b53fb8c76495f782a4e3055e3fbee232704", []),
    ("server-pr-declined-go-playground.json", b"secret",
     "sha256=e323ab4d057f32475340d03c90aa9ec20cd3a96c15200d75e59f221c14053528", []),
    ("server-refs-changed-branch-update-signed-go-scm.json", b"71295b197fa25f4356d2fb9965df3f2379d903d7",
     "sha256=c90565fa018f3039414a7929c9187a147f1ac463076961c4cf411e3c67c541f8",
     ["sha256=380f462cd2e160b84765144beabdad2e930a7ec5"]),
]


def event_keys():
    keys = {}
    with open(os.path.join(FIXTURES, "PROVENANCE.md")) as f:
        for line in f:
            m = re.match(r"\| `([^`]+\.json)` \| `([^`]+)` \|", line)
            if m and m.group(1) not in keys:
                keys[m.group(1)] = m.group(2)
    return keys


def manifests(tmp, secrets):
    docs = []
    for i, secret in enumerate(secrets):
        docs.append("""apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata: {name: p%d, namespace: p%d}
spec:
  webhookReceivers:
    - name: r
      bitbucket: {secretRef: {name: s}}
---
apiVersion: v1
kind: Secret
metadata: {name: s, namespace: p%d}
stringData:
  secret: %s
""" % (i, i, i, json.dumps(secret.decode())))
    # Every repository a push fixture names, subscribed with a Lexical
    # selection (any tag) and its default branch.
    docs.append("""apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata: {name: wh, namespace: p0}
spec:
  subscriptions:
    - git: {repoURL: "https://bitbucket.org/lkysow/atlantis-example"}
""")
    d = os.path.join(tmp, "m")
    write(os.path.join(d, "all.yaml"), "---\n".join(docs))
    return d


def test_fixtures_replay(tmp):
    keys = event_keys()
    files = sorted(f for f in os.listdir(FIXTURES) if f.endswith(".json"))
    eq(len(files), 41, "the 41 payloads of tests/fixtures/bitbucket")
    eq(len(files), len(keys), "every fixture has an event key")
    secrets = [b"replay-secret"] + [g[1] for g in GOLDEN]
    s = Server(tmp, [manifests(tmp, secrets)])
    path0 = kw.receiver_path("p0", "r", secrets[0])
    try:
        for name in files:
            with open(os.path.join(FIXTURES, name), "rb") as f:
                body = f.read()
            key = keys[name]
            st, _, b = s.push(path0, key, body, secrets[0])
            if key == "diagnostics:ping":
                eq((st, b), (200, b'{"msg":"pong"}\n'), name)
            elif key in SUPPORTED:
                noun = "promotion" if key.startswith(("pr:", "pullrequest:")) else "warehouse"
                expect(st == 200 and re.fullmatch(rb'\{"msg":"refreshed \d+ %s\(s\)"\}\n' % noun.encode(), b),
                       "%s: %d %r" % (name, st, b))
            else:
                eq((st, b), (400, b'{"error":"event type %s is not supported"}\n' % key.encode()), name)
        for i, (name, secret, sig, bad) in enumerate(GOLDEN):
            with open(os.path.join(FIXTURES, name), "rb") as f:
                body = f.read()
            eq(kw.sign(secret, body), sig, "golden vector recomputed for " + name)
            path = kw.receiver_path("p%d" % (i + 1), "r", secret)
            st, _, b = s.push(path, keys[name], body, headers={"X-Hub-Signature": sig})
            eq(st, 200, "golden signature verifies: %s %r" % (name, b))
            for wrong in bad:
                st, _, b = s.push(path, keys[name], body, headers={"X-Hub-Signature": wrong})
                eq((st, b), (401, b'{"error":"unauthorized"}\n'), "negative " + wrong)
    finally:
        s.stop()


def run(t, only=()):
    if not only or "test_fixtures_replay" in only:
        t.run(test_fixtures_replay)
