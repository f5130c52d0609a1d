#!/bin/sh
# make conformance: the kustomize suite (run.sh: plain files, own cases, the
# shared corpus, the differential test) and the Helm suite (helm.sh: own
# charts, the chart corpus, Helm's goldens), then one line over both,
# "N passed, N failed", as every runner here ends.
here=$(cd "$(dirname "$0")" && pwd)
total_pass=0
total_fail=0
rc=0
for suite in run.sh helm.sh; do
	log=$(mktemp)
	if [ "$suite" = helm.sh ]; then
		bash "$here/$suite" 2>&1 | tee "$log"
	else
		sh "$here/$suite" 2>&1 | tee "$log"
	fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		total_pass=$((total_pass + $(echo "$line" | cut -d' ' -f1)))
		total_fail=$((total_fail + $(echo "$line" | cut -d' ' -f3)))
	else
		total_fail=$((total_fail + 1))
	fi
	grep -qE '^[0-9]+ passed, 0 failed' "$log" || rc=1
	rm -f "$log"
done
echo "$total_pass passed, $total_fail failed"
exit $rc
