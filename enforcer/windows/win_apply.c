/* SPDX-License-Identifier: MIT */
/* Targets -> DACLs, journal, revert, principals, firewall, the read-grant worker: win_backend.h. */
#include "win_backend.h"
#include "win_path.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages are cut at the report's size on purpose: vsnprintf in a function of its own, so the
 * compiler does not take a long path for a bug. */
BW_PRINTF(2, 3) static void errf(struct bw_win_report *rep, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rep->last_error, sizeof(rep->last_error), fmt, ap);
        va_end(ap);
}
#define ERRF errf

int bw_win_target_aces(const struct bw_win_install *in, const struct bw_win_target *t, bool directory,
                       struct bw_win_acl *ret) {
        uint8_t inherit = directory ? (BW_ACE_OI | BW_ACE_CI) : 0;
        int r = 0;
        switch (t->kind) {
        case BW_WIN_T_ROOT:
        case BW_WIN_T_CARVE: {
                uint8_t type = t->kind == BW_WIN_T_ROOT ? BW_ACE_ALLOW : BW_ACE_DENY;
                uint32_t mask = t->kind == BW_WIN_T_ROOT ? BW_WIN_MASK_ROOT_ALLOW : BW_WIN_MASK_CARVE_DENY;
                /* The root's SID decides the restricted pass of a write-restricted token; the
                 * group, the normal pass (the sandbox users are its members). */
                for (size_t i = 0; i < in->n_roots && r == 0; i++)
                        if (t->roots & (1u << i))
                                r = bw_win_acl_add(ret, type, inherit, mask, &in->roots[i].sid);
                /* a per-user installation has no group (its run is the user's own token), but the
                 * carve-out itself may not be deleted or renamed by that token (win_backend.h) */
                if (r == 0 && !in->per_user)
                        r = bw_win_acl_add(ret, type, inherit, mask, &in->group_sid);
                else if (r == 0 && t->kind == BW_WIN_T_CARVE)
                        r = bw_win_acl_add(ret, BW_ACE_DENY, 0, BW_DELETE, &in->user_sid);
                break;
        }
        case BW_WIN_T_READ:
                r = bw_win_acl_add(ret, BW_ACE_ALLOW, inherit, BW_WIN_MASK_READ, &in->group_sid);
                break;
        case BW_WIN_T_UNREADABLE:
                r = bw_win_acl_add(ret, BW_ACE_DENY, inherit, BW_WIN_MASK_DENY_ALL, &in->group_sid);
                break;
        default:
                r = -EINVAL;
        }
        return r;
}

bool bw_win_ace_is_ours(const struct bw_win_install *in, const struct bw_win_ace *ace) {
        if (ace->raw || (ace->flags & BW_ACE_INHERITED))
                return false;
        for (size_t i = 0; i < in->n_roots; i++)
                if (bw_win_sid_equal(&ace->sid, &in->roots[i].sid))
                        return true;
        /* per-user: the carve-outs' deny of DELETE for the user, exactly as bulwark writes it */
        if (in->per_user && in->user_sid.revision && bw_win_sid_equal(&ace->sid, &in->user_sid))
                return bw_win_ace_is_deny(ace) && ace->flags == 0 && ace->mask == BW_DELETE;
        /* The group is bulwark's own account, so any explicit entry for it is bulwark's. */
        return in->group_sid.revision && bw_win_sid_equal(&ace->sid, &in->group_sid);
}

static bool acl_has(const struct bw_win_acl *acl, const struct bw_win_ace *a) {
        for (size_t i = 0; acl && i < acl->n; i++)
                if (bw_win_ace_equal(&acl->aces[i], a))
                        return true;
        return false;
}

int bw_win_dacl_merge(const struct bw_win_acl *cur, const struct bw_win_install *in, const struct bw_win_acl *want,
                      const struct bw_win_acl *keep, struct bw_win_acl *ret) {
        struct bw_win_acl acl;
        int r = bw_win_acl_copy(cur, &acl);
        if (r < 0)
                return r;
        for (size_t i = acl.n; i-- > 0;) {
                const struct bw_win_ace *a = &acl.aces[i];
                if (bw_win_ace_is_ours(in, a) && !acl_has(want, a) && !acl_has(keep, a))
                        bw_win_acl_remove(&acl, i);
        }
        for (size_t i = 0; want && i < want->n; i++) {
                if (acl_has(&acl, &want->aces[i]))
                        continue;
                const struct bw_win_ace *w = &want->aces[i];
                r = bw_win_acl_add(&acl, w->type, w->flags, w->mask, &w->sid);
                if (r < 0) {
                        bw_win_acl_done(&acl);
                        return r;
                }
        }
        bw_win_acl_canonicalise(&acl);
        if (!acl.revision)
                acl.revision = 2;
        bool same = bw_win_acl_equal(&acl, cur);
        *ret = acl;
        return same ? 0 : 1;
}

