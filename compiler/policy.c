/* SPDX-License-Identifier: MIT */
/*
 * From a YAML tree to a bw_policy_doc. Each key is described in a table (name, what it holds,
 * where it goes), so unknown keys, wrong types and missing keys are all handled in one place.
 */
#include "policy.h"

#include <stddef.h>

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

void bw_policy_doc_done(struct bw_policy_doc *d) {
        free(d->name);
        struct bw_entry_list *lists[] = {&d->extends,        &d->writable,         &d->read_only,
                                         &d->readable,       &d->unreadable,       &d->writable_within,
                                         &d->never_writable, &d->always_read_only, &d->never_readable};
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
                        char known[256] = "";
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
        {"unreadable", k_unreadable}, {"unprotect", k_unprotect},
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

static const struct key policy_keys[] = {
        {"bulwark", k_bulwark},      {"kind", k_kind},       {"name", k_name}, {"extends", k_extends},
        {"filesystem", k_policy_fs}, {"network", k_network},
};
static const struct key constraint_keys[] = {
        {"bulwark", k_bulwark},
        {"kind", k_kind},
        {"name", k_name},
        {"network", k_constraint_network},
        {"filesystem", k_constraint_fs},
        {"enforcement", k_enforcement},
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
