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
#include <ctype.h>
#include <time.h>
#include <unistd.h>

#define APPEND_TRIES 5

void history_time(char *buf, size_t size, int64_t t)
{
	struct timespec now = { 0 };
	time_t tt;
	struct tm tm;
	size_t n;

	if (t >= 0) {
		tt = (time_t)t;
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		tt = now.tv_sec;
	}
	gmtime_r(&tt, &tm);
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	/* Now: with milliseconds, so two moves in one second keep their order. */
	if (t < 0)
		snprintf(buf + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
	else
		snprintf(buf + n, size - n, "Z");
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff...]Z" into seconds and milliseconds. */
static int parse_time_ms(const char *s, int64_t *sec, long *ms)
{
	struct tm tm;
	char *end;
	long frac = 0, scale = 100;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.') {
		if (!isdigit((unsigned char)end[1]))
			return -1;
		for (end++; isdigit((unsigned char)*end); end++, scale /= 10)
			frac += scale ? (*end - '0') * scale : 0;
	}
	if (strcmp(end, "Z"))
		return -1;
	*sec = (int64_t)timegm(&tm);
	*ms = frac;
	return 0;
}

int64_t history_parse_time(const char *s)
{
	int64_t sec;
	long ms;

	return parse_time_ms(s, &sec, &ms) ? -1 : sec;
}

int history_time_cmp(const char *a, const char *b)
{
	int64_t sa, sb;
	long ma, mb;
	bool ga = !parse_time_ms(a, &sa, &ma), gb = !parse_time_ms(b, &sb, &mb);

	if (!ga || !gb)
		return ga == gb ? strcmp(a, b) : ga ? 1 : -1; /* unreadable ones first */
	if (sa != sb)
		return sa < sb ? -1 : 1;
	return ma < mb ? -1 : ma > mb;
}

/*
 * A record is an OCI 1.1 artifact with no blob of its own: its fields are
 * the manifest's annotations, and its config is the empty descriptor,
 * whose blob ("{}") every hoist artifact already has in the repository.
 * One manifest PUT per record, one GET to read it back.  Records written
 * before (the fields as a config blob of type HISTORY_MEDIA) still read.
 */
#define HISTORY_ANN "dev.hoist.history."
#define EMPTY_MEDIA "application/vnd.oci.empty.v1+json"
#define EMPTY_JSON "{}"

static void ann(struct strbuf *sb, const char *k, const char *v, bool comma)
{
	strbuf_addf(sb, "\"" HISTORY_ANN "%s\":", k);
	strbuf_add_json_str(sb, v ? v : "", v ? strlen(v) : 0);
	if (comma)
		strbuf_addch(sb, ',');
}

static void record_manifest(struct strbuf *sb, const struct history_move *m, const char *from,
			    const char *when, const char *previous, const char *empty)
{
	strbuf_addf(sb,
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"artifactType\":\"%s\","
		    "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
		    "\"layers\":[],\"annotations\":{",
		    OCI_MEDIA_MANIFEST, HISTORY_MEDIA, EMPTY_MEDIA, empty, strlen(EMPTY_JSON));
	ann(sb, "actor", m->actor, true);
	ann(sb, "commit", m->commit, true);
	ann(sb, "environment", m->environment, true);
	ann(sb, "from", from, true);
	ann(sb, "previous", previous, true);
	ann(sb, "time", when, true);
	ann(sb, "to", m->to, true);
	ann(sb, "version", m->version, false);
	strbuf_addstr(sb, "}}");
}

static void history_tag(char *out, size_t size, const char *env)
{
	snprintf(out, size, "%s%s", HISTORY_TAG_PREFIX, env);
}

/* Appends one record on top of the current head; `self` gets its digest. */
static int append_once(struct oci_store *s, const struct history_move *m, const char *from,
		       const char *when, const char *empty, char self[DIGEST_STR_SIZE])
{
	struct strbuf man = STRBUF_INIT;
	char tag[160], head[DIGEST_STR_SIZE] = "";
	int r;

	history_tag(tag, sizeof(tag), m->environment);
	r = oci_resolve(s, tag, head);
	if (r == ERR_NOTFOUND) {
		head[0] = '\0';
		r = 0;
	}
	if (r)
		goto out;
	record_manifest(&man, m, from, when, head, empty);
	r = oci_manifest_put(s, tag, OCI_MEDIA_MANIFEST, man.buf, man.len, self);
out:
	strbuf_release(&man);
	return r;
}

/*
 * Makes sure the repository has the empty blob a record's config names.
 * `man` is the manifest the environment tag was just given: a hoist
 * artifact's config is that very blob, so the registry holds it already
 * and no request is needed.
 */
