/* SPDX-License-Identifier: MIT */
/*
 * The operations of bw_backend_windows that act through win_ops.h (backend_windows.h): the
 * principals' names and lookup, and the operations not implemented on Windows yet, each failing
 * with -ENOTSUP and a sentence naming it. Pure (no Win32 call): the native build runs the engine
 * over them with the recording fake (tests/windows/engine_windows_fake.c); bulwark.exe over the
 * real table (main_windows.c calls bw_winbe_use_ops).
 */
#include "backend_windows.h"

#include "util.h"
#include "win_backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct bw_win_ops *cur_ops;

void bw_winbe_use_ops(const struct bw_win_ops *ops) {
        cur_ops = ops;
}

static const struct bw_win_ops *ops(void) {
        if (!cur_ops)
                abort(); /* bw_winbe_use_ops was not called: a program error, not a host's */
        return cur_ops;
}

#define NOT_YET(what)                                                                                                  \
        "%s is not implemented on Windows yet (issue #13): nothing was changed; this host cannot be enforced "         \
        "by this bulwark.exe",                                                                                         \
                what

static int not_yet(char *err, size_t err_size, const char *what) {
        if (err && err_size)
                snprintf(err, err_size, NOT_YET(what));
        return -ENOTSUP;
}

/* -- principals -- */

int bw_winbe_account_name(uint32_t role, const char *user, char out[33]) {
        char n[BW_WIN_ACCOUNT_MAX + 1];
        int e = bw_win_account_name(role, user, n);
        if (e == 0)
                snprintf(out, 33, "%s", n);
        return e;
}

/* A local account's id: the RID, its SID's last sub-authority. 1 found, 0 absent. */
int bw_winbe_account_rid(const char *name, uint32_t *ret_id, char *comment, size_t comment_size) {
        struct bw_win_sid sid;
        if (!name || !name[0] || ops()->account_sid(ops()->ctx, name, &sid, comment, comment_size) < 0 ||
            sid.n_sub == 0)
                return 0;
        *ret_id = sid.sub[sid.n_sub - 1];
        return 1;
}

void bw_winbe_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                              struct bw_account_state st[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                char comment[512] = "", want[512] = "";
                uint32_t id;
                st[i] = (struct bw_account_state){.id = -1};
                if (bw_winbe_account_rid(names[i], &id, comment, sizeof(comment)) > 0) {
                        st[i].exists = true;
                        st[i].id = id;
                        /* membership is not read yet: reported as missing, so apply says so */
                        st[i].members_ok = false;
                        bw_win_account_comment(p->principals[i].role, real_user, want, sizeof(want));
                        st[i].foreign = !bw_streq(comment, want);
                }
        }
}

int bw_winbe_group_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

int bw_winbe_user_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

int bw_winbe_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                            char *err, size_t err_size) {
        (void) p;
        (void) names;
        (void) index;
        (void) real_user;
        return not_yet(err, err_size, "creating the sandbox accounts");
}

int bw_winbe_group_create(const char *name, char *err, size_t err_size) {
        (void) name;
        return not_yet(err, err_size, "creating a group");
}

void bw_winbe_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                                     size_t size) {
        (void) p;
        (void) names;
        (void) index;
        snprintf(out, size, "(membership is not read on Windows yet)");
}

int bw_winbe_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                                 size_t err_size) {
        (void) p;
        (void) names;
        (void) index;
        return not_yet(err, err_size, "adding the sandbox users to their group");
}

/* Does the account certainly not exist (LookupAccountName says so; another failure is not taken
 * as absence)? */
static bool account_absent(const char *name) {
        struct bw_win_sid sid;
        return name && name[0] && ops()->account_sid(ops()->ctx, name, &sid, NULL, 0) == -ENOENT;
}

/* An account that does not exist has nothing to remove: revert of an apply that stopped at
 * account_create (journaled before the call) then ends cleanly. One that exists is not removed
 * yet. */
int bw_winbe_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        (void) is_group;
        if (account_absent(name))
                return 0;
        return not_yet(err, err_size, "removing an account");
}

int bw_winbe_account_leave_group(const char *user, const char *group, char *err, size_t err_size) {
        if (account_absent(user) || account_absent(group))
                return 0; /* no such membership */
        return not_yet(err, err_size, "removing a group membership");
}

/* -- network filter -- */

enum bw_fw_state bw_winbe_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) ids;
        (void) n;
        not_yet(err, err_size, "reading bulwark's firewall rules");
        return BW_FW_UNKNOWN;
}

int bw_winbe_fw_save(char *buf, size_t size) {
        if (size)
                buf[0] = 0;
        return -ENOTSUP;
}

int bw_winbe_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) ids;
        (void) n;
        return not_yet(err, err_size, "the offline users' firewall rules");
}

int bw_winbe_fw_restore(const char *text, char *err, size_t err_size) {
        (void) text;
        return not_yet(err, err_size, "restoring firewall rules");
}

int bw_winbe_fw_remove(char *err, size_t err_size) {
        return not_yet(err, err_size, "removing bulwark's firewall rules");
}

/* -- objects' access entries -- */

int bw_winbe_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                           struct bw_tree_stats *st) {
        (void) tp;
        st->errors++;
        if (o->on_error) {
                char msg[600];
                snprintf(msg, sizeof(msg), NOT_YET("reading and writing the plan's access entries"));
                o->on_error(o->error_ctx, root, "", msg, -ENOTSUP);
        }
        return -ENOTSUP;
}

int bw_winbe_acl_restore(const struct bw_journal_acl *a) {
        (void) a;
        return -ENOTSUP;
}

/* Nothing to grant: a restricted token keeps SeChangeNotifyPrivilege (bypass traverse checking),
 * so a run reaches a root through directories it cannot list (SEAM.md; to verify on Windows). */
int bw_winbe_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                            unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced) {
        (void) path;
        (void) as_uid;
        (void) gid;
        (void) replace;
        (void) n_replace;
        (void) dry_run;
        (void) journal;
        (void) ctx;
        *ret_replaced = false;
        return 0;
}

bool bw_winbe_shared_sticky(const char *path) {
        (void) path;
        return false; /* Windows has no sticky directories */
}

/* NTFS and ReFS keep ACLs (FILE_PERSISTENT_ACLS); FAT and exFAT do not. */
int bw_winbe_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size) {
        (void) path;
        *ret = (struct bw_runner_info){0};
        return not_yet(err, err_size, "checking who may replace bulwark-runner.exe");
}

int bw_winbe_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err, size_t err_size) {
        (void) path;
        (void) record;
        (void) record_len;
        return not_yet(err, err_size, "protecting bulwark-runner.exe");
}

int bw_winbe_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                            size_t err_size) {
        (void) record;
        (void) record_len;
        if (path_size)
                path_out[0] = 0;
        return not_yet(err, err_size, "restoring bulwark-runner.exe's descriptor");
}
