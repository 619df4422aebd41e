/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's logic (shared/design/windows.md), over the operations of win_ops.h:
 *
 *   plan -> targets (win_translate.c): the objects bulwark puts explicit entries on. Windows
 *     inheritance carries an entry on a directory (OI|CI) to everything created below it, so only
 *     the roots, the carve-outs and the rules' own paths are targets: no walk of the tree before
 *     each command. The one walk is apply's search for protected names (any depth, any case).
 *   targets -> DACLs (win_apply.c): per target, the installation's entries are merged into the
 *     object's current DACL, which is then put in canonical order by hand; an object whose DACL is
 *     already that is left alone (apply twice: the second writes nothing).
 *   journal and revert: before each write, the object's exact prior descriptor bytes and the
 *     bytes written are journaled; revert puts the prior bytes back when the object still holds
 *     what bulwark wrote, and otherwise removes only the installation's entries (another
 *     installation, or the user, changed it since), keeping what other installations still need.
 *   reference counting: installations of one real user share that user's sandbox accounts and
 *     group; the accounts go with the last of them, a shared entry with the last that wants it.
 */
#pragma once

#include "plan.h"
#include "path_template.h"
#include "win_ops.h"
#include "win_sd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_WIN_ACCOUNT_MAX 20 /* characters of a Windows local account name */
#define BW_WIN_GROUP_MAX 256  /* of a local group's (the engine names them bw-r-ID: 21) */

struct bw_win_root {
        char *path; /* plan path, /c/Users/ann/repo */
        struct bw_win_sid sid;
};

/* One installation as the state keeps it. */
struct bw_win_install {
        char id[17];
        char user[257];
        char offline[BW_WIN_ACCOUNT_MAX + 1], online[BW_WIN_ACCOUNT_MAX + 1], group[BW_WIN_GROUP_MAX + 1];
        struct bw_win_sid offline_sid, online_sid, group_sid;
        uint8_t *offline_secret, *online_secret; /* DPAPI blobs of the passwords */
        size_t offline_secret_n, online_secret_n;
        struct bw_win_root *roots;
        size_t n_roots;
        bool firewall;
        /* A per-user installation (made without an administrator, SEAM.md "The per-user
         * installation"): no accounts, no group, no secrets, no firewall rule; the record says
         * "mode=user" and holds none of those keys. The run is the user's own token restricted. */
        bool per_user;
        /* per-user: the user's own SID. Each carve-out gets an explicit deny of DELETE for it, on
         * the object alone (no inheritance): the run is the user's own token, whose normal pass
         * grants DELETE on her files, and whether the restricted pass examines DELETE is not known
         * (SEAM.md). The user, unrestricted, still deletes and renames a carve-out through its
         * parent's FILE_DELETE_CHILD. */
        struct bw_win_sid user_sid;
        struct bw_win_target *targets; /* what the last apply put in force (for revert's refcounts) */
        size_t n_targets;
};

enum bw_win_target_kind {
        BW_WIN_T_ROOT = 1,       /* writable root: allow root SID and group, OI|CI */
        BW_WIN_T_CARVE = 2,      /* read-only inside a root: narrow deny for the roots' SIDs and the group */
        BW_WIN_T_READ = 3,       /* readable: allow R|X to the group, by the background worker */
        BW_WIN_T_UNREADABLE = 4, /* deny everything to the group */
};

struct bw_win_target {
        char *path;
        uint32_t kind;
        uint32_t roots; /* bit i: the target lies in the installation's root i (ROOT, CARVE) */
};

struct bw_win_translation {
        struct bw_win_target *targets; /* in the order apply writes them: outer first */
        size_t n;
        char **warnings; /* rules the Windows backend does not enforce, each named: said loudly */
        size_t n_warnings;
        bool firewall; /* the offline user's network is off */
};

void bw_win_install_done(struct bw_win_install *in);
void bw_win_translation_done(struct bw_win_translation *t);
void bw_win_targets_free(struct bw_win_target *t, size_t n);

