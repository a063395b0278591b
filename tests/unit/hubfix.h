/*
 * hubfix.h: the fixture the in-process tests share: a hub on 127.0.0.1 and
 * cards with socketpair devices, all on one event loop, without root;
 * helpers to turn the loop until something holds, and to put frames on a
 * card's device and read them off another's.
 */
#ifndef SOFTETHER_TEST_HUBFIX_H
#define SOFTETHER_TEST_HUBFIX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sodium.h>

#include "auth.h"
#include "clock.h"
#include "conn.h"
#include "hubconf.h"
#include "log.h"
#include "nic.h"
#include "server.h"
#include "session.h"

#define T_UNUSED __attribute__((unused))

#define T_WAIT_MS      10000u /* any one step; far above what it takes */
#define T_TICK_MS      10u
#define T_FRAME_LEN    200u
#define T_CUT_FRAMES   50u    /* sent while the connection is down */
#define T_PASSWORD     "correct horse"
#define T_LOG_MAX      64u

struct t_card {
	struct nic_opts o;
	struct nic *nic;
	int done, code;
};

struct t_env {
	struct event_base *base;
	struct event *tick;
	char dir[64], pwfile[96], badpw[96], yaml[2048], cfgfile[96];
	struct hubconf cfg;
	struct srv *hub;
	char fp[65];
	uint16_t port;
	struct t_card a, b, bad;
	char log[T_LOG_MAX][256];  /* warnings and errors, newest last */
	size_t nlog;
};

static T_UNUSED void
t_sink(void *arg, enum log_level level, const char *line)
{
	struct t_env *e = arg;

	if (level > LOG_LVL_WARN)
		return;
	if (e->nlog == T_LOG_MAX) {
		memmove(e->log[0], e->log[1], sizeof e->log[0] * (T_LOG_MAX - 1));
		e->nlog--;
	}
	snprintf(e->log[e->nlog++], sizeof e->log[0], "%s", line);
}

static T_UNUSED int
t_logged(const struct t_env *e, const char *needle)
{
	for (size_t i = 0; i < e->nlog; i++)
		if (strstr(e->log[i], needle) != NULL)
			return 1;
	return 0;
}

static T_UNUSED void
t_tick(evutil_socket_t fd, short what, void *arg)
{
}

/* Turn the loop until cond(arg) holds; fail after T_WAIT_MS. */
static T_UNUSED void
t_until(struct t_env *e, int (*cond)(void *), void *arg, const char *what)
{
	uint64_t end = clock_now_ms() + T_WAIT_MS;

	while (!cond(arg)) {
		if (clock_now_ms() > end)
			fail_msg("timed out waiting for %s", what);
		assert_int_not_equal(event_base_loop(e->base, EVLOOP_ONCE), -1);
	}
}

static T_UNUSED int
t_card_up(void *arg)
{
	struct t_card *c = arg;

	return nic_state(c->nic) == NIC_UP;
}

static T_UNUSED int
t_card_done(void *arg)
{
	return ((struct t_card *)arg)->done;
}

static T_UNUSED void
t_card_stopped(void *arg, int code)
{
	struct t_card *c = arg;

	c->done = 1;
	c->code = code;
}

static T_UNUSED uint16_t
t_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static T_UNUSED void
t_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static T_UNUSED void
t_card_opts(struct t_env *e, struct t_card *c, const char *name,
    const char *pwfile, const char *mac)
{
	memset(c, 0, sizeof *c);
	snprintf(c->o.host, sizeof c->o.host, "127.0.0.1");
	c->o.port = e->port;
	c->o.user = "alice";
	c->o.password_file = pwfile;
	c->o.hub_name = "DEFAULT";
	c->o.dev = &dev_pair;
	c->o.ifname = name;
	c->o.mac = mac;
	c->o.fingerprint = e->fp;
	c->o.via = &transport_direct;
	c->o.resume_window_ms = PROTO_RESUME_WINDOW_MS;
	c->o.dead_peer_ms = PROTO_DEAD_PEER_MS;
	c->o.keepalive_ms = PROTO_KEEPALIVE_MS;
	c->o.resume_budget = PROTO_RESUME_BUDGET;
}

static T_UNUSED void
t_card_start(struct t_env *e, struct t_card *c)
{
	c->nic = nic_new(e->base, &c->o, t_card_stopped, c);
	assert_non_null(c->nic);
}

