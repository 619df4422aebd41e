/* SPDX-License-Identifier: MIT */
/*
 * The change journal: an append-only file of checksummed records. Every change apply makes is
 * recorded, with the prior state it replaces, and made durable (fdatasync) before the change is
 * made; a batch of ACL changes shares one sync. revert reads it back and restores, for each
 * object, the state recorded first (the state before bulwark ever touched it).
 *
 * A record: u32 magic "BWJR", u32 type, u32 payload length, payload, u32 CRC-32 of type, length
 * and payload. A torn last record (a crash mid-append) is ignored; any other damage is an error.
 */
#pragma once

#include "util.h"

#include <pthread.h>
#include <stdint.h>

enum bw_journal_type {
        BW_JOURNAL_BEGIN = 1,   /* payload: plan digest (32 bytes) + workspace path */
        BW_JOURNAL_ACL = 2,     /* payload: see bw_journal_acl */
        BW_JOURNAL_ACCOUNT = 3, /* payload: see bw_journal_account */
        BW_JOURNAL_NFT = 4,     /* payload: u8 table existed before */
        BW_JOURNAL_COMMIT = 5,  /* payload: plan digest (32 bytes): apply finished */
        BW_JOURNAL_RUNNER = 6,  /* payload: the runner binary's path and prior state (runner_file.h) */
};

struct bw_journal {
        int fd;
        pthread_mutex_t lock;
};

struct bw_journal_record {
        uint32_t type;
        const uint8_t *payload;
        uint32_t len;
};

/* ACL payload, decoded. */
struct bw_journal_acl {
        uint64_t ino;
        uint32_t mode; /* the object's st_mode before: removing an ACL does not give back the
                        * group permission bits the mask replaced, so revert needs it */
        bool had_before;
        bool is_default; /* system.posix_acl_default rather than _access */
        const char *root;
        size_t root_len;
        const char *rel;
        size_t rel_len;
        const uint8_t *before;
        size_t before_len;
};

/* Account payload: u8 kind, u8 existed, then for users and groups the name; for memberships
 * (groups apply added an existing user to) the user's name, NUL, comma-separated groups. */
enum bw_journal_account_kind {
        BW_JOURNAL_ACCOUNT_USER = 1,    /* created by apply (existed 0) */
        BW_JOURNAL_ACCOUNT_GROUP = 2,   /* created by apply (existed 0) */
        BW_JOURNAL_ACCOUNT_MEMBERS = 3, /* memberships added to an existing user (existed 1) */
};
#define BW_JOURNAL_ACCOUNT_NAME_MAX 64

struct bw_journal_account {
        uint8_t kind; /* enum bw_journal_account_kind */
        bool existed;
        const char *name;
        size_t name_len;
        const char *groups; /* memberships only: "g1,g2" */
        size_t groups_len;
};

/* Encode into a malloc()ed buffer (NULL: -ENOMEM, or a name longer than
 * BW_JOURNAL_ACCOUNT_NAME_MAX or holding a NUL: -EINVAL, in *ret_error). */
uint8_t *bw_journal_account_encode(const struct bw_journal_account *a, uint32_t *ret_len, int *ret_error);
/* Decode; name and groups point into p. -EBADMSG: not an account record this version writes. */
int bw_journal_account_decode(const uint8_t *p, uint32_t len, struct bw_journal_account *ret);

int bw_journal_open(struct bw_journal *j, int dirfd, const char *name) BW_NODISCARD;
void bw_journal_close(struct bw_journal *j);
/* Append records and fdatasync them, atomically with respect to other threads. */
int bw_journal_append(struct bw_journal *j, const struct bw_journal_record *r, size_t n) BW_NODISCARD;

/* Encode an ACL record's payload into a malloc()ed buffer. */
uint8_t *bw_journal_acl_encode(const struct bw_journal_acl *a, uint32_t *ret_len);
int bw_journal_acl_decode(const uint8_t *p, uint32_t len, struct bw_journal_acl *ret);

/* Read every record of the journal at (dirfd, name). *ret_data owns the bytes the records point
 * into. Returns -EBADMSG (with the byte offset in *bad_offset) for damage other than a torn tail. */
int bw_journal_read(int dirfd, const char *name, uint8_t **ret_data, struct bw_journal_record **ret, size_t *ret_n,
                    uint64_t *bad_offset) BW_NODISCARD;

/* The same, also giving the length of the well-formed prefix (what is left after a torn tail). */
int bw_journal_read_good(int dirfd, const char *name, uint8_t **ret_data, struct bw_journal_record **ret, size_t *ret_n,
                         uint64_t *bad_offset, uint64_t *ret_good) BW_NODISCARD;

uint32_t bw_crc32(uint32_t crc, const void *data, size_t len);
