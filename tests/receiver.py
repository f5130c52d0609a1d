#!/usr/bin/env python3
"""receiver.py - an HTTP receiver of hoist-agent notifications for the tests.

Records every POST it gets, whatever the path, as one JSON line in --log:
{"path", "headers" (names lowercased), "body" (text)}, and answers with the
status written in the --control file (default 200; "429:2" answers 429 with
Retry-After: 2).  It checks nothing itself: the tests verify signatures and
payloads from the log, with their own code.

  receiver.py --port PORT --log FILE [--control FILE] [--ready FILE]
"""
import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--control")
    ap.add_argument("--ready")
    a = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8")
            status, retry = 200, None
            if a.control and os.path.exists(a.control):
                word = open(a.control).read().strip()
                if word:
                    code, _, retry = word.partition(":")
                    status = int(code)
            if 200 <= status < 300:
                rec = {"path": self.path,
                       "headers": {k.lower(): v for k, v in self.headers.items()},
                       "body": body}
                with open(a.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")
            self.send_response(status)
            if retry:
                self.send_header("Retry-After", retry)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    if a.ready:
        open(a.ready, "w").close()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
