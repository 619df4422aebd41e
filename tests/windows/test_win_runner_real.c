/* SPDX-License-Identifier: MIT */
/*
 * Win32 only (the cross build, run under Wine by scripts/windows.sh test): the run's real
 * operations where Wine runs them faithfully, none of it a security effect. read_file on real
 * files (a directory, a missing file, one too large refused); token_user and token_groups give
 * SIDs and names; the job with the plan's limits is made; the runner's exec (token, job,
 * suspended start, exit code) over the real table; and bulwark run's front over the real
 * table against a state directory in %TEMP%: it finds the installation, reads the sandbox user's
 * password kept with real DPAPI and decrypts it, and gets as far as CreateProcessWithLogonW (which
 * Wine refuses), while a damaged password file is refused before any logon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include "win_ops_real.h"
#include "win_path.h"
#include "win_runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmp[MAX_PATH + 1];

static void put(const char *path, const void *data, size_t n) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, n, f), n);
        assert_int_equal(fclose(f), 0);
}

static void test_read_file(void **state) {
        (void) state;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        char p[MAX_PATH * 2], err[256];
        uint8_t *data = NULL;
        size_t n = 0;
        snprintf(p, sizeof(p), "%s\\small", tmp);
        put(p, "a\0b", 3);
        assert_int_equal(ops.read_file(ops.ctx, p, &data, &n, err, sizeof(err)), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(data, "a\0b", 3);
        free(data);
        snprintf(p, sizeof(p), "%s\\missing", tmp);
        assert_int_equal(ops.read_file(ops.ctx, p, &data, &n, err, sizeof(err)), -ENOENT);
        assert_true(ops.read_file(ops.ctx, tmp, &data, &n, err, sizeof(err)) < 0); /* a directory */
        snprintf(p, sizeof(p), "%s\\big", tmp);
        char *big = calloc(1, (1u << 20) + 1);
        put(p, big, (1u << 20) + 1);
        free(big);
        assert_int_equal(ops.read_file(ops.ctx, p, &data, &n, err, sizeof(err)), -EFBIG);
}

static void test_token(void **state) {
        (void) state;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        bw_win_handle t = 0;
        char err[256] = "";
        assert_int_equal(ops.own_token(ops.ctx, &t, err, sizeof(err)), 0);
        struct bw_win_sid me;
        assert_int_equal(ops.token_user(ops.ctx, t, &me, err, sizeof(err)), 0);
        assert_int_equal(me.revision, 1);
        struct bw_win_token_group *g = NULL;
        size_t n = 0;
        assert_int_equal(ops.token_groups(ops.ctx, t, NULL, &g, &n, err, sizeof(err)), 0);
        bool everyone = false;
        for (size_t i = 0; i < n; i++)
                everyone |= bw_win_sid_equal(&g[i].sid, &bw_win_sid_everyone) && strcmp(g[i].name, "Everyone") == 0;
        assert_true(everyone);
        free(g);
        /* with a domain filter no group of another authority is named: Everyone keeps "" */
        assert_int_equal(ops.token_groups(ops.ctx, t, &me, &g, &n, err, sizeof(err)), 0);
        for (size_t i = 0; i < n; i++)
                if (bw_win_sid_equal(&g[i].sid, &bw_win_sid_everyone))
                        assert_string_equal(g[i].name, "");
        free(g);
        ops.close_handle(ops.ctx, t);
        /* the job with the plan's limits is made (what it enforces is the runbook's R8, R9) */
        struct bw_win_job_limits l = {.processes = 8, .memory = 256u << 20, .cpu_millis = 500};
        bw_win_handle j = 0;
        int r = ops.job_create_limited(ops.ctx, &l, &j, err, sizeof(err));
        if (r < 0)
                fail_msg("job_create_limited: %s", err);
        ops.close_handle(ops.ctx, j);
}

/* bw_win_runner_exec over the real table: the restricted token (with its default DACL), the job
 * with limits, the process started suspended, assigned, resumed, its exit code. Wine ignores the
 * restrictions: only the plumbing and the exit code are checked. */
static void test_exec_real(void **state) {
        (void) state;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        char sysdir[MAX_PATH], cmd[MAX_PATH + 16], err[512] = "";
        assert_true(GetSystemDirectoryA(sysdir, sizeof(sysdir)) > 0);
        snprintf(cmd, sizeof(cmd), "%s\\cmd.exe", sysdir);
        const char *const argv[] = {cmd, "/c", "exit", "5", NULL};
        const char *const env[] = {"SystemRoot=C:\\windows", NULL};
        struct bw_win_sid root;
        bw_win_sid_from_string("S-1-5-21-70000-2-3-4", &root);
        struct bw_win_run_request rq = {.application = cmd,
                                        .argv = argv,
                                        .env = env,
                                        .root_sids = &root,
                                        .n_roots = 1,
                                        .elevated = true,
                                        .network_off = true,
                                        .limits = {.processes = 8, .memory = 512u << 20}};
        uint32_t code = 0;
        int r = bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err));
        if (r < 0)
                fail_msg("runner_exec: %s", err);
        assert_int_equal(code, 5);
}

