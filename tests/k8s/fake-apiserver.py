#!/usr/bin/python3
"""A small fake Kubernetes API server for tests (issue 21): ConfigMaps, Pods,
Services and Secrets in namespaces, with what the kubernetes backend and
kubectl (apply, get, delete) rely on: discovery (/api, /apis, /api/v1),
create (409 AlreadyExists), get/list with labelSelector (404 NotFound),
update with resourceVersion (409 Conflict), merge and strategic-merge
patches (as JSON merge patches: enough for kubectl apply of these kinds),
delete with preconditions (409 Conflict), every error a Status object.
Bearer-token authentication when --token is given (401 otherwise), TLS when
--tls CERT KEY is given; with --client-ca a client certificate of that CA stands for the token.

Test controls (no authentication, under /_fake):
  POST /_fake/pod/NS/NAME   {"phase":..,"ready":bool,"exitCode":N,"reason":..,"message":..,
                             "waiting":REASON}   sets the pod's status (resourceVersion moves)
  POST /_fake/fail          {"method":"POST","resource":"pods","code":409,"reason":..,
                             "message":..,"count":1}   the next matching requests fail so
  GET  /_fake/objects       every object, {"items":[...]}
  GET  /_fake/requests      the requests seen, [{"method","path","content_type","body","code"}]
It writes its port to --port-file once it listens. Loopback only."""
import argparse
import json
import re
import ssl
import sys
import threading
import urllib.parse
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = {  # resource -> (kind, short names)
    "configmaps": ("ConfigMap", ["cm"]),
    "pods": ("Pod", ["po"]),
    "services": ("Service", ["svc"]),
    "secrets": ("Secret", []),
}
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

lock = threading.Lock()
objects = {}  # (resource, ns, name) -> obj
requests_seen = []
failures = []
counter = [1000]
token = None


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_rv():
    counter[0] += 1
    return str(counter[0])


def status(code, reason, message, name=None, kind=None):
    st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
          "message": message, "reason": reason, "code": code}
    if name is not None:
        st["details"] = {"name": name, "kind": kind}
    return code, st


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if k.startswith("$"):  # strategic-merge directives ($patch, $retainKeys, ...)
            continue
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def matches(obj, selector):
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.split("=", 1)
            if labels.get(k.rstrip("=")) != v:
                return False
        elif labels.get(term) is None:
            return False
    return True


