/* SPDX-License-Identifier: MIT */
/* Principals per real user (issue #12): the account names apply binds the plan's roles to, and
 * the bindings keys that carry them to the runner. */
#include "testutil.h"

#include "accounts.h"
#include "install_bindings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void test_account_names(void **state) {
        (void) state;
        char out[33];
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "ann", out), 0);
        assert_string_equal(out, "bw-off-ann");
        assert_int_equal(bw_account_name(BW_ROLE_ONLINE, "ann", out), 0);
        assert_string_equal(out, "bw-on-ann");
        /* 25 characters fit after bw-off- exactly */
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "abcdefghijklmnopqrstuvwxy", out), 0);
        assert_string_equal(out, "bw-off-abcdefghijklmnopqrstuvwxy");
        /* one more does not: a readable prefix and a hash, within 32 */
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "abcdefghijklmnopqrstuvwxyz", out), 0);
        assert_int_equal(strlen(out), 32);
        assert_memory_equal(out, "bw-off-abcdefghijklmnop-", 24);
        /* names useradd may refuse, and names that differ only in case, never meet */
        char a[33], b[33];
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "Ann", a), 0);
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "ann", b), 0);
        assert_string_not_equal(a, b);
        assert_memory_equal(a, "bw-off-ann-", 11);
        assert_int_equal(bw_account_name(BW_ROLE_ONLINE, "j.doe", a), 0);
        assert_memory_equal(a, "bw-on-j_doe-", 12);
        /* two long names with one prefix */
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "averyveryverylongusername1", a), 0);
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "averyveryverylongusername2", b), 0);
        assert_string_not_equal(a, b);
        assert_int_equal(bw_account_name(BW_ROLE_SANDBOX_GROUP, "ann", out), -EINVAL);
        assert_int_equal(bw_account_name(BW_ROLE_OFFLINE, "", out), -EINVAL);
}

static void test_bindings_accounts(void **state) {
        (void) state;
        static const char text[] = "workspace=/home/ann/repo\nuser=ann\nhome=/home/ann\ntmpdir=/tmp\nseq=3\n"
                                   "signer=unsigned\noffline=bw-off-ann\nonline=bw-on-ann\n"
                                   "groups=bw-r-0123456789abcdef,bw-w-01234567\n";
        struct bw_install_bindings *b = calloc(1, sizeof(*b));
        assert_non_null(b);
        assert_int_equal(bw_bindings_decode(text, strlen(text), b), 0);
        assert_string_equal(b->offline, "bw-off-ann");
        assert_string_equal(b->online, "bw-on-ann");
        assert_string_equal(b->groups, "bw-r-0123456789abcdef,bw-w-01234567");
        char buf[BW_BINDINGS_MAX + 1];
        assert_int_equal(bw_bindings_encode(b, buf, sizeof(buf)), (int) strlen(text));
        assert_string_equal(buf, text);
        /* an account name longer than 32 bytes is damage */
        static const char bad[] = "workspace=/w\nuser=ann\noffline=bw-off-0123456789012345678901234567\n";
        assert_int_equal(bw_bindings_decode(bad, strlen(bad), b), -EBADMSG);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_account_names),
                cmocka_unit_test(test_bindings_accounts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
