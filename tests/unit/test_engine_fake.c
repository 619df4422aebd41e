/* SPDX-License-Identifier: MIT */
/*
 * The engine over the recording fake backend (fake_backend.c), without root: apply does what the
 * plan says and journals it; a second apply changes nothing; revert gives back the exact state
 * before; accounts are counted per user across installations; and reverting an installation
 * whose objects another one recorded afterwards filters that one's journal, so the last revert
 * still restores the originals. Every assertion is on the fake's recorded operations and state.
 */
#include "testutil.h"

#include "engine.h"
#include "fake_backend.h"
#include "journal.h"
#include "posix_acl.h"
#include "sha256.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
        char *tmp;
        char state[4200], plan[4200], audit[4200], keys[4200], admin[4200];
        struct fake_backend *f;
        struct fake_state s0; /* the machine before anything was applied */
};

static int setup(void **state) {
        struct fixture *x = calloc(1, sizeof(*x));
        assert_non_null(x);
        x->tmp = bw_test_mkdtemp();
        snprintf(x->state, sizeof(x->state), "%s/state", x->tmp);
        snprintf(x->plan, sizeof(x->plan), "%s/p.plan", x->tmp);
        snprintf(x->audit, sizeof(x->audit), "%s/audit", x->tmp);
        snprintf(x->keys, sizeof(x->keys), "%s/keys", x->tmp);
        snprintf(x->admin, sizeof(x->admin), "%s/admin", x->tmp);
        struct bw_bindings b = {.value = {NULL}};
        uint8_t *bytes;
        size_t size;
        bw_test_plan_bytes(x->tmp, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\nnetwork: off\n", &b, true,
                           &bytes, &size);
        FILE *pf = fopen(x->plan, "we");
        assert_non_null(pf);
        assert_int_equal(fwrite(bytes, 1, size, pf), size);
        fclose(pf);
        free(bytes);

        struct fake_backend *f = x->f = fake_backend_new();
        fake_add_user(f, "ann", 1000);
        fake_add_dir(f, "/home", 0755);
        fake_add_dir(f, "/home/ann", 0700); /* others cannot traverse: apply adds the read group */
        fake_add_dir(f, "/home/ann/proj", 0755);
        fake_add_file(f, "/home/ann/proj/a.c", 0644);
        fake_add_dir(f, "/home/ann/proj/sub", 0755);
        fake_add_file(f, "/home/ann/proj/sub/b.c", 0644);
        fake_add_dir(f, "/home/ann/other", 0755);
        fake_add_file(f, "/home/ann/other/c.c", 0644);
        fake_add_file(f, "/home/ann/notes.txt", 0600);
        x->s0 = f->st;
        *state = x;
        return 0;
}

static int teardown(void **state) {
        struct fixture *x = *state;
        fake_backend_free(x->f);
        bw_test_rmtree(x->tmp);
        free(x->tmp);
        free(x);
        return 0;
}

static struct bw_engine_options options(const struct fixture *x, const char *workspace) {
        return (struct bw_engine_options){.state_dir = x->state,
                                          .workspace = workspace,
                                          .user = "ann",
                                          .runner = "/usr/bin/bulwark-runner",
                                          .audit_dir = x->audit,
                                          .trusted_keys_dir = x->keys,
                                          .admin_dir = x->admin,
                                          .lock_timeout = 1,
                                          .threads = 1,
                                          .backend = &x->f->ops};
}

/* Run a command with its output in *text (malloc()ed). */
static int apply(const struct fixture *x, const char *ws, char **text) {
        size_t len;
        FILE *out = open_memstream(text, &len);
        struct bw_engine_options o = options(x, ws);
        int r = bw_cmd_apply(x->plan, &o, out);
        fclose(out);
        return r;
}

static int plan_with(const struct fixture *x, const struct bw_engine_options *o, char **text) {
        size_t len;
        FILE *out = open_memstream(text, &len);
        int r = bw_cmd_plan(x->plan, o, out);
        fclose(out);
        return r;
}

