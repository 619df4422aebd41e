/* SPDX-License-Identifier: MIT */
/*
 * bw_backend_windows's operations that act through win_ops.h (backend_windows_ops.c): pure, so
 * the engine runs over them natively with the recording fake (tests/windows/fake_ops.c). The
 * host's own operations (privilege, paths, the state directory, the probe, the audit log) are
 * Win32's (backend_windows.c). Operations not implemented on Windows yet return -ENOTSUP and say
 * which ("... is not implemented on Windows yet").
 */
#pragma once

#include "backend.h"
#include "win_ops.h"

/* The win_ops table the operations below use (bulwark.exe: the real one; tests: the fake). */
void bw_winbe_use_ops(const struct bw_win_ops *ops);
/* The state directory state_open opened (bw_backend_windows's, or a test's), by path: the
 * operations open it for themselves. account_create keeps each sandbox user's DPAPI-protected
 * password beneath it (secrets/NAME), the firewall operations the names of bulwark's rules
 * (firewall). */
void bw_winbe_use_state(const char *dir);
/* Give the file rel beneath the state directory dir the DACL of the self-relative descriptor sd
 * (its SE_DACL_PROTECTED says whether it inherits). 0 or negative errno (err says why).
 * bw_backend_windows: SetNamedSecurityInfoW; the tests: a recording one. */
typedef int (*bw_winbe_file_sd_fn)(const char *dir, const char *rel, const uint8_t *sd, size_t sd_n, char *err,
                                   size_t err_size);
void bw_winbe_use_file_sd(bw_winbe_file_sd_fn fn);
/* The descriptor of secrets/NAME: a protected DACL of SYSTEM and Administrators (full control) and
 * reader, the real user the account belongs to (FILE_GENERIC_READ); no owner (malloc()ed bytes). */
int bw_winbe_secret_sd(const struct bw_win_sid *reader, uint8_t **ret, size_t *ret_n);

/* The per-user mode (SEAM.md, "The per-user installation"): bulwark.exe not elevated; the tests
 * set it. No accounts, no firewall rule, no runner DACL; the entries name the roots' SIDs only. */
void bw_winbe_use_per_user(bool per_user);
bool bw_winbe_per_user(void);
/* A local account's id: the RID. 1 found (*ret_id set; comment filled if non-NULL), 0 absent. */
int bw_winbe_account_rid(const char *name, uint32_t *ret_id, char *comment, size_t comment_size);

int bw_winbe_account_name(uint32_t role, const char *user, char out[33]);
/* The engine's messages about the firewall and the runner, in Windows' terms (backend.h). */
extern const struct bw_backend_words bw_winbe_words;
void bw_winbe_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                              struct bw_account_state st[32]);
int bw_winbe_group_id(const char *name, uint32_t *ret_id);
int bw_winbe_user_id(const char *name, uint32_t *ret_id);
int bw_winbe_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                            char *err, size_t err_size);
int bw_winbe_group_create(const char *name, char *err, size_t err_size);
void bw_winbe_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                                     size_t size);
int bw_winbe_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                                 size_t err_size);
int bw_winbe_account_remove(bool is_group, const char *name, char *err, size_t err_size);
int bw_winbe_account_leave_group(const char *user, const char *group, char *err, size_t err_size);
enum bw_fw_state bw_winbe_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size);
int bw_winbe_fw_save(char *buf, size_t size);
int bw_winbe_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size);
int bw_winbe_fw_restore(const char *text, char *err, size_t err_size);
int bw_winbe_fw_remove(char *err, size_t err_size);
int bw_winbe_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                           struct bw_tree_stats *st);
int bw_winbe_targets_converge(const struct bw_plan *p, const char *const names[32], const struct bw_bindings *b,
                              const char *install_id, int state_fd, const struct bw_tree_options *o,
                              struct bw_tree_stats *st, char *err, size_t err_size);
int bw_winbe_acl_restore(const struct bw_journal_acl *a);
int bw_winbe_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                            unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced);
bool bw_winbe_shared_sticky(const char *path);
int bw_winbe_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size);
int bw_winbe_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err, size_t err_size);
int bw_winbe_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                            size_t err_size);

/* The host of the read grants' worker: start(id) starts one for installation id (bulwark.exe: a
 * thread), alive(pid) says whether the process pid still runs one, pid() is this process's. A
 * test gives its own (or none: nothing starts; it calls bw_winbe_read_grants_batch itself). */
struct bw_winbe_grants_host {
        void (*start)(const char *install_id);
        bool (*alive)(uint32_t pid);
        uint32_t (*pid)(void);
};
void bw_winbe_use_grants_host(const struct bw_winbe_grants_host *h);
/* One batch (at most max objects, 0: the default) of installation id's read grants; the caller
 * holds the state lock. 1: more to do; 0: finished, or nothing queued, or the installation was
 * reverted (nothing written); negative errno: failed (err says why; the progress says failed). */
int bw_winbe_read_grants_batch(const char *id, size_t max, char *err, size_t err_size);
/* Remove the progress of installations that were reverted since (state_open calls it: revert
 * removes installs/ID/ but not read-grants.ID, which is not in it). */
void bw_winbe_grants_cleanup(void);
/* backend.h install_progress: "read grants: 1200/5000 objects, running" (1), or nothing (0). */
int bw_winbe_install_progress(int state_fd, const char *id, char *out, size_t size);
#ifdef _WIN32
/* Is this process elevated (TokenElevation)? */
bool bw_winbe_elevated(void);
/* bw_backend_windows's worker host (a thread of this process, its batches under win_state_lock)
 * for the state directory dir: the tests run it under Wine over the fake operations. */
const struct bw_winbe_grants_host *bw_winbe_thread_grants_host(const char *dir);
/* Wait for the worker thread, if one was started (bulwark.exe does at exit). */
void bw_winbe_grants_wait(void);
#endif
