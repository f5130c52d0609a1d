/*
 * history.c - environment tag moves and their records.  See history.h.
 */
#include "core/compat.h"
#include "oci/history.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/log.h"
#include "oci/oci.h"
#include "core/strbuf.h"
#include <time.h>
#include <unistd.h>

#define APPEND_TRIES 5

void history_time(char *buf, size_t size, int64_t t)
{
	time_t tt = t >= 0 ? (time_t)t : time(NULL);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t history_parse_time(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end)
		return -1;
	return (int64_t)timegm(&tm);
}

static void kv(struct strbuf *sb, const char *k, const char *v, bool comma)
{
	strbuf_add_json_str(sb, k, strlen(k));
	strbuf_addch(sb, ':');
	strbuf_add_json_str(sb, v ? v : "", v ? strlen(v) : 0);
	if (comma)
		strbuf_addch(sb, ',');
}

static void record_json(struct strbuf *sb, const struct history_move *m, const char *from,
			const char *when, const char *previous)
{
	strbuf_addch(sb, '{');
	kv(sb, "actor", m->actor, true);
	kv(sb, "commit", m->commit, true);
	kv(sb, "environment", m->environment, true);
	kv(sb, "from", from, true);
	kv(sb, "previous", previous, true);
	kv(sb, "time", when, true);
	kv(sb, "to", m->to, true);
	kv(sb, "version", m->version, false);
	strbuf_addstr(sb, "}\n");
}

static void history_tag(char *out, size_t size, const char *env)
{
	snprintf(out, size, "%s%s", HISTORY_TAG_PREFIX, env);
}

/* Appends one record on top of the current head; `self` gets its digest. */
static int append_once(struct oci_store *s, const struct history_move *m, const char *from,
		       const char *when, char self[DIGEST_STR_SIZE])
{
	struct strbuf rec = STRBUF_INIT, man = STRBUF_INIT;
	char tag[160], head[DIGEST_STR_SIZE] = "", cdigest[DIGEST_STR_SIZE];
	int r;

	history_tag(tag, sizeof(tag), m->environment);
	r = oci_resolve(s, tag, head);
	if (r == ERR_NOTFOUND) {
		head[0] = '\0';
		r = 0;
	}
	if (r)
		goto out;
	record_json(&rec, m, from, when, head);
	r = oci_blob_put(s, rec.buf, rec.len, cdigest);
	if (r)
		goto out;
	strbuf_addf(&man,
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\","
		    "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[],"
		    "\"annotations\":{\"dev.hoist.history.environment\":",
		    OCI_MEDIA_MANIFEST, HISTORY_MEDIA, HISTORY_MEDIA, cdigest, rec.len);
	strbuf_add_json_str(&man, m->environment, strlen(m->environment));
	strbuf_addstr(&man, "}}");
	r = oci_manifest_put(s, tag, OCI_MEDIA_MANIFEST, man.buf, man.len, self);
out:
	strbuf_release(&rec);
	strbuf_release(&man);
	return r;
}

static int read_record(struct oci_store *s, const char *digest, struct history_record *out);

/*
 * Whether the chain from the current head reaches `self` within a few
 * steps.  Almost always the head is `self` (one HEAD request); only when a
 * racing writer appended on top are records read, newest first, and a
 * record we wrote moments ago is never far down.
 */
#define CHAIN_LOOK_BACK 16
static int chain_has(struct oci_store *s, const char *env, const char *self, bool *found)
{
	char tag[160], next[DIGEST_STR_SIZE];
	struct history_record rec;
	int r, steps;

	*found = false;
	history_tag(tag, sizeof(tag), env);
	r = oci_resolve(s, tag, next);
	if (r == ERR_NOTFOUND)
		return 0;
	for (steps = 0; !r && next[0] && steps < CHAIN_LOOK_BACK; steps++) {
		if (!strcmp(next, self)) {
			*found = true;
			break;
		}
		r = read_record(s, next, &rec);
		if (r)
			break;
		snprintf(next, sizeof(next), "%s", rec.previous);
		history_record_release(&rec);
	}
	return r;
}

