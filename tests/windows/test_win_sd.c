/* SPDX-License-Identifier: MIT */
/* SIDs, ACEs, ACLs and self-relative security descriptors as bytes (enforcer/windows/win_sd.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "win_sd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_masks(void **state) {
        (void) state;
        /* shared/design/windows.md: these exact values, not derived ones, are the contract */
        assert_int_equal(BW_WIN_MASK_CARVE_DENY, 0x10156);
        assert_int_equal(BW_WIN_MASK_ROOT_ALLOW, 0x1301bf);
        assert_int_equal(BW_WIN_MASK_ROOT_ALLOW & BW_FILE_DELETE_CHILD, 0);
        assert_int_equal(BW_WIN_MASK_ROOT_ALLOW & (BW_WRITE_DAC | BW_WRITE_OWNER), 0);
        assert_int_equal(BW_WIN_MASK_CARVE_DENY & (BW_READ_CONTROL | BW_SYNCHRONIZE), 0);
        assert_int_equal(BW_WIN_MASK_READ, 0x1200a9);
}

static void test_sid_strings(void **state) {
        (void) state;
        struct bw_win_sid sid;
        char s[BW_WIN_SID_STRING_MAX];
        static const char *const good[] = {"S-1-1-0", "S-1-5-32-544", "S-1-5-21-4294967295-1-2-1001",
                                           "S-1-281474976710655-0", "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15"};
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                assert_int_equal(bw_win_sid_from_string(good[i], &sid), 0);
                bw_win_sid_to_string(&sid, s);
                assert_string_equal(s, good[i]);
        }
        static const char *const bad[] = {"",
                                          "S-1",
                                          "S-2-5-32",
                                          "S-1-5-",
                                          "S-1-5-x",
                                          "S-1-5-01",
                                          "S-1-5-4294967296",
                                          "X-1-5",
                                          "S-1-5-32-544 ",
                                          "S-1-281474976710656-0",
                                          "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(bw_win_sid_from_string(bad[i], &sid), -EINVAL);
}

static void test_sid_bytes(void **state) {
        (void) state;
        static const uint8_t admins[] = {1, 2, 0, 0, 0, 0, 0, 5, 0x20, 0, 0, 0, 0x20, 2, 0, 0};
        uint8_t out[68];
        assert_int_equal(bw_win_sid_size(&bw_win_sid_admins), 16);
        bw_win_sid_encode(&bw_win_sid_admins, out);
        assert_memory_equal(out, admins, sizeof(admins));
        struct bw_win_sid sid;
        size_t used;
        assert_int_equal(bw_win_sid_decode(admins, sizeof(admins), &sid, &used), 0);
        assert_int_equal(used, 16);
        assert_true(bw_win_sid_equal(&sid, &bw_win_sid_admins));
        /* truncated, wrong revision, too many sub-authorities */
        assert_int_equal(bw_win_sid_decode(admins, 15, &sid, &used), -EBADMSG);
        uint8_t bad[16];
        memcpy(bad, admins, 16);
        bad[0] = 2;
        assert_int_equal(bw_win_sid_decode(bad, 16, &sid, &used), -EBADMSG);
        bad[0] = 1;
        bad[1] = 16;
        assert_int_equal(bw_win_sid_decode(bad, 16, &sid, &used), -EBADMSG);
}

static void test_synthetic(void **state) {
        (void) state;
        uint8_t rnd[16] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0};
        struct bw_win_sid sid;
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_synthetic(rnd, &sid);
        bw_win_sid_to_string(&sid, s);
        assert_string_equal(s, "S-1-5-21-65537-2-3-4");
        uint8_t other[16] = {0};
        other[15] = 1;
        struct bw_win_sid sid2;
        bw_win_sid_synthetic(other, &sid2);
        assert_false(bw_win_sid_equal(&sid, &sid2));
}

