/*
 * term.h - what hoist does only on a terminal: colour and progress lines.
 *
 * Hooks, CI logs and pipes must stay clean, so both are decided per stream
 * with isatty(): colour on stdout only when it and stderr are terminals
 * (or --color=always), progress on stderr only when stderr is one.
 */
#ifndef HOIST_TERM_H
#define HOIST_TERM_H

#include "compat.h"

/*
 * Whether to colour what goes to `fd`, from --color's value (NULL means
 * auto): "always" colours, "never" does not, "auto" colours when `fd` and
 * stderr are both terminals, unless NO_COLOR is set and not empty or TERM
 * is "dumb".  An explicit
 * --color=always wins over NO_COLOR, as no-color.org asks.  Returns -1 for
 * a value that is none of the three (a usage error).
 */
int term_want_color(const char *when, int fd);

/* SGR sequences; use them only when term_want_color() said yes. */
#define TERM_RED "\033[31m"
#define TERM_GREEN "\033[32m"
#define TERM_YELLOW "\033[33m"
#define TERM_CYAN "\033[36m"
#define TERM_BOLD "\033[1m"
#define TERM_DIM "\033[2m"
#define TERM_RESET "\033[m"

/*
 * A progress line on stderr, redrawn in place ("hoist: publishing: 40%
 * (2/5) podinfo/dev"), finished with ", done.".  Inactive (every call a
 * no-op) unless stderr is a terminal and the log level shows info.
 */
struct progress {
	const char *title;
	uint64_t total;
	uint64_t done; /* the last count update() saw */
	int last_percent;
	bool active;
	bool bytes;   /* counts bytes: shown as MiB */
	const char *unit; /* no total known: a running count of these ("files") */
	uint64_t min; /* stay quiet below this total (bytes) or count (unit) */
	size_t width; /* of the last line drawn, to blank what a shorter one leaves */
};

void progress_start(struct progress *p, const char *title, uint64_t total);
/* A transfer's progress, drawn only once its total is known and at least `min` bytes. */
void progress_start_bytes(struct progress *p, const char *title, uint64_t min);
/*
 * A running count with no total ("hoist: reading manifests: 1200 files"),
 * drawn once it reaches `min`, so small jobs print nothing.
 */
void progress_start_count(struct progress *p, const char *title, const char *unit,
			  uint64_t min);
/* `what` (may be NULL) names the item being worked on. */
void progress_update(struct progress *p, uint64_t done, const char *what);
/* Ends the line with ", done." when anything was drawn. */
void progress_stop(struct progress *p);

#endif
