#!/usr/bin/env python3
"""A strict fake Kubernetes API server for the tests (Python 3 stdlib only).

It owns the protocol: TLS, bearer-token and client-certificate login,
discovery enough for kubectl, Status bodies shaped like kube-apiserver's,
consistent paged lists (limit/continue, 410 for a continue token older than
the compaction point), chunked watch streams (ADDED/MODIFIED/DELETED,
BOOKMARK, 410 as an HTTP status or as an ERROR event, timeoutSeconds),
RFC 7386 merge patch, 415 for strategic merge patch on custom resources,
409 for a stale update, and fault controls. The object store, its history
and the faults are the Store; Handler speaks HTTP; ApiServer listens and can
stop and start again on the same port. fakekube.FakeKube is the helper the
tests use; run as a program (--dir DIR) it serves until SIGTERM and takes
fault controls as JSON on a plain-HTTP control port (DIR/control-port).

Facts and sources: the Kubernetes API concepts documentation (lists,
paging, watches, 410 Gone, Status objects) and the API server's own
behaviour as kubectl exercises it (tests/integration/suite_kube_fake.py).
"""
import base64
import bisect
import collections
import copy
import http.server
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

# resource -> (group, version, kind, namespaced)
RESOURCES = {
    "warehouses": ("kargo.akuity.io", "v1alpha1", "Warehouse", True),
    "projectconfigs": ("kargo.akuity.io", "v1alpha1", "ProjectConfig", True),
    "promotions": ("kargo.akuity.io", "v1alpha1", "Promotion", True),
    "clusterconfigs": ("kargo.akuity.io", "v1alpha1", "ClusterConfig", False),
    "secrets": ("", "v1", "Secret", True),
    "namespaces": ("", "v1", "Namespace", False),
}
KINDS = {v[2]: k for k, v in RESOURCES.items()}
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's request body limit

CRD_PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
                   "application/apply-patch+yaml"]


def api_version(resource):
    g, v, _, _ = RESOURCES[resource]
    return g + "/" + v if g else v


def qualified(resource):
    """"warehouses.kargo.akuity.io", or "secrets" in the core group."""
    g = RESOURCES[resource][0]
    return resource + "." + g if g else resource


