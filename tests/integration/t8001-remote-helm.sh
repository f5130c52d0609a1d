#!/bin/bash
# Charts from a Helm chart repository (docs/remote.md): an index.yaml and
# chart archives this test builds with tar, served over HTTP on 127.0.0.1;
# hoist.yaml apps with repo:, chart: and version: (exact, and a semver range
# pinned by hoist.lock).  Published through the hook and `hoist ci`, the
# manifests are what the Helm oracle renders from the same archive with the
# same values; the artifact records the pin; the cache serves the charts
# once the server is gone; a tampered archive, a floating range without a
# lock and an oversized archive are refused with nothing published.  Charts
# in an OCI registry (Helm's media types) at an exact version and at a
# range over the registry's tags.
. "$(dirname "$0")/../lib.sh"

start_registry R
export HOIST_RETRY_MAX=1
export HOIST_CACHE_DIR="$TRASH/cache"
start_remoteserver H
H=$REMOTE_H
SRV="$TRASH/remote-H"
REPO="http://$H/charts"

tags() {
	curl -s "http://$REGISTRY_R/v2/acme/$1/tags/list" |
		python3 -c "import json,sys; d=json.load(sys.stdin); print(' '.join(sorted(t for t in (d.get('tags') or []) if not t.startswith('hoist-history-') and not t.endswith('.sig'))))"
}
all_tags() { for a in web ranged umbrella; do echo "$a: $(tags $a)"; done; }

# The oracle, built as tests/conformance/helm.sh builds it; without Go or
# the shared tools the byte comparison is skipped (and says so).
ORACLE=${HELM_ORACLE:-}
shared="$TEST_TOP/../shared"
if [ -z "$ORACLE" ] && [ -f "$shared/tools/helm-oracle/main.go" ] && command -v go >/dev/null; then
	ORACLE=$HOIST_BUILD/helm-oracle/helm-oracle
	if [ ! -x "$ORACLE" ] || [ "$shared/tools/helm-oracle/main.go" -nt "$ORACLE" ]; then
		mkdir -p "$HOIST_BUILD/helm-oracle"
		(cd "$shared/tools/helm-oracle" && GO111MODULE=off GOPATH=/usr/share/gocode \
			GOCACHE="$HOIST_BUILD/helm-oracle/gocache" go build -o "$ORACLE" .) >/dev/null 2>&1 || ORACLE=
	fi
fi
[ -n "$ORACLE" ] || echo "# the Helm oracle is not available: byte comparisons skipped"
# oracle_cmp ARCHIVE RELEASE VALUES MANIFESTS: the oracle's objects for the
# archive, printed canonically (one object: no order to differ in), are the
# artifact's; and `hoist template` on the archive prints the oracle's bytes.
oracle_cmp() {
	[ -z "$ORACLE" ] && return 0
	rm -rf "$4.d" && mkdir -p "$4.d" &&
	"$ORACLE" template "$2" "$1" -f "$3" --include-crds --skip-tests >"$4.d/oracle.yaml" &&
	hoist template "$2" "$1" -f "$3" --include-crds --skip-tests >"$4.tmpl" &&
	test_cmp "$4.d/oracle.yaml" "$4.tmpl" &&
	hoist render "$4.d" >"$4.want" &&
	test_cmp "$4.want" "$4"
}

# chart VERSION MSG: builds mychart-VERSION.tgz into the repository.
chart() {
	rm -rf build-chart && mkdir -p build-chart/mychart/templates &&
	printf "apiVersion: v2\nname: mychart\nversion: %s\nappVersion: \"9.9\"\n" "$1" >build-chart/mychart/Chart.yaml &&
	printf "msg: %s\nreplicas: 1\n" "$2" >build-chart/mychart/values.yaml &&
	cat >build-chart/mychart/templates/cm.yaml <<-\EOF &&
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: {{ .Release.Name }}-{{ .Chart.Name }}
	  labels:
	    chart: {{ .Chart.Name }}-{{ .Chart.Version }}
	data:
	  msg: {{ .Values.msg | quote }}
	  replicas: {{ .Values.replicas | quote }}
	EOF
	tar --sort=name --mtime=@0 --owner=0 --group=0 -czf "$SRV/files/charts/mychart-$1.tgz" -C build-chart mychart
}

