/* SPDX-License-Identifier: MIT */
/*
 * The engine (plan, apply and revert: the files of enforcer/, as bulwark.exe runs them) over
 * bw_backend_windows's operations (backend_windows_ops.c) with the recording Windows fake
 * (fake_ops.c, world.c's machine), natively. The host's own operations (the state directory, the
 * caller, the probe) are this file's, as fake_backend.c's are for the Linux fake.
 *
 * What it proves, all with bw_backend_windows's own operations (the host's are this file's): plan
 * shows the plan's DACL changes (targets_converge, dry run), the offline user's firewall rule and
 * the runner's DACL, and writes nothing; apply makes the accounts (each user's password kept with
 * DPAPI in secrets/NAME, with a DACL of SYSTEM, Administrators and the real user, before the
 * account exists), the firewall rule (INetFwRule3 per offline user, machine SID + RID), the
 * runner's protected DACL, and the plan's entries, journaling each change before it is made
 * (checked at every set_dacl); a second apply writes nothing; status says what is written, and
 * that it is NOT VERIFIED; drift (a rule removed or changed by hand, the workspace's or the
 * runner's DACL put back) is reported by status and repaired by apply; revert removes exactly
 * what was added and gives every descriptor and a rule that was there before back exactly; two
 * installations of one user revert in either order; a journal refusal stops all further writes.
 * What this does NOT prove: anything on a real Windows host (the fake simulates descriptors,
 * accounts, firewall rules and DPAPI; Wine fakes them too).
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

/* The descriptors bw_backend_windows gave files of the state directory (secrets/NAME.new before
 * its rename), by name: what bw_backend_windows's SetNamedSecurityInfoW would write. */
static struct {
        char rel[128];
        uint8_t sd[512];
        size_t n;
} file_sds[8];
static size_t n_file_sds;

static int host_file_sd(const char *dir, const char *rel, const uint8_t *sd, size_t sd_n, char *err, size_t err_size) {
        (void) dir, (void) err, (void) err_size;
        if (n_file_sds == sizeof(file_sds) / sizeof(file_sds[0]) || sd_n > sizeof(file_sds[0].sd))
                return -ENOSPC;
        snprintf(file_sds[n_file_sds].rel, sizeof(file_sds[0].rel), "%s", rel);
        memcpy(file_sds[n_file_sds].sd, sd, sd_n);
        file_sds[n_file_sds++].n = sd_n;
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
        if (create && ((mkdirat(fd, "installs", 0755) < 0 && errno != EEXIST) ||
                       (mkdirat(fd, "secrets", 0700) < 0 && errno != EEXIST))) {
                close(fd);
                return -errno;
        }
        bw_winbe_use_state(dir); /* as bw_backend_windows's state_open does */
        bw_winbe_use_file_sd(host_file_sd);
        if (create)
                bw_winbe_grants_cleanup(); /* as bw_backend_windows's state_open does */
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
        .per_object_acls = false,
        .unverified = "the test's fake Windows",
        .words = &bw_winbe_words,
        .targets_converge = bw_winbe_targets_converge,
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
        .install_progress = bw_winbe_install_progress,
        .host_probe = host_probe,
        .audit_write = host_audit_write,
        .state_open = host_state_open,
        .state_lock = host_state_lock,
        .state_unlock = host_state_unlock,
};

/* The per-user mode (bulwark.exe not elevated): the same operations, per_user true. */
static bool host_per_user(void) {
        return true;
}

static struct bw_backend windows_fake_user;

struct fixture {
        struct world w;
        struct bw_win_ops wrapped; /* the fake's table, set_dacl checked against the journal */
        const struct bw_backend *backend;
        bool check_journal;
        size_t journal_checked;
        char tmp[256], state[300], audit[300], keys[300], admin[300], err[300];
};

static struct fixture *cur;

/* Every journal file of the state directory, concatenated (malloc()ed; *n its size). */
static void append_file(const char *path, uint8_t **all, size_t *n) {
        FILE *f = fopen(path, "rb");
        if (!f)
                return;
        uint8_t buf[65536];
        size_t got;
        while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
                *all = realloc(*all, *n + got);
                assert_non_null(*all);
                memcpy(*all + *n, buf, got);
                *n += got;
        }
        fclose(f);
}

/* Every journal file of the state directory, concatenated (malloc()ed; *n its size): the
 * installations' and the shared one (the firewall's and the runner's records). */
static uint8_t *journals(const struct fixture *x, size_t *n) {
        char p[400], jp[700];
        snprintf(p, sizeof(p), "%s/installs", x->state);
        uint8_t *all = NULL;
        *n = 0;
        DIR *d = opendir(p);
        for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] == '.')
                        continue;
                snprintf(jp, sizeof(jp), "%s/%s/journal", p, e->d_name);
                append_file(jp, &all, n);
        }
        if (d)
                closedir(d);
        snprintf(jp, sizeof(jp), "%s/shared.journal", x->state);
        append_file(jp, &all, n);
        return all;
}

/* The fake's set_dacl, but during apply it first checks that the engine's journal (on disk)
 * already holds the object's current descriptor bytes: journaled before written. */
static int journaled_set_dacl(void *ctx, bw_win_handle h, const uint8_t *sd, size_t sd_size, char *err,
                              size_t err_size) {
        if (cur->check_journal) {
                uint8_t *now = NULL;
                size_t now_n = 0;
                assert_int_equal(cur->w.ops.get_sd(ctx, h, &now, &now_n, NULL, 0), 0);
                size_t jn = 0;
                uint8_t *j = journals(cur, &jn);
                if (!j || !memmem(j, jn, now, now_n)) {
                        fprintf(stderr, "set_dacl before the descriptor's bytes were in the journal\n");
                        fail();
                }
                free(j);
                free(now);
                cur->journal_checked++;
        }
        return cur->w.ops.set_dacl(ctx, h, sd, sd_size, err, err_size);
}

/* S-1-5-80-956008885-3418522649-1831038044-1850803225-2295117778 */
static const struct bw_win_sid trusted_installer = {
        1, 6, {0, 0, 0, 0, 0, 5}, {80, 956008885, 3418522649, 1831038044, 1850803225, 2295117778}};

/* Give path's descriptor in the fake another owner. */
static void set_owner(struct world *w, const char *path, const struct bw_win_sid *owner) {
        struct fake_object *o = fake_find(&w->f, path);
        assert_non_null(o);
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(o->sd, o->sd_n, &sd), 0);
        sd.owner = *owner;
        free(o->sd);
        assert_int_equal(bw_win_sd_encode(&sd, &o->sd, &o->sd_n), 0);
        bw_win_sd_done(&sd);
}

/* The real user ann as a local account of the fake machine (S-1-5-21-1-2-3-1001, the owner of
 * the fake's objects), and the runner where an installer puts it: C:\Program Files\bulwark,
 * TrustedInstaller's, SYSTEM and Administrators full control, Users read and execute (inherited
 * by the runner, whose DACL bulwark makes its own). */
static void add_real_user_and_runner(struct world *w) {
        struct fake_account *a = &w->f.accounts[w->f.n_accounts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "ann");
        snprintf(a->comment, sizeof(a->comment), "Ann");
        a->sid = fake_real_user;
        a->exists = true;
        struct bw_win_acl pf = {0};
        bw_win_acl_add(&pf, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        bw_win_acl_add(&pf, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        bw_win_acl_add(&pf, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_WIN_MASK_READ, &bw_win_sid_users);
        fake_add_object(&w->f, "/c/Program Files", true, &pf);
        fake_add_object(&w->f, "/c/Program Files/bulwark", true, NULL);
        fake_add_object(&w->f, "/c/Program Files/bulwark/bulwark-runner.exe", false, NULL);
        set_owner(w, "/c/Program Files", &trusted_installer);
        set_owner(w, "/c/Program Files/bulwark", &bw_win_sid_admins);
        set_owner(w, "/c/Program Files/bulwark/bulwark-runner.exe", &bw_win_sid_admins);
        bw_win_acl_done(&pf);
}

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
        add_real_user_and_runner(&x->w);
        n_file_sds = 0;
        cur = x;
        x->backend = &windows_fake;
        x->wrapped = x->w.ops;
        x->wrapped.set_dacl = journaled_set_dacl;
        bw_winbe_use_ops(&x->wrapped);
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
                                          .backend = x->backend};
}

static int do_plan(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_plan(FIXTURE_PLAN, &o, out);
}

static int do_apply(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_apply(FIXTURE_PLAN, &o, out);
}

static int do_status(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_status(&o, out);
}

static int do_revert_all(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_revert(NULL, true, &o, out);
}

