/* SPDX-License-Identifier: MIT */
#include "fake_ops.h"
#include "util.h"
#include "win_path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct bw_win_sid fake_real_user = {1, 5, {0, 0, 0, 0, 0, 5}, {21, 1, 2, 3, 1001}};

BW_PRINTF(2, 3) static int record(struct fake *f, const char *fmt, ...) {
        char *line = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&line, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (f->n_log < FAKE_MAX_LOG)
                f->log[f->n_log++] = line;
        else
                free(line);
        if (f->fail_prefix[0] && strncmp(line, f->fail_prefix, strlen(f->fail_prefix)) == 0 && --f->fail_after == 0) {
                f->fail_prefix[0] = '\0';
                return -f->fail_errno;
        }
        return 0;
}

struct fake_object *fake_find(struct fake *f, const char *path) {
        for (size_t i = 0; i < f->n_objects; i++)
                if (f->objects[i].exists && bw_win_path_equal(f->objects[i].path, path))
                        return &f->objects[i];
        return NULL;
}

static struct fake_object *parent_of(struct fake *f, const char *path) {
        char buf[512];
        snprintf(buf, sizeof(buf), "%s", path);
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return NULL;
        *slash = '\0';
        return fake_find(f, buf);
}

/* Inherited entries of a child from its parent's DACL (MS-DTYP 2.5.3.4.2, without CREATOR OWNER). */
static void inherit(const struct bw_win_acl *parent, bool directory, struct bw_win_acl *out) {
        for (size_t i = 0; i < parent->n; i++) {
                const struct bw_win_ace *a = &parent->aces[i];
                if (a->raw)
                        continue;
                uint8_t fl = a->flags;
                if (directory) {
                        if (fl & BW_ACE_CI) {
                                uint8_t nf = (uint8_t) ((fl & (BW_ACE_OI | BW_ACE_CI | BW_ACE_NP)) | BW_ACE_INHERITED);
                                if (fl & BW_ACE_NP)
                                        nf = BW_ACE_INHERITED;
                                bw_win_acl_add(out, a->type, nf, a->mask, &a->sid);
                        } else if ((fl & BW_ACE_OI) && !(fl & BW_ACE_NP))
                                bw_win_acl_add(out, a->type, BW_ACE_OI | BW_ACE_IO | BW_ACE_INHERITED, a->mask,
                                               &a->sid);
                } else if (fl & BW_ACE_OI)
                        bw_win_acl_add(out, a->type, BW_ACE_INHERITED, a->mask, &a->sid);
        }
}

static void store_sd(struct fake_object *o, const struct bw_win_acl *dacl, uint16_t control) {
        struct bw_win_sd sd = {.control = control,
                               .has_owner = true,
                               .has_group = true,
                               .has_dacl = true,
                               .owner = fake_real_user,
                               .group = fake_real_user,
                               .dacl = *dacl};
        /* a DACL write keeps the owner and group (SetSecurityInfo with DACL_SECURITY_INFORMATION) */
        struct bw_win_sd cur;
        if (o->sd && bw_win_sd_decode(o->sd, o->sd_n, &cur) == 0) {
                sd.owner = cur.owner;
                sd.group = cur.group;
                bw_win_sd_done(&cur);
        }
        free(o->sd);
        if (bw_win_sd_encode(&sd, &o->sd, &o->sd_n) < 0)
                abort();
}

/* Recompute the inherited part of o's DACL from its parent (unless protected), then its children's. */
static void propagate(struct fake *f, struct fake_object *o) {
        struct bw_win_sd sd;
        if (bw_win_sd_decode(o->sd, o->sd_n, &sd) < 0)
                abort();
        struct fake_object *p = parent_of(f, o->path);
        if (p && !(sd.control & BW_SE_DACL_PROTECTED)) {
                struct bw_win_sd psd;
                if (bw_win_sd_decode(p->sd, p->sd_n, &psd) < 0)
                        abort();
                struct bw_win_acl acl = {.revision = 2};
                for (size_t i = 0; i < sd.dacl.n; i++)
                        if (!(sd.dacl.aces[i].flags & BW_ACE_INHERITED))
                                bw_win_acl_add(&acl, sd.dacl.aces[i].type, sd.dacl.aces[i].flags, sd.dacl.aces[i].mask,
                                               &sd.dacl.aces[i].sid);
                inherit(&psd.dacl, o->directory, &acl);
                store_sd(o, &acl, sd.control);
                bw_win_acl_done(&acl);
                bw_win_sd_done(&psd);
        }
        bw_win_sd_done(&sd);
        if (!o->directory)
                return;
        size_t n = strlen(o->path);
        for (size_t i = 0; i < f->n_objects; i++) {
                struct fake_object *c = &f->objects[i];
                if (c->exists && strlen(c->path) > n && c->path[n] == '/' && !strchr(c->path + n + 1, '/') &&
                    bw_win_name_equal(c->path, n, o->path, n))
                        propagate(f, c);
        }
}

