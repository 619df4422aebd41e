/* SPDX-License-Identifier: MIT */
/* The recording fake of backend.h: see fake_backend.h. */
#include "fake_backend.h"

#include "journal.h"
#include "path_template.h"
#include "posix_acl.h"
#include "testutil.h"
#include "tree_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct fake_backend *cur; /* the operations have no context pointer: one fake at a time */

BW_PRINTF(1, 2) static void note(const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        assert_true(vasprintf(&s, fmt, ap) >= 0);
        va_end(ap);
        cur->log = realloc(cur->log, (cur->n_log + 1) * sizeof(*cur->log));
        assert_non_null(cur->log);
        cur->log[cur->n_log++] = s;
}

static struct fake_account *find_account(const char *name, bool group) {
        for (size_t i = 0; i < cur->st.n_acc; i++)
                if (cur->st.acc[i].group == group && strcmp(cur->st.acc[i].name, name) == 0)
                        return &cur->st.acc[i];
        return NULL;
}

static int add_account(const char *name, bool group, uint32_t id) {
        if (find_account(name, group))
                return -EEXIST;
        assert_true(cur->st.n_acc < FAKE_MAX_ACCOUNTS);
        struct fake_account *a = &cur->st.acc[cur->st.n_acc++];
        snprintf(a->name, sizeof(a->name), "%s", name);
        a->group = group;
        a->id = id ? id : cur->st.next_id++;
        return 0;
}

static bool f_privileged(void) {
        return true;
}

static int f_account_name(uint32_t role, const char *user, char out[33]) {
        const char *prefix = role == BW_ROLE_OFFLINE ? "bw-off-" : role == BW_ROLE_ONLINE ? "bw-on-" : NULL;
        if (!prefix)
                return -EINVAL;
        snprintf(out, 33, "%s%s", prefix, user);
        return 0;
}

static void f_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                              struct bw_account_state st[32]) {
        (void) real_user;
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                st[i] = (struct bw_account_state){.id = -1, .members_ok = true};
                if (!names[i] || !names[i][0])
                        continue;
                const struct fake_account *a =
                        find_account(names[i], p->principals[i].kind == BW_PRINCIPAL_SYSTEM_GROUP);
                if (a) {
                        st[i].exists = true;
                        st[i].id = a->id;
                }
        }
}

static int f_group_id(const char *name, uint32_t *ret_id) {
        const struct fake_account *a = find_account(name, true);
        if (a)
                *ret_id = a->id;
        return a != NULL;
}

static int f_user_id(const char *name, uint32_t *ret_id) {
        const struct fake_account *a = find_account(name, false);
        if (a)
                *ret_id = a->id;
        return a != NULL;
}

static int f_user_lookup(const char *name, uint32_t id, struct bw_user_info *ret) {
        for (size_t i = 0; i < cur->st.n_acc; i++) {
                const struct fake_account *a = &cur->st.acc[i];
                if (a->group || (name ? strcmp(a->name, name) != 0 : id != BW_USER_CALLER && a->id != id))
                        continue;
                ret->id = a->id;
                snprintf(ret->name, sizeof(ret->name), "%s", a->name);
                snprintf(ret->home, sizeof(ret->home), "/home/%s", a->name);
                return 0;
        }
        return -ENOENT;
}

static int f_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                            char *err, size_t err_size) {
        (void) real_user;
        bool group = p->principals[index].kind == BW_PRINCIPAL_SYSTEM_GROUP;
        note("W create %s %s", group ? "group" : "user", names[index]);
        int e = add_account(names[index], group, 0);
        if (e < 0)
                snprintf(err, err_size, "%s exists", names[index]);
        return e;
}

static int f_group_create(const char *name, char *err, size_t err_size) {
        note("W create group %s", name);
        int e = add_account(name, true, 0);
        if (e < 0)
                snprintf(err, err_size, "%s exists", name);
        return e;
}

static void f_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                             size_t size) {
        (void) p, (void) names, (void) index;
        snprintf(out, size, "%s", "");
}

static int f_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                         size_t err_size) {
        (void) p, (void) err, (void) err_size;
        note("W members %s", names[index]);
        return 0;
}

static int f_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        note("W remove %s %s", is_group ? "group" : "user", name);
        struct fake_account *a = find_account(name, is_group);
        if (!a) {
                snprintf(err, err_size, "no %s", name);
                return -ENOENT;
        }
        *a = cur->st.acc[--cur->st.n_acc];
        return 0;
}

