/* SPDX-License-Identifier: MIT */
/*
 * Windows security descriptors as bytes (MS-DTYP 2.4.2 SID, 2.4.4 ACE, 2.4.5 ACL, 2.4.6
 * SECURITY_DESCRIPTOR self-relative), with types of our own so the same code and tests run
 * natively on Linux and under Wine. Pure: no Win32 call. The backend builds every DACL here, in
 * canonical order (explicit deny, explicit allow, inherited), instead of SetEntriesInAclW, which
 * (in Wine at least) can put a deny after an allow and so make it dead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_WIN_SID_MAX_SUB 15
#define BW_WIN_SID_STRING_MAX 192 /* "S-1-" + 48-bit authority + 15 x "-4294967295" + NUL */

struct bw_win_sid {
        uint8_t revision; /* 1 */
        uint8_t n_sub;
        uint8_t authority[6]; /* big-endian */
        uint32_t sub[BW_WIN_SID_MAX_SUB];
};

/* Access mask bits of files and directories (winnt.h values). */
#define BW_FILE_READ_DATA 0x1u   /* FILE_LIST_DIRECTORY */
#define BW_FILE_WRITE_DATA 0x2u  /* FILE_ADD_FILE */
#define BW_FILE_APPEND_DATA 0x4u /* FILE_ADD_SUBDIRECTORY */
#define BW_FILE_READ_EA 0x8u
#define BW_FILE_WRITE_EA 0x10u
#define BW_FILE_EXECUTE 0x20u /* FILE_TRAVERSE */
#define BW_FILE_DELETE_CHILD 0x40u
#define BW_FILE_READ_ATTRIBUTES 0x80u
#define BW_FILE_WRITE_ATTRIBUTES 0x100u
#define BW_DELETE 0x10000u
#define BW_READ_CONTROL 0x20000u
#define BW_WRITE_DAC 0x40000u
#define BW_WRITE_OWNER 0x80000u
#define BW_SYNCHRONIZE 0x100000u
#define BW_FILE_ALL_ACCESS 0x1f01ffu
#define BW_FILE_GENERIC_READ 0x120089u
#define BW_FILE_GENERIC_WRITE 0x120116u
#define BW_FILE_GENERIC_EXECUTE 0x1200a0u

/* What the backend grants and denies (shared/design/windows.md). */
/* A writable root: read, write, execute and delete, but neither FILE_DELETE_CHILD (which would let
 * the sandbox delete a carve-out through its parent whatever the carve-out's own DACL says) nor
 * WRITE_DAC/WRITE_OWNER. = 0x1301bf */
#define BW_WIN_MASK_ROOT_ALLOW (BW_FILE_GENERIC_READ | BW_FILE_GENERIC_WRITE | BW_FILE_GENERIC_EXECUTE | BW_DELETE)
/* A read-only carve-out: exactly the write bits, never READ_CONTROL or SYNCHRONIZE (a deny built
 * from FILE_GENERIC_WRITE denies those too and makes the directory unreadable). = 0x10156 */
#define BW_WIN_MASK_CARVE_DENY                                                                                         \
        (BW_FILE_WRITE_DATA | BW_FILE_APPEND_DATA | BW_FILE_WRITE_EA | BW_FILE_WRITE_ATTRIBUTES | BW_DELETE |          \
         BW_FILE_DELETE_CHILD)
/* A read grant: read and execute (list and traverse for directories). = 0x1200a9 */
#define BW_WIN_MASK_READ (BW_FILE_GENERIC_READ | BW_FILE_GENERIC_EXECUTE)
/* Unreadable: everything. */
#define BW_WIN_MASK_DENY_ALL BW_FILE_ALL_ACCESS

/* ACE types and flags (MS-DTYP 2.4.4.1). */
#define BW_ACE_ALLOW 0x00u
#define BW_ACE_DENY 0x01u
#define BW_ACE_OI 0x01u /* OBJECT_INHERIT_ACE */
#define BW_ACE_CI 0x02u /* CONTAINER_INHERIT_ACE */
#define BW_ACE_NP 0x04u /* NO_PROPAGATE_INHERIT_ACE */
#define BW_ACE_IO 0x08u /* INHERIT_ONLY_ACE */
#define BW_ACE_INHERITED 0x10u

/* Security descriptor control bits (MS-DTYP 2.4.6). */
#define BW_SE_OWNER_DEFAULTED 0x0001u
#define BW_SE_GROUP_DEFAULTED 0x0002u
#define BW_SE_DACL_PRESENT 0x0004u
#define BW_SE_SACL_PRESENT 0x0010u
#define BW_SE_DACL_AUTO_INHERITED 0x0400u
#define BW_SE_DACL_PROTECTED 0x1000u
#define BW_SE_SELF_RELATIVE 0x8000u

/*
 * One ACE. Allow and deny ACEs are decoded; any other type (object, callback, conditional ACEs)
 * is kept as its exact bytes in raw/raw_size and written back unchanged, in its place.
 */
struct bw_win_ace {
        uint8_t type, flags;
        uint32_t mask;
        struct bw_win_sid sid;
        uint8_t *raw; /* malloc()ed, non-NULL only for types other than allow and deny */
        uint16_t raw_size;
};

struct bw_win_acl {
        uint8_t revision; /* 2, or 4 when object ACEs are present */
        struct bw_win_ace *aces;
        size_t n, cap;
};

