#!/bin/bash
# Part of make bench: how long a drift takes to be reported by
# `hoist-agent run` (issue 14, acceptance 6): an app of $N ConfigMaps with
# interval 1h (so only the watches can see anything), then $EDITS
# kubectl-style edits of a field the agent owns, one at a time; for each,
# the milliseconds from the start of `kubectl patch` to the agent's
# drift-detected log line, and with drift: correct to drift-corrected.
# Printed, never asserted.  Goal: well under 5 s.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_DRIFT_OBJECTS:-200}
EDITS=${BENCH_DRIFT_EDITS:-10}
work=$(mktemp -d)
trap 'for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

if ! command -v kubectl >/dev/null 2>&1; then
	echo "bench drift: kubectl not installed; skipped"
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
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

mkdir -p "$work/app"
python3 - "$N" >"$work/app/cms.yaml" <<'PY'
import sys
print("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: drift")
for i in range(int(sys.argv[1])):
    print("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%05d\n  namespace: drift\n"
          "data:\n  v: \"want\"" % i)
PY
"$B/hoist" pack "$work/app" -o "$work/app.tgz" --app drift --version 1.0.0 >/dev/null
"$B/hoist" push "$work/app.tgz" "oci-layout:$work/store/drift:1.0.0" >/dev/null 2>&1
cat >"$work/agent.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $kc
stateDir: $work/state
listen: 127.0.0.1:0
apps:
  - {name: drift, source: "oci-layout:$work/store/drift:1.0.0", interval: 1h, drift: correct}
EOF
"$B/hoist-agent" run -c "$work/agent.yaml" --addr-file "$work/addr" 2>"$work/run.log" &
echo $! >>"$work/pids"
for _ in $(seq 600); do
	grep -q '"event":"sync-succeeded"' "$work/run.log" 2>/dev/null && break
	sleep 0.1
done
grep -q '"event":"sync-succeeded"' "$work/run.log" || { echo "bench drift: the first sync failed" >&2; tail "$work/run.log" >&2; exit 1; }
sleep 1 # the watches start from the LIST after the sync

: >"$work/lat"
for i in $(seq "$EDITS"); do
	name=$(printf "cm-%05d" $(( (i * 37) % N )))
	t0=$(now_ms)
	kubectl --kubeconfig "$kc" patch configmap "$name" -n drift --type merge \
		-p "{\"data\":{\"v\":\"edit-$i\"}}" >/dev/null
	det="" cor=""
	for _ in $(seq 300); do
		if [ -z "$det" ] && grep '"event":"drift-detected"' "$work/run.log" | grep -q "edit-$i"; then
			det=$(( $(now_ms) - t0 ))
		fi
		if [ -n "$det" ] && [ "$(kubectl --kubeconfig "$kc" get configmap "$name" -n drift -o jsonpath={.data.v})" = want ]; then
			cor=$(( $(now_ms) - t0 ))
			break
		fi
		sleep 0.05
	done
	echo "${det:-timeout} ${cor:-timeout}" >>"$work/lat"
done
awk -v n="$N" -v e="$EDITS" '
	$1 != "timeout" { d[++nd] = $1 } $2 != "timeout" { c[++nc] = $2 } $1 == "timeout" { lost++ }
	function sort(a, k,   i, j, t) { for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
	END {
		sort(d, nd); sort(c, nc)
		printf "drift latency, %d objects, %d edits (interval 1h: watches only; the figure includes kubectl and polling the log every 50 ms):\n", n, e
		if (nd) printf "  edit -> drift-detected: median %d ms, min %d ms, max %d ms\n", d[int((nd + 1) / 2)], d[1], d[nd]
		if (nc) printf "  edit -> corrected in the cluster: median %d ms, max %d ms\n", c[int((nc + 1) / 2)], c[nc]
		if (lost) printf "  %d edits not reported within 15 s\n", lost
	}' "$work/lat"
