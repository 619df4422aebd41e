/* SPDX-License-Identifier: MIT */
/*
 * Validating a plan. Every check is written so that its arithmetic cannot wrap (64-bit sums of
 * 32-bit values, or explicit overflow builtins) and so that nothing is read before the bytes it
 * lies in have been bounds-checked. The first problem found is reported with its byte offset.
 */
#include "plan.h"
#include "path_template.h"
#include "sha256.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

/* Offsets at which the strings of a table start, ascending: a reference is checked against them
 * with a binary search, so validating n references costs O(n log n) whatever their lengths. */
struct string_index {
        uint32_t *starts;
        uint32_t n;
        uint32_t cursor; /* the last start found: references mostly come in table order */
};

struct checker {
        const uint8_t *data;
        size_t size;
        struct bw_plan *plan;
        struct bw_plan_error *err;
        uint64_t sect_off[BW_PLAN_MAX_SECTIONS];
        struct string_index strs_index, pstr_index;
};

BW_PRINTF(3, 4)
static int fail(struct checker *c, uint64_t offset, const char *fmt, ...) {
        if (c->err) {
                va_list ap;
                va_start(ap, fmt);
                c->err->offset = offset;
                vsnprintf(c->err->message, sizeof(c->err->message), fmt, ap);
                va_end(ap);
        }
        return -EBADMSG;
}

static void type_name(uint32_t type, char out[5]) {
        for (int i = 0; i < 4; i++) {
                char ch = (char) (type >> (8 * i));
                out[i] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
        }
        out[4] = 0;
}

