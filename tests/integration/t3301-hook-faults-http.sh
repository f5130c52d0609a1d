#!/bin/bash
# The receive hook against a registry that fails mid-way: connections reset
# in the middle of an upload, 500s, 429 with Retry-After.  Each push returns
# within the budget plus 2 s, nothing is lost, and once the fault clears
# the background worker publishes everything in commit order, once.
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

test_expect_success 'connections reset in the middle of an upload' '
	fault_scenario P reset-upload &&
	grep -q "reset-upload .* RST" proxy-P/log
'

test_expect_success 'a registry answering 500 to everything' '
	fault_scenario P 500 &&
	test_grep "server answered 500" 500-1.err
'

test_expect_success '429 with a Retry-After inside the budget: the hook waits as asked, then queues' '
	fault_scenario P "429 1" &&
	test_grep "server answered 429" 429-1-1.err
'

test_expect_success '429 with a Retry-After beyond the budget: the hook does not wait for it' '
	fault_scenario P "429 30" &&
	test_grep "no time left for another try (next in 30000 ms)" 429-30-1.err
'

test_expect_success 'no hook or worker printed a sanitizer report' '
	no_sanitizer_reports
'

test_done
