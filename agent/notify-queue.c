/*
 * notify-queue.c - the on-disk event queue of one receiver, the queue
 * file's format and the webhook signature.  See notify.h.
 */
#include "core/compat.h"
#include "agent/notify.h"
#include "agent/event.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#define NQ_FILE_MAX (64u << 10) /* one event; messages are one line */
#define NQ_STR_MAX 8192         /* one field of it */
#define NQ_SUFFIX ".ev"

struct nqueue {
	char *dir;
	size_t max;
	uint64_t head;      /* the oldest sequence possibly queued */
	uint64_t next;      /* the sequence the next event gets */
	uint64_t delivered; /* as recorded in DIR/delivered */
};

/* ---- the record ---- */

void notify_rec_release(struct notify_rec *r)
{
	free(r->event);
	free(r->app);
	free(r->digest);
	free(r->revision);
	free(r->object);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

static void kv(struct strbuf *sb, const char *k, const char *v)
{
	strbuf_addf(sb, ",\"%s\":", k);
	if (v)
		strbuf_add_json_str(sb, v, strlen(v));
	else
		strbuf_addstr(sb, "null");
}

void notify_rec_format(struct strbuf *out, const struct notify_rec *r)
{
	strbuf_addf(out, "{\"seq\":%llu,\"time\":%lld", (unsigned long long)r->seq,
		    (long long)r->time);
	kv(out, "event", r->event);
	kv(out, "app", r->app);
	kv(out, "digest", r->digest);
	kv(out, "revision", r->revision);
	kv(out, "object", r->object);
	kv(out, "message", r->message);
	strbuf_addstr(out, "}\n");
}

static int rec_str(char **out, const struct doc_node *root, const char *key, const char *what)
{
	const struct doc_node *v = doc_map_get(root, key);
	struct doc_value dv;

	if (!v)
		return 0;
	if (v->kind != DOC_SCALAR)
		return err_set(ERR_INVALID, "%s: '%s' must be a string", what, key);
	if (!doc_resolve(v, &dv) && dv.type == DOC_T_NULL)
		return 0;
	err_clear();
	if (strlen(v->str) > NQ_STR_MAX)
		return err_set(ERR_INVALID, "%s: '%s' is longer than %u bytes", what, key, NQ_STR_MAX);
	*out = xstrdup(v->str);
	return 0;
}

static int rec_num(int64_t *out, const struct doc_node *root, const char *key, const char *what)
{
	const struct doc_node *v = doc_map_get(root, key);
	struct doc_value dv;

	if (!v || v->kind != DOC_SCALAR || doc_resolve(v, &dv) || dv.type != DOC_T_INT ||
	    dv.i < 0) {
		err_clear();
		return err_set(ERR_INVALID, "%s: '%s' must be a non-negative number", what, key);
	}
	*out = dv.i;
	return 0;
}

int notify_rec_parse(struct notify_rec *r, const char *buf, size_t len, const char *what)
{
	struct doc_stream *s = NULL;
	const struct doc_node *root;
	int64_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len > NQ_FILE_MAX)
		return err_set(ERR_INVALID, "%s: larger than %u bytes", what, NQ_FILE_MAX);
	if (!utf8_is_valid(buf, len))
		return err_set(ERR_INVALID, "%s: not UTF-8", what);
	rc = doc_parse(&s, buf, len, what, NULL);
	if (rc)
		goto out;
	if (s->ndocs != 1 || s->docs[0]->kind != DOC_MAP) {
		rc = err_set(ERR_INVALID, "%s: not one JSON object", what);
		goto out;
	}
	root = s->docs[0];
	if ((rc = rec_num(&n, root, "seq", what)))
		goto out;
	r->seq = (uint64_t)n;
	if ((rc = rec_num(&n, root, "time", what)))
		goto out;
	r->time = (time_t)n;
	if ((rc = rec_str(&r->event, root, "event", what)) ||
	    (rc = rec_str(&r->app, root, "app", what)) ||
	    (rc = rec_str(&r->digest, root, "digest", what)) ||
	    (rc = rec_str(&r->revision, root, "revision", what)) ||
	    (rc = rec_str(&r->object, root, "object", what)) ||
	    (rc = rec_str(&r->message, root, "message", what)))
		goto out;
	if (!r->event || agent_event_parse(r->event) < 0)
		rc = err_set(ERR_INVALID, "%s: 'event' is not an event name", what);
out:
	doc_stream_free(s);
	if (rc)
		notify_rec_release(r);
	return rc;
}

