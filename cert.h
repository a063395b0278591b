/*
 * cert.h: the hub's TLS identity. Generates a self-signed ECDSA P-256
 * certificate and key on first start, and computes SHA-256 fingerprints
 * (of the DER certificate) that clients pin.
 */
#ifndef SOFTETHER_CERT_H
#define SOFTETHER_CERT_H

#include <stddef.h>

#define CERT_FP_HEX 65  /* 64 lowercase hex digits + NUL */

/*
 * If cert_path or key_path is missing, generate both (key mode 0600,
 * parent directories created 0700), CN = common_name, valid 20 years.
 * If both exist, load and check that they parse and that the key matches
 * the certificate. Returns 1 if generated, 0 if loaded, -1 on error (err
 * says which file and why).
 */
int cert_ensure(const char *cert_path, const char *key_path,
    const char *common_name, char *err, size_t errlen);

/* SHA-256 of the DER bytes, as lowercase hex. */
void cert_fingerprint_der(const unsigned char *der, size_t len,
    char hex[CERT_FP_HEX]);
/* Fingerprint of the first certificate in a PEM/DER file; 0 or -1. */
int cert_fingerprint_file(const char *path, char hex[CERT_FP_HEX],
    char *err, size_t errlen);
/* Normalise a user-given fingerprint: accepts hex with or without ':'
 * separators, either case, optional "SHA256:" prefix. 0 or -1. */
int cert_fingerprint_parse(const char *in, char hex[CERT_FP_HEX]);

#endif
