#!/usr/bin/env python3
"""The benchmark behind `make bench` (docs/performance.md).

Drives ./kargo-webhooks and two baselines with wrk on 127.0.0.1, with the
same signed Bitbucket push, the same headers and a unique X-Request-UUID per
request:
  nginx    the floor: one worker answering a fixed 200 JSON (body read and
           discarded)
  webhook  the peer: adnanh/webhook checking payload-hmac-sha256 and
           X-Event-Key, no command
Every answer is checked (status 200 and the exact body); a run with a wrong
answer, a socket error or a timeout is void and fails the benchmark.
Prints one table and the targets, and writes build/bench/results.{json,md}.
Every server it starts is stopped on exit, also on SIGINT/SIGTERM.

Then every receiver kind end to end (bench_kinds.py) unless --no-kinds.

    bench.py [--seconds S] [--binary PATH] [--out DIR] [--no-kinds]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONNS = [1, 16, 64, 256]
STALL_CONNS = [384, 512]
SERVERS = ["ours", "nginx", "webhook"]

started = []  # every child process: stopped in stop_all()


def log(msg):
    print(msg, flush=True)


def fail(msg):
    raise SystemExit("bench: " + msg)


def on_signal(signum, frame):
    raise SystemExit("bench: interrupted by signal %d" % signum)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(argv, logfile, **kw):
    out = open(logfile, "ab")
    p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, **kw)
    out.close()
    started.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(5)


def stop_all():
    for p in reversed(started):
        stop(p)
    started.clear()


def proc_status(pid, key):
    """A VmHWM/VmRSS value of /proc/PID/status in MiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def reset_peak(pid):
    """Restarts VmHWM at the current RSS, so each run has its own peak."""
    try:
        with open("/proc/%d/clear_refs" % pid, "w") as f:
            f.write("5")
    except OSError:
        pass


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.001)
    fail("timed out waiting for " + what)


def wait_port(port, timeout=10):
    def up():
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            return False
    wait_for(up, timeout, "port %d" % port)


class Server:
    def __init__(self, name, proc, port, path, rss_pid):
        self.name, self.proc, self.port, self.path = name, proc, port, path
        self.rss_pid = rss_pid  # the process whose peak RSS is reported

    def url(self):
        return "http://127.0.0.1:%d%s" % (self.port, self.path)


def start_ours(binary, world, wdir, tag, extra=()):
    state = os.path.join(wdir, "state-%s.db" % tag)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.unlink(state + suffix)
    port_file = os.path.join(wdir, "port-%s" % tag)
    if os.path.exists(port_file):
        os.unlink(port_file)
    argv = [binary, "serve", "--manifests", os.path.join(wdir, "manifests"),
            "--rate-per-client", "0", "--rate-per-receiver", "0",
            "--max-per-ip", "0", "--max-connections", "2048",
            "--listen", "127.0.0.1:0", "--port-file", port_file,
            "--state", state, "--no-watch"] + list(extra)
    t0 = time.monotonic()
    p = spawn(argv, os.path.join(wdir, "server-%s.log" % tag))

    def ready():
        if p.poll() is not None:
            fail("our server exited with %s; see %s" % (p.returncode, wdir))
        return os.path.exists(port_file)
    wait_for(ready, 60, "our server's port file")
    startup = time.monotonic() - t0
    rss = proc_status(p.pid, "VmHWM")
    with open(port_file) as f:
        port = int(f.read())
    s = Server("ours", p, port, world["path"], p.pid)
    s.state, s.startup, s.startup_rss = state, startup, rss
    return s


def start_nginx(world, bdir):
    d = os.path.join(bdir, "nginx")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    with open(os.path.join(HERE, "nginx.conf.in")) as f:
        conf = f.read().replace("@DIR@", d).replace("@PORT@", str(port))
    conf = conf.replace("@ANSWER@", json.dumps(world["expected_answer"])[1:-1])
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(conf)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    p = spawn([nginx, "-p", d, "-c", os.path.join(d, "nginx.conf"), "-e",
               os.path.join(d, "error.log")], os.path.join(d, "stdout.log"))
    wait_port(port)
    wait_for(lambda: children(p.pid), 5, "the nginx worker")
    return Server("nginx", p, port, world["path"], children(p.pid)[0])


