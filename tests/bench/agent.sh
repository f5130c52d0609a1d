#!/bin/bash
# Part of make bench: hoist-agent against `kubectl apply --server-side`.
#
#   1. 1,000 ConfigMaps applied by `hoist-agent sync --once` (from an OCI
#      image layout) and by `kubectl apply --server-side --validate=false`
#      (from the same objects in a file), each into its own empty namespace
#      of the same test API server (tests/apiserver/): wall time and peak
#      RSS (GNU time), and the ratio;
#   2. the agent's re-sync of the same 1,000 unchanged objects (best of
#      $RUNS): what every interval costs when nothing changed;
#   3. `hoist-agent run` with 20 apps (5 objects each) after every app has
#      synced once: VmRSS and VmHWM from /proc/PID/status.
# Numbers are printed, never asserted.  Goals (issue 11): >= 3x faster than
# kubectl, unchanged re-sync under 1 s, idle RSS under 10 MB, peak under 30 MB.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_AGENT_OBJECTS:-1000}
APPS=${BENCH_AGENT_APPS:-20}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d)
trap 'for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT

if ! command -v kubectl >/dev/null 2>&1; then
	echo "bench agent: kubectl not installed; skipped"
	exit 0
fi
apiserver=${HOIST_APISERVER:-$B/tests/hoist-test-apiserver}
if [ ! -x "$apiserver" ]; then
	sh "$top/tests/apiserver/build.sh" "$apiserver" >&2
fi

"$apiserver" --kubeconfig "$work/kc" --port-file "$work/port" >"$work/apiserver.log" 2>&1 &
echo $! >>"$work/pids"
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { cat "$work/apiserver.log" >&2; exit 1; }
kc="$work/kc"

# The same objects for both tools, each in its own namespace.
gen() { # NAMESPACE COUNT
	python3 - "$1" "$2" <<'PY'
import sys
ns, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    print("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%05d\n  namespace: %s\n"
          "  labels:\n    bench: agent\ndata:\n  index: \"%d\"\n  payload: %s" % (i, ns, i, "x" * 200))
PY
}
mkdir -p "$work/app"
gen bench-agent "$N" >"$work/app/cms.yaml"
gen bench-kubectl "$N" >"$work/kubectl.yaml"
kubectl --kubeconfig "$kc" create namespace bench-agent >/dev/null
kubectl --kubeconfig "$kc" create namespace bench-kubectl >/dev/null
"$B/hoist" pack "$work/app" -o "$work/bench.tgz" --app bench --version 1.0.0 >/dev/null
"$B/hoist" push "$work/bench.tgz" "oci-layout:$work/store:1.0.0" >/dev/null 2>&1

cat >"$work/agent.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $kc
namespace: hoist-system
stateDir: $work/state
apps:
  - name: bench
    source: oci-layout:$work/store:1.0.0
    timeout: 2m
EOF
mkdir -p "$work/state"

timed() { # OUT CMD...: "seconds maxrss_kib" into OUT
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@" >"$work/out" 2>"$work/err" ||
		{ echo "bench agent: $* failed:" >&2; tail -5 "$work/err" >&2; return 1; }
}

timed "$work/t-agent" "$B/hoist-agent" sync bench --once -c "$work/agent.yaml"
timed "$work/t-kubectl" kubectl --kubeconfig "$kc" apply --server-side --validate=false \
	-f "$work/kubectl.yaml"
got_a=$(kubectl --kubeconfig "$kc" get configmaps -n bench-agent -l bench=agent -o name | wc -l)
got_k=$(kubectl --kubeconfig "$kc" get configmaps -n bench-kubectl -l bench=agent -o name | wc -l)
best=""
rss_resync=0
for _ in $(seq "$RUNS"); do
	timed "$work/t-resync" "$B/hoist-agent" sync bench --once -c "$work/agent.yaml"
	t=$(cut -d' ' -f1 "$work/t-resync")
	m=$(cut -d' ' -f2 "$work/t-resync")
	if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	[ "$m" -gt "$rss_resync" ] && rss_resync=$m
done

# Idle: 20 apps of 5 objects each, each in its own namespace.
apps_yaml=""
for i in $(seq "$APPS"); do
	mkdir -p "$work/idle/app$i"
	{
		printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: idle-%s\n' "$i"
		gen "idle-$i" 4
	} >"$work/idle/app$i/objects.yaml"
	"$B/hoist" pack "$work/idle/app$i" -o "$work/idle/app$i.tgz" --app "idle$i" --version 1.0.0 >/dev/null
	"$B/hoist" push "$work/idle/app$i.tgz" "oci-layout:$work/idle-store/idle$i:1.0.0" >/dev/null 2>&1
	apps_yaml="$apps_yaml  - {name: idle$i, source: \"oci-layout:$work/idle-store/idle$i:1.0.0\", interval: 1h}
"
done
cat >"$work/idle.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $kc
namespace: hoist-system
stateDir: $work/idle-state
listen: 127.0.0.1:0
apps:
$apps_yaml
EOF
mkdir -p "$work/idle-state"
"$B/hoist-agent" run -c "$work/idle.yaml" --addr-file "$work/addr" 2>"$work/run.log" &
pid=$!
echo $pid >>"$work/pids"
synced=0
for _ in $(seq 600); do
	if [ -s "$work/addr" ]; then
		synced=$(curl -s "http://$(cat "$work/addr")/v1/status" | python3 -c '
import json, sys
try:
    print(sum(1 for a in json.load(sys.stdin)["apps"] if a.get("lastSync")))
except Exception:
    print(0)')
		[ "$synced" -ge "$APPS" ] && break
	fi
	sleep 0.1
done
sleep 2
idle_rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
idle_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
kill -TERM "$pid"
wait "$pid" || true

read -r ta ma <"$work/t-agent"
read -r tk mk <"$work/t-kubectl"
awk -v n="$N" -v ta="$ta" -v ma="$ma" -v tk="$tk" -v mk="$mk" -v tr="$best" -v mr="$rss_resync" \
    -v ga="$got_a" -v gk="$got_k" -v apps="$APPS" -v synced="$synced" \
    -v ir="$idle_rss" -v ih="$idle_hwm" 'BEGIN {
	printf "\nagent: %d ConfigMaps, server-side apply against the test API server\n", n
	printf "%-44s %10s %10s\n", "", "seconds", "peak MiB"
	printf "%-44s %10.3f %10.1f\n", "hoist-agent sync --once (create)", ta, ma / 1024
	printf "%-44s %10.3f %10.1f\n", "kubectl apply --server-side --validate=false", tk, mk / 1024
	printf "%-44s %10.3f %10.1f\n", "hoist-agent sync --once (unchanged, best)", tr, mr / 1024
	printf "objects in the API server: agent %d, kubectl %d\n", ga, gk
	printf "agent vs kubectl: %.1fx faster, %.1fx less memory\n", tk / (ta > 0 ? ta : 0.001), mk / ma
	printf "hoist-agent run, %d apps (%d synced): idle VmRSS %.1f MiB, VmHWM %.1f MiB\n",
		apps, synced, ir / 1024, ih / 1024
}'
