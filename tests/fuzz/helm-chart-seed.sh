#!/bin/sh
# Turns chart folders (or .tgz archives) into fuzz-helm-chart inputs:
#   tests/fuzz/helm-chart-seed.sh DIR|TGZ... (writes tests/fuzz/corpus/helm-chart/NAME)
# A folder: a zero byte, Chart.yaml unmarked, every other file after a
# "--8<-- PATH" line.  An archive: a one byte, then its bytes.
top=$(cd "$(dirname "$0")/../.." && pwd)
for src in "$@"; do
	name=$(basename "$(dirname "$src")")-$(basename "$src")
	out=$top/tests/fuzz/corpus/helm-chart/$name
	if [ -f "$src" ]; then
		{ printf '\001'; cat "$src"; } >"$out"
		continue
	fi
	(cd "$src" && {
		printf '\000'
		cat Chart.yaml
		find . -type f ! -path ./Chart.yaml ! -name '*.tgz' | sed 's|^\./||' | LC_ALL=C sort |
			while read -r f; do
				printf -- "--8<-- %s\n" "$f"; cat "$f"
				[ -z "$(tail -c1 "$f")" ] || echo # the next mark starts a line
			done
	}) >"$out"
done