void fake_add_object(struct fake *f, const char *path, bool directory, const struct bw_win_acl *explicit_aces) {
        struct fake_object *o = &f->objects[f->n_objects++];
        memset(o, 0, sizeof(*o));
        snprintf(o->path, sizeof(o->path), "%s", path);
        o->directory = directory;
        o->exists = true;
        o->file_id = ++f->next_file_id;
        struct bw_win_acl empty = {.revision = 2};
        store_sd(o, explicit_aces ? explicit_aces : &empty, BW_SE_DACL_AUTO_INHERITED);
        propagate(f, o);
}

void fake_add_reparse(struct fake *f, const char *path) {
        fake_add_object(f, path, true, NULL);
        f->objects[f->n_objects - 1].reparse = true;
}

void fake_dacl(struct fake *f, const char *path, struct bw_win_acl *ret) {
        struct bw_win_sd sd;
        struct fake_object *o = fake_find(f, path);
        if (!o || bw_win_sd_decode(o->sd, o->sd_n, &sd) < 0)
                abort();
        *ret = sd.dacl;
        sd.dacl = (struct bw_win_acl){0};
        bw_win_sd_done(&sd);
}

size_t fake_count(const struct fake *f, const char *prefix) {
        size_t n = 0;
        for (size_t i = 0; i < f->n_log; i++)
                n += strncmp(f->log[i], prefix, strlen(prefix)) == 0;
        return n;
}

void fake_log_clear(struct fake *f) {
        for (size_t i = 0; i < f->n_log; i++)
                free(f->log[i]);
        f->n_log = 0;
}

void fake_fail(struct fake *f, const char *prefix, int nth, int err) {
        snprintf(f->fail_prefix, sizeof(f->fail_prefix), "%s", prefix);
        f->fail_after = nth;
        f->fail_errno = err;
}

