/* SPDX-License-Identifier: MIT */
#include "sha256.h"
#include "util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>

/*
 * Two implementations behind one interface, chosen by size:
 * - libsodium's portable SHA-256, for small inputs (paths, policies, the plans the runner reads);
 * - OpenSSL's libcrypto, which uses the CPU's SHA extensions and is about 3x faster, for large
 *   plans (10,000 entries: 0.8 MB), loaded with dlopen() when first needed. Linking it costs
 *   0.7-1.6 ms at every program start here, which every `bulwark run` would pay for nothing.
 * Both give the same digest; where libcrypto cannot be loaded, libsodium does all of it.
 */
#define BIG_INPUT ((size_t) 64 * 1024)

static struct {
        int (*init)(void *ctx);
        int (*update)(void *ctx, const void *data, size_t len);
        int (*final)(unsigned char *md, void *ctx);
        bool ok;
} ossl;
static pthread_once_t ossl_once = PTHREAD_ONCE_INIT;

static void ossl_load(void) {
        void *h = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return;
        /* dlsym returns void *; converting it to a function pointer is what POSIX specifies. The
         * SHA256_* calls are the low-level ones: no provider or configuration loading. */
        *(void **) &ossl.init = dlsym(h, "SHA256_Init");
        *(void **) &ossl.update = dlsym(h, "SHA256_Update");
        *(void **) &ossl.final = dlsym(h, "SHA256_Final");
        ossl.ok = ossl.init && ossl.update && ossl.final;
}

struct bw_sha256 {
        bool fast;
        crypto_hash_sha256_state sodium;
        _Alignas(16) unsigned char ossl_ctx[256]; /* an OpenSSL SHA256_CTX (112 bytes) */
};

struct bw_sha256 *bw_sha256_new_sized(size_t expected) {
        struct bw_sha256 *h = calloc(1, sizeof(*h));
        if (!h)
                abort(); /* a failed allocation must not turn into a wrong digest */
        if (expected >= BIG_INPUT) {
                pthread_once(&ossl_once, ossl_load);
                h->fast = ossl.ok && ossl.init(h->ossl_ctx) == 1;
        }
        if (!h->fast)
                crypto_hash_sha256_init(&h->sodium);
        return h;
}

struct bw_sha256 *bw_sha256_new(void) {
        return bw_sha256_new_sized(0);
}

void bw_sha256_update(struct bw_sha256 *h, const void *data, size_t size) {
        if (size == 0)
                return;
        if (h->fast) {
                if (ossl.update(h->ossl_ctx, data, size) != 1)
                        abort();
        } else
                crypto_hash_sha256_update(&h->sodium, data, size);
}

void bw_sha256_final(struct bw_sha256 *h, uint8_t out[BW_SHA256_SIZE]) {
        if (h->fast) {
                if (ossl.final(out, h->ossl_ctx) != 1)
                        abort();
        } else
                crypto_hash_sha256_final(&h->sodium, out);
        free(h);
}

void bw_sha256(const void *data, size_t size, uint8_t out[BW_SHA256_SIZE]) {
        struct bw_sha256 *h = bw_sha256_new_sized(size);
        bw_sha256_update(h, data, size);
        bw_sha256_final(h, out);
}