def start_webhook(world, bdir):
    d = os.path.join(bdir, "webhook")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    with open(os.path.join(HERE, "hooks.json.in")) as f:
        hooks = json.load(f)
    hooks[0]["response-message"] = world["expected_answer"]
    hooks[0]["trigger-rule"]["and"][0]["match"]["secret"] = world["secret"]
    with open(os.path.join(d, "hooks.json"), "w") as f:
        json.dump(hooks, f, indent=1)
    p = spawn(["webhook", "-hooks", os.path.join(d, "hooks.json"), "-ip",
               "127.0.0.1", "-port", str(port), "-http-methods", "POST"],
              os.path.join(d, "webhook.log"))
    wait_port(port)
    return Server("webhook", p, port, "/hooks/" + hooks[0]["id"], p.pid)


def kind_url(server, kind):
    """Where a kind's requests go: its receiver's path on our server; the
    baselines have one path for all."""
    if kind is None:
        return server.url()
    return "http://127.0.0.1:%d%s" % (server.port, kind["path"])


def check_answer(server, world, kind=None):
    """One request by hand before any load: the server must answer right.
    kind: one of world["kinds"] (default Bitbucket's request)."""
    k = kind or world["kinds"][0]
    with open(k["body_file"], "rb") as f:
        body = f.read()
    headers = {}
    with open(k["headers_file"]) as f:
        for line in f.read().splitlines():
            name, _, value = line.partition(": ")
            headers[name] = value
    if k["id_header"]:
        headers[k["id_header"]] = "00000000-check-%s-%d" % (server.name, time.time_ns())
    req = urllib.request.Request(kind_url(server, kind), data=body, method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            got = (r.status, r.read().decode())
    except urllib.error.HTTPError as e:
        got = (e.code, e.read().decode())
    expect = k.get("expect", world["expected_answer"])
    if got != (200, expect):
        fail("%s answered %r instead of 200 %r%s" % (server.name, got, expect,
             " (kind %s)" % kind["name"] if kind else ""))


RUN = [0]


def wrk(server, world, conns, seconds, close=False, same_uuid=False, kind=None):
    """One wrk run; kind: one of world["kinds"] (default Bitbucket's
    request, sent to the server's own path)."""
    RUN[0] += 1
    k = kind or world["kinds"][0]
    env = dict(os.environ, BENCH_BODY=k["body_file"], BENCH_HEADERS=k["headers_file"],
               BENCH_ID_HEADER=k["id_header"] or "",
               BENCH_EXPECT=k.get("expect", world["expected_answer"]), BENCH_RUN=str(RUN[0]),
               BENCH_CLOSE="1" if close else "0", BENCH_SAME_UUID="1" if same_uuid else "0")
    threads = min(conns, 2)
    argv = ["wrk", "-t%d" % threads, "-c%d" % conns, "-d%ds" % seconds, "--timeout", "2s",
            "-s", os.path.join(HERE, "post.lua"), kind_url(server, kind)]
    reset_peak(server.rss_pid)
    try:
        out = subprocess.run(argv, env=env, capture_output=True, text=True,
                             timeout=seconds + 30).stdout
    except subprocess.TimeoutExpired:
        fail("wrk did not finish against %s" % server.name)
    m = re.search(r"^RESULT (.*)$", out, re.M)
    if not m:
        fail("no result from wrk against %s:\n%s" % (server.name, out))
    r = {}
    for k, v in re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', m.group(1)):
        r[k] = v.strip('"') if v.startswith('"') else int(v)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["errors"] = sum(r[k] for k in ("connect", "read", "write", "timeout",
                                     "bad_status", "bad_body"))
    r["rss_mb"] = proc_status(server.rss_pid, "VmHWM")
    r.update(server=server.name, conns=conns, close=close, seconds=seconds)
    if server.proc.poll() is not None:
        fail("%s died during the run" % server.name)
    return r


def fmt_row(r, label):
    return "| %-18s | %-7s | %9.0f | %7.2f | %7.2f | %7.1f | %6d |" % (
        label, r["server"], r["rps"], r["p50_us"] / 1000.0, r["p99_us"] / 1000.0,
        r["rss_mb"] or 0, r["errors"])


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = proc_meminfo()
    ver = lambda argv: subprocess.run(argv, capture_output=True, text=True).stdout.strip() or \
        subprocess.run(argv, capture_output=True, text=True).stderr.strip()
    return {
        "nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "wrk": ver(["wrk", "-v"]).splitlines()[0],
        "nginx": ver(["nginx", "-v"]),
        "webhook": ver(["webhook", "-version"]),
    }


def proc_meminfo():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1])
    return 0


