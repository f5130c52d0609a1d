#!/bin/sh
# Installs the Debian bookworm packages hoist needs to build and test.
# Idempotent: does nothing when everything is present.  Run as root (or
# with sudo available); CI and fresh machines run it through `make`.
set -e

pkgs="build-essential pkg-config git libgit2-dev libcurl4-openssl-dev libyaml-dev
libarchive-dev zlib1g-dev libssl-dev libcrypt-dev libcmocka-dev docker-registry apache2-utils
openssl curl ca-certificates python3 python3-cryptography time bc skopeo rsync
libmicrohttpd-dev
golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev golang-gopkg-yaml.v3-dev
golang-github-burntsushi-toml-dev golang-github-gobwas-glob-dev golang-github-xeipuuv-gojsonschema-dev
golang-k8s-sigs-structured-merge-diff-dev
groff-base man-db bsdutils zsh jq
chromium-headless-shell"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if [ -n "$missing" ]; then
	echo "hoist: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq >&2
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
	# Debian starts the system registry on install; tests start their own.
	if command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now docker-registry >/dev/null 2>&1 || true
	fi
fi

# Optional: gitlab-ci-local runs the GitLab template in a test.  Its newest
# releases need Node.js 22; 4.41 runs on Debian's and the machine's Node 20.
if command -v npm >/dev/null 2>&1 && ! command -v gitlab-ci-local >/dev/null 2>&1; then
	$SUDO npm install -g --silent gitlab-ci-local@4.41.0 >&2 ||
		echo "hoist: gitlab-ci-local not installed; its test will be skipped" >&2
fi
