/* SPDX-License-Identifier: MIT */
/*
 * What the engine needs from an operating system: one table of operations, chosen at build time
 * (linux/backend_linux.c: bw_backend_linux; windows/backend_windows.c: bw_backend_windows), or given by a caller
 * through bw_engine_options.backend (the unit tests' recording fake, tests/unit/fake_backend.c).
 *
 * The engine itself (binding, the rule decision of tree_policy.c, the journal, change lines and
 * reports, reviewed change sets, the revert logic) makes no operating-system call beyond C and
 * POSIX file I/O inside the state directory (openat()-style calls on the handle state_open gives,
 * all of them in state_store.c, journal.c and install_bindings.c: a store for a system without
 * openat() replaces those, or becomes operations here); everything else goes through these
 * operations.
 *
 * Conventions, for every operation unless it says otherwise:
 *   - Errors are negative errno values. An operation that also fills err (size err_size) puts a
 *     sentence there that names the object and the cause, without a trailing newline or "bulwark:";
 *     the engine adds what the user should do.
 *   - "Converge" operations return 1 if they changed something, 0 if it was already as wanted,
 *     negative errno on failure. A second call with the same input returns 0 and writes nothing
 *     (apply twice: the second changes nothing). In a dry run (where an operation takes dry_run)
 *     nothing is written and the return value says what a real call would return.
 *   - Journaling: before an operation changes anything it hands the engine the prior state
 *     (through the callback or out-parameter it names), and the engine makes that record durable
 *     first; the operation changes nothing if journaling fails. The record must be enough for the
 *     matching restore operation to put back the exact prior state (bytes, not a description), and
 *     must identify the object (an inode or file ID) so that a restore never acts on a different
 *     object that took its name since.
 *   - Objects are reached without following links that a non-root user could plant: the walk and
 *     every per-object operation act through handles opened relative to their parent, never by a
 *     path re-resolved from the root after a check.
 *   - Principal ids are the 32-bit numbers the backend's access entries carry (uid and gid on
 *     Linux; a backend whose principals are not numbers maps them to stable 32-bit ids, e.g. the
 *     RID, and back). -1 (int64_t) means "does not exist".
 *   - No operation prints. Nothing here is called from more than one thread at a time, except
 *     tree_converge's own callbacks (see there).
 */
#pragma once

#include "plan.h"
#include "util.h"
#include "tree_policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_journal_acl;

/* ---- principals ---- */

/* One principal slot of a plan, looked up (accounts_lookup). */
struct bw_account_state {
        bool exists;
        int64_t id;      /* uid or gid, -1 if missing */
        bool members_ok; /* users: member of every group the plan names */
        bool foreign;    /* a system user of that name whose description is not bulwark's for this real user */
};

/* A human account (the real user an installation is for). */
struct bw_user_info {
        uint32_t id;
        char name[256];
        char home[4096];
};

#define BW_USER_CALLER UINT32_MAX

/* The most offline principals one filter names. */
#define BW_FW_MAX_IDS 4096

/* ---- network filter ---- */

enum bw_fw_state {
        BW_FW_ABSENT,    /* no filter of bulwark's */
        BW_FW_CURRENT,   /* present and exactly as wanted */
        BW_FW_DIFFERENT, /* present, but not as wanted (drift, or another plan's principals) */
        BW_FW_UNKNOWN,   /* cannot be read (no privilege, no filter subsystem) */
};

/* ---- the runner binary ---- */

#define BW_RUNNER_RECORD_MAX 8192

/* What runner_inspect found. */
struct bw_runner_info {
        bool current;     /* owner, mode and privileges are as bulwark wants */
        bool elevated;    /* it holds the privileges already (a change, not an addition, if not current) */
        char detail[256]; /* what differs, one line ("owner 1000:1000 -> root:root, ...") */
        uint8_t record[BW_RUNNER_RECORD_MAX]; /* journal payload: its path, identity and prior state */
        uint32_t record_len;
};

/* ---- host probe (doctor) ---- */

/* One line of the doctor's text report: "LABEL: TEXT". */
struct bw_probe_line {
        char label[32];
        char text[1024];
};

struct bw_host_report {
        /* every fact as JSON members (the object of `doctor --json` and status's "host") */
        struct json_t *json;
        struct bw_probe_line *lines; /* malloc()ed; in the order a person should read them */
        size_t n_lines;
};
/* Append a line (label, printf text) to a host report: both backends' host_probe (report.c). */
BW_PRINTF(3, 4) void bw_host_report_line(struct bw_host_report *r, const char *label, const char *fmt, ...);

