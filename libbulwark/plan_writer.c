/* SPDX-License-Identifier: MIT */
/*
 * Serialising a plan. The layout is fully determined by the contents: header, section table,
 * then the sections in a fixed order, each 8-byte aligned with zeroed padding. No timestamps,
 * no host data: the same contents always give the same bytes.
 */
#include "plan.h"
#include "sha256.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#define STRTAB_MAX (UINT32_MAX / 2)

int bw_strtab_init(struct bw_strtab *t) {
        *t = (struct bw_strtab){0};
        t->capacity = 256;
        t->data = calloc(t->capacity, 1);
        t->n_slots = 256;
        t->slots = calloc(t->n_slots, sizeof(uint32_t));
        if (!t->data || !t->slots) {
                bw_strtab_done(t);
                return -ENOMEM;
        }
        t->size = 1; /* offset 0 is the empty string */
        return 0;
}

void bw_strtab_done(struct bw_strtab *t) {
        free(t->data);
        free(t->slots);
        *t = (struct bw_strtab){0};
}

static uint32_t hash_bytes(const char *s, size_t len) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < len; i++)
                h = (h ^ (uint8_t) s[i]) * 16777619u;
        return h;
}

/* Slots hold offset+1 so that 0 means empty. */
static int strtab_rehash(struct bw_strtab *t) {
        uint32_t n = t->n_slots * 2;
        uint32_t *slots = calloc(n, sizeof(uint32_t));
        if (!slots)
                return -ENOMEM;
        for (uint32_t i = 0; i < t->n_slots; i++) {
                if (!t->slots[i])
                        continue;
                const char *s = t->data + t->slots[i] - 1;
                uint32_t j = hash_bytes(s, strlen(s)) & (n - 1);
                while (slots[j])
                        j = (j + 1) & (n - 1);
                slots[j] = t->slots[i];
        }
        free(t->slots);
        t->slots = slots;
        t->n_slots = n;
        return 0;
}

int bw_strtab_add(struct bw_strtab *t, const char *s, size_t len, struct bw_plan_str *ret) {
        if (len == 0) {
                *ret = (struct bw_plan_str){0, 0};
                return 0;
        }
        if (memchr(s, 0, len) || len > STRTAB_MAX)
                return -EINVAL;
        uint32_t j = hash_bytes(s, len) & (t->n_slots - 1);
        for (; t->slots[j]; j = (j + 1) & (t->n_slots - 1)) {
                const char *cand = t->data + t->slots[j] - 1;
                if (strncmp(cand, s, len) == 0 && cand[len] == 0) {
                        *ret = (struct bw_plan_str){t->slots[j] - 1, (uint32_t) len};
                        return 0;
                }
        }
        if ((uint64_t) t->size + len + 1 > STRTAB_MAX)
                return -E2BIG;
        if (t->size + len + 1 > t->capacity) {
                uint32_t cap = t->capacity;
                while (cap < t->size + len + 1)
                        cap *= 2;
                char *d = realloc(t->data, cap);
                if (!d)
                        return -ENOMEM;
                t->data = d;
                t->capacity = cap;
        }
        uint32_t off = t->size;
        memcpy(t->data + off, s, len);
        t->data[off + len] = 0;
        t->size += (uint32_t) len + 1;
        t->slots[j] = off + 1;
        if (++t->n_used * 2 > t->n_slots) {
                int r = strtab_rehash(t);
                if (r < 0)
                        return r;
        }
        *ret = (struct bw_plan_str){off, (uint32_t) len};
        return 0;
}

struct section_src {
        uint32_t type, flags;
        const void *data;
        uint32_t count, entry_size;
};

static uint64_t align8(uint64_t v) {
        return (v + 7) & ~UINT64_C(7);
}

