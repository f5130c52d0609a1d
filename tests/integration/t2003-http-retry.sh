#!/bin/bash
# Transient registry answers: 429 and 503 are retried, honouring Retry-After;
# a permanent error is not retried.
. "$(dirname "$0")/../lib.sh"

PORT=$(free_port)
cat >server.py <<'EOT'
import http.server, sys, time, json
port, log = int(sys.argv[1]), sys.argv[2]
hits = {"n": 0}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def answer(self):
        if self.path.startswith("/v2/busy/"):
            hits["n"] += 1
        with open(log, "a") as f:
            f.write("%.3f %s %s\n" % (time.time(), self.command, self.path))
        if self.path.startswith("/v2/busy/") and hits["n"] <= 2:
            self.send_response(429); self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0"); self.end_headers(); return
        body = json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}).encode()
        self.send_response(404); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)
    do_GET = do_HEAD = answer
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOT
python3 server.py "$PORT" "$TRASH/requests" &
test_cleanup "kill $!"
wait_for_http "http://127.0.0.1:$PORT/v2/"
: >requests

test_expect_success '429 with Retry-After is retried after the time the server asks for' '
	HOIST_RETRY_MAX=4 test_must_fail hoist pull "127.0.0.1:$PORT/busy/app:1" -o x 2>err &&
	test_grep "MANIFEST_UNKNOWN\|manifest unknown" err &&
	grep " /v2/busy/" requests >busy &&
	test "$(wc -l <busy)" = 3 &&
	python3 -c "
import sys
t = [float(l.split()[0]) for l in open(\"busy\")]
gaps = [b - a for a, b in zip(t, t[1:])]
# Retry-After: 1 means at least a second between tries (a lower bound: sleeps never end early).
sys.exit(0 if all(g >= 0.95 for g in gaps) else 1)
" && test ! -e x
'

test_expect_success 'a 404 is final: one request, no retries' '
	: >requests &&
	HOIST_RETRY_MAX=4 test_must_fail hoist pull "127.0.0.1:$PORT/gone/app:1" -o y 2>err &&
	test "$(grep -c " /v2/gone/" requests)" = 1 && test ! -e y
'

test_done
