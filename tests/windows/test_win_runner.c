/* SPDX-License-Identifier: MIT */
/* `bulwark run` and bulwark-runner.exe against the recording fake (enforcer/windows/win_runner.c):
 * the installation found from the working directory, the sandbox user's password read and
 * unprotected, the runner started as that user with nothing but the installation's ID and the
 * command on its command line; the runner's token (restricting SIDs from the record, other
 * installations' read groups deny-only), job limits, environment, the order of the calls, exit
 * code; the unelevated advisory environment; the refusals (no installation, a damaged record, a
 * missing or corrupt secret, the wrong account) with nothing started. What Windows then enforces
 * is tests/windows/README.md's to check: no assertion here is about a security effect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_runner.h"
#include "win_cmdline.h"
#include "win_runner.h"
#include "win_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
        struct fake_runner fr;
        struct bw_win_ops ops;
        fake_runner_init(&fr, &f, &ops);
        f.exit_code = 42;
        /* the logon token of a user with three installations: its groups as Windows lists them */
        fake_runner_group(&fr, "S-1-1-0", "Everyone", 7);
        fake_runner_group(&fr, "S-1-5-21-1-2-3-3001", "bw-r-00000000000000aa", 7);
        fake_runner_group(&fr, "S-1-5-21-1-2-3-3002", "bw-r-00000000000000bb", 7);
        fake_runner_group(&fr, "S-1-5-21-1-2-3-3003", "BW-R-00000000000000CC", 7);
        fake_runner_group(&fr, "S-1-5-21-1-2-3-3004", "bw-rx-not-ours", 7);
        /* a group of another authority (a domain's) is never one of bulwark's local read groups:
         * not even looked up */
        fake_runner_group(&fr, "S-1-5-21-7-7-7-3005", "bw-r-00000000000000dd", 7);
        fake_runner_group(&fr, "S-1-5-5-0-123456", "", 0xc0000007u);
        struct bw_win_sid mine;
        bw_win_sid_from_string("S-1-5-21-1-2-3-3002", &mine);
        bw_win_sid_from_string("S-1-5-21-1-2-3-2000", &fr.token_user);
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
                                        .network_off = true,
                                        .read_group = &mine,
                                        .limits = {.processes = 4096, .memory = 1u << 30, .cpu_millis = 1500}};
        uint32_t code = 0;
        char err[256] = "";
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(code, 42);
        /* deny-only: exactly the other installations' read groups (any case), not this one's, not
         * a group that merely starts alike, not Everyone or the logon session */
        assert_int_equal(fr.n_disabled, 2);
        char a[BW_WIN_SID_STRING_MAX], b[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&fr.disabled[0], a);
        bw_win_sid_to_string(&fr.disabled[1], b);
        assert_string_equal(a, "S-1-5-21-1-2-3-3001");
        assert_string_equal(b, "S-1-5-21-1-2-3-3003");
        assert_int_equal(fake_count(&f, "restrict_token 1000 0xd disable 2 restrict 4"), 1);
        /* the default DACL: SYSTEM, the user and the logon session (a restricting SID), so what the
         * command makes without inherited entries passes the restricted check */
        assert_int_equal(fr.n_default_dacl, 3);
        assert_true(bw_win_sid_equal(&fr.default_dacl[0], &bw_win_sid_system));
        assert_true(bw_win_sid_equal(&fr.default_dacl[1], &fr.token_user));
        assert_true(bw_win_sid_equal(&fr.default_dacl[2], &f.logon_sid));
        assert_true(log_index(&f, "token_groups 1000") < log_index(&f, "restrict_token"));
        /* the job: kill on close, the plan's limits */
        assert_int_equal(fake_count(&f, "job_create kill_on_close processes=4096 memory=1073741824 cpu=1500"), 1);
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
        assert_true(log_index(&f, "restrict_token") < log_index(&f, "create_process_as_user 1001"));
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
        fake_runner_done(&fr);
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
        struct fake_runner fr;
        struct bw_win_ops ops;
        fake_runner_init(&fr, &f, &ops);
        fake_runner_group(&fr, "S-1-5-32-544", "Administrators", 0xf);
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
        /* lower case too: MSYS and Cygwin programs (git's curl and ssh) read names as written */
        assert_true(env_has(&f, "http_proxy=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "https_proxy=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "all_proxy=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&f, "GIT_SSH_COMMAND=\"C:\\ProgramData\\bulwark\\denybin\\ssh.cmd\""));
        assert_true(env_has(&f, "PATH=C:\\ProgramData\\bulwark\\denybin;C:\\Windows;C:\\Git\\usr\\bin"));
        assert_true(env_has(&f, "PATHEXT=.CMD;.COM;.EXE;.BAT;.PS1"));
        assert_true(env_has(&f, "KEEP=1"));
        /* the caller's own token from an elevated prompt: Administrators deny-only (no secrets read) */
        assert_int_equal(fr.n_disabled, 1);
        char adm[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&fr.disabled[0], adm);
        assert_string_equal(adm, "S-1-5-32-544");
        /* the user's own proxy, NO_PROXY and GIT_SSH would let traffic around the dead proxy */
        assert_false(env_has(&f, "http_proxy=http://corp:3128"));
        assert_false(env_has(&f, "NO_PROXY=localhost"));
        assert_false(env_has(&f, "GIT_SSH=plink"));
        assert_false(env_has(&f, "Path=C:\\Windows;C:\\Git\\usr\\bin"));
        assert_non_null(strstr(bw_win_denybin_stub(), "exit /b 1"));
        assert_string_equal(bw_win_denybin_names[0], "ssh.cmd");
        assert_string_equal(bw_win_denybin_names[1], "scp.cmd");
        assert_string_equal(bw_win_denybin_names[2], "sftp.cmd");
        assert_null(bw_win_denybin_names[3]);
        /* without a denybin, an unelevated offline run is refused before anything starts */
        fake_log_clear(&f);
        rq.denybin = NULL;
        assert_int_equal(bw_win_runner_exec(&ops, &rq, &code, err, sizeof(err)), -EINVAL);
        assert_int_equal(f.n_log, 0);
        fake_runner_done(&fr);
}

