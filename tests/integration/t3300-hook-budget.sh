#!/bin/bash
# The receive hook's time budget: a push never waits on a sick registry
# longer than the budget (plus 2 s), the server's git config sets the
# budget, what is cut short is queued with a reason, and the background
# worker publishes it, in commit order, once the registry recovers.
. "$(dirname "$0")/../lib.sh"
. "$TEST_TOP/tests/lib-hook-faults.sh"

start_registry R
start_faultproxy P "$REGISTRY_R"

test_expect_success 'setup: a repository publishing through the fault proxy' '
	setup_hook_repo "$PROXY_P" &&
	git -C work push -q origin main 2>push0.err &&
	# A slow machine (ASan) may need the worker for this one: wait for the queue.
	test_grep "remote: hoist: " push0.err &&
	wait_until 90 spool_empty &&
	test "$(tags web | wc -w)" = 2
'

test_expect_success 'a registry that accepts and never answers: the push returns within the budget' '
	fault_scenario P hang &&
	test_grep "budget ran out" hang-1.err
'

test_expect_success 'a registry that answers one byte per second: the push returns within the budget' '
	fault_scenario P slow
'

test_expect_success 'the pusher is told what was queued, why, and who publishes it' '
	test_grep "remote: hoist: warning: queued refs/heads/main [0-9a-f]*: the hook.s time budget ran out" hang-1.err &&
	test_grep "a background worker retries them" hang-1.err &&
	test_grep "returning after .* of a 3 s budget" hang-1.err
'

test_expect_success 'without the server setting, hoist.yaml sets the budget' '
	git -C server.git config --unset hoist.hookTimeout &&
	sed -i "s/hookTimeout: 60s/hookTimeout: 2s/" work/hoist.yaml &&
	git -C work commit -qam "a 2 s budget" &&
	fault P hang &&
	t0=$(now_ms) &&
	git -C work push -q origin main 2>yaml.err &&
	ms=$(( $(now_ms) - t0 )) &&
	echo "# elapsed: $TEST_NAME hoist.yaml 2 s budget: push returned in $ms ms (bound 4000 ms)" >&3 &&
	test $ms -le 4000 &&
	test_grep "queued refs/heads/main" yaml.err &&
	fault P pass &&
	wait_until 90 spool_empty &&
	git -C server.git config hoist.hookTimeout 3s
'

test_expect_success 'a hookTimeout out of range is an error with file:line:col' '
	printf "apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: r.example.com/a\nhookTimeout: 2h\napps: []\nenvironments: [{name: dev}]\n" >bad/hoist.yaml 2>/dev/null ||
	{ mkdir -p bad && printf "apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: r.example.com/a\nhookTimeout: 2h\napps: []\nenvironments: [{name: dev}]\n" >bad/hoist.yaml; } &&
	git -C bad init -q && git -C bad add . && git -C bad commit -qm bad &&
	test_must_fail hoist publish --repo bad --dry-run 2>err &&
	test_grep "hoist.yaml:1:1: hookTimeout: .2h. is out of range (1s to 10m)" err
'

test_expect_success 'hoist hook retry BARE_REPO works from any folder' '
	fault P 500 &&
	next_commit db retry-1 &&
	git -C work push -q origin main 2>r.err &&
	test_grep "queued refs/heads/main" r.err &&
	fault P pass &&
	(cd / && hoist hook retry "$TRASH/server.git") 2>retry.err &&
	spool_empty &&
	(cd / && test_must_fail hoist hook retry /nonexistent 2>"$TRASH/nr.err") &&
	test_grep "not a Git repository" nr.err
'

test_expect_success 'no hook or worker printed a sanitizer report' '
	no_sanitizer_reports
'

test_done
