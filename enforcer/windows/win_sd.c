/* SPDX-License-Identifier: MIT */
/* Security descriptor bytes: see win_sd.h. Every length read from bytes is checked before use. */
#include "win_sd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct bw_win_sid bw_win_sid_everyone = {1, 1, {0, 0, 0, 0, 0, 1}, {0}};
const struct bw_win_sid bw_win_sid_users = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 545}};
const struct bw_win_sid bw_win_sid_authenticated = {1, 1, {0, 0, 0, 0, 0, 5}, {11}};
const struct bw_win_sid bw_win_sid_system = {1, 1, {0, 0, 0, 0, 0, 5}, {18}};
const struct bw_win_sid bw_win_sid_admins = {1, 2, {0, 0, 0, 0, 0, 5}, {32, 544}};

static uint16_t get16(const uint8_t *p) {
        return (uint16_t) (p[0] | p[1] << 8);
}
static uint32_t get32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}
static void put16(uint8_t *p, uint16_t v) {
        p[0] = (uint8_t) v;
        p[1] = (uint8_t) (v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
        for (int i = 0; i < 4; i++)
                p[i] = (uint8_t) (v >> (8 * i));
}

size_t bw_win_sid_size(const struct bw_win_sid *sid) {
        return 8 + 4 * (size_t) sid->n_sub;
}

bool bw_win_sid_equal(const struct bw_win_sid *a, const struct bw_win_sid *b) {
        return a->revision == b->revision && a->n_sub == b->n_sub && memcmp(a->authority, b->authority, 6) == 0 &&
               memcmp(a->sub, b->sub, sizeof(uint32_t) * a->n_sub) == 0;
}

static int parse_u64(const char **s, uint64_t max, uint64_t *ret) {
        const char *p = *s;
        uint64_t v = 0;
        if (*p < '0' || *p > '9')
                return -EINVAL;
        /* Leading zeros would give two spellings of one SID: refused, as ConvertStringSidToSid
         * accepts them but our state files must compare as strings. */
        if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (max - (uint64_t) (*p - '0')) / 10)
                        return -EINVAL;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *s = p;
        *ret = v;
        return 0;
}

int bw_win_sid_from_string(const char *s, struct bw_win_sid *ret) {
        struct bw_win_sid sid = {.revision = 1};
        uint64_t v;
        if (!s || (s[0] != 'S' && s[0] != 's') || s[1] != '-')
                return -EINVAL;
        s += 2;
        if (parse_u64(&s, 255, &v) < 0 || v != 1 || *s != '-')
                return -EINVAL;
        s++;
        if (parse_u64(&s, UINT64_C(0xffffffffffff), &v) < 0)
                return -EINVAL;
        for (int i = 0; i < 6; i++)
                sid.authority[i] = (uint8_t) (v >> (8 * (5 - i)));
        while (*s == '-') {
                s++;
                if (sid.n_sub == BW_WIN_SID_MAX_SUB || parse_u64(&s, UINT32_MAX, &v) < 0)
                        return -EINVAL;
                sid.sub[sid.n_sub++] = (uint32_t) v;
        }
        if (*s != '\0')
                return -EINVAL;
        *ret = sid;
        return 0;
}

void bw_win_sid_to_string(const struct bw_win_sid *sid, char out[BW_WIN_SID_STRING_MAX]) {
        uint64_t auth = 0;
        for (int i = 0; i < 6; i++)
                auth = auth << 8 | sid->authority[i];
        int n = snprintf(out, BW_WIN_SID_STRING_MAX, "S-%u-%" PRIu64, sid->revision, auth);
        for (unsigned i = 0; i < sid->n_sub && i < BW_WIN_SID_MAX_SUB; i++)
                n += snprintf(out + n, BW_WIN_SID_STRING_MAX - (size_t) n, "-%" PRIu32, sid->sub[i]);
}

