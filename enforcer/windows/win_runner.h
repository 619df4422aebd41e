/* SPDX-License-Identifier: MIT */
/*
 * `bulwark run` and bulwark-runner.exe on Windows, over win_ops.h (the tests drive both with the
 * recording fake). NOT VERIFIED ON WINDOWS (tests/windows/README.md).
 *
 * The front (bw_win_front_exec): finds the installation of the working directory (or the nearest
 * directory above it with one: installs/ID/windows under %ProgramData%\bulwark, ID named after
 * the workspace as the engine names it), its plan (installs/ID/plan) and the token spec the run
 * asks for (offline, or online with --network). Elevated installation: it reads the sandbox
 * user's password (secrets/ACCOUNT, a DPAPI blob) and starts bulwark-runner.exe as that user with
 * CreateProcessWithLogonW; unelevated (the installation names no sandbox user for that token):
 * as the caller, with CreateProcess. The runner's command line carries the installation's ID and
 * the command, never a password or a SID.
 *
 * The runner (bw_win_runner_run) reads the same installation itself (nothing that decides the
 * token comes from its command line), checks that it runs as the account the installation says
 * (the sandbox user, or the installation's real user when unelevated), then mints, from its own
 * token, CreateRestrictedToken(DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED) with the
 * restricting SIDs [Everyone, its logon session, the installation's root SIDs] and every other
 * installation's read group (bw-r-*, found in the token's groups) made deny-only; starts the
 * command with CreateProcessAsUserW suspended, in a job object (the plan's limits) that kills the
 * whole tree when the job closes, resumes it, waits, and exits with its exit code. A write is
 * allowed only where both the user's own SIDs and the restricting SIDs are granted it: the roots'
 * SIDs are granted only in the roots (and denied in their carve-outs), so the command writes
 * nowhere else, whatever the account itself may write.
 *
 * Unelevated: the same restricted token from the real user's own token, and only advisory network
 * limits (bw_win_advisory_env): --verbose and the README say so.
 */
#pragma once

#include "plan.h"
#include "win_backend.h"
#include "win_ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_WIN_DEAD_PROXY "http://127.0.0.1:9" /* the discard port: nothing listens, connections fail */

struct bw_win_run_request {
        const struct bw_win_sid *read_group; /* this installation's read group: the one bw-r-* kept */
        struct bw_win_job_limits limits;
        const char *application; /* resolved path of argv[0] */
        const char *const *argv; /* NULL-terminated */
        const char *const *env;  /* NULL-terminated NAME=VALUE, already filtered by the plan's ENVR */
        const char *directory;   /* working directory */
        const struct bw_win_sid *root_sids;
        size_t n_roots;
        bool elevated;       /* false: the advisory network limits are added */
        bool network_off;    /* the token spec's network */
        const char *denybin; /* unelevated + network off: the directory of the ssh/scp stubs */
};

/* The restricting SIDs, in order: Everyone, the logon session, each root. ret has 2 + n_roots. */
void bw_win_restricting_sids(const struct bw_win_sid *logon, const struct bw_win_sid *roots, size_t n_roots,
                             struct bw_win_sid *ret);

/*
 * The environment of an unelevated offline run: HTTP_PROXY, HTTPS_PROXY and ALL_PROXY, in upper
 * and lower case (Windows names are case-insensitive, but MSYS and Cygwin programs such as git's
 * curl and ssh see them as written), to a dead port and NO_PROXY removed; GIT_SSH_COMMAND to the denybin's ssh stub;
 * PATH with denybin first; PATHEXT with .CMD first (so the stubs win over an ssh.exe found with an earlier extension).
 * Advisory: a program that ignores these variables reaches the network. *ret is a NULL-terminated
 * malloc()ed array of malloc()ed strings (free with bw_win_argv_free).
 */
int bw_win_advisory_env(const char *const *env, const char *denybin, char ***ret);
/* The text of denybin\ssh.cmd, scp.cmd and sftp.cmd (bw_win_denybin_names). */
extern const char *const bw_win_denybin_names[]; /* "ssh.cmd", "scp.cmd", "sftp.cmd", NULL */
const char *bw_win_denybin_stub(void);
/* NAME=VALUE strings -> one environment block (sorted by name case-insensitively, as Windows
 * expects), NAME=VALUE\0...\0\0, malloc()ed. */
int bw_win_env_block(const char *const *env, char **ret, size_t *ret_size);

/* Run the command as win_runner.h says; *ret_code is its exit code. */
int bw_win_runner_exec(const struct bw_win_ops *ops, const struct bw_win_run_request *rq, uint32_t *ret_code, char *err,
                       size_t err_size);

/* The groups of a run's token to make deny-only: every group named bw-r-* (another
 * installation's read group; the name compared without case) other than keep. ret has room for n;
 * returns how many. */
size_t bw_win_groups_to_disable(const struct bw_win_token_group *groups, size_t n, const struct bw_win_sid *keep,
                                struct bw_win_sid *ret);

/* The installation ID of a workspace (a plan path): the engine's (bind.c), 16 hex digits of its
 * SHA-256. */
void bw_win_install_id(const char *plan_path, char id[17]);

