/* SPDX-License-Identifier: MIT */
/*
 * The plan reader against hostile input. A real plan is compiled in-process, then every
 * truncation and every single-byte change of it is fed back, and a few hand-made plans whose
 * offsets, counts and lengths are picked to wrap 32-bit (or 64-bit) arithmetic or to hide past
 * a careless reader. The root enforcer trusts nothing but bw_plan_parse(), so "rejected with a
 * message" or "accepted and then safe to walk" are the only outcomes allowed.
 */
#include "testutil.h"
#include "plan.h"
#include "sha256.h"
#include "show.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every kind of entry the plan can hold: two writable roots, a read-only path, a case-insensitive
 * glob, a regex, a read grant, unreadable entries, the network on, a bound variable, environment
 * entries of each action (an empty value among them) and limits. */
static const char sample_policy[] = "bulwark: 1\n"
                                    "name: hostile-sample\n"
                                    "filesystem:\n"
                                    "  writable: [\"${workspace}\", \"${tmpdir}\"]\n"
                                    "  read_only:\n"
                                    "    - ${workspace}/.ci\n"
                                    "    - {glob: \"${workspace}/**/*.LOCK\", ignore_case: true}\n"
                                    "    - {regex: '^${workspace}/secrets/.*\\.pem$'}\n"
                                    "  readable: [/opt/sdk]\n"
                                    "  unreadable:\n"
                                    "    - ~/.ssh\n"
                                    "    - {regex: '^${home}/\\.aws'}\n"
                                    "network: on\n"
                                    "environment:\n"
                                    "  pass: [AWS_PROFILE, \"CARGO_*\"]\n"
                                    "  drop: [\"MY_INTERNAL_*\"]\n"
                                    "  set: {RUST_LOG: debug, EMPTY: \"\"}\n"
                                    "limits: {tmpfs_size: 1G, processes: 512, memory: 4G, cpu: 2}\n";

struct sample {
        char *dir;
        uint8_t *bytes;
        size_t size;
        struct bw_plan plan; /* the sample parsed, over bytes */
};

#define HEADER_DIGEST_OFFSET offsetof(struct bw_plan_header, digest)
#define HEADER_EFFECT_OFFSET offsetof(struct bw_plan_header, effect_digest)

/*
 * A copy of size bytes in a buffer of exactly that size, 8-byte aligned as bw_plan_parse()
 * requires. posix_memalign() rather than aligned_alloc(): the latter wants a size that is a
 * multiple of the alignment, and rounding up would give the reader slack bytes that AddressSanitizer
 * cannot tell from the plan, hiding an over-read of a truncated plan by up to 7 bytes.
 */
static uint8_t *aligned_copy(const void *data, size_t size) {
        void *p = NULL;
        assert_int_equal(posix_memalign(&p, BW_PLAN_ALIGN, size ? size : 1), 0);
        if (data && size)
                memcpy(p, data, size);
        else
                memset(p, 0, size ? size : 1);
        return p;
}

static FILE *null_file(void) {
        FILE *f = fopen("/dev/null", "we");
        assert_non_null(f);
        return f;
}

#define WALK_CHECK(cond) assert_true(cond)
#include "plan_walk.h"

/* walk_plan() with its decoded output thrown away */
static uint64_t walk(const struct bw_plan *p) {
        FILE *f = null_file();
        uint64_t sum = walk_plan(p, f);
        fclose(f);
        return sum;
}

static const struct bw_plan_section *section_table(const uint8_t *buf) {
        const struct bw_plan_header *h = (const void *) buf;
        return (const void *) (buf + h->section_table_offset);
}

static struct bw_plan_section *find_section(uint8_t *buf, uint32_t type) {
        const struct bw_plan_header *h = (const void *) buf;
        struct bw_plan_section *t = (void *) (buf + h->section_table_offset);
        for (uint32_t i = 0; i < h->section_count; i++)
                if (t[i].type == type)
                        return &t[i];
        fail_msg("sample plan has no section %.4s", (const char *) &type);
        return NULL;
}

/*
 * Recompute both digests as the writer does (libbulwark/plan_writer.c), so that a hand-made change
 * is judged by the structural checks rather than stopped at a digest. The effect digest covers,
 * for each critical section in table order, its type (u32 LE), its size (u64 LE) and its bytes;
 * the file digest covers the header with its digest field zeroed, everything up to the end of
 * the section table, then each non-critical section's bytes in table order (the critical ones
 * are committed through the effect digest, which is in the header). test_reseal_is_exact checks
 * this against the writer. A misaligned table and sections outside the buffer (deliberately
 * hostile plans) are left out: the reader rejects those before it compares digests.
 */
