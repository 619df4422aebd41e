/* SPDX-License-Identifier: MIT */
#include "sha256.h"

#include <openssl/evp.h>
#include <stdlib.h>

/* An EVP context; failures of OpenSSL's digest calls here mean memory exhaustion or a broken
 * library, where continuing would produce a wrong digest: abort instead. */
struct bw_sha256 *bw_sha256_new(void) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
                abort();
        return (struct bw_sha256 *) ctx;
}

void bw_sha256_update(struct bw_sha256 *h, const void *data, size_t size) {
        if (size > 0 && EVP_DigestUpdate((EVP_MD_CTX *) h, data, size) != 1)
                abort();
}

void bw_sha256_final(struct bw_sha256 *h, uint8_t out[BW_SHA256_SIZE]) {
        unsigned int len = 0;
        if (EVP_DigestFinal_ex((EVP_MD_CTX *) h, out, &len) != 1 || len != BW_SHA256_SIZE)
                abort();
        EVP_MD_CTX_free((EVP_MD_CTX *) h);
}

void bw_sha256(const void *data, size_t size, uint8_t out[BW_SHA256_SIZE]) {
        struct bw_sha256 *h = bw_sha256_new();
        bw_sha256_update(h, data, size);
        bw_sha256_final(h, out);
}
