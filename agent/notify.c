/*
 * notify.c - receivers of events: payloads per type and the delivery
 * threads over the on-disk queues (notify-queue.c).  See notify.h.
 */
#include "core/compat.h"
#include "agent/notify.h"
#include "agent/agent.h"
#include "agent/event.h"
#include "core/err.h"
#include "core/http.h"
#include "core/strbuf.h"
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NOTIFY_TIMEOUT_MS 10000    /* one delivery attempt */
#define NOTIFY_BACKOFF_BASE_MS 1000
#define NOTIFY_RETRY_AFTER_MAX 3600 /* seconds */
#define NOTIFY_SECRET_MAX 4096

struct receiver {
	struct notify *n;
	const struct agent_notify *rc;
	struct nqueue *q;
	pthread_t thread;
	bool started;
	pthread_cond_t cv;
	unsigned seed;
};

struct notify {
	struct agent *ag;
	pthread_mutex_t mu; /* guards the queues, stop, drain_until, dropped */
	bool stop;
	int64_t drain_until; /* http_now_ms() time; with stop: deliver until then */
	uint64_t dropped;
	struct receiver *r;
	size_t n;
};

/* ---- payloads ---- */

static void rfc3339(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void kv(struct strbuf *sb, const char *k, const char *v, bool first)
{
	strbuf_addf(sb, "%s\"%s\":", first ? "" : ",", k);
	if (v)
		strbuf_add_json_str(sb, v, strlen(v));
	else
		strbuf_addstr(sb, "null");
}

/* At most `max` characters (code points) of `s`, with "..." when cut. */
static void add_cut(struct strbuf *out, const char *s, size_t max)
{
	size_t chars = 0, i;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 && chars++ == max - 3) {
			size_t rest = i, more = 0;
			for (; s[rest]; rest++)
				if (((unsigned char)s[rest] & 0xc0) != 0x80)
					more++;
			if (more <= 3)
				break;
			strbuf_add(out, s, i);
			strbuf_addstr(out, "...");
			return;
		}
	}
	strbuf_addstr(out, s);
}

/* One line for people: "web: sync-failed sha256:abc... (rev 1234567): message". */
static void summary(struct strbuf *out, const struct notify_rec *r)
{
	strbuf_addf(out, "%s: %s", r->app ? r->app : "agent", r->event);
	if (r->object)
		strbuf_addf(out, " %s", r->object);
	if (r->message)
		strbuf_addf(out, ": %s", r->message);
}

/* Slack's mrkdwn treats & < > as markup (<!channel> would ping everyone). */
static void slack_escape(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '&')
			strbuf_addstr(out, "&amp;");
		else if (*s == '<')
			strbuf_addstr(out, "&lt;");
		else if (*s == '>')
			strbuf_addstr(out, "&gt;");
		else
			strbuf_addch(out, *s);
	}
}

static const char *status_state(const struct notify_rec *r, bool gitlab)
{
	switch (agent_event_parse(r->event)) {
	case EVENT_SYNC_STARTED:
		return gitlab ? "running" : "pending";
	case EVENT_SYNC_SUCCEEDED:
	case EVENT_HEALTH_RECOVERED:
	case EVENT_DRIFT_CORRECTED:
		return "success";
	case EVENT_SYNC_FAILED:
	case EVENT_HEALTH_DEGRADED:
	case EVENT_DRIFT_DETECTED:
		return gitlab ? "failed" : "failure";
	case EVENT_APPROVAL_NEEDED:
		return "pending";
	default:
		return NULL; /* pruned: one object, not the commit's state */
	}
}

/*
 * The commit of a revision as both APIs take it, 40 (SHA-1) or 64 (SHA-256)
 * hex digits: the revision itself, or the COMMIT of "REF@sha1:COMMIT" (what
 * `hoist pack --ref` records).  NULL when there is none.
 */
static const char *revision_commit(const char *rev)
{
	const char *at = strrchr(rev, '@'), *s = rev;
	size_t n;

	if (at && (!strncmp(at + 1, "sha1:", 5) || !strncmp(at + 1, "sha256:", 7)))
		s = strchr(at, ':') + 1;
	n = strspn(s, "0123456789abcdef");
	return !s[n] && (n == 40 || n == 64) ? s : NULL;
}

int notify_payload(const struct agent_notify *rc, const struct notify_rec *r, struct strbuf *url,
		   struct strbuf *body)
{
	struct strbuf line = STRBUF_INIT, ctx = STRBUF_INIT, t = STRBUF_INIT;
	char when[64];
	const char *state;
	bool gitlab = !strcmp(rc->type, "gitlab");
	int ret = 0;

