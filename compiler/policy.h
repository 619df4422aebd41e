/* SPDX-License-Identifier: MIT */
/*
 * The policy language's data model, as read from one document (before layers are merged).
 * Text is kept as written; normalisation happens when layers are resolved.
 */
#pragma once

#include "diag.h"
#include "protected.h"
#include "yaml_tree.h"

enum bw_doc_kind { BW_DOC_POLICY, BW_DOC_CONSTRAINTS };

struct bw_entry {
        uint32_t match; /* enum bw_match_kind */
        char *text;
        size_t len;
        bool ignore_case;
        struct bw_loc loc;
};

struct bw_entry_list {
        struct bw_entry *v;
        size_t n, cap;
};

/* An environment entry: a name or glob (pass, drop, never_pass) or a name and value (set). */
struct bw_env_item {
        char *name;
        char *value; /* set only */
        struct bw_loc loc;
};

struct bw_env_list {
        struct bw_env_item *v;
        size_t n, cap;
};

/* The `limits:` section; a field is set when its loc has a line. */
struct bw_limits_doc {
        uint64_t tmpfs_size;    /* bytes, or */
        uint32_t tmpfs_percent; /* percent of RAM */
        uint32_t processes;
        uint64_t memory;
        uint32_t cpu_millis;
        struct bw_loc tmpfs_loc, processes_loc, memory_loc, cpu_loc;
};

struct bw_policy_doc {
        enum bw_doc_kind kind;
        uint32_t source;
        char *name;
        struct bw_loc name_loc;
        int network; /* -1 unset, else enum bw_network */
        struct bw_loc network_loc;
        struct bw_entry_list extends; /* match = PATH; text = profile name or relative path */
        /* repository policy */
        struct bw_entry_list writable, read_only, readable, unreadable;
        struct bw_entry_list cache; /* copy-on-write roots: paths only */
        uint32_t unprotect;         /* bit i: bw_protected_names[i] */
        struct bw_loc unprotect_loc[BW_PROTECTED_COUNT];
        /* constraints */
        int network_allowed; /* -1 unset, else bit mask of 1 << enum bw_network */
        struct bw_loc network_allowed_loc;
        struct bw_entry_list writable_within, never_writable, always_read_only, never_readable;
        uint32_t allow_unprotect; /* bit i: bw_protected_names[i] */
        struct bw_loc allow_unprotect_loc[BW_PROTECTED_COUNT];
        int require_signed; /* -1 unset, 0, 1 */
        struct bw_loc require_signed_loc;
        /* environment: pass, drop, set (policy); never_pass (constraints) */
        struct bw_env_list env_pass, env_drop, env_set, env_never_pass;
        struct bw_limits_doc limits; /* policy */
};

/* Read a parsed document into doc. Every problem becomes a diagnostic; returns -EINVAL if any. */
int bw_policy_read(const struct bw_node *root, uint32_t source, struct bw_diags *diags, struct bw_policy_doc *doc);
void bw_policy_doc_done(struct bw_policy_doc *doc);
void bw_entry_list_push(struct bw_entry_list *l, struct bw_entry e);
void bw_entry_list_done(struct bw_entry_list *l);
void bw_env_list_push(struct bw_env_list *l, struct bw_env_item e);
void bw_env_list_done(struct bw_env_list *l);
