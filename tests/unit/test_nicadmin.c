/*
 * test_nicadmin.c: the card's side of softether --admin --nic: its status
 * as text, JSON and SIGUSR1's line from one snapshot (a peer's words in the
 * last error escaped every way), its commands, the socket's name, and the
 * control socket as a card opens it (an answering one refused, a stale one
 * replaced, a request answered).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "admincmd.h"
#include "control.h"
#include "nicadmin.h"

#define T_JAN1_2026 1767225600	/* 2026-01-01T00:00:00Z */

static void
t_status(struct nic_status *st, const char *last_error)
{
	memset(st, 0, sizeof *st);
	st->ifname = "vpn0";
	st->host = "hub.example";
	st->port = 443;
	st->hub_name = "DEFAULT";
	st->via = "direct";
	st->user = "alice";
	snprintf(st->mac, sizeof st->mac, "5e:00:00:00:00:0a");
	st->state = st->phase = NIC_UP;
	st->state_since = T_JAN1_2026 + 60;
	st->state_for_s = 2.5;
	st->session = 42;
	st->session_since = T_JAN1_2026;
	st->session_for_s = 62.5;
	st->in_bytes = 1000;
	st->in_frames = 10;
	st->out_bytes = 2000;
	st->out_frames = 20;
	st->resumes = 1;
	st->lost = 0;
	st->dropped = 3;
	st->coalesced = 5;
	st->offload = 1;
	snprintf(st->tcp_congestion, sizeof st->tcp_congestion, "cubic");
	st->last_error = last_error;
	st->last_error_at = last_error[0] ? T_JAN1_2026 + 59 : 0;
}

/* What fmt (or a request line, if line) gives, as a string to free. */
static char *
t_out(const struct nic_status *st, enum nicadmin_fmt fmt, const char *line,
    int json, int *rc)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	assert_non_null(b);
	if (line != NULL)
		*rc = nicadmin_run(st, line, strlen(line), json, b);
	else
		nicadmin_status(st, fmt, b);
	n = evbuffer_get_length(b);
	s = malloc(n + 1);
	assert_non_null(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

static void
test_json_str(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char out[128];
	size_t n;

	(void)state;
	control_json_str(b, "a\"b\\c\n\x01\x7f\xc3\xa9 z");
	n = evbuffer_remove(b, out, sizeof out - 1);
	out[n] = '\0';
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3"
	    "\\u00a9 z\"");
	evbuffer_free(b);
}

static void
test_status_text(void **state)
{
	struct nic_status st;
	char *s;

	(void)state;
	t_status(&st, "");
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_string_equal(s,
	    "interface   vpn0, MAC 5e:00:00:00:00:0a, offload on\n"
	    "state       up since 2026-01-01T00:01:00Z (2.5 s)\n"
	    "hub         hub.example:443, virtual hub DEFAULT, via direct "
	    "(TCP cubic), user alice\n"
	    "address     none\n"
	    "session     42, up since 2026-01-01T00:00:00Z (62.5 s), "
	    "resumes 1\n"
	    "in          10 frames, 1000 bytes, 5 coalesced\n"
	    "out         20 frames, 2000 bytes\n"
	    "lost        0 frames, dropped 3\n"
	    "last error  none\n");
	free(s);

	/* Cut from the session's hub (an IPv6 one): no session, and what
	 * the hub said escaped. */
	t_status(&st, "login refused by hub: \x1b[31mno\\");
	st.state = st.phase = NIC_BACKOFF;
	st.session = 0;
	st.host = "2001:db8::1";
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_non_null(strstr(s, "state       backing-off since 2026-01-01T"
	    "00:01:00Z (2.5 s)\n"));
	assert_non_null(strstr(s, "hub         [2001:db8::1]:443, "));
	assert_non_null(strstr(s, "session     none\n"));
	assert_non_null(strstr(s, "last error  2026-01-01T00:00:59Z: login "
	    "refused by hub: \\x1b[31mno\\\\\n"));
	assert_null(strchr(s, '\x1b'));
	free(s);

	/* A resume's try under way: the cut, and the step it is at. */
	t_status(&st, "");
	st.state = NIC_CUT;
	st.phase = NIC_CONNECTING;
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_non_null(strstr(s, "state       cut-resuming since 2026-01-01T"
	    "00:01:00Z (2.5 s), now connecting\n"));
	free(s);
}