bool bw_win_read_grant_needed(const struct bw_win_acl *dacl) {
        static const struct bw_win_sid *const broad[] = {&bw_win_sid_users, &bw_win_sid_authenticated,
                                                         &bw_win_sid_everyone};
        uint32_t granted = 0, denied = 0;
        /* Evaluated in order as the access check does, for a token holding the three broad SIDs:
         * a bit is decided by the first entry that names it. */
        for (size_t i = 0; i < dacl->n; i++) {
                const struct bw_win_ace *a = &dacl->aces[i];
                if (a->raw || (a->flags & BW_ACE_IO))
                        continue;
                bool broad_sid = false;
                for (size_t k = 0; k < BW_ARRAY_SIZE(broad); k++)
                        broad_sid |= bw_win_sid_equal(&a->sid, broad[k]);
                if (!broad_sid)
                        continue;
                uint32_t fresh = a->mask & ~(granted | denied);
                if (a->type == BW_ACE_ALLOW)
                        granted |= fresh;
                else
                        denied |= fresh;
        }
        return (granted & BW_WIN_MASK_READ) != BW_WIN_MASK_READ;
}

/* ---- journal ---- */

static void rec_done(struct bw_win_rec *r) {
        free(r->path);
        free(r->before);
        free(r->after);
}

void bw_win_journal_done(struct bw_win_journal *j) {
        for (size_t i = 0; i < j->n; i++)
                rec_done(&j->recs[i]);
        free(j->recs);
        memset(j, 0, sizeof(*j));
}

static uint8_t *dup_bytes(const uint8_t *b, size_t n) {
        if (!b)
                return NULL;
        uint8_t *c = malloc(n ? n : 1);
        if (c)
                memcpy(c, b, n);
        return c;
}

int bw_win_journal_add(struct bw_win_journal *j, const struct bw_win_rec *r) {
        if (j->failed)
                return j->failed;
        if (j->on_add) {
                int e = j->on_add(j->on_add_ctx, r);
                if (e < 0)
                        return j->failed = e;
        }
        if (j->n == j->cap) {
                size_t cap = j->cap ? j->cap * 2 : 16;
                struct bw_win_rec *n = realloc(j->recs, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                j->recs = n;
                j->cap = cap;
        }
        struct bw_win_rec c = *r;
        c.path = strdup(r->path ? r->path : "");
        c.before = dup_bytes(r->before, r->before_n);
        c.after = dup_bytes(r->after, r->after_n);
        if (!c.path || (r->before && !c.before) || (r->after && !c.after)) {
                rec_done(&c);
                return -ENOMEM;
        }
        j->recs[j->n++] = c;
        return 0;
}

/* A growable text buffer (open_memstream is not in every C library this builds with: mingw). */
struct text {
        char *data;
        size_t n, cap;
        int error;
};

BW_PRINTF(2, 3) static void textf(struct text *t, const char *fmt, ...) {
        if (t->error)
                return;
        for (;;) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(t->data ? t->data + t->n : NULL, t->data ? t->cap - t->n : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->error = -EIO;
                        return;
                }
                if (t->data && (size_t) n < t->cap - t->n) {
                        t->n += (size_t) n;
                        return;
                }
                size_t cap = (t->cap ? t->cap * 2 : 256) + (size_t) n;
                char *d = realloc(t->data, cap);
                if (!d) {
                        t->error = -ENOMEM;
                        return;
                }
                t->data = d;
                t->cap = cap;
        }
}

static void hex_put(struct text *t, const uint8_t *b, size_t n) {
        if (!b) {
                textf(t, "-");
                return;
        }
        if (n == 0)
                textf(t, "=");
        for (size_t i = 0; i < n; i++)
                textf(t, "%02x", b[i]);
}

int bw_win_journal_encode(const struct bw_win_journal *j, char **ret) {
        struct text t = {0};
        textf(&t, "%s", "");
        for (size_t i = 0; i < j->n && !t.error; i++) {
                const struct bw_win_rec *x = &j->recs[i];
                switch (x->kind) {
                case BW_WIN_REC_DACL:
                        textf(&t, "dacl\t%016" PRIx64 "\t", x->file_id);
                        hex_put(&t, x->before, x->before_n);
                        textf(&t, "\t");
                        hex_put(&t, x->after, x->after_n);
                        textf(&t, "\t%s\n", x->path);
                        break;
                case BW_WIN_REC_ACCOUNT:
                        textf(&t, "account\t%s\t%d\t%s\n", x->is_group ? "group" : "user", x->existed, x->path);
                        break;
                case BW_WIN_REC_FIREWALL:
                        /* A rule that existed before is kept whole: every field, tab-separated. */
                        textf(&t, "firewall\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", x->existed, x->fw.outbound, x->fw.block,
                              x->fw.protocol, x->fw.description, x->fw.local_user_sddl, x->fw.remote_addresses,
                              x->path);
                        break;
                default:
                        t.error = -EINVAL;
                }
        }
        if (t.error) {
                free(t.data);
                return t.error;
        }
        *ret = t.data;
        return 0;
}

static int hex_get(const char *s, size_t len, uint8_t **ret, size_t *ret_n) {
        *ret = NULL;
        *ret_n = 0;
        if (len == 1 && s[0] == '-')
                return 0;
        if (len == 1 && s[0] == '=') {
                *ret = malloc(1);
                return *ret ? 0 : -ENOMEM;
        }
        if (len % 2)
                return -EBADMSG;
        uint8_t *b = malloc(len / 2 + 1);
        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < len / 2; i++) {
                unsigned v;
                char two[3] = {s[2 * i], s[2 * i + 1], 0};
                if (!strchr("0123456789abcdef", two[0]) || !strchr("0123456789abcdef", two[1]) ||
                    sscanf(two, "%2x", &v) != 1) {
                        free(b);
                        return -EBADMSG;
                }
                b[i] = (uint8_t) v;
        }
        *ret = b;
        *ret_n = len / 2;
        return 0;
}

