#!/bin/bash
# Part of make bench: how long after `git push` returns the artifact's tag
# is visible in the registry, for 1 app, and for 50 apps of which 1 changed
# (incremental), next to a full re-render of all 50 apps.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
export PATH="$B:$PATH"
work=$(mktemp -d)
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.com
git config --global init.defaultBranch main
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/reg"
printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/reg}}\nhttp: {addr: 127.0.0.1:%s}\n' "$work" "$port" >"$work/reg.yml"
docker-registry serve "$work/reg.yml" >/dev/null 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done

now() { date +%s.%N; }
# Seconds from the start of `git push` until TAG is listed for APP.
push_until_visible() {
	local repo=$1 app=$2 tag=$3 t0 t1
	t0=$(now)
	git -C "$repo" push -q origin main 2>/dev/null
	until curl -s "http://127.0.0.1:$port/v2/acme/$app/tags/list" | grep -q "\"$tag\""; do sleep 0.01; done
	t1=$(now)
	echo "$t1 - $t0" | bc -l
}

setup() { # DIR NAPPS
	local d=$1 n=$2 i
	git init -q --bare "$d/server.git"
	hoist hook install "$d/server.git" 2>/dev/null
	git clone -q "$d/server.git" "$d/work" 2>/dev/null
	{
		printf 'apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: 127.0.0.1:%s/acme\napps:\n' "$port"
		for i in $(seq "$n"); do printf '  - {name: %s%d, path: apps/a%d}\n' "$d" "$i" "$i" | sed "s|$work/||"; done
		printf 'environments:\n  - {name: dev, branch: main}\n'
	} >"$d/work/hoist.yaml"
	for i in $(seq "$n"); do
		mkdir -p "$d/work/apps/a$i"
		python3 "$top/tests/bench/gen-objects.py" 30 "$d/work/apps/a$i" >/dev/null
		rm -f "$d/work/apps/a$i/kustomization.yaml.ref"
		sed -i "s/name: app-/name: a$i-app-/; s/name: cfg-/name: a$i-cfg-/" "$d/work/apps/a$i"/*.yaml
	done
	git -C "$d/work" add . && git -C "$d/work" commit -qm init
}

mkdir -p "$work/one" "$work/fifty"
setup "$work/one" 1
app1=$(basename "$work/one")1
t_one=$(push_until_visible "$work/one/work" "$app1" dev)

setup "$work/fifty" 50
# The last app's tag: should the hook run out of its budget, the worker finishes the rest.
# The registry's own CPU time (user + system), in seconds.
reg_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$regpid/stat"; }
c0=$(reg_cpu)
t_first50=$(push_until_visible "$work/fifty/work" "$(basename "$work/fifty")50" dev)
c_first50=$(echo "$(reg_cpu) - $c0" | bc -l)
sed -i 's/replicas: 1/replicas: 7/' "$work/fifty/work/apps/a7/objects-000.yaml"
git -C "$work/fifty/work" commit -qam change
sha=$(git -C "$work/fifty/work" rev-parse --short=7 HEAD)
t_incr=$(TZ=UTC push_until_visible "$work/fifty/work" "$(basename "$work/fifty")7" "0.0.0-main.$(TZ=UTC git -C "$work/fifty/work" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).$sha")
t0=$(now)
hoist publish --repo "$work/fifty/work" --dry-run >/dev/null
t_full=$(echo "$(now) - $t0" | bc -l)

# The floor a standard OCI client sets on the same registry: the same 50
# artifacts, already packed in an OCI layout, copied in by skopeo 8 at a
# time (no environment tag, no history record, no render).
t_sk=
if command -v skopeo >/dev/null 2>&1; then
	sk="skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false --preserve-digests"
	f=$(basename "$work/fifty")
	for i in $(seq 50); do
		$sk "docker://127.0.0.1:$port/acme/$f$i:dev" "oci:$work/layout:a$i" 2>/dev/null
	done
	t0=$(now)
	seq 50 | xargs -P 8 -I{} $sk "oci:$work/layout:a{}" "docker://127.0.0.1:$port/skopeo/a{}:v1"
	t_sk=$(echo "$(now) - $t0" | bc -l)
fi

printf '\nhook: git push -> tag visible in the registry (30 objects per app)\n'
printf '%-44s %8.3f s\n' "1 app" "$t_one" "50 apps, first push (all 50 publish)" "$t_first50" \
	"50 apps, 1 changed (incremental)" "$t_incr" "full re-render + pack of all 50 (no push)" "$t_full"
printf 'incremental push vs full re-render: %.1fx\n' "$(echo "$t_full / $t_incr" | bc -l)"
printf 'first push of 50 apps vs their render + pack alone: %.1fx (goal: within 3x)\n' \
	"$(echo "$t_first50 / $t_full" | bc -l)"
printf 'registry CPU (user + system) during the first push of 50 apps: %.2f s\n' "$c_first50"
if [ -n "$t_sk" ]; then
	printf '%-44s %8.3f s\n' "skopeo copy of the same 50 artifacts (8 at once)" "$t_sk"
	printf 'first push of 50 apps vs skopeo copying their artifacts: %.1fx\n' \
		"$(echo "$t_first50 / $t_sk" | bc -l)"
fi