index() {
	python3 - "$SRV/files/charts" <<-\EOF
	import hashlib, os, sys
	d = sys.argv[1]
	out = ["apiVersion: v1", "entries:", "  mychart:"]
	for f in sorted(os.listdir(d)):
	    if not f.endswith(".tgz"):
	        continue
	    v = f[len("mychart-"):-len(".tgz")]
	    h = hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()
	    out += ["  - name: mychart", "    version: " + v, "    digest: " + h, "    urls: [" + f + "]"]
	open(os.path.join(d, "index.yaml"), "w").write("\n".join(out) + "\n")
	EOF
}

# chart_lock CONSTRAINT VERSION: Chart.lock as `helm dependency update`
# writes it for umbrella's one dependency; its digest is Helm's: sha256
# over Go's json.Marshal of [Chart.yaml's dependencies, the lock's].
chart_lock() {
	python3 - "$REPO" "$1" "$2" <<-\EOF
	import hashlib, json, sys
	repo, want, got = sys.argv[1:]
	req = [{"name": "mychart", "version": want, "repository": repo}]
	lock = [{"name": "mychart", "version": got, "repository": repo}]
	d = hashlib.sha256(json.dumps([req, lock], separators=(",", ":")).encode()).hexdigest()
	print("dependencies:\n- name: mychart\n  repository: \"%s\"\n  version: %s\n"
	      "digest: sha256:%s\ngenerated: \"2026-01-02T03:04:05Z\"" % (repo, got, d))
	EOF
}

test_expect_success 'setup: a chart repository with mychart 1.2.3, 1.2.5 and 1.3.0' '
	mkdir -p "$SRV/files/charts" &&
	chart 1.2.3 one && chart 1.2.5 two && chart 1.3.0 three && index &&
	test_grep "version: 1.2.5" "$SRV/files/charts/index.yaml"
'

test_expect_success 'setup: apps naming the chart at 1.2.3 and at ~1.2' '
	git init -q --bare server.git && hoist hook install server.git 2>/dev/null &&
	git clone -q server.git work 2>/dev/null &&
	mkdir -p work/web work/ranged work/umbrella/templates &&
	printf "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: mychart\n  version: \"~1.2\"\n  repository: \"$REPO\"\n" >work/umbrella/Chart.yaml &&
	chart_lock "~1.2" 1.2.3 >work/umbrella/Chart.lock &&
	printf "mychart:\n  msg: from-parent\n" >work/umbrella/values.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: {{ .Release.Name }}-own}\n" >work/umbrella/templates/own.yaml &&
	printf "msg: prod\n" >work/web/values.yaml &&
	printf "replicas: 2\n" >work/ranged/values.yaml &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_R/acme
	remoteSources: {allow: ["$H"]}
	apps:
	  - {name: web, path: web, repo: "$REPO", chart: mychart, version: "1.2.3", values: [values.yaml]}
	  - {name: ranged, path: ranged, repo: "$REPO/", chart: mychart, version: "~1.2", values: [values.yaml]}
	  - {name: umbrella, path: umbrella}
	environments: [{name: dev, branch: main}]
	EOF
	git -C work add . && git -C work commit -qm one
'

test_expect_success 'a semver range without a lock is floating and refused' '
	test_expect_code 1 hoist publish --repo work --dry-run 2>err &&
	test_grep "chart mychart version .~1.2. is a floating range (it resolved to 1.2.5 today)" err &&
	hoist publish --repo work --dry-run --allow-floating >out &&
	test_grep "^ranged dev 1 objects" out
'

test_expect_success 'hoist lock pins each chart to its archive sha256' '
	(cd work && hoist lock 2>/dev/null) &&
	test_grep "ref: \"mychart@1.2.3\"" work/hoist.lock &&
	test_grep "ref: \"mychart@~1.2\"" work/hoist.lock &&
	test_grep "digest: sha256:$(sha256sum "$SRV/files/charts/mychart-1.2.3.tgz" | cut -d" " -f1)" work/hoist.lock &&
	test_grep "digest: sha256:$(sha256sum "$SRV/files/charts/mychart-1.2.5.tgz" | cut -d" " -f1)" work/hoist.lock &&
	git -C work add hoist.lock && git -C work commit -qm lock
'

