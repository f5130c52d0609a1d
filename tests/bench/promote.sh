#!/bin/bash
# Part of make bench: promoting an artifact of 5,000 objects within one
# registry and across two registries, next to `skopeo copy` of the same
# artifact.  hoist's promote also verifies the artifact's content and
# writes a history record; skopeo only copies.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
B=${HOIST_BUILD:-$top/build}
export PATH="$B:$PATH"
N=${BENCH_OBJECTS:-5000}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d)
export HOME=$work/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.com
git config --global init.defaultBranch main
# registry() runs in a command substitution: keep the pids in a file.
trap 'kill $(cat "$work/pids" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT

registry() { # NAME -> prints host:port
	local port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkdir -p "$work/$1"
	printf 'version: 0.1\nlog: {level: error, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/%s}, delete: {enabled: true}}\nhttp: {addr: 127.0.0.1:%s}\n' "$work" "$1" "$port" >"$work/$1.yml"
	docker-registry serve "$work/$1.yml" >/dev/null 2>&1 &
	echo $! >>"$work/pids"
	for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
	echo "127.0.0.1:$port"
}
A=$(registry a)
Bh=$(registry b)

git init -q "$work/repo"
python3 "$top/tests/bench/gen-objects.py" "$N" "$work/repo/apps/big" >/dev/null
rm -f "$work/repo/apps/big/kustomization.yaml.ref"
cat >"$work/repo/hoist.yaml" <<CONFIG
apiVersion: hoist.dev/v1alpha1
kind: Project
registry: $A/acme
apps: [{name: big, path: apps/big}]
environments:
  - {name: dev, branch: main}
  - {name: staging, promoteFrom: dev}
  - {name: eu, promoteFrom: dev, registry: $Bh/mirror}
CONFIG
git -C "$work/repo" add . && git -C "$work/repo" commit -qm big
hoist publish --repo "$work/repo" >/dev/null 2>&1
size=$(curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$A/v2/acme/big/manifests/dev" |
	python3 -c "import json,sys; print(json.load(sys.stdin)['layers'][0]['size'])")

now() { date +%s.%N; }
best() { # CMD...: best wall time of RUNS, each after the reset command in $RESET
	local b="" t0 t1 t i=0
	while [ $i -lt "$RUNS" ]; do
		eval "$RESET" >/dev/null 2>&1 || true
		t0=$(now)
		"$@" >/dev/null 2>&1
		t1=$(now)
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	echo "$b"
}
# Each run starts from a target that does not hold the artifact yet.
del_repo() { rm -rf "$work/$1/docker/registry/v2/repositories/$2"; }
untag_staging() {
	rm -rf "$work/a/docker/registry/v2/repositories/acme/big/_manifests/tags/staging"
}

RESET=untag_staging; t_hoist_same=$(best hoist promote big --to staging --repo "$work/repo")
RESET="del_repo b mirror"; t_hoist_cross=$(best hoist promote big --to eu --repo "$work/repo")
if command -v skopeo >/dev/null 2>&1; then
	sk="skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false --preserve-digests"
	RESET=":"; t_sk_same=$(best $sk "docker://$A/acme/big:dev" "docker://$A/acme/big:skopeo")
	RESET="del_repo b skopeo"; t_sk_cross=$(best $sk "docker://$A/acme/big:dev" "docker://$Bh/skopeo/big:copy")
	# The copy must be the same artifact, digest for digest.
	skopeo inspect --raw --tls-verify=false "docker://$Bh/skopeo/big:copy" | sha256sum | cut -c1-64 >"$work/sk.d"
else
	t_sk_same=NaN t_sk_cross=NaN
fi

printf '\npromote: %s objects, a %s-byte artifact, best of %s\n' "$N" "$size" "$RUNS"
printf '%-36s %10s %10s %8s\n' "" "hoist" "skopeo" "ratio"
printf '%-36s %10.3f %10.3f %7.2fx\n' "within one registry" "$t_hoist_same" "$t_sk_same" \
	"$(echo "$t_sk_same / $t_hoist_same" | bc -l 2>/dev/null || echo 0)"
printf '%-36s %10.3f %10.3f %7.2fx\n' "across two registries" "$t_hoist_cross" "$t_sk_cross" \
	"$(echo "$t_sk_cross / $t_hoist_cross" | bc -l 2>/dev/null || echo 0)"
echo "(ratio = skopeo time / hoist time; hoist also verifies the content and records history)"
if [ -s "$work/sk.d" ]; then
	dev=$(curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$A/v2/acme/big/manifests/dev" | sha256sum | cut -c1-64)
	eu=$(curl -s -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$Bh/v2/mirror/big/manifests/eu" | sha256sum | cut -c1-64)
	printf 'same digest after promotion: hoist %s, skopeo %s\n' \
		"$([ "$dev" = "$eu" ] && echo yes || echo NO)" "$([ "$dev" = "$(cat "$work/sk.d")" ] && echo yes || echo NO)"
fi
