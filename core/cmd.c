#include "compat.h"
#include "cmd.h"
#include "err.h"
#include <errno.h>
#include <stdarg.h>

static bool stdout_failed;

int cmd_fail(void)
{
	fprintf(stderr, "hoist: error: %s\n", err_msg());
	return 1;
}

int cmd_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hoist: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cmd_usage(const char *usage)
{
	fprintf(stderr, "usage: hoist %s\n", usage);
	return EXIT_USAGE;
}

void cmd_write_stdout(const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, stdout) != len)
		stdout_failed = true;
}

int cmd_finish_stdout(int rc)
{
	if (fflush(stdout) != 0 || ferror(stdout) || stdout_failed) {
		fprintf(stderr, "hoist: error: write to stdout failed: %s\n",
			strerror(errno ? errno : EIO));
		return rc ? rc : 1;
	}
	return rc;
}

static void opt_store(const struct opt *o, const char *val)
{
	if (o->multi) {
		*o->multi = xrealloc(*o->multi, (*o->nmulti + 2) * sizeof(char *));
		(*o->multi)[(*o->nmulti)++] = val;
		(*o->multi)[*o->nmulti] = NULL;
	} else {
		*o->value = val;
	}
}

int opts_parse(int argc, char **argv, const struct opt *opts, char ***pos)
{
	int i, npos = 0;
	bool done = false;

	*pos = argv;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		const struct opt *o;
		const char *eq;
		size_t nl;

		if (done || a[0] != '-' || !a[1] || (a[0] == '-' && a[1] != '-')) {
			if (!done && a[0] == '-' && a[1] && a[1] != '-') {
				for (o = opts; o && o->name; o++)
					if (o->short_name && o->short_name == a[1])
						break;
				if (!o || !o->name) {
					fprintf(stderr, "hoist: unknown option '%s'\n", a);
					return -EXIT_USAGE;
				}
				if (o->flag) {
					if (a[2]) {
						fprintf(stderr, "hoist: option '-%c' takes no value\n",
							a[1]);
						return -EXIT_USAGE;
					}
					*o->flag = true;
					continue;
				}
				if (!a[2] && i + 1 >= argc) {
					fprintf(stderr, "hoist: option '-%c' needs a value\n", a[1]);
					return -EXIT_USAGE;
				}
				opt_store(o, a[2] ? a + 2 + (a[2] == '=') : argv[++i]);
				continue;
			}
			argv[npos++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			done = true;
			continue;
		}
		a += 2;
		eq = strchr(a, '=');
		nl = eq ? (size_t)(eq - a) : strlen(a);
		for (o = opts; o && o->name; o++)
			if (strlen(o->name) == nl && !strncmp(o->name, a, nl))
				break;
		if (!o || !o->name) {
			fprintf(stderr, "hoist: unknown option '--%.*s'\n", (int)nl, a);
			return -EXIT_USAGE;
		}
		if (o->flag) {
			if (eq) {
				fprintf(stderr, "hoist: option '--%s' takes no value\n", o->name);
				return -EXIT_USAGE;
			}
			*o->flag = true;
			continue;
		}
		if (!eq && i + 1 >= argc) {
			fprintf(stderr, "hoist: option '--%s' needs a value\n", o->name);
			return -EXIT_USAGE;
		}
		opt_store(o, eq ? eq + 1 : argv[++i]);
	}
	return npos;
}
