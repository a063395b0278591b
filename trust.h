/*
 * trust.h: is the hub on this TLS connection the one meant?
 */
#ifndef SOFTETHER_TRUST_H
#define SOFTETHER_TRUST_H

#include <stdint.h>

#include "tlsio.h"

enum trust_verdict {
	TRUST_OK = 0,
	TRUST_NO_CERT,      /* the hub showed no certificate */
	TRUST_MISMATCH,     /* not the certificate pinned or recorded (logged) */
};

/* With fingerprint: it must match. Else with a CA (have_ca) TLS has
 * verified the chain. Else known_hubs records the first fingerprint seen
 * for host:port and refuses a different one later. */
enum trust_verdict trust_hub(struct tlsio *tls, const char *host,
    uint16_t port, const char *fingerprint, int have_ca,
    const char *known_hubs);

#endif
