/* SPDX-License-Identifier: MIT */
/*
 * The front end of `bulwark run` and `bulwark trust`: which directory is the workspace, which
 * policy governs it (only one the user trusts), and, elevated, whether the policy someone reads
 * in the repository is the one in force. These print their own messages (CLI layer).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "path_template.h"
#include "util.h"

#define BW_FRONT_STATE_DIR "/var/lib/bulwark"
#define BW_FRONT_ADMIN_DIR BW_ADMIN_CONSTRAINTS_DIR
#define BW_FRONT_NO_POLICY (-2)

/*
 * The workspace: explicit_dir when given (any directory: the caller named it), else the outermost
 * directory from here up that holds .git (directory or file) or .bulwark/policy.yaml, else here;
 * never the home directory, / or a directory above the home directory. 0, or -1 after printing
 * why (prefixed with "bulwark CMD: ").
 */
int bw_front_workspace(const char *cmd, const char *explicit_dir, bool verbose, char *out, size_t size);

/*
 * Elevated: when the policy of the workspace an installation (id, with its bindings' values) was
 * made for compiles to a plan other than the installed one, print one line saying which is in
 * force, the first difference, and the `sudo bulwark apply` that would install it.
 */
void bw_front_note_installed(const char *id, const char *const values[BW_VAR_COUNT]);

/* The caller's account (getpwuid(getuid())), looked up once per process and kept: `bulwark run`
 * needs it in the front end and again in the runner's code, and each lookup through NSS costs
 * tens of microseconds. NULL when there is none. */
struct bw_front_account {
        char *name, *dir;
        uid_t uid;
        gid_t gid;
};
const struct bw_front_account *bw_front_caller(void);

/* Are there admin constraints on this machine (a *.yaml in BW_FRONT_ADMIN_DIR)? Every unelevated
 * run obeys them: its plan is compiled under them, never taken from elsewhere. */
bool bw_front_admin_constraints(void);

/* Unelevated: WORKSPACE/.bulwark/policy.yaml, checked, trusted and compiled into an anonymous
 * file for the runner; without one, under admin constraints, the built-in workspace-write profile
 * compiled under them. The fd, BW_FRONT_NO_POLICY when the runner's own built-in plan serves, or
 * -1 after printing why. */
int bw_front_policy_memfd(const char *workspace);

/* The built-in workspace-write profile for workspace, compiled under the admin constraints (the
 * runner's own copy of it knows none): for a run without a workspace policy under constraints, and
 * for `session stop|list`, which run nothing and need no trusted policy (a session must be
 * stoppable after its policy changed). The fd, or -1 after printing why. */
int bw_front_builtin_memfd(const char *workspace);

/* bulwark trust: show, record or revoke the caller's trust in the workspace's policy.
 * Exit status: 0 done, 1 refused or failed. */
int bw_front_trust(const char *workspace, bool show, bool revoke);

/* The runner's job in this process (enforcer/runner/runner.c built with BULWARK_RUNNER_IN_PROCESS),
 * argv as bulwark-runner would get it: one program start less than exec'ing bulwark-runner.
 * Without an installation (no capability is needed) the whole run; with one, a run handed to the
 * workspace's warm session, and otherwise (building a sandbox needs the runner's capabilities)
 * it execs runner with the same argv before anything has run. Returns the exit status (or ends
 * the process as the command ended). */
int bw_runner_main(int argc, char **argv, const char *runner);
/* The installation covering dir (it or a directory above it), found with the runner's own
 * checks (a refusal ends the process with 125, as the runner would): its id and bindings'
 * values (valid until the process ends), or false. Kept for the run in this process, which asks
 * the same question for its workspace and is answered without a second search. */
bool bw_runner_find_install(const char *dir, char id[17], const char *values[BW_VAR_COUNT]);
/* Might an elevated run in workspace (a real path) find a warm session to hand its command to?
 * A first look, for whether bw_runner_main is worth calling (it checks exactly). */
bool bw_runner_session_may_exist(const char *workspace, bool network);
