/* SPDX-License-Identifier: MIT */
/*
 * verify_enforcement.exe: checks on a REAL Windows host that the Windows backend's descriptors and
 * tokens enforce what the judge (judge.py) predicts. tests/windows/README.md says how to run it.
 * It has NOT been run on Windows: under Wine every security effect is faked, and this program then
 * reports failures or meaningless passes; its results count only on Windows 10/11 or Server.
 *
 *   verify_enforcement.exe
 *
 * Needs no administrator rights: it works in a fresh directory under %TEMP% with the caller's own
 * token, restricted as bulwark-runner restricts a run, and puts every DACL back before it removes
 * the directory. Exit status: the number of failed checks (0: all passed).
 *
 *   1. Which access bits the restricted pass of a WRITE_RESTRICTED token examines (READ_CONTROL,
 *      SYNCHRONIZE, DELETE, ...): AccessCheck on descriptors that grant the restricting SID all
 *      but one bit. This settles the judge's hypotheses.
 *   2. The backend's DACLs on NTFS: apply a root and a .git carve-out through the real operations,
 *      read them back (masks, order, inheritance into existing children).
 *   3. What a restricted token may do there: create in the root, not in .git; read and list .git;
 *      rename .git; write outside; without the root's SID.
 *   4. Revert: every descriptor byte for byte as before.
 *   5. The runner's token and process code (bw_win_runner_exec, over the real operations, with the
 *      root's SID): a write in the root, a write in .git, the exit code.
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <aclapi.h>

#include "win_backend.h"
#include "win_ops_real.h"
#include "win_path.h"
#include "win_runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(bool ok, const char *what) {
        printf("%s  %s\n", ok ? "PASS" : "FAIL", what);
        if (!ok)
                failures++;
}

static void sid_bytes(const struct bw_win_sid *sid, uint8_t out[68]) {
        bw_win_sid_encode(sid, out);
}

static bool own_user_sid(struct bw_win_sid *ret) {
        HANDLE t;
        uint8_t buf[256];
        DWORD n;
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &t))
                return false;
        bool ok = GetTokenInformation(t, TokenUser, buf, sizeof(buf), &n) &&
                  bw_win_sid_decode(((TOKEN_USER *) buf)->User.Sid, GetLengthSid(((TOKEN_USER *) buf)->User.Sid), ret,
                                    NULL) == 0;
        CloseHandle(t);
        return ok;
}

/* A write-restricted impersonation token of our own, with the given restricting SIDs. */
static HANDLE restricted_token(const struct bw_win_sid *sids, size_t n, bool impersonation) {
        HANDLE own = NULL, r = NULL, imp = NULL;
        SID_AND_ATTRIBUTES sa[8];
        uint8_t bytes[8][68];
        for (size_t i = 0; i < n; i++) {
                sid_bytes(&sids[i], bytes[i]);
                sa[i].Sid = bytes[i];
                sa[i].Attributes = 0;
        }
        if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &own))
                return NULL;
        BOOL ok = CreateRestrictedToken(own, DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, 0, NULL, 0, NULL,
                                        (DWORD) n, sa, &r);
        CloseHandle(own);
        if (!ok)
                return NULL;
        if (!impersonation)
                return r;
        ok = DuplicateToken(r, SecurityImpersonation, &imp);
        CloseHandle(r);
        return ok ? imp : NULL;
}

