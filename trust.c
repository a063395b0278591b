/*
 * trust.c: whether the hub at the far end of a TLS connection is the one
 * meant: its certificate's fingerprint pinned, or a chain verified (by
 * TLS), or trust on first use through a known_hubs file, as ssh does. The
 * card and softether --admin HOST both ask here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "log.h"
#include "trust.h"

/* known_hubs: "host:port sha256hex" per line. Returns 1 match, 0 unknown
 * (recorded now), -1 mismatch (*line set). */
static int
trust_known(const char *path, const char *host, uint16_t port,
    const char *fp, int *line, char *old, size_t oldlen)
{
	char key[300], buf[512];
	FILE *f;
	int ln = 0;

	snprintf(key, sizeof key, "%s:%u", host, port);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(buf, sizeof buf, f) != NULL) {
			char k[300], v[100];
			ln++;
			if (sscanf(buf, "%299s %99s", k, v) != 2 ||
			    strcmp(k, key) != 0)
				continue;
			fclose(f);
			if (strcmp(v, fp) == 0)
				return 1;
			*line = ln;
			snprintf(old, oldlen, "%s", v);
			return -1;
		}
		fclose(f);
	}
	/* Trust on first use, as ssh does. */
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			log_warn("cannot create %s: %s", dir, strerror(errno));
	}
	if ((f = fopen(path, "a")) == NULL) {
		log_warn("cannot record the hub's fingerprint in %s: %s; the "
		    "next connection will ask to trust it again", path,
		    strerror(errno));
		return 0;
	}
	/* A full disk must not pass for a recorded fingerprint. */
	if (fprintf(f, "%s %s\n", key, fp) < 0 || fflush(f) != 0 ||
	    fsync(fileno(f)) != 0) {
		log_warn("cannot record the hub's fingerprint in %s: %s", path,
		    strerror(errno));
		fclose(f);
		return 0;
	}
	if (fclose(f) != 0) {
		log_warn("cannot record the hub's fingerprint in %s: %s", path,
		    strerror(errno));
		return 0;
	}
	log_info("first connection to %s: recorded its certificate "
	    "fingerprint %s in %s", key, fp, path);
	return 0;
}

enum trust_verdict
trust_hub(struct tlsio *tls, const char *host, uint16_t port,
    const char *fingerprint, int have_ca, const char *known_hubs)
{
	char fp[CERT_FP_HEX], want[CERT_FP_HEX], old[100];
	int line = 0;

	if (tlsio_peer_fingerprint(tls, fp) != 0)
		return TRUST_NO_CERT;
	if (fingerprint != NULL) {
		cert_fingerprint_parse(fingerprint, want);
		if (strcmp(fp, want) != 0) {
			log_err("hub certificate fingerprint mismatch: expected "
			    "%s, got %s; refusing to connect (someone may be "
			    "intercepting, or the hub's certificate changed)",
			    want, fp);
			return TRUST_MISMATCH;
		}
	} else if (!have_ca && trust_known(known_hubs, host, port, fp, &line,
	    old, sizeof old) < 0) {
		log_err("hub certificate fingerprint mismatch for %s:%u: %s "
		    "line %d records %s, the hub presented %s; refusing to "
		    "connect. If the hub's certificate really changed, delete "
		    "that line or pass --fingerprint.", host, port, known_hubs,
		    line, old, fp);
		return TRUST_MISMATCH;
	}
	log_debug("TLS up with %s:%u (%s), hub certificate %s", host, port,
	    tlsio_suite(tls), fp);
	return TRUST_OK;
}
