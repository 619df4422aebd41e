/* SPDX-License-Identifier: MIT */
#pragma once

#include "compile.h"

#include <stdio.h>

struct bw_explain_hit {
        size_t rule;   /* index into c->rules */
        int depth;     /* specificity: components of the covered path */
        char *covered; /* the ancestor-or-self of the path the rule names or matches */
};

struct bw_explanation {
        char *path;
        struct bw_explain_hit *hits; /* winner first */
        size_t n_hits;
        uint32_t decision; /* the effective enum bw_rule_kind (decision.h), 0 for none */
};

/* Which rules cover path (absolute; normalised lexically here), with variables bound by b. */
int bw_explain(const struct bw_compilation *c, const char *path, const struct bw_bindings *b,
               struct bw_explanation *ret) BW_NODISCARD;
void bw_explanation_done(struct bw_explanation *e);
void bw_explanation_print(const struct bw_compilation *c, const struct bw_explanation *e, const struct bw_bindings *b,
                          FILE *f, bool json);
