/* SPDX-License-Identifier: MIT */
/*
 * Opening a path where someone else may have planted symlinks (a root enforcer walking to a
 * user's workspace; the runner, after it switched to a sandbox user that can reach every
 * installed workspace): one component at a time with O_NOFOLLOW, following a symlink only when
 * root or trusted_uid owns it.
 */
#pragma once

#include "util.h"

#include <sys/types.h>

/* Open an absolute path one component at a time with O_NOFOLLOW. A symlink on the way is followed
 * only when root or trusted_uid ((uid_t) -1: nobody else) owns it. Returns an fd opened with flags
 * (plus O_CLOEXEC; O_PATH is honoured) or a negative errno (-ELOOP for an untrusted symlink). */
int bw_open_path_safely(const char *path, int flags, uid_t trusted_uid);
