/* SPDX-License-Identifier: MIT */
/*
 * The engine (plan, apply and revert: the files of enforcer/, as bulwark.exe runs them) over
 * bw_backend_windows's operations (backend_windows_ops.c) with the recording Windows fake
 * (fake_ops.c, world.c's machine), natively. The host's own operations (the state directory, the
 * caller, the probe) are this file's, as fake_backend.c's are for the Linux fake.
 *
 * What it proves: where the Windows backend cannot act yet, the engine stops with a sentence that
 * says so, exits with an error, and nothing is written on the machine (no DACL, account, group
 * membership or firewall rule: the fake records every such call); revert of such an apply ends
 * cleanly and leaves no installation. It does NOT prove apply, apply twice, revert byte for byte
 * or two installations through the engine: those need tree_converge and the accounts (SEAM.md).
 */
#include "backend_windows.h"
#include "engine.h"
#include "world.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#ifndef BW_WIN_FIXTURES
#error "BW_WIN_FIXTURES must name tests/windows/fixtures"
#endif
#define FIXTURE_PLAN BW_WIN_FIXTURES "/windows-fixture.bwplan"

static bool host_privileged(void) {
        return true;
}

static int host_user_lookup(const char *name, uint32_t id, struct bw_user_info *ret) {
        (void) id;
        if (name && strcmp(name, "ann") != 0)
                return -ENOENT;
        ret->id = 1001;
        snprintf(ret->name, sizeof(ret->name), "ann");
        snprintf(ret->home, sizeof(ret->home), "/c/Users/ann");
        return 0;
}

static const char *host_tmpdir(void) {
        return "/c/Users/ann/AppData/Local/Temp";
}

static int host_acl_supported(const char *dir) {
        (void) dir;
        return 0;
}

static int host_runner_locate(const char *override, char *out, size_t size) {
        snprintf(out, size, "%s", override ? override : "/c/Program Files/bulwark/bulwark-runner.exe");
        return 0;
}

static int host_probe(const char *runner, char *const *dirs, size_t n, struct bw_host_report *ret) {
        (void) runner, (void) dirs, (void) n;
        *ret = (struct bw_host_report){0};
        return -ENOMEM;
}

static size_t n_audit;
static int host_audit_write(const char *dir, const char *line, const char *summary) {
        (void) dir, (void) line, (void) summary;
        n_audit++;
        return 0;
}

static int host_state_open(const char *dir, bool create, char *err, size_t err_size) {
        if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(err, err_size, "cannot open the state directory %s", dir);
                return -errno;
        }
        if (create && mkdirat(fd, "installs", 0755) < 0 && errno != EEXIST) {
                close(fd);
                return -errno;
        }
        return fd;
}

static int host_state_lock(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx) {
        (void) timeout_s, (void) waiting, (void) ctx;
        return dup(state_fd);
}

static void host_state_unlock(int lock) {
        if (lock >= 0)
                close(lock);
}

static const struct bw_backend windows_fake = {
        .name = "windows (fake ops)",
        .write_groups = false,
        .privileged = host_privileged,
        .tmpdir = host_tmpdir,
        .account_name = bw_winbe_account_name,
        .accounts_lookup = bw_winbe_accounts_lookup,
        .group_id = bw_winbe_group_id,
        .user_id = bw_winbe_user_id,
        .user_lookup = host_user_lookup,
        .account_create = bw_winbe_account_create,
        .group_create = bw_winbe_group_create,
        .account_missing_groups = bw_winbe_account_missing_groups,
        .account_fix_members = bw_winbe_account_fix_members,
        .account_remove = bw_winbe_account_remove,
        .account_leave_group = bw_winbe_account_leave_group,
        .fw_inspect = bw_winbe_fw_inspect,
        .fw_save = bw_winbe_fw_save,
        .fw_apply = bw_winbe_fw_apply,
        .fw_restore = bw_winbe_fw_restore,
        .fw_remove = bw_winbe_fw_remove,
        .tree_converge = bw_winbe_tree_converge,
        .acl_restore = bw_winbe_acl_restore,
        .traverse_grant = bw_winbe_traverse_grant,
        .shared_sticky = bw_winbe_shared_sticky,
        .acl_supported = host_acl_supported,
        .runner_locate = host_runner_locate,
        .runner_inspect = bw_winbe_runner_inspect,
        .runner_converge = bw_winbe_runner_converge,
        .runner_restore = bw_winbe_runner_restore,
        .host_probe = host_probe,
        .audit_write = host_audit_write,
        .state_open = host_state_open,
        .state_lock = host_state_lock,
        .state_unlock = host_state_unlock,
};

struct fixture {
        struct world w;
        char tmp[256], state[300], audit[300], keys[300], admin[300], err[300];
};