static int plan(const struct fixture *x, const char *ws, char **text) {
        struct bw_engine_options o = options(x, ws);
        return plan_with(x, &o, text);
}

static int revert(const struct fixture *x, const char *which) {
        char *text = NULL;
        size_t len;
        FILE *out = open_memstream(&text, &len);
        struct bw_engine_options o = options(x, NULL);
        int r = bw_cmd_revert(which, which == NULL, &o, out);
        fclose(out);
        free(text);
        return r;
}

static void install_id(const char *ws, char out[17]) {
        uint8_t d[32];
        bw_sha256(ws, strlen(ws), d);
        bw_hex(d, 8, out);
}

static int account_cmp(const void *a, const void *b) {
        const struct fake_account *p = a, *q = b;
        int c = strcmp(p->name, q->name);
        return c ? c : p->group - q->group;
}

static int object_cmp(const void *a, const void *b) {
        return strcmp(((const struct fake_object *) a)->path, ((const struct fake_object *) b)->path);
}

/* The machine as it was: the same accounts, filter, runner, and every object's entries byte for
 * byte. */
static void assert_same_machine(const struct fake_state *want, const struct fake_state *now_in) {
        struct fake_state w = *want, n = *now_in;
        qsort(w.acc, w.n_acc, sizeof(w.acc[0]), account_cmp);
        qsort(n.acc, n.n_acc, sizeof(n.acc[0]), account_cmp);
        for (size_t i = 0; i < n.n_acc; i++)
                if (i >= w.n_acc || strcmp(n.acc[i].name, w.acc[i].name) != 0)
                        fail_msg("account %s is left over", n.acc[i].name);
        assert_int_equal(n.n_acc, w.n_acc);
        assert_int_equal(n.fw_present, w.fw_present);
        assert_int_equal(n.runner_current, w.runner_current);
        qsort(w.obj, w.n_obj, sizeof(w.obj[0]), object_cmp);
        qsort(n.obj, n.n_obj, sizeof(n.obj[0]), object_cmp);
        assert_int_equal(n.n_obj, w.n_obj);
        for (size_t i = 0; i < n.n_obj; i++) {
                const struct fake_object *a = &w.obj[i], *b = &n.obj[i];
                assert_string_equal(b->path, a->path);
                if (b->access_len != a->access_len || memcmp(b->access, a->access, a->access_len) != 0)
                        fail_msg("%s: its access ACL is not as before", b->path);
                if (b->dflt_len != a->dflt_len || memcmp(b->dflt, a->dflt, a->dflt_len) != 0)
                        fail_msg("%s: its default ACL is not as before", b->path);
        }
}

/* The write group of a workspace, as the engine names it. */
static void write_group(const char *ws, char out[16]) {
        uint8_t d[32];
        char hex[9];
        bw_sha256(ws, strlen(ws), d);
        bw_hex(d, 4, hex);
        snprintf(out, 16, "bw-w-%s", hex);
}

static void test_plan_changes_nothing(void **state) {
        struct fixture *x = *state;
        char *text = NULL;
        assert_int_equal(plan(x, "/home/ann/proj", &text), 2); /* there are differences */
        assert_non_null(strstr(text, "+ user   bw-off-ann"));
        assert_non_null(strstr(text, "+ acl    /home/ann/proj "));
        assert_non_null(strstr(text, "+ nft "));
        free(text);
        assert_int_equal(x->f->n_log, 0); /* the dry run wrote nothing */
        assert_same_machine(&x->s0, &x->f->st);
        struct stat st;
        char p[4300];
        snprintf(p, sizeof(p), "%s/installs", x->state);
        assert_true(stat(p, &st) < 0); /* and made no state */
}

