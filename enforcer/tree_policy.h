/* SPDX-License-Identifier: MIT */
/*
 * The rule set of a plan bound to one installation, and the decision it makes for each object
 * (the precedence of schema/policy-language.md). Neutral: no operating-system call. A backend's
 * tree walk (linux/acl_tree.c; the unit tests' fake) decides each object through
 * bw_tree_policy_decide() and reports what it changed as struct bw_acl_change.
 */
#pragma once

#include "decision.h"
#include "path_template.h"
#include "pattern.h"
#include "plan.h"
#include "posix_acl.h"

#include <stdatomic.h>
#include <stdint.h>

/* One bound rule. */
struct bw_tree_rule {
        char *path;                /* bound path (path rules) */
        struct bw_pattern pattern; /* compiled (pattern rules) */
        uint32_t match, kind;
        bool admin;
        bool ignore_case;
        char *literal_name; /* for "**" + "/NAME" globs: NAME, matched without PCRE2 */
        unsigned depth;
        uint32_t plan_index; /* index of the rule in the plan, for provenance */
};

/* What one rule kind puts on an object. */
struct bw_kind_acl {
        struct bw_acl_want access[4], dflt[4];
        unsigned n_access, n_dflt;
        bool access_cond_x[4]; /* perms had X: execute only for dirs and executables */
        /* the entry names the write group role: on each object, the group of the writable root
         * whose rule decides it (root_group), not one group for every root */
        bool access_per_root[4], dflt_per_root[4];
};

struct bw_tree_policy {
        struct bw_tree_rule *paths; /* sorted by path, for bsearch */
        size_t n_paths;
        struct bw_tree_rule *patterns;
        size_t n_patterns;
        struct bw_kind_acl kinds[5]; /* indexed by enum bw_rule_kind */
        /* entries of these ids are bulwark's: replaced by what the plan wants */
        uint32_t managed_users[16], managed_groups[80];
        unsigned n_managed_users, n_managed_groups;
        /* the group of each writable path rule, by plan rule index (bw_tree_policy_set_root_groups) */
        uint32_t *root_group;
        size_t n_root_group;
        /* The sandbox principals' uids in carve-out and deny-read entries. Protection follows the
         * object: where an object carries such an entry, converging never lifts it, whatever its
         * name now decides (it was renamed, or exchanged with another name while the walk ran);
         * only revert does (lift_protection). See bw_acl_keep_protection(). */
        uint32_t protect_users[4];
        unsigned n_protect_users;
        bool lift_protection;
};

/* A change made (or, dry-running, that would be made). */
struct bw_acl_change {
        const char *root;
        const char *rel;  /* path relative to the root ("" for the root itself) */
        const char *attr; /* the backend's name for it (system.posix_acl_access or _default) */
        bool is_default;  /* the entries new objects inherit, not the object's own */
        uint64_t ino;
        uint32_t mode;         /* st_mode before the change */
        const uint8_t *before; /* NULL when the xattr was absent */
        size_t before_len;
        const uint8_t *after; /* NULL when the xattr is removed */
        size_t after_len;
};

/* A region of changes for the report: its first object, and how many changed below it the same way.
 * op '!' is a region of moved protected objects: objects that keep carve-out or deny-read entries
 * their names no longer call for (kind: the BW_KEPT_* of what they keep). */
struct bw_acl_region {
        struct bw_acl_region *next;
        char *path;
        char op; /* '+' entries added, '~' changed, '-' removed, '!' protection kept */
        uint32_t kind, rule;
        _Atomic uint64_t below;
};
void bw_acl_regions_free(struct bw_acl_region *g);

/* Called for each batch of changes before any of them is written (the journal's hook). Must be
 * thread-safe. Returning < 0 aborts the walk without writing the batch. */
typedef int (*bw_acl_batch_fn)(void *userdata, const struct bw_acl_change *changes, size_t n);

struct bw_tree_stats {
        uint64_t objects, changed, unchanged;
        uint64_t kept; /* objects that keep protection their names no longer call for */
        uint64_t skipped_symlinks, skipped_mounts, skipped_hardlinks, skipped_devices, errors;
};

struct bw_tree_options {
        bool dry_run;
        unsigned threads; /* 0: one per online CPU, at most 8 */
        bw_acl_batch_fn on_batch;
        void *userdata;
        struct bw_acl_region **regions; /* if non-NULL, the walk's regions are prepended here */
        /* Progress, if non-NULL: the objects seen and changed so far (all threads together, since
         * the walk began), at most about every 100 ms and once at the end of the root; called
         * from any walking thread, never two at once. */
        void (*progress)(void *ctx, uint64_t objects_seen, uint64_t objects_changed);
        void *progress_ctx;
        /* An object that could not be read or changed (counted in errors), if non-NULL: the root,
         * the path below it, what failed and the negative errno. The walk reports at most the first
         * 20 per thread; called from any walking thread. */
        void (*on_error)(void *ctx, const char *root, const char *rel, const char *what, int err);
        void *error_ctx;
};

/* Build the rule set for a plan with bindings and principal ids (-1 when unknown: dry run
 * before the accounts exist; such entries then never match, so everything counts as a change). */
int bw_tree_policy_init(struct bw_tree_policy *tp, const struct bw_plan *plan, const struct bw_bindings *b,
                        const int64_t principal_ids[32], char *err, size_t err_size);
void bw_tree_policy_done(struct bw_tree_policy *tp);
/* The write group of each writable root: gids[i] for plan rule i (-1: none, or not known yet).
 * Each becomes a managed group. Returns 0 or -ENOMEM. */
int bw_tree_policy_set_root_groups(struct bw_tree_policy *tp, const int64_t *gids, size_t n);
/* Entries of id are bulwark's as well (the shared accounts of earlier versions: converging
 * replaces them). */
void bw_tree_policy_add_managed(struct bw_tree_policy *tp, bool group, uint32_t id);

/* The roots to walk: every path rule that is not inside another (malloc()ed array of borrowed
 * strings). */
size_t bw_tree_policy_roots(const struct bw_tree_policy *tp, const char ***ret);

/* The decision for an object at path (its last component name, depth components below /),
 * given the decision inherited from its parent. md: the calling thread's PCRE2 match data. */
struct bw_decision bw_tree_policy_decide(const struct bw_tree_policy *tp, pcre2_match_data *md,
                                         struct bw_decision inherited, const char *path, const char *name,
                                         unsigned depth);
/* The decision for a root: every rule covering it or one of its ancestors. */
struct bw_decision bw_tree_policy_seed(const struct bw_tree_policy *tp, pcre2_match_data *md, const char *root);