/* Nothing on the machine was changed: no call with an effect reached the fake. */
static void assert_nothing_written(const struct fixture *x) {
        static const char *const writes[] = {"set_dacl",         "user_add",      "group_add", "group_add_member",
                                             "group_del_member", "user_del",      "group_del", "fw_add",
                                             "fw_remove",        "create_process"};
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

/* Run cmd with its output in *out_text and standard error in *err_text (both malloc()ed). */
static int with_output(struct fixture *x, char **out_text, char **err_text,
                       int (*cmd)(const struct fixture *, FILE *)) {
        char op[320];
        snprintf(op, sizeof(op), "%s/stdout", x->tmp);
        fflush(stderr);
        int saved = dup(2);
        int fd = open(x->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(saved >= 0 && fd >= 0);
        dup2(fd, 2);
        close(fd);
        FILE *out = fopen(op, "w");
        assert_non_null(out);
        int r = cmd(x, out);
        fclose(out);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        const char *files[2] = {op, x->err};
        char **texts[2] = {out_text, err_text};
        for (int i = 0; i < 2; i++) {
                FILE *f = fopen(files[i], "r");
                assert_non_null(f);
                char *buf = calloc(1, 262144);
                assert_non_null(buf);
                size_t n = fread(buf, 1, 262143, f);
                buf[n] = 0;
                fclose(f);
                *texts[i] = buf;
        }
        return r;
}

/* The fixture's two rules Windows cannot enforce (a glob other than a name at any depth; a
 * junction in the workspace) are said, each, and counted as errors: apply does not pass for done. */
static void assert_rules_not_enforced_said(const char *err) {
        if (!strstr(err, "'**/*.pem' is not enforced on Windows") || !strstr(err, ".claude is a junction") ||
            !strstr(err, "not enforced on Windows: "))
                fprintf(stderr, "stderr was:\n%s\n", err);
        assert_non_null(strstr(err, "'**/*.pem' is not enforced on Windows"));
        assert_non_null(strstr(err, "/c/Users/ann/repo/.claude is a junction"));
}

#define RUNNER "/c/Program Files/bulwark/bulwark-runner.exe"

/* plan (bw_backend_windows's own operations): the accounts are looked up by their Windows names;
 * the firewall rule to add and the runner's DACL to change are shown, and the DACL changes of the
 * plan's targets (targets_converge, dry run); nothing is written. */
static void test_plan_shows_dacl_changes(void **state) {
        struct fixture *x = *state;
        char *out = NULL, *err = NULL;
        int r = with_output(x, &out, &err, do_plan);
        if (!strstr(out, "~ acl    /c/Users/ann/repo ") || !strstr(out, "+ nft"))
                fprintf(stderr, "plan (%d) said:\n%s\n%s\n", r, out, err);
        assert_true(fake_count(&x->w.f, "account_sid bwoff-ann") > 0); /* looked up, by the Windows name */
        assert_non_null(strstr(out, "~ acl    /c/Users/ann/repo "));
        assert_non_null(strstr(out, "DACL: this installation's entries"));
        assert_non_null(strstr(out, "/c/Users/ann/repo/.git "));     /* a carve-out */
        assert_non_null(strstr(out, "/c/Users/ann/repo/src/.GIT ")); /* found at any depth, any case */
        assert_non_null(strstr(out, "+ user   bwoff-ann"));
        assert_non_null(strstr(out, "+ nft")); /* the offline user's rule, to be added */
        /* in Windows' terms: a reviewer reading nftables wording here would be misled */
        assert_non_null(strstr(out, "Windows Firewall: bulwark offline"));
        assert_null(strstr(out, "skuid"));
        assert_null(strstr(out, "inet bulwark"));
        assert_non_null(strstr(out, "~ runner " RUNNER));
        assert_non_null(strstr(out, "SYSTEM and Administrators full control"));
        assert_null(strstr(out, "not implemented on Windows"));
        assert_rules_not_enforced_said(err);
        assert_nothing_written(x);
        assert_int_equal(installs(x), 0);
        free(out);
        free(err);
}

/* The fake's firewall rule of that name (NULL if there is none). */
static const struct bw_win_fw_rule *rule_of(const struct fixture *x, const char *name) {
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (x->w.f.rule_used[i] && strcmp(x->w.f.rules[i].name, name) == 0)
                        return &x->w.f.rules[i];
        return NULL;
}

static size_t n_rules(const struct fixture *x) {
        size_t n = 0;
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                n += x->w.f.rule_used[i];
        return n;
}

static struct bw_win_sid sid_of(const struct fixture *x, const char *account) {
        struct bw_win_sid sid = {0};
        assert_int_equal(x->w.ops.account_sid(x->w.ops.ctx, account, &sid, NULL, 0), 0);
        return sid;
}

/* The rule bulwark must have made for the offline user: named by its SID, blocking everything of
 * that user (LocalUserAuthorizedList) but loopback, outbound, every protocol. */
static void assert_offline_rule(const struct fixture *x, const char *offline) {
        struct bw_win_sid sid = sid_of(x, offline);
        char s[BW_WIN_SID_STRING_MAX], name[300], sddl[300];
        bw_win_sid_to_string(&sid, s);
        snprintf(name, sizeof(name), "bulwark offline %s", s);
        snprintf(sddl, sizeof(sddl), "O:LSD:(A;;CC;;;%s)", s);
        const struct bw_win_fw_rule *rule = rule_of(x, name);
        if (!rule)
                fail_msg("no firewall rule %s", name);
        assert_string_equal(rule->local_user_sddl, sddl);
        assert_true(rule->outbound && rule->block);
        assert_int_equal(rule->protocol, 256);
        assert_null(strstr(rule->remote_addresses, "127.0.0.1"));
        assert_non_null(strstr(rule->remote_addresses, "0.0.0.0-126.255.255.255,128.0.0.0-255.255.255.255"));
}

/* The runner's DACL as apply makes it: protected; SYSTEM and Administrators full control, Users
 * and OWNER RIGHTS read and execute; nothing else (no write for anyone else). */
static void assert_runner_protected(struct fixture *x) {
        struct fake_object *o = fake_find(&x->w.f, RUNNER);
        assert_non_null(o);
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(o->sd, o->sd_n, &sd), 0);
        assert_true(sd.control & BW_SE_DACL_PROTECTED);
        char *d = bw_win_acl_describe(&sd.dacl);
        assert_string_equal(d, "A:0x1f01ff::S-1-5-18;A:0x1f01ff::S-1-5-32-544;A:0x1200a9::S-1-5-32-545;"
                               "A:0x1200a9::S-1-3-4");
        free(d);
        bw_win_sd_done(&sd);
}

/* The sandbox user's kept password (secrets/NAME), "" if none; its size in *n. */
static size_t secret_of(const struct fixture *x, const char *name, uint8_t *buf, size_t size) {
        char p[400];
        snprintf(p, sizeof(p), "%s/secrets/%s", x->state, name);
        FILE *f = fopen(p, "rb");
        if (!f)
                return 0;
        size_t n = fread(buf, 1, size, f);
        fclose(f);
        return n;
}

/* Does the state directory hold rel? */
static bool state_has(const struct fixture *x, const char *rel) {
        char p[1024];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", x->state, rel);
        return stat(p, &st) == 0;
}

/* apply (bw_backend_windows's own operations, nothing of the test's): the accounts are made, each
 * user's password kept with DPAPI in secrets/NAME (its DACL: SYSTEM, Administrators and ann, who
 * reads it unelevated) before the account exists; the offline user's firewall rule, the runner's
 * DACL and the plan's entries are written; apply passes but for the two rules Windows cannot
 * enforce. revert removes the accounts, their passwords, the rule and the state's list of rules,
 * and gives every descriptor (the runner's too) back byte for byte. */
static void test_apply_completes_and_revert_removes_all(void **state) {
        struct fixture *x = *state;
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        char *out = NULL, *err = NULL;
        size_t audits = n_audit;
        int r = with_output(x, &out, &err, do_apply);
        if (r != 1 || !strstr(err, "2 objects could not be read or changed"))
                fprintf(stderr, "apply (%d) said:\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 1); /* done, but for the two rules it cannot enforce */
        assert_rules_not_enforced_said(err);
        assert_non_null(strstr(err, "2 objects could not be read or changed"));
        assert_null(strstr(err, "not implemented on Windows"));
        assert_int_equal(fake_count(&x->w.f, "user_add bwoff-ann"), 1);
        assert_int_equal(fake_count(&x->w.f, "user_add bwon-ann"), 1);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 1);
        assert_int_equal(n_rules(x), 1);
        assert_offline_rule(x, "bwoff-ann");
        assert_true(state_has(x, "firewall")); /* which rules are bulwark's */
        assert_int_equal(fake_count(&x->w.f, "set_dacl " RUNNER), 1);
        assert_runner_protected(x);
        assert_true(fake_count(&x->w.f, "set_dacl /c/Users/ann/repo") >= 1);
        /* the password the account was made with is what secrets/bwoff-ann gives back */
        uint8_t blob[512], *clear = NULL;
        size_t n = secret_of(x, "bwoff-ann", blob, sizeof(blob)), clear_n = 0;
        assert_true(n > 0);
        assert_int_equal(x->w.ops.unprotect(x->w.ops.ctx, blob, n, &clear, &clear_n), 0);
        const char *pw = NULL;
        for (size_t a = 0; a < x->w.f.n_accounts; a++)
                if (strcmp(x->w.f.accounts[a].name, "bwoff-ann") == 0)
                        pw = x->w.f.accounts[a].password;
        assert_non_null(pw);
        assert_int_equal(clear_n, strlen(pw));
        assert_memory_equal(clear, pw, clear_n);
        assert_true(strlen(pw) >= 24);
        free(clear);
        /* its DACL, set before it took its name: protected, SYSTEM and Administrators full
         * control, ann (S-1-5-21-1-2-3-1001) read; not Users, not the sandbox accounts */
        bool seen = false;
        for (size_t i = 0; i < n_file_sds; i++) {
                if (strcmp(file_sds[i].rel, "secrets/bwoff-ann.new") != 0)
                        continue;
                struct bw_win_sd sd;
                assert_int_equal(bw_win_sd_decode(file_sds[i].sd, file_sds[i].n, &sd), 0);
                assert_true(sd.control & BW_SE_DACL_PROTECTED);
                char *d = bw_win_acl_describe(&sd.dacl);
                assert_string_equal(d, "A:0x1f01ff::S-1-5-18;A:0x1f01ff::S-1-5-32-544;A:0x120089::S-1-5-21-1-2-3-1001");
                free(d);
                bw_win_sd_done(&sd);
                seen = true;
        }
        assert_true(seen);
        assert_int_equal(installs(x), 1);
        free(out), free(err);

        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert said: %s\n%s\n", out, err);
        assert_int_equal(r, 0);
        assert_int_equal(installs(x), 0);
        assert_int_equal(fake_count(&x->w.f, "user_del bwoff-ann"), 1);
        assert_int_equal(fake_count(&x->w.f, "user_del bwon-ann"), 1);
        assert_int_equal(fake_count(&x->w.f, "group_del bw-r-"), 1);
        assert_int_equal(secret_of(x, "bwoff-ann", blob, sizeof(blob)), 0);
        assert_int_equal(secret_of(x, "bwon-ann", blob, sizeof(blob)), 0);
        assert_int_equal(n_rules(x), 0);
        assert_false(state_has(x, "firewall"));
        long diff = world_diff(&x->w, &before);
        if (diff >= 0)
                fprintf(stderr, "%s differs after revert:\n%s\n%s\n", x->w.f.objects[diff].path, out, err);
        assert_int_equal(diff, -1);
        assert_true(n_audit > audits); /* the apply and the revert are in the audit trail */
        free(out), free(err);
        snapshot_done(&before);
}

static void install_of(const struct fixture *x, const char *ws, char id[257]);

/* The installation's Windows record (installs/ID/windows), "" if there is none. */
static void windows_record(const struct fixture *x, char *buf, size_t size) {
        char p[400];
        buf[0] = 0;
        snprintf(p, sizeof(p), "%s/installs", x->state);
        DIR *d = opendir(p);
        for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] == '.')
                        continue;
                char rp[700];
                snprintf(rp, sizeof(rp), "%s/%s/windows", p, e->d_name);
                FILE *f = fopen(rp, "r");
                if (f) {
                        size_t n = fread(buf, 1, size - 1, f);
                        buf[n] = 0;
                        fclose(f);
                }
        }
        if (d)
                closedir(d);
}

