#ifndef HOIST_GIT_STREAM_H
#define HOIST_GIT_STREAM_H

#include <stdbool.h>
#include <stdint.h>

/*
 * libgit2's network streams with a deadline (git-stream.c).
 * gitstream_install registers them (once, after git_libgit2_init);
 * gitstream_deadline_set bounds every connect, read and write of the
 * calling thread's libgit2 network I/O until the http_now_ms() time
 * `at_ms` (0: no bound); gitstream_timed_out says whether that
 * bound is what ended the last one.
 */
int gitstream_install(void);
void gitstream_deadline_set(int64_t at_ms);
bool gitstream_timed_out(void);

#endif
