/*
 * Unit tests for notifications: the webhook signature (against values
 * computed with Python's hmac module), the queue file's format and parser,
 * the on-disk queue (order, bound, acknowledgement across a reopen), the
 * payloads of each receiver type, and the `notify:` keys of agent.yaml.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include "agent/agent.h"
#include "agent/event.h"
#include "agent/kevent.h"
#include "agent/notify.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

static void signature_is_hmac_sha256_over_timestamp_dot_body(void **state)
{
	char sig[NOTIFY_SIG_SIZE];
	static const char body[] = "{\"event\":\"sync-succeeded\"}";
	static const char key[] = "It's a secret to everybody";
	char longkey[100];

	(void)state;
	/* python3: hmac.new(key, b"1700000000." + body, hashlib.sha256).hexdigest() */
	assert_int_equal(notify_sign(sig, key, strlen(key), "1700000000", body, strlen(body)), 0);
	assert_string_equal(sig, "sha256=449d5c5c219474cbc923265eebd569ed7e12f948b11d51cdb0a512e17a85f1a2");
	/* A key longer than the block size is hashed first (RFC 2104). */
	memset(longkey, 'k', sizeof(longkey));
	assert_int_equal(notify_sign(sig, longkey, sizeof(longkey), "1", "", 0), 0);
	assert_string_equal(sig, "sha256=f380fa061ddac7555fce09c4f9d5ba3c4d7eb9115eaa097dd2c14988a18ae793");
	/* The timestamp is part of what is signed. */
	assert_int_equal(notify_sign(sig, key, strlen(key), "1700000001", body, strlen(body)), 0);
	assert_string_not_equal(sig, "sha256=449d5c5c219474cbc923265eebd569ed7e12f948b11d51cdb0a512e17a85f1a2");
}

static void queue_records_round_trip_and_bad_ones_are_refused(void **state)
{
	struct notify_rec r = { 0 }, back;
	struct strbuf sb = STRBUF_INIT;
	static const char *const bad[] = {
		"",
		"[]",
		"{\"seq\":1,\"time\":2}",                              /* no event */
		"{\"seq\":1,\"time\":2,\"event\":\"exploded\"}",       /* unknown event */
		"{\"seq\":-1,\"time\":2,\"event\":\"pruned\"}",        /* negative */
		"{\"seq\":\"x\",\"time\":2,\"event\":\"pruned\"}",     /* not a number */
		"{\"seq\":1,\"time\":2,\"event\":\"pruned\",\"app\":[1]}",
		"{\"seq\":1,\"time\":2,\"event\":\"pruned\"}{}",
		"{\"seq\":1,\"time\":2,\"event\":\"pruned\",\"app\":\"\xff\"}",
	};
	size_t i;

	(void)state;
	r.seq = 42;
	r.time = 1700000000;
	r.event = (char *)"drift-detected";
	r.app = (char *)"web";
	r.digest = (char *)"sha256:0123";
	r.object = (char *)"Deployment web/app";
	r.message = (char *)"spec.replicas: \"3\" -> \"5\"\nsecond line";
	notify_rec_format(&sb, &r);
	assert_int_equal(notify_rec_parse(&back, sb.buf, sb.len, "q"), 0);
	assert_int_equal(back.seq, 42);
	assert_int_equal(back.time, 1700000000);
	assert_string_equal(back.event, "drift-detected");
	assert_string_equal(back.app, "web");
	assert_string_equal(back.digest, "sha256:0123");
	assert_null(back.revision);
	assert_string_equal(back.object, "Deployment web/app");
	assert_string_equal(back.message, r.message);
	notify_rec_release(&back);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int rc = notify_rec_parse(&back, bad[i], strlen(bad[i]), "q");
		if (!rc)
			fail_msg("accepted: %s", bad[i]);
		err_clear();
	}
	strbuf_release(&sb);
}

