/*
 * test_admin.c: the administration commands: the parser (every command,
 * arity, quoting, bad input) and each command against an in-process hub
 * with two cards on socketpair devices; the control socket's framing.
 */
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/buffer.h>

#include "hubfix.h"
#include "admin.h"
#include "admincmd.h"
#include "console.h"
#include "srv.h"

/* ---- The parser ---------------------------------------------------- */

static void
t_parse_ok(const char *line, enum admincmd_id id, size_t argc, ...)
{
	struct admincmd_line l;
	char err[256];
	va_list ap;

	if (admincmd_parse(line, strlen(line), &l, err, sizeof err) != 0)
		fail_msg("%s: %s", line, err);
	assert_non_null(l.cmd);
	assert_int_equal(l.cmd->id, id);
	assert_int_equal(l.argc, argc);
	va_start(ap, argc);
	for (size_t i = 0; i < argc; i++)
		assert_string_equal(l.argv[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
t_parse_bad(const char *line, const char *want)
{
	struct admincmd_line l;
	char err[256];

	assert_int_equal(admincmd_parse(line, strlen(line), &l, err,
	    sizeof err), -1);
	assert_string_equal(err, want);
}

static void
test_parser(void **state)
{
	struct admincmd_line l;
	char err[256], big[ADMINCMD_LINE_MAX + 8];
	size_t n;
	const struct admincmd *t = admincmd_table(&n);

	(void)state;
	/* Every command in the table parses with its own words. */
	for (size_t i = 0; i < n; i++) {
		char line[128];
		snprintf(line, sizeof line, "%s%.*s", t[i].words,
		    (int)(2 * t[i].min), " 1 1 1 1");
		assert_int_equal(admincmd_parse(line, strlen(line), &l, err,
		    sizeof err), 0);
		assert_ptr_equal(l.cmd, &t[i]);
	}
	t_parse_ok("status\r\n", ADMINCMD_STATUS, 0);
	t_parse_ok("  session   kick\t12 ", ADMINCMD_SESSION_KICK, 1, "12");
	t_parse_ok("session list", ADMINCMD_SESSION_LIST, 0);
	t_parse_ok("session list 'my hub'", ADMINCMD_SESSION_LIST, 1,
	    "my hub");
	t_parse_ok("mac list \"a \\\"b\\\\\"", ADMINCMD_MAC_LIST, 1,
	    "a \"b\\");
	t_parse_ok("ip list a\\ b", ADMINCMD_IP_LIST, 1, "a b");
	t_parse_ok("ip list ''", ADMINCMD_IP_LIST, 1, "");
	t_parse_ok("help session kick", ADMINCMD_HELP, 2, "session", "kick");
	assert_int_equal(admincmd_parse("", 0, &l, err, sizeof err), 0);
	assert_null(l.cmd);
	assert_int_equal(admincmd_parse("  \n", 3, &l, err, sizeof err), 0);
	assert_null(l.cmd);

	t_parse_bad("frobnicate", "unknown command 'frobnicate' (try: help)");
	t_parse_bad("session", "unknown command 'session' (try: help)");
	t_parse_bad("session kick", "session kick: expected ID");
	t_parse_bad("session kick 1 2", "session kick: expected ID");
	t_parse_bad("status now", "status: takes no arguments");
	t_parse_bad("mac list 'x", "unterminated single quote");
	t_parse_bad("mac list \"x", "unterminated double quote");
	t_parse_bad("\x1b[2Jx", "unknown command '?[2Jx' (try: help)");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	t_parse_bad(big, "line too long (at most 1024 bytes)");
	assert_int_equal(admincmd_parse("st\0atus", 7, &l, err, sizeof err),
	    -1);
	assert_string_equal(err, "NUL byte in the line");
	t_parse_bad("a b c d e f g h i j k l m n o p q",
	    "too many words (at most 16)");
}

static void
test_reply_framing(void **state)
{
	char hdr[ADMINCMD_REPLY_HDR];
	size_t len, used;
	int ok;

	(void)state;
	assert_int_equal(admincmd_reply_hdr(hdr, 1, 42), 6);
	assert_memory_equal(hdr, "OK 42\n", 6);
	assert_int_equal(admincmd_reply_parse(hdr, 6, &ok, &len, &used), 1);
	assert_true(ok && len == 42 && used == 6);
	assert_int_equal(admincmd_reply_parse("ERR 7\nxx", 8, &ok, &len,
	    &used), 1);
	assert_true(!ok && len == 7 && used == 6);
	assert_int_equal(admincmd_reply_parse("OK 4", 4, &ok, &len, &used), 0);
	assert_int_equal(admincmd_reply_parse("OK x\n", 5, &ok, &len, &used),
	    -1);
	assert_int_equal(admincmd_reply_parse("NO 1\n", 5, &ok, &len, &used),
	    -1);
	assert_int_equal(admincmd_reply_parse("OK 99999999999\n", 15, &ok,
	    &len, &used), -1);
	assert_int_equal(admincmd_reply_parse("OK 123456789012345678901234",
	    27, &ok, &len, &used), -1);
}

static void
t_strip(const char *in, size_t len, const char *want, size_t wlen)
{
	uint8_t buf[64];

	memcpy(buf, in, len);
	assert_int_equal(console_strip_telnet(buf, len), wlen);
	assert_memory_equal(buf, want, wlen);
}

/* Telnet negotiation is dropped from what the console reads. */
static void
test_telnet(void **state)
{
	(void)state;
	t_strip("status\r\n", 8, "status\r\n", 8);
	t_strip("\377\375\003pw\n", 6, "pw\n", 3);         /* IAC DO SGA */
	t_strip("a\377\377b", 4, "a\377b", 3);                /* IAC IAC */
	t_strip("\377\372\030\001\377\360x", 7, "x", 1);     /* IAC SB .. SE */
	t_strip("\377\361ok", 4, "ok", 2);                     /* IAC NOP */
	t_strip("ab\377", 3, "ab", 2);                         /* cut short */
	t_strip("\377\372\030", 3, "", 0);                    /* SB never ends */
}

/* ---- Commands against a hub ------------------------------------------ */

/* Run line; its output, NUL-terminated (free it). */
static char *
t_run(struct t_env *e, const char *line, int json, int want_rc)
{
	struct evbuffer *out = evbuffer_new();
	char *s;
	size_t n;

	assert_non_null(out);
	assert_int_equal(admin_line(e->hub, line, strlen(line), json, out),
	    want_rc);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	assert_non_null(s);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static void
t_has(char *s, const char *needle)
{
	if (strstr(s, needle) == NULL)
		fail_msg("'%s' not in:\n%s", needle, s);
	free(s);
}

/* An IPv4 frame from mac/ip, so the hub learns the address. */
static void
t_ip_frame(struct t_card *c, const uint8_t mac[6], uint32_t ip)
{
	uint8_t f[T_FRAME_LEN];

	t_frame(f, mac, NULL, 0);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(f + 14, 0, 20);
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 20 + 8;
	f[22] = 64;
	f[23] = 17;
	f[26] = (uint8_t)(ip >> 24);
	f[27] = (uint8_t)(ip >> 16);
	f[28] = (uint8_t)(ip >> 8);
	f[29] = (uint8_t)ip;
	memset(f + 30, 0xff, 4);
	t_inject(c, f, T_FRAME_LEN);
}

static int
t_hub_knows_ip(void *arg)
{
	struct t_env *e = arg;
	char *s = t_run(e, "ip list DEFAULT", 0, 0);
	int found = strstr(s, "10.9.8.7") != NULL;

	free(s);
	return found;
}

static void
test_commands(void **state)
{
	struct t_env *e = *state;
	uint8_t f[T_FRAME_LEN];

	t_two_cards(e);
	t_inject(&e->a, f, t_frame(f, t_mac_a, NULL, 1));
	t_expect(e, &e->b, f, T_FRAME_LEN);

	t_has(t_run(e, "status", 0, 0), "sessions 2 (ended 0)");
	t_has(t_run(e, "status", 1, 0), "\"sessions\":2,");
	t_has(t_run(e, "hub list", 0, 0), "DEFAULT");
	t_has(t_run(e, "hub list", 1, 0), "{\"name\":\"DEFAULT\","
	    "\"online\":true,\"sessions\":2,");
	t_has(t_run(e, "session list", 0, 0), "alice");
	t_has(t_run(e, "session list DEFAULT", 1, 0), "\"from\":\"127.0.0.1:");
	t_has(t_run(e, "session list", 1, 0), "\"transport\":\"direct\"");
	t_has(t_run(e, "session list NOPE", 0, -1), "no hub named 'NOPE'");
	t_has(t_run(e, "session show 1", 0, 0), "  user       alice");
	t_has(t_run(e, "session show 1", 1, 0), "\"state\":\"up\"");
	t_has(t_run(e, "session show 99", 1, -1), "{\"ok\":false,\"error\":"
	    "\"no session 99\"}");
	t_has(t_run(e, "session show x1", 0, -1), "'x1' is not a session ID");
	t_has(t_run(e, "mac list DEFAULT", 0, 0), "5e:00:00:00:00:0a");
	t_has(t_run(e, "mac list DEFAULT", 1, 0), "{\"mac\":\"5e:00:00:00:00:"
	    "0a\",\"session\":\"1\"");
	t_has(t_run(e, "mac list GREEN", 0, -1), "no hub named 'GREEN'");
	t_ip_frame(&e->a, t_mac_a, 0x0a090807);
	t_until(e, t_hub_knows_ip, e, "the hub to learn 10.9.8.7");
	t_has(t_run(e, "ip list DEFAULT", 1, 0), "{\"ip\":\"10.9.8.7\","
	    "\"session\":\"1\",\"source\":\"traffic\"");
	t_has(t_run(e, "mac delete DEFAULT 5e:00:00:00:00:0a", 0, 0),
	    "5e:00:00:00:00:0a forgotten");
	t_has(t_run(e, "mac delete DEFAULT 5e:00:00:00:00:0a", 0, -1),
	    "hub DEFAULT has no entry for 5e:00:00:00:00:0a");
	t_has(t_run(e, "mac delete DEFAULT ff:ff:ff:ff:ff:ff", 0, -1),
	    "is not a unicast MAC");
	t_has(t_run(e, "ip delete DEFAULT 10.9.8.7", 1, 0), "{\"ok\":true}");
	t_has(t_run(e, "ip list DEFAULT", 0, 0), "ADDRESS");
	assert_false(t_hub_knows_ip(e));
	t_has(t_run(e, "ip delete DEFAULT 10.9.8.7", 0, -1), "no entry for");
	t_has(t_run(e, "ip delete DEFAULT fe80::1", 0, -1), "no entry for");
	t_has(t_run(e, "ip delete DEFAULT nine", 0, -1), "not an IPv4 or IPv6");
	/* Learned again from the next frame (after the IPv4 one, flooded
	 * to B, is taken off B's device). */
	struct t_rx *rx = calloc(1, sizeof *rx);
	assert_non_null(rx);
	rx->e = e;
	rx->c = &e->b;
	t_until(e, t_rx_ready, rx, "the IPv4 frame at B");
	free(rx);
	t_inject(&e->a, f, t_frame(f, t_mac_a, NULL, 2));
	t_expect(e, &e->b, f, T_FRAME_LEN);
	t_has(t_run(e, "mac list DEFAULT", 0, 0), "5e:00:00:00:00:0a");
	t_has(t_run(e, "config show", 0, 0), "name: \"alice\"");
	t_has(t_run(e, "config show", 1, 0), "{\"ok\":true,\"config\":\"");
	t_has(t_run(e, "help", 0, 0), "session kick ID");
	t_has(t_run(e, "help session kick", 1, 0), "\"command\":\"session "
	    "kick\"");
	t_has(t_run(e, "help nope", 0, -1), "help: no command 'nope'");
	t_has(t_run(e, "log level chatty", 0, -1), "log level: expected");
	t_has(t_run(e, "log level warn", 1, 0), "\"log_level\":\"warn\"");
	t_has(t_run(e, "bogus", 1, -1), "unknown command 'bogus'");
	t_has(t_run(e, "", 1, 0), "{\"ok\":true}");
}

static int
srv_count(struct t_env *e)
{
	struct remote *r;
	int n = 0;

	TAILQ_FOREACH(r, &e->hub->remotes, entry)
		n++;
	return n;
}

static int
t_card_a_moved_on(void *arg)
{
	struct t_env *e = arg;

	return nic_state(e->a.nic) == NIC_UP && srv_count(e) == 2 &&
	    t_logged(e, "disconnected by the hub's administrator");
}

/* A kicked session ends with the administrator's words on the card, which
 * logs in afresh (a new session) instead of resuming the old one. */
static void
test_kick(void **state)
{
	struct t_env *e = *state;

	t_two_cards(e);
	t_has(t_run(e, "session kick 1", 0, 0), "session 1 kicked");
	t_until(e, t_card_a_moved_on, e, "card A to log in afresh");
	assert_true(t_logged(e, "session 1 lost: peer said goodbye: "
	    "disconnected by the hub's administrator"));
	t_has(t_run(e, "session show 1", 0, -1), "no session 1");
	t_has(t_run(e, "session show 3", 0, 0), "alice");
	t_has(t_run(e, "status", 1, 0), "\"sessions_ended\":1,");
}

/* A reload that changes nothing touches nothing; a broken file is refused
 * with where it broke, and the running configuration stays. */
static void
test_reload(void **state)
{
	struct t_env *e = *state;
	uint8_t f[T_FRAME_LEN];
	char want[256];

	t_two_cards(e);
	t_has(t_run(e, "reload", 0, 0), "configuration reloaded: 1 virtual "
	    "hub");
	assert_int_equal(srv_count(e), 2);
	t_has(t_run(e, "session show 1", 0, 0), "  state      up");
	t_inject(&e->a, f, t_frame(f, t_mac_a, t_mac_b, 9));
	t_expect(e, &e->b, f, T_FRAME_LEN);
	t_write_file(e->cfgfile, "hubs:\n  - name: DEFAULT\n    mac_aging: 1\n");
	snprintf(want, sizeof want, "reload refused: %s:3:16: hubs[0]."
	    "mac_aging: expected an integer 10..86400", e->cfgfile);
	t_has(t_run(e, "reload", 0, -1), want);
	assert_int_equal(srv_count(e), 2);
	/* Without alice, her sessions end with the reason. */
	t_write_file(e->cfgfile, "hubs:\n  - name: DEFAULT\n    users:\n"
	    "      - name: bob\n        password: \"$argon2id$v=19$m=65536,"
	    "t=2,p=1$2PGDU1N4OXpoL5N0XQXqxg$sZJKx8f/Yezro1E/0Nw7AIZabeuGawcyHb"
	    "cCGBreKBI\"\n");
	t_has(t_run(e, "reload", 0, 0), "configuration reloaded");
	t_until(e, t_card_done, &e->a, "card A to be refused");
	assert_int_equal(e->a.code, 2);
	assert_true(t_logged(e, "peer said goodbye: your account was removed "
	    "from the hub"));
}

static int
t_card_b_refused(void *arg)
{
	struct t_env *e = arg;

	return e->b.done;
}

/* Users and hubs changed through the console: live at once, saved in
 * managed.yaml, and still there after a restart. */
/* Two public keys (softether --gen-key), for the console's user key. */
#define T_KEY1 "xbW0O3h2WAI0UHpd/e9YMskFeln9bUCOwcEyA19X4ac="
#define T_KEY2 "Gb3/Xa6JX6BhP7a1Yt1Ztb+Nr6lIw6OvxzkK6EpFRQ0="

static void
test_changes(void **state)
{
	struct t_env *e = *state;
	char hash[AUTH_HASH_MAX], cmd[256], path[160];
	struct server_opts so = { .resume_window_ms = PROTO_RESUME_WINDOW_MS,
	    .dead_peer_ms = PROTO_DEAD_PEER_MS,
	    .keepalive_ms = PROTO_KEEPALIVE_MS,
	    .resume_budget = PROTO_RESUME_BUDGET, .config_path = e->cfgfile };
	struct hubconf cfg;
	char err[256];

	assert_int_equal(auth_hash_password(T_PASSWORD, strlen(T_PASSWORD),
	    hash), 0);
	/* A new user logs in at once. */
	snprintf(cmd, sizeof cmd, "user add DEFAULT bob --hash '%s'", hash);
	t_has(t_run(e, cmd, 0, 0), "done (saved)");
	t_has(t_run(e, cmd, 0, -1), "hub DEFAULT already has a user 'bob'");
	t_has(t_run(e, "user add DEFAULT carol", 0, -1), "--hash HASH");
	t_has(t_run(e, "user add DEFAULT carol --hash nope", 0, -1),
	    "expected an $argon2id$ hash");
	t_has(t_run(e, "user add NOHUB x --hash x", 0, -1), "no hub named "
	    "'NOHUB'");
	t_has(t_run(e, "user list DEFAULT", 0, 0), "bob                      "
	    "console");
	t_has(t_run(e, "user list DEFAULT", 1, 0), "{\"name\":\"alice\","
	    "\"from\":\"file\"");
	t_card_opts(e, &e->a, "pairA", e->pwfile, "5e:00:00:00:00:0a");
	t_card_opts(e, &e->b, "pairB", e->pwfile, "5e:00:00:00:00:0b");
	e->b.o.user = "bob";
	/* One after the other: session 2 is bob's (password checks run in
	 * parallel and may finish in either order). */
	t_card_start(e, &e->a);
	t_until(e, t_card_up, &e->a, "card A up");
	t_card_start(e, &e->b);
	t_until(e, t_card_up, &e->b, "bob's card up");

	/* A policy change reaches the live session; bad values are refused
	 * with the file's words. */
	t_has(t_run(e, "user policy DEFAULT bob max_mac 1", 0, 0), "saved");
	t_has(t_run(e, "user show DEFAULT bob", 0, 0), "max_mac=1");
	t_has(t_run(e, "session show 2", 1, 0), "\"user\":\"bob\"");
	assert_int_equal(srv_find_remote(e->hub, 2)->port.policy->max_mac, 1);
	t_has(t_run(e, "user policy DEFAULT bob max_mac lots", 0, -1),
	    "max_mac lots: expected an integer 0..65535");
	t_has(t_run(e, "user policy DEFAULT bob fly true", 0, -1),
	    "unknown policy key 'fly'");
	t_has(t_run(e, "hub set DEFAULT default_policy.deny_broadcast true",
	    0, 0), "saved");
	t_has(t_run(e, "user show DEFAULT alice", 0, 0), "deny_broadcast=true");
	t_has(t_run(e, "hub set DEFAULT mac_aging 5", 0, -1), "mac_aging 5: "
	    "expected seconds, 10..86400");
	t_has(t_run(e, "hub set DEFAULT mac_aging 60", 1, 0), "{\"ok\":true}");

	/* Keys: a user who logs in with one; one given to a password user
	 * and taken back; never the last way a user has to log in. */
	t_has(t_run(e, "user add DEFAULT erin --key " T_KEY1, 0, 0), "saved");
	t_has(t_run(e, "user show DEFAULT erin", 0, 0), "logs in by: key "
	    T_KEY1 "\n");
	t_has(t_run(e, "user add DEFAULT fred --key nope", 0, -1),
	    "expected a public key");
	t_has(t_run(e, "user key DEFAULT erin none", 0, -1), "has no "
	    "password");
	t_has(t_run(e, "user key DEFAULT alice " T_KEY2, 0, 0), "saved");
	t_has(t_run(e, "user show DEFAULT alice", 0, 0), "logs in by: "
	    "password, key " T_KEY2 "\n");
	t_has(t_run(e, "user list DEFAULT", 1, 0), "{\"name\":\"erin\","
	    "\"from\":\"console\",\"sessions\":0,\"password\":false,"
	    "\"public_key\":\"" T_KEY1 "\"");
	t_has(t_run(e, "user key DEFAULT alice none", 0, 0), "saved");
	t_has(t_run(e, "user show DEFAULT alice", 0, 0), "logs in by: "
	    "password\n");
	t_has(t_run(e, "user key DEFAULT nobody " T_KEY2, 0, -1), "no user "
	    "'nobody'");

	/* Hubs come and go; an offline hub refuses new logins. */
	t_has(t_run(e, "hub create LAB", 0, 0), "saved");
	t_has(t_run(e, "hub create LAB", 0, -1), "hub LAB already exists");
	t_has(t_run(e, "hub create 'bad name'", 0, -1), "is not a hub name");
	t_has(t_run(e, "hub list", 0, 0), "LAB");
	t_has(t_run(e, "hub offline LAB", 0, 0), "saved");
	t_has(t_run(e, "hub list", 1, 0), "{\"name\":\"LAB\",\"online\":"
	    "false");

	/* A deleted user's session ends, and the card is refused after. */
	t_has(t_run(e, "user delete DEFAULT bob", 0, 0), "saved");
	t_until(e, t_card_b_refused, e, "bob's card to be refused");
	assert_int_equal(e->b.code, 2);
	assert_true(t_logged(e, "your account was removed from the hub"));
	assert_int_equal(nic_state(e->a.nic), NIC_UP);

	/* Durable: a restarted hub has every change. */
	snprintf(path, sizeof path, "%s/state/managed.yaml", e->dir);
	assert_int_equal(access(path, R_OK), 0);
	nic_free(e->a.nic);
	e->a.nic = NULL;
	server_free(e->hub);
	assert_int_equal(hubconf_load_file(e->cfgfile, NULL, &cfg, err,
	    sizeof err), 0);
	hubconf_free(&e->cfg);
	e->cfg = cfg;
	e->hub = server_new(e->base, &e->cfg, &so);
	assert_non_null(e->hub);
	t_has(t_run(e, "hub list", 0, 0), "LAB ");
	t_has(t_run(e, "hub list", 1, 0), "\"online\":false");
	t_has(t_run(e, "user show DEFAULT alice", 0, 0), "deny_broadcast=true");
	t_has(t_run(e, "user show DEFAULT bob", 0, -1), "no user 'bob'");
	t_has(t_run(e, "user show DEFAULT erin", 0, 0), "key " T_KEY1);
	t_has(t_run(e, "hub delete LAB", 0, 0), "saved");
	t_has(t_run(e, "hub list", 0, 0), "DEFAULT");
	t_has(t_run(e, "hub delete DEFAULT", 0, -1), "is the last one");
}

/* A hub deleted under a live session: the session ends with the reason,
 * the card is then refused; the other hub's card runs on. */
static void
test_hub_delete_live(void **state)
{
	struct t_env *e = *state;
	char cmd[256], hash[AUTH_HASH_MAX];

	assert_int_equal(auth_hash_password(T_PASSWORD, strlen(T_PASSWORD),
	    hash), 0);
	t_has(t_run(e, "hub create LAB", 0, 0), "saved");
	snprintf(cmd, sizeof cmd, "user add LAB alice --hash '%s'", hash);
	t_has(t_run(e, cmd, 0, 0), "saved");
	t_card_opts(e, &e->a, "pairA", e->pwfile, "5e:00:00:00:00:0a");
	t_card_opts(e, &e->b, "pairB", e->pwfile, "5e:00:00:00:00:0b");
	e->a.o.hub_name = "LAB";
	t_card_start(e, &e->a);
	t_card_start(e, &e->b);
	t_until(e, t_card_up, &e->a, "card A up on LAB");
	t_until(e, t_card_up, &e->b, "card B up on DEFAULT");
	t_has(t_run(e, "hub delete LAB", 0, 0), "saved");
	t_until(e, t_card_done, &e->a, "card A to be refused");
	assert_int_equal(e->a.code, 2);
	assert_true(t_logged(e, "peer said goodbye: the hub was removed"));
	assert_true(t_logged(e, "no hub named 'LAB'"));
	assert_int_equal(nic_state(e->b.nic), NIC_UP);
	t_has(t_run(e, "hub list", 1, 0), "\"sessions\":1,");
}

struct t_ctl {
	int fd;
	char buf[8192];
	size_t have;
};

static int
t_ctl_reply(void *arg)
{
	struct t_ctl *c = arg;
	ssize_t n = recv(c->fd, c->buf + c->have, sizeof c->buf - 1 - c->have,
	    MSG_DONTWAIT);
	size_t len, used;
	int ok;

	if (n > 0)
		c->have += (size_t)n;
	c->buf[c->have] = '\0';
	return admincmd_reply_parse(c->buf, c->have, &ok, &len, &used) == 1 &&
	    c->have >= used + len;
}

/* The control socket beside the state: requests and framed replies. */
static void
test_control_socket(void **state)
{
	struct t_env *e = *state;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct t_ctl c = { -1, "", 0 };
	struct stat st;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/state/control.sock",
	    e->dir);
	assert_int_equal(stat(sa.sun_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	c.fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(c.fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(write(c.fd, "J hub list\n", 11), 11);
	t_until(e, t_ctl_reply, &c, "the control socket's reply");
	assert_memory_equal(c.buf, "OK ", 3);
	assert_non_null(strstr(c.buf, "\n{\"ok\":true,\"hubs\":[{\"name\":"
	    "\"DEFAULT\""));
	c.have = 0;
	assert_int_equal(write(c.fd, "T session kick 7\n", 17), 17);
	t_until(e, t_ctl_reply, &c, "the refusal");
	assert_string_equal(c.buf, "ERR 13\nno session 7\n");
	c.have = 0;
	assert_int_equal(write(c.fd, "status\n", 7), 7);
	t_until(e, t_ctl_reply, &c, "the bad request's answer");
	assert_memory_equal(c.buf, "ERR ", 4);
	close(c.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parser),
		cmocka_unit_test(test_reply_framing),
		cmocka_unit_test(test_telnet),
		cmocka_unit_test_setup_teardown(test_commands, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_kick, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_control_socket, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_reload, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_changes, t_setup,
		    t_teardown),
		cmocka_unit_test_setup_teardown(test_hub_delete_live, t_setup,
		    t_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
