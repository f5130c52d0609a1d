/*
 * fuzz-config.c - config_parse() on arbitrary hoist.yaml text.
 *
 * hoist.yaml comes from the repository being pushed, so its author need
 * not be trusted.  Errors are fine; crashes, leaks and sanitizer reports
 * are not.  A config that parses is also walked the way publish does
 * (environments for a ref, apps per environment, repository names).
 */
#include "core/compat.h"
#include "core/config.h"
#include "core/err.h"
#include "core/strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const refs[] = { "refs/heads/main", "refs/tags/v1.2.3",
					    "refs/heads/feature/x" };
	const struct config_env *envs[16];
	struct strbuf sb = STRBUF_INIT;
	struct config cfg;
	size_t i, j, k, n;
	int64_t secs;

	if (config_parse(&cfg, (const char *)data, size, "fuzz/hoist.yaml")) {
		err_clear();
		return 0;
	}
	for (k = 0; k < sizeof(refs) / sizeof(*refs); k++) {
		n = config_envs_for_ref(&cfg, refs[k], envs, 16);
		for (i = 0; i < n; i++) {
			for (j = 0; j < cfg.apps.n; j++) {
				const struct config_app *a = config_app(&cfg, j);
				if (!config_app_in_env(a, envs[i]))
					continue;
				strbuf_reset(&sb);
				config_expand(&sb, a->path, envs[i]->name);
				strbuf_reset(&sb);
				config_app_repo(&sb, &cfg, envs[i], a->name);
			}
			if (envs[i]->soak)
				config_parse_duration(envs[i]->soak, &secs);
			if (envs[i]->promote_from)
				config_env_find(&cfg, envs[i]->promote_from);
		}
	}
	strbuf_release(&sb);
	config_release(&cfg);
	err_clear();
	return 0;
}
