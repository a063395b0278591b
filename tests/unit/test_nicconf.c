/*
 * test_nicconf.c: the virtual LAN card's options: the file loader against
 * the golden files tests/config/nic_*, round trips and the seconds format;
 * the whole-card checks a start and --check-config share (nic_check_*);
 * the command line through the same table, and how it overrides a file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "nic.h"
#include "nicconf.h"

/* Every tests/config/NAME.yaml has a NAME.ok beside it. */
static const char *const golden[] = {
	"nic_good_full", "nic_good_minimal", "nic_good_dhcp", "nic_bad_ip",
	"nic_bad_unknown_key", "nic_bad_via", "nic_bad_connect",
	"nic_bad_mac", "nic_bad_fingerprint", "nic_bad_ssh_option",
	"nic_bad_ssh_options_many", "nic_bad_dead_peer",
	"nic_bad_relative_path", "nic_bad_hook",
};
#define NGOLDEN (sizeof golden / sizeof golden[0])

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *
print_nic(const struct nicconf *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	nicconf_print(cfg, f);
	fclose(f);
	return buf;
}

static void
test_golden(void **state)
{
	char yaml[256], ok[256], err[1024], *want, *got, *again_s;
	struct nicconf cfg, again;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		snprintf(yaml, sizeof yaml, "config/%s.yaml", golden[i]);
		snprintf(ok, sizeof ok, "config/%s.ok", golden[i]);
		want = slurp(ok);
		rc = nicconf_load_file(yaml, &cfg, err, sizeof err);
		if (strncmp(golden[i], "nic_good_", 9) == 0) {
			if (rc != 0)
				fail_msg("%s: %s", yaml, err);
			got = print_nic(&cfg);
			assert_string_equal(got, want);
			/* What is printed loads back to the same. */
			assert_int_equal(nicconf_load_string("<printed>",
			    got, strlen(got), &again, err, sizeof err), 0);
			again_s = print_nic(&again);
			assert_string_equal(again_s, got);
			free(again_s);
			nicconf_free(&again);
			free(got);
			nicconf_free(&cfg);
		} else {
			assert_int_equal(rc, -1);
			/* The .ok file holds the line plus a newline. */
			want[strcspn(want, "\n")] = '\0';
			assert_string_equal(err, want);
		}
		free(want);
	}
}

/* Loaded fine, then judged as a start would judge it. */
static const char *const checks[] = {
	"nic_check_good", "nic_check_ssh_option", "nic_check_socks5_no_proxy",
	"nic_check_fp_and_ca", "nic_check_no_user", "nic_check_bridge_ip",
	"nic_check_empty", "nic_check_foreign_option",
	"nic_check_dns_static", "nic_check_route_none", "nic_check_bridge_dns",
	"nic_check_ssh_tcp_congestion", "nic_check_no_secret",
};

static void
test_check(void **state)
{
	char yaml[256], ok[256], err[1024], *want, *got;
	struct nicconf cfg;
	struct nic_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		snprintf(yaml, sizeof yaml, "config/%s.yaml", checks[i]);
		snprintf(ok, sizeof ok, "config/%s.ok", checks[i]);
		want = slurp(ok);
		if (nicconf_load_file(yaml, &cfg, err, sizeof err) != 0)
			fail_msg("%s: %s", yaml, err);
		if (strcmp(checks[i], "nic_check_good") == 0) {
			if (nicconf_to_opts(&cfg, &o, err, sizeof err) != 0)
				fail_msg("%s: %s", yaml, err);
			got = print_nic(&cfg);
			assert_string_equal(got, want);
			free(got);
			assert_string_equal(o.host, "fd00::1");
			assert_int_equal(o.port, 443);
			assert_string_equal(o.via->name, "http-proxy");
			assert_string_equal(o.target.proxy_host,
			    "proxy.example.net");
			assert_int_equal(o.target.proxy_port, 3128);
			assert_int_equal(o.keepalive_ms, 5000);
			assert_int_equal(o.resume_budget, 16u << 20);
			assert_string_equal(o.ifname, "vpn0");
			assert_string_equal(o.hub_name, "DEFAULT");
			assert_string_equal(o.target.tcp_congestion, "cubic");
		} else {
			assert_int_equal(nicconf_to_opts(&cfg, &o, err,
			    sizeof err), -1);
			want[strcspn(want, "\n")] = '\0';
			assert_string_equal(err, want);
		}
		nicconf_free(&cfg);
		free(want);
	}
}