int bw_plan_serialise(const struct bw_plan_contents *c, uint8_t **ret, size_t *ret_size) {
        const struct section_src known[] = {
                {BW_SECT_STRS, BW_SECTION_CRITICAL, c->strs.data, c->strs.size, 1},
                {BW_SECT_META, BW_SECTION_CRITICAL, &c->meta, 1, sizeof(struct bw_plan_meta)},
                {BW_SECT_VARS, BW_SECTION_CRITICAL, c->vars, BW_VAR_COUNT, sizeof(struct bw_plan_var)},
                {BW_SECT_PRIN, BW_SECTION_CRITICAL, c->principals, c->n_principals, sizeof(struct bw_plan_principal)},
                {BW_SECT_RULE, BW_SECTION_CRITICAL, c->rules, c->n_rules, sizeof(struct bw_plan_rule)},
                {BW_SECT_ACLE, BW_SECTION_CRITICAL, c->acls, c->n_acls, sizeof(struct bw_plan_acl)},
                {BW_SECT_NFTR, BW_SECTION_CRITICAL, c->nft_rules, c->n_nft_rules, sizeof(struct bw_plan_nft_rule)},
                {BW_SECT_TOKS, BW_SECTION_CRITICAL, c->tokens, c->n_tokens, sizeof(struct bw_plan_token)},
                {BW_SECT_TREF, BW_SECTION_CRITICAL, c->trefs, c->n_trefs, sizeof(uint32_t)},
                {BW_SECT_ENVR, BW_SECTION_CRITICAL, c->env, c->n_env, sizeof(struct bw_plan_env)},
                {BW_SECT_LIMT, BW_SECTION_CRITICAL, c->limits, c->limits ? 1 : 0, sizeof(struct bw_plan_limits)},
                {BW_SECT_PSTR, 0, c->pstr.data, c->pstr.size, 1},
                {BW_SECT_SRCS, 0, c->sources, c->n_sources, sizeof(struct bw_plan_source)},
                {BW_SECT_PROV, 0, c->provs, c->n_provs, sizeof(struct bw_plan_prov)},
        };
        /* The format 1.1 sections only when they say something, so that a plan without them is
         * a 1.0 plan that older readers still accept; provenance unless asked to leave it out. */
        struct section_src all[BW_ARRAY_SIZE(known)];
        uint32_t n = 0;
        bool minor1 = false;
        for (size_t i = 0; i < BW_ARRAY_SIZE(known); i++) {
                uint32_t t = known[i].type;
                if ((t == BW_SECT_ENVR || t == BW_SECT_LIMT) && known[i].count == 0)
                        continue;
                if ((t == BW_SECT_PSTR || t == BW_SECT_SRCS || t == BW_SECT_PROV) && c->without_provenance)
                        continue;
                minor1 |= t == BW_SECT_ENVR || t == BW_SECT_LIMT;
                all[n++] = known[i];
        }

        uint64_t table_off = sizeof(struct bw_plan_header);
        uint64_t off = table_off + (uint64_t) n * sizeof(struct bw_plan_section);
        uint64_t offsets[BW_ARRAY_SIZE(all)];
        for (uint32_t i = 0; i < n; i++) {
                off = align8(off);
                offsets[i] = off;
                off += (uint64_t) all[i].count * all[i].entry_size;
        }
        uint64_t total = align8(off);
        if (total > BW_PLAN_MAX_SIZE)
                return -EFBIG;

        uint8_t *buf = calloc(1, total);
        if (!buf)
                return -ENOMEM;
        struct bw_plan_header *h = (struct bw_plan_header *) buf;
        memcpy(h->magic, BW_PLAN_MAGIC, BW_PLAN_MAGIC_SIZE);
        h->version_major = BW_PLAN_VERSION_MAJOR;
        h->version_minor = minor1 ? 1 : 0;
        h->header_size = sizeof(*h);
        h->file_size = total;
        h->required_features = 0;
        h->section_table_offset = table_off;
        h->section_count = n;
        h->section_entry_size = sizeof(struct bw_plan_section);

        struct bw_plan_section *table = (struct bw_plan_section *) (buf + table_off);
        struct bw_sha256 *effect = bw_sha256_new_sized(total), *file = bw_sha256_new_sized(total);
        for (uint32_t i = 0; i < n; i++) {
                uint64_t size = (uint64_t) all[i].count * all[i].entry_size;
                table[i] = (struct bw_plan_section){
                        .type = all[i].type,
                        .flags = all[i].flags,
                        .offset = offsets[i],
                        .size = size,
                        .count = all[i].count,
                        .entry_size = all[i].entry_size,
                };
                if (size)
                        memcpy(buf + offsets[i], all[i].data, size);
        }
        /* Digests (schema/plan-format.md): critical sections feed the effect digest; the header
         * (digest zeroed, effect digest included), the table and the optional sections feed the
         * file digest. */
        for (uint32_t i = 0; i < n; i++) {
                uint64_t size = table[i].size;
                if (all[i].flags & BW_SECTION_CRITICAL) {
                        uint8_t tag[12];
                        bw_put_le32(tag, all[i].type);
                        bw_put_le64(tag + 4, size);
                        bw_sha256_update(effect, tag, sizeof(tag));
                        bw_sha256_update(effect, buf + offsets[i], size);
                }
        }
        bw_sha256_final(effect, h->effect_digest);
        bw_sha256_update(file, buf, table_off + (uint64_t) n * sizeof(struct bw_plan_section));
        for (uint32_t i = 0; i < n; i++)
                if (!(all[i].flags & BW_SECTION_CRITICAL))
                        bw_sha256_update(file, buf + offsets[i], table[i].size);
        uint8_t digest[BW_SHA256_SIZE];
        bw_sha256_final(file, digest);
        memcpy(h->digest, digest, sizeof(digest));

        *ret = buf;
        *ret_size = total;
        return 0;
}

int bw_write_file_atomic(const char *path, const void *data, size_t size, mode_t mode) {
        size_t len = strlen(path);
        if (len == 0 || len > PATH_MAX - 16)
                return -ENAMETOOLONG;
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long) getpid());
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        const uint8_t *p = data;
        size_t left = size;
        while (left > 0) {
                ssize_t w = write(fd, p, left);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        int r = w < 0 ? -errno : -EIO;
                        unlink(tmp);
                        return r;
                }
                p += w;
                left -= (size_t) w;
        }
        if (fsync(fd) < 0 || rename(tmp, path) < 0) {
                int r = -errno;
                unlink(tmp);
                return r;
        }
        return 0;
}
