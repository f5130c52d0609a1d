# tests/lib.sh - the integration test library, after git's test-lib.sh.
#
# A script sources this, calls test_expect_success / test_expect_failure
# with a description and a shell snippet, and ends with test_done.  Each
# script runs in its own trash directory, removed when every test passed.
# Services a test starts (registries, daemons) are registered with
# test_cleanup and stopped when the script exits, whatever happens.
set -u

TEST_TOP=$(cd "$(dirname "$0")/../.." && pwd)
HOIST_BUILD=${HOIST_BUILD:-$TEST_TOP/build}
TEST_NAME=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/hoist-$TEST_NAME.XXXXXX")
test_count=0
test_failed=0

export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME="Hoist Test" GIT_AUTHOR_EMAIL="test@example.com"
export GIT_COMMITTER_NAME="Hoist Test" GIT_COMMITTER_EMAIL="test@example.com"
export GIT_AUTHOR_DATE="2026-01-02T03:04:05Z" GIT_COMMITTER_DATE="2026-01-02T03:04:05Z"
export PATH="$HOIST_BUILD:$PATH"
# Debian's python3 (see the Makefile's PYBIN): a pyenv shim costs seconds a call.
if [ -x /usr/bin/python3 ]; then
	mkdir -p "$TRASH/.pybin" && ln -sf /usr/bin/python3 "$TRASH/.pybin/python3"
	export PATH="$TRASH/.pybin:$PATH"
fi
unset HOIST_REGISTRY_USER HOIST_REGISTRY_PASSWORD GITHUB_ACTIONS GITLAB_CI CI 2>/dev/null || true
git config --global init.defaultBranch main
git config --global protocol.file.allow always

hoist() {
	"$HOIST_BUILD/hoist" "$@"
}

# Cleanups are kept in a file: a test body runs in a subshell, where a
# variable set would be lost with it (and the servers it started with them).
test_cleanup() {
	printf '%s\n' "$1" >>"$TRASH/.cleanups"
}

_run_cleanups() {
	# Newest first, as a stack.
	if [ -f "$TRASH/.cleanups" ]; then
		tac "$TRASH/.cleanups" | while IFS= read -r _c; do
			eval "$_c" >/dev/null 2>&1 </dev/null || true
		done
	fi
	if [ "$test_failed" = 0 ]; then
		rm -rf "$TRASH"
	else
		echo "# trash directory kept: $TRASH"
	fi
}
trap _run_cleanups EXIT

cd "$TRASH" || exit 1

_run_test() {
	# Runs in a subshell so a test cannot change the script's state by
	# accident; tests that must share state write files in $TRASH.
	(cd "$TRASH" && set -e && eval "$1") >"$TRASH/.out" 2>&1
}

test_expect_success() {
	test_count=$((test_count + 1))
	if _run_test "$2"; then
		echo "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out" | tail -n 40
	fi
}

test_done() {
	echo "1..$test_count"
	[ "$test_failed" = 0 ]
	exit $?
}

# A command that must fail (non-zero, but not a crash or a sanitizer report).
test_must_fail() {
	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	fi
	if [ $rc -gt 128 ] || [ $rc -eq 99 ]; then
		echo "test_must_fail: command crashed ($rc): $*" >&2
		return 1
	fi
	return 0
}

# test_expect_code CODE CMD...: CMD must exit with exactly CODE.
test_expect_code() {
	_want=$1
	shift
	"$@"
	_rc=$?
	if [ "$_rc" != "$_want" ]; then
		echo "test_expect_code: want exit $_want, got $_rc: $*" >&2
		return 1
	fi
}

# test_cmp EXPECTED ACTUAL: the files are the same; shows the difference when not.
test_cmp() {
	diff -u "$1" "$2"
}

test_grep() {
	if ! grep "$@"; then
		echo "test_grep: no match for: $*" >&2
		return 1
	fi
}

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_for_http() {
	i=0
	while [ $i -lt 100 ]; do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "service at $1 did not come up" >&2
	return 1
}

