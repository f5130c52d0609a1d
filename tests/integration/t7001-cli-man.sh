#!/bin/bash
# make man builds every page from the command tables; every page renders
# without a groff or man warning; make install puts binaries, pages and
# completions where Debian looks for them.
. "$(dirname "$0")/../lib.sh"

AGENT=$HOIST_BUILD/hoist-agent
PREFIX=$TRASH/prefix

# Installing runs `make man` first (install depends on it).  The build
# directory is the suite's: nothing is recompiled when it is up to date.
test_expect_success 'make install PREFIX=... runs make man and installs everything' '
	make -s -C "$TEST_TOP" BUILD="$HOIST_BUILD" install PREFIX="$PREFIX" >make.out 2>&1 ||
		{ cat make.out; exit 1; }
	test -x "$PREFIX/bin/hoist" && test -x "$PREFIX/bin/hoist-agent" &&
	"$PREFIX/bin/hoist" version | grep -q "^hoist " &&
	test -f "$PREFIX/share/bash-completion/completions/hoist" &&
	test -e "$PREFIX/share/bash-completion/completions/hoist-agent" &&
	test -f "$PREFIX/share/zsh/site-functions/_hoist"
'

test_expect_success 'every page the binaries list is built and installed by section' '
	{ hoist __man --list && "$AGENT" __man --list; } >pages &&
	grep -qx hoist.1 pages && grep -qx hoist-render.1 pages &&
	grep -qx hoist.yaml.5 pages && grep -qx hoist-agent.8 pages &&
	hoist __options | while read -r cmd; do grep -qx "hoist-$cmd.1" pages || exit 1; done &&
	while read -r p; do
		test -s "$HOIST_BUILD/man/$p" || { echo "not built: $p" >&2; exit 1; }
		test -s "$PREFIX/share/man/man${p##*.}/$p" || { echo "not installed: $p" >&2; exit 1; }
	done <pages &&
	ls "$HOIST_BUILD/man" | sort >built && sort pages >want && test_cmp want built
'

test_expect_success 'the pages render without groff or man warnings' '
	while read -r p; do
		f=$PREFIX/share/man/man${p##*.}/$p
		groff -man -z -ww "$f" 2>warn && ! test -s warn ||
			{ echo "groff on $p:" >&2; cat warn >&2; exit 1; }
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$f" >/dev/null 2>warn && ! test -s warn ||
			{ echo "man on $p:" >&2; cat warn >&2; exit 1; }
	done <pages
'

# The rendered text, as a reader sees it.
page_text() {
	LC_ALL=C.UTF-8 MANWIDTH=200 MAN_KEEP_FORMATTING= man -l "$1" 2>/dev/null | col -bx
}

test_expect_success 'a command page names every option its parser takes, and man finds it' '
	hoist __options | while read -r cmd; do
		page_text "$PREFIX/share/man/man1/hoist-$cmd.1" >text &&
		grep -q "^NAME" text && grep -q "hoist-$cmd - " text &&
		grep -q "^EXIT STATUS" text || exit 1
		hoist __options "$cmd" | cut -f1 | while read -r name; do
			grep -q -e "$name" text || { echo "hoist-$cmd(1) lacks $name" >&2; exit 1; }
		done || exit 1
	done &&
	MANPATH="$PREFIX/share/man" LC_ALL=C.UTF-8 MANWIDTH=100 man 1 hoist-publish | col -bx >pub &&
	grep -q "hoist publish \[--repo DIR\]" pub && grep -q -e "--json" pub
'

test_expect_success 'hoist.yaml(5) has every key of the configuration table' '
	page_text "$PREFIX/share/man/man5/hoist.yaml.5" >text &&
	hoist help config | awk "{print \$1}" >keys &&
	test "$(wc -l <keys)" -gt 10 &&
	while read -r k; do grep -qF -e "$k" text || { echo "no $k" >&2; exit 1; }; done <keys
'

test_expect_success 'hoist-agent(8) has every agent command; agent.yaml(5) every agent.yaml key' '
	page_text "$PREFIX/share/man/man8/hoist-agent.8" >text &&
	"$AGENT" __options | while read -r cmd; do
		grep -q "HOIST-AGENT $(echo "$cmd" | tr a-z A-Z)" text || exit 1
	done &&
	grep -q agent.yaml pages &&
	page_text "$PREFIX/share/man/man5/agent.yaml.5" >atext &&
	for key in kubeconfig namespace stateDir listen tokenFile apps; do
		grep -q "^ *$key\b" atext || { echo "agent.yaml(5) lacks $key"; exit 1; }
	done
'

test_done
