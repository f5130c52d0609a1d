#!/bin/bash
# hoist-agent against hostile input (acceptance 4 of the agent's issue):
# artifacts built to hurt (path traversal, links, huge entries, 100k
# entries, alias bombs, object names that would bend a request path) in a
# real registry, and a hostile API server (huge, malformed and slow
# replies, 500s, broken objects).  Each must end in a clear error, without
# a crash, with nothing applied.
. "$(dirname "$0")/../lib.sh"

start_registry R || exit 1
start_apiserver K || exit 1
export KUBECONFIG="$APISERVER_K"

# push_raw NAME TARGZ: stores a .tar.gz as an artifact (Flux media types)
# without any check, as an attacker with registry access could.
cat >push_raw.py <<'EOF'
import hashlib, json, sys, urllib.request
reg, repo, path = sys.argv[1], sys.argv[2], sys.argv[3]
def blob(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    req = urllib.request.Request("http://%s/v2/%s/blobs/uploads/" % (reg, repo), method="POST")
    loc = urllib.request.urlopen(req).headers["Location"]
    if loc.startswith("/"):
        loc = "http://" + reg + loc
    sep = "&" if "?" in loc else "?"
    req = urllib.request.Request(loc + sep + "digest=" + d, data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(req)
    return d, len(data)
layer = open(path, "rb").read()
cd, cs = blob(b"{}")
ld, ls = blob(layer)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.cncf.flux.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.cncf.flux.content.v1.tar+gzip", "digest": ld, "size": ls}]}).encode()
req = urllib.request.Request("http://%s/v2/%s/manifests/prod" % (reg, repo), data=m, method="PUT",
                             headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
urllib.request.urlopen(req)
EOF

# craft.py KIND OUT: a hostile artifact.
cat >craft.py <<'EOF'
import gzip, hashlib, io, json, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]

class Zeros(io.RawIOBase):
    def __init__(self, n): self.left = n
    def readable(self): return True
    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n

def meta(files):
    return json.dumps({"apiVersion": "hoist.dev/v1alpha1", "kind": "Artifact", "app": "hostile",
        "version": "6.6.6", "created": "1970-01-01T00:00:00Z", "engine": {"name": "plain"},
        "environment": None, "revision": None, "source": None, "objects": [],
        "files": {n: "sha256:" + hashlib.sha256(d).hexdigest() for n, d in files.items()}}).encode()

def add(t, name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    t.addfile(ti, io.BytesIO(data))

gz = gzip.GzipFile(out, "wb", mtime=0, compresslevel=1)
t = tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT)
ok_yaml = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: default}\ndata: {a: b}\n"
if kind == "traversal":
    add(t, "hoist.json", meta({"manifests.yaml": ok_yaml}))
    add(t, "../manifests.yaml", ok_yaml)
elif kind == "link":
    add(t, "hoist.json", meta({"manifests.yaml": ok_yaml}))
    ti = tarfile.TarInfo("manifests.yaml")
    ti.type = tarfile.SYMTYPE
    ti.linkname = "/etc/passwd"
    t.addfile(ti)
elif kind == "huge":
    add(t, "hoist.json", meta({"manifests.yaml": ok_yaml}))
    ti = tarfile.TarInfo("manifests.yaml")
    ti.size = 300 << 20
    t.addfile(ti, Zeros(ti.size))
elif kind == "many":
    add(t, "hoist.json", meta({"manifests.yaml": ok_yaml}))
    for i in range(100000):
        add(t, "f%06d" % i, b"")
elif kind in ("bomb", "badname"):
    if kind == "bomb":
        y = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in range(1, 12):
            y += b"%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n" % (
                (b"a%d" % i,) * 2 + ((b"a%d" % (i - 1)) if i > 1 else b"a",) * 10)
        y = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: default}\ndata:\n  " + \
            y.replace(b"\n", b"\n  ").rstrip() + b"\n"
    else:
        y = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"../../secrets/x\", namespace: default}\ndata: {a: b}\n"
    add(t, "hoist.json", meta({"manifests.yaml": y}))
    add(t, "manifests.yaml", y)
t.close()
gz.close()
EOF