def gen(bdir, n, kinds=False):
    wdir = os.path.join(bdir, "world-%d%s" % (n, "-kinds" if kinds else ""))
    if os.path.isdir(wdir):
        shutil.rmtree(wdir)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_world.py"), wdir,
                    "--warehouses", str(n)] + (["--kinds"] if kinds else []), check=True)
    with open(os.path.join(wdir, "world.json")) as f:
        world = json.load(f)
    world["body_file"] = os.path.join(wdir, "push.json")
    world["dir"] = wdir
    return world


def verify_store(server, runs, checks=1):
    """Every request that got 200 must be its own delivery and commit: no
    replays (a repeated X-Request-UUID), and one row per request. wrk does
    not count the requests still in flight when a run ends, but the server
    does commit them: at most one per connection and run."""
    answered = checks + sum(r["requests"] for r in runs)  # checks: check_answer
    slack = sum(r["conns"] for r in runs)
    db = sqlite3.connect("file:%s?mode=ro" % server.state, uri=True)
    try:
        last = db.execute("SELECT max(id) FROM delivery").fetchone()[0] or 0
        dup = db.execute("SELECT count(*) FROM delivery WHERE refreshed LIKE 'duplicate%'"
                         ).fetchone()[0]
        tokens = db.execute("SELECT count(*) FROM refresh").fetchone()[0]
    finally:
        db.close()
    return {"deliveries": last, "expected": answered, "slack": slack,
            "duplicates_in_window": dup, "refreshed_objects": tokens,
            "ok": dup == 0 and answered <= last <= answered + slack}