/* Item 1: does the restricted pass examine `bit` (asked alone, and with FILE_WRITE_DATA)? */
static void probe_bits(void) {
        struct bw_win_sid me, s, logon_unused;
        uint8_t rnd[16];
        (void) logon_unused;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        if (!own_user_sid(&me) || ops.random(NULL, rnd, 16) < 0) {
                check(false, "1. reading our own SID");
                return;
        }
        bw_win_sid_synthetic(rnd, &s);
        HANDLE imp = restricted_token(&s, 1, true);
        check(imp != NULL, "1. a write-restricted impersonation token can be made");
        if (!imp)
                return;
        static const struct {
                uint32_t bit;
                const char *name;
        } bits[] = {{BW_READ_CONTROL, "READ_CONTROL"},
                    {BW_SYNCHRONIZE, "SYNCHRONIZE"},
                    {BW_DELETE, "DELETE"},
                    {BW_FILE_READ_DATA, "FILE_READ_DATA"},
                    {BW_FILE_WRITE_DATA, "FILE_WRITE_DATA"},
                    {BW_FILE_WRITE_ATTRIBUTES, "FILE_WRITE_ATTRIBUTES"},
                    {BW_WRITE_DAC, "WRITE_DAC"},
                    {BW_FILE_DELETE_CHILD, "FILE_DELETE_CHILD"}};
        GENERIC_MAPPING map = {FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
        uint32_t examined_alone = 0, examined_with_write = 0;
        printf("     bit                     alone      with FILE_WRITE_DATA\n");
        for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
                bool denied[2];
                for (int with = 0; with < 2; with++) {
                        struct bw_win_sd sd = {.has_owner = true, .has_group = true, .has_dacl = true};
                        sd.owner = bw_win_sid_system; /* not us: no implicit owner rights */
                        sd.group = bw_win_sid_system;
                        bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS, &me);
                        bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS & ~bits[i].bit, &s);
                        uint8_t *bytes;
                        size_t n;
                        if (bw_win_sd_encode(&sd, &bytes, &n) < 0) {
                                bw_win_sd_done(&sd);
                                return;
                        }
                        DWORD want = bits[i].bit | (with && bits[i].bit != BW_FILE_WRITE_DATA ? BW_FILE_WRITE_DATA : 0);
                        PRIVILEGE_SET ps;
                        DWORD ps_n = sizeof(ps), granted = 0;
                        BOOL status = FALSE;
                        BOOL ok = AccessCheck((PSECURITY_DESCRIPTOR) bytes, imp, want, &map, &ps, &ps_n, &granted,
                                              &status);
                        denied[with] = !ok || !status;
                        free(bytes);
                        bw_win_sd_done(&sd);
                }
                printf("     %-22s  %-9s  %s\n", bits[i].name, denied[0] ? "examined" : "not",
                       denied[1] ? "examined" : "not");
                if (denied[0])
                        examined_alone |= bits[i].bit;
                if (denied[1])
                        examined_with_write |= bits[i].bit;
        }
        CloseHandle(imp);
        printf("INFO  1. the restricted pass examines %#x asked alone, %#x asked with a write\n",
               (unsigned) examined_alone, (unsigned) examined_with_write);
        /* The judge requires the descriptors to hold when READ_CONTROL and SYNCHRONIZE are not
         * examined for a read; if they are, reads that only the group grants fail. */
        check(!(examined_alone & (BW_READ_CONTROL | BW_SYNCHRONIZE)),
              "1. a read (READ_CONTROL, SYNCHRONIZE alone) is not examined by the restricted pass "
              "(the judge's required hypotheses; if this fails, judge.py's third hypothesis is Windows')");
        check((examined_alone & BW_FILE_WRITE_DATA) != 0, "1. FILE_WRITE_DATA is examined");
}

static wchar_t *wpath(const char *plan) {
        char *p = NULL;
        if (bw_win_path_from_plan(plan, &p) < 0)
                return NULL;
        int n = MultiByteToWideChar(CP_UTF8, 0, p, -1, NULL, 0);
        wchar_t *w = malloc((size_t) n * sizeof(wchar_t));
        MultiByteToWideChar(CP_UTF8, 0, p, -1, w, n);
        free(p);
        return w;
}

static bool can_create(const char *plan_path) {
        wchar_t *w = wpath(plan_path);
        HANDLE h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
        free(w);
        if (h == INVALID_HANDLE_VALUE)
                return false;
        CloseHandle(h);
        return true;
}

static bool can_open(const char *plan_path, DWORD access) {
        wchar_t *w = wpath(plan_path);
        HANDLE h = CreateFileW(w, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                               FILE_FLAG_BACKUP_SEMANTICS, NULL);
        free(w);
        if (h == INVALID_HANDLE_VALUE)
                return false;
        CloseHandle(h);
        return true;
}

static void mkdir_plan(const char *plan_path) {
        wchar_t *w = wpath(plan_path);
        CreateDirectoryW(w, NULL);
        free(w);
}

static bool read_sd(const struct bw_win_ops *ops, const char *path, uint8_t **ret, size_t *n) {
        bw_win_handle h;
        struct bw_win_object_info info;
        if (ops->open_object(NULL, path, false, &h, &info, NULL, 0) < 0)
                return false;
        bool ok = ops->get_sd(NULL, h, ret, n, NULL, 0) == 0;
        ops->close_handle(NULL, h);
        return ok;
}

int wmain(int argc, wchar_t **argv);

