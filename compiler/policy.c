/* SPDX-License-Identifier: MIT */
/*
 * From a YAML tree to a bw_policy_doc. Each key is described in a table (name, what it holds,
 * where it goes), so unknown keys, wrong types and missing keys are all handled in one place.
 */
#include "policy.h"

#include <stddef.h>
#include <stdio.h>

void bw_entry_list_push(struct bw_entry_list *l, struct bw_entry e) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 8;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                if (!l->v)
                        abort();
        }
        l->v[l->n++] = e;
}

void bw_entry_list_done(struct bw_entry_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        *l = (struct bw_entry_list){0};
}

void bw_env_list_push(struct bw_env_list *l, struct bw_env_item e) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 8;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                if (!l->v)
                        abort();
        }
        l->v[l->n++] = e;
}

void bw_env_list_done(struct bw_env_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].value);
        }
        free(l->v);
        *l = (struct bw_env_list){0};
}

void bw_policy_doc_done(struct bw_policy_doc *d) {
        free(d->name);
        bw_env_list_done(&d->env_pass);
        bw_env_list_done(&d->env_drop);
        bw_env_list_done(&d->env_set);
        bw_env_list_done(&d->env_never_pass);
        struct bw_entry_list *lists[] = {
                &d->extends, &d->writable,        &d->read_only,      &d->readable,         &d->unreadable,
                &d->cache,   &d->writable_within, &d->never_writable, &d->always_read_only, &d->never_readable};
        for (size_t i = 0; i < BW_ARRAY_SIZE(lists); i++)
                bw_entry_list_done(lists[i]);
        *d = (struct bw_policy_doc){0};
}

struct reader {
        struct bw_diags *diags;
        struct bw_policy_doc *doc;
};

static bool expect_type(struct reader *r, const struct bw_node *n, enum bw_node_type t, const char *what) {
        if (n->type == t && !(t == BW_NODE_SCALAR && bw_node_is_null(n)))
                return true;
        const char *want = t == BW_NODE_MAPPING ? "a mapping" : t == BW_NODE_SEQUENCE ? "a list" : "a string";
        bw_error(r->diags, &n->loc, "%s must be %s, not %s", what, want, bw_node_type_name(n));
        return false;
}

static char *dup_value(const struct bw_node *n) {
        char *s = malloc(n->len + 1);
        if (!s)
                abort();
        memcpy(s, n->value, n->len + 1);
        return s;
}

/* YAML 1.2 core booleans. */
static int read_bool(struct reader *r, const struct bw_node *n, const char *what) {
        if (n->type == BW_NODE_SCALAR && n->plain) {
                static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False", "FALSE"};
                for (size_t i = 0; i < 3; i++) {
                        if (bw_streq(n->value, t[i]))
                                return 1;
                        if (bw_streq(n->value, f[i]))
                                return 0;
                }
        }
        bw_error(r->diags, &n->loc, "%s must be true or false", what);
        return -1;
}

static int read_network(struct reader *r, const struct bw_node *n, const char *what) {
        if (n->type == BW_NODE_SCALAR && !bw_node_is_null(n)) {
                if (bw_streq(n->value, "off"))
                        return BW_NETWORK_OFF;
                if (bw_streq(n->value, "on"))
                        return BW_NETWORK_ON;
        }
        bw_error(r->diags, &n->loc, "%s must be off or on", what);
        return -1;
}

enum entry_form { PATHS_ONLY, PATHS_AND_PATTERNS };