cat >agent.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $APISERVER_K
stateDir: $TRASH/state
apps:
EOF
for k in traversal link huge many bomb badname; do
	python3 craft.py $k $k.tgz || exit 1
	python3 push_raw.py "$REGISTRY_R" "hostile/$k" $k.tgz || exit 1
	printf '  - name: %s\n    source: %s/hostile/%s:prod\n    timeout: 10s\n' \
		$k "$REGISTRY_R" $k >>agent.yaml
done

# nothing_applied: no object carries a hostile app's label, no inventory exists.
nothing_applied() {
	test -z "$(kubectl get configmaps -A -l hoist.dev/app -o name)" &&
	test_must_fail kubectl get namespace hoist-system
}

hostile_artifact() { # NAME EXPECTED-MESSAGE
	test_must_fail "$HOIST_BUILD/hoist-agent" sync "$1" --once -c agent.yaml >out 2>err &&
	cat err &&
	test_grep "hoist-agent: error: $1: .*$2" err &&
	nothing_applied
}

test_expect_success 'an artifact entry outside the artifact (../) is refused' '
	hostile_artifact traversal "\.\./manifests.yaml"
'
test_expect_success 'an artifact with a symbolic link is refused' '
	hostile_artifact link "manifests.yaml"
'
test_expect_success 'an artifact entry past the unpacked size limit is refused' '
	hostile_artifact huge "unpacks to more than 268435456 bytes"
'
test_expect_success 'an artifact of 100,000 entries is refused' '
	hostile_artifact many "more than 64 files"
'
test_expect_success 'an alias bomb in the manifests is refused' '
	hostile_artifact bomb "alias\|nodes\|limit"
'
test_expect_success 'an object name that would bend the request path is refused' '
	hostile_artifact badname "not a valid object name"
'

# The hostile API server: one mode per instance.
cat >evil.py <<'EOF'
import http.server, json, socketserver, sys, time
mode, port_file, log = sys.argv[1], sys.argv[2], sys.argv[3]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass
    def do(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.body = self.rfile.read(n) if n else b""
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        p = self.path.split("?")[0]
        if mode == "huge":
            return self.send(200, b"{\"kind\":\"APIVersions\",\"x\":\"" + b"a" * (40 << 20) + b"\"}")
        if mode == "malformed":
            return self.send(200, b"{\"kind\":\"APIVersions\",\"versions\":[\"v1\"")
        if mode == "slow":
            time.sleep(30)
            return self.send(200, b"{}")
        if mode == "500":
            return self.send(500, b"<html>internal error</html>", "text/html")
        # "badobject" and "prunefail": valid legacy discovery.
        if p == "/api":
            return self.send(200, json.dumps({"kind": "APIVersions", "versions": ["v1"]}).encode())
        if p == "/apis":
            return self.send(200, json.dumps({"kind": "APIGroupList", "groups": []}).encode())
        if p == "/api/v1":
            return self.send(200, json.dumps({"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "configmaps", "namespaced": True, "kind": "ConfigMap"},
                {"name": "namespaces", "namespaced": False, "kind": "Namespace"}]}).encode())
        if mode == "badobject":
            return self.send(200, b"{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\",\"metadata\":[1,2")
        # "prunefail": the app's objects exist; deleting the stale one fails.
        def cm(name, extra=None):
            o = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": name, "namespace": "default", "labels": {"hoist.dev/app": "good"}},
                 "data": {"a": "b"}}
            o.update(extra or {})
            return json.dumps(o).encode()
        inv = "/api/v1/namespaces/hoist-system/configmaps/hoist-inventory-good"
        if self.command == "GET" and p == inv:
            import base64, gzip
            data = gzip.compress(b"v1\tConfigMap\tdefault\tgood\nv1\tConfigMap\tdefault\tstale\n")
            return self.send(200, json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "hoist-inventory-good", "namespace": "hoist-system",
                             "annotations": {"hoist.dev/digest": "sha256:old"}},
                "binaryData": {"inventory.gz": base64.b64encode(data).decode()}}).encode())
        if self.command == "PATCH" and p == inv:
            open(log + ".inventory", "wb").write(self.body)
            return self.send(200, self.body)
        if self.command == "PATCH" and p == "/api/v1/namespaces/default/configmaps/good":
            return self.send(200, self.body)
        if self.command == "GET" and p.startswith("/api/v1/namespaces/default/configmaps/"):
            return self.send(200, cm(p.rsplit("/", 1)[1]))
        if self.command == "DELETE":
            return self.send(500, json.dumps({"kind": "Status", "status": "Failure", "code": 500,
                "message": "etcdserver: request timed out"}).encode())
        return self.send(404, json.dumps({"kind": "Status", "status": "Failure", "code": 404,
            "reason": "NotFound", "message": "not found"}).encode())
    do_GET = do_PATCH = do_PUT = do_POST = do_DELETE = do

