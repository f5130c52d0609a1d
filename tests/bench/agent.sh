#!/bin/bash
# Part of make bench: hoist-agent against `kubectl apply --server-side`.
#
#   1. 1,000 ConfigMaps applied by `hoist-agent sync --once` (from an OCI
#      image layout) and by `kubectl apply --server-side --validate=false`
#      (from the same objects in a file), each into its own empty namespace
#      of the same test API server (tests/apiserver/), $RUNS rounds
#      alternately: median wall time, peak RSS (GNU time), and the ratio;
#   2. the agent's re-sync of the same 1,000 unchanged objects (best of
#      $RUNS): what every interval costs when nothing changed;
#   3. `hoist-agent run` with 20 apps (5 objects each, then 100 each: 2,000
#      objects) after every app has synced once, its web page served and its
#      watches open: VmRSS (split into anonymous memory and file pages, i.e.
#      the shared libraries) and VmHWM from /proc/PID/status.
# Numbers are printed, never asserted.  Goals (issue 11): >= 3x faster than
# kubectl, unchanged re-sync under 1 s, idle RSS under 10 MB, peak under 30 MB.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
N=${BENCH_AGENT_OBJECTS:-1000}
APPS=${BENCH_AGENT_APPS:-20}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d)
trap 'for p in $(cat "$work/pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

if ! command -v kubectl >/dev/null 2>&1; then
	echo "bench agent: kubectl not installed; skipped"
	exit 0
fi
apiserver=${HOIST_APISERVER:-$B/tests/hoist-test-apiserver}
if [ ! -x "$apiserver" ]; then
	sh "$top/tests/apiserver/build.sh" "$apiserver" >&2
fi

# Watch bookmarks about once a minute, as the real server sends them (the
# test server's default of 2 s is for tests).
"$apiserver" --kubeconfig "$work/kc" --port-file "$work/port" --bookmark-interval 1m \
	>"$work/apiserver.log" 2>&1 &
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
# Round r (1..RUNS): the agent creates its ConfigMaps in bench-agent-r (app
# bench-r), kubectl in bench-kubectl-r, alternately; each tool's median is
# printed.
cat >"$work/agent.yaml" <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $kc
namespace: hoist-system
stateDir: $work/state
apps:
EOF
for r in $(seq "$RUNS"); do
	mkdir -p "$work/app-$r"
	gen "bench-agent-$r" "$N" >"$work/app-$r/cms.yaml"
	gen "bench-kubectl-$r" "$N" >"$work/kubectl-$r.yaml"
	kubectl --kubeconfig "$kc" create namespace "bench-agent-$r" >/dev/null
	kubectl --kubeconfig "$kc" create namespace "bench-kubectl-$r" >/dev/null
	"$B/hoist" pack "$work/app-$r" -o "$work/bench-$r.tgz" --app "bench-$r" --version 1.0.0 >/dev/null
	"$B/hoist" push "$work/bench-$r.tgz" "oci-layout:$work/store-$r:1.0.0" >/dev/null 2>&1
	printf '  - {name: bench-%s, source: "oci-layout:%s/store-%s:1.0.0", timeout: 2m}\n' \
		"$r" "$work" "$r" >>"$work/agent.yaml"
done
mkdir -p "$work/state"

timed() { # OUT CMD...: "seconds maxrss_kib" into OUT
	local out=$1
	shift
	/usr/bin/time -f "%e %M" -o "$out" "$@" >"$work/out" 2>"$work/err" ||
		{ echo "bench agent: $* failed:" >&2; tail -5 "$work/err" >&2; return 1; }
}
# median FILE...: the median of the first fields, and the largest second field.
median() {
	cat "$@" | sort -n | awk '{t[NR] = $1; if ($2 > m) m = $2} END {print t[int((NR + 1) / 2)], m}'
}

for r in $(seq "$RUNS"); do
	timed "$work/t-agent-$r" "$B/hoist-agent" sync "bench-$r" --once -c "$work/agent.yaml"
	timed "$work/t-kubectl-$r" kubectl --kubeconfig "$kc" apply --server-side --validate=false \
		-f "$work/kubectl-$r.yaml"
done
median "$work"/t-agent-* >"$work/t-agent"
median "$work"/t-kubectl-* >"$work/t-kubectl"
got_a=$(kubectl --kubeconfig "$kc" get configmaps -n bench-agent-1 -l bench=agent -o name | wc -l)
got_k=$(kubectl --kubeconfig "$kc" get configmaps -n bench-kubectl-1 -l bench=agent -o name | wc -l)
best=""
rss_resync=0
for _ in $(seq "$RUNS"); do
	timed "$work/t-resync" "$B/hoist-agent" sync bench-1 --once -c "$work/agent.yaml"
	t=$(cut -d' ' -f1 "$work/t-resync")
	m=$(cut -d' ' -f2 "$work/t-resync")
	if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
	[ "$m" -gt "$rss_resync" ] && rss_resync=$m
