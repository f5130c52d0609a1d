#!/bin/bash
# hoist ci: publishing from GitHub Actions and GitLab CI, simulated through
# the variables each sets, against a real registry.
. "$(dirname "$0")/../lib.sh"

start_registry R
start_registry PR

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: shop\ndata:\n  v: \"%s\"\n" "$1" "$2"; }

make_repo() {
	git init -q "$1" && mkdir -p "$1/apps/web" "$1/apps/api" &&
	cat >"$1/hoist.yaml" <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $2/acme
	apps:
	  - {name: web, path: apps/web}
	  - {name: api, path: apps/api}
	environments:
	  - {name: staging, branch: main}
	EOF
	cm web 1 >"$1/apps/web/cm.yaml" && cm api 1 >"$1/apps/api/cm.yaml" &&
	git -C "$1" add . && git -C "$1" commit -qm one
}

# Runs hoist ci as a GitHub Actions push job for repo's HEAD on main.
gh_push() {
	env GITHUB_ACTIONS=true GITHUB_SHA="$(git -C repo rev-parse HEAD)" GITHUB_REF=refs/heads/main \
		GITHUB_EVENT_NAME=push GITHUB_REPOSITORY=acme/deploy GITHUB_SERVER_URL=https://github.com \
		GITHUB_OUTPUT="$TRASH/gh-output" GITHUB_STEP_SUMMARY="$TRASH/gh-summary" \
		"$HOIST_BUILD/hoist" ci --repo repo "$@"
}

out() { sed -n "s/^$1=//p" gh-output | tail -n 1; }

test_expect_success 'setup' '
	make_repo repo "$REGISTRY_R"
'

test_expect_success 'GitHub push: step outputs carry version, digest and reference' '
	echo "earlier=kept" >gh-output &&
	gh_push >ci.out 2>ci.err &&
	head -n 1 gh-output | grep -x "earlier=kept" &&
	sha=$(git -C repo rev-parse HEAD) &&
	ver=$(out version) &&
	test "$ver" = "0.0.0-main.20260102030405.$(echo $sha | cut -c1-7)" &&
	test "$(out reference)" = "$REGISTRY_R/acme/web:$ver" &&
	test "$(out web-version)" = "$ver" &&
	test "$(out web-reference)" = "$REGISTRY_R/acme/web:$ver" &&
	test "$(out api-reference)" = "$REGISTRY_R/acme/api:$ver" &&
	test "$(out apps)" = "[\"web\",\"api\"]" &&
	echo "$(out digest)" | grep -E "^sha256:[0-9a-f]{64}$" &&
	test "$(out digest)" = "$(out web-digest)" &&
	test "$(out api-digest)" != "$(out web-digest)"
'

test_expect_success 'the digests are what the registry serves' '
	hoist pull "$(out web-reference)" -o pulled-web >pull.out &&
	test "$(cut -d" " -f2 pull.out)" = "$(out web-digest)" &&
	curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REGISTRY_R/v2/acme/api/manifests/staging" | sha256sum | cut -d" " -f1 >api.sum &&
	test "sha256:$(cat api.sum)" = "$(out api-digest)"
'

test_expect_success 'GitHub push: the job summary has the results table' '
	test_grep "^### hoist: published .main. at" gh-summary &&
	test_grep "^| app | environment | version | objects | digest | status |$" gh-summary &&
	test_grep -F "| web | staging | \`$(out web-version)\` | 1 | \`$(out web-digest)\` | pushed |" gh-summary &&
	test_grep -F "| api | staging |" gh-summary
'

test_expect_success 'publishing the same commit through hoist publish gives the same digests' '
	sha=$(git -C repo rev-parse HEAD) &&
	hoist publish --repo repo --rev $sha --ref refs/heads/main >pub.out &&
	test "$(awk "\$1 == \"web\" { print \$6 }" pub.out)" = "$(out web-digest)" &&
	test "$(awk "\$1 == \"api\" { print \$6 }" pub.out)" = "$(out api-digest)" &&
	test_grep "unchanged" pub.out
'

test_expect_success 'a new commit published by hoist publish and re-run by hoist ci agrees' '
	cm web 2 >repo/apps/web/cm.yaml && git -C repo commit -qam two &&
	sha=$(git -C repo rev-parse HEAD) &&
	hoist publish --repo repo --rev $sha --ref refs/heads/main >pub2.out &&
	gh_push >ci2.out &&
	test "$(out web-digest)" = "$(awk "\$1 == \"web\" { print \$6 }" pub2.out)" &&
	test_grep -F "| web | staging | \`$(out web-version)\` | 1 | \`$(out web-digest)\` | unchanged |" gh-summary
'

test_expect_success 'GitLab push: the dotenv report and the summary file' '
	mkdir gl && sha=$(git -C repo rev-parse HEAD) &&
	(cd gl && env GITLAB_CI=true CI_COMMIT_SHA=$sha CI_COMMIT_REF_NAME=main CI_PIPELINE_SOURCE=push \
		CI_PROJECT_URL=https://gitlab.example.com/acme/deploy \
		"$HOIST_BUILD/hoist" ci --repo ../repo) &&
	. gl/hoist.env &&
	test "$HOIST_WEB_DIGEST" = "$(out web-digest)" &&
	test "$HOIST_WEB_VERSION" = "$(out web-version)" &&
	test "$HOIST_API_REFERENCE" = "$(out api-reference)" &&
	test "$HOIST_DIGEST" = "$HOIST_WEB_DIGEST" &&
	test "$(grep -c . gl/hoist.env)" = 9 &&
	test_grep "| web | staging |" gl/hoist-summary.md
