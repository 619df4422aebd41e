/* SPDX-License-Identifier: MIT */
/* The enforcer's pure parts: POSIX ACL xattr encoding and computing, journal records. */
#include "testutil.h"

#include "journal.h"
#include "posix_acl.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

static void test_acl_round_trip(void **state) {
        (void) state;
        struct bw_acl a, b;
        bw_acl_from_mode(0750, &a);
        assert_int_equal(a.n, 3);
        assert_int_equal(a.e[0].perm, 7);
        assert_int_equal(a.e[1].perm, 5);
        assert_int_equal(a.e[2].perm, 0);
        assert_true(bw_acl_is_minimal(&a));
        uint8_t buf[256];
        size_t n = bw_acl_encode(&a, buf, sizeof(buf));
        assert_int_equal(n, 4 + 3 * 8);
        assert_int_equal(bw_acl_decode(buf, n, &b), 0);
        assert_memory_equal(&a.e, &b.e, 3 * sizeof(a.e[0]));
        /* malformed: wrong version, odd length, too small buffer */
        buf[0] = 3;
        assert_int_equal(bw_acl_decode(buf, n, &b), -EINVAL);
        assert_int_equal(bw_acl_decode(buf, n - 1, &b), -EINVAL);
        assert_int_equal(bw_acl_encode(&a, buf, 10), 0);
}

static void test_acl_compute(void **state) {
        (void) state;
        struct bw_acl base, out;
        bw_acl_from_mode(0640, &base);
        /* a foreign named entry survives; ours are replaced; the mask is the group class union */
        base.e[base.n++] = (struct bw_acl_entry){BW_ACL_USER, 4, 1234};
        base.e[base.n++] = (struct bw_acl_entry){BW_ACL_GROUP, 7, 900}; /* a stale entry of ours */
        base.e[base.n++] = (struct bw_acl_entry){BW_ACL_MASK, 4, BW_ACL_UNDEFINED_ID};
        bw_acl_sort(&base);
        const uint32_t managed_groups[] = {900, 901};
        const struct bw_acl_want want[] = {{BW_ACL_GROUP, 901, 6}};
        assert_int_equal(bw_acl_compute(&base, want, 1, NULL, 0, managed_groups, 2, &out), 0);
        bool foreign = false, stale = false, ours = false;
        uint16_t mask = 0;
        for (unsigned i = 0; i < out.n; i++) {
                foreign |= out.e[i].tag == BW_ACL_USER && out.e[i].id == 1234 && out.e[i].perm == 4;
                stale |= out.e[i].tag == BW_ACL_GROUP && out.e[i].id == 900;
                ours |= out.e[i].tag == BW_ACL_GROUP && out.e[i].id == 901 && out.e[i].perm == 6;
                if (out.e[i].tag == BW_ACL_MASK)
                        mask = out.e[i].perm;
                if (i > 0) /* sorted by tag, then id, as the kernel wants */
                        assert_true(out.e[i - 1].tag < out.e[i].tag ||
                                    (out.e[i - 1].tag == out.e[i].tag && out.e[i - 1].id < out.e[i].id));
        }
        assert_true(foreign && ours && !stale);
        assert_int_equal(mask, 4 | 6 | 4); /* user 1234 r, group 901 rw, owning group r */

        /* a foreign entry limited by the old mask stays limited when the mask grows for ours */
        struct bw_acl masked;
        bw_acl_from_mode(0640, &masked);
        masked.e[masked.n++] = (struct bw_acl_entry){BW_ACL_USER, 6, 1234};                /* bob rw- ... */
        masked.e[masked.n++] = (struct bw_acl_entry){BW_ACL_MASK, 4, BW_ACL_UNDEFINED_ID}; /* ... masked to r-- */
        bw_acl_sort(&masked);
        const struct bw_acl_want rwx[] = {{BW_ACL_GROUP, 901, 7}};
        assert_int_equal(bw_acl_compute(&masked, rwx, 1, NULL, 0, managed_groups, 2, &out), 0);
        for (unsigned i = 0; i < out.n; i++)
                if (out.e[i].tag == BW_ACL_USER && out.e[i].id == 1234)
                        assert_int_equal(out.e[i].perm, 4); /* bob still effectively r-- */
        /* wanting nothing on an object with only our entries gives back a minimal ACL */
        struct bw_acl only_ours;
        bw_acl_from_mode(0644, &only_ours);
        only_ours.e[only_ours.n++] = (struct bw_acl_entry){BW_ACL_GROUP, 7, 901};
        only_ours.e[only_ours.n++] = (struct bw_acl_entry){BW_ACL_MASK, 7, BW_ACL_UNDEFINED_ID};
        bw_acl_sort(&only_ours);
        assert_int_equal(bw_acl_compute(&only_ours, NULL, 0, NULL, 0, managed_groups, 2, &out), 0);
        assert_true(bw_acl_is_minimal(&out));
}

static void test_journal(void **state) {
        (void) state;
        char *dir = bw_test_mkdtemp();
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        struct bw_journal j;
        assert_int_equal(bw_journal_open(&j, dfd, "journal"), 0);
        const uint8_t before[] = {2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff};
        struct bw_journal_acl a = {.ino = 42,
                                   .mode = 0100644,
                                   .had_before = true,
                                   .root = "/w",
                                   .root_len = 2,
                                   .rel = "src/x",
                                   .rel_len = 5,
                                   .before = before,
                                   .before_len = sizeof(before)};
        uint32_t len;
        uint8_t *payload = bw_journal_acl_encode(&a, &len);
        struct bw_journal_record recs[] = {{BW_JOURNAL_BEGIN, (const uint8_t *) "x", 1},
                                           {BW_JOURNAL_ACL, payload, len}};
        assert_int_equal(bw_journal_append(&j, recs, 2), 0);
        bw_journal_close(&j);

        uint8_t *data;
        struct bw_journal_record *got;
        size_t n;
        uint64_t bad;
        assert_int_equal(bw_journal_read(dfd, "journal", &data, &got, &n, &bad), 0);
        assert_int_equal(n, 2);
        struct bw_journal_acl b;
        assert_int_equal(bw_journal_acl_decode(got[1].payload, got[1].len, &b), 0);
        assert_int_equal(b.ino, 42);
        assert_int_equal(b.mode, 0100644);
        assert_memory_equal(b.rel, "src/x", 5);
        assert_memory_equal(b.before, before, sizeof(before));
        free(got);
        free(data);

        /* a torn tail (a crash mid-append) is ignored; damage in the middle is refused */
        char *path = NULL;
        assert_true(asprintf(&path, "%s/journal", dir) > 0);
        FILE *f = fopen(path, "ab");
        fwrite("BWJR\\x02\\x00", 1, 6, f);
        fclose(f);
        assert_int_equal(bw_journal_read(dfd, "journal", &data, &got, &n, &bad), 0);
        assert_int_equal(n, 2);
        free(got);
        free(data);
        f = fopen(path, "r+b");
        fseek(f, 40, SEEK_SET); /* inside the second record (the first is 17 bytes) */
        fputc('Z', f);
        fclose(f);
        assert_int_equal(bw_journal_read(dfd, "journal", &data, &got, &n, &bad), -EBADMSG);
        assert_int_equal(bad, 17);
        free(path);
        free(payload);
        close(dfd);
        bw_test_rmtree(dir);
        free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_acl_round_trip),
                cmocka_unit_test(test_acl_compute),
                cmocka_unit_test(test_journal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
