/*
 * git-stream.c - the TCP stream under libgit2's transports, with a
 * deadline.
 *
 * libgit2 1.5 (Debian bookworm's) has no network timeouts: its socket
 * stream blocks in connect() and recv() for as long as the peer keeps the
 * connection open.  A Git server that accepts a fetch and never answers
 * held a render, and with it a push, forever; the fetch's deadline was only
 * checked in the progress callback, which a silent server never calls.
 * This stream replaces libgit2's plain socket (its TLS streams, mbedTLS
 * or OpenSSL, are built on whatever socket stream is registered): every
 * connect, read and write waits with poll() until the deadline the calling
 * thread set (gitstream_deadline_set), then fails with "timed out".
 * Without a deadline it waits as libgit2's own stream does.
 */
#include "core/compat.h"
#include "source/git-stream.h"
#include "core/http.h"
#include <errno.h>
#include <git2.h>
#include <git2/sys/stream.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static __thread int64_t deadline; /* http_now_ms() time; 0: none */
static __thread bool expired;

void gitstream_deadline_set(int64_t at_ms)
{
	deadline = at_ms;
	expired = false;
}

bool gitstream_timed_out(void)
{
	return expired;
}

struct dl_stream {
	git_stream parent;
	char *host, *port;
	int fd;
};

/* Waits until the socket is ready for `events`; -1 with the error set. */
static int wait_ready(struct dl_stream *st, short events)
{
	for (;;) {
		struct pollfd p = { .fd = st->fd, .events = events };
		int timeout = -1, n;

		if (deadline) {
			int64_t left = deadline - http_now_ms();

			if (left <= 0) {
				expired = true;
				git_error_set(GIT_ERROR_NET, "%s:%s: timed out", st->host, st->port);
				return -1;
			}
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		n = poll(&p, 1, timeout);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR) {
			git_error_set(GIT_ERROR_OS, "%s:%s: poll: %s", st->host, st->port,
				      strerror(errno));
			return -1;
		}
	}
}

static int dl_connect(git_stream *s)
{
	struct dl_stream *st = (struct dl_stream *)s;
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	int rc, err = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(st->host, st->port, &hints, &res);
	if (rc) {
		git_error_set(GIT_ERROR_NET, "failed to resolve address for %s: %s", st->host,
			      gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		socklen_t len = sizeof(err);

		st->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
				ai->ai_protocol);
		if (st->fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(st->fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		if (err == EINPROGRESS) {
			if (wait_ready(st, POLLOUT)) {
				close(st->fd);
				st->fd = -1;
				freeaddrinfo(res);
				return -1; /* the deadline passed: no other address either */
			}
			if (!getsockopt(st->fd, SOL_SOCKET, SO_ERROR, &err, &len) && !err)
				break;
		}
		close(st->fd);
		st->fd = -1;
	}
	freeaddrinfo(res);
	if (st->fd < 0) {
		git_error_set(GIT_ERROR_NET, "failed to connect to %s:%s: %s", st->host, st->port,
			      strerror(err ? err : ECONNREFUSED));
		return -1;
	}
	return 0;
}

static ssize_t dl_read(git_stream *s, void *buf, size_t len)
{
	struct dl_stream *st = (struct dl_stream *)s;

	for (;;) {
		ssize_t n;

		if (wait_ready(st, POLLIN))
			return -1;
		n = recv(st->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			git_error_set(GIT_ERROR_NET, "%s:%s: could not read: %s", st->host, st->port,
				      strerror(errno));
			return -1;
		}
	}
}

static ssize_t dl_write(git_stream *s, const char *data, size_t len, int flags)
{
	struct dl_stream *st = (struct dl_stream *)s;
	size_t off = 0;

	(void)flags;
	while (off < len) {
		ssize_t n;

		if (wait_ready(st, POLLOUT))
			return -1;
		n = send(st->fd, data + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			git_error_set(GIT_ERROR_NET, "%s:%s: could not write: %s", st->host, st->port,
				      strerror(errno));
			return -1;
		}
	}
	return (ssize_t)len;
}

static int dl_close(git_stream *s)
{
	struct dl_stream *st = (struct dl_stream *)s;

	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	return 0;
}

static void dl_free(git_stream *s)
{
	struct dl_stream *st = (struct dl_stream *)s;

	dl_close(s);
	free(st->host);
	free(st->port);
	free(st);
}

static int dl_new(git_stream **out, const char *host, const char *port)
{
	struct dl_stream *st = calloc(1, sizeof(*st));

	if (!st || !(st->host = strdup(host)) || !(st->port = strdup(port))) {
		if (st)
			free(st->host);
		free(st);
		git_error_set_oom();
		return -1;
	}
	st->fd = -1;
	st->parent.version = GIT_STREAM_VERSION;
	st->parent.connect = dl_connect;
	st->parent.read = dl_read;
	st->parent.write = dl_write;
	st->parent.close = dl_close;
	st->parent.free = dl_free;
	*out = &st->parent;
	return 0;
}

int gitstream_install(void)
{
	git_stream_registration reg = { .version = GIT_STREAM_VERSION, .init = dl_new };

	return git_stream_register(GIT_STREAM_STANDARD, &reg);
}
