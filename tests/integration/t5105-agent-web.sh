#!/bin/bash
# The agent's web page and /metrics, with the real agent against the test
# API server (acceptance 4 of issue 14): in headless Chromium (Debian's
# chromium-headless-shell, driven over the DevTools protocol by
# tests/webdriver.py, standard library only) the app list, an object's
# drift with its field-level diff (values shown as text, never markup),
# and a manual app's Approve button that is refused without a session
# (403, nothing applied) and applies the plan after a login with the
# token; Sync now likewise; CSRF, Origin and Sec-Fetch-Site checks; a
# stale approval refused; the security headers; the Prometheus text at
# /metrics; webAuth: read.  The test asserts on DOM dumps and element
# texts; screenshots are kept in $HOIST_BUILD/artefacts/t5105/.
. "$(dirname "$0")/../lib.sh"

start_apiserver k
KC=$APISERVER_k
kc() { kubectl --kubeconfig "$KC" "$@"; }

wait_for() {
	_w=0
	until "$@" >/dev/null 2>&1; do
		_w=$((_w + 1))
		[ $_w -lt 300 ] || return 1
		sleep 0.1
	done
}

ART=$HOIST_BUILD/artefacts/t5105
rm -rf "$ART" && mkdir -p "$ART"

test_expect_success 'setup: an agent with one app synced and one suspended' '
	mkdir -p app state &&
	cat >app/objects.yaml <<-\EOF &&
	apiVersion: v1
	kind: Namespace
	metadata:
	  name: web
	---
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: site
	  namespace: web
	data:
	  title: "<b>x</b> & friends"
	EOF
	hoist pack app -o web.tgz --app web --version 1.0.0 >/dev/null &&
	hoist push web.tgz "oci-layout:$TRASH/store/web:1" >/dev/null 2>&1 &&
	mkdir man &&
	printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: man\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: man\n  namespace: man\ndata:\n  v: \"1\"\n" >man/objects.yaml &&
	hoist pack man -o man.tgz --app man --version 1.0.0 >/dev/null &&
	hoist push man.tgz "oci-layout:$TRASH/store/man:1" >/dev/null 2>&1 &&
	echo run-token >token &&
	cat >agent.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $KC
	stateDir: $TRASH/state
	listen: 127.0.0.1:0
	tokenFile: $TRASH/token
	apps:
	  - {name: web, source: "oci-layout:$TRASH/store/web:1", interval: 1h, timeout: 30s, drift: notify}
	  - {name: held, source: "oci-layout:$TRASH/store/web:1", interval: 1h, suspend: true}
	  - {name: man, source: "oci-layout:$TRASH/store/man:1", interval: 1h, timeout: 30s, sync: manual}
	EOF
	true
'

("$HOIST_BUILD/hoist-agent" run -c agent.yaml --addr-file addr 2>agent.log; echo $? >agent.rc) &
echo $! >wrapper.pid
wait_for test -s addr
pgrep -P "$(cat wrapper.pid)" >agent.pid
test_cleanup "kill $(cat agent.pid) 2>/dev/null"
ADDR=$(cat addr)
U=http://$ADDR

test_expect_success 'the first sync of web is recorded; man (manual) has a plan' '
	wait_for sh -c "curl -sf $U/v1/apps/web | grep -q \"\\\"result\\\":\\\"ok\\\"\"" &&
	wait_for sh -c "curl -sf $U/v1/apps/man | grep -q \"\\\"plan\\\":{\""
'

test_expect_success 'GET / lists the apps, HTML-escaped, with the security headers' '
	curl -sS -D h -o list.html "$U/" &&
	test_grep -i "^content-type: text/html; charset=utf-8" h &&
	test_grep -i "^content-security-policy: default-src .none.; script-src .self.; style-src .self.;.*frame-ancestors .none." h &&
	test_grep -i "^x-frame-options: DENY" h &&
	test_grep -i "^x-content-type-options: nosniff" h &&
	test_grep -i "^referrer-policy: same-origin" h &&
	test_grep "<tr class=\"app\" data-app=\"web\">" list.html &&
	test_grep "<tr class=\"app\" data-app=\"held\">" list.html &&
	test_grep "b-suspended" list.html &&
	! grep -q "<script>\|style=" list.html &&
	curl -sS -D hj -o js "$U/static/hoist.js" &&
	test_grep -i "^content-type: text/javascript" hj &&
	curl -sS -o /dev/null -w "%{http_code}\n" "$U/app/nope" >code &&
	echo 404 >want && test_cmp want code
'