static void
test_status_json(void **state)
{
	struct nic_status st;
	char *s;

	(void)state;
	t_status(&st, "");
	s = t_out(&st, NICADMIN_JSON, NULL, 0, NULL);
	assert_string_equal(s, "{\"ok\":true,\"interface\":\"vpn0\","
	    "\"mac\":\"5e:00:00:00:00:0a\",\"offload\":true,\"state\":\"up\","
	    "\"phase\":\"up\",\"state_since\":\"2026-01-01T00:01:00Z\",\"state_for_s\":2.5,"
	    "\"hub\":\"hub.example:443\",\"hub_host\":\"hub.example\","
	    "\"hub_port\":443,\"hub_name\":\"DEFAULT\",\"transport\":"
	    "\"direct\",\"tcp_congestion\":\"cubic\",\"user\":\"alice\",\"addressing\":\"none\","
	    "\"address\":null,\"dhcp\":null,\"session\":42,\"session_since\":"
	    "\"2026-01-01T00:00:00Z\",\"session_for_s\":62.5,\"in_bytes\":1000,"
	    "\"in_frames\":10,\"out_bytes\":2000,\"out_frames\":20,"
	    "\"resumes\":1,\"lost\":0,\"dropped\":3,\"coalesced\":5,"
	    "\"last_error\":null,"
	    "\"last_error_at\":null}\n");
	free(s);

	t_status(&st, "hub said \"bye\"\n\xff");
	st.state = NIC_CUT;
	st.phase = NIC_TLS;
	st.session = 0;
	st.tcp_congestion[0] = '\0';	/* no TCP connection of ours */
	s = t_out(&st, NICADMIN_JSON, NULL, 0, NULL);
	assert_non_null(strstr(s, "\"transport\":\"direct\",\"tcp_congestion\":"
	    "null,\"user\""));
	assert_non_null(strstr(s, "\"state\":\"cut-resuming\",\"phase\":"
	    "\"tls\""));
	assert_non_null(strstr(s, "\"session\":null,\"session_since\":null,"
	    "\"session_for_s\":null"));
	assert_non_null(strstr(s, "\"last_error\":\"hub said \\\"bye\\\""
	    "\\u000a\\u00ff\",\"last_error_at\":\"2026-01-01T00:00:59Z\"}\n"));
	free(s);
}

static void
test_status_line(void **state)
{
	struct nic_status st;
	char *s;

	(void)state;
	t_status(&st, "");
	s = t_out(&st, NICADMIN_LINE, NULL, 0, NULL);
	/* What the line always said comes first, as before. */
	assert_string_equal(s, "status vpn0: up, hub hub.example:443 via "
	    "direct, session 42, in=1000B/10fr out=2000B/20fr resumes=1 "
	    "lost=0 dropped=3 offload=on hub_name=DEFAULT user=alice "
	    "mac=5e:00:00:00:00:0a since=2026-01-01T00:01:00Z phase=up "
	    "session_since=2026-01-01T00:00:00Z last_error=none "
	    "addressing=none address=none coalesced=5 tcp=cubic");
	free(s);
	t_status(&st, "lost\n");
	st.session = 0;
	st.tcp_congestion[0] = '\0';
	s = t_out(&st, NICADMIN_LINE, NULL, 0, NULL);
	assert_non_null(strstr(s, " coalesced=5 tcp=none"));
	assert_non_null(strstr(s, "session_since=- last_error=\"lost\\x0a\" "
	    "addressing=none"));
	assert_null(strchr(s, '\n'));
	free(s);
}

/* The address: static as given; DHCP's state, server, router and times,
 * in all three forms. */
