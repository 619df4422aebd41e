/* SPDX-License-Identifier: MIT */
/* What a compiled policy grants beyond the defaults, besides writable paths and the network. */
#include "compile.h"

#include <stdio.h>

unsigned bw_compilation_widening(const struct bw_compilation *c, bw_widening_fn fn, void *userdata) {
        unsigned n = 0;
        char msg[512];
        for (uint32_t b = 0; b < BW_PROTECTED_COUNT; b++) {
                if (!(c->unprotected & (UINT32_C(1) << b)))
                        continue;
                snprintf(msg, sizeof(msg), "unprotects %s: the sandbox may rewrite it in every writable root",
                         bw_protected_names[b].name);
                if (fn)
                        fn(userdata, &c->unprotected_loc[b], msg);
                n++;
        }
        return n;
}
