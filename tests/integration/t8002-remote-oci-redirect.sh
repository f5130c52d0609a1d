#!/bin/bash
# OCI charts from a registry that sends its blobs elsewhere (docs/remote.md):
# Debian's docker-registry with its `redirect` storage middleware answers
# blob GETs with 307 to a storage URL, as registries backed by S3 or GCS
# do. Here the storage is tests/remoteserver.py on "localhost", serving the
# registry's own storage folder. Every hop of a remote fetch is checked
# against the allow-list: with only the registry allowed, the chart is
# refused with nothing fetched from storage and nothing published; with the
# storage host allowed too, it renders as the same chart vendored.
. "$(dirname "$0")/../lib.sh"

export HOIST_RETRY_MAX=1
export HOIST_CACHE_DIR="$TRASH/cache"
start_registry A
start_remoteserver S
S=$REMOTE_S
SPORT=${S#127.0.0.1:}
REGISTRY_CONFIG_EXTRA="middleware:
  storage:
    - name: redirect
      options: {baseurl: \"http://localhost:$SPORT/\"}" start_registry R
rm -rf "$TRASH/remote-S/files" && ln -s "$TRASH/registry-R/data" "$TRASH/remote-S/files"

# push_oci_chart TGZ NAME VERSION: the archive into registry R as Helm pushes
# a chart (OCI manifest, Helm's config and chart content media types), with
# curl: the registry's own API, not hoist's client.
push_oci_chart() {
	reg=$REGISTRY_R && repo=charts/$2 &&
	printf "{\"apiVersion\":\"v2\",\"name\":\"%s\",\"version\":\"%s\"}" "$2" "$3" >oci-config.json &&
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
		--data-binary @oci-manifest.json "http://$reg/v2/$repo/manifests/$3" >/dev/null
}

test_expect_success 'setup: mychart 1.0.0 in the redirecting registry' '
	mkdir -p build-chart/mychart/templates &&
	printf "apiVersion: v2\nname: mychart\nversion: 1.0.0\n" >build-chart/mychart/Chart.yaml &&
	printf "msg: hello\n" >build-chart/mychart/values.yaml &&
	printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  msg: {{ .Values.msg | quote }}\n" \
		>build-chart/mychart/templates/cm.yaml &&
	tar --sort=name --mtime=@0 --owner=0 --group=0 -czf mychart-1.0.0.tgz -C build-chart mychart &&
	push_oci_chart mychart-1.0.0.tgz mychart 1.0.0 &&
	d=$(sha256sum mychart-1.0.0.tgz | cut -d" " -f1) &&
	curl -s -o /dev/null -w "%{http_code} %{redirect_url}\n" "http://$REGISTRY_R/v2/charts/mychart/blobs/sha256:$d" >probe &&
	test_grep "^307 http://localhost:$SPORT/docker/registry/v2/blobs/sha256/" probe &&
	curl -sf "$(cut -d" " -f2 probe)" | cmp - mychart-1.0.0.tgz
'

test_expect_success 'setup: a kustomization and an app naming the OCI chart' '
	mkdir -p kust vendored/charts &&
	printf "helmCharts:\n- {name: mychart, repo: \"oci://$REGISTRY_R/charts\", version: 1.0.0, releaseName: k}\n" \
		>kust/kustomization.yaml &&
	tar -xzf mychart-1.0.0.tgz -C vendored/charts &&
	printf "helmCharts:\n- {name: mychart, version: 1.0.0, releaseName: k}\n" >vendored/kustomization.yaml &&
	git init -q --bare server.git && hoist hook install server.git 2>/dev/null &&
	git clone -q server.git work 2>/dev/null && mkdir -p work/app &&
	cat >work/hoist.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Project
	registry: $REGISTRY_A/acme
	remoteSources: {allow: ["$REGISTRY_R"]}
	apps:
	  - {name: app, path: app, chart: "oci://$REGISTRY_R/charts/mychart", version: "1.0.0"}
	environments: [{name: dev, branch: main}]
	EOF
	git -C work add . && git -C work commit -qm one
'

test_expect_success 'refused: the registry redirects the chart to a host that is not allowed' '
	: >"$TRASH/remote-S/log" &&
	test_expect_code 1 hoist render kust --allow-remote "$REGISTRY_R" 2>err &&
	test_grep "redirects to http://localhost:$SPORT/docker/registry/v2/blobs/sha256/" err &&
	test_grep "remote host .localhost:$SPORT. is not allowed" err &&
	test ! -s "$TRASH/remote-S/log"
'

test_expect_success 'refused by publish and through the hook: nothing fetched from storage, nothing published' '
	: >"$TRASH/remote-S/log" &&
	test_expect_code 1 hoist publish --repo work 2>err &&
	test_grep "remote host .localhost:$SPORT. is not allowed" err &&
	{ git -C work push -q origin main 2>push.err || :; } &&
	test_grep "remote host .localhost:$SPORT. is not allowed" push.err &&
	test ! -s "$TRASH/remote-S/log" &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "http://$REGISTRY_A/v2/acme/app/tags/list")" = 404
'

test_expect_success 'with the storage host allowed too, the chart renders as when vendored' '
	: >"$TRASH/remote-S/log" &&
	hoist render kust --allow-remote "$REGISTRY_R" --allow-remote localhost >kust.out &&
	test_grep "GET /docker/registry/v2/blobs/sha256/" "$TRASH/remote-S/log" &&
	hoist render vendored >vendored.out &&
	test_cmp vendored.out kust.out &&
	test_grep "name: k-cm" kust.out
'

test_expect_success 'a second render takes the archive the manifest names from the cache' '
	: >"$TRASH/remote-S/log" &&
	hoist render kust --allow-remote "$REGISTRY_R" --allow-remote localhost >kust2.out &&
	test_cmp vendored.out kust2.out &&
	test ! -s "$TRASH/remote-S/log"
'

test_done
