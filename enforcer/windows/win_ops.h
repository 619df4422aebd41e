/* SPDX-License-Identifier: MIT */
/*
 * Every Windows call with an effect, in one table. The backend's logic (translation of a plan,
 * diff, journal, revert, reference counting, the runner's token and job) calls only these, so the
 * unit tests run it against a recording fake (tests/windows/fake_ops.c) that records each call and
 * simulates the state (security descriptors per path, users, groups, firewall rules). The real
 * table is win_ops_real.c (Win32 only). Under Wine the real calls mostly report success without
 * an effect (shared/design/windows.md): no test takes a return code of them as proof.
 *
 * Strings are UTF-8 (the real table converts to UTF-16); paths are plan paths (/c/Users/ann) that
 * the real table turns into \\?\ paths (win_path.h). Every function returns 0 or a negative errno
 * (the real table maps Win32 errors: ERROR_ACCESS_DENIED -EACCES, ERROR_FILE_NOT_FOUND and
 * ERROR_PATH_NOT_FOUND -ENOENT, ERROR_ALREADY_EXISTS/NERR_UserExists -EEXIST, others -EIO) and
 * puts a sentence naming the object and the Windows error in err when err is non-NULL.
 */
#pragma once

#include "win_sd.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef intptr_t bw_win_handle; /* a HANDLE in the real table, an index in the fake; 0 = none */

struct bw_win_object_info {
        bool directory;
        bool reparse;     /* a junction or symbolic link: never walked into, never given entries */
        uint64_t file_id; /* identifies the object across renames (FILE_ID_INFO's low 64 bits) */
};

struct bw_win_dirent {
        char name[256 * 3 + 1]; /* UTF-8 of a 255-character NTFS name */
        bool directory, reparse;
};

/* A firewall rule as bulwark writes it (INetFwRule3). */
struct bw_win_fw_rule {
        char name[128]; /* "bulwark offline USER" */
        char description[400];
        char local_user_sddl[256]; /* LocalUserAuthorizedList: "O:LSD:(A;;CC;;;SID)" */
        char remote_addresses[256];
        bool outbound;
        bool block;
        int protocol; /* 256: any */
        /* What else the rule says that bulwark's never does, in words ("disabled; profiles 0x1;
         * remote ports 443"), "" for nothing: fw_get fills it (a rule with anything here is not
         * bulwark's as written: drift); fw_add cannot write it (a restore says so). */
        char narrowed[256];
};

/* What the runner asks CreateProcess for. */
struct bw_win_process_spec {
        const char *application;  /* resolved program path */
        const char *command_line; /* win_cmdline.h */
        const char *environment;  /* UTF-8 block: NAME=VALUE\0...\0\0 */
        const char *directory;
        bool suspended;
        bw_win_handle stdio[3]; /* 0: inherit the runner's */
};

/* A group of a token (TOKEN_GROUPS), with its account name. */
#define BW_WIN_GROUP_NAME_MAX 257
struct bw_win_token_group {
        struct bw_win_sid sid;
        uint32_t attributes; /* SE_GROUP_*: 0xC0000000 the logon session, 0x10 deny-only */
        char name[BW_WIN_GROUP_NAME_MAX * 3];
};

/* What CreateRestrictedToken is asked for. */
struct bw_win_token_restriction {
        uint32_t flags;                   /* BW_WIN_DISABLE_MAX_PRIVILEGE ... */
        const struct bw_win_sid *disable; /* SidsToDisable: made deny-only */
        size_t n_disable;
        const struct bw_win_sid *restrict_sids; /* RestrictedSids */
        size_t n_restrict;
        /* The new token's default DACL (what objects made without inherited entries get: pipes,
         * events, the command's own process): GENERIC_ALL to each of these SIDs. */
        const struct bw_win_sid *default_dacl;
        size_t n_default_dacl;
};

/* A run's job limits (the plan's LIMT); 0 = no limit. */
struct bw_win_job_limits {
        uint32_t processes;  /* JOB_OBJECT_LIMIT_ACTIVE_PROCESS */
        uint64_t memory;     /* JOB_OBJECT_LIMIT_JOB_MEMORY, bytes */
        uint32_t cpu_millis; /* thousandths of one CPU: a hard CPU rate cap */
};