static void test_ace_bytes(void **state) {
        (void) state;
        struct bw_win_acl acl = {0};
        assert_int_equal(
                bw_win_acl_add(&acl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_WIN_MASK_ROOT_ALLOW, &bw_win_sid_everyone),
                0);
        assert_int_equal(bw_win_acl_add(&acl, BW_ACE_DENY, BW_ACE_CI, BW_WIN_MASK_CARVE_DENY, &bw_win_sid_users), 0);
        static const uint8_t want[] = {
                2, 0, 0x34, 0, 2,    0,    0,    0,                /* ACL header: revision 2, size 52, 2 ACEs */
                0, 3, 0x14, 0, 0xbf, 0x01, 0x13, 0,                /* allow, OI|CI, 20 bytes, 0x1301bf */
                1, 1, 0,    0, 0,    0,    0,    1, 0,    0, 0, 0, /* S-1-1-0 */
                1, 2, 0x18, 0, 0x56, 0x01, 0x01, 0,                /* deny, CI, 24 bytes, 0x10156 */
                1, 2, 0,    0, 0,    0,    0,    5, 0x20, 0, 0, 0, 0x21, 2, 0, 0 /* S-1-5-32-545 */};
        assert_int_equal(bw_win_acl_size(&acl), sizeof(want));
        uint8_t out[sizeof(want)];
        assert_int_equal(bw_win_acl_encode(&acl, out), 0);
        assert_memory_equal(out, want, sizeof(want));
        struct bw_win_acl back;
        assert_int_equal(bw_win_acl_decode(out, sizeof(out), &back), 0);
        assert_true(bw_win_acl_equal(&acl, &back));
        bw_win_acl_done(&back);
        /* an ACE whose size runs past the ACL */
        out[10] = 0x40;
        assert_int_equal(bw_win_acl_decode(out, sizeof(out), &back), -EBADMSG);
        /* an ACL size past the buffer */
        out[10] = 0x14;
        assert_int_equal(bw_win_acl_decode(out, sizeof(out) - 1, &back), -EBADMSG);
        bw_win_acl_done(&acl);
}

static void test_canonical_order(void **state) {
        (void) state;
        struct bw_win_acl acl = {0};
        struct bw_win_sid a, b, c;
        assert_int_equal(bw_win_sid_from_string("S-1-5-21-1-1-1-1", &a), 0);
        assert_int_equal(bw_win_sid_from_string("S-1-5-21-1-1-1-2", &b), 0);
        assert_int_equal(bw_win_sid_from_string("S-1-5-21-1-1-1-3", &c), 0);
        /* what Wine's SetEntriesInAclW can leave: an inherited allow, an explicit allow, then a deny */
        bw_win_acl_add(&acl, BW_ACE_ALLOW, BW_ACE_INHERITED, 1, &a);
        bw_win_acl_add(&acl, BW_ACE_ALLOW, 0, 2, &b);
        bw_win_acl_add(&acl, BW_ACE_DENY, BW_ACE_INHERITED, 3, &c);
        bw_win_acl_add(&acl, BW_ACE_DENY, 0, 4, &c);
        bw_win_acl_add(&acl, BW_ACE_ALLOW, 0, 5, &a);
        assert_int_equal(bw_win_acl_first_misordered(&acl), 1);
        bw_win_acl_canonicalise(&acl);
        assert_int_equal(bw_win_acl_first_misordered(&acl), -1);
        /* explicit deny, explicit allows in their order, inherited in their order */
        uint32_t masks[5];
        for (size_t i = 0; i < 5; i++)
                masks[i] = acl.aces[i].mask;
        assert_int_equal(masks[0], 4);
        assert_int_equal(masks[1], 2);
        assert_int_equal(masks[2], 5);
        assert_int_equal(masks[3], 1);
        assert_int_equal(masks[4], 3);
        char *d = bw_win_acl_describe(&acl);
        assert_string_equal(d, "D:0x4::S-1-5-21-1-1-1-3;A:0x2::S-1-5-21-1-1-1-2;A:0x5::S-1-5-21-1-1-1-1;"
                               "A:0x1:ID:S-1-5-21-1-1-1-1;D:0x3:ID:S-1-5-21-1-1-1-3");
        free(d);
        bw_win_acl_done(&acl);
}

