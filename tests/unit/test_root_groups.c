/* SPDX-License-Identifier: MIT */
/*
 * Issue #12 in the ACL walk, without root (the owner of a file may set any ACL on it): each
 * object gets the write group of the writable root whose rule decides it (nested roots: the inner
 * one's), and what a file created afterwards inherits is not a change, unless its mode narrowed
 * the mask below what the plan grants there.
 */
#include "testutil.h"

#include "acl_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_ACCESS "system.posix_acl_access"

enum { OUTER_GID = 62001, INNER_GID = 62002 };

struct fixture {
        char *tmp, ws[4096], inner[4096];
        uint8_t *bytes;
        size_t size;
        void *aligned;
        struct bw_plan plan;
        bool skip;
};

static void touch(const char *dir, const char *name, mode_t mode) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        close(fd);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->tmp = bw_test_mkdtemp();
        snprintf(f->ws, sizeof(f->ws), "%s/ws", f->tmp);
        snprintf(f->inner, sizeof(f->inner), "%s/ws/inner", f->tmp);
        assert_int_equal(mkdir(f->ws, 0755), 0);
        assert_int_equal(mkdir(f->inner, 0755), 0);
        touch(f->ws, "a.c", 0644);
        touch(f->inner, "b.c", 0644);
        struct stat st;
        struct bw_acl minimal;
        uint8_t bytes[64];
        assert_int_equal(stat(f->ws, &st), 0);
        bw_acl_from_mode(st.st_mode, &minimal);
        if (setxattr(f->ws, XATTR_ACCESS, bytes, bw_acl_encode(&minimal, bytes, sizeof(bytes)), 0) < 0) {
                fprintf(stderr, "SKIP test_root_groups: %s has no POSIX ACLs (%s)\n", f->tmp, strerror(errno));
                f->skip = true;
                *state = f;
                return 0;
        }
        struct bw_bindings b = {.value = {NULL}};
        bw_test_plan_bytes(f->tmp,
                           "bulwark: 1\nfilesystem:\n  writable:\n    - ${workspace}\n    - ${workspace}/inner\n"
                           "network: off\n",
                           &b, true, &f->bytes, &f->size);
        assert_int_equal(posix_memalign(&f->aligned, BW_PLAN_ALIGN, f->size), 0);
        memcpy(f->aligned, f->bytes, f->size);
        struct bw_plan_error err = {0};
        assert_int_equal(bw_plan_parse(f->aligned, f->size, 0, &f->plan, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        bw_test_rmtree(f->tmp);
        free(f->tmp);
        free(f->bytes);
        free(f->aligned);
        free(f);
        return 0;
}

/* Converge the workspace with the roots' groups set; returns the objects changed. */
static uint64_t converge(struct fixture *f, bool dry_run) {
        struct passwd *pw = getpwuid(getuid());
        assert_non_null(pw);
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = f->ws,
                                          [BW_VAR_HOME] = f->tmp,
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = pw->pw_name}};
        int64_t ids[32];
        for (uint32_t i = 0; i < 32; i++)
                ids[i] = i < f->plan.n_principals && f->plan.principals[i].kind == BW_PRINCIPAL_REAL_USER
                                 ? (int64_t) getuid()
                                 : 61000 + i;
        struct bw_tree_policy tp;
        char err[512] = "";
        assert_int_equal(bw_tree_policy_init(&tp, &f->plan, &b, ids, err, sizeof(err)), 0);
        int64_t *gids = calloc(f->plan.n_rules + 1, sizeof(*gids));
        assert_non_null(gids);
        for (uint32_t i = 0; i < f->plan.n_rules; i++) {
                char *bound = NULL;
                gids[i] = -1;
                if (f->plan.rules[i].kind == BW_RULE_WRITABLE &&
                    bw_template_bind(bw_plan_string(&f->plan, f->plan.rules[i].text), BW_TEMPLATE_PATH, &b, &bound,
                                     NULL) == 0)
                        gids[i] = bw_streq(bound, f->inner) ? INNER_GID : bw_streq(bound, f->ws) ? OUTER_GID : -1;
                free(bound);
        }
        assert_int_equal(bw_tree_policy_set_root_groups(&tp, gids, f->plan.n_rules), 0);
        free(gids);
        struct bw_tree_options o = {.dry_run = dry_run, .threads = 2};
        struct bw_tree_stats st = {0};
        assert_int_equal(bw_tree_converge(&tp, f->ws, &o, &st), 0);
        assert_int_equal(st.errors, 0);
        bw_tree_policy_done(&tp);
        return st.changed;
}

/* The group entry of an object's access ACL with id, and its permissions (-1: none). */
static int group_entry(const char *dir, const char *name, uint32_t id) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/%s", dir, name);
        uint8_t buf[512];
        ssize_t n = getxattr(p, XATTR_ACCESS, buf, sizeof(buf));
        struct bw_acl a;
        if (n <= 0 || bw_acl_decode(buf, (size_t) n, &a) < 0)
                return -1;
        for (unsigned i = 0; i < a.n; i++)
                if (a.e[i].tag == BW_ACL_GROUP && a.e[i].id == id)
                        return a.e[i].perm;
        return -1;
}

static void test_group_per_root(void **state) {
        struct fixture *f = *state;
        if (f->skip)
                skip();
        assert_true(converge(f, false) > 0);
        assert_int_equal(group_entry(f->ws, "a.c", OUTER_GID), BW_PERM_R | BW_PERM_W);
        assert_int_equal(group_entry(f->ws, "a.c", INNER_GID), -1);
        /* the inner root's objects carry the inner root's group only */
        assert_int_equal(group_entry(f->inner, "b.c", INNER_GID), BW_PERM_R | BW_PERM_W);
        assert_int_equal(group_entry(f->inner, "b.c", OUTER_GID), -1);
        assert_int_equal(group_entry(f->ws, "inner", INNER_GID), BW_PERM_R | BW_PERM_W | BW_PERM_X);
        /* apply twice: nothing the second time */
        assert_int_equal(converge(f, false), 0);
}

static void test_inherited_is_not_a_change(void **state) {
        struct fixture *f = *state;
        if (f->skip)
                skip();
        converge(f, false);
        /* made afterwards, under the default ACLs: what inheritance gives is what the plan implies */
        touch(f->ws, "new.c", 0666);
        touch(f->inner, "new.c", 0600); /* created 0600: its mask is --- */
        char p[4200];
        snprintf(p, sizeof(p), "%s/newdir", f->inner);
        assert_int_equal(mkdir(p, 0777), 0);
        touch(p, "deep.c", 0666);
        assert_int_equal(group_entry(f->ws, "new.c", OUTER_GID), BW_PERM_R | BW_PERM_W | BW_PERM_X);
        /* ...but a 0600 file's mask keeps the group out: what the plan grants there is not granted */
        uint64_t changed = converge(f, true);
        assert_int_equal(changed, 1);
        snprintf(p, sizeof(p), "%s/new.c", f->inner);
        assert_int_equal(chmod(p, 0660), 0);
        assert_int_equal(converge(f, true), 0);
        /* a real difference still is one */
        snprintf(p, sizeof(p), "%s/new.c", f->ws);
        assert_int_equal(removexattr(p, XATTR_ACCESS), 0);
        assert_int_equal(converge(f, true), 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_group_per_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_inherited_is_not_a_change, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