static void test_apply_reapply_revert(void **state) {
        struct fixture *x = *state;
        struct fake_backend *f = x->f;
        char *text = NULL, wg[16], id[17];
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        free(text);
        write_group("/home/ann/proj", wg);
        install_id("/home/ann/proj", id);
        char rg[32];
        snprintf(rg, sizeof(rg), "bw-r-%s", id);
        /* accounts, the filter, the runner, the entries */
        assert_true(fake_has_account(f, "bw-off-ann"));
        assert_true(fake_has_account(f, wg));
        assert_int_equal(fake_log_count(f, "W create group "), 2); /* the read group and the write group */
        assert_true(f->st.fw_present);
        bool offline_in_set = false;
        for (size_t i = 0; i < f->st.n_fw_ids; i++)
                offline_in_set |= f->st.fw_ids[i] == fake_id(f, "bw-off-ann");
        assert_true(offline_in_set);
        assert_true(f->st.runner_current);
        assert_true(fake_acl_names(fake_object(f, "/home/ann/proj/a.c"), false, BW_ACL_GROUP, fake_id(f, wg)));
        assert_true(fake_acl_names(fake_object(f, "/home/ann/proj/sub"), true, BW_ACL_GROUP, fake_id(f, wg)));
        assert_int_equal(fake_object(f, "/home/ann/other/c.c")->access_len, 0); /* not in the plan */
        /* the 0700 home: the read group may traverse it, nothing more */
        assert_true(fake_acl_names(fake_object(f, "/home/ann"), false, BW_ACL_GROUP, fake_id(f, rg)));
        assert_int_equal(fake_log_count(f, "W traverse /home/ann"), 1);
        assert_int_equal(fake_log_count(f, "W traverse /home "), 0); /* 0755: others traverse already */
        assert_int_equal(f->n_audit, 1);
        assert_non_null(strstr(f->audit[0], "\"action\":\"apply\""));

        /* apply twice: the second changes nothing, writes nothing */
        fake_log_clear(f);
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        assert_non_null(strstr(text, "bulwark: 0 to add, 0 to change, 0 to remove"));
        free(text);
        assert_int_equal(fake_log_count(f, "W "), 0);
        assert_int_equal(plan(x, "/home/ann/proj", &text), 0);
        free(text);

        /* revert: exactly the machine before */
        assert_int_equal(revert(x, NULL), 0);
        assert_same_machine(&x->s0, &f->st);
        assert_true(fake_log_count(f, "W restore /home/ann/proj/a.c access") == 1);
        assert_int_equal(fake_log_count(f, "W fw remove"), 1);
        assert_int_equal(fake_log_count(f, "W runner restore"), 1);
        assert_int_equal(f->n_audit, 3); /* apply, apply, revert */
}

static int status(const struct fixture *x, bool json, char **text) {
        size_t len;
        FILE *out = open_memstream(text, &len);
        struct bw_engine_options o = options(x, NULL);
        o.json = json;
        int r = bw_cmd_status(&o, out);
        fclose(out);
        return r;
}

/* An installed workspace removed afterwards is not "in force": status says it is gone and to revert
 * it (exit 2, drift); an installation whose workspace is there is unaffected. */
static void test_status_workspace_gone(void **state) {
        struct fixture *x = *state;
        struct fake_backend *f = x->f;
        char *text = NULL, id[17];
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        free(text);
        assert_int_equal(status(x, false, &text), 0);
        assert_non_null(strstr(text, ": in force"));
        free(text);
        /* rm -r /home/ann/proj */
        size_t k = 0;
        for (size_t i = 0; i < f->st.n_obj; i++)
                if (!bw_path_is_within(f->st.obj[i].path, "/home/ann/proj"))
                        f->st.obj[k++] = f->st.obj[i];
        assert_int_equal(f->st.n_obj - k, 4);
        f->st.n_obj = k;
        install_id("/home/ann/proj", id);
        char want[512];
        snprintf(want, sizeof(want),
                 "WORKSPACE GONE: /home/ann/proj no longer exists, so this plan protects nothing; revert its "
                 "installation (%s), saying where it went: bulwark revert /home/ann/proj --moved-to NEW-PATH, or "
                 "bulwark revert /home/ann/proj --deleted",
                 id);
        assert_int_equal(status(x, false, &text), 2);
        assert_non_null(strstr(text, want));
        assert_null(strstr(text, "in force"));
        free(text);
        assert_int_equal(status(x, true, &text), 2);
        assert_non_null(strstr(text, "\"workspace_missing\":true"));
        assert_non_null(strstr(text, "\"compliant\":false"));
        free(text);
        assert_int_equal(revert(x, id), 0);
        assert_int_equal(status(x, false, &text), 0);
        free(text);
}