static void make_text(struct strbuf *out, uint64_t seq, void *arg)
{
	strbuf_addf(out, "%s #%llu", (const char *)arg, (unsigned long long)seq);
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".ev"))
			n++;
	closedir(d);
	return n;
}

static void queue_keeps_order_bound_and_acknowledgements(void **state)
{
	char tmpl[] = "/tmp/hoist-nq.XXXXXX";
	char *root = mkdtemp(tmpl);
	struct strbuf dir = STRBUF_INIT, text = STRBUF_INIT, dropped = STRBUF_INIT;
	struct nqueue *q;
	char ev[] = "ev";
	uint64_t seq;
	int i;

	(void)state;
	assert_non_null(root);
	strbuf_addf(&dir, "%s/notify/hook", root);
	assert_int_equal(nqueue_open(&q, dir.buf, 3), 0);
	assert_int_equal(nqueue_peek(q, &seq, &text), ERR_NOTFOUND);
	err_clear();
	for (i = 0; i < 3; i++)
		assert_int_equal(nqueue_push(q, make_text, ev, &seq, &dropped), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(nqueue_depth(q), 3);
	/* Full: the oldest goes, and the caller learns which. */
	assert_int_equal(nqueue_push(q, make_text, ev, &seq, &dropped), 1);
	assert_string_equal(dropped.buf, "ev #1");
	assert_int_equal(nqueue_depth(q), 3);
	assert_int_equal(files_in(dir.buf), 3);
	assert_int_equal(nqueue_peek(q, &seq, &text), 0);
	assert_int_equal(seq, 2);
	assert_string_equal(text.buf, "ev #2");
	assert_int_equal(nqueue_ack(q, 2), 0);
	assert_int_equal(nqueue_delivered(q), 2);
	nqueue_close(q);

	/* Reopened (an agent restart): what was delivered is gone, the rest in order. */
	assert_int_equal(nqueue_open(&q, dir.buf, 3), 0);
	assert_int_equal(nqueue_depth(q), 2);
	assert_int_equal(nqueue_delivered(q), 2);
	assert_int_equal(nqueue_peek(q, &seq, &text), 0);
	assert_int_equal(seq, 3);
	assert_string_equal(text.buf, "ev #3");
	/* Delivered, then the agent died before removing the file: not sent again. */
	strbuf_reset(&text);
	strbuf_addf(&text, "%s/delivered", dir.buf);
	assert_int_equal(write_file_atomic(text.buf, "3\n", 2, 0600), 0);
	nqueue_close(q);
	assert_int_equal(nqueue_open(&q, dir.buf, 3), 0);
	assert_int_equal(nqueue_depth(q), 1);
	assert_int_equal(nqueue_peek(q, &seq, &text), 0);
	assert_int_equal(seq, 4);
	/* New events continue the numbering. */
	assert_int_equal(nqueue_push(q, make_text, ev, &seq, NULL), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(nqueue_ack(q, 4), 0);
	assert_int_equal(nqueue_ack(q, 5), 0);
	assert_int_equal(nqueue_peek(q, &seq, &text), ERR_NOTFOUND);
	err_clear();
	assert_int_equal(files_in(dir.buf), 0);
	nqueue_close(q);

	/* A damaged delivered record is an error, not a resend of everything. */
	strbuf_reset(&text);
	strbuf_addf(&text, "%s/delivered", dir.buf);
	assert_int_equal(write_file_atomic(text.buf, "x\n", 2, 0600), 0);
	assert_int_equal(nqueue_open(&q, dir.buf, 3), ERR_INVALID);
	err_clear();

	strbuf_reset(&text);
	strbuf_addf(&text, "rm -rf '%s'", root);
	assert_int_equal(system(text.buf), 0);
	strbuf_release(&dir);
	strbuf_release(&text);
	strbuf_release(&dropped);
}

static const char notify_config[] =
	"apiVersion: hoist.dev/v1alpha1\n"
	"kind: Agent\n"
	"notify:\n"
	"  - {name: hook, type: webhook, url: 'https://hooks.example/h', secretFile: /s}\n"
	"  - {name: chat, type: slack, url: 'https://hooks.slack.example/services/T/B/X',\n"
	"     events: [sync-failed, health-degraded]}\n"
	"  - {name: gh, type: github, tokenFile: /t, repository: acme/web}\n"
	"  - {name: ghe, type: github, url: 'https://ghe.example/api/v3/', tokenFile: /t,\n"
	"     repository: acme/web, context: prod, targetUrl: 'https://hoist.example/web'}\n"
	"  - {name: gl, type: gitlab, tokenFile: /t, project: group/sub/web, queueMax: '5',\n"
	"     maxBackoff: 30s}\n";

static void notify_config_keys_and_their_checks(void **state)
{
	struct agent_config cfg;
	static const struct {
		const char *yaml, *msg;
	} bad[] = {
		{ "  - {name: x, type: email, url: 'https://a'}\n", "unknown value 'email'" },
		{ "  - {name: x, type: webhook, url: 'https://a'}\n", "secretFile" },
		{ "  - {name: x, type: slack}\n", "needs 'url'" },
		{ "  - {name: x, type: github, tokenFile: /t}\n", "OWNER/REPO" },
		{ "  - {name: x, type: github, tokenFile: /t, repository: a/b/c}\n", "OWNER/REPO" },
		{ "  - {name: x, type: gitlab, tokenFile: /t}\n", "needs 'project'" },
		{ "  - {name: x, type: gitlab, project: 1}\n", "tokenFile" },
		{ "  - {name: x, type: slack, url: 'https://a', events: [sync-exploded]}\n",
		  "unknown event 'sync-exploded'" },
		{ "  - {name: x, type: slack, url: 'https://a', events: []}\n", "empty" },
		{ "  - {name: x, type: slack, url: 'ftp://a'}\n", "http:// or https://" },
		{ "  - {name: X, type: slack, url: 'https://a'}\n", "receiver name" },
		{ "  - {name: x, type: slack, url: 'https://a', queueMax: '0'}\n", "1 to 1000000" },
		{ "  - {name: x, type: slack, url: 'https://a'}\n  - {name: x, type: slack, url: 'https://b'}\n",
		  "defined twice" },
	};
	size_t i;

	(void)state;
	assert_int_equal(agent_config_parse(&cfg, notify_config, strlen(notify_config), "a.yaml"), 0);
	assert_int_equal(cfg.nnotify, 5);
	assert_int_equal(cfg.notify[0].events, (1u << EVENT__COUNT) - 1);
	assert_int_equal(cfg.notify[1].events,
			 (1u << EVENT_SYNC_FAILED) | (1u << EVENT_HEALTH_DEGRADED));
	assert_string_equal(cfg.notify[2].url, "https://api.github.com");
	assert_string_equal(cfg.notify[2].context, "hoist");
	assert_string_equal(cfg.notify[4].url, "https://gitlab.com/api/v4");
	assert_int_equal(cfg.notify[4].queue_max_n, 5);
	assert_int_equal(cfg.notify[4].max_backoff_s, 30);
	assert_int_equal(cfg.notify[0].queue_max_n, 1000);
	assert_int_equal(cfg.notify[0].max_backoff_s, 300);
	agent_config_release(&cfg);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct strbuf y = STRBUF_INIT;
		strbuf_addf(&y, "apiVersion: hoist.dev/v1alpha1\nkind: Agent\nnotify:\n%s", bad[i].yaml);
		if (!agent_config_parse(&cfg, y.buf, y.len, "a.yaml"))
			fail_msg("accepted: %s", bad[i].yaml);
		if (!strstr(err_msg(), bad[i].msg) || strncmp(err_msg(), "a.yaml:", 7))
			fail_msg("%s: message '%s' lacks '%s'", bad[i].yaml, err_msg(), bad[i].msg);
		err_clear();
		strbuf_release(&y);
	}
}

static void payloads_follow_each_services_format(void **state)
{
	struct agent_config cfg;
	struct notify_rec r = { 0 };
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, msg = STRBUF_INIT;
	int i;

	(void)state;
	assert_int_equal(agent_config_parse(&cfg, notify_config, strlen(notify_config), "a.yaml"), 0);
	r.seq = 7;
	r.time = 1700000000;
	r.event = (char *)"sync-failed";
	r.app = (char *)"web";
	r.digest = (char *)"sha256:ab";
	r.revision = (char *)"main@sha1:0123456789abcdef0123456789abcdef01234567";
	for (i = 0; i < 60; i++)
		strbuf_addstr(&msg, "é<&>"); /* 240 characters, Slack markup among them */
	r.message = msg.buf;

	assert_int_equal(notify_payload(&cfg.notify[0], &r, &url, &body), 0);
	assert_string_equal(url.buf, "https://hooks.example/h");
	assert_non_null(strstr(body.buf, "\"id\":\"hook-7\",\"event\":\"sync-failed\",\"app\":\"web\","
					 "\"digest\":\"sha256:ab\",\"revision\":\"main@sha1:"));
	assert_non_null(strstr(body.buf, "\"time\":\"2023-11-14T22:13:20Z\""));

	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[1], &r, &url, &body), 0);
	assert_non_null(strstr(body.buf, "{\"text\":\"web: sync-failed: "));
	assert_non_null(strstr(body.buf, "\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\","));
	assert_non_null(strstr(body.buf, "&lt;&amp;&gt;")); /* escaped in mrkdwn */

	/* GitHub: the commit of REF@sha1:COMMIT, a description of at most 140 characters. */
	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[3], &r, &url, &body), 0);
	assert_string_equal(url.buf, "https://ghe.example/api/v3/repos/acme/web/statuses/"
				     "0123456789abcdef0123456789abcdef01234567");
	assert_non_null(strstr(body.buf, "{\"state\":\"failure\",\"context\":\"prod/web\","
					 "\"description\":\"web: sync-failed: "));
	assert_non_null(strstr(body.buf, "...\",\"target_url\":\"https://hoist.example/web\"}"));
	{
		const char *d = strstr(body.buf, "\"description\":\"") + 15, *e = strstr(d, "\",");
		size_t chars = 0;
		for (; d < e; d++)
			if (((unsigned char)*d & 0xc0) != 0x80)
				chars++; /* no JSON escapes in this message: one byte, one character */
		assert_true(chars <= 140);
	}

	/* GitLab: the project path URL-encoded, "failed", name. */
	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[4], &r, &url, &body), 0);
	assert_string_equal(url.buf, "https://gitlab.com/api/v4/projects/group%2Fsub%2Fweb/statuses/"
				     "0123456789abcdef0123456789abcdef01234567");
	assert_non_null(strstr(body.buf, "{\"state\":\"failed\",\"name\":\"hoist/web\","));

	/* No commit, or an event that is no commit state: nothing to send. */
	r.revision = (char *)"v1.2.3";
	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[2], &r, &url, &body), ERR_NOTFOUND);
	r.revision = (char *)"0123456789abcdef0123456789abcdef01234567";
	r.event = (char *)"pruned";
	assert_int_equal(notify_payload(&cfg.notify[4], &r, &url, &body), ERR_NOTFOUND);
	r.event = (char *)"sync-started";
	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[4], &r, &url, &body), 0);
	assert_non_null(strstr(body.buf, "\"state\":\"running\""));
	strbuf_reset(&url);
	strbuf_reset(&body);
	assert_int_equal(notify_payload(&cfg.notify[2], &r, &url, &body), 0);
	assert_non_null(strstr(body.buf, "\"state\":\"pending\""));

	err_clear();
	agent_config_release(&cfg);
	strbuf_release(&url);
	strbuf_release(&body);
	strbuf_release(&msg);
}

