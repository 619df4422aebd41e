/* SPDX-License-Identifier: MIT */
/*
 * Walk everything a validated plan lets a consumer dereference, then decode it as `bulwark show`
 * does: shared by the hostile-plan test and the plan fuzzer. Any out-of-bounds access is a reader
 * bug that ASan reports; a broken promise fails WALK_CHECK, which the including file defines
 * (a cmocka assertion, or abort() for libFuzzer).
 */
#pragma once

#include "plan.h"
#include "sha256.h"
#include "show.h"

#include <stdio.h>
#include <string.h>

#ifndef WALK_CHECK
#error "define WALK_CHECK(condition) before including plan_walk.h"
#endif

/* A string as a consumer reads it: bw_plan_parse() promised a NUL right after length bytes and
 * none before, so strlen() must land exactly there. */
static uint64_t walk_string(const char *s, uint32_t length) {
        WALK_CHECK(s != NULL);
        if (strlen(s) != length)
                fprintf(stderr, "plan walk: string \"%.80s\" is %zu bytes, the plan says %u\n", s, strlen(s), length);
        WALK_CHECK(strlen(s) == length);
        uint64_t sum = length;
        for (uint32_t i = 0; i < length; i++)
                sum = sum * 31 + (uint8_t) s[i];
        return sum;
}

/* Provenance of one entry, if any: the lookup must return an in-range entry that names it. */
static uint64_t walk_provenance(const struct bw_plan *p, uint32_t section, uint32_t index) {
        const struct bw_plan_prov *v = bw_plan_provenance(p, section, index);
        if (!v)
                return 0;
        WALK_CHECK(v >= p->provs && v < p->provs + p->n_provs);
        WALK_CHECK(v->section == section);
        WALK_CHECK(v->index == index);
        const struct bw_plan_source *s = &p->sources[v->source];
        return walk_string(bw_plan_pstring(p, s->name), s->name.length) + v->line + v->column + s->layer;
}

/* Dereference everything a validated plan lets a consumer dereference, then decode it the way
 * `bulwark show` does. Any out-of-bounds access here is a reader bug that ASan reports. */
static uint64_t walk_plan(const struct bw_plan *p, FILE *sink) {
        uint64_t sum = 0;
        const struct bw_plan_header *h = p->header;

        WALK_CHECK((const void *) h == (const void *) p->data);
        WALK_CHECK(strlen(p->id) == BW_PLAN_ID_HEX);
        const struct bw_plan_section *t = (const void *) (p->data + h->section_table_offset);
        for (uint32_t i = 0; i < p->n_sections; i++)
                sum += t[i].type + t[i].offset + t[i].size;

        sum += walk_string(bw_plan_string(p, p->meta->compiler), p->meta->compiler.length);
        sum += walk_string(bw_plan_string(p, p->meta->name), p->meta->name.length);
        WALK_CHECK(p->meta->default_token < p->n_tokens);
        sum += p->tokens[p->meta->default_token].principal;

        WALK_CHECK(p->n_vars == BW_VAR_COUNT);
        for (uint32_t i = 0; i < p->n_vars; i++) {
                sum += walk_string(bw_plan_string(p, p->vars[i].name), p->vars[i].name.length);
                sum += walk_string(bw_plan_string(p, p->vars[i].value), p->vars[i].value.length);
        }

        for (uint32_t i = 0; i < p->n_principals; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                sum += walk_string(bw_plan_string(p, pr->name), pr->name.length);
                sum += strlen(bw_principal_role_name(pr->role));
                for (uint32_t b = 0; b < 32; b++)
                        if (pr->member_of & (UINT32_C(1) << b)) {
                                WALK_CHECK(b < p->n_principals);
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
                char perms[4];
                WALK_CHECK(a->principal < p->n_principals);
                sum += walk_string(bw_plan_string(p, p->principals[a->principal].name),
                                   p->principals[a->principal].name.length);
                bw_perms_string(a->perms, perms);
                sum += perms[0] + strlen(bw_acl_role_name(a->role)) + strlen(bw_rule_kind_name(a->rule_kind));
                sum += walk_provenance(p, BW_SECT_ACLE, i);
        }

        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                const struct bw_plan_nft_rule *n = &p->nft_rules[i];
                WALK_CHECK(n->principal < p->n_principals);
                sum += p->principals[n->principal].name.length + n->protocols;
                sum += walk_provenance(p, BW_SECT_NFTR, i);
        }

        for (uint32_t i = 0; i < p->n_tokens; i++) {
                const struct bw_plan_token *tok = &p->tokens[i];
                WALK_CHECK(tok->principal < p->n_principals);
                sum += p->principals[tok->principal].kind;
                WALK_CHECK((uint64_t) tok->ref_first + tok->ref_count <= p->n_trefs);
                for (uint32_t k = 0; k < tok->ref_count; k++) {
                        uint32_t rule = p->trefs[tok->ref_first + k];
                        WALK_CHECK(rule < p->n_rules);
                        sum += p->rules[rule].kind;
                }
                sum += walk_provenance(p, BW_SECT_TOKS, i);
        }

        for (uint32_t i = 0; i < p->n_trefs; i++) {
                WALK_CHECK(p->trefs[i] < p->n_rules);
                sum += p->rules[p->trefs[i]].match;
        }

        for (uint32_t i = 0; i < p->n_sources; i++) {
                const struct bw_plan_source *s = &p->sources[i];
                char hex[2 * BW_SHA256_SIZE + 1];
                sum += walk_string(bw_plan_pstring(p, s->name), s->name.length);
                bw_hex(s->sha256, sizeof(s->sha256), hex);
                sum += hex[0] + strlen(bw_layer_name(s->layer));
        }

        for (uint32_t i = 0; i < p->n_provs; i++) {
                const struct bw_plan_prov *v = &p->provs[i];
                WALK_CHECK(v->source < p->n_sources);
                sum += p->sources[v->source].layer + v->line;
                /* sorted and unique, so the binary search finds this very entry */
                WALK_CHECK(bw_plan_provenance(p, v->section, v->index) == v);
        }

        for (uint32_t i = 0; i < p->n_env; i++) {
                const struct bw_plan_env *e = &p->env[i];
                sum += walk_string(bw_plan_string(p, e->name), e->name.length);
                sum += walk_string(bw_plan_string(p, e->value), e->value.length);
                sum += strlen(bw_env_action_name(e->action)) + e->flags;
                sum += walk_provenance(p, BW_SECT_ENVR, i);
        }
        WALK_CHECK((p->env == NULL) == (p->n_env == 0));
        if (p->limits) {
                sum += p->limits->tmpfs_size + p->limits->processes + p->limits->memory + p->limits->cpu_millis;
                sum += walk_provenance(p, BW_SECT_LIMT, 0);
        }

        bw_show_text(p, sink);
        bw_show_json(p, sink);
        return sum;
}
