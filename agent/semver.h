/*
 * semver.h - semantic versions and version constraints, as Flux reads
 * an OCIRepository's `semver` (github.com/Masterminds/semver v3 rules).
 *
 * Versions are read loosely, as Masterminds' NewVersion does: an optional
 * leading "v", one to three numeric parts ("1", "1.2" fill in zeros), then
 * "-prerelease" and "+build".  Constraints:
 *   "A B" or "A, B"   both hold;  "A || B"  either holds
 *   = != > < >= <=    (=< as <=; no operator means =)
 *   ~1.2.3  >=1.2.3 <1.3.0     ~1  >=1.0.0 <2.0.0
 *   ^1.2.3  >=1.2.3 <2.0.0     ^0.2.3  >=0.2.3 <0.3.0   ^0.0.3  >=0.0.3 <0.0.4
 *   1.2.x, 1.2.*, 1.2  (as a range)  >=1.2.0 <1.3.0;   * or x  any version
 *   1.2 - 1.4.5        >=1.2.0 <=1.4.5
 * A version with a prerelease matches only when a part of the constraint
 * names a prerelease itself (Masterminds' rule), so "^1.0" never picks
 * 1.5.0-rc.1.
 */
#ifndef HOIST_AGENT_SEMVER_H
#define HOIST_AGENT_SEMVER_H

#include "core/compat.h"

struct semver {
	uint64_t major, minor, patch;
	char pre[128]; /* prerelease without the '-', "" for a release */
};

/* 0 or ERR_INVALID (no message: callers use it to filter tags). */
int semver_parse(struct semver *v, const char *s);
/* <0, 0, >0 by semver precedence (build metadata ignored). */
int semver_cmp(const struct semver *a, const struct semver *b);

/* ERR_INVALID with "semver constraint '...': problem" when `c` does not parse. */
int semver_constraint_check(const char *c);
/* Whether `v` satisfies `c` (which must have passed semver_constraint_check). */
bool semver_matches(const char *c, const struct semver *v);

/*
 * The tag whose version is highest among those satisfying `c`, or NULL.
 * Tags that are not versions are skipped.  Borrows from `tags`.
 */
const char *semver_pick(const char *c, char *const *tags, size_t ntags);

#endif
