/* SPDX-License-Identifier: MIT */
/*
 * bulwark-runner.exe's logic, over win_ops.h (the tests drive it with the recording fake).
 *
 * Elevated installation: `bulwark run` starts bulwark-runner.exe as the sandbox user with
 * CreateProcessWithLogonW (bw_win_front_start_runner). The runner then mints, from its own
 * token, CreateRestrictedToken(DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED) with the
 * restricting SIDs [Everyone, its logon session, the plan's root SIDs], starts the command with
 * CreateProcessAsUserW suspended, puts it in a job object that kills the whole tree when the job
 * closes, resumes it, waits, and exits with its exit code. A write is allowed only where both
 * the user's own SIDs and the restricting SIDs are granted it: the roots' SIDs are granted only
 * in the roots (and denied in their carve-outs), so the command writes nowhere else, whatever
 * the sandbox user itself may write.
 *
 * Unelevated (no sandbox users): the same restricted token from the real user's own token, and
 * only advisory network limits (bw_win_advisory_env): --verbose and the README say so.
 */
#pragma once

#include "win_ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_WIN_DEAD_PROXY "http://127.0.0.1:9" /* the discard port: nothing listens, connections fail */

struct bw_win_run_request {
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
 * The environment of an unelevated offline run: HTTP(S)_PROXY, ALL_PROXY (both cases) to a dead
 * port and NO_PROXY removed; GIT_SSH_COMMAND to the denybin's ssh stub; PATH with denybin first;
 * PATHEXT with .CMD first (so the stubs win over an ssh.exe found with an earlier extension).
 * Advisory: a program that ignores these variables reaches the network. *ret is a NULL-terminated
 * malloc()ed array of malloc()ed strings (free with bw_win_argv_free).
 */
int bw_win_advisory_env(const char *const *env, const char *denybin, char ***ret);
/* The text of denybin\ssh.cmd and scp.cmd. */
const char *bw_win_denybin_stub(void);
/* NAME=VALUE strings -> one environment block (sorted by name case-insensitively, as Windows
 * expects), NAME=VALUE\0...\0\0, malloc()ed. */
int bw_win_env_block(const char *const *env, char **ret, size_t *ret_size);

/* Run the command as win_runner.h says; *ret_code is its exit code. */
int bw_win_runner_exec(const struct bw_win_ops *ops, const struct bw_win_run_request *rq, uint32_t *ret_code, char *err,
                       size_t err_size);

/* The front's half (elevated): start the runner as the sandbox user, whose password the state
 * keeps as a DPAPI blob, and pass its exit code on. */
int bw_win_front_start_runner(const struct bw_win_ops *ops, const char *user, const uint8_t *secret, size_t secret_n,
                              const char *const *runner_argv, const char *runner_path, uint32_t *ret_code, char *err,
                              size_t err_size);
