"""Deployment artefacts (issue 7 item 6, issue 8 item 12): the kustomize
base in deploy/ and its overlays rendered with the real kubectl, the
Dockerfile's runtime packages against the libraries the binary links, and
`make install` into a temporary DESTDIR with its systemd unit.

The rendered objects are read with miniyaml (no PyYAML here), which
refuses what it does not understand, so every check sees the objects
kubectl produced."""
import os
import re
import shutil
import subprocess

import kw
from kw import Server, Skip, eq, expect, run_cli
import miniyaml
import world as W

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NAME = "kargo-external-webhooks-server"
NAMESPACE = "kargo"
SYSTEM_NAMESPACE = "kargo-system-resources"
# The environment contract of Kargo's external-webhooks-server: what its
# chart's ConfigMap sets, and the other variables its code reads.
CHART_ENV = {"EXTERNAL_WEBHOOK_SERVER_BASE_URL", "SYSTEM_RESOURCES_NAMESPACE", "LOG_LEVEL",
             "LOG_FORMAT", "TLS_ENABLED", "TLS_CERT_PATH", "TLS_KEY_PATH"}
KARGO_ENV = CHART_ENV | {"KUBECONFIG", "BIND_ADDRESS", "PORT", "GRACEFUL_SHUTDOWN_TIMEOUT",
                         "KUBE_API_QPS", "KUBE_API_BURST"}
# Kargo's ClusterRole of the same name, rule by rule (v1.11).
KARGO_CLUSTER_RULES = {(v, r) for r in ("clusterconfigs", "projectconfigs")
                       for v in ("get", "list", "watch")} | \
                      {(v, r) for r in ("promotions", "warehouses")
                       for v in ("get", "list", "patch", "watch")}


def kubectl():
    path = shutil.which("kubectl")
    if path is None:
        raise AssertionError("kubectl not found: `make deps` installs Debian's kubernetes-client")
    return path


def render(directory):
    """The objects `kubectl kustomize directory` prints, by (kind, name)."""
    p = subprocess.run([kubectl(), "kustomize", os.path.join(ROOT, directory)],
                       capture_output=True, timeout=120)
    eq(p.returncode, 0, "kubectl kustomize %s: %s" % (directory, p.stderr.decode()[-2000:]))
    objs = {}
    for doc in miniyaml.load_all(p.stdout.decode(), directory):
        key = (doc["kind"], doc["metadata"]["name"])
        expect(key not in objs, "%s rendered twice" % (key,))
        objs[key] = doc
    return objs


def container(objs):
    spec = objs[("Deployment", NAME)]["spec"]["template"]["spec"]
    eq(len(spec["containers"]), 1, "one container")
    return spec, spec["containers"][0]


def serve_flags():
    """Every --flag `serve --help` lists."""
    p = run_cli("serve", "--help")
    eq(p.returncode, 0, "serve --help")
    return set(re.findall(r"--[a-z][a-z-]*", p.stdout.decode() + p.stderr.decode()))


def rules_pairs(rules):
    pairs = set()
    for rule in rules:
        for verb in rule["verbs"]:
            for res in rule["resources"]:
                pairs.add((verb, res))
    return pairs


def check_security(spec, c):
    pod = spec["securityContext"]
    eq(pod.get("runAsNonRoot"), True, "pod runAsNonRoot")
    expect(isinstance(pod.get("runAsUser"), int) and pod["runAsUser"] > 0, "pod runAsUser non-root")
    eq(pod.get("seccompProfile"), {"type": "RuntimeDefault"}, "seccomp RuntimeDefault")
    sc = c["securityContext"]
    eq(sc.get("readOnlyRootFilesystem"), True, "readOnlyRootFilesystem")
    eq(sc.get("allowPrivilegeEscalation"), False, "allowPrivilegeEscalation")
    eq(sc.get("capabilities"), {"drop": ["ALL"]}, "capabilities dropped")
    for kind in ("requests", "limits"):
        expect("memory" in c["resources"].get(kind, {}) and "cpu" in c["resources"][kind],
               "resources.%s has cpu and memory" % kind)