static bool all_zero(const void *p, size_t n) {
        const uint8_t *b = p;
        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

struct known_section {
        uint32_t type;
        uint32_t entry_size;
        bool critical; /* part of what the plan does: in the effect digest */
        bool required;
};

/* In the order of the S_* indices below. */
static const struct known_section known_sections[] = {
        {BW_SECT_STRS, 1, true, true},
        {BW_SECT_META, sizeof(struct bw_plan_meta), true, true},
        {BW_SECT_VARS, sizeof(struct bw_plan_var), true, true},
        {BW_SECT_PRIN, sizeof(struct bw_plan_principal), true, true},
        {BW_SECT_RULE, sizeof(struct bw_plan_rule), true, true},
        {BW_SECT_ACLE, sizeof(struct bw_plan_acl), true, true},
        {BW_SECT_NFTR, sizeof(struct bw_plan_nft_rule), true, true},
        {BW_SECT_TOKS, sizeof(struct bw_plan_token), true, true},
        {BW_SECT_TREF, sizeof(uint32_t), true, true},
        {BW_SECT_PSTR, 1, false, false},
        {BW_SECT_SRCS, sizeof(struct bw_plan_source), false, false},
        {BW_SECT_PROV, sizeof(struct bw_plan_prov), false, false},
        /* format 1.1: critical (a reader that does not know them must refuse the plan rather
         * than run without them), but a plan need not have them */
        {BW_SECT_ENVR, sizeof(struct bw_plan_env), true, false},
        {BW_SECT_LIMT, sizeof(struct bw_plan_limits), true, false},
};

/*
 * String tables are validated once, as a whole (valid UTF-8, no control characters, NUL only as
 * a separator), so a reference only needs bounds, its terminating NUL, and a starting position
 * that is the start of a string (right after a NUL): then its bytes are one whole valid string.
 */
static int check_str(struct checker *c, const char *table, uint32_t table_size, struct bw_plan_str s, uint64_t where,
                     const char *what, bool allow_empty) {
        if (!table)
                return fail(c, where, "%s refers to a string table the plan does not have", what);
        struct string_index *ix = table == c->plan->pstr ? &c->pstr_index : &c->strs_index;
        if ((uint64_t) s.offset + s.length >= table_size)
                return fail(c, where, "%s: string at %u+%u lies outside its table (%u bytes)", what, s.offset, s.length,
                            table_size);
        if (s.length == 0 && !allow_empty)
                return fail(c, where, "%s must not be empty", what);
        if (s.length == 0) {
                /* The empty string has exactly one spelling: otherwise a zero length at an
                 * arbitrary offset would read as whatever string lies there. */
                if (s.offset != 0)
                        return fail(c, where, "%s: an empty string must be {0, 0}, not offset %u", what, s.offset);
                return 0;
        }
        uint32_t lo;
        if (ix->cursor < ix->n && ix->starts[ix->cursor] == s.offset)
                lo = ix->cursor;
        else if (ix->cursor + 1 < ix->n && ix->starts[ix->cursor + 1] == s.offset)
                lo = ix->cursor + 1;
        else {
                uint32_t hi = ix->n;
                lo = 0;
                while (lo < hi) {
                        uint32_t mid = lo + (hi - lo) / 2;
                        if (ix->starts[mid] < s.offset)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
        }
        ix->cursor = lo;
        if (lo == ix->n || ix->starts[lo] != s.offset)
                return fail(c, where, "%s: string at %u does not start a string of the table", what, s.offset);
        uint32_t next = lo + 1 < ix->n ? ix->starts[lo + 1] : table_size;
        if ((uint64_t) s.offset + s.length + 1 != next)
                return fail(c, where, "%s: string at %u is not exactly %u bytes up to a NUL", what, s.offset, s.length);
        return 0;
}

/* One pass over a string table: 8 bytes at a time while they are printable ASCII. */
static int check_string_table(struct checker *c, const char *table, uint32_t size, uint64_t where,
                              struct string_index *ix) {
        const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
        uint32_t i = 0;
        /* One start after every NUL (empty strings included), recorded as the NULs go by in the
         * loop below: at most size of them. */
        ix->starts = malloc(((size_t) size + 1) * sizeof(uint32_t));
        if (!ix->starts)
                return -ENOMEM;
        ix->n = 0;
        ix->cursor = 0;
        while (i < size) {
                if (size - i >= 8) {
                        uint64_t w;
                        memcpy(&w, table + i, 8);
                        /* no byte >= 0x80, none < 0x20 (which covers NUL), none == 0x7f */
                        uint64_t below = (w - ones * 0x20) & ~w & highs;
                        uint64_t del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)) & highs;
                        if (((w & highs) | below | del) == 0) {
                                i += 8;
                                continue;
                        }
                }
                uint8_t b = (uint8_t) table[i];
                if (b == 0) {
                        /* Record every NUL's successor, even the final NUL's predecessor's: a NUL
                         * that is not recorded would let a string reach across it. */
                        if (i + 1 < size)
                                ix->starts[ix->n++] = i + 1;
                        i++;
                        continue;
                }
                if (b >= 0x20 && b < 0x7f) {
                        i++;
                        continue;
                }
                if (b < 0x80)
                        return fail(c, where + i, "string table has a control character (0x%02x)", b);
                /* a multi-byte character: validate just it */
                size_t n = (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 1;
                if (n == 1 || size - i < n || !bw_utf8_valid(table + i, n, NULL))
                        return fail(c, where + i, "string table is not valid UTF-8");
                i += (uint32_t) n;
        }
        return 0;
}

static uint64_t entry_offset(struct checker *c, int sect, size_t entry_size, uint32_t i) {
        return c->sect_off[sect] + (uint64_t) i * entry_size;
}

enum { S_STRS, S_META, S_VARS, S_PRIN, S_RULE, S_ACLE, S_NFTR, S_TOKS, S_TREF, S_PSTR, S_SRCS, S_PROV, S_ENVR, S_LIMT };

static int check_header(struct checker *c) {
        const struct bw_plan_header *h = (const void *) c->data;
        if (c->size < sizeof(*h))
                return fail(c, c->size,
                            "file is %zu bytes, shorter than a plan header (%zu bytes): truncated or not a plan",
                            c->size, sizeof(*h));
        if (memcmp(h->magic, BW_PLAN_MAGIC, BW_PLAN_MAGIC_SIZE) != 0)
                return fail(c, 0, "not a bulwark plan (bad magic); compile a policy with bulwarkc");
        if (h->version_major != BW_PLAN_VERSION_MAJOR)
                return fail(c, 8,
                            "plan format version %u.%u is not supported (this bulwark reads %u.x); recompile the "
                            "policy with a matching bulwarkc",
                            h->version_major, h->version_minor, BW_PLAN_VERSION_MAJOR);
        if (h->header_size < sizeof(*h) || h->header_size % BW_PLAN_ALIGN ||
            (h->version_minor == 0 && h->header_size != sizeof(*h)) || h->header_size > c->size)
                return fail(c, 12, "bad header size %u", h->header_size);
        if (c->size % BW_PLAN_ALIGN)
                return fail(c, 16, "plan size %zu is not a multiple of %d: truncated or extended", c->size,
                            BW_PLAN_ALIGN);
        if (h->file_size != c->size)
                return fail(c, 16, "header says the plan is %llu bytes but it is %zu: truncated or extended",
                            (unsigned long long) h->file_size, c->size);
        if (h->required_features & ~BW_PLAN_FEATURES_KNOWN)
                return fail(c, 24, "plan needs features 0x%llx this bulwark does not know; upgrade bulwark",
                            (unsigned long long) (h->required_features & ~BW_PLAN_FEATURES_KNOWN));
        if (!all_zero(h->reserved, sizeof(h->reserved)))
                return fail(c, 112, "reserved header bytes are not zero");
        if (h->section_entry_size != sizeof(struct bw_plan_section))
                return fail(c, 44, "bad section entry size %u", h->section_entry_size);
        if (h->section_count == 0 || h->section_count > BW_PLAN_MAX_SECTIONS)
                return fail(c, 40, "bad section count %u", h->section_count);
        uint64_t table_end = h->section_table_offset + (uint64_t) h->section_count * sizeof(struct bw_plan_section);
        if (h->section_table_offset < h->header_size || h->section_table_offset % BW_PLAN_ALIGN ||
            h->section_table_offset > c->size || table_end > c->size)
                return fail(c, 32, "section table at %llu (%u entries) lies outside the plan",
                            (unsigned long long) h->section_table_offset, h->section_count);
        if (!all_zero(c->data + h->header_size, h->section_table_offset - h->header_size))
                return fail(c, h->header_size, "bytes between header and section table are not zero");

        return 0;
}

/*
 * Walk the section table. Both digests are computed on the way, each byte hashed once: the
 * critical sections feed the effect digest, everything else (header with its digest field
 * zeroed, the table, optional sections) feeds the file digest, which covers the effect digest.
 */
static int check_sections(struct checker *c, unsigned flags) {
        const struct bw_plan_header *h = (const void *) c->data;
        const struct bw_plan_section *t = (const void *) (c->data + h->section_table_offset);
        uint64_t prev_end = h->section_table_offset + (uint64_t) h->section_count * sizeof(*t);
        bool seen[BW_ARRAY_SIZE(known_sections)] = {0};
        struct bw_sha256 *effect = bw_sha256_new_sized(c->size), *file = bw_sha256_new_sized(c->size);
        int r = 0;
        {
                struct bw_plan_header copy;
                memcpy(&copy, h, sizeof(copy));
                memset(copy.digest, 0, sizeof(copy.digest));
                bw_sha256_update(file, &copy, sizeof(copy));
                bw_sha256_update(file, c->data + sizeof(copy), prev_end - sizeof(copy));
        }

        for (uint32_t i = 0; i < h->section_count; i++) {
                uint64_t where = h->section_table_offset + (uint64_t) i * sizeof(*t);
                const struct bw_plan_section *s = &t[i];
                char tn[5];
                type_name(s->type, tn);
                if (s->flags & ~BW_SECTION_FLAGS_KNOWN) {
                        r = fail(c, where, "section %s has unknown flags 0x%x", tn, s->flags);
                        goto out;
                }
                if (s->offset % BW_PLAN_ALIGN || s->offset < prev_end || s->offset > c->size ||
                    s->size > c->size - s->offset) {
                        r = fail(c, where,
                                 "section %s at %llu+%llu is misaligned, overlaps another or lies outside the plan", tn,
                                 (unsigned long long) s->offset, (unsigned long long) s->size);
                        goto out;
                }
                if (s->entry_size == 0 || (uint64_t) s->count * s->entry_size != s->size) {
                        r = fail(c, where, "section %s: %u entries of %u bytes do not make its size %llu", tn, s->count,
                                 s->entry_size, (unsigned long long) s->size);
                        goto out;
                }
                if (!all_zero(c->data + prev_end, s->offset - prev_end)) {
                        r = fail(c, prev_end, "padding before section %s is not zero", tn);
                        goto out;
                }
                prev_end = s->offset + s->size;

                int k = -1;
                for (size_t j = 0; j < BW_ARRAY_SIZE(known_sections); j++)
                        if (known_sections[j].type == s->type)
                                k = (int) j;
                if (k < 0) {
                        if (s->flags & BW_SECTION_CRITICAL) {
                                r = fail(c, where, "unknown critical section %s: this plan needs a newer bulwark", tn);
                                goto out;
                        }
                        bw_sha256_update(file, c->data + s->offset, s->size);
                        c->plan->n_skipped_sections++;
                        continue;
                }
                if (seen[k]) {
                        r = fail(c, where, "section %s appears twice", tn);
                        goto out;
                }
                seen[k] = true;
                if (s->entry_size != known_sections[k].entry_size) {
                        r = fail(c, where, "section %s has entries of %u bytes, expected %u", tn, s->entry_size,
                                 known_sections[k].entry_size);
                        goto out;
                }
                bool critical = known_sections[k].critical;
                if (!!(s->flags & BW_SECTION_CRITICAL) != critical) {
                        r = fail(c, where, "section %s has the wrong critical flag", tn);
                        goto out;
                }
                if (critical) {
                        uint8_t tag[12];
                        bw_put_le32(tag, s->type);
                        bw_put_le64(tag + 4, s->size);
                        bw_sha256_update(effect, tag, sizeof(tag));
                        bw_sha256_update(effect, c->data + s->offset, s->size);
                } else
                        bw_sha256_update(file, c->data + s->offset, s->size);
                c->sect_off[k] = s->offset;
                const void *base = c->data + s->offset;
                struct bw_plan *p = c->plan;
                switch (k) {
                case S_STRS:
                        p->strs = base;
                        p->strs_size = s->count;
                        break;
                case S_PSTR:
                        p->pstr = base;
                        p->pstr_size = s->count;
                        break;
                case S_META:
                        if (s->count != 1) {
                                r = fail(c, where, "section META must have exactly one entry");
                                goto out;
                        }
                        p->meta = base;
                        break;
                case S_VARS:
                        if (s->count != BW_VAR_COUNT) {
                                r = fail(c, where, "section VARS must have %d entries", BW_VAR_COUNT);
                                goto out;
                        }
                        p->vars = base;
                        p->n_vars = s->count;
                        break;
                case S_PRIN:
                        p->principals = base;
                        p->n_principals = s->count;
                        break;
                case S_RULE:
                        p->rules = base;
                        p->n_rules = s->count;
                        break;
                case S_ACLE:
                        p->acls = base;
                        p->n_acls = s->count;
                        break;
                case S_NFTR:
                        p->nft_rules = base;
                        p->n_nft_rules = s->count;
                        break;
                case S_TOKS:
                        p->tokens = base;
                        p->n_tokens = s->count;
                        break;
                case S_TREF:
                        p->trefs = base;
                        p->n_trefs = s->count;
                        break;
                case S_SRCS:
                        p->sources = base;
                        p->n_sources = s->count;
                        break;
                case S_PROV:
                        p->provs = base;
                        p->n_provs = s->count;
                        break;
                case S_ENVR:
                        p->env = base;
                        p->n_env = s->count;
                        break;
                case S_LIMT:
                        if (s->count != 1) {
                                r = fail(c, where, "section LIMT must have exactly one entry");
                                goto out;
                        }
                        p->limits = base;
                        break;
                }
        }
        if (c->size - prev_end >= BW_PLAN_ALIGN || !all_zero(c->data + prev_end, c->size - prev_end)) {
                r = fail(c, prev_end, "bytes after the last section are not zero padding");
                goto out;
        }
        for (size_t j = 0; j < BW_ARRAY_SIZE(known_sections); j++)
                if (known_sections[j].required && !seen[j]) {
                        char tn[5];
                        type_name(known_sections[j].type, tn);
                        r = fail(c, 0, "required section %s is missing", tn);
                        goto out;
                }
        if (seen[S_PSTR] != seen[S_SRCS] || seen[S_SRCS] != seen[S_PROV]) {
                r = fail(c, 0, "provenance sections PSTR, SRCS and PROV must come together");
                goto out;
        }
        for (int st = S_STRS; st <= S_PSTR; st += S_PSTR - S_STRS) {
                const char *tab = st == S_STRS ? c->plan->strs : c->plan->pstr;
                uint32_t n = st == S_STRS ? c->plan->strs_size : c->plan->pstr_size;
                if (tab && (n == 0 || tab[0] != 0 || tab[n - 1] != 0)) {
                        r = fail(c, c->sect_off[st], "string table must start and end with a NUL byte");
                        goto out;
                }
                if (tab && (r = check_string_table(c, tab, n, c->sect_off[st],
                                                   st == S_STRS ? &c->strs_index : &c->pstr_index)) < 0)
                        goto out;
        }
out:;
        uint8_t d[BW_SHA256_SIZE], e[BW_SHA256_SIZE];
        bw_sha256_final(file, d);
        bw_sha256_final(effect, e);
        if (r == 0 && !(flags & BW_PLAN_PARSE_SKIP_DIGEST)) {
                if (memcmp(d, h->digest, sizeof(d)) != 0)
                        r = fail(c, 48, "digest mismatch: the plan was modified or damaged after it was compiled");
                else if (memcmp(e, h->effect_digest, sizeof(e)) != 0)
                        r = fail(c, 80,
                                 "effect digest mismatch: the plan's rules were modified or damaged after it was "
                                 "compiled");
        }
        return r;
}

static int rule_cmp(const struct bw_plan *p, const struct bw_plan_rule *a, const struct bw_plan_rule *b) {
        int r = strcmp(bw_plan_string(p, a->text), bw_plan_string(p, b->text));
        if (r)
                return r;
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        if (a->match != b->match)
                return a->match < b->match ? -1 : 1;
        if (a->flags != b->flags)
                return a->flags < b->flags ? -1 : 1;
        return 0;
}

/* An environment name ([A-Za-z_][A-Za-z0-9_]*), or with globs also '*' anywhere. */
static bool env_name_ok(const char *s, uint32_t len, bool glob) {
        if (len == 0 || len > BW_ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (uint32_t i = 0; i < len; i++) {
                char ch = s[i];
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                      (glob && ch == '*')))
                        return false;
        }
        return true;
}