static void test_refusals(void **state) {
        (void) state;
        struct fake f;
        struct fake_runner fr;
        struct bw_win_ops ops;
        fake_runner_init(&fr, &f, &ops);
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
        fake_fail(&f, "restrict_token", 1, EPERM);
        assert_int_equal(bw_win_runner_exec(&ops, &rq2, &code, err, sizeof(err)), -EPERM);
        assert_int_equal(fake_count(&f, "create_process"), 0);
        /* the token's groups cannot be read: no token, no process (never a run that keeps another
         * installation's read group) */
        fake_log_clear(&f);
        fake_fail(&f, "token_groups", 1, EACCES);
        assert_int_equal(bw_win_runner_exec(&ops, &rq2, &code, err, sizeof(err)), -EACCES);
        assert_int_equal(fake_count(&f, "restrict_token"), 0);
        assert_int_equal(fake_count(&f, "create_process"), 0);
        fake_runner_done(&fr);
}

/* ---- an installation in the fake's state directory ---- */

#define STATE "C:\\ProgramData\\bulwark"
#define RUNNER "C:\\Program Files\\bulwark\\bulwark-runner.exe"
#define WS "/c/Users/ann/repo"

struct world_run {
        struct fake f;
        struct fake_runner fr;
        struct bw_win_ops ops;
        char id[17], record[256], plan[256], secret[256];
        char *record_text;
        struct bw_win_sid offline_sid, group_sid;
};

static size_t count_suffix(const struct fake *f, const char *prefix, const char *suffix) {
        size_t n = 0;
        for (size_t i = 0; i < f->n_log; i++) {
                size_t len = strlen(f->log[i]);
                n += strncmp(f->log[i], prefix, strlen(prefix)) == 0 && len >= strlen(suffix) &&
                     strcmp(f->log[i] + len - strlen(suffix), suffix) == 0;
        }
        return n;
}

static void read_fixture(uint8_t **ret, size_t *ret_n) {
        FILE *fp = fopen(BW_WIN_FIXTURES "/windows-fixture.bwplan", "rb");
        assert_non_null(fp);
        uint8_t *buf = malloc(1 << 20);
        size_t n = fread(buf, 1, 1 << 20, fp);
        fclose(fp);
        assert_true(n > 0 && n < (1 << 20));
        *ret = buf;
        *ret_n = n;
}

/* ann's installation of WS: the accounts made (the offline user with password pw), its record,
 * its plan (the fixture: network off only), the offline user's password kept with "DPAPI". */