/* How the engine's messages name the firewall and the runner's privilege: nftables and file
 * capabilities on Linux, the Windows Firewall and a DACL on Windows. A security reviewer reads
 * these lines: they must name the mechanism that is really there. */
struct bw_backend_words {
        const char *fw_what;          /* the report line's object ("inet bulwark output") */
        const char *fw_rule_head;     /* the rule in words, before the offline accounts' names... */
        const char *fw_rule_tail;     /* ...and after them */
        const char *fw_ruleset;       /* what fw_inspect reads ("the nftables ruleset") */
        const char *fw_long;          /* what fw_apply loads ("nftables table inet bulwark") */
        const char *fw_short;         /* revert's lines ("inet bulwark") */
        const char *runner_grant;     /* what runner_converge gives the runner ("capabilities") */
        const char *runner_as_before; /* revert's line ("capabilities, owner and mode as before") */
        const char *runner_check;     /* how to check it by hand ("getcap") */
};
struct bw_backend;
/* The backend's words, or Linux's where it has none (the unit tests' fake). */
const struct bw_backend_words *bw_backend_words_of(const struct bw_backend *be);

/* ---- the operations ---- */

struct bw_backend {
        const char *name; /* "linux", "fake", ... */
        /* Does each writable root get a group of its own (bw-w-HASH, made with group_create, named
         * in the entries the plan's write-group role stands for)? false: the backend grants a
         * root's writers another way (Windows: the root's own SID in the run's token), and the
         * engine makes no write groups (tp->root_group then holds ids no group has: a backend
         * leaves the write-group role's entries out). */
        bool write_groups;
        /* Are access entries decided object by object (tree_converge over each root, the rule
         * set's decision per object: Linux)? false: the backend puts entries on the plan's
         * targets only and the system's inheritance carries them below (Windows); the engine then
         * calls targets_converge once instead of tree_converge per root, and revert has no
         * per-object leftovers to strip. */
        bool per_object_acls;
        /* NULL: what apply writes is known to enforce the plan, and status says "in force". Else a
         * sentence saying why it is not known (Windows: "the Windows backend has not been verified
         * on a real Windows host"): status then says the plan is written, not that it is enforced,
         * and gives this sentence (--json: "verified": false and "unverified": the sentence). */
        const char *unverified;
        /* NULL: Linux's (nftables, capabilities) */
        const struct bw_backend_words *words;

        /* Is the caller privileged (root, an elevated administrator; or, where per_user says so,
         * the owner of the per-user installation it acts on)? Without privilege, plan and status
         * read what they can and report the rest as unknown, and apply and revert refuse. */
        bool (*privileged)(void);
        /* NULL or false: installations are the machine's. true: this process acts on a per-user
         * installation (Windows, not elevated: enforcer/windows/SEAM.md), which has no accounts of
         * its own: apply makes, looks up and names none (the backend's operations say what it
         * cannot enforce without them), and status --json says "mode": "per-user". */
        bool (*per_user)(void);

        /* -- paths -- */

        /* A directory as the user named it (--workspace, the current directory; relative to the
         * current directory, or absolute in the system's own form) in plan form: absolute,
         * '/'-separated (malloc()ed in *ret). 0, or negative errno with *why saying what is wrong.
         * NULL where the system's paths are plan paths already (Linux). */
        int (*plan_path)(const char *native, char **ret, const char **why);
        /* ${tmpdir} in plan form; NULL: "/tmp". */
        const char *(*tmpdir)(void);
        /* Is the plan path a directory of its own? 0; -ENOENT (it or a directory on the way does
         * not exist), -ENOTDIR (something else), -ELOOP (a symbolic link, not followed), or
         * another negative errno (it cannot be looked at). NULL: not checked (the unit tests'
         * fake, whose file system is its own; Windows, whose plan_path already refuses a
         * --workspace it cannot find). apply refuses a workspace that is not one. */
        int (*dir_check)(const char *path);

        /* -- principals -- */

