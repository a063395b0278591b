/*
 * fuzz_socks.c: hostile bytes into every SOCKS reply decoder (SOCKS4, SOCKS5
 * method, user/password and CONNECT replies), and the CONNECT encoders.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HOST_MAX 300u
#define FUZZ_OUT_MAX  600u

static void
fuzz_v4(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	uint8_t code;

	switch (socks_v4_reply_decode(data, size, &code, &why)) {
	case PROTO_OK:
		if (size < SOCKS_V4_REPLY_LEN ||
		    socks_v4_reply_text(code) == NULL)
			abort();
		break;
	case PROTO_NEED_MORE:
		if (size >= SOCKS_V4_REPLY_LEN)
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
fuzz_v5(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	uint8_t method, code;
	size_t used = 0;
	enum proto_result rc;

	for (int offered = 0; offered <= 1; offered++) {
		rc = socks_v5_method_decode(data, size, offered, &method, &why);
		if ((rc == PROTO_OK && size < SOCKS_V5_METHOD_LEN) ||
		    (rc == PROTO_NEED_MORE && size >= SOCKS_V5_METHOD_LEN))
			abort();
	}
	rc = socks_v5_auth_decode(data, size, &why);
	if ((rc == PROTO_OK && size < SOCKS_V5_AUTH_LEN) ||
	    (rc == PROTO_NEED_MORE && size >= SOCKS_V5_AUTH_LEN))
		abort();
	rc = socks_v5_reply_decode(data, size, &code, &used, &why);
	if (rc == PROTO_OK) {
		size_t again = 0;
		if (used > size || used < 2 || socks_v5_reply_text(code) ==
		    NULL)
			abort();
		/* A success is whole at exactly used bytes, and not before. */
		if (code == SOCKS_V5_SUCCEEDED &&
		    (socks_v5_reply_decode(data, used, &code, &again, &why) !=
		    PROTO_OK || again != used ||
		    socks_v5_reply_decode(data, used - 1, &code, &again,
		    &why) != PROTO_NEED_MORE))
			abort();
	}
}

/* The input's first line as a hub host: a CONNECT request, turned into a
 * success reply, decodes to exactly its own length. */
static void
fuzz_encode(const uint8_t *data, size_t size)
{
	char host[FUZZ_HOST_MAX + 1];
	uint8_t out[FUZZ_OUT_MAX];
	const char *why = NULL;
	size_t n = 0, len, used = 0;
	uint8_t code;

	while (n < size && n < FUZZ_HOST_MAX && data[n] != '\n' &&
	    data[n] != '\0')
		n++;
	memcpy(host, data, n);
	host[n] = '\0';
	len = socks_v5_connect_encode(out, sizeof out, host, 7777);
	if (len > sizeof out)
		abort();
	if (len > 0) {
		out[1] = SOCKS_V5_SUCCEEDED;
		if (socks_v5_reply_decode(out, len, &code, &used, &why) !=
		    PROTO_OK || used != len)
			abort();
	}
	len = socks_v4_request_encode(out, sizeof out, host, 7777, host);
	if (len > sizeof out)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_v4(data, size);
	fuzz_v5(data, size);
	fuzz_encode(data, size);
	return 0;
}
