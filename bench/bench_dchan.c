/*
 * bench_dchan.c: data-channel throughput: seal then open of one record, for
 * each cipher this machine offers (AES-256-GCM through each implementation
 * built in), on full batches and on single frames.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "dchan.h"
#include "proto.h"

#define BENCH_SECONDS   1.0
#define BENCH_SMALL     1536u /* about one full-size frame */
#define BENCH_CHECK     64u   /* records between clock reads */

static int
bench_run(enum dchan_cipher c, size_t plain_len, uint8_t *rec)
{
	static const uint8_t k1[DCHAN_KEY_LEN] = { 1 }, k2[DCHAN_KEY_LEN] = { 2 };
	struct dchan a, b;
	uint8_t *plain;
	size_t plain_len_out, n;
	const char *why;
	uint64_t records = 0;
	double start, elapsed;

	if (dchan_init(&a, c, k1, k2) == -1 || dchan_init(&b, c, k2, k1) == -1)
		return -1;
	memset(rec + PROTO_REC_HDR, 0xa5, plain_len);
	start = clock_now_s();
	do {
		for (int i = 0; i < (int)BENCH_CHECK; i++) {
			n = dchan_seal(&a, rec, plain_len);
			if (dchan_open(&b, rec, n, &plain, &plain_len_out,
			    &why) == -1) {
				fprintf(stderr, "open failed: %s\n", why);
				return -1;
			}
		}
		records += BENCH_CHECK;
		elapsed = clock_now_s() - start;
	} while (elapsed < BENCH_SECONDS);
	printf("%-18s %-30s %6zu B records: %9.1f MB/s seal+open, "
	    "%9.0f records/s\n", dchan_cipher_name(c),
	    dchan_impl_name(c), plain_len,
	    (double)records * (double)plain_len / elapsed / 1e6,
	    (double)records / elapsed);
	dchan_clear(&a);
	dchan_clear(&b);
	return 0;
}

int
main(void)
{
	static const enum dchan_cipher ciphers[] = {
		DCHAN_AES256GCM, DCHAN_CHACHA20POLY1305,
	};
	static const size_t sizes[] = { PROTO_REC_BATCH_TARGET, BENCH_SMALL };
	uint8_t *rec;

	rec = malloc(PROTO_REC_HDR + PROTO_REC_BATCH_TARGET + PROTO_REC_TAG);
	if (rec == NULL)
		return 1;
	printf("local caps 0x%x; MB = 10^6 bytes of plaintext\n",
	    dchan_local_caps());
	for (size_t i = 0; i < sizeof ciphers / sizeof ciphers[0]; i++) {
		if (ciphers[i] == DCHAN_AES256GCM &&
		    !(dchan_local_caps() & PROTO_CAP_AESGCM)) {
			printf("%-18s unavailable on this CPU\n",
			    dchan_cipher_name(ciphers[i]));
			continue;
		}
		for (int impl = DCHAN_AES_OPENSSL; impl <= DCHAN_AES_IPSEC_MB;
		    impl++) {
			if (ciphers[i] == DCHAN_AES256GCM ?
			    dchan_aes_impl_set((enum dchan_aes_impl)impl) == -1 :
			    impl != DCHAN_AES_OPENSSL)
				continue;
			for (size_t j = 0; j < sizeof sizes / sizeof sizes[0];
			    j++)
				if (bench_run(ciphers[i], sizes[j], rec) == -1)
					printf("%s failed\n",
					    dchan_cipher_name(ciphers[i]));
		}
		(void)dchan_aes_impl_set(DCHAN_AES_AUTO);
	}
	free(rec);
	return 0;
}