/* Two installations of one user share the sandbox users; each has its own write group. */
static void test_refcount_two_installations(void **state) {
        struct fixture *x = *state;
        struct fake_backend *f = x->f;
        char *text = NULL, wg1[16], wg2[16], id1[17], id2[17];
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        free(text);
        assert_int_equal(apply(x, "/home/ann/other", &text), 0);
        free(text);
        write_group("/home/ann/proj", wg1);
        write_group("/home/ann/other", wg2);
        install_id("/home/ann/proj", id1);
        install_id("/home/ann/other", id2);
        assert_int_equal(fake_log_count(f, "W create user bw-off-ann"), 1); /* once, shared */
        assert_true(fake_has_account(f, wg1) && fake_has_account(f, wg2));

        fake_log_clear(f);
        assert_int_equal(revert(x, id1), 0);
        assert_true(fake_has_account(f, "bw-off-ann")); /* still used by the other installation */
        assert_false(fake_has_account(f, wg1));         /* no one's any more */
        assert_true(fake_has_account(f, wg2));
        char rg1[32];
        snprintf(rg1, sizeof(rg1), "bw-r-%s", id1);
        assert_false(fake_has_account(f, rg1));
        assert_true(f->st.fw_present);
        assert_int_equal(fake_object(f, "/home/ann/proj/a.c")->access_len, 0);
        assert_true(fake_acl_names(fake_object(f, "/home/ann/other/c.c"), false, BW_ACL_GROUP, fake_id(f, wg2)));
        assert_int_equal(fake_log_count(f, "W fw remove"), 0);

        assert_int_equal(revert(x, id2), 0);
        assert_false(fake_has_account(f, "bw-off-ann"));
        assert_same_machine(&x->s0, &f->st);
}

/* A workspace inside another of the same user: the inner one, applied second, recorded the outer
 * one's entries as "before" on the objects they share. Reverting the outer one first must drop
 * those records (re-applying the inner one records the originals), or the last revert would put
 * the outer installation's entries back. */
