#!/usr/bin/env python3
"""The Kubernetes part of `make bench` (issue 7; docs/performance.md).

Against the fake API server (tests/kube/, Python, TLS on 127.0.0.1) with
2 ms added to every PATCH, `serve --kubeconfig` from the release build:

  push storm   wrk (bench/post.lua) with 64 connections for --seconds,
               pushes to one repository that 3 Warehouses subscribe to;
               pushes/s, and the PATCHes the fake received per 1,000
               answered pushes (Kargo sends 3 per push: 3,000)
  scale        --warehouses Warehouses (one git subscription each, 100
               namespaces): time to ready, RSS once ready and after a
               rebuild (bench/kube_scale.py)

Every answer is checked (200 and the exact body); a run with a wrong answer,
a socket error or a timeout fails the benchmark. Writes
build/bench/kube_results.{json,md} and prints the table. Everything it
starts (the fake's threads, the program, wrk) is stopped on exit, also on
SIGINT/SIGTERM.

    kube_bench.py [--seconds S] [--warehouses N] [--binary PATH] [--out DIR]
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "kube"))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)
from fakekube import FakeKube  # noqa: E402
import kube_scale  # noqa: E402
from kw import receiver_path, sign  # noqa: E402
from world import cloud_push  # noqa: E402

API = "kargo.akuity.io/v1alpha1"
SECRET = b"kube-bench-secret"
REPO = "https://bitbucket.org/acme/storm"
CONNS = 64
PATCH_DELAY = 0.002


def fail(msg):
    raise SystemExit("kube_bench: " + msg)


def on_signal(signum, frame):
    raise SystemExit("kube_bench: interrupted by signal %d" % signum)


def storm_world(fk):
    fk.put({"apiVersion": API, "kind": "ProjectConfig",
            "metadata": {"name": "bench", "namespace": "bench"},
            "spec": {"webhookReceivers": [{"name": "bb", "bitbucket": {"secretRef": {"name": "s"}}}]}})
    fk.put({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "bench"},
            "type": "Opaque", "data": {"secret": base64.b64encode(SECRET).decode()}})
    for i in range(3):
        fk.put({"apiVersion": API, "kind": "Warehouse",
                "metadata": {"name": "storm-%d" % i, "namespace": "bench"},
                "spec": {"subscriptions": [{"git": {"repoURL": REPO, "branch": "main"}}]}})


def start(binary, fk, tmp):
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "server.log"), "ab")
    p = subprocess.Popen([binary, "serve", "--kubeconfig", fk.kubeconfig,
                          "--rate-per-client", "0", "--rate-per-receiver", "0",
                          "--max-per-ip", "0", "--max-connections", "2048",
                          "--listen", "127.0.0.1:0", "--port-file", port_file,
                          "--state", os.path.join(tmp, "state.db")],
                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         env=dict(os.environ, KUBECONFIG=""))
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if p.poll() is not None:
            fail("the program exited with %s; see %s" % (p.returncode, tmp))
        if os.path.exists(port_file):
            port = int(open(port_file).read())
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=2)
                return p, port
            except (urllib.error.URLError, OSError, ValueError):
                pass
        time.sleep(0.02)
    fail("not ready after 60 s; see %s" % tmp)


def one_push(url, body, sig):
    """One push by hand: (status, body)."""
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Event-Key": "repo:push",
        "X-Hub-Signature": sig, "X-Request-UUID": "kube-bench-check-%d" % time.time_ns()})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wrk(url, body_file, sig, expect, seconds):
    """wrk with bench/post.lua: Bitbucket's headers, a unique
    X-Request-UUID per request, every answer checked."""
    headers_file = body_file + ".headers"
    with open(headers_file, "w") as f:
        f.write("User-Agent: Bitbucket-Webhooks/2.0\nContent-Type: application/json\n"
                "X-Event-Key: repo:push\nX-Hub-Signature: %s\nX-Attempt-Number: 1\n" % sig)
    env = dict(os.environ, BENCH_BODY=body_file, BENCH_HEADERS=headers_file,
               BENCH_ID_HEADER="X-Request-UUID", BENCH_EXPECT=expect,
               BENCH_RUN=str(int(time.time()) % 100000), BENCH_CLOSE="0", BENCH_SAME_UUID="0")
    argv = ["wrk", "-t2", "-c%d" % CONNS, "-d%ds" % seconds, "--timeout", "5s",
            "-s", os.path.join(HERE, "post.lua"), url]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True,
                              timeout=seconds + 30)
        out, err = done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        fail("wrk did not finish")
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        fail("no result from wrk:\n%s%s" % (out, err))
    r = {}
    for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(1)):
        r[k] = v.strip('"') if v.startswith('"') else int(v)
    r["errors"] = sum(r[k] for k in ("connect", "read", "write", "timeout",
                                     "bad_status", "bad_body"))
    return r


def storm(binary, seconds, tmp):
    fk = FakeKube(os.path.join(tmp, "fk"))
    p = None
    try:
        storm_world(fk)
        p, port = start(binary, fk, tmp)
        url = "http://127.0.0.1:%d%s" % (port, receiver_path("bench", "bb", SECRET))
        body = cloud_push(href=REPO, full_name="acme/storm")
        body_file = os.path.join(tmp, "push.json")
        with open(body_file, "wb") as f:
            f.write(body)
        sig = sign(SECRET, body)
        status, expect = one_push(url, body, sig)
        if status != 200 or "3 warehouse" not in expect:
            fail("the check push answered %d %r" % (status, expect))
        fk.set_patch_delay(PATCH_DELAY)
        fk.clear_calls()
        r = wrk(url, body_file, sig, expect, seconds)
        patches = len(fk.patches("Warehouse"))
        if r["errors"]:
            fail("wrong answers or errors during the storm: %r" % r)
        if p.poll() is not None:
            fail("the program died during the storm")
        pushes = r["requests"]
        return {"conns": CONNS, "seconds": r["duration_us"] / 1e6, "pushes": pushes,
                "pushes_per_s": pushes / (r["duration_us"] / 1e6),
                "p50_ms": r["p50_us"] / 1000.0, "p99_ms": r["p99_us"] / 1000.0,
                "patches": patches,
                "patches_per_1000": 1000.0 * patches / pushes if pushes else None}
    finally:
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        fk.close()


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": cpu, "load": os.getloadavg()[0]}


def report(res):
    s, k, m = res["storm"], res["scale"], res["machine"]
    return "\n".join([
        "Kubernetes mode against the fake API server (PATCH +%.0f ms); %d cores, %s, "
        "load %.1f at the start" % (PATCH_DELAY * 1000, m["nproc"], m["cpu"], m["load"]),
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        "| pushes/s, %d connections, 3 Warehouses per push | %.0f (p50 %.1f ms, p99 %.1f ms) | |" % (
            s["conns"], s["pushes_per_s"], s["p50_ms"], s["p99_ms"]),
        "| PATCHes per 1,000 pushes (Kargo: 3,000) | %.1f (%d for %d) | <= 300 |" % (
            s["patches_per_1000"], s["patches"], s["pushes"]),
        "| %d Warehouses: time to ready | %.1f s (program CPU %.1f s, fake CPU %.1f s) | <= 5 s |" % (
            k["warehouses"], k["ready_s"], k["cpu_to_ready_s"], k["fake_cpu_s"]),
        "| %d Warehouses: RSS ready / after a rebuild | %.1f / %.1f MB | <= 64 MB |" % (
            k["warehouses"], k["rss_ready_mb"], k["rss_after_rebuild_mb"]),
        "| %d Warehouses: snapshot rebuild | %s ms | |" % (
            k["warehouses"], ", ".join("%.0f" % x for x in k["rebuilds_ms"])),
        ""])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warehouses", type=int, default=100000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "kargo-webhooks"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    a, _ = ap.parse_known_args()  # run.sh passes bench.py's options too
    signal.signal(signal.SIGTERM, on_signal)
    if shutil.which("wrk") is None:
        fail("wrk is not installed (sh scripts/deps.sh bench)")
    os.makedirs(a.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="kube-bench-", dir=a.out)
    try:
        res = {"machine": machine()}
        print("kube_bench: push storm, %d connections, %d s" % (CONNS, a.seconds), flush=True)
        res["storm"] = storm(a.binary, a.seconds, os.path.join(tmp, "storm"))
        print("kube_bench: %d Warehouses" % a.warehouses, flush=True)
        res["scale"] = kube_scale.measure(a.binary, a.warehouses, os.path.join(tmp, "scale"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = report(res)
    with open(os.path.join(a.out, "kube_results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(a.out, "kube_results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