def validate(resource, ns, obj, name=None):
    """The checks the real API server makes that our clients could get wrong."""
    kind = KINDS[resource][0]
    if not isinstance(obj, dict):
        return status(400, "BadRequest", "the body is not an object")
    if obj.get("kind") != kind or obj.get("apiVersion") != "v1":
        return status(400, "BadRequest", f"expected kind {kind} apiVersion v1, got "
                      f"{obj.get('kind')} {obj.get('apiVersion')}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        return status(422, "Invalid", f"{kind} without metadata.name")
    n = meta["name"]
    rule = DNS1035 if resource == "services" else DNS1123
    if len(n) > (63 if resource == "services" else 253) or not rule.match(n):
        return status(422, "Invalid", f'{kind} "{n}" is invalid: metadata.name: Invalid value',
                      n, resource)
    if meta.get("namespace") not in (None, ns):
        return status(400, "BadRequest", "the namespace of the provided object does not match "
                      "the namespace sent on the request")
    if name is not None and n != name:
        return status(400, "BadRequest", "the name of the object does not match the URL")
    for k, v in (meta.get("labels") or {}).items():
        if not isinstance(v, str) or len(v) > 63:
            return status(422, "Invalid", f"metadata.labels: Invalid value: {v!r}")
    if resource == "pods":
        spec = obj.get("spec")
        if not isinstance(spec, dict) or not spec.get("containers"):
            return status(422, "Invalid", f'Pod "{n}" is invalid: spec.containers: Required value')
        for c in spec["containers"]:
            if not c.get("image"):
                return status(422, "Invalid", f'Pod "{n}" is invalid: spec.containers[0].image: '
                              "Required value")
    if resource == "services":
        ports = (obj.get("spec") or {}).get("ports")
        if not ports:
            return status(422, "Invalid", f'Service "{n}" is invalid: spec.ports: Required value')
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless asked
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: " + fmt % args + "\n")

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return None, raw
        try:
            return json.loads(raw), raw
        except ValueError:
            return ValueError, raw

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parsed, raw = self.body()
        if url.path.startswith("/_fake/"):
            return self.reply(*self.control(method, url.path, parsed))
        entry = {"method": method, "path": self.path,
                 "content_type": self.headers.get("Content-Type"),
                 "body": parsed if parsed is not ValueError else raw.decode("utf-8", "replace")}
        cert_user = isinstance(self.connection, ssl.SSLSocket) and self.connection.getpeercert()
        if token is not None and not cert_user and \
                self.headers.get("Authorization") != "Bearer " + token:
            code, body = status(401, "Unauthorized", "Unauthorized")
        elif parsed is ValueError:
            code, body = status(400, "BadRequest", "the body is not JSON")
        else:
            code, body = self.route(method, url.path, query, parsed)
        entry["code"] = code
        with lock:
            requests_seen.append(entry)
        self.reply(code, body)

    def control(self, method, path, body):
        parts = path.split("/")[2:]
        with lock:
            if method == "GET" and parts == ["objects"]:
                return 200, {"items": list(objects.values())}
            if method == "GET" and parts == ["requests"]:
                return 200, requests_seen
            if method == "POST" and parts == ["fail"]:
                failures.append(dict(body, count=body.get("count", 1)))
                return 200, {}
            if method == "POST" and len(parts) == 3 and parts[0] == "pod":
                pod = objects.get(("pods", parts[1], parts[2]))
                if pod is None:
                    return status(404, "NotFound", "no such pod")
                st = {"phase": body.get("phase", "Pending"),
                      "conditions": [{"type": "Ready",
                                      "status": "True" if body.get("ready") else "False"}]}
                c = {"name": pod["spec"]["containers"][0]["name"], "ready": bool(body.get("ready")),
                     "restartCount": 0, "image": pod["spec"]["containers"][0]["image"]}
                if "exitCode" in body:
                    c["state"] = {"terminated": {"exitCode": body["exitCode"],
                                                 "reason": body.get("reason", "Error"),
                                                 "message": body.get("message", "")}}
                elif "waiting" in body:
                    c["state"] = {"waiting": {"reason": body["waiting"],
                                              "message": body.get("message", "")}}
                elif body.get("phase") == "Running":
                    c["state"] = {"running": {"startedAt": now()}}
                st["containerStatuses"] = [c]
                pod["status"] = st
                pod["metadata"]["resourceVersion"] = next_rv()
                return 200, pod
        return status(404, "NotFound", "no such control")

    def injected(self, method, resource):
        with lock:
            for f in failures:
                if f.get("method", method) == method and f.get("resource", resource) == resource \
                        and f["count"] > 0:
                    f["count"] -= 1
                    return status(f["code"], f.get("reason", ""), f.get("message", "injected"))
        return None

    def route(self, method, path, query, body):
        port = self.server.server_address[1]
        if path == "/version":
            return 200, {"major": "1", "minor": "32", "gitVersion": "v1.32.0-fake",
                         "platform": "linux/amd64"}
        if path == "/api":
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                         "serverAddress": f"127.0.0.1:{port}"}]}
        if path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if path == "/api/v1":
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": r, "singularName": k.lower(), "namespaced": True, "kind": k,
                 "shortNames": s, "verbs": ["create", "delete", "get", "list", "patch",
                                            "update", "watch"]}
                for r, (k, s) in KINDS.items()]}
        m = re.match(r"^/api/v1/namespaces/([a-z0-9-]+)$", path)
        if m and method == "GET":  # every namespace exists
            return 200, {"kind": "Namespace", "apiVersion": "v1",
                         "metadata": {"name": m.group(1)}, "status": {"phase": "Active"}}
        m = re.match(r"^/api/v1/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?$", path)
        if not m or m.group(2) not in KINDS:
            return status(404, "NotFound", f"the server could not find the requested resource "
                          f"({method} {path})")
        ns, resource, name = m.group(1), m.group(2), m.group(3)
        kind = KINDS[resource][0]
        inj = self.injected(method, resource)
        if inj is not None:
            return inj
        with lock:
            if name is None and method == "GET":
                sel = (query.get("labelSelector") or [""])[0]
                items = [o for (r, n, _), o in sorted(objects.items())
                         if r == resource and n == ns and matches(o, sel)]
                return 200, {"kind": kind + "List", "apiVersion": "v1",
                             "metadata": {"resourceVersion": str(counter[0])}, "items": items}
            if name is None and method == "POST":
                bad = validate(resource, ns, body)
                if bad:
                    return bad
                n = body["metadata"]["name"]
                if (resource, ns, n) in objects:
                    return status(409, "AlreadyExists", f'{resource} "{n}" already exists', n,
                                  resource)
                obj = json.loads(json.dumps(body))
                meta = obj["metadata"]
                meta.update(namespace=ns, uid=str(uuid.uuid4()), resourceVersion=next_rv(),
                            creationTimestamp=now())
                if resource == "pods":
                    obj["status"] = {"phase": "Pending", "conditions": [
                        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                         "message": "0/0 nodes are available (the fake schedules nothing "
                                    "until the test says so)"}]}
                if resource == "services":
                    obj["spec"].setdefault("clusterIP", "10.96.0." + str(len(objects) % 250 + 2))
                    obj["status"] = {"loadBalancer": {}}
                objects[(resource, ns, n)] = obj
                return 201, obj
            if name is None:
                return status(405, "MethodNotAllowed", f"{method} on a collection")
            key = (resource, ns, name)
            cur = objects.get(key)
            if cur is None:
                return status(404, "NotFound", f'{resource} "{name}" not found', name, resource)
            if method == "GET":
                return 200, cur
            if method == "DELETE":
                pre = (body or {}).get("preconditions") or {}
                if pre.get("uid") not in (None, cur["metadata"]["uid"]):
                    return status(409, "Conflict", f"Precondition failed: UID in precondition: "
                                  f"{pre['uid']}, UID in object meta: {cur['metadata']['uid']}",
                                  name, resource)
                if pre.get("resourceVersion") not in (None, cur["metadata"]["resourceVersion"]):
                    return status(409, "Conflict", "Precondition failed: ResourceVersion in "
                                  f"precondition: {pre['resourceVersion']}, ResourceVersion in "
                                  f"object meta: {cur['metadata']['resourceVersion']}", name,
                                  resource)
                del objects[key]
                return 200, cur
            if method == "PUT":
                bad = validate(resource, ns, body, name)
                if bad:
                    return bad
                rv = body["metadata"].get("resourceVersion")
                if rv is not None and rv != cur["metadata"]["resourceVersion"]:
                    return status(409, "Conflict", f'Operation cannot be fulfilled on {resource} '
                                  f'"{name}": the object has been modified; please apply your '
                                  "changes to the latest version and try again", name, resource)
                if cur.get("immutable") and body.get("data") != cur.get("data"):
                    return status(422, "Invalid", f'{kind} "{name}" is invalid: data: Forbidden: '
                                  "field is immutable when `immutable` is set")
                obj = json.loads(json.dumps(body))
                for k in ("uid", "creationTimestamp"):
                    obj["metadata"][k] = cur["metadata"][k]
                obj["metadata"].update(namespace=ns, resourceVersion=next_rv())
                if "status" in cur:
                    obj["status"] = cur["status"]
                objects[key] = obj
                return 200, obj
            if method == "PATCH":
                ctype = (self.headers.get("Content-Type") or "").split(";")[0]
                if ctype not in ("application/merge-patch+json",
                                 "application/strategic-merge-patch+json"):
                    return status(415, "UnsupportedMediaType", f"patch type {ctype} is not "
                                  "supported by this fake")
                obj = merge_patch(cur, body or {})
                bad = validate(resource, ns, obj, name)
                if bad:
                    return bad
                if cur.get("immutable") and obj.get("data") != cur.get("data"):
                    return status(422, "Invalid", f'{kind} "{name}" is invalid: data: Forbidden: '
                                  "field is immutable when `immutable` is set")
                obj["metadata"]["resourceVersion"] = next_rv()
                objects[key] = obj
                return 200, obj
        return status(405, "MethodNotAllowed", method)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")


def main():
    global token
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--token")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca", help="with --tls: clients may authenticate with a "
                    "certificate of this CA instead of the token (an x509 user)")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    token = a.token
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.verbose = a.verbose
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
        if a.client_ca:
            ctx.load_verify_locations(a.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(a.port_file + ".tmp", a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
