#!/bin/bash
# The receive hook when the registry's token service is sick: a token
# endpoint that accepts and never answers, and one whose TLS handshake
# fails.  The registry sends clients to https://127.0.0.1:PORT/token (the
# fault proxy terminating TLS with a test CA in front of the token
# service); the push returns within the budget plus 2 s, nothing is lost,
# and once the fault clears everything publishes in commit order.
. "$(dirname "$0")/../lib.sh"
. "$TEST_TOP/tests/lib-hook-faults.sh"

python3 "$TEST_TOP/tests/tokenserver.py" keygen "$TRASH"
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
TPORT=$(free_port)
python3 "$TEST_TOP/tests/tokenserver.py" serve "$TRASH" "$TPORT" tok secret >token.log 2>&1 &
test_cleanup "kill $!"
wait_for_http "http://127.0.0.1:$TPORT/token"
start_faultproxy T "127.0.0.1:$TPORT" "$TRASH/tls.crt" "$TRASH/tls.key"

BPORT=$(free_port)
mkdir -p registry-R/data
cat >registry-R/config.yml <<EOT
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  filesystem: {rootdirectory: $TRASH/registry-R/data}
http:
  addr: 127.0.0.1:$BPORT
auth:
  token:
    realm: https://$PROXY_T/token
    service: hoist-test-registry
    issuer: hoist-test-issuer
    rootcertbundle: $TRASH/token.crt
EOT
docker-registry serve registry-R/config.yml >registry-R/log 2>&1 &
echo $! >registry-R/pid
test_cleanup "kill \$(cat '$TRASH/registry-R/pid') 2>/dev/null"
wait_for_http "http://127.0.0.1:$BPORT/v2/"
REGISTRY_R=127.0.0.1:$BPORT
# A pass-through proxy in front of the registry: its log says what was published, in order.
start_faultproxy P "$REGISTRY_R"
export HOIST_REGISTRY_USER=tok HOIST_REGISTRY_PASSWORD=secret HOIST_CA_FILE=$TRASH/tls.crt

# The registry wants a token for listing tags too.
tags() {
	tok=$(curl -s --cacert "$TRASH/tls.crt" -u tok:secret \
		"https://$PROXY_T/token?service=hoist-test-registry&scope=repository:acme/$1:pull" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"token\"])") &&
	curl -s -H "Authorization: Bearer $tok" "http://$REGISTRY_R/v2/acme/$1/tags/list" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted(t for t in (d.get('tags') or []) if not t.startswith('hoist-history-'))))"
}
digest_of() {
	tok=$(curl -s --cacert "$TRASH/tls.crt" -u tok:secret \
		"https://$PROXY_T/token?service=hoist-test-registry&scope=repository:acme/$1:pull" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"token\"])") &&
	curl -s -I -H "Authorization: Bearer $tok" -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/$1/manifests/$2" | tr -d '\r' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}

test_expect_success 'setup: a push publishes through the token service over TLS' '
	setup_hook_repo "$PROXY_P" &&
	git -C work push -q origin main 2>push0.err &&
	# A slow machine (ASan) may need the worker for this one: wait for the queue.
	test_grep "remote: hoist: " push0.err &&
	wait_until 90 spool_empty &&
	test "$(tags web | wc -w)" = 2 &&
	grep -q "pass GET /token" proxy-T/log
'

test_expect_success 'a token endpoint that accepts and never answers' '
	fault_scenario T hang P
'

test_expect_success 'a token endpoint whose TLS handshake fails' '
	fault_scenario T tls-fail P &&
	grep -q "tls-fail HANDSHAKE" proxy-T/log
'

test_expect_success 'no hook or worker printed a sanitizer report' '
	no_sanitizer_reports
'

test_done