/* ---- the signature ---- */

int notify_sign(char out[NOTIFY_SIG_SIZE], const void *key, size_t keylen, const char *timestamp,
		const void *body, size_t body_len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	struct strbuf msg = STRBUF_INIT;
	int r = 0;

	strbuf_addstr(&msg, timestamp);
	strbuf_addch(&msg, '.');
	strbuf_add(&msg, body, body_len);
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg.buf, msg.len, mac,
		  &maclen) || maclen != 32) {
		r = err_set(ERR_GENERIC, "HMAC-SHA256 failed");
		goto out;
	}
	memcpy(out, "sha256=", 7);
	for (i = 0; i < maclen; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 15];
	}
	out[7 + 64] = '\0';
out:
	strbuf_release(&msg);
	return r;
}

/* ---- the queue ---- */

static void seq_path(struct strbuf *out, const struct nqueue *q, uint64_t seq)
{
	strbuf_addf(out, "%s/%020llu" NQ_SUFFIX, q->dir, (unsigned long long)seq);
}

/* A sequence from a queue file's name; false for anything else. */
static bool seq_from_name(const char *name, uint64_t *seq)
{
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(name[i] - '0');
	}
	if (strcmp(name + 20, NQ_SUFFIX))
		return false;
	*seq = v;
	return true;
}

/* Writes `path` durably: temporary file, fsync, rename, fsync of the folder. */
static int write_durable(const char *dir, const char *path, const void *data, size_t len)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *p = data;
	int fd, dfd, r = 0;

	strbuf_addf(&tmp, "%s.tmp", path);
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = err_set(ERR_GENERIC, "cannot create %s: %s", tmp.buf, strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = err_set(ERR_GENERIC, "cannot write %s: %s", tmp.buf, strerror(errno));
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	if (!r && fsync(fd) < 0)
		r = err_set(ERR_GENERIC, "cannot sync %s: %s", tmp.buf, strerror(errno));
	if (close(fd) < 0 && !r)
		r = err_set(ERR_GENERIC, "cannot write %s: %s", tmp.buf, strerror(errno));
	if (!r && rename(tmp.buf, path) < 0)
		r = err_set(ERR_GENERIC, "cannot rename %s: %s", tmp.buf, strerror(errno));
	if (r) {
		unlink(tmp.buf);
		goto out;
	}
	/* The rename itself must survive a crash too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	strbuf_release(&tmp);
	return r;
}

static int mkdirs(const char *dir)
{
	struct strbuf sb = STRBUF_INIT;
	char *p;
	int r = 0;

	strbuf_addstr(&sb, dir);
	for (p = sb.buf + 1;; p++) {
		if (*p == '/' || !*p) {
			char c = *p;
			*p = '\0';
			if (mkdir(sb.buf, 0700) && errno != EEXIST) {
				r = err_set(ERR_GENERIC, "cannot create %s: %s", sb.buf,
					    strerror(errno));
				break;
			}
			*p = c;
			if (!c)
				break;
		}
	}
	strbuf_release(&sb);
	return r;
}

int nqueue_open(struct nqueue **out, const char *dir, size_t max)
{
	struct nqueue *q = xcalloc(1, sizeof(*q));
	struct strbuf path = STRBUF_INIT, sb = STRBUF_INIT;
	uint64_t lo = UINT64_MAX, hi = 0, seq;
	struct dirent *de;
	DIR *d = NULL;
	int r;

	*out = NULL;
	q->dir = xstrdup(dir);
	q->max = max ? max : 1;
	r = mkdirs(dir);
	if (r)
		goto fail;
	strbuf_addf(&path, "%s/delivered", dir);
	r = strbuf_read_file(&sb, path.buf, 64);
	if (r == ERR_NOTFOUND) {
		err_clear();
		r = 0;
	} else if (r) {
		goto fail;
	} else {
		char *end;
		unsigned long long v;
		strbuf_rtrim(&sb);
		errno = 0;
		v = strtoull(sb.buf, &end, 10);
		if (!sb.len || *end || errno) {
			r = err_set(ERR_INVALID, "%s: not a sequence number", path.buf);
			goto fail;
		}
		q->delivered = v;
	}
	d = opendir(dir);
	if (!d) {
		r = err_set(ERR_GENERIC, "cannot read %s: %s", dir, strerror(errno));
		goto fail;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && !strcmp(de->d_name + n - 4, ".tmp")) {
			/* A write that did not finish: the event was never queued. */
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s", dir, de->d_name);
			unlink(path.buf);
			continue;
		}
		if (!seq_from_name(de->d_name, &seq))
			continue;
		if (seq <= q->delivered) {
			/* Delivered; the agent stopped before removing it. */
			strbuf_reset(&path);
			seq_path(&path, q, seq);
			unlink(path.buf);
			continue;
		}
		if (seq < lo)
			lo = seq;
		if (seq > hi)
			hi = seq;
	}
	q->head = lo == UINT64_MAX ? q->delivered + 1 : lo;
	q->next = lo == UINT64_MAX ? q->delivered + 1 : hi + 1;
	*out = q;
	goto out;