static void
test_status_address(void **state)
{
	struct nic_status st;
	char *s;

	(void)state;
	t_status(&st, "");
	st.addressing = "static";
	snprintf(st.address, sizeof st.address, "192.168.77.1/24");
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_non_null(strstr(s, "\naddress     192.168.77.1/24 (static)\n"));
	free(s);
	s = t_out(&st, NICADMIN_JSON, NULL, 0, NULL);
	assert_non_null(strstr(s, ",\"addressing\":\"static\",\"address\":"
	    "\"192.168.77.1/24\",\"dhcp\":null,"));
	free(s);

	/* DHCP, still asking. */
	t_status(&st, "");
	st.addressing = "dhcp";
	st.dhcp_state = "selecting";
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_non_null(strstr(s, "\naddress     none (dhcp: selecting)\n"));
	free(s);
	s = t_out(&st, NICADMIN_JSON, NULL, 0, NULL);
	assert_non_null(strstr(s, ",\"addressing\":\"dhcp\",\"address\":"
	    "null,\"dhcp\":{\"state\":\"selecting\",\"server\":null,"
	    "\"router\":null,\"default_route\":false,\"renew_at\":null,"
	    "\"expires_at\":null,\"leases\":0,\"renewals\":0,"
	    "\"losses\":0},"));
	free(s);

	/* DHCP, bound. */
	snprintf(st.address, sizeof st.address, "192.168.96.120/24");
	st.dhcp_state = "bound";
	snprintf(st.dhcp_server, sizeof st.dhcp_server, "192.168.96.1");
	snprintf(st.dhcp_router, sizeof st.dhcp_router, "192.168.96.254");
	st.dhcp_route = 1;
	st.dhcp_renew_at = T_JAN1_2026 + 3600;
	st.dhcp_expires_at = T_JAN1_2026 + 7200;
	st.dhcp_leases = 1;
	st.dhcp_renewals = 2;
	s = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	assert_non_null(strstr(s, "\naddress     192.168.96.120/24 (dhcp: "
	    "bound, server 192.168.96.1, router 192.168.96.254 (default "
	    "route), renews 2026-01-01T01:00:00Z, expires "
	    "2026-01-01T02:00:00Z)\n"));
	free(s);
	s = t_out(&st, NICADMIN_JSON, NULL, 0, NULL);
	assert_non_null(strstr(s, ",\"addressing\":\"dhcp\",\"address\":"
	    "\"192.168.96.120/24\",\"dhcp\":{\"state\":\"bound\",\"server\":"
	    "\"192.168.96.1\",\"router\":\"192.168.96.254\",\"default_route\":"
	    "true,\"renew_at\":\"2026-01-01T01:00:00Z\",\"expires_at\":"
	    "\"2026-01-01T02:00:00Z\",\"leases\":1,\"renewals\":2,"
	    "\"losses\":0},"));
	free(s);
	s = t_out(&st, NICADMIN_LINE, NULL, 0, NULL);
	assert_non_null(strstr(s, " last_error=none addressing=dhcp "
	    "address=192.168.96.120/24 dhcp=bound "
	    "renew_at=2026-01-01T01:00:00Z"));
	free(s);
}