/*
 * The installation's record in the state (one "key=value" a line): id, user, the accounts with
 * their SIDs, the DPAPI blobs of the passwords (hex), whether the firewall rule is bulwark's, each
 * root's SID and path, and the targets in force; a per-user installation's, "mode=user" and no
 * accounts, secrets or firewall rule (firewall=0). Decoding refuses anything unknown or malformed
 * (-EBADMSG): a damaged record must not become a wrong revert.
 */
int bw_win_install_encode(const struct bw_win_install *in, char **ret);
int bw_win_install_decode(const char *text, struct bw_win_install *ret);

/* Account names for a real user: "bwoff-USER", "bwon-USER", "bwgrp-USER" when they fit in 20
 * characters and USER is [a-z0-9_-]; else a prefix of the name and 8 hex digits of its SHA-256.
 * role: BW_ROLE_OFFLINE, BW_ROLE_ONLINE or BW_ROLE_SANDBOX_GROUP. */
int bw_win_account_name(uint32_t role, const char *user, char out[BW_WIN_ACCOUNT_MAX + 1]);
/* The comment bulwark puts on its accounts: how it recognises them (a foreign account of the same
 * name is refused). */
void bw_win_account_comment(uint32_t role, const char *user, char *out, size_t size);

/* The SID of root path, made (random, through ops->random) and recorded in `in` if new. */
int bw_win_install_root(struct bw_win_install *in, const struct bw_win_ops *ops, const char *path, size_t *ret_index);

/*
 * Translate a plan bound with b for installation `in` (its roots get SIDs here). The walk for
 * protected names uses ops->list_dir. Warnings name rules that cannot be enforced here (a pattern
 * other than "**" "/NAME", a path that is not a Windows path).
 */
int bw_win_translate(const struct bw_plan *p, const struct bw_bindings *b, struct bw_win_install *in,
                     const struct bw_win_ops *ops, struct bw_win_translation *ret, char *err, size_t err_size);

/* The entries installation `in` wants on target t (directory: whether it inherits). */
int bw_win_target_aces(const struct bw_win_install *in, const struct bw_win_target *t, bool directory,
                       struct bw_win_acl *ret);
/* Is ace one the installation may have put anywhere (its roots' SIDs, or its group with one of
 * bulwark's masks, explicit)? */
bool bw_win_ace_is_ours(const struct bw_win_install *in, const struct bw_win_ace *ace);

/*
 * The DACL `cur` should become: the explicit entries of ours (bw_win_ace_is_ours) that are not in
 * want and not in keep (what other installations still need there) removed, every entry of want
 * added if missing, then canonical order. Returns 1 if that differs from cur, 0 if not.
 */
int bw_win_dacl_merge(const struct bw_win_acl *cur, const struct bw_win_install *in, const struct bw_win_acl *want,
                      const struct bw_win_acl *keep, struct bw_win_acl *ret);

/* Would a read grant change anything: do Users, Authenticated Users or Everyone lack read and
 * execute on the object (explicit or inherited allow entries, before any deny for them)? */
bool bw_win_read_grant_needed(const struct bw_win_acl *dacl);

/* ---- journal ---- */

enum bw_win_rec_kind {
        BW_WIN_REC_DACL = 1,    /* path, file_id, before/after descriptor bytes */
        BW_WIN_REC_ACCOUNT = 2, /* name, is_group, created by this installation */
        BW_WIN_REC_FIREWALL = 3 /* rule name, existed before (then fw holds it) */
};

struct bw_win_rec {
        uint32_t kind;
        char *path; /* DACL: the object; ACCOUNT/FIREWALL: the name */
        uint64_t file_id;
        uint8_t *before, *after;
        size_t before_n, after_n;
        bool is_group;
        bool existed;
        struct bw_win_fw_rule fw;
};