struct bw_win_sd {
        uint16_t control; /* without SE_SELF_RELATIVE, which encoding sets */
        bool has_owner, has_group, has_dacl;
        struct bw_win_sid owner, group;
        struct bw_win_acl dacl;
        uint8_t *sacl_raw; /* the SACL's exact bytes when present */
        size_t sacl_size;
};

/* --- SIDs --- */
size_t bw_win_sid_size(const struct bw_win_sid *sid);
bool bw_win_sid_equal(const struct bw_win_sid *a, const struct bw_win_sid *b);
/* "S-1-5-21-1-2-3-4" -> *ret; -EINVAL when it is not a SID in string form. */
int bw_win_sid_from_string(const char *s, struct bw_win_sid *ret);
/* out has BW_WIN_SID_STRING_MAX bytes. */
void bw_win_sid_to_string(const struct bw_win_sid *sid, char out[BW_WIN_SID_STRING_MAX]);
/* Bytes of the SID at out (bw_win_sid_size(sid) of them). */
void bw_win_sid_encode(const struct bw_win_sid *sid, uint8_t *out);
/* Decode a SID from in[0..size): its length in *ret_used. -EBADMSG when truncated or invalid. */
int bw_win_sid_decode(const uint8_t *in, size_t size, struct bw_win_sid *ret, size_t *ret_used);
/*
 * A synthetic SID S-1-5-21-a-b-c-d from 16 random bytes: the sandbox identity of one writable root.
 * Its four sub-authorities are random, so it names no account of any machine or domain; the
 * first is forced to be at least 0x10000 only so it never reads like a well-known RID.
 */
void bw_win_sid_synthetic(const uint8_t random[16], struct bw_win_sid *ret);
/* Well-known SIDs. */
extern const struct bw_win_sid bw_win_sid_everyone;      /* S-1-1-0 */
extern const struct bw_win_sid bw_win_sid_users;         /* S-1-5-32-545 */
extern const struct bw_win_sid bw_win_sid_authenticated; /* S-1-5-11 */
extern const struct bw_win_sid bw_win_sid_system;        /* S-1-5-18 */
extern const struct bw_win_sid bw_win_sid_admins;        /* S-1-5-32-544 */

/* --- ACLs --- */
void bw_win_acl_done(struct bw_win_acl *acl);
int bw_win_acl_copy(const struct bw_win_acl *from, struct bw_win_acl *ret);
/* Append an allow or deny ACE (raw ACEs come only from decoding). */
int bw_win_acl_add(struct bw_win_acl *acl, uint8_t type, uint8_t flags, uint32_t mask, const struct bw_win_sid *sid);
void bw_win_acl_remove(struct bw_win_acl *acl, size_t i);
bool bw_win_ace_is_deny(const struct bw_win_ace *ace);
bool bw_win_ace_equal(const struct bw_win_ace *a, const struct bw_win_ace *b);
/* Reorder stably into canonical order: explicit deny, explicit other, inherited (as they were). */
void bw_win_acl_canonicalise(struct bw_win_acl *acl);
/* -1 when canonical, else the index of the first ACE out of canonical order. */
long bw_win_acl_first_misordered(const struct bw_win_acl *acl);
size_t bw_win_acl_size(const struct bw_win_acl *acl);
/* Encode at out (bw_win_acl_size() bytes); -E2BIG when the ACL exceeds 64 KiB. */
int bw_win_acl_encode(const struct bw_win_acl *acl, uint8_t *out);
int bw_win_acl_decode(const uint8_t *in, size_t size, struct bw_win_acl *ret);
bool bw_win_acl_equal(const struct bw_win_acl *a, const struct bw_win_acl *b);

/* --- security descriptors --- */
void bw_win_sd_done(struct bw_win_sd *sd);
int bw_win_sd_copy(const struct bw_win_sd *from, struct bw_win_sd *ret);
/* Self-relative bytes (owner, group, SACL, DACL, in that order), malloc()ed. */
int bw_win_sd_encode(const struct bw_win_sd *sd, uint8_t **ret, size_t *ret_size);
/* Parse self-relative bytes; every offset and length is checked. -EBADMSG when invalid. */
int bw_win_sd_decode(const uint8_t *in, size_t size, struct bw_win_sd *ret);
/* The DACL's ACEs as text, for messages and tests: "D:0x10156:OI|CI:S-1-5-21-...;A:..." (malloc()ed). */
char *bw_win_acl_describe(const struct bw_win_acl *acl);

/* --- the per-user state directory (enforcer/windows/SEAM.md, "The per-user installation") --- */
/* Its descriptor: owner user; a protected DACL of SYSTEM and Administrators (full control) and
 * user (full control but DELETE: deletes go through the parent's FILE_DELETE_CHILD), inherited. malloc()ed
 * self-relative bytes. */
int bw_win_user_state_sd(const struct bw_win_sid *user, uint8_t **ret, size_t *ret_n);
/* Is sd (self-relative bytes, as read from the directory) a safe per-user state directory's:
 * owned by user, and no entry lets anyone but SYSTEM, Administrators and user write, delete or
 * re-permission it? 0, or -EPERM / -EBADMSG with why saying what is wrong. */
int bw_win_user_state_check(const uint8_t *sd, size_t n, const struct bw_win_sid *user, char *why, size_t why_size);