/* Is there an allow entry for sid with mask on path, explicit? */
static bool has_allow(struct fixture *x, const char *path, const struct bw_win_sid *sid, uint32_t mask) {
        struct bw_win_acl acl = {0};
        fake_dacl(&x->w.f, path, &acl);
        bool found = false;
        for (size_t i = 0; i < acl.n; i++)
                found |= acl.aces[i].type == BW_ACE_ALLOW && !(acl.aces[i].flags & BW_ACE_INHERITED) &&
                         acl.aces[i].mask == mask && bw_win_sid_equal(&acl.aces[i].sid, sid);
        bw_win_acl_done(&acl);
        return found;
}

static bool has_deny(struct fixture *x, const char *path, const struct bw_win_sid *sid) {
        struct bw_win_acl acl = {0};
        fake_dacl(&x->w.f, path, &acl);
        bool found = false;
        for (size_t i = 0; i < acl.n; i++)
                found |= acl.aces[i].type == BW_ACE_DENY && !(acl.aces[i].flags & BW_ACE_INHERITED) &&
                         bw_win_sid_equal(&acl.aces[i].sid, sid);
        bw_win_acl_done(&acl);
        return found;
}

/* Through the engine: apply journals each descriptor (the runner's too) before writing it and
 * puts the plan's entries on the targets; a second apply writes nothing; status says the plan is
 * written, NOT VERIFIED; drift of a DACL, of the firewall rule (removed, changed) and of the
 * runner's DACL is reported by status and repaired by apply, one write each; revert restores every
 * descriptor byte for byte and leaves no installation and no rule. */