static int setup(void **state) {
        struct fixture *x = calloc(1, sizeof(*x));
        if (!x)
                return -1;
        const char *t = getenv("TMPDIR") ? getenv("TMPDIR") : getenv("TEMP") ? getenv("TEMP") : "/tmp";
        snprintf(x->tmp, sizeof(x->tmp), "%s/bw-engine-win-XXXXXX", t);
        if (!mkdtemp(x->tmp))
                return -1;
        snprintf(x->state, sizeof(x->state), "%s/state", x->tmp);
        snprintf(x->audit, sizeof(x->audit), "%s/audit", x->tmp);
        snprintf(x->keys, sizeof(x->keys), "%s/keys", x->tmp);
        snprintf(x->admin, sizeof(x->admin), "%s/admin", x->tmp);
        snprintf(x->err, sizeof(x->err), "%s/stderr", x->tmp);
        world_init(&x->w);
        bw_winbe_use_ops(&x->w.ops);
        fake_log_clear(&x->w.f);
        *state = x;
        return 0;
}

static void rm_rf(const char *path) {
        DIR *d = opendir(path);
        if (d) {
                for (struct dirent *e; (e = readdir(d));) {
                        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                                continue;
                        char sub[1024];
                        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                        rm_rf(sub);
                }
                closedir(d);
                rmdir(path);
        } else
                unlink(path);
}

static int teardown(void **state) {
        struct fixture *x = *state;
        world_done(&x->w);
        rm_rf(x->tmp);
        free(x);
        return 0;
}

static struct bw_engine_options options(const struct fixture *x) {
        return (struct bw_engine_options){.state_dir = x->state,
                                          .workspace = "/c/Users/ann/repo",
                                          .user = "ann",
                                          .audit_dir = x->audit,
                                          .trusted_keys_dir = x->keys,
                                          .admin_dir = x->admin,
                                          .lock_timeout = 1,
                                          .threads = 1,
                                          .backend = &windows_fake};
}

/* Run cmd with standard error in *err_text (malloc()ed); its return value. */
static int with_stderr(const struct fixture *x, char **err_text, int (*cmd)(const struct fixture *, FILE *)) {
        fflush(stderr);
        int saved = dup(2);
        int fd = open(x->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && fd >= 0);
        dup2(fd, 2);
        close(fd);
        FILE *out = fopen("/dev/null", "w");
        assert_non_null(out);
        int r = cmd(x, out);
        fclose(out);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        FILE *f = fopen(x->err, "r");
        assert_non_null(f);
        char *buf = calloc(1, 65536);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = 0;
        fclose(f);
        *err_text = buf;
        return r;
}

static int do_plan(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_plan(FIXTURE_PLAN, &o, out);
}

static int do_apply(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_apply(FIXTURE_PLAN, &o, out);
}

static int do_revert_all(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_revert(NULL, true, &o, out);
}

/* Nothing on the machine was changed: no call with an effect reached the fake. */
static void assert_nothing_written(const struct fixture *x) {
        static const char *const writes[] = {"set_dacl",   "user_add",      "group_add", "group_add_member",
                                             "user_del",   "group_del",     "fw_add",    "fw_remove",
                                             "logon_user", "create_process"};
        for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
                if (fake_count(&x->w.f, writes[i]) != 0) {
                        fprintf(stderr, "the fake recorded %s\n", writes[i]);
                        fail();
                }
}

static size_t installs(const struct fixture *x) {
        char p[400];
        snprintf(p, sizeof(p), "%s/installs", x->state);
        DIR *d = opendir(p);
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d));)
                n += e->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* plan: the accounts are looked up through the Windows operations; the plan's descriptors cannot
 * be read yet, and plan says so and fails rather than show a plan it cannot carry out. */
static void test_plan_says_not_implemented(void **state) {
        struct fixture *x = *state;
        char *err = NULL;
        int r = with_stderr(x, &err, do_plan);
        assert_int_equal(r, 1);
        assert_non_null(strstr(err, "is not implemented on Windows yet"));
        assert_non_null(strstr(err, "access entries"));
        assert_true(fake_count(&x->w.f, "account_sid bwoff-ann") > 0); /* looked up, by the Windows name */
        assert_nothing_written(x);
        free(err);
}

/* apply: stops at the first thing it cannot do (creating the sandbox accounts), says which, and
 * changes nothing; revert of that apply ends cleanly (the accounts it journaled never existed). */
static void test_apply_refuses_and_revert_cleans_up(void **state) {
        struct fixture *x = *state;
        char *err = NULL;
        size_t audits = n_audit;
        int r = with_stderr(x, &err, do_apply);
        assert_int_equal(r, 1);
        assert_non_null(strstr(err, "creating the sandbox accounts is not implemented on Windows yet"));
        assert_nothing_written(x);
        assert_int_equal(installs(x), 1); /* the interrupted apply is recorded, as on Linux */
        free(err);

        r = with_stderr(x, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert said: %s\n", err);
        assert_int_equal(r, 0);
        assert_int_equal(installs(x), 0);
        assert_nothing_written(x);
        assert_true(n_audit > audits); /* the apply and the revert are in the audit trail */
        free(err);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plan_says_not_implemented, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_refuses_and_revert_cleans_up, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