static int env_cmp(const struct bw_plan *p, const struct bw_plan_env *a, const struct bw_plan_env *b) {
        if (a->action != b->action)
                return a->action < b->action ? -1 : 1;
        int r = strcmp(bw_plan_string(p, a->name), bw_plan_string(p, b->name));
        if (r)
                return r;
        return a->flags < b->flags ? -1 : a->flags > b->flags;
}

static int check_entries(struct checker *c) {
        struct bw_plan *p = c->plan;
        int r;

        const struct bw_plan_meta *m = p->meta;
        uint64_t mo = c->sect_off[S_META];
        if ((r = check_str(c, p->strs, p->strs_size, m->compiler, mo, "compiler version", false)) < 0 ||
            (r = check_str(c, p->strs, p->strs_size, m->name, mo + 8, "policy name", true)) < 0)
                return r;
        if (m->network > BW_NETWORK_ON || (m->flags & ~BW_META_FLAGS_KNOWN) || m->reserved)
                return fail(c, mo + 16, "META has an unknown network mode, flag or non-zero reserved field");
        if (m->default_token >= p->n_tokens)
                return fail(c, mo + 24, "default token %u does not exist (%u tokens)", m->default_token, p->n_tokens);

        for (uint32_t i = 0; i < p->n_vars; i++) {
                const struct bw_plan_var *v = &p->vars[i];
                uint64_t o = entry_offset(c, S_VARS, sizeof(*v), i);
                if ((r = check_str(c, p->strs, p->strs_size, v->name, o, "variable name", false)) < 0 ||
                    (r = check_str(c, p->strs, p->strs_size, v->value, o + 8, "variable value", true)) < 0)
                        return r;
                if (!bw_streq(bw_plan_string(p, v->name), bw_var_name((enum bw_var_id) i)))
                        return fail(c, o, "variable %u must be named %s", i, bw_var_name((enum bw_var_id) i));
                if ((v->flags & ~BW_VAR_BOUND) || v->reserved)
                        return fail(c, o + 16, "variable %s has unknown flags", bw_var_name((enum bw_var_id) i));
                bool bound = v->flags & BW_VAR_BOUND;
                if (bound != (v->value.length > 0))
                        return fail(c, o + 8, "variable %s: bound flag and value disagree",
                                    bw_var_name((enum bw_var_id) i));
                if (bound && bw_var_value_check((enum bw_var_id) i, bw_plan_string(p, v->value)) < 0)
                        return fail(c, o + 8, "variable %s has an invalid value", bw_var_name((enum bw_var_id) i));
        }

        if (p->n_principals == 0 || p->n_principals > 32)
                return fail(c, c->sect_off[S_PRIN], "plan must have 1 to 32 principals, has %u", p->n_principals);
        for (uint32_t i = 0; i < p->n_principals; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                uint64_t o = entry_offset(c, S_PRIN, sizeof(*pr), i);
                if ((r = check_str(c, p->strs, p->strs_size, pr->name, o, "principal name", false)) < 0)
                        return r;
                if (pr->kind < BW_PRINCIPAL_SYSTEM_USER || pr->kind > BW_PRINCIPAL_REAL_USER ||
                    pr->role < BW_ROLE_OFFLINE || pr->role > BW_ROLE_REAL_USER || pr->reserved)
                        return fail(c, o + 8, "principal %u has an unknown kind or role", i);
                bool is_group = pr->kind == BW_PRINCIPAL_SYSTEM_GROUP;
                bool group_role = pr->role == BW_ROLE_SANDBOX_GROUP || pr->role == BW_ROLE_WRITE_GROUP;
                if (is_group != group_role || (pr->kind == BW_PRINCIPAL_REAL_USER) != (pr->role == BW_ROLE_REAL_USER))
                        return fail(c, o + 8, "principal %u: kind and role disagree", i);
                if (pr->kind == BW_PRINCIPAL_REAL_USER && !bw_streq(bw_plan_string(p, pr->name), "${user}") &&
                    bw_var_value_check(BW_VAR_USER, bw_plan_string(p, pr->name)) < 0)
                        return fail(c, o, "principal %u: invalid real user name", i);
                if (pr->kind != BW_PRINCIPAL_REAL_USER &&
                    bw_var_value_check(BW_VAR_USER, bw_plan_string(p, pr->name)) < 0)
                        return fail(c, o, "principal %u: invalid account name", i);
                /* A plan must not make an existing privileged account (shadow, sudo, docker) a
                 * sandbox principal: apply would add the sandbox users to it. Only bulwark's own
                 * namespace of names is accepted. */
                if (pr->kind != BW_PRINCIPAL_REAL_USER && strncmp(bw_plan_string(p, pr->name), "bulwark-", 8) != 0)
                        return fail(c, o, "principal %u: system accounts of a plan must be named bulwark-*, not \"%s\"",
                                    i, bw_plan_string(p, pr->name));
                for (uint32_t b = 0; b < 32; b++) {
                        if (!(pr->member_of & (UINT32_C(1) << b)))
                                continue;
                        if (b >= p->n_principals || p->principals[b].kind != BW_PRINCIPAL_SYSTEM_GROUP ||
                            pr->kind != BW_PRINCIPAL_SYSTEM_USER)
                                return fail(c, o + 16, "principal %u: membership bit %u is not a group", i, b);
                }
                for (uint32_t j = 0; j < i; j++)
                        if (bw_streq(bw_plan_string(p, p->principals[j].name), bw_plan_string(p, pr->name)))
                                return fail(c, o, "principal %u repeats the name of principal %u", i, j);
        }

        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *ru = &p->rules[i];
                uint64_t o = entry_offset(c, S_RULE, sizeof(*ru), i);
                if ((r = check_str(c, p->strs, p->strs_size, ru->text, o, "rule text", false)) < 0)
                        return r;
                if (ru->kind < BW_RULE_WRITABLE || ru->kind > BW_RULE_CACHE || ru->match < BW_MATCH_PATH ||
                    ru->match > BW_MATCH_REGEX || (ru->flags & ~BW_RULE_FLAGS_KNOWN) || ru->reserved)
                        return fail(c, o + 8, "rule %u has an unknown kind, match, flag or non-zero reserved field", i);
                const char *text = bw_plan_string(p, ru->text);
                /* a cache root is a plain path: no admin standing (it would be a cap that grants),
                 * no protected default, no pattern */
                if (ru->kind == BW_RULE_CACHE && (ru->match != BW_MATCH_PATH || ru->flags))
                        return fail(c, o + 8, "rule %u: a cache root must be a path rule without flags", i);
                if (ru->match == BW_MATCH_PATH) {
                        if (ru->flags & (BW_RULE_IGNORE_CASE | BW_RULE_ANYWHERE))
                                return fail(c, o + 16, "rule %u: a path rule cannot have pattern flags", i);
                        if (bw_path_template_check(text, ru->text.length) < 0)
                                return fail(c, o, "rule %u: \"%.80s\" is not a normalised absolute path template", i,
                                            text);
                } else {
                        if (ru->kind == BW_RULE_WRITABLE || ru->kind == BW_RULE_READABLE || ru->kind == BW_RULE_CACHE)
                                return fail(c, o + 8, "rule %u: patterns can only narrow (read_only, unreadable)", i);
                        if (ru->text.length > BW_PATTERN_MAX)
                                return fail(c, o, "rule %u: pattern longer than %d bytes", i, BW_PATTERN_MAX);
                        /* every "${" must name a known variable (the binder would refuse it later) */
                        for (const char *v = strstr(text, "${"); v; v = strstr(v + 2, "${")) {
                                const char *close = strchr(v, '}');
                                if (!close || bw_var_lookup(v + 2, (size_t) (close - v - 2)) < 0)
                                        return fail(c, o, "rule %u: unknown variable in pattern \"%.80s\"", i, text);
                        }
                        if ((ru->flags & BW_RULE_ANYWHERE) &&
                            (ru->match != BW_MATCH_GLOB || strncmp(text, "**/", 3) != 0))
                                return fail(c, o + 16, "rule %u: only a glob starting with **/ can apply anywhere", i);
                }
                if (i > 0 && rule_cmp(p, &p->rules[i - 1], ru) >= 0)
                        return fail(c, o, "rule %u is out of order or repeats rule %u", i, i - 1);
        }

        for (uint32_t i = 0; i < p->n_acls; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                uint64_t o = entry_offset(c, S_ACLE, sizeof(*a), i);
                if (a->rule_kind < BW_RULE_WRITABLE || a->rule_kind > BW_RULE_UNREADABLE ||
                    a->principal >= p->n_principals)
                        return fail(c, o, "ACL template %u names an unknown rule kind or principal", i);
                if ((a->perms & ~BW_PERMS_KNOWN) || a->scope == 0 ||
                    (a->scope & ~(BW_SCOPE_ACCESS | BW_SCOPE_DEFAULT)) || a->role < BW_ACL_GRANT ||
                    a->role > BW_ACL_OWNER_DEFAULT || (a->flags & ~BW_ACL_RECURSIVE) ||
                    !all_zero(a->reserved, sizeof(a->reserved)))
                        return fail(c, o + 4, "ACL template %u has unknown permissions, scope, role or flags", i);
                if (i > 0) {
                        const struct bw_plan_acl *b = &p->acls[i - 1];
                        if (b->rule_kind > a->rule_kind ||
                            (b->rule_kind == a->rule_kind &&
                             (b->principal > a->principal || (b->principal == a->principal && b->scope >= a->scope))))
                                return fail(c, o, "ACL template %u is out of order or repeats %u", i, i - 1);
                }
        }

        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                const struct bw_plan_nft_rule *n = &p->nft_rules[i];
                uint64_t o = entry_offset(c, S_NFTR, sizeof(*n), i);
                if (n->principal >= p->n_principals || p->principals[n->principal].kind != BW_PRINCIPAL_SYSTEM_USER)
                        return fail(c, o, "firewall rule %u does not name a system user", i);
                if (n->family != BW_NFT_FAMILY_INET || n->hook != BW_NFT_HOOK_OUTPUT || n->protocols == 0 ||
                    (n->protocols & ~BW_PROTO_ALL) || n->match != BW_NFT_MATCH_DADDR_NOT_LOOPBACK ||
                    n->verdict != BW_NFT_VERDICT_REJECT || !all_zero(n->reserved, sizeof(n->reserved)))
                        return fail(c, o + 4,
                                    "firewall rule %u has an unknown family, hook, protocol, match or verdict", i);
        }

        uint32_t defaults = 0;
        for (uint32_t i = 0; i < p->n_tokens; i++) {
                const struct bw_plan_token *t = &p->tokens[i];
                uint64_t o = entry_offset(c, S_TOKS, sizeof(*t), i);
                if (t->principal >= p->n_principals || p->principals[t->principal].kind != BW_PRINCIPAL_SYSTEM_USER)
                        return fail(c, o, "token spec %u does not name a system user", i);
                if (t->network > BW_NETWORK_ON || (t->flags & ~BW_TOKEN_FLAGS_KNOWN) ||
                    t->seccomp_profile != BW_SECCOMP_DEFAULT_V1 || t->landlock_min_abi < 1 ||
                    t->landlock_min_abi > t->landlock_wanted_abi || t->landlock_wanted_abi > 64 ||
                    t->landlock_below_min < BW_LANDLOCK_REFUSE || t->landlock_below_min > BW_LANDLOCK_DEGRADE ||
                    !all_zero(t->reserved, sizeof(t->reserved)))
                        return fail(
                                c, o + 4,
                                "token spec %u has an unknown network mode, flag, seccomp profile or Landlock setting",
                                i);
                if ((uint64_t) t->ref_first + t->ref_count > p->n_trefs)
                        return fail(c, o + 28, "token spec %u refers to rules %u+%u beyond TREF (%u)", i, t->ref_first,
                                    t->ref_count, p->n_trefs);
                if (t->flags & BW_TOKEN_DEFAULT) {
                        defaults++;
                        if (m->default_token != i)
                                return fail(c, o + 8, "token spec %u is flagged default but META names %u", i,
                                            m->default_token);
                }
        }
        if (defaults != 1)
                return fail(c, c->sect_off[S_TOKS], "exactly one token spec must be the default, %u are", defaults);

        for (uint32_t i = 0; i < p->n_trefs; i++)
                if (p->trefs[i] >= p->n_rules)
                        return fail(c, entry_offset(c, S_TREF, 4, i), "token rule reference %u names rule %u of %u", i,
                                    p->trefs[i], p->n_rules);

        for (uint32_t i = 0; i < p->n_env; i++) {
                const struct bw_plan_env *e = &p->env[i];
                uint64_t o = entry_offset(c, S_ENVR, sizeof(*e), i);
                if ((r = check_str(c, p->strs, p->strs_size, e->name, o, "environment name", false)) < 0 ||
                    (r = check_str(c, p->strs, p->strs_size, e->value, o + 8, "environment value", true)) < 0)
                        return r;
                if (e->action < BW_ENV_PASS || e->action > BW_ENV_SET || (e->flags & ~BW_ENV_FLAGS_KNOWN))
                        return fail(c, o + 16, "environment entry %u has an unknown action or flag", i);
                if ((e->flags & BW_ENV_ADMIN) && e->action != BW_ENV_DROP)
                        return fail(c, o + 20, "environment entry %u: only a drop can come from the admin", i);
                const char *name = bw_plan_string(p, e->name);
                if (!env_name_ok(name, e->name.length, e->action != BW_ENV_SET))
                        return fail(c, o, "environment entry %u: \"%.80s\" is not a valid %s", i, name,
                                    e->action == BW_ENV_SET ? "variable name" : "variable name or glob");
                if (e->action != BW_ENV_SET && e->value.length)
                        return fail(c, o + 8, "environment entry %u: only set entries have a value", i);
                if (e->value.length > BW_ENV_VALUE_MAX)
                        return fail(c, o + 8, "environment entry %u: value longer than %d bytes", i, BW_ENV_VALUE_MAX);
                if (i > 0 && env_cmp(p, &p->env[i - 1], e) >= 0)
                        return fail(c, o, "environment entry %u is out of order or repeats entry %u", i, i - 1);
        }

        if (p->limits) {
                const struct bw_plan_limits *l = p->limits;
                uint64_t o = c->sect_off[S_LIMT];
                if (l->reserved)
                        return fail(c, o + 28, "LIMT has a non-zero reserved field");
                if (l->tmpfs_size && l->tmpfs_percent)
                        return fail(c, o, "LIMT sets tmpfs_size both in bytes and as a percentage");
                if ((l->tmpfs_size && l->tmpfs_size < BW_LIMIT_MIN_BYTES) || l->tmpfs_percent > 100)
                        return fail(c, o, "LIMT tmpfs_size is below 1 MiB or above 100%%");
                if (l->memory && l->memory < BW_LIMIT_MIN_BYTES)
                        return fail(c, o + 8, "LIMT memory is below 1 MiB");
                if (l->processes > BW_LIMIT_MAX_PROCESSES)
                        return fail(c, o + 20, "LIMT processes is above %u", BW_LIMIT_MAX_PROCESSES);
                if (l->cpu_millis > BW_LIMIT_MAX_CPU_MILLIS)
                        return fail(c, o + 24, "LIMT cpu is above %u thousandths of a CPU", BW_LIMIT_MAX_CPU_MILLIS);
        }

        for (uint32_t i = 0; i < p->n_sources; i++) {
                const struct bw_plan_source *s = &p->sources[i];
                uint64_t o = entry_offset(c, S_SRCS, sizeof(*s), i);
                if ((r = check_str(c, p->pstr, p->pstr_size, s->name, o, "source name", false)) < 0)
                        return r;
                if (s->layer < BW_LAYER_COMPILER || s->layer > BW_LAYER_ADMIN || s->reserved)
                        return fail(c, o + 40, "source %u has an unknown layer", i);
        }
        for (uint32_t i = 0; i < p->n_provs; i++) {
                const struct bw_plan_prov *v = &p->provs[i];
                uint64_t o = entry_offset(c, S_PROV, sizeof(*v), i);
                uint32_t limit;
                switch (v->section) {
                case BW_SECT_PRIN:
                        limit = p->n_principals;
                        break;
                case BW_SECT_RULE:
                        limit = p->n_rules;
                        break;
                case BW_SECT_ACLE:
                        limit = p->n_acls;
                        break;
                case BW_SECT_NFTR:
                        limit = p->n_nft_rules;
                        break;
                case BW_SECT_TOKS:
                        limit = p->n_tokens;
                        break;
                case BW_SECT_ENVR:
                        limit = p->n_env;
                        break;
                case BW_SECT_LIMT:
                        limit = p->limits ? 1 : 0;
                        break;
                default:
                        return fail(c, o, "provenance %u names a section without entries", i);
                }
                if (v->index >= limit || v->source >= p->n_sources)
                        return fail(c, o + 4, "provenance %u refers to a missing entry or source", i);
                if (i > 0) {
                        const struct bw_plan_prov *u = &p->provs[i - 1];
                        if (u->section > v->section || (u->section == v->section && u->index >= v->index))
                                return fail(c, o, "provenance %u is out of order", i);
                }
        }
        return 0;
}

