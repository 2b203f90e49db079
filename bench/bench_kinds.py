"""Every receiver kind end to end, the section "Receiver kinds end to end"
of `make bench` (docs/performance.md).

One server on the kinds world (gen_world.py --kinds: 10,000 Warehouses, a
receiver of every kind in the target project, each kind's push matching
two Warehouses and rejected by two more). Each kind is driven by wrk at the
same concurrency with its own real payload, headers, signature and (where
the kind has one) a unique delivery id per request; every answer must be
200 {"msg":"refreshed 2 warehouse(s)"} (the generic receiver: its exact
{"results":[...]} naming the two). The machine is shared, so a kind is
never compared with a Bitbucket run from another minute: every round runs
each kind right next to a Bitbucket run (Bitbucket first in even rounds,
second in odd ones), and the ratio reported is the median of those paired
ratios. Used by bench.py; also runs alone:

    bench_kinds.py [--seconds S] [--rounds R] [--conns C] [--binary PATH] [--out DIR]
"""
import argparse
import json
import os
import signal
import time

import bench

CONNS = 64
SECONDS = 3
ROUNDS = 3
LIMIT = 0.8  # issue 10: no kind slower than Bitbucket by more than 20%


def pair(server, world, bb, k, rnd, seconds, conns):
    """Bitbucket and kind k back to back, in an order that alternates."""
    order = [bb, k] if rnd % 2 == 0 else [k, bb]
    got = {}
    for kind in order:
        got[kind["name"]] = bench.wrk(server, world, conns, seconds, kind=kind)
    return got[bb["name"]], got[k["name"]]


def run(binary, bdir, seconds=SECONDS, rounds=ROUNDS, conns=CONNS):
    """Runs the section; returns its results (stops its server)."""
    world = bench.gen(bdir, 10000, kinds=True)
    kinds = world["kinds"]
    bb = kinds[0]
    runs = []  # every wrk run against the server, for the store check
    rows = {k["name"]: {"kind": k, "runs": [], "ratios": []} for k in kinds}
    t0 = time.monotonic()
    server = bench.start_ours(binary, world, world["dir"], "kinds")
    try:
        for k in kinds:
            bench.check_answer(server, world, k)
        for k in kinds:  # warm-up: each kind's code and the caches
            runs.append(bench.wrk(server, world, 16, 1, kind=k))
        for rnd in range(rounds):
            for k in kinds[1:]:
                a, b = pair(server, world, bb, k, rnd, seconds, conns)
                runs += [a, b]
                rows[bb["name"]]["runs"].append(a)
                rows[k["name"]]["runs"].append(b)
                rows[k["name"]]["ratios"].append(b["rps"] / a["rps"])
                bench.log("kinds round %d: %-12s %7.0f req/s, bitbucket %7.0f req/s: %.2f"
                          % (rnd + 1, k["name"], b["rps"], a["rps"], b["rps"] / a["rps"]))
        bench.stop(server.proc)
        store = bench.verify_store(server, runs, checks=len(kinds))
    finally:
        bench.stop(server.proc)
    out = {"seconds": seconds, "rounds": rounds, "conns": conns, "store": store,
           "elapsed_s": time.monotonic() - t0, "kinds": []}
    for k in kinds:
        r = rows[k["name"]]
        rs = r["runs"]
        out["kinds"].append({
            "name": k["name"], "kind": k["kind"], "body_bytes": k["body_bytes"],
            "delivery_id": k["id_header"], "n_runs": len(rs),
            "rps": bench.median([x["rps"] for x in rs]),
            "p50_us": bench.median([x["p50_us"] for x in rs]),
            "p99_us": bench.median([x["p99_us"] for x in rs]),
            "errors": sum(x["errors"] + x["status"] for x in rs),
            "ratios": r["ratios"],
            "ratio": bench.median(r["ratios"]) if r["ratios"] else 1.0,
        })
    return out


def report(res):
    out = ["Receiver kinds end to end: %d connections, %d s per run, %d rounds; each kind "
           "paired with a Bitbucket run in the same round (order alternating); req/s, p50 and "
           "p99 are medians over a kind's runs, the ratio is the median of its paired ratios."
           % (res["conns"], res["seconds"], res["rounds"]), "",
           "| kind | payload bytes | delivery id | req/s | p50 ms | p99 ms | errors "
           "| ÷ Bitbucket (median) | paired ratios |",
           "|---|---:|---|---:|---:|---:|---:|---:|---|"]
    for k in res["kinds"]:
        out.append("| %s | %d | %s | %.0f | %.2f | %.2f | %d | %s | %s |" % (
            k["name"] if k["name"] == k["kind"] else "%s (%s)" % (k["name"], k["kind"]),
            k["body_bytes"], k["delivery_id"] or "none", k["rps"], k["p50_us"] / 1000.0,
            k["p99_us"] / 1000.0, k["errors"],
            "%.2f" % k["ratio"] if k["ratios"] else "1 (reference)",
            ", ".join("%.2f" % x for x in k["ratios"])))
    st = res["store"]
    out.append("")
    out.append("Store check: %d deliveries committed for %d answers (plus up to %d in flight), "
               "%d replays: %s." % (st["deliveries"], st["expected"], st["slack"],
                                    st["duplicates_in_window"], "ok" if st["ok"] else "FAILED"))
    slow = [k["name"] for k in res["kinds"] if k["ratio"] < LIMIT]
    out.append("Issue 10 (no kind slower than Bitbucket by more than 20%%): %s." % (
        "MET" if not slow else "NOT MET: " + ", ".join(slow)))
    return "\n".join(out) + "\n"


def void(res):
    """Why the section's numbers cannot be used, or None."""
    bad = [k["name"] for k in res["kinds"] if k["errors"]]
    if bad:
        return "kinds with wrong answers or errors: " + ", ".join(bad)
    if not res["store"]["ok"]:
        return "kinds store check failed: %r" % res["store"]
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=SECONDS)
    ap.add_argument("--rounds", type=int, default=ROUNDS)
    ap.add_argument("--conns", type=int, default=CONNS)
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "kargo-webhooks"))
    ap.add_argument("--out", default=os.path.join(bench.ROOT, "build", "bench"))
    a = ap.parse_args()
    for name in ("seconds", "rounds", "conns"):
        if getattr(a, name) < 1:
            ap.error("--%s: want a whole number of at least 1, not %d" % (name, getattr(a, name)))
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    bdir = os.path.abspath(a.out)
    os.makedirs(bdir, exist_ok=True)
    try:
        res = run(a.binary, bdir, a.seconds, a.rounds, a.conns)
    finally:
        bench.stop_all()
    text = report(res)
    print(text)
    with open(os.path.join(bdir, "kinds.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(bdir, "kinds.md"), "w") as f:
        f.write(text)
    why = void(res)
    if why:
        bench.fail(why + ": the numbers above are void")


if __name__ == "__main__":
    main()