static int f_leave_group(const char *user, const char *group, char *err, size_t err_size) {
        (void) err, (void) err_size;
        note("W leave %s %s", user, group);
        return 0;
}

static bool same_ids(const uint32_t *ids, size_t n) {
        if (n != cur->st.n_fw_ids)
                return false;
        for (size_t i = 0; i < n; i++) {
                bool found = false;
                for (size_t k = 0; k < n && !found; k++)
                        found = cur->st.fw_ids[k] == ids[i];
                if (!found)
                        return false;
        }
        return true;
}

static enum bw_fw_state f_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) err, (void) err_size;
        return !cur->st.fw_present ? BW_FW_ABSENT : same_ids(ids, n) ? BW_FW_CURRENT : BW_FW_DIFFERENT;
}

static int f_fw_save(char *buf, size_t size) {
        int o = snprintf(buf, size, "ids");
        for (size_t i = 0; i < cur->st.n_fw_ids && o > 0 && (size_t) o < size; i++)
                o += snprintf(buf + o, size - (size_t) o, " %u", cur->st.fw_ids[i]);
        return 0;
}

static int f_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) err, (void) err_size;
        note("W fw apply %zu", n);
        assert_true(n <= BW_ARRAY_SIZE(cur->st.fw_ids));
        cur->st.fw_present = true;
        memcpy(cur->st.fw_ids, ids, n * sizeof(*ids));
        cur->st.n_fw_ids = n;
        return 0;
}

static int f_fw_restore(const char *text, char *err, size_t err_size) {
        (void) err, (void) err_size;
        note("W fw restore %s", text);
        cur->st.fw_present = true;
        cur->st.n_fw_ids = 0;
        for (const char *p = strchr(text, ' '); p; p = strchr(p + 1, ' '))
                cur->st.fw_ids[cur->st.n_fw_ids++] = (uint32_t) strtoul(p + 1, NULL, 10);
        return 0;
}

static int f_fw_remove(char *err, size_t err_size) {
        (void) err, (void) err_size;
        note("W fw remove");
        cur->st.fw_present = false;
        cur->st.n_fw_ids = 0;
        return 0;
}

/* ---- objects ---- */

static int obj_cmp(const void *x, const void *y) {
        return strcmp(((const struct fake_object *) x)->path, ((const struct fake_object *) y)->path);
}

struct fake_object *fake_object(struct fake_backend *f, const char *path) {
        for (size_t i = 0; i < f->st.n_obj; i++)
                if (strcmp(f->st.obj[i].path, path) == 0)
                        return &f->st.obj[i];
        return NULL;
}

static void base_acl(const struct fake_object *o, bool dflt, struct bw_acl *ret) {
        const uint8_t *b = dflt ? o->dflt : o->access;
        size_t len = dflt ? o->dflt_len : o->access_len;
        if (len)
                assert_int_equal(bw_acl_decode(b, len, ret), 0);
        else if (dflt)
                ret->n = 0;
        else
                bw_acl_from_mode(o->mode, ret);
}

/* Converge one ACL of an object: the fake's model of the walk (the real one also handles X,
 * inheritance and protection; here: managed entries replaced by the wanted ones). */