static void test_apply_twice_and_revert_byte_for_byte(void **state) {
        struct fixture *x = *state;
        x->backend = &windows_fake;
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        char *out = NULL, *err = NULL;

        x->check_journal = true;
        int r = with_output(x, &out, &err, do_apply);
        x->check_journal = false;
        if (r != 1)
                fprintf(stderr, "apply (%d) said:\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 1); /* done, but the two rules it cannot enforce make it fail */
        assert_rules_not_enforced_said(err);
        assert_non_null(strstr(err, "2 objects could not be read or changed"));
        size_t writes = fake_count(&x->w.f, "set_dacl");
        assert_true(writes >= 4);                     /* the root, .git, src/.GIT, the unreadable paths... */
        assert_int_equal(x->journal_checked, writes); /* the runner's, in the shared journal, too */
        assert_int_equal(fake_count(&x->w.f, "set_dacl " RUNNER), 1);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 1);
        assert_non_null(strstr(out, "~ acl    /c/Users/ann/repo "));
        assert_non_null(strstr(out, "+ nft"));
        assert_non_null(strstr(out, "~ runner " RUNNER));
        free(out);
        free(err);

        /* the entries: the root's SID (from the installation's record) and the group allowed on
         * the workspace, a carve-out's deny on .git and on src/.GIT */
        char rec[8192];
        windows_record(x, rec, sizeof(rec));
        struct bw_win_install in = {0};
        assert_int_equal(bw_win_install_decode(rec, &in), 0);
        assert_int_equal(strncmp(in.group, "bw-r-", 5), 0); /* the engine's read group of this installation */
        size_t root = in.n_roots;
        for (size_t i = 0; i < in.n_roots; i++)
                if (strcmp(in.roots[i].path, "/c/Users/ann/repo") == 0)
                        root = i;
        assert_true(root < in.n_roots);
        assert_true(has_allow(x, "/c/Users/ann/repo", &in.roots[root].sid, 0x1301bf));
        assert_true(has_allow(x, "/c/Users/ann/repo", &in.group_sid, 0x1301bf));
        assert_true(has_deny(x, "/c/Users/ann/repo/.git", &in.roots[root].sid));
        assert_true(has_deny(x, "/c/Users/ann/repo/src/.GIT", &in.roots[root].sid));
        assert_true(in.n_targets > 0);
        assert_true(world_diff(&x->w, &before) >= 0);

        /* apply again: nothing written, nothing to say about the DACLs, the same root SIDs */
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_rules_not_enforced_said(err);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 0);
        assert_int_equal(fake_count(&x->w.f, "fw_remove"), 0);
        assert_int_equal(fake_count(&x->w.f, "group_add_member"), 0); /* membership read: already in */
        assert_true(fake_count(&x->w.f, "group_has_member") > 0);
        assert_null(strstr(out, "acl "));
        assert_null(strstr(out, "nft"));
        assert_null(strstr(out, "runner"));
        char rec2[8192];
        windows_record(x, rec2, sizeof(rec2));
        assert_string_equal(rec, rec2);
        free(out);
        free(err);

        /* plan now: no DACL change either */
        r = with_output(x, &out, &err, do_plan);
        if (strstr(out, "acl "))
                fprintf(stderr, "%s\n", out);
        assert_null(strstr(out, "acl "));
        free(out);
        free(err);

        /* status: in force (the two rules it cannot enforce said again); then the workspace's
         * DACL put back as it was before bulwark, behind its back: status says so, and apply
         * repairs that one object only */
        r = with_output(x, &out, &err, do_status);
        if (r != 0 || !strstr(out, "written as planned, NOT VERIFIED to be in force (the test's fake Windows); 2 of "
                                   "the plan's rules are not enforced here"))
                fprintf(stderr, "status (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 0);
        assert_non_null(strstr(out, "written as planned, NOT VERIFIED to be in force (the test's fake Windows); 2 of "
                                    "the plan's rules are not enforced here"));
        assert_null(strstr(out, ": in force"));
        assert_rules_not_enforced_said(err);
        free(out);
        free(err);

        /* the firewall rule removed by hand: status says it is missing, apply adds it again */
        const struct bw_win_fw_rule *rule = NULL;
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (x->w.f.rule_used[i])
                        rule = &x->w.f.rules[i];
        assert_non_null(rule);
        struct bw_win_fw_rule saved_rule = *rule;
        x->w.f.rule_used[rule - x->w.f.rules] = false;
        r = with_output(x, &out, &err, do_status);
        if (r != 2 || !strstr(out, "+ nft"))
                fprintf(stderr, "status, rule removed (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "DRIFTED"));
        assert_non_null(strstr(out, "+ nft"));
        free(out), free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);
        assert_offline_rule(x, "bwoff-ann");
        free(out), free(err);
        /* ... changed by hand (allowed instead of blocked): drift, and apply replaces it */
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (x->w.f.rule_used[i])
                        x->w.f.rules[i].block = false;
        r = with_output(x, &out, &err, do_status);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "~ nft"));
        free(out), free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        /* the rule, then the call that finds no second of its name */
        assert_int_equal(fake_count(&x->w.f, "fw_remove"), 2);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 1);
        assert_offline_rule(x, "bwoff-ann");
        assert_int_equal(n_rules(x), 1);
        assert_true(memcmp(rule_of(x, saved_rule.name), &saved_rule, sizeof(saved_rule)) == 0);
        free(out), free(err);

        /* ... a second rule of the same name beside it (INetFwRules_Item reads only the first):
         * drift, and apply removes both and adds one */
        for (int i = 0, done = 0; i < FAKE_MAX_RULES && !done; i++)
                if (x->w.f.rule_used[i])
                        for (int k = 0; k < FAKE_MAX_RULES && !done; k++)
                                if (!x->w.f.rule_used[k]) {
                                        x->w.f.rules[k] = x->w.f.rules[i];
                                        snprintf(x->w.f.rules[k].remote_addresses,
                                                 sizeof(x->w.f.rules[k].remote_addresses), "10.0.0.1");
                                        x->w.f.rule_used[k] = true;
                                        done = 1;
                                }
        assert_int_equal(n_rules(x), 2);
        r = with_output(x, &out, &err, do_status);
        if (r != 2 || !strstr(out, "~ nft"))
                fprintf(stderr, "status, duplicate rule (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "~ nft"));
        free(out), free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "fw_remove"), 3);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 1);
        assert_int_equal(n_rules(x), 1);
        assert_offline_rule(x, "bwoff-ann");
        free(out), free(err);

        /* ... disabled by hand (what fw_get reads besides bulwark's fields): drift, and replaced */
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (x->w.f.rule_used[i])
                        snprintf(x->w.f.rules[i].narrowed, sizeof(x->w.f.rules[i].narrowed), "disabled");
        r = with_output(x, &out, &err, do_status);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "~ nft"));
        free(out), free(err);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_string_equal(rule_of(x, saved_rule.name)->narrowed, "");
        free(out), free(err);

        /* the runner's DACL put back by hand (a write for Users): drift, and apply repairs it */
        struct fake_object *ro = fake_find(&x->w.f, RUNNER);
        size_t ri = (size_t) (ro - x->w.f.objects);
        free(ro->sd);
        ro->sd = malloc(before.sd_n[ri]);
        assert_non_null(ro->sd);
        memcpy(ro->sd, before.sd[ri], before.sd_n[ri]);
        ro->sd_n = before.sd_n[ri];
        r = with_output(x, &out, &err, do_status);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "~ runner " RUNNER));
        free(out), free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl " RUNNER), 1);
        assert_runner_protected(x);
        free(out), free(err);
        struct fake_object *ws = fake_find(&x->w.f, "/c/Users/ann/repo");
        assert_non_null(ws);
        size_t wi = (size_t) (ws - x->w.f.objects);
        uint8_t *drifted = malloc(before.sd_n[wi]);
        assert_non_null(drifted);
        memcpy(drifted, before.sd[wi], before.sd_n[wi]);
        free(ws->sd);
        ws->sd = drifted;
        ws->sd_n = before.sd_n[wi];
        r = with_output(x, &out, &err, do_status);
        if (r == 0 || !strstr(out, "/c/Users/ann/repo "))
                fprintf(stderr, "status after drift (%d):\n%s\n%s\n", r, out, err);
        assert_int_not_equal(r, 0);
        assert_non_null(strstr(out, "~ acl    /c/Users/ann/repo "));
        assert_null(strstr(out, "/c/Users/ann/repo/.git "));
        free(out);
        free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl /c/Users/ann/repo"), 1);
        free(out);
        free(err);

        /* revert: every object's descriptor as it was, byte for byte; the accounts and the
         * installation (its record too, and what a crash left of a rewrite of it) gone */
        char id[257], leftover[700];
        install_of(x, "/c/Users/ann/repo", id);
        snprintf(leftover, sizeof(leftover), "%s/installs/%s/windows.new", x->state, id);
        FILE *lf = fopen(leftover, "w");
        assert_non_null(lf);
        fclose(lf);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert (%d) said:\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 0);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), writes);
        long diff = world_diff(&x->w, &before);
        if (diff >= 0)
                fprintf(stderr, "%s differs after revert\n", x->w.f.objects[diff].path);
        assert_int_equal(diff, -1);
        assert_int_equal(installs(x), 0);
        assert_int_equal(n_rules(x), 0);
        assert_true(fake_count(&x->w.f, "user_del bwoff-ann") + fake_count(&x->w.f, "group_del bw-r-") >= 2);
        free(out);
        free(err);
        bw_win_install_done(&in);
        snapshot_done(&before);
}

static const char *cur_ws = "/c/Users/ann/repo";
static const char *cur_which;

static int do_apply_ws(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        o.workspace = cur_ws;
        return bw_cmd_apply(FIXTURE_PLAN, &o, out);
}

static int do_revert_which(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        return bw_cmd_revert(cur_which, false, &o, out);
}

/* The installation ID whose bindings name workspace ws ("" if none). */
static void install_of(const struct fixture *x, const char *ws, char id[257]) {
        char p[400], want[300];
        id[0] = 0;
        snprintf(p, sizeof(p), "%s/installs", x->state);
        snprintf(want, sizeof(want), "workspace=%s\n", ws);
        DIR *d = opendir(p);
        for (struct dirent *e; d && (e = readdir(d));) {
                if (e->d_name[0] == '.')
                        continue;
                char bp[700], text[8192];
                snprintf(bp, sizeof(bp), "%s/%s/bindings", p, e->d_name);
                FILE *f = fopen(bp, "r");
                if (!f)
                        continue;
                size_t n = fread(text, 1, sizeof(text) - 1, f);
                text[n] = 0;
                fclose(f);
                if (strstr(text, want))
                        snprintf(id, 257, "%s", e->d_name);
        }
        if (d)
                closedir(d);
}

/* One installation's record, decoded. */
static void record_of(const struct fixture *x, const char *id, struct bw_win_install *in) {
        char p[400], text[16384];
        snprintf(p, sizeof(p), "%s/installs/%s/windows", x->state, id);
        FILE *f = fopen(p, "r");
        assert_non_null(f);
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = 0;
        fclose(f);
        assert_int_equal(bw_win_install_decode(text, in), 0);
}

static const struct bw_win_sid *root_sid(const struct bw_win_install *in, const char *path) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (strcmp(in->roots[i].path, path) == 0)
                        return &in->roots[i].sid;
        fail_msg("no root %s in the record", path);
        return NULL;
}