static void world_run_init(struct world_run *w) {
        fake_runner_init(&w->fr, &w->f, &w->ops);
        struct bw_win_ops *o = &w->ops;
        bw_win_install_id(WS, w->id);
        assert_int_equal(o->user_add(o->ctx, "bwoff-ann", "Pw-0ffline!", "bulwark offline sandbox of ann", NULL, 0), 0);
        assert_int_equal(o->user_add(o->ctx, "bwon-ann", "Pw-0nline!", "bulwark online sandbox of ann", NULL, 0), 0);
        char group[32];
        snprintf(group, sizeof(group), "bw-r-%s", w->id);
        assert_int_equal(o->group_add(o->ctx, group, "read group", NULL, 0), 0);
        assert_int_equal(o->user_add(o->ctx, "ann", "x", "", NULL, 0), 0);
        struct bw_win_install in = {0};
        snprintf(in.id, sizeof(in.id), "%s", w->id);
        snprintf(in.user, sizeof(in.user), "ann");
        snprintf(in.offline, sizeof(in.offline), "bwoff-ann");
        snprintf(in.online, sizeof(in.online), "bwon-ann");
        snprintf(in.group, sizeof(in.group), "%s", group);
        assert_int_equal(o->account_sid(o->ctx, "bwoff-ann", &in.offline_sid, NULL, 0), 0);
        assert_int_equal(o->account_sid(o->ctx, "bwon-ann", &in.online_sid, NULL, 0), 0);
        assert_int_equal(o->account_sid(o->ctx, group, &in.group_sid, NULL, 0), 0);
        w->offline_sid = in.offline_sid;
        w->group_sid = in.group_sid;
        in.firewall = true;
        char ws[] = WS, tmp[] = "/c/Users/ann/AppData/Local/Temp";
        struct bw_win_root roots[2] = {{ws, root_a}, {tmp, root_b}};
        in.roots = roots;
        in.n_roots = 2;
        assert_int_equal(bw_win_install_encode(&in, &w->record_text), 0);
        snprintf(w->record, sizeof(w->record), STATE "\\installs\\%s\\windows", w->id);
        snprintf(w->plan, sizeof(w->plan), STATE "\\installs\\%s\\plan", w->id);
        snprintf(w->secret, sizeof(w->secret), STATE "\\secrets\\bwoff-ann");
        fake_runner_file(&w->fr, w->record, w->record_text, strlen(w->record_text), 0);
        uint8_t *plan, *blob;
        size_t plan_n, blob_n;
        read_fixture(&plan, &plan_n);
        fake_runner_file(&w->fr, w->plan, plan, plan_n, 0);
        free(plan);
        /* the engine's bindings (what the workspace was called when it was applied) */
        char bindings[256], dir[256];
        snprintf(bindings, sizeof(bindings), STATE "\\installs\\%s\\bindings", w->id);
        const char *btext = "workspace=" WS "\nuser=ann\nhome=/c/Users/ann\ntmpdir=/c/Users/ann/AppData/Local/Temp\n";
        fake_runner_file(&w->fr, bindings, btext, strlen(btext), 0);
        fake_add_object(&w->f, "/c/ProgramData", true, NULL);
        fake_add_object(&w->f, "/c/ProgramData/bulwark", true, NULL);
        fake_add_object(&w->f, "/c/ProgramData/bulwark/installs", true, NULL);
        snprintf(dir, sizeof(dir), "/c/ProgramData/bulwark/installs/%s", w->id);
        fake_add_object(&w->f, dir, true, NULL);
        assert_int_equal(o->protect(o->ctx, (const uint8_t *) "Pw-0ffline!", 11, &blob, &blob_n), 0);
        fake_runner_file(&w->fr, w->secret, blob, blob_n, 0);
        free(blob);
        fake_log_clear(&w->f);
}

static void world_run_done(struct world_run *w) {
        free(w->record_text);
        fake_runner_done(&w->fr);
}

static const char *const git_status[] = {"git", "status", "--short", NULL};

static struct bw_win_front_request front_rq(const char *plan_dir) {
        return (struct bw_win_front_request){.state_dir = STATE,
                                             .plan_dir = plan_dir,
                                             .directory = "C:\\Users\\ann\\repo\\src",
                                             .caller = "Ann", /* Windows' names are one whatever the case */
                                             .runner = RUNNER,
                                             .environment = "PATH=C:\\Windows\0\0",
                                             .cmd = git_status};
}

static void test_front_elevated(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        w.f.exit_code = 3;
        struct bw_win_front_request rq = front_rq(WS "/src"); /* found from a directory below */
        uint32_t code = 0;
        char err[1024] = "";
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(code, 3);
        /* the password read from the state and unprotected, the runner started as the sandbox
         * user with it (the fake checks the password) */
        assert_true(log_index(&w.f, "read_file " STATE "\\secrets\\bwoff-ann") < log_index(&w.f, "unprotect"));
        char want[512];
        snprintf(want, sizeof(want),
                 "create_process_with_logon bwoff-ann \"" RUNNER "\" --install %s -- git status --short", w.id);
        assert_int_equal(fake_count(&w.f, want), 1);
        /* nothing on the runner's command line but the installation's ID and the command: no SID,
         * no password */
        assert_null(strstr(w.f.last_command_line, "S-1-"));
        assert_null(strstr(w.f.last_command_line, "Pw-0ffline"));
        assert_string_equal(w.f.last_application, RUNNER);
        /* the caller's environment passed to the runner (which applies the plan's rules) */
        assert_string_equal(w.f.last_environment, "PATH=C:\\Windows");
        /* in a job of the front's, started suspended, resumed once assigned */
        assert_true(w.f.last_suspended);
        assert_true(log_index(&w.f, "job_create") < log_index(&w.f, "create_process_with_logon"));
        assert_true(log_index(&w.f, "job_assign 3000 2000") < log_index(&w.f, "resume_thread 2001"));
        assert_true(log_index(&w.f, "resume_thread") < log_index(&w.f, "wait_process 2000"));
        assert_true(log_index(&w.f, "close 3000") > log_index(&w.f, "wait_process"));
        /* arguments the C runtime must split back exactly (quotes, spaces, trailing backslashes) */
        const char *const tricky[] = {"git", "commit", "-m", "say \"hi\" to C:\\dir\\", "", "a\tb", NULL};
        rq.cmd = tricky;
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), 0);
        char **back = NULL;
        assert_int_equal(bw_win_cmdline_parse(w.f.last_command_line, &back), 0);
        const char *const expect[] = {RUNNER, "--install", w.id, "--", "git", "commit", "-m", "say \"hi\" to C:\\dir\\",
                                      "",     "a\tb",      NULL};
        for (size_t i = 0; expect[i] || back[i]; i++) {
                assert_non_null(back[i]);
                assert_non_null(expect[i]);
                assert_string_equal(back[i], expect[i]);
        }
        bw_win_argv_free(back);
        rq.cmd = git_status;
        /* the directory named in another case (Windows' names are one whatever the case): found
         * through the installations' own workspaces */
        fake_log_clear(&w.f);
        rq.plan_dir = "/c/users/ANN/Repo/src";
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(fake_count(&w.f, want), 1);
        /* but not a directory that only starts alike */
        rq.plan_dir = "/c/users/ANN/Repo2";
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -ENOENT);
        rq.plan_dir = WS "/src";
        /* the sandbox user may not run the runner (bulwark in a private directory) */
        fake_fail(&w.f, "create_process_with_logon", 1, EACCES);
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -EACCES);
        assert_non_null(strstr(err, "bwoff-ann may not run " RUNNER));
        assert_non_null(strstr(err, "where every user may run it"));
        /* the logon refused (a password changed behind bulwark's back) */
        fake_fail(&w.f, "create_process_with_logon", 1, EIO);
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -EIO);
        assert_non_null(strstr(err, "apply the plan again"));
        /* --network: the fixture's plan allows none; nothing is read or started */
        fake_log_clear(&w.f);
        rq.network = true;
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "does not allow network access"));
        assert_int_equal(fake_count(&w.f, "read_file " STATE "\\secrets"), 0);
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        world_run_done(&w);
}

