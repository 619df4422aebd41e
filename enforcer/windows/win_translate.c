/* SPDX-License-Identifier: MIT */
/* Plan -> targets, account names, root SIDs: see win_backend.h. */
#include "win_backend.h"
#include "win_path.h"

#include "sha256.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bw_win_targets_free(struct bw_win_target *t, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(t[i].path);
        free(t);
}

void bw_win_install_done(struct bw_win_install *in) {
        for (size_t i = 0; i < in->n_roots; i++)
                free(in->roots[i].path);
        free(in->roots);
        free(in->offline_secret);
        free(in->online_secret);
        bw_win_targets_free(in->targets, in->n_targets);
        memset(in, 0, sizeof(*in));
}

void bw_win_translation_done(struct bw_win_translation *t) {
        bw_win_targets_free(t->targets, t->n);
        for (size_t i = 0; i < t->n_warnings; i++)
                free(t->warnings[i]);
        free(t->warnings);
        memset(t, 0, sizeof(*t));
}

int bw_win_account_name(uint32_t role, const char *user, char out[BW_WIN_ACCOUNT_MAX + 1]) {
        const char *prefix = role == BW_ROLE_OFFLINE         ? "bwoff-"
                             : role == BW_ROLE_ONLINE        ? "bwon-"
                             : role == BW_ROLE_SANDBOX_GROUP ? "bwgrp-"
                                                             : NULL;
        if (!prefix || !user || !*user)
                return -EINVAL;
        size_t plen = strlen(prefix), ulen = strlen(user);
        bool plain = plen + ulen <= BW_WIN_ACCOUNT_MAX;
        for (size_t i = 0; plain && i < ulen; i++)
                plain = (user[i] >= 'a' && user[i] <= 'z') || (user[i] >= '0' && user[i] <= '9') || user[i] == '_' ||
                        user[i] == '-';
        if (plain) {
                memcpy(out, prefix, plen);
                memcpy(out + plen, user, ulen);
                out[plen + ulen] = '\0';
                return 0;
        }
        /* Windows compares account names case-insensitively: "Ann" and "ann" are one account, so
         * the readable part is folded to lower case and the hash (of the exact name) tells them
         * apart where needed. */
        uint8_t h[BW_SHA256_SIZE];
        bw_sha256(user, ulen, h);
        size_t keep = BW_WIN_ACCOUNT_MAX - plen - 9, o = 0;
        char part[BW_WIN_ACCOUNT_MAX + 1];
        for (size_t i = 0; i < ulen && o < keep; i++) {
                char c = user[i];
                if (c >= 'A' && c <= 'Z')
                        c = (char) (c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
                        part[o++] = c;
        }
        part[o] = '\0';
        char hex[10];
        snprintf(hex, sizeof(hex), "-%02x%02x%02x%02x", h[0], h[1], h[2], h[3]);
        memcpy(out, prefix, plen);
        memcpy(out + plen, part, o);
        memcpy(out + plen + o, hex, 9); /* plen + keep + 9 <= 20 */
        out[plen + o + 9] = '\0';
        return 0;
}

void bw_win_account_comment(uint32_t role, const char *user, char *out, size_t size) {
        snprintf(out, size, "bulwark %s of %s",
                 role == BW_ROLE_OFFLINE  ? "offline sandbox"
                 : role == BW_ROLE_ONLINE ? "online sandbox"
                                          : "sandbox group",
                 user);
}

int bw_win_install_root(struct bw_win_install *in, const struct bw_win_ops *ops, const char *path, size_t *ret_index) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (bw_win_path_equal(in->roots[i].path, path)) {
                        *ret_index = i;
                        return 0;
                }
        if (in->n_roots >= 32)
                return -E2BIG; /* target root bit masks are 32 bits */
        uint8_t rnd[16];
        int r = ops->random(ops->ctx, rnd, sizeof(rnd));
        if (r < 0)
                return r;
        struct bw_win_root *roots = realloc(in->roots, (in->n_roots + 1) * sizeof(*roots));
        if (!roots)
                return -ENOMEM;
        in->roots = roots;
        char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        roots[in->n_roots].path = copy;
        bw_win_sid_synthetic(rnd, &roots[in->n_roots].sid);
        *ret_index = in->n_roots++;
        return 0;
}