/* Split line at tabs into at most max fields (the last takes the rest). */
static size_t split(char *line, char **f, size_t max) {
        size_t n = 0;
        f[n++] = line;
        for (char *p = line; *p && n < max; p++)
                if (*p == '\t') {
                        *p = '\0';
                        f[n++] = p + 1;
                }
        return n;
}

static int copy_field(char *dst, size_t size, const char *src) {
        size_t n = strlen(src);
        if (n >= size)
                return -EBADMSG;
        memcpy(dst, src, n + 1);
        return 0;
}

int bw_win_journal_decode(const char *text, struct bw_win_journal *ret) {
        struct bw_win_journal j = {0};
        char *copy = strdup(text), *save = NULL;
        if (!copy)
                return -ENOMEM;
        int r = 0;
        for (char *line = strtok_r(copy, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
                char *f[9];
                struct bw_win_rec x = {0};
                size_t n = split(line, f, 9);
                if (strcmp(f[0], "dacl") == 0 && n >= 5) {
                        char *end;
                        x.kind = BW_WIN_REC_DACL;
                        x.file_id = strtoull(f[1], &end, 16);
                        if (*end || (r = hex_get(f[2], strlen(f[2]), &x.before, &x.before_n)) < 0 ||
                            (r = hex_get(f[3], strlen(f[3]), &x.after, &x.after_n)) < 0) {
                                r = r < 0 ? r : -EBADMSG;
                        }
                        /* the path may hold no tab: rejoin is not needed, n == 5 */
                        if (r == 0 && n != 5)
                                r = -EBADMSG;
                        x.path = f[4];
                } else if (strcmp(f[0], "account") == 0 && n == 4) {
                        x.kind = BW_WIN_REC_ACCOUNT;
                        x.is_group = strcmp(f[1], "group") == 0;
                        x.existed = strcmp(f[2], "1") == 0;
                        x.path = f[3];
                } else if (strcmp(f[0], "firewall") == 0 && n == 9) {
                        x.kind = BW_WIN_REC_FIREWALL;
                        x.existed = strcmp(f[1], "1") == 0;
                        x.fw.outbound = strcmp(f[2], "1") == 0;
                        x.fw.block = strcmp(f[3], "1") == 0;
                        x.fw.protocol = atoi(f[4]);
                        if (copy_field(x.fw.description, sizeof(x.fw.description), f[5]) < 0 ||
                            copy_field(x.fw.local_user_sddl, sizeof(x.fw.local_user_sddl), f[6]) < 0 ||
                            copy_field(x.fw.remote_addresses, sizeof(x.fw.remote_addresses), f[7]) < 0 ||
                            copy_field(x.fw.name, sizeof(x.fw.name), f[8]) < 0)
                                r = -EBADMSG;
                        x.path = f[8];
                } else
                        r = -EBADMSG;
                if (r == 0)
                        r = bw_win_journal_add(&j, &x);
                free(x.before);
                free(x.after);
        }
        free(copy);
        if (r < 0) {
                bw_win_journal_done(&j);
                return r;
        }
        *ret = j;
        return 0;
}

/* ---- principals ---- */

/* 20 random letters and digits (119 bits) and a fixed tail that meets any complexity policy
 * (upper, lower, digit, symbol): the password is never typed, only kept with DPAPI. */
int bw_win_make_password(const struct bw_win_ops *ops, char out[25]) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        uint8_t rnd[20];
        int r = ops->random(ops->ctx, rnd, sizeof(rnd));
        if (r < 0)
                return r;
        for (int i = 0; i < 20; i++)
                out[i] = alphabet[rnd[i] % 62]; /* 256 % 62 = 8: a bias of under 4% on 8 letters, harmless here */
        memcpy(out + 20, "!aA1", 5);
        return 0;
}

static int converge_account(struct bw_win_install *in, const struct bw_win_ops *ops, struct bw_win_journal *j,
                            bool dry_run, struct bw_win_report *rep, uint32_t role, char *name, struct bw_win_sid *sid,
                            uint8_t **secret, size_t *secret_n) {
        char comment[300], have[300] = "", err[256] = "";
        int r = bw_win_account_name(role, in->user, name);
        if (r < 0)
                return r;
        bw_win_account_comment(role, in->user, comment, sizeof(comment));
        r = ops->account_sid(ops->ctx, name, sid, have, sizeof(have));
        if (r == 0) {
                if (strcmp(have, comment) != 0) {
                        ERRF(rep,
                             "account %s exists and is not bulwark's for %s (its comment is '%s'): rename or "
                             "remove it, then apply again",
                             name, in->user, have);
                        return -EEXIST;
                }
                rep->unchanged++;
                return 0;
        }
        if (r != -ENOENT) {
                ERRF(rep, "looking up account %s failed: %s", name, strerror(-r));
                return r;
        }
        struct bw_win_rec rec = {.kind = BW_WIN_REC_ACCOUNT, .path = name, .is_group = secret == NULL};
        if ((r = bw_win_journal_add(j, &rec)) < 0)
                return r;
        rep->changed++;
        if (dry_run)
                return 0;
        if (secret) {
                char pw[25];
                if ((r = bw_win_make_password(ops, pw)) < 0)
                        return r;
                r = ops->user_add(ops->ctx, name, pw, comment, err, sizeof(err));
                if (r == 0) {
                        free(*secret);
                        *secret = NULL;
                        r = ops->protect(ops->ctx, (const uint8_t *) pw, strlen(pw), secret, secret_n);
                }
                memset(pw, 0, sizeof(pw));
        } else
                r = ops->group_add(ops->ctx, name, comment, err, sizeof(err));
        if (r == 0)
                r = ops->account_sid(ops->ctx, name, sid, NULL, 0);
        if (r < 0)
                ERRF(rep, "creating account %s failed: %s", name, err[0] ? err : strerror(-r));
        return r;
}