	rfc3339(when, sizeof(when), r->time);
	summary(&line, r);
	if (!strcmp(rc->type, "webhook")) {
		strbuf_addstr(url, rc->url);
		strbuf_addf(&t, "%s-%llu", rc->name, (unsigned long long)r->seq);
		strbuf_addch(body, '{');
		kv(body, "id", t.buf, true);
		kv(body, "event", r->event, false);
		kv(body, "app", r->app, false);
		kv(body, "digest", r->digest, false);
		kv(body, "revision", r->revision, false);
		kv(body, "object", r->object, false);
		kv(body, "message", r->message ? r->message : line.buf, false);
		kv(body, "time", when, false);
		strbuf_addch(body, '}');
	} else if (!strcmp(rc->type, "slack")) {
		strbuf_addstr(url, rc->url);
		/* `text` is the notification's fallback; the section carries the detail. */
		strbuf_addch(body, '{');
		kv(body, "text", line.buf, true);
		strbuf_addf(&t, "*%s* `%s`", r->app ? r->app : "agent", r->event);
		if (r->object) {
			strbuf_addstr(&t, " ");
			slack_escape(&t, r->object);
		}
		if (r->message) {
			strbuf_addstr(&t, "\n");
			slack_escape(&t, r->message);
		}
		if (r->digest || r->revision) {
			strbuf_addstr(&t, "\n");
			if (r->digest)
				strbuf_addf(&t, "digest `%s`", r->digest);
			if (r->revision)
				strbuf_addf(&t, "%srevision `%s`", r->digest ? ", " : "", r->revision);
		}
		strbuf_reset(&line);
		add_cut(&line, t.buf, 3000); /* a section's text limit */
		strbuf_addstr(body, ",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",");
		kv(body, "text", line.buf, true);
		strbuf_addstr(body, "}}]}");
	} else {
		const char *commit = r->revision ? revision_commit(r->revision) : NULL;
		state = status_state(r, gitlab);
		if (!state || !commit || !r->app) {
			ret = ERR_NOTFOUND;
			goto out;
		}
		strbuf_addf(&ctx, "%s/%s", rc->context, r->app);
		strbuf_reset(&t);
		add_cut(&t, line.buf, gitlab ? 255 : 140);
		strbuf_addstr(url, rc->url);
		while (url->len && url->buf[url->len - 1] == '/')
			strbuf_setlen(url, url->len - 1);
		if (gitlab) {
			strbuf_addstr(url, "/projects/");
			http_urlencode(url, rc->project);
			strbuf_addf(url, "/statuses/%s", commit);
		} else {
			strbuf_addf(url, "/repos/%s/statuses/%s", rc->repository, commit);
		}
		strbuf_addch(body, '{');
		kv(body, "state", state, true);
		kv(body, gitlab ? "name" : "context", ctx.buf, false);
		kv(body, "description", t.buf, false);
		if (rc->target_url)
			kv(body, "target_url", rc->target_url, false);
		strbuf_addch(body, '}');
	}
out:
	strbuf_release(&line);
	strbuf_release(&ctx);
	strbuf_release(&t);
	return ret;
}

/* ---- delivery ---- */

static int read_secret(const char *path, struct strbuf *out)
{
	int r = strbuf_read_file(out, path, NOTIFY_SECRET_MAX);

	if (r)
		return err_prefix(r, "cannot read the secret");
	strbuf_rtrim(out); /* the newline editors add */
	if (!out->len)
		return err_set(ERR_INVALID, "%s is empty", path);
	return 0;
}

/* The receiver's Retry-After in seconds (a number or an HTTP date); -1: none. */
static long retry_after(const struct http_response *res)
{
	struct strbuf v = STRBUF_INIT;
	long s = -1;

	if (!http_header_get(res, "retry-after", &v)) {
		char *end;
		long n = strtol(v.buf, &end, 10);
		if (v.len && !*end && n >= 0) {
			s = n;
		} else {
			time_t t = curl_getdate(v.buf, NULL);
			if (t != (time_t)-1)
				s = t > time(NULL) ? (long)(t - time(NULL)) : 0;
		}
	}
	err_clear();
	strbuf_release(&v);
	return s > NOTIFY_RETRY_AFTER_MAX ? NOTIFY_RETRY_AFTER_MAX : s;
}

/*
 * One attempt.  0: delivered; ERR_RETRY: try again (*wait_s the receiver's
 * Retry-After or -1); anything else: final, give the event up.
 */
static int deliver(struct receiver *rv, const struct notify_rec *r, long *wait_s)
{
	const struct agent_notify *rc = rv->rc;
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, secret = STRBUF_INIT;
	struct strbuf h[6];
	const char *headers[8];
	struct http_request req = { 0 };
	struct http_response res;
	size_t nh = 0, i;
	int ret;

	*wait_s = -1;
	http_response_init(&res);
	for (i = 0; i < ARRAY_SIZE(h); i++)
		strbuf_init(&h[i], 0);
	ret = notify_payload(rc, r, &url, &body);
	if (ret == ERR_NOTFOUND) {
		err_clear();
		ret = 1; /* nothing to send: done */
		goto out;
	}
	headers[nh++] = "Content-Type: application/json";
	strbuf_addstr(&h[0], "User-Agent: hoist-agent/" HOIST_VERSION);
	headers[nh++] = h[0].buf;
	if (!strcmp(rc->type, "webhook")) {
		char ts[32], sig[NOTIFY_SIG_SIZE];
		/* Signed when sent, not when queued: the receiver's replay window holds. */
		xsnprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
		/* A missing key is the operator's to fix: keep the event meanwhile. */
		if (read_secret(rc->secret_file, &secret)) {
			ret = err_prefix(ERR_RETRY, "%s", rc->name);
			goto out;
		}
		if ((ret = notify_sign(sig, secret.buf, secret.len, ts, body.buf, body.len)))
			goto out;
		strbuf_addf(&h[1], "X-Hoist-Event: %s", r->event);
		strbuf_addf(&h[2], "X-Hoist-Timestamp: %s", ts);
		strbuf_addf(&h[3], "X-Hoist-Signature: %s", sig);
		strbuf_addf(&h[4], "X-Hoist-Delivery: %s-%llu", rc->name, (unsigned long long)r->seq);
		for (i = 1; i <= 4; i++)
			headers[nh++] = h[i].buf;
	} else if (!strcmp(rc->type, "github") || !strcmp(rc->type, "gitlab")) {
		if (read_secret(rc->token_file, &secret)) {
			ret = err_prefix(ERR_RETRY, "%s", rc->name);
			goto out;
		}
		if (!strcmp(rc->type, "github")) {
			strbuf_addf(&h[1], "Authorization: Bearer %s", secret.buf);
			headers[nh++] = h[1].buf;
			headers[nh++] = "Accept: application/vnd.github+json";
			headers[nh++] = "X-GitHub-Api-Version: 2022-11-28";
		} else {
			strbuf_addf(&h[1], "PRIVATE-TOKEN: %s", secret.buf);
			headers[nh++] = h[1].buf;
		}
	}
	headers[nh] = NULL;
	req.method = "POST";
	req.url = url.buf;
	req.headers = headers;
	req.body = body.buf;
	req.body_len = body.len;
	req.limit = 64u << 10;
	req.allow_plain = true; /* the URL is the operator's choice, as written in agent.yaml */
	req.retry = false;      /* the queue retries, with its own backoff */
	req.timeout_ms = NOTIFY_TIMEOUT_MS;
	ret = http_do(&res, &req);
	if (ret && !res.status) {
		/* No answer: the receiver is down or unreachable. */
		ret = err_prefix(ERR_RETRY, "%s", rc->name);
		goto out;
	}
	err_clear(); /* an answer, whatever it is: judged below */
	if (res.status >= 200 && res.status < 300)
		goto out;
	if (res.status == 408 || res.status == 429 || res.status >= 500) {
		*wait_s = retry_after(&res);
		ret = err_set(ERR_RETRY, "%s: answered %ld", rc->name, res.status);
		goto out;
	}
	ret = err_set(ERR_GENERIC, "%s: refused the event with %ld: %.200s", rc->name, res.status,
		      res.body.buf ? res.body.buf : "");
out:
	for (i = 0; i < ARRAY_SIZE(h); i++)
		strbuf_release(&h[i]);
	/* The token or key does not linger in freed memory. */
	if (secret.buf)
		memset(secret.buf, 0, secret.len);
	strbuf_release(&secret);
	strbuf_release(&url);
	strbuf_release(&body);
	http_response_release(&res);
	return ret == 1 ? 0 : ret;
}

static bool should_exit(struct notify *n, struct receiver *rv)
{
	if (!n->stop)
		return false;
	return !nqueue_depth(rv->q) || http_now_ms() >= n->drain_until;
}

static void wait_until_ms(struct receiver *rv, int64_t until)
{
	struct timespec ts;
	int64_t now = http_now_ms();

	if (until <= now)
		return;
	/* The cv's clock is CLOCK_MONOTONIC, as http_now_ms is. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (until - now) / 1000;
	ts.tv_nsec += (long)((until - now) % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&rv->cv, &rv->n->mu, &ts);
}

static void *receiver_thread(void *arg)
{
	struct receiver *rv = arg;
	struct notify *n = rv->n;
	struct strbuf text = STRBUF_INIT;
	unsigned attempt = 0;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		struct notify_rec rec;
		uint64_t seq;
		long wait_s;
		int r;

		if (should_exit(n, rv))
			break;
		r = nqueue_peek(rv->q, &seq, &text);
		if (r == ERR_NOTFOUND) {
			err_clear();
			if (n->stop)
				break;
			pthread_cond_wait(&rv->cv, &n->mu);
			continue;
		}
		if (r) {
			agent_log("error", NULL, NULL, NULL, "notify-queue", "%s: %s", rv->rc->name,
				  err_msg());
			wait_until_ms(rv, http_now_ms() + 5000);
			continue;
		}
		pthread_mutex_unlock(&n->mu);
		r = notify_rec_parse(&rec, text.buf, text.len, "queued event");
		if (r) {
			agent_log("error", NULL, NULL, NULL, "notify-dropped",
				  "%s: event #%llu is damaged, dropped: %s", rv->rc->name,
				  (unsigned long long)seq, err_msg());
			err_clear();
			r = 0; /* acknowledged below: it can never be sent */
		} else {
			rec.seq = seq;
			r = deliver(rv, &rec, &wait_s);
		}
		pthread_mutex_lock(&n->mu);
		if (r == ERR_RETRY) {
			/* Full jitter over an exponential ceiling, or the receiver's word. */
			int64_t cap = (int64_t)NOTIFY_BACKOFF_BASE_MS << (attempt < 20 ? attempt : 20);
			int64_t max = (int64_t)rv->rc->max_backoff_s * 1000, delay, until;
			if (cap > max)
				cap = max;
			delay = wait_s >= 0 ? wait_s * 1000
					    : cap / 2 + (int64_t)(rand_r(&rv->seed) % (unsigned)(cap / 2 + 1));
			if (!attempt)
				agent_log("warn", rec.app, rec.digest, rec.revision, "notify-retry",
					  "%s; event #%llu stays queued (%zu queued)", err_msg(),
					  (unsigned long long)seq, nqueue_depth(rv->q));
			attempt++;
			err_clear();
			notify_rec_release(&rec);
			until = http_now_ms() + delay;
			if (n->stop && until > n->drain_until)
				until = n->drain_until;
			wait_until_ms(rv, until);
			continue;
		}
		if (r)
			agent_log("error", rec.app, rec.digest, rec.revision, "notify-failed",
				  "%s; event #%llu given up", err_msg(), (unsigned long long)seq);
		else if (attempt)
			agent_log("info", rec.app, rec.digest, rec.revision, "notify-delivered",
				  "%s: event #%llu delivered after %u attempts", rv->rc->name,
				  (unsigned long long)seq, attempt + 1);
		err_clear();
		notify_rec_release(&rec);
		attempt = 0;
		if (nqueue_ack(rv->q, seq)) {
			agent_log("error", NULL, NULL, NULL, "notify-queue", "%s: %s", rv->rc->name,
				  err_msg());
			err_clear();
			wait_until_ms(rv, http_now_ms() + 5000);
		}
	}
	pthread_mutex_unlock(&n->mu);
	strbuf_release(&text);
	return NULL;
}

