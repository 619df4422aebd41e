/* SPDX-License-Identifier: MIT */
/*
 * `bulwark run` on Windows: the facts of this process (the state directory, the working
 * directory, the caller's name and environment) handed to bw_win_front_exec (win_runner.c),
 * which finds the installation, starts bulwark-runner.exe as the installation says and waits.
 * NOT VERIFIED ON WINDOWS.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shlobj.h>

#include "run_front_windows.h"
#include "util.h"
#include "win_ops_real.h"
#include "win_path.h"
#include "win_runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *narrow(const wchar_t *w) {
        int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
        char *s = n > 0 ? malloc((size_t) n) : NULL;
        if (s && WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, s, n, NULL, NULL) != n) {
                free(s);
                return NULL;
        }
        return s;
}

/* This process's environment as a UTF-8 block (NAME=VALUE\0...\0\0), the per-drive current
 * directories (=C:=C:\x) left out: the runner applies the plan's rules to it. */
static char *environment_block(void) {
        wchar_t *w = GetEnvironmentStringsW();
        size_t size = 1, cap = 4096;
        char *out = malloc(cap);
        for (wchar_t *e = w; out && e && *e; e += wcslen(e) + 1) {
                if (e[0] == L'=')
                        continue;
                char *s = narrow(e);
                if (!s)
                        continue;
                size_t len = strlen(s) + 1;
                if (size + len + 1 > cap) {
                        char *m = realloc(out, cap = (cap + len) * 2);
                        if (!m) {
                                free(s);
                                free(out);
                                out = NULL;
                                break;
                        }
                        out = m;
                }
                memcpy(out + size - 1, s, len);
                size += len;
                free(s);
        }
        FreeEnvironmentStringsW(w);
        if (out) {
                out[size - 1] = 0;
                if (size == 1)
                        out[size++] = 0; /* an empty block is two NULs */
                else
                        out[size] = 0;
        }
        return out;
}

static void say_line(void *ctx, const char *line) {
        (void) ctx;
        fprintf(stderr, "bulwark run: %s\n", line);
}

/* %LOCALAPPDATA%\bulwark when it is there (a per-user installation may be), else NULL. */
static char *user_state_dir(void) {
        PWSTR w = NULL;
        char *base = NULL, *dir = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &w) == S_OK)
                base = narrow(w);
        CoTaskMemFree(w);
        if (base && asprintf(&dir, "%s\\bulwark", base) < 0)
                dir = NULL;
        free(base);
        if (dir && GetFileAttributesA(dir) == INVALID_FILE_ATTRIBUTES) {
                free(dir);
                dir = NULL;
        }
        return dir;
}

int bw_win_front_run_in(const char *runner, const char *workspace, bool network, bool verbose, char *const *cmd,
                        int n_cmd) {
        char dir[PATH_MAX], *plan_dir = NULL, *state = NULL, *env = NULL, *caller = NULL, *user_state = NULL;
        const char *why = NULL, **argv = NULL;
        PWSTR pd = NULL;
        int ret = 125;
        /* as the engine names the workspace (backend_windows.c's plan_path): its real path */
        if (!realpath(workspace ? workspace : ".", dir)) {
                fprintf(stderr, "bulwark run: %s: %s\n", workspace ? workspace : "the current directory",
                        strerror(errno));
                return 125;
        }
        if (bw_win_path_to_plan(dir, &plan_dir, &why) < 0) {
                fprintf(stderr, "bulwark run: %s: %s: bulwark runs in a directory on a local drive\n", dir,
                        why ? why : "not a path bulwark can name");
                goto out;
        }
        /* %ProgramData% as Windows knows it, as the runner finds it */
        char *pds = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &pd) != S_OK || !(pds = narrow(pd)) ||
            asprintf(&state, "%s\\bulwark", pds) < 0) {
                free(pds);
                fputs("bulwark run: cannot find %ProgramData%\n", stderr);
                goto out;
        }
        free(pds);
        wchar_t wname[257];
        DWORD wn = 257;
        if (!GetUserNameW(wname, &wn) || !(caller = narrow(wname))) {
                fputs("bulwark run: cannot tell who is running it (GetUserNameW)\n", stderr);
                goto out;
        }
        if (!(env = environment_block()) || !(argv = calloc((size_t) n_cmd + 1, sizeof(*argv)))) {
                fputs("bulwark run: out of memory\n", stderr);
                goto out;
        }
        for (int i = 0; i < n_cmd; i++)
                argv[i] = cmd[i];
        struct bw_win_front_request rq = {.state_dir = state,
                                          .plan_dir = plan_dir,
                                          .directory = dir,
                                          .caller = caller,
                                          .runner = runner,
                                          .environment = env,
                                          .cmd = argv,
                                          .network = network,
                                          .verbose = verbose,
                                          .user_state_dir = user_state = user_state_dir(),
                                          .say = say_line};
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        uint32_t code = 125;
        char err[1024] = "";
        int r = bw_win_front_exec(&ops, &rq, &code, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "bulwark run: %s\n", err[0] ? err : strerror(-r));
        else
                ret = (int) code;
out:
        CoTaskMemFree(pd);
        free(plan_dir);
        free(state);
        free(user_state);
        free(env);
        free(caller);
        free(argv);
        return ret;
}