/* One list entry: "PATH", {path: PATH}, {glob: G [, ignore_case: B]}, {regex: R [, ignore_case: B]}. */
static void read_entry(struct reader *r, const struct bw_node *n, enum entry_form form, const char *list,
                       struct bw_entry_list *out) {
        /* A plain ~ is YAML's null, but in a path list it can only mean the home directory. */
        if (n->type == BW_NODE_SCALAR && (!bw_node_is_null(n) || bw_streq(n->value, "~"))) {
                bw_entry_list_push(
                        out,
                        (struct bw_entry){.match = BW_MATCH_PATH, .text = dup_value(n), .len = n->len, .loc = n->loc});
                return;
        }
        if (n->type != BW_NODE_MAPPING) {
                bw_error(r->diags, &n->loc, "an entry of %s must be a path or a mapping such as {glob: ...}, not %s",
                         list, bw_node_type_name(n));
                return;
        }
        struct bw_entry e = {0};
        const struct bw_node *text = NULL;
        bool ok = true;
        for (size_t i = 0; i < bw_node_pairs(n); i++) {
                const struct bw_node *k = n->items[2 * i], *v = n->items[2 * i + 1];
                if (k->type != BW_NODE_SCALAR) {
                        ok = false;
                        continue;
                }
                uint32_t m = bw_streq(k->value, "path")    ? BW_MATCH_PATH
                             : bw_streq(k->value, "glob")  ? BW_MATCH_GLOB
                             : bw_streq(k->value, "regex") ? BW_MATCH_REGEX
                                                           : 0;
                if (m) {
                        if (text) {
                                bw_error(r->diags, &k->loc, "an entry has exactly one of path, glob, regex");
                                ok = false;
                                continue;
                        }
                        if (m != BW_MATCH_PATH && form == PATHS_ONLY) {
                                bw_error(r->diags, &k->loc,
                                         "%s takes paths only: a pattern can narrow access (read_only, unreadable), "
                                         "never widen it",
                                         list);
                                ok = false;
                        }
                        if (!expect_type(r, v, BW_NODE_SCALAR, k->value)) {
                                ok = false;
                                continue;
                        }
                        e.match = m;
                        text = v;
                } else if (bw_streq(k->value, "ignore_case")) {
                        int b = read_bool(r, v, "ignore_case");
                        if (b < 0)
                                ok = false;
                        e.ignore_case = b == 1;
                } else {
                        bw_error(r->diags, &k->loc,
                                 "unknown key '%s' in an entry of %s: expected path, glob, regex or ignore_case",
                                 k->value, list);
                        ok = false;
                }
        }
        if (!text) {
                if (ok)
                        bw_error(r->diags, &n->loc, "an entry of %s needs one of path, glob, regex", list);
                return;
        }
        if (e.ignore_case && e.match == BW_MATCH_PATH) {
                bw_error(r->diags, &n->loc, "ignore_case applies to glob and regex entries only");
                ok = false;
        }
        if (!ok)
                return;
        e.text = dup_value(text);
        e.len = text->len;
        e.loc = text->loc;
        bw_entry_list_push(out, e);
}

static void read_list(struct reader *r, const struct bw_node *n, const char *name, enum entry_form form,
                      struct bw_entry_list *out) {
        if (!expect_type(r, n, BW_NODE_SEQUENCE, name))
                return;
        for (size_t i = 0; i < n->n_items; i++)
                read_entry(r, n->items[i], form, name, out);
}

static void read_protect_names(struct reader *r, const struct bw_node *n, const char *name, uint32_t *mask,
                               struct bw_loc locs[BW_PROTECTED_COUNT]) {
        if (!expect_type(r, n, BW_NODE_SEQUENCE, name))
                return;
        for (size_t i = 0; i < n->n_items; i++) {
                const struct bw_node *it = n->items[i];
                int k = it->type == BW_NODE_SCALAR ? bw_protected_lookup(it->value, it->len) : -ENOENT;
                if (k < 0) {
                        char known[1024] = ""; /* every name of the table, with separators */
                        for (size_t j = 0; j < BW_PROTECTED_COUNT; j++) {
                                strncat(known, bw_protected_names[j].name, sizeof(known) - strlen(known) - 1);
                                if (j + 1 < BW_PROTECTED_COUNT)
                                        strncat(known, ", ", sizeof(known) - strlen(known) - 1);
                        }
                        bw_error(r->diags, &it->loc, "%s lists protected defaults: one of %s", name, known);
                        continue;
                }
                *mask |= UINT32_C(1) << k;
                locs[k] = it->loc;
        }
}

