/*
 * test_hubconf.c: the configuration loader against the golden files in
 * tests/config, plus round trips, overrides, limits and lookups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "hubconf.h"

/* Every tests/config/NAME.yaml has a NAME.ok beside it. */
static const char *const golden[] = {
	"good_minimal", "good_full", "good_defaults", "good_hubs",
	"good_star", "good_ipv6", "good_policy", "good_admin",
	"bad_admin_remote",
	"bad_syntax", "bad_unknown_top", "bad_unknown_nested",
	"bad_type_list", "bad_type_int", "bad_type_map", "bad_quoted_int",
	"bad_port_zero", "bad_port_high", "bad_address", "bad_address_v6",
	"bad_address_name", "bad_listen_dup", "bad_listen_empty",
	"bad_hub_name", "bad_hub_name_long", "bad_dup_hub", "bad_dup_user",
	"bad_no_password", "bad_empty_password", "bad_password",
	"bad_user_name", "bad_missing_name", "bad_aging", "bad_sessions",
	"bad_empty_hubs", "bad_dup_key", "bad_relative_state", "bad_level",
	"bad_alias", "bad_tag", "bad_two_docs", "bad_top_list", "bad_nul",
	"bad_utf8", "bad_policy_key", "bad_policy_type", "bad_policy_range",
	"bad_policy_map", "bad_online",
	"good_bridges", "bad_bridge_hub", "bad_bridge_dup", "bad_bridge_name",
	"bad_limits_reserve",
	"good_metrics", "bad_metrics_name", "bad_metrics_key",
	"bad_tcp_congestion",
	"good_cascades", "bad_cascade_hub", "bad_cascade_tap",
	"bad_cascade_needs", "bad_cascade_via", "bad_cascade_dup",
	"good_user_key", "bad_user_key", "bad_user_key_text",
	"good_cascade_key", "bad_cascade_two_secrets",
};

#define NGOLDEN (sizeof golden / sizeof golden[0])

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

static char *
print_config(const struct hubconf *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	hubconf_print(cfg, f);
	assert_int_equal(fclose(f), 0);
	return text;
}

static int
is_zeroed(const struct hubconf *cfg)
{
	static const struct hubconf zero;

	return memcmp(cfg, &zero, sizeof zero) == 0;
}

/* Print, load the print, print again: both prints must match. */
static void
check_round_trip(const struct hubconf *cfg)
{
	struct hubconf again;
	char err[512], *first, *second;

	first = print_config(cfg);
	if (hubconf_load_string("<printed>", first, strlen(first), NULL,
	    &again, err, sizeof err) != 0)
		fail_msg("reloading the print of %s: %s", cfg->source, err);
	second = print_config(&again);
	assert_string_equal(first, second);
	free(first);
	free(second);
	hubconf_free(&again);
}

static void
test_golden(void **state)
{
	char yaml[128], ok[128], err[512], *want, *got;
	struct hubconf cfg;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		snprintf(yaml, sizeof yaml, "config/%s.yaml", golden[i]);
		snprintf(ok, sizeof ok, "config/%s.ok", golden[i]);
		want = slurp(ok);
		rc = hubconf_load_file(yaml, NULL, &cfg, err, sizeof err);
		if (strncmp(golden[i], "good_", 5) == 0) {
			if (rc != 0)
				fail_msg("%s: %s", yaml, err);
			got = print_config(&cfg);
			if (strcmp(got, want) != 0)
				fail_msg("%s printed:\n%s\nexpected:\n%s", yaml,
				    got, want);
			free(got);
			hubconf_free(&cfg);
		} else {
			if (rc == 0)
				fail_msg("%s loaded but should not", yaml);
			assert_true(is_zeroed(&cfg));
			/* The .ok file holds the line plus a newline. */
			want[strcspn(want, "\n")] = '\0';
			assert_null(strchr(err, '\n'));
			if (strcmp(err, want) != 0)
				fail_msg("%s said:\n%s\nexpected:\n%s", yaml,
				    err, want);
		}
		free(want);
	}
}

