/* SPDX-License-Identifier: MIT */
/*
 * Plan paths on Windows (tests/windows/PLAN-PATHS.md). A plan names paths as the plan format
 * defines them: absolute, '/'-separated, normalised. On Windows the first component is the drive
 * letter, in lower case: C:\Users\ann\repo is /c/Users/ann/repo. Every Win32 call gets the
 * \\?\ form (\\?\C:\Users\ann\repo), which Win32 passes to NTFS without normalising (no trailing
 * dot or space stripping, no MAX_PATH). Comparisons are case-insensitive, as NTFS's are by default.
 * Pure: no Win32 call.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * "C:\Users\ann", "c:/Users/ann" or "\\?\C:\Users\ann" -> "/c/Users/ann" (malloc()ed). Refused
 * (-EINVAL, with the reason in *why): relative paths, UNC and device paths (\\server\share,
 * \\?\UNC\..., \\.\...): their ACLs are another machine's or a driver's; "." and ".." components;
 * components that \\?\ would reach but other programs cannot name the same way (trailing dot or
 * space, reserved device names such as NUL or COM1, ':' for alternate data streams, <>"|?*).
 */
int bw_win_path_to_plan(const char *win, char **ret, const char **why);
/* "/c/Users/ann" -> "\\?\C:\Users\ann"; "/c" -> "\\?\C:\". -ENOENT when the path's first
 * component is not a drive letter: a Linux path such as /etc names nothing on Windows. */
int bw_win_path_from_plan(const char *plan, char **ret);
/* Case-insensitive equality of names (ASCII letters folded; other bytes compared as they are). */
bool bw_win_name_equal(const char *a, size_t alen, const char *b, size_t blen);
bool bw_win_path_equal(const char *a, const char *b);
struct bw_win_ops;
/*
 * The directory plan names as Windows stores it (ops->final_path), in plan form (*ret,
 * malloc()ed): an installation is named after it (its ID, bw_win_install_id), so C:\Users\ANN\Repo
 * and C:\Users\ann\repo are one installation. A final path that differs from plan beyond case (a
 * junction, a symbolic link or an 8.3 name on the way) is -ELOOP unless follow: apply's workspace
 * must be the directory itself (as on Linux, a symlink is refused), a run's directory is looked
 * up where it really is. -ENOENT: absent. *why says what is wrong.
 */
int bw_win_path_canonical(const struct bw_win_ops *ops, const char *plan, bool follow, char **ret, const char **why);
/* Is plan path p equal to or below root, case-insensitively, component-wise? */
bool bw_win_path_within(const char *p, const char *root);
