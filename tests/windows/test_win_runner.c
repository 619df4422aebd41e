/* SPDX-License-Identifier: MIT */
/* bulwark-runner.exe's logic against the recording fake (enforcer/windows/win_runner.c): the token
 * it asks for, the job, the order of the calls, stdio and exit code, the unelevated advisory
 * environment. What Windows then enforces is tests/windows/README.md's to check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_ops.h"
#include "win_cmdline.h"
#include "win_runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct bw_win_sid root_a, root_b;

static int setup(void **state) {
        (void) state;
        bw_win_sid_from_string("S-1-5-21-70000-2-3-4", &root_a);
        bw_win_sid_from_string("S-1-5-21-80000-5-6-7", &root_b);
        return 0;
}

static size_t log_index(const struct fake *f, const char *prefix) {
        for (size_t i = 0; i < f->n_log; i++)
                if (strncmp(f->log[i], prefix, strlen(prefix)) == 0)
                        return i;
        fail_msg("no call %s", prefix);
        return 0;
}

static void test_elevated(void **state) {
        (void) state;
        struct fake f;
        struct bw_win_ops ops;
        fake_init(&f, &ops);
        f.exit_code = 42;
        const struct bw_win_sid roots[] = {root_a, root_b};
        const char *const argv[] = {"C:\\Program Files\\Git\\cmd\\git.exe", "commit", "-m", "a \"quoted\" message",
                                    NULL};
        const char *const env[] = {"PATH=C:\\Windows", "Home=C:\\Users\\ann", NULL};
        struct bw_win_run_request rq = {.application = argv[0],
                                        .argv = argv,
                                        .env = env,
                                        .directory = "C:\\Users\\ann\\repo",
                                        .root_sids = roots,
                                        .n_roots = 2,
                                        .elevated = true,
                                        .network_off = true};
        uint32_t code = 0;
        char err[256] = "";
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(code, 42);
        /* DISABLE_MAX_PRIVILEGE | LUA_TOKEN | WRITE_RESTRICTED, never SANDBOX_INERT */
        assert_int_equal(f.restricted_flags, 0x1 | 0x4 | 0x8);
        /* restricting SIDs: Everyone, the logon session, the plan's roots, in that order, no more */
        assert_int_equal(f.n_restricted_sids, 4);
        assert_true(bw_win_sid_equal(&f.restricted_sids[0], &bw_win_sid_everyone));
        assert_true(bw_win_sid_equal(&f.restricted_sids[1], &f.logon_sid));
        assert_true(bw_win_sid_equal(&f.restricted_sids[2], &root_a));
        assert_true(bw_win_sid_equal(&f.restricted_sids[3], &root_b));
        /* created suspended, put in the job, only then resumed */
        assert_true(f.last_suspended);
        assert_true(log_index(&f, "job_create") < log_index(&f, "create_process_as_user"));
        assert_true(log_index(&f, "job_assign 3000 2000") < log_index(&f, "resume_thread"));
        assert_true(f.resumed_after_assign);
        assert_true(log_index(&f, "resume_thread") < log_index(&f, "wait_process"));
        /* the job's handle is closed at the end: that kills whatever the command left behind */
        assert_true(log_index(&f, "close 3000") > log_index(&f, "wait_process"));
        /* the command line, quoted for the C runtime */
        assert_string_equal(f.last_command_line,
                            "\"C:\\Program Files\\Git\\cmd\\git.exe\" commit -m \"a \\\"quoted\\\" message\"");
        /* elevated: the environment as given (sorted), no advisory variables */
        assert_string_equal(f.last_environment, "Home=C:\\Users\\ann");
        assert_string_equal(f.last_environment + strlen("Home=C:\\Users\\ann") + 1, "PATH=C:\\Windows");
        for (const char *p = f.last_environment; *p; p += strlen(p) + 1)
                assert_int_not_equal(strncmp(p, "HTTP_PROXY", 10), 0);
        fake_done(&f);
}

static bool env_has(const struct fake *f, const char *entry) {
        for (const char *p = f->last_environment; *p; p += strlen(p) + 1)
                if (strcmp(p, entry) == 0)
                        return true;
        return false;
}

