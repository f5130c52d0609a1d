#!/bin/sh
# Writes the seed corpus of fuzz-agent-api (tests/fuzz/corpus/agent-api/):
# routes, Authorization headers, sync bodies, and pushes of a real artifact
# (packed, pushed to an OCI layout and signed by hoist itself, with the
# test-only key tests/fuzz/agent-api-seed.key whose public half is in
# fuzz-agent-api.c): valid, unsigned, tampered, and with bad headers.
#   HOIST_BUILD=build sh tests/fuzz/agent-api-seed.sh
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
out="$top/tests/fuzz/corpus/agent-api"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out" "$tmp/app"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: seed\ndata:\n  k: v\n' >"$tmp/app/cm.yaml"
"$B/hoist" pack "$tmp/app" -o "$tmp/a.tgz" --app seed --version 1.0.0 \
	--created 2026-01-01T00:00:00Z >/dev/null
"$B/hoist" push "$tmp/a.tgz" "oci-layout:$tmp/store:1.0.0" >/dev/null
"$B/hoist" sign "oci-layout:$tmp/store:1.0.0" --key "$top/tests/fuzz/agent-api-seed.key" >/dev/null

python3 - "$tmp" "$out" <<'PY'
import base64, hashlib, json, os, sys
tmp, out = sys.argv[1], sys.argv[2]
store = os.path.join(tmp, "store")
def blob(d): return open(os.path.join(store, "blobs", "sha256", d.split(":")[1]), "rb").read()
index = json.load(open(os.path.join(store, "index.json")))
def by_tag(t):
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == t:
            return m["digest"]
    raise SystemExit("no tag " + t)
mdigest = by_tag("1.0.0")
manifest = blob(mdigest)
layer = open(os.path.join(tmp, "a.tgz"), "rb").read()
sig_manifest = json.loads(blob(by_tag(mdigest.replace(":", "-") + ".sig")))
sl = sig_manifest["layers"][0]
payload = blob(sl["digest"])
sig = sl["annotations"]["dev.cosignproject.cosign/signature"]
ldigest = "sha256:" + hashlib.sha256(layer).hexdigest()
b64 = lambda b: base64.b64encode(b).decode()

def push(name, headers, body):
    h = "".join("%s: %s\n" % kv for kv in headers)
    open(os.path.join(out, name), "wb").write(b"\x03" + h.encode() + b"\n" + body)

full = [("Hoist-Digest", ldigest), ("Hoist-Manifest", b64(manifest)),
        ("Hoist-Signature-Payload", b64(payload)), ("Hoist-Signature", sig)]
push("push-signed", full, layer)
push("push-digest-only", [("Hoist-Digest", ldigest)], layer)
push("push-unsigned-with-manifest", full[:2], layer)
tampered = bytearray(layer); tampered[len(tampered) // 2] ^= 1
push("push-tampered", full, bytes(tampered))
push("push-bad-digest", [("Hoist-Digest", "sha256:" + "0" * 64)], layer)
push("push-bad-signature", full[:3] + [("Hoist-Signature", sig[:-8] + "AAAAAAA=")], layer)
push("push-bad-manifest", [("Hoist-Digest", ldigest), ("Hoist-Manifest", b64(b'{"schemaVersion":2}'))], layer)
push("push-not-base64", [("Hoist-Digest", ldigest), ("Hoist-Manifest", "%%%")], layer)
push("push-not-tar", [("Hoist-Digest", "sha256:" + hashlib.sha256(b"hello").hexdigest())], b"hello")

def seed(name, sel, text):
    open(os.path.join(out, name), "wb").write(bytes([sel]) + text.encode())
seed("route-status", 0, "GET /v1/status")
seed("route-healthz-head", 0, "HEAD /healthz")
seed("route-artifact", 0, "PUT /v1/apps/web/artifact")
seed("route-sync", 0, "POST /v1/apps/web.prod-1/sync")
seed("route-dotdot", 0, "GET /v1/apps/../artifact")
seed("route-bad-method", 0, "DELETE /v1/apps/web/artifact")
seed("route-encoded", 0, "GET /v1/apps/a%2Fb")
seed("bearer-ok", 1, "Bearer s3cret")
seed("bearer-case", 1, "bEaReR   s3cret")
seed("bearer-prefix", 1, "Bearer s3cre")
seed("bearer-basic", 1, "Basic czNjcmV0")
seed("sync-empty", 2, "")
seed("sync-digest", 2, '{"digest":"%s","extra":[1,2]}' % mdigest)
seed("sync-bad-digest", 2, '{"digest":"sha256:zz"}')
seed("sync-array", 2, "[1]")
seed("sync-two-docs", 2, "{}\n---\n{}")
PY
ls "$out" | wc -l
