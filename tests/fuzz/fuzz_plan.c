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

/* NUL exactly after length bytes and none before, so C string functions agree with the length. */
static uint64_t walk_string(const char *s, uint32_t length) {
        if (strlen(s) != length)
                fprintf(stderr, "fuzz_plan: string \"%.80s\" is %zu bytes, the plan says %u\n", s, strlen(s), length);
        check(strlen(s) == length);
        uint64_t sum = length;
        for (uint32_t i = 0; i < length; i++)
                sum = sum * 31 + (uint8_t) s[i];
        return sum;
}

static uint64_t walk_provenance(const struct bw_plan *p, uint32_t section, uint32_t index) {
        const struct bw_plan_prov *v = bw_plan_provenance(p, section, index);
        if (!v)
                return 0;
        check(v->section == section && v->index == index);
        const struct bw_plan_source *s = &p->sources[v->source];
        return walk_string(bw_plan_pstring(p, s->name), s->name.length) + v->line + s->layer;
}

static uint64_t walk_plan(const struct bw_plan *p) {
        const struct bw_plan_header *h = p->header;
        uint64_t sum = 0;

        check(strlen(p->id) == BW_PLAN_ID_HEX);
        const struct bw_plan_section *t = (const void *) (p->data + h->section_table_offset);
        for (uint32_t i = 0; i < p->n_sections; i++)
                sum += t[i].type + t[i].offset + t[i].size;

        sum += walk_string(bw_plan_string(p, p->meta->compiler), p->meta->compiler.length);
        sum += walk_string(bw_plan_string(p, p->meta->name), p->meta->name.length);
        check(p->meta->default_token < p->n_tokens);
        sum += p->tokens[p->meta->default_token].principal;

        check(p->n_vars == BW_VAR_COUNT);
        for (uint32_t i = 0; i < p->n_vars; i++) {
                sum += walk_string(bw_plan_string(p, p->vars[i].name), p->vars[i].name.length);
                sum += walk_string(bw_plan_string(p, p->vars[i].value), p->vars[i].value.length);
        }

        for (uint32_t i = 0; i < p->n_principals; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                sum += walk_string(bw_plan_string(p, pr->name), pr->name.length);
                for (uint32_t b = 0; b < 32; b++)
                        if (pr->member_of & (UINT32_C(1) << b)) {
                                check(b < p->n_principals);
                                sum += p->principals[b].kind;
                        }
                sum += walk_provenance(p, BW_SECT_PRIN, i);
        }

        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                sum += walk_string(bw_plan_string(p, r->text), r->text.length);
                sum += strlen(bw_rule_kind_name(r->kind)) + strlen(bw_match_kind_name(r->match));
                sum += walk_provenance(p, BW_SECT_RULE, i);
        }

        for (uint32_t i = 0; i < p->n_acls; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                check(a->principal < p->n_principals);
                sum += walk_string(bw_plan_string(p, p->principals[a->principal].name),
                                   p->principals[a->principal].name.length);
                sum += strlen(bw_rule_kind_name(a->rule_kind)) + a->perms;
                sum += walk_provenance(p, BW_SECT_ACLE, i);
        }

        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                check(p->nft_rules[i].principal < p->n_principals);
                sum += p->principals[p->nft_rules[i].principal].kind;
                sum += walk_provenance(p, BW_SECT_NFTR, i);
        }

        for (uint32_t i = 0; i < p->n_tokens; i++) {
                const struct bw_plan_token *tok = &p->tokens[i];
                check(tok->principal < p->n_principals);
                sum += p->principals[tok->principal].kind;
                check((uint64_t) tok->ref_first + tok->ref_count <= p->n_trefs);
                for (uint32_t k = 0; k < tok->ref_count; k++) {
                        uint32_t rule = p->trefs[tok->ref_first + k];
                        check(rule < p->n_rules);
                        sum += p->rules[rule].kind;
                }
                sum += walk_provenance(p, BW_SECT_TOKS, i);
        }

        for (uint32_t i = 0; i < p->n_trefs; i++) {
                check(p->trefs[i] < p->n_rules);
                sum += p->rules[p->trefs[i]].match;
        }

        for (uint32_t i = 0; i < p->n_sources; i++) {
                const struct bw_plan_source *s = &p->sources[i];
                sum += walk_string(bw_plan_pstring(p, s->name), s->name.length) + s->sha256[31];
        }

        for (uint32_t i = 0; i < p->n_provs; i++) {
                const struct bw_plan_prov *v = &p->provs[i];
                check(v->source < p->n_sources);
                sum += p->sources[v->source].layer;
                check(bw_plan_provenance(p, v->section, v->index) == v);
        }

        bw_show_text(p, devnull);
        bw_show_json(p, devnull);
        return sum;
}

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
                volatile uint64_t sink = walk_plan(&plan);
                (void) sink;
        }
        free(buf);
        return 0;
}