BW_PRINTF(2, 3) static int warn(struct bw_win_translation *t, const char *fmt, ...) {
        char **w = realloc(t->warnings, (t->n_warnings + 1) * sizeof(char *));
        if (!w)
                return -ENOMEM;
        t->warnings = w;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&w[t->n_warnings], fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        t->n_warnings++;
        return 0;
}

static int add_target(struct bw_win_translation *t, size_t *cap, const char *path, uint32_t kind, uint32_t roots) {
        if (t->n == *cap) {
                size_t c = *cap ? *cap * 2 : 16;
                struct bw_win_target *n = realloc(t->targets, c * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                t->targets = n;
                *cap = c;
        }
        char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        t->targets[t->n++] = (struct bw_win_target){.path = copy, .kind = kind, .roots = roots};
        return 0;
}

/* The planned roots (bit i: in->roots[i]) that contain path. Roots of earlier plans that this one
 * no longer has stay in the state until apply has taken their entries away; they place nothing. */
static uint32_t roots_containing(const struct bw_win_install *in, uint32_t planned, const char *path) {
        uint32_t m = 0;
        for (size_t i = 0; i < in->n_roots; i++)
                if ((planned & (1u << i)) && bw_win_path_within(path, in->roots[i].path))
                        m |= 1u << i;
        return m;
}

/* A "**" "/NAME" glob with a literal NAME (no glob syntax), as the protected defaults are. */
static const char *anywhere_name(const char *glob) {
        if (strncmp(glob, "**/", 3) != 0 || !glob[3] || strpbrk(glob + 3, "*?[]{}\\/,"))
                return NULL;
        return glob + 3;
}

struct anywhere {
        const char *name;
        uint32_t kind;
};

static int walk_root(const struct bw_win_install *in, uint32_t planned, size_t root, const struct anywhere *names,
                     size_t n_names, const struct bw_win_ops *ops, struct bw_win_translation *t, size_t *cap) {
        char **stack = NULL;
        size_t n = 0, scap = 0;
        int r = 0;
        char *first = strdup(in->roots[root].path);
        if (!first)
                return -ENOMEM;
        stack = malloc(sizeof(char *));
        if (!stack) {
                free(first);
                return -ENOMEM;
        }
        stack[n++] = first;
        scap = 1;
        while (n > 0 && r == 0) {
                char *dir = stack[--n];
                struct bw_win_dirent *ents = NULL;
                size_t n_ents = 0;
                char err[256] = "";
                int lr = ops->list_dir(ops->ctx, dir, &ents, &n_ents, err, sizeof(err));
                if (lr < 0 && lr != -ENOENT)
                        r = warn(t, "%s could not be searched for protected names (%s): they are not protected there",
                                 dir, err[0] ? err : strerror(-lr));
                for (size_t i = 0; lr >= 0 && r == 0 && i < n_ents; i++) {
                        const struct bw_win_dirent *e = &ents[i];
                        char *child = NULL;
                        if (asprintf(&child, "%s/%s", dir, e->name) < 0) {
                                r = -ENOMEM;
                                break;
                        }
                        const struct anywhere *hit = NULL;
                        for (size_t k = 0; k < n_names && !hit; k++)
                                if (bw_win_name_equal(e->name, strlen(e->name), names[k].name, strlen(names[k].name)))
                                        hit = &names[k];
                        if (hit) {
                                if (e->reparse)
                                        r = warn(t,
                                                 "%s is a junction or link: its target is not protected (bulwark "
                                                 "gives entries to no object reached through one)",
                                                 child);
                                else
                                        r = add_target(t, cap, child,
                                                       hit->kind == BW_RULE_UNREADABLE ? BW_WIN_T_UNREADABLE
                                                                                       : BW_WIN_T_CARVE,
                                                       roots_containing(in, planned, child));
                                free(child);
                        } else if (e->directory && !e->reparse) {
                                if (n == scap) {
                                        char **s = realloc(stack, (scap * 2) * sizeof(char *));
                                        if (!s) {
                                                free(child);
                                                r = -ENOMEM;
                                                break;
                                        }
                                        stack = s;
                                        scap *= 2;
                                }
                                stack[n++] = child;
                        } else
                                free(child);
                }
                free(ents);
                free(dir);
        }
        while (n > 0)
                free(stack[--n]);
        free(stack);
        return r;
}

static unsigned depth(const char *p) {
        unsigned d = 0;
        for (; *p; p++)
                d += *p == '/';
        return d;
}

static int fold_cmp(const char *a, const char *b) {
        for (;; a++, b++) {
                int ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : (unsigned char) *a;
                int cb = (*b >= 'A' && *b <= 'Z') ? *b + 32 : (unsigned char) *b;
                if (ca != cb || !ca)
                        return ca - cb;
        }
}

static int target_cmp(const void *x, const void *y) {
        const struct bw_win_target *a = x, *b = y;
        unsigned da = depth(a->path), db = depth(b->path);
        if (da != db)
                return da < db ? -1 : 1;
        int c = fold_cmp(a->path, b->path);
        if (c)
                return c;
        return a->kind < b->kind ? -1 : a->kind > b->kind;
}

/*
 * A per-user installation (no administrator) runs the command under the user's own token,
 * write-restricted: the restricting SIDs decide writes only, so what the plan keeps from being
 * read cannot be kept from that token (a deny for the root's SIDs is never consulted for a read,
 * and a deny for the user would lock the user out too). Such a target is dropped and said, loudly
 * and counted (apply exits 1, status counts it as not enforced), never passed for done. The read
 * grants are dropped without a word: they exist for the sandbox users, and the user's own token
 * reads what the user reads. The firewall rule needs an administrator: the network limits of such
 * a run are advisory (win_runner.h), said here as well.
 */
static int per_user_only(struct bw_win_translation *t) {
        size_t k = 0;
        int r = 0;
        for (size_t i = 0; i < t->n; i++) {
                struct bw_win_target *x = &t->targets[i];
                if (x->kind == BW_WIN_T_ROOT || x->kind == BW_WIN_T_CARVE) {
                        t->targets[k++] = *x;
                        continue;
                }
                if (x->kind == BW_WIN_T_UNREADABLE && r == 0)
                        r = warn(t,
                                 "%s is to be unreadable: NOT ENFORCED by a per-user installation (a write-restricted "
                                 "token restricts writes only, and the run is your own token): run apply from an "
                                 "elevated prompt to enforce it",
                                 x->path);
                free(x->path);
        }
        t->n = k;
        if (t->firewall && r == 0)
                r = warn(t, "network off: advisory, not enforced (proxy variables to a dead port, ssh/scp stubs first "
                            "on PATH; a program that ignores them reaches the network): run apply from an elevated "
                            "prompt for the firewall rule");
        t->firewall = false;
        return r;
}

int bw_win_translate(const struct bw_plan *p, const struct bw_bindings *b, struct bw_win_install *in,
                     const struct bw_win_ops *ops, struct bw_win_translation *ret, char *err, size_t err_size) {
        struct bw_win_translation t = {0};
        size_t cap = 0;
        struct anywhere names[64];
        size_t n_names = 0;
        uint32_t planned = 0;
        int r = 0;
        /* A cache root is a copy-on-write layer (overlayfs on Linux); Windows has none to give, and
         * taking it as read-only or writable would change what the policy says: refused. */
        for (uint32_t i = 0; i < p->n_rules; i++)
                if (p->rules[i].kind == BW_RULE_CACHE) {
                        snprintf(err, err_size,
                                 "rule '%s' is a cache root (copy-on-write), which bulwark does not support on "
                                 "Windows: make it writable or read-only in the policy for this host",
                                 bw_plan_string(p, p->rules[i].text));
                        return -EOPNOTSUPP;
                }
        char **bound = calloc(p->n_rules ? p->n_rules : 1, sizeof(char *));
        if (!bound)
                return -ENOMEM;
        /* Bind every rule; roots first, since carve-outs are placed by the roots they lie in. */
        for (uint32_t i = 0; i < p->n_rules && r == 0; i++) {
                const struct bw_plan_rule *rule = &p->rules[i];
                const char *text = bw_plan_string(p, rule->text);
                enum bw_var_id missing;
                enum bw_template_kind k = rule->match == BW_MATCH_PATH   ? BW_TEMPLATE_PATH
                                          : rule->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB
                                                                         : BW_TEMPLATE_REGEX;
                r = bw_template_bind(text, k, b, &bound[i], &missing);
                if (r == -ENXIO) {
                        snprintf(err, err_size, "rule '%s' uses ${%s}, which is not bound: give it to apply", text,
                                 bw_var_name(missing));
                        r = -EINVAL;
                }
                if (r == 0 && rule->match == BW_MATCH_PATH && rule->kind == BW_RULE_WRITABLE) {
                        char *win = NULL;
                        int wr = bw_win_path_from_plan(bound[i], &win);
                        free(win);
                        size_t idx;
                        if (wr == -ENOENT)
                                r = warn(&t, "writable rule '%s' (%s) names no Windows path: not enforced here", text,
                                         bound[i]);
                        else if (wr < 0)
                                r = wr;
                        else if ((r = bw_win_install_root(in, ops, bound[i], &idx)) == 0) {
                                planned |= 1u << idx;
                                r = add_target(&t, &cap, bound[i], BW_WIN_T_ROOT, 1u << idx);
                        }
                }
        }
        for (uint32_t i = 0; i < p->n_rules && r == 0; i++) {
                const struct bw_plan_rule *rule = &p->rules[i];
                const char *text = bw_plan_string(p, rule->text);
                if (rule->match == BW_MATCH_PATH) {
                        if (rule->kind == BW_RULE_WRITABLE)
                                continue;
                        char *win = NULL;
                        int wr = bw_win_path_from_plan(bound[i], &win);
                        free(win);
                        if (wr == -ENOENT) {
                                r = warn(&t, "%s rule '%s' (%s) names no Windows path: not enforced here",
                                         bw_rule_kind_name(rule->kind), text, bound[i]);
                                continue;
                        }
                        if (wr < 0) {
                                r = wr;
                                break;
                        }
                        uint32_t roots = roots_containing(in, planned, bound[i]);
                        if (rule->kind == BW_RULE_READ_ONLY && roots)
                                r = add_target(&t, &cap, bound[i], BW_WIN_T_CARVE, roots);
                        else if (rule->kind == BW_RULE_READABLE)
                                r = add_target(&t, &cap, bound[i], BW_WIN_T_READ, 0);
                        else if (rule->kind == BW_RULE_UNREADABLE)
                                r = add_target(&t, &cap, bound[i], BW_WIN_T_UNREADABLE, roots);
                        /* read_only outside every writable root grants and takes nothing */
                        continue;
                }
                const char *name = rule->match == BW_MATCH_GLOB && (rule->flags & BW_RULE_ANYWHERE)
                                           ? anywhere_name(bound[i])
                                           : NULL;
                if (name && n_names < BW_ARRAY_SIZE(names) &&
                    (rule->kind == BW_RULE_READ_ONLY || rule->kind == BW_RULE_UNREADABLE))
                        names[n_names++] = (struct anywhere){name, rule->kind};
                else
                        r = warn(&t, "%s %s '%s' is not enforced on Windows (only paths and \"**/NAME\" names are)",
                                 bw_rule_kind_name(rule->kind), bw_match_kind_name(rule->match), text);
        }
        for (size_t i = 0; i < in->n_roots && r == 0 && n_names > 0; i++)
                if (planned & (1u << i))
                        r = walk_root(in, planned, i, names, n_names, ops, &t, &cap);
        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                uint32_t pi = p->nft_rules[i].principal;
                if (pi < p->n_principals && p->principals[pi].role == BW_ROLE_OFFLINE)
                        t.firewall = true;
        }
        if (r == 0 && in->per_user)
                r = per_user_only(&t);
        for (uint32_t i = 0; i < p->n_rules; i++)
                free(bound[i]);
        free(bound);
        if (r < 0) {
                bw_win_translation_done(&t);
                return r;
        }
        if (t.n > 1)
                qsort(t.targets, t.n, sizeof(t.targets[0]), target_cmp);
        *ret = t;
        return 0;
}
