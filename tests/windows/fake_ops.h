/* SPDX-License-Identifier: MIT */
/*
 * A recording fake of win_ops.h for the unit tests: every call is appended to a log ("set_dacl
 * /c/w", "user_add bwoff-ann"), and the state a real Windows would keep is simulated: a security
 * descriptor per path (with inheritance propagated to everything below on each DACL write, by
 * MS-DTYP 2.5.3.4.2, as SetSecurityInfo does), users and groups with SIDs, firewall rules, tokens
 * and processes. A call can be made to fail (fake_fail).
 */
#pragma once

#include "win_ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_OBJECTS 256
#define FAKE_MAX_ACCOUNTS 32
#define FAKE_MAX_RULES 16
#define FAKE_MAX_LOG 512

struct fake_object {
        char path[512];
        bool directory, reparse, exists;
        uint64_t file_id;
        uint8_t *sd;
        size_t sd_n;
};

struct fake_account {
        char name[64], comment[300], password[64];
        bool is_group, exists;
        struct bw_win_sid sid;
        char members[4][64];
        int n_members;
};

struct fake {
        struct fake_object objects[FAKE_MAX_OBJECTS];
        size_t n_objects;
        uint64_t next_file_id;
        struct fake_account accounts[FAKE_MAX_ACCOUNTS];
        size_t n_accounts;
        uint32_t next_rid;
        struct bw_win_fw_rule rules[FAKE_MAX_RULES];
        bool rule_used[FAKE_MAX_RULES];
        char *log[FAKE_MAX_LOG];
        size_t n_log;
        uint32_t rnd;
        /* failure injection: the n-th (1-based) call whose log line starts with fail_prefix fails */
        char fail_prefix[64];
        int fail_after, fail_errno;
        /* the runner's calls */
        uint32_t restricted_flags;
        struct bw_win_sid restricted_sids[40];
        size_t n_restricted_sids;
        struct bw_win_sid logon_sid;
        char last_command_line[1024], last_application[512], last_environment[4096];
        bool last_suspended;
        uint32_t exit_code;
        bw_win_handle job_of_process; /* the job the process was assigned to, 0 if none */
        bool resumed_after_assign;
        int next_handle;
        /* final_path: a junction the test made (names below link lead below target), or none */
        char link[256], link_target[256];
};

void fake_init(struct fake *f, struct bw_win_ops *ops);
void fake_done(struct fake *f);
/* A directory or file with an SD built from the given DACL (its inherited entries are computed
 * from the parent's). Owner is the real user S-1-5-21-1-2-3-1001. */
void fake_add_object(struct fake *f, const char *path, bool directory, const struct bw_win_acl *explicit_aces);
void fake_add_reparse(struct fake *f, const char *path);
struct fake_object *fake_find(struct fake *f, const char *path);
/* The object's DACL (decoded; caller frees with bw_win_acl_done). */
void fake_dacl(struct fake *f, const char *path, struct bw_win_acl *ret);
/* Number of log lines starting with prefix. */
size_t fake_count(const struct fake *f, const char *prefix);
void fake_log_clear(struct fake *f);
void fake_fail(struct fake *f, const char *prefix, int nth, int err);
/* A user's typical home DACL: SYSTEM, Administrators, the user full (OI|CI). */
void fake_home_dacl(struct bw_win_acl *acl);
extern const struct bw_win_sid fake_real_user;