def fsync_probe(bdir):
    """What one durable commit costs on this disk at least."""
    path = os.path.join(bdir, "fsync-probe")
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    ts = []
    try:
        for _ in range(200):
            t = time.perf_counter()
            os.write(fd, b"x" * 4096)
            os.fdatasync(fd)
            ts.append(time.perf_counter() - t)
    finally:
        os.close(fd)
        os.unlink(path)
    ts.sort()
    return {"p50_ms": ts[100] * 1e3, "p99_ms": ts[197] * 1e3}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--binary", default=os.path.join(ROOT, "kargo-webhooks"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--no-kinds", action="store_true",
                    help="skip the receiver kinds section (bench_kinds.py)")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bdir = os.path.abspath(a.out)
    os.makedirs(bdir, exist_ok=True)
    t_start = time.monotonic()
    res = {"machine": machine(), "seconds": a.seconds, "runs": [], "started":
           time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    log("machine: %(nproc)d x %(cpu)s, %(mem_gib)s GiB, Linux %(kernel)s" % res["machine"])
    with open("/proc/loadavg") as f:
        res["loadavg"] = " ".join(f.read().split()[:3])
    if float(res["loadavg"].split()[0]) > 0.5:
        log("warning: load average %s: other work on this machine skews the numbers"
            % res["loadavg"])
    res["fsync"] = fsync_probe(bdir)
    worlds = {n: gen(bdir, n) for n in (100, 10000, 100000)}
    w = worlds[10000]
    try:
        servers = {
            "ours": start_ours(a.binary, w, w["dir"], "main"),
            "nginx": start_nginx(w, bdir),
            "webhook": start_webhook(w, bdir),
        }
        for s in servers.values():
            check_answer(s, w)
        log("warming up")
        ours_runs = []
        for s in servers.values():
            r = wrk(s, w, 16, 2)
            if s.name == "ours":
                ours_runs.append(r)
        loads = [(c, False) for c in CONNS] + [(16, True)]
        for conns, close in loads:
            for name in SERVERS:
                r = wrk(servers[name], w, conns, a.seconds, close=close)
                r["load"] = "%d %s" % (conns, "close" if close else "keep-alive")
                res["runs"].append(r)
                log(fmt_row(r, r["load"]))
                if name == "ours":
                    ours_runs.append(r)
        for conns in STALL_CONNS:
            r = wrk(servers["ours"], w, conns, 5)
            r["load"] = "%d keep-alive" % conns
            res.setdefault("stall", []).append(r)
            ours_runs.append(r)
            log(fmt_row(r, r["load"]) + " (stall check)")
        # The store check: every 200 of our server is one new delivery.
        stop(servers["ours"].proc)
        res["store"] = verify_store(servers["ours"], ours_runs)
        # Replay (same UUID every time): what the check above rules out.
        rs = start_ours(a.binary, w, w["dir"], "replay")
        check_answer(rs, w)
        r = wrk(rs, w, 64, 5, same_uuid=True)
        r["load"] = "64 same UUID"
        res["replay"] = r
        log(fmt_row(r, r["load"]) + " (replays, not refreshes)")
        stop(rs.proc)
        # The same load with --sync normal (no fsync per commit): what the
        # durability guarantee costs.
        sn = start_ours(a.binary, w, w["dir"], "sync-normal", extra=("--sync", "normal"))
        check_answer(sn, w)
        r = wrk(sn, w, 64, a.seconds)
        r["load"] = "64 keep-alive, --sync normal"
        res["sync_normal"] = r
        log(fmt_row(r, r["load"]))
        stop(sn.proc)
        stop(servers["nginx"].proc)
        stop(servers["webhook"].proc)
        # Warehouse count: the same load on 100 and 100,000 Warehouses.
        res["scale"] = {}
        for n in (100, 100000):
            s = start_ours(a.binary, worlds[n], worlds[n]["dir"], "scale")
            check_answer(s, worlds[n])
            wrk(s, worlds[n], 16, 2)
            r = wrk(s, worlds[n], 64, a.seconds)
            r["load"] = "64 keep-alive, %d WH" % n
            res["scale"][str(n)] = r
            log(fmt_row(r, r["load"]))
            stop(s.proc)
        # Start-up: until the port file appears, fresh state, median of 3.
        res["startup"] = {}
        for n in (10000, 100000):
            times, rss = [], []
            for i in range(3):
                s = start_ours(a.binary, worlds[n], worlds[n]["dir"], "startup")
                times.append(s.startup)
                rss.append(s.startup_rss)
                stop(s.proc)
            res["startup"][str(n)] = {"seconds": median(times), "rss_mb": median(rss),
                                      "all": times}
            log("start-up with %d Warehouses: %.3f s, RSS %.1f MiB" % (n, median(times), median(rss)))
        if not a.no_kinds:
            import bench_kinds
            res["kinds"] = bench_kinds.run(a.binary, bdir)
    finally:
        stop_all()
    res["elapsed_s"] = time.monotonic() - t_start
    text = report(res)
    if "kinds" in res:
        import bench_kinds
        text += "\n" + bench_kinds.report(res["kinds"])
    print(text)
    with open(os.path.join(bdir, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(bdir, "results.md"), "w") as f:
        f.write(text)
    # Our own runs must be clean. A baseline (nginx, webhook) that times
    # out on a loaded machine only weakens its own row: it is reported
    # in the table's errors column, not a reason to void our numbers.
    ours = [r for r in res["runs"] if r["server"] == "ours"]
    void = [r for r in ours + res["stall"] + list(res["scale"].values())
            + [res["sync_normal"]] if r["errors"] or r["status"]]
    shaky = [r for r in res["runs"] if r["server"] != "ours" and (r["errors"] or r["status"])]
    st = res["store"]
    if shaky:
        print("bench: %d baseline run(s) had errors; their rows are marked in the errors column"
              % len(shaky))
    if void:
        fail("%d run(s) had wrong answers or errors: the numbers above are void" % len(void))
    if not st["ok"]:
        fail("store check failed: %r" % st)
    if "kinds" in res:
        why = bench_kinds.void(res["kinds"])
        if why:
            fail(why + ": the numbers above are void")


def report(res):
    runs = {(r["load"], r["server"]): r for r in res["runs"]}
    out = []
    m = res["machine"]
    out.append("Machine: %d x %s, %.1f GiB RAM, Linux %s; %s; %s; %s.\n" % (
        m["nproc"], m["cpu"], m["mem_gib"], m["kernel"], m["wrk"], m["nginx"], m["webhook"]))
    out.append("| load (%d s each)  | server  | req/s     | p50 ms  | p99 ms  | RSS MiB | errors | ours ÷ this (req/s) |" % res["seconds"])
    out.append("|--------------------|---------|-----------|---------|---------|---------|--------|------|")
    for r in res["runs"]:
        ratio = ""
        if r["server"] != "ours":
            o = runs[(r["load"], "ours")]
            ratio = "%.2f" % (o["rps"] / r["rps"])
        out.append(fmt_row(r, r["load"]) + " %s |" % ratio)
    for r in res["stall"]:
        out.append(fmt_row(r, r["load"]) + " stall check, 5 s |")
    r = res["replay"]
    out.append(fmt_row(r, r["load"]) + " replays only, 5 s |")
    for n, r in res["scale"].items():
        out.append(fmt_row(r, r["load"]) + " |")
    r = res["sync_normal"]
    o = runs[("64 keep-alive", "nginx")]
    out.append(fmt_row(r, r["load"]) + " %.2f of nginx |" % (r["rps"] / o["rps"]))
    out.append("")
    for n, s in res["startup"].items():
        out.append("Start-up with %s Warehouses: %.3f s until the port file (median of 3: %s), RSS %.1f MiB."
                   % (n, s["seconds"], ", ".join("%.3f" % t for t in s["all"]), s["rss_mb"]))
    st = res["store"]
    out.append("Store check: %d deliveries committed for %d answers counted by wrk (plus up to "
               "%d in flight at the ends of runs), %d replays in the retained window: %s."
               % (st["deliveries"], st["expected"], st["slack"], st["duplicates_in_window"],
                  "ok" if st["ok"] else "FAILED"))
    f = res["fsync"]
    out.append("Disk under the state: 4 KiB write + fdatasync p50 %.2f ms, p99 %.2f ms (200 probes); "
               "load average before the run: %s." % (f["p50_ms"], f["p99_ms"], res["loadavg"]))
    out.append("")
    out.append("Targets:")
    for line in targets(res, runs):
        out.append("- " + line)
    out.append("\nTotal benchmark time: %.0f s." % res["elapsed_s"])
    return "\n".join(out) + "\n"


def targets(res, runs):
    def met(ok):
        return "MET" if ok else "NOT MET"
    o64, n64, w64 = (runs[("64 keep-alive", s)] for s in SERVERS)
    o1, n1 = runs[("1 keep-alive", "ours")], runs[("1 keep-alive", "nginx")]
    o256 = runs[("256 keep-alive", "ours")]
    s100, s100k = res["scale"]["100"], res["scale"]["100000"]
    worst_p99 = max(r["p99_us"] for r in res["runs"] if r["server"] == "ours")
    peak = max(r["rss_mb"] or 0 for r in res["runs"] if r["server"] == "ours")
    su = res["startup"]["10000"]["seconds"]
    d = s100k["rps"] / s100["rps"] - 1
    return [
        "64 connections >= 40%% of nginx: %.1f%% (%.0f vs %.0f req/s): %s" % (
            100 * o64["rps"] / n64["rps"], o64["rps"], n64["rps"], met(o64["rps"] >= 0.4 * n64["rps"])),
        "64 connections >= 4x webhook: %.2fx (%.0f vs %.0f req/s): %s" % (
            o64["rps"] / w64["rps"], o64["rps"], w64["rps"], met(o64["rps"] >= 4 * w64["rps"])),
        "p99 <= 2 ms: %.2f ms at 64 connections, worst %.2f ms: %s" % (
            o64["p99_us"] / 1000.0, worst_p99 / 1000.0, met(worst_p99 <= 2000)),
        "1 connection median <= 2x nginx: %.3f ms vs %.3f ms (%.1fx): %s" % (
            o1["p50_us"] / 1000.0, n1["p50_us"] / 1000.0, o1["p50_us"] / max(n1["p50_us"], 1),
            met(o1["p50_us"] <= 2 * n1["p50_us"])),
        "256 connections, no errors or timeouts: %d errors, %d timeouts: %s" % (
            o256["errors"], o256["timeout"], met(o256["errors"] == 0)),
        "100,000 Warehouses within 10%% of 100: %.0f vs %.0f req/s (%+.1f%%): %s" % (
            s100k["rps"], s100["rps"], 100 * d, met(d >= -0.10)),
        "peak RSS under load, 10,000 Warehouses <= 32 MB: %.1f MiB: %s" % (peak, met(peak <= 32)),
        "start-up with 10,000 Warehouses <= 1 s: %.3f s: %s" % (su, met(su <= 1.0)),
    ]


if __name__ == "__main__":
    # bench_kinds.py imports this file as "bench": one module, so one list
    # of started servers and one run counter.
    sys.modules.setdefault("bench", sys.modules["__main__"])
    main()