int wmain(int argc, wchar_t **argv) {
        printf("bulwark verify_enforcement: NOT a test under Wine; meaningful on Windows only\n");
        probe_bits();

        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        wchar_t tmp[MAX_PATH + 1];
        char tmp8[4 * MAX_PATH], *base = NULL;
        const char *why;
        DWORD n = GetTempPathW(MAX_PATH + 1, tmp);
        if (n == 0 || n > MAX_PATH)
                return 100;
        tmp[n - 1] = 0; /* no trailing backslash */
        WideCharToMultiByte(CP_UTF8, 0, tmp, -1, tmp8, sizeof(tmp8), NULL, NULL);
        char *tplan = NULL;
        if (bw_win_path_to_plan(tmp8, &tplan, &why) < 0) {
                printf("FAIL  %%TEMP%% (%s) is not a path the backend handles: %s\n", tmp8, why);
                return 100;
        }
        if (asprintf(&base, "%s/bulwark-verify-%lu", tplan, (unsigned long) GetCurrentProcessId()) < 0)
                return 100;
        char ws[1024], git[1024], config[1024], src[1024], file[1024], outside[1024];
        snprintf(ws, sizeof(ws), "%s/ws", base);
        snprintf(git, sizeof(git), "%s/.git", ws);
        snprintf(config, sizeof(config), "%s/config", git);
        snprintf(src, sizeof(src), "%s/src", ws);
        snprintf(file, sizeof(file), "%s/file.c", src);
        snprintf(outside, sizeof(outside), "%s/outside", base);
        mkdir_plan(base);
        mkdir_plan(ws);
        mkdir_plan(git);
        mkdir_plan(src);
        mkdir_plan(outside);
        check(can_create(config) && can_create(file), "2. a scratch tree under %TEMP%");

        const char *objects[] = {ws, git, config, src, file};
        uint8_t *before[5] = {0}, *after[5] = {0};
        size_t before_n[5] = {0}, after_n[5] = {0};
        for (int i = 0; i < 5; i++)
                read_sd(&ops, objects[i], &before[i], &before_n[i]);

        /* Item 2: the backend's entries, through the real operations. The group SID is a fresh
         * synthetic one (not ours), so only the root SID decides here, in the restricted pass. */
        struct bw_win_install in = {0};
        uint8_t rnd[16];
        ops.random(NULL, rnd, 16);
        bw_win_sid_synthetic(rnd, &in.group_sid);
        size_t idx;
        bw_win_install_root(&in, &ops, ws, &idx);
        struct bw_win_target targets[2] = {{ws, BW_WIN_T_ROOT, 1}, {git, BW_WIN_T_CARVE, 1}};
        struct bw_win_translation t = {.targets = targets, .n = 2};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        int r = bw_win_apply_targets(&in, NULL, 0, &t, &ops, &j, false, &rep);
        check(r == 0 && rep.errors == 0 && rep.changed == 2, "2. apply wrote the root and the carve-out");
        if (rep.errors)
                printf("      %s\n", rep.last_error);
        uint8_t *b;
        size_t bn;
        struct bw_win_sd sd;
        if (read_sd(&ops, git, &b, &bn) && bw_win_sd_decode(b, bn, &sd) == 0) {
                check(sd.dacl.n >= 2 && sd.dacl.aces[0].type == BW_ACE_DENY && sd.dacl.aces[0].mask == 0x10156 &&
                              bw_win_acl_first_misordered(&sd.dacl) == -1,
                      "2. .git holds the narrow deny first, in canonical order, as written");
                bw_win_sd_done(&sd);
                free(b);
        }
        if (read_sd(&ops, config, &b, &bn) && bw_win_sd_decode(b, bn, &sd) == 0) {
                bool deny = false;
                for (size_t i = 0; i < sd.dacl.n; i++)
                        deny |= sd.dacl.aces[i].type == BW_ACE_DENY && (sd.dacl.aces[i].flags & BW_ACE_INHERITED) &&
                                bw_win_sid_equal(&sd.dacl.aces[i].sid, &in.roots[0].sid);
                check(deny, "2. an existing file in .git inherited the deny (SetSecurityInfo propagated it)");
                bw_win_sd_done(&sd);
                free(b);
        }
        struct bw_win_report rep2 = {0};
        r = bw_win_apply_targets(&in, NULL, 0, &t, &ops, NULL, false, &rep2);
        check(r == 0 && rep2.changed == 0, "2. apply twice: the second writes nothing");

        /* Item 3: a token restricted as bulwark-runner restricts a run. */
        HANDLE own;
        struct bw_win_sid logon;
        OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &own);
        bool have_logon = ops.token_logon_sid(NULL, (bw_win_handle) own, &logon, NULL, 0) == 0;
        CloseHandle(own);
        check(have_logon, "3. our token has a logon session SID");
        struct bw_win_sid with[3] = {bw_win_sid_everyone, logon, in.roots[0].sid};
        char p[1100];
        HANDLE rt = restricted_token(with, 3, false);
        check(rt && ImpersonateLoggedOnUser(rt), "3. impersonating a write-restricted token with the root's SID");
        snprintf(p, sizeof(p), "%s/new.txt", ws);
        check(can_create(p), "3. it creates a file in the root");
        snprintf(p, sizeof(p), "%s/new.txt", git);
        check(!can_create(p), "3. it cannot create a file in .git");
        check(!can_open(config, FILE_WRITE_DATA), "3. it cannot write .git/config");
        check(!can_open(config, FILE_APPEND_DATA), "3. nor append to it");
        check(can_open(config, GENERIC_READ), "3. it reads .git/config");
        check(can_open(git, FILE_LIST_DIRECTORY | SYNCHRONIZE), "3. it lists .git");
        snprintf(p, sizeof(p), "%s/.git-moved", ws);
        {
                wchar_t *from = wpath(git), *to = wpath(p);
                check(!MoveFileExW(from, to, 0), "3. it cannot rename .git");
                free(from);
                free(to);
        }
        check(can_open(file, DELETE), "3. it may delete a file in the root");
        snprintf(p, sizeof(p), "%s/x.txt", outside);
        check(!can_create(p), "3. it cannot create outside the root");
        RevertToSelf();
        if (rt)
                CloseHandle(rt);
        HANDLE rt2 = restricted_token(with, 2, false);
        check(rt2 && ImpersonateLoggedOnUser(rt2), "3. impersonating a token without the root's SID");
        snprintf(p, sizeof(p), "%s/new2.txt", ws);
        check(!can_create(p), "3. without its SID it cannot create in the root");
        RevertToSelf();
        if (rt2)
                CloseHandle(rt2);

        /* Item 4: revert */
        struct bw_win_report rrep = {0};
        r = bw_win_revert(&in, NULL, 0, &j, &ops, &rrep);
        check(r == 0 && rrep.errors == 0, "4. revert ran without errors");
        bool same = true;
        for (int i = 0; i < 5; i++) {
                if (!read_sd(&ops, objects[i], &after[i], &after_n[i]) || after_n[i] != before_n[i] ||
                    memcmp(after[i], before[i], before_n[i]) != 0) {
                        printf("      %s differs after revert\n", objects[i]);
                        same = false;
                }
        }
        check(same, "4. every descriptor byte for byte as before apply");

        /* Item 5: the runner's own code (bw_win_runner_exec, what bulwark-runner.exe runs once it
         * has read an installation) over the real operations, from the caller's token with the
         * root's SID: this scratch tree has no installation for bulwark-runner.exe to read. */
        (void) argc;
        (void) argv;
        r = bw_win_apply_targets(&in, NULL, 0, &t, &ops, &j, false, &rep);
        char *wwin = NULL, *gwin = NULL;
        bw_win_path_from_plan(ws, &wwin);
        bw_win_path_from_plan(git, &gwin);
        char cmd_exe[MAX_PATH + 16];
        UINT sys_n = GetSystemDirectoryA(cmd_exe, MAX_PATH);
        snprintf(cmd_exe + sys_n, sizeof(cmd_exe) - sys_n, "\\cmd.exe");
        struct {
                const char *dir; /* NULL: the command is "exit 42" */
                DWORD want;
                const char *what;
        } runs[] = {{wwin + 4, 0, "5. the runner's command writes in the root (exit 0)"},
                    {gwin + 4, 1, "5. and cannot write in .git (exit 1)"},
                    {NULL, 42, "5. the command's exit code passes through (42)"}};
        for (int i = 0; i < 3; i++) {
                char inner[2048];
                if (runs[i].dir) /* past the \\?\ prefix: cmd.exe does not take it */
                        snprintf(inner, sizeof(inner), "echo x> \"%s\\run.txt\"", runs[i].dir);
                else
                        snprintf(inner, sizeof(inner), "exit 42");
                const char *cmd_argv[] = {cmd_exe, "/c", inner, NULL};
                const char *cmd_env[] = {"SystemRoot=C:\\Windows", NULL};
                struct bw_win_run_request rq = {
                        .application = cmd_exe,
                        .argv = cmd_argv,
                        .env = cmd_env,
                        .root_sids = &in.roots[0].sid,
                        .n_roots = 1,
                        .elevated = true, /* no advisory variables: this checks the token, not them */
                        .network_off = false,
                };
                uint32_t code = 999;
                char rerr[512] = "";
                int rr = bw_win_runner_exec(&ops, &rq, &code, rerr, sizeof(rerr));
                if (rr < 0 || code != runs[i].want)
                        printf("      %s: %s (exit %lu)\n", inner, rr < 0 ? rerr : "ran", (unsigned long) code);
                check(rr == 0 && code == runs[i].want, runs[i].what);
        }
        struct bw_win_report rrep2 = {0};
        bw_win_revert(&in, NULL, 0, &j, &ops, &rrep2);
        bw_win_journal_done(&j);
        free(wwin);
        free(gwin);
        printf("%d check(s) failed. Scratch directory: %s (remove it by hand; its DACLs are as before)\n", failures,
               base);
        for (int i = 0; i < 5; i++) {
                free(before[i]);
                free(after[i]);
        }
        free(base);
        free(tplan);
        bw_win_install_done(&in);
        return failures;
}
