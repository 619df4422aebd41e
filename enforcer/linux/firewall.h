/* SPDX-License-Identifier: MIT */
/*
 * The firewall: one nftables table, "inet bulwark", owned by bulwark and replaced as a whole in
 * one transaction (libnftables), so no other table is ever touched and no half-applied ruleset
 * is ever visible. Its output chain rejects packets of the offline principal to any destination
 * that is not loopback, IPv4 and IPv6, every protocol.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum bw_fw_state {
        BW_FW_ABSENT,    /* no table inet bulwark */
        BW_FW_CURRENT,   /* present and exactly as wanted */
        BW_FW_DIFFERENT, /* present, but not as wanted (drift, or another plan's uid) */
        BW_FW_UNKNOWN,   /* cannot read the ruleset (no CAP_NET_ADMIN, no nf_tables) */
};

/* The table text for the given offline uids (at most 8). */
void bw_fw_render(const uid_t *uids, size_t n, char *buf, size_t size);
enum bw_fw_state bw_fw_inspect(const uid_t *uids, size_t n, char *err, size_t err_size);
/* Replace the table atomically. */
int bw_fw_apply(const uid_t *uids, size_t n, char *err, size_t err_size);
/* The current table's text (as nft lists it), for the journal. */
int bw_fw_list(char *buf, size_t size);
/* Replace the table with text saved by bw_fw_list(), atomically. */
int bw_fw_restore(const char *text, char *err, size_t err_size);
/* Delete the table if it exists. */
int bw_fw_remove(char *err, size_t err_size);
