"""In-cluster mode, as in a pod: `serve` with neither --manifests nor a
kubeconfig, KUBERNETES_SERVICE_HOST/PORT pointing at the fake API server,
and the service account's token, ca.crt and namespace at the real path
/var/run/secrets/kubernetes.io/serviceaccount. The program has no way to
move that path (and no test hook), so the test gives it a private mount
namespace (unshare --mount, root only) where a folder laid out as the
kubelet lays it out (..data -> a timestamped folder; token, ca.crt,
namespace -> ..data/...) is bind-mounted there. The token is rotated the
kubelet's way: a new folder, then ..data swapped atomically. Skipped,
visibly, where mount namespaces are not permitted.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kube"))
import kw  # noqa: E402
from fakekube import FakeKube  # noqa: E402
from kw import eq, expect, jbody  # noqa: E402
import suite_kube as K  # noqa: E402
import world  # noqa: E402

SA_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"

# Runs "$@" in a private mount namespace with $KW_SA_DIR at SA_PATH. A
# tmpfs goes over /run first (/var/run is /run) so that the mount point can
# be made without touching the host's /run; exit 97 when mounting fails.
WRAPPER_SH = r"""#!/bin/sh
exec unshare --mount --propagation private sh -c '
mount -t tmpfs kw-incluster /var/run/ || exit 97
mkdir -p "$0" && mount --bind "$KW_SA_DIR" "$0" || exit 97
exec "$@"' "%s" "$@"
""" % SA_PATH


def mount_namespaces_permitted():
    """Why mount namespaces cannot be used here, or None when they can."""
    if os.geteuid() != 0:
        return "not root"
    if shutil.which("unshare") is None:
        return "no unshare(1)"
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        "mount -t tmpfs kw-probe /var/run/"], capture_output=True)
    if p.returncode != 0:
        return "unshare --mount not permitted: " + p.stderr.decode(errors="replace").strip()
    return None


class ServiceAccount:
    """A service-account folder laid out as the kubelet writes it."""

    def __init__(self, path, token, ca_file, namespace):
        self.path = path
        self.ca_file = ca_file
        self.namespace = namespace
        self.generation = 0
        os.makedirs(path)
        for name in ("token", "ca.crt", "namespace"):
            os.symlink(os.path.join("..data", name), os.path.join(path, name))
        self.write(token)

    def write(self, token):
        """A new timestamped folder, then ..data swapped to it at once."""
        self.generation += 1
        gen = "..2026_01_01_00_00_%02d.%d" % (self.generation % 60, self.generation)
        d = os.path.join(self.path, gen)
        os.makedirs(d)
        with open(os.path.join(d, "token"), "w") as f:
            f.write(token)
        shutil.copy(self.ca_file, os.path.join(d, "ca.crt"))
        with open(os.path.join(d, "namespace"), "w") as f:
            f.write(self.namespace)
        tmp = os.path.join(self.path, "..data_tmp")
        os.symlink(gen, tmp)
        os.replace(tmp, os.path.join(self.path, "..data"))


def test_kube_in_cluster_service_account(tmp):
    why = mount_namespaces_permitted()
    if why:
        raise kw.Skip(why)
    fk = FakeKube(os.path.join(tmp, "fk"))
    srv = None
    saved = kw.WRAPPER
    try:
        for o in K.objects():
            fk.put(o)
        sa = ServiceAccount(os.path.join(tmp, "sa"), fk.token, os.path.join(fk.dir, "ca.crt"),
                            "kargo")
        wrapper = os.path.join(tmp, "in-pod.sh")
        with open(wrapper, "w") as f:
            f.write(WRAPPER_SH)
        os.chmod(wrapper, 0o755)
        os.makedirs(os.path.join(tmp, "srv"))
        kw.WRAPPER = [wrapper] + saved
        srv = kw.Server(os.path.join(tmp, "srv"), [], env={
            "KUBECONFIG": "", "KW_SA_DIR": sa.path,
            "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": str(fk.port)})
        kw.WRAPPER = saved
        K.poll(lambda: srv.request("GET", "/readyz")[0], lambda s: s == 200,
               what="/readyz 200 in-cluster")
        expect(re.search(r"in-cluster", srv.log()), "the log names the in-cluster source")
        listed = {c[2] for c in fk.calls() if c[0] == "list"}
        expect({"warehouses", "projectconfigs", "promotions", "clusterconfigs"} <= listed,
               "listed %r" % sorted(listed))
        st, _, data = srv.push(K.PATH, "repo:push", world.cloud_push(), world.SECRET)
        eq(st, 200, "push served in-cluster: %r" % data)
        expect(("kargo-demo", "wh-main") in [(ns, n) for ns, n, _, _ in fk.patches("Warehouse")],
               "wh-main patched")

        # Rotation: the old token now gets 401; the kubelet writes the new
        # one. A push is still served (the client re-reads the file), and a
        # watch opened after the rotation sees new objects.
        sa.write(fk.rotate_token())
        fk.clear_calls()
        st, _, data = srv.push(K.PATH, "repo:push", world.cloud_push(), world.SECRET)
        eq(st, 200, "push after the token was rotated: %r" % data)
        expect(any(c[0] == "patch" for c in fk.calls()), "a PATCH with the new token")
        fk.drop_watches()
        fk.put(world.wh_dict("wh-rot", "kargo-demo", "https://bitbucket.org/acme/rot",
                             branch="main"))
        rot = world.cloud_push(href="https://bitbucket.org/acme/rot", full_name="acme/rot")
        K.poll(lambda: jbody(srv.push(K.PATH, "repo:push", rot, world.SECRET)[2]).get("msg"),
               lambda m: m == "refreshed 1 warehouse(s)",
               what="a Warehouse added after the rotation, seen by the new watch")
        srv.stop(0)
        srv = None
    finally:
        kw.WRAPPER = saved
        if srv is not None:
            sys.stderr.write(srv.log()[-3000:])
            srv.stop(None)
        fk.close()


def test_kube_in_cluster_without_mount_is_a_clear_error(tmp):
    """Outside a pod (no service account at the real path) the same
    variables fail at start, naming the path."""
    if os.path.exists(SA_PATH):
        raise kw.Skip(SA_PATH + " exists on this machine")
    p = kw.run_cli("serve", "--listen", "127.0.0.1:0", "--state", os.path.join(tmp, "s.db"),
                   env={"KUBECONFIG": "", "KUBERNETES_SERVICE_HOST": "127.0.0.1",
                        "KUBERNETES_SERVICE_PORT": "1"})
    eq(p.returncode, 1, "exit status")
    expect(SA_PATH in p.stderr.decode(), "names the path: %r" % p.stderr)


TESTS = [test_kube_in_cluster_service_account,
         test_kube_in_cluster_without_mount_is_a_clear_error]