/* Every refusal: a sentence naming the file or account and what to do, and nothing started. */
static void expect_refused(struct world_run *w, const char *plan_dir, int e, const char *const *says) {
        struct bw_win_front_request rq = front_rq(plan_dir);
        uint32_t code = 0;
        char err[1024] = "";
        fake_log_clear(&w->f);
        assert_int_equal(bw_win_front_exec(&w->ops, &rq, &code, err, sizeof(err)), e);
        for (size_t i = 0; says[i]; i++)
                if (!strstr(err, says[i]))
                        fail_msg("\"%s\" not in: %s", says[i], err);
        assert_int_equal(fake_count(&w->f, "create_process"), 0);
        assert_int_equal(fake_count(&w->f, "unprotect"), e == -EBADMSG && strstr(err, "decrypted") ? 1 : 0);
}

static void test_front_refusals(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        /* a workspace with no installation (nor any directory above it) */
        expect_refused(&w, "/c/Users/ann/other", -ENOENT,
                       (const char *const[]){"no plan is installed for /c/Users/ann/other", STATE "\\installs",
                                             "bulwark apply", NULL});
        /* walking up stops at the drive: every level was asked, no more; then the installations'
         * own workspaces were compared */
        assert_int_equal(count_suffix(&w.f, "read_file " STATE "\\installs\\", "\\windows"), 4);
        assert_int_equal(count_suffix(&w.f, "read_file " STATE "\\installs\\", "\\bindings"), 1);
        /* the secret missing */
        fake_runner_file(&w.fr, w.secret, "", 0, -ENOENT);
        expect_refused(&w, WS, -ENOENT,
                       (const char *const[]){w.secret, "is missing", "apply the plan again", w.id, NULL});
        /* the secret not readable by the caller */
        fake_runner_file(&w.fr, w.secret, "", 0, -EACCES);
        expect_refused(&w, WS, -EACCES, (const char *const[]){w.secret, "access denied", "run as ann", NULL});
        /* the secret corrupt: DPAPI refuses it */
        fake_runner_file(&w.fr, w.secret, "garbage!", 8, 0);
        expect_refused(&w, WS, -EBADMSG,
                       (const char *const[]){w.secret, "cannot be decrypted", "apply the plan again", NULL});
        /* an empty secret is no password either */
        uint8_t *blob;
        size_t blob_n;
        assert_int_equal(w.ops.protect(w.ops.ctx, (const uint8_t *) "", 0, &blob, &blob_n), 0);
        fake_runner_file(&w.fr, w.secret, blob, blob_n, 0);
        free(blob);
        expect_refused(&w, WS, -EBADMSG, (const char *const[]){w.secret, "cannot be decrypted", NULL});
        /* another user's installation */
        struct bw_win_front_request rq = front_rq(WS);
        rq.caller = "bob";
        uint32_t code;
        char err[1024] = "";
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "is ann's, not yours (bob)"));
        /* a record naming a malformed SID: damaged, said with its path, nothing started */
        char *bad = strdup(w.record_text);
        char *sid = strstr(bad, "root=S-1-5-21-70000");
        assert_non_null(sid);
        memcpy(sid + 5, "S-1-5-2x", 8);
        fake_runner_file(&w.fr, w.record, bad, strlen(bad), 0);
        expect_refused(&w, WS, -EBADMSG, (const char *const[]){w.record, "is damaged", "revert", NULL});
        /* the account's SID malformed, and a record cut short */
        snprintf(bad, strlen(w.record_text) + 1, "%s", w.record_text);
        sid = strstr(bad, "offline=bwoff-ann S-1-5-");
        sid[strlen("offline=bwoff-ann S-1-5-")] = '-';
        fake_runner_file(&w.fr, w.record, bad, strlen(bad), 0);
        expect_refused(&w, WS, -EBADMSG, (const char *const[]){w.record, "is damaged", NULL});
        fake_runner_file(&w.fr, w.record, w.record_text, strlen(w.record_text) - 1, 0);
        expect_refused(&w, WS, -EBADMSG, (const char *const[]){w.record, "is damaged", NULL});
        /* a record copied under another installation's name */
        char other[256];
        char other_id[17];
        bw_win_install_id("/c/Users/ann/other", other_id);
        snprintf(other, sizeof(other), STATE "\\installs\\%s\\windows", other_id);
        fake_runner_file(&w.fr, other, w.record_text, strlen(w.record_text), 0);
        expect_refused(&w, "/c/Users/ann/other", -EBADMSG, (const char *const[]){other, "is damaged", NULL});
        /* the record without its plan */
        fake_runner_file(&w.fr, w.record, w.record_text, strlen(w.record_text), 0);
        fake_runner_file(&w.fr, w.plan, "", 0, -ENOENT);
        expect_refused(&w, WS, -EBADMSG, (const char *const[]){w.plan, "apply the plan again", NULL});
        free(bad);
        world_run_done(&w);
}