def check_probes(c, scheme):
    want = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in want.items():
        get = c[probe]["httpGet"]
        eq((get["path"], get["port"], get.get("scheme", "HTTP")), (path, 8080, scheme), probe)
    eq([p["containerPort"] for p in c["ports"]], [8080], "container port")


def check_state_on_volume(spec, c):
    """--state and /tmp are on emptyDir volumes: the root is read-only."""
    args = c["args"]
    eq(args[0], "serve", "the command is serve")
    eq(c["command"], ["/usr/local/bin/kargo-webhooks"], "command")
    flags = serve_flags()
    for a in args[1:]:
        if a.startswith("-"):
            expect(a in flags, "flag %s is one serve --help lists" % a)
    state = args[args.index("--state") + 1]
    empty = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    for path in (os.path.dirname(state), "/tmp"):
        expect(mounts.get(path) in empty, "%s is an emptyDir mount" % path)


def test_deploy_base(tmp):
    objs = render("deploy")
    kinds = sorted(objs)
    eq(kinds, sorted([("ClusterRole", NAME), ("ClusterRoleBinding", NAME), ("ConfigMap", NAME),
                      ("Deployment", NAME), ("Role", NAME), ("RoleBinding", NAME),
                      ("Service", NAME), ("ServiceAccount", NAME)]), "objects")
    for (kind, _), o in objs.items():
        ns = o["metadata"].get("namespace")
        if kind in ("ClusterRole", "ClusterRoleBinding"):
            eq(ns, None, kind + " is cluster-scoped")
        elif kind in ("Role", "RoleBinding"):
            eq(ns, SYSTEM_NAMESPACE, kind + " namespace")
        else:
            eq(ns, NAMESPACE, kind + " namespace")
    sa = {"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}
    eq(objs[("ClusterRoleBinding", NAME)]["subjects"], [sa], "ClusterRoleBinding subject")
    eq(objs[("ClusterRoleBinding", NAME)]["roleRef"]["name"], NAME, "ClusterRoleBinding role")
    eq(objs[("RoleBinding", NAME)]["subjects"], [sa], "RoleBinding subject")
    eq(objs[("RoleBinding", NAME)]["roleRef"]["kind"], "Role", "RoleBinding role kind")
    spec, c = container(objs)
    eq(spec["serviceAccountName"], NAME, "serviceAccountName")
    check_security(spec, c)
    check_probes(c, "HTTPS")
    check_state_on_volume(spec, c)
    eq(c["envFrom"], [{"configMapRef": {"name": NAME}}], "env from the ConfigMap")
    expect("env" not in c, "every variable comes from the ConfigMap")
    data = objs[("ConfigMap", NAME)]["data"]
    expect(set(data) <= KARGO_ENV, "only Kargo's variable names: %s" % sorted(set(data) - KARGO_ENV))
    eq(set(data), CHART_ENV, "the chart's ConfigMap variables")
    eq(data["TLS_ENABLED"], "true", "TLS on by default, like the chart")
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    for key in ("TLS_CERT_PATH", "TLS_KEY_PATH"):
        expect(os.path.dirname(data[key]) in mounts, key + " is on a mounted volume")
    svc = objs[("Service", NAME)]["spec"]
    eq(svc["ports"], [{"name": "https", "port": 443, "targetPort": 8080, "protocol": "TCP"}],
       "Service 443 -> 8080")
    eq(svc["selector"], objs[("Deployment", NAME)]["spec"]["selector"]["matchLabels"],
       "Service selects the Deployment's pods")


def test_deploy_rbac_file(tmp):
    """deploy/rbac.yaml holds every rule: Kargo's ClusterRole exactly,
    and Secrets read only in the system-resources namespace."""
    path = os.path.join(ROOT, "deploy", "rbac.yaml")
    with open(path) as f:
        docs = miniyaml.load_all(f.read(), path)
    roles = [d for d in docs if d["kind"] in ("ClusterRole", "Role")]
    eq(sorted(d["kind"] for d in roles), ["ClusterRole", "Role"], "roles in rbac.yaml")
    for d in roles:
        for rule in d["rules"]:
            eq(set(rule) - {"apiGroups", "resources", "verbs"}, set(), "plain rules only")
    cluster = next(d for d in roles if d["kind"] == "ClusterRole")
    eq({g for r in cluster["rules"] for g in r["apiGroups"]}, {"kargo.akuity.io"}, "API group")
    eq(rules_pairs(cluster["rules"]), KARGO_CLUSTER_RULES, "ClusterRole = Kargo's")
    role = next(d for d in roles if d["kind"] == "Role")
    eq(role["metadata"]["namespace"], SYSTEM_NAMESPACE, "Secret Role namespace")
    eq(rules_pairs(role["rules"]), {("get", "secrets"), ("list", "secrets"), ("watch", "secrets")},
       "Secret Role")
    eq({g for r in role["rules"] for g in r["apiGroups"]}, {""}, "core API group")


def answered(s, path, seconds=10):
    """The status of GET path once it is 200, or the last one after
    seconds (readiness may follow the port by a moment)."""
    return kw.poll(lambda: s.request("GET", path)[0], lambda st: st == 200, seconds)


def test_deploy_plain_http_overlay(tmp):
    """The TLS switch: HTTP probes, Service on 80, TLS off; and the
    ConfigMap's values start the real binary, whose probe paths answer."""
    objs = render("deploy-overlays/plain-http")
    eq(len(objs), len(render("deploy")), "same objects as the base")
    spec, c = container(objs)
    check_probes(c, "HTTP")
    check_security(spec, c)
    eq(objs[("Service", NAME)]["spec"]["ports"],
       [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}], "Service 80 -> 8080")
    data = objs[("ConfigMap", NAME)]["data"]
    eq(data["TLS_ENABLED"], "false", "TLS off")
    expect("TLS_CERT_PATH" not in data, "no certificate path")
    env = {k: str(v) for k, v in data.items()}
    s = Server(tmp, [W.make_world(tmp)], env=env)
    try:
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            path = c[probe]["httpGet"]["path"]
            eq(answered(s, path), 200, "%s %s" % (probe, path))
    finally:
        s.stop()