void bw_win_sid_encode(const struct bw_win_sid *sid, uint8_t *out) {
        out[0] = sid->revision;
        out[1] = sid->n_sub;
        memcpy(out + 2, sid->authority, 6);
        for (unsigned i = 0; i < sid->n_sub; i++)
                put32(out + 8 + 4 * (size_t) i, sid->sub[i]);
}

int bw_win_sid_decode(const uint8_t *in, size_t size, struct bw_win_sid *ret, size_t *ret_used) {
        if (size < 8 || in[0] != 1 || in[1] > BW_WIN_SID_MAX_SUB || size < 8 + 4 * (size_t) in[1])
                return -EBADMSG;
        struct bw_win_sid sid = {.revision = 1, .n_sub = in[1]};
        memcpy(sid.authority, in + 2, 6);
        for (unsigned i = 0; i < sid.n_sub; i++)
                sid.sub[i] = get32(in + 8 + 4 * (size_t) i);
        *ret = sid;
        if (ret_used)
                *ret_used = bw_win_sid_size(&sid);
        return 0;
}

void bw_win_sid_synthetic(const uint8_t random[16], struct bw_win_sid *ret) {
        struct bw_win_sid sid = {.revision = 1, .n_sub = 5, .authority = {0, 0, 0, 0, 0, 5}};
        sid.sub[0] = 21;
        for (int i = 0; i < 4; i++)
                sid.sub[1 + i] = get32(random + 4 * (size_t) i);
        sid.sub[1] |= 0x10000u;
        *ret = sid;
}

/* --- ACLs --- */

static void ace_done(struct bw_win_ace *ace) {
        free(ace->raw);
        ace->raw = NULL;
}

void bw_win_acl_done(struct bw_win_acl *acl) {
        for (size_t i = 0; i < acl->n; i++)
                ace_done(&acl->aces[i]);
        free(acl->aces);
        acl->aces = NULL;
        acl->n = acl->cap = 0;
}

static int acl_grow(struct bw_win_acl *acl) {
        if (acl->n < acl->cap)
                return 0;
        size_t cap = acl->cap ? acl->cap * 2 : 8;
        struct bw_win_ace *a = realloc(acl->aces, cap * sizeof(*a));
        if (!a)
                return -ENOMEM;
        acl->aces = a;
        acl->cap = cap;
        return 0;
}

static int ace_copy(const struct bw_win_ace *from, struct bw_win_ace *to) {
        *to = *from;
        if (from->raw) {
                to->raw = malloc(from->raw_size);
                if (!to->raw)
                        return -ENOMEM;
                memcpy(to->raw, from->raw, from->raw_size);
        }
        return 0;
}

int bw_win_acl_copy(const struct bw_win_acl *from, struct bw_win_acl *ret) {
        struct bw_win_acl acl = {.revision = from->revision};
        for (size_t i = 0; i < from->n; i++) {
                if (acl_grow(&acl) < 0 || ace_copy(&from->aces[i], &acl.aces[acl.n]) < 0) {
                        bw_win_acl_done(&acl);
                        return -ENOMEM;
                }
                acl.n++;
        }
        *ret = acl;
        return 0;
}

int bw_win_acl_add(struct bw_win_acl *acl, uint8_t type, uint8_t flags, uint32_t mask, const struct bw_win_sid *sid) {
        if (type != BW_ACE_ALLOW && type != BW_ACE_DENY)
                return -EINVAL;
        if (acl_grow(acl) < 0)
                return -ENOMEM;
        if (!acl->revision)
                acl->revision = 2;
        acl->aces[acl->n++] = (struct bw_win_ace){.type = type, .flags = flags, .mask = mask, .sid = *sid};
        return 0;
}

void bw_win_acl_remove(struct bw_win_acl *acl, size_t i) {
        ace_done(&acl->aces[i]);
        memmove(&acl->aces[i], &acl->aces[i + 1], (acl->n - i - 1) * sizeof(acl->aces[0]));
        acl->n--;
}

