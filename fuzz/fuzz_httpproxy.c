/*
 * fuzz_httpproxy.c: hostile bytes into the HTTP CONNECT reply decoder; the
 * first line of the input also goes through the request encoder as a host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HOST_MAX 300u

static void
fuzz_reply(const uint8_t *data, size_t size)
{
	struct httpproxy_reply r;
	const char *why = NULL;
	size_t k;

	switch (httpproxy_reply_decode(data, size, &r, &why)) {
	case PROTO_OK:
		if (r.header_len == 0 || r.header_len > size ||
		    r.header_len > HTTPPROXY_MAX_HEADER ||
		    r.status < 100 || r.status > 999)
			abort();
		k = strnlen(r.status_line, sizeof r.status_line);
		if (k == sizeof r.status_line)
			abort();
		for (size_t i = 0; i < k; i++)
			if (r.status_line[i] < ' ' || r.status_line[i] >= 0x7f)
				abort();
		/* The reply alone decodes the same; one byte short of it is
		 * still waiting. */
		{
			struct httpproxy_reply again;
			size_t len = r.header_len;
			if (httpproxy_reply_decode(data, len, &again, &why) !=
			    PROTO_OK || again.header_len != len ||
			    again.status != r.status)
				abort();
			if (httpproxy_reply_decode(data, len - 1, &again,
			    &why) != PROTO_NEED_MORE)
				abort();
		}
		break;
	case PROTO_NEED_MORE:
		if (size >= HTTPPROXY_MAX_HEADER)
			abort();
		break;
	case PROTO_BAD:
		if (why == NULL)
			abort();
		break;
	default:
		abort();
	}
}

static void
fuzz_request(const uint8_t *data, size_t size)
{
	char host[FUZZ_HOST_MAX + 1], out[PROXY_OUT_MAX];
	const char *why = NULL;
	size_t n = 0, len;

	while (n < size && n < FUZZ_HOST_MAX && data[n] != '\n' &&
	    data[n] != '\0')
		n++;
	memcpy(host, data, n);
	host[n] = '\0';
	len = httpproxy_request_encode(out, sizeof out, host, 443, "u", "p",
	    &why);
	if (len >= sizeof out || (len == 0 && why == NULL))
		abort();
	/* Exactly one blank line, at the very end: nothing injected. */
	if (len > 0 && (strstr(out, "\r\n\r\n") != out + len - 4 ||
	    strlen(out) != len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reply(data, size);
	fuzz_request(data, size);
	return 0;
}
