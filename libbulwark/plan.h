/* SPDX-License-Identifier: MIT */
/*
 * Reading and writing plans. The reader treats every plan as hostile: it checks every offset,
 * length, count, index, enum and reserved byte, and the digest, before the caller sees anything.
 * After bw_plan_parse() succeeds, every accessor below is safe without further checks.
 */
#pragma once

#include "plan_format.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct bw_plan_error {
        uint64_t offset; /* byte offset in the plan where the problem is */
        char message[240];
};

/* For tests and fuzzers only: skip the digest so structural checks see mutated bytes. */
#define BW_PLAN_PARSE_SKIP_DIGEST 0x1u

struct bw_plan_view {
        const void *base;
        uint32_t count;
};

struct bw_plan {
        const uint8_t *data;
        size_t size;
        void *mapping; /* non-NULL when data is mmap()ed and owned */
        uint8_t *owned;
        const struct bw_plan_header *header;
        const struct bw_plan_meta *meta;
        const char *strs, *pstr;
        uint32_t strs_size, pstr_size;
        const struct bw_plan_var *vars;
        const struct bw_plan_principal *principals;
        const struct bw_plan_rule *rules;
        const struct bw_plan_acl *acls;
        const struct bw_plan_nft_rule *nft_rules;
        const struct bw_plan_token *tokens;
        const uint32_t *trefs;
        const struct bw_plan_source *sources;
        const struct bw_plan_prov *provs;
        uint32_t n_vars, n_principals, n_rules, n_acls, n_nft_rules, n_tokens, n_trefs, n_sources, n_provs;
        uint32_t n_sections, n_skipped_sections;
        /* Format 1.1 sections; NULL (and 0) when the plan has none: then the defaults apply
         * (libbulwark/env_policy.h, libbulwark/plan_limits.h). */
        const struct bw_plan_env *env; /* sorted by (action, name, flags) */
        uint32_t n_env;
        const struct bw_plan_limits *limits; /* exactly one entry when present */
        char id[BW_PLAN_ID_HEX + 1];
};

/* Validate size bytes at data (which must stay valid while the plan is used; 8-byte aligned). */
int bw_plan_parse(const void *data, size_t size, unsigned flags, struct bw_plan *ret,
                  struct bw_plan_error *err) BW_NODISCARD;
/* Open, mmap and validate a plan file. *ret is freed with bw_plan_free(). */
int bw_plan_load(const char *path, unsigned flags, struct bw_plan **ret, struct bw_plan_error *err) BW_NODISCARD;
struct bw_plan *bw_plan_free(struct bw_plan *plan);
static inline void bw_plan_freep(struct bw_plan **p) {
        bw_plan_free(*p);
}

static inline const char *bw_plan_string(const struct bw_plan *p, struct bw_plan_str s) {
        return p->strs + s.offset;
}
static inline const char *bw_plan_pstring(const struct bw_plan *p, struct bw_plan_str s) {
        return p->pstr ? p->pstr + s.offset : "";
}
/* Provenance of entry index of section type, or NULL when the plan carries none for it. */
const struct bw_plan_prov *bw_plan_provenance(const struct bw_plan *p, uint32_t section, uint32_t index);

const char *bw_rule_kind_name(uint32_t kind);   /* "writable", "read_only", ... */
const char *bw_match_kind_name(uint32_t match); /* "path", "glob", "regex" */
const char *bw_acl_role_name(uint32_t role);
const char *bw_principal_role_name(uint32_t role);
const char *bw_layer_name(uint32_t layer);
const char *bw_env_action_name(uint32_t action);        /* "pass", "drop", "set" */
const char *bw_var_name(enum bw_var_id id);             /* "home", "tmpdir", "user", "workspace" */
void bw_perms_string(uint8_t perms, char out[4]);       /* "rwx", "r-X" */
void bw_hex(const uint8_t *bytes, size_t n, char *out); /* out has 2n+1 bytes */

/* --- writing --- */

/* A growable string table: "" at offset 0, each string NUL-terminated, identical strings shared. */
struct bw_strtab {
        char *data;
        uint32_t size, capacity;
        /* open-addressing hash index of offsets, for sharing */
        uint32_t *slots;
        uint32_t n_slots, n_used;
};
int bw_strtab_init(struct bw_strtab *t) BW_NODISCARD;
void bw_strtab_done(struct bw_strtab *t);
int bw_strtab_add(struct bw_strtab *t, const char *s, size_t len, struct bw_plan_str *ret) BW_NODISCARD;

struct bw_plan_contents {
        struct bw_strtab strs, pstr;
        struct bw_plan_meta meta;
        struct bw_plan_var vars[BW_VAR_COUNT];
        const struct bw_plan_principal *principals;
        const struct bw_plan_rule *rules;
        const struct bw_plan_acl *acls;
        const struct bw_plan_nft_rule *nft_rules;
        const struct bw_plan_token *tokens;
        const uint32_t *trefs;
        const struct bw_plan_source *sources;
        const struct bw_plan_prov *provs;
        uint32_t n_principals, n_rules, n_acls, n_nft_rules, n_tokens, n_trefs, n_sources, n_provs;
        const struct bw_plan_env *env; /* ENVR, written only when n_env > 0 */
        uint32_t n_env;
        const struct bw_plan_limits *limits; /* LIMT, written only when non-NULL */
        bool without_provenance;             /* omit PSTR/SRCS/PROV */
};

/* Serialise to a malloc()ed buffer; the digests are computed here. */
int bw_plan_serialise(const struct bw_plan_contents *c, uint8_t **ret, size_t *ret_size) BW_NODISCARD;

/* Write bytes to path atomically (temporary file in the same directory, fsync, rename). */
int bw_write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) BW_NODISCARD;