void fake_home_dacl(struct bw_win_acl *acl) {
        bw_win_acl_add(acl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        bw_win_acl_add(acl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        bw_win_acl_add(acl, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &fake_real_user);
}

/* ---- the operations ---- */

static int f_open(void *ctx, const char *path, bool write, bw_win_handle *ret, struct bw_win_object_info *info,
                  char *err, size_t es) {
        struct fake *f = ctx;
        int r = record(f, "open %s%s", path, write ? "" : " (read-only)");
        if (r < 0)
                return r;
        struct fake_object *o = fake_find(f, path);
        if (!o) {
                snprintf(err, es, "%s: not found", path);
                return -ENOENT;
        }
        *ret = (bw_win_handle) (o - f->objects) + 1;
        *info = (struct bw_win_object_info){.directory = o->directory, .reparse = o->reparse, .file_id = o->file_id};
        return 0;
}

/* The object's own name (its case as the fake stores it), through the test's junction if the path
 * goes through it. */
static int f_final_path(void *ctx, const char *path, char **ret, char *err, size_t es) {
        struct fake *f = ctx;
        int r = record(f, "final_path %s", path);
        if (r < 0)
                return r;
        char real[512];
        size_t ll = strlen(f->link);
        if (ll && bw_win_path_within(path, f->link))
                snprintf(real, sizeof(real), "%s%s", f->link_target, path + ll);
        else
                snprintf(real, sizeof(real), "%s", path);
        struct fake_object *o = fake_find(f, real);
        if (!o) {
                snprintf(err, es, "%s: not found", path);
                return -ENOENT;
        }
        *ret = strdup(o->path);
        return *ret ? 0 : -ENOMEM;
}

static void f_close(void *ctx, bw_win_handle h) {
        (void) record(ctx, "close %ld", (long) h);
}

static int f_get_sd(void *ctx, bw_win_handle h, uint8_t **ret, size_t *n, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        struct fake_object *o = &f->objects[h - 1];
        int r = record(f, "get_sd %s", o->path);
        if (r < 0)
                return r;
        *ret = malloc(o->sd_n);
        memcpy(*ret, o->sd, o->sd_n);
        *n = o->sd_n;
        return 0;
}

static int f_set_dacl(void *ctx, bw_win_handle h, const uint8_t *sd, size_t n, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        struct fake_object *o = &f->objects[h - 1];
        int r = record(f, "set_dacl %s", o->path);
        if (r < 0)
                return r;
        struct bw_win_sd in;
        if (bw_win_sd_decode(sd, n, &in) < 0 || !in.has_dacl)
                return -EINVAL;
        store_sd(o, &in.dacl, in.control & (BW_SE_DACL_PROTECTED | BW_SE_DACL_AUTO_INHERITED));
        bw_win_sd_done(&in);
        propagate(f, o);
        return 0;
}

static int f_list(void *ctx, const char *path, struct bw_win_dirent **ret, size_t *ret_n, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "list %s", path);
        if (r < 0)
                return r;
        struct bw_win_dirent *e = calloc(FAKE_MAX_OBJECTS, sizeof(*e));
        size_t n = 0, len = strlen(path);
        for (size_t i = 0; i < f->n_objects; i++) {
                struct fake_object *o = &f->objects[i];
                if (o->exists && strlen(o->path) > len && o->path[len] == '/' && !strchr(o->path + len + 1, '/') &&
                    bw_win_name_equal(o->path, len, path, len)) {
                        snprintf(e[n].name, sizeof(e[n].name), "%s", o->path + len + 1);
                        e[n].directory = o->directory;
                        e[n++].reparse = o->reparse;
                }
        }
        *ret = e;
        *ret_n = n;
        return 0;
}

static struct fake_account *account(struct fake *f, const char *name) {
        for (size_t i = 0; i < f->n_accounts; i++)
                if (f->accounts[i].exists && bw_win_path_equal(f->accounts[i].name, name))
                        return &f->accounts[i];
        return NULL;
}

static int add_account(struct fake *f, const char *name, const char *pw, const char *comment, bool group) {
        if (account(f, name))
                return -EEXIST;
        struct fake_account *a = &f->accounts[f->n_accounts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "%s", name);
        snprintf(a->comment, sizeof(a->comment), "%s", comment);
        snprintf(a->password, sizeof(a->password), "%s", pw ? pw : "");
        a->is_group = group;
        a->exists = true;
        a->sid = (struct bw_win_sid){1, 5, {0, 0, 0, 0, 0, 5}, {21, 1, 2, 3, f->next_rid++}};
        return 0;
}

static int f_user_add(void *ctx, const char *name, const char *pw, const char *comment, char *err, size_t es) {
        (void) err, (void) es;
        int r = record(ctx, "user_add %s", name);
        return r < 0 ? r : add_account(ctx, name, pw, comment, false);
}

static int f_group_add(void *ctx, const char *name, const char *comment, char *err, size_t es) {
        (void) err, (void) es;
        int r = record(ctx, "group_add %s", name);
        return r < 0 ? r : add_account(ctx, name, NULL, comment, true);
}

static int del_account(struct fake *f, const char *name) {
        struct fake_account *a = account(f, name);
        if (!a)
                return -ENOENT;
        a->exists = false;
        return 0;
}

static int f_user_del(void *ctx, const char *name, char *err, size_t es) {
        (void) err, (void) es;
        int r = record(ctx, "user_del %s", name);
        return r < 0 ? r : del_account(ctx, name);
}

static int f_group_del(void *ctx, const char *name, char *err, size_t es) {
        (void) err, (void) es;
        int r = record(ctx, "group_del %s", name);
        return r < 0 ? r : del_account(ctx, name);
}

static int f_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "group_add_member %s %s", group, user);
        if (r < 0)
                return r;
        struct fake_account *g = account(f, group);
        if (!g || !account(f, user))
                return -ENOENT;
        for (int i = 0; i < g->n_members; i++)
                if (bw_win_path_equal(g->members[i], user))
                        return -EEXIST;
        if (g->n_members == 4)
                return -E2BIG;
        snprintf(g->members[g->n_members++], sizeof(g->members[0]), "%s", user);
        return 0;
}