/* NTFS names are one whatever the case, as the fake's files */
static bool in_list(void *ctx, const char *file) {
        for (const char *const *f = ctx; *f; f++)
                if (strcasecmp(*f, file) == 0)
                        return true;
        return false;
}

static void test_runner_reads_installation(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        w.fr.token_user = w.offline_sid;
        fake_runner_group(&w.fr, "S-1-1-0", "Everyone", 7);
        char g[32];
        snprintf(g, sizeof(g), "bw-r-%s", w.id);
        char mine[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&w.group_sid, mine);
        fake_runner_group(&w.fr, mine, g, 7);
        fake_runner_group(&w.fr, "S-1-5-21-1-2-3-4242", "bw-r-1234567890abcdef", 7);
        const char *const env[] = {"PATH=C:\\Windows",
                                   "GITHUB_TOKEN=ghp_x",
                                   "Github_Token=ghp_y",
                                   "DATABASE_URL=postgres://a:pw@db/x",
                                   "BULWARK_SANDBOX=0",
                                   "KEEP=1",
                                   NULL};
        struct bw_win_runner_request rq = {.state_dir = STATE,
                                           .install_id = w.id,
                                           .application = "C:\\Git\\cmd\\git.exe",
                                           .argv = git_status,
                                           .env = env,
                                           .directory = "C:\\Users\\ann\\repo"};
        uint32_t code = 1;
        struct bw_win_runner_report rep;
        char err[1024] = "";
        w.f.exit_code = 0;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), 0);
        assert_int_equal(code, 0);
        assert_true(rep.elevated);
        assert_false(rep.network);
        assert_int_equal(rep.n_roots, 2);
        /* the restricting SIDs from the record: Everyone, the logon session, both roots */
        assert_int_equal(w.fr.n_restricted, 4);
        assert_true(bw_win_sid_equal(&w.fr.restricted[0], &bw_win_sid_everyone));
        assert_true(bw_win_sid_equal(&w.fr.restricted[1], &w.f.logon_sid));
        assert_true(bw_win_sid_equal(&w.fr.restricted[2], &root_a));
        assert_true(bw_win_sid_equal(&w.fr.restricted[3], &root_b));
        /* the other installation's read group deny-only, this one's kept */
        assert_int_equal(w.fr.n_disabled, 1);
        char d[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&w.fr.disabled[0], d);
        assert_string_equal(d, "S-1-5-21-1-2-3-4242");
        /* the plan's limits (the fixture's defaults) */
        assert_int_equal(w.fr.limits.processes, 4096);
        assert_int_equal(w.fr.limits.memory, 0);
        /* the plan's environment rules: credentials dropped, BULWARK_SANDBOX set by the runner */
        assert_true(env_has(&w.f, "PATH=C:\\Windows"));
        assert_true(env_has(&w.f, "KEEP=1"));
        assert_true(env_has(&w.f, "BULWARK_SANDBOX=offline"));
        assert_false(env_has(&w.f, "GITHUB_TOKEN=ghp_x"));
        assert_false(env_has(&w.f, "Github_Token=ghp_y")); /* the same name to Windows */
        assert_false(env_has(&w.f, "DATABASE_URL=postgres://a:pw@db/x"));
        assert_false(env_has(&w.f, "BULWARK_SANDBOX=0"));
        /* the program found on the command's PATH (the plan's environment applied) */
        const char *const files[] = {"C:\\Windows\\git.exe", NULL};
        rq.application = NULL;
        rq.exists = in_list;
        rq.exists_ctx = (void *) (uintptr_t) files;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), 0);
        assert_string_equal(w.f.last_application, "C:\\Windows\\git.EXE"); /* PATHEXT's spelling */
        /* not there: 127's case, nothing started */
        fake_log_clear(&w.f);
        const char *const none[] = {NULL};
        rq.exists_ctx = (void *) (uintptr_t) none;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -ENOENT);
        assert_true(rep.not_found);
        assert_non_null(strstr(err, "git: not found"));
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        /* run as anyone but the installation's sandbox user: refused before any token is made */
        fake_log_clear(&w.f);
        w.fr.token_user = root_a;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -EPERM);
        assert_non_null(strstr(err, "bwoff-ann"));
        assert_non_null(strstr(err, "bulwark run"));
        assert_int_equal(fake_count(&w.f, "restrict_token"), 0);
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        /* an installation ID that is not one */
        rq.install_id = "..\\..\\x";
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -EINVAL);
        assert_int_equal(fake_count(&w.f, "read_file"), 2); /* the two of the refused run only */
        world_run_done(&w);
}