/* A table-driven mapping reader: each known key and the handler for its value. */
struct key {
        const char *name;
        void (*read)(struct reader *r, const struct bw_node *k, const struct bw_node *v);
};

static void read_mapping(struct reader *r, const struct bw_node *n, const char *what, const struct key *keys,
                         size_t n_keys) {
        if (!expect_type(r, n, BW_NODE_MAPPING, what))
                return;
        for (size_t i = 0; i < bw_node_pairs(n); i++) {
                const struct bw_node *k = n->items[2 * i], *v = n->items[2 * i + 1];
                if (k->type != BW_NODE_SCALAR)
                        continue; /* reported by the YAML layer */
                size_t j;
                for (j = 0; j < n_keys; j++)
                        if (bw_streq(k->value, keys[j].name))
                                break;
                if (j == n_keys) {
                        struct bw_strbuf_like {
                                char buf[256];
                        } known = {{0}};
                        for (size_t x = 0; x < n_keys; x++) {
                                strncat(known.buf, keys[x].name, sizeof(known.buf) - strlen(known.buf) - 1);
                                if (x + 1 < n_keys)
                                        strncat(known.buf, ", ", sizeof(known.buf) - strlen(known.buf) - 1);
                        }
                        bw_error(r->diags, &k->loc, "unknown key '%s' in %s: expected one of %s", k->value, what,
                                 known.buf);
                        continue;
                }
                keys[j].read(r, k, v);
        }
}

#define LIST_KEY(fn, field, label, form)                                                                               \
        static void fn(struct reader *r, const struct bw_node *k, const struct bw_node *v) {                           \
                (void) k;                                                                                              \
                read_list(r, v, label, form, &r->doc->field);                                                          \
        }
LIST_KEY(k_writable, writable, "filesystem.writable", PATHS_ONLY)
LIST_KEY(k_read_only, read_only, "filesystem.read_only", PATHS_AND_PATTERNS)
LIST_KEY(k_readable, readable, "filesystem.readable", PATHS_ONLY)
LIST_KEY(k_unreadable, unreadable, "filesystem.unreadable", PATHS_AND_PATTERNS)
LIST_KEY(k_cache, cache, "filesystem.cache", PATHS_ONLY)
LIST_KEY(k_writable_within, writable_within, "filesystem.writable_within", PATHS_ONLY)
LIST_KEY(k_never_writable, never_writable, "filesystem.never_writable", PATHS_ONLY)
LIST_KEY(k_always_read_only, always_read_only, "filesystem.always_read_only", PATHS_AND_PATTERNS)
LIST_KEY(k_never_readable, never_readable, "filesystem.never_readable", PATHS_AND_PATTERNS)

static void k_unprotect(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_protect_names(r, v, "filesystem.unprotect", &r->doc->unprotect, r->doc->unprotect_loc);
}
static void k_allow_unprotect(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_protect_names(r, v, "filesystem.allow_unprotect", &r->doc->allow_unprotect, r->doc->allow_unprotect_loc);
}

static const struct key policy_fs_keys[] = {
        {"writable", k_writable},     {"read_only", k_read_only}, {"readable", k_readable},
        {"unreadable", k_unreadable}, {"cache", k_cache},         {"unprotect", k_unprotect},
};
static const struct key constraint_fs_keys[] = {
        {"writable_within", k_writable_within},   {"never_writable", k_never_writable},
        {"always_read_only", k_always_read_only}, {"never_readable", k_never_readable},
        {"allow_unprotect", k_allow_unprotect},
};

static void k_policy_fs(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "filesystem", policy_fs_keys, BW_ARRAY_SIZE(policy_fs_keys));
}
static void k_constraint_fs(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "filesystem", constraint_fs_keys, BW_ARRAY_SIZE(constraint_fs_keys));
}