int bw_plan_parse(const void *data, size_t size, unsigned flags, struct bw_plan *ret, struct bw_plan_error *err) {
        struct bw_plan p = {.data = data, .size = size};
        struct checker c = {.data = data, .size = size, .plan = &p, .err = err};
        int r;
        if ((uintptr_t) data % BW_PLAN_ALIGN)
                return fail(&c, 0, "plan buffer is not 8-byte aligned");
        if (size > BW_PLAN_MAX_SIZE)
                return fail(&c, 0, "plan is larger than %u bytes", BW_PLAN_MAX_SIZE);
        r = check_header(&c);
        if (r == 0)
                r = check_sections(&c, flags);
        if (r == 0)
                r = check_entries(&c);
        free(c.strs_index.starts);
        free(c.pstr_index.starts);
        if (r < 0)
                return r;
        p.header = data;
        p.n_sections = p.header->section_count;
        bw_hex(p.header->digest, BW_PLAN_ID_HEX / 2, p.id);
        *ret = p;
        return 0;
}

struct bw_plan *bw_plan_free(struct bw_plan *plan) {
        if (plan) {
                free(plan->owned);
                free(plan);
        }
        return NULL;
}

/* The plan is read into private memory rather than mmap()ed: a root enforcer must not let the
 * file's owner change bytes between validation and use (a MAP_PRIVATE mapping still shows later
 * writes to pages it has not copied). A plan is a few KiB to a few MiB, so one read is cheap. */
