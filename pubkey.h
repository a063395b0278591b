/*
 * pubkey.h: logging in with a key instead of a password. A card holds an
 * Ed25519 private key (a file: one line, the 32-byte seed in base64); the
 * hub holds the user's public key (public_key: in the user's entry, 32
 * bytes in base64). The card signs a value bound to this TLS session
 * (tlsio's binding), so a signature seen once is good for nothing else.
 */
#ifndef SOFTETHER_PUBKEY_H
#define SOFTETHER_PUBKEY_H

#include <stddef.h>
#include <stdint.h>

#define PUBKEY_LEN      32u
#define PUBKEY_SECRET   64u   /* libsodium's secret key: seed and public */
#define PUBKEY_SIG_LEN  64u
#define PUBKEY_B64_LEN  44u   /* 32 bytes in base64 with padding */
#define PUBKEY_FILE_MAX 256u  /* a key file's bytes we read */

/* A public key from its base64 text: 0, or -1 with why. */
int pubkey_parse(const char *b64, uint8_t pk[PUBKEY_LEN], char *why,
    size_t whylen);
/* The configuration's check for public_key: (cfg_check_fn). */
int pubkey_check(const char *s, char *why, size_t whylen);
/* pk in base64, out[PUBKEY_B64_LEN + 1]. */
void pubkey_b64(const uint8_t pk[PUBKEY_LEN], char *out);

/* A private key file (opt names it in messages, as "--key-file"):
 * sk and pk, or -1 with err. */
int pubkey_load(const char *opt, const char *path,
    uint8_t sk[PUBKEY_SECRET], uint8_t pk[PUBKEY_LEN], char *err,
    size_t errlen);
/* A new private key in path (created 0600, never over a file that
 * exists); its public key in pk. 0, or -1 with err. */
int pubkey_generate(const char *path, uint8_t pk[PUBKEY_LEN], char *err,
    size_t errlen);

/* The login's signature over binding, and its check (1 good, 0 not). */
void pubkey_sign(const uint8_t sk[PUBKEY_SECRET], const uint8_t *binding,
    size_t len, uint8_t sig[PUBKEY_SIG_LEN]);
int pubkey_verify(const uint8_t pk[PUBKEY_LEN], const uint8_t *binding,
    size_t len, const uint8_t *sig, size_t siglen);

/* A valid public key whose secret half was thrown away (made once). */
void pubkey_dummy(uint8_t pk[PUBKEY_LEN]);

#endif