/* The front over the real table, with a state directory in %TEMP%. */
static void test_front_real(void **state) {
        (void) state;
        struct bw_win_ops ops;
        bw_win_ops_real(&ops);
        char dir[MAX_PATH * 2], p[MAX_PATH * 3], *plan_dir = NULL, err[1024] = "";
        const char *why = NULL;
        snprintf(dir, sizeof(dir), "%s\\repo", tmp);
        CreateDirectoryA(dir, NULL);
        assert_int_equal(bw_win_path_to_plan(dir, &plan_dir, &why), 0);
        char id[17], user[257];
        DWORD un = sizeof(user);
        assert_true(GetUserNameA(user, &un));
        bw_win_install_id(plan_dir, id);
        char state_dir[MAX_PATH * 2];
        snprintf(state_dir, sizeof(state_dir), "%s\\state", tmp);
        CreateDirectoryA(state_dir, NULL);
        snprintf(p, sizeof(p), "%s\\installs", state_dir);
        CreateDirectoryA(p, NULL);
        snprintf(p, sizeof(p), "%s\\installs\\%s", state_dir, id);
        CreateDirectoryA(p, NULL);
        snprintf(p, sizeof(p), "%s\\secrets", state_dir);
        CreateDirectoryA(p, NULL);
        struct bw_win_install in = {0};
        snprintf(in.id, sizeof(in.id), "%s", id);
        snprintf(in.user, sizeof(in.user), "%s", user);
        snprintf(in.offline, sizeof(in.offline), "bwoff-test");
        snprintf(in.online, sizeof(in.online), "bwon-test");
        snprintf(in.group, sizeof(in.group), "bw-r-%s", id);
        bw_win_sid_from_string("S-1-5-21-1-2-3-2001", &in.offline_sid);
        bw_win_sid_from_string("S-1-5-21-1-2-3-2002", &in.online_sid);
        bw_win_sid_from_string("S-1-5-21-1-2-3-2003", &in.group_sid);
        struct bw_win_root root = {plan_dir, {0}};
        bw_win_sid_from_string("S-1-5-21-70000-2-3-4", &root.sid);
        in.roots = &root;
        in.n_roots = 1;
        char *text = NULL;
        assert_int_equal(bw_win_install_encode(&in, &text), 0);
        snprintf(p, sizeof(p), "%s\\installs\\%s\\windows", state_dir, id);
        put(p, text, strlen(text));
        free(text);
        FILE *f = fopen(BW_WIN_FIXTURES "/windows-fixture.bwplan", "rb");
        assert_non_null(f);
        uint8_t *plan = malloc(1 << 20);
        size_t plan_n = fread(plan, 1, 1 << 20, f);
        fclose(f);
        snprintf(p, sizeof(p), "%s\\installs\\%s\\plan", state_dir, id);
        put(p, plan, plan_n);
        free(plan);
        uint8_t *blob = NULL;
        size_t blob_n = 0;
        assert_int_equal(ops.protect(ops.ctx, (const uint8_t *) "Pw-test-1", 9, &blob, &blob_n), 0);
        char secret[MAX_PATH * 3];
        snprintf(secret, sizeof(secret), "%s\\secrets\\bwoff-test", state_dir);
        put(secret, blob, blob_n);
        free(blob);

        const char *const cmd[] = {"cmd", "/c", "exit", "7", NULL};
        struct bw_win_front_request rq = {.state_dir = state_dir,
                                          .plan_dir = plan_dir,
                                          .directory = dir,
                                          .caller = user,
                                          .runner = "C:\\windows\\system32\\cmd.exe",
                                          .cmd = cmd};
        uint32_t code = 0;
        int r = bw_win_front_exec(&ops, &rq, &code, err, sizeof(err));
        /* Wine refuses CreateProcessWithLogonW (there is no such user either): the password was
         * read and decrypted, the logon was asked for */
        if (r == 0)
                fail_msg("a logon as bwoff-test succeeded: not Wine, or Wine started logging users on");
        if (!strstr(err, "as bwoff-test"))
                fail_msg("not refused at the logon: %s", err);
        /* a damaged password file: refused before any logon */
        put(secret, "damaged", 7);
        assert_int_equal(bw_win_front_exec(&ops, &rq, &code, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "cannot be decrypted"));
        assert_non_null(strstr(err, secret));
        free(plan_dir);
}

int main(void) {
        char base[MAX_PATH + 1];
        DWORD n = GetTempPathA(sizeof(base), base);
        if (n == 0 || n > sizeof(base))
                return 1;
        snprintf(tmp, sizeof(tmp), "%sbw-runner-real-%lu", base, (unsigned long) GetCurrentProcessId());
        CreateDirectoryA(tmp, NULL);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_file),
                cmocka_unit_test(test_token),
                cmocka_unit_test(test_exec_real),
                cmocka_unit_test(test_front_real),
        };
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        char cmdline[MAX_PATH + 64];
        snprintf(cmdline, sizeof(cmdline), "cmd /c rmdir /s /q \"%s\"", tmp);
        system(cmdline);
        return r;
}