static int converge_one(const struct bw_tree_policy *tp, const struct bw_tree_options *opt, const char *root,
                        struct fake_object *o, bool dflt, const struct bw_acl_want *want, unsigned n_want,
                        bool *ret_changed, bool *ret_had_managed) {
        struct bw_acl base, wanted;
        base_acl(o, dflt, &base);
        bool had = false;
        for (unsigned i = 0; i < base.n; i++)
                for (unsigned k = 0; k < tp->n_managed_groups; k++)
                        had |= base.e[i].tag == BW_ACL_GROUP && base.e[i].id == tp->managed_groups[k];
        *ret_had_managed |= had;
        if (dflt && base.n == 0 && n_want == 0)
                return 0;
        if (dflt && base.n == 0) {
                /* a default ACL starts from the directory's own entries */
                bw_acl_from_mode(o->mode, &base);
        }
        assert_int_equal(bw_acl_compute(&base, want, n_want, tp->managed_users, tp->n_managed_users, tp->managed_groups,
                                        tp->n_managed_groups, &wanted),
                         0);
        uint8_t after[FAKE_ACL_MAX], now[FAKE_ACL_MAX];
        size_t after_len = bw_acl_encode(&wanted, after, sizeof(after));
        if (dflt && bw_acl_is_minimal(&wanted))
                after_len = 0; /* nothing of bulwark's left: no default ACL */
        const uint8_t *before = dflt ? o->dflt : o->access;
        size_t before_len = dflt ? o->dflt_len : o->access_len;
        /* what the object has now, as bytes: an absent access ACL is the mode's */
        size_t now_len = before_len;
        memcpy(now, before, before_len);
        if (!dflt && !before_len) {
                struct bw_acl m;
                bw_acl_from_mode(o->mode, &m);
                now_len = bw_acl_encode(&m, now, sizeof(now));
        }
        if (now_len == after_len && memcmp(now, after, after_len) == 0)
                return 0;
        const char *rel = o->path + strlen(root);
        if (*rel == '/')
                rel++;
        struct bw_acl_change c = {.root = root,
                                  .rel = rel,
                                  .attr = dflt ? "default" : "access",
                                  .is_default = dflt,
                                  .ino = o->ino,
                                  .mode = o->mode,
                                  .before = before_len ? before : NULL,
                                  .before_len = before_len,
                                  .after = after_len ? after : NULL,
                                  .after_len = after_len};
        *ret_changed = true;
        if (opt->dry_run)
                return opt->on_batch ? opt->on_batch(opt->userdata, &c, 1) : 0;
        int e = opt->on_batch ? opt->on_batch(opt->userdata, &c, 1) : 0;
        if (e < 0)
                return e;
        note("W acl %s %s", o->path, dflt ? "default" : "access");
        if (dflt) {
                memcpy(o->dflt, after, after_len);
                o->dflt_len = after_len;
        } else {
                memcpy(o->access, after, after_len);
                o->access_len = after_len;
        }
        return 0;
}

static int f_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                           struct bw_tree_stats *st) {
        if (!fake_object(cur, root))
                return -ENOENT;
        pcre2_match_data *md = pcre2_match_data_create(1, NULL);
        assert_non_null(md);
        qsort(cur->st.obj, cur->st.n_obj, sizeof(cur->st.obj[0]), obj_cmp);
        int ret = 0;
        for (size_t i = 0; i < cur->st.n_obj && ret == 0; i++) {
                struct fake_object *ob = &cur->st.obj[i];
                if (!bw_path_is_within(ob->path, root))
                        continue;
                st->objects++;
                struct bw_decision d = bw_tree_policy_seed(tp, md, ob->path);
                uint32_t rule = UINT32_MAX;
                uint32_t kind = bw_decision_effective(&d, &rule);
                const struct bw_kind_acl *k = &tp->kinds[kind];
                struct bw_acl_want want[4], dwant[4];
                unsigned n = kind ? k->n_access : 0, nd = kind && ob->dir ? k->n_dflt : 0;
                for (unsigned x = 0; x < n; x++) {
                        want[x] = k->access[x];
                        if (k->access_per_root[x] && tp->root_group && rule < tp->n_root_group)
                                want[x].id = tp->root_group[rule];
                }
                for (unsigned x = 0; x < nd; x++) {
                        dwant[x] = k->dflt[x];
                        if (k->dflt_per_root[x] && tp->root_group && rule < tp->n_root_group)
                                dwant[x].id = tp->root_group[rule];
                }
                bool changed = false, had = false;
                ret = converge_one(tp, o, root, ob, false, want, n, &changed, &had);
                if (ret == 0 && ob->dir)
                        ret = converge_one(tp, o, root, ob, true, dwant, nd, &changed, &had);
                if (!changed) {
                        st->unchanged++;
                        continue;
                }
                st->changed++;
                if (o->regions) {
                        struct bw_acl_region *g = calloc(1, sizeof(*g));
                        assert_non_null(g);
                        g->path = strdup(ob->path);
                        g->op = kind == 0 ? '-' : had ? '~' : '+';
                        g->kind = kind;
                        g->rule = kind ? rule : UINT32_MAX;
                        g->next = *o->regions;
                        *o->regions = g;
                }
        }
        if (o->progress)
                o->progress(o->progress_ctx, st->objects, st->changed);
        pcre2_match_data_free(md);
        return ret;
}

