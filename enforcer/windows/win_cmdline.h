/* SPDX-License-Identifier: MIT */
/*
 * One command line for CreateProcess from an argv, by the rules the Microsoft C runtime (and
 * CommandLineToArgvW) use to split it again, and the parser of those rules for the tests. Pure.
 */
#pragma once

#include <stdbool.h>

/*
 * argv (NULL-terminated, at least one element) -> one string (malloc()ed). argv[0] is quoted
 * without escapes, as the runtime reads the program name; a '"' in it is refused (-EINVAL: no
 * file name has one). Every other argument is quoted only when needed (empty, or with a space,
 * tab, newline, vertical tab or '"'); inside quotes, backslashes before a '"' and before the
 * closing quote are doubled and the '"' escaped.
 */
int bw_win_cmdline_quote(const char *const *argv, char **ret);
/* Split a command line as the C runtime of Visual Studio 2008 and later does (argv[0] first).
 * *ret is a NULL-terminated malloc()ed array of malloc()ed strings; free with bw_win_argv_free. */
int bw_win_cmdline_parse(const char *cmdline, char ***ret);
void bw_win_argv_free(char **argv);
/* Is program a batch file (.bat or .cmd, any case)? CreateProcess runs those through cmd.exe,
 * which splits the line by other rules and expands %VAR%. */
bool bw_win_is_batch(const char *program);
/* May arg be passed to a batch file? Refused: characters cmd.exe interprets (" % ^ & | < > ! and
 * control characters); the quoting above cannot make them literal for cmd.exe. */
bool bw_win_batch_arg_safe(const char *arg);
