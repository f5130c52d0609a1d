/*
 * Unit tests for the time budget: http requests under a deadline, and the
 * hookTimeout values hoist.yaml and git config accept.
 */
#include "core/compat.h"
#include <stdarg.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/config.h"
#include "core/err.h"
#include "core/http.h"

static void request_after_the_deadline_fails_at_once_as_transient(void **state)
{
	struct http_request req = { "GET", "http://127.0.0.1:9/v2/", NULL, NULL, 0, 0, true, true };
	struct http_response res;
	int64_t old;

	(void)state;
	http_response_init(&res);
	old = http_set_deadline(http_now_ms() - 1);
	assert_int_equal(http_do(&res, &req), ERR_RETRY);
	assert_non_null(strstr(err_msg(), "out of time"));
	http_set_deadline(old);
	http_response_release(&res);
}

/*
 * A listener that never accepts: the kernel completes the handshake, the
 * request is sent, and no answer ever comes.  Without the deadline this
 * would wait for the 60 s stall timeout on each of four tries.
 */
static void deadline_ends_a_request_nobody_answers(void **state)
{
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	struct strbuf url = STRBUF_INIT;
	struct http_request req = { "GET", NULL, NULL, NULL, 0, 0, true, true };
	struct http_response res;
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;
	int64_t old;

	(void)state;
	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	strbuf_addf(&url, "http://127.0.0.1:%d/v2/", ntohs(sa.sin_port));
	req.url = url.buf;
	http_response_init(&res);
	old = http_set_deadline(http_now_ms() + 300);
	r = http_do(&res, &req);
	http_set_deadline(old);
	assert_int_equal(r, ERR_RETRY);
	assert_non_null(strstr(err_msg(), "imed out"));
	http_response_release(&res);
	strbuf_release(&url);
	close(fd);
}

static void *read_deadline(void *out)
{
	*(int64_t *)out = http_deadline();
	return NULL;
}

static void threads_do_not_inherit_a_deadline(void **state)
{
	pthread_t t;
	int64_t seen = -1, old = http_set_deadline(12345);

	(void)state;
	assert_int_equal(http_deadline(), 12345);
	assert_int_equal(pthread_create(&t, NULL, read_deadline, &seen), 0);
	pthread_join(t, NULL);
	assert_int_equal(seen, 0);
	http_set_deadline(old);
}

static void hook_timeout_accepts_1s_to_10m(void **state)
{
	int64_t s = 0;

	(void)state;
	assert_int_equal(config_parse_hook_timeout("10s", &s), 0);
	assert_int_equal(s, 10);
	assert_int_equal(config_parse_hook_timeout("1m30s", &s), 0);
	assert_int_equal(s, 90);
	assert_int_equal(config_parse_hook_timeout("10m", &s), 0);
	assert_int_equal(s, 600);
	assert_int_equal(config_parse_hook_timeout("0s", &s), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "out of range"));
	assert_int_equal(config_parse_hook_timeout("11m", &s), ERR_INVALID);
	assert_int_equal(config_parse_hook_timeout("5", &s), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_after_the_deadline_fails_at_once_as_transient),
		cmocka_unit_test(deadline_ends_a_request_nobody_answers),
		cmocka_unit_test(threads_do_not_inherit_a_deadline),
		cmocka_unit_test(hook_timeout_accepts_1s_to_10m),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