static void reseal(uint8_t *buf, size_t size) {
        struct bw_plan_header *h = (void *) buf;
        struct bw_sha256 *effect = bw_sha256_new(), *file = bw_sha256_new();
        uint64_t n_entries = 0, table_end = sizeof(*h);

        if (h->section_table_offset <= size && h->section_table_offset % BW_PLAN_ALIGN == 0)
                n_entries = (size - h->section_table_offset) / sizeof(struct bw_plan_section);
        if (n_entries > h->section_count)
                n_entries = h->section_count;
        if (n_entries)
                table_end = h->section_table_offset + n_entries * sizeof(struct bw_plan_section);
        const struct bw_plan_section *t = n_entries ? section_table(buf) : NULL;

        for (uint64_t i = 0; i < n_entries; i++) {
                if (!(t[i].flags & BW_SECTION_CRITICAL) || t[i].offset > size || t[i].size > size - t[i].offset)
                        continue;
                uint8_t tag[12];
                bw_put_le32(tag, t[i].type);
                bw_put_le64(tag + 4, t[i].size);
                bw_sha256_update(effect, tag, sizeof(tag));
                bw_sha256_update(effect, buf + t[i].offset, t[i].size);
        }
        bw_sha256_final(effect, h->effect_digest);

        memset(h->digest, 0, sizeof(h->digest));
        bw_sha256_update(file, buf, table_end);
        for (uint64_t i = 0; i < n_entries; i++)
                if (!(t[i].flags & BW_SECTION_CRITICAL) && t[i].offset <= size && t[i].size <= size - t[i].offset)
                        bw_sha256_update(file, buf + t[i].offset, t[i].size);
        uint8_t d[BW_SHA256_SIZE];
        bw_sha256_final(file, d);
        memcpy(h->digest, d, sizeof(d));
}

/* Parse a copy (so the reader sees an exact-size buffer) and return its result. */
static int parse_copy(const uint8_t *buf, size_t size, unsigned flags, struct bw_plan *plan,
                      struct bw_plan_error *err) {
        uint8_t *copy = aligned_copy(buf, size);
        *err = (struct bw_plan_error){0};
        int r = bw_plan_parse(copy, size, flags, plan, err);
        free(copy);
        return r;
}

static void expect_reject(const uint8_t *buf, size_t size, const char *needle) {
        struct bw_plan plan;
        struct bw_plan_error err;
        int r = parse_copy(buf, size, 0, &plan, &err);
        if (r >= 0)
                fail_msg("hostile plan accepted; expected \"%s\"", needle);
        assert_int_equal(r, -EBADMSG);
        if (!strstr(err.message, needle))
                fail_msg("expected \"%s\" in \"%s\"", needle, err.message);
}

/* A mutable copy of the sample for a hand-made plan. */
static uint8_t *sample_copy(const struct sample *s) {
        return aligned_copy(s->bytes, s->size);
}

static int setup_sample(void **state) {
        struct sample *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        s->dir = bw_test_mkdtemp();
        struct bw_bindings b = {0};
        b.value[BW_VAR_WORKSPACE] = s->dir;
        uint8_t *bytes = NULL;
        bw_test_plan_bytes(s->dir, sample_policy, &b, false, &bytes, &s->size);
        /* the writer's buffer is malloc()ed; keep an exact-size aligned copy */
        s->bytes = aligned_copy(bytes, s->size);
        free(bytes);
        struct bw_plan_error err = {0};
        if (bw_plan_parse(s->bytes, s->size, 0, &s->plan, &err) < 0)
                fail_msg("sample plan rejected: %s (at %llu)", err.message, (unsigned long long) err.offset);
        *state = s;
        return 0;
}

static int teardown_sample(void **state) {
        struct sample *s = *state;
        bw_test_rmtree(s->dir);
        free(s->dir);
        free(s->bytes);
        free(s);
        return 0;
}

static void test_sample_parses(void **state) {
        struct sample *s = *state;
        const struct bw_plan *p = &s->plan;

        /* the policy must really have produced what the mutation tests rely on */
        assert_non_null(p->pstr);
        assert_true(p->n_sources > 0 && p->n_provs > 0);
        assert_int_equal(p->meta->network, BW_NETWORK_ON);
        assert_true(p->vars[BW_VAR_WORKSPACE].flags & BW_VAR_BOUND);
        bool glob_ic = false, regex = false, readable = false, unreadable = false;
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                glob_ic |= r->match == BW_MATCH_GLOB && (r->flags & BW_RULE_IGNORE_CASE) &&
                           !(r->flags & BW_RULE_PROTECTED);
                regex |= r->match == BW_MATCH_REGEX;
                readable |= r->kind == BW_RULE_READABLE;
                unreadable |= r->kind == BW_RULE_UNREADABLE;
        }
        assert_true(glob_ic && regex && readable && unreadable);
        bool pass = false, drop = false, set = false, empty_value = false;
        for (uint32_t i = 0; i < p->n_env; i++) {
                pass |= p->env[i].action == BW_ENV_PASS;
                drop |= p->env[i].action == BW_ENV_DROP;
                set |= p->env[i].action == BW_ENV_SET && p->env[i].value.length > 0;
                empty_value |= p->env[i].action == BW_ENV_SET && p->env[i].value.length == 0;
        }
        assert_true(pass && drop && set && empty_value);
        assert_non_null(p->limits);
        assert_int_equal(p->header->version_minor, 1);
        assert_int_equal(p->n_skipped_sections, 0);
        (void) walk(p);
        print_message("sample plan: %zu bytes, %u sections, %u rules, %u ACL entries\n", s->size, p->n_sections,
                      p->n_rules, p->n_acls);
}