static void k_bulwark(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (v->type == BW_NODE_SCALAR && v->plain && bw_streq(v->value, "1"))
                return;
        if (v->type == BW_NODE_SCALAR && v->plain && v->len > 0 && strspn(v->value, "0123456789") == v->len)
                bw_error(r->diags, &v->loc, "language version %s is not supported: this bulwarkc reads version 1",
                         v->value);
        else
                bw_error(r->diags, &v->loc, "bulwark must be the integer 1 (the language version)");
}

static void k_kind(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        (void) r;
        (void) v; /* read before the other keys, in bw_policy_read */
}

static void k_name(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!expect_type(r, v, BW_NODE_SCALAR, "name"))
                return;
        bool ok = v->len >= 1 && v->len <= 64;
        for (size_t i = 0; ok && i < v->len; i++) {
                char c = v->value[i];
                ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '_' || c == '-';
        }
        if (!ok) {
                bw_error(r->diags, &v->loc, "name must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
                return;
        }
        free(r->doc->name);
        r->doc->name = dup_value(v);
        r->doc->name_loc = v->loc;
}

static void k_extends(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!expect_type(r, v, BW_NODE_SEQUENCE, "extends"))
                return;
        for (size_t i = 0; i < v->n_items; i++) {
                const struct bw_node *it = v->items[i];
                if (!expect_type(r, it, BW_NODE_SCALAR, "an extends entry"))
                        continue;
                bw_entry_list_push(&r->doc->extends, (struct bw_entry){.match = BW_MATCH_PATH,
                                                                       .text = dup_value(it),
                                                                       .len = it->len,
                                                                       .loc = it->loc});
        }
}

static void k_network(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        int n = read_network(r, v, "network");
        if (n >= 0) {
                r->doc->network = n;
                r->doc->network_loc = v->loc;
        }
}

static void k_allowed(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!expect_type(r, v, BW_NODE_SEQUENCE, "network.allowed"))
                return;
        int mask = 0;
        for (size_t i = 0; i < v->n_items; i++) {
                int n = read_network(r, v->items[i], "an entry of network.allowed");
                if (n >= 0)
                        mask |= 1 << n;
        }
        r->doc->network_allowed = mask;
        r->doc->network_allowed_loc = v->loc;
}
static const struct key constraint_network_keys[] = {{"allowed", k_allowed}};
static void k_constraint_network(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "network", constraint_network_keys, BW_ARRAY_SIZE(constraint_network_keys));
}

static void k_require_signed(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        int b = read_bool(r, v, "enforcement.require_signed_plans");
        if (b >= 0) {
                r->doc->require_signed = b;
                r->doc->require_signed_loc = v->loc;
        }
}
static const struct key enforcement_keys[] = {{"require_signed_plans", k_require_signed}};
static void k_enforcement(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "enforcement", enforcement_keys, BW_ARRAY_SIZE(enforcement_keys));
}

/* ---- environment ---- */

/* A variable name ([A-Za-z_][A-Za-z0-9_]*), or with glob also '*' anywhere; as the plan reader
 * checks it (libbulwark/plan_reader.c). */
static bool env_name_ok(const char *s, size_t len, bool glob) {
        if (len == 0 || len > BW_ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
                return false;
        for (size_t i = 0; i < len; i++) {
                char ch = s[i];
                if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                      (glob && ch == '*')))
                        return false;
        }
        return true;
}

static bool read_env_name(struct reader *r, const struct bw_node *n, const char *what, bool glob) {
        if (!expect_type(r, n, BW_NODE_SCALAR, what))
                return false;
        if (env_name_ok(n->value, n->len, glob))
                return true;
        if (n->len > BW_ENV_NAME_MAX)
                bw_error(r->diags, &n->loc, "%s is longer than %d bytes", what, BW_ENV_NAME_MAX);
        else
                bw_error(r->diags, &n->loc,
                         "%s '%s' is not a variable name%s: letters, digits and _%s, not starting with a digit", what,
                         n->value, glob ? " or glob" : "", glob ? ", with * for any run of characters" : "");
        return false;
}