class ApiError(Exception):
    """A Status answer: code, reason, message, details, extra headers."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.headers = details, headers or {}

    def status(self):
        s = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": self.message, "reason": self.reason}
        if self.details is not None:
            s["details"] = self.details
        s["code"] = self.code
        return s


def details(resource, name):
    d = {"name": name}
    if RESOURCES[resource][0]:
        d["group"] = RESOURCES[resource][0]
    d["kind"] = resource
    return d


def not_found(resource, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (qualified(resource), name),
                    details(resource, name))


def expired(message):
    return ApiError(410, "Expired", message)


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ValueError("bad pointer")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(obj, ops):
    """RFC 6902: add, remove, replace and test (enough for a fake)."""
    obj = copy.deepcopy(obj)
    for op in ops:
        parts = json_pointer(op["path"])
        parent = obj
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent[last]
            if cur != op["value"]:
                raise ValueError("test failed")
        elif kind == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                i = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(i, op["value"])
                else:
                    parent[i] = op["value"]
            else:
                if kind == "replace" and last not in parent:
                    raise ValueError("replace of a missing key")
                parent[last] = op["value"]
        else:
            raise ValueError("unsupported op " + kind)
    return obj


def labels_match(obj, selector):
    """Equality-based label selectors: k=v, k==v, k!=v, k (exists)."""
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        term = term.strip()
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k) != v:
                return False
        elif term and term not in labels:
            return False
    return True


def field_filter(selector):
    """metadata.name and metadata.namespace only, as for custom resources."""
    want = {}
    for term in (selector or "").split(","):
        if not term:
            continue
        k, _, v = term.replace("==", "=").partition("=")
        if k not in ("metadata.name", "metadata.namespace"):
            raise ApiError(400, "BadRequest",
                           'field label not supported: %s' % k)
        want[k.split(".")[1]] = v
    return want


class Store:
    """Objects, their versions since the compaction point, the event log,
    watches, tokens and faults. One lock; watchers wait on a condition."""

    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 100
        self.compacted = 100         # history starts after this RV
        self.compact_as_event = True  # 410 as an ERROR event, else HTTP 410
        self.objects = {}            # (resource, ns, name) -> obj
        self.versions = {r: {} for r in RESOURCES}  # resource -> key -> [(rv, obj or None)]
        self.events = []             # (rv, resource, ns, type, obj), in RV order
        self.event_rvs = []          # their RVs, for bisect
        self.snapshots = collections.OrderedDict()  # (resource, ns, rv) -> sorted pairs
        self.tokens = set()
        self.cert_users = set()      # client certificate CNs accepted
        self.call_log = []
        self.patch_log = []
        self.faults = []             # dicts: verb, resource, name, status, count, retry_after
        self.forbidden = []          # (verb, resource, namespace)
        self.expire_continues = 0    # continue tokens answered 410 (-1: all)
        self.patch_delay = 0.0
        self.list_delay = {}         # resource -> seconds a list waits before answering
        self.watch_generation = 0    # bumped by drop_watches
        self.watch_split = 0         # >0: each watch event sent in chunks of this many bytes
        self.bookmark_interval = 1.0
        self.open_watches = 0
        self.unauthorized = 0        # requests answered 401
        self.connections = 0         # TCP connections accepted

    # -- objects ------------------------------------------------------
    def _bump(self):
        self.rv += 1
        return self.rv

    def _record(self, key, ev_type, obj):
        rv = int(obj["metadata"]["resourceVersion"])
        self.versions[key[0]].setdefault(key, []).append(
            (rv, None if ev_type == "DELETED" else obj))
        self.events.append((rv, key[0], key[1], ev_type, obj))
        self.event_rvs.append(rv)
        self.cond.notify_all()

    def put(self, obj, resource=None):
        """Create or replace, keeping uid and creation time; returns the stored copy."""
        obj = copy.deepcopy(obj)
        resource = resource or KINDS[obj["kind"]]
        g, v, kind, namespaced = RESOURCES[resource]
        obj["apiVersion"], obj["kind"] = api_version(resource), kind
        md = obj.setdefault("metadata", {})
        ns = md.get("namespace", "") if namespaced else ""
        if not namespaced:
            md.pop("namespace", None)
        key = (resource, ns, md["name"])
        with self.cond:
            old = self.objects.get(key)
            md["uid"] = old["metadata"]["uid"] if old else str(uuid.uuid4())
            md["creationTimestamp"] = (old["metadata"]["creationTimestamp"] if old else
                                       time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            md.setdefault("generation", old["metadata"].get("generation", 1) if old else 1)
            md["resourceVersion"] = str(self._bump())
            self.objects[key] = obj
            self._record(key, "MODIFIED" if old else "ADDED", obj)
            return copy.deepcopy(obj)

    def delete(self, resource, ns, name):
        key = (resource, ns if RESOURCES[resource][3] else "", name)
        with self.cond:
            old = self.objects.pop(key, None)
            if old is None:
                return None
            old = copy.deepcopy(old)
            old["metadata"]["resourceVersion"] = str(self._bump())
            self._record(key, "DELETED", old)
            return old

    def get(self, resource, ns, name):
        key = (resource, ns if RESOURCES[resource][3] else "", name)
        with self.cond:
            o = self.objects.get(key)
            return copy.deepcopy(o) if o else None

    def implicit_namespace(self, name):
        """A namespace exists while an object lives in it (kubectl asks on a 404)."""
        with self.cond:
            if not any(k[1] == name for k in self.objects):
                return None
        return {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "resourceVersion": "1"},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}

    def compact(self, as_event=True):
        with self.cond:
            self.compacted = self.rv
            self.compact_as_event = as_event
            self.events, self.event_rvs = [], []
            self.snapshots.clear()
            for vers in self.versions.values():
                for key in list(vers):
                    o = self.objects.get(key)
                    if o:
                        vers[key] = [(int(o["metadata"]["resourceVersion"]), o)]
                    else:
                        del vers[key]

    def events_after(self, pos):
        """The events with an RV above pos."""
        return self.events[bisect.bisect_right(self.event_rvs, pos):]

    def snapshot(self, resource, ns, rv):
        """The collection as it was at rv, sorted like etcd keys: a list of
        ((namespace, name), obj). Kept for the next pages of a paged list."""
        ck = (resource, ns, rv)
        if ck in self.snapshots:
            self.snapshots.move_to_end(ck)
            return self.snapshots[ck]
        out = []
        for key, vers in self.versions[resource].items():
            if ns and key[1] != ns:
                continue
            at = None
            for vrv, o in vers:
                if vrv <= rv:
                    at = o
            if at is not None:
                out.append(((key[1], key[2]), at))
        out.sort(key=lambda p: p[0])
        self.snapshots[ck] = out
        while len(self.snapshots) > 16:
            self.snapshots.popitem(last=False)
        return out

    # -- faults -------------------------------------------------------
    def fault_for(self, verb, resource, name):
        with self.cond:
            for f in self.faults:
                if f["verb"] not in (None, verb) or f["resource"] not in (None, resource):
                    continue
                if f["match"] is not None and f["match"] != name:
                    continue
                if f["count"] is not None:
                    if f["count"] <= 0:
                        continue
                    f["count"] -= 1
                return f
        return None

    def is_forbidden(self, verb, resource, ns):
        with self.cond:
            return any(v == verb and r == resource and n in (None, ns)
                       for v, r, n in self.forbidden)


def status_for_fault(f, verb, resource, ns, name):
    code = f["status"]
    hdr = {}
    if code == 429:
        ra = f.get("retry_after") or 1
        hdr["Retry-After"] = str(ra)
        return ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                        {"retryAfterSeconds": ra}, hdr)
    if code == 403:
        return forbidden(verb, resource, ns, name)
    if code == 404:
        return not_found(resource, name or "")
    if code == 409:
        return conflict(resource, name or "")
    if code == 504:
        return ApiError(504, "Timeout", "Timeout: request did not complete within requested "
                        "timeout - context deadline exceeded")
    if code == 503:
        hdr["Retry-After"] = str(f.get("retry_after") or 1)
        return ApiError(503, "ServiceUnavailable", "the server is currently unable to handle "
                        "the request", {"retryAfterSeconds": f.get("retry_after") or 1}, hdr)
    return ApiError(code, "InternalError", "Internal error occurred: injected fault",
                    {"causes": [{"message": "injected fault"}]})


def forbidden(verb, resource, ns, name):
    g = RESOURCES[resource][0]
    what = '%s "%s"' % (qualified(resource), name) if name else qualified(resource)
    where = ' in the namespace "%s"' % ns if ns else " at the cluster scope"
    return ApiError(403, "Forbidden",
                    '%s is forbidden: User "system:serviceaccount:kargo:test" cannot %s resource '
                    '"%s" in API group "%s"%s' % (what, verb, resource, g, where),
                    details(resource, name) if name else {"group": g, "kind": resource} if g
                    else {"kind": resource})


def conflict(resource, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                    'please apply your changes to the latest version and try again'
                    % (qualified(resource), name), details(resource, name))


def discovery_resources(group):
    rs = []
    for name, (g, v, kind, namespaced) in sorted(RESOURCES.items()):
        if g != group:
            continue
        rs.append({"name": name, "singularName": kind.lower(), "namespaced": namespaced,
                   "kind": kind, "verbs": ["delete", "deletecollection", "get", "list", "patch",
                                           "create", "update", "watch"],
                   "storageVersionHash": base64.b64encode(name.encode()).decode()[:11]})
    return rs


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver"
    sys_version = ""

    def log_message(self, fmt, *args):
        if os.environ.get("FAKEKUBE_DEBUG"):
            sys.stderr.write("fakekube: " + (fmt % args) + "\n")

    @property
    def store(self):
        return self.server.store

    def setup(self):
        super().setup()
        # As kube-apiserver (Go sets TCP_NODELAY on every connection): the
        # headers and the body go out in two writes, and with Nagle the
        # body waits for the client's delayed ACK of the headers, 40 ms a
        # response (8 s of a 100,000-object list in pages of 500).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    # -- answers ------------------------------------------------------
    def send_json(self, code, obj, headers=None, raw=None):
        body = ((raw if raw is not None else json.dumps(obj, separators=(",", ":"))) +
                "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_status(self, e):
        self.send_json(e.code, e.status(), e.headers)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit is "
                           "3145728")
        return self.rfile.read(n) if n else b""

    def authenticated(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer ") and auth[7:] in self.store.tokens:
            return True
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            cert = None
        if cert:
            cn = dict(x[0] for x in cert.get("subject", ())).get("commonName")
            return cn in self.store.cert_users
        return False

    def dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        try:
            body = self.read_body()
            if not self.authenticated():
                with self.store.cond:
                    self.store.unauthorized += 1
                raise ApiError(401, "Unauthorized", "Unauthorized")
            if not self.discovery(method, url.path):
                self.resource_call(method, url.path, query, body)
        except ApiError as e:
            self.send_error_status(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    # -- discovery ----------------------------------------------------
    def discovery(self, method, path):
        if method != "GET":
            return False
        port = self.server.server_address[1]
        docs = {
            "/version": {"major": "1", "minor": "30", "gitVersion": "v1.30.0-fake",
                         "gitCommit": "0" * 40, "gitTreeState": "clean",
                         "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.22.0",
                         "compiler": "gc", "platform": "linux/amd64"},
            "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % port}]},
            "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
                "name": "kargo.akuity.io",
                "versions": [{"groupVersion": "kargo.akuity.io/v1alpha1", "version": "v1alpha1"}],
                "preferredVersion": {"groupVersion": "kargo.akuity.io/v1alpha1",
                                     "version": "v1alpha1"}}]},
            "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1",
                        "resources": discovery_resources("")},
            "/apis/kargo.akuity.io/v1alpha1": {
                "kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": "kargo.akuity.io/v1alpha1",
                "resources": discovery_resources("kargo.akuity.io")},
        }
        if path.rstrip("/") in docs:
            self.send_json(200, docs[path.rstrip("/")])
            return True
        if path.startswith("/openapi/") or path == "/swagger.json":
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        return False

    # -- resources ----------------------------------------------------
    def parse(self, path):
        """(resource, namespace, name) or an ApiError 404."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, rest = "", parts[2:]
        elif parts[:3] == ["apis", "kargo.akuity.io", "v1alpha1"]:
            group, rest = "kargo.akuity.io", parts[3:]
        else:
            rest, group = None, None
        ns = ""
        if rest and rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        if not rest or len(rest) > 2 or rest[0] not in RESOURCES or \
                RESOURCES[rest[0]][0] != group or (ns and not RESOURCES[rest[0]][3]):
            raise ApiError(404, "NotFound", "the server could not find the requested resource",
                           {})
        return rest[0], ns, rest[1] if len(rest) == 2 else ""

    def verb(self, method, name, query):
        if method == "GET":
            if name:
                return "get"
            return "watch" if query.get("watch") in ("1", "true") else "list"
        return {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}[method]

    def resource_call(self, method, path, query, body):
        resource, ns, name = self.parse(path)
        verb = self.verb(method, name, query)
        if (method == "POST" and name) or (method in ("PUT", "PATCH", "DELETE") and not name):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on "
                           "the requested resource", {})
        st = self.store
        with st.cond:
            st.call_log.append((verb, RESOURCES[resource][0], resource, ns, name))
        if st.is_forbidden(verb, resource, ns):
            raise forbidden(verb, resource, ns, name)
        if verb == "patch" and st.patch_delay:
            time.sleep(st.patch_delay)
        if verb == "list" and st.list_delay.get(resource):
            time.sleep(st.list_delay[resource])
        f = st.fault_for(verb, resource, name)
        if f is not None:
            raise status_for_fault(f, verb, resource, ns, name)
        getattr(self, "do_" + verb)(resource, ns, name, query, body)

    def do_get(self, resource, ns, name, query, body):
        o = self.store.get(resource, ns, name)
        if o is None and resource == "namespaces":
            o = self.store.implicit_namespace(name)
        if o is None:
            raise not_found(resource, name)
        self.send_json(200, o)

    def do_list(self, resource, ns, name, query, body):
        st = self.store
        fields = field_filter(query.get("fieldSelector"))
        labels = query.get("labelSelector")
        limit = int(query.get("limit") or 0)
        with st.cond:
            if query.get("continue"):
                rv, start = self.decode_continue(query["continue"])
            else:
                rv, start = st.rv, None
            snap = st.snapshot(resource, ns, rv)
            first = 0 if start is None else bisect.bisect_right(snap, (start, ))
            while start is not None and first < len(snap) and snap[first][0] <= start:
                first += 1
            rest = snap[first:]
            if labels or fields:  # filters: a scan (rare in the tests)
                rest = [p for p in rest if labels_match(p[1], labels) and all(
                    p[1]["metadata"].get(f, "") == v for f, v in fields.items())]
            meta = {"resourceVersion": str(rv)}
            if limit and len(rest) > limit:
                last = rest[limit - 1][0]
                meta["continue"] = self.encode_continue(rv, last)
                meta["remainingItemCount"] = len(rest) - limit
                rest = rest[:limit]
            g, v, kind, _ = RESOURCES[resource]
            # Serialized under the lock: stored objects are replaced, never
            # changed in place, so this is the copy.
            raw = json.dumps({"apiVersion": api_version(resource), "kind": kind + "List",
                              "metadata": meta, "items": [o for _, o in rest]},
                             separators=(",", ":"))
        self.send_json(200, None, raw=raw)

    @staticmethod
    def encode_continue(rv, start):
        tok = {"v": "meta.k8s.io/v1", "rv": rv, "start": start[0] + "/" + start[1] + "\x00"}
        return base64.urlsafe_b64encode(json.dumps(tok).encode()).decode()

    def decode_continue(self, token):
        try:
            tok = json.loads(base64.urlsafe_b64decode(token.encode()))
            ns, _, name = tok["start"].rstrip("\x00").partition("/")
            rv = int(tok["rv"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "BadRequest", "continue key is not valid: illegal base64 data")
        if self.store.expire_continues:
            self.store.expire_continues -= self.store.expire_continues > 0
            rv = -1
        if rv < self.store.compacted:
            raise expired("The provided continue parameter is too old to display a consistent "
                          "list result. You can start a new list without the continue "
                          "parameter, or use the continue token in this response to retrieve "
                          "the remainder of the results. Continuing with the provided token "
                          "results in an inconsistent list - objects that were created, "
                          "modified, or deleted between the time the first chunk was returned "
                          "and now may show up in the list.")
        return rv, (ns, name)

    def do_create(self, resource, ns, name, query, body):
        obj = self.json_body(body)
        md = obj.setdefault("metadata", {})
        if RESOURCES[resource][3]:
            md.setdefault("namespace", ns)
        if not md.get("name"):
            raise ApiError(422, "Invalid", "%s is invalid: metadata.name: Required value: name "
                           "or generateName is required" % qualified(resource))
        if self.store.get(resource, ns, md["name"]) is not None:
            raise ApiError(409, "AlreadyExists", '%s "%s" already exists'
                           % (qualified(resource), md["name"]), details(resource, md["name"]))
        md.pop("resourceVersion", None)
        md["generation"] = 1
        self.send_json(201, self.store.put(obj, resource))

    def do_update(self, resource, ns, name, query, body):
        obj = self.json_body(body)
        md = obj.setdefault("metadata", {})
        if md.get("name") != name:
            raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the "
                           "name on the URL (%s)" % (md.get("name"), name))
        st = self.store
        with st.cond:
            old = st.get(resource, ns, name)
            if old is None:
                raise not_found(resource, name)
            if not md.get("resourceVersion") and RESOURCES[resource][0]:
                raise ApiError(422, "Invalid", '%s "%s" is invalid: metadata.resourceVersion: '
                               'Invalid value: 0: must be specified for an update'
                               % (qualified(resource), name), details(resource, name))
            if md.get("resourceVersion") and md["resourceVersion"] != \
                    old["metadata"]["resourceVersion"]:
                raise conflict(resource, name)
            self.keep_generation(old, obj)
            self.send_json(200, st.put(obj, resource))

    @staticmethod
    def keep_generation(old, new):
        gen = old["metadata"].get("generation", 1)
        if old.get("spec") != new.get("spec"):
            gen += 1
        new["metadata"]["generation"] = gen

    def do_patch(self, resource, ns, name, query, body):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        crd = bool(RESOURCES[resource][0])
        if ctype not in CRD_PATCH_TYPES and not (ctype == "application/strategic-merge-patch+json"
                                                 and not crd):
            raise ApiError(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: " + ", ".join(CRD_PATCH_TYPES))
        patch = self.json_body(body, any_json=True)
        st = self.store
        with st.cond:
            st.patch_log.append((ns, name, patch, ctype, resource))
            old = st.get(resource, ns, name)
            if old is None:
                raise not_found(resource, name)
            if ctype == "application/json-patch+json":
                try:
                    new = json_patch(old, patch)
                except (ValueError, KeyError, IndexError, TypeError) as e:
                    raise ApiError(422, "Invalid", "the server rejected our request due to an "
                                   "error in our request: %s" % e)
            elif ctype == "application/apply-patch+yaml":
                raise ApiError(415, "UnsupportedMediaType", "fake server: apply patch is not "
                               "implemented")
            else:
                if not isinstance(patch, dict):
                    raise ApiError(400, "BadRequest", "json: cannot unmarshal into Go value "
                                   "of type map[string]interface {}")
                new = merge_patch(old, patch)
            want_rv = (patch.get("metadata") or {}).get("resourceVersion") \
                if isinstance(patch, dict) else None
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise conflict(resource, name)
            md = new.setdefault("metadata", {})
            md["name"], md["uid"] = name, old["metadata"]["uid"]
            if ns:
                md["namespace"] = ns
            self.keep_generation(old, new)
            self.send_json(200, st.put(new, resource))

    def do_delete(self, resource, ns, name, query, body):
        o = self.store.delete(resource, ns, name)
        if o is None:
            raise not_found(resource, name)
        self.send_json(200, o)

    def json_body(self, body, any_json=False):
        try:
            obj = json.loads(body or b"null")
        except ValueError as e:
            raise ApiError(400, "BadRequest", "error decoding request body: %s" % e)
        if not any_json and not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "Object 'Kind' is missing in body")
        return obj

    # -- watch --------------------------------------------------------
    def do_watch(self, resource, ns, name, query, body):
        st = self.store
        fields = field_filter(query.get("fieldSelector"))
        labels = query.get("labelSelector")
        bookmarks = query.get("allowWatchBookmarks") in ("true", "1")
        timeout = float(query.get("timeoutSeconds") or 1800)
        rv_param = query.get("resourceVersion", "")
        with st.cond:
            if rv_param in ("", "0"):
                pos, initial = st.rv, [o for _, o in st.snapshot(resource, ns, st.rv)]
            else:
                try:
                    pos = int(rv_param)
                except ValueError:
                    raise ApiError(400, "BadRequest", "invalid resource version: " + rv_param)
                initial = []
                if pos < st.compacted and not st.compact_as_event:
                    raise expired("too old resource version: %d (%d)" % (pos, st.compacted))
            gone = pos < st.compacted
            generation = st.watch_generation
            st.open_watches += 1
        try:
            self.start_stream()
            if gone:
                self.send_event("ERROR", expired("too old resource version: %d (%d)"
                                                 % (pos, st.compacted)).status())
                self.end_stream()
                return
            keep = lambda o: (labels_match(o, labels) and all(
                o["metadata"].get(f, "") == v for f, v in fields.items()))
            for o in initial:
                if keep(o):
                    self.send_event("ADDED", o)
            self.stream(resource, ns, pos, keep, bookmarks, time.monotonic() + timeout,
                        generation)
        finally:
            with st.cond:
                st.open_watches -= 1

    def stream(self, resource, ns, pos, keep, bookmarks, deadline, generation):
        st = self.store
        last_sent = time.monotonic()
        while True:
            with st.cond:
                now = time.monotonic()
                if st.watch_generation != generation or self.server.stopping or now >= deadline:
                    break
                if pos < st.compacted:
                    out = [("ERROR", expired("too old resource version: %d (%d)"
                                             % (pos, st.compacted)).status())]
                    pos = st.rv
                else:
                    out = [(t, o) for rv, r, n, t, o in st.events_after(pos)
                           if r == resource and (not ns or n == ns) and keep(o)]
                    pos = st.rv
                if not out and not (bookmarks and now - last_sent >= st.bookmark_interval):
                    st.cond.wait(min(0.2, max(0.0, deadline - now)))
                    continue
                if not out:
                    g, v, kind, _ = RESOURCES[resource]
                    out = [("BOOKMARK", {"kind": kind, "apiVersion": api_version(resource),
                                         "metadata": {"resourceVersion": str(pos)}})]
            for t, o in out:
                self.send_event(t, o)
            last_sent = time.monotonic()
            if out[0][0] == "ERROR":
                break
        self.end_stream()

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def send_event(self, t, o):
        data = (json.dumps({"type": t, "object": o}, separators=(",", ":")) + "\n").encode()
        step = self.store.watch_split or len(data)
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class ThreadingTLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, store, context):
        self.store, self.context = store, context
        self.stopping = False
        self.conns = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        with self.store.cond:
            self.store.connections += 1
        # The handshake happens in the handler's thread, so a silent client
        # cannot block accept().
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), addr

    def track(self, conn, add):
        with self.conns_lock:
            (self.conns.add if add else self.conns.discard)(conn)

    def handle_error(self, request, client_address):
        # A client that went away mid-answer is not a test failure; a bug
        # in the fake is, so it is printed.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError, TimeoutError)):
            super().handle_error(request, client_address)

    def drop_all(self):
        with self.conns_lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ApiServer:
    """The listener: start(), stop() and start() again on the same port."""

    def __init__(self, store, cert, key, ca, port=0):
        self.store, self.port = store, port
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.context.load_verify_locations(ca)
        self.context.verify_mode = ssl.CERT_OPTIONAL
        self.httpd = None
        self.thread = None

    def start(self):
        deadline = time.monotonic() + 10
        while True:
            try:
                self.httpd = ThreadingTLSServer(("127.0.0.1", self.port), self.store,
                                                self.context)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self):
        if self.httpd is None:
            return
        self.httpd.stopping = True
        with self.store.cond:
            self.store.cond.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.httpd.drop_all()
        self.thread.join()
        self.httpd = None


class ControlHandler(http.server.BaseHTTPRequestHandler):
    """Program mode: POST / with {"call": NAME, "args": [...], "kwargs": {...}}
    runs fk.NAME(*args, **kwargs) and answers {"result": ...}."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            req = json.loads(self.rfile.read(n))
            if req["call"].startswith("_"):
                raise ValueError("private")
            result = getattr(self.server.fk, req["call"])(*req.get("args", []),
                                                          **req.get("kwargs", {}))
            code, out = 200, {"result": result}
        except Exception as e:  # noqa: BLE001 - the test that sent it reads the message
            code, out = 400, {"error": "%s: %s" % (type(e).__name__, e)}
        body = json.dumps(out, default=list).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def write_atomic(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main():
    import argparse
    import signal
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fakekube import FakeKube
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    args = ap.parse_args()
    fk = FakeKube(args.dir)
    ctl = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ControlHandler)
    ctl.fk = fk
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    write_atomic(os.path.join(args.dir, "control-port"), "%d\n" % ctl.server_address[1])
    write_atomic(os.path.join(args.dir, "port"), "%d\n" % fk.port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    ctl.shutdown()
    fk.close()


if __name__ == "__main__":
    main()
