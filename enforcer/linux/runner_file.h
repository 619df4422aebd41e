/* SPDX-License-Identifier: MIT */
/*
 * The runner binary's state, which `plan` diffs and `apply` converges: bulwark-runner owned by
 * root, mode 0755 (no setuid bit: file capabilities are enough), and the file capabilities
 * cap_setuid,cap_setgid=ep, the only privilege it needs to switch to a sandbox principal.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BW_RUNNER_CAP_MAX 24 /* a v3 security.capability is 24 bytes */

struct bw_runner_state {
        uint64_t ino;
        uint32_t uid, gid, mode; /* mode: permission bits only */
        bool has_cap;
        uint8_t cap[BW_RUNNER_CAP_MAX];
        size_t cap_len;
};

/* Where the runner is: override if given, else bulwark-runner beside this program. */
int bw_runner_locate(const char *override, char *out, size_t size);

/* Open the runner (never following a symlink) and read its state. Refuses (-EPERM, reason in err)
 * a runner that is not a regular file, has other hard links, or lies in a directory that someone
 * other than root can write: granting capabilities to such a file would give them away. */
int bw_runner_open(const char *path, struct bw_runner_state *st, char *err, size_t err_size);

bool bw_runner_is_current(const struct bw_runner_state *st);
/* One line saying what differs from the wanted state ("owner 1000:1000 -> root:root, ..."). */
void bw_runner_describe(const struct bw_runner_state *st, char *out, size_t size);

/* Converge through fd (owner, then mode, then capabilities: chown clears capabilities). */
int bw_runner_converge(int fd, char *err, size_t err_size);
/* Put back a recorded state through fd. */
int bw_runner_restore(int fd, const struct bw_runner_state *before, char *err, size_t err_size);

/* Journal payload of a runner record (its path and prior state). */
uint8_t *bw_runner_encode(const char *path, const struct bw_runner_state *st, uint32_t *ret_len);
int bw_runner_decode(const uint8_t *p, uint32_t len, char *path, size_t path_size, struct bw_runner_state *st);