class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF

mkdir -p good
cat >good/cm.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: good, namespace: default}
data: {a: b}
EOF
hoist pack good -o good.tgz --app good --version 1.0.0 >/dev/null &&
hoist push good.tgz "$REGISTRY_R/apps/good:prod" >/dev/null 2>&1 || exit 1

for m in huge malformed slow 500 badobject prunefail; do
	python3 evil.py $m "$TRASH/evil-$m.port" "$TRASH/evil-$m.log" &
	echo $! >"$TRASH/evil-$m.pid"
	test_cleanup "kill \$(cat '$TRASH/evil-$m.pid') 2>/dev/null"
done
for m in huge malformed slow 500 badobject prunefail; do
	i=0
	while [ ! -s "$TRASH/evil-$m.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cat >"kc-$m" <<EOF
apiVersion: v1
kind: Config
current-context: evil
clusters: [{name: evil, cluster: {server: "http://127.0.0.1:$(cat "$TRASH/evil-$m.port")"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: evil, context: {cluster: evil, user: u}}]
EOF
	cat >"agent-$m.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $TRASH/kc-$m
stateDir: $TRASH/state-$m
apiTimeout: $(test $m = slow && echo 1s || echo 60s)
apps:
  - name: good
    source: $REGISTRY_R/apps/good:prod
    timeout: 5s
EOF
done

hostile_server() { # MODE EXPECTED-MESSAGE
	test_must_fail "$HOIST_BUILD/hoist-agent" sync good --once -c "agent-$1.yaml" >out 2>err &&
	cat err &&
	test_grep "hoist-agent: error: good: .*$2" err &&
	# Nothing was written: no apply other than dry runs, no delete.  The
	# Kubernetes Events reporting the failure (docs/agent.md) are the only
	# POSTs, to .../events.
	! grep -v "dryRun=All" "evil-$1.log" | grep -v "^POST /api/v1/namespaces/[a-z0-9-]*/events$" |
		grep "^PATCH\|^PUT\|^POST\|^DELETE"
}

test_expect_success 'a huge API reply is cut at its limit' '
	hostile_server huge "larger than"
'
test_expect_success 'a malformed API reply is a clear error' '
	hostile_server malformed "not valid JSON"
'
test_expect_success 'a stalled API server times out' '
	hostile_server slow "timed out"
'
test_expect_success 'an API server answering 500 is retried, then reported' '
	hostile_server 500 "answered 500" &&
	test "$(grep -c "^GET /api\$" evil-500.log)" -ge 2
'
test_expect_success 'broken objects from the API server stop the sync before anything is written' '
	hostile_server badobject "not valid JSON\|not an object"
'

test_expect_success 'a deletion that fails keeps its object in the inventory, to be retried' '
	test_must_fail "$HOIST_BUILD/hoist-agent" sync good --once -c agent-prunefail.yaml >out 2>err &&
	test_grep "prune-failed.*ConfigMap default/stale: etcdserver: request timed out" err &&
	test_grep "error: good: 1 objects could not be pruned (kept in the inventory, retried next sync)" err &&
	test "$(grep -c "^DELETE /api/v1/namespaces/default/configmaps/stale" evil-prunefail.log)" -ge 2 &&
	python3 - "$TRASH/evil-prunefail.log.inventory" <<-\EOF
	import base64, gzip, json, sys
	cm = json.load(open(sys.argv[1]))
	lines = gzip.decompress(base64.b64decode(cm["binaryData"]["inventory.gz"])).decode().splitlines()
	assert lines == ["v1\tConfigMap\tdefault\tgood", "v1\tConfigMap\tdefault\tstale"], lines
	EOF
'

test_done
