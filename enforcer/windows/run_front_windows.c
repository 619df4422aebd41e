/* SPDX-License-Identifier: MIT */
/*
 * `bulwark run` on Windows: start bulwark-runner.exe (beside bulwark.exe, or --runner) with the
 * command, wait for it, and exit with its status. The runner reads no plan or workspace policy on
 * Windows yet (runner_main.c): the run is write-restricted with no writable root, unelevated, and
 * this says so on every run rather than let a policy look applied. NOT VERIFIED ON WINDOWS.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "run_front_windows.h"
#include "win_cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static wchar_t *wide(const char *s) {
        int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
        wchar_t *w = n > 0 ? malloc((size_t) n * sizeof(wchar_t)) : NULL;
        if (w)
                MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
        return w;
}

int bw_win_front_run(const char *runner, bool network, bool verbose, char *const *cmd, int n_cmd) {
        fputs("bulwark run: on Windows the workspace's policy and installed plans are not read yet: the command "
              "runs under bulwark-runner.exe's write-restricted token with no writable root, unelevated (network "
              "limits advisory); not verified on a Windows host\n",
              stderr);
        const char **argv = calloc((size_t) n_cmd + 6, sizeof(*argv));
        if (!argv)
                return 125;
        size_t k = 0;
        argv[k++] = runner;
        argv[k++] = "--unelevated";
        if (network)
                argv[k++] = "--network";
        if (verbose)
                argv[k++] = "--verbose";
        argv[k++] = "--";
        for (int i = 0; i < n_cmd; i++)
                argv[k++] = cmd[i];
        char *line = NULL;
        int e = bw_win_cmdline_quote(argv, &line);
        free(argv);
        if (e < 0) {
                fprintf(stderr, "bulwark run: cannot quote the runner's command line (%s)\n", strerror(-e));
                return 125;
        }
        wchar_t *wapp = wide(runner), *wline = wide(line);
        free(line);
        STARTUPINFOW si = {.cb = sizeof(si)};
        PROCESS_INFORMATION pi = {0};
        BOOL ok = wapp && wline && CreateProcessW(wapp, wline, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
        DWORD err = ok ? 0 : GetLastError();
        free(wapp);
        free(wline);
        if (!ok) {
                fprintf(stderr,
                        "bulwark run: cannot start %s (Windows error %lu): install bulwark-runner.exe beside "
                        "bulwark.exe, or give --runner PATH\n",
                        runner, (unsigned long) err);
                return 125;
        }
        DWORD code = 125;
        WaitForSingleObject(pi.hProcess, INFINITE);
        if (!GetExitCodeProcess(pi.hProcess, &code))
                code = 125;
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        return (int) code;
}
