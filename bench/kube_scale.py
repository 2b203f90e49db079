#!/usr/bin/env python3
"""Kubernetes mode at scale against the fake API server (tests/kube/):

    kube_scale.py BIN N_WAREHOUSES

puts N Warehouses (one git subscription each, 100 projects), one
ProjectConfig and Secret into the fake, starts `BIN serve --kubeconfig`
and prints the time to ready, the RSS once ready, the time of a snapshot
rebuild (from the program's debug log) and the RSS after a rebuild
triggered by changing one Warehouse; also the CPU seconds the program
spent until ready and those of this process (mostly the fake) meanwhile,
which stay comparable on a loaded machine. Not a test: numbers for
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


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def measure(binary, n, workdir=None):
    """The numbers above for n Warehouses, as a dict. Stops what it starts."""
    tmp = workdir or tempfile.mkdtemp(prefix="kube-scale-")
    os.makedirs(tmp, exist_ok=True)
    fk = FakeKube(os.path.join(tmp, "fk"))
    p = None
    try:
        fk.put({"apiVersion": API, "kind": "ProjectConfig",
                "metadata": {"name": "team-000", "namespace": "team-000"},
                "spec": {"webhookReceivers": [{"name": "bb", "bitbucket": {"secretRef": {"name": "s"}}}]}})
        fk.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "team-000"},
                "data": {"secret": base64.b64encode(b"x").decode()}})
        for i in range(n):
            fk.put(warehouse(i))
        port_file = os.path.join(tmp, "port")
        log = open(os.path.join(tmp, "log"), "w+")
        t0 = time.time()
        fake0 = time.process_time()
        p = subprocess.Popen([binary, "serve", "--kubeconfig", fk.kubeconfig, "--listen", "127.0.0.1:0",
                              "--port-file", port_file, "--state", os.path.join(tmp, "st.db"),
                              "--log-level", "debug"], stderr=log, stdout=subprocess.DEVNULL)
        while not os.path.exists(port_file):
            if p.poll() is not None:
                raise SystemExit("kube_scale: the program exited; see %s" % tmp)
            time.sleep(0.01)
        port = int(open(port_file).read())
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=5)
                break
            except Exception:  # noqa: BLE001 - 503 until synced
                if time.time() - t0 > 120:
                    raise SystemExit("kube_scale: not ready after 120 s; see %s" % tmp)
                time.sleep(0.05)
        ready = time.time() - t0
        cpu_ready = cpu_s(p.pid)
        fake_cpu = time.process_time() - fake0
        time.sleep(1)
        rss_ready = rss_kb(p.pid)
        w = warehouse(7)
        w["spec"]["subscriptions"][0]["git"]["branch"] = "develop"
        fk.put(w)
        time.sleep(2)
        rss_after = rss_kb(p.pid)
        log.flush()
        log.seek(0)
        ms = [float(m) for m in re.findall(r'msg="snapshot rebuilt" objects=\d+ ms=([\d.]+)',
                                           log.read())]
        log.close()
        return {"warehouses": n, "ready_s": ready, "cpu_to_ready_s": cpu_ready,
                "fake_cpu_s": fake_cpu, "rss_ready_mb": rss_ready / 1024,
                "rss_after_rebuild_mb": rss_after / 1024, "rebuilds_ms": ms}
    finally:
        if p is not None and p.poll() is None:
            p.terminate()
            p.wait()
        fk.close()


def main():
    r = measure(sys.argv[1], int(sys.argv[2]))
    print("warehouses=%d ready=%.2fs cpu_to_ready=%.2fs fake_cpu=%.2fs rss_ready=%.1fMB "
          "rss_after_rebuild=%.1fMB rebuilds_ms=%s bytes_per_warehouse=%.0f" % (
              r["warehouses"], r["ready_s"], r["cpu_to_ready_s"], r["fake_cpu_s"],
              r["rss_ready_mb"], r["rss_after_rebuild_mb"], r["rebuilds_ms"],
              r["rss_after_rebuild_mb"] * 1024 * 1024 / r["warehouses"]))


if __name__ == "__main__":
    main()