'

test_expect_success 'GitLab: --dotenv and --summary choose the files' '
	sha=$(git -C repo rev-parse HEAD) &&
	env GITLAB_CI=true CI_COMMIT_SHA=$sha CI_COMMIT_REF_NAME=main CI_PIPELINE_SOURCE=push \
		hoist ci --repo repo --dotenv custom.env --summary custom.md >/dev/null &&
	test_grep "^HOIST_WEB_DIGEST=sha256:" custom.env &&
	test_grep "| api | staging |" custom.md
'

test_expect_success 'setup a pull request against a fresh registry' '
	make_repo origin "$REGISTRY_PR" &&
	git clone -q origin pr && git -C pr checkout -qb feature &&
	cm web 2 >pr/apps/web/cm.yaml &&
	printf "apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\n" >pr/apps/api/s.yaml &&
	git -C pr add . && git -C pr commit -qm change
'

gh_pr() {
	env GITHUB_ACTIONS=true GITHUB_SHA="$(git -C pr rev-parse HEAD)" GITHUB_REF=refs/pull/7/merge \
		GITHUB_EVENT_NAME=pull_request GITHUB_BASE_REF="$1" \
		GITHUB_OUTPUT="$TRASH/pr-output" GITHUB_STEP_SUMMARY="$TRASH/pr-summary" \
		"$HOIST_BUILD/hoist" ci --repo pr
}

test_expect_success 'GitHub pull request: a dry run that pushes nothing' '
	gh_pr main >pr.out 2>pr.err &&
	test "$(curl -sf "http://$REGISTRY_PR/v2/_catalog")" = "{\"repositories\":[]}" &&
	test_grep "^digest=sha256:" pr-output &&
	test_grep "^### hoist: dry run for pull request #7 into .main." pr-summary &&
	test_grep -F "| rendered (dry run) |" pr-summary
'

test_expect_success 'GitHub pull request: the summary has the rendered diff against the target' '
	test_grep -F "#### Rendered changes against \`origin/main\`" pr-summary &&
	test_grep "^~ changed: ConfigMap shop/web$" pr-summary &&
	test_grep "^--- a/web/ConfigMap/shop/web$" pr-summary &&
	test_grep "^-  v: \"1\"$" pr-summary &&
	test_grep "^+  v: \"2\"$" pr-summary &&
	test_grep "^+ added: Secret shop/s$" pr-summary &&
	test_grep "2 objects changed" pr-summary &&
	hoist diff origin/main HEAD --repo pr >direct.diff &&
	python3 -c "import sys; sys.exit(0 if open(sys.argv[1]).read() in open(sys.argv[2]).read() else 1)" \
		direct.diff pr-summary
'

test_expect_success 'a target branch that is not fetched leaves a note, not a failure' '
	: >pr-summary &&
	gh_pr release >pr2.out 2>pr2.err &&
	test_grep "not fetched" pr2.err &&
	test_grep -F "No rendered diff: \`origin/release\` is not in this clone" pr-summary
'

test_expect_success 'GitLab merge request: dry run, diff against the diff base sha' '
	base=$(git -C pr rev-parse origin/main) &&
	env GITLAB_CI=true CI_COMMIT_SHA="$(git -C pr rev-parse HEAD)" CI_COMMIT_REF_NAME=feature \
		CI_PIPELINE_SOURCE=merge_request_event CI_MERGE_REQUEST_IID=3 \
		CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main CI_MERGE_REQUEST_DIFF_BASE_SHA=$base \
		hoist ci --repo pr --dotenv mr.env --summary mr.md >/dev/null &&
	test "$(curl -sf "http://$REGISTRY_PR/v2/_catalog")" = "{\"repositories\":[]}" &&
	test_grep "merge request !3 into .main." mr.md &&
	test_grep -F "against \`$base\`" mr.md &&
	test_grep "^+ added: Secret shop/s$" mr.md &&
	test_grep "^HOIST_API_DIGEST=sha256:" mr.env
'

test_expect_success 'outside CI, hoist ci needs --rev or --ref' '
	test_must_fail hoist ci --repo repo 2>err &&
	test_grep "not in a known CI job" err &&
	hoist ci --repo repo --ref refs/heads/main --dry-run --summary local.md >local.out &&
	test_grep "web" local.out && test_grep "| web | staging |" local.md
'

test_expect_success 'an output file that cannot be written is an error' '
	test_must_fail env GITHUB_ACTIONS=true GITHUB_SHA="$(git -C repo rev-parse HEAD)" \
		GITHUB_REF=refs/heads/main GITHUB_OUTPUT=/nonexistent/dir/out \
		hoist ci --repo repo 2>err &&
	test_grep "cannot open /nonexistent/dir/out" err
'

test_expect_success 'a failed publish says so in the job summary' '
	: >fail-summary &&
	test_must_fail env GITHUB_ACTIONS=true GITHUB_SHA=0000000000000000000000000000000000000000 \
		GITHUB_REF=refs/heads/main GITHUB_STEP_SUMMARY="$TRASH/fail-summary" \
		hoist ci --repo repo 2>err &&
	test_grep "hoist: error:" err &&
	test_grep "^### hoist: failed" fail-summary
'

test_done