test_expect_success 'a push publishes both through the hook, as the Helm oracle renders the archives' '
	git -C work push -q origin main 2>push.err &&
	test_grep "remote: hoist: web rendered (1 objects)" push.err &&
	test_grep "remote: hoist: ranged rendered (1 objects)" push.err &&
	hoist pull "$REGISTRY_R/acme/web:dev" -o pw &&
	test_grep "msg: prod" pw/manifests.yaml && test_grep "chart: mychart-1.2.3" pw/manifests.yaml &&
	oracle_cmp "$SRV/files/charts/mychart-1.2.3.tgz" web work/web/values.yaml pw/manifests.yaml &&
	hoist pull "$REGISTRY_R/acme/ranged:dev" -o pr &&
	test_grep "chart: mychart-1.2.5" pr/manifests.yaml && test_grep "replicas: \"2\"" pr/manifests.yaml &&
	oracle_cmp "$SRV/files/charts/mychart-1.2.5.tgz" ranged work/ranged/values.yaml pr/manifests.yaml &&
	d=$(sha256sum "$SRV/files/charts/mychart-1.2.3.tgz" | cut -d" " -f1) &&
	test_grep "\"remoteSources\":\[{\"digest\":\"sha256:$d\",\"kind\":\"chart\",\"ref\":\"mychart@1.2.3\",\"url\":\"$REPO\"}\]" pw/hoist.json
'

test_expect_success 'a chart dependency from a repository is fetched at the version Chart.lock gives' '
	hoist pull "$REGISTRY_R/acme/umbrella:dev" -o pu &&
	test_grep "name: umbrella-mychart" pu/manifests.yaml &&
	test_grep "chart: mychart-1.2.3" pu/manifests.yaml &&
	test_grep "msg: from-parent" pu/manifests.yaml &&
	d=$(sha256sum "$SRV/files/charts/mychart-1.2.3.tgz" | cut -d" " -f1) &&
	test_grep "\"digest\":\"sha256:$d\",\"kind\":\"chart\",\"ref\":\"mychart@1.2.3\"" pu/hoist.json &&
	if [ -n "$ORACLE" ]; then
		cp -r work/umbrella vendored && mkdir -p vendored/charts &&
		cp "$SRV/files/charts/mychart-1.2.3.tgz" vendored/charts/ &&
		mkdir -p pu.d && "$ORACLE" template umbrella vendored --include-crds --skip-tests >pu.d/oracle.yaml &&
		hoist render pu.d >pu.want && test_cmp pu.want pu/manifests.yaml &&
		hoist template umbrella work/umbrella --allow-remote "$H" >tmpl.out &&
		test_cmp pu.d/oracle.yaml tmpl.out
	fi &&
	test_expect_code 1 hoist template umbrella work/umbrella 2>err &&
	test_grep "missing in charts/ directory: mychart" err
'

test_expect_success 'refused: a Chart.lock out of sync with Chart.yaml (as helm dependency build)' '
	cp -r work/umbrella stale &&
	sed -i "s/~1.2/~1.3/" stale/Chart.yaml &&
	test_expect_code 1 hoist template umbrella stale --allow-remote "$H" 2>err &&
	test_grep "the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml)" err &&
	test_grep "run helm dependency update" err &&
	chart_lock "~1.3" 1.3.0 >stale/Chart.lock &&
	hoist template umbrella stale --allow-remote "$H" --allow-floating >stale.out &&
	test_grep "chart: mychart-1.3.0" stale.out
'

test_expect_success 'kustomize helmCharts: with repo: pulls the chart; the same as the chart vendored in charts/' '
	mkdir -p kust vendored-kust/charts &&
	cat >kust/kustomization.yaml <<-EOF &&
	helmCharts:
	- name: mychart
	  repo: $REPO
	  version: 1.2.3
	  releaseName: k
	  valuesInline: {msg: inline}
	EOF
	hoist render kust --allow-remote "$H" >kust.out &&
	test_grep "name: k-mychart" kust.out && test_grep "msg: inline" kust.out &&
	tar -xzf "$SRV/files/charts/mychart-1.2.3.tgz" -C vendored-kust/charts &&
	sed "/repo:/d" kust/kustomization.yaml >vendored-kust/kustomization.yaml &&
	hoist render vendored-kust >vendored-kust.out &&
	test_cmp vendored-kust.out kust.out &&
	printf "helmCharts:\n- {name: mychart, repo: \"$REPO\", releaseName: k}\n" >kust/kustomization.yaml &&
	test_expect_code 1 hoist render kust --allow-remote "$H" 2>err &&
	test_grep "chart mychart version .\*. is a floating range (it resolved to 1.3.0 today)" err
'

test_expect_success 'hoist ci publishes the same digests' '
	hoist ci --repo work --rev "$(git -C work rev-parse HEAD)" --ref refs/heads/main >ci.out 2>/dev/null &&
	test "$(grep -c " unchanged$" ci.out)" = 3
'

