#!/bin/sh
# Turns kustomization folders into fuzz-kustomize inputs:
#   tests/fuzz/kustomize-seed.sh DIR... (writes tests/fuzz/corpus/kustomize/NAME)
# The root kustomization.yaml comes first, unmarked; every other file
# follows a "--8<-- PATH" line.
top=$(cd "$(dirname "$0")/../.." && pwd)
for dir in "$@"; do
	out=$top/tests/fuzz/corpus/kustomize/$(basename "$dir")
	(cd "$dir" && {
		cat kustomization.yaml
		find . -type f ! -path ./kustomization.yaml | sed 's|^\./||' | LC_ALL=C sort |
			while read -r f; do
				printf -- "--8<-- %s\n" "$f"; cat "$f"
				[ -z "$(tail -c1 "$f")" ] || echo # the next mark starts a line
			done
	}) >"$out"
done
