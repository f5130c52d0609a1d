#!/usr/bin/env python3
"""A small HTTP server for the remote-source tests, on 127.0.0.1 only.

  /git/REPO...        Git's smart HTTP protocol: the real `git http-backend`
                      run as a CGI over --root/git (every repository exported)
  /redirect/N/REST    302 to the --redirect N target + REST (N indexes the
                      --redirect options, from 0)

While the file --root/stall exists, a Git fetch's POST (git-upload-pack)
is read and never answered, the connection kept open: a server that hangs
mid-fetch, after its ref advertisement went out fine.
  anything else       a static file below --root/files

It writes its port to --ready once listening, and logs every request line
to --log, so tests can check what was fetched (and that nothing was).
"""
import argparse
import http.server
import os
import socketserver
import subprocess
import sys
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        with open(self.server.opts.log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        path, _, query = self.path.partition("?")
        if path.startswith("/git/"):
            return self.git(path[4:], query)
        if path.startswith("/redirect/"):
            parts = path.split("/", 3)
            target = self.server.opts.redirect[int(parts[2])]
            self.send_response(302)
            self.send_header("Location", target + (parts[3] if len(parts) > 3 else "") +
                             ("?" + query if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        full = os.path.realpath(os.path.join(self.server.opts.root, "files", path.lstrip("/")))
        base = os.path.realpath(os.path.join(self.server.opts.root, "files"))
        if not full.startswith(base + "/") or not os.path.isfile(full):
            self.send_error(404)
            return
        with open(full, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def git(self, path_info, query):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        stall = os.path.join(self.server.opts.root, "stall")
        if self.command == "POST" and os.path.exists(stall):
            while os.path.exists(stall):
                time.sleep(0.1)
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": os.path.join(self.server.opts.root, "git"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": os.environ.get("HOME", "/tmp"),
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.split(b"\r\n"):
            if not line:
                continue
            k, _, v = line.decode().partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            else:
                headers.append((k, v.strip()))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--redirect", action="append", default=[])
    ap.add_argument("--port", type=int, default=0)
    opts = ap.parse_args()
    srv = Server(("127.0.0.1", opts.port), Handler)
    srv.opts = opts
    with open(opts.ready + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(opts.ready + ".tmp", opts.ready)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
