#!/bin/bash
# The GitLab template, run by gitlab-ci-local with its shell executor: the
# job builds hoist from this repository (as a file:// URL) and publishes.
. "$(dirname "$0")/../lib.sh"

if ! command -v gitlab-ci-local >/dev/null 2>&1 || ! command -v rsync >/dev/null 2>&1; then
	echo "ok 1 # skip gitlab-ci-local or rsync not installed (make deps installs them when npm is present)"
	echo "1..1"
	exit 0
fi
# The job builds its own hoist (no sanitizer) from the repository, twice:
# under `make asan` that checks nothing more and costs two full builds.
if [ -n "${HOIST_SANITIZER:-}" ]; then
	echo "ok 1 # skip under the sanitizer build: the job compiles its own hoist"
	echo "1..1"
	exit 0
fi
if [ -n "$(git -C "$TEST_TOP" status --porcelain -- ci/gitlab 2>/dev/null)" ]; then
	echo "# note: the job builds hoist from the last commit of $TEST_TOP"
fi

start_registry R

test_expect_success 'setup: a project that includes the template' '
	git init -q proj && mkdir -p proj/apps/web &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n" >proj/apps/web/cm.yaml &&
	cat >proj/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	apps: [{name: web, path: apps/web}]
	environments: [{name: dev, branch: main}]
	EOF
	cp "$TEST_TOP/ci/gitlab/hoist.gitlab-ci.yml" proj/ &&
	# gitlab-ci-local runs jobs without an image in its shell executor.
	printf "include:\n  - local: hoist.gitlab-ci.yml\nhoist-publish:\n  image: null\nhoist-diff:\n  image: null\n" >proj/.gitlab-ci.yml &&
	git -C proj add . && git -C proj commit -qm init &&
	git -C proj remote add origin https://gitlab.example.com/acme/deploy.git
'

# GitLab sets GITLAB_CI=true in every job; gitlab-ci-local does not.  A
# job's make must not inherit the make that runs this suite (`make
# BUILD=dir test` would hand it BUILD, through MAKEFLAGS and the environment).
glci() {
	(cd proj && unset MAKEFLAGS MFLAGS MAKELEVEL BUILD && gitlab-ci-local --variable HOIST_GIT_URL="file://$TEST_TOP" \
		--variable HOIST_GIT_REF="$(git -C "$TEST_TOP" rev-parse --abbrev-ref HEAD)" \
		--variable GITLAB_CI=true "$@")
}

test_expect_success 'hoist-publish builds hoist, publishes, and writes the dotenv report' '
	glci hoist-publish >run.log 2>&1 || { cat run.log; false; } &&
	test_grep "PASS  hoist-publish" run.log &&
	env=$(find proj/.gitlab-ci-local -name hoist.env | head -n 1) &&
	test -n "$env" &&
	digest=$(sed -n "s/^HOIST_WEB_DIGEST=//p" "$env") &&
	ref=$(sed -n "s/^HOIST_WEB_REFERENCE=//p" "$env") &&
	test "$(curl -s -I -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/web/manifests/${ref##*:}" | tr -d "\r" |
		sed -n "s/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p")" = "$digest"
'

test_expect_success 'hoist-diff on a merge request (hoist from HOIST_BIN) renders without pushing' '
	before=$(curl -s "http://$REGISTRY_R/v2/acme/web/tags/list") &&
	git -C proj checkout -q -b feature &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n" >proj/apps/web/cm.yaml &&
	git -C proj commit -qam change &&
	glci --variable CI_PIPELINE_SOURCE=merge_request_event \
		--variable CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main \
		--variable CI_MERGE_REQUEST_DIFF_BASE_SHA="$(git -C proj rev-parse main)" \
		--variable HOIST_BIN="$HOIST_BUILD/hoist" \
		hoist-diff >mr.log 2>&1 || { cat mr.log; false; } &&
	test_grep "PASS  hoist-diff" mr.log &&
	summary=$(find proj/.gitlab-ci-local -name hoist-summary.md | head -n 1) &&
	test_grep "a: b" "$summary" &&
	test "$(curl -s "http://$REGISTRY_R/v2/acme/web/tags/list")" = "$before"
'

test_done
