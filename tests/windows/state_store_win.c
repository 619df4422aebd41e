/* SPDX-License-Identifier: MIT */
/*
 * The state directory's file operations as the engine makes them (openat, mkdirat, renameat,
 * unlinkat, fdopendir beneath a directory fd; the journal; the bindings; open_memstream), run
 * natively on Linux and, in the cross build, under Wine through libbulwark/compat.h's Windows
 * shims: the same test, the same expectations. Wine's file I/O is real (the files land on the
 * Linux file system), so this proves the shims' semantics; not ACLs or anything else of security.
 */
#include "install_bindings.h"
#include "journal.h"
#include "util.h"

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

static char dir[512];
static int dfd = -1;

static int setup(void **state) {
        (void) state;
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : getenv("TEMP") ? getenv("TEMP") : "/tmp";
        snprintf(dir, sizeof(dir), "%s/bw-state-XXXXXX", tmp);
        if (!mkdtemp(dir))
                return -1;
        dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return dfd < 0 ? -1 : 0;
}

static void rm_tree(int fd, const char *name) {
        if (unlinkat(fd, name, 0) == 0)
                return;
        int sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = sub < 0 ? NULL : fdopendir(sub);
        char names[64][256];
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d)) && n < 64;)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
        if (d)
                closedir(d);
        char p[600];
        for (size_t i = 0; i < n; i++) {
                int w = snprintf(p, sizeof(p), "%s/%s", name, names[i]);
                if (w < 0 || (size_t) w >= sizeof(p))
                        continue; /* deeper than this test ever makes: left for the tmpdir's removal */
                rm_tree(fd, p);
        }
        unlinkat(fd, name, AT_REMOVEDIR);
}

static int teardown(void **state) {
        (void) state;
        DIR *d = fdopendir(dfd); /* takes dfd */
        char list[64][256];
        size_t n = 0;
        for (struct dirent *e; d && (e = readdir(d)) && n < 64;)
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                        snprintf(list[n++], sizeof(list[0]), "%s", e->d_name);
        if (d)
                closedir(d);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        for (size_t i = 0; i < n; i++)
                rm_tree(fd, list[i]);
        close(fd);
        rmdir(dir);
        return 0;
}