static void test_find_program(void **state) {
        (void) state;
        const char *const files[] = {"C:\\Git\\cmd\\git.exe", "C:\\deny\\ssh.cmd", "C:\\Git\\usr\\bin\\ssh.exe",
                                     "C:\\both\\x.exe",       "C:\\both\\x.cmd",   "git.exe",
                                     "C:\\tools\\a.b.exe",    "D:\\abs\\tool.exe", NULL};
        char *found = NULL;
#define FIND(prog, path, ext, want)                                                                                    \
        do {                                                                                                           \
                assert_int_equal(bw_win_find_program(prog, path, ext, in_list, (void *) (uintptr_t) files, &found),    \
                                 0);                                                                                   \
                assert_string_equal(found, want);                                                                      \
                free(found);                                                                                           \
        } while (0)
        FIND("git", "C:\\a;C:\\Git\\cmd", ".COM;.EXE", "C:\\Git\\cmd\\git.EXE");
        FIND("git", "C:\\a;;C:\\Git\\cmd\\;", ".exe", "C:\\Git\\cmd\\git.exe"); /* empty entries, a trailing \ */
        FIND("git.exe", "C:\\Git\\cmd", ".COM", "C:\\Git\\cmd\\git.exe");       /* an extension given */
        /* the denybin first on PATH wins over ssh.exe later on it */
        FIND("ssh", "C:\\deny;C:\\Git\\usr\\bin", ".CMD;.COM;.EXE", "C:\\deny\\ssh.CMD");
        /* in one directory, PATHEXT's order decides */
        FIND("x", "C:\\both", ".CMD;.EXE", "C:\\both\\x.CMD");
        FIND("x", "C:\\both", ".EXE;.CMD", "C:\\both\\x.EXE");
        FIND("a.b", "C:\\tools", NULL, "C:\\tools\\a.b.EXE"); /* the default PATHEXT */
        FIND("D:\\abs\\tool", "C:\\x", ".EXE", "D:\\abs\\tool.EXE");
        FIND("D:\\abs\\tool.exe", "", "", "D:\\abs\\tool.exe"); /* a path with an extension: as it is */
#undef FIND
        /* the current directory is not searched first: git.exe there is not git */
        assert_int_equal(bw_win_find_program("git", "C:\\nowhere", ".EXE", in_list, (void *) (uintptr_t) files, &found),
                         -ENOENT);
        assert_int_equal(bw_win_find_program("ssh", NULL, ".EXE", in_list, (void *) (uintptr_t) files, &found),
                         -ENOENT);
        assert_int_equal(bw_win_find_program("", "C:\\Git\\cmd", ".EXE", in_list, (void *) (uintptr_t) files, &found),
                         -ENOENT);
}

/* An installation that names no sandbox user for the token: unelevated, the caller's own token
 * (and then the advisory network limits: test_unelevated_advisory). */