def test_deploy_ingress_overlay(tmp):
    objs = render("deploy-overlays/ingress")
    ing = objs[("Ingress", NAME)]
    eq(ing["metadata"]["namespace"], NAMESPACE, "Ingress namespace")
    eq(len(ing["spec"]["rules"]), 1, "one rule")
    rule = ing["spec"]["rules"][0]
    paths = rule["http"]["paths"]
    # every receiver kind's URL segment (decode.c's receiver_kinds)
    kinds = ["bitbucket", "github", "gitlab", "gitea", "azure", "dockerhub", "quay", "harbor",
             "artifactory", "generic"]
    eq(len(paths), len(kinds), "one path per receiver kind")
    base = objs[("ConfigMap", NAME)]["data"]["EXTERNAL_WEBHOOK_SERVER_BASE_URL"]
    m = re.fullmatch(r"https?://([^/]+)(/.*)?", base)
    expect(m is not None, "base URL: " + base)
    eq(rule["host"], m.group(1), "Ingress host is the base URL's")
    eq([(p["path"], p["pathType"]) for p in paths],
       [((m.group(2) or "") + "/" + k + "/", "Prefix") for k in kinds],
       "only receivers are exposed")
    for p in paths:
        backend = p["backend"]["service"]
        eq(backend["name"], NAME, "backend Service")
        eq([backend["port"]["number"]],
           [q["port"] for q in objs[("Service", NAME)]["spec"]["ports"]],
           "backend port is the Service's")