static void test_sd_roundtrip(void **state) {
        (void) state;
        struct bw_win_sd sd = {
                .control = BW_SE_DACL_AUTO_INHERITED, .has_owner = true, .has_group = true, .has_dacl = true};
        sd.owner = bw_win_sid_admins;
        sd.group = bw_win_sid_system;
        bw_win_acl_add(&sd.dacl, BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, BW_WIN_MASK_CARVE_DENY, &bw_win_sid_users);
        uint8_t *bytes;
        size_t n;
        assert_int_equal(bw_win_sd_encode(&sd, &bytes, &n), 0);
        /* header: revision 1, control DACL_PRESENT|AUTO_INHERITED|SELF_RELATIVE = 0x8404, owner at 20,
         * group at 36, no SACL, DACL at 48 */
        static const uint8_t head[] = {1, 0, 0x04, 0x84, 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0};
        assert_memory_equal(bytes, head, sizeof(head));
        assert_int_equal(n, 48 + 8 + 24);
        struct bw_win_sd back;
        assert_int_equal(bw_win_sd_decode(bytes, n, &back), 0);
        assert_true(back.has_owner && back.has_group && back.has_dacl);
        assert_true(bw_win_sid_equal(&back.owner, &bw_win_sid_admins));
        assert_true(bw_win_acl_equal(&back.dacl, &sd.dacl));
        assert_int_equal(back.control, BW_SE_DACL_AUTO_INHERITED);
        uint8_t *again;
        size_t n2;
        assert_int_equal(bw_win_sd_encode(&back, &again, &n2), 0);
        assert_int_equal(n, n2);
        assert_memory_equal(bytes, again, n);
        /* every truncation is refused, never read past */
        for (size_t cut = 0; cut < n; cut++) {
                struct bw_win_sd t;
                int r = bw_win_sd_decode(bytes, cut, &t);
                if (r == 0)
                        bw_win_sd_done(&t);
                assert_int_equal(r, -EBADMSG);
        }
        /* a DACL offset out of range */
        struct bw_win_sd t;
        bytes[16] = 200;
        assert_int_equal(bw_win_sd_decode(bytes, n, &t), -EBADMSG);
        free(bytes);
        free(again);
        bw_win_sd_done(&back);
        bw_win_sd_done(&sd);
}

static void test_raw_ace_kept(void **state) {
        (void) state;
        /* An ACCESS_ALLOWED_OBJECT_ACE (type 5, 24 bytes) then a deny for S-1-1 (16 bytes). */
        static const uint8_t in[] = {4, 0, 48, 0, 2,    0, 0,  0, /* header */
                                     5, 0, 24, 0, 0xff, 0, 0,  0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1,
                                     0, 0, 0,  0, 1,    0, 16, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1};
        struct bw_win_acl a;
        assert_int_equal(bw_win_acl_decode(in, sizeof(in), &a), 0);
        assert_int_equal(a.n, 2);
        assert_non_null(a.aces[0].raw);
        assert_int_equal(a.aces[0].raw_size, 24);
        bw_win_acl_canonicalise(&a);
        /* the deny moves before the object allow; the object ACE's bytes move with it unchanged */
        assert_int_equal(a.aces[0].type, BW_ACE_DENY);
        assert_int_equal(a.aces[1].type, 5);
        uint8_t out[48];
        assert_int_equal(bw_win_acl_size(&a), 48);
        assert_int_equal(bw_win_acl_encode(&a, out), 0);
        assert_int_equal(out[0], 4); /* the revision object ACEs need is kept */
        assert_memory_equal(out + 8, in + 8 + 24, 16);
        assert_memory_equal(out + 8 + 16, in + 8, 24);
        bw_win_acl_done(&a);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_masks),        cmocka_unit_test(test_sid_strings),
                cmocka_unit_test(test_sid_bytes),    cmocka_unit_test(test_synthetic),
                cmocka_unit_test(test_ace_bytes),    cmocka_unit_test(test_canonical_order),
                cmocka_unit_test(test_sd_roundtrip), cmocka_unit_test(test_raw_ace_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