static void
test_round_trips(void **state)
{
	char yaml[128], err[512];
	struct hubconf cfg;
	size_t i;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		if (strncmp(golden[i], "good_", 5) != 0)
			continue;
		snprintf(yaml, sizeof yaml, "config/%s.yaml", golden[i]);
		assert_int_equal(hubconf_load_file(yaml, NULL, &cfg, err,
		    sizeof err), 0);
		check_round_trip(&cfg);
		hubconf_free(&cfg);
	}
	assert_int_equal(hubconf_load_file("config/good_full.yaml",
	    "/opt/se", &cfg, err, sizeof err), 0);
	check_round_trip(&cfg);
	hubconf_free(&cfg);

	/* Strings that need escaping or look like other YAML types. */
	static const char odd[] =
	    "state_dir: \"/a \\\"q\\\" \\\\ #x: \xc3\xa9\\u00a0 '\"\n"
	    "tls: {cert: '/c\"\\', key: /k\\x}\n"
	    "hubs:\n"
	    "  - name: null.x\n"
	    "  - name: 'true'\n"
	    "  - name: '123'\n"
	    "    users: [{name: 'null', password:\n"
	    "      '$argon2id$v=19$m=65536,t=2,p=1$k2nqwYAFW/WFlxBIcnn9pA$"
	    "Y83Etwxzy7cd5d0u4UoM0txOpyRiODBpqxZ8zVnf52E'}]\n";
	if (hubconf_load_string("<odd>", odd, strlen(odd), NULL, &cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(cfg.state_dir, "/a \"q\" \\ #x: \xc3\xa9\xc2\xa0 '");
	assert_string_equal(cfg.tls_cert, "/c\"\\");
	assert_string_equal(cfg.hubs[2].users[0].name, "null");
	check_round_trip(&cfg);
	hubconf_free(&cfg);
}

static void
test_default(void **state)
{
	struct hubconf def, empty;
	char err[512], *a, *b;

	(void)state;
	if (hubconf_load_string("<default>", hubconf_default_yaml,
	    strlen(hubconf_default_yaml), NULL, &def, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_string_equal(def.source, "<default>");
	assert_int_equal(def.nlisten, 4);
	assert_string_equal(def.listen[1], "[::]:443");
	assert_string_equal(def.state_dir, HUBCONF_DEFAULT_STATE);
	assert_string_equal(def.tls_cert, HUBCONF_DEFAULT_STATE "/hub.crt");
	assert_int_equal(def.log_level, LOG_LVL_INFO);
	assert_int_equal(def.nhubs, 1);
	assert_string_equal(def.hubs[0].name, "DEFAULT");
	assert_int_equal(def.hubs[0].mac_aging_s, 300);
	assert_int_equal(def.hubs[0].max_sessions, 1024);
	assert_int_equal(def.hubs[0].nusers, 0);
	check_round_trip(&def);

	/* The embedded text and the table's defaults agree. */
	assert_int_equal(hubconf_load_string("<empty>", NULL, 0, NULL, &empty,
	    err, sizeof err), 0);
	a = print_config(&def);
	b = print_config(&empty);
	assert_string_equal(a, b);
	free(a);
	free(b);
	hubconf_free(&def);
	hubconf_free(&empty);

	assert_int_equal(hubconf_load_string("<null>", "~\n", 2, NULL, &empty,
	    err, sizeof err), 0);
	assert_int_equal(empty.nhubs, 1);
	hubconf_free(&empty);
}

static void
test_example(void **state)
{
	const struct hubconf_user *u;
	struct hubconf cfg;
	char err[512];

	(void)state;
	if (hubconf_load_file("../config.yaml.example", NULL, &cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	check_round_trip(&cfg);
	u = hubconf_find_user(hubconf_find_hub(&cfg, "DEFAULT"), "alice");
	assert_non_null(u);
	/* The comment says the example hash is of "change-me". */
	assert_true(sodium_init() >= 0);
	assert_int_equal(crypto_pwhash_str_verify(u->password, "change-me",
	    strlen("change-me")), 0);
	hubconf_free(&cfg);
}

static void
test_override(void **state)
{
	struct hubconf cfg;
	char err[512];

	(void)state;
	assert_int_equal(hubconf_load_file("config/good_minimal.yaml", "/srv/x",
	    &cfg, err, sizeof err), 0);
	assert_string_equal(cfg.state_dir, "/srv/x");
	assert_string_equal(cfg.tls_cert, "/srv/x/hub.crt");
	assert_string_equal(cfg.tls_key, "/srv/x/hub.key");
	hubconf_free(&cfg);

	/* A trailing slash is not doubled. */
	assert_int_equal(hubconf_load_string("<s>", "", 0, "/", &cfg, err,
	    sizeof err), 0);
	assert_string_equal(cfg.tls_cert, "/hub.crt");
	hubconf_free(&cfg);

	/* Explicit tls paths win over the override; the rest follow it. */
	assert_int_equal(hubconf_load_file("config/good_ipv6.yaml", "/srv/y",
	    &cfg, err, sizeof err), 0);
	assert_string_equal(cfg.tls_cert, "/etc/hub.crt");
	assert_string_equal(cfg.tls_key, "/srv/y/hub.key");
	hubconf_free(&cfg);

	/* The override replaces even a state_dir the file sets. */
	assert_int_equal(hubconf_load_file("config/good_full.yaml", "/srv/z",
	    &cfg, err, sizeof err), 0);
	assert_string_equal(cfg.state_dir, "/srv/z");
	assert_string_equal(cfg.tls_cert, "/etc/softether/tls/hub.pem");
	hubconf_free(&cfg);

	assert_int_equal(hubconf_load_file("config/good_minimal.yaml",
	    "relative/dir", &cfg, err, sizeof err), -1);
	assert_true(is_zeroed(&cfg));
	assert_string_equal(err, "config/good_minimal.yaml: state directory "
	    "'relative/dir' given on the command line: expected an absolute "
	    "path of at most 4032 bytes");
}

static char *
many_hubs(size_t n)
{
	size_t i, cap = 32 + n * 32, len;
	char *text = malloc(cap);

	assert_non_null(text);
	len = (size_t)snprintf(text, cap, "hubs:\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "  - name: hub%zu\n", i);
	return text;
}

static void
test_too_many_hubs(void **state)
{
	struct hubconf cfg;
	char err[512], *text;

	(void)state;
	text = many_hubs(HUBCONF_MAX_HUBS);
	assert_int_equal(hubconf_load_string("<256>", text, strlen(text), NULL,
	    &cfg, err, sizeof err), 0);
	assert_int_equal(cfg.nhubs, HUBCONF_MAX_HUBS);
	assert_non_null(hubconf_find_hub(&cfg, "hub255"));
	hubconf_free(&cfg);
	free(text);

	text = many_hubs(HUBCONF_MAX_HUBS + 1);
	assert_int_equal(hubconf_load_string("<257>", text, strlen(text), NULL,
	    &cfg, err, sizeof err), -1);
	assert_string_equal(err,
	    "<257>:258:5: hubs[256]: too many entries (at most 256)");
	assert_true(is_zeroed(&cfg));
	free(text);
}

static void
test_find(void **state)
{
	const struct hubconf_hub *h;
	const struct hubconf_user *u;
	struct hubconf cfg;
	char err[512];

	(void)state;
	assert_int_equal(hubconf_load_file("config/good_full.yaml", NULL, &cfg,
	    err, sizeof err), 0);
	h = hubconf_find_hub(&cfg, "office.main");
	assert_ptr_equal(h, &cfg.hubs[0]);
	assert_ptr_equal(hubconf_find_hub(&cfg, "lab-2"), &cfg.hubs[1]);
	assert_null(hubconf_find_hub(&cfg, "OFFICE.MAIN"));
	assert_null(hubconf_find_hub(&cfg, "office"));
	assert_null(hubconf_find_hub(&cfg, ""));
	assert_null(hubconf_find_hub(&cfg, NULL));
	assert_null(hubconf_find_hub(NULL, "lab-2"));
	u = hubconf_find_user(h, "bob_1");
	assert_ptr_equal(u, &h->users[1]);
	assert_int_equal(u->line, 18);
	assert_int_equal(h->users[0].line, 16);
	assert_null(hubconf_find_user(h, "Bob_1"));
	assert_null(hubconf_find_user(h, NULL));
	assert_null(hubconf_find_user(NULL, "bob_1"));
	assert_null(hubconf_find_user(&cfg.hubs[1], "bob_1"));
	hubconf_free(&cfg);
	hubconf_free(&cfg);	/* twice is harmless */
}

/* Users inherit the hub's default policy key by key. */
static void
test_policies(void **state)
{
	const struct hubconf_hub *h;
	const struct sw_policy *p;
	struct hubconf cfg;
	char err[512];

	(void)state;
	if (hubconf_load_file("config/good_policy.yaml", NULL, &cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	h = hubconf_find_hub(&cfg, "office");
	assert_true(h->online);
	assert_true(h->default_policy.p.deny_broadcast);
	assert_int_equal(h->default_policy.p.max_mac, 1);
	assert_false(h->default_policy.p.filter_dhcp);

	p = &hubconf_find_user(h, "alice")->policy.p;
	assert_int_equal(hubconf_find_user(h, "alice")->policy.set, 0);
	assert_true(p->deny_broadcast && p->deny_dhcp_server);
	assert_int_equal(p->max_mac, 1);
	assert_int_equal(p->max_ip, 1);
	assert_false(p->force_dhcp_ip || p->deny_access || p->filter_dhcp);

	p = &hubconf_find_user(h, "bridge")->policy.p;
	assert_false(p->deny_broadcast);
	assert_int_equal(p->max_mac, 0);
	assert_int_equal(p->max_ip, 65535);
	assert_true(p->deny_dhcp_server);

	p = &hubconf_find_user(h, "guest")->policy.p;
	assert_true(p->force_dhcp_ip && p->deny_duplicate_ip &&
	    p->deny_duplicate_mac && p->ipv6_ra_filter && p->deny_reconnect);
	assert_true(p->deny_broadcast && p->deny_dhcp_server);
	assert_int_equal(p->max_sessions, 2);
	assert_int_equal(p->max_mac, 1);
	assert_false(p->deny_access);

	assert_true(hubconf_find_user(h, "banned")->policy.p.deny_access);

	h = hubconf_find_hub(&cfg, "closed");
	assert_false(h->online);
	p = &hubconf_find_user(h, "dhcp-server")->policy.p;
	assert_false(p->deny_broadcast || p->deny_dhcp_server);
	assert_int_equal(p->max_mac, 0);
	check_round_trip(&cfg);
	hubconf_free(&cfg);

	/* The default hub is online and, out of the box, nobody can take
	 * another's MAC or address, serve DHCP, route IPv6 or fill the MAC
	 * table (it used to police no one). */
	assert_int_equal(hubconf_load_string("<d>", "", 0, NULL, &cfg, err,
	    sizeof err), 0);
	assert_true(cfg.hubs[0].online);
	p = &cfg.hubs[0].default_policy.p;
	assert_true(p->deny_duplicate_mac && p->deny_duplicate_ip &&
	    p->deny_dhcp_server && p->ipv6_ra_filter);
	assert_int_equal(p->max_mac, 16);
	assert_false(p->deny_access || p->deny_broadcast || p->force_dhcp_ip);
	hubconf_free(&cfg);

	/* max_sessions given nowhere is 64; 0 said anywhere is unlimited. */
#define T_HASH "$argon2id$v=19$m=65536,t=2,p=1$k2nqwYAFW/WFlxBIcnn9pA$" \
	    "Y83Etwxzy7cd5d0u4UoM0txOpyRiODBpqxZ8zVnf52E"
	static const char two[] =
	    "hubs:\n"
	    "  - name: a\n"
	    "    users: [{name: u, password: \"" T_HASH "\"},\n"
	    "            {name: v, password: \"" T_HASH "\",\n"
	    "             policy: {max_sessions: 3}}]\n"
	    "  - name: b\n"
	    "    default_policy: {max_sessions: 0}\n"
	    "    users: [{name: u, password: \"" T_HASH "\"}]\n";
	assert_int_equal(hubconf_load_string("<m>", two, strlen(two), NULL,
	    &cfg, err, sizeof err), 0);
	assert_int_equal(hubconf_find_user(&cfg.hubs[0], "u")->policy.p.
	    max_sessions, HUBCONF_USER_SESSIONS);
	assert_int_equal(hubconf_find_user(&cfg.hubs[0], "v")->policy.p.
	    max_sessions, 3);
	assert_int_equal(hubconf_find_user(&cfg.hubs[1], "u")->policy.p.
	    max_sessions, 0);
	check_round_trip(&cfg);
	hubconf_free(&cfg);
}

static void
expect_error(const char *text, const char *want)
{
	struct hubconf cfg;
	char err[512];

	assert_int_equal(hubconf_load_string("<t>", text, strlen(text), NULL,
	    &cfg, err, sizeof err), -1);
	assert_true(is_zeroed(&cfg));
	assert_string_equal(err, want);
}

static void
test_limits(void **state)
{
	struct hubconf cfg;
	char err[512], small[8], *big;
	const char *text;
	size_t i, len = 4u * 1024u * 1024u + 1u;

	(void)state;
	big = malloc(len);
	assert_non_null(big);
	memset(big, '\n', len);
	assert_int_equal(hubconf_load_string("<big>", big, len, NULL, &cfg, err,
	    sizeof err), -1);
	assert_string_equal(err, "<big>: too large (4194305 bytes, at most "
	    "4194304)");
	/* Exactly at the limit is fine. */
	assert_int_equal(hubconf_load_string("<big>", big, len - 1, NULL, &cfg,
	    err, sizeof err), 0);
	hubconf_free(&cfg);

	for (i = 0; i < 40; i++)
		big[i] = '[';
	big[i] = '\0';
	expect_error(big, "<t>:1:17: nested more than 16 levels deep");
	free(big);

	expect_error("state_dir: \"/a\\x01b\"\n",
	    "<t>:1:12: state_dir: control characters are not allowed here");
	expect_error("state_dir: \"/a\\u2028b\"\n",
	    "<t>:1:12: state_dir: control characters are not allowed here");
	expect_error("hubs: [{name: a, mac_aging: 99999999999999999999999}]",
	    "<t>:1:29: hubs[0].mac_aging: expected an integer 10..86400");
	expect_error("hubs: [{name: a, mac_aging: -20}]",
	    "<t>:1:29: hubs[0].mac_aging: expected an integer 10..86400");
	expect_error("hubs: [~]", "<t>:1:8: hubs[0]: missing required key "
	    "'name'");
	expect_error("listen: [~]", "<t>:1:10: listen[0]: expected ADDR:PORT, "
	    "[IPV6ADDR]:PORT or *:PORT (e.g. 0.0.0.0:443, [::]:443 or *:443)");
	expect_error("listen: [\"1.2.3.4\"]", "<t>:1:10: listen[0]: expected "
	    "ADDR:PORT, [IPV6ADDR]:PORT or *:PORT, got '1.2.3.4'");
	expect_error("listen: [\"[::1]443\"]", "<t>:1:10: listen[0]: expected "
	    "[IPV6ADDR]:PORT, got '[::1]443'");
	expect_error("listen: [\"0.0.0.0:443\", \"*:443\"]", "<t>:1:25: "
	    "listen[1]: '*:443' overlaps '0.0.0.0:443' (line 1); list each "
	    "address and port once");
	expect_error("? [a]\n: b\n", "<t>:1:3: expected a key name here");
	expect_error("state_dir: \"/a\\u0085\"\n",
	    "<t>:1:12: state_dir: control characters are not allowed here");
	expect_error("state_dir: \"/a\\uFEFF\"\n",
	    "<t>:1:12: state_dir: control characters are not allowed here");
	expect_error("lisen: 1\n", "<t>:1:1: unknown key 'lisen' (known: "
	    "listen, tcp_congestion, state_dir, user, tls, log, admin, metrics, "
	    "limits, hubs, bridges, cascades)");

	/* Specific addresses under a wildcard of the other family are
	 * fine; so is the same address on another port. */
	text = "listen: [\"*:1\", \"[::1]:1\", \"[::1]:2\"]";
	assert_int_equal(hubconf_load_string("<t>", text, strlen(text), NULL,
	    &cfg, err, sizeof err), 0);
	hubconf_free(&cfg);

	/* No error buffer at all is allowed. */
	assert_int_equal(hubconf_load_string("<t>", "x: 1", 4, NULL, &cfg, NULL,
	    0), -1);
	assert_int_equal(hubconf_load_string("<t>", "x: 1", 4, NULL, &cfg,
	    small, sizeof small), -1);
	assert_string_equal(small, "<t>:1:1");

	assert_int_equal(hubconf_load_file("config/does-not-exist.yaml", NULL,
	    &cfg, err, sizeof err), -1);
	assert_string_equal(err, "config/does-not-exist.yaml: cannot open: "
	    "No such file or directory");
	assert_int_equal(hubconf_load_file("config", NULL, &cfg, err,
	    sizeof err), -1);
	assert_string_equal(err, "config: cannot read: is a directory");
	assert_int_equal(hubconf_load_file(NULL, NULL, &cfg, err, sizeof err),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_too_many_hubs),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