/* Does any entry (explicit or not) on path name sid? */
static bool names_sid(struct fixture *x, const char *path, const struct bw_win_sid *sid) {
        struct bw_win_acl acl = {0};
        fake_dacl(&x->w.f, path, &acl);
        bool found = false;
        for (size_t i = 0; i < acl.n; i++)
                found |= bw_win_sid_equal(&acl.aces[i].sid, sid);
        bw_win_acl_done(&acl);
        return found;
}

/* Two installations of one user (repo, repo2) through the engine, sharing targets (~/.ssh, the
 * temporary directory): reverting either leaves the other's entries in force (the engine
 * re-applies what remains), and reverting both gives every descriptor back byte for byte. */
static void test_two_installations(void **state) {
        struct fixture *x = *state;
        x->backend = &windows_fake;
        struct snapshot s0 = {0}, s1 = {0};
        world_snapshot(&x->w, &s0);
        char *out = NULL, *err = NULL, a[257], b[257];

        cur_ws = "/c/Users/ann/repo";
        assert_int_equal(with_output(x, &out, &err, do_apply_ws), 1); /* 1: the two rules it cannot enforce */
        free(out), free(err);
        world_snapshot(&x->w, &s1);
        cur_ws = "/c/Users/ann/repo2";
        int r = with_output(x, &out, &err, do_apply_ws);
        if (r != 1 || !strstr(err, "not enforced on Windows"))
                fprintf(stderr, "apply repo2 (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 1);
        free(out), free(err);
        install_of(x, "/c/Users/ann/repo", a);
        install_of(x, "/c/Users/ann/repo2", b);
        assert_true(a[0] && b[0] && strcmp(a, b) != 0);
        struct bw_win_install ia = {0}, ib = {0};
        record_of(x, a, &ia);
        record_of(x, b, &ib);
        assert_false(bw_win_sid_equal(&ia.group_sid, &ib.group_sid)); /* a read group per installation */
        assert_true(has_allow(x, "/c/Users/ann/repo2", root_sid(&ib, "/c/Users/ann/repo2"), 0x1301bf));
        assert_true(has_deny(x, "/c/Users/ann/.ssh", &ia.group_sid));
        assert_true(has_deny(x, "/c/Users/ann/.ssh", &ib.group_sid));
        /* the users, made with the first, were added to the second's read group (the backend's
         * account_fix_members, after its membership read said they were not in it) */
        char add[300];
        snprintf(add, sizeof(add), "group_add_member %s bwoff-ann", ib.group);
        assert_int_equal(fake_count(&x->w.f, add), 1);

        /* revert the newer: the machine as after the first apply, byte for byte */
        cur_which = b;
        r = with_output(x, &out, &err, do_revert_which);
        /* 1: the re-apply of repo's installation (what remains) says its two rules again */
        if (r != 1 || !strstr(out, "re-applying the plan installed for /c/Users/ann/repo"))
                fprintf(stderr, "revert %s (%d):\n%s\n%s\n", b, r, out, err);
        assert_int_equal(r, 1);
        assert_rules_not_enforced_said(err);
        assert_non_null(strstr(out, "re-applying the plan installed for /c/Users/ann/repo"));
        free(out), free(err);
        long diff = world_diff(&x->w, &s1);
        if (diff >= 0)
                fprintf(stderr, "%s differs from after the first apply\n", x->w.f.objects[diff].path);
        assert_int_equal(diff, -1);

        /* apply repo2 again, then revert the OLDER: repo2's entries stay (re-applied), repo's go */
        cur_ws = "/c/Users/ann/repo2";
        assert_int_equal(with_output(x, &out, &err, do_apply_ws), 1);
        free(out), free(err);
        install_of(x, "/c/Users/ann/repo2", b);
        bw_win_install_done(&ib);
        record_of(x, b, &ib);
        cur_which = a;
        r = with_output(x, &out, &err, do_revert_which);
        /* 1: the re-apply of repo2's installation says its rule again */
        if (r != 1 || !strstr(out, "re-applying the plan installed for /c/Users/ann/repo2"))
                fprintf(stderr, "revert %s (%d):\n%s\n%s\n", a, r, out, err);
        assert_int_equal(r, 1);
        assert_non_null(strstr(err, "'**/*.pem' is not enforced on Windows"));
        free(out), free(err);
        assert_true(has_allow(x, "/c/Users/ann/repo2", root_sid(&ib, "/c/Users/ann/repo2"), 0x1301bf));
        assert_true(has_deny(x, "/c/Users/ann/.ssh", &ib.group_sid));
        assert_false(names_sid(x, "/c/Users/ann/.ssh", &ia.group_sid));
        assert_false(names_sid(x, "/c/Users/ann/repo", root_sid(&ia, "/c/Users/ann/repo")));
        assert_false(names_sid(x, "/c/Users/ann/repo/.git", &ia.group_sid));

        /* and the last: every descriptor as before the first apply */
        r = with_output(x, &out, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert --all (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 0);
        free(out), free(err);
        diff = world_diff(&x->w, &s0);
        if (diff >= 0)
                fprintf(stderr, "%s differs from before bulwark\n", x->w.f.objects[diff].path);
        assert_int_equal(diff, -1);
        assert_int_equal(installs(x), 0);
        bw_win_install_done(&ia);
        bw_win_install_done(&ib);
        snapshot_done(&s0);
        snapshot_done(&s1);
}

/* The firewall operations themselves, over the fake with the state directory of the test: a rule
 * of bulwark's name that was there before (another program's, every field odd) is reported as
 * different, saved with every field, replaced by apply and put back exactly by restore; a damaged
 * save is refused with nothing changed; the rule of an offline user no longer given is removed;
 * remove takes every rule of bulwark's and its list away, and nothing else. */
static void test_firewall_save_restore_exact(void **state) {
        struct fixture *x = *state;
        const struct bw_win_ops *o = &x->w.ops;
        char err[512] = "";
        assert_int_equal(mkdir(x->state, 0755), 0);
        bw_winbe_use_state(x->state);
        assert_int_equal(o->user_add(o->ctx, "bwoff-ann", "pw", "test", NULL, 0), 0);
        assert_int_equal(o->user_add(o->ctx, "bwoff-bob", "pw", "test", NULL, 0), 0);
        uint32_t ann = 0, bob = 0;
        assert_int_equal(bw_winbe_user_id("bwoff-ann", &ann), 1); /* learns the machine's SID */
        assert_int_equal(bw_winbe_user_id("bwoff-bob", &bob), 1);
        struct bw_win_sid sa = sid_of(x, "bwoff-ann");
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&sa, s);
        /* another program's rule under bulwark's name, and one that is nobody's business */
        struct bw_win_fw_rule foreign = {.outbound = false, .block = false, .protocol = 6};
        snprintf(foreign.name, sizeof(foreign.name), "bulwark offline %.100s", s);
        snprintf(foreign.description, sizeof(foreign.description), "tab\there, newline\nthere, back\\slash");
        snprintf(foreign.local_user_sddl, sizeof(foreign.local_user_sddl), "O:LSD:(A;;CC;;;S-1-5-32-545)");
        snprintf(foreign.remote_addresses, sizeof(foreign.remote_addresses), "10.0.0.0/8");
        struct bw_win_fw_rule other = {.outbound = true, .block = true, .protocol = 17};
        snprintf(other.name, sizeof(other.name), "Some VPN");
        assert_int_equal(o->fw_add(o->ctx, &foreign, NULL, 0), 0);
        assert_int_equal(o->fw_add(o->ctx, &other, NULL, 0), 0);

        uint32_t ids[2] = {ann, bob};
        assert_int_equal(bw_winbe_fw_inspect(ids, 1, err, sizeof(err)), BW_FW_DIFFERENT);
        char saved[65536];
        assert_int_equal(bw_winbe_fw_save(saved, sizeof(saved)), 0);
        assert_non_null(strstr(saved, "tab\\there"));
        assert_int_equal(bw_winbe_fw_apply(ids, 2, err, sizeof(err)), 0);
        assert_int_equal(n_rules(x), 3); /* ann's and bob's, and the other program's */
        assert_offline_rule(x, "bwoff-ann");
        assert_offline_rule(x, "bwoff-bob");
        assert_int_equal(bw_winbe_fw_inspect(ids, 2, err, sizeof(err)), BW_FW_CURRENT);
        /* bob's installation is gone: his rule is bulwark's (the list says so) and goes */
        assert_int_equal(bw_winbe_fw_inspect(ids, 1, err, sizeof(err)), BW_FW_DIFFERENT);
        assert_int_equal(bw_winbe_fw_apply(ids, 1, err, sizeof(err)), 0);
        assert_int_equal(n_rules(x), 2);
        assert_int_equal(bw_winbe_fw_inspect(ids, 1, err, sizeof(err)), BW_FW_CURRENT);
        /* a damaged save changes nothing */
        fake_log_clear(&x->w.f);
        assert_int_equal(
                bw_winbe_fw_restore("bulwark windows firewall 1\nrule\tbulwark offline x\t1\n", err, sizeof(err)),
                -EBADMSG);
        assert_int_equal(fake_count(&x->w.f, "fw_"), 0);
        /* restore: the rule that was there, field for field */
        assert_int_equal(bw_winbe_fw_restore(saved, err, sizeof(err)), 0);
        const struct bw_win_fw_rule *back = rule_of(x, foreign.name);
        assert_non_null(back);
        assert_memory_equal(back, &foreign, sizeof(foreign));
        assert_non_null(rule_of(x, "Some VPN"));
        assert_int_equal(n_rules(x), 2);
        /* a rule that was disabled (what INetFwRule3 holds beyond bulwark's fields) is put back
         * with its fields, and the rest is said, not passed over */
        struct bw_win_fw_rule disabled = foreign;
        snprintf(disabled.narrowed, sizeof(disabled.narrowed), "disabled; remote ports 443");
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (x->w.f.rule_used[i] && strcmp(x->w.f.rules[i].name, foreign.name) == 0)
                        x->w.f.rules[i] = disabled; /* as a person disabling it in wf.msc */
        assert_int_equal(bw_winbe_fw_save(saved, sizeof(saved)), 0);
        assert_int_equal(bw_winbe_fw_apply(ids, 1, err, sizeof(err)), 0);
        assert_int_equal(bw_winbe_fw_restore(saved, err, sizeof(err)), -EIO);
        assert_non_null(strstr(err, "was put back without what else it had (disabled; remote ports 443)"));
        assert_non_null(rule_of(x, foreign.name));
        assert_string_equal(rule_of(x, foreign.name)->local_user_sddl, foreign.local_user_sddl);
        /* remove: bulwark's rules (what its list names) go, and the list */
        assert_int_equal(bw_winbe_fw_apply(ids, 2, err, sizeof(err)), 0);
        assert_int_equal(bw_winbe_fw_remove(err, sizeof(err)), 0);
        assert_int_equal(n_rules(x), 1);
        assert_non_null(rule_of(x, "Some VPN"));
        assert_false(state_has(x, "firewall"));
        assert_int_equal(bw_winbe_fw_inspect(ids, 2, err, sizeof(err)), BW_FW_ABSENT);
}

/* A runner in a directory its user owns (and so may re-permission, or replace the runner in) is
 * refused before anything is written, saying who could replace it. */
static void test_runner_in_users_directory_refused(void **state) {
        struct fixture *x = *state;
        fake_add_object(&x->w.f, "/c/Users/ann/bin", true, NULL);
        fake_add_object(&x->w.f, "/c/Users/ann/bin/bulwark-runner.exe", false, NULL);
        struct bw_runner_info info;
        char err[512] = "";
        int r = bw_winbe_runner_inspect("/c/Users/ann/bin/bulwark-runner.exe", &info, err, sizeof(err));
        assert_int_equal(r, -EPERM);
        assert_non_null(strstr(err, "/c/Users/ann/bin is owned by S-1-5-21-1-2-3-1001"));
        /* owned by Administrators but with a write for Users: refused too, naming Users */
        set_owner(&x->w, "/c/Users/ann/bin", &bw_win_sid_admins);
        struct fake_object *o = fake_find(&x->w.f, "/c/Users/ann/bin");
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(o->sd, o->sd_n, &sd), 0);
        sd.control |= BW_SE_DACL_PROTECTED;
        bw_win_acl_done(&sd.dacl);
        sd.dacl = (struct bw_win_acl){.revision = 2};
        bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1301ff, &bw_win_sid_users);
        free(o->sd);
        assert_int_equal(bw_win_sd_encode(&sd, &o->sd, &o->sd_n), 0);
        bw_win_sd_done(&sd);
        r = bw_winbe_runner_inspect("/c/Users/ann/bin/bulwark-runner.exe", &info, err, sizeof(err));
        assert_int_equal(r, -EPERM);
        assert_non_null(strstr(err, "S-1-5-32-545 may add, delete, rename or re-permission"));
        /* where an installer puts it: inspected, not current, and its record names it */
        r = bw_winbe_runner_inspect(RUNNER, &info, err, sizeof(err));
        assert_int_equal(r, 0);
        assert_false(info.current);
        assert_true(info.record_len > 0);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);
}

