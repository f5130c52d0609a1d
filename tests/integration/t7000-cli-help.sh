#!/bin/bash
# Every command of both binaries answers --help, -h and `help COMMAND`
# from the same tables the option parser reads; unknown commands and
# options exit 2 with git's "The most similar ... is"; docs/cli.md names
# every command and option the parser accepts.
. "$(dirname "$0")/../lib.sh"

AGENT=$HOIST_BUILD/hoist-agent

# `PROG __options` lists the commands, `PROG __options CMD` the parser's
# table of CMD: "--name<TAB>kind<TAB>-s<TAB>help" (help "(no help)" if empty).
for_each_command() {
	for bin in "$HOIST_BUILD/hoist" "$AGENT"; do
		"$bin" __options >cmds || return 1
		test -s cmds || return 1
		while read -r cmd; do
			"$1" "$bin" "$cmd" || { echo "failed: $(basename "$bin") $cmd" >&2; return 1; }
		done <cmds
	done
}

check_help() {
	bin=$1 cmd=$2
	"$bin" __options "$cmd" >opts &&
	"$bin" "$cmd" --help >help &&
	grep -q "^usage: $(basename "$bin") $cmd" help &&
	grep -q "^Options:" help && grep -q "^Exit status:" help &&
	test "$(sed -n "/^Examples:/,/^\$/p" help | grep -c "^  $(basename "$bin")")" -ge 2 ||
		{ echo "$cmd --help has fewer than two examples" >&2; return 1; }
	"$bin" help "$cmd" >help2 && cmp help help2 &&
	"$bin" "$cmd" -h >short && grep -q "^usage: " short &&
	! grep -q "^Exit status:" short &&
	if grep "(no help)" opts; then echo "an option of $cmd has no help" >&2; return 1; fi &&
	while IFS="	" read -r name kind short text; do
		grep -q -e "$name" help || { echo "$cmd --help does not name $name" >&2; return 1; }
		grep -q -e "$name" short || { echo "$cmd -h does not name $name" >&2; return 1; }
		grep -qF -e "$text" help || { echo "$cmd --help lacks the help of $name" >&2; return 1; }
		if [ "$short" != - ]; then grep -q -e "$short, $name" help || return 1; fi
	done <opts
}

test_expect_success 'every command of hoist and hoist-agent documents every option it parses' '
	for_each_command check_help
'

check_unknown() {
	bin=$1 cmd=$2
	test_expect_code 2 "$bin" "$cmd" --no-such-option-at-all 2>err &&
	grep -q "unknown option .--no-such-option-at-all." err &&
	! grep -q "most similar" err &&
	grep -q "^usage: " err &&
	"$bin" __options "$cmd" >opts &&
	if [ -s opts ]; then
		# Swap two letters of the first option: close enough to suggest it.
		name=$(head -n1 opts | cut -f1 | sed "s/^--//") &&
		typo=--$(printf %s "$name" | sed "s/^\(.\)\(.\)/\2\1/") &&
		test_expect_code 2 "$bin" "$cmd" "$typo" 2>err &&
		grep -q "unknown option .$typo." err &&
		grep -q "^The most similar option" err &&
		grep -q "^	--$name\$" err
	fi
}

test_expect_success 'an unknown option exits 2, with a did-you-mean when one is close' '
	for_each_command check_unknown
'

test_expect_success 'a mistyped command exits 2 with git'"'"'s "The most similar command is"' '
	test_expect_code 2 hoist rendr 2>err &&
	printf "%s\n" "hoist: '"'"'rendr'"'"' is not a hoist command. See '"'"'hoist help'"'"'." "" \
		"The most similar command is" "	render" >expect &&
	test_cmp expect err &&
	test_expect_code 2 hoist promtoe x 2>err &&
	grep -q "^	promote$" err &&
	test_expect_code 2 "$AGENT" verison 2>err &&
	grep -q "^	version$" err &&
	test_expect_code 2 hoist xyzzyplugh 2>err &&
	! grep -q "most similar" err &&
	test_expect_code 2 hoist help rendr 2>err &&
	grep -q "^	render$" err
'

test_expect_success 'a letter swapped costs nothing, as in git (stauts -> status shape)' '
	test_expect_code 2 hoist pbulish 2>err &&
	grep -q "^The most similar command is" err &&
	grep -q "^	publish$" err
'

test_expect_success 'help lists every command; an option value "-h" is not a help request' '
	hoist help >list &&
	while read -r cmd; do grep -q "^  $cmd " list || exit 1; done <<-EOT
	$(hoist __options)
	EOT
	test_expect_code 2 hoist >/dev/null 2>err && grep -q "^Commands:" err &&
	hoist --version | grep -q "^hoist " &&
	"$AGENT" --version | grep -q "^hoist-agent " &&
	# --created takes the value "-h": pack runs (and fails on the missing folder).
	test_expect_code 1 hoist pack nowhere -o x.tgz --created -h 2>err &&
	grep -q "RFC 3339" err
'

# docs/cli.md is checked against the tables: a "## hoist CMD" (or
# "## hoist-agent CMD") heading per command, naming or followed by every
# option before the next heading.
check_docs() {
	bin=$1 cmd=$2 prog=$(basename "$1")
	awk -v h="$prog $cmd" '
		/^## / { on = 0; n = split(substr($0, 4), parts, /, /)
			 for (i = 1; i <= n; i++) if (index(parts[i], h) == 1 &&
			     (length(parts[i]) == length(h) || substr(parts[i], length(h) + 1, 1) == " ")) on = 1 }
		on { print }' "$TEST_TOP/docs/cli.md" >section &&
	test -s section || { echo "docs/cli.md has no section for $prog $cmd" >&2; return 1; }
	"$bin" __options "$cmd" | cut -f1 | while read -r name; do
		grep -q -e "$name" section || { echo "docs/cli.md: $prog $cmd lacks $name" >&2; exit 1; }
	done
}

test_expect_success 'docs/cli.md has a section per command naming every option' '
	for_each_command check_docs
'

test_done