/* The hand-made plans below are only as hostile as reseal() is faithful: if it drifted from the
 * writer, every one of them would be "rejected" by a digest mismatch and prove nothing. */
static void test_reseal_is_exact(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s);
        struct bw_plan_header *h = (void *) buf;
        memset(h->digest, 0xa5, sizeof(h->digest));
        memset(h->effect_digest, 0x5a, sizeof(h->effect_digest));
        reseal(buf, s->size);
        assert_memory_equal(buf, s->bytes, s->size);
        free(buf);
}

static void test_every_truncation(void **state) {
        struct sample *s = *state;
        for (size_t n = 0; n < s->size; n++) {
                static const unsigned flags[] = {0, BW_PLAN_PARSE_SKIP_DIGEST};
                for (size_t f = 0; f < BW_ARRAY_SIZE(flags); f++) {
                        struct bw_plan plan;
                        struct bw_plan_error err;
                        int r = parse_copy(s->bytes, n, flags[f], &plan, &err);
                        if (r >= 0)
                                fail_msg("plan truncated to %zu of %zu bytes accepted (flags %u)", n, s->size,
                                         flags[f]);
                        assert_int_equal(r, -EBADMSG);
                        assert_true(err.message[0] != 0);
                }
        }
}

/* every single-bit flip, and the whole byte inverted */
static const uint8_t flips[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff};

static void test_every_byte_change_caught_by_digest(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s);
        for (size_t off = 0; off < s->size; off++)
                for (size_t k = 0; k < BW_ARRAY_SIZE(flips); k++) {
                        struct bw_plan plan;
                        struct bw_plan_error err = {0};
                        buf[off] ^= flips[k];
                        int r = bw_plan_parse(buf, s->size, 0, &plan, &err);
                        buf[off] ^= flips[k];
                        if (r >= 0)
                                fail_msg("byte %zu ^ 0x%02x accepted", off, flips[k]);
                        assert_int_equal(r, -EBADMSG);
                        assert_true(err.message[0] != 0);
                }
        free(buf);
}

/*
 * Where a byte of the sample lies, for reporting and for the properties checked below: one of
 * the header fields that matter here, the section table, padding, or the contents of section i
 * (REGION_SECTION + i, in table order).
 */
enum {
        REGION_DIGEST,
        REGION_EFFECT_DIGEST,
        REGION_VERSION_MINOR,
        REGION_HEADER, /* every other header field */
        REGION_TABLE,
        REGION_PADDING,
        REGION_SECTION,
        REGION_MAX = REGION_SECTION + BW_PLAN_MAX_SECTIONS,
};

static unsigned region_of(const uint8_t *buf, size_t off) {
        const struct bw_plan_header *h = (const void *) buf;
        if (off >= HEADER_DIGEST_OFFSET && off < HEADER_DIGEST_OFFSET + sizeof(h->digest))
                return REGION_DIGEST;
        if (off >= HEADER_EFFECT_OFFSET && off < HEADER_EFFECT_OFFSET + sizeof(h->effect_digest))
                return REGION_EFFECT_DIGEST;
        if (off >= offsetof(struct bw_plan_header, version_minor) &&
            off < offsetof(struct bw_plan_header, version_minor) + sizeof(h->version_minor))
                return REGION_VERSION_MINOR;
        if (off < sizeof(*h))
                return REGION_HEADER;
        if (off < h->section_table_offset + (uint64_t) h->section_count * sizeof(struct bw_plan_section))
                return REGION_TABLE;
        const struct bw_plan_section *t = section_table(buf);
        for (uint32_t i = 0; i < h->section_count; i++)
                if (off >= t[i].offset && off < t[i].offset + t[i].size)
                        return REGION_SECTION + i;
        return REGION_PADDING;
}

static void print_regions(const uint8_t *buf, const char *what, const unsigned counts[REGION_MAX], unsigned total) {
        static const char *const names[] = {"digest", "effect_digest", "version_minor", "header", "table", "padding"};
        const struct bw_plan_section *t = section_table(buf);
        unsigned n = 0;
        for (unsigned i = 0; i < REGION_MAX; i++)
                n += counts[i];
        print_message("%s: %u of %u single-byte changes accepted:", what, n, total);
        for (unsigned i = 0; i < REGION_MAX; i++) {
                if (!counts[i])
                        continue;
                if (i < REGION_SECTION)
                        print_message(" %s %u", names[i], counts[i]);
                else
                        print_message(" %.4s %u", (const char *) &t[i - REGION_SECTION].type, counts[i]);
        }
        print_message("\n");
}

