/* SPDX-License-Identifier: MIT */
/* `bulwark run` on Windows (run_front_windows.c). */
#pragma once

#include <stdbool.h>

/* Start runner with cmd[0..n_cmd), wait; the command's exit status, or 125 after saying why. */
int bw_win_front_run(const char *runner, bool network, bool verbose, char *const *cmd, int n_cmd);
