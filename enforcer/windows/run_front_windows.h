/* SPDX-License-Identifier: MIT */
/* `bulwark run` on Windows (run_front_windows.c). */
#pragma once

#include <stdbool.h>

/* Run cmd[0..n_cmd) in the installation of workspace (NULL: the current directory) or of the
 * nearest directory above it, through runner; the command's exit status, or 125 after saying why. */
int bw_win_front_run_in(const char *runner, const char *workspace, bool network, bool verbose, char *const *cmd,
                        int n_cmd);
