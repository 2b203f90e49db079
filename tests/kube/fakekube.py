"""The tests' handle on the fake Kubernetes API server (fake_apiserver.py).

FakeKube(workdir) makes a CA, a server certificate for 127.0.0.1 and a
client certificate with the openssl CLI, starts the server in this process
(threads) on a free loopback port, and writes workdir/token,
workdir/ca.crt and workdir/kubeconfig. The tests put and read objects,
inject faults and read back which calls the server saw; the interface is
/work/notes/fakekube-interface.md (kept in docs/design.md).
"""
import base64
import json
import os
import subprocess
import threading
import secrets

import fake_apiserver as F

OPENSSL_CNF = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
"""


def openssl(*args):
    p = subprocess.run(["openssl"] + list(args), capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("openssl %s: %s" % (args[0], p.stderr.decode()[-300:]))


def make_pki(d):
    """ca.crt/ca.key, server.crt/key (127.0.0.1), client.crt/key (CN test-user)."""
    cnf = os.path.join(d, "openssl.cnf")
    with open(cnf, "w") as f:
        f.write(OPENSSL_CNF)
    p = lambda n: os.path.join(d, n)  # noqa: E731
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-config", cnf, "-x509", *ec, "-keyout", p("ca.key"), "-out", p("ca.crt"),
            "-days", "2", "-subj", "/CN=fake-kube-ca", "-extensions", "ca")
    for name, cn in (("server", "127.0.0.1"), ("client", "test-user")):
        openssl("req", "-config", cnf, "-new", *ec, "-keyout", p(name + ".key"),
                "-out", p(name + ".csr"), "-subj", "/CN=" + cn)
        openssl("x509", "-req", "-in", p(name + ".csr"), "-CA", p("ca.crt"), "-CAkey",
                p("ca.key"), "-CAcreateserial", "-out", p(name + ".crt"), "-days", "2",
                "-extfile", cnf, "-extensions", name)


def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


class FakeKube:
    def __init__(self, workdir):
        self.dir = os.path.abspath(workdir)
        os.makedirs(self.dir, exist_ok=True)
        make_pki(self.dir)
        self.store = F.Store()
        self.store.cert_users.add("test-user")
        self.token = ""
        self.rotate_token()
        self.server = F.ApiServer(self.store, self._p("server.crt"), self._p("server.key"),
                                  self._p("ca.crt"))
        self.server.start()
        self.port = self.server.port
        self.url = "https://127.0.0.1:%d" % self.port
        self.kubeconfig = self.kubeconfig_with(name="kubeconfig")

    def _p(self, name):
        return os.path.join(self.dir, name)

    # -- kubeconfigs --------------------------------------------------
    def kubeconfig_with(self, name=None, token=False, client_cert=False, cert_data=False,
                        insecure=False, ca_data=False, exec_plugin=False, auth_provider=False,
                        namespace=None, server=None, **aliases):
        """Writes a kubeconfig (JSON, which is YAML) and returns its path.
        Default: certificate-authority file + tokenFile. exec=True is
        exec_plugin=True (an exec user, for the error tests)."""
        exec_plugin = exec_plugin or aliases.pop("exec", False)
        if aliases:
            raise TypeError("unknown options: %s" % ", ".join(aliases))
        cluster = {"server": server or self.url}
        if insecure:
            cluster["insecure-skip-tls-verify"] = True
        elif ca_data:
            cluster["certificate-authority-data"] = b64(self._p("ca.crt"))
        else:
            cluster["certificate-authority"] = self._p("ca.crt")
        if exec_plugin:
            user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1",
                             "command": "true", "interactiveMode": "Never"}}
        elif auth_provider:
            user = {"auth-provider": {"name": "oidc", "config": {}}}
        elif cert_data:
            user = {"client-certificate-data": b64(self._p("client.crt")),
                    "client-key-data": b64(self._p("client.key"))}
        elif client_cert:
            user = {"client-certificate": self._p("client.crt"),
                    "client-key": self._p("client.key")}
        elif token:
            user = {"token": self.token if token is True else token}
        else:
            user = {"tokenFile": self._p("token")}
        ctx = {"cluster": "fake", "user": "fake-user"}
        if namespace:
            ctx["namespace"] = namespace
        cfg = {"apiVersion": "v1", "kind": "Config", "current-context": "fake",
               "clusters": [{"name": "fake", "cluster": cluster}],
               "users": [{"name": "fake-user", "user": user}],
               "contexts": [{"name": "fake", "context": ctx}], "preferences": {}}
        path = self._p(name or "kubeconfig-%d" % len(os.listdir(self.dir)))
        F.write_atomic(path, json.dumps(cfg, indent=2) + "\n")
        return path

    # -- objects ------------------------------------------------------
    def put(self, obj):
        return self.store.put(obj)

    def delete(self, kind, namespace, name):
        return self.store.delete(F.KINDS[kind], namespace, name)

    def get(self, kind, namespace, name):
        return self.store.get(F.KINDS[kind], namespace, name)

    def resource_version(self):
        with self.store.cond:
            return self.store.rv

    # -- what the server saw ------------------------------------------
    def calls(self):
        with self.store.cond:
            return list(self.store.call_log)

    def clear_calls(self):
        with self.store.cond:
            self.store.call_log.clear()
            self.store.patch_log.clear()

    def patches(self, kind=None):
        """(namespace, name, body, content_type) of every PATCH received."""
        want = F.KINDS[kind] if kind else None
        with self.store.cond:
            return [(ns, n, b, ct) for ns, n, b, ct, r in self.store.patch_log
                    if want in (None, r)]

    def open_watches(self):
        with self.store.cond:
            return self.store.open_watches

    # -- faults -------------------------------------------------------
    def set_patch_delay(self, seconds):
        self.store.patch_delay = float(seconds)

    def set_list_delay(self, seconds, kind):
        """Each list of kind's collection answers after seconds (0: at once):
        that cache syncs after the others."""
        with self.store.cond:
            self.store.list_delay[F.KINDS[kind]] = float(seconds)

    def fail_requests(self, status, verb=None, kind=None, count=None, match=None,
                      retry_after=None):
        """Answer matching calls with a Status of that code (429 and 503
        carry Retry-After). count=None: until clear_faults()."""
        with self.store.cond:
            self.store.faults.append({"status": int(status), "verb": verb, "count": count,
                                      "resource": F.KINDS[kind] if kind else None,
                                      "match": match, "retry_after": retry_after})

    def fail_patches(self, status, count=None, match=None, retry_after=None):
        self.fail_requests(status, "patch", None, count, match, retry_after)

    def clear_faults(self):
        with self.store.cond:
            self.store.faults.clear()
            self.store.forbidden.clear()
            self.store.patch_delay = 0.0
            self.store.list_delay.clear()
            self.store.watch_split = 0

    def forbid(self, verb, resource, namespace=None):
        with self.store.cond:
            self.store.forbidden.append((verb, resource, namespace))

    def expire_continues(self, n):
        """Answer the next n continue tokens 410 Expired (-1: every one)."""
        with self.store.cond:
            self.store.expire_continues = int(n)

    def drop_watches(self):
        with self.store.cond:
            self.store.watch_generation += 1
            self.store.cond.notify_all()

    def compact(self, as_event=True):
        """Forget history: a watch or continue token from an older RV gets
        410 (as_event: a 200 stream with an ERROR event, else HTTP 410)."""
        self.store.compact(as_event)
        with self.store.cond:
            self.store.cond.notify_all()

    def set_watch_split(self, nbytes):
        """Send each watch event in chunks of nbytes (0: one chunk)."""
        self.store.watch_split = int(nbytes)

    def set_bookmark_interval(self, seconds):
        self.store.bookmark_interval = float(seconds)

    def rotate_token(self, keep_stat=False):
        """A new token; the old one gets 401. The token file is replaced, or
        with keep_stat rewritten in place with its size and mtime kept, so
        that only a 401 can tell a client to read it again."""
        new = "fake-" + secrets.token_hex(16)
        with self.store.cond:
            self.store.tokens = {new}
        self.token = new
        path = self._p("token")
        if keep_stat and os.path.exists(path):
            st = os.stat(path)
            with open(path, "r+") as f:
                f.write(new + "\n")
                f.truncate()
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
        else:
            F.write_atomic(path, new + "\n")
        return new

    def unauthorized(self):
        """How many requests were answered 401."""
        with self.store.cond:
            return self.store.unauthorized

    def connections(self):
        """How many TCP connections the server accepted (keep-alive shows)."""
        with self.store.cond:
            return self.store.connections

    def stop(self):
        self.server.stop()

    def start(self):
        self.server.start()

    def close(self):
        self.server.stop()


def _selftest():
    import tempfile
    fk = FakeKube(tempfile.mkdtemp(prefix="fk-"))
    print(fk.url, fk.kubeconfig)
    threading.Event().wait(0)
    fk.close()


if __name__ == "__main__":
    _selftest()