static void kubernetes_events_name_the_object_and_the_reason(void **state)
{
	struct strbuf kind = STRBUF_INIT, ns = STRBUF_INIT, name = STRBUF_INIT, body = STRBUF_INIT;
	struct doc_stream *s = NULL;
	const struct doc_node *e;
	struct agent_event ev = { EVENT_DRIFT_DETECTED, "web", "sha256:ab", NULL,
				  "Deployment web/api", "spec.replicas changed" };

	(void)state;
	assert_true(kevent_object_split("Deployment web/api", &kind, &ns, &name));
	assert_string_equal(kind.buf, "Deployment");
	assert_string_equal(ns.buf, "web");
	assert_string_equal(name.buf, "api");
	strbuf_reset(&kind);
	strbuf_reset(&ns);
	strbuf_reset(&name);
	assert_true(kevent_object_split("ClusterRole view-all", &kind, &ns, &name));
	assert_int_equal(ns.len, 0);
	assert_string_equal(name.buf, "view-all");
	assert_false(kevent_object_split("Deployment", &kind, &ns, &name));
	assert_false(kevent_object_split("Deployment a/b/c", &kind, &ns, &name));

	kevent_format(&body, &ev, "Deployment", NULL, "web", "api", 1700000000, "node-1");
	assert_int_equal(doc_parse(&s, body.buf, body.len, "event", NULL), 0);
	e = s->docs[0];
	assert_string_equal(doc_get_str(e, "apiVersion", NULL), "v1");
	assert_string_equal(doc_get_str(e, "kind", NULL), "Event");
	assert_string_equal(doc_get_str(e, "metadata", "generateName", NULL), "api.");
	assert_string_equal(doc_get_str(e, "metadata", "namespace", NULL), "web");
	assert_string_equal(doc_get_str(e, "involvedObject", "kind", NULL), "Deployment");
	assert_string_equal(doc_get_str(e, "involvedObject", "namespace", NULL), "web");
	assert_string_equal(doc_get_str(e, "involvedObject", "name", NULL), "api");
	assert_string_equal(doc_get_str(e, "reason", NULL), "DriftDetected");
	assert_string_equal(doc_get_str(e, "type", NULL), "Warning");
	assert_string_equal(doc_get_str(e, "message", NULL), "spec.replicas changed (sha256:ab)");
	assert_string_equal(doc_get_str(e, "source", "component", NULL), "hoist-agent");
	assert_string_equal(doc_get_str(e, "reportingComponent", NULL), "hoist-agent");
	assert_string_equal(doc_get_str(e, "reportingInstance", NULL), "node-1");
	assert_string_equal(doc_get_str(e, "firstTimestamp", NULL), "2023-11-14T22:13:20Z");
	doc_stream_free(s);
	s = NULL;
	ev.type = EVENT_SYNC_SUCCEEDED;
	strbuf_reset(&body);
	kevent_format(&body, &ev, "ConfigMap", "v1", "hoist-system", "hoist-inventory-web", 0, "h");
	assert_int_equal(doc_parse(&s, body.buf, body.len, "event", NULL), 0);
	assert_string_equal(doc_get_str(s->docs[0], "reason", NULL), "SyncSucceeded");
	assert_string_equal(doc_get_str(s->docs[0], "type", NULL), "Normal");
	assert_string_equal(doc_get_str(s->docs[0], "involvedObject", "apiVersion", NULL), "v1");
	doc_stream_free(s);
	strbuf_release(&kind);
	strbuf_release(&ns);
	strbuf_release(&name);
	strbuf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signature_is_hmac_sha256_over_timestamp_dot_body),
		cmocka_unit_test(queue_records_round_trip_and_bad_ones_are_refused),
		cmocka_unit_test(queue_keeps_order_bound_and_acknowledgements),
		cmocka_unit_test(notify_config_keys_and_their_checks),
		cmocka_unit_test(payloads_follow_each_services_format),
		cmocka_unit_test(kubernetes_events_name_the_object_and_the_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
