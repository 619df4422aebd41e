/* SPDX-License-Identifier: MIT */
/*
 * bulwark.exe's entry point: the arguments as UTF-8 (Windows passes UTF-16; the C runtime's
 * narrow argv would be in the ANSI code page and lose what it cannot represent), output in UTF-8
 * on a console, bw_backend_windows over the real win_ops table, then main.c's bw_main: the same
 * command line as on Linux.
 *
 * Not elevated, bulwark.exe acts on the caller's per-user installation (enforcer/windows/SEAM.md):
 * the backend's per-user mode, and for plan, apply, revert, status and doctor the state directory
 * %LOCALAPPDATA%\bulwark (given as --state-dir right after the command, so a --state-dir of the
 * caller's own still wins). Elevated: the machine's, %ProgramData%\bulwark, as before.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shlobj.h>

#include "backend_windows.h"
#include "win_ops_real.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bw_main(int argc, char **argv);

/* "--state-dir=%LOCALAPPDATA%\bulwark" (malloc()ed), or NULL when Windows names no such folder. */
static char *user_state_arg(void) {
        PWSTR w = NULL;
        char *ret = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &w) == S_OK) {
                int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
                char *dir = n > 0 ? malloc((size_t) n) : NULL;
                if (dir && WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, dir, n, NULL, NULL) == n &&
                    asprintf(&ret, "--state-dir=%s\\bulwark", dir) < 0)
                        ret = NULL;
                free(dir);
        }
        CoTaskMemFree(w);
        return ret;
}

/* argv with the per-user state directory after an engine command, unless --state-dir is given. */
static char **per_user_argv(int *argc, char **argv) {
        int cmd = 1;
        while (cmd < *argc && argv[cmd][0] == '-' && strcmp(argv[cmd], "--help") != 0 && strcmp(argv[cmd], "-h") != 0)
                cmd++; /* global options before the command (main.c) */
        static const char *const engine[] = {"plan", "apply", "revert", "status", "doctor"};
        bool is_engine = false;
        for (size_t i = 0; cmd < *argc && i < sizeof(engine) / sizeof(engine[0]); i++)
                is_engine = is_engine || strcmp(argv[cmd], engine[i]) == 0;
        for (int i = cmd + 1; is_engine && i < *argc; i++)
                if (strcmp(argv[i], "--state-dir") == 0 || strncmp(argv[i], "--state-dir=", 12) == 0)
                        return argv;
        char *arg = is_engine ? user_state_arg() : NULL;
        char **out = arg ? calloc((size_t) *argc + 2, sizeof(char *)) : NULL;
        if (!out) {
                free(arg);
                return argv;
        }
        for (int i = 0, k = 0; i < *argc; i++) {
                out[k++] = argv[i];
                if (i == cmd)
                        out[k++] = arg;
        }
        (*argc)++;
        return out;
}
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
        if (!bw_winbe_elevated()) {
                bw_winbe_use_per_user(true);
                argv = per_user_argv(&argc, argv);
        }
        return bw_main(argc, argv);
}
