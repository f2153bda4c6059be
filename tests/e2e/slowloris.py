#!/usr/bin/python3
"""Slow clients against control-plane listeners (issue 15; tests/e2e/test-slowloris).

    slowloris.py SOURCE_ADDR SECONDS N NAME=URL...

From SOURCE_ADDR, opens N connections to each URL (http:// or https://, the
TLS handshake done without verification: the attacker is anyone), sends the
start of a request and then one byte every 0.5 s, so that no idle timeout ever
fires, for SECONDS. Prints one JSON line per target:
  opened        connections whose TCP (and TLS) set-up succeeded
  cut_at_once   of those, closed by the server within 1 s (over the per-address cap)
  held_max      most of them open at the same moment after the first second
  cut_later     closed by the server later (the request deadline)
  lived_max_s   the longest any connection lived before the server closed it
  alive_at_end  still open when SECONDS ended (none, if the deadline holds)
Standard library only.
"""
import json
import resource
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit


def connect(src, url):
    u = urlsplit(url)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.bind((src, 0))
    s.connect((u.hostname, u.port))
    if u.scheme == "https":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s, server_hostname=u.hostname)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    s.setblocking(False)
    return s


def closed_by_peer(s):
    try:
        return s.recv(4096) == b""
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except OSError:
        return True


def main():
    src, seconds, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    targets = [a.split("=", 1) for a in sys.argv[4:]]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n * len(targets) + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    conns = []  # [name, socket, opened_at, closed_at]
    stats = {name: {"target": name, "opened": 0, "cut_at_once": 0, "held_max": 0,
                    "cut_later": 0, "lived_max_s": 0.0, "alive_at_end": 0}
             for name, _ in targets}
    for name, url in targets:
        for _ in range(n):
            try:
                conns.append([name, connect(src, url), time.monotonic(), None])
                stats[name]["opened"] += 1
            except OSError:
                pass  # refused during set-up: not held
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        now = time.monotonic()
        held = {name: 0 for name, _ in targets}
        for c in conns:
            if c[3] is not None:
                continue
            dead = closed_by_peer(c[1])
            if not dead:
                try:
                    c[1].send(b"a")
                except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                except OSError:
                    dead = True
            if dead:
                c[3] = now
                st = stats[c[0]]
                if now - c[2] <= 1.0:
                    st["cut_at_once"] += 1
                else:
                    st["cut_later"] += 1
                    st["lived_max_s"] = max(st["lived_max_s"], round(now - c[2], 1))
            elif now - c[2] > 1.0:
                held[c[0]] += 1
        for name in held:
            stats[name]["held_max"] = max(stats[name]["held_max"], held[name])
        time.sleep(0.5)
    for c in conns:
        if c[3] is None:
            stats[c[0]]["alive_at_end"] += 1
        c[1].close()
    for name, _ in targets:
        print(json.dumps(stats[name]), flush=True)


if __name__ == "__main__":
    main()