test_expect_success 'a write without a session is refused (403) and nothing is done' '
	grep -c "\"event\":\"wake\"" agent.log >wakes.before || true &&
	curl -sS -o r.html -w "%{http_code}\n" -X POST -d csrf=x "$U/app/web/sync" >code &&
	echo 403 >want && test_cmp want code &&
	test_grep "Log in first" r.html &&
	curl -sS -o /dev/null -w "%{http_code}\n" -X POST "$U/logout" >code &&
	test_cmp want code &&
	grep -c "\"event\":\"wake\"" agent.log >wakes.after || true &&
	test_cmp wakes.before wakes.after
'

test_expect_success 'login: a wrong token is refused, the right one sets a strict cookie' '
	curl -sS -o bad.html -w "%{http_code}\n" -X POST --data-urlencode token=nope "$U/login" >code &&
	echo 403 >want && test_cmp want code &&
	test_grep "not the agent" bad.html &&
	curl -sS -D lh -o /dev/null -w "%{http_code}\n" -X POST --data-urlencode token=run-token "$U/login" >code &&
	echo 303 >want && test_cmp want code &&
	test_grep -i "^set-cookie: hoist_session=v1\.[0-9]*\.[0-9a-f]*\.[0-9a-f]*; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict" lh &&
	sed -n "s/^[Ss]et-[Cc]ookie: \(hoist_session=[^;]*\);.*/\1/p" lh >cookie &&
	test -s cookie
'

test_expect_success 'with a session: no CSRF token or a foreign Origin is still refused' '
	C=$(cat cookie) &&
	curl -sS -o r.html -w "%{http_code}\n" -H "Cookie: $C" -X POST -d x=1 "$U/app/web/sync" >code &&
	echo 403 >want && test_cmp want code && test_grep "CSRF" r.html &&
	curl -sS -o page.html -H "Cookie: $C" "$U/app/web" &&
	sed -n "s/.*name=\"csrf\" value=\"\([0-9a-f]*\)\".*/\1/p" page.html | head -1 >csrf &&
	test "$(wc -c <csrf)" = 65 &&
	curl -sS -o r.html -w "%{http_code}\n" -H "Cookie: $C" -H "Origin: http://evil.example" \
		-X POST -d "csrf=$(cat csrf)" "$U/app/web/sync" >code &&
	test_cmp want code &&
	curl -sS -o r.html -w "%{http_code}\n" -H "Cookie: $C" -H "Sec-Fetch-Site: cross-site" \
		-X POST -d "csrf=$(cat csrf)" "$U/app/web/sync" >code &&
	test_cmp want code &&
	curl -sS -o r.html -w "%{http_code}\n" -H "Cookie: $C" -X POST -d "csrf=$(cat csrf)0" "$U/app/web/sync" >code &&
	test_cmp want code &&
	# A tampered cookie: its last character changed (to 1 if it was 0, else to 0).
	curl -sS -o /dev/null -w "%{http_code}\n" -H "Cookie: $(sed "s/0\$/1/;t;s/.\$/0/" cookie)" -X POST \
		-d "csrf=$(cat csrf)" "$U/app/web/sync" >code &&
	test_cmp want code &&
	! grep -q "sync from the web page" agent.log
'

test_expect_success 'with a session and its CSRF token, Sync now wakes the app' '
	curl -sS -D sh -o /dev/null -w "%{http_code}\n" -H "Cookie: $(cat cookie)" -H "Origin: $U" \
		-X POST -d "csrf=$(cat csrf)" "$U/app/web/sync" >code &&
	echo 303 >want && test_cmp want code &&
	test_grep -i "^location: /app/web?done=sync" sh &&
	wait_for grep -q "sync from the web page" agent.log
'

test_expect_success '/metrics is Prometheus text with the sync, object and API metrics' '
	wait_for sh -c "curl -sf $U/metrics | grep -q \"hoist_agent_syncs_total{app=\\\"web\\\",result=\\\"ok\\\"} 2\"" &&
	curl -sS -D mh -o metrics "$U/metrics" &&
	test_grep -i "^content-type: text/plain; version=0.0.4" mh &&
	test_grep "^# TYPE hoist_agent_sync_duration_seconds histogram" metrics &&
	test_grep "^hoist_agent_sync_duration_seconds_count{app=\"web\"} 2$" metrics &&
	test_grep "^hoist_agent_sync_duration_seconds_bucket{app=\"web\",le=\"+Inf\"} 2$" metrics &&
	test "$(grep -c "^hoist_agent_sync_duration_seconds_count{app=\"[a-z]*\"} [0-9]*$" metrics)" = 3 &&
	test_grep "^hoist_agent_objects{app=\"web\"} 2$" metrics &&
	test_grep "^hoist_agent_drifted_objects{app=\"web\"} 0$" metrics &&
	test_grep "^hoist_agent_app_health{app=\"web\",health=\"Healthy\"} 1$" metrics &&
	test_grep "^hoist_agent_kube_requests_total{verb=\"GET\",code=\"200\"} [1-9]" metrics &&
	test_grep "^hoist_agent_kube_requests_total{verb=\"PATCH\",code=\"20[01]\"} [1-9]" metrics &&
	test_grep "^process_resident_memory_bytes [1-9][0-9]*$" metrics &&
	test_grep "^process_start_time_seconds [1-9]" metrics