static void test_mode(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        struct bw_win_run_install ri;
        char err[1024] = "";
        assert_int_equal(bw_win_run_load(&w.ops, STATE, w.id, &ri, err, sizeof(err)), 0);
        struct bw_win_run_mode m;
        assert_int_equal(bw_win_run_mode(&ri, false, &m, err, sizeof(err)), 0);
        assert_true(m.elevated);
        assert_string_equal(m.account, "bwoff-ann");
        assert_true(bw_win_sid_equal(m.account_sid, &w.offline_sid));
        assert_int_equal(bw_win_run_mode(&ri, true, &m, err, sizeof(err)), -EPERM);
        ri.rec.offline[0] = 0;
        assert_int_equal(bw_win_run_mode(&ri, false, &m, err, sizeof(err)), 0);
        assert_false(m.elevated);
        assert_null(m.account);
        bw_win_run_install_done(&ri);
        world_run_done(&w);
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

#define USTATE "C:\\Users\\ann\\AppData\\Local\\bulwark"

/* ann's per-user installation of WS in USTATE (its record: mode=user, no accounts, the same root
 * SIDs); with machine false, the machine's installation of world_run_init is made to vanish. */
static void per_user_install(struct world_run *w, bool machine, bool per_user_record) {
        struct bw_win_install in = {.per_user = per_user_record};
        assert_int_equal(w->ops.account_sid(w->ops.ctx, "ann", &in.user_sid, NULL, 0), 0);
        snprintf(in.id, sizeof(in.id), "%s", w->id);
        snprintf(in.user, sizeof(in.user), "ann");
        char ws[] = WS, tmp[] = "/c/Users/ann/AppData/Local/Temp";
        struct bw_win_root roots[2] = {{ws, root_a}, {tmp, root_b}};
        in.roots = roots;
        in.n_roots = 2;
        if (!per_user_record) { /* a machine-style record where a per-user one belongs */
                snprintf(in.offline, sizeof(in.offline), "bwoff-ann");
                snprintf(in.online, sizeof(in.online), "bwon-ann");
                snprintf(in.group, sizeof(in.group), "bw-r-%s", w->id);
                in.offline_sid = in.online_sid = in.group_sid = root_a;
        }
        char *text = NULL, path[512];
        assert_int_equal(bw_win_install_encode(&in, &text), 0);
        snprintf(path, sizeof(path), USTATE "\\installs\\%s\\windows", w->id);
        fake_runner_file(&w->fr, path, text, strlen(text), 0);
        free(text);
        uint8_t *plan;
        size_t plan_n;
        read_fixture(&plan, &plan_n);
        snprintf(path, sizeof(path), USTATE "\\installs\\%s\\plan", w->id);
        fake_runner_file(&w->fr, path, plan, plan_n, 0);
        free(plan);
        if (!machine)
                for (size_t i = 0; i < w->fr.n_files; i++)
                        if (strncmp(w->fr.files[i].path, STATE "\\", strlen(STATE) + 1) == 0)
                                w->fr.files[i].error = -ENOENT;
        fake_log_clear(&w->f);
}

static char said[2048];
static void say_into(void *ctx, const char *line) {
        (void) ctx;
        snprintf(said, sizeof(said), "%s", line);
}

/* bulwark run with a per-user installation: found in the per-user state directory when the
 * machine's has none, and the runner started as the caller (no logon, no password read) with
 * --per-user; the machine's installation wins when both exist (said under --verbose); a record of
 * the wrong kind for its directory is refused; with neither, the refusal names both. */
static void test_front_per_user(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        per_user_install(&w, false, true);
        w.f.exit_code = 5;
        struct bw_win_front_request rq = front_rq(WS "/src");
        rq.user_state_dir = USTATE;
        rq.say = say_into;
        rq.verbose = true;
        uint32_t code = 0;
        char err[1024] = "";
        if (bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        assert_int_equal(code, 5);
        char want[512];
        snprintf(want, sizeof(want),
                 "create_process \"" RUNNER "\" --install %s --per-user --verbose -- git status --short", w.id);
        if (fake_count(&w.f, want) != 1)
                for (size_t i = 0; i < w.f.n_log; i++)
                        fprintf(stderr, "%s\n", w.f.log[i]);
        assert_int_equal(fake_count(&w.f, want), 1);
        assert_int_equal(fake_count(&w.f, "create_process_with_logon"), 0);
        assert_int_equal(fake_count(&w.f, "read_file " STATE "\\secrets"), 0);
        assert_int_equal(fake_count(&w.f, "unprotect"), 0);
        assert_true(log_index(&w.f, "job_assign") < log_index(&w.f, "resume_thread"));
        assert_null(strstr(w.f.last_command_line, "S-1-"));
        /* both: the machine's installation wins, and --verbose says the per-user one is left aside */
        world_run_done(&w);
        world_run_init(&w);
        per_user_install(&w, true, true);
        said[0] = 0;
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), 0);
        assert_int_equal(count_suffix(&w.f, "create_process_with_logon bwoff-ann", "-- git status --short"), 1);
        assert_int_equal(fake_count(&w.f, "create_process \""), 0);
        assert_null(strstr(w.f.last_command_line, "--per-user"));
        assert_non_null(strstr(said, "the machine's installation"));
        assert_non_null(strstr(said, "left aside"));
        world_run_done(&w);
        /* a machine-style record in the per-user state directory: refused, nothing started */
        world_run_init(&w);
        per_user_install(&w, false, false);
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "is not a per-user installation's record"));
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        world_run_done(&w);
        /* neither: the refusal names both directories and both ways to install */
        world_run_init(&w);
        per_user_install(&w, false, true);
        rq.plan_dir = "/c/Users/ann/elsewhere";
        assert_int_equal(bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, STATE "\\installs nor " USTATE "\\installs"));
        assert_non_null(strstr(err, "per-user one, whose network limits are advisory"));
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        world_run_done(&w);
}

static char *test_denybin(void) {
        return strdup(USTATE "\\denybin");
}

/* bulwark-runner.exe --per-user: the caller's own token (ann's), restricted with [Everyone, the
 * logon session, the per-user installation's root SIDs], flags 0xd, no account looked for, the
 * advisory network environment (and said as unelevated); a per-user record read as a machine
 * one, or the other way round, is refused before any token is made. */
