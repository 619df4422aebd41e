/* SPDX-License-Identifier: MIT */
/*
 * The threaded ACL walk (enforcer/linux/acl_tree.c) on a real tree, without root: the owner of a
 * file may set any ACL on it, naming ids that no account has. Several threads converge a tree of
 * directories and files with a protected .git at two depths; the result must equal a one-thread
 * walk of an identical tree, a second walk must change nothing, and a dry run after it must see
 * nothing to do. CI also runs this test in a ThreadSanitizer build (scripts/test.sh).
 */
#include "testutil.h"

#include "acl_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_ACCESS "system.posix_acl_access"
#define XATTR_DEFAULT "system.posix_acl_default"

enum { DIRS = 12, FILES = 25 };

struct fixture {
        char *tmp;
        uint8_t *bytes;
        size_t size;
        struct bw_plan plan;
        void *aligned;
        bool no_acls; /* the file system here has no POSIX ACLs: the test skips */
};

struct counter {
        pthread_mutex_t lock;
        uint64_t changes, batches;
};

static int count_batch(void *userdata, const struct bw_acl_change *c, size_t n) {
        struct counter *k = userdata;
        (void) c;
        pthread_mutex_lock(&k->lock);
        k->changes += n;
        k->batches++;
        pthread_mutex_unlock(&k->lock);
        return 0;
}

static void make_tree(const char *root) {
        char p[4096];
        assert_int_equal(mkdir(root, 0755), 0);
        for (int d = 0; d < DIRS; d++) {
                snprintf(p, sizeof(p), "%s/d%02d", root, d);
                assert_int_equal(mkdir(p, 0755), 0);
                snprintf(p, sizeof(p), "%s/d%02d/sub", root, d);
                assert_int_equal(mkdir(p, 0700), 0);
                for (int f = 0; f < FILES; f++) {
                        snprintf(p, sizeof(p), "%s/d%02d/%s%02d", root, d, f % 2 ? "sub/f" : "f", f);
                        int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f % 3 ? 0644 : 0755);
                        assert_true(fd >= 0);
                        close(fd);
                }
        }
        /* protected at the top and deeper down */
        snprintf(p, sizeof(p), "%s/.git", root);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/.git/config", root);
        close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        snprintf(p, sizeof(p), "%s/d03/sub/.git", root);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(p, sizeof(p), "%s/d03/sub/.git/HEAD", root);
        close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        /* left alone: a symlink (never followed) and a hard-linked file */
        snprintf(p, sizeof(p), "%s/link", root);
        assert_int_equal(symlink("/etc/passwd", p), 0);
        char q[4096];
        snprintf(q, sizeof(q), "%s/d00/f00", root);
        snprintf(p, sizeof(p), "%s/d00/hard", root);
        assert_int_equal(link(q, p), 0);
}

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->tmp = bw_test_mkdtemp();
        /* POSIX ACLs where the test runs? (tmpfs and ext4 have them; some file systems do not)
         * Probed by writing the directory's own mode as an ACL, which changes nothing. */
        struct stat st;
        assert_int_equal(stat(f->tmp, &st), 0);
        struct bw_acl minimal;
        uint8_t bytes[64];
        bw_acl_from_mode(st.st_mode, &minimal);
        size_t n = bw_acl_encode(&minimal, bytes, sizeof(bytes));
        if (setxattr(f->tmp, XATTR_ACCESS, bytes, n, 0) < 0) {
                fprintf(stderr, "SKIP test_acl_tree: %s has no POSIX ACLs (%s)\n", f->tmp, strerror(errno));
                f->no_acls = true;
                *state = f;
                return 0;
        }
        struct passwd *pw = getpwuid(getuid());
        assert_non_null(pw);
        char ws[4096];
        snprintf(ws, sizeof(ws), "%s/a", f->tmp);
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = NULL}};
        /* bound at apply time: the plan keeps ${workspace} symbolic, as a fleet plan would */
        bw_test_plan_bytes(f->tmp,
                           "bulwark: 1\nfilesystem:\n  writable:\n    - ${workspace}\n  read_only:\n"
                           "    - glob: \"${workspace}/**/*.pem\"\nnetwork: off\n",
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

/* The rules bound to workspace ROOT, with made-up ids for the principals (the real user: us). */
static void policy_for(struct fixture *f, const char *root, struct bw_tree_policy *tp) {
        struct passwd *pw = getpwuid(getuid());
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = root,
                                          [BW_VAR_HOME] = f->tmp,
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = pw->pw_name}};
        int64_t ids[32];
        for (uint32_t i = 0; i < 32; i++)
                ids[i] = i < f->plan.n_principals && f->plan.principals[i].kind == BW_PRINCIPAL_REAL_USER
                                 ? (int64_t) getuid()
                                 : 61000 + i;
        char err[512] = "";
        assert_int_equal(bw_tree_policy_init(tp, &f->plan, &b, ids, err, sizeof(err)), 0);
}