static void
test_commands(void **state)
{
	struct nic_status st;
	size_t n;
	char *s, *text;
	int rc = 9;

	(void)state;
	t_status(&st, "");
	text = t_out(&st, NICADMIN_TEXT, NULL, 0, NULL);
	/* status is the default. */
	s = t_out(&st, 0, "", 0, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, text);
	free(s);
	s = t_out(&st, 0, " status \r\n", 0, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(s, text);
	free(s);
	free(text);
	s = t_out(&st, 0, "status", 1, &rc);
	assert_int_equal(rc, 0);
	assert_memory_equal(s, "{\"ok\":true,\"interface\":", 23);
	free(s);

	s = t_out(&st, 0, "help", 0, &rc);
	assert_int_equal(rc, 0);
	assert_memory_equal(s, "status                   state, hub,", 35);
	assert_non_null(strstr(s, "\nhelp [COMMAND]           list the "
	    "commands"));
	free(s);
	s = t_out(&st, 0, "help status", 1, &rc);
	assert_int_equal(rc, 0);
	assert_memory_equal(s, "{\"ok\":true,\"commands\":[{\"command\":"
	    "\"status\",\"args\":\"\",\"help\":", 59);
	assert_null(strstr(s, "\"help\",\"args\""));
	free(s);

	s = t_out(&st, 0, "help nope", 0, &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(s, "help: no command 'nope'\n");
	free(s);
	s = t_out(&st, 0, "session list", 0, &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(s, "unknown command 'session' (try: help)\n");
	free(s);
	s = t_out(&st, 0, "status now", 1, &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(s, "{\"ok\":false,\"error\":\"status: takes no "
	    "arguments\"}\n");
	free(s);
	s = t_out(&st, 0, "sta\"tus", 0, &rc);
	assert_int_equal(rc, -1);
	assert_string_equal(s, "unterminated double quote\n");
	free(s);

	/* The hub's table knows nothing of the card's, and the reverse. */
	const struct admincmd *t = nicadmin_table(&n);
	struct admincmd_line l;
	char err[128];
	assert_int_equal(n, 2);
	assert_int_equal(admincmd_parse_table(t, n, "user list X", 11, &l,
	    err, sizeof err), -1);
	assert_int_equal(admincmd_parse_table(t, n, "status", 6, &l, err,
	    sizeof err), 0);
	assert_int_equal(l.cmd->id, ADMINCMD_STATUS);
	assert_int_equal(admincmd_parse("user list X", 11, &l, err,
	    sizeof err), 0);
}

static void
test_socket_name(void **state)
{
	char p[256], tag[CONTROL_NETNS_MAX + 32];

	(void)state;
	control_nic_path(p, sizeof p, NULL, "vpn0", "");
	assert_string_equal(p, "/run/softether/nic-vpn0.sock");
	control_nic_path(p, sizeof p, "/tmp/r", "eth1", "office");
	assert_string_equal(p, "/tmp/r/nic-eth1@office.sock");
	/* Whatever this process's namespace is, its tag is a plain name. */
	control_netns(tag, sizeof tag);
	assert_int_equal(strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
	    "NOPQRSTUVWXYZ0123456789._-"), strlen(tag));
}

/* ---- The control socket as a card opens it ------------------------- */

static int t_calls;

static int
t_exec(void *arg, const char *line, size_t len, int json,
    struct evbuffer *out)
{
	t_calls++;
	evbuffer_add_printf(out, "%s %.*s %d\n", (const char *)arg, (int)len,
	    line, json);
	return 0;
}

static int
t_connect(const char path[64])
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

/* A socket file no process listens on; old: bound a minute ago. */
static void
t_dead_socket(const char path[64], int old)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timespec ts[2] = { { time(NULL) - 60, 0 }, { time(NULL) - 60,
	    0 } };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	if (old)
		assert_int_equal(utimensat(AT_FDCWD, path, ts,
		    AT_SYMLINK_NOFOLLOW), 0);
}

static void
test_control_socket(void **state)
{
	struct event_base *base = event_base_new();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_nicadmin.XXXXXX", path[64], got[256];
	struct control *ctl, *second;
	size_t have = 0;
	int fd;

	(void)state;
	assert_non_null(base);
	assert_non_null(mkdtemp(dir));
	/* The run directory is made if missing (one level). */
	snprintf(path, sizeof path, "%s/run/nic-vpn0.sock", dir);

	/* A stale socket (nobody listens) is replaced. */
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/run", dir);
	assert_int_equal(mkdir(sa.sun_path, 0755), 0);
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	close(fd);
	ctl = control_open(base, path, t_exec, "card");
	assert_non_null(ctl);

	/* A second opener meets the live one. */
	errno = 0;
	second = control_open(base, path, t_exec, "other");
	assert_null(second);
	assert_int_equal(errno, EADDRINUSE);

	/* A request answered by the owner's callback, framed. */
	fd = t_connect(path);
	assert_int_equal(write(fd, "J status\n", 9), 9);
	/* "OK 14\n" and the 14 bytes of the answer. */
	for (int i = 0; i < 400 && have < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		ssize_t r = recv(fd, got + have, sizeof got - 1 - have,
		    MSG_DONTWAIT);
		if (r > 0)
			have += (size_t)r;
		else
			usleep(5000);
	}
	got[have] = '\0';
	assert_string_equal(got, "OK 14\ncard status 1\n");
	assert_int_equal(t_calls, 1);
	close(fd);

	/* Another card's socket nobody answers goes once it is old enough;
	 * the live one, a fresh one and other files stay. */
	char stale[64], fresh[64], other[64];
	snprintf(stale, sizeof stale, "%s/run/nic-eth1@x.sock", dir);
	snprintf(fresh, sizeof fresh, "%s/run/nic-vpn1.sock", dir);
	snprintf(other, sizeof other, "%s/run/control.sock", dir);
	t_dead_socket(stale, 1);
	t_dead_socket(fresh, 0);
	t_dead_socket(other, 1);
	control_nic_sweep(path);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(fresh, F_OK), 0);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(access(path, F_OK), 0);
	unlink(fresh);
	unlink(other);

	control_free(ctl);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof path, "%s/run", dir);
	rmdir(path);
	rmdir(dir);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_status_json),
		cmocka_unit_test(test_status_line),
		cmocka_unit_test(test_status_address),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_socket_name),
		cmocka_unit_test(test_control_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
