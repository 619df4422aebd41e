/* SPDX-License-Identifier: MIT */
/*
 * The firewall: one nftables table, "inet bulwark", owned by bulwark and replaced as a whole in
 * one transaction (libnftables), so no other table is ever touched and no half-applied ruleset
 * is ever visible. A set "offline" holds the uid of every user's offline sandbox user; the output
 * chain's two rules reject packets of those uids to any destination that is not loopback, IPv4
 * and IPv6, every protocol.
 */
#pragma once

#include "backend.h"
#include "util.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The most offline users one table matches (one per real user with an installation). */
#define BW_FW_MAX_UIDS 4096

/* The table text for the given offline uids (malloc()ed; NULL when out of memory). */
char *bw_fw_render(const uid_t *uids, size_t n);
/* Read the table and compare its structure with what bw_fw_render() writes for uids. */
enum bw_fw_state bw_fw_inspect(const uid_t *uids, size_t n, char *err, size_t err_size);

/*
 * The comparison itself (pure, for tests): json_text is `nft -j -n list table inet bulwark`.
 * CURRENT only if the table has no flags (a dormant table filters nothing), exactly one set
 * (offline, type uid, nothing but its elements, which are exactly uids), exactly one chain
 * (output: type filter, hook output, priority filter, policy accept) and nothing else, and its
 * rules are, in any order, one IPv4 and one IPv6 rule, each matching skuid @offline and a
 * destination other than loopback, with the verdict reject (icmpx admin-prohibited).
 * Counters and comments are not compared: a rule switched to accept with its comment kept
 * differs.
 */
enum bw_fw_state bw_fw_check_listing(const char *json_text, const uid_t *uids, size_t n);

/* A rule in a canonical text form ("match meta skuid == @offline; match ip daddr != 127.0.0.0/8;
 * reject icmpx admin-prohibited"); the wanted rules in the same form. */
struct bw_fw_canon {
        char text[512];
        size_t len;
};
BW_PRINTF(2, 3) void bw_fw_canon_printf(struct bw_fw_canon *c, const char *fmt, ...);
void bw_fw_wanted_rule(bool v6, struct bw_fw_canon *c);
/* Replace the table atomically. */
int bw_fw_apply(const uid_t *uids, size_t n, char *err, size_t err_size);
/* The current table's text (as nft lists it), for the journal. */
int bw_fw_list(char *buf, size_t size);
/* Replace the table with text saved by bw_fw_list(), atomically. */
int bw_fw_restore(const char *text, char *err, size_t err_size);
/* Delete the table if it exists. */
int bw_fw_remove(char *err, size_t err_size);