        /* The account a principal role is bound to for a real user (bw-off-ann). Pure; 0 or
         * -EINVAL for a role that has no per-user account. out: at most 32 characters. */
        int (*account_name)(uint32_t role, const char *user, char out[33]);
        /* Look up the plan's principals under names (names[i] "" or NULL: not bound). Fills st[i]
         * for i < n_principals; never fails (what cannot be read counts as missing). */
        void (*accounts_lookup)(const struct bw_plan *p, const char *const names[32], const char *real_user,
                                struct bw_account_state st[32]);
        /* A group's id: 1 found (*ret_id set), 0 absent. */
        int (*group_id)(const char *name, uint32_t *ret_id);
        /* A user's id: 1 found, 0 absent. */
        int (*user_id)(const char *name, uint32_t *ret_id);
        /* The real user, by name (name != NULL), by id, or (BW_USER_CALLER) the calling user: 0,
         * or -ENOENT. */
        int (*user_lookup)(const char *name, uint32_t id, struct bw_user_info *ret);
        /* Create principal index of the plan (a sandbox user, or a group) as names[] names it.
         * The engine has journaled the creation (BW_JOURNAL_ACCOUNT, existed 0) before the call;
         * revert removes it with account_remove. Returns 0 or negative errno. */
        int (*account_create)(const struct bw_plan *p, const char *const names[32], uint32_t index,
                              const char *real_user, char *err, size_t err_size);
        /* Create a group by name (a writable root's write group). Journaled as account_create. */
        int (*group_create)(const char *name, char *err, size_t err_size);
        /* The groups (comma-separated) the plan wants user index in and that it is not in yet. */
        void (*account_missing_groups)(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                                       size_t size);
        /* Add user index to the groups account_missing_groups names. Journaled first
         * (BW_JOURNAL_ACCOUNT_MEMBERS with those groups); revert calls account_leave_group. */
        int (*account_fix_members)(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                                   size_t err_size);
        /* Remove a user or a group bulwark created. 0, or negative errno. */
        int (*account_remove)(bool is_group, const char *name, char *err, size_t err_size);
        /* Take user out of group. 0, or negative errno. */
        int (*account_leave_group)(const char *user, const char *group, char *err, size_t err_size);

        /* -- network filter -- */

        /* Compare bulwark's filter with the one that rejects every non-loopback packet of the
         * offline principals ids[0..n) (one rule over a set of them, IPv4 and IPv6). By structure,
         * not by comments: a rule with its verdict changed is BW_FW_DIFFERENT. */
        enum bw_fw_state (*fw_inspect)(const uint32_t *ids, size_t n, char *err, size_t err_size);
        /* The current filter's text (BW_FW_DIFFERENT before apply): the journal keeps it
         * (BW_JOURNAL_NFT) so that revert can put a table that was not bulwark's back. 0 or
         * negative errno; buf NUL-terminated. */
        int (*fw_save)(char *buf, size_t size);
        /* Replace bulwark's filter, in one transaction, with the wanted one. Journaled first. */
        int (*fw_apply)(const uint32_t *ids, size_t n, char *err, size_t err_size);
        /* Put back the text fw_save gave. */
        int (*fw_restore)(const char *text, char *err, size_t err_size);
        /* Remove bulwark's filter (it did not exist before the first apply). 0 if already gone. */
        int (*fw_remove)(char *err, size_t err_size);

        /* -- objects' access entries -- */

        /* Converge the entries of every object under root (an absolute, bound path, not followed
         * through a link that is not root's: -ELOOP) as the rule set decides
         * (bw_tree_policy_decide per object, in any order, on o->threads threads). For each object
         * whose entries differ, the walk calls o->on_batch(o->userdata, changes, n) with the bytes
         * before and after (struct bw_acl_change: before NULL = absent); on_batch journals them,
         * and only once it returned 0 are they written (dry run: never written). on_batch and
         * o->progress may be called from several threads at once. Regions of changes are reported
         * through o->regions. Returns 0, -ENOENT for a root that does not exist, or negative errno
         * when the root cannot be opened safely or on_batch failed; per-object failures are
         * counted in st->errors and said through o->on_error (the walk prints nothing). Progress
         * goes to o->progress at most every 0.1 s and once at the end of the root. A second run
         * changes nothing (st->changed 0). */
        int (*tree_converge)(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                             struct bw_tree_stats *st);
        /* (per_object_acls false) Converge the entries of the plan p, bound with b and its
         * principals named as names[] (account_create's), for installation install_id: the targets (roots, carve-outs,
         * the rules' own paths), not a walk of every object. What the backend keeps of the installation (Windows: the
         * roots' SIDs) is read from and, unless o->dry_run, written beneath state_fd (installs/ID/, which apply has
         * made; state_fd -1: nothing kept yet). Each object whose entries differ is handed to o->on_batch(o->userdata,
         * &change, 1) first (root: the object's plan path, rel
         * "", attr the backend's name for what changes, ino the object's identity, before/after
         * the exact bytes, what the change in words) and written only once that returned 0 (dry
         * run: never). Uses o->dry_run, o->on_batch, o->on_error (per-object failures and the
         * plan's rules it cannot enforce, counted in st->errors); not o->threads or o->regions.
         * Returns 0, or negative errno with err saying why. A second call changes nothing. */
        int (*targets_converge)(const struct bw_plan *p, const char *const names[32], const struct bw_bindings *b,
                                const char *install_id, int state_fd, const struct bw_tree_options *o,
                                struct bw_tree_stats *st, char *err, size_t err_size);
        /* Put back one journaled object's entries (the first record for it holds the state before
         * bulwark): reach it from its root without following links, check it is still the same
         * object (a->ino), write a->before (or the state a->had_before / a->mode describe).
         * Returns 1 restored, 0 gone or replaced since (left alone), negative errno. */
        int (*acl_restore)(const struct bw_journal_acl *a);
        /* Give group gid traverse-only access to the directory path (opened as user as_uid would
         * reach it: no link that user could plant is followed), replacing the entry of any of
         * replace[0..n_replace) (earlier versions' shared group). 0 when nothing is needed: others
         * may traverse already, the entry is there, or the directory cannot be opened or read.
         * Otherwise, it calls journal(ctx, &change, 1) with the exact before and after bytes and
         * writes only if that returned 0 (never when dry_run), and returns 1 (*ret_replaced: an
         * old entry was replaced). Negative errno: the journal or the write failed. */
        int (*traverse_grant)(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                              unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced);
        /* A directory every user may create in and nobody may remove others' files from (/tmp):
         * left alone by the walk. */
        bool (*shared_sticky)(const char *path);
        /* Can the file system at dir hold access entries? 0 yes, -EOPNOTSUPP no, other errno. */
        int (*acl_supported)(const char *dir);

