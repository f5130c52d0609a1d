#!/bin/sh
# build.sh OUT        builds the test API server into OUT (a file path)
# build.sh --test DIR runs its Go tests, with DIR as the build directory
#
# Offline, in GOPATH mode against Debian's Go packages (/usr/share/gocode).
# GOPATH mode resolves Debian's sigs.k8s.io/structured-merge-diff/v4
# imports (minimal module compatibility) only for code that is itself
# inside a GOPATH root and under a go.mod, so the package is linked into a
# private GOPATH in the build directory; the Go build cache lives there
# too, which makes a rebuild of unchanged sources cheap.
set -e
src=$(cd "$(dirname "$0")" && pwd)
if [ "$1" = --test ]; then
	mode=test
	dir=$2
else
	mode=build
	out=$1
	dir=$(dirname "$out")
fi
mkdir -p "$dir/apiserver-gopath/src"
dir=$(cd "$dir" && pwd)
ln -sfn "$src" "$dir/apiserver-gopath/src/hoist-test-apiserver"
cd "$dir/apiserver-gopath/src/hoist-test-apiserver"
export GO111MODULE=off GOPATH="$dir/apiserver-gopath:/usr/share/gocode" \
	GOCACHE="$dir/apiserver-gocache" GOFLAGS= GOPROXY=off CGO_ENABLED=0
if [ $mode = test ]; then
	go vet .
	exec go test -count=1 .
fi
go build -o "$out.tmp" . && mv "$out.tmp" "$out"