static void read_env_names(struct reader *r, const struct bw_node *n, const char *list, struct bw_env_list *out) {
        if (!expect_type(r, n, BW_NODE_SEQUENCE, list))
                return;
        char what[64];
        snprintf(what, sizeof(what), "an entry of %s", list);
        for (size_t i = 0; i < n->n_items; i++) {
                const struct bw_node *it = n->items[i];
                if (read_env_name(r, it, what, true))
                        bw_env_list_push(out, (struct bw_env_item){.name = dup_value(it), .loc = it->loc});
        }
}

static void k_env_pass(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_env_names(r, v, "environment.pass", &r->doc->env_pass);
}
static void k_env_drop(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_env_names(r, v, "environment.drop", &r->doc->env_drop);
}
static void k_env_never_pass(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_env_names(r, v, "environment.never_pass", &r->doc->env_never_pass);
}

static void k_env_set(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!expect_type(r, v, BW_NODE_MAPPING, "environment.set"))
                return;
        for (size_t i = 0; i < bw_node_pairs(v); i++) {
                const struct bw_node *name = v->items[2 * i], *value = v->items[2 * i + 1];
                if (name->type != BW_NODE_SCALAR)
                        continue; /* reported by the YAML layer */
                bool ok = read_env_name(r, name, "a name in environment.set", false);
                /* a quoted "" is an empty value; a missing value (null) is a mistake */
                if (value->type != BW_NODE_SCALAR || (bw_node_is_null(value) && value->plain)) {
                        bw_error(r->diags, &value->loc,
                                 "the value of %s in environment.set must be a string (quote it: \"\" for empty), "
                                 "not %s",
                                 name->value, bw_node_type_name(value));
                        continue;
                }
                if (value->len > BW_ENV_VALUE_MAX) {
                        bw_error(r->diags, &value->loc, "the value of %s is longer than %d bytes", name->value,
                                 BW_ENV_VALUE_MAX);
                        continue;
                }
                size_t bad =
                        strcspn(value->value, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                                              "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f");
                if (bad < value->len) {
                        bw_error(r->diags, &value->loc,
                                 "the value of %s has a control character (0x%02x) at byte %zu: values are one line "
                                 "of printable text",
                                 name->value, (unsigned) (uint8_t) value->value[bad], bad);
                        continue;
                }
                if (ok)
                        bw_env_list_push(&r->doc->env_set, (struct bw_env_item){.name = dup_value(name),
                                                                                .value = dup_value(value),
                                                                                .loc = name->loc});
        }
}

static const struct key policy_env_keys[] = {{"pass", k_env_pass}, {"drop", k_env_drop}, {"set", k_env_set}};
static const struct key constraint_env_keys[] = {{"never_pass", k_env_never_pass}};
static void k_policy_env(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "environment", policy_env_keys, BW_ARRAY_SIZE(policy_env_keys));
}
static void k_constraint_env(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "environment", constraint_env_keys, BW_ARRAY_SIZE(constraint_env_keys));
}

/* ---- limits ---- */

/* A plain unsigned decimal of at most 19 digits (no sign, no leading zeros but "0"). */
static bool parse_decimal(const char *s, size_t len, uint64_t *ret) {
        if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
                return false;
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        *ret = v;
        return true;
}

/* "1073741824", "512K", "64M", "2G", "1T" (powers of 1024); with percent, also "1%".."100%". */
static int parse_size(const char *s, size_t len, bool percent, uint64_t *ret_bytes, uint32_t *ret_percent) {
        uint64_t v, mult = 1;
        if (len > 0 && percent && s[len - 1] == '%') {
                if (!parse_decimal(s, len - 1, &v) || v < 1 || v > 100)
                        return -EINVAL;
                *ret_percent = (uint32_t) v;
                *ret_bytes = 0;
                return 0;
        }
        if (len > 0) {
                const char *units = "KMGT";
                const char *u = strchr(units, s[len - 1]);
                if (u && s[len - 1]) {
                        mult = UINT64_C(1) << (10 * (u - units + 1));
                        len--;
                }
        }
        if (!parse_decimal(s, len, &v))
                return -EINVAL;
        if (bw_mul_overflow(v, mult, &v) || v > (UINT64_C(1) << 50))
                return -ERANGE;
        if (v < BW_LIMIT_MIN_BYTES)
                return -ERANGE;
        *ret_bytes = v;
        *ret_percent = 0;
        return 0;
}