int bw_plan_load(const char *path, unsigned flags, struct bw_plan **ret, struct bw_plan_error *err) {
        if (err)
                *err = (struct bw_plan_error){0};
        /* O_NONBLOCK: a FIFO named as a plan must not hang us; it is refused just below */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > BW_PLAN_MAX_SIZE) {
                if (err)
                        snprintf(err->message, sizeof(err->message), "plan is larger than %u bytes", BW_PLAN_MAX_SIZE);
                return -EFBIG;
        }
        size_t size = (size_t) st.st_size;
        _cleanup_free_ uint8_t *buf = aligned_alloc(BW_PLAN_ALIGN, size ? (size + 7) & ~(size_t) 7 : 8);
        if (!buf)
                return -ENOMEM;
        ssize_t rd = bw_read_full(fd, buf, size);
        if (rd < 0)
                return (int) rd;
        size_t got = (size_t) rd;
        _cleanup_free_ struct bw_plan *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        int r = bw_plan_parse(buf, got, flags, p, err);
        if (r < 0)
                return r;
        p->owned = TAKE_PTR(buf);
        *ret = TAKE_PTR(p);
        return 0;
}

const struct bw_plan_prov *bw_plan_provenance(const struct bw_plan *p, uint32_t section, uint32_t index) {
        size_t lo = 0, hi = p->n_provs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct bw_plan_prov *v = &p->provs[mid];
                if (v->section == section && v->index == index)
                        return v;
                if (v->section < section || (v->section == section && v->index < index))
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

const char *bw_rule_kind_name(uint32_t kind) {
        static const char *const n[] = {"?", "writable", "read_only", "readable", "unreadable", "cache"};
        return kind < BW_ARRAY_SIZE(n) ? n[kind] : "?";
}
const char *bw_match_kind_name(uint32_t match) {
        static const char *const n[] = {"?", "path", "glob", "regex"};
        return match < BW_ARRAY_SIZE(n) ? n[match] : "?";
}
const char *bw_acl_role_name(uint32_t role) {
        static const char *const n[] = {"?", "grant", "carve-out", "read-grant", "deny-read", "owner-default"};
        return role < BW_ARRAY_SIZE(n) ? n[role] : "?";
}
const char *bw_principal_role_name(uint32_t role) {
        static const char *const n[] = {"?", "offline", "online", "sandbox-group", "write-group", "real-user"};
        return role < BW_ARRAY_SIZE(n) ? n[role] : "?";
}
const char *bw_env_action_name(uint32_t action) {
        static const char *const n[] = {"?", "pass", "drop", "set"};
        return action < BW_ARRAY_SIZE(n) ? n[action] : "?";
}
const char *bw_layer_name(uint32_t layer) {
        static const char *const n[] = {"?", "compiler", "profile", "policy", "extends", "admin"};
        return layer < BW_ARRAY_SIZE(n) ? n[layer] : "?";
}
void bw_perms_string(uint8_t perms, char out[4]) {
        out[0] = (perms & BW_PERM_R) ? 'r' : '-';
        out[1] = (perms & BW_PERM_W) ? 'w' : '-';
        out[2] = (perms & BW_PERM_X) ? 'x' : (perms & BW_PERM_COND_X) ? 'X' : '-';
        out[3] = 0;
}
void bw_hex(const uint8_t *bytes, size_t n, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < n; i++) {
                out[2 * i] = digits[bytes[i] >> 4];
                out[2 * i + 1] = digits[bytes[i] & 15];
        }
        out[2 * n] = 0;
}
