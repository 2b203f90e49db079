#!/usr/bin/env python3
"""Kubernetes mode at scale against the fake API server (tests/kube/):

    kube_scale.py BIN N_WAREHOUSES

puts N Warehouses (one git subscription each, 100 projects), one
ProjectConfig and Secret into the fake, starts `BIN serve --kubeconfig`
and prints the time to ready, the RSS once ready, the time of a snapshot
rebuild (from the program's debug log) and the RSS after a rebuild
triggered by changing one Warehouse. Not a test: numbers for
docs/performance.md.
"""
import base64
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "kube"))
from fakekube import FakeKube  # noqa: E402

API = "kargo.akuity.io/v1alpha1"


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def warehouse(i):
    ns = "team-%03d" % (i % 100)
    return {"apiVersion": API, "kind": "Warehouse",
            "metadata": {"name": "wh-%06d" % i, "namespace": ns, "resourceVersion": "1",
                         "uid": "u-%d" % i, "generation": 1},
            "spec": {"interval": "5m0s", "subscriptions": [{"git": {
                "repoURL": "https://bitbucket.org/acme/repo-%d.git" % (i % 5000),
                "branch": "main", "commitSelectionStrategy": "NewestFromBranch",
                "discoveryLimit": 20}}]}}


def main():
    binary, n = sys.argv[1], int(sys.argv[2])
    tmp = tempfile.mkdtemp(prefix="kube-scale-")
    fk = FakeKube(os.path.join(tmp, "fk"))
    fk.put({"apiVersion": API, "kind": "ProjectConfig",
            "metadata": {"name": "team-000", "namespace": "team-000"},
            "spec": {"webhookReceivers": [{"name": "bb", "bitbucket": {"secretRef": {"name": "s"}}}]}})
    fk.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-000"},
            "data": {"secret": base64.b64encode(b"x").decode()}})
    t = time.time()
    for i in range(n):
        fk.put(warehouse(i))
    print("put %d warehouses into the fake in %.1fs" % (n, time.time() - t))
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "log"), "w+")
    t0 = time.time()
    p = subprocess.Popen([binary, "serve", "--kubeconfig", fk.kubeconfig, "--listen", "127.0.0.1:0",
                          "--port-file", port_file, "--state", os.path.join(tmp, "st.db"),
                          "--log-level", "debug"], stderr=log, stdout=subprocess.DEVNULL)
    while not os.path.exists(port_file):
        time.sleep(0.01)
    port = int(open(port_file).read())
    while True:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5)
            break
        except Exception:  # noqa: BLE001 - 503 until synced
            time.sleep(0.05)
    ready = time.time() - t0
    time.sleep(1)
    rss_ready = rss_kb(p.pid)
    w = warehouse(7)
    w["spec"]["subscriptions"][0]["git"]["branch"] = "develop"
    fk.put(w)
    time.sleep(2)
    rss_after = rss_kb(p.pid)
    log.flush()
    log.seek(0)
    ms = [float(m) for m in re.findall(r'msg="snapshot rebuilt" objects=\d+ ms=([\d.]+)', log.read())]
    print("warehouses=%d ready=%.2fs rss_ready=%.1fMB rss_after_rebuild=%.1fMB "
          "rebuilds_ms=%s bytes_per_warehouse=%.0f" % (
              n, ready, rss_ready / 1024, rss_after / 1024, ms, rss_after * 1024 / n))
    p.terminate()
    p.wait()
    fk.close()


if __name__ == "__main__":
    main()