def dockerfile_stages():
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        text = f.read().replace("\\\n", " ")
    stages = re.split(r"(?m)^FROM ", text)[1:]
    eq(len(stages), 2, "two stages")
    return stages


def package_of(path):
    """The Debian package that ships path, trying both sides of the /usr
    merge (the loader may name /lib/... for a file shipped in /usr/lib/...)."""
    real = os.path.realpath(path)
    for cand in (path, real):
        alts = [cand, cand[4:] if cand.startswith("/usr/") else "/usr" + cand]
        for alt in alts:
            q = subprocess.run(["dpkg", "-S", alt], capture_output=True, timeout=60)
            if q.returncode == 0:
                pkgs = {line.split(":")[0] for line in q.stdout.decode().splitlines()}
                eq(len(pkgs), 1, "one package ships " + alt)
                return pkgs.pop()
    raise AssertionError("no Debian package ships " + path)


def needed_packages(binary):
    """{soname: Debian package} for the binary's DT_NEEDED entries, each
    resolved to the file the loader picks (ldd)."""
    p = subprocess.run(["readelf", "-d", binary], capture_output=True, timeout=60)
    eq(p.returncode, 0, "readelf")
    sonames = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout.decode())
    expect(sonames, "no DT_NEEDED entries")
    p = subprocess.run(["ldd", binary], capture_output=True, timeout=60)
    eq(p.returncode, 0, "ldd")
    where = dict(re.findall(r"(?m)^\s*(\S+) => (/\S+)", p.stdout.decode()))
    out = {}
    for so in sonames:
        expect(so in where, "ldd resolves %s: %s" % (so, p.stdout.decode()))
        out[so] = package_of(where[so])
    return out


def test_dockerfile(tmp):
    """The runtime stage installs a package for each library the binary
    links and nothing else but CA certificates; the build stage runs CI's
    commands; the image runs as a numeric non-root user."""
    if shutil.which("readelf") is None or shutil.which("dpkg") is None:
        raise Skip("needs readelf and dpkg")
    with open(kw.BIN, "rb") as f:
        if f.read(4) != b"\x7fELF":  # make check-valgrind's wrapper script
            raise Skip("the binary under test is not ELF (a wrapper): its libraries are unknown")
    build, runtime = dockerfile_stages()
    expect(build.startswith("debian:bookworm") and runtime.startswith("debian:bookworm"),
           "Debian 12 stages")
    expect(re.search(r"RUN make deps && make\b", build), "build stage runs make deps && make")
    m = re.search(r"apt-get install -y --no-install-recommends ([^&]+)&&", runtime)
    expect(m is not None, "runtime apt-get install")
    listed = set(m.group(1).split())
    # The sanitizer runtimes are in the test build only; libc6 is in the base image.
    needed = {so: pkg for so, pkg in needed_packages(kw.BIN).items()
              if not re.match(r"lib(asan|ubsan|lsan|tsan)\.so", so)}
    base = {"libc6"}
    missing = {so: pkg for so, pkg in needed.items() if pkg not in listed | base}
    eq(missing, {}, "linked libraries whose package the runtime stage lacks")
    extra = listed - set(needed.values()) - {"ca-certificates"}
    eq(extra, set(), "runtime packages the binary does not link")
    user = re.search(r"(?m)^USER (\d+)(?::(\d+))?\s*$", runtime)
    expect(user is not None and int(user.group(1)) > 0, "numeric non-root USER")
    expect(re.search(r'(?m)^ENTRYPOINT \["/usr/local/bin/kargo-webhooks", "serve"\]', runtime),
           "ENTRYPOINT runs serve")
    expect(re.search(r"COPY --from=build /src/kargo-webhooks /usr/local/bin/kargo-webhooks",
                     runtime), "binary copied from the build stage")


