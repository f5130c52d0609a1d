/*
 * term.c - colour decisions and the progress line.
 */
#include "compat.h"
#include "term.h"
#include "log.h"
#include <inttypes.h>
#include <unistd.h>

int term_want_color(const char *when, int fd)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (!when || !strcmp(when, "auto"))
		/*
		 * stderr too: hooks and CI jobs redirect it, and the rule
		 * is "nothing of it when stderr is not a terminal".
		 */
		return isatty(fd) && isatty(STDERR_FILENO) && !(no && *no) &&
		       !(term && !strcmp(term, "dumb"));
	if (!strcmp(when, "always"))
		return 1;
	if (!strcmp(when, "never"))
		return 0;
	return -1;
}

void progress_start(struct progress *p, const char *title, uint64_t total)
{
	memset(p, 0, sizeof(*p));
	p->title = title;
	p->total = total;
	p->last_percent = -1;
	p->active = isatty(STDERR_FILENO) && log_level_current >= LOG_INFO;
}

void progress_start_bytes(struct progress *p, const char *title, uint64_t min)
{
	progress_start(p, title, 0);
	p->bytes = true;
	p->min = min;
}

void progress_start_count(struct progress *p, const char *title, const char *unit,
			  uint64_t min)
{
	progress_start(p, title, 0);
	p->unit = unit;
	p->min = min;
}

static void draw(struct progress *p, uint64_t done, const char *what, const char *end)
{
	char line[256], count[64];
	int n, percent = p->total ? (int)(done * 100 / p->total) : 100;

	if (p->unit) {
		n = snprintf(line, sizeof(line), "hoist: %s: %" PRIu64 " %s%s", p->title, done,
			     p->unit, end);
		goto print;
	}
	if (p->bytes)
		n = snprintf(count, sizeof(count), "%.1f/%.1f MiB", (double)done / 1048576.0,
			     (double)p->total / 1048576.0);
	else
		n = snprintf(count, sizeof(count), "%" PRIu64 "/%" PRIu64, done, p->total);
	if (n < 0)
		return;
	n = snprintf(line, sizeof(line), "hoist: %s: %3d%% (%s)%s%s%s", p->title, percent, count,
		     what ? " " : "", what ? what : "", end);
print:
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fprintf(stderr, "\r%s", line);
	if ((size_t)n < p->width)
		fprintf(stderr, "%*s", (int)(p->width - (size_t)n), "");
	p->width = (size_t)n;
	fflush(stderr);
}

void progress_update(struct progress *p, uint64_t done, const char *what)
{
	int percent;

	if (!p->active)
		return;
	p->done = done;
	if (p->bytes && (!p->total || p->total < p->min))
		return;
	if (p->unit) {
		/* A count: from `min` on, every 100th, so a huge tree is not a write per file. */
		if (done < p->min || (done % 100 && p->last_percent >= 0))
			return;
		p->total = done;
		p->last_percent = 0;
		draw(p, done, NULL, "");
		return;
	}
	percent = p->total ? (int)(done * 100 / p->total) : 100;
	/* Byte counts call often: redraw when the percentage or the item changes. */
	if (!what && percent == p->last_percent)
		return;
	p->last_percent = percent;
	draw(p, done, what, "");
}

void progress_stop(struct progress *p)
{
	if (!p->active || p->last_percent < 0)
		return;
	draw(p, p->unit ? p->done : p->total, NULL, ", done.\n");
	p->active = false;
}