static int f_has_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "group_has_member %s %s", group, user);
        if (r < 0)
                return r;
        struct fake_account *g = account(f, group);
        if (!g || !g->is_group)
                return -ENOENT;
        for (int i = 0; i < g->n_members; i++)
                if (bw_win_path_equal(g->members[i], user))
                        return 1;
        return 0;
}

static int f_del_member(void *ctx, const char *group, const char *user, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "group_del_member %s %s", group, user);
        if (r < 0)
                return r;
        struct fake_account *g = account(f, group);
        if (!g || !g->is_group)
                return -ENOENT;
        for (int i = 0; i < g->n_members; i++)
                if (bw_win_path_equal(g->members[i], user)) {
                        memmove(g->members[i], g->members[i + 1],
                                (size_t) (g->n_members - i - 1) * sizeof(g->members[0]));
                        g->n_members--;
                        return 0;
                }
        return -ENOENT;
}

static int f_account_sid(void *ctx, const char *name, struct bw_win_sid *ret, char *comment, size_t cs) {
        struct fake *f = ctx;
        int r = record(f, "account_sid %s", name);
        if (r < 0)
                return r;
        struct fake_account *a = account(f, name);
        if (!a)
                return -ENOENT;
        *ret = a->sid;
        if (comment)
                snprintf(comment, cs, "%s", a->comment);
        return 0;
}

static int rule_index(struct fake *f, const char *name) {
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (f->rule_used[i] && strcmp(f->rules[i].name, name) == 0)
                        return i;
        return -1;
}

static int f_fw_add(void *ctx, const struct bw_win_fw_rule *rule, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "fw_add %s", rule->name);
        if (r < 0)
                return r;
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (!f->rule_used[i]) {
                        f->rules[i] = *rule;
                        f->rules[i].narrowed[0] = 0; /* fw_add writes an enabled rule, every profile */
                        f->rule_used[i] = true;
                        return 0;
                }
        return -ENOSPC;
}

static int f_fw_remove(void *ctx, const char *name, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "fw_remove %s", name);
        if (r < 0)
                return r;
        int i = rule_index(f, name);
        if (i < 0)
                return -ENOENT;
        f->rule_used[i] = false;
        return 0;
}

static int f_fw_get(void *ctx, const char *name, struct bw_win_fw_rule *ret, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "fw_get %s", name);
        if (r < 0)
                return r;
        int i = rule_index(f, name);
        if (i < 0)
                return -ENOENT;
        *ret = f->rules[i];
        /* as win_ops_real.c: the first of several rules of one name, and how many there are */
        int dup = 0;
        for (int k = 0; k < FAKE_MAX_RULES; k++)
                dup += f->rule_used[k] && strcmp(f->rules[k].name, name) == 0;
        if (dup > 1) {
                size_t n = strlen(ret->narrowed);
                snprintf(ret->narrowed + n, sizeof(ret->narrowed) - n, "%srules of this name %d", n ? "; " : "", dup);
        }
        return 0;
}

/* Not encryption: the fake only shows that what is kept is not the password itself. */
static int f_protect(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n) {
        int r = record(ctx, "protect %zu", n);
        if (r < 0)
                return r;
        *ret = malloc(n + 4);
        memcpy(*ret, "FAKE", 4);
        for (size_t i = 0; i < n; i++)
                (*ret)[4 + i] = in[i] ^ 0x5a;
        *ret_n = n + 4;
        return 0;
}

static int f_unprotect(void *ctx, const uint8_t *in, size_t n, uint8_t **ret, size_t *ret_n) {
        int r = record(ctx, "unprotect %zu", n);
        if (r < 0)
                return r;
        if (n < 4 || memcmp(in, "FAKE", 4) != 0)
                return -EBADMSG;
        *ret = malloc(n - 4 + 1);
        for (size_t i = 4; i < n; i++)
                (*ret)[i - 4] = in[i] ^ 0x5a;
        *ret_n = n - 4;
        return 0;
}

static int f_random(void *ctx, uint8_t *out, size_t n) {
        struct fake *f = ctx;
        int r = record(f, "random %zu", n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                f->rnd = f->rnd * 1103515245u + 12345u;
                out[i] = (uint8_t) (f->rnd >> 16);
        }
        return 0;
}