static void test_runner_per_user(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        per_user_install(&w, false, true);
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "ann", &w.fr.token_user, NULL, 0), 0);
        fake_runner_group(&w.fr, "S-1-1-0", "Everyone", 7);
        const char *const env[] = {"PATH=C:\\Windows", "HTTPS_PROXY=http://corp:3128", "GITHUB_TOKEN=x", NULL};
        struct bw_win_runner_request rq = {.state_dir = USTATE,
                                           .per_user = true,
                                           .install_id = w.id,
                                           .application = "C:\\Git\\cmd\\git.exe",
                                           .argv = git_status,
                                           .env = env,
                                           .directory = "C:\\Users\\ann\\repo",
                                           .denybin = test_denybin};
        uint32_t code = 1;
        struct bw_win_runner_report rep;
        char err[1024] = "";
        w.f.exit_code = 0;
        if (bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        assert_false(rep.elevated);
        assert_false(rep.network);
        assert_int_equal(rep.n_roots, 2);
        assert_int_equal(w.f.restricted_flags, 0xd);
        assert_int_equal(w.fr.n_restricted, 4);
        assert_true(bw_win_sid_equal(&w.fr.restricted[0], &bw_win_sid_everyone));
        assert_true(bw_win_sid_equal(&w.fr.restricted[1], &w.f.logon_sid));
        assert_true(bw_win_sid_equal(&w.fr.restricted[2], &root_a));
        assert_true(bw_win_sid_equal(&w.fr.restricted[3], &root_b));
        assert_int_equal(fake_count(&w.f, "account_sid bwoff-ann"), 0);
        assert_true(env_has(&w.f, "HTTPS_PROXY=" BW_WIN_DEAD_PROXY));
        assert_true(env_has(&w.f, "GIT_SSH_COMMAND=\"" USTATE "\\denybin\\ssh.cmd\""));
        assert_true(env_has(&w.f, "PATH=" USTATE "\\denybin;C:\\Windows"));
        assert_true(env_has(&w.f, "BULWARK_SANDBOX=offline"));
        assert_false(env_has(&w.f, "GITHUB_TOKEN=x"));
        /* run as anyone else: refused */
        fake_log_clear(&w.f);
        w.fr.token_user = root_a;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -EPERM);
        assert_int_equal(fake_count(&w.f, "restrict_token"), 0);
        /* the per-user record read as the machine's: refused */
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "ann", &w.fr.token_user, NULL, 0), 0);
        rq.per_user = false;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "is a per-user installation's record"));
        /* the machine's record read with --per-user: refused */
        rq.state_dir = STATE;
        rq.per_user = true;
        for (size_t i = 0; i < w.fr.n_files; i++)
                w.fr.files[i].error = 0;
        assert_int_equal(bw_win_runner_run(&w.ops, &rq, &code, &rep, err, sizeof(err)), -EBADMSG);
        assert_non_null(strstr(err, "is not a per-user installation's record"));
        assert_int_equal(fake_count(&w.f, "restrict_token"), 0);
        assert_int_equal(fake_count(&w.f, "create_process"), 0);
        world_run_done(&w);
}

/* The workspace as Windows stores it (final_path): another case or a junction on the way is one
 * installation for bulwark run (the directory where it really is), and for apply another case is
 * the stored name while a junction is refused (bw_win_path_canonical, follow false). */
static void test_canonical_path(void **state) {
        (void) state;
        struct world_run w;
        world_run_init(&w);
        fake_add_object(&w.f, "/c", true, NULL);
        fake_add_object(&w.f, "/c/Users", true, NULL);
        fake_add_object(&w.f, "/c/Users/ann", true, NULL);
        fake_add_object(&w.f, WS, true, NULL);
        fake_add_object(&w.f, WS "/src", true, NULL);
        snprintf(w.f.link, sizeof(w.f.link), "/c/Users/ann/ws-link");
        snprintf(w.f.link_target, sizeof(w.f.link_target), "%s", WS);
        char *c = NULL;
        const char *why = NULL;
        assert_int_equal(bw_win_path_canonical(&w.ops, "/c/users/ANN/REPO", false, &c, &why), 0);
        assert_string_equal(c, WS);
        free(c);
        assert_int_equal(bw_win_path_canonical(&w.ops, "/c/Users/ann/ws-link", false, &c, &why), -ELOOP);
        assert_null(c);
        assert_non_null(strstr(why, "junction"));
        assert_int_equal(bw_win_path_canonical(&w.ops, "/c/Users/ann/ws-link/src", true, &c, &why), 0);
        assert_string_equal(c, WS "/src");
        free(c);
        assert_int_equal(bw_win_path_canonical(&w.ops, "/c/Users/ann/nowhere", true, &c, &why), -ENOENT);
        /* the front: the bindings made unreadable, so only the canonical name finds the installation */
        for (size_t i = 0; i < w.fr.n_files; i++)
                if (strstr(w.fr.files[i].path, "\\bindings"))
                        w.fr.files[i].error = -EACCES;
        const char *const dirs[] = {"/c/users/ANN/Repo/SRC", "/c/Users/ann/ws-link/src"};
        for (size_t i = 0; i < 2; i++) {
                struct bw_win_front_request rq = front_rq(dirs[i]);
                uint32_t code = 1;
                char err[1024] = "";
                fake_log_clear(&w.f);
                if (bw_win_front_exec(&w.ops, &rq, &code, err, sizeof(err)) != 0)
                        fail_msg("%s: %s", dirs[i], err);
                assert_int_equal(count_suffix(&w.f, "create_process_with_logon bwoff-ann", "-- git status --short"), 1);
        }
        world_run_done(&w);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_elevated),
                cmocka_unit_test(test_unelevated_advisory),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_front_elevated),
                cmocka_unit_test(test_front_refusals),
                cmocka_unit_test(test_runner_reads_installation),
                cmocka_unit_test(test_mode),
                cmocka_unit_test(test_find_program),
                cmocka_unit_test(test_env_block),
                cmocka_unit_test(test_front_per_user),
                cmocka_unit_test(test_runner_per_user),
                cmocka_unit_test(test_canonical_path),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