static void test_every_byte_change_structural(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s), *sealed = sample_copy(s);
        unsigned accepted[REGION_MAX] = {0}, total = 0;

        for (size_t off = 0; off < s->size; off++)
                for (size_t k = 0; k < BW_ARRAY_SIZE(flips); k++) {
                        unsigned where = region_of(s->bytes, off);
                        struct bw_plan plan;
                        struct bw_plan_error err = {0};
                        total++;
                        buf[off] ^= flips[k];
                        int r = bw_plan_parse(buf, s->size, BW_PLAN_PARSE_SKIP_DIGEST, &plan, &err);
                        if (r < 0) {
                                assert_int_equal(r, -EBADMSG);
                                if (err.message[0] == 0)
                                        fail_msg("byte %zu ^ 0x%02x rejected without a message", off, flips[k]);
                        } else {
                                accepted[where]++;
                                /*
                                 * What holds: an accepted change never touches the layout. Every header
                                 * field but the two digests and the minor version (a newer minor must
                                 * stay readable), every byte of the section table and all padding are
                                 * cross-checked (offsets, sizes, counts, flags, reserved zeros), so a
                                 * change there is always rejected. Changes inside sections can be valid
                                 * plans (a flipped permission bit, a renamed source file), so for those
                                 * the promise is only that the accepted plan is safe to walk.
                                 */
                                if (where < REGION_SECTION && where != REGION_DIGEST && where != REGION_EFFECT_DIGEST &&
                                    where != REGION_VERSION_MINOR)
                                        fail_msg("byte %zu ^ 0x%02x accepted in the plan's layout", off, flips[k]);
                                (void) walk(&plan);
                        }

                        /*
                         * The same change by someone who then recomputes both digests, which anyone
                         * can: they are checksums, not signatures. The reader must judge it exactly as
                         * it judged the change under SKIP_DIGEST: the flag may skip the digest
                         * comparisons and nothing else.
                         */
                        if (where != REGION_DIGEST && where != REGION_EFFECT_DIGEST) {
                                struct bw_plan plan2;
                                struct bw_plan_error err2 = {0};
                                memcpy(sealed, buf, s->size);
                                reseal(sealed, s->size);
                                int r2 = bw_plan_parse(sealed, s->size, 0, &plan2, &err2);
                                if (r2 != r || !bw_streq(err.message, err2.message))
                                        fail_msg("byte %zu ^ 0x%02x: \"%s\" under SKIP_DIGEST but \"%s\" resealed", off,
                                                 flips[k], err.message, err2.message);
                        }
                        buf[off] ^= flips[k];
                }
        free(sealed);
        free(buf);

        print_regions(s->bytes, "SKIP_DIGEST", accepted, total);
        /* the digests are only ever compared, so every change of them must have been accepted */
        assert_int_equal(accepted[REGION_DIGEST], 32 * BW_ARRAY_SIZE(flips));
        assert_int_equal(accepted[REGION_EFFECT_DIGEST], 32 * BW_ARRAY_SIZE(flips));
}

/* --- hand-made plans --- */

static void test_overlapping_sections(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s);
        /* META starts where STRS starts */
        find_section(buf, BW_SECT_META)->offset = find_section(buf, BW_SECT_STRS)->offset;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "overlaps another");
        free(buf);

        /* STRS inside the section table */
        buf = sample_copy(s);
        find_section(buf, BW_SECT_STRS)->offset = sizeof(struct bw_plan_header);
        reseal(buf, s->size);
        expect_reject(buf, s->size, "overlaps another");
        free(buf);

        /* a section whose end wraps 64-bit arithmetic */
        buf = sample_copy(s);
        find_section(buf, BW_SECT_PROV)->size = UINT64_MAX - 7;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "lies outside the plan");
        free(buf);

        buf = sample_copy(s);
        find_section(buf, BW_SECT_TREF)->offset = UINT64_MAX - 7;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "lies outside the plan");
        free(buf);

        /* a section table whose end wraps */
        buf = sample_copy(s);
        ((struct bw_plan_header *) buf)->section_table_offset = UINT64_MAX - 7;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "section table at");
        free(buf);
}

static void test_count_overflow(void **state) {
        struct sample *s = *state;

        /* 24 * 2^29 = 3 * 2^32: in 32 bits count * entry_size would still equal the real size */
        uint8_t *buf = sample_copy(s);
        struct bw_plan_section *rule = find_section(buf, BW_SECT_RULE);
        assert_int_equal((uint32_t) ((rule->count + (UINT32_C(1) << 29)) * rule->entry_size), rule->size);
        rule->count += UINT32_C(1) << 29;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "entries of 24 bytes do not make its size");
        free(buf);

        /* 48 * 2^28 = 3 * 2^32 */
        buf = sample_copy(s);
        find_section(buf, BW_SECT_TOKS)->count += UINT32_C(1) << 28;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "entries of 48 bytes do not make its size");
        free(buf);

        /* 2^31 entries of 2 bytes: 2^32, i.e. 0 in 32 bits */
        buf = sample_copy(s);
        struct bw_plan_section *nftr = find_section(buf, BW_SECT_NFTR);
        nftr->count = UINT32_C(1) << 31;
        nftr->entry_size = 2;
        nftr->size = 0;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "do not make its size");
        free(buf);

        /* a zero entry size would make every count fit */
        buf = sample_copy(s);
        find_section(buf, BW_SECT_TREF)->entry_size = 0;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "entries of 0 bytes");
        free(buf);
}