/* One installation as a run reads it: its record (installs/ID/windows) and its plan. */
struct bw_win_run_install {
        char id[17];
        char record_path[1024]; /* native, for messages */
        struct bw_win_install rec;
        uint8_t *plan_bytes;
        size_t plan_n;
        struct bw_plan plan;
};
void bw_win_run_install_done(struct bw_win_run_install *ri);

/* Read state_dir\installs\ID\windows and ...\plan (ops->read_file). 0, or a negative errno with
 * err naming the file, what is wrong and what to do (-ENOENT: no such installation; -EBADMSG: a
 * damaged record, e.g. a malformed SID, or plan). */
int bw_win_run_load(const struct bw_win_ops *ops, const char *state_dir, const char *id, struct bw_win_run_install *ri,
                    char *err, size_t err_size);
/* The installation of plan_dir or of the nearest directory above it. -ENOENT: none (err says how
 * to install one). */
int bw_win_run_find(const struct bw_win_ops *ops, const char *state_dir, const char *plan_dir,
                    struct bw_win_run_install *ri, char *err, size_t err_size);

/* What a run of the installation is: its plan's token spec for the network asked, and who runs it. */
struct bw_win_run_mode {
        const struct bw_plan_token *token;
        bool network;                         /* the token spec's */
        bool elevated;                        /* a sandbox user of the installation runs it */
        const char *account;                  /* elevated: that user (the record's offline or online) */
        const struct bw_win_sid *account_sid; /* elevated: its SID */
};
int bw_win_run_mode(const struct bw_win_run_install *ri, bool network, struct bw_win_run_mode *ret, char *err,
                    size_t err_size);

/* `bulwark run` on Windows. */
struct bw_win_front_request {
        const char *state_dir;   /* C:\ProgramData\bulwark */
        const char *plan_dir;    /* the working directory (or --workspace), plan form */
        const char *directory;   /* the same, native: the runner's working directory */
        const char *caller;      /* the caller's account name */
        const char *runner;      /* bulwark-runner.exe */
        const char *environment; /* the caller's environment block (UTF-8), passed to the runner */
        const char *const *cmd;  /* NULL-terminated */
        bool network, verbose;
        /* The per-user state directory (%LOCALAPPDATA%\bulwark; NULL: none): looked in when
         * state_dir has no installation for the directory (the machine's wins when both have one,
         * said through say under verbose). The runner is then started as the caller with
         * --per-user, and reads the installation from there itself. */
        const char *user_state_dir;
        void (*say)(void *ctx, const char *line);
        void *say_ctx;
};
/* Start the runner as the installation says and wait: *ret_code is its exit status. A negative
 * errno (nothing started) with err saying why and what to do. */
int bw_win_front_exec(const struct bw_win_ops *ops, const struct bw_win_front_request *rq, uint32_t *ret_code,
                      char *err, size_t err_size);

/*
 * Find program as cmd.exe would, on path (';'-separated directories) with pathext (";.COM;.EXE"):
 * a name with a directory part (\ / :) is looked up as it is; otherwise in each directory of path
 * in order (never the current directory first: a planted git.exe in the workspace is not taken
 * for git unless PATH says "."), the name as given when it has an extension, then with each
 * extension of pathext in order. exists(ctx, FILE) says whether a file is there. *ret is
 * malloc()ed; -ENOENT when nothing is found.
 */
int bw_win_find_program(const char *program, const char *path, const char *pathext,
                        bool (*exists)(void *ctx, const char *file), void *ctx, char **ret);

/* bulwark-runner.exe. */
struct bw_win_runner_report {
        bool elevated, network;
        bool not_found; /* the program is not on the command's PATH (exit 127) */
        size_t n_roots;
        const char *account; /* elevated: the sandbox user */
};
struct bw_win_runner_request {
        const char *state_dir;
        /* state_dir is the caller's per-user one (--per-user): its record must be a per-user
         * installation's, and a machine state directory's must not be */
        bool per_user;
        const char *install_id; /* from the front; the runner checks the record against its own token */
        bool network;
        const char *application; /* resolved path of argv[0]; NULL: found with exists() on the
                                  * command's own PATH and PATHEXT (bw_win_find_program) */
        bool (*exists)(void *ctx, const char *file);
        void *exists_ctx;
        const char *const *argv; /* the command, NULL-terminated */
        const char *const *env;  /* inherited NAME=VALUE, NULL-terminated: the plan's environment rules apply */
        const char *directory;
        /* unelevated offline only: makes the directory of the ssh/scp/sftp stubs (malloc()ed path,
         * NULL when it cannot); an elevated run writes nothing there */
        char *(*denybin)(void);
        /* called once the run is decided, before the command starts (--verbose) */
        void (*before)(void *ctx, const struct bw_win_runner_report *rep);
        void *before_ctx;
};
int bw_win_runner_run(const struct bw_win_ops *ops, const struct bw_win_runner_request *rq, uint32_t *ret_code,
                      struct bw_win_runner_report *rep, char *err, size_t err_size);
/* The command's environment: inherited env through the plan's rules (bw_env_decide; a value with a
 * URL password dropped unless the policy passes its name), the plan's set entries, and
 * BULWARK_SANDBOX=offline or online (as on Linux). Windows names compared without case.
 * NULL-terminated, free with bw_win_argv_free. */
int bw_win_run_env(const struct bw_plan *p, const char *const *env, bool offline, char ***ret);