/* The read grants' worker host of the tests: nothing runs in the background; the test does the
 * batches (bw_winbe_read_grants_batch) where a thread would. */
static int grants_started;
static char grants_started_id[17];
static bool worker_alive;

static void test_grants_start(const char *id) {
        grants_started++;
        snprintf(grants_started_id, sizeof(grants_started_id), "%s", id);
}

static bool test_grants_alive(uint32_t pid) {
        return pid == 4242 && worker_alive;
}

static uint32_t test_grants_pid(void) {
        return 4242;
}

static const struct bw_winbe_grants_host test_grants_host = {
        .start = test_grants_start, .alive = test_grants_alive, .pid = test_grants_pid};

/* status's line about the read grants ("" if none). */
static void grants_line(struct fixture *x, char *line, size_t size) {
        char *out = NULL, *err = NULL;
        with_output(x, &out, &err, do_status);
        const char *l = strstr(out, "  read grants: ");
        snprintf(line, size, "%s", l ? l + 2 : "");
        char *nl = strchr(line, '\n');
        if (nl)
                *nl = 0;
        free(out), free(err);
}

/* The read grants run after apply, in batches with the lock held (here: the test's calls, where
 * bulwark.exe has a thread): apply asks for one worker and returns with the write side in force;
 * status shows the progress (running, done, stopped, failed: reason); each grant is journaled
 * before it is written; a second apply while the worker runs starts no second one; a revert while
 * it runs gives every descriptor back (the grants made so far included) and the worker then stops
 * without writing. */
static void test_read_grants_in_background(void **state) {
        struct fixture *x = *state;
        bw_winbe_use_grants_host(&test_grants_host);
        grants_started = 0;
        worker_alive = true;
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        char *out = NULL, *err = NULL, line[512], id[257], want[512];
        assert_int_equal(with_output(x, &out, &err, do_apply), 1);
        free(out), free(err);
        install_of(x, "/c/Users/ann/repo", id);
        assert_int_equal(grants_started, 1);
        assert_string_equal(grants_started_id, id);
        struct bw_win_install in = {0};
        record_of(x, id, &in);
        unsigned long total = 0;
        for (size_t i = 0; i < in.n_targets; i++)
                total += in.targets[i].kind == BW_WIN_T_READ;
        bw_win_install_done(&in);
        assert_true(total >= 1); /* the fixture's readable path (/d/shared/tools) */
        grants_line(x, line, sizeof(line));
        snprintf(want, sizeof(want), "read grants: 0/%lu objects, running", total);
        assert_string_equal(line, want);

        /* a second apply while it runs: no second worker */
        assert_int_equal(with_output(x, &out, &err, do_apply), 1);
        free(out), free(err);
        assert_int_equal(grants_started, 1);
        /* the worker's process gone (killed): status says so */
        worker_alive = false;
        grants_line(x, line, sizeof(line));
        snprintf(want, sizeof(want),
                 "read grants: 0/%lu objects, stopped (no worker at them: the next apply resumes them)", total);
        assert_string_equal(line, want);
        worker_alive = true;

        /* the batches, each grant journaled before it is written */
        char e[512] = "";
        int r;
        fake_log_clear(&x->w.f);
        x->check_journal = true;
        x->journal_checked = 0;
        while ((r = bw_winbe_read_grants_batch(id, 1, e, sizeof(e))) == 1)
                ;
        x->check_journal = false;
        assert_int_equal(r, 0);
        size_t granted = fake_count(&x->w.f, "set_dacl");
        assert_true(granted >= 1); /* Users cannot read /d/shared/tools: a grant */
        assert_int_equal(x->journal_checked, granted);
        grants_line(x, line, sizeof(line));
        snprintf(want, sizeof(want), "read grants: %lu/%lu objects, done", total, total);
        assert_string_equal(line, want);
        /* done: a batch writes nothing more */
        fake_log_clear(&x->w.f);
        assert_int_equal(bw_winbe_read_grants_batch(id, 0, e, sizeof(e)), 0);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);

        /* a journal that cannot be opened: failed, and why */
        assert_int_equal(with_output(x, &out, &err, do_apply), 1); /* queued again: nothing to grant */
        free(out), free(err);
        char jp[700], jsave[720];
        snprintf(jp, sizeof(jp), "%s/installs/%s/journal", x->state, id);
        snprintf(jsave, sizeof(jsave), "%s.saved", jp);
        assert_int_equal(rename(jp, jsave), 0);
        assert_int_equal(mkdir(jp, 0700), 0);
        assert_true(bw_winbe_read_grants_batch(id, 0, e, sizeof(e)) < 0);
        grants_line(x, line, sizeof(line));
        assert_non_null(strstr(line, "objects, failed: the journal installs/"));
        assert_int_equal(rmdir(jp), 0);
        assert_int_equal(rename(jsave, jp), 0);

        /* revert while a worker is at work: everything back (the grant made above included), then
         * the worker writes nothing */
        assert_int_equal(with_output(x, &out, &err, do_apply), 1);
        free(out), free(err);
        grants_line(x, line, sizeof(line));
        snprintf(want, sizeof(want), "read grants: 0/%lu objects, running", total);
        assert_string_equal(line, want);
        assert_int_equal(with_output(x, &out, &err, do_revert_all), 0);
        free(out), free(err);
        fake_log_clear(&x->w.f);
        assert_int_equal(bw_winbe_read_grants_batch(id, 0, e, sizeof(e)), 0);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);
        char gp[400];
        snprintf(gp, sizeof(gp), "read-grants.%s", id);
        assert_false(state_has(x, gp));
        /* a finished worker's progress outlives revert (installs/ID/ is removed file by file): the
         * next state_open that may write removes it */
        assert_int_equal(with_output(x, &out, &err, do_apply), 1);
        free(out), free(err);
        while (bw_winbe_read_grants_batch(id, 0, e, sizeof(e)) == 1)
                ;
        assert_int_equal(with_output(x, &out, &err, do_revert_all), 0);
        free(out), free(err);
        assert_true(state_has(x, gp));
        bw_winbe_use_state(x->state);
        bw_winbe_grants_cleanup();
        assert_false(state_has(x, gp));
        long diff = world_diff(&x->w, &before);
        if (diff >= 0)
                fprintf(stderr, "%s differs after revert\n", x->w.f.objects[diff].path);
        assert_int_equal(diff, -1);
        bw_winbe_use_grants_host(NULL);
        snapshot_done(&before);
}