        /* -- the runner binary -- */

        /* Where the runner is: override if given, else bulwark-runner beside this program. */
        int (*runner_locate)(const char *override, char *out, size_t size);
        /* Open it without following links, refuse one that others could replace, and describe
         * its state and the record that would restore it. 0 or negative errno (reason in err). */
        int (*runner_inspect)(const char *path, struct bw_runner_info *ret, char *err, size_t err_size);
        /* Make it current (owner root, mode 0755, the two capabilities), only if it is still the
         * object record (from runner_inspect, journaled by the engine first) describes: -ESTALE
         * otherwise. 1 changed, 0 already current. */
        int (*runner_converge)(const char *path, const uint8_t *record, uint32_t record_len, char *err,
                               size_t err_size);
        /* Put back the state a record holds, if the file is still that object. 1 restored, 0
         * replaced or removed since (left alone; path_out names it either way), -EBADMSG for a
         * damaged record, other negative errno. */
        int (*runner_restore)(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                              size_t err_size);

        /* What the backend still does for installation install_id after apply returned (Windows: the
         * read grants' background worker), as one line for status ("read grants: 1200/5000
         * objects, running"), read beneath state_fd: 1 (out filled), 0 nothing. NULL: never. */
        int (*install_progress)(int state_fd, const char *install_id, char *out, size_t size);

        /* -- host probe -- */

        /* What this host can enforce (doctor): sandboxing primitives, the filter, the runner
         * (runner_override as runner_locate), and for each of dirs whether access entries work
         * there. Fills ret (free with bw_host_report_done). 0 or -ENOMEM. */
        int (*host_probe)(const char *runner_override, char *const *dirs, size_t n_dirs, struct bw_host_report *ret);

        /* -- audit sink -- */

        /* Append line (one JSON record, no newline) durably to dir's audit log, creating dir if
         * needed and refusing one that is not root's; also send summary to the system log. 0 or
         * negative errno (the engine warns and goes on: the change is made already). */
        int (*audit_write)(const char *dir, const char *line, const char *summary);

        /* -- state store -- */

        /* Open the state directory (create: make it, and its installs/, 0755, if missing). It
         * must be root's and writable by root only: -EPERM otherwise. Returns a directory fd the
         * engine reads and writes beneath with openat()-family calls, or -ENOENT (absent, !create)
         * or another negative errno (err says which step failed: creating, opening, ownership). */
        int (*state_open)(const char *dir, bool create, char *err, size_t err_size);
        /* Take the state lock (one enforcer at a time) on the directory state_open gave, waiting
         * up to timeout_s seconds; waiting(ctx) is called once if another holder makes it wait.
         * Returns the lock's handle (>= 0; release with state_unlock), -ETIMEDOUT, -EBADFD (the
         * lock is not a regular file), or another negative errno. */
        int (*state_lock)(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx);
        void (*state_unlock)(int lock);
};

/* The backend of this build. */
#ifdef _WIN32
extern const struct bw_backend bw_backend_windows; /* windows/backend_windows.c */
#define BW_BACKEND_DEFAULT (&bw_backend_windows)
#else
extern const struct bw_backend bw_backend_linux;
#define BW_BACKEND_DEFAULT (&bw_backend_linux)
#endif

void bw_host_report_done(struct bw_host_report *r);
