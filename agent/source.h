/*
 * source.h - fetching an app's artifact (agent_resolve and
 * agent_verify_pushed are declared in agent.h).
 */
#ifndef HOIST_AGENT_SOURCE_H
#define HOIST_AGENT_SOURCE_H

#include "core/compat.h"
#include "core/digest.h"

struct agent_app;
struct strbuf;

/*
 * Resolves the app's source, checks the signature when the app has a
 * verifyKey (before any content is fetched), and fetches the verified
 * layer (.tar.gz) into `layer`; `digest` gets the manifest digest and
 * `ref_used` the reference pulled, tag or digest included.
 */
int source_fetch(const struct agent_app *app, struct strbuf *layer, char digest[DIGEST_STR_SIZE],
		 struct strbuf *ref_used);

#endif
