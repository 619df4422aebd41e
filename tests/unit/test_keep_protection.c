/* SPDX-License-Identifier: MIT */
/* Protection follows the object: bw_acl_keep_protection() never lets a wanted ACL lift the
 * sandbox principals' carve-out or deny-read entries that an object carries. */
#include "testutil.h"

#include "posix_acl.h"

#include <string.h>

enum { OFFLINE = 990, ONLINE = 991, WRITE_GROUP = 980, OWNER = 1000 };
static const uint32_t protect[] = {OFFLINE, ONLINE};
static const uint32_t managed_users[] = {OFFLINE, ONLINE, OWNER};
static const uint32_t managed_groups[] = {WRITE_GROUP};

static void entries(struct bw_acl *a, const struct bw_acl_entry *e, unsigned n) {
        a->n = n;
        memcpy(a->e, e, n * sizeof(*e));
        bw_acl_sort(a);
}

static int perm_of(const struct bw_acl *a, uint16_t tag, uint32_t id) {
        for (unsigned i = 0; i < a->n; i++)
                if (a->e[i].tag == tag && a->e[i].id == id)
                        return a->e[i].perm;
        return -1;
}

/* What the writable kind wants on a file: group:bulwark-write:rw- */
static const struct bw_acl_want writable[] = {{BW_ACL_GROUP, WRITE_GROUP, 6}};

static void test_unreadable_renamed_to_writable(void **state) {
        (void) state;
        struct bw_acl base, wanted;
        entries(&base,
                (struct bw_acl_entry[]){{BW_ACL_USER_OBJ, 6, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_USER, 0, OFFLINE},
                                        {BW_ACL_USER, 0, ONLINE},
                                        {BW_ACL_GROUP_OBJ, 0, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_MASK, 0, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_OTHER, 0, BW_ACL_UNDEFINED_ID}},
                6);
        assert_int_equal(bw_acl_compute(&base, writable, 1, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), -1); /* the plan alone would lift them */
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), BW_KEPT_DENY_READ);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, ONLINE), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_GROUP, WRITE_GROUP), 6);
        assert_int_equal(perm_of(&wanted, BW_ACL_MASK, BW_ACL_UNDEFINED_ID), 6);
        /* idempotent: the result as base keeps the same, and needs nothing put back */
        struct bw_acl again;
        assert_int_equal(bw_acl_compute(&wanted, writable, 1, managed_users, 3, managed_groups, 1, &again), 0);
        assert_int_equal(bw_acl_keep_protection(&wanted, &again, protect, 2), BW_KEPT_DENY_READ);
        assert_int_equal(again.n, wanted.n);
        assert_memory_equal(again.e, wanted.e, wanted.n * sizeof(wanted.e[0]));
}

static void test_carve_out_kept_and_not_loosened(void **state) {
        (void) state;
        struct bw_acl base, wanted;
        entries(&base,
                (struct bw_acl_entry[]){{BW_ACL_USER_OBJ, 6, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_USER, 4, OFFLINE},
                                        {BW_ACL_USER, 4, ONLINE},
                                        {BW_ACL_GROUP_OBJ, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_MASK, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_OTHER, 4, BW_ACL_UNDEFINED_ID}},
                6);
        assert_int_equal(bw_acl_compute(&base, writable, 1, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), BW_KEPT_CARVE_OUT);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 4);
        /* a wanted entry that would add write is put back as it was */
        const struct bw_acl_want rw[] = {{BW_ACL_USER, OFFLINE, 6}, {BW_ACL_USER, ONLINE, 4}};
        assert_int_equal(bw_acl_compute(&base, rw, 2, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), BW_KEPT_CARVE_OUT);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 4);
        /* the same carve-out wanted again (execute may follow the mode): nothing put back */
        const struct bw_acl_want rx[] = {{BW_ACL_USER, OFFLINE, 5}, {BW_ACL_USER, ONLINE, 5}};
        assert_int_equal(bw_acl_compute(&base, rx, 2, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 5);
        /* stricter (a carve-out now unreadable by the plan): the plan wins */
        const struct bw_acl_want none[] = {{BW_ACL_USER, OFFLINE, 0}, {BW_ACL_USER, ONLINE, 0}};
        assert_int_equal(bw_acl_compute(&base, none, 2, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 0);
        /* an unreadable object now named as a carve-out stays unreadable */
        struct bw_acl deny;
        entries(&deny,
                (struct bw_acl_entry[]){{BW_ACL_USER_OBJ, 6, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_USER, 0, OFFLINE},
                                        {BW_ACL_GROUP_OBJ, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_MASK, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_OTHER, 4, BW_ACL_UNDEFINED_ID}},
                5);
        assert_int_equal(bw_acl_compute(&deny, rx, 2, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&deny, &wanted, protect, 2), BW_KEPT_DENY_READ);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 0);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, ONLINE), 5);
}

static void test_nothing_to_keep(void **state) {
        (void) state;
        /* other users' entries and the real user's own default entry are not protection */
        struct bw_acl base, wanted;
        entries(&base,
                (struct bw_acl_entry[]){{BW_ACL_USER_OBJ, 6, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_USER, 0, 4242},
                                        {BW_ACL_USER, 7, OWNER},
                                        {BW_ACL_GROUP_OBJ, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_MASK, 7, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_OTHER, 4, BW_ACL_UNDEFINED_ID}},
                6);
        assert_int_equal(bw_acl_compute(&base, writable, 1, managed_users, 3, managed_groups, 1, &wanted), 0);
        struct bw_acl before = wanted;
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), 0);
        assert_memory_equal(before.e, wanted.e, wanted.n * sizeof(wanted.e[0]));
        /* a mask that limited the entry: what it granted in effect is what is kept */
        entries(&base,
                (struct bw_acl_entry[]){{BW_ACL_USER_OBJ, 6, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_USER, 5, OFFLINE},
                                        {BW_ACL_GROUP_OBJ, 0, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_MASK, 4, BW_ACL_UNDEFINED_ID},
                                        {BW_ACL_OTHER, 0, BW_ACL_UNDEFINED_ID}},
                5);
        assert_int_equal(bw_acl_compute(&base, NULL, 0, managed_users, 3, managed_groups, 1, &wanted), 0);
        assert_int_equal(bw_acl_keep_protection(&base, &wanted, protect, 2), BW_KEPT_CARVE_OUT);
        assert_int_equal(perm_of(&wanted, BW_ACL_USER, OFFLINE), 4);
        assert_int_equal(perm_of(&wanted, BW_ACL_MASK, BW_ACL_UNDEFINED_ID), 4);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unreadable_renamed_to_writable),
                cmocka_unit_test(test_carve_out_kept_and_not_loosened),
                cmocka_unit_test(test_nothing_to_keep),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