bool bw_win_ace_is_deny(const struct bw_win_ace *ace) {
        /* ACCESS_DENIED, ACCESS_DENIED_OBJECT, ACCESS_DENIED_CALLBACK, ACCESS_DENIED_CALLBACK_OBJECT */
        return ace->type == 0x01 || ace->type == 0x06 || ace->type == 0x0a || ace->type == 0x0c;
}

bool bw_win_ace_equal(const struct bw_win_ace *a, const struct bw_win_ace *b) {
        if (a->type != b->type || a->flags != b->flags)
                return false;
        if (a->raw || b->raw)
                return a->raw && b->raw && a->raw_size == b->raw_size && memcmp(a->raw, b->raw, a->raw_size) == 0;
        return a->mask == b->mask && bw_win_sid_equal(&a->sid, &b->sid);
}

static int ace_class(const struct bw_win_ace *ace) {
        if (ace->flags & BW_ACE_INHERITED)
                return 2;
        return bw_win_ace_is_deny(ace) ? 0 : 1;
}

void bw_win_acl_canonicalise(struct bw_win_acl *acl) {
        /* Insertion sort on the class: stable, and DACLs are short. */
        for (size_t i = 1; i < acl->n; i++) {
                struct bw_win_ace a = acl->aces[i];
                size_t j = i;
                while (j > 0 && ace_class(&acl->aces[j - 1]) > ace_class(&a)) {
                        acl->aces[j] = acl->aces[j - 1];
                        j--;
                }
                acl->aces[j] = a;
        }
}

long bw_win_acl_first_misordered(const struct bw_win_acl *acl) {
        for (size_t i = 1; i < acl->n; i++)
                if (ace_class(&acl->aces[i]) < ace_class(&acl->aces[i - 1]))
                        return (long) i;
        return -1;
}

static size_t ace_size(const struct bw_win_ace *ace) {
        return ace->raw ? ace->raw_size : 8 + bw_win_sid_size(&ace->sid);
}

size_t bw_win_acl_size(const struct bw_win_acl *acl) {
        size_t n = 8;
        for (size_t i = 0; i < acl->n; i++)
                n += ace_size(&acl->aces[i]);
        return n;
}

int bw_win_acl_encode(const struct bw_win_acl *acl, uint8_t *out) {
        size_t size = bw_win_acl_size(acl);
        if (size > 0xfffc || acl->n > 0xffff)
                return -E2BIG;
        out[0] = acl->revision ? acl->revision : 2;
        out[1] = 0;
        put16(out + 2, (uint16_t) size);
        put16(out + 4, (uint16_t) acl->n);
        put16(out + 6, 0);
        uint8_t *p = out + 8;
        for (size_t i = 0; i < acl->n; i++) {
                const struct bw_win_ace *a = &acl->aces[i];
                if (a->raw) {
                        memcpy(p, a->raw, a->raw_size);
                } else {
                        p[0] = a->type;
                        p[1] = a->flags;
                        put16(p + 2, (uint16_t) ace_size(a));
                        put32(p + 4, a->mask);
                        bw_win_sid_encode(&a->sid, p + 8);
                }
                p += ace_size(a);
        }
        return 0;
}

int bw_win_acl_decode(const uint8_t *in, size_t size, struct bw_win_acl *ret) {
        if (size < 8 || (in[0] != 2 && in[0] != 4) || get16(in + 2) > size || get16(in + 2) < 8)
                return -EBADMSG;
        size_t acl_size = get16(in + 2), count = get16(in + 4), off = 8;
        struct bw_win_acl acl = {.revision = in[0]};
        for (size_t i = 0; i < count; i++) {
                if (acl_size - off < 4)
                        goto bad;
                const uint8_t *p = in + off;
                size_t n = get16(p + 2);
                if (n < 4 || n > acl_size - off || n % 4 != 0 || acl_grow(&acl) < 0)
                        goto bad;
                struct bw_win_ace *a = &acl.aces[acl.n];
                *a = (struct bw_win_ace){.type = p[0], .flags = p[1]};
                if (p[0] == BW_ACE_ALLOW || p[0] == BW_ACE_DENY) {
                        size_t used;
                        if (n < 8 || bw_win_sid_decode(p + 8, n - 8, &a->sid, &used) < 0 || used != n - 8)
                                goto bad;
                        a->mask = get32(p + 4);
                } else {
                        if (n >= 8)
                                a->mask = get32(p + 4);
                        a->raw = malloc(n);
                        if (!a->raw)
                                goto bad;
                        memcpy(a->raw, p, n);
                        a->raw_size = (uint16_t) n;
                }
                acl.n++;
                off += n;
        }
        *ret = acl;
        return 0;
bad:
        bw_win_acl_done(&acl);
        return -EBADMSG;
}

