/* SPDX-License-Identifier: MIT */
/* The firewall's drift check compares the table's structure (verdicts, matches, families), never
 * the rules' comments: fixtures in the JSON nft 1.0.6 lists (`nft -j -n list table inet bulwark`). */
#include "testutil.h"

#include "firewall.h"

#include <stdio.h>
#include <string.h>

#define META "{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}}"
#define TABLE "{\"table\": {\"family\": \"inet\", \"name\": \"bulwark\", \"handle\": 1}}"
#define CHAIN                                                                                                          \
        "{\"chain\": {\"family\": \"inet\", \"table\": \"bulwark\", \"name\": \"output\", \"handle\": 1, \"type\": "   \
        "\"filter\", \"hook\": \"output\", \"prio\": 0, \"policy\": \"accept\"}}"
#define SKUID(u) "{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"skuid\"}}, \"right\": " #u "}}"
#define SKUID_SET SKUID("@offline")
#define SET(...)                                                                                                       \
        "{\"set\": {\"family\": \"inet\", \"name\": \"offline\", \"table\": \"bulwark\", \"type\": \"uid\", "          \
        "\"handle\": 2, \"elem\": [" __VA_ARGS__ "]}}"
#define V4                                                                                                             \
        "{\"match\": {\"op\": \"!=\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, "         \
        "\"right\": {\"prefix\": {\"addr\": \"127.0.0.0\", \"len\": 8}}}}"
#define V6                                                                                                             \
        "{\"match\": {\"op\": \"!=\", \"left\": {\"payload\": {\"protocol\": \"ip6\", \"field\": \"daddr\"}}, "        \
        "\"right\": \"::1\"}}"
#define COUNTER "{\"counter\": {\"packets\": 3, \"bytes\": 180}}"
#define REJECT "{\"reject\": {\"type\": \"icmpx\", \"expr\": 3}}"
#define RULE(h, comment, ...)                                                                                          \
        "{\"rule\": {\"family\": \"inet\", \"table\": \"bulwark\", \"chain\": \"output\", \"handle\": " #h             \
        ", \"comment\": \"" comment "\", \"expr\": [" __VA_ARGS__ "]}}"
#define DOC(...) "{\"nftables\": [" META ", " __VA_ARGS__ "]}"

static const uid_t uid998[] = {998};
static const uid_t two[] = {997, 998};

static const char *ours =
        DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(2, "x", SKUID_SET ", " V4 ", " COUNTER ", " REJECT) ", " RULE(
                3, "y", SKUID_SET ", " V6 ", " COUNTER ", " REJECT));