/* ---- the agent's side ---- */

int notify_open(struct agent *ag)
{
	struct notify *n;
	struct strbuf dir = STRBUF_INIT;
	pthread_condattr_t ca;
	size_t i;
	int r = 0;

	ag->notify = NULL;
	if (!ag->cfg.nnotify)
		return 0;
	n = xcalloc(1, sizeof(*n));
	n->ag = ag;
	pthread_mutex_init(&n->mu, NULL);
	n->r = xcalloc(ag->cfg.nnotify, sizeof(*n->r));
	n->n = ag->cfg.nnotify;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	for (i = 0; i < n->n; i++) {
		struct receiver *rv = &n->r[i];
		rv->n = n;
		rv->rc = &ag->cfg.notify[i];
		rv->seed = (unsigned)time(NULL) ^ (unsigned)(i * 2654435761u);
		pthread_cond_init(&rv->cv, &ca);
		strbuf_reset(&dir);
		strbuf_addf(&dir, "%s/notify/%s", ag->cfg.state_dir, rv->rc->name);
		if (!r)
			r = nqueue_open(&rv->q, dir.buf, rv->rc->queue_max_n);
	}
	pthread_condattr_destroy(&ca);
	strbuf_release(&dir);
	ag->notify = n;
	if (r) {
		err_prefix(r, "notify");
		notify_close(ag, 0);
	}
	return r;
}