bool bw_win_acl_equal(const struct bw_win_acl *a, const struct bw_win_acl *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (!bw_win_ace_equal(&a->aces[i], &b->aces[i]))
                        return false;
        return true;
}

/* --- security descriptors --- */

void bw_win_sd_done(struct bw_win_sd *sd) {
        bw_win_acl_done(&sd->dacl);
        free(sd->sacl_raw);
        sd->sacl_raw = NULL;
}

int bw_win_sd_copy(const struct bw_win_sd *from, struct bw_win_sd *ret) {
        struct bw_win_sd sd = *from;
        sd.sacl_raw = NULL;
        if (bw_win_acl_copy(&from->dacl, &sd.dacl) < 0)
                return -ENOMEM;
        if (from->sacl_raw) {
                sd.sacl_raw = malloc(from->sacl_size);
                if (!sd.sacl_raw) {
                        bw_win_acl_done(&sd.dacl);
                        return -ENOMEM;
                }
                memcpy(sd.sacl_raw, from->sacl_raw, from->sacl_size);
        }
        *ret = sd;
        return 0;
}

int bw_win_sd_encode(const struct bw_win_sd *sd, uint8_t **ret, size_t *ret_size) {
        size_t size = 20;
        size_t owner_off = 0, group_off = 0, sacl_off = 0, dacl_off = 0;
        if (sd->has_owner) {
                owner_off = size;
                size += bw_win_sid_size(&sd->owner);
        }
        if (sd->has_group) {
                group_off = size;
                size += bw_win_sid_size(&sd->group);
        }
        if (sd->sacl_raw) {
                sacl_off = size;
                size += sd->sacl_size;
        }
        if (sd->has_dacl) {
                dacl_off = size;
                size += bw_win_acl_size(&sd->dacl);
        }
        uint8_t *out = calloc(1, size);
        if (!out)
                return -ENOMEM;
        uint16_t control =
                (uint16_t) ((sd->control & ~(BW_SE_DACL_PRESENT | BW_SE_SACL_PRESENT)) | BW_SE_SELF_RELATIVE);
        if (sd->has_dacl)
                control |= BW_SE_DACL_PRESENT;
        if (sd->sacl_raw)
                control |= BW_SE_SACL_PRESENT;
        out[0] = 1;
        put16(out + 2, control);
        put32(out + 4, (uint32_t) owner_off);
        put32(out + 8, (uint32_t) group_off);
        put32(out + 12, (uint32_t) sacl_off);
        put32(out + 16, (uint32_t) dacl_off);
        if (sd->has_owner)
                bw_win_sid_encode(&sd->owner, out + owner_off);
        if (sd->has_group)
                bw_win_sid_encode(&sd->group, out + group_off);
        if (sd->sacl_raw)
                memcpy(out + sacl_off, sd->sacl_raw, sd->sacl_size);
        if (sd->has_dacl) {
                int r = bw_win_acl_encode(&sd->dacl, out + dacl_off);
                if (r < 0) {
                        free(out);
                        return r;
                }
        }
        *ret = out;
        *ret_size = size;
        return 0;
}

