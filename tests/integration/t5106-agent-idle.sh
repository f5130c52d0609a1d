#!/bin/bash
# An idle agent lets go of its libraries' code and read-only data pages
# (agent/run.c): its RSS of file pages falls far below that of the same
# agent with HOIST_AGENT_KEEP_CODE=1, and it keeps working afterwards (the
# relocated read-only data, which must never be dropped, is intact): it
# serves its API and applies a new artifact.  Memory is compared between
# the two processes, never against a time or a fixed size.
. "$(dirname "$0")/../lib.sh"

start_agent_env

artifact() { # VERSION VALUE
	rm -rf src && mkdir src &&
	printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: idle\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: idle\ndata:\n  v: "%s"\n' "$2" >src/objects.yaml &&
	hoist pack src -o "idle-$1.tgz" --app idle --version "$1" >/dev/null &&
	hoist push "idle-$1.tgz" "$R/acme/idle:latest" 2>&1 | sed -n "s/.* \(sha256:[0-9a-f]*\).*/\1/p" | tail -1
}

agent_yaml() { # NAME
	cat <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $KC
	namespace: hoist-system
	stateDir: $TRASH/state-$1
	listen: 127.0.0.1:0
	tokenFile: $TRASH/token
	apps:
	  - {name: idle, source: "$R/acme/idle:latest", interval: 1h, timeout: 30s}
	EOF
}
rss_file() { awk '/^RssFile/ {print $2}' "/proc/$1/status"; }
# dropped_below PID OTHER: PID's file pages are under half of OTHER's.
dropped_below() { test $(( $(rss_file "$1") * 2 )) -lt "$(rss_file "$2")"; }
synced() { curl -sf "http://$(cat "addr-$1")/v1/status" | grep -q '"result":"ok"'; }

echo idle-token >token
artifact 1.0.0 one >/dev/null

test_expect_success 'setup: the same agent twice, one keeping its code pages' '
	agent_yaml drop >drop.yaml &&
	agent_yaml keep >keep.yaml
	# Each its own list (no && before the &): $! is then the agent itself.
	"$HOIST_BUILD/hoist-agent" run -c drop.yaml --addr-file addr-drop 2>drop.log &
	echo $! >drop.pid
	HOIST_AGENT_KEEP_CODE=1 "$HOIST_BUILD/hoist-agent" run -c keep.yaml --addr-file addr-keep 2>keep.log &
	echo $! >keep.pid &&
	test_cleanup "kill $(cat drop.pid) $(cat keep.pid) 2>/dev/null" &&
	wait_until 30 test -s addr-drop &&
	wait_until 30 test -s addr-keep &&
	wait_until 30 synced drop &&
	wait_until 30 synced keep
'

test_expect_success 'once idle, the agent holds a fraction of the file pages of one that keeps them' '
	wait_until 30 dropped_below "$(cat drop.pid)" "$(cat keep.pid)" &&
	echo "RssFile: $(rss_file "$(cat drop.pid)") KiB dropping, $(rss_file "$(cat keep.pid)") KiB keeping"
'

test_expect_success 'after the drop it still serves its API and applies a new artifact' '
	d=$(artifact 2.0.0 two) && test -n "$d" &&
	curl -sf "http://$(cat addr-drop)/v1/status" >status.json &&
	python3 -c "import json; json.load(open(\"status.json\"))" &&
	test "$(curl -s -o reply.json -w "%{http_code}" -X POST -H "Authorization: Bearer idle-token" \
		--data "{\"digest\":\"$d\"}" "http://$(cat addr-drop)/v1/apps/idle/sync")" = 202 &&
	wait_until 30 sh -c "test \"\$(kubectl --kubeconfig \"$KC\" get configmap c -n idle -o jsonpath={.data.v})\" = two" &&
	wait_until 30 grep -q "sync-succeeded.*$d\|$d.*sync-succeeded" drop.log &&
	kill -0 "$(cat drop.pid)"
'

test_expect_success 'SIGTERM still stops it cleanly' '
	kill -TERM "$(cat drop.pid)" &&
	wait_until 30 sh -c "! kill -0 $(cat drop.pid) 2>/dev/null" &&
	test_grep "\"event\":\"stopped\"" drop.log
'

test_done
