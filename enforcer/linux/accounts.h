/* SPDX-License-Identifier: MIT */
/*
 * The sandbox principals as system accounts. The plan names roles; apply binds them to accounts
 * of the installation's real user: an offline and an online sandbox user per real user
 * (bw_account_name: bw-off-ann, bw-on-ann; no home, no login shell, no password; the GECOS field
 * names the real user, which is also how apply recognises its own accounts), and groups. Created
 * and removed with the system's own tools (groupadd, useradd, userdel, groupdel), which lock and
 * atomically replace /etc/passwd, /etc/group and /etc/shadow. Every function takes the account
 * names apply bound, one per principal of the plan (names[i] for principal i).
 */
#pragma once

#include "backend.h"
#include "plan.h"

#include <sys/types.h>

/* The sandbox user of real user `user` for a principal role (BW_ROLE_OFFLINE, BW_ROLE_ONLINE):
 * "bw-off-USER" / "bw-on-USER" when USER is a plain lower-case name that fits in 32 bytes, else
 * a readable prefix of it and 8 hex digits of its SHA-256 ("bw-off-jean.claude..." ->
 * "bw-off-jean_claude_vand-1a2b3c4d"), so distinct users never share one. Returns 0, or -EINVAL
 * for another role or an empty user. out holds at least 33 bytes. */
int bw_account_name(uint32_t role, const char *user, char out[33]);
/* The GECOS field apply writes for that account: "bulwark offline sandbox of USER". */
void bw_account_gecos(uint32_t role, const char *user, char *out, size_t size);

/* Look up every principal of the plan by its bound name; real_user names whose sandbox users
 * the system users must be (their GECOS is checked: foreign). */
void bw_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                        struct bw_account_state st[32]);
/* Create one missing system principal; 0 or a negative errno, with the tool's message in err. */
int bw_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                      char *err, size_t err_size);
/* Fix the supplementary groups of an existing system user principal. */
int bw_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                           size_t err_size);
/* Create a system group by name. */
int bw_account_create_group(const char *name, char *err, size_t err_size);
/* Remove a system user or group by name. */
int bw_account_remove(bool is_group, const char *name, char *err, size_t err_size);
/* The plan's groups the existing user index is not in yet, comma-separated, into out. */
void bw_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                               size_t size);
/* Take user out of group (gpasswd --delete): undoing a membership apply added. */
int bw_account_leave_group(const char *user, const char *group, char *err, size_t err_size);