def make(*args):
    """Runs this repository's make, outside the calling make's jobserver."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    return subprocess.run(["make", "-s", "-C", ROOT] + list(args), capture_output=True,
                           env=env, timeout=600)


def installed_files(dest):
    out = {}
    for d, _, files in os.walk(dest):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, dest)] = os.stat(p).st_mode & 0o7777
    return out


def test_install_destdir(tmp):
    dest = os.path.join(tmp, "dest")
    p = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
    eq(p.returncode, 0, "make install: " + p.stderr.decode()[-2000:])
    files = installed_files(dest)
    docs = ["usr/share/doc/kargo-webhooks/README.md"] + \
        ["usr/share/doc/kargo-webhooks/docs/" + f for f in os.listdir(os.path.join(ROOT, "docs"))
         if f.endswith(".md")] + \
        ["usr/share/doc/kargo-webhooks/docs/receivers/" + f
         for f in os.listdir(os.path.join(ROOT, "docs", "receivers")) if f.endswith(".md")] + \
        ["usr/share/doc/kargo-webhooks/examples/push.json"] + \
        ["usr/share/doc/kargo-webhooks/examples/manifests/" + f
         for f in os.listdir(os.path.join(ROOT, "examples", "manifests"))]
    want = {"usr/bin/kargo-webhooks": 0o755,
            "usr/lib/systemd/system/kargo-webhooks.service": 0o644,
            "usr/lib/sysusers.d/kargo-webhooks.conf": 0o644}
    want.update({d: 0o644 for d in docs})
    eq(files, want, "installed files and modes")
    q = subprocess.run([os.path.join(dest, "usr/bin/kargo-webhooks"), "--version"],
                       capture_output=True, timeout=30)
    expect(q.returncode == 0 and q.stdout.startswith(b"kargo-webhooks "), "installed binary runs")
    with open(os.path.join(dest, "usr/lib/systemd/system/kargo-webhooks.service")) as f:
        unit = f.read()
    expect("ExecStart=/usr/bin/kargo-webhooks serve" in unit, "ExecStart uses BINDIR")
    expect("/usr/local" not in unit, "no /usr/local left in the unit")
    p = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
    eq(p.returncode, 0, "make uninstall: " + p.stderr.decode()[-2000:])
    eq(installed_files(dest), {}, "uninstall removes every file")


UNIT_HARDENING = ["NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
                  "PrivateTmp=yes", "PrivateDevices=yes", "CapabilityBoundingSet=",
                  "MemoryDenyWriteExecute=yes", "SystemCallFilter=@system-service",
                  "StateDirectory=kargo-webhooks", "User=kargo-webhooks",
                  "ReadOnlyPaths=/etc/kargo-webhooks"]


def test_install_systemd_unit(tmp):
    """The unit, installed under a real prefix, passes systemd-analyze
    verify and scores as OK or better in systemd-analyze security."""
    with open(os.path.join(ROOT, "dist", "kargo-webhooks.service")) as f:
        lines = set(f.read().splitlines())
    for opt in UNIT_HARDENING:
        expect(opt in lines, "unit sets " + opt)
    with open(os.path.join(ROOT, "dist", "kargo-webhooks.sysusers")) as f:
        expect(re.search(r"(?m)^u kargo-webhooks ", f.read()), "sysusers entry")
    if shutil.which("systemd-analyze") is None:
        raise Skip("no systemd-analyze")
    prefix = os.path.join(tmp, "prefix")
    p = make("install", "PREFIX=" + prefix)
    eq(p.returncode, 0, "make install: " + p.stderr.decode()[-2000:])
    unit = os.path.join(prefix, "lib/systemd/system/kargo-webhooks.service")
    p = subprocess.run(["systemd-analyze", "verify", unit], capture_output=True, timeout=60)
    eq(p.returncode, 0, "systemd-analyze verify: " + p.stderr.decode())
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                       capture_output=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout.decode())
    if m is None:
        raise Skip("systemd-analyze security --offline not supported: " + p.stderr.decode()[-200:])
    expect(float(m.group(1)) <= 2.0, "exposure %s > 2.0" % m.group(1))


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_")]

