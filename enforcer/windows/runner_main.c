/* SPDX-License-Identifier: MIT */
/*
 * bulwark-runner.exe: runs one command under the write-restricted token of win_runner.h.
 *
 *   bulwark-runner.exe [--unelevated] [--network] [--denybin DIR] [--root-sid SID]... [--verbose]
 *                      -- PROGRAM [ARG]...
 *
 * Elevated installations start it as the sandbox user (bulwark run, CreateProcessWithLogonW);
 * unelevated ones as the user. Exit status: the command's; 125 when the runner itself fails (with
 * a line on stderr saying why), 127 when the program is not found.
 *
 * NOT VERIFIED ON WINDOWS (tests/windows/README.md). Still to come with the engine's seam
 * (enforcer/backend.h): the root SIDs read from the installation's state under %ProgramData%
 * instead of the command line, and the plan's environment section applied before the run.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "win_ops_real.h"
#include "win_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *narrow(const wchar_t *w) {
        int n = WideCharToMultiByte(CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
        char *s = n > 0 ? malloc((size_t) n) : NULL;
        if (s)
                WideCharToMultiByte(CP_UTF8, 0, w, -1, s, n, NULL, NULL);
        return s;
}

static int usage(void) {
        fprintf(stderr, "usage: bulwark-runner.exe [--unelevated] [--network] [--denybin DIR] [--root-sid SID]... "
                        "[--verbose] -- PROGRAM [ARG]...\n");
        return 125;
}

/* The entry point -municode links to (UTF-16 arguments); declared for -Wmissing-prototypes. */
int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv) {
        char **argv = calloc((size_t) argc + 1, sizeof(char *));
        struct bw_win_sid sids[32];
        size_t n_sids = 0;
        struct bw_win_run_request rq = {.elevated = true, .network_off = true};
        bool verbose = false;
        int i;
        if (!argv)
                return 125;
        for (i = 0; i < argc; i++)
                if (!(argv[i] = narrow(wargv[i]))) {
                        fprintf(stderr, "bulwark-runner: argument %d is not valid UTF-16\n", i);
                        return 125;
                }
        for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--unelevated") == 0)
                        rq.elevated = false;
                else if (strcmp(argv[i], "--network") == 0)
                        rq.network_off = false;
                else if (strcmp(argv[i], "--verbose") == 0)
                        verbose = true;
                else if (strcmp(argv[i], "--denybin") == 0 && i + 1 < argc)
                        rq.denybin = argv[++i];
                else if (strcmp(argv[i], "--root-sid") == 0 && i + 1 < argc && n_sids < 32) {
                        if (bw_win_sid_from_string(argv[++i], &sids[n_sids]) < 0) {
                                fprintf(stderr, "bulwark-runner: --root-sid %s is not a SID (S-1-5-21-...)\n", argv[i]);
                                return 125;
                        }
                        n_sids++;
                } else
                        return usage();
        }
        if (i + 1 >= argc)
                return usage();
        rq.argv = (const char *const *) &argv[i + 1];
        rq.root_sids = sids;
        rq.n_roots = n_sids;

        wchar_t found[32768];
        wchar_t *program = wargv[i + 1];
        DWORD n = SearchPathW(NULL, program, L".exe", 32768, found, NULL);
        if (n == 0 || n >= 32768) {
                fprintf(stderr, "bulwark-runner: %s: not found on PATH\n", argv[i + 1]);
                return 127;
        }
        char *application = narrow(found);
        rq.application = application;

        /* the environment as inherited (the plan's ENVR is applied by the front for now) */
        size_t n_env = 0, cap = 64;
        char **env = calloc(cap, sizeof(char *));
        wchar_t *block = GetEnvironmentStringsW();
        for (wchar_t *e = block; env && e && *e; e += wcslen(e) + 1) {
                if (e[0] == L'=')
                        continue; /* the per-drive current directories (=C:=C:\x) */
                if (n_env + 1 >= cap) {
                        char **m = realloc(env, (cap *= 2) * sizeof(char *));
                        if (!m)
                                break;
                        env = m;
                }
                env[n_env++] = narrow(e);
                env[n_env] = NULL;
        }
        FreeEnvironmentStringsW(block);
        rq.env = (const char *const *) env;

        if (verbose) {
                fprintf(stderr, "bulwark-runner: write-restricted token, %zu root SID(s); %s\n", n_sids,
                        rq.elevated ? "network off by the offline user's firewall rule"
                        : rq.network_off
                                ? "unelevated: the network limits are ADVISORY (proxy variables to a dead port, "
                                  "a failing GIT_SSH_COMMAND, ssh/scp stubs first on PATH): a program that ignores "
                                  "them reaches the network"
                                : "network on");
        }
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        uint32_t code = 125;
        char err[512] = "";
        int r = bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err));
        if (r < 0) {
                fprintf(stderr, "bulwark-runner: %s\n", err[0] ? err : strerror(-r));
                return 125;
        }
        return (int) code;
}