static void test_string_bounds(void **state) {
        struct sample *s = *state;
        static const struct bw_plan_str hostile[] = {
                {UINT32_MAX, 0},     /* offset + length = UINT32_MAX */
                {1, UINT32_MAX},     /* wraps to 0 in 32 bits, where a NUL is */
                {UINT32_MAX, 1},     /* likewise */
                {UINT32_MAX - 2, 3}, /* likewise */
                {0, UINT32_MAX},
        };

        for (size_t i = 0; i < BW_ARRAY_SIZE(hostile); i++) {
                uint8_t *buf = sample_copy(s);
                struct bw_plan_meta *m = (void *) (buf + find_section(buf, BW_SECT_META)->offset);
                m->compiler = hostile[i];
                reseal(buf, s->size);
                expect_reject(buf, s->size, "compiler version: string at");
                expect_reject(buf, s->size, "lies outside its table");
                free(buf);

                buf = sample_copy(s);
                struct bw_plan_rule *r = (void *) (buf + find_section(buf, BW_SECT_RULE)->offset);
                r[1].text = hostile[i];
                reseal(buf, s->size);
                expect_reject(buf, s->size, "rule text: string at");
                free(buf);

                /* provenance strings are not in the effect digest, but are checked all the same */
                buf = sample_copy(s);
                struct bw_plan_source *src = (void *) (buf + find_section(buf, BW_SECT_SRCS)->offset);
                src[0].name = hostile[i];
                reseal(buf, s->size);
                expect_reject(buf, s->size, "source name: string at");
                free(buf);
        }
}

/* An empty string is a reference to a NUL byte: one that points into the middle of another
 * string would read as that string to anything using C string functions (bw_plan_string() and
 * every consumer), so a policy "without a name" would be shown and logged under another name. */
static void test_empty_string_at_nul(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s);
        struct bw_plan_meta *m = (void *) (buf + find_section(buf, BW_SECT_META)->offset);
        m->name = (struct bw_plan_str){.offset = m->compiler.offset, .length = 0};
        reseal(buf, s->size);
        expect_reject(buf, s->size, "policy name");
        free(buf);

        buf = sample_copy(s);
        struct bw_plan_var *v = (void *) (buf + find_section(buf, BW_SECT_VARS)->offset);
        assert_false(v[BW_VAR_HOME].flags & BW_VAR_BOUND);
        v[BW_VAR_HOME].value = (struct bw_plan_str){.offset = v[BW_VAR_HOME].name.offset, .length = 0};
        reseal(buf, s->size);
        expect_reject(buf, s->size, "variable value");
        free(buf);
}

/* A plan cannot make an existing account (here one that would be called "home") a sandbox
 * principal, nor carry a pattern naming a variable nobody can bind. */
static void test_names_and_variables(void **state) {
        struct sample *s = *state;
        uint8_t *buf = sample_copy(s);
        struct bw_plan_principal *pr = (void *) (buf + find_section(buf, BW_SECT_PRIN)->offset);
        const struct bw_plan_var *v = (const void *) (buf + find_section(buf, BW_SECT_VARS)->offset);
        pr[3].name = v[BW_VAR_HOME].name; /* the string "home": a valid account name */
        reseal(buf, s->size);
        expect_reject(buf, s->size, "must be named bulwark-*");
        free(buf);

        buf = sample_copy(s);
        const struct bw_plan_section *strs = find_section(buf, BW_SECT_STRS);
        uint8_t *text = memmem(buf + strs->offset, strs->size, "**/.bulwark", 12); /* with its NUL */
        assert_non_null(text);
        memcpy(text, "**/${bogus}", 11); /* same length, same place in the rule order */
        reseal(buf, s->size);
        expect_reject(buf, s->size, "unknown variable in pattern");
        free(buf);
}

/* A cache root (copy-on-write) is a plain path rule: a cache pattern, an admin or protected
 * cache rule, a kind beyond it, or an ACL template for it is refused. The readable path rule
 * /opt/sdk made a cache root is a valid plan. */
