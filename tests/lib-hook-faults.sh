# tests/lib-hook-faults.sh - shared by the t33NN-hook-* fault tests: a bare
# repository with hoist's hooks publishing through tests/faultproxy.py to
# a real registry, and one scenario run per fault.
#
# The server's budget is 3 s (git config hoist.hookTimeout), while
# hoist.yaml asks for 60 s: a push must not be able to raise it.
BUDGET_MS=3000
# Generous: the issue's bound is the budget plus 2 s.
BOUND_MS=$((BUDGET_MS + 2000))
export HOIST_RETRY_MAX=4
# The worker retries quickly here; a pass gets 10 s before it lets go.
export HOIST_SPOOL_BACKOFF_MS=200 HOIST_SPOOL_BACKOFF_MAX_MS=1000 HOIST_SPOOL_PASS_MS=10000
exec 3>&1
# A worker left running (a failed test) is stopped with the script.
test_cleanup "kill \$(cat '$TRASH/server.git/hoist-spool/.worker' 2>/dev/null) 2>/dev/null"

tags() {
	curl -s "http://$REGISTRY_R/v2/acme/$1/tags/list" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted(t for t in (d.get('tags') or []) if not t.startswith('hoist-history-') and not t.endswith('.sig'))))"
}
digest_of() {
	curl -s -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/$1/manifests/$2" | tr -d '\r' |
		sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  v: \"%s\"\n" "$1" "$2"; }
spool_jobs() { ls "$TRASH"/server.git/hoist-spool/*.job 2>/dev/null | wc -l; }
spool_empty() { test "$(spool_jobs)" = 0; }

# setup_hook_repo REGISTRY: server.git (hooks, a 3 s budget) and a clone,
# publishing apps web and db to REGISTRY/acme on every push to main.
setup_hook_repo() {
	git init -q --bare server.git &&
	git -C server.git config hoist.hookTimeout 3s &&
	hoist hook install server.git 2>/dev/null &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/apps/web work/apps/db &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $1/acme
	hookTimeout: 60s
	apps:
	  - {name: web, path: apps/web}
	  - {name: db, path: apps/db}
	environments:
	  - {name: dev, branch: main}
	EOF
	cm web 0 >work/apps/web/cm.yaml &&
	cm db 0 >work/apps/db/cm.yaml &&
	git -C work add . &&
	GIT_COMMITTER_DATE=2026-01-02T03:00:00Z git -C work commit -qm init
}

# Each scenario commit gets its own committer minute, so versions sort by it.
commit_no=0
next_commit() { # APP VALUE
	commit_no=$((commit_no + 1))
	cm "$1" "$2" >"work/apps/$1/cm.yaml" &&
	GIT_COMMITTER_DATE=$(printf "2026-01-02T04:%02d:00Z" $commit_no) \
		git -C work commit -qam "$1 $2"
}

# timed_push LABEL: git push; prints how long it took and checks the bound.
timed_push() {
	_t0=$(now_ms)
	git -C work push -q origin main 2>"$1.err"
	_rc=$?
	_ms=$(( $(now_ms) - _t0 ))
	echo "# elapsed: $TEST_NAME $1: push returned in $_ms ms (budget $BUDGET_MS ms, bound $BOUND_MS ms)" >&3
	echo "push took $_ms ms"
	cat "$1.err"
	test $_rc = 0 && test $_ms -le $BOUND_MS
}

# The versions of web the registry accepted through proxy PROXY, in the
# order it accepted them (the proxy logs each request as it forwards it).
published_versions() {
	awk '$2 == "PUT" && $3 ~ /^\/v2\/acme\/web\/manifests\/0\.0\.0-/ && $4 ~ /^2/ {
		sub(/.*\//, "", $3); print $3 }' "$TRASH/proxy-$1/log"
}

# fault_scenario PROXY MODE [REGISTRY_PROXY]: with the fault on at PROXY,
# two pushes each return within the bound and queue their update (nothing
# is lost); once the fault clears, the background worker publishes both, in
# commit order, each once (as REGISTRY_PROXY, default PROXY, saw it).
fault_scenario() {
	_p=$1
	_m=$2
	_lp=${3:-$1}
	git -C work pull -q 2>/dev/null
	fault "$_p" "$_m" &&
	_tag=$(echo "$_m" | tr -c "a-z0-9\n" -) &&
	next_commit web "$_tag-1" && c1=$(git -C work rev-parse HEAD) &&
	timed_push "$_tag-1" &&
	test_grep "remote: hoist: warning: queued refs/heads/main ${c1%${c1#???????}}: " "$_tag-1.err" &&
	next_commit web "$_tag-2" && c2=$(git -C work rev-parse HEAD) &&
	timed_push "$_tag-2" &&
	test_grep "remote: hoist: warning: queued refs/heads/main ${c2%${c2#???????}}: " "$_tag-2.err" &&
	test "$(git -C server.git rev-parse main)" = "$c2" &&
	ls server.git/hoist-spool/ &&
	test "$(spool_jobs)" -ge 1 &&
	fault "$_p" pass &&
	wait_until 90 spool_empty &&
	test "$(digest_of web dev)" = "$(digest_of web "$(version_of $c2)")" &&
	test -n "$(digest_of web "$(version_of $c1)")" &&
	published_versions "$_lp" >published &&
	cat published &&
	test "$(sort published | uniq -d)" = "" &&
	tail -n 2 published | tr "\n" " " >last2 &&
	test "$(cat last2)" = "$(version_of $c1) $(version_of $c2) "
}

version_of() {
	printf "0.0.0-main.%s.%.7s" "$(TZ=UTC git -C work log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S "$1")" "$1"
}

# Under make asan a hook's or the worker's sanitizer report would not fail
# the push (post-receive cannot): look for one in everything they printed.
no_sanitizer_reports() {
	! grep -l -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" \
		"$TRASH"/*.err "$TRASH"/server.git/hoist-spool/worker.log 2>/dev/null
}
