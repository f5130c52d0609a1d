#!/bin/bash
# Ordering under races: ten concurrent pushes to different branches and two
# concurrent `hoist hook retry` runs.  Every version is published once,
# each environment's tag ends on its newest commit (a commit-time tie goes
# to the greater commit id, as docs/hooks.md says), and the spool is empty.
. "$(dirname "$0")/../lib.sh"
. "$TEST_TOP/tests/lib-hook-faults.sh"

start_registry R
start_faultproxy P "$REGISTRY_R"

test_expect_success 'setup: ten branches, five per environment, some with equal commit times' '
	git init -q --bare server.git &&
	git -C server.git config hoist.hookTimeout 5s &&
	hoist hook install server.git 2>/dev/null &&
	git init -q work &&
	mkdir -p work/apps/web work/apps/db &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $PROXY_P/acme
	apps:
	  - {name: web, path: apps/web}
	  - {name: db, path: apps/db}
	environments:
	  - {name: dev, branch: "dev-*"}
	  - {name: qa, branch: "qa-*"}
	EOF
	cm web 0 >work/apps/web/cm.yaml && cm db 0 >work/apps/db/cm.yaml &&
	git -C work add . &&
	GIT_COMMITTER_DATE=2026-01-02T03:00:00Z git -C work commit -qm base &&
	# Minutes 1..5; the last two of each environment share a commit time.
	for env in dev qa; do
		for i in 1 2 3 4 5; do
			m=$i; [ $i = 5 ] && m=4
			git -C work checkout -q -b $env-$i main &&
			cm web "$env-$i" >work/apps/web/cm.yaml && cm db "$env-$i" >work/apps/db/cm.yaml &&
			GIT_COMMITTER_DATE=$(printf "2026-01-02T03:%02d:00Z" $m) git -C work commit -qam "$env $i" || return 1
		done
	done
'

test_expect_success 'ten concurrent pushes and two concurrent retries' '
	for env in dev qa; do
		for i in 1 2 3 4 5; do
			git -C work push -q "$TRASH/server.git" $env-$i:$env-$i 2>"push-$env-$i.err" &
		done
	done
	hoist hook retry "$TRASH/server.git" 2>retry-1.err &
	hoist hook retry "$TRASH/server.git" 2>retry-2.err &
	wait
	wait_until 120 spool_empty &&
	test -z "$(ls server.git/hoist-spool/failed 2>/dev/null)"
'

# The winner of an environment: the newest commit time, then the greatest id.
newest() {
	for b in $(git -C work for-each-ref --format="%(refname:short)" "refs/heads/$1-*"); do
		echo "$(git -C work log -1 --format=%ct $b) $(git -C work rev-parse $b) $b"
	done | sort -k1,1n -k2,2 | tail -n 1 | cut -d" " -f3
}
branch_version() {
	printf "0.0.0-%s.%s.%.7s" "$1" "$(TZ=UTC git -C work log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S "$1")" "$(git -C work rev-parse "$1")"
}

# A version's manifest may be PUT twice: a hook whose budget ran out while
# the PUT was in flight gives up on it (its job stays queued), the request
# still lands, and the worker, which saw no tag yet, sends the same bytes
# again.  The tag names the same digest either way; what must hold is that
# each version is there and that no move is recorded twice or lost: each
# record's `from` is the `to` of the record before it.
test_expect_success 'every version was published, and each move recorded once' '
	for app in web db; do
		awk -v app=$app "\$2 == \"PUT\" && \$3 ~ \"^/v2/acme/\" app \"/manifests/0[.]0[.]0-\" && \$4 ~ /^2/ { print \$3 }" \
			proxy-P/log | sort -u >puts-$app &&
		test "$(wc -l <puts-$app)" = 10 || return 1
		for env in dev qa; do
			for i in 1 2 3 4 5; do
				test -n "$(digest_of $app "$(branch_version $env-$i)")" || return 1
			done
			hoist history $app --env $env --repo work --insecure --json >hist-$app-$env &&
			python3 - hist-$app-$env "$(digest_of $app $env)" <<-\PY || return 1
			import json, sys
			recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
			assert recs and recs[0]["to"] == sys.argv[2], (recs[:1], sys.argv[2])
			moves = [(r["from"], r["to"]) for r in recs]
			assert len(set(moves)) == len(moves), moves
			for newer, older in zip(recs, recs[1:]):
			    assert newer["from"] == older["to"], (newer, older)
			assert recs[-1]["from"] is None, recs[-1]
			PY
		done
	done
'

test_expect_success 'each environment tag is on its newest commit (ties: the greater commit id)' '
	for env in dev qa; do
		b=$(newest $env) &&
		echo "$env: $b" &&
		for app in web db; do
			test "$(digest_of $app $env)" = "$(digest_of $app "$(branch_version $b)")" || return 1
		done
	done
'

test_expect_success 'the spool is empty and every push reported' '
	spool_empty &&
	for env in dev qa; do
		for i in 1 2 3 4 5; do
			grep -q "remote: hoist: " push-$env-$i.err || return 1
		done
	done
'

test_expect_success 'no hook or worker printed a sanitizer report' '
	no_sanitizer_reports
'

test_done