struct bw_win_journal {
        struct bw_win_rec *recs;
        size_t n, cap;
        /* If set, called with each record before it is kept, and so before what it records is
         * written (the engine's journal: targets_converge). A negative return refuses the record:
         * bw_win_journal_add returns it, failed keeps the first, and apply and the read worker
         * stop there, writing nothing more. */
        int (*on_add)(void *ctx, const struct bw_win_rec *r);
        void *on_add_ctx;
        int failed;
};

void bw_win_journal_done(struct bw_win_journal *j);
int bw_win_journal_add(struct bw_win_journal *j, const struct bw_win_rec *r);
/* One record a line; bytes in hex; the path last. */
int bw_win_journal_encode(const struct bw_win_journal *j, char **ret);
int bw_win_journal_decode(const char *text, struct bw_win_journal *ret);

/* ---- apply and revert ---- */

struct bw_win_report {
        unsigned changed, unchanged, missing, errors;
        unsigned read_grants_queued;
        char last_error[512];
};

/* A sandbox user's password: 20 random letters and digits (ops->random) and a fixed tail any
 * complexity policy accepts; never typed, only kept with DPAPI. */
int bw_win_make_password(const struct bw_win_ops *ops, char out[25]);

/* Principals of the installation (users, group, membership, DPAPI-kept passwords). */
int bw_win_principals_converge(struct bw_win_install *in, const struct bw_win_ops *ops, struct bw_win_journal *j,
                               bool dry_run, struct bw_win_report *rep);
/* The offline user's firewall rule. */
void bw_win_fw_wanted(const struct bw_win_install *in, struct bw_win_fw_rule *ret);
int bw_win_fw_converge(struct bw_win_install *in, const struct bw_win_ops *ops, struct bw_win_journal *j, bool dry_run,
                       struct bw_win_report *rep);

/*
 * Put the targets of t (but READ, which goes to the worker) in force for installation `in`;
 * others[0..n_others) are the machine's other installations (their entries are kept). Each write
 * is journaled in j first. Returns 0 (per-object failures counted in rep) or negative errno.
 */
int bw_win_apply_targets(struct bw_win_install *in, const struct bw_win_install *others, size_t n_others,
                         const struct bw_win_translation *t, const struct bw_win_ops *ops, struct bw_win_journal *j,
                         bool dry_run, struct bw_win_report *rep);

/* Drift: what differs from the plan on each target (missing entry, entry out of canonical order,
 * stale entry of ours). Returns the number of drifted targets; lines in *ret (malloc()ed). */
int bw_win_drift(const struct bw_win_install *in, const struct bw_win_translation *t, const struct bw_win_ops *ops,
                 char **ret);

/* Revert installation `in` from its journal j, newest record first. Returns 0 or negative errno. */
int bw_win_revert(const struct bw_win_install *in, const struct bw_win_install *others, size_t n_others,
                  const struct bw_win_journal *j, const struct bw_win_ops *ops, struct bw_win_report *rep);

/* ---- the read-grant worker ---- */

struct bw_win_read_worker {
        const struct bw_win_install *in;
        const struct bw_win_ops *ops;
        struct bw_win_journal *j;
        char **paths;
        size_t n, next;
        unsigned granted, already, failed;
};

/* Queue the READ targets of t. */
int bw_win_read_worker_init(struct bw_win_read_worker *w, const struct bw_win_install *in,
                            const struct bw_win_translation *t, const struct bw_win_ops *ops, struct bw_win_journal *j);
/* Do up to max objects; returns 1 while work remains, 0 when done. The real backend runs this on a
 * thread and saves the progress for `status`; the tests step it. */
int bw_win_read_worker_step(struct bw_win_read_worker *w, size_t max);
/* "read grants: 3 of 10 done (2 granted, 1 already readable, 0 failed)" */
void bw_win_read_worker_progress(const struct bw_win_read_worker *w, char *out, size_t size);
void bw_win_read_worker_done(struct bw_win_read_worker *w);
