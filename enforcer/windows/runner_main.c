/* SPDX-License-Identifier: MIT */
/*
 * bulwark-runner.exe: runs one command of an installation under the write-restricted token of
 * win_runner.h.
 *
 *   bulwark-runner.exe --install ID [--network] [--verbose] -- PROGRAM [ARG]...
 *
 * `bulwark run` starts it: as the installation's sandbox user (CreateProcessWithLogonW) when the
 * installation has one for the token spec, as the caller otherwise (unelevated). Its command line
 * names the installation and the command only: the root SIDs, the read group and the account are
 * read from the installation's record under %ProgramData%\bulwark (a directory only
 * administrators may write, checked before anything is read), and the runner refuses to run as
 * anyone but the account the installation names. Exit status: the command's; 125 when the runner
 * itself fails (with a line on stderr saying why), 127 when the program is not found.
 *
 * NOT VERIFIED ON WINDOWS (tests/windows/README.md).
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <shlobj.h>

#include "util.h"
#include "win_ops_real.h"
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

static int usage(void) {
        fprintf(stderr, "usage: bulwark-runner.exe --install ID [--per-user] [--network] [--verbose] -- PROGRAM "
                        "[ARG]...\n"
                        "(bulwark run starts it: run commands with `bulwark run -- PROGRAM`)\n");
        return 125;
}

/* %ProgramData% as Windows knows it (not the environment's, which the caller sets). */
static char *program_data(void) {
        PWSTR w = NULL;
        char *s = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_ProgramData, 0, NULL, &w) == S_OK)
                s = narrow(w);
        CoTaskMemFree(w);
        return s;
}

/* %LOCALAPPDATA% as Windows knows it. */
static char *local_app_data(void) {
        PWSTR w = NULL;
        char *s = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &w) == S_OK)
                s = narrow(w);
        CoTaskMemFree(w);
        return s;
}

/* The unelevated run's stubs: %LOCALAPPDATA%\bulwark\denybin\{ssh,scp,sftp}.cmd, written when
 * missing or different. Advisory only: a program that ignores PATH reaches the network anyway. */
static char *denybin(void) {
        PWSTR w = NULL;
        char *base = NULL, *dir = NULL;
        if (SHGetKnownFolderPath(&FOLDERID_LocalAppData, 0, NULL, &w) == S_OK)
                base = narrow(w);
        CoTaskMemFree(w);
        if (!base || asprintf(&dir, "%s\\bulwark", base) < 0) {
                free(base);
                return NULL;
        }
        CreateDirectoryA(dir, NULL);
        free(dir);
        dir = NULL;
        if (asprintf(&dir, "%s\\bulwark\\denybin", base) < 0) {
                free(base);
                return NULL;
        }
        free(base);
        CreateDirectoryA(dir, NULL);
        const char *stub = bw_win_denybin_stub();
        for (size_t i = 0; bw_win_denybin_names[i]; i++) {
                char path[MAX_PATH * 3], have[1024];
                snprintf(path, sizeof(path), "%s\\%s", dir, bw_win_denybin_names[i]);
                FILE *f = fopen(path, "rb");
                size_t n = f ? fread(have, 1, sizeof(have), f) : 0;
                if (f)
                        fclose(f);
                if (n == strlen(stub) && memcmp(have, stub, n) == 0)
                        continue;
                if (!(f = fopen(path, "wb")) || fwrite(stub, 1, strlen(stub), f) != strlen(stub)) {
                        if (f)
                                fclose(f);
                        free(dir);
                        return NULL;
                }
                fclose(f);
        }
        return dir;
}

/* A file (not a directory) at path. */
static bool file_exists(void *ctx, const char *path) {
        (void) ctx;
        int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
        wchar_t *w = n > 0 ? malloc((size_t) n * sizeof(wchar_t)) : NULL;
        DWORD a = w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n) == n
                          ? GetFileAttributesW(w)
                          : INVALID_FILE_ATTRIBUTES;
        free(w);
        return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