'

test_expect_success 'in Chromium: the list, a refused write, login, then Sync works' '
	rm -f "$ART"/*.png &&
	cat >steps <<-EOF &&
	open $U/
	dom b-list.html
	shot $ART/list.png
	text #apps tbody tr[data-app=web] td.health
	open $U/app/web
	dom b-app.html
	shot $ART/app.png
	click #sync
	status
	dom b-refused.html
	shot $ART/refused.png
	open $U/login
	fill #token run-token
	click #login-button
	status
	dom b-in.html
	open $U/app/web
	click #sync
	status
	text #notice
	dom b-synced.html
	shot $ART/synced.png
	EOF
	python3 "$TEST_TOP/tests/webdriver.py" "$TRASH" <steps >out &&
	cat >want <<-EOF &&
	Healthy
	403
	200
	200
	Sync requested: the agent syncs this app now.
	EOF
	test_cmp want out &&
	test_grep "<tr class=\"app\" data-app=\"web\">" b-list.html &&
	test_grep "<td class=\"sync\">auto</td>" b-list.html &&
	test_grep "<h1 id=\"app-name\">web</h1>" b-app.html &&
	test_grep "Log in first" b-refused.html &&
	test_grep "id=\"logout\"" b-in.html &&
	test_grep "id=\"notice\" class=\"ok\"" b-synced.html &&
	test -s "$ART/list.png" && test -s "$ART/synced.png"
'

test_expect_success 'in Chromium: Approve is refused without a session, applies with one' '
	curl -sf "$U/v1/apps/man" >man.json &&
	python3 -c "import json,sys; p=json.load(open(\"man.json\"))[\"plan\"]; print(p[\"digest\"]); print(p[\"hash\"])" >plan &&
	cat >steps <<-EOF &&
	open $U/app/man
	dom m-plan.html
	shot $ART/plan.png
	text #changes tbody tr td.action
	click #approve
	status
	dom m-refused.html
	EOF
	python3 "$TEST_TOP/tests/webdriver.py" "$TRASH/anon" <steps >out &&
	printf "create\n403\n" >want && test_cmp want out &&
	test_grep "Log in first" m-refused.html &&
	test_grep "name=\"digest\" value=\"$(sed -n 1p plan)\"" m-plan.html &&
	test_grep "name=\"plan\" value=\"$(sed -n 2p plan)\"" m-plan.html &&
	test_grep "<td class=\"object-name\">ConfigMap man/man</td>" m-plan.html &&
	test_must_fail kc get configmap man -n man &&
	! grep -q "approved from the web page" agent.log &&
	cat >steps <<-EOF &&
	open $U/login
	fill #token run-token
	click #login-button
	open $U/app/man
	click #approve
	status
	text #notice
	dom m-approved.html
	shot $ART/approved.png
	EOF
	python3 "$TEST_TOP/tests/webdriver.py" "$TRASH/in" <steps >out &&
	printf "200\nApproved: the agent applies the plan now.\n" >want && test_cmp want out &&
	wait_for kc get configmap man -n man &&
	wait_for sh -c "curl -sf $U/v1/apps/man | grep -q \"\\\"approvedBy\\\":\\\"web\\\"\"" &&
	curl -sS -o m-after.html "$U/app/man" &&
	test_grep "<td class=\"approved-by\">web</td>" m-after.html
'

test_expect_success 'a stale approval from the page is refused (409) and applies nothing' '
	C=$(cat cookie) &&
	curl -sS -o page.html -H "Cookie: $C" "$U/app/web" &&
	CS=$(sed -n "s/.*name=\"csrf\" value=\"\([0-9a-f]*\)\".*/\1/p" page.html | head -1) &&
	curl -sS -o r.html -w "%{http_code}\n" -H "Cookie: $C" -X POST \
		-d "csrf=$CS&digest=$(sed -n 1p plan)&plan=sha256:$(printf %064d 0)" "$U/app/man/approve" >code &&
	echo 409 >want && test_cmp want code &&
	test_grep "Refused" r.html
'