static uint64_t converge(struct fixture *f, const char *root, unsigned threads, bool dry_run, uint64_t *regions_below) {
        struct bw_tree_policy tp;
        policy_for(f, root, &tp);
        struct counter k = {.lock = PTHREAD_MUTEX_INITIALIZER};
        struct bw_acl_region *regions = NULL;
        struct bw_tree_options o = {
                .dry_run = dry_run, .threads = threads, .on_batch = count_batch, .userdata = &k, .regions = &regions};
        struct bw_tree_stats st = {0};
        assert_int_equal(bw_tree_converge(&tp, root, &o, &st), 0);
        assert_int_equal(st.errors, 0);
        assert_int_equal(k.changes, st.changed);
        uint64_t n = 0;
        for (struct bw_acl_region *g = regions; g; g = g->next)
                n += 1 + atomic_load(&g->below);
        if (regions_below)
                *regions_below = n;
        bw_acl_regions_free(regions);
        bw_tree_policy_done(&tp);
        return st.changed;
}

/* Both ACLs of every object, as one text: "rel access default" lines in name order. */
static void dump(const char *root, const char *rel, FILE *out) {
        char p[4096];
        snprintf(p, sizeof(p), "%s%s%s", root, rel[0] ? "/" : "", rel);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        if (S_ISLNK(st.st_mode))
                return;
        static const char *const attrs[] = {XATTR_ACCESS, XATTR_DEFAULT};
        fprintf(out, "%s", rel);
        for (int i = 0; i < 2; i++) {
                uint8_t buf[1024];
                ssize_t n = getxattr(p, attrs[i], buf, sizeof(buf));
                fprintf(out, " ");
                for (ssize_t k = 0; k < n; k++)
                        fprintf(out, "%02x", buf[k]);
        }
        fprintf(out, "\n");
        if (!S_ISDIR(st.st_mode))
                return;
        struct dirent **names;
        int n = scandir(p, &names, NULL, alphasort);
        assert_true(n >= 0);
        for (int i = 0; i < n; i++) {
                if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
                        char sub[4096];
                        snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", names[i]->d_name);
                        dump(root, sub, out);
                }
                free(names[i]);
        }
        free(names);
}

static char *dump_tree(const char *root) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        assert_non_null(out);
        dump(root, "", out);
        fclose(out);
        return text;
}

static void test_threads_match_one_thread_and_apply_twice(void **state) {
        struct fixture *f = *state;
        if (f->no_acls)
                skip();
        char a[4096], b[4096];
        snprintf(a, sizeof(a), "%s/a", f->tmp);
        snprintf(b, sizeof(b), "%s/b", f->tmp);
        make_tree(a);
        make_tree(b);

        /* a dry run counts what a real run then changes; its report's regions cover every changed
         * object: the root, 2*DIRS directories, 2 .git directories with a file in each, and the
         * DIRS*FILES files but d00/f00, whose second name d00/hard makes both names hard links that
         * are left alone (an access ACL each, directories a default one too) */
        uint64_t in_regions = 0;
        uint64_t would = converge(f, a, 4, true, &in_regions);
        uint64_t dirs = 1 + 2 * DIRS + 2, files = DIRS * FILES - 1 + 2;
        assert_int_equal(in_regions, dirs + files);
        assert_int_equal(would, 2 * dirs + files);
        char *untouched = dump_tree(a);

        uint64_t four = converge(f, a, 4, false, NULL);
        uint64_t one = converge(f, b, 1, false, NULL);
        assert_int_equal(four, would);
        assert_int_equal(one, four);
        char *ta = dump_tree(a), *tb = dump_tree(b);
        assert_string_not_equal(ta, untouched);
        assert_string_equal(ta, tb);
        /* a hard-linked file may be another name of a file outside the root: left alone, also when
         * the walk reaches it right after a changed file (it opens such a next file straight away) */
        char hard[4200];
        snprintf(hard, sizeof(hard), "%s/d00/hard", a);
        assert_true(getxattr(hard, XATTR_ACCESS, NULL, 0) < 0 && errno == ENODATA);
        snprintf(hard, sizeof(hard), "%s/d00/f00", b);
        assert_true(getxattr(hard, XATTR_ACCESS, NULL, 0) < 0 && errno == ENODATA);

        /* applying twice changes nothing the second time, with any number of threads */
        assert_int_equal(converge(f, a, 4, false, NULL), 0);
        assert_int_equal(converge(f, b, 8, false, NULL), 0);
        assert_int_equal(converge(f, a, 3, true, NULL), 0);
        char *again = dump_tree(a);
        assert_string_equal(again, ta);
        free(untouched);
        free(ta);
        free(tb);
        free(again);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_threads_match_one_thread_and_apply_twice, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
