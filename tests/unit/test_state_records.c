/* SPDX-License-Identifier: MIT */
/* The state directory's records, each with one encoder and one decoder: an installation's
 * bindings file (install_bindings.h) and the journal's account records (journal.h). The bytes
 * are those earlier versions wrote: installed machines keep working across an upgrade. */
#include "testutil.h"

#include "install_bindings.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char old_format[] = "workspace=/home/ann/repo\nuser=ann\nhome=/home/ann\ntmpdir=/tmp\nseq=7\n"
                                 "signer=key 0123456789ABCDEF (trusted: admin.pub)\n";

static void test_bindings_round_trip(void **state) {
        (void) state;
        struct bw_install_bindings *b = calloc(1, sizeof(*b)), *d = calloc(1, sizeof(*d));
        assert_non_null(b);
        assert_non_null(d);
        assert_int_equal(bw_bindings_decode(old_format, strlen(old_format), b), 0);
        assert_string_equal(b->workspace, "/home/ann/repo");
        assert_string_equal(b->user, "ann");
        assert_string_equal(b->home, "/home/ann");
        assert_string_equal(b->tmpdir, "/tmp");
        assert_int_equal(b->seq, 7);
        assert_string_equal(b->signer, "key 0123456789ABCDEF (trusted: admin.pub)");
        /* the encoder writes exactly what apply always wrote */
        char buf[BW_BINDINGS_MAX + 1];
        assert_int_equal(bw_bindings_encode(b, buf, sizeof(buf)), (int) strlen(old_format));
        assert_string_equal(buf, old_format);
        assert_int_equal(bw_bindings_decode(buf, strlen(buf), d), 0);
        assert_memory_equal(b, d, sizeof(*b));
        free(b);
        free(d);
}

static void test_bindings_tolerant_and_strict(void **state) {
        (void) state;
        struct bw_install_bindings *b = calloc(1, sizeof(*b));
        assert_non_null(b);
        /* unknown keys, lines without '=', no final newline, no seq or signer: fine */
        static const char loose[] = "# note\nfuture=1\nuser=bob\nworkspace=/srv/w";
        assert_int_equal(bw_bindings_decode(loose, strlen(loose), b), 0);
        assert_string_equal(b->workspace, "/srv/w");
        assert_int_equal(b->seq, 0);
        assert_string_equal(b->signer, "unsigned");
        /* damaged: no user, no workspace, a NUL, a bad seq, a value too long to hold */
        static const char no_user[] = "workspace=/w\n";
        assert_int_equal(bw_bindings_decode(no_user, strlen(no_user), b), -EBADMSG);
        static const char no_ws[] = "user=ann\n";
        assert_int_equal(bw_bindings_decode(no_ws, strlen(no_ws), b), -EBADMSG);
        static const char nul[] = "workspace=/w\0\nuser=ann\n";
        assert_int_equal(bw_bindings_decode(nul, sizeof(nul) - 1, b), -EBADMSG);
        static const char bad_seq[] = "workspace=/w\nuser=ann\nseq=12x\n";
        assert_int_equal(bw_bindings_decode(bad_seq, strlen(bad_seq), b), -EBADMSG);
        size_t big = sizeof(b->signer) + 32;
        char *longer = malloc(big + 64);
        assert_non_null(longer);
        int n = snprintf(longer, big + 64, "workspace=/w\nuser=ann\nsigner=");
        memset(longer + n, 'x', big);
        assert_int_equal(bw_bindings_decode(longer, (size_t) n + big, b), -EBADMSG);
        free(longer);
        /* a newline in a value cannot be written */
        assert_int_equal(bw_bindings_decode(old_format, strlen(old_format), b), 0);
        char buf[BW_BINDINGS_MAX + 1];
        snprintf(b->workspace, sizeof(b->workspace), "/w\nuser=root");
        assert_int_equal(bw_bindings_encode(b, buf, sizeof(buf)), -EINVAL);
        free(b);
}

