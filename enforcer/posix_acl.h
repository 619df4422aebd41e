/* SPDX-License-Identifier: MIT */
/*
 * POSIX ACLs as the kernel stores them in the system.posix_acl_access / _default xattrs:
 * decoding, encoding, and computing the ACL an object should have. Pure code: no system calls,
 * so the rules can be unit-tested; the walk that applies them lives in acl_apply.c.
 */
#pragma once

#include "util.h"

#include <sys/types.h>

#define BW_ACL_XATTR_VERSION 2
#define BW_ACL_MAX_ENTRIES 64

enum {
        BW_ACL_USER_OBJ = 0x01,
        BW_ACL_USER = 0x02,
        BW_ACL_GROUP_OBJ = 0x04,
        BW_ACL_GROUP = 0x08,
        BW_ACL_MASK = 0x10,
        BW_ACL_OTHER = 0x20,
};
#define BW_ACL_UNDEFINED_ID UINT32_MAX

struct bw_acl_entry {
        uint16_t tag;
        uint16_t perm; /* rwx bits: 4 2 1 */
        uint32_t id;
};

struct bw_acl {
        struct bw_acl_entry e[BW_ACL_MAX_ENTRIES];
        unsigned n;
};

/* Decode xattr bytes; -EINVAL if malformed. */
int bw_acl_decode(const void *data, size_t size, struct bw_acl *ret);
/* Encode (entries sorted as the kernel wants them); returns the byte count. buf holds 4 + 8n. */
size_t bw_acl_encode(const struct bw_acl *acl, uint8_t *buf, size_t cap);
/* The minimal access ACL equivalent to a file mode (what an object without the xattr has). */
void bw_acl_from_mode(mode_t mode, struct bw_acl *ret);

/* A named entry bulwark wants on an object. */
struct bw_acl_want {
        uint16_t tag; /* BW_ACL_USER or BW_ACL_GROUP */
        uint32_t id;
        uint16_t perm;
};

/*
 * The ACL an object should have: base (its current ACL) with every named entry whose id is in
 * managed[] (the ids bulwark owns on this object) removed, the wanted entries added, and the
 * mask recomputed as the union of the group class when any named entry remains. Entries of
 * other users and groups are kept as they are.
 */
int bw_acl_compute(const struct bw_acl *base, const struct bw_acl_want *want, unsigned n_want,
                   const uint32_t *managed_users, unsigned n_managed_users, const uint32_t *managed_groups,
                   unsigned n_managed_groups, struct bw_acl *ret);
void bw_acl_sort(struct bw_acl *acl);

/* What bw_acl_keep_protection() kept: a read-only carve-out (reading allowed, writing not), or
 * an unreadable object's deny entries. */
#define BW_KEPT_CARVE_OUT 0x1u
#define BW_KEPT_DENY_READ 0x2u

/*
 * Protection follows the object: the named-user entries of protect[] (the sandbox principals'
 * carve-out and deny-read entries) that base carries are never lifted by wanted, whatever the
 * object's name now decides. An entry wanted lacks is put back; one wanted would give read or
 * write that base's (masked) entry lacks is put back as base had it; one wanted keeps as strict
 * (or stricter) stays as wanted. The mask is recomputed. Returns the BW_KEPT_* of what had to be
 * put back (0: wanted already kept all of it), or -E2BIG.
 */
int bw_acl_keep_protection(const struct bw_acl *base, struct bw_acl *wanted, const uint32_t *protect,
                           unsigned n_protect);
/* Does the ACL carry nothing beyond what the mode says (so the xattr can be absent)? */
bool bw_acl_is_minimal(const struct bw_acl *acl);