#define BW_WIN_DISABLE_MAX_PRIVILEGE 0x1u
#define BW_WIN_SANDBOX_INERT 0x2u
#define BW_WIN_LUA_TOKEN 0x4u
#define BW_WIN_WRITE_RESTRICTED 0x8u

struct bw_win_ops {
        void *ctx;
        /* -- objects -- */
        /* Open path for READ_CONTROL (and WRITE_DAC when write: apply and revert; drift only
         * reads, so status works unelevated wherever the caller may read the DACL), without
         * following a final reparse point (FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS). */
        int (*open_object)(void *ctx, const char *path, bool write, bw_win_handle *ret, struct bw_win_object_info *info,
                           char *err, size_t err_size);
        void (*close_handle)(void *ctx, bw_win_handle h);
        /* GetSecurityInfo(OWNER|GROUP|DACL) as self-relative bytes (malloc()ed). */
        int (*get_sd)(void *ctx, bw_win_handle h, uint8_t **ret, size_t *ret_size, char *err, size_t err_size);
        /* SetSecurityInfo(DACL_SECURITY_INFORMATION, plus PROTECTED_ or UNPROTECTED_ as the
         * descriptor's SE_DACL_PROTECTED says) with the DACL of sd: Windows then recomputes the
         * inherited entries of everything below. */
        int (*set_dacl)(void *ctx, bw_win_handle h, const uint8_t *sd, size_t sd_size, char *err, size_t err_size);
        /* Entries of directory path (not . and ..), malloc()ed array. */
        /* The path of the object plan path names as Windows stores it, in plan form (malloc()ed):
         * GetFinalPathNameByHandleW (FILE_NAME_NORMALIZED, VOLUME_NAME_DOS) of a handle opened
         * following every reparse point, so the name's own case, long names for 8.3 ones, a
         * junction's or link's target. -ENOENT: absent; -EINVAL: no drive-letter path. */
        int (*final_path)(void *ctx, const char *path, char **ret, char *err, size_t err_size);
        int (*list_dir)(void *ctx, const char *path, struct bw_win_dirent **ret, size_t *ret_n, char *err,
                        size_t err_size);
        /* -- principals -- */
        int (*user_add)(void *ctx, const char *name, const char *password, const char *comment, char *err,
                        size_t err_size);
        int (*user_del)(void *ctx, const char *name, char *err, size_t err_size);
        int (*group_add)(void *ctx, const char *name, const char *comment, char *err, size_t err_size);
        int (*group_del)(void *ctx, const char *name, char *err, size_t err_size);
        int (*group_add_member)(void *ctx, const char *group, const char *user, char *err, size_t err_size);
        /* Is user (a local account) a member of group (NetLocalGroupGetMembers)? 1 yes, 0 no,
         * negative errno (-ENOENT: no such group). */
        int (*group_has_member)(void *ctx, const char *group, const char *user, char *err, size_t err_size);
        /* NetLocalGroupDelMembers: -ENOENT when the group does not exist or user is not in it. */
        int (*group_del_member)(void *ctx, const char *group, const char *user, char *err, size_t err_size);
        /* LookupAccountNameW: -ENOENT when there is no such account; *ret_comment (may be NULL)
         * gets the account's comment, which tells bulwark's accounts from others. */
        int (*account_sid)(void *ctx, const char *name, struct bw_win_sid *ret, char *comment, size_t comment_size);
        /* -- firewall (COM INetFwPolicy2 / INetFwRule3) -- */
        int (*fw_add)(void *ctx, const struct bw_win_fw_rule *rule, char *err, size_t err_size);
        int (*fw_remove)(void *ctx, const char *name, char *err, size_t err_size);
        /* -ENOENT when absent. Several rules of that name: the first one's fields, and narrowed
         * says "rules of this name N" (drift: apply removes them all and adds one). fw_remove
         * removes one rule of the name (INetFwRules_Remove): called until -ENOENT. */
        int (*fw_get)(void *ctx, const char *name, struct bw_win_fw_rule *ret, char *err, size_t err_size);
        /* -- secrets and randomness -- */
        /* CryptProtectData / CryptUnprotectData with CRYPTPROTECT_LOCAL_MACHINE; malloc()ed out. */
        int (*protect)(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n);
        int (*unprotect)(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n);
        int (*random)(void *ctx, uint8_t *out, size_t n); /* BCryptGenRandom */
        /* -- tokens and processes (the runner) -- */
        /* OpenProcessToken of the runner itself. */
        int (*own_token)(void *ctx, bw_win_handle *ret, char *err, size_t err_size);
        /* The logon session SID of a token (the group with SE_GROUP_LOGON_ID). */
        int (*token_logon_sid)(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t err_size);
        /* CreateProcessAsUserW with CREATE_UNICODE_ENVIRONMENT (and CREATE_SUSPENDED when asked). */
        int (*create_process_as_user)(void *ctx, bw_win_handle token, const struct bw_win_process_spec *spec,
                                      bw_win_handle *ret_process, bw_win_handle *ret_thread, char *err,
                                      size_t err_size);
        /* CreateProcessWithLogonW (LOGON_WITH_PROFILE): the elevated front starts the runner as
         * the sandbox user with it. */
        int (*create_process_with_logon)(void *ctx, const char *user, const char *password,
                                         const struct bw_win_process_spec *spec, bw_win_handle *ret_process,
                                         bw_win_handle *ret_thread, char *err, size_t err_size);
        int (*job_assign)(void *ctx, bw_win_handle job, bw_win_handle process, char *err, size_t err_size);
        int (*resume_thread)(void *ctx, bw_win_handle thread, char *err, size_t err_size);
        /* Wait for the process; its exit code in *ret_code. */
        int (*wait_process)(void *ctx, bw_win_handle process, uint32_t *ret_code, char *err, size_t err_size);
        int (*terminate_process)(void *ctx, bw_win_handle process, uint32_t code);
        /* -- a run: its installation, its token's groups, its limits (bulwark run, bulwark-runner.exe) -- */
        /* Read a whole file of the state directory (a native path: C:\ProgramData\bulwark\...),
         * never through a final reparse point, at most 1 MiB (-EFBIG beyond). -ENOENT absent,
         * -EACCES not readable by the caller. *ret is malloc()ed. */
        int (*read_file)(void *ctx, const char *path, uint8_t **ret, size_t *ret_n, char *err, size_t err_size);
        /* GetTokenInformation(TokenUser). */
        int (*token_user)(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t err_size);
        /* GetTokenInformation(TokenGroups), each group's account name by LookupAccountSidW (the name
         * without its domain; "" for a SID with no name, such as the logon session's). Only the
         * groups of domain's issuing authority (a SID S-1-5-21-A-B-C-RID with the same A-B-C as
         * domain) are named when domain is not NULL: the others keep "" (no lookup, which on a
         * domain member may ask a domain controller, for groups bulwark never names). *ret is
         * malloc()ed. */
        int (*token_groups)(void *ctx, bw_win_handle token, const struct bw_win_sid *domain,
                            struct bw_win_token_group **ret, size_t *ret_n, char *err, size_t err_size);
        /* CreateRestrictedToken(token, flags, SidsToDisable = disable, no privilege deleted,
         * RestrictedSids = restrict_sids), then SetTokenInformation(TokenDefaultDacl). */
        int (*restrict_token)(void *ctx, bw_win_handle token, const struct bw_win_token_restriction *spec,
                              bw_win_handle *ret, char *err, size_t err_size);
        /* A job object with KILL_ON_JOB_CLOSE and DIE_ON_UNHANDLED_EXCEPTION and the given limits
         * (the CPU rate best effort: a Windows without CPU rate control runs without it). */
        int (*job_create_limited)(void *ctx, const struct bw_win_job_limits *limits, bw_win_handle *ret, char *err,
                                  size_t err_size);
        /* CreateProcessW as the caller itself (the front starts an unelevated run's runner). */
        int (*create_process)(void *ctx, const struct bw_win_process_spec *spec, bw_win_handle *ret_process,
                              bw_win_handle *ret_thread, char *err, size_t err_size);
};