static void test_unelevated_advisory(void **state) {
        (void) state;
        struct fake f;
        struct bw_win_ops ops;
        fake_init(&f, &ops);
        const char *const argv[] = {"C:\\x\\curl.exe", "https://example.org", NULL};
        const char *const env[] = {"Path=C:\\Windows;C:\\Git\\usr\\bin",
                                   "PATHEXT=.COM;.EXE;.BAT;.CMD;.PS1",
                                   "http_proxy=http://corp:3128",
                                   "NO_PROXY=localhost",
                                   "GIT_SSH=plink",
                                   "KEEP=1",
                                   NULL};
        struct bw_win_run_request rq = {.application = argv[0],
                                        .argv = argv,
                                        .env = env,
                                        .root_sids = &root_a,
                                        .n_roots = 1,
                                        .elevated = false,
                                        .network_off = true,
                                        .denybin = "C:\\ProgramData\\bulwark\\denybin"};
        uint32_t code;
        char err[256] = "";
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(f.restricted_flags, 0xd); /* the same token as elevated */
        assert_true(env_has(&f, "HTTP_PROXY=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "HTTPS_PROXY=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "ALL_PROXY=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "GIT_SSH_COMMAND=\"C:\\ProgramData\\bulwark\\denybin\\ssh.cmd\""));
        assert_true(env_has(&f, "PATH=C:\\ProgramData\\bulwark\\denybin;C:\\Windows;C:\\Git\\usr\\bin"));
        assert_true(env_has(&f, "PATHEXT=.CMD;.COM;.EXE;.BAT;.PS1"));
        assert_true(env_has(&f, "KEEP=1"));
        /* the user's own proxy, NO_PROXY and GIT_SSH would let traffic around the dead proxy */
        assert_false(env_has(&f, "http_proxy=http://corp:3128"));
        assert_false(env_has(&f, "NO_PROXY=localhost"));
        assert_false(env_has(&f, "GIT_SSH=plink"));
        assert_false(env_has(&f, "Path=C:\\Windows;C:\\Git\\usr\\bin"));
        assert_non_null(strstr(bw_win_denybin_stub(), "exit /b 1"));
        /* without a denybin, an unelevated offline run is refused before anything starts */
        fake_log_clear(&f);
        rq.denybin = NULL;
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), -EINVAL);
        assert_int_equal(f.n_log, 0);
        fake_done(&f);
}

static void test_refusals(void **state) {
        (void) state;
        struct fake f;
        struct bw_win_ops ops;
        fake_init(&f, &ops);
        /* a batch file with an argument cmd.exe would interpret: nothing is started */
        const char *const argv[] = {"build.cmd", "x & calc", NULL};
        struct bw_win_run_request rq = {.application = "C:\\r\\build.cmd", .argv = argv, .elevated = true};
        uint32_t code;
        char err[256] = "";
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "batch file"));
        assert_int_equal(f.n_log, 0);
        /* the job cannot take the process: it is killed, never resumed */
        const char *const argv2[] = {"tool.exe", NULL};
        struct bw_win_run_request rq2 = {.application = "C:\\tool.exe", .argv = argv2, .elevated = true};
        fake_fail(&f, "job_assign", 1, EACCES);
        assert_int_equal(bw_win_runner_exec(&ops, &rq2, &code, err, sizeof(err)), -EACCES);
        assert_int_equal(fake_count(&f, "terminate_process 2000"), 1);
        assert_int_equal(fake_count(&f, "resume_thread"), 0);
        /* the restricted token cannot be made: no process at all */
        fake_log_clear(&f);
        fake_fail(&f, "restricted_token", 1, EPERM);
        assert_int_equal(bw_win_runner_exec(&ops, &rq2, &code, err, sizeof(err)), -EPERM);
        assert_int_equal(fake_count(&f, "create_process"), 0);
        fake_done(&f);
}

static void test_front(void **state) {
        (void) state;
        struct fake f;
        struct bw_win_ops ops;
        fake_init(&f, &ops);
        assert_int_equal(ops.user_add(ops.ctx, "bwoff-ann", "s3cret!aA1", "bulwark offline sandbox of ann", NULL, 0),
                         0);
        uint8_t *blob;
        size_t blob_n;
        assert_int_equal(ops.protect(ops.ctx, (const uint8_t *) "s3cret!aA1", 10, &blob, &blob_n), 0);
        f.exit_code = 77;
        const char *const argv[] = {
                "C:\\Program Files\\bulwark\\bulwark-runner.exe", "--plan", "x.plan", "--", "git", NULL};
        uint32_t code = 0;
        char err[256] = "";
        assert_int_equal(bw_win_front_start_runner(&ops, "bwoff-ann", blob, blob_n, argv,
                                                   "C:\\Program Files\\bulwark\\bulwark-runner.exe", &code, err,
                                                   sizeof(err)),
                         0);
        assert_int_equal(code, 77);
        assert_int_equal(fake_count(&f, "create_process_with_logon bwoff-ann \"C:\\Program Files"), 1);
        /* a damaged blob: refused, nothing started */
        blob[0] = 'X';
        fake_log_clear(&f);
        assert_int_equal(
                bw_win_front_start_runner(&ops, "bwoff-ann", blob, blob_n, argv, "r.exe", &code, err, sizeof(err)),
                -EBADMSG);
        assert_non_null(strstr(err, "could not be unprotected"));
        assert_int_equal(fake_count(&f, "create_process"), 0);
        free(blob);
        fake_done(&f);
}

static void test_env_block(void **state) {
        (void) state;
        const char *const env[] = {"b=2", "A=1", "_x=3", NULL};
        char *block;
        size_t n;
        assert_int_equal(bw_win_env_block(env, &block, &n), 0);
        assert_int_equal(n, 4 + 4 + 5 + 1);
        assert_memory_equal(block, "A=1\0b=2\0_x=3\0\0", n);
        free(block);
        const char *const none[] = {NULL};
        assert_int_equal(bw_win_env_block(none, &block, &n), 0);
        assert_int_equal(n, 2);
        assert_memory_equal(block, "\0\0", 2);
        free(block);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_elevated),  cmocka_unit_test(test_unelevated_advisory),
                cmocka_unit_test(test_refusals),  cmocka_unit_test(test_front),
                cmocka_unit_test(test_env_block),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
