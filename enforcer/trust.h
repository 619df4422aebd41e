/* SPDX-License-Identifier: MIT */
/*
 * Which workspace policy a run may use: the files of a policy (the policy and every file it
 * extends) are checked where they lie and what they are, and used only when the user recorded
 * their exact content with `bulwark trust` (as `direnv allow` does). Nothing here prints: every
 * refusal comes back as a message in the caller's buffer, naming a path and a reason, never a
 * line of a file.
 */
#pragma once

#include "compile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_trust_file {
        char *path; /* as the compiler read it: WORKSPACE/.bulwark/..., or a file of the admin directory */
        uint8_t sha256[BW_SHA256_SIZE];
};

struct bw_trust_set {
        struct bw_trust_file *v;
        size_t n;
};

void bw_trust_set_done(struct bw_trust_set *s);

/*
 * Before compiling: is WORKSPACE/.bulwark/policy.yaml a regular file of the caller's, with one
 * name, reached without a symlink? 0 yes; -ENOENT there is none; another negative errno with the
 * reason in why.
 */
int bw_trust_policy_precheck(const char *workspace, char *why, size_t why_size);

/*
 * After compiling: every file the compilation read as policy or through extends must be a regular
 * file reached without symlinks beneath WORKSPACE/.bulwark (owned by the caller, one name), or a
 * root-owned file of admin_dir; and its content as read again must be what the compiler read.
 * Built-in profiles and admin constraints are not part of the set. 0 and the set, or a negative
 * errno with the reason in why.
 */
int bw_trust_collect(const struct bw_compilation *c, const char *workspace, const char *admin_dir,
                     struct bw_trust_set *ret, char *why, size_t why_size);

/*
 * The record of what the caller trusts for workspace, in the per-user trust store
 * ($XDG_STATE_HOME/bulwark/trust, default ~/.local/state/bulwark/trust; one file per workspace).
 * load: 0 and the set, -ENOENT nothing recorded, or another negative errno with why.
 */
int bw_trust_load(const char *workspace, struct bw_trust_set *ret, char *why, size_t why_size);
/* Record set for workspace (atomically, 0600; the store's directories are made 0700). */
int bw_trust_save(const char *workspace, const struct bw_trust_set *set, char *why, size_t why_size);
/* Forget workspace's record: 1 removed, 0 there was none, or a negative errno with why. */
int bw_trust_revoke(const char *workspace, char *why, size_t why_size);
/* The record's path for workspace, for messages. */
int bw_trust_record_path(const char *workspace, char *out, size_t size);

enum bw_trust_state { BW_TRUST_SAME, BW_TRUST_CHANGED, BW_TRUST_NEW, BW_TRUST_GONE };
const char *bw_trust_state_name(enum bw_trust_state s);

/* Compare now with trusted: fn is called for every file that is not BW_TRUST_SAME (files of now
 * first, in order, then the trusted ones no longer used). Returns how many differ. */
typedef void (*bw_trust_diff_fn)(void *userdata, const char *path, enum bw_trust_state state);
size_t bw_trust_compare(const struct bw_trust_set *trusted, const struct bw_trust_set *now, bw_trust_diff_fn fn,
                        void *userdata);
