#!/bin/bash
# Where the agent's artifacts and credentials come from: a semver range over
# a registry's tags, cosign signatures (verifyKey), a kubeconfig with a
# client certificate, the in-cluster service account; and the agent's
# binary, which must not link or load libgit2.
. "$(dirname "$0")/../lib.sh"

start_registry R || exit 1
start_apiserver K --cert-kubeconfig "$TRASH/cert-kubeconfig" || exit 1
export KUBECONFIG="$APISERVER_K"
REPO="$REGISTRY_R/apps/web"

# publish VERSION TAG...: an artifact whose ConfigMap says its version.
publish() {
	v=$1
	shift
	mkdir -p "src-$v" &&
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: version, namespace: default}\ndata: {version: "%s"}\n' \
		"$v" >"src-$v/cm.yaml" &&
	hoist pack "src-$v" -o "web-$v.tgz" --app web --version "$v" >/dev/null || return 1
	for t in "$@"; do
		hoist push "web-$v.tgz" "$REPO:$t" >/dev/null 2>&1 || return 1
	done
}

config() { # KUBECONFIG-LINE APP-LINES...
	{
		printf 'apiVersion: hoist.dev/v1alpha1\nkind: Agent\n%s\nstateDir: %s\napps:\n  - name: web\n    source: %s:latest\n    timeout: 10s\n' \
			"$1" "$TRASH/state" "$REPO"
		shift
		for l in "$@"; do printf '    %s\n' "$l"; done
	} >agent.yaml
}

publish 1.0.0 1.0.0 || exit 1
publish 1.4.2 1.4.2 latest || exit 1
publish 1.10.0 1.10.0 || exit 1
publish 2.0.0 2.0.0 || exit 1
publish 1.11.0-rc.1 1.11.0-rc.1 || exit 1

test_expect_success 'semver follows the highest tag the constraint allows' '
	config "kubeconfig: $APISERVER_K" "semver: \">=1.0.0 <2.0.0\"" &&
	"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>log &&
	test "$(kubectl get configmap version -o jsonpath={.data.version})" = 1.10.0 &&
	"$HOIST_BUILD/hoist-agent" status -c agent.yaml --json >status.json &&
	grep "\"source\":\"$REPO:1.10.0\"" status.json
'

test_expect_success 'a constraint no tag satisfies is a clear error' '
	config "kubeconfig: $APISERVER_K" "semver: \"^3\"" &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml 2>err &&
	test_grep "no tag matches semver .\^3." err
'

test_expect_success 'with verifyKey an unsigned artifact is refused and nothing is applied' '
	hoist keygen --out cosign >/dev/null 2>&1 &&
	config "kubeconfig: $APISERVER_K" "verifyKey: $TRASH/cosign.pub" &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml 2>err &&
	test_grep "not signed" err &&
	test "$(kubectl get configmap version -o jsonpath={.data.version})" = 1.10.0
'

test_expect_success 'a signature by another key is refused' '
	hoist keygen --out other >/dev/null 2>&1 &&
	hoist sign "$REPO:latest" --key other.key >/dev/null 2>&1 &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml 2>err &&
	test_grep "does not verify" err &&
	test "$(kubectl get configmap version -o jsonpath={.data.version})" = 1.10.0
'

test_expect_success 'an artifact signed by the key is applied' '
	hoist sign "$REPO:latest" --key cosign.key >/dev/null 2>&1 &&
	"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>log &&
	test "$(kubectl get configmap version -o jsonpath={.data.version})" = 1.4.2
'

test_expect_success 'a kubeconfig with a client certificate works' '
	config "kubeconfig: $TRASH/cert-kubeconfig" &&
	"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>log &&
	test_grep "1 objects: 0 applied, 1 unchanged" out
'

test_expect_success 'without a kubeconfig the in-cluster service account is used' '
	mkdir -p sa &&
	cp "$TRASH/apiserver-K/ca.crt" sa/ca.crt &&
	echo "$APISERVER_TOKEN_K" >sa/token &&
	echo default >sa/namespace &&
	config "namespace: hoist-system" &&
	port=${APISERVER_URL_K##*:} &&
	KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$port \
		HOIST_SERVICEACCOUNT_DIR="$TRASH/sa" \
		"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml >out 2>log &&
	test_grep "1 objects: 0 applied, 1 unchanged" out &&
	echo wrong >sa/token &&
	test_must_fail env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$port \
		HOIST_SERVICEACCOUNT_DIR="$TRASH/sa" \
		"$HOIST_BUILD/hoist-agent" sync web --once -c agent.yaml 2>err &&
	test_grep "Unauthorized\|401\|unauthorized" err
'

test_expect_success 'sync --once of a push app with nothing pushed says so' '
	printf "apiVersion: hoist.dev/v1alpha1\nkind: Agent\nkubeconfig: %s\nstateDir: %s\napps:\n  - name: pushed\n    source: push\n" \
		"$APISERVER_K" "$TRASH/state-push" >push.yaml &&
	test_must_fail "$HOIST_BUILD/hoist-agent" sync pushed --once -c push.yaml 2>err &&
	test_grep "hoist-agent: error: pushed: nothing was pushed to app pushed yet" err
'

test_expect_success 'hoist-agent neither links nor loads libgit2' '
	! ldd "$HOIST_BUILD/hoist-agent" | grep libgit2 &&
	! nm -u "$HOIST_BUILD/hoist-agent" | grep " git_" &&
	ldd "$HOIST_BUILD/hoist" | grep libgit2
'

# It reads artifacts with its own tar walk: libarchive pulls in libxml2,
# ICU and libstdc++, 2.4 MB of resident memory an idle agent does not need.
# (libstdc++ itself is not checked: ASan's runtime loads it.)
test_expect_success 'hoist-agent neither links nor loads libarchive' '
	! ldd "$HOIST_BUILD/hoist-agent" | grep "libarchive\|libxml2\|libicu" &&
	! nm -u "$HOIST_BUILD/hoist-agent" | grep " archive_"
'

test_done
