#!/bin/bash
# Registry authentication: basic (htpasswd), docker config and credential helpers,
# bearer tokens.
. "$(dirname "$0")/../lib.sh"

mkdir -p app
cat >app/cm.yaml <<'EOT'
apiVersion: v1
kind: ConfigMap
metadata: {name: demo, namespace: default}
EOT
hoist pack app -o demo.tar.gz --app demo --version 1.0.0 >/dev/null
htpasswd -Bbn user pass >htpasswd
start_registry A "$TRASH/htpasswd"
export HOIST_RETRY_MAX=1

test_expect_success 'without credentials the push fails and says how to log in' '
	test_must_fail hoist push demo.tar.gz "$REGISTRY_A/apps/demo:1" 2>err &&
	test_grep "registry $REGISTRY_A: authentication required (401)" err &&
	test_grep HOIST_REGISTRY_USER err
'

test_expect_success 'a wrong password fails with exit 1 and names the user' '
	HOIST_REGISTRY_USER=user HOIST_REGISTRY_PASSWORD=wrong \
		hoist push demo.tar.gz "$REGISTRY_A/apps/demo:1" 2>err; rc=$? &&
	test $rc = 1 &&
	test_grep "hoist: error: registry $REGISTRY_A: authentication failed (401) for user .user." err
'

test_expect_success 'the right password from the environment pushes and pulls' '
	HOIST_REGISTRY_USER=user HOIST_REGISTRY_PASSWORD=pass \
		hoist push demo.tar.gz "$REGISTRY_A/apps/demo:1" >push.out &&
	HOIST_REGISTRY_USER=user HOIST_REGISTRY_PASSWORD=pass \
		hoist pull "$REGISTRY_A/apps/demo:1" -o out >pull.out &&
	test "$(cut -d" " -f2 push.out)" = "$(cut -d" " -f2 pull.out)" &&
	test -f out/manifests.yaml
'

test_expect_success 'credentials from ~/.docker/config.json (auth field) work' '
	mkdir -p "$HOME/.docker" &&
	printf "{\"auths\": {\"http://%s\": {\"auth\": \"%s\"}}}\n" "$REGISTRY_A" \
		"$(printf user:pass | base64)" >"$HOME/.docker/config.json" &&
	hoist pull "$REGISTRY_A/apps/demo:1" -o out-cfg >/dev/null &&
	rm "$HOME/.docker/config.json"
'

test_expect_success 'credentials from DOCKER_CONFIG (username/password) work' '
	mkdir dc &&
	printf "{\"auths\": {\"%s\": {\"username\": \"user\", \"password\": \"pass\"}}}\n" \
		"$REGISTRY_A" >dc/config.json &&
	DOCKER_CONFIG=$PWD/dc hoist pull "$REGISTRY_A/apps/demo:1" -o out-dc >/dev/null
'

# A credential helper as Docker runs it: `get`, the host on stdin, JSON out.
mkdir -p bin
cat >bin/docker-credential-fake <<'EOT'
#!/bin/sh
read host
echo "$host" >>"$(dirname "$0")/asked"
case "$1:$host" in
get:127.0.0.1:*) printf '{"ServerURL":"%s","Username":"user","Secret":"pass"}\n' "$host" ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
EOT
cat >bin/docker-credential-broken <<'EOT'
#!/bin/sh
echo "keychain is locked"; exit 3
EOT
chmod +x bin/docker-credential-fake bin/docker-credential-broken

test_expect_success 'credHelpers: the helper named for the host supplies the credentials' '
	mkdir dch &&
	printf "{\"auths\": {}, \"credHelpers\": {\"%s\": \"fake\"}}\n" "$REGISTRY_A" >dch/config.json &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$PWD/dch hoist pull "$REGISTRY_A/apps/demo:1" -o out-h >/dev/null &&
	test_grep "^$REGISTRY_A$" bin/asked
'

test_expect_success 'credsStore: the store helper is used when no credHelper names the host' '
	mkdir dcs && printf "{\"credsStore\": \"fake\"}\n" >dcs/config.json &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$PWD/dcs hoist pull "$REGISTRY_A/apps/demo:1" -o out-s >/dev/null
'