int bw_win_principals_converge(struct bw_win_install *in, const struct bw_win_ops *ops, struct bw_win_journal *j,
                               bool dry_run, struct bw_win_report *rep) {
        int r = converge_account(in, ops, j, dry_run, rep, BW_ROLE_SANDBOX_GROUP, in->group, &in->group_sid, NULL,
                                 NULL);
        if (r == 0)
                r = converge_account(in, ops, j, dry_run, rep, BW_ROLE_OFFLINE, in->offline, &in->offline_sid,
                                     &in->offline_secret, &in->offline_secret_n);
        if (r == 0)
                r = converge_account(in, ops, j, dry_run, rep, BW_ROLE_ONLINE, in->online, &in->online_sid,
                                     &in->online_secret, &in->online_secret_n);
        if (r < 0 || dry_run)
                return r;
        const char *users[2] = {in->offline, in->online};
        for (int i = 0; i < 2; i++) {
                char err[256] = "";
                r = ops->group_add_member(ops->ctx, in->group, users[i], err, sizeof(err));
                if (r == -EEXIST)
                        r = 0; /* already a member */
                if (r < 0) {
                        ERRF(rep, "adding %s to group %s failed: %s", users[i], in->group, err[0] ? err : strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* ---- firewall ---- */

void bw_win_fw_wanted(const struct bw_win_install *in, struct bw_win_fw_rule *ret) {
        char sid[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(&in->offline_sid, sid);
        memset(ret, 0, sizeof(*ret));
        snprintf(ret->name, sizeof(ret->name), "bulwark offline %s", in->offline);
        snprintf(ret->description, sizeof(ret->description),
                 "bulwark: no network but loopback for the offline sandbox user of %s", in->user);
        /* O:LS (owner LocalService, as the firewall service requires), D: one allow of
         * CC (create child: "may be matched") to the offline user's SID. */
        snprintf(ret->local_user_sddl, sizeof(ret->local_user_sddl), "O:LSD:(A;;CC;;;%s)", sid);
        /* every address but 127.0.0.0/8 and ::1 */
        snprintf(ret->remote_addresses, sizeof(ret->remote_addresses), "%s",
                 "0.0.0.0-126.255.255.255,128.0.0.0-255.255.255.255,::,::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        ret->outbound = true;
        ret->block = true;
        ret->protocol = 256;
}

static bool fw_equal(const struct bw_win_fw_rule *a, const struct bw_win_fw_rule *b) {
        return strcmp(a->name, b->name) == 0 && strcmp(a->local_user_sddl, b->local_user_sddl) == 0 &&
               strcmp(a->remote_addresses, b->remote_addresses) == 0 && a->outbound == b->outbound &&
               a->block == b->block && a->protocol == b->protocol;
}

int bw_win_fw_converge(struct bw_win_install *in, const struct bw_win_ops *ops, struct bw_win_journal *j, bool dry_run,
                       struct bw_win_report *rep) {
        struct bw_win_fw_rule want, have;
        char err[256] = "";
        bw_win_fw_wanted(in, &want);
        int r = ops->fw_get(ops->ctx, want.name, &have, err, sizeof(err));
        if (r == 0 && fw_equal(&want, &have)) {
                rep->unchanged++;
                return 0;
        }
        if (r < 0 && r != -ENOENT) {
                ERRF(rep, "reading firewall rule '%s' failed: %s", want.name, err[0] ? err : strerror(-r));
                return r;
        }
        bool present = r == 0;
        /* A rule of that name that bulwark made (the state says so, or it carries bulwark's
         * description) and someone changed is drift: repaired, and still removed by revert. Only a
         * rule that was not bulwark's is journaled to be put back. */
        bool ours = present && (in->firewall || strcmp(have.description, want.description) == 0);
        if (!ours) {
                struct bw_win_rec rec = {.kind = BW_WIN_REC_FIREWALL, .path = want.name, .existed = present};
                if (present)
                        rec.fw = have;
                if ((r = bw_win_journal_add(j, &rec)) < 0)
                        return r;
        }
        rep->changed++;
        if (dry_run)
                return 0;
        if (present && (r = ops->fw_remove(ops->ctx, want.name, err, sizeof(err))) < 0) {
                ERRF(rep, "replacing firewall rule '%s' failed: %s", want.name, err[0] ? err : strerror(-r));
                return r;
        }
        r = ops->fw_add(ops->ctx, &want, err, sizeof(err));
        if (r < 0)
                ERRF(rep, "adding firewall rule '%s' failed: %s", want.name, err[0] ? err : strerror(-r));
        in->firewall = r == 0;
        return r;
}

/* ---- objects ---- */

/* The entries install `in` wants at path (kinds filtered by mask: bit k = kind k). */
static int wants_at(const struct bw_win_install *in, const struct bw_win_target *targets, size_t n, const char *path,
                    bool directory, unsigned kinds, struct bw_win_acl *acl) {
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++)
                if ((kinds & (1u << targets[i].kind)) && bw_win_path_equal(targets[i].path, path))
                        r = bw_win_target_aces(in, &targets[i], directory, acl);
        return r;
}

static int others_keep(const struct bw_win_install *others, size_t n_others, const char *path, bool directory,
                       struct bw_win_acl *keep) {
        int r = 0;
        for (size_t i = 0; i < n_others && r == 0; i++)
                r = wants_at(&others[i], others[i].targets, others[i].n_targets, path, directory, ~0u, keep);
        return r;
}

struct object {
        bw_win_handle h;
        struct bw_win_object_info info;
        uint8_t *raw;
        size_t raw_n;
        struct bw_win_sd sd;
};

static void object_done(const struct bw_win_ops *ops, struct object *o) {
        if (o->h)
                ops->close_handle(ops->ctx, o->h);
        free(o->raw);
        bw_win_sd_done(&o->sd);
        memset(o, 0, sizeof(*o));
}

/* Open and read path. 0, -ENOENT (absent), or another error (described in rep). */
static int object_open(const struct bw_win_ops *ops, const char *path, bool write, struct object *o,
                       struct bw_win_report *rep) {
        char err[256] = "";
        memset(o, 0, sizeof(*o));
        int r = ops->open_object(ops->ctx, path, write, &o->h, &o->info, err, sizeof(err));
        if (r == -ENOENT)
                return r;
        if (r == 0 && o->info.reparse) {
                ERRF(rep,
                     "%s is a junction or symbolic link: bulwark does not give entries through one; replace it "
                     "with a directory or name its target in the policy",
                     path);
                r = -ELOOP;
        } else if (r == 0 && (r = ops->get_sd(ops->ctx, o->h, &o->raw, &o->raw_n, err, sizeof(err))) == 0 &&
                   (r = bw_win_sd_decode(o->raw, o->raw_n, &o->sd)) < 0)
                ERRF(rep, "%s: its security descriptor could not be parsed", path);
        else if (r == 0 && !o->sd.has_dacl) {
                ERRF(rep,
                     "%s has no DACL (everyone may do anything there): bulwark will not replace that with a "
                     "DACL of its own; give it one (icacls) and apply again",
                     path);
                r = -EPERM;
        } else if (r < 0)
                ERRF(rep, "%s: %s", path, err[0] ? err : strerror(-r));
        if (r < 0 && r != -ENOENT)
                object_done(ops, o);
        return r;
}

/* Write dacl to o, journaling the exact prior bytes first. */
static int object_write(const struct bw_win_ops *ops, const char *path, struct object *o, struct bw_win_acl *dacl,
                        struct bw_win_journal *j, bool dry_run, struct bw_win_report *rep) {
        struct bw_win_sd sd = o->sd;
        sd.dacl = *dacl;
        sd.has_dacl = true;
        sd.sacl_raw = NULL; /* only the DACL is written */
        uint8_t *after = NULL;
        size_t after_n = 0;
        char err[256] = "";
        int r = bw_win_sd_encode(&sd, &after, &after_n);
        if (r < 0)
                return r;
        char *path_copy = strdup(path);
        if (!path_copy) {
                free(after);
                return -ENOMEM;
        }
        struct bw_win_rec rec = {.kind = BW_WIN_REC_DACL,
                                 .path = path_copy,
                                 .file_id = o->info.file_id,
                                 .before = o->raw,
                                 .before_n = o->raw_n,
                                 .after = after,
                                 .after_n = after_n};
        r = j ? bw_win_journal_add(j, &rec) : 0;
        free(path_copy);
        if (r < 0) {
                free(after);
                return r;
        }
        if (!dry_run && (r = ops->set_dacl(ops->ctx, o->h, after, after_n, err, sizeof(err))) < 0)
                ERRF(rep, "%s: setting its DACL failed: %s", path, err[0] ? err : strerror(-r));
        free(after);
        return r;
}

/* Forget the roots no target names any more (their entries were just taken away): the state keeps
 * only the SIDs in use. Targets' root bits are renumbered to match. */
static void prune_roots(struct bw_win_install *in) {
        uint32_t used = 0;
        for (size_t i = 0; i < in->n_targets; i++)
                used |= in->targets[i].roots;
        size_t o = 0;
        uint32_t map[32] = {0};
        for (size_t i = 0; i < in->n_roots; i++) {
                if (used & (1u << i)) {
                        map[i] = 1u << o;
                        in->roots[o++] = in->roots[i];
                } else
                        free(in->roots[i].path);
        }
        in->n_roots = o;
        for (size_t i = 0; i < in->n_targets; i++) {
                uint32_t m = 0;
                for (size_t k = 0; k < 32; k++)
                        if (in->targets[i].roots & (1u << k))
                                m |= map[k];
                in->targets[i].roots = m;
        }
}

static bool path_seen(const struct bw_win_translation *t, size_t i) {
        return i > 0 && bw_win_path_equal(t->targets[i - 1].path, t->targets[i].path);
}

int bw_win_apply_targets(struct bw_win_install *in, const struct bw_win_install *others, size_t n_others,
                         const struct bw_win_translation *t, const struct bw_win_ops *ops, struct bw_win_journal *j,
                         bool dry_run, struct bw_win_report *rep) {
        const unsigned now = 1u << BW_WIN_T_ROOT | 1u << BW_WIN_T_CARVE | 1u << BW_WIN_T_UNREADABLE;
        for (size_t i = 0; i < t->n; i++) {
                const char *path = t->targets[i].path;
                if (path_seen(t, i))
                        continue; /* targets are sorted: one pass per object for all its kinds */
                bool any_now = false;
                for (size_t k = i; k < t->n && bw_win_path_equal(t->targets[k].path, path); k++)
                        any_now |= (now >> t->targets[k].kind) & 1u;
                if (!any_now) {
                        rep->read_grants_queued++;
                        continue;
                }
                struct object o;
                int r = object_open(ops, path, true, &o, rep);
                if (r == -ENOENT) {
                        rep->missing++;
                        continue;
                }
                if (r < 0) {
                        rep->errors++;
                        continue;
                }
                struct bw_win_acl want = {0}, keep = {0}, merged = {0};
                /* Read grants already in force stay (the worker put them there), as do entries
                 * other installations want here. */
                r = wants_at(in, t->targets, t->n, path, o.info.directory, now, &want);
                if (r == 0)
                        r = wants_at(in, t->targets, t->n, path, o.info.directory, 1u << BW_WIN_T_READ, &keep);
                if (r == 0)
                        r = others_keep(others, n_others, path, o.info.directory, &keep);
                if (r == 0)
                        r = bw_win_dacl_merge(&o.sd.dacl, in, &want, &keep, &merged);
                if (r == 1) {
                        r = object_write(ops, path, &o, &merged, j, dry_run, rep);
                        if (r == 0)
                                rep->changed++;
                        else
                                rep->errors++;
                } else if (r == 0)
                        rep->unchanged++;
                bw_win_acl_done(&want);
                bw_win_acl_done(&keep);
                bw_win_acl_done(&merged);
                object_done(ops, &o);
                if (r == -ENOMEM || r == -EIO)
                        return r; /* the journal could not be written: stop before any further write */
                if (j && j->failed)
                        return j->failed;
        }
        /* Objects an earlier apply gave entries that this plan no longer wants: this
         * installation's entries go (journaled), as the reference implementation never did. */
        for (size_t i = 0; i < in->n_targets; i++) {
                const char *path = in->targets[i].path;
                bool still = false, dup = false;
                for (size_t k = 0; k < t->n && !still; k++)
                        still = bw_win_path_equal(t->targets[k].path, path);
                for (size_t k = 0; k < i && !dup; k++)
                        dup = bw_win_path_equal(in->targets[k].path, path);
                if (still || dup)
                        continue;
                struct object o;
                int r = object_open(ops, path, true, &o, rep);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        rep->errors++;
                        continue;
                }
                struct bw_win_acl keep = {0}, merged = {0};
                r = others_keep(others, n_others, path, o.info.directory, &keep);
                if (r == 0)
                        r = bw_win_dacl_merge(&o.sd.dacl, in, NULL, &keep, &merged);
                if (r == 1) {
                        r = object_write(ops, path, &o, &merged, j, dry_run, rep);
                        if (r == 0)
                                rep->changed++;
                        else
                                rep->errors++;
                }
                bw_win_acl_done(&keep);
                bw_win_acl_done(&merged);
                object_done(ops, &o);
                if (r == -ENOMEM || r == -EIO)
                        return r;
                if (j && j->failed)
                        return j->failed;
        }
        /* What is in force now, for later reverts' reference counts. */
        struct bw_win_target *copy = calloc(t->n ? t->n : 1, sizeof(*copy));
        if (!copy)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                copy[i] = t->targets[i];
                if (!(copy[i].path = strdup(t->targets[i].path))) {
                        bw_win_targets_free(copy, i);
                        return -ENOMEM;
                }
        }
        if (!dry_run) {
                bw_win_targets_free(in->targets, in->n_targets);
                in->targets = copy;
                in->n_targets = t->n;
                prune_roots(in);
        } else
                bw_win_targets_free(copy, t->n);
        return 0;
}

/* Append the line "path: why" to *buf. */
static int append_line(char **buf, const char *path, const char *why) {
        char *n = NULL;
        if (asprintf(&n, "%s%s: %s\n", *buf ? *buf : "", path, why) < 0)
                return -ENOMEM;
        free(*buf);
        *buf = n;
        return 0;
}

int bw_win_drift(const struct bw_win_install *in, const struct bw_win_translation *t, const struct bw_win_ops *ops,
                 char **ret) {
        char *out = NULL;
        int drifted = 0;
        for (size_t i = 0; i < t->n; i++) {
                const char *path = t->targets[i].path;
                if (path_seen(t, i))
                        continue;
                struct object o;
                struct bw_win_report rep = {0};
                int r = object_open(ops, path, false, &o, &rep);
                if (r == -ENOENT)
                        continue;
                if (r < 0) {
                        append_line(&out, path, rep.last_error);
                        drifted++;
                        continue;
                }
                struct bw_win_acl want = {0};
                /* READ targets count only once granted: the worker may not have reached them. */
                unsigned kinds = 1u << BW_WIN_T_ROOT | 1u << BW_WIN_T_CARVE | 1u << BW_WIN_T_UNREADABLE;
                r = wants_at(in, t->targets, t->n, path, o.info.directory, kinds, &want);
                const char *why = NULL;
                for (size_t k = 0; r == 0 && !why && k < want.n; k++)
                        if (!acl_has(&o.sd.dacl, &want.aces[k]))
                                why = "an entry of the plan is missing or differs";
                if (!why && bw_win_acl_first_misordered(&o.sd.dacl) >= 0)
                        why = "the DACL is not in canonical order (a deny after an allow is dead)";
                struct bw_win_acl reads = {0};
                wants_at(in, t->targets, t->n, path, o.info.directory, 1u << BW_WIN_T_READ, &reads);
                for (size_t k = 0; !why && k < o.sd.dacl.n; k++)
                        if (bw_win_ace_is_ours(in, &o.sd.dacl.aces[k]) && !acl_has(&want, &o.sd.dacl.aces[k]) &&
                            !acl_has(&reads, &o.sd.dacl.aces[k]))
                                why = "an entry of bulwark's is there that the plan does not want";
                if (why) {
                        drifted++;
                        append_line(&out, path, why);
                }
                bw_win_acl_done(&reads);
                bw_win_acl_done(&want);
                object_done(ops, &o);
        }
        *ret = out;
        return drifted;
}

/*
 * The user's accounts and firewall rule are shared by all of the user's installations and made by
 * the first of them: whichever is reverted last removes them (they are bulwark's by their
 * comment), whether or not its own journal recorded making them.
 */
static int revert_last_of_user(const struct bw_win_install *in, const struct bw_win_install *others, size_t n_others,
                               const struct bw_win_journal *j, const struct bw_win_ops *ops,
                               struct bw_win_report *rep) {
        for (size_t k = 0; k < n_others; k++)
                if (strcmp(others[k].user, in->user) == 0)
                        return 0;
        int ret = 0;
        char err[256] = "";
        struct bw_win_fw_rule want, have;
        bw_win_fw_wanted(in, &want);
        bool restored = false;
        for (size_t i = 0; i < j->n; i++)
                restored |= j->recs[i].kind == BW_WIN_REC_FIREWALL && j->recs[i].existed;
        if (!restored && ops->fw_get(ops->ctx, want.name, &have, err, sizeof(err)) == 0 &&
            strcmp(have.description, want.description) == 0) {
                int r = ops->fw_remove(ops->ctx, want.name, err, sizeof(err));
                if (r < 0 && r != -ENOENT) {
                        rep->errors++;
                        ERRF(rep, "removing firewall rule '%s' failed: %s", want.name, err);
                        ret = r;
                }
        }
        static const uint32_t roles[] = {BW_ROLE_OFFLINE, BW_ROLE_ONLINE, BW_ROLE_SANDBOX_GROUP};
        for (size_t i = 0; i < 3; i++) {
                char name[BW_WIN_ACCOUNT_MAX + 1], comment[300], have_comment[300] = "";
                struct bw_win_sid sid;
                if (bw_win_account_name(roles[i], in->user, name) < 0)
                        continue;
                bw_win_account_comment(roles[i], in->user, comment, sizeof(comment));
                if (ops->account_sid(ops->ctx, name, &sid, have_comment, sizeof(have_comment)) < 0 ||
                    strcmp(have_comment, comment) != 0)
                        continue; /* gone already, or not bulwark's */
                int r = roles[i] == BW_ROLE_SANDBOX_GROUP ? ops->group_del(ops->ctx, name, err, sizeof(err))
                                                          : ops->user_del(ops->ctx, name, err, sizeof(err));
                if (r == 0)
                        rep->changed++;
                else if (r != -ENOENT) {
                        rep->errors++;
                        ERRF(rep, "removing account %s failed: %s", name, err);
                        ret = r;
                }
        }
        return ret;
}

int bw_win_revert(const struct bw_win_install *in, const struct bw_win_install *others, size_t n_others,
                  const struct bw_win_journal *j, const struct bw_win_ops *ops, struct bw_win_report *rep) {
        int ret = 0;
        for (size_t i = j->n; i-- > 0;) {
                const struct bw_win_rec *x = &j->recs[i];
                char err[256] = "";
                int r = 0;
                if (x->kind == BW_WIN_REC_DACL) {
                        /* Once per object: the newest record says what bulwark wrote last, the
                         * oldest what was there before bulwark. */
                        bool newer = false;
                        for (size_t k = i + 1; k < j->n; k++)
                                newer |= j->recs[k].kind == BW_WIN_REC_DACL && j->recs[k].file_id == x->file_id &&
                                         bw_win_path_equal(j->recs[k].path, x->path);
                        if (newer)
                                continue;
                        const struct bw_win_rec *oldest = x;
                        for (size_t k = 0; k < i; k++)
                                if (j->recs[k].kind == BW_WIN_REC_DACL && j->recs[k].file_id == x->file_id &&
                                    bw_win_path_equal(j->recs[k].path, x->path)) {
                                        oldest = &j->recs[k];
                                        break;
                                }
                        struct object o;
                        r = object_open(ops, x->path, true, &o, rep);
                        if (r == -ENOENT) {
                                rep->missing++;
                                continue;
                        }
                        if (r < 0) {
                                rep->errors++;
                                ret = r;
                                continue;
                        }
                        if (o.info.file_id != x->file_id) {
                                /* another object took the name since: not ours to change */
                                rep->missing++;
                                object_done(ops, &o);
                                continue;
                        }
                        struct bw_win_sd wrote = {0};
                        r = bw_win_sd_decode(x->after, x->after_n, &wrote);
                        if (r == 0 && bw_win_acl_equal(&wrote.dacl, &o.sd.dacl)) {
                                /* still what bulwark wrote: the exact prior bytes go back */
                                r = ops->set_dacl(ops->ctx, o.h, oldest->before, oldest->before_n, err, sizeof(err));
                                if (r == 0)
                                        rep->changed++;
                        } else if (r == 0) {
                                /* changed since (another installation, or the user): take out only
                                 * this installation's entries that no other installation wants */
                                struct bw_win_acl keep = {0}, merged = {0};
                                r = others_keep(others, n_others, x->path, o.info.directory, &keep);
                                if (r == 0)
                                        r = bw_win_dacl_merge(&o.sd.dacl, in, NULL, &keep, &merged);
                                if (r == 1) {
                                        r = object_write(ops, x->path, &o, &merged, NULL, false, rep);
                                        if (r == 0)
                                                rep->changed++;
                                } else if (r == 0)
                                        rep->unchanged++;
                                bw_win_acl_done(&keep);
                                bw_win_acl_done(&merged);
                        }
                        bw_win_sd_done(&wrote);
                        object_done(ops, &o);
                } else if (x->kind == BW_WIN_REC_ACCOUNT || x->kind == BW_WIN_REC_FIREWALL) {
                        bool shared = false;
                        for (size_t k = 0; k < n_others; k++)
                                shared |= strcmp(others[k].user, in->user) == 0;
                        if (x->existed && x->kind == BW_WIN_REC_FIREWALL) {
                                /* put back the rule that was there before bulwark replaced it */
                                r = ops->fw_remove(ops->ctx, x->path, err, sizeof(err));
                                if (r == 0 || r == -ENOENT)
                                        r = ops->fw_add(ops->ctx, &x->fw, err, sizeof(err));
                        } else if (x->existed || shared) {
                                rep->unchanged++; /* not created by us, or still used by the user's other installations
                                                   */
                                continue;
                        } else if (x->kind == BW_WIN_REC_FIREWALL)
                                r = ops->fw_remove(ops->ctx, x->path, err, sizeof(err));
                        else if (x->is_group)
                                r = ops->group_del(ops->ctx, x->path, err, sizeof(err));
                        else
                                r = ops->user_del(ops->ctx, x->path, err, sizeof(err));
                        if (r == -ENOENT)
                                r = 0;
                        if (r == 0)
                                rep->changed++;
                }
                if (r < 0) {
                        rep->errors++;
                        ERRF(rep, "reverting %s failed: %s", x->path, err[0] ? err : strerror(-r));
                        ret = r;
                }
        }
        int r = revert_last_of_user(in, others, n_others, j, ops, rep);
        return ret < 0 ? ret : r;
}

/* ---- read grants ---- */

int bw_win_read_worker_init(struct bw_win_read_worker *w, const struct bw_win_install *in,
                            const struct bw_win_translation *t, const struct bw_win_ops *ops,
                            struct bw_win_journal *j) {
        memset(w, 0, sizeof(*w));
        w->in = in;
        w->ops = ops;
        w->j = j;
        w->paths = calloc(t->n ? t->n : 1, sizeof(char *));
        if (!w->paths)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++)
                if (t->targets[i].kind == BW_WIN_T_READ) {
                        w->paths[w->n] = strdup(t->targets[i].path);
                        if (!w->paths[w->n++]) {
                                bw_win_read_worker_done(w);
                                return -ENOMEM;
                        }
                }
        return 0;
}

int bw_win_read_worker_step(struct bw_win_read_worker *w, size_t max) {
        for (size_t done = 0; done < max && w->next < w->n && !(w->j && w->j->failed); done++) {
                const char *path = w->paths[w->next++];
                struct object o;
                struct bw_win_report rep = {0};
                int r = object_open(w->ops, path, true, &o, &rep);
                if (r == -ENOENT) {
                        w->already++;
                        continue;
                }
                if (r < 0) {
                        w->failed++;
                        continue;
                }
                if (!bw_win_read_grant_needed(&o.sd.dacl)) {
                        w->already++;
                        object_done(w->ops, &o);
                        continue;
                }
                /* Everything this installation wants here, so the merge takes nothing of it away. */
                struct bw_win_acl want = {0}, merged = {0};
                r = wants_at(w->in, w->in->targets, w->in->n_targets, path, o.info.directory, ~0u, &want);
                if (r == 0)
                        r = bw_win_dacl_merge(&o.sd.dacl, w->in, &want, NULL, &merged);
                if (r == 1) {
                        r = object_write(w->ops, path, &o, &merged, w->j, false, &rep);
                        if (r == 0)
                                w->granted++;
                        else
                                w->failed++;
                } else if (r == 0)
                        w->already++;
                else
                        w->failed++;
                bw_win_acl_done(&want);
                bw_win_acl_done(&merged);
                object_done(w->ops, &o);
        }
        return w->next < w->n ? 1 : 0;
}

void bw_win_read_worker_progress(const struct bw_win_read_worker *w, char *out, size_t size) {
        snprintf(out, size, "read grants: %zu of %zu done (%u granted, %u already readable, %u failed)", w->next, w->n,
                 w->granted, w->already, w->failed);
}

void bw_win_read_worker_done(struct bw_win_read_worker *w) {
        for (size_t i = 0; i < w->n; i++)
                free(w->paths[i]);
        free(w->paths);
        memset(w, 0, sizeof(*w));
}
