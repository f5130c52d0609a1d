#!/bin/bash
# hoist publish and hoist.yaml: the config table, errors with positions,
# publishing to an OCI layout, idempotence.
. "$(dirname "$0")/../lib.sh"

cm() { printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n" "$1"; }

write_config() {
	cat >repo/hoist.yaml <<-EOF
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: oci-layout:$TRASH/store
	apps:
	  - name: web
	    path: apps/web
	  - name: site
	    path: apps/site-\${env}
	environments:
	  - name: dev
	    branch: [main, "feature/*"]
	  - name: qa
	    branch: main
	EOF
}

test_expect_success 'setup' '
	git init -q repo && mkdir -p repo/apps/web repo/apps/site-dev repo/apps/site-qa &&
	write_config &&
	cm web >repo/apps/web/a.yaml && cm site-dev >repo/apps/site-dev/a.yaml &&
	cm site-qa >repo/apps/site-qa/a.yaml &&
	git -C repo add . && git -C repo commit -qm one
'

test_expect_success 'docs/config.md carries the table the parser uses' '
	hoist help config --markdown >table.md &&
	python3 -c "import sys; d=open(sys.argv[1]).read(); t=open(sys.argv[2]).read(); sys.exit(0 if t in d else 1)" \
		"$TEST_TOP/docs/config.md" table.md
'

test_expect_success 'publish renders every app for every environment of the branch' '
	hoist publish --repo repo >out &&
	sha=$(git -C repo rev-parse --short=7 HEAD) &&
	test "$(wc -l <out)" = 4 &&
	test_grep "^web dev 1 objects oci-layout:$TRASH/store/web:0.0.0-main.20260102030405.$sha sha256:[0-9a-f]* published$" out &&
	test_grep "^site dev 1 objects .*/site:0.0.0-main.20260102030405.$sha-dev sha256:" out &&
	test_grep "^site qa 1 objects .*/site:0.0.0-main.20260102030405.$sha-qa sha256:" out &&
	web_dev=$(awk "/^web dev/ {print \$6}" out) && web_qa=$(awk "/^web qa/ {print \$6}" out) &&
	test "$web_dev" = "$web_qa"
'

test_expect_success 'publishing the same commit again uploads nothing' '
	ls -R store >before &&
	hoist publish --repo repo >again &&
	test "$(grep -c " unchanged$" again)" = 4 &&
	ls -R store >after && cmp before after
'

test_expect_success 'the environment-specific app pulls back with its own objects' '
	hoist pull "oci-layout:$TRASH/store/site:qa" -o qa &&
	test_grep "name: site-qa" qa/manifests.yaml &&
	hoist inspect --manifests /dev/null 2>/dev/null; true
'

test_expect_success 'a branch no environment watches publishes nothing' '
	git -C repo checkout -q -b other &&
	hoist publish --repo repo >none 2>none.err &&
	test ! -s none && test_grep "no environment publishes refs/heads/other" none.err &&
	git -C repo checkout -q main
'

test_expect_success 'a glob pattern selects the environment; --app filters' '
	git -C repo checkout -q -b feature/x &&
	hoist publish --repo repo --app web >f &&
	test "$(wc -l <f)" = 1 && test_grep "^web dev .*0.0.0-feature-x\." f &&
	git -C repo checkout -q main
'

test_expect_success 'a tag vX.Y.Z publishes version X.Y.Z to tag-pattern environments' '
	cat >>repo/hoist.yaml <<-\EOF &&
	  - name: prod
	    tag: "v*"
	EOF
	git -C repo commit -qam tagenv && git -C repo tag v1.2.3 &&
	hoist publish --repo repo --rev v1.2.3 --app web >t &&
	test_grep "^web prod 1 objects .*/web:1.2.3 sha256:" t
'

test_expect_success 'dry run renders and pushes nothing' '
	hoist publish --repo repo --env dev --dry-run >dry &&
	test_grep " rendered$" dry && ! grep -q published dry
'

test_expect_success 'an unknown key is an error with file:line:col' '
	sed -i "s/^kind: Project/kind: Project\nregistyr: x/" repo/hoist.yaml &&
	git -C repo commit -qam typo &&
	test_must_fail hoist publish --repo repo 2>err &&
	test_grep "HEAD:hoist.yaml:3:1: unknown key .registyr." err
'

test_expect_success 'bad values and dangling references are refused' '
	write_config &&
	sed -i "s/branch: main$/branch: main\n    promoteFrom: staging/" repo/hoist.yaml &&
	git -C repo commit -qam dangling &&
	test_must_fail hoist publish --repo repo 2>err &&
	test_grep "promotes from unknown environment .staging." err &&
	write_config && sed -i "s/name: web/name: Web_App!/" repo/hoist.yaml &&
	git -C repo commit -qam badname &&
	test_must_fail hoist publish --repo repo 2>err2 &&
	test_grep "app name .Web_App!. must be lowercase" err2
'

test_expect_success 'an app that does not render fails the publish naming app, file and line' '
	write_config && printf "kind: [\n" >repo/apps/web/bad.yaml &&
	git -C repo add . && git -C repo commit -qm bad &&
	test_must_fail hoist publish --repo repo 2>err &&
	test_grep "app web: apps/web/bad.yaml:[0-9]*:[0-9]*: " err
'

# What a first publish asks of a registry, app by app (docs/oci.md): the
# fault proxy in front of a real registry logs every request.  Apps publish
# eight at a time; one that starts once another has finished mounts the
# config blob from it.
test_expect_success 'a first publish to a registry: 10 requests per app, 12 without a config to mount' '
	start_registry R &&
	start_faultproxy P "$REGISTRY_R" &&
	git init -q reg && mkdir -p reg/apps &&
	{
		printf "apiVersion: hoist.dev/v1alpha1\nkind: Project\nregistry: %s/acme\napps:\n" "$PROXY_P"
		for i in $(seq 20); do printf "  - {name: a%d, path: apps/a%d}\n" $i $i; done
		printf "environments:\n  - {name: dev, branch: main}\n"
	} >reg/hoist.yaml &&
	for i in $(seq 20); do mkdir -p reg/apps/a$i && cm a$i >reg/apps/a$i/a.yaml || return 1; done &&
	git -C reg add . && git -C reg commit -qm one &&
	hoist publish --repo reg --insecure >out 2>err &&
	test "$(grep -c " published$" out)" = 20 &&
	config=sha256:$(printf "{}" | sha256sum | cut -d" " -f1) &&
	mounted=0 &&
	for i in $(seq 20); do
		grep " /v2/acme/a$i/" "$TRASH/proxy-P/log" >req || return 1
		n=$(wc -l <req)
		if grep -q "^pass POST /v2/acme/a$i/blobs/uploads/?mount=$config&from=acme%2Fa[0-9]* 201$" req
		then
			test "$n" = 10 || { cat req; return 1; }
			mounted=$((mounted + 1))
		else
			test "$n" = 12 || { cat req; return 1; }
			grep -q "^pass HEAD /v2/acme/a$i/blobs/$config 404$" req || return 1
		fi
		# The layer is uploaded without a HEAD first: only the config is asked for.
		! grep "^pass HEAD /v2/acme/a$i/blobs/" req | grep -v "$config" || return 1
	done &&
	echo "apps that mounted the config: $mounted of 20" &&
	test $mounted -ge 1 &&
	hoist pull "$REGISTRY_R/acme/a20:dev" -o a20 --insecure >/dev/null 2>&1 &&
	grep -rq "name: a20" a20
'

test_done