static void test_cache_rules(void **state) {
        struct sample *s = *state;
        uint32_t path = UINT32_MAX, glob = UINT32_MAX;
        for (uint32_t i = 0; i < s->plan.n_rules; i++) {
                const struct bw_plan_rule *r = &s->plan.rules[i];
                if (r->kind == BW_RULE_READABLE && r->match == BW_MATCH_PATH)
                        path = i;
                if (r->match == BW_MATCH_GLOB && !(r->flags & BW_RULE_PROTECTED))
                        glob = i;
        }
        assert_true(path != UINT32_MAX && glob != UINT32_MAX);
        const struct {
                uint32_t rule, kind, flags;
                const char *needle; /* NULL: accepted */
        } cases[] = {
                {path, BW_RULE_CACHE, 0, NULL},
                {path, BW_RULE_CACHE, BW_RULE_ADMIN, "cache root must be a path rule without flags"},
                {path, BW_RULE_CACHE, BW_RULE_PROTECTED, "cache root must be a path rule without flags"},
                {glob, BW_RULE_CACHE, UINT32_MAX, "cache root must be a path rule without flags"},
                {path, BW_RULE_CACHE + 1, 0, "unknown kind"},
        };
        for (size_t c = 0; c < BW_ARRAY_SIZE(cases); c++) {
                uint8_t *buf = sample_copy(s);
                struct bw_plan_rule *r = (void *) (buf + find_section(buf, BW_SECT_RULE)->offset);
                r[cases[c].rule].kind = cases[c].kind;
                if (cases[c].flags != UINT32_MAX)
                        r[cases[c].rule].flags = cases[c].flags;
                reseal(buf, s->size);
                if (cases[c].needle) {
                        expect_reject(buf, s->size, cases[c].needle);
                } else {
                        struct bw_plan plan;
                        struct bw_plan_error err;
                        if (parse_copy(buf, s->size, 0, &plan, &err) < 0)
                                fail_msg("a path cache rule was rejected: %s", err.message);
                        assert_string_equal(bw_rule_kind_name(BW_RULE_CACHE), "cache");
                }
                free(buf);
        }
        /* no ACL template belongs to a cache root: it grants nothing on the host's objects */
        uint8_t *buf = sample_copy(s);
        struct bw_plan_acl *a = (void *) (buf + find_section(buf, BW_SECT_ACLE)->offset);
        a[s->plan.n_acls - 1].rule_kind = BW_RULE_CACHE;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "unknown rule kind or principal");
        free(buf);
}

static void test_index_bounds(void **state) {
        struct sample *s = *state;

        /* TREF[ref_first .. ref_first + ref_count) with a 32-bit sum that wraps to 1 */
        uint8_t *buf = sample_copy(s);
        struct bw_plan_token *t = (void *) (buf + find_section(buf, BW_SECT_TOKS)->offset);
        t[0].ref_first = UINT32_MAX;
        t[0].ref_count = 2;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "beyond TREF");
        free(buf);

        buf = sample_copy(s);
        struct bw_plan_acl *a = (void *) (buf + find_section(buf, BW_SECT_ACLE)->offset);
        a[0].principal = (uint8_t) s->plan.n_principals;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "unknown rule kind or principal");
        free(buf);

        buf = sample_copy(s);
        a = (void *) (buf + find_section(buf, BW_SECT_ACLE)->offset);
        a[0].rule_kind = UINT32_MAX;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "unknown rule kind or principal");
        free(buf);

        buf = sample_copy(s);
        struct bw_plan_meta *m = (void *) (buf + find_section(buf, BW_SECT_META)->offset);
        m->default_token = UINT32_MAX;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "default token");
        free(buf);

        buf = sample_copy(s);
        uint32_t *tref = (void *) (buf + find_section(buf, BW_SECT_TREF)->offset);
        tref[0] = UINT32_MAX;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "token rule reference 0");
        free(buf);

        buf = sample_copy(s);
        struct bw_plan_prov *v = (void *) (buf + find_section(buf, BW_SECT_PROV)->offset);
        v[0].source = UINT16_MAX;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "missing entry or source");
        free(buf);

        buf = sample_copy(s);
        ((struct bw_plan_header *) buf)->section_count = UINT32_MAX;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "bad section count");
        free(buf);
}

/*
 * The sample with one more section of the given type and flags appended: the table grows by one
 * entry (so every section moves by 32 bytes, which keeps them aligned), the payload goes last.
 */
static uint8_t *with_extra_section(const struct sample *s, uint32_t type, uint32_t flags, const char *payload,
                                   uint32_t payload_size, size_t *ret_size) {
        const struct bw_plan_header *h0 = (const void *) s->bytes;
        uint64_t old_table_end =
                h0->section_table_offset + (uint64_t) h0->section_count * sizeof(struct bw_plan_section);
        uint64_t extra_off = (s->size + sizeof(struct bw_plan_section) + 7) & ~UINT64_C(7);
        size_t size = (extra_off + payload_size + 7) & ~(size_t) 7;

        uint8_t *buf = aligned_copy(NULL, size);
        memcpy(buf, s->bytes, old_table_end);
        memcpy(buf + old_table_end + sizeof(struct bw_plan_section), s->bytes + old_table_end, s->size - old_table_end);
        memcpy(buf + extra_off, payload, payload_size);

        struct bw_plan_header *h = (void *) buf;
        struct bw_plan_section *t = (void *) (buf + h->section_table_offset);
        for (uint32_t i = 0; i < h->section_count; i++)
                t[i].offset += sizeof(struct bw_plan_section);
        t[h->section_count] = (struct bw_plan_section){
                .type = type,
                .flags = flags,
                .offset = extra_off,
                .size = payload_size,
                .count = payload_size,
                .entry_size = 1,
        };
        h->section_count++;
        h->file_size = size;
        reseal(buf, size);
        *ret_size = size;
        return buf;
}