#ifdef _WIN32
/* The worker thread of bw_backend_windows itself (under Wine, over the fake operations): apply
 * starts it, it waits for the state lock apply holds (LockFileEx), then does the grants; once it
 * ended, status says they are done, and revert gives every descriptor back, the thread's grant
 * included (it was journaled). */
static void test_read_grants_thread(void **state) {
        struct fixture *x = *state;
        static struct bw_backend locked;
        locked = windows_fake;
        locked.state_lock = bw_backend_windows.state_lock; /* LockFileEx, as the thread's */
        locked.state_unlock = bw_backend_windows.state_unlock;
        x->backend = &locked;
        bw_winbe_use_grants_host(bw_winbe_thread_grants_host(x->state));
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        char *out = NULL, *err = NULL, line[512];
        assert_int_equal(with_output(x, &out, &err, do_apply), 1);
        free(out), free(err);
        bw_winbe_grants_wait();
        assert_true(fake_count(&x->w.f, "set_dacl /d/shared/tools") >= 1);
        grants_line(x, line, sizeof(line));
        assert_string_equal(line, "read grants: 1/1 objects, done");
        assert_int_equal(with_output(x, &out, &err, do_revert_all), 0);
        free(out), free(err);
        long diff = world_diff(&x->w, &before);
        if (diff >= 0)
                fprintf(stderr, "%s differs after revert\n", x->w.f.objects[diff].path);
        assert_int_equal(diff, -1);
        bw_winbe_use_grants_host(NULL);
        snapshot_done(&before);
}
#endif

/* Through the engine: a rule of bulwark's name that another program had made for the offline
 * user (the account existed before, made by an earlier bulwark) is reported as a change, saved in
 * the journal with every field, replaced by apply, and put back exactly by the last revert, which
 * leaves no rule of bulwark's and no list of them. */
static void test_foreign_rule_through_engine(void **state) {
        struct fixture *x = *state;
        const struct bw_win_ops *o = &x->w.ops;
        char comment[300];
        bw_win_account_comment(BW_ROLE_OFFLINE, "ann", comment, sizeof(comment));
        assert_int_equal(o->user_add(o->ctx, "bwoff-ann", "pw", comment, NULL, 0), 0);
        struct bw_win_sid sid = sid_of(x, "bwoff-ann");
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&sid, s);
        struct bw_win_fw_rule foreign = {.outbound = true, .block = false, .protocol = 6};
        snprintf(foreign.name, sizeof(foreign.name), "bulwark offline %.100s", s);
        snprintf(foreign.description, sizeof(foreign.description), "someone else's\trule");
        snprintf(foreign.local_user_sddl, sizeof(foreign.local_user_sddl), "O:LSD:(A;;CC;;;%.100s)", s);
        snprintf(foreign.remote_addresses, sizeof(foreign.remote_addresses), "LocalSubnet");
        assert_int_equal(o->fw_add(o->ctx, &foreign, NULL, 0), 0);
        char *out = NULL, *err = NULL;
        int r = with_output(x, &out, &err, do_apply);
        if (r != 1 || !strstr(out, "~ nft"))
                fprintf(stderr, "apply (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 1);
        assert_non_null(strstr(out, "~ nft")); /* a change of a rule that was there */
        assert_offline_rule(x, "bwoff-ann");
        assert_int_equal(n_rules(x), 1);
        free(out), free(err);
        r = with_output(x, &out, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 0);
        assert_int_equal(n_rules(x), 1);
        const struct bw_win_fw_rule *back = rule_of(x, foreign.name);
        assert_non_null(back);
        assert_memory_equal(back, &foreign, sizeof(foreign));
        assert_false(state_has(x, "firewall"));
        free(out), free(err);
}

/* Two accounts seen with one RID (the offline user, and a domain account of the same RID): which
 * SID the engine's id names cannot be told, so no rule is written and it says why (a rule for the
 * wrong SID would leave the offline user's network on). Last of the tests: the backend keeps the
 * SIDs it has seen for the process. */
static void test_firewall_ambiguous_rid_refused(void **state) {
        struct fixture *x = *state;
        const struct bw_win_ops *o = &x->w.ops;
        char err[512] = "";
        assert_int_equal(mkdir(x->state, 0755), 0);
        bw_winbe_use_state(x->state);
        assert_int_equal(o->user_add(o->ctx, "bwoff-ann", "pw", "test", NULL, 0), 0);
        uint32_t rid = 0, other = 0;
        assert_int_equal(bw_winbe_user_id("bwoff-ann", &rid), 1);
        struct fake_account *a = &x->w.f.accounts[x->w.f.n_accounts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "carol");
        a->sid = (struct bw_win_sid){1, 5, {0, 0, 0, 0, 0, 5}, {21, 7, 8, 9, rid}}; /* the domain's */
        a->exists = true;
        assert_int_equal(bw_winbe_user_id("carol", &other), 1);
        assert_int_equal(other, rid);
        fake_log_clear(&x->w.f);
        assert_int_equal(bw_winbe_fw_apply(&rid, 1, err, sizeof(err)), -EEXIST);
        assert_non_null(strstr(err, "cannot be told, so no rule is written"));
        assert_int_equal(bw_winbe_fw_inspect(&rid, 1, err, sizeof(err)), BW_FW_UNKNOWN);
        assert_int_equal(fake_count(&x->w.f, "fw_add"), 0);
}

static int refusals, journaled;

/* The engine's journal, as if its disk were full from the second record on. */
static int journal_refuses_second(void *userdata, const struct bw_acl_change *c, size_t n) {
        (void) userdata, (void) c;
        if (journaled + (int) n > 1) {
                refusals++;
                return -ENOSPC;
        }
        journaled += (int) n;
        return 0;
}

/* targets_converge itself: once the journal refuses a record, nothing more is written (the object
 * whose record was refused included) and it fails saying so. */
