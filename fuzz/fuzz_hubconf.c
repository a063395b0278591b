/*
 * fuzz_hubconf.c: hostile YAML into the configuration loader. Whatever
 * loads must print and reload to the identical print.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hubconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
fuzz_print(const struct hubconf *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		abort();
	hubconf_print(cfg, f);
	if (fclose(f) != 0)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hubconf cfg, again;
	char err[512], *first, *second;
	size_t i, j;

	if (hubconf_load_string("<fuzz>", (const char *)data, size, NULL, &cfg,
	    err, sizeof err) != 0) {
		/* One line, always terminated. */
		if (memchr(err, '\0', sizeof err) == NULL ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	for (i = 0; i < cfg.nhubs; i++) {
		if (hubconf_find_hub(&cfg, cfg.hubs[i].name) != &cfg.hubs[i])
			abort();
		for (j = 0; j < cfg.hubs[i].nusers; j++)
			if (hubconf_find_user(&cfg.hubs[i],
			    cfg.hubs[i].users[j].name) != &cfg.hubs[i].users[j])
				abort();
	}
	first = fuzz_print(&cfg);
	if (hubconf_load_string("<printed>", first, strlen(first), NULL,
	    &again, err, sizeof err) != 0) {
		fprintf(stderr, "print does not reload: %s\n%s", err, first);
		abort();
	}
	second = fuzz_print(&again);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "print changed:\n%s---\n%s", first, second);
		abort();
	}
	free(first);
	free(second);
	hubconf_free(&again);
	hubconf_free(&cfg);
	return 0;
}
