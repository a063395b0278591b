/*
 * test_tcp.c: the shared TCP connector: an address connects at once, a
 * name is resolved on a thread without holding the loop, and a connect
 * cancelled while its name is being resolved never calls back; the
 * congestion control asked for is the connection's, and one the kernel
 * lacks fails the connect saying so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "clock.h"
#include "tcpcc.h"
#include "transport/transport.h"

struct t_result {
	int called, fd;
	char err[256];
};

static void
t_done(void *arg, int fd, const char *err)
{
	struct t_result *r = arg;

	r->called++;
	r->fd = fd;
	snprintf(r->err, sizeof r->err, "%s", err != NULL ? err : "");
}

/* A listener on 127.0.0.1; its port in *port. */
static int
t_listen(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void
t_run_until(struct event_base *base, const struct t_result *r)
{
	uint64_t end = clock_now_ms() + 5000;

	while (!r->called && clock_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static void
test_address_and_name(void **state)
{
	struct event_base *base = event_base_new();
	struct t_result r = { 0, -1, "" };
	uint16_t port;
	int lfd = t_listen(&port);

	(void)state;
	assert_non_null(transport_tcp_connect(base, "127.0.0.1", port, NULL,
	    t_done, &r));
	assert_int_equal(r.called, 0);     /* never inside the call */
	t_run_until(base, &r);
	assert_int_equal(r.called, 1);
	assert_true(r.fd >= 0);
	close(r.fd);

	/* localhost comes from the hosts file, on the resolver's thread;
	 * ::1 may refuse first, then 127.0.0.1 takes it. */
	memset(&r, 0, sizeof r);
	assert_non_null(transport_tcp_connect(base, "localhost", port, NULL,
	    t_done, &r));
	assert_int_equal(r.called, 0);
	t_run_until(base, &r);
	assert_int_equal(r.called, 1);
	if (r.fd < 0)
		fail_msg("localhost: %s", r.err);
	close(r.fd);
	close(lfd);
	event_base_free(base);
}

static void
test_cancel_while_resolving(void **state)
{
	struct event_base *base = event_base_new();
	struct t_result r = { 0, -1, "" };

	(void)state;
	for (int i = 0; i < 20; i++) {
		struct transport_tcp *c = transport_tcp_connect(base,
		    "localhost", 9, NULL, t_done, &r);
		assert_non_null(c);
		transport_tcp_cancel(c);
	}
	/* The threads finish on their own; nothing calls back. */
	usleep(200 * 1000);
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(r.called, 0);
	event_base_free(base);
}

static void
test_congestion(void **state)
{
	struct event_base *base = event_base_new();
	struct t_result r = { 0, -1, "" };
	char def[32], got[32];
	uint16_t port;
	int lfd = t_listen(&port), probe = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	tcpcc_get(probe, def, sizeof def);
	close(probe);
	if (strcmp(def, "reno") == 0)
		skip();	/* the default: nothing to tell apart */
	assert_non_null(transport_tcp_connect(base, "127.0.0.1", port, "reno",
	    t_done, &r));
	t_run_until(base, &r);
	assert_int_equal(r.called, 1);
	assert_true(r.fd >= 0);
	assert_string_equal(tcpcc_get(r.fd, got, sizeof got), "reno");
	close(r.fd);

	memset(&r, 0, sizeof r);
	assert_non_null(transport_tcp_connect(base, "127.0.0.1", port,
	    "nosuchcc", t_done, &r));
	t_run_until(base, &r);
	assert_int_equal(r.called, 1);
	assert_int_equal(r.fd, -1);
	assert_non_null(strstr(r.err,
	    "this kernel has no TCP congestion control \"nosuchcc\""));
	close(lfd);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_and_name),
		cmocka_unit_test(test_cancel_while_resolving),
		cmocka_unit_test(test_congestion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