int notify_start(struct agent *ag)
{
	struct notify *n = ag->notify;
	size_t i;

	if (!n)
		return 0;
	for (i = 0; i < n->n; i++) {
		if (n->r[i].started)
			continue;
		if (pthread_create(&n->r[i].thread, NULL, receiver_thread, &n->r[i]))
			return err_set(ERR_GENERIC, "cannot start the thread of receiver %s",
				       n->r[i].rc->name);
		n->r[i].started = true;
	}
	return 0;
}

void notify_close(struct agent *ag, long drain_ms)
{
	struct notify *n = ag->notify;
	size_t i;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	n->drain_until = http_now_ms() + drain_ms;
	for (i = 0; i < n->n; i++)
		pthread_cond_signal(&n->r[i].cv);
	pthread_mutex_unlock(&n->mu);
	for (i = 0; i < n->n; i++) {
		if (n->r[i].started)
			pthread_join(n->r[i].thread, NULL);
		pthread_cond_destroy(&n->r[i].cv);
		nqueue_close(n->r[i].q);
	}
	pthread_mutex_destroy(&n->mu);
	free(n->r);
	free(n);
	ag->notify = NULL;
}

struct make_arg {
	const struct agent_event *ev;
	time_t when;
};

static void make_rec(struct strbuf *out, uint64_t seq, void *arg)
{
	struct make_arg *m = arg;
	struct notify_rec r = { 0 };

	r.seq = seq;
	r.time = m->when;
	/* Borrowed strings: formatted at once, never released. */
	r.event = (char *)agent_event_name(m->ev->type);
	r.app = (char *)m->ev->app;
	r.digest = m->ev->digest && *m->ev->digest ? (char *)m->ev->digest : NULL;
	r.revision = (char *)m->ev->revision;
	r.object = (char *)m->ev->object;
	r.message = (char *)m->ev->message;
	notify_rec_format(out, &r);
}