static int write_at(int fd, const char *name, const char *text) {
        int f = openat(fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (f < 0)
                return -errno;
        ssize_t n = write(f, text, strlen(text));
        close(f);
        return n == (ssize_t) strlen(text) ? 0 : -EIO;
}

static void read_at(int fd, const char *name, char *buf, size_t size) {
        int f = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        assert_true(f >= 0);
        ssize_t n = read(f, buf, size - 1);
        close(f);
        assert_true(n >= 0);
        buf[n] = 0;
}

/* The installation layout: mkdirat, files beneath, replace by renameat, list, remove. */
static void test_layout(void **state) {
        (void) state;
        char buf[64];
        assert_int_equal(mkdirat(dfd, "installs", 0755), 0);
        assert_int_equal(mkdirat(dfd, "installs/0123456789abcdef", 0755), 0);
        assert_int_equal(mkdirat(dfd, "installs", 0755), -1);
        assert_int_equal(errno, EEXIST);
        assert_int_equal(write_at(dfd, "seq.new", "1\n"), 0);
        assert_int_equal(renameat(dfd, "seq.new", dfd, "seq"), 0);
        assert_int_equal(write_at(dfd, "seq.new", "2\n"), 0);
        assert_int_equal(renameat(dfd, "seq.new", dfd, "seq"), 0); /* replaces, as POSIX rename does */
        read_at(dfd, "seq", buf, sizeof(buf));
        assert_string_equal(buf, "2\n");
        assert_true(openat(dfd, "seq.new", O_RDONLY | O_CLOEXEC) < 0);
        assert_int_equal(errno, ENOENT);

        /* a file is not a directory */
        assert_true(openat(dfd, "seq", O_RDONLY | O_DIRECTORY | O_CLOEXEC) < 0);
        assert_int_equal(errno, ENOTDIR);

        /* a directory fd of a subdirectory, and names beneath it */
        int ifd = openat(dfd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(ifd >= 0);
        assert_int_equal(write_at(ifd, "0123456789abcdef/plan", "PLAN"), 0);
        read_at(dfd, "installs/0123456789abcdef/plan", buf, sizeof(buf));
        assert_string_equal(buf, "PLAN");
        DIR *d = fdopendir(ifd);
        assert_non_null(d);
        int seen = 0;
        for (struct dirent *e; (e = readdir(d));)
                if (e->d_name[0] != '.') {
                        assert_string_equal(e->d_name, "0123456789abcdef");
                        seen++;
                }
        closedir(d);
        assert_int_equal(seen, 1);

        /* removal: a non-empty directory stays, then files and the directory go */
        assert_int_equal(unlinkat(dfd, "installs/0123456789abcdef", AT_REMOVEDIR), -1);
        assert_int_equal(unlinkat(dfd, "installs/0123456789abcdef/plan", 0), 0);
        assert_int_equal(unlinkat(dfd, "installs/0123456789abcdef/plan", 0), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(unlinkat(dfd, "installs/0123456789abcdef", AT_REMOVEDIR), 0);
}

/* The journal: records appended durably come back byte for byte; a torn tail is ignored. */
static void test_journal(void **state) {
        (void) state;
        assert_int_equal(mkdirat(dfd, "j", 0755), 0);
        struct bw_journal j;
        assert_int_equal(bw_journal_open(&j, dfd, "j/journal"), 0);
        static const uint8_t digest[40] = {1, 2, 3, 0x0a, 0x0d, 0x1a, 0xff};
        struct bw_journal_record recs[] = {
                {BW_JOURNAL_BEGIN, digest, sizeof(digest)},
                {BW_JOURNAL_NFT, (const uint8_t *) "\x01", 1},
                {BW_JOURNAL_COMMIT, digest, 32},
        };
        assert_int_equal(bw_journal_append(&j, recs, 2), 0);
        assert_int_equal(bw_journal_append(&j, &recs[2], 1), 0);
        bw_journal_close(&j);

        uint8_t *data = NULL;
        struct bw_journal_record *got = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        assert_int_equal(bw_journal_read(dfd, "j/journal", &data, &got, &n, &bad), 0);
        assert_int_equal(n, 3);
        for (size_t i = 0; i < 3; i++) {
                assert_int_equal(got[i].type, recs[i].type);
                assert_int_equal(got[i].len, recs[i].len);
                assert_memory_equal(got[i].payload, recs[i].payload, recs[i].len);
        }
        free(data);
        free(got);

        /* a crash mid-append: half a record at the end */
        int f = openat(dfd, "j/journal", O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
        assert_true(f >= 0);
        assert_int_equal(write(f, "BWJR\x01\x00", 6), 6);
        close(f);
        data = NULL;
        got = NULL;
        assert_int_equal(bw_journal_read(dfd, "j/journal", &data, &got, &n, &bad), 0);
        assert_int_equal(n, 3);
        free(data);
        free(got);

        /* reopening for the next apply drops the torn tail; appends continue after the good ones */
        assert_int_equal(bw_journal_open(&j, dfd, "j/journal"), 0);
        assert_int_equal(bw_journal_append(&j, &recs[1], 1), 0);
        bw_journal_close(&j);
        data = NULL;
        got = NULL;
        assert_int_equal(bw_journal_read(dfd, "j/journal", &data, &got, &n, &bad), 0);
        assert_int_equal(n, 4);
        assert_int_equal(got[3].type, BW_JOURNAL_NFT);
        free(data);
        free(got);

        assert_int_equal(bw_journal_read(dfd, "j/none", &data, &got, &n, &bad), -ENOENT);
}

/* An installation's bindings, written and read back beneath the state fd. */
static void test_bindings(void **state) {
        (void) state;
        struct bw_install_bindings *b = calloc(1, sizeof(*b)), *r = calloc(1, sizeof(*r));
        assert_non_null(b);
        assert_non_null(r);
        snprintf(b->workspace, sizeof(b->workspace), "/c/Users/ann/repo");
        snprintf(b->user, sizeof(b->user), "ann");
        snprintf(b->home, sizeof(b->home), "/c/Users/ann");
        snprintf(b->tmpdir, sizeof(b->tmpdir), "/c/Users/ann/AppData/Local/Temp");
        snprintf(b->signer, sizeof(b->signer), "unsigned");
        snprintf(b->offline, sizeof(b->offline), "bwoff-ann");
        snprintf(b->online, sizeof(b->online), "bwon-ann");
        b->seq = 7;
        char text[BW_BINDINGS_MAX];
        assert_true(bw_bindings_encode(b, text, sizeof(text)) > 0);
        assert_int_equal(mkdirat(dfd, "b", 0755), 0);
        assert_int_equal(write_at(dfd, "b/bindings", text), 0);
        assert_int_equal(bw_bindings_read(dfd, "b/bindings", r), 0);
        assert_string_equal(r->workspace, b->workspace);
        assert_string_equal(r->home, b->home);
        assert_string_equal(r->offline, b->offline);
        assert_int_equal(r->seq, 7);
        free(b);
        free(r);
}

/* open_memstream: what was written is in the buffer after fclose (revert's audit text). */
static void test_memstream(void **state) {
        (void) state;
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        assert_non_null(f);
        fprintf(f, "restored %d objects\n", 3);
        fputs("line two\n", f);
        assert_int_equal(fclose(f), 0);
        assert_non_null(text);
        assert_int_equal(len, strlen("restored 3 objects\nline two\n"));
        assert_string_equal(text, "restored 3 objects\nline two\n");
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_journal),
                cmocka_unit_test(test_bindings),
                cmocka_unit_test(test_memstream),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