/* Options through the table: the file's checks, with the option named. */
static void
test_args(void **state)
{
	struct nicconf cli, file;
	struct nic_opts o;
	char err[1024], cwd[1024], want[1200];

	(void)state;
	memset(&cli, 0, sizeof cli);
	assert_int_equal(nicconf_arg(&cli, "no-such", "x", err, sizeof err), 1);
	assert_int_equal(nicconf_arg(&cli, "dead-peer", "1", err, sizeof err),
	    -1);
	assert_string_equal(err, "--dead-peer 1: expected seconds, 2..600");
	assert_int_equal(nicconf_arg(&cli, "mac", "01:00:00:00:00:01", err,
	    sizeof err), -1);
	assert_string_equal(err, "--mac 01:00:00:00:00:01: expected a unicast "
	    "MAC such as 5e:01:02:03:04:05");
	assert_int_equal(nicconf_arg(&cli, "connect", "10.1.1.1:7777", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_arg(&cli, "keepalive", "2.5", err,
	    sizeof err), 0);
	assert_int_equal(cli.keepalive_ms, 2500);
	assert_int_equal(nicconf_arg(&cli, "resume-budget", "4", err,
	    sizeof err), 0);
	/* A list option adds one element each time. */
	assert_int_equal(nicconf_arg(&cli, "ssh-option", "A=1", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_arg(&cli, "ssh-option", "B=2", err,
	    sizeof err), 0);
	assert_int_equal(cli.nssh_options, 2);
	assert_string_equal(cli.ssh_options[1], "B=2");
	/* A relative path is the current directory's. */
	assert_int_equal(nicconf_arg(&cli, "password-file", "pw.txt", err,
	    sizeof err), 0);
	assert_non_null(getcwd(cwd, sizeof cwd));
	snprintf(want, sizeof want, "%s/pw.txt", cwd);
	assert_string_equal(cli.password_file, want);
	assert_int_equal(nicconf_arg(&cli, "fingerprint", "00112233445566778899"
	    "aabbccddeeff00112233445566778899aabbccddeeff", err, sizeof err),
	    0);

	/* Over a file: the command line wins key by key, and its fingerprint
	 * replaces the file's ca. */
	assert_int_equal(nicconf_load_file("config/nic_good_minimal.yaml",
	    &file, err, sizeof err), 0);
	assert_non_null(file.ca);
	nicconf_merge(&file, &cli);
	assert_null(file.ca);
	assert_string_equal(file.connect, "10.1.1.1:7777");
	assert_int_equal(file.nssh_options, 2);
	/* Still no user: named as the option to give. */
	assert_int_equal(nicconf_to_opts(&file, &o, err, sizeof err), -1);
	assert_string_equal(err, "config/nic_good_minimal.yaml: a card needs "
	    "user (or --user)");
	assert_int_equal(nicconf_arg(&cli, "user", "alice", err, sizeof err),
	    0);
	assert_int_equal(nicconf_arg(&cli, "ca", "/etc/ca.pem", err,
	    sizeof err), 0);
	nicconf_merge(&file, &cli);
	/* The command line's ca replaced the fingerprint it gave before. */
	assert_null(file.fingerprint);
	/* Its ssh options, with the direct transport: refused, not ignored. */
	assert_int_equal(nicconf_to_opts(&file, &o, err, sizeof err), -1);
	assert_string_equal(err, "--ssh-option: goes with --via ssh, not "
	    "direct");
	assert_int_equal(nicconf_arg(&file, "via", "ssh", err, sizeof err), 0);
	assert_int_equal(nicconf_to_opts(&file, &o, err, sizeof err), -1);
	assert_string_equal(err, "--via: ssh: needs --ssh "
	    "[USER@]GATEWAY[:PORT]");
	assert_int_equal(nicconf_arg(&file, "ssh", "gw.example.net", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_to_opts(&file, &o, err, sizeof err), 0);
	assert_int_equal(o.target.nssh_options, 2);
	assert_int_equal(o.keepalive_ms, 2500);
	assert_int_equal(o.resume_budget, 4u << 20);
	assert_int_equal(o.port, 7777);
	assert_string_equal(o.ca_file, "/etc/ca.pem");
	/* Both on the command line: refused, named by the option. */
	assert_int_equal(nicconf_arg(&file, "fingerprint", "00112233445566778899"
	    "aabbccddeeff00112233445566778899aabbccddeeff", err, sizeof err),
	    0);
	assert_int_equal(nicconf_to_opts(&file, &o, err, sizeof err), -1);
	assert_string_equal(err, "--ca: use fingerprint or ca, not both");
	nicconf_free(&file);
	nicconf_free(&cli);
}

/* --bridge: the AF_PACKET device kind on that interface, and no TAP-only
 * option beside it. */
static void
test_bridge_opts(void **state)
{
	struct nicconf cli;
	struct nic_opts o;
	char err[512];

	(void)state;
	memset(&cli, 0, sizeof cli);
	assert_int_equal(nicconf_arg(&cli, "connect", "10.1.1.1", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_arg(&cli, "user", "site", err, sizeof err), 0);
	assert_int_equal(nicconf_arg(&cli, "password-file", "/etc/pw", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_to_opts(&cli, &o, err, sizeof err), 0);
	assert_ptr_equal(o.dev, &dev_tap);
	assert_int_equal(nicconf_arg(&cli, "bridge", "eth1", err, sizeof err),
	    0);
	assert_int_equal(nicconf_to_opts(&cli, &o, err, sizeof err), 0);
	assert_ptr_equal(o.dev, &dev_packet);
	assert_string_equal(o.ifname, "eth1");
	assert_int_equal(nicconf_arg(&cli, "bridge", "eth1;x", err,
	    sizeof err), -1);
	assert_int_equal(nicconf_arg(&cli, "mac", "5e:00:00:00:00:01", err,
	    sizeof err), 0);
	assert_int_equal(nicconf_to_opts(&cli, &o, err, sizeof err), -1);
	assert_string_equal(err, "--mac: goes with a TAP card, not a bridge "
	    "(the bridged interface keeps its own)");
	nicconf_free(&cli);
}

/* How a card gets its address: DHCP unless ip says otherwise; none for a
 * bridge; what DHCP gives only with DHCP. */
static void
test_addressing(void **state)
{
	static const struct {
		const char *ip;              /* NULL: not given */
		int bridge, dns;
		int rc;
		enum nic_addressing want;
		const char *static_ip;
	} cases[] = {
		{ NULL, 0, 0, 0, NIC_ADDR_DHCP, NULL },
		{ "dhcp", 0, 1, 0, NIC_ADDR_DHCP, NULL },
		{ "none", 0, 0, 0, NIC_ADDR_NONE, NULL },
		{ "10.1.2.3/24", 0, 0, 0, NIC_ADDR_STATIC, "10.1.2.3/24" },
		{ "fd00::1/64", 0, 0, 0, NIC_ADDR_STATIC, "fd00::1/64" },
		{ NULL, 1, 0, 0, NIC_ADDR_NONE, NULL },
		{ "none", 0, 1, -1, 0, NULL },
		{ "10.1.2.3/24", 0, 1, -1, 0, NULL },
		{ NULL, 1, 1, -1, 0, NULL },
	};
	struct nicconf cli;
	struct nic_opts o;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&cli, 0, sizeof cli);
		assert_int_equal(nicconf_arg(&cli, "connect", "10.1.1.1", err,
		    sizeof err), 0);
		assert_int_equal(nicconf_arg(&cli, "user", "u", err,
		    sizeof err), 0);
		assert_int_equal(nicconf_arg(&cli, "password-file", "/pw", err,
		    sizeof err), 0);
		if (cases[i].ip != NULL)
			assert_int_equal(nicconf_arg(&cli, "ip", cases[i].ip,
			    err, sizeof err), 0);
		if (cases[i].bridge)
			assert_int_equal(nicconf_arg(&cli, "bridge", "eth1",
			    err, sizeof err), 0);
		if (cases[i].dns)
			assert_int_equal(nicconf_arg(&cli, "dns", "true", err,
			    sizeof err), 0);
		assert_int_equal(nicconf_to_opts(&cli, &o, err, sizeof err),
		    cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(o.addressing, cases[i].want);
			assert_int_equal(o.dhcp_dns, cases[i].dns);
			if (cases[i].static_ip != NULL)
				assert_string_equal(o.ip, cases[i].static_ip);
			else
				assert_null(o.ip);
		} else
			assert_non_null(strstr(err, "--dns: "));
		nicconf_free(&cli);
	}
	memset(&cli, 0, sizeof cli);
	assert_int_equal(nicconf_arg(&cli, "ip", "dhcp6", err, sizeof err), -1);
	assert_string_equal(err, "--ip dhcp6: expected ADDRESS/PREFIX (e.g. "
	    "192.168.77.1/24), none or dhcp");
	nicconf_free(&cli);
}

static void
test_seconds(void **state)
{
	static const struct {
		const char *text;
		int ok;
		unsigned ms;
	} cases[] = {
		{ "resume_window: 0.5\n", 1, 500 },
		{ "resume_window: 3600\n", 1, 3600000 },
		{ "resume_window: 12.125\n", 1, 12125 },
		{ "resume_window: 0.499\n", 0, 0 },
		{ "resume_window: 3600.001\n", 0, 0 },
		{ "resume_window: 1.2345\n", 0, 0 },
		{ "resume_window: .5\n", 0, 0 },
		{ "resume_window: 5.\n", 0, 0 },
		{ "resume_window: \"5\"\n", 0, 0 },
		{ "resume_window: -5\n", 0, 0 },
		{ "resume_window: ~\n", 0, 0 },
		{ "resume_window: 99999999999999999999999\n", 0, 0 },
		{ "dead_peer: 2\n", 1, 0 },
	};
	struct nicconf cfg;
	char err[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = nicconf_load_string("<s>", cases[i].text,
		    strlen(cases[i].text), &cfg, err, sizeof err);
		if (!cases[i].ok) {
			if (rc != -1)
				fail_msg("accepted: %s", cases[i].text);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: %s", cases[i].text, err);
		if (cases[i].ms != 0)
			assert_int_equal(cfg.resume_window_ms, cases[i].ms);
		nicconf_free(&cfg);
	}
}

static void
test_empty_and_example(void **state)
{
	struct nicconf cfg;
	char err[512];
	char *got;

	(void)state;
	assert_int_equal(nicconf_load_string("<empty>", NULL, 0, &cfg, err,
	    sizeof err), 0);
	assert_null(cfg.connect);
	assert_int_equal(cfg.nssh_options, 0);
	got = print_nic(&cfg);
	assert_string_equal(got, "");
	free(got);
	nicconf_free(&cfg);

	if (nicconf_load_file("../client.yaml.example", &cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_non_null(cfg.connect);
	nicconf_free(&cfg);

	/* The example's tcp_congestion: system asks nothing of a transport:
	 * ssh takes it as well (and any other name is refused there). */
	static const char ssh[] = "connect: h\nuser: u\npassword_file: /p\n"
	    "via: ssh\nssh: gw\ntcp_congestion: system\n";
	struct nic_opts o;
	assert_int_equal(nicconf_load_string("<ssh>", ssh, strlen(ssh), &cfg,
	    err, sizeof err), 0);
	if (nicconf_to_opts(&cfg, &o, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_null(o.target.tcp_congestion);
	nicconf_free(&cfg);

	assert_int_equal(nicconf_load_file("config/no-such-file.yaml",
	    &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(nicconf_load_string("<list>", "- a\n", 4, &cfg,
	    err, sizeof err), -1);
	assert_string_equal(err, "<list>:1:1: expected a mapping of settings "
	    "at the top level");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_bridge_opts),
		cmocka_unit_test(test_addressing),
		cmocka_unit_test(test_empty_and_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
