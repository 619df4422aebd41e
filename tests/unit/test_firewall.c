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

static const char *ours = DOC(
        TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", SKUID(998) ", " V4 ", " COUNTER ", " REJECT) ", " RULE(
                3, "bulwark-offline-v6-998", SKUID(998) ", " V6 ", " COUNTER ", " REJECT));

static void test_ours_is_current(void **state) {
        (void) state;
        assert_int_equal(bw_fw_check_listing(ours, uid998, 1), BW_FW_CURRENT);
        /* named output (priority and icmpx code by name), rules in the other order */
        const char *named = DOC(
                TABLE ", "
                      "{\"chain\": {\"family\": \"inet\", \"table\": \"bulwark\", \"name\": \"output\", \"type\": "
                      "\"filter\", \"hook\": \"output\", \"prio\": \"filter\", \"policy\": \"accept\"}}, " RULE(
                              3, "x",
                              SKUID(998) ", " V6 ", {\"reject\": {\"type\": \"icmpx\", \"expr\": "
                                         "\"admin-prohibited\"}}") ", " RULE(2, "y", SKUID(998) ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(named, uid998, 1), BW_FW_CURRENT);
}

static void test_structure_differs(void **state) {
        (void) state;
        /* the case: the IPv4 rule switched to accept, its comment kept */
        const char *accept = DOC(TABLE ", " CHAIN ", " RULE(
                2, "bulwark-offline-v4-998",
                SKUID(998) ", " V4 ", " COUNTER ", {\"accept\": null}") ", " RULE(3, "bulwark-offline-v6-998",
                                                                                  SKUID(998) ", " V6 ", " COUNTER
                                                                                             ", " REJECT));
        assert_int_equal(bw_fw_check_listing(accept, uid998, 1), BW_FW_DIFFERENT);
        /* another uid, comments unchanged */
        const char *other_uid =
                DOC(TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", SKUID(997) ", " V4 ", " REJECT) ", " RULE(
                        3, "bulwark-offline-v6-998", SKUID(998) ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(other_uid, uid998, 1), BW_FW_DIFFERENT);
        /* the IPv6 rule matching IPv4 (both rules the same family) */
        const char *one_family =
                DOC(TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", SKUID(998) ", " V4 ", " REJECT) ", " RULE(
                        3, "bulwark-offline-v6-998", SKUID(998) ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(one_family, uid998, 1), BW_FW_DIFFERENT);
        /* the skuid match dropped: every user's traffic (a different rule, even if stricter) */
        const char *no_skuid = DOC(TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", V4 ", " REJECT) ", " RULE(
                3, "bulwark-offline-v6-998", SKUID(998) ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(no_skuid, uid998, 1), BW_FW_DIFFERENT);
        /* a destination set instead of the loopback prefix */
        const char *set = DOC(TABLE ", " CHAIN ", " RULE(
                2, "bulwark-offline-v4-998",
                SKUID(998) ", {\"match\": {\"op\": \"!=\", \"left\": {\"payload\": "
                           "{\"protocol\": \"ip\", \"field\": \"daddr\"}}, \"right\": "
                           "{\"set\": [\"127.0.0.1\", \"10.0.0.1\"]}}}, " REJECT) ", " RULE(3, "bulwark-offline-v6-998",
                                                                                            SKUID(998) ", " V6
                                                                                                       ", " REJECT));
        assert_int_equal(bw_fw_check_listing(set, uid998, 1), BW_FW_DIFFERENT);
        /* a rule missing, a rule added, the chain's policy, a dormant table, another chain */
        const char *missing =
                DOC(TABLE ", " CHAIN ", " RULE(2, "bulwark-offline-v4-998", SKUID(998) ", " V4 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(missing, uid998, 1), BW_FW_DIFFERENT);
        const char *extra = DOC(TABLE ", " CHAIN ", " RULE(2, "a", SKUID(998) ", " V4 ", " REJECT) ", " RULE(
                3, "b", SKUID(998) ", " V6 ", " REJECT) ", " RULE(4, "c", SKUID(0) ", {\"accept\": null}"));
        assert_int_equal(bw_fw_check_listing(extra, uid998, 1), BW_FW_DIFFERENT);
        char buf[8192];
        snprintf(buf, sizeof(buf), "%s", ours);
        char *policy = strstr(buf, "\"policy\": \"accept\"");
        memcpy(policy, "\"policy\": \"drop\"  ", strlen("\"policy\": \"drop\"  "));
        assert_int_equal(bw_fw_check_listing(buf, uid998, 1), BW_FW_DIFFERENT);
        snprintf(buf, sizeof(buf), "%s", ours);
        char *handle = strstr(buf, "\"handle\": 1}}");
        memcpy(handle, "\"flags\":[3]}}", strlen("\"flags\":[3]}}"));
        assert_int_equal(bw_fw_check_listing(buf, uid998, 1), BW_FW_DIFFERENT);
        const char *two_chains = DOC(TABLE ", " CHAIN ", " CHAIN ", " RULE(
                2, "a", SKUID(998) ", " V4 ", " REJECT) ", " RULE(3, "b", SKUID(998) ", " V6 ", " REJECT));
        assert_int_equal(bw_fw_check_listing(two_chains, uid998, 1), BW_FW_DIFFERENT);
        /* not JSON at all, and the empty listing */
        assert_int_equal(bw_fw_check_listing("table inet bulwark {}", uid998, 1), BW_FW_DIFFERENT);
        assert_int_equal(bw_fw_check_listing("", uid998, 1), BW_FW_DIFFERENT);
}

static void test_wanted_matches_render(void **state) {
        (void) state;
        /* what bw_fw_render writes is what the comparison wants (same uid, both families) */
        char table[4096];
        uid_t uids[] = {998, 997};
        bw_fw_render(uids, 2, table, sizeof(table));
        assert_non_null(strstr(table, "meta skuid 998 ip daddr != 127.0.0.0/8 counter reject with icmpx type "
                                      "admin-prohibited"));
        assert_non_null(strstr(table, "meta skuid 997 ip6 daddr != ::1 counter reject with icmpx type "
                                      "admin-prohibited"));
        struct bw_fw_canon c;
        bw_fw_wanted_rule(998, false, &c);
        assert_string_equal(c.text, "match meta skuid == 998; match ip daddr != 127.0.0.0/8; reject icmpx "
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
