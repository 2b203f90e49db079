"""The state database under a running server and in the read commands
(issue 8, item 5): a state file removed or replaced while serving is
noticed (503 with Retry-After and /readyz 503, never a 200 for a refresh
written to a file nobody reads) until a fresh database is open; the read
commands fail on a missing file naming it; a foreign database is refused."""
import json
import os
import sqlite3
import time

import kw
from kw import Server, eq, expect, run_cli
import world as W

PATH = kw.receiver_path(W.PROJECT, W.RECEIVER, W.SECRET)


def remove_state(state):
    for suffix in ("", "-wal", "-shm"):
        try:
            os.unlink(state + suffix)
        except FileNotFoundError:
            pass


def push(s, i):
    return s.push(PATH, "repo:push", W.cloud_push(), W.SECRET,
                  headers={"X-Request-UUID": "state-%d" % i})


def until(call, done, seconds=10):
    deadline = time.time() + seconds * kw.SLOW
    while True:
        r = call()
        if done(r) or time.time() > deadline:
            return r
        time.sleep(0.05)


def test_state_removed_while_serving(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m])
    try:
        eq(push(s, 0)[0], 200, "before")
        remove_state(s.state)
        # Noticed on the next write (or by the writer's once-a-second look);
        # a fresh database opens only on the probe a second after that, so a
        # push sent at once cannot be answered 200 by the lost file.
        st, h, b = push(s, 1)
        eq(st, 503, "push after rm state.db*: %r" % b)
        expect(h.get("retry-after", "").isdigit(), "Retry-After")
        st, _, b = s.request("GET", "/readyz")
        expect(st == 503 or os.path.exists(s.state), "readyz 503 until a fresh database: %r" % b)
        st = until(lambda: push(s, 2)[0], lambda x: x == 200)
        eq(st, 200, "a fresh database is opened at the path")
        eq(s.request("GET", "/readyz")[0], 200, "ready again")
        d = until(lambda: json.loads(run_cli("deliveries", "--state", s.state, "-o", "json").stdout),
                  lambda x: any(r.get("requestId") == "state-2" for r in x))
        ids = [r.get("requestId") for r in d]
        expect("state-2" in ids and "state-0" not in ids, "the new file holds the new delivery: %r" % ids)
    finally:
        log = s.stop()
    expect("was removed" in log and "fresh state database" in log, "logged")


def test_state_replaced_by_foreign_file(tmp):
    m = W.make_world(tmp)
    s = Server(tmp, [m])
    try:
        eq(push(s, 0)[0], 200, "before")
        other = os.path.join(tmp, "other.db")
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE users (id INTEGER)")
        db.commit()
        db.close()
        remove_state(s.state)
        os.rename(other, s.state)
        eq(push(s, 1)[0], 503, "push after the file was replaced")
        st, _, b = until(lambda: s.request("GET", "/readyz"),
                         lambda r: b"not a kargo-webhooks database" in r[2])
        eq(st, 503, "not ready while the path holds a foreign database")
        expect(b"not a kargo-webhooks database" in b, "readyz says why: %r" % b)
        remove_state(s.state)
        eq(until(lambda: push(s, 2)[0], lambda x: x == 200), 200, "fresh database once it is gone")
    finally:
        s.stop()


def test_state_read_commands_need_the_file(tmp):
    m = W.make_world(tmp)
    for args in (["deliveries"], ["get", "warehouses", "--manifests", m]):
        p = run_cli(*(args + ["--state", "/nonexistent/x.db"]))
        eq(p.returncode, 1, "%s on a missing state" % args[0])
        err = p.stderr.decode()
        expect("/nonexistent/x.db" in err and "No such file" in err, "names path and cause: " + err)
    expect(not os.path.exists("/nonexistent"), "nothing created")
    foreign = os.path.join(tmp, "foreign.db")
    db = sqlite3.connect(foreign)
    db.execute("PRAGMA application_id = 7")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    p = run_cli("deliveries", "--state", foreign)
    eq(p.returncode, 1, "foreign database")
    expect(b"not a kargo-webhooks database" in p.stderr, p.stderr.decode())
    p = run_cli("serve", "--manifests", m, "--listen", "127.0.0.1:0", "--state", foreign)
    eq(p.returncode, 1, "serve refuses a foreign database")
    expect(foreign.encode() in p.stderr, p.stderr.decode())


TESTS = [test_state_removed_while_serving, test_state_replaced_by_foreign_file,
         test_state_read_commands_need_the_file]

