/* SPDX-License-Identifier: MIT */
/* What a compiled policy grants beyond the defaults, besides writable paths and the network. */
#include "compile.h"
#include "env_policy.h"

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
        /* a cache root: writes in the sandbox's view (never the host's copy), and reads of what
         * lies there even inside an unreadable default, which a reviewer must see as such */
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *r = &c->rules[i];
                if (r->kind != BW_RULE_CACHE)
                        continue;
                snprintf(msg, sizeof(msg),
                         "makes %s a cache root: copy-on-write, the sandbox writes to a layer of this workspace's "
                         "own and the host's copy never changes",
                         r->text);
                if (fn)
                        fn(userdata, &r->loc, msg);
                n++;
        }
        /* a pass entry widens when some name it keeps is one the default list would drop */
        for (size_t i = 0; i < c->n_env; i++) {
                const struct bw_env_eff *e = &c->env[i];
                if (e->action != BW_ENV_PASS)
                        continue;
                const char *hit = NULL;
                for (size_t k = 0; bw_env_default_drop_list[k] && !hit; k++)
                        if (bw_env_globs_overlap(e->name, bw_env_default_drop_list[k]))
                                hit = bw_env_default_drop_list[k];
                if (!hit)
                        continue;
                snprintf(msg, sizeof(msg),
                         "passes %s into the sandbox, which the default credential list drops (%s matches %s)", e->name,
                         strchr(e->name, '*') ? "it may match names" : "its name", hit);
                if (fn)
                        fn(userdata, &e->loc, msg);
                n++;
        }
        return n;
}
