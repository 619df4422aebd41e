/* SPDX-License-Identifier: MIT */
/*
 * The walk's progress hook (bw_tree_options.progress, which `bulwark apply` draws its progress
 * line from): called one thread at a time, never more often than every 0.1 s (plus once at the
 * end of the root), with counts that only grow and end at the walk's own totals. Run by the
 * ThreadSanitizer gate too (several walking threads report through shared counters).
 */
#include "testutil.h"

#include "acl_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

enum { DIRS = 60, FILES = 40 };

struct fixture {
        char *tmp, root[4096];
        uint8_t *bytes;
        size_t size;
        void *aligned;
        struct bw_plan plan;
        bool no_acls;
};

struct seen {
        atomic_int inside; /* a call in progress: two at once is a failure */
        unsigned calls;
        uint64_t last_seen, last_changed;
        bool went_back, overlapped;
};

static void on_progress(void *ctx, uint64_t objects_seen, uint64_t objects_changed) {
        struct seen *s = ctx;
        if (atomic_fetch_add(&s->inside, 1) != 0)
                s->overlapped = true;
        if (objects_seen < s->last_seen || objects_changed < s->last_changed)
                s->went_back = true;
        s->last_seen = objects_seen;
        s->last_changed = objects_changed;
        s->calls++;
        struct timespec ts = {0, 2000000}; /* 2 ms: let other threads try to report meanwhile */
        nanosleep(&ts, NULL);
        atomic_fetch_sub(&s->inside, 1);
}

static int no_batch(void *userdata, const struct bw_acl_change *c, size_t n) {
        (void) userdata, (void) c, (void) n;
        return 0;
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->tmp = bw_test_mkdtemp();
        struct stat st;
        struct bw_acl minimal;
        uint8_t b[64];
        assert_int_equal(stat(f->tmp, &st), 0);
        bw_acl_from_mode(st.st_mode, &minimal);
        if (setxattr(f->tmp, "system.posix_acl_access", b, bw_acl_encode(&minimal, b, sizeof(b)), 0) < 0) {
                fprintf(stderr, "SKIP test_walk_progress: %s has no POSIX ACLs (%s)\n", f->tmp, strerror(errno));
                f->no_acls = true;
                *state = f;
                return 0;
        }
        snprintf(f->root, sizeof(f->root), "%s/ws", f->tmp);
        assert_int_equal(mkdir(f->root, 0755), 0);
        char p[4200];
        for (int d = 0; d < DIRS; d++) {
                snprintf(p, sizeof(p), "%s/d%02d", f->root, d);
                assert_int_equal(mkdir(p, 0755), 0);
                for (int i = 0; i < FILES; i++) {
                        snprintf(p, sizeof(p), "%s/d%02d/f%02d", f->root, d, i);
                        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                        assert_true(fd >= 0);
                        close(fd);
                }
        }
        struct bw_bindings bb = {.value = {NULL}};
        bw_test_plan_bytes(f->tmp, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\nnetwork: off\n", &bb, true,
                           &f->bytes, &f->size);
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

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void walk(struct fixture *f, bool dry_run, struct seen *s, struct bw_tree_stats *st) {
        struct passwd *pw = getpwuid(getuid());
        assert_non_null(pw);
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = f->root,
                                          [BW_VAR_HOME] = f->tmp,
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = pw->pw_name}};
        int64_t ids[32];
        for (uint32_t i = 0; i < 32; i++)
                ids[i] = f->plan.principals[i < f->plan.n_principals ? i : 0].kind == BW_PRINCIPAL_REAL_USER
                                 ? (int64_t) getuid()
                                 : 61000 + i;
        struct bw_tree_policy tp;
        char err[512] = "";
        assert_int_equal(bw_tree_policy_init(&tp, &f->plan, &b, ids, err, sizeof(err)), 0);
        struct bw_tree_options o = {
                .dry_run = dry_run, .threads = 4, .on_batch = no_batch, .progress = on_progress, .progress_ctx = s};
        double t0 = now_s();
        assert_int_equal(bw_tree_converge(&tp, f->root, &o, st), 0);
        double elapsed = now_s() - t0;
        bw_tree_policy_done(&tp);
        assert_true(s->calls >= 1);
        assert_false(s->overlapped);
        assert_false(s->went_back);
        /* the last report is the walk's own totals */
        assert_int_equal(s->last_seen, st->objects);
        assert_int_equal(s->last_changed, st->changed);
        /* at most one report per 0.1 s, and the final one */
        assert_true(s->calls <= (unsigned) (elapsed / 0.1) + 2);
}

static void test_progress(void **state) {
        struct fixture *f = *state;
        if (f->no_acls)
                skip();
        struct seen s1 = {0}, s2 = {0};
        struct bw_tree_stats st1 = {0}, st2 = {0};
        walk(f, false, &s1, &st1);
        assert_int_equal(st1.objects, 1 + DIRS + DIRS * FILES);
        assert_true(st1.changed >= st1.objects); /* (counted per ACL: directories have two) */
        walk(f, false, &s2, &st2);               /* again: everything seen, nothing changed */
        assert_int_equal(st2.objects, st1.objects);
        assert_int_equal(s2.last_changed, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_progress, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