int history_move_tag(struct oci_store *s, const struct history_move *m,
		     char from[DIGEST_STR_SIZE])
{
	struct strbuf man = STRBUF_INIT, mt = STRBUF_INIT;
	char got[DIGEST_STR_SIZE], self[DIGEST_STR_SIZE], when[32];
	int r, tries;

	from[0] = '\0';
	if (m->from_known) {
		snprintf(from, DIGEST_STR_SIZE, "%s", m->from_known);
		r = 0;
	} else {
		r = oci_resolve(s, m->environment, from);
	}
	if (r == ERR_NOTFOUND) {
		from[0] = '\0';
		r = 0;
	}
	if (r)
		goto out;
	if (!strcmp(from, m->to))
		goto out; /* already there: no move, no record */
	if (m->manifest) {
		strbuf_add(&man, m->manifest, m->manifest_len);
		strbuf_addstr(&mt, m->media_type ? m->media_type : OCI_MEDIA_MANIFEST);
		snprintf(got, sizeof(got), "%s", m->to);
	} else {
		r = oci_manifest_get(s, &man, &mt, m->to, got);
		if (r)
			goto out;
	}
	r = oci_manifest_put(s, m->environment, mt.len ? mt.buf : OCI_MEDIA_MANIFEST, man.buf,
			     man.len, got);
	if (r)
		goto out;
	if (strcmp(got, m->to)) {
		r = err_set(ERR_VERIFY, "%s: the manifest stored is %s, not %s", m->environment, got,
			    m->to);
		goto out;
	}
	history_time(when, sizeof(when), -1);
	for (tries = 0; tries < APPEND_TRIES; tries++) {
		bool found;

		r = append_once(s, m, from, when, self);
		if (r)
			break;
		/* A racing writer may have replaced the head we linked to. */
		r = chain_has(s, m->environment, self, &found);
		if (r || found)
			break;
		log_warn("history of %s: a concurrent move replaced our record; appending it again",
			 m->environment);
	}
	if (r)
		err_prefix(r, "%s moved to %s, but its history record was not written",
			   m->environment, m->to);
out:
	strbuf_release(&man);
	strbuf_release(&mt);
	return r;
}

static char *dup_field(const struct doc_node *root, const char *key)
{
	const char *v = doc_get_str(root, key, NULL);
	return xstrdup(v ? v : "");
}

static int read_record(struct oci_store *s, const char *digest, struct history_record *out)
{
	struct strbuf man = STRBUF_INIT, mt = STRBUF_INIT, blob = STRBUF_INIT;
	struct doc_stream *ds = NULL, *rs = NULL;
	char got[DIGEST_STR_SIZE];
	const char *cfg, *ctype;
	int r;

	memset(out, 0, sizeof(*out));
	r = oci_manifest_get(s, &man, &mt, digest, got);
	if (r)
		goto out;
	r = doc_parse(&ds, man.buf, man.len, digest, NULL);
	if (r)
		goto out;
	cfg = ds->ndocs ? doc_get_str(ds->docs[0], "config", "digest", NULL) : NULL;
	ctype = ds->ndocs ? doc_get_str(ds->docs[0], "config", "mediaType", NULL) : NULL;
	if (!cfg || !ctype || strcmp(ctype, HISTORY_MEDIA)) {
		r = err_set(ERR_INVALID, "%s is not a hoist history record", digest);
		goto out;
	}
	r = oci_blob_get(s, &blob, cfg, 1u << 16);
	if (r)
		goto out;
	r = doc_parse(&rs, blob.buf, blob.len, cfg, NULL);
	if (r || !rs->ndocs) {
		r = r ? r : err_set(ERR_INVALID, "%s: empty history record", digest);
		goto out;
	}
	out->environment = dup_field(rs->docs[0], "environment");
	out->actor = dup_field(rs->docs[0], "actor");
	out->from = dup_field(rs->docs[0], "from");
	out->to = dup_field(rs->docs[0], "to");
	out->time = dup_field(rs->docs[0], "time");
	out->commit = dup_field(rs->docs[0], "commit");
	out->version = dup_field(rs->docs[0], "version");
	out->previous = dup_field(rs->docs[0], "previous");
	snprintf(out->self, sizeof(out->self), "%s", got);
out:
	doc_stream_free(ds);
	doc_stream_free(rs);
	strbuf_release(&man);
	strbuf_release(&mt);
	strbuf_release(&blob);
	return r;
}

void history_record_release(struct history_record *h)
{
	free(h->environment);
	free(h->actor);
	free(h->from);
	free(h->to);
	free(h->time);
	free(h->commit);
	free(h->version);
	free(h->previous);
}

void history_records_free(struct history_record *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		history_record_release(&v[i]);
	free(v);
}

int history_list(struct oci_store *s, const char *env, struct history_record **out,
		 size_t *n, size_t max)
{
	struct history_record *v = NULL;
	size_t alloc = 0;
	char tag[160], next[DIGEST_STR_SIZE];
	int r;

	*out = NULL;
	*n = 0;
	if (!max || max > HISTORY_MAX)
		max = HISTORY_MAX;
	history_tag(tag, sizeof(tag), env);
	r = oci_resolve(s, tag, next);
	if (r == ERR_NOTFOUND)
		return 0;
	while (!r && next[0] && *n < max) {
		ALLOC_GROW(v, *n + 1, alloc);
		r = read_record(s, next, &v[*n]);
		if (r)
			break;
		snprintf(next, sizeof(next), "%s", v[*n].previous);
		(*n)++;
	}
	if (r) {
		history_records_free(v, *n);
		*n = 0;
		return r;
	}
	*out = v;
	return 0;
}