static bool limit_scalar(struct reader *r, const struct bw_node *v, const char *what) {
        if (v->type == BW_NODE_SCALAR && !bw_node_is_null(v))
                return true;
        bw_error(r->diags, &v->loc, "limits.%s must be a number or a size, not %s", what, bw_node_type_name(v));
        return false;
}

static void k_limit_tmpfs(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!limit_scalar(r, v, "tmpfs_size"))
                return;
        uint64_t bytes;
        uint32_t percent;
        int e = parse_size(v->value, v->len, true, &bytes, &percent);
        if (e == -ERANGE)
                bw_error(r->diags, &v->loc, "limits.tmpfs_size must be at least 1M and at most 1024T");
        else if (e < 0)
                bw_error(r->diags, &v->loc,
                         "limits.tmpfs_size must be a size such as 512M, 2G or 1073741824 (bytes; K, M, G, T are "
                         "powers of 1024), or a percentage of RAM such as 25%%");
        else {
                r->doc->limits.tmpfs_size = bytes;
                r->doc->limits.tmpfs_percent = percent;
                r->doc->limits.tmpfs_loc = v->loc;
        }
}

static void k_limit_memory(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!limit_scalar(r, v, "memory"))
                return;
        uint64_t bytes;
        uint32_t percent;
        int e = parse_size(v->value, v->len, false, &bytes, &percent);
        if (e == -ERANGE)
                bw_error(r->diags, &v->loc, "limits.memory must be at least 1M and at most 1024T");
        else if (e < 0)
                bw_error(r->diags, &v->loc,
                         "limits.memory must be a size such as 512M, 8G or 1073741824 (bytes; K, M, G, T are powers "
                         "of 1024)");
        else {
                r->doc->limits.memory = bytes;
                r->doc->limits.memory_loc = v->loc;
        }
}

static void k_limit_processes(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!limit_scalar(r, v, "processes"))
                return;
        uint64_t n;
        if (!v->plain || !parse_decimal(v->value, v->len, &n) || n < 1 || n > BW_LIMIT_MAX_PROCESSES) {
                bw_error(r->diags, &v->loc, "limits.processes must be an integer from 1 to %u", BW_LIMIT_MAX_PROCESSES);
                return;
        }
        r->doc->limits.processes = (uint32_t) n;
        r->doc->limits.processes_loc = v->loc;
}

/* "2", "0.5", "1.25" CPUs (at most 3 decimals), or "500m" thousandths. */
static int parse_cpu(const char *s, size_t len, uint32_t *ret) {
        uint64_t whole = 0, frac = 0;
        if (len > 1 && s[len - 1] == 'm') {
                if (!parse_decimal(s, len - 1, &whole) || whole > BW_LIMIT_MAX_CPU_MILLIS)
                        return -EINVAL;
                *ret = (uint32_t) whole;
                return whole ? 0 : -EINVAL;
        }
        const char *dot = memchr(s, '.', len);
        size_t wl = dot ? (size_t) (dot - s) : len;
        if (!parse_decimal(s, wl, &whole) || whole > BW_LIMIT_MAX_CPU_MILLIS / 1000)
                return -EINVAL;
        if (dot) {
                size_t fl = len - wl - 1;
                if (fl == 0 || fl > 3)
                        return -EINVAL;
                for (size_t i = 0; i < 3; i++) {
                        char ch = i < fl ? dot[1 + i] : '0';
                        if (ch < '0' || ch > '9')
                                return -EINVAL;
                        frac = frac * 10 + (uint64_t) (ch - '0');
                }
        }
        uint64_t millis = whole * 1000 + frac;
        if (millis == 0 || millis > BW_LIMIT_MAX_CPU_MILLIS)
                return -EINVAL;
        *ret = (uint32_t) millis;
        return 0;
}