void notify_event(struct agent *ag, const struct agent_event *ev)
{
	struct notify *n = ag->notify;
	struct make_arg m = { ev, time(NULL) };
	struct strbuf dropped = STRBUF_INIT;
	size_t i;

	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	for (i = 0; i < n->n; i++) {
		struct receiver *rv = &n->r[i];
		struct notify_rec old;
		int r;

		if (!(rv->rc->events & (1u << ev->type)))
			continue;
		r = nqueue_push(rv->q, make_rec, &m, NULL, &dropped);
		if (r < 0) {
			agent_log("error", ev->app, ev->digest, ev->revision, "notify-lost",
				  "%s: cannot queue %s: %s", rv->rc->name, agent_event_name(ev->type),
				  err_msg());
			err_clear();
			continue;
		}
		if (r == 1) {
			n->dropped++;
			if (!notify_rec_parse(&old, dropped.buf, dropped.len, "dropped event")) {
				agent_log("warn", old.app, old.digest, old.revision, "notify-dropped",
					  "%s: queue full (%zu events): dropped the oldest, #%llu %s; "
					  "%llu dropped since start", rv->rc->name, rv->rc->queue_max_n,
					  (unsigned long long)old.seq, old.event,
					  (unsigned long long)n->dropped);
				notify_rec_release(&old);
			} else {
				err_clear();
				agent_log("warn", NULL, NULL, NULL, "notify-dropped",
					  "%s: queue full (%zu events): dropped the oldest; %llu dropped "
					  "since start", rv->rc->name, rv->rc->queue_max_n,
					  (unsigned long long)n->dropped);
			}
		}
		pthread_cond_signal(&rv->cv);
	}
	pthread_mutex_unlock(&n->mu);
	strbuf_release(&dropped);
}

size_t notify_queue_depth(struct agent *ag)
{
	struct notify *n = ag->notify;
	size_t i, d = 0;

	if (!n)
		return 0;
	pthread_mutex_lock(&n->mu);
	for (i = 0; i < n->n; i++)
		d += nqueue_depth(n->r[i].q);
	pthread_mutex_unlock(&n->mu);
	return d;
}

uint64_t notify_dropped(struct agent *ag)
{
	struct notify *n = ag->notify;
	uint64_t d;

	if (!n)
		return 0;
	pthread_mutex_lock(&n->mu);
	d = n->dropped;
	pthread_mutex_unlock(&n->mu);
	return d;
}