static void nested(void **state, bool outer_first) {
        struct fixture *x = *state;
        struct fake_backend *f = x->f;
        char *text = NULL, wg_out[16], wg_in[16], id_out[17], id_in[17];
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        free(text);
        assert_int_equal(apply(x, "/home/ann/proj/sub", &text), 0);
        free(text);
        write_group("/home/ann/proj", wg_out);
        write_group("/home/ann/proj/sub", wg_in);
        install_id("/home/ann/proj", id_out);
        install_id("/home/ann/proj/sub", id_in);
        const struct fake_object *b = fake_object(f, "/home/ann/proj/sub/b.c");
        assert_true(fake_acl_names(b, false, BW_ACL_GROUP, fake_id(f, wg_in)));
        uint32_t out_gid = fake_id(f, wg_out);
        /* (the outer group's entry stays: it is not the inner installation's to manage) */
        assert_true(fake_acl_names(b, false, BW_ACL_GROUP, out_gid));

        assert_int_equal(revert(x, outer_first ? id_out : id_in), 0);
        b = fake_object(f, "/home/ann/proj/sub/b.c");
        if (outer_first) {
                /* the inner installation is in force again, and its journal holds the originals */
                assert_true(fake_acl_names(b, false, BW_ACL_GROUP, fake_id(f, wg_in)));
                assert_false(fake_acl_names(b, false, BW_ACL_GROUP, out_gid));
                assert_false(fake_has_account(f, wg_out));
                char jpath[64];
                snprintf(jpath, sizeof(jpath), "installs/%s/journal", id_in);
                int sfd = open(x->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                assert_true(sfd >= 0);
                uint8_t *data = NULL;
                struct bw_journal_record *recs = NULL;
                size_t n = 0;
                uint64_t bad = 0;
                assert_int_equal(bw_journal_read(sfd, jpath, &data, &recs, &n, &bad), 0);
                for (size_t i = 0; i < n; i++) {
                        struct bw_journal_acl a;
                        struct bw_acl before;
                        if (recs[i].type != BW_JOURNAL_ACL ||
                            bw_journal_acl_decode(recs[i].payload, recs[i].len, &a) < 0)
                                continue;
                        if (!a.had_before || bw_acl_decode(a.before, a.before_len, &before) < 0)
                                continue;
                        for (unsigned k = 0; k < before.n; k++)
                                if (before.e[k].tag == BW_ACL_GROUP && before.e[k].id == out_gid)
                                        fail_msg("the inner journal still holds the outer installation's entries "
                                                 "as the state before (%.*s)",
                                                 (int) a.rel_len, a.rel);
                }
                free(recs);
                free(data);
                close(sfd);
        } else {
                /* the outer installation's entries are back on the inner objects */
                assert_true(fake_acl_names(b, false, BW_ACL_GROUP, out_gid));
                assert_false(fake_has_account(f, wg_in));
        }
        assert_int_equal(revert(x, NULL), 0);
        assert_same_machine(&x->s0, &f->st);
}

static void test_nested_outer_reverted_first(void **state) {
        nested(state, true);
}

static void test_nested_inner_reverted_first(void **state) {
        nested(state, false);
}

struct progress {
        unsigned calls;
        uint64_t seen, changed;
};

static void on_progress(void *ctx, uint64_t seen, uint64_t changed) {
        struct progress *p = ctx;
        p->calls++;
        p->seen = seen;
        p->changed = changed;
}

/* color: ANSI on the change lines and a bold summary, nothing else different; the progress hook
 * sees the walk's objects. */
static void test_color_and_progress(void **state) {
        struct fixture *x = *state;
        char *plain = NULL, *colored = NULL;
        struct bw_engine_options o = options(x, "/home/ann/proj");
        struct progress pr = {0};
        o.progress = on_progress;
        o.progress_ctx = &pr;
        assert_int_equal(plan_with(x, &o, &plain), 2);
        assert_null(strchr(plain, '\033'));
        assert_true(pr.calls >= 1);
        assert_int_equal(pr.seen, 4); /* proj, a.c, sub, sub/b.c */
        o.color = true;
        o.progress = NULL;
        assert_int_equal(plan_with(x, &o, &colored), 2);
        assert_true(strncmp(colored, "\033[1mbulwark: ", 11) == 0);
        assert_non_null(strstr(colored, "\033[32m+ user   bw-off-ann"));
        /* without the escapes, the same text */
        char *strip = strdup(colored), *w = strip;
        assert_non_null(strip);
        for (const char *c = colored; *c;) {
                if (*c == '\033') {
                        c = strchr(c, 'm') + 1;
                        continue;
                }
                *w++ = *c++;
        }
        *w = 0;
        assert_string_equal(strip, plain);
        free(strip);
        free(plain);
        free(colored);
}

/* A backend whose roots need no groups of their own (Windows): none is made or named, and revert
 * still gives back the machine. */
static void test_no_write_groups(void **state) {
        struct fixture *x = *state;
        x->f->ops.write_groups = false;
        char *text = NULL, wg[16];
        assert_int_equal(apply(x, "/home/ann/proj", &text), 0);
        free(text);
        write_group("/home/ann/proj", wg);
        assert_false(fake_has_account(x->f, wg));
        assert_int_equal(fake_log_count(x->f, "W create group "), 1); /* the read group only */
        assert_true(fake_has_account(x->f, "bw-off-ann"));
        assert_int_equal(revert(x, NULL), 0);
        assert_same_machine(&x->s0, &x->f->st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_plan_changes_nothing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_apply_reapply_revert, setup, teardown),
                cmocka_unit_test_setup_teardown(test_status_workspace_gone, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refcount_two_installations, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_outer_reverted_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_nested_inner_reverted_first, setup, teardown),
                cmocka_unit_test_setup_teardown(test_color_and_progress, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_write_groups, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
