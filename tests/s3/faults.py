#!/usr/bin/python3
"""An S3 front that misbehaves on purpose (issue 18's tests): it forwards
requests unchanged to a real S3 server (the Host header too, so SigV4
signatures still verify there) and injects one fault, for what s3rver itself
never does: a connection cut in the middle of an object, an object replaced
between a cut and the resumption (412), a bucket in another region, a server
that stops sending.

usage: faults.py UPSTREAM MODE [ARG]     prints "listening http://127.0.0.1:PORT"
  cut N        the first GET of an object: its headers and N bytes, then the
               connection closes; later requests are forwarded
  cut-412 N    as cut, then every request with If-Match answers 412
               PreconditionFailed (the object changed meanwhile)
  region NAME  every request: 400 AuthorizationHeaderMalformed naming NAME
  stall N      every GET: its headers and N bytes, then nothing (held open)
Each request is logged on stdout as one JSON line: method, path, range, if_match.
"""
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

UPSTREAM = urllib.parse.urlsplit(sys.argv[1])
MODE = sys.argv[2]
ARG = sys.argv[3] if len(sys.argv) > 3 else ""
state = {"cut_done": False}
lock = threading.Lock()


def error_doc(code, message, extra=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>%s'
            '<RequestId>faults</RequestId></Error>' % (code, message, extra)).encode()


class Front(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # the JSON lines below instead
        pass

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        return conn.getresponse()

    def relay_head(self, resp):
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "keep-alive"):
                self.send_header(name, value)
        self.end_headers()

    def do_GET(self):
        rng, if_match = self.headers.get("Range"), self.headers.get("If-Match")
        print(json.dumps({"method": "GET", "path": self.path, "range": rng, "if_match": if_match}),
              flush=True)
        if MODE == "region":
            return self.answer(400, error_doc(
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed; the region 'us-east-1' is wrong; expecting '%s'"
                % ARG, "<Region>%s</Region>" % ARG))
        if MODE == "cut-412" and if_match is not None:
            return self.answer(412, error_doc("PreconditionFailed",
                                              "At least one of the pre-conditions you specified did not hold"))
        with lock:
            cut = MODE in ("cut", "cut-412") and not state["cut_done"]
            state["cut_done"] = state["cut_done"] or cut
        resp = self.forward()
        if not (cut or MODE == "stall") or resp.status != 200:
            data = resp.read()
            self.relay_head(resp)
            self.wfile.write(data)
            return
        self.relay_head(resp)
        left = int(ARG)
        while left > 0:
            chunk = resp.read(min(left, 65536))
            if not chunk:
                break
            self.wfile.write(chunk)
            left -= len(chunk)
        self.wfile.flush()
        if MODE == "stall":
            time.sleep(3600)
        self.close_connection = True  # the cut: the client sees a short body

    def do_HEAD(self):
        print(json.dumps({"method": "HEAD", "path": self.path}), flush=True)
        resp = self.forward()
        resp.read()
        self.relay_head(resp)

    def do_PUT(self):
        print(json.dumps({"method": "PUT", "path": self.path}), flush=True)
        resp = self.forward()
        data = resp.read()
        self.relay_head(resp)
        self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    if MODE not in ("cut", "cut-412", "region", "stall") or (MODE != "region" and not ARG.isdigit()):
        sys.exit(__doc__)
    srv = Server(("127.0.0.1", 0), Front)
    print("listening http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()
