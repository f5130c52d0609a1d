/*
 * history.h - every move of an environment's tag, kept in the registry.
 *
 * There is no other database: each move (publish, promote, rollback) is a
 * small record stored as an OCI manifest in the app's repository, whose
 * config blob is the record's JSON and which links to the previous record
 * by digest.  The tag `hoist-history-<env>` names the newest record, so a
 * history is a chain walked from that tag.
 *
 * Registries have no compare-and-swap on tags.  history_move_tag() gives
 * this guarantee instead (docs/promotion.md): the environment tag only
 * ever names a manifest the caller verified, and a record whose chain head
 * was overwritten by a racing writer is appended again on top of the new
 * head, so no record is lost; racing moves are ordered by when each
 * finished.
 */
#ifndef HOIST_HISTORY_H
#define HOIST_HISTORY_H

#include "core/compat.h"
#include "core/digest.h"

struct oci_store;

#define HISTORY_MEDIA "application/vnd.hoist.history.v1+json"
#define HISTORY_TAG_PREFIX "hoist-history-"
#define HISTORY_MAX 10000

struct history_record {
	char *environment;
	char *actor;   /* publish, hook, ci, promote, rollback */
	char *from;    /* the digest the tag named before; "" when it was new */
	char *to;      /* the digest it names after */
	char *time;    /* RFC 3339, UTC */
	char *commit;  /* the source commit, when known */
	char *version; /* the artifact's version, when known */
	char *previous; /* digest of the previous record; "" for the first */
	char self[DIGEST_STR_SIZE]; /* this record's manifest digest */
};

struct history_move {
	const char *environment;
	const char *to;      /* the manifest digest the tag moves to */
	const char *actor;
	const char *commit;  /* may be NULL */
	const char *version; /* may be NULL */
	/*
	 * The manifest bytes of `to`, when the caller has them (a promotion
	 * into another repository puts the manifest there with this move);
	 * NULL: read from the store, where it must already be.
	 */
	const char *manifest;
	size_t manifest_len;
	const char *media_type;
	/*
	 * The digest the environment's tag holds, as the caller resolved it
	 * just before ("" when the tag does not exist); NULL: resolve it here.
	 * Saves a request per publish, which already looked.
	 */
	const char *from_known;
};

/*
 * Points the environment's tag at `m->to` (whose manifest must already be
 * in the store) and appends the record.  `from` gets what the tag named
 * before ("" when it did not exist).  A move to the digest the tag already
 * names writes nothing.
 */
int history_move_tag(struct oci_store *s, const struct history_move *m,
		     char from[DIGEST_STR_SIZE]);

/* Newest first; at most `max` records (0: HISTORY_MAX). */
int history_list(struct oci_store *s, const char *env, struct history_record **out,
		 size_t *n, size_t max);
void history_records_free(struct history_record *v, size_t n);
/* Frees one record's strings (for records moved out of an array). */
void history_record_release(struct history_record *h);

/* Writes `now` (with milliseconds) or the time `t` (when >= 0) as RFC 3339 UTC; 32 bytes do. */
void history_time(char *buf, size_t size, int64_t t);
/* Parses the RFC 3339 UTC times history writes; -1 on error. */
int64_t history_parse_time(const char *s);
/*
 * Orders two record times ("...:SSZ", or "...:SS.mmmZ" since records keep
 * milliseconds): <0, 0, >0 as a is older, as old, newer than b.
 */
int history_time_cmp(const char *a, const char *b);

#endif
