/* SPDX-License-Identifier: MIT */
/*
 * The sandbox principals as system accounts: groups bulwark-sandbox and bulwark-write, users
 * bulwark-offline and bulwark-online (no home, no login shell, no password), members of both
 * groups. Created and removed with the system's own tools (groupadd, useradd, userdel,
 * groupdel), which lock and atomically replace /etc/passwd, /etc/group and /etc/shadow.
 */
#pragma once

#include "plan.h"

#include <sys/types.h>

struct bw_account_state {
        bool exists;
        int64_t id;      /* uid or gid, -1 if missing */
        bool members_ok; /* users: member of every group the plan names */
};

/* Look up every principal of the plan (real users are looked up by bound name). */
void bw_accounts_lookup(const struct bw_plan *p, const char *real_user, struct bw_account_state st[32]);
/* Create one missing system principal; 0 or a negative errno, with the tool's message in err. */
int bw_account_create(const struct bw_plan *p, uint32_t index, char *err, size_t err_size);
/* Fix the supplementary groups of an existing system user principal. */
int bw_account_fix_members(const struct bw_plan *p, uint32_t index, char *err, size_t err_size);
/* Remove a system user or group by name. */
int bw_account_remove(bool is_group, const char *name, char *err, size_t err_size);
/* The plan's groups the existing user index is not in yet, comma-separated, into out. */
void bw_account_missing_groups(const struct bw_plan *p, uint32_t index, char *out, size_t size);
/* Take user out of group (gpasswd --delete): undoing a membership apply added. */
int bw_account_leave_group(const char *user, const char *group, char *err, size_t err_size);
