/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the plan reader. The digest is skipped so that mutations reach the
 * structural checks instead of all dying at the SHA-256 comparison. Whatever the reader accepts
 * is then walked the way the enforcer and `bulwark show` walk it: the reader's promise is that
 * after bw_plan_parse() succeeds no accessor can go out of bounds, and ASan checks that here.
 */
#include "plan.h"
#include "show.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

/* A broken promise is a bug even when no sanitizer fires: make libFuzzer record the input. */
#define check(expr)                                                                                                    \
        do {                                                                                                           \
                if (!(expr)) {                                                                                         \
                        fprintf(stderr, "fuzz_plan: %s:%d: %s\n", __FILE__, __LINE__, #expr);                          \
                        abort();                                                                                       \
                }                                                                                                      \
        } while (0)

#define WALK_CHECK(cond) check(cond)
#include "plan_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (!devnull) {
                devnull = fopen("/dev/null", "we");
                if (!devnull)
                        abort();
        }
        /* Exactly size bytes, so ASan sees any read past the end (aligned_alloc() would want the
         * size rounded up to 8 and hide the tail); 8-byte aligned as the reader requires. */
        void *buf = NULL;
        if (posix_memalign(&buf, BW_PLAN_ALIGN, size ? size : 1) != 0)
                abort();
        if (size)
                memcpy(buf, data, size);

        struct bw_plan plan;
        struct bw_plan_error err = {0};
        int r = bw_plan_parse(buf, size, BW_PLAN_PARSE_SKIP_DIGEST, &plan, &err);
        if (r < 0)
                check(err.message[0] != 0 && err.offset <= size);
        else {
                volatile uint64_t sink = walk_plan(&plan, devnull);
                (void) sink;
        }
        free(buf);
        return 0;
}