# start_registry NAME [htpasswd-file]: Debian's docker-registry on 127.0.0.1
# with its own config and storage; sets REGISTRY_<NAME> to host:port.
start_registry() {
	_name=$1
	_auth=${2:-}
	_port=$(free_port)
	_dir="$TRASH/registry-$_name"
	mkdir -p "$_dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: error, accesslog: {disabled: true}}"
		echo "storage:"
		echo "  filesystem: {rootdirectory: $_dir/data}"
		echo "  delete: {enabled: true}"
		echo "http:"
		echo "  addr: 127.0.0.1:$_port"
		if [ -n "$_auth" ]; then
			echo "auth:"
			echo "  htpasswd: {realm: hoist-test, path: $_auth}"
		fi
		# More of the registry's own configuration (REGISTRY_CONFIG_EXTRA),
		# e.g. its redirect storage middleware.
		[ -z "${REGISTRY_CONFIG_EXTRA:-}" ] || printf '%s\n' "$REGISTRY_CONFIG_EXTRA"
	} >"$_dir/config.yml"
	docker-registry serve "$_dir/config.yml" >"$_dir/log" 2>&1 &
	echo $! >"$_dir/pid"
	# Read the pid file at exit, so a registry restarted by a test is stopped too.
	test_cleanup "kill \$(cat '$_dir/pid') 2>/dev/null"
	eval "REGISTRY_$_name=127.0.0.1:$_port"
	wait_for_http "http://127.0.0.1:$_port/v2/" || { cat "$_dir/log" >&2; return 1; }
}

stop_registry() {
	kill "$(cat "$TRASH/registry-$1/pid")" 2>/dev/null
	# Wait until the port is closed, so a client sees "connection refused".
	_i=0
	while [ $_i -lt 50 ] && kill -0 "$(cat "$TRASH/registry-$1/pid")" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# restart_registry NAME: the same config, storage and port again (safe in a test).
restart_registry() {
	_dir="$TRASH/registry-$1"
	docker-registry serve "$_dir/config.yml" >>"$_dir/log" 2>&1 &
	echo $! >"$_dir/pid"
	wait_for_http "http://$(eval echo \$REGISTRY_$1)/v2/"
}

# build_apiserver: builds the project's test Kubernetes API server
# (tests/apiserver/, Go, offline against Debian's Go packages) into
# $HOIST_BUILD/tests/hoist-test-apiserver when it is missing or older than
# its sources.  The Go build cache in $HOIST_BUILD keeps a rebuild cheap.
APISERVER_BIN="$HOIST_BUILD/tests/hoist-test-apiserver"
build_apiserver() {
	if [ -x "$APISERVER_BIN" ] &&
		[ -z "$(find "$TEST_TOP/tests/apiserver" -newer "$APISERVER_BIN" -type f 2>/dev/null)" ]; then
		return 0
	fi
	sh "$TEST_TOP/tests/apiserver/build.sh" "$APISERVER_BIN"
}

# start_apiserver NAME [SERVER-FLAGS...]: starts the test API server on a
# free port of 127.0.0.1 (HTTPS, its own CA, bearer token), waits until it
# serves, and stops it when the script exits.  Sets:
#   APISERVER_<NAME>        the kubeconfig path (token; current context)
#   APISERVER_URL_<NAME>    https://127.0.0.1:PORT
#   APISERVER_TOKEN_<NAME>  the bearer token
# and writes $TRASH/apiserver-NAME/{kubeconfig,ca.crt,token,port,log,pid}.
# Flags: --crd-establish-delay=DUR, --insecure-http, --watch-history=N ...
# (hoist-test-apiserver -h).  Use it at the top level of a script.
start_apiserver() {
	_name=$1
	shift
	build_apiserver || return 1
	_dir="$TRASH/apiserver-$_name"
	mkdir -p "$_dir"
	rm -f "$_dir/port"
	_tok=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	echo "$_tok" >"$_dir/token"
	"$APISERVER_BIN" --listen 127.0.0.1:0 --port-file "$_dir/port" \
		--kubeconfig "$_dir/kubeconfig" --token "$_tok" "$@" >"$_dir/log" 2>&1 &
	echo $! >"$_dir/pid"
	test_cleanup "kill \$(cat '$_dir/pid') 2>/dev/null"
	_i=0
	while [ ! -s "$_dir/port" ]; do
		if [ $_i -ge 200 ] || ! kill -0 "$(cat "$_dir/pid")" 2>/dev/null; then
			echo "test API server $_name did not start" >&2
			cat "$_dir/log" >&2
			return 1
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	_scheme=https
	case " $* " in *" --insecure-http "*) _scheme=http ;; esac
	sed -n 's/^ *certificate-authority-data: //p' "$_dir/kubeconfig" | base64 -d >"$_dir/ca.crt" 2>/dev/null
	eval "APISERVER_$_name=\$_dir/kubeconfig"
	eval "APISERVER_URL_$_name=$_scheme://127.0.0.1:$(cat "$_dir/port")"
	eval "APISERVER_TOKEN_$_name=\$_tok"
}