static void test_unknown_sections(void **state) {
        struct sample *s = *state;
        static const char payload[] = "from a newer bulwarkc";
        const uint32_t xtra = BW_FOURCC('X', 'T', 'R', 'A');
        size_t size;

        uint8_t *buf = with_extra_section(s, xtra, BW_SECTION_CRITICAL, payload, sizeof(payload), &size);
        expect_reject(buf, size, "unknown critical section XTRA");
        free(buf);

        /* not critical: skipped, and what the plan does is unchanged */
        buf = with_extra_section(s, xtra, 0, payload, sizeof(payload), &size);
        struct bw_plan plan;
        struct bw_plan_error err = {0};
        if (bw_plan_parse(buf, size, 0, &plan, &err) < 0)
                fail_msg("plan with an unknown optional section rejected: %s", err.message);
        assert_int_equal(plan.n_skipped_sections, 1);
        assert_int_equal(plan.n_sections, s->plan.n_sections + 1);
        assert_int_equal(plan.n_rules, s->plan.n_rules);
        assert_int_equal(plan.n_acls, s->plan.n_acls);
        /* the effect digest covers types, sizes and bytes, not offsets: moving sections keeps it */
        assert_memory_equal(plan.header->effect_digest, s->plan.header->effect_digest, BW_SHA256_SIZE);
        assert_memory_not_equal(plan.header->digest, s->plan.header->digest, BW_SHA256_SIZE);
        (void) walk(&plan);
        free(buf);

        /* an unknown section flag is not something to skip */
        buf = with_extra_section(s, xtra, 0x2, payload, sizeof(payload), &size);
        expect_reject(buf, size, "unknown flags 0x2");
        free(buf);
}

static void test_header_fields(void **state) {
        struct sample *s = *state;

        uint8_t *buf = sample_copy(s);
        ((struct bw_plan_header *) buf)->version_major = 2;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "version 2.1 is not supported");
        free(buf);

        static const uint64_t features[] = {1, UINT64_C(1) << 63};
        static const char *const feature_msgs[] = {"needs features 0x1 ", "needs features 0x8000000000000000"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(features); i++) {
                buf = sample_copy(s);
                ((struct bw_plan_header *) buf)->required_features = features[i];
                reseal(buf, s->size);
                expect_reject(buf, s->size, feature_msgs[i]);
                free(buf);
        }

        buf = sample_copy(s);
        ((struct bw_plan_header *) buf)->reserved[15] = 1;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "reserved header bytes");
        free(buf);

        /* an intact plan at an odd address: the reader maps structs directly and must refuse */
        buf = aligned_copy(NULL, s->size + 1);
        memcpy(buf + 1, s->bytes, s->size);
        struct bw_plan plan;
        struct bw_plan_error err = {0};
        assert_int_equal(bw_plan_parse(buf + 1, s->size, 0, &plan, &err), -EBADMSG);
        assert_non_null(strstr(err.message, "not 8-byte aligned"));
        free(buf);
}

/* The environment section (format 1.1): every field the runner relies on is checked. */
static struct bw_plan_env *env_entries(uint8_t *buf) {
        return (void *) (buf + find_section(buf, BW_SECT_ENVR)->offset);
}

/* Index of the first entry of the sample with action, for a hand-made change. */
static uint32_t env_index(const struct sample *s, uint32_t action) {
        for (uint32_t i = 0; i < s->plan.n_env; i++)
                if (s->plan.env[i].action == action)
                        return i;
        fail_msg("sample has no environment entry of action %u", action);
        return 0;
}

