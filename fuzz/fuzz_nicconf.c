/*
 * fuzz_nicconf.c: hostile YAML into the virtual LAN card's file loader.
 * Whatever loads must print and reload to the identical print, and the
 * whole-card checks a start runs must answer it in one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nic.h"
#include "nicconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
fuzz_print(const struct nicconf *cfg)
{
	char *text = nicconf_text(cfg);

	if (text == NULL)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nicconf cfg, again;
	char err[512], *first, *second;

	if (nicconf_load_string("<fuzz>", (const char *)data, size, &cfg,
	    err, sizeof err) != 0) {
		/* One line, always terminated. */
		if (memchr(err, '\0', sizeof err) == NULL ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	first = fuzz_print(&cfg);
	if (nicconf_load_string("<printed>", first, strlen(first), &again,
	    err, sizeof err) != 0) {
		fprintf(stderr, "print does not reload: %s\n%s", err, first);
		abort();
	}
	second = fuzz_print(&again);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "print changed:\n%s---\n%s", first, second);
		abort();
	}
	struct nic_opts o;
	if (nicconf_to_opts(&cfg, &o, err, sizeof err) != 0 &&
	    (memchr(err, '\0', sizeof err) == NULL || strchr(err, '\n') != NULL))
		abort();
	free(first);
	free(second);
	nicconf_free(&again);
	nicconf_free(&cfg);
	return 0;
}