static void test_bindings_read(void **state) {
        (void) state;
        char *dir = bw_test_mkdtemp();
        free(bw_test_write(dir, "bindings", old_format));
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(dfd >= 0);
        struct bw_install_bindings *b = calloc(1, sizeof(*b));
        assert_non_null(b);
        assert_int_equal(bw_bindings_read(dfd, "bindings", b), 0);
        assert_string_equal(b->user, "ann");
        assert_int_equal(bw_bindings_read(dfd, "missing", b), -ENOENT);
        assert_int_equal(symlinkat("bindings", dfd, "link"), 0);
        assert_int_equal(bw_bindings_read(dfd, "link", b), -ELOOP);
        close(dfd);
        free(b);
        bw_test_rmtree(dir);
        free(dir);
}

static void test_account_records(void **state) {
        (void) state;
        /* the bytes earlier versions wrote */
        static const uint8_t created[] = {2, 0, 'b', 'u', 'l', 'w', 'a', 'r', 'k', '-', 'w'};
        static const uint8_t members[] = {3, 1, 'b', 'o', 'b', 0, 'g', '1', ',', 'g', '2'};
        struct bw_journal_account a;
        assert_int_equal(bw_journal_account_decode(created, sizeof(created), &a), 0);
        assert_int_equal(a.kind, BW_JOURNAL_ACCOUNT_GROUP);
        assert_false(a.existed);
        assert_int_equal(a.name_len, 9);
        assert_memory_equal(a.name, "bulwark-w", 9);
        uint32_t len;
        int e;
        uint8_t *p = bw_journal_account_encode(&a, &len, &e);
        assert_non_null(p);
        assert_int_equal(len, sizeof(created));
        assert_memory_equal(p, created, len);
        free(p);

        assert_int_equal(bw_journal_account_decode(members, sizeof(members), &a), 0);
        assert_int_equal(a.kind, BW_JOURNAL_ACCOUNT_MEMBERS);
        assert_true(a.existed);
        assert_int_equal(a.name_len, 3);
        assert_int_equal(a.groups_len, 5);
        assert_memory_equal(a.groups, "g1,g2", 5);
        p = bw_journal_account_encode(&a, &len, &e);
        assert_non_null(p);
        assert_int_equal(len, sizeof(members));
        assert_memory_equal(p, members, len);
        free(p);

        /* damaged or foreign: refused */
        static const uint8_t kind9[] = {9, 0, 'x'}, existed2[] = {1, 2, 'x'}, short1[] = {1, 0};
        static const uint8_t no_nul[] = {3, 1, 'b', 'o', 'b'}, empty_user[] = {3, 1, 0, 'g'};
        assert_int_equal(bw_journal_account_decode(kind9, sizeof(kind9), &a), -EBADMSG);
        assert_int_equal(bw_journal_account_decode(existed2, sizeof(existed2), &a), -EBADMSG);
        assert_int_equal(bw_journal_account_decode(short1, sizeof(short1), &a), -EBADMSG);
        assert_int_equal(bw_journal_account_decode(no_nul, sizeof(no_nul), &a), -EBADMSG);
        assert_int_equal(bw_journal_account_decode(empty_user, sizeof(empty_user), &a), -EBADMSG);
        /* names that do not fit the record are not written */
        char name[BW_JOURNAL_ACCOUNT_NAME_MAX + 2];
        memset(name, 'n', sizeof(name));
        struct bw_journal_account too_long = {.kind = BW_JOURNAL_ACCOUNT_USER, .name = name, .name_len = sizeof(name)};
        assert_null(bw_journal_account_encode(&too_long, &len, &e));
        assert_int_equal(e, -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bindings_round_trip),
                cmocka_unit_test(test_bindings_tolerant_and_strict),
                cmocka_unit_test(test_bindings_read),
                cmocka_unit_test(test_account_records),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