static int ensure_empty(struct oci_store *s, const struct strbuf *man, char empty[DIGEST_STR_SIZE])
{
	struct doc_stream *ds = NULL;
	const char *cfg = NULL;
	bool skipped;
	int r;

	r = digest_sha256(empty, EMPTY_JSON, strlen(EMPTY_JSON));
	if (r)
		return r;
	if (!doc_parse(&ds, man->buf, man->len, "manifest", NULL) && ds->ndocs)
		cfg = doc_get_str(ds->docs[0], "config", "digest", NULL);
	if (cfg && !strcmp(cfg, empty)) {
		doc_stream_free(ds);
		return 0;
	}
	doc_stream_free(ds);
	err_clear();
	return oci_blob_ensure(s, EMPTY_JSON, strlen(EMPTY_JSON), empty, &skipped);
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
	char got[DIGEST_STR_SIZE], self[DIGEST_STR_SIZE], when[32], empty[DIGEST_STR_SIZE];
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
		/* Checked before anything is written: the tag never names other bytes. */
		r = digest_sha256(got, m->manifest, m->manifest_len);
		if (!r && strcmp(got, m->to))
			r = err_set(ERR_VERIFY, "%s: the manifest given is %s, not %s",
				    m->environment, got, m->to);
		if (r)
			goto out;
		strbuf_add(&man, m->manifest, m->manifest_len);
		strbuf_addstr(&mt, m->media_type ? m->media_type : OCI_MEDIA_MANIFEST);
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
	r = ensure_empty(s, &man, empty);
	if (r)
		goto record_failed;
	history_time(when, sizeof(when), -1);
	for (tries = 0; tries < APPEND_TRIES; tries++) {
		bool found;

		r = append_once(s, m, from, when, empty, self);
		if (r)
			break;
		/* A racing writer may have replaced the head we linked to. */
		r = chain_has(s, m->environment, self, &found);
		if (r || found)
			break;
		log_warn("history of %s: a concurrent move replaced our record; appending it again",
			 m->environment);
	}
record_failed:
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

static char *dup_ann(const struct doc_node *root, const char *key)
{
	char k[64];
	const char *v;

	snprintf(k, sizeof(k), HISTORY_ANN "%s", key);
	v = doc_get_str(root, "annotations", k, NULL);
	return xstrdup(v ? v : "");
}

static int read_record(struct oci_store *s, const char *digest, struct history_record *out)
{
	struct strbuf man = STRBUF_INIT, mt = STRBUF_INIT, blob = STRBUF_INIT;
	struct doc_stream *ds = NULL, *rs = NULL;
	char got[DIGEST_STR_SIZE];
	const char *cfg, *ctype, *atype, *to;
	const struct doc_node *root;
	char *(*field)(const struct doc_node *, const char *) = dup_field;
	int r;

	memset(out, 0, sizeof(*out));
	r = oci_manifest_get(s, &man, &mt, digest, got);
	if (r)
		goto out;
	r = doc_parse(&ds, man.buf, man.len, digest, NULL);
	if (r)
		goto out;
	root = ds->ndocs ? ds->docs[0] : NULL;
	cfg = root ? doc_get_str(root, "config", "digest", NULL) : NULL;
	ctype = root ? doc_get_str(root, "config", "mediaType", NULL) : NULL;
	atype = root ? doc_get_str(root, "artifactType", NULL) : NULL;
	to = root ? doc_get_str(root, "annotations", HISTORY_ANN "to", NULL) : NULL;
	if (atype && !strcmp(atype, HISTORY_MEDIA) && to) {
		field = dup_ann; /* the fields are the annotations */
	} else if (cfg && ctype && !strcmp(ctype, HISTORY_MEDIA)) {
		/* A record of the first format: the fields are a config blob. */
		r = oci_blob_get(s, &blob, cfg, 1u << 16);
		if (r)
			goto out;
		r = doc_parse(&rs, blob.buf, blob.len, cfg, NULL);
		if (r || !rs->ndocs) {
			r = r ? r : err_set(ERR_INVALID, "%s: empty history record", digest);
			goto out;
		}
		root = rs->docs[0];
	} else {
		r = err_set(ERR_INVALID, "%s is not a hoist history record", digest);
		goto out;
	}
	out->environment = field(root, "environment");
	out->actor = field(root, "actor");
	out->from = field(root, "from");
	out->to = field(root, "to");
	out->time = field(root, "time");
	out->commit = field(root, "commit");
	out->version = field(root, "version");
	out->previous = field(root, "previous");
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
