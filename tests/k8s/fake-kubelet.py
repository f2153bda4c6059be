#!/usr/bin/python3
"""A stand-in kubelet for tests (issue 21): watches the fake API server's Pods in one
namespace and runs each as a real process: its ConfigMap volumes and Secret volumes (read
from the API server) written into a directory per pod and bound at their mountPaths, its
container's command and args run inside SANDBOX (a command prefix such as bwrap ... that
takes `--ro-bind SRC DST` pairs, given before the program), its readiness probe (tcpSocket)
polled on 127.0.0.1: the pod becomes Running/Ready when the port accepts, Failed with the
exit code and the log's tail when the process ends first. A pod deleted from the API server
has its process killed. Each pod's DNS name (NAME.NAMESPACE.svc) is appended to --hosts.

usage: fake-kubelet.py --api URL --ca FILE --token T --namespace NS --dir DIR --hosts FILE
                       -- SANDBOX...
"""
import argparse
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request


def main():
    ap = argparse.ArgumentParser()
    for a in ("--api", "--ca", "--token", "--namespace", "--dir", "--hosts"):
        ap.add_argument(a, required=True)
    ap.add_argument("sandbox", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    sandbox = a.sandbox[1:] if a.sandbox[:1] == ["--"] else a.sandbox
    ctx = ssl.create_default_context(cafile=a.ca)

    def call(method, path, body=None):
        req = urllib.request.Request(a.api + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + a.token})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)

    running = {}  # name -> [process, port, ready]
    while True:
        try:
            objs = call("GET", "/_fake/objects")["items"]
        except Exception as e:  # the API server went away: the test is over
            print(f"fake-kubelet: {e}", file=sys.stderr)
            break
        mine = {o["metadata"]["name"]: o for o in objs
                if o["metadata"].get("namespace") == a.namespace}
        pods = {n: o for n, o in mine.items() if o["kind"] == "Pod"}
        for name, (proc, _, _) in list(running.items()):
            if name not in pods or pods[name]["kind"] != "Pod":
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                print(f"fake-kubelet: pod {name} deleted: process ended", file=sys.stderr)
                del running[name]
        for name, pod in pods.items():
            if name in running:
                continue
            spec = pod["spec"]
            c = spec["containers"][0]
            pdir = os.path.join(a.dir, name)
            binds = []
            for vol in spec.get("volumes", []):
                vdir = os.path.join(pdir, vol["name"])
                os.makedirs(vdir, exist_ok=True)
                if "configMap" in vol:
                    cm = next(o for o in objs if o["kind"] == "ConfigMap" and
                              o["metadata"]["name"] == vol["configMap"]["name"])
                    for k, v in cm.get("data", {}).items():
                        with open(os.path.join(vdir, k), "w") as f:
                            f.write(v)
                elif "secret" in vol:
                    sec = next(o for o in objs if o["kind"] == "Secret" and
                               o["metadata"]["name"] == vol["secret"]["secretName"])
                    for k, v in sec.get("data", {}).items():
                        p = os.path.join(vdir, k)
                        with open(p, "wb") as f:
                            f.write(base64.b64decode(v))
                        os.chmod(p, vol["secret"].get("defaultMode", 0o644))
                mount = next(m["mountPath"] for m in c["volumeMounts"] if m["name"] == vol["name"])
                binds += ["--ro-bind", vdir, mount]
            with open(a.hosts, "a") as f:
                f.write(f"127.0.0.1 {name}.{a.namespace}.svc\n")
            log = open(os.path.join(a.dir, name + ".log"), "wb")
            proc = subprocess.Popen(sandbox + binds + ["--"] + c["command"] + c.get("args", []),
                                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            port = c["readinessProbe"]["tcpSocket"]["port"]
            running[name] = [proc, port, False]
            print(f"fake-kubelet: pod {name} started (pid {proc.pid})", file=sys.stderr)
        for name, entry in running.items():
            proc, port, ready = entry
            code = proc.poll()
            if code is not None and entry[2] is not None:
                with open(os.path.join(a.dir, name + ".log"), "rb") as f:
                    tail = f.read()[-2048:].decode("utf-8", "replace")
                call("POST", f"/_fake/pod/{a.namespace}/{name}",
                     {"phase": "Failed", "exitCode": code if code >= 0 else 128 - code,
                      "reason": "Error", "message": tail})
                entry[2] = None  # reported
            elif code is None and not ready:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    call("POST", f"/_fake/pod/{a.namespace}/{name}",
                         {"phase": "Running", "ready": True})
                    entry[2] = True
                except OSError:
                    pass
        time.sleep(0.2)
    for proc, _, _ in running.values():
        proc.kill()


if __name__ == "__main__":
    main()