static int f_own_token(void *ctx, bw_win_handle *ret, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "own_token");
        *ret = 1000 + f->next_handle++;
        return r;
}

static int f_logon_sid(void *ctx, bw_win_handle token, struct bw_win_sid *ret, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "token_logon_sid %ld", (long) token);
        *ret = f->logon_sid;
        return r;
}

static void keep_spec(struct fake *f, const struct bw_win_process_spec *s) {
        snprintf(f->last_command_line, sizeof(f->last_command_line), "%s", s->command_line);
        snprintf(f->last_application, sizeof(f->last_application), "%s", s->application ? s->application : "");
        size_t n = 0;
        if (s->environment)
                while (s->environment[n] || s->environment[n + 1])
                        n++;
        if (s->environment) {
                n += 2;
                memcpy(f->last_environment, s->environment, n < sizeof(f->last_environment) ? n : 0);
        }
        f->last_suspended = s->suspended;
}

static int f_cpau(void *ctx, bw_win_handle token, const struct bw_win_process_spec *s, bw_win_handle *p,
                  bw_win_handle *t, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "create_process_as_user %ld %s", (long) token, s->command_line);
        if (r < 0)
                return r;
        keep_spec(f, s);
        *p = 2000;
        *t = 2001;
        return 0;
}

static int f_cpwl(void *ctx, const char *user, const char *pw, const struct bw_win_process_spec *s, bw_win_handle *p,
                  bw_win_handle *t, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "create_process_with_logon %s %s", user, s->command_line);
        if (r < 0)
                return r;
        struct fake_account *a = account(f, user);
        if (!a || strcmp(a->password, pw) != 0)
                return -EACCES;
        keep_spec(f, s);
        *p = 2000;
        *t = 2001;
        return 0;
}

static int f_assign(void *ctx, bw_win_handle job, bw_win_handle p, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "job_assign %ld %ld", (long) job, (long) p);
        if (r == 0)
                f->job_of_process = job;
        return r;
}

static int f_resume(void *ctx, bw_win_handle t, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "resume_thread %ld", (long) t);
        f->resumed_after_assign = f->job_of_process != 0;
        return r;
}

static int f_wait(void *ctx, bw_win_handle p, uint32_t *code, char *err, size_t es) {
        struct fake *f = ctx;
        (void) err, (void) es;
        int r = record(f, "wait_process %ld", (long) p);
        *code = f->exit_code;
        return r;
}

static int f_terminate(void *ctx, bw_win_handle p, uint32_t code) {
        return record(ctx, "terminate_process %ld %u", (long) p, code);
}

void fake_init(struct fake *f, struct bw_win_ops *ops) {
        memset(f, 0, sizeof(*f));
        f->next_rid = 2000;
        f->rnd = 42;
        f->logon_sid = (struct bw_win_sid){1, 3, {0, 0, 0, 0, 0, 5}, {5, 0, 123456}};
        *ops = (struct bw_win_ops){
                .ctx = f,
                .open_object = f_open,
                .final_path = f_final_path,
                .close_handle = f_close,
                .get_sd = f_get_sd,
                .set_dacl = f_set_dacl,
                .list_dir = f_list,
                .user_add = f_user_add,
                .user_del = f_user_del,
                .group_add = f_group_add,
                .group_del = f_group_del,
                .group_add_member = f_member,
                .group_has_member = f_has_member,
                .group_del_member = f_del_member,
                .account_sid = f_account_sid,
                .fw_add = f_fw_add,
                .fw_remove = f_fw_remove,
                .fw_get = f_fw_get,
                .protect = f_protect,
                .unprotect = f_unprotect,
                .random = f_random,
                .own_token = f_own_token,
                .token_logon_sid = f_logon_sid,
                .create_process_as_user = f_cpau,
                .create_process_with_logon = f_cpwl,
                .job_assign = f_assign,
                .resume_thread = f_resume,
                .wait_process = f_wait,
                .terminate_process = f_terminate,
        };
}

void fake_done(struct fake *f) {
        fake_log_clear(f);
        for (size_t i = 0; i < f->n_objects; i++)
                free(f->objects[i].sd);
}