static void k_limit_cpu(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        if (!limit_scalar(r, v, "cpu"))
                return;
        uint32_t millis;
        if (parse_cpu(v->value, v->len, &millis) < 0) {
                bw_error(r->diags, &v->loc,
                         "limits.cpu must be a number of CPUs above 0 and at most %u, such as 2 or 1.5 (at most 3 "
                         "decimals), or thousandths such as 500m",
                         BW_LIMIT_MAX_CPU_MILLIS / 1000);
                return;
        }
        r->doc->limits.cpu_millis = millis;
        r->doc->limits.cpu_loc = v->loc;
}

static const struct key limits_keys[] = {
        {"tmpfs_size", k_limit_tmpfs},
        {"processes", k_limit_processes},
        {"memory", k_limit_memory},
        {"cpu", k_limit_cpu},
};
static void k_limits(struct reader *r, const struct bw_node *k, const struct bw_node *v) {
        (void) k;
        read_mapping(r, v, "limits", limits_keys, BW_ARRAY_SIZE(limits_keys));
}

static const struct key policy_keys[] = {
        {"bulwark", k_bulwark},
        {"kind", k_kind},
        {"name", k_name},
        {"extends", k_extends},
        {"filesystem", k_policy_fs},
        {"network", k_network},
        {"environment", k_policy_env},
        {"limits", k_limits},
};
static const struct key constraint_keys[] = {
        {"bulwark", k_bulwark},
        {"kind", k_kind},
        {"name", k_name},
        {"network", k_constraint_network},
        {"filesystem", k_constraint_fs},
        {"enforcement", k_enforcement},
        {"environment", k_constraint_env},
};

static const struct bw_node *lookup(const struct bw_node *map, const char *key) {
        for (size_t i = 0; i < bw_node_pairs(map); i++)
                if (map->items[2 * i]->type == BW_NODE_SCALAR && bw_streq(map->items[2 * i]->value, key))
                        return map->items[2 * i + 1];
        return NULL;
}

int bw_policy_read(const struct bw_node *root, uint32_t source, struct bw_diags *diags, struct bw_policy_doc *doc) {
        size_t errors_before = diags->n_errors;
        struct reader r = {.diags = diags, .doc = doc};
        *doc = (struct bw_policy_doc){.source = source, .network = -1, .network_allowed = -1, .require_signed = -1};

        if (root->type != BW_NODE_MAPPING) {
                bw_error(diags, &root->loc, "a policy must be a mapping (key: value lines), not %s",
                         bw_node_type_name(root));
                return -EINVAL;
        }
        const struct bw_node *kind = lookup(root, "kind");
        if (kind) {
                if (kind->type == BW_NODE_SCALAR && bw_streq(kind->value, "policy"))
                        doc->kind = BW_DOC_POLICY;
                else if (kind->type == BW_NODE_SCALAR && bw_streq(kind->value, "constraints"))
                        doc->kind = BW_DOC_CONSTRAINTS;
                else
                        bw_error(diags, &kind->loc, "kind must be policy or constraints");
        }
        if (!lookup(root, "bulwark")) {
                struct bw_loc l = root->loc;
                l.end_col = l.col + 1;
                bw_error(diags, &l, "missing 'bulwark: 1' (the language version) at the top of the document");
        }
        if (doc->kind == BW_DOC_POLICY)
                read_mapping(&r, root, "a policy", policy_keys, BW_ARRAY_SIZE(policy_keys));
        else
                read_mapping(&r, root, "a constraints document", constraint_keys, BW_ARRAY_SIZE(constraint_keys));
        return diags->n_errors > errors_before ? -EINVAL : 0;
}