static void test_environment_entries(void **state) {
        struct sample *s = *state;
        uint32_t pass = env_index(s, BW_ENV_PASS), drop = env_index(s, BW_ENV_DROP), set = env_index(s, BW_ENV_SET);
        const struct bw_plan_env *orig = s->plan.env;

        static const uint32_t bad_actions[] = {0, 4, UINT32_MAX};
        for (size_t i = 0; i < BW_ARRAY_SIZE(bad_actions); i++) {
                uint8_t *buf = sample_copy(s);
                env_entries(buf)[drop].action = bad_actions[i];
                reseal(buf, s->size);
                expect_reject(buf, s->size, "unknown action or flag");
                free(buf);
        }

        uint8_t *buf = sample_copy(s);
        env_entries(buf)[drop].flags = 0x2;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "unknown action or flag");
        free(buf);

        /* only a drop can be the admin's */
        buf = sample_copy(s);
        env_entries(buf)[pass].flags = BW_ENV_ADMIN;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "only a drop can come from the admin");
        free(buf);

        /* a pass with a value (RUST_LOG's: EMPTY, the first set entry, has none) */
        buf = sample_copy(s);
        assert_int_equal(orig[set].value.length, 0);
        assert_true(orig[set + 1].value.length > 0);
        env_entries(buf)[pass].value = orig[set + 1].value;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "only set entries have a value");
        free(buf);

        /* a set entry whose name is a glob ("CARGO_*", a pass entry's name) */
        buf = sample_copy(s);
        assert_non_null(strchr(bw_plan_string(&s->plan, orig[pass + 1].name), '*'));
        env_entries(buf)[set].name = orig[pass + 1].name;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "is not a valid variable name");
        free(buf);

        /* a name that is not a variable name: a rule's text ("/opt/sdk" and the like) */
        buf = sample_copy(s);
        env_entries(buf)[drop].name = s->plan.rules[0].text;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "is not a valid variable name or glob");
        free(buf);

        /* an empty name */
        buf = sample_copy(s);
        env_entries(buf)[drop].name = (struct bw_plan_str){0, 0};
        reseal(buf, s->size);
        expect_reject(buf, s->size, "environment name must not be empty");
        free(buf);

        /* string references out of bounds */
        buf = sample_copy(s);
        env_entries(buf)[set].value = (struct bw_plan_str){UINT32_MAX - 2, 3};
        reseal(buf, s->size);
        expect_reject(buf, s->size, "environment value: string at");
        free(buf);

        /* out of order: swap two entries */
        buf = sample_copy(s);
        struct bw_plan_env tmp = env_entries(buf)[0];
        env_entries(buf)[0] = env_entries(buf)[1];
        env_entries(buf)[1] = tmp;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "out of order or repeats");
        free(buf);

        /* a repeated entry */
        buf = sample_copy(s);
        env_entries(buf)[1] = env_entries(buf)[0];
        reseal(buf, s->size);
        expect_reject(buf, s->size, "out of order or repeats");
        free(buf);

        /* the wrong entry size, and a non-critical ENVR (an old reader would skip it) */
        buf = sample_copy(s);
        struct bw_plan_section *sec = find_section(buf, BW_SECT_ENVR);
        sec->entry_size = 12;
        sec->count *= 2;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "section ENVR has entries of 12 bytes, expected 24");
        free(buf);

        buf = sample_copy(s);
        find_section(buf, BW_SECT_ENVR)->flags = 0;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "section ENVR has the wrong critical flag");
        free(buf);

        /* provenance naming an ENVR entry that does not exist */
        buf = sample_copy(s);
        struct bw_plan_prov *v = (void *) (buf + find_section(buf, BW_SECT_PROV)->offset);
        uint32_t n_provs = find_section(buf, BW_SECT_PROV)->count, k;
        for (k = 0; k < n_provs && v[k].section != BW_SECT_ENVR; k++)
                ;
        assert_true(k < n_provs);
        while (k + 1 < n_provs && v[k + 1].section == BW_SECT_ENVR)
                k++;
        v[k].index = s->plan.n_env;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "missing entry or source");
        free(buf);
}

static void test_limits_entry(void **state) {
        struct sample *s = *state;
        struct {
                size_t offset;
                uint64_t value;
                unsigned width;
                const char *needle;
        } cases[] = {
                {offsetof(struct bw_plan_limits, reserved), 1, 4, "non-zero reserved"},
                {offsetof(struct bw_plan_limits, tmpfs_percent), 50, 4, "both in bytes and as a percentage"},
                {offsetof(struct bw_plan_limits, tmpfs_size), 4096, 8, "below 1 MiB"},
                {offsetof(struct bw_plan_limits, memory), 1, 8, "memory is below 1 MiB"},
                {offsetof(struct bw_plan_limits, processes), BW_LIMIT_MAX_PROCESSES + 1, 4, "processes is above"},
                {offsetof(struct bw_plan_limits, cpu_millis), UINT32_MAX, 4, "cpu is above"},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(cases); i++) {
                uint8_t *buf = sample_copy(s);
                uint8_t *l = buf + find_section(buf, BW_SECT_LIMT)->offset;
                if (cases[i].width == 8)
                        bw_put_le64(l + cases[i].offset, cases[i].value);
                else
                        bw_put_le32(l + cases[i].offset, (uint32_t) cases[i].value);
                reseal(buf, s->size);
                expect_reject(buf, s->size, cases[i].needle);
                free(buf);
        }
        /* a percentage above 100, with the byte size cleared */
        uint8_t *buf = sample_copy(s);
        struct bw_plan_limits *l = (void *) (buf + find_section(buf, BW_SECT_LIMT)->offset);
        l->tmpfs_size = 0;
        l->tmpfs_percent = 101;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "above 100%");
        free(buf);

        /* two entries */
        buf = sample_copy(s);
        struct bw_plan_section *sec = find_section(buf, BW_SECT_LIMT);
        sec->count = 2;
        sec->entry_size = 16;
        reseal(buf, s->size);
        expect_reject(buf, s->size, "section LIMT has entries of 16 bytes");
        free(buf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample_parses),
                cmocka_unit_test(test_reseal_is_exact),
                cmocka_unit_test(test_every_truncation),
                cmocka_unit_test(test_every_byte_change_caught_by_digest),
                cmocka_unit_test(test_every_byte_change_structural),
                cmocka_unit_test(test_overlapping_sections),
                cmocka_unit_test(test_count_overflow),
                cmocka_unit_test(test_string_bounds),
                cmocka_unit_test(test_empty_string_at_nul),
                cmocka_unit_test(test_names_and_variables),
                cmocka_unit_test(test_index_bounds),
                cmocka_unit_test(test_unknown_sections),
                cmocka_unit_test(test_header_fields),
                cmocka_unit_test(test_environment_entries),
                cmocka_unit_test(test_limits_entry),
                cmocka_unit_test(test_cache_rules),
        };
        return cmocka_run_group_tests(tests, setup_sample, teardown_sample);
}
