/* SPDX-License-Identifier: MIT */
/*
 * An installation's bindings file (STATE_DIR/installs/ID/bindings): what apply bound the plan's
 * variables to, the installation's order, and who signed the plan. The one encoder and decoder of
 * the format, shared by the enforcer, `bulwark run`'s front end and bulwark-runner (libc only, so
 * the runner can compile it in without linking more):
 *
 *   workspace=PATH\nuser=NAME\nhome=PATH\ntmpdir=PATH\nseq=N\nsigner=TEXT\n
 *   [offline=ACCOUNT\nonline=ACCOUNT\ngroups=GROUP,GROUP...\n]
 *
 * Lines are KEY=VALUE; unknown keys and lines without '=' are ignored (older and newer writers),
 * values cannot hold a newline. workspace and user must be present; seq is 0 and signer
 * "unsigned" when absent. A value that does not fit its field makes the file damaged, not
 * truncated.
 *
 * offline, online and groups are the accounts apply bound the plan's principal roles to for this
 * installation's user: the sandbox users of that real user, and exactly the supplementary groups
 * a run of this installation carries (its read group and the groups of its writable roots). An
 * installation written before they existed has none of them (the shared accounts named in its
 * plan); they are written only when set, so such a file re-encodes to the same bytes.
 */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define BW_BINDINGS_SIGNER_MAX 1024
#define BW_BINDINGS_ACCOUNT_MAX 33 /* an account name: at most 32 bytes */
/* The groups: at most 64 names of at most 32 bytes, comma-separated. */
#define BW_BINDINGS_GROUPS_MAX (64 * 33)
/* The largest bindings file: four paths, the signer, the accounts, the groups, the keys. */
#define BW_BINDINGS_MAX                                                                                                \
        (4 * PATH_MAX + BW_BINDINGS_SIGNER_MAX + 2 * BW_BINDINGS_ACCOUNT_MAX + BW_BINDINGS_GROUPS_MAX + 160)

struct bw_install_bindings {
        char workspace[PATH_MAX];
        char user[PATH_MAX];
        char home[PATH_MAX];
        char tmpdir[PATH_MAX];
        uint64_t seq;
        char signer[BW_BINDINGS_SIGNER_MAX];
        char offline[BW_BINDINGS_ACCOUNT_MAX]; /* "" in files written before per-user accounts */
        char online[BW_BINDINGS_ACCOUNT_MAX];
        char groups[BW_BINDINGS_GROUPS_MAX]; /* comma-separated group names */
};

/* The file's text into buf (NUL-terminated). Returns its length, -EINVAL if a value holds a
 * newline, -ENAMETOOLONG if it does not fit. */
int bw_bindings_encode(const struct bw_install_bindings *b, char *buf, size_t size);

/* Parse len bytes of text. Returns 0, or -EBADMSG (workspace or user missing, a value too long,
 * a NUL in the text). */
int bw_bindings_decode(const char *text, size_t len, struct bw_install_bindings *ret);

/* Read and parse dir_fd/path (never following a symlink at its last component). Returns 0, a
 * negative errno from opening or reading it, or -EBADMSG. The caller checks who owns it where
 * that matters (the runner: bulwark-runner opens it itself and uses bw_bindings_decode). */
int bw_bindings_read(int dir_fd, const char *path, struct bw_install_bindings *ret);