test_expect_success 'in Chromium: a drifted object and its field-level diff' '
	kc patch configmap site -n web --type merge -p "{\"data\":{\"title\":\"edited <i>live</i>\"}}" &&
	wait_for sh -c "curl -sf $U/v1/status | grep -q \"\\\"drifted\\\":1\"" &&
	cat >steps <<-EOF &&
	open $U/
	text #apps tr[data-app=web] td.drifted
	open $U/app/web
	text #objects tr.drifted td.object-name
	text #objects tr.drifted table.diff td.path
	text #objects tr.drifted table.diff td.live
	text #objects tr.drifted table.diff td.want
	text #objects tr.drifted table.diff td.live i
	text #objects tr.drifted summary
	dom d-app.html
	shot $ART/drift.png
	EOF
	python3 "$TEST_TOP/tests/webdriver.py" "$TRASH/drift" <steps >out &&
	sed -n 7p out >since && sed -i 7d out &&
	cat >want <<-\EOF &&
	1
	ConfigMap web/site
	/data/title
	"edited <i>live</i>"
	"<b>x</b> & friends"
	(none)
	EOF
	test_cmp want out &&
	test_grep "^drifted since " since &&
	test_grep "<tr class=\"object\"><td class=\"object-name\">Namespace web</td>" d-app.html &&
	test "$(kc get configmap site -n web -o jsonpath={.data.title})" = "edited <i>live</i>" &&
	curl -sS "$U/metrics" >metrics &&
	test_grep "^hoist_agent_drifted_objects{app=\"web\"} 1$" metrics
'

test_expect_success 'webAuth: read needs tokenFile' '
	cat >ro-bad.yaml <<-EOF &&
	apiVersion: hoist.dev/v1alpha1
	kind: Agent
	kubeconfig: $KC
	stateDir: $TRASH/state-ro
	webAuth: read
	apps: []
	EOF
	test_expect_code 1 "$HOIST_BUILD/hoist-agent" status -c ro-bad.yaml 2>err &&
	test_grep "webAuth: read. needs .tokenFile" err
'

# A second agent whose reads need the token too.
cat >ro.yaml <<EOF
apiVersion: hoist.dev/v1alpha1
kind: Agent
kubeconfig: $KC
stateDir: $TRASH/state-ro
listen: 127.0.0.1:0
tokenFile: $TRASH/token
webAuth: read
apps:
  - {name: ro, source: "oci-layout:$TRASH/store/none:1", interval: 1h}
EOF
("$HOIST_BUILD/hoist-agent" run -c ro.yaml --addr-file ro-addr 2>ro.log; echo $? >ro.rc) &
echo $! >ro-wrapper.pid
wait_for test -s ro-addr
pgrep -P "$(cat ro-wrapper.pid)" >ro.pid
test_cleanup "kill $(cat ro.pid) 2>/dev/null"
RO=http://$(cat ro-addr)

test_expect_success 'webAuth: read: reads need the bearer token or a session' '
	code() { curl -sS -o /dev/null -w "%{http_code}\n" "$@"; } &&
	printf "401\n401\n401\n303\n303\n200\n200\n200\n" >want &&
	{
		code "$RO/v1/status" && code "$RO/v1/apps/ro" && code "$RO/metrics" &&
		code "$RO/" && code "$RO/app/ro" &&
		code "$RO/healthz" && code "$RO/login" && code "$RO/static/hoist.css"
	} >got &&
	test_cmp want got &&
	curl -sS -D roh -o /dev/null "$RO/" && test_grep -i "^location: /login" roh &&
	printf "200\n200\n200\n" >want &&
	{
		code -H "Authorization: Bearer run-token" "$RO/v1/status" &&
		code -H "Authorization: Bearer run-token" "$RO/metrics" &&
		code -H "Authorization: Bearer run-token" "$RO/"
	} >got &&
	test_cmp want got &&
	curl -sS -D rl -o /dev/null -X POST --data-urlencode token=run-token "$RO/login" &&
	C=$(sed -n "s/^[Ss]et-[Cc]ookie: \(hoist_session=[^;]*\);.*/\1/p" rl) &&
	printf "200\n200\n" >want &&
	{ code -H "Cookie: $C" "$RO/" && code -H "Cookie: $C" "$RO/v1/apps/ro"; } >got &&
	test_cmp want got &&
	echo 401 >want && code -H "Authorization: Bearer nope" "$RO/v1/status" >got &&
	test_cmp want got
'

test_expect_success 'SIGTERM stops both agents cleanly (no leak under ASan)' '
	kill -TERM "$(cat agent.pid)" "$(cat ro.pid)" &&
	wait_for test -s agent.rc && wait_for test -s ro.rc &&
	test "$(cat agent.rc)" = 0 && test "$(cat ro.rc)" = 0
'

echo "# screenshots: $ART"
test_done