# start_agent_env: what most agent tests start with, a registry and a test
# API server; sets R (the registry's host:port) and KC (the kubeconfig),
# and kc runs kubectl against that server.  Use it at the top level.
start_agent_env() {
	start_registry reg || return 1
	start_apiserver k || return 1
	KC=$APISERVER_k
	R=$REGISTRY_reg
}
kc() { kubectl --kubeconfig "$KC" "$@"; }

stop_apiserver() {
	kill "$(cat "$TRASH/apiserver-$1/pid")" 2>/dev/null
	_i=0
	while [ $_i -lt 50 ] && kill -0 "$(cat "$TRASH/apiserver-$1/pid")" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
}

# start_faultproxy NAME UPSTREAM [CERT KEY]: tests/faultproxy.py on 127.0.0.1
# in front of UPSTREAM (host:port), TLS with CERT/KEY when given; sets
# PROXY_<NAME> to host:port.  `fault NAME MODE` switches its fault (see the
# script); it starts in "pass".  Its request log is $TRASH/proxy-NAME/log.
start_faultproxy() {
	_name=$1
	_dir="$TRASH/proxy-$_name"
	_port=$(free_port)
	mkdir -p "$_dir"
	echo pass >"$_dir/mode"
	: >"$_dir/log"
	python3 "$TEST_TOP/tests/faultproxy.py" --port "$_port" --upstream "$2" \
		--control "$_dir/mode" --log "$_dir/log" --ready "$_dir/ready" \
		${3:+--tls "$3" "$4"} >"$_dir/stderr" 2>&1 &
	echo $! >"$_dir/pid"
	test_cleanup "kill \$(cat '$_dir/pid') 2>/dev/null"
	eval "PROXY_$_name=127.0.0.1:$_port"
	_i=0
	while [ ! -e "$_dir/ready" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -e "$_dir/ready" ] || { cat "$_dir/stderr" >&2; return 1; }
}

fault() {
	echo "$2" >"$TRASH/proxy-$1/mode.tmp" && mv "$TRASH/proxy-$1/mode.tmp" "$TRASH/proxy-$1/mode"
}

# wait_until SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails
# after SECONDS (a bound for a machine under load, not a timing assertion).
wait_until() {
	_limit=$(( $1 * 10 ))
	shift
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -lt $_limit ] || { echo "wait_until: gave up on: $*" >&2; return 1; }
		sleep 0.1
	done
}

# Milliseconds since the epoch, for printing how long a command took.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# start_remoteserver NAME [--redirect URL]...: tests/remoteserver.py on
# 127.0.0.1 serving $TRASH/remote-NAME/git (Git's smart HTTP through the
# real git http-backend) and $TRASH/remote-NAME/files; sets REMOTE_<NAME> to
# host:port.  Requests are logged to $TRASH/remote-NAME/log.
start_remoteserver() {
	_name=$1
	shift
	_dir="$TRASH/remote-$_name"
	mkdir -p "$_dir/git" "$_dir/files"
	: >"$_dir/log"
	rm -f "$_dir/ready"
	_port=${REMOTE_PORT:-$(free_port)}
	python3 "$TEST_TOP/tests/remoteserver.py" --root "$_dir" --port "$_port" \
		--ready "$_dir/ready" --log "$_dir/log" "$@" >"$_dir/stderr" 2>&1 &
	echo $! >"$_dir/pid"
	test_cleanup "kill \$(cat '$_dir/pid') 2>/dev/null"
	eval "REMOTE_$_name=127.0.0.1:$_port"
	_i=0
	while [ ! -e "$_dir/ready" ] && [ $_i -lt 300 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ -e "$_dir/ready" ] || { cat "$_dir/stderr" >&2; return 1; }
}

stop_remoteserver() {
	kill "$(cat "$TRASH/remote-$1/pid")" 2>/dev/null
	_i=0
	while [ $_i -lt 50 ] && kill -0 "$(cat "$TRASH/remote-$1/pid")" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
}
