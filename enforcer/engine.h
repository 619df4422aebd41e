/* SPDX-License-Identifier: MIT */
/*
 * The enforcer's commands: plan (dry run), apply, apply --reviewed, revert, status, doctor. They
 * act on the machine only through an operating-system backend (backend.h: linux/ in this build);
 * the engine's files say what they hold at their top (report.c, bind.c, state_store.c,
 * converge.c, audit.c, engine_apply.c, reviewed.c, engine_revert.c, engine_status.c, doctor.c).
 * Failures are reported on stderr as they happen; each command returns its exit status.
 *
 * State lives in a root-owned directory (default /var/lib/bulwark):
 *   lock                      held (the backend's state_lock) by every command that reads or
 *                             changes state
 *   shared.journal            accounts and the firewall table bulwark created (shared by all
 *                             installations; undone when the last one is reverted)
 *   installs/ID/plan          the installed plan (the runner's source of truth)
 *   installs/ID/bindings      workspace, user, home, tmpdir it was bound to
 *   installs/ID/journal       every ACL change made for it, with the bytes it replaced (0600)
 * Directories are 0755 and the plan and bindings 0644: bulwark-runner, running as the real user
 * with only cap_setuid and cap_setgid, reads them (and trusts them only because root owns them).
 * ID is the first 16 hex digits of SHA-256(workspace).
 */
#pragma once

#include "plan.h"

#include <stdbool.h>
#include <stdint.h>

#include <stdio.h>

/* Every apply and revert appends a JSON line to BW_AUDIT_DIR/audit.jsonl. */
#define BW_AUDIT_DIR "/var/log/bulwark"

struct bw_backend;

struct bw_engine_options {
        const char *state_dir;
        const char *workspace;        /* NULL: the current directory */
        const char *user;             /* NULL: SUDO_USER, SUDO_UID, then the caller */
        const char *runner;           /* NULL: bulwark-runner beside this program */
        const char *audit_dir;        /* NULL: BW_AUDIT_DIR */
        const char *signature;        /* NULL: PLAN.minisig */
        const char *trusted_keys_dir; /* NULL: /etc/bulwark/trusted-keys.d */
        const char *admin_dir;        /* NULL: /etc/bulwark/admin.d */
        const char *changes_out;      /* plan -o: save the change set here */
        bool json;
        /* Colour the change lines of plan and apply (ANSI: '+' green, '-' red, '~' yellow, the
         * summary line bold). false: the output is byte-identical to an uncoloured one. */
        bool color;
        /* Every change line: without it, the ACL lines under one walked root beyond the first
         * BW_REPORT_LINES_PER_ROOT are summarised in one line ("... and K more changes under
         * ROOT"); an apply resumed after an interruption can have one line per object. --json
         * always lists every line. */
        bool all_lines;
        /* revert, an installation whose workspace no longer exists where apply found it: moved_to,
         * where it was moved (bulwark's entries are removed there); forget_gone, it was deleted.
         * Neither: revert refuses, since entries on a moved tree would name accounts that are
         * about to be deleted (and whose ids a later account may get). */
        const char *moved_to;
        bool forget_gone;
        unsigned lock_timeout; /* seconds to wait for another enforcer */
        unsigned threads;
        /* Called while apply, plan and status walk the trees (objects seen and changed so far,
         * counted over the whole command), at most about every 100 ms; NULL: never. Cheap: no
         * system call per object is made for it. */
        void (*progress)(void *ctx, uint64_t objects_seen, uint64_t objects_changed);
        void *progress_ctx;
        /* The operating-system backend; NULL: this build's (BW_BACKEND_DEFAULT). */
        const struct bw_backend *backend;
};

/* ACL change lines printed per walked root before the rest are summarised. */
#define BW_REPORT_LINES_PER_ROOT 50

/* Exit codes as in cli.md: plan/status 0 no difference, 2 differences, 1 error; apply/revert 0/1. */
int bw_cmd_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out);
int bw_cmd_apply(const char *plan_path, const struct bw_engine_options *o, FILE *out);
/* Apply a change set saved by plan -o, only if the machine's state still has its digest. */
int bw_cmd_apply_reviewed(const char *changes_path, const struct bw_engine_options *o, FILE *out);
int bw_cmd_revert(const char *which, bool all, const struct bw_engine_options *o, FILE *out);
int bw_cmd_status(const struct bw_engine_options *o, FILE *out);
int bw_cmd_doctor(const struct bw_engine_options *o, FILE *out);