static int f_acl_restore(const struct bw_journal_acl *a) {
        char path[600];
        snprintf(path, sizeof(path), "%.*s%s%.*s", (int) a->root_len, a->root, a->rel_len ? "/" : "", (int) a->rel_len,
                 a->rel);
        struct fake_object *o = fake_object(cur, path);
        if (!o || o->ino != a->ino)
                return 0;
        note("W restore %s %s", path, a->is_default ? "default" : "access");
        uint8_t *b = a->is_default ? o->dflt : o->access;
        size_t *len = a->is_default ? &o->dflt_len : &o->access_len;
        *len = a->had_before ? a->before_len : 0;
        if (a->had_before)
                memcpy(b, a->before, a->before_len);
        return 1;
}

static int f_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                            unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced) {
        (void) as_uid;
        *ret_replaced = false;
        struct fake_object *o = fake_object(cur, path);
        if (!o || (o->mode & 01))
                return 0;
        struct bw_acl base, wanted;
        base_acl(o, false, &base);
        for (unsigned i = 0; i < base.n; i++)
                if (base.e[i].tag == BW_ACL_GROUP && base.e[i].id == gid)
                        return 0;
        struct bw_acl_want want = {BW_ACL_GROUP, gid, BW_PERM_X};
        assert_int_equal(bw_acl_compute(&base, &want, 1, NULL, 0, replace, n_replace, &wanted), 0);
        uint8_t after[FAKE_ACL_MAX];
        size_t after_len = bw_acl_encode(&wanted, after, sizeof(after));
        if (dry_run)
                return 1;
        struct bw_acl_change c = {.root = path,
                                  .rel = "",
                                  .attr = "access",
                                  .ino = o->ino,
                                  .mode = o->mode,
                                  .before = o->access_len ? o->access : NULL,
                                  .before_len = o->access_len,
                                  .after = after,
                                  .after_len = after_len};
        int e = journal(ctx, &c, 1);
        if (e < 0)
                return e;
        note("W traverse %s", path);
        memcpy(o->access, after, after_len);
        o->access_len = after_len;
        return 1;
}

static bool f_shared_sticky(const char *path) {
        const struct fake_object *o = fake_object(cur, path);
        return o && o->dir && (o->mode & 01002) == 01002;
}

static int f_acl_supported(const char *dir) {
        (void) dir;
        return 0;
}

static int f_runner_locate(const char *override, char *out, size_t size) {
        snprintf(out, size, "%s", override ? override : "/usr/bin/bulwark-runner");
        return 0;
}

static int f_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size) {
        (void) err, (void) err_size;
        *ret = (struct bw_runner_info){.current = cur->st.runner_current, .elevated = false};
        snprintf(ret->detail, sizeof(ret->detail), "no capabilities -> cap_setgid,cap_setuid=ep");
        ret->record_len =
                (uint32_t) snprintf((char *) ret->record, sizeof(ret->record), "%s|%d", path, cur->st.runner_current);
        return 0;
}

static int f_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err, size_t err_size) {
        (void) record, (void) record_len, (void) err, (void) err_size;
        if (cur->st.runner_current)
                return 0;
        note("W runner %s", path);
        cur->st.runner_current = true;
        return 1;
}

static int f_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                            size_t err_size) {
        (void) err, (void) err_size;
        const char *bar = memchr(record, '|', record_len);
        if (!bar)
                return -EBADMSG;
        snprintf(path_out, path_size, "%.*s", (int) (bar - (const char *) record), (const char *) record);
        note("W runner restore %s", path_out);
        cur->st.runner_current = bar[1] == '1';
        return 1;
}

static int f_host_probe(const char *runner_override, char *const *dirs, size_t n_dirs, struct bw_host_report *ret) {
        (void) runner_override, (void) dirs, (void) n_dirs;
        *ret = (struct bw_host_report){.json = json_object()};
        return 0;
}

static int f_audit_write(const char *dir, const char *line, const char *summary) {
        (void) dir, (void) summary;
        cur->audit = realloc(cur->audit, (cur->n_audit + 1) * sizeof(*cur->audit));
        assert_non_null(cur->audit);
        cur->audit[cur->n_audit++] = strdup(line);
        return 0;
}

static int f_state_open(const char *dir, bool create, char *err, size_t err_size) {
        if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(err, err_size, "cannot open the state directory %s", dir);
                return -errno;
        }
        if (create && mkdirat(fd, "installs", 0755) < 0 && errno != EEXIST) {
                close(fd);
                return -errno;
        }
        return fd;
}

static int f_state_lock(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx) {
        (void) timeout_s, (void) waiting, (void) ctx;
        return dup(state_fd);
}