int bw_win_sd_decode(const uint8_t *in, size_t size, struct bw_win_sd *ret) {
        if (size < 20 || in[0] != 1 || !(get16(in + 2) & BW_SE_SELF_RELATIVE))
                return -EBADMSG;
        struct bw_win_sd sd = {.control = (uint16_t) (get16(in + 2) & ~BW_SE_SELF_RELATIVE)};
        uint32_t owner = get32(in + 4), group = get32(in + 8), sacl = get32(in + 12), dacl = get32(in + 16);
        if ((owner && (owner < 20 || owner >= size)) || (group && (group < 20 || group >= size)) ||
            (sacl && (sacl < 20 || sacl >= size)) || (dacl && (dacl < 20 || dacl >= size)))
                return -EBADMSG;
        if (owner) {
                if (bw_win_sid_decode(in + owner, size - owner, &sd.owner, NULL) < 0)
                        return -EBADMSG;
                sd.has_owner = true;
        }
        if (group) {
                if (bw_win_sid_decode(in + group, size - group, &sd.group, NULL) < 0)
                        return -EBADMSG;
                sd.has_group = true;
        }
        if ((sd.control & BW_SE_SACL_PRESENT) && sacl) {
                if (size - sacl < 8 || get16(in + sacl + 2) > size - sacl || get16(in + sacl + 2) < 8)
                        return -EBADMSG;
                sd.sacl_size = get16(in + sacl + 2);
                sd.sacl_raw = malloc(sd.sacl_size);
                if (!sd.sacl_raw)
                        return -ENOMEM;
                memcpy(sd.sacl_raw, in + sacl, sd.sacl_size);
        }
        sd.control &= (uint16_t) ~BW_SE_SACL_PRESENT;
        /* SE_DACL_PRESENT with offset 0 is a NULL DACL (everyone has everything): we keep that
         * distinct from an empty DACL by has_dacl = false and the control bit cleared. */
        if ((sd.control & BW_SE_DACL_PRESENT) && dacl) {
                if (bw_win_acl_decode(in + dacl, size - dacl, &sd.dacl) < 0) {
                        free(sd.sacl_raw);
                        return -EBADMSG;
                }
                sd.has_dacl = true;
        }
        sd.control &= (uint16_t) ~BW_SE_DACL_PRESENT;
        *ret = sd;
        return 0;
}

char *bw_win_acl_describe(const struct bw_win_acl *acl) {
        size_t cap = 1 + acl->n * (BW_WIN_SID_STRING_MAX + 40);
        char *out = malloc(cap), sid[BW_WIN_SID_STRING_MAX];
        if (!out)
                return NULL;
        size_t n = 0;
        out[0] = '\0';
        for (size_t i = 0; i < acl->n; i++) {
                const struct bw_win_ace *a = &acl->aces[i];
                const char *t = a->type == BW_ACE_ALLOW ? "A" : a->type == BW_ACE_DENY ? "D" : "?";
                if (a->raw)
                        snprintf(sid, sizeof(sid), "type-0x%02x", a->type);
                else
                        bw_win_sid_to_string(&a->sid, sid);
                n += (size_t) snprintf(out + n, cap - n, "%s%s:0x%" PRIx32 ":%s%s%s%s%s:%s", i ? ";" : "", t, a->mask,
                                       a->flags & BW_ACE_OI ? "OI" : "", a->flags & BW_ACE_CI ? "CI" : "",
                                       a->flags & BW_ACE_NP ? "NP" : "", a->flags & BW_ACE_IO ? "IO" : "",
                                       a->flags & BW_ACE_INHERITED ? "ID" : "", sid);
        }
        return out;
}

/* The per-user state directory's descriptor: owner the user; a protected DACL of SYSTEM and
 * Administrators (full control) and the user (full control but DELETE), inherited (OI|CI). No Everyone, no logon
 * session, no root SID: the restricted pass of a run's write-restricted token (restricting SIDs Everyone, the logon
 * session, the roots' SIDs) fails on every write in it, so no run changes its own installation's record. */