/* The hub, with this dead-peer time. */
static T_UNUSED int
t_setup_hub(void **state, uint32_t dead_peer_ms)
{
	struct t_env *e = calloc(1, sizeof *e);
	char hash[AUTH_HASH_MAX], err[512];
	struct timeval tick = { 0, T_TICK_MS * 1000 };
	struct server_opts so = { .resume_window_ms = PROTO_RESUME_WINDOW_MS,
	    .dead_peer_ms = dead_peer_ms,
	    .keepalive_ms = PROTO_KEEPALIVE_MS,
	    .resume_budget = PROTO_RESUME_BUDGET };

	if (e == NULL)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	log_init("test_nic", LOG_LVL_WARN, 0);
	log_set_sink(t_sink, e);
	snprintf(e->dir, sizeof e->dir, "/tmp/test_nic.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->pwfile, sizeof e->pwfile, "%s/pw", e->dir);
	snprintf(e->badpw, sizeof e->badpw, "%s/bad", e->dir);
	t_write_file(e->pwfile, T_PASSWORD "\n");
	t_write_file(e->badpw, "not the password\n");
	assert_int_equal(auth_hash_password(T_PASSWORD, strlen(T_PASSWORD),
	    hash), 0);
	e->port = t_free_port();
	snprintf(e->yaml, sizeof e->yaml,
	    "listen: [\"127.0.0.1:%u\"]\n"
	    "state_dir: %s/state\n"
	    "user: root\n"      /* the test process must stay itself */
	    "hubs:\n"
	    "  - name: DEFAULT\n"
	    "    users:\n"
	    "      - name: alice\n"
	    "        password: \"%s\"\n", e->port, e->dir, hash);
	/* In a file too, which a reload reads again. */
	snprintf(e->cfgfile, sizeof e->cfgfile, "%s/hub.yaml", e->dir);
	t_write_file(e->cfgfile, e->yaml);
	so.config_path = e->cfgfile;
	assert_int_equal(hubconf_load_file(e->cfgfile, NULL, &e->cfg, err,
	    sizeof err), 0);
	e->base = event_base_new();
	assert_non_null(e->base);
	/* The loop wakes at least this often, so t_until sees time pass. */
	e->tick = event_new(e->base, -1, EV_PERSIST, t_tick, NULL);
	event_add(e->tick, &tick);
	e->hub = server_new(e->base, &e->cfg, &so);
	assert_non_null(e->hub);
	snprintf(e->fp, sizeof e->fp, "%s", server_fingerprint(e->hub));
	*state = e;
	return 0;
}

static T_UNUSED int
t_setup(void **state)
{
	return t_setup_hub(state, PROTO_DEAD_PEER_MS);
}

static T_UNUSED int
t_teardown(void **state)
{
	struct t_env *e = *state;
	char cmd[128];

	nic_free(e->a.nic);
	nic_free(e->b.nic);
	nic_free(e->bad.nic);
	server_free(e->hub);
	/* Deferred closes and frees run once more. */
	event_base_loop(e->base, EVLOOP_NONBLOCK);
	event_free(e->tick);
	event_base_free(e->base);
	hubconf_free(&e->cfg);
	log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* Frame number idx from src (a broadcast when dst is NULL). */
static T_UNUSED size_t
t_frame(uint8_t f[T_FRAME_LEN], const uint8_t src[6], const uint8_t *dst,
    uint32_t idx)
{
	memset(f, 0, T_FRAME_LEN);
	if (dst != NULL)
		memcpy(f, dst, 6);
	else
		memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;                  /* a local experimental EtherType */
	f[13] = 0xb5;
	f[14] = (uint8_t)(idx >> 24);
	f[15] = (uint8_t)(idx >> 16);
	f[16] = (uint8_t)(idx >> 8);
	f[17] = (uint8_t)idx;
	for (size_t i = 18; i < T_FRAME_LEN; i++)
		f[i] = (uint8_t)(idx * 7u + i);
	return T_FRAME_LEN;
}

static T_UNUSED void
t_inject(struct t_card *c, const uint8_t *f, size_t len)
{
	assert_int_equal(send(nic_dev(c->nic)->peer_fd, f, len, 0),
	    (ssize_t)len);
}

struct t_rx {
	struct t_env *e;
	struct t_card *c;
	uint8_t f[DEV_FRAME_MAX];
	ssize_t len;
};

static T_UNUSED int
t_rx_ready(void *arg)
{
	struct t_rx *r = arg;

	r->len = recv(nic_dev(r->c->nic)->peer_fd, r->f, sizeof r->f,
	    MSG_DONTWAIT);
	return r->len >= 0;
}

/* The next frame the card puts on its device, as the OS would read it. */
static T_UNUSED void
t_expect(struct t_env *e, struct t_card *c, const uint8_t *want, size_t len)
{
	struct t_rx *r = malloc(sizeof *r);

	assert_non_null(r);
	r->e = e;
	r->c = c;
	t_until(e, t_rx_ready, r, "a frame on the device");
	assert_int_equal(r->len, len);
	assert_memory_equal(r->f, want, len);
	free(r);
}

static T_UNUSED const uint8_t t_mac_a[6] = { 0x5e, 0, 0, 0, 0, 0x0a };
static T_UNUSED const uint8_t t_mac_b[6] = { 0x5e, 0, 0, 0, 0, 0x0b };

static T_UNUSED void
t_two_cards(struct t_env *e)
{
	t_card_opts(e, &e->a, "pairA", e->pwfile, "5e:00:00:00:00:0a");
	t_card_opts(e, &e->b, "pairB", e->pwfile, "5e:00:00:00:00:0b");
	/* One after the other, so A's is session 1 and B's session 2 (the
	 * hub checks passwords in parallel, finishing in either order). */
	t_card_start(e, &e->a);
	assert_int_equal(nic_dev(e->a.nic)->carrier, 0);
	t_until(e, t_card_up, &e->a, "card A up");
	t_card_start(e, &e->b);
	t_until(e, t_card_up, &e->b, "card B up");
}

#endif
