/* SPDX-License-Identifier: MIT */
/* The Win32 table of win_ops.h (win_ops_real.c): not verified on Windows yet (tests/windows/README.md). */
#pragma once

#include "win_ops.h"

void bw_win_ops_real(struct bw_win_ops *ops);

/* The calling process's user SID (its token's). 0 or -EIO. */
int bw_win_caller_sid(struct bw_win_sid *ret);
/* Make dir with the self-relative descriptor sd (NULL: inherited). 0, -EEXIST, or negative errno. */
int bw_win_make_dir_sd(const char *dir, const uint8_t *sd);
/* Give dir the DACL of the self-relative descriptor sd, protected as sd says (SetNamedSecurityInfoW).
 * 0 or negative errno. */
int bw_win_set_dir_dacl(const char *dir, const uint8_t *sd);
/* Is dir a per-user state directory bulwark may trust: a directory of its own (not a reparse
 * point), its descriptor, read through a handle, owned by the caller and letting no one but the
 * caller, SYSTEM and Administrators change it (bw_win_user_state_check)? 0; -ENOENT; or -EPERM /
 * -EACCES with why saying what is wrong. */
int bw_win_user_dir_verify(const char *dir, char *why, size_t why_size);
