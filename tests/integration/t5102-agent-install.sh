#!/bin/bash
# templates/agent/, what users install: it renders with hoist, applies to an
# API server with server-side apply, keeps the agent non-root on a read-only
# root filesystem, and its agent.yaml is one the agent accepts.
. "$(dirname "$0")/../lib.sh"

start_apiserver k
kc() { kubectl --kubeconfig "$APISERVER_k" "$@"; }

test_expect_success 'hoist render templates/agent gives the install objects' '
	hoist render "$TEST_TOP/templates/agent" >all.yaml &&
	sed -n "s/^kind: //p" all.yaml | sort >kinds &&
	printf "%s\n" ClusterRole ClusterRoleBinding ConfigMap Deployment Namespace Service ServiceAccount >want &&
	test_cmp_sorted() { sort "$1" | cmp - "$2"; } &&
	test_cmp_sorted want kinds
'

test_expect_success 'they apply with server-side apply' '
	kc apply --server-side --validate=false -f all.yaml >applied &&
	test "$(grep -c serverside-applied applied)" = 7 &&
	kc get deployment hoist-agent -n hoist-system -o json >dep.json &&
	python3 - <<-\PY
	import json
	d = json.load(open("dep.json"))
	pod = d["spec"]["template"]["spec"]
	assert pod["securityContext"]["runAsNonRoot"] is True
	assert pod["serviceAccountName"] == "hoist-agent"
	c = pod["containers"][0]
	assert c["securityContext"]["readOnlyRootFilesystem"] is True
	assert c["securityContext"]["allowPrivilegeEscalation"] is False
	assert c["args"] == ["run", "-c", "/etc/hoist-agent/agent.yaml"]
	assert c["resources"]["requests"]["memory"]
	mounts = {m["mountPath"] for m in c["volumeMounts"]}
	assert "/var/lib/hoist-agent" in mounts, mounts
	PY
'

test_expect_success 'the ClusterRole grants the verbs the agent uses' '
	kc get clusterrole hoist-agent -o json >role.json &&
	python3 - <<-\PY
	import json
	rules = json.load(open("role.json"))["rules"]
	verbs = set(rules[0]["verbs"])
	assert {"get", "list", "patch", "create", "delete"} <= verbs, verbs
	assert rules[0]["resources"] == ["*"]
	PY
'

test_expect_success 'the agent.yaml it ships is one the agent accepts' '
	kc get configmap hoist-agent -n hoist-system -o jsonpath="{.data.agent\.yaml}" >shipped.yaml &&
	test_grep "^kind: Agent" shipped.yaml &&
	sed "s|^stateDir: .*|stateDir: $TRASH/state|" shipped.yaml >agent.yaml &&
	echo "kubeconfig: $APISERVER_k" >>agent.yaml &&
	mkdir -p state &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml >status &&
	test_grep "podinfo" status &&
	echo "bogus: 1" >>agent.yaml &&
	test_must_fail "$HOIST_BUILD/hoist-agent" status -c agent.yaml 2>err &&
	test_grep "agent.yaml:[0-9]*:1: unknown key .bogus." err
'

test_expect_success 'the Containerfile builds hoist-agent alone and runs it as a numeric non-root user' '
	f="$TEST_TOP/templates/agent/Containerfile" &&
	test_grep "^FROM debian:bookworm-slim" "$f" &&
	test_grep "^USER 65532:65532" "$f" &&
	test_grep "make NO_DEPS=1 BUILD=/out /out/hoist-agent" "$f"
'

test_expect_success 'the runtime image has every library hoist-agent needs' '
	f="$TEST_TOP/templates/agent/Containerfile" &&
	runtime=$(sed -n "/^FROM debian:bookworm-slim$/,\$p" "$f" | sed -n "2,/^COPY/p") &&
	# (The sanitizer runtimes of `make asan` builds are not the image'"'"'s.)
	for lib in $(readelf -d "$HOIST_BUILD/hoist-agent" | sed -n "s/.*Shared library: \[\(.*\)\]/\1/p" |
		grep -v "^lib[a-z]*san\.so"); do
		path=$(readlink -f "$(ldconfig -p | awk -v l="$lib" "\$1 == l {print \$NF; exit}")") &&
		pkg=$( { dpkg -S "$path" || dpkg -S "${path#/usr}"; } 2>/dev/null | head -1 | cut -d: -f1) &&
		echo "$lib: $pkg" &&
		test -n "$pkg" &&
		{ [ "$pkg" = libc6 ] || echo "$runtime" | grep -qw "$pkg" || { echo "missing $pkg for $lib"; false; }; } || return 1
	done
'

test_done
