#!/bin/sh
# build.sh OUT: builds the test API server into OUT (a file path), offline,
# in GOPATH mode against Debian's Go packages (/usr/share/gocode).
#
# GOPATH mode resolves Debian's sigs.k8s.io/structured-merge-diff/v4 imports
# (minimal module compatibility) only for code that is itself inside a GOPATH
# root and under a go.mod, so the package is linked into a private GOPATH in
# the build directory; the Go build cache lives there too, which makes a
# rebuild of unchanged sources cheap.
set -e
out=$1
src=$(cd "$(dirname "$0")" && pwd)
dir=$(dirname "$out")
mkdir -p "$dir/apiserver-gopath/src"
ln -sfn "$src" "$dir/apiserver-gopath/src/hoist-test-apiserver"
cd "$dir/apiserver-gopath/src/hoist-test-apiserver"
GO111MODULE=off GOPATH="$(cd "$dir/apiserver-gopath" && pwd):/usr/share/gocode" \
	GOCACHE="$(cd "$dir" && pwd)/apiserver-gocache" GOFLAGS= GOPROXY=off \
	CGO_ENABLED=0 go build -o "$out.tmp" . && mv "$out.tmp" "$out"
