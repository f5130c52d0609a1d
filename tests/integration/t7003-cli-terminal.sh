#!/bin/bash
# Colour and progress only on a terminal: under a pseudo-terminal
# (script -qc) the diff is coloured and a long publish shows progress; with
# stderr redirected neither appears; NO_COLOR wins over the terminal.
. "$(dirname "$0")/../lib.sh"

ESC=$(printf "\033")

# on_pty FILE CMD: run CMD (a shell string) with stdin, stdout and stderr on
# a pseudo-terminal; everything the terminal received goes to FILE.
on_pty() {
	_file=$1
	shift
	script -qec "$*" "$_file" </dev/null >/dev/null
}

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata: {v: \"%s\"}\n" "$1" "$2"; }

# Twelve apps, three environments on main: 36 artifacts for one publish.
test_expect_success 'setup: a repository of many apps' '
	git init -q repo &&
	{
		echo "apiVersion: hoist.dev/v1alpha1"
		echo "kind: Project"
		echo "registry: oci-layout:$TRASH/store"
		echo "apps:"
		for i in $(seq 1 12); do echo "  - {name: app$i, path: apps/app$i}"; done
		echo "environments:"
		for e in dev qa demo; do echo "  - {name: $e, branch: main}"; done
	} >repo/hoist.yaml &&
	for i in $(seq 1 12); do mkdir -p repo/apps/app$i && cm app$i one >repo/apps/app$i/cm.yaml; done &&
	git -C repo add . && git -C repo commit -qm one &&
	cm app1 two >repo/apps/app1/cm.yaml && git -C repo commit -qam two
'

test_expect_success 'on a terminal the diff is coloured' '
	on_pty ts "hoist diff HEAD~1 HEAD --repo repo" &&
	grep -q "${ESC}\[32m+  v: two${ESC}\[m" ts &&
	grep -q "${ESC}\[31m-  v: one${ESC}\[m" ts &&
	grep -q "${ESC}\[36m@@" ts &&
	grep -q "${ESC}\[33m~ changed: ConfigMap app1" ts
'

test_expect_success 'with stderr redirected, or stdout a file, the diff has no colour' '
	on_pty ts "hoist diff HEAD~1 HEAD --repo repo 2>err" &&
	grep -q "^+  v: two" ts && ! grep -q "$ESC" ts &&
	on_pty ts "hoist diff HEAD~1 HEAD --repo repo >out" &&
	grep -q "^+  v: two" out && ! grep -q "$ESC" out
'

test_expect_success 'NO_COLOR wins over the terminal; --color=always over NO_COLOR and pipes' '
	on_pty ts "NO_COLOR=1 hoist diff HEAD~1 HEAD --repo repo" &&
	grep -q "+  v: two" ts && ! grep -q "$ESC" ts &&
	on_pty ts "TERM=dumb hoist diff HEAD~1 HEAD --repo repo" && ! grep -q "$ESC" ts &&
	NO_COLOR=1 hoist diff HEAD~1 HEAD --repo repo --color=always >out &&
	grep -q "${ESC}\[32m+  v: two" out &&
	on_pty ts "hoist diff HEAD~1 HEAD --repo repo --color=never" && ! grep -q "$ESC" ts &&
	test_expect_code 2 hoist diff HEAD~1 HEAD --repo repo --color=sometimes 2>err
'

test_expect_success 'a long publish shows progress on a terminal' '
	on_pty ts "hoist publish --repo repo --dry-run" &&
	grep -q "hoist: rendering apps:   0% (0/36) app1/dev" ts &&
	grep -q "hoist: rendering apps: 100% (36/36), done\." ts &&
	test "$(grep -c "rendered" ts)" = 36
'

test_expect_success 'with stderr redirected no progress appears, and stdout stays the same' '
	hoist publish --repo repo --dry-run >plain 2>plain.err &&
	on_pty ts "hoist publish --repo repo --dry-run 2>err" &&
	! grep -q "rendering apps" ts && ! grep -q "rendering apps" err &&
	! test -s plain.err &&
	grep -v "^Script " ts | tr -d "\r" | sed "/^\$/d" >ts.lf && test_cmp plain ts.lf
'

test_expect_success 'publishing colours the status column on a terminal only' '
	on_pty ts "hoist publish --repo repo" &&
	grep -q "hoist: publishing apps: 100% (36/36), done\." ts &&
	grep -q "${ESC}\[32mpublished${ESC}\[m" ts &&
	on_pty ts "NO_COLOR=1 hoist publish --repo repo" &&
	grep -q " unchanged" ts && ! grep -q "$ESC" ts
'

test_expect_success 'rendering a large tree counts the files on a terminal, a small one is quiet' '
	mkdir -p large &&
	for i in $(seq 1 1234); do cm "c$i" x >large/c$i.yaml; done &&
	on_pty ts "hoist render large >out" &&
	grep -q "hoist: reading manifests: 1000 files" ts &&
	grep -q "hoist: reading manifests: 1234 files, done\." ts &&
	test "$(grep -c "^kind: ConfigMap" out)" = 1234 &&
	on_pty ts "hoist render large >out 2>err" &&
	! grep -q "reading manifests" ts err &&
	on_pty ts "hoist render repo/apps/app1 >out" && ! grep -q "reading manifests" ts
'

# A blob over 1 MiB: upload and download draw a byte count on a terminal.
start_registry main

test_expect_success 'pushing and pulling a large artifact shows progress on a terminal only' '
	mkdir big &&
	{
		printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: "
		head -c 1800000 /dev/urandom | base64 -w0
		echo
	} >big/cm.yaml &&
	hoist pack big -o big.tgz >/dev/null &&
	test "$(stat -c %s big.tgz)" -gt 1048576 &&
	on_pty ts "hoist push big.tgz $REGISTRY_main/apps/big:1" &&
	grep -q "hoist: uploading: 100% ([0-9.]*/[0-9.]* MiB), done\." ts &&
	on_pty ts "hoist pull $REGISTRY_main/apps/big:1 -o out1" &&
	grep -q "hoist: downloading: 100% ([0-9.]*/[0-9.]* MiB), done\." ts &&
	on_pty ts "hoist push big.tgz $REGISTRY_main/apps/big:2 2>err" &&
	! grep -q "uploading" ts err &&
	on_pty ts "hoist pull $REGISTRY_main/apps/big:2 -o out2 2>err" &&
	! grep -q "downloading" ts err &&
	cmp out1/manifests.yaml out2/manifests.yaml
'

test_done