/* --verbose: what the run is, before the command's own output. */
static void say_mode(void *ctx, const struct bw_win_runner_report *rep) {
        if (rep->elevated)
                fprintf(stderr,
                        "bulwark-runner: installation %s: as its sandbox user %s, write-restricted token with %zu "
                        "root SID(s); network %s\n",
                        (const char *) ctx, rep->account, rep->n_roots,
                        rep->network ? "on" : "off (the firewall rule apply makes for this user)");
        else
                fprintf(stderr,
                        "bulwark-runner: installation %s: unelevated (your own token), write-restricted token with "
                        "%zu root SID(s); network %s\n",
                        (const char *) ctx, rep->n_roots,
                        rep->network ? "on"
                                     : "off, ADVISORY only and not a boundary: proxy variables to a dead port, a "
                                       "failing GIT_SSH_COMMAND, ssh/scp/sftp stubs first on PATH; a program that "
                                       "ignores them reaches the network");
}

/* The entry point -municode links to (UTF-16 arguments); declared for -Wmissing-prototypes. */
int wmain(int argc, wchar_t **wargv);

int wmain(int argc, wchar_t **wargv) {
        char **argv = calloc((size_t) argc + 1, sizeof(char *));
        struct bw_win_runner_request rq = {0};
        bool verbose = false;
        char *install = NULL;
        int i;
        if (!argv)
                return 125;
        for (i = 0; i < argc; i++)
                if (!(argv[i] = narrow(wargv[i]))) {
                        fprintf(stderr, "bulwark-runner: argument %d is not valid UTF-16\n", i);
                        return 125;
                }
        for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--network") == 0)
                        rq.network = true;
                else if (strcmp(argv[i], "--verbose") == 0)
                        verbose = true;
                else if (strcmp(argv[i], "--per-user") == 0)
                        rq.per_user = true;
                else if (strcmp(argv[i], "--install") == 0 && i + 1 < argc)
                        rq.install_id = install = argv[++i];
                else
                        return usage();
        }
        if (i + 1 >= argc || !rq.install_id)
                return usage();
        rq.argv = (const char *const *) &argv[i + 1];

        /* The state directory must be administrators' alone: its records decide the token. A
         * per-user installation's (--per-user, %LOCALAPPDATA%\bulwark) must be the caller's own,
         * writable by no one else (bw_win_user_dir_verify): the token made from it is the caller's
         * own, restricted, so it can give no more than the caller has. */
        char *pd = rq.per_user ? local_app_data() : program_data(), *state = NULL, why[512] = "";
        if (!pd || asprintf(&state, "%s\\bulwark", pd) < 0) {
                fprintf(stderr, "bulwark-runner: cannot find %s\n", rq.per_user ? "%LOCALAPPDATA%" : "%ProgramData%");
                return 125;
        }
        free(pd);
        if (rq.per_user) {
                int e = bw_win_user_dir_verify(state, why, sizeof(why));
                if (e < 0) {
                        fprintf(stderr,
                                "bulwark-runner: %s must be yours and writable by you, SYSTEM and Administrators "
                                "only (%s): nothing was started\n",
                                state, e == -ENOENT ? "it does not exist" : why);
                        return 125;
                }
        }
        int fd = rq.per_user ? -1 : bw_compat_open_admin(state, true, false, why, sizeof(why));
        if (!rq.per_user && fd < 0) {
                fprintf(stderr,
                        "bulwark-runner: %s must be writable by administrators only (%s): nothing was started; "
                        "apply a plan as an administrator first\n",
                        state, why[0] ? why : strerror(-fd));
                return 125;
        }
        rq.state_dir = state;

        /* the environment as inherited; the plan's rules apply in bw_win_runner_run */
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
                if ((env[n_env] = narrow(e)))
                        env[++n_env] = NULL;
        }
        FreeEnvironmentStringsW(block);
        rq.env = (const char *const *) env;
        rq.denybin = denybin; /* called by an unelevated offline run only, which refuses without it */

        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        uint32_t code = 125;
        char err[1024] = "";
        rq.exists = file_exists;
        struct bw_win_runner_report rep;
        if (verbose)
                rq.before = say_mode;
        rq.before_ctx = install;
        int r = bw_win_runner_run(&ops, &rq, &code, &rep, err, sizeof(err));
        if (fd >= 0)
                close(fd);
        if (r < 0) {
                fprintf(stderr, "bulwark-runner: %s\n", err[0] ? err : strerror(-r));
                return rep.not_found ? 127 : 125;
        }
        return (int) code;
}
