/* SPDX-License-Identifier: MIT */
#include "posix_acl.h"

#include <stdlib.h>

int bw_acl_decode(const void *data, size_t size, struct bw_acl *ret) {
        const uint8_t *p = data;
        if (size < 4 || (size - 4) % 8 || bw_le32(p) != BW_ACL_XATTR_VERSION)
                return -EINVAL;
        size_t n = (size - 4) / 8;
        if (n > BW_ACL_MAX_ENTRIES)
                return -E2BIG;
        ret->n = (unsigned) n;
        for (size_t i = 0; i < n; i++) {
                const uint8_t *q = p + 4 + 8 * i;
                ret->e[i] = (struct bw_acl_entry){bw_le16(q), bw_le16(q + 2), bw_le32(q + 4)};
        }
        return 0;
}

size_t bw_acl_encode(const struct bw_acl *acl, uint8_t *buf, size_t cap) {
        size_t need = 4 + 8 * (size_t) acl->n;
        if (cap < need)
                return 0;
        bw_put_le32(buf, BW_ACL_XATTR_VERSION);
        for (unsigned i = 0; i < acl->n; i++) {
                uint8_t *q = buf + 4 + 8 * (size_t) i;
                bw_put_le16(q, acl->e[i].tag);
                bw_put_le16(q + 2, acl->e[i].perm);
                bw_put_le32(q + 4, acl->e[i].id);
        }
        return need;
}

void bw_acl_from_mode(mode_t mode, struct bw_acl *ret) {
        ret->n = 3;
        ret->e[0] = (struct bw_acl_entry){BW_ACL_USER_OBJ, (uint16_t) ((mode >> 6) & 7), BW_ACL_UNDEFINED_ID};
        ret->e[1] = (struct bw_acl_entry){BW_ACL_GROUP_OBJ, (uint16_t) ((mode >> 3) & 7), BW_ACL_UNDEFINED_ID};
        ret->e[2] = (struct bw_acl_entry){BW_ACL_OTHER, (uint16_t) (mode & 7), BW_ACL_UNDEFINED_ID};
}

static int entry_cmp(const void *x, const void *y) {
        const struct bw_acl_entry *a = x, *b = y;
        if (a->tag != b->tag)
                return a->tag < b->tag ? -1 : 1;
        return a->id < b->id ? -1 : a->id > b->id;
}

void bw_acl_sort(struct bw_acl *acl) {
        qsort(acl->e, acl->n, sizeof(acl->e[0]), entry_cmp);
}

static bool in(uint32_t id, const uint32_t *ids, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (ids[i] == id)
                        return true;
        return false;
}

int bw_acl_compute(const struct bw_acl *base, const struct bw_acl_want *want, unsigned n_want,
                   const uint32_t *managed_users, unsigned n_managed_users, const uint32_t *managed_groups,
                   unsigned n_managed_groups, struct bw_acl *ret) {
        struct bw_acl out = {.n = 0};
        const struct bw_acl_entry *group_obj = NULL, *mask = NULL;
        for (unsigned i = 0; i < base->n; i++) {
                const struct bw_acl_entry *e = &base->e[i];
                if ((e->tag == BW_ACL_USER && in(e->id, managed_users, n_managed_users)) ||
                    (e->tag == BW_ACL_GROUP && in(e->id, managed_groups, n_managed_groups)))
                        continue;
                if (e->tag == BW_ACL_MASK) {
                        mask = e;
                        continue;
                }
                out.e[out.n++] = *e;
                if (e->tag == BW_ACL_GROUP_OBJ)
                        group_obj = &out.e[out.n - 1];
        }
        /* The old mask limited the entries we keep: write that limit into them, so that the new
         * mask (which must let our entries through) does not give another user or the owning
         * group more than they effectively had. Their effective permissions stay as they were. */
        if (mask)
                for (unsigned i = 0; i < out.n; i++)
                        if (out.e[i].tag == BW_ACL_USER || out.e[i].tag == BW_ACL_GROUP ||
                            out.e[i].tag == BW_ACL_GROUP_OBJ)
                                out.e[i].perm &= mask->perm;
        for (unsigned i = 0; i < n_want; i++) {
                if (out.n >= BW_ACL_MAX_ENTRIES - 1)
                        return -E2BIG;
                out.e[out.n++] = (struct bw_acl_entry){want[i].tag, want[i].perm, want[i].id};
        }
        /* The mask bounds named entries and the owning group; recompute it as their union so
         * that no entry, ours or another's, loses a permission it had. */
        bool named = false;
        uint16_t m = 0;
        for (unsigned i = 0; i < out.n; i++) {
                if (out.e[i].tag == BW_ACL_USER || out.e[i].tag == BW_ACL_GROUP) {
                        named = true;
                        m |= out.e[i].perm;
                }
        }
        if (named) {
                if (group_obj)
                        m |= group_obj->perm;
                out.e[out.n++] = (struct bw_acl_entry){BW_ACL_MASK, m, BW_ACL_UNDEFINED_ID};
        }
        bw_acl_sort(&out);
        *ret = out;
        return 0;
}