fail:
	nqueue_close(q);
out:
	if (d)
		closedir(d);
	strbuf_release(&path);
	strbuf_release(&sb);
	return r;
}

void nqueue_close(struct nqueue *q)
{
	if (!q)
		return;
	free(q->dir);
	free(q);
}

size_t nqueue_depth(const struct nqueue *q)
{
	return (size_t)(q->next - q->head);
}

uint64_t nqueue_delivered(const struct nqueue *q)
{
	return q->delivered;
}

int nqueue_push(struct nqueue *q, void (*make)(struct strbuf *, uint64_t, void *), void *arg,
		uint64_t *seq, struct strbuf *dropped)
{
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	int r, was_full = 0;

	if (nqueue_depth(q) >= q->max) {
		seq_path(&path, q, q->head);
		if (dropped) {
			strbuf_reset(dropped);
			if (strbuf_read_file(dropped, path.buf, NQ_FILE_MAX))
				err_clear();
		}
		unlink(path.buf);
		q->head++;
		was_full = 1;
		strbuf_reset(&path);
	}
	make(&text, q->next, arg);
	seq_path(&path, q, q->next);
	r = write_durable(q->dir, path.buf, text.buf, text.len);
	if (!r) {
		if (seq)
			*seq = q->next;
		q->next++;
		r = was_full;
	}
	strbuf_release(&path);
	strbuf_release(&text);
	return r;
}

int nqueue_peek(struct nqueue *q, uint64_t *seq, struct strbuf *text)
{
	struct strbuf path = STRBUF_INIT;
	int r = ERR_NOTFOUND;

	/* A file missing from the range (removed by hand) is skipped. */
	while (q->head < q->next) {
		strbuf_reset(&path);
		seq_path(&path, q, q->head);
		strbuf_reset(text);
		r = strbuf_read_file(text, path.buf, NQ_FILE_MAX);
		if (r != ERR_NOTFOUND)
			break;
		err_clear();
		q->head++;
		r = ERR_NOTFOUND;
	}
	if (r == ERR_TOOBIG) {
		/* Not ours: hand it on as text the parser refuses, so it is given up. */
		err_clear();
		strbuf_reset(text);
		r = 0;
	}
	if (!r)
		*seq = q->head;
	strbuf_release(&path);
	return r == ERR_NOTFOUND ? ERR_NOTFOUND : r;
}

int nqueue_ack(struct nqueue *q, uint64_t seq)
{
	struct strbuf path = STRBUF_INIT, num = STRBUF_INIT;
	int r = 0;

	if (seq > q->delivered) {
		strbuf_addf(&path, "%s/delivered", q->dir);
		strbuf_addf(&num, "%llu\n", (unsigned long long)seq);
		r = write_durable(q->dir, path.buf, num.buf, num.len);
		if (r)
			goto out;
		q->delivered = seq;
	}
	strbuf_reset(&path);
	seq_path(&path, q, seq);
	unlink(path.buf);
	if (q->head <= seq)
		q->head = seq + 1;
out:
	strbuf_release(&path);
	strbuf_release(&num);
	return r;
}