test_expect_success 'a failing helper is a clear auth error naming it; a missing one too' '
	mkdir dcb && printf "{\"credsStore\": \"broken\"}\n" >dcb/config.json &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$PWD/dcb test_must_fail hoist pull "$REGISTRY_A/apps/demo:1" -o x 2>err &&
	test_grep "credential helper docker-credential-broken failed for $REGISTRY_A: keychain is locked" err &&
	test ! -e x &&
	printf "{\"credsStore\": \"nosuch\"}\n" >dcb/config.json &&
	DOCKER_CONFIG=$PWD/dcb test_must_fail hoist pull "$REGISTRY_A/apps/demo:1" -o x 2>err2 &&
	test_grep "docker-credential-nosuch failed .*(not installed?)" err2 &&
	printf "{\"credsStore\": \"../../bin/sh\"}\n" >dcb/config.json &&
	DOCKER_CONFIG=$PWD/dcb test_must_fail hoist pull "$REGISTRY_A/apps/demo:1" -o x 2>err3 &&
	test_grep "is not a plain word" err3
'

test_expect_success 'a malformed docker config is an error with file:line' '
	mkdir dcbad && printf "{\"auths\": {\n\"%s\": {\"auth\": \"%%%%\"}}}\n" "$REGISTRY_A" >dcbad/config.json &&
	DOCKER_CONFIG=$PWD/dcbad test_must_fail hoist pull "$REGISTRY_A/apps/demo:1" -o x 2>err &&
	test_grep "dcbad/config.json:2:" err && test ! -e x
'

if python3 -c 'import cryptography' 2>/dev/null; then
# Bearer tokens: the registry delegates to a token service (a small Python
# server that checks basic credentials and signs RS256 JWTs).
python3 - "$TRASH" <<'EOT'
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
d = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hoist-test-token")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
open(d + "/token.key", "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
open(d + "/token.crt", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
EOT
cat >token-server.py <<'EOT'
import base64, json, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
d, port = sys.argv[1], int(sys.argv[2])
key = serialization.load_pem_private_key(open(d + "/token.key", "rb").read(), None)
cert = x509.load_pem_x509_certificate(open(d + "/token.crt", "rb").read())
der = cert.public_bytes(serialization.Encoding.DER)
def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(b"tok:secret").decode():
            self.send_response(401); self.end_headers(); return
        access = []
        for s in q.get("scope", []):
            typ, name, actions = s.split(":")
            access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {"iss": "hoist-test-issuer", "sub": "tok", "aud": q.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": str(now), "access": access}
        head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        msg = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
        sig = key.sign(msg.encode(), padding.PKCS1v15(), hashes.SHA256())
        body = json.dumps({"access_token": msg + "." + b64(sig)}).encode()
        open(d + "/token-scopes", "a").write(" ".join(q.get("scope", [])) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)
HTTPServer(("127.0.0.1", port), H).serve_forever()
EOT
TPORT=$(free_port)
python3 token-server.py "$TRASH" "$TPORT" >token.log 2>&1 &
test_cleanup "kill $!"
# Python takes a moment to import its crypto: wait, or the first test races it.
wait_for_http "http://127.0.0.1:$TPORT/token" || cat token.log >&2
BPORT=$(free_port)
mkdir -p registry-B/data
cat >registry-B/config.yml <<EOT
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $TRASH/registry-B/data}
http:
  addr: 127.0.0.1:$BPORT
auth:
  token:
    realm: http://127.0.0.1:$TPORT/token
    service: hoist-test-registry
    issuer: hoist-test-issuer
    rootcertbundle: $TRASH/token.crt
EOT
docker-registry serve registry-B/config.yml >registry-B/log 2>&1 &
test_cleanup "kill $!"
REGISTRY_B=127.0.0.1:$BPORT
wait_for_http "http://$REGISTRY_B/v2/"

test_expect_success 'bearer: push and pull through the token service' '
	HOIST_REGISTRY_USER=tok HOIST_REGISTRY_PASSWORD=secret \
		hoist push demo.tar.gz "$REGISTRY_B/apps/demo:1" >push.out 2>push.err &&
	test_grep "repository:apps/demo:pull,push" token-scopes &&
	HOIST_REGISTRY_USER=tok HOIST_REGISTRY_PASSWORD=secret \
		hoist pull "$REGISTRY_B/apps/demo:1" -o out-b >pull.out &&
	test "$(cut -d" " -f2 push.out)" = "$(cut -d" " -f2 pull.out)"
'

test_expect_success 'bearer: a wrong password at the token service is a clear auth error' '
	HOIST_REGISTRY_USER=tok HOIST_REGISTRY_PASSWORD=nope \
		test_must_fail hoist pull "$REGISTRY_B/apps/demo:1" -o x 2>err &&
	test_grep "registry $REGISTRY_B: authentication failed (401) for user .tok." err &&
	test ! -e x
'

else
	echo '# skipping the bearer-token tests: python3 has no cryptography module (python3-cryptography)'
fi

test_done
