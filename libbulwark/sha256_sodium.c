/* SPDX-License-Identifier: MIT */
#include "sha256.h"

#include <sodium.h>
#include <stdlib.h>

/*
 * libsodium's SHA-256, for bulwark-runner. OpenSSL's (sha256.c) is 3x faster on large plans (SHA
 * extensions) and is what bulwarkc and bulwark use, but loading libcrypto costs 0.7-1.6 ms at
 * every program start (measured here: a program hashing one byte takes 2.36 ms with libcrypto's
 * EVP, 0.80 ms with libsodium), and the runner starts on every sandboxed command while the plans
 * it reads are small. Both produce the same digest; the integration tests load plans written by
 * bulwarkc with the runner.
 */
struct bw_sha256 {
        crypto_hash_sha256_state st;
};

struct bw_sha256 *bw_sha256_new(void) {
        struct bw_sha256 *h = malloc(sizeof(*h));
        /* crypto_hash_sha256_init cannot fail; a failed allocation would make a wrong digest */
        if (!h || crypto_hash_sha256_init(&h->st) != 0)
                abort();
        return h;
}

void bw_sha256_update(struct bw_sha256 *h, const void *data, size_t size) {
        if (size > 0)
                crypto_hash_sha256_update(&h->st, data, size);
}

void bw_sha256_final(struct bw_sha256 *h, uint8_t out[BW_SHA256_SIZE]) {
        crypto_hash_sha256_final(&h->st, out);
        free(h);
}

void bw_sha256(const void *data, size_t size, uint8_t out[BW_SHA256_SIZE]) {
        crypto_hash_sha256(out, data, size);
}
