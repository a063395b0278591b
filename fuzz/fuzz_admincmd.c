/*
 * fuzz_admincmd.c: hostile bytes into the administration command parser,
 * the console's telnet filter and the control socket's reply and stream
 * framing. A parse either fails with one line
 * of error or yields a known command whose arguments fit its arity, each
 * a NUL-terminated string inside the line's buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admincmd.h"
#include "console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct admincmd_line l;
	char err[256];
	size_t len, used;
	int ok;

	err[0] = '\0';
	if (admincmd_parse((const char *)data, size, &l, err, sizeof err) != 0) {
		if (memchr(err, '\0', sizeof err) == NULL ||
		    strchr(err, '\n') != NULL || err[0] == '\0')
			abort();
	} else if (l.cmd != NULL) {
		if (l.argc < l.cmd->min || l.argc > l.cmd->max)
			abort();
		for (size_t i = 0; i < l.argc; i++)
			if (l.argv[i] < l.buf ||
			    l.argv[i] + strlen(l.argv[i]) >= l.buf + sizeof l.buf)
				abort();
	}
	int r = admincmd_reply_parse((const char *)data, size, &ok, &len,
	    &used);
	if (r == 1 && (used > size || len > ADMINCMD_REPLY_MAX))
		abort();
	enum admincmd_frame kind;
	r = admincmd_frame_parse((const char *)data, size, &kind, &len, &used);
	if (r == 1 && (used > size || len > ADMINCMD_REPLY_MAX ||
	    (unsigned)kind > ADMINCMD_FRAME_DATA))
		abort();
	uint8_t *copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	if (console_strip_telnet(copy, size) > size)
		abort();
	free(copy);
	return 0;
}
