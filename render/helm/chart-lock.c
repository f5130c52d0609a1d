/*
 * chart-lock.c - Chart.lock's own digest, as `helm dependency build` checks it.
 *
 * Helm refuses to build a chart's dependencies from a Chart.lock that no
 * longer matches Chart.yaml ("the lock file (Chart.lock) is out of sync
 * with the dependencies file (Chart.yaml)").  The lock's `digest:` is
 * "sha256:" over Go's json.Marshal of the pair [Chart.yaml's dependencies,
 * Chart.lock's dependencies], each a list of Helm's chart.Dependency:
 * fields in the struct's order (name, version, repository, condition,
 * tags, enabled, import-values, alias), empty ones omitted except name and
 * repository, strings escaped as encoding/json escapes them.  Checked
 * against the digests of Chart.lock files written by Helm itself.
 */
#include "core/compat.h"
#include "render/helm/chart-repo.h"
#include "core/digest.h"
#include "model/doc.h"
#include "core/err.h"
#include "core/strbuf.h"

#include <inttypes.h>

/* A string as Go's encoding/json writes it (HTML-safe escaping on). */
static void json_str(struct strbuf *sb, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	strbuf_addch(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			strbuf_addch(sb, '\\');
			strbuf_addch(sb, (char)ch);
		} else if (ch == '\n') {
			strbuf_addstr(sb, "\\n");
		} else if (ch == '\r') {
			strbuf_addstr(sb, "\\r");
		} else if (ch == '\t') {
			strbuf_addstr(sb, "\\t");
		} else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') {
			strbuf_addstr(sb, "\\u00");
			strbuf_addch(sb, hex[ch >> 4]);
			strbuf_addch(sb, hex[ch & 15]);
		} else if (ch == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
			   ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)) {
			/* U+2028 and U+2029, which JavaScript reads as line ends. */
			strbuf_addstr(sb, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
			i += 2;
		} else {
			strbuf_addch(sb, (char)ch);
		}
	}
	strbuf_addch(sb, '"');
}

/* A free-form value (import-values) as Go marshals the interface{} Helm decoded. */
static int json_any(struct strbuf *sb, const struct doc_node *n, unsigned depth)
{
	struct doc_value v;
	size_t i, j, *order = NULL;

	if (depth > 32)
		return err_set(ERR_TOOBIG, "Chart.yaml: import-values nested too deeply");
	if (n->kind == DOC_SEQ) {
		strbuf_addch(sb, '[');
		for (i = 0; i < n->n; i++) {
			if (i)
				strbuf_addch(sb, ',');
			if (json_any(sb, n->kids[i], depth + 1))
				return ERR_INVALID;
		}
		strbuf_addch(sb, ']');
		return 0;
	}
	if (n->kind == DOC_MAP) {
		/* Go marshals a map with its keys sorted. */
		order = xmalloc((n->n ? n->n : 1) * sizeof(*order));
		for (i = 0; i < n->n; i++) {
			for (j = i; j > 0 && strcmp(n->kids[2 * order[j - 1]]->str, n->kids[2 * i]->str) > 0; j--)
				order[j] = order[j - 1];
			order[j] = i;
		}
		strbuf_addch(sb, '{');
		for (i = 0; i < n->n; i++) {
			const struct doc_node *k = n->kids[2 * order[i]];

			if (i)
				strbuf_addch(sb, ',');
			json_str(sb, k->str, k->len);
			strbuf_addch(sb, ':');
			if (json_any(sb, n->kids[2 * order[i] + 1], depth + 1)) {
				free(order);
				return ERR_INVALID;
			}
		}
		strbuf_addch(sb, '}');
		free(order);
		return 0;
	}
	if (doc_resolve(n, &v)) {
		json_str(sb, n->str, n->len);
		return 0;
	}
	switch (v.type) {
	case DOC_T_NULL: strbuf_addstr(sb, "null"); break;
	case DOC_T_BOOL: strbuf_addstr(sb, v.b ? "true" : "false"); break;
	case DOC_T_INT: strbuf_addf(sb, "%" PRId64, v.i); break;
	case DOC_T_UINT: strbuf_addf(sb, "%" PRIu64, v.u); break;
	default: json_str(sb, n->str, n->len); break;
	}
	return 0;
}

/*
 * NEEDSWORK: Helm decodes Chart.yaml with a typed target, so an unquoted
 * number in a string field is Go's text of it (`version: 1.10` is "1.1");
 * the text as written is used here, which differs only for such numbers.
 */