bool bw_acl_is_minimal(const struct bw_acl *acl) {
        for (unsigned i = 0; i < acl->n; i++)
                if (acl->e[i].tag == BW_ACL_USER || acl->e[i].tag == BW_ACL_GROUP || acl->e[i].tag == BW_ACL_MASK)
                        return false;
        return acl->n == 3;
}

#define ACL_R 4
#define ACL_W 2

int bw_acl_keep_protection(const struct bw_acl *base, struct bw_acl *wanted, const uint32_t *protect,
                           unsigned n_protect) {
        uint16_t mask = 7;
        for (unsigned i = 0; i < base->n; i++)
                if (base->e[i].tag == BW_ACL_MASK)
                        mask = base->e[i].perm;
        int kept = 0;
        for (unsigned i = 0; i < base->n; i++) {
                const struct bw_acl_entry *e = &base->e[i];
                if (e->tag != BW_ACL_USER || !in(e->id, protect, n_protect))
                        continue;
                /* what the entry granted in effect: the mask limited it */
                uint16_t had = e->perm & mask;
                struct bw_acl_entry *w = NULL;
                for (unsigned k = 0; k < wanted->n && !w; k++)
                        if (wanted->e[k].tag == BW_ACL_USER && wanted->e[k].id == e->id)
                                w = &wanted->e[k];
                if (w && !(w->perm & ~had & (ACL_R | ACL_W)))
                        continue; /* as strict as before (execute follows the object's mode) */
                if (w)
                        w->perm = had;
                else {
                        if (wanted->n >= BW_ACL_MAX_ENTRIES - 1)
                                return -E2BIG;
                        wanted->e[wanted->n++] = (struct bw_acl_entry){BW_ACL_USER, had, e->id};
                }
                kept |= had & ACL_R ? BW_KEPT_CARVE_OUT : BW_KEPT_DENY_READ;
        }
        if (!kept)
                return 0;
        /* the mask: the union of the group class, as bw_acl_compute makes it */
        uint16_t m = 0;
        struct bw_acl_entry *mask_entry = NULL;
        for (unsigned i = 0; i < wanted->n; i++) {
                uint16_t tag = wanted->e[i].tag;
                if (tag == BW_ACL_USER || tag == BW_ACL_GROUP || tag == BW_ACL_GROUP_OBJ)
                        m |= wanted->e[i].perm;
                else if (tag == BW_ACL_MASK)
                        mask_entry = &wanted->e[i];
        }
        if (mask_entry)
                mask_entry->perm = m;
        else if (wanted->n >= BW_ACL_MAX_ENTRIES)
                return -E2BIG;
        else
                wanted->e[wanted->n++] = (struct bw_acl_entry){BW_ACL_MASK, m, BW_ACL_UNDEFINED_ID};
        bw_acl_sort(wanted);
        return kept;
}
