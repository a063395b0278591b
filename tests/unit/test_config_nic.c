/*
 * test_config_nic.c: the virtual LAN card's file loader against the golden
 * files tests/config/nic_*, plus round trips and the seconds format.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_nic.h"

/* Every tests/config/NAME.yaml has a NAME.ok beside it. */
static const char *const golden[] = {
	"nic_good_full", "nic_good_minimal",
	"nic_bad_unknown_key", "nic_bad_via", "nic_bad_connect",
	"nic_bad_mac", "nic_bad_fingerprint", "nic_bad_ssh_option",
	"nic_bad_ssh_options_many", "nic_bad_dead_peer",
	"nic_bad_relative_path",
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
print_nic(const struct config_nic *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	config_nic_print(cfg, f);
	fclose(f);
	return buf;
}

static void
test_golden(void **state)
{
	char yaml[256], ok[256], err[1024], *want, *got, *again_s;
	struct config_nic cfg, again;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NGOLDEN; i++) {
		snprintf(yaml, sizeof yaml, "config/%s.yaml", golden[i]);
		snprintf(ok, sizeof ok, "config/%s.ok", golden[i]);
		want = slurp(ok);
		rc = config_nic_load_file(yaml, &cfg, err, sizeof err);
		if (strncmp(golden[i], "nic_good_", 9) == 0) {
			if (rc != 0)
				fail_msg("%s: %s", yaml, err);
			got = print_nic(&cfg);
			assert_string_equal(got, want);
			/* What is printed loads back to the same. */
			assert_int_equal(config_nic_load_string("<printed>",
			    got, strlen(got), &again, err, sizeof err), 0);
			again_s = print_nic(&again);
			assert_string_equal(again_s, got);
			free(again_s);
			config_nic_free(&again);
			free(got);
			config_nic_free(&cfg);
		} else {
			assert_int_equal(rc, -1);
			/* The .ok file holds the line plus a newline. */
			want[strcspn(want, "\n")] = '\0';
			assert_string_equal(err, want);
		}
		free(want);
	}
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
	struct config_nic cfg;
	char err[512];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rc = config_nic_load_string("<s>", cases[i].text,
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
		config_nic_free(&cfg);
	}
}

static void
test_empty_and_example(void **state)
{
	struct config_nic cfg;
	char err[512];
	char *got;

	(void)state;
	assert_int_equal(config_nic_load_string("<empty>", NULL, 0, &cfg, err,
	    sizeof err), 0);
	assert_null(cfg.connect);
	assert_int_equal(cfg.nssh_options, 0);
	got = print_nic(&cfg);
	assert_string_equal(got, "");
	free(got);
	config_nic_free(&cfg);

	if (config_nic_load_file("../client.yaml.example", &cfg, err,
	    sizeof err) != 0)
		fail_msg("%s", err);
	assert_non_null(cfg.connect);
	config_nic_free(&cfg);

	assert_int_equal(config_nic_load_file("config/no-such-file.yaml",
	    &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, "cannot open"));
	assert_int_equal(config_nic_load_string("<list>", "- a\n", 4, &cfg,
	    err, sizeof err), -1);
	assert_string_equal(err, "<list>:1:1: expected a mapping of settings "
	    "at the top level");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_empty_and_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
