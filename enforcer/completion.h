/* SPDX-License-Identifier: MIT */
/* bulwark completion bash|zsh|fish: shell completion, generated from one table of commands and
 * options. */
#pragma once

#include <stdio.h>

/* Write the script for shell ("bash", "zsh" or "fish") to f: 0, or -EINVAL for another shell. */
int bw_completion_write(const char *shell, FILE *f);

/* The command. Returns the exit status. */
int bw_cmd_completion(int argc, char **argv);
