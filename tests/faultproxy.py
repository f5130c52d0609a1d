#!/usr/bin/env python3
"""faultproxy.py - a fault-injecting HTTP proxy for hoist's tests.

Sits on 127.0.0.1 in front of a real server (the registry, a token
service) and misbehaves as the file named by --control says.  The mode is
read again for every connection and every request, so a test switches
faults by rewriting that file:

  pass            forward every request (the fault has cleared)
  hang            accept the connection, read nothing, answer nothing
  slow            forward, but send the reply one byte per second
  reset-upload    reset the connection in the middle of a request body
  500             answer every request with 500
  429 SECS        answer every request with 429 and Retry-After: SECS
  tls-fail        (with --tls) answer the TLS ClientHello with garbage

When a fault clears, connections it holds (hung or trickling) are closed,
as a restarted load balancer would.  Each request is logged as
"MODE METHOD PATH STATUS" to --log.

Usage: faultproxy.py --port P --upstream HOST:PORT --control FILE --log FILE
                     [--tls CERT KEY] [--ready FILE]
"""
import argparse
import http.client
import socket
import socketserver
import ssl
import struct
import threading
import time

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


def mode(args):
    try:
        with open(args.control) as f:
            words = f.read().split()
    except OSError:
        words = []
    return words or ["pass"]


def log(args, line):
    with LOG_LOCK:
        with open(args.log, "a") as f:
            f.write(line + "\n")


LOG_LOCK = threading.Lock()


def reset(sock):
    """Close with a TCP RST, not a FIN: the peer sees 'connection reset'."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def hold(args, sock, fault):
    """Keep the connection open and silent until the mode changes."""
    while mode(args)[0] == fault:
        time.sleep(0.05)
    reset(sock)


def read_request(rfile):
    line = rfile.readline(65537)
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        raise ValueError("bad request line")
    headers = []
    while True:
        h = rfile.readline(65537)
        if h in (b"\r\n", b"\n", b""):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    return parts[0], parts[1], headers


def header(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def respond(wfile, status, reason, headers, body, trickle=None):
    out = "HTTP/1.1 %d %s\r\n" % (status, reason)
    for k, v in headers:
        out += "%s: %s\r\n" % (k, v)
    data = out.encode("latin-1") + b"\r\n" + body
    if trickle is None:
        wfile.write(data)
        wfile.flush()
        return True
    for i in range(len(data)):
        if not trickle():
            return False
        wfile.write(data[i:i + 1])
        wfile.flush()
        time.sleep(1)
    return True


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        args = self.server.args
        sock = self.request
        m = mode(args)
        if m[0] == "hang":
            log(args, "hang CONNECT - -")
            hold(args, sock, "hang")
            return
        if args.tls:
            if m[0] == "tls-fail":
                sock.recv(4096)  # the ClientHello
                sock.sendall(b"this is not TLS\r\n\r\n")
                log(args, "tls-fail HANDSHAKE - -")
                reset(sock)
                return
            try:
                sock = self.server.ctx.wrap_socket(sock, server_side=True)
            except (ssl.SSLError, OSError):
                return
        rfile = sock.makefile("rb")
        wfile = sock.makefile("wb")
        upstream = None
        try:
            while True:
                req = read_request(rfile)
                if req is None:
                    return
                method, path, headers = req
                m = mode(args)
                if m[0] == "hang":
                    log(args, "hang %s %s -" % (method, path))
                    hold(args, sock, "hang")
                    return
                length = int(header(headers, "content-length") or "0")
                if m[0] == "reset-upload" and length > 0:
                    rfile.read(max(1, length // 2))
                    log(args, "reset-upload %s %s RST" % (method, path))
                    reset(sock)
                    return
                body = rfile.read(length) if length else b""
                if m[0] == "500":
                    log(args, "500 %s %s 500" % (method, path))
                    respond(wfile, 500, "Internal Server Error",
                            [("Content-Length", "21")], b"fault: injected 500\n")
                    continue
                if m[0] == "429":
                    secs = m[1] if len(m) > 1 else "1"
                    log(args, "429 %s %s 429" % (method, path))
                    respond(wfile, 429, "Too Many Requests",
                            [("Retry-After", secs), ("Content-Length", "0")], b"")
                    continue
                if upstream is None:
                    upstream = http.client.HTTPConnection(args.upstream, timeout=60)
                fwd = {k: v for k, v in headers if k.lower() not in HOP}
                upstream.request(method, path, body=body if length else None, headers=fwd)
                r = upstream.getresponse()
                data = r.read()
                out = [(k, v) for k, v in r.getheaders() if k.lower() not in HOP and
                       k.lower() != "content-length"]
                if method != "HEAD":
                    out.append(("Content-Length", str(len(data))))
                elif r.getheader("Content-Length") is not None:
                    out.append(("Content-Length", r.getheader("Content-Length")))
                log(args, "%s %s %s %d" % (m[0], method, path, r.status))
                trickle = None
                if m[0] == "slow":
                    trickle = lambda: mode(args)[0] == "slow"
                if not respond(wfile, r.status, r.reason, out,
                               b"" if method == "HEAD" else data, trickle):
                    reset(sock)
                    return
        except (OSError, ValueError, http.client.HTTPException):
            return
        finally:
            if upstream is not None:
                upstream.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--control", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--ready")
    args = p.parse_args()
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.args = args
    if args.tls:
        srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.ctx.load_cert_chain(args.tls[0], args.tls[1])
    if args.ready:
        open(args.ready, "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