static void test_ours_is_current(void **state) {
        (void) state;
        assert_int_equal(bw_fw_check_listing(ours, uid998, 1), BW_FW_CURRENT);
        /* named output (priority and icmpx code by name), rules in the other order, elements in
         * another order */
        const char *named = DOC(TABLE ", " SET(
                "998, 997") ", "
                            "{\"chain\": {\"family\": \"inet\", \"table\": \"bulwark\", \"name\": \"output\", "
                            "\"type\": "
                            "\"filter\", \"hook\": \"output\", \"prio\": \"filter\", \"policy\": \"accept\"}}, " RULE(
                                    3, "x",
                                    SKUID_SET
                                    ", " V6 ", {\"reject\": {\"type\": \"icmpx\", \"expr\": "
                                    "\"admin-prohibited\"}}") ", " RULE(2, "y", SKUID_SET ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(named, two, 2), BW_FW_CURRENT);
        /* no users at all: a set without elements */
        const char *empty =
                DOC(TABLE
                    ", "
                    "{\"set\": {\"family\": \"inet\", \"name\": \"offline\", \"table\": \"bulwark\", "
                    "\"type\": \"uid\", \"handle\": 2}}, " CHAIN
                    ", " RULE(2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(empty, NULL, 0), BW_FW_CURRENT);
}

static void test_structure_differs(void **state) {
        (void) state;
        /* the IPv4 rule switched to accept, its comment kept */
        const char *accept =
                DOC(TABLE
                    ", " SET("998") ", " CHAIN
                                    ", " RULE(2, "x", SKUID_SET ", " V4 ", " COUNTER ", {\"accept\": null}") ", " RULE(
                                            3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(accept, uid998, 1), BW_FW_DIFFERENT);
        /* the set missing a user, holding another one, or one more */
        const char *other = DOC(TABLE ", " SET("997") ", " CHAIN ", " RULE(
                2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(other, uid998, 1), BW_FW_DIFFERENT);
        assert_int_equal(bw_fw_check_listing(ours, two, 2), BW_FW_DIFFERENT);
        const char *more = DOC(TABLE ", " SET("998, 0") ", " CHAIN ", " RULE(
                2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(more, uid998, 1), BW_FW_DIFFERENT);
        /* an element that is a range, a set with a timeout */
        const char *range = DOC(TABLE ", " SET("{\"range\": [0, 998]}") ", " CHAIN ", " RULE(
                2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(range, uid998, 1), BW_FW_DIFFERENT);
        const char *timeout =
                DOC(TABLE
                    ", "
                    "{\"set\": {\"family\": \"inet\", \"name\": \"offline\", \"table\": \"bulwark\", "
                    "\"type\": \"uid\", \"handle\": 2, \"timeout\": 1, \"elem\": [998]}}, " CHAIN
                    ", " RULE(2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(timeout, uid998, 1), BW_FW_DIFFERENT);
        /* a rule matching one uid instead of the set (the layout of earlier versions) */
        const char *per_uid =
                DOC(TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", SKUID(998) ", " V4 ", " REJECT) ", " RULE(
                        3, "bulwark-offline-v6-998", SKUID(998) ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(per_uid, uid998, 1), BW_FW_DIFFERENT);
        const char *mixed = DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(
                2, "x", SKUID(998) ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(mixed, uid998, 1), BW_FW_DIFFERENT);
        /* the IPv6 rule matching IPv4 (both rules the same family) */
        const char *one_family = DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(
                2, "x", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "y", SKUID_SET ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(one_family, uid998, 1), BW_FW_DIFFERENT);
        /* the skuid match dropped: every user's traffic (a different rule, even if stricter) */
        const char *no_skuid = DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(2, "x", V4 ", " REJECT) ", " RULE(
                3, "y", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(no_skuid, uid998, 1), BW_FW_DIFFERENT);
        /* a destination set instead of the loopback prefix */
        const char *dset = DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(
                2, "x",
                SKUID_SET ", {\"match\": {\"op\": \"!=\", \"left\": {\"payload\": "
                          "{\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": "
                          "{\"set\": [\"127.0.0.1\", \"10.0.0.1\"]}}}, " REJECT) ", " RULE(3, "y",
                                                                                           SKUID_SET ", " V6
                                                                                                     ", " REJECT));
        assert_int_equal(bw_fw_check_listing(dset, uid998, 1), BW_FW_DIFFERENT);
        /* a rule missing, a rule added, no set, two sets, the chain's policy, a dormant table,
         * another chain */
        const char *missing = DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(2, "x", SKUID_SET ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(missing, uid998, 1), BW_FW_DIFFERENT);
        const char *extra =
                DOC(TABLE ", " SET("998") ", " CHAIN ", " RULE(2, "a", SKUID_SET ", " V4 ", " REJECT) ", " RULE(
                        3, "b", SKUID_SET ", " V6 ", " REJECT) ", " RULE(4, "c", SKUID(0) ", {\"accept\": null}"));
        assert_int_equal(bw_fw_check_listing(extra, uid998, 1), BW_FW_DIFFERENT);
        const char *no_set = DOC(TABLE ", " CHAIN ", " RULE(2, "a", SKUID_SET ", " V4 ", " REJECT) ", " RULE(
                3, "b", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(no_set, uid998, 1), BW_FW_DIFFERENT);
        const char *two_sets = DOC(TABLE ", " SET("998") ", " SET("998") ", " CHAIN ", " RULE(
                2, "a", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "b", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(two_sets, uid998, 1), BW_FW_DIFFERENT);
        char buf[8192];
        snprintf(buf, sizeof(buf), "%s", ours);
        char *policy = strstr(buf, "\"policy\": \"accept\"");
        memcpy(policy, "\"policy\": \"drop\"  ", strlen("\"policy\": \"drop\"  "));
        assert_int_equal(bw_fw_check_listing(buf, uid998, 1), BW_FW_DIFFERENT);
        snprintf(buf, sizeof(buf), "%s", ours);
        char *handle = strstr(buf, "\"handle\": 1}}");
        memcpy(handle, "\"flags\":[3]}}", strlen("\"flags\":[3]}}"));
        assert_int_equal(bw_fw_check_listing(buf, uid998, 1), BW_FW_DIFFERENT);
        const char *two_chains = DOC(TABLE ", " SET("998") ", " CHAIN ", " CHAIN ", " RULE(
                2, "a", SKUID_SET ", " V4 ", " REJECT) ", " RULE(3, "b", SKUID_SET ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(two_chains, uid998, 1), BW_FW_DIFFERENT);
        /* not JSON at all, and the empty listing */
        assert_int_equal(bw_fw_check_listing("table inet bulwark {}", uid998, 1), BW_FW_DIFFERENT);
        assert_int_equal(bw_fw_check_listing("", uid998, 1), BW_FW_DIFFERENT);
}

static void test_wanted_matches_render(void **state) {
        (void) state;
        /* what bw_fw_render writes is what the comparison wants: two rules on one set, however
         * many users */
        uid_t uids[] = {998, 997};
        char *table = bw_fw_render(uids, 2);
        assert_non_null(table);
        assert_non_null(strstr(table, "type uid\n\t\telements = { 998, 997 }\n"));
        assert_non_null(strstr(table, "meta skuid @offline ip daddr != 127.0.0.0/8 counter reject with icmpx type "
                                      "admin-prohibited"));
        assert_non_null(strstr(table, "meta skuid @offline ip6 daddr != ::1 counter reject with icmpx type "
                                      "admin-prohibited"));
        free(table);
        table = bw_fw_render(NULL, 0);
        assert_null(strstr(table, "elements"));
        free(table);
        struct bw_fw_canon c;
        bw_fw_wanted_rule(false, &c);
        assert_string_equal(c.text, "match meta skuid == @offline; match ip daddr != 127.0.0.0/8; reject icmpx "
                                    "admin-prohibited");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ours_is_current),
                cmocka_unit_test(test_structure_differs),
                cmocka_unit_test(test_wanted_matches_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
