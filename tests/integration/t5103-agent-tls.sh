#!/bin/bash
# The agent's API over TLS when agent.yaml sets `cert` and `key`: served
# with that certificate only (plain HTTP to the port gets nothing), the
# token still required for mutating calls; a half-configured TLS (cert
# without key) or an unusable address stops the agent at startup with a
# clear error.
. "$(dirname "$0")/../lib.sh"

start_apiserver k

wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 100 ] || return 1
		sleep 0.1
	done
}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=hoist-agent" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout tls.key -out tls.crt >/dev/null 2>&1
echo tls-token >token
mkdir -p state
config() { # extra lines for the top level
	cat <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $APISERVER_k
	stateDir: $TRASH/state
	listen: 127.0.0.1:0
	tokenFile: $TRASH/token
	$1
	apps:
	  - {name: web, source: push, interval: 1h}
	EOF
}
config "cert: $TRASH/tls.crt
key: $TRASH/tls.key" >agent.yaml
"$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>agent.log &
echo $! >agent.pid
test_cleanup "kill $(cat agent.pid) 2>/dev/null"
wait_for test -s addr
ADDR=$(cat addr)

test_expect_success 'the API is served over TLS with the configured certificate' '
	curl -sf --cacert tls.crt "https://$ADDR/healthz" | grep -q true &&
	curl -sf --cacert tls.crt "https://$ADDR/v1/status" | grep -q "\"name\":\"web\"" &&
	test_must_fail curl -sf "https://$ADDR/healthz" &&
	test_must_fail curl -sf --max-time 5 "http://$ADDR/healthz" &&
	grep "\"event\":\"listen\"" agent.log | grep -q "with TLS"
'

test_expect_success 'mutating calls over TLS still need the token' '
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert tls.crt -X POST "https://$ADDR/v1/apps/web/sync")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" --cacert tls.crt -X POST \
		-H "Authorization: Bearer tls-token" "https://$ADDR/v1/apps/web/sync")" = 202
'

test_expect_success 'a certificate without its key stops the agent at startup' '
	config "cert: $TRASH/tls.crt" >half.yaml &&
	test_must_fail timeout 20 "$HOIST_BUILD/hoist-agent" run -c half.yaml 2>err &&
	test_grep "key" err
'

test_expect_success 'an address that is not HOST:PORT stops the agent at startup' '
	config "" | sed "s/^listen: .*/listen: nowhere/" >bad.yaml &&
	test_must_fail timeout 20 "$HOIST_BUILD/hoist-agent" run -c bad.yaml 2>err &&
	test_grep "listen: .nowhere. is not HOST:PORT" err
'

test_expect_success 'a port already in use stops the agent at startup' '
	port=$(echo "$ADDR" | sed "s/.*://") &&
	config "" | sed "s/^listen: .*/listen: 127.0.0.1:$port/" >busy.yaml &&
	test_must_fail timeout 20 "$HOIST_BUILD/hoist-agent" run -c busy.yaml 2>err &&
	test_grep "cannot serve on 127.0.0.1:$port" err
'

test_done