# push_oci_chart TGZ VERSION: the archive into the test registry as Helm
# pushes a chart (OCI manifest, Helm's config and chart content media types),
# with curl: the registry's own API, not hoist's client.
push_oci_chart() {
	reg=$REGISTRY_R && repo=charts/mychart &&
	printf "{\"apiVersion\":\"v2\",\"name\":\"mychart\",\"version\":\"%s\"}" "$2" >oci-config.json &&
	for f in oci-config.json "$1"; do
		loc=$(curl -si -X POST "http://$reg/v2/$repo/blobs/uploads/" | tr -d "\r" | sed -n "s/^[Ll]ocation: //p") &&
		case "$loc" in /*) loc="http://$reg$loc" ;; esac &&
		d=$(sha256sum "$f" | cut -d" " -f1) &&
		curl -sf -X PUT -H "Content-Type: application/octet-stream" --data-binary "@$f" "$loc&digest=sha256:$d" >/dev/null || return 1
	done &&
	cd_=$(sha256sum oci-config.json | cut -d" " -f1) && cs=$(wc -c <oci-config.json) &&
	ld=$(sha256sum "$1" | cut -d" " -f1) && ls_=$(wc -c <"$1") &&
	printf "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\",\"digest\":\"sha256:%s\",\"size\":%s},\"layers\":[{\"mediaType\":\"application/vnd.cncf.helm.chart.content.v1.tar+gzip\",\"digest\":\"sha256:%s\",\"size\":%s}]}" \
		"$cd_" "$cs" "$ld" "$ls_" >oci-manifest.json &&
	curl -sf -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
		--data-binary @oci-manifest.json "http://$reg/v2/$repo/manifests/$2" >/dev/null
}

test_expect_success 'a chart in an OCI registry (Helm media types): chart: oci://HOST/REPO/NAME' '
	push_oci_chart "$SRV/files/charts/mychart-1.2.3.tgz" 1.2.3 &&
	sed -i "s|remoteSources: {allow: \[\"$H\"\]}|remoteSources: {allow: [\"$H\", \"$REGISTRY_R\"]}|" work/hoist.yaml &&
	printf "  - {name: ociweb, path: web, chart: \"oci://$REGISTRY_R/charts/mychart\", version: \"1.2.3\", values: [values.yaml]}\n" >>work/hoist.yaml &&
	sed -i "/^environments:/{h;d};\${p;x}" work/hoist.yaml &&
	(cd work && hoist lock 2>/dev/null) &&
	test_grep "url: \"oci://$REGISTRY_R/charts\"" work/hoist.lock &&
	git -C work add -A && git -C work commit -qm oci && git -C work push -q origin main 2>push-oci.err &&
	test_grep "remote: hoist: ociweb rendered (1 objects)" push-oci.err &&
	hoist pull "$REGISTRY_R/acme/ociweb:dev" -o po &&
	test_grep "name: ociweb-mychart" po/manifests.yaml &&
	oracle_cmp "$SRV/files/charts/mychart-1.2.3.tgz" ociweb work/web/values.yaml po/manifests.yaml &&
	d=$(sha256sum "$SRV/files/charts/mychart-1.2.3.tgz" | cut -d" " -f1) &&
	test_grep "\"digest\":\"sha256:$d\",\"kind\":\"chart\",\"ref\":\"mychart@1.2.3\",\"url\":\"oci://$REGISTRY_R/charts\"" po/hoist.json
'

test_expect_success 'with the server stopped, the charts come from the cache' '
	stop_remoteserver H &&
	hoist publish --repo work --dry-run >dry.out &&
	test_grep "^web dev 1 objects" dry.out && test_grep "^ranged dev 1 objects" dry.out &&
	test_grep "^umbrella dev 2 objects" dry.out
'

test_expect_success 'setup: the server again' '
	REMOTE_PORT=${H#127.0.0.1:} start_remoteserver H
'
test_cleanup "kill \$(cat '$SRV/pid') 2>/dev/null"

test_expect_success 'refused: an archive that is not the one the index names (tampered)' '
	cp "$SRV/files/charts/mychart-1.2.3.tgz" good.tgz &&
	chart 1.2.3 evil &&
	all_tags >tags.before &&
	git -C work rm -q hoist.lock && git -C work commit -qm nolock &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache2" hoist publish --repo work --allow-floating 2>err &&
	test_grep "chart mychart 1.2.3: the archive $REPO/mychart-1.2.3.tgz does not have the digest the repository.s index gives .*refusing a tampered chart" err &&
	git -C work reset -q --hard HEAD~1 &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache2" hoist publish --repo work 2>err &&
	test_grep "is pinned (lock mismatch: the content changed" err &&
	all_tags >tags.after && test_cmp tags.before tags.after &&
	cp good.tgz "$SRV/files/charts/mychart-1.2.3.tgz"
'

test_expect_success 'refused: an archive larger than HOIST_REMOTE_MAX_BYTES' '
	all_tags >tags.before &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache3" HOIST_REMOTE_MAX_BYTES=200 \
		hoist publish --repo work 2>err &&
	test_grep "larger than 200 bytes (HOIST_REMOTE_MAX_BYTES)" err &&
	all_tags >tags.after && test_cmp tags.before tags.after
'

test_expect_success 'refused: a chart repository on a host that is not allowed' '
	sed -i "s/^remoteSources:.*/remoteSources: {allow: [charts.example.com]}/" work/hoist.yaml &&
	git -C work commit -qam disallow &&
	test_expect_code 1 env HOIST_CACHE_DIR="$TRASH/cache4" hoist publish --repo work --dry-run 2>err &&
	test_grep "remote host .$H. is not allowed" err &&
	git -C work reset -q --hard HEAD~1
'

test_expect_success 'an OCI chart at a semver range: the highest tag it allows, pinned by hoist.lock' '
	push_oci_chart "$SRV/files/charts/mychart-1.2.5.tgz" 1.2.5 &&
	push_oci_chart "$SRV/files/charts/mychart-1.3.0.tgz" 1.3.0 &&
	sed -i "s|chart: \"oci://$REGISTRY_R/charts/mychart\", version: \"1.2.3\"|chart: \"oci://$REGISTRY_R/charts/mychart\", version: \"~1.2\"|" work/hoist.yaml &&
	git -C work commit -qam oci-range &&
	test_expect_code 1 hoist publish --repo work --dry-run 2>err &&
	test_grep "chart mychart ~1.2 of oci://$REGISTRY_R/charts is not pinned in hoist.lock (lock mismatch" err &&
	(cd work && hoist lock 2>/dev/null) &&
	test_grep "ref: \"mychart@~1.2\"" work/hoist.lock &&
	git -C work add hoist.lock && git -C work commit -qm oci-range-lock &&
	chart 1.2.9 nine && mv "$SRV/files/charts/mychart-1.2.9.tgz" oci-1.2.9.tgz &&
	push_oci_chart oci-1.2.9.tgz 1.2.9 &&
	git -C work push -q origin main 2>push-range.err &&
	hoist pull "$REGISTRY_R/acme/ociweb:dev" -o po2 &&
	test_grep "chart: mychart-1.2.5" po2/manifests.yaml &&
	d=$(sha256sum "$SRV/files/charts/mychart-1.2.5.tgz" | cut -d" " -f1) &&
	test_grep "\"digest\":\"sha256:$d\",\"kind\":\"chart\",\"ref\":\"mychart@~1.2\",\"url\":\"oci://$REGISTRY_R/charts\"" po2/hoist.json &&
	oracle_cmp "$SRV/files/charts/mychart-1.2.5.tgz" ociweb work/web/values.yaml po2/manifests.yaml &&
	(cd work && hoist lock 2>/dev/null) &&
	d=$(sha256sum oci-1.2.9.tgz | cut -d" " -f1) &&
	test_grep "digest: sha256:$d" work/hoist.lock
'

test_expect_success 'refused: an OCI range without a lock floats; one no tag satisfies' '
	mkdir -p ocik &&
	printf "helmCharts:\n- {name: mychart, repo: \"oci://$REGISTRY_R/charts\", version: \"~1.2\", releaseName: k}\n" >ocik/kustomization.yaml &&
	test_expect_code 1 hoist render ocik --allow-remote "$REGISTRY_R" 2>err &&
	test_grep "chart mychart version .~1.2. is a floating range (it resolved to 1.2.9 today)" err &&
	hoist render ocik --allow-remote "$REGISTRY_R" --allow-floating >ocik.out &&
	test_grep "chart: mychart-1.2.9" ocik.out &&
	printf "helmCharts:\n- {name: mychart, repo: \"oci://$REGISTRY_R/charts\", version: \">=2.0\", releaseName: k}\n" >ocik/kustomization.yaml &&
	test_expect_code 1 hoist render ocik --allow-remote "$REGISTRY_R" --allow-floating 2>err &&
	test_grep "no tag of oci://$REGISTRY_R/charts/mychart is a version .>=2.0. allows" err
'

test_done