static void test_journal_refusal_stops_writes(void **state) {
        struct fixture *x = *state;
        const struct bw_win_ops *o = &x->w.ops;
        const char *names[32] = {0};
        static char bound[32][33];
        for (uint32_t i = 0; i < x->w.plan.n_principals && i < 32; i++) {
                uint32_t role = x->w.plan.principals[i].role;
                if (role == BW_ROLE_SANDBOX_GROUP)
                        names[i] = "bw-r-0123456789abcdef";
                else if (bw_winbe_account_name(role, "ann", bound[i]) == 0)
                        names[i] = bound[i];
        }
        assert_int_equal(o->group_add(o->ctx, "bw-r-0123456789abcdef", "test", NULL, 0), 0);
        assert_int_equal(o->user_add(o->ctx, "bwoff-ann", "pw", "test", NULL, 0), 0);
        assert_int_equal(o->user_add(o->ctx, "bwon-ann", "pw", "test", NULL, 0), 0);
        assert_int_equal(mkdir(x->state, 0755), 0);
        char dir[400];
        snprintf(dir, sizeof(dir), "%s/installs", x->state);
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(dir, sizeof(dir), "%s/installs/0123456789abcdef", x->state);
        assert_int_equal(mkdir(dir, 0755), 0);
        int sfd = open(x->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(sfd >= 0);
        struct bw_bindings b = {{0}};
        world_bindings("/c/Users/ann/repo", &b);
        struct bw_tree_options to = {.dry_run = false, .on_batch = journal_refuses_second};
        struct bw_tree_stats st = {0};
        char err[512] = "";
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        fake_log_clear(&x->w.f);
        refusals = journaled = 0;
        int r = bw_winbe_targets_converge(&x->w.plan, names, &b, "0123456789abcdef", sfd, &to, &st, err, sizeof(err));
        assert_int_equal(r, -ENOSPC);
        assert_non_null(strstr(err, "the journal could not be written"));
        assert_int_equal(journaled, 1);
        assert_int_equal(refusals, 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 1); /* the journaled one only */
        assert_true(world_diff(&x->w, &before) >= 0);
        close(sfd);
        snapshot_done(&before);
}

static int do_status_json(const struct fixture *x, FILE *out) {
        struct bw_engine_options o = options(x);
        o.json = true;
        return bw_cmd_status(&o, out);
}

/* The per-user installation through the engine (bulwark.exe not elevated): plan and apply make no
 * account, no group, no firewall rule and leave the runner alone; they say, loudly and counted,
 * that the network is advisory and the unreadable paths are not enforced; the entries name the
 * roots' SIDs only; the record says mode=user; apply twice writes nothing; status --json says the
 * mode; the workspace's DACL put back by hand is drift that apply repairs with one write; revert
 * gives every descriptor back byte for byte and leaves no installation. */
static void test_per_user_through_engine(void **state) {
        struct fixture *x = *state;
        windows_fake_user = windows_fake;
        windows_fake_user.per_user = host_per_user;
        x->backend = &windows_fake_user;
        bw_winbe_use_per_user(true);
        struct snapshot before = {0};
        world_snapshot(&x->w, &before);
        char *out = NULL, *err = NULL;
        int r = with_output(x, &out, &err, do_plan);
        if (!strstr(err, "network off: advisory, not enforced"))
                fprintf(stderr, "plan (%d):\n%s\n%s\n", r, out, err);
        assert_non_null(strstr(out, "~ acl    /c/Users/ann/repo "));
        assert_null(strstr(out, "+ user"));
        assert_null(strstr(out, "+ group"));
        assert_null(strstr(out, "nft"));
        assert_null(strstr(out, "runner"));
        assert_non_null(strstr(err, "network off: advisory, not enforced"));
        assert_non_null(strstr(err, "run apply from an elevated prompt for the firewall rule"));
        assert_non_null(strstr(err, "/c/Users/ann/.ssh is to be unreadable: NOT ENFORCED by a per-user installation"));
        assert_nothing_written(x);
        free(out), free(err);

        x->check_journal = true;
        r = with_output(x, &out, &err, do_apply);
        x->check_journal = false;
        if (r != 1)
                fprintf(stderr, "apply (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 1); /* what it cannot enforce makes it fail, every time: never passed for done */
        assert_non_null(strstr(err, "network off: advisory, not enforced"));
        assert_non_null(strstr(err, "not enforced by this per-user installation"));
        static const char *const never[] = {"user_add", "group_add", "group_add_member",
                                            "fw_add",   "fw_remove", ("set_dacl " RUNNER)};
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
                if (fake_count(&x->w.f, never[i]) != 0)
                        fail_msg("a per-user apply recorded %s", never[i]);
        size_t writes = fake_count(&x->w.f, "set_dacl");
        assert_true(writes >= 3);
        assert_int_equal(x->journal_checked, writes);
        assert_int_equal(n_file_sds, 0); /* no secrets/NAME */
        assert_false(state_has(x, "secrets/bwoff-ann"));
        assert_false(state_has(x, "firewall"));
        char rec[8192];
        windows_record(x, rec, sizeof(rec));
        assert_non_null(strstr(rec, "\nmode=user\n"));
        struct bw_win_install in = {0};
        assert_int_equal(bw_win_install_decode(rec, &in), 0);
        assert_true(in.per_user);
        size_t root = in.n_roots;
        for (size_t i = 0; i < in.n_roots; i++)
                if (strcmp(in.roots[i].path, "/c/Users/ann/repo") == 0)
                        root = i;
        assert_true(root < in.n_roots);
        assert_true(has_allow(x, "/c/Users/ann/repo", &in.roots[root].sid, 0x1301bf));
        assert_true(has_deny(x, "/c/Users/ann/repo/.git", &in.roots[root].sid));
        struct fake_object *ws = fake_find(&x->w.f, "/c/Users/ann/repo");
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(ws->sd, ws->sd_n, &sd), 0);
        size_t explicit = 0;
        for (size_t k = 0; k < sd.dacl.n; k++)
                explicit += !(sd.dacl.aces[k].flags & BW_ACE_INHERITED);
        assert_int_equal(explicit, 1); /* the root's SID, and nothing for a group */
        bw_win_sd_done(&sd);
        free(out), free(err);

        /* apply twice: nothing written */
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 0);
        assert_null(strstr(out, "acl "));
        char rec2[8192];
        windows_record(x, rec2, sizeof(rec2));
        assert_string_equal(rec, rec2);
        free(out), free(err);

        /* status --json: the mode, and written-not-verified with what is not enforced counted */
        r = with_output(x, &out, &err, do_status_json);
        if (!strstr(out, "\"mode\":\"per-user\""))
                fprintf(stderr, "status --json (%d):\n%s\n%s\n", r, out, err);
        assert_non_null(strstr(out, "\"mode\":\"per-user\""));
        assert_non_null(strstr(out, "\"verified\":false"));
        assert_non_null(strstr(out, "\"not_enforced_entries\""));
        assert_non_null(strstr(err, "network off: advisory, not enforced"));
        free(out), free(err);

        /* drift: the workspace's DACL put back behind bulwark's back */
        size_t wi = (size_t) (ws - x->w.f.objects);
        free(ws->sd);
        ws->sd = malloc(before.sd_n[wi]);
        assert_non_null(ws->sd);
        memcpy(ws->sd, before.sd[wi], before.sd_n[wi]);
        ws->sd_n = before.sd_n[wi];
        r = with_output(x, &out, &err, do_status);
        assert_int_equal(r, 2);
        assert_non_null(strstr(out, "/c/Users/ann/repo "));
        free(out), free(err);
        fake_log_clear(&x->w.f);
        r = with_output(x, &out, &err, do_apply);
        assert_int_equal(r, 1);
        assert_int_equal(fake_count(&x->w.f, "set_dacl"), 1);
        free(out), free(err);

        /* revert: byte for byte, nothing left */
        r = with_output(x, &out, &err, do_revert_all);
        if (r != 0)
                fprintf(stderr, "revert (%d):\n%s\n%s\n", r, out, err);
        assert_int_equal(r, 0);
        assert_int_equal(fake_count(&x->w.f, "user_del"), 0);
        long d = world_diff(&x->w, &before);
        if (d >= 0)
                fail_msg("after revert %s differs", x->w.f.objects[d].path);
        assert_int_equal(installs(x), 0);
        free(out), free(err);
        bw_win_install_done(&in);
        snapshot_done(&before);
        bw_winbe_use_per_user(false);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plan_shows_dacl_changes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_completes_and_revert_removes_all, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_twice_and_revert_byte_for_byte, setup, teardown),
                cmocka_unit_test_setup_teardown(test_two_installations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_refusal_stops_writes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_firewall_save_restore_exact, setup, teardown),
                cmocka_unit_test_setup_teardown(test_runner_in_users_directory_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_grants_in_background, setup, teardown),
#ifdef _WIN32
                cmocka_unit_test_setup_teardown(test_read_grants_thread, setup, teardown),
#endif
                cmocka_unit_test_setup_teardown(test_foreign_rule_through_engine, setup, teardown),
                cmocka_unit_test_setup_teardown(test_firewall_ambiguous_rid_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_per_user_through_engine, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