int bw_win_user_state_sd(const struct bw_win_sid *user, uint8_t **ret, size_t *ret_n) {
        struct bw_win_sd sd = {.control = BW_SE_DACL_PRESENT | BW_SE_DACL_PROTECTED,
                               .has_owner = true,
                               .owner = *user,
                               .has_dacl = true};
        sd.dacl.revision = 2;
        const struct bw_win_sid *who[3] = {&bw_win_sid_system, &bw_win_sid_admins, user};
        /* The user's entry lacks DELETE: whether the restricted pass of a write-restricted token
         * examines DELETE is not known (tests/windows/README.md, item 1), and if it does not, the
         * user's own DELETE would let a run remove or rename the directory and its records. Without
         * it a delete needs FILE_DELETE_CHILD on the parent, which the restricted pass examines
         * either way; the user, unrestricted, still deletes and renames through it. */
        const uint32_t mask[3] = {BW_FILE_ALL_ACCESS, BW_FILE_ALL_ACCESS, BW_FILE_ALL_ACCESS & ~BW_DELETE};
        int r = 0;
        for (int i = 0; i < 3 && r == 0; i++)
                r = bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, mask[i], who[i]);
        if (r == 0)
                r = bw_win_sd_encode(&sd, ret, ret_n);
        bw_win_sd_done(&sd);
        return r;
}

/* Bits that change a directory, what is in it, or who may: one of them granted to anyone but
 * SYSTEM, Administrators and the user makes a per-user state directory unsafe, in an entry for the
 * directory or one only its contents inherit (INHERIT_ONLY: the records are files in it).
 * GENERIC_WRITE and GENERIC_ALL too (they are mapped to the others when checked). */
#define USER_STATE_WRITE_BITS                                                                                          \
        (BW_FILE_WRITE_DATA | BW_FILE_APPEND_DATA | BW_FILE_WRITE_EA | BW_FILE_WRITE_ATTRIBUTES |                      \
         BW_FILE_DELETE_CHILD | BW_DELETE | BW_WRITE_DAC | BW_WRITE_OWNER | 0x40000000u | 0x10000000u)

int bw_win_user_state_check(const uint8_t *sd_bytes, size_t n, const struct bw_win_sid *user, char *why,
                            size_t why_size) {
        struct bw_win_sd sd;
        if (bw_win_sd_decode(sd_bytes, n, &sd) < 0) {
                snprintf(why, why_size, "its security descriptor cannot be read");
                return -EBADMSG;
        }
        int r = 0;
        char s[BW_WIN_SID_STRING_MAX];
        if (!sd.has_owner || !bw_win_sid_equal(&sd.owner, user)) {
                bw_win_sid_to_string(&sd.owner, s);
                snprintf(why, why_size, "it is owned by %s, not by you", sd.has_owner ? s : "no one");
                r = -EPERM;
        } else if (!sd.has_dacl) {
                snprintf(why, why_size, "it has no DACL (everyone may write it)");
                r = -EPERM;
        }
        for (size_t i = 0; r == 0 && i < sd.dacl.n; i++) {
                const struct bw_win_ace *a = &sd.dacl.aces[i];
                if (a->raw) {
                        snprintf(why, why_size, "its DACL holds an entry bulwark cannot read (type %u)",
                                 a->raw ? a->raw[0] : 0);
                        r = -EPERM;
                } else if (!bw_win_ace_is_deny(a) && (a->mask & USER_STATE_WRITE_BITS) &&
                           !bw_win_sid_equal(&a->sid, user) && !bw_win_sid_equal(&a->sid, &bw_win_sid_system) &&
                           !bw_win_sid_equal(&a->sid, &bw_win_sid_admins)) {
                        bw_win_sid_to_string(&a->sid, s);
                        snprintf(why, why_size, "its DACL lets %s change it (mask %#x)", s, (unsigned) a->mask);
                        r = -EPERM;
                }
        }
        bw_win_sd_done(&sd);
        return r;
}
