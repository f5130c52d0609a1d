#!/bin/bash
# Drift watches of many apps in one watcher (agent/drift.c): one watch
# per resource for every app with objects of it, on one libcurl multi
# handle, so against a server that speaks HTTP/2 they are streams of one
# connection; over plain HTTP/1.1 each watch has its own connection and
# drift is still seen in every app.  And the first watches after a sync start from a LIST: an
# edit made while that sync waited for health (before any watch ran) is
# drift all the same.
. "$(dirname "$0")/../lib.sh"

start_registry reg
start_apiserver k
start_apiserver h --insecure-http
R=$REGISTRY_reg

artifact() { # NAME OBJECTS-FILE
	rm -rf "src-$1" && mkdir "src-$1" && cp "$2" "src-$1/objects.yaml" &&
	hoist pack "src-$1" -o "$1.tgz" --app "$1" --version 1.0.0 >/dev/null &&
	hoist push "$1.tgz" "$R/acme/$1:latest" >/dev/null 2>&1
}
cm() { # NAMESPACE NAME VALUE
	printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  v: "%s"\n' "$2" "$1" "$3"
}
ns() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"; }
stuck() { # NAMESPACE NAME: a Deployment the test server never makes available
	printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      containers:\n      - name: c\n        image: example.invalid/app:1\n' "$2" "$1" "$2" "$2"
}

for a in a1 a2 a3; do
	{ ns "$a" && cm "$a" c v1; } >"$a.yaml" && artifact "$a" "$a.yaml"
done
{ ns slow && cm slow c v1 && stuck slow web; } >slow.yaml && artifact slow slow.yaml

# agent_yaml NAME KUBECONFIG APP...: an agent of these apps (interval 1h:
# only a watch can see an edit).
agent_yaml() {
	_n=$1 _kc=$2
	shift 2
	mkdir -p "state-$_n"
	{
		printf 'apiVersion: hoist.dev/v1alpha1\nkind: Agent\nkubeconfig: %s\n' "$_kc"
		printf 'namespace: hoist-system\nstateDir: %s\nlisten: 127.0.0.1:%s\napps:\n' \
			"$TRASH/state-$_n" "$(free_port)"
		for _a in "$@"; do
			if [ "$_a" = slow ]; then
				printf '  - {name: slow, source: "%s", interval: 1h, timeout: 4s}\n' "$R/acme/slow:latest"
			else
				printf '  - {name: %s, source: "%s", interval: 1h, timeout: 30s}\n' "$_a" "$R/acme/$_a:latest"
			fi
		done
	} >"agent-$_n.yaml"
}
start_agent() { # NAME
	"$HOIST_BUILD/hoist-agent" run -c "agent-$1.yaml" 2>>"agent-$1.log" &
	echo $! >"agent-$1.pid"
	test_cleanup "kill \$(cat '$TRASH/agent-$1.pid') 2>/dev/null"
}
events() { # LOG APP EVENT TEXT: how many such lines
	grep "\"app\":\"$2\"" "agent-$1.log" | grep "\"event\":\"$3\"" | grep -c -F -e "$4"
}
has_event() { test "$(events "$@")" -ge 1; }
cm_is() { # KUBECONFIG NAMESPACE NAME VALUE
	test "$(kubectl --kubeconfig "$1" get configmap "$3" -n "$2" -o jsonpath={.data.v})" = "$4"
}
# kubectl sends no bearer token over plain HTTP: curl talks to server h.
h_api() { # METHOD PATH [CURL-ARGS...]
	_m=$1 _p=$2
	shift 2
	curl -sf -X "$_m" -H "Authorization: Bearer $APISERVER_TOKEN_h" "$@" "$APISERVER_URL_h$_p"
}
h_edit() { # NAMESPACE VALUE
	h_api PATCH "/api/v1/namespaces/$1/configmaps/c?fieldManager=kubectl-edit" \
		-H "Content-Type: application/merge-patch+json" --data "{\"data\":{\"v\":\"$2\"}}" >/dev/null
}
h_cm_is() { # NAMESPACE VALUE
	test "$(h_api GET "/api/v1/namespaces/$1/configmaps/c" |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"data\"][\"v\"])")" = "$2"
}
# Established TCP connections of process PID to PORT.
conns() {
	ss -tnpH state established "( dport = :$2 )" | grep -c "pid=$1,"
}
# conns_are PID PORT OP N: `test CONNECTIONS OP N`, counted anew on each call
# (for wait_until: a "$(conns ...)" in its arguments is counted only once).
conns_are() {
	test "$(conns "$1" "$2")" "$3" "$4"
}

agent_yaml k "$APISERVER_k" slow a1 a2 a3
agent_yaml h "$APISERVER_h" a1 a2 a3
start_agent k

test_expect_success 'an edit while the first sync waits for health is drift once the watches start' '
	wait_until 60 has_event k slow created "ConfigMap slow/c" &&
	kubectl --kubeconfig "$APISERVER_k" patch configmap c -n slow --type merge \
		-p "{\"data\":{\"v\":\"during-sync\"}}" &&
	wait_until 60 has_event k slow sync-failed "Deployment slow/web" &&
	wait_until 30 has_event k slow drift-detected "during-sync" &&
	wait_until 30 cm_is "$APISERVER_k" slow c v1
'

test_expect_success 'an edit in each of the apps is seen and undone' '
	for a in a1 a2 a3; do
		wait_until 60 has_event k $a sync-succeeded "" || return 1
	done &&
	for a in a1 a2 a3; do
		kubectl --kubeconfig "$APISERVER_k" patch configmap c -n $a --type merge \
			-p "{\"data\":{\"v\":\"edited-$a\"}}" || return 1
	done &&
	for a in a1 a2 a3; do
		wait_until 30 has_event k $a drift-corrected "ConfigMap $a/c" &&
		wait_until 30 cm_is "$APISERVER_k" $a c v1 || return 1
	done
'

test_expect_success 'over HTTP/2 every watch is a stream of one connection' '
	port=${APISERVER_URL_k##*:} &&
	wait_until 30 conns_are "$(cat agent-k.pid)" "$port" -le 2 &&
	conns "$(cat agent-k.pid)" "$port" >n &&
	echo "connections to the API server: $(cat n) (watches of 3 resources, and checks)" &&
	test "$(cat n)" -ge 1
'

test_expect_success 'over HTTP/1.1 (no TLS): one watch per resource for all apps, drift seen in each' '
	start_agent h &&
	for a in a1 a2 a3; do
		wait_until 60 has_event h $a sync-succeeded "" || return 1
	done &&
	port=${APISERVER_URL_h##*:} &&
	# namespaces and configmaps (a connection each: no multiplexing), and
	# the client of LISTs and checks; a watch per app would be 6 more.
	wait_until 30 conns_are "$(cat agent-h.pid)" "$port" -eq 3 &&
	for a in a1 a2 a3; do
		h_edit $a edited-$a || return 1
	done &&
	for a in a1 a2 a3; do
		wait_until 30 has_event h $a drift-corrected "ConfigMap $a/c" &&
		wait_until 30 h_cm_is $a v1 || return 1
	done
'

test_expect_success 'SIGTERM stops both agents with their watches cleanly' '
	kill -TERM "$(cat agent-k.pid)" "$(cat agent-h.pid)" &&
	wait_until 30 grep -q "\"event\":\"stopped\"" agent-k.log &&
	wait_until 30 grep -q "\"event\":\"stopped\"" agent-h.log &&
	! grep -n "Sanitizer\|runtime error" agent-k.log agent-h.log
'

test_done