done

# Idle: $APPS apps of PER objects each (a Namespace and ConfigMaps), each in
# its own namespace, with the API and web page on `listen` (and, where drift
# detection is on, its watches).  Prints "rss hwm anon file synced" in KiB.
idle_run() { # PER TAG
	local per=$1 tag=$2 apps_yaml="" i pid synced=0
	for i in $(seq "$APPS"); do
		mkdir -p "$work/$tag/app$i"
		{
			printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s-%s\n' "$tag" "$i"
			gen "$tag-$i" $((per - 1))
		} >"$work/$tag/app$i/objects.yaml"
		"$B/hoist" pack "$work/$tag/app$i" -o "$work/$tag/app$i.tgz" --app "$tag$i" --version 1.0.0 >/dev/null
		"$B/hoist" push "$work/$tag/app$i.tgz" "oci-layout:$work/$tag-store/$tag$i:1.0.0" >/dev/null 2>&1
		apps_yaml="$apps_yaml  - {name: $tag$i, source: \"oci-layout:$work/$tag-store/$tag$i:1.0.0\", interval: 1h}
"
	done
	{
		printf 'apiVersion: hoist.dev/v1alpha1\nkind: Agent\nkubeconfig: %s\n' "$kc"
		printf 'namespace: hoist-system\nstateDir: %s\nlisten: 127.0.0.1:0\napps:\n' "$work/$tag-state"
		printf '%s' "$apps_yaml"
	} >"$work/$tag.yaml"
	mkdir -p "$work/$tag-state"
	rm -f "$work/addr"
	"$B/hoist-agent" run -c "$work/$tag.yaml" --addr-file "$work/addr" 2>"$work/$tag-run.log" &
	pid=$!
	echo $pid >>"$work/pids"
	for _ in $(seq 1200); do
		if [ -s "$work/addr" ]; then
			synced=$(curl -s "http://$(cat "$work/addr")/v1/status" | python3 -c '
import json, sys
try:
    print(sum(1 for a in json.load(sys.stdin)["apps"] if a.get("result") == "ok"))
except Exception:
    print(0)')
			[ "$synced" -ge "$APPS" ] && break
		fi
		sleep 0.1
	done
	# Idle: the page served once, then ten quiet seconds.
	curl -s -o /dev/null "http://$(cat "$work/addr")/" || true
	sleep 10
	awk -v s="$synced" '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} /^RssAnon/ {a=$2} /^RssFile/ {f=$2}
		END {print r, h, a, f, s}' "/proc/$pid/status"
	kill -TERM "$pid"
	wait "$pid" || true
}
read -r idle_rss idle_hwm idle_anon idle_file synced <<EOF
$(idle_run 5 idle)
EOF
read -r big_rss big_hwm big_anon big_file big_synced <<EOF
$(idle_run "${BENCH_AGENT_PER_APP:-100}" big)
EOF

read -r ta ma <"$work/t-agent"
read -r tk mk <"$work/t-kubectl"
awk -v n="$N" -v ta="$ta" -v ma="$ma" -v tk="$tk" -v mk="$mk" -v tr="$best" -v mr="$rss_resync" \
    -v ga="$got_a" -v gk="$got_k" -v apps="$APPS" -v synced="$synced" \
    -v ir="$idle_rss" -v ih="$idle_hwm" -v ia="$idle_anon" -v if_="$idle_file" \
    -v br="$big_rss" -v bh="$big_hwm" -v ba="$big_anon" -v bf="$big_file" -v bs="$big_synced" \
    -v per="${BENCH_AGENT_PER_APP:-100}" 'BEGIN {
	printf "\nagent: %d ConfigMaps, server-side apply against the test API server\n", n
	printf "%-44s %10s %10s\n", "", "seconds", "peak MiB"
	printf "%-44s %10.3f %10.1f\n", "hoist-agent sync --once (create, median)", ta, ma / 1024
	printf "%-44s %10.3f %10.1f\n", "kubectl apply --server-side (median)", tk, mk / 1024
	printf "%-44s %10.3f %10.1f\n", "hoist-agent sync --once (unchanged, best)", tr, mr / 1024
	printf "objects in the API server: agent %d, kubectl %d\n", ga, gk
	printf "agent vs kubectl: %.1fx faster, %.1fx less memory\n", tk / (ta > 0 ? ta : 0.001), mk / ma
	printf "hoist-agent run, %d apps x 5 objects (%d synced): idle VmRSS %.1f MiB (anon %.1f, shared libraries and binary %.1f), VmHWM %.1f MiB\n",
		apps, synced, ir / 1024, ia / 1024, if_ / 1024, ih / 1024
	printf "hoist-agent run, %d apps x %d objects (%d synced), web page and watches on: idle VmRSS %.1f MiB (anon %.1f, files %.1f), VmHWM %.1f MiB\n",
		apps, per, bs, br / 1024, ba / 1024, bf / 1024, bh / 1024
}'