static void f_state_unlock(int lock) {
        if (lock >= 0)
                close(lock);
}

static const struct bw_backend fake_ops = {
        .name = "fake",
        .write_groups = true,
        .per_object_acls = true,
        .privileged = f_privileged,
        .account_name = f_account_name,
        .accounts_lookup = f_accounts_lookup,
        .group_id = f_group_id,
        .user_id = f_user_id,
        .user_lookup = f_user_lookup,
        .account_create = f_account_create,
        .group_create = f_group_create,
        .account_missing_groups = f_missing_groups,
        .account_fix_members = f_fix_members,
        .account_remove = f_account_remove,
        .account_leave_group = f_leave_group,
        .fw_inspect = f_fw_inspect,
        .fw_save = f_fw_save,
        .fw_apply = f_fw_apply,
        .fw_restore = f_fw_restore,
        .fw_remove = f_fw_remove,
        .tree_converge = f_tree_converge,
        .acl_restore = f_acl_restore,
        .traverse_grant = f_traverse_grant,
        .shared_sticky = f_shared_sticky,
        .acl_supported = f_acl_supported,
        .runner_locate = f_runner_locate,
        .runner_inspect = f_runner_inspect,
        .runner_converge = f_runner_converge,
        .runner_restore = f_runner_restore,
        .host_probe = f_host_probe,
        .audit_write = f_audit_write,
        .state_open = f_state_open,
        .state_lock = f_state_lock,
        .state_unlock = f_state_unlock,
};

struct fake_backend *fake_backend_new(void) {
        struct fake_backend *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->ops = fake_ops;
        f->st.next_id = 5000;
        f->next_ino = 100;
        cur = f;
        fake_add_dir(f, "/", 0755);
        return f;
}

void fake_log_clear(struct fake_backend *f) {
        for (size_t i = 0; i < f->n_log; i++)
                free(f->log[i]);
        free(f->log);
        f->log = NULL;
        f->n_log = 0;
}

void fake_backend_free(struct fake_backend *f) {
        fake_log_clear(f);
        for (size_t i = 0; i < f->n_audit; i++)
                free(f->audit[i]);
        free(f->audit);
        if (cur == f)
                cur = NULL;
        free(f);
}

void fake_add_user(struct fake_backend *f, const char *name, uint32_t id) {
        cur = f;
        assert_int_equal(add_account(name, false, id), 0);
        assert_int_equal(add_account(name, true, id), 0);
}

static void add_object(struct fake_backend *f, const char *path, uint32_t mode, bool dir) {
        assert_true(f->st.n_obj < FAKE_MAX_OBJECTS);
        struct fake_object *o = &f->st.obj[f->st.n_obj++];
        *o = (struct fake_object){.dir = dir, .ino = f->next_ino++, .mode = mode | (dir ? S_IFDIR : S_IFREG)};
        snprintf(o->path, sizeof(o->path), "%s", path);
}

void fake_add_dir(struct fake_backend *f, const char *path, uint32_t mode) {
        add_object(f, path, mode, true);
}

void fake_add_file(struct fake_backend *f, const char *path, uint32_t mode) {
        add_object(f, path, mode, false);
}

bool fake_has_account(const struct fake_backend *f, const char *name) {
        for (size_t i = 0; i < f->st.n_acc; i++)
                if (strcmp(f->st.acc[i].name, name) == 0)
                        return true;
        return false;
}

uint32_t fake_id(const struct fake_backend *f, const char *name) {
        for (size_t i = 0; i < f->st.n_acc; i++)
                if (strcmp(f->st.acc[i].name, name) == 0)
                        return f->st.acc[i].id;
        fail_msg("no account %s", name);
        return 0;
}

bool fake_acl_names(const struct fake_object *o, bool dflt, uint16_t tag, uint32_t id) {
        struct bw_acl a;
        size_t len = dflt ? o->dflt_len : o->access_len;
        if (!len || bw_acl_decode(dflt ? o->dflt : o->access, len, &a) < 0)
                return false;
        for (unsigned i = 0; i < a.n; i++)
                if (a.e[i].tag == tag && a.e[i].id == id)
                        return true;
        return false;
}

size_t fake_log_count(const struct fake_backend *f, const char *prefix) {
        size_t n = 0;
        for (size_t i = 0; i < f->n_log; i++)
                n += strncmp(f->log[i], prefix, strlen(prefix)) == 0;
        return n;
}