static void json_field_str(struct strbuf *sb, const char *name, const struct doc_node *dep,
			   bool always)
{
	const struct doc_node *v = doc_map_get(dep, name);
	const char *s = v && v->kind == DOC_SCALAR ? v->str : "";
	size_t len = v && v->kind == DOC_SCALAR ? v->len : 0;
	struct doc_value dv;

	/* A null is Go's empty string. */
	if (v && v->kind == DOC_SCALAR && !v->tag && !doc_resolve(v, &dv) && dv.type == DOC_T_NULL)
		len = 0;
	if (!len && !always)
		return;
	strbuf_addf(sb, "%s\"%s\":", sb->buf[sb->len - 1] == '{' ? "" : ",", name);
	json_str(sb, s, len);
}

static int json_deps(struct strbuf *sb, const struct doc_node *deps)
{
	size_t i, k;

	strbuf_addch(sb, '[');
	for (i = 0; deps && deps->kind == DOC_SEQ && i < deps->n; i++) {
		const struct doc_node *d = deps->kids[i], *tags, *en, *iv;
		struct doc_value v;

		if (i)
			strbuf_addch(sb, ',');
		if (d->kind != DOC_MAP) {
			strbuf_addstr(sb, "null");
			continue;
		}
		strbuf_addch(sb, '{');
		json_field_str(sb, "name", d, true);
		json_field_str(sb, "version", d, false);
		json_field_str(sb, "repository", d, true);
		json_field_str(sb, "condition", d, false);
		tags = doc_map_get(d, "tags");
		if (tags && tags->kind == DOC_SEQ && tags->n) {
			strbuf_addstr(sb, ",\"tags\":[");
			for (k = 0; k < tags->n; k++) {
				if (k)
					strbuf_addch(sb, ',');
				json_str(sb, tags->kids[k]->kind == DOC_SCALAR ? tags->kids[k]->str : "",
					 tags->kids[k]->kind == DOC_SCALAR ? tags->kids[k]->len : 0);
			}
			strbuf_addch(sb, ']');
		}
		en = doc_map_get(d, "enabled");
		if (en && en->kind == DOC_SCALAR && !doc_resolve(en, &v) && v.type == DOC_T_BOOL && v.b)
			strbuf_addstr(sb, ",\"enabled\":true");
		iv = doc_map_get(d, "import-values");
		if (iv && iv->kind == DOC_SEQ && iv->n) {
			strbuf_addstr(sb, ",\"import-values\":");
			if (json_any(sb, iv, 0))
				return ERR_INVALID;
		}
		json_field_str(sb, "alias", d, false);
		strbuf_addch(sb, '}');
	}
	strbuf_addch(sb, ']');
	return 0;
}

int helm_lock_digest(char out[DIGEST_STR_SIZE], const struct doc_node *req,
		     const struct doc_node *lock)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	strbuf_addch(&sb, '[');
	r = json_deps(&sb, req);
	strbuf_addch(&sb, ',');
	if (!r)
		r = json_deps(&sb, lock);
	strbuf_addch(&sb, ']');
	if (!r)
		r = digest_sha256(out, sb.buf, sb.len);
	strbuf_release(&sb);
	return r;
}

int helm_lock_check(const char *chart_yaml, size_t len, const struct doc_node *lock,
		    const char *where)
{
	struct doc_stream *cy = NULL;
	const struct doc_node *req, *ldeps, *want;
	char got[DIGEST_STR_SIZE];
	size_t i;
	int r;

	if (!lock || lock->kind != DOC_MAP)
		return err_set(ERR_INVALID, "%s/Chart.lock: not a mapping", where);
	r = doc_parse(&cy, chart_yaml, len, "Chart.yaml", NULL);
	if (r)
		return r;
	req = cy->ndocs ? doc_map_get(cy->docs[0], "dependencies") : NULL;
	ldeps = doc_map_get(lock, "dependencies");
	want = doc_map_get(lock, "digest");
	/*
	 * Helm first replaces "@name" and "alias:name" repositories by the
	 * URLs of the user's repositories.yaml, which a render does not have.
	 * NEEDSWORK: such a chart's lock is not checked.
	 */
	for (i = 0; req && req->kind == DOC_SEQ && i < req->n; i++) {
		const char *repo = doc_get_str(req->kids[i], "repository", NULL);

		if (repo && (repo[0] == '@' || !strncmp(repo, "alias:", 6)))
			goto out;
	}
	r = helm_lock_digest(got, req, ldeps);
	if (!r && (!want || want->kind != DOC_SCALAR || strcmp(want->str, got)))
		r = err_set(ERR_CONFLICT,
			    "%s: the lock file (Chart.lock) is out of sync with the dependencies file (Chart.yaml): its digest is %s, the dependencies give %s; run helm dependency update",
			    where, want && want->kind == DOC_SCALAR ? want->str : "missing", got);
out:
	doc_stream_free(cy);
	return r;
}
