/* SPDX-License-Identifier: MIT */
/*
 * bulwark.exe's entry point: the arguments as UTF-8 (Windows passes UTF-16; the C runtime's
 * narrow argv would be in the ANSI code page and lose what it cannot represent), output in UTF-8
 * on a console, bw_backend_windows over the real win_ops table, then main.c's bw_main: the same
 * command line as on Linux.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "backend_windows.h"
#include "win_ops_real.h"

#include <stdio.h>
#include <stdlib.h>

int bw_main(int argc, char **argv);
int wmain(int argc, wchar_t **wargv); /* -municode's entry point; declared for -Wmissing-prototypes */

int wmain(int argc, wchar_t **wargv) {
        char **argv = calloc((size_t) argc + 1, sizeof(char *));
        if (!argv)
                return 70;
        for (int i = 0; i < argc; i++) {
                int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wargv[i], -1, NULL, 0, NULL, NULL);
                argv[i] = n > 0 ? malloc((size_t) n) : NULL;
                if (!argv[i] ||
                    WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, wargv[i], -1, argv[i], n, NULL, NULL) <= 0) {
                        fprintf(stderr, "bulwark: argument %d is not valid UTF-16\n", i);
                        return 64;
                }
        }
        SetConsoleOutputCP(CP_UTF8);
        static struct bw_win_ops real;
        bw_win_ops_real(&real);
        bw_winbe_use_ops(&real);
        return bw_main(argc, argv);
}
