/* SPDX-License-Identifier: MIT */
#include "engine.h"
#include "accounts.h"
#include "acl_tree.h"
#include "firewall.h"
#include "install_bindings.h"
#include "journal.h"
#include "minisign.h"
#include "path_template.h"
#include "posix_acl.h"
#include "runner_file.h"
#include "signature.h"
#include "sha256.h"
#include "strbuf.h"
#include "xattrat.h"

#include <dirent.h>
#include <grp.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <sched.h>
#include <sys/wait.h>

#define XATTR_ACCESS "system.posix_acl_access"
#define XATTR_DEFAULT "system.posix_acl_default"

/* ---- reporting ---- */

struct change_line {
        char op;        /* '+', '~', '-', '?'; '!' a moved protected object (not a change) */
        bool from_walk; /* an ACL region: its objects are in the state digest one by one */
        char *kind;
        char *what;
        char *detail;
        char *source;
        uint64_t below;
};

struct run {
        const struct bw_engine_options *o;
        struct bw_plan *plan;
        char *values[BW_VAR_COUNT];
        struct bw_bindings b;
        uid_t real_uid;
        char install_id[17];
        int state_fd, install_fd;
        struct bw_account_state acc[32];
        int64_t ids[32];
        /* The account each principal of the plan is bound to for this installation's user (the
         * plan names roles: bind_principals). */
        char names[32][BW_BINDINGS_ACCOUNT_MAX];
        const char *name_of[32];
        /* The write group role, bound per writable root: one group per root path, so that a run
         * carries the groups of its own plan's roots and no other's. */
        struct write_group {
                char *path;
                uint32_t rule;
                char name[16]; /* bw-w- and 8 hex digits of the SHA-256 of the path */
                int64_t gid;
        } * wg;
        size_t n_wg;
        struct bw_tree_policy tp;
        bool dry_run;
        /* collected changes */
        struct change_line *lines;
        size_t n_lines, cap_lines;
        char **restored; /* "A|path" or "D|path" of every ACL a revert put back */
        size_t n_restored;
        uint64_t reverted_min_seq; /* the oldest installation this revert undid (0: none) */
        struct bw_journal journal;
        unsigned adds, changes, removes, unknown;
        unsigned kept; /* '!' lines: objects that keep protection their names no longer call for */
        uint64_t acl_errors;
        struct bw_signer signer;
        bool adding_regions;
        uint8_t state_sum[32]; /* sum (mod 2^256) of a SHA-256 per changed ACL: the state digest's part
                                * that threads fill in any order */
        pthread_mutex_t state_sum_lock;
};

BW_PRINTF(3, 4)
static int fail(struct run *r, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("bulwark: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        (void) r;
        return code;
}

static void add_line(struct run *r, char op, const char *kind, const char *what, const char *detail, const char *source,
                     uint64_t below) {
        if (r->n_lines == r->cap_lines) {
                r->cap_lines = r->cap_lines ? r->cap_lines * 2 : 32;
                r->lines = realloc(r->lines, r->cap_lines * sizeof(*r->lines));
                if (!r->lines)
                        abort();
        }
        r->lines[r->n_lines++] = (struct change_line){op,
                                                      r->adding_regions,
                                                      strdup(kind),
                                                      strdup(what),
                                                      strdup(detail ? detail : ""),
                                                      source ? strdup(source) : NULL,
                                                      below};
        if (op == '+')
                r->adds++;
        else if (op == '~')
                r->changes++;
        else if (op == '-')
                r->removes++;
        else if (op == '!')
                r->kept++;
        else
                r->unknown++;
}

static void source_of_rule(const struct bw_plan *p, uint32_t rule, char *buf, size_t n) {
        buf[0] = 0;
        const struct bw_plan_prov *v = rule < p->n_rules ? bw_plan_provenance(p, BW_SECT_RULE, rule) : NULL;
        if (!v)
                return;
        const char *file = bw_plan_pstring(p, p->sources[v->source].name);
        if (v->line)
                snprintf(buf, n, "%s:%u:%u", file, v->line, v->column);
        else
                snprintf(buf, n, "%s", file);
}

/* ---- binding ---- */

/* The group of a writable root: bw-w- and 8 hex digits of the SHA-256 of its bound path. */
static void write_group_name(const char *path, char out[16]) {
        uint8_t d[32];
        char hex[9];
        bw_sha256(path, strlen(path), d);
        bw_hex(d, 4, hex);
        snprintf(out, 16, "bw-w-%s", hex);
}

/* The plan names principal roles; the installation chooses the accounts: its real user's own
 * offline and online sandbox users (runs of one user never share a uid with another user's), a
 * read group of the installation (bw-r-ID: read grants and traverse entries), and a write group
 * per writable root. A run carries exactly its installation's groups, so a grant made for
 * another installation, or left by an older plan, gives it nothing. */
static bool shared_sticky(const char *path);

static int bind_principals(struct run *r) {
        const struct bw_plan *p = r->plan;
        const char *user = r->values[BW_VAR_USER];
        for (uint32_t i = 0; i < 32; i++) {
                r->names[i][0] = 0;
                r->name_of[i] = r->names[i];
        }
        r->wg = calloc(p->n_rules + 1, sizeof(*r->wg));
        if (!r->wg)
                return fail(r, 1, "out of memory");
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *rule = &p->rules[i];
                char *bound = NULL;
                if (rule->kind != BW_RULE_WRITABLE || rule->match != BW_MATCH_PATH ||
                    bw_template_bind(bw_plan_string(p, rule->text), BW_TEMPLATE_PATH, &r->b, &bound, NULL) < 0)
                        continue;
                if (shared_sticky(bound)) {
                        free(bound); /* left alone (converge_acls): no ACL will name a group of it */
                        continue;
                }
                struct write_group *g = &r->wg[r->n_wg++];
                g->path = bound;
                g->rule = i;
                g->gid = -1;
                write_group_name(bound, g->name);
        }
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                if (pr->kind == BW_PRINCIPAL_REAL_USER)
                        snprintf(r->names[i], sizeof(r->names[i]), "%s", user);
                else if (pr->kind == BW_PRINCIPAL_SYSTEM_USER) {
                        if (bw_account_name(pr->role, user, r->names[i]) < 0)
                                return fail(r, 1, "the plan's principal %s has no sandbox role bulwark knows",
                                            bw_plan_string(p, pr->name));
                } else if (pr->role == BW_ROLE_SANDBOX_GROUP)
                        snprintf(r->names[i], sizeof(r->names[i]), "bw-r-%s", r->install_id);
                /* the write group role: per root (r->wg) */
        }
        return 0;
}

/* The account bound to the first principal with a role ("" if none). */
static const char *role_account(const struct run *r, uint32_t role) {
        for (uint32_t i = 0; i < r->plan->n_principals && i < 32; i++)
                if (r->plan->principals[i].role == role)
                        return r->names[i];
        return "";
}

static int bind_variables(struct run *r) {
        const struct bw_plan *p = r->plan;
        const struct bw_engine_options *o = r->o;
        /* the real user: --user, SUDO_USER, SUDO_UID, the caller */
        const char *user = o->user ? o->user : getenv("SUDO_USER");
        const char *sudo_uid = getenv("SUDO_UID");
        struct passwd *pw = NULL;
        if (user)
                pw = getpwnam(user);
        else if (sudo_uid)
                pw = getpwuid((uid_t) strtoul(sudo_uid, NULL, 10));
        else
                pw = getpwuid(getuid());
        if (!pw && !user)
                return fail(r, 1,
                            "the real user, uid %s, has no passwd entry: bulwark binds sandbox accounts to a named "
                            "user; give an existing account with --user NAME",
                            sudo_uid ? sudo_uid : "(the caller's)");
        if (!pw)
                return fail(r, 1, "cannot find the real user %s: give an existing account with --user NAME", user);
        r->real_uid = pw->pw_uid;
        char cwd[PATH_MAX];
        const char *ws = o->workspace;
        if (!ws) {
                if (!getcwd(cwd, sizeof(cwd)))
                        return fail(r, 1, "cannot determine the current directory: give --workspace DIR");
                ws = cwd;
        }
        char *abs = NULL;
        if (ws[0] != '/') {
                if (!getcwd(cwd, sizeof(cwd)) || asprintf(&abs, "%s/%s", cwd, ws) < 0)
                        return fail(r, 1, "cannot make --workspace %s absolute", ws);
        } else
                abs = strdup(ws);
        /* normalise lexically (no symlinks are followed here; the walk opens it safely) */
        struct bw_strbuf esc = {0};
        for (const char *c = abs; *c; c++) {
                if (*c == '$')
                        bw_sb_putc(&esc, '$');
                bw_sb_putc(&esc, *c);
        }
        free(abs);
        char *canon = NULL, *plain = NULL;
        struct bw_template_error terr;
        if (bw_template_from_policy(esc.data, esc.len, BW_TEMPLATE_PATH, NULL, &canon, &terr) < 0 ||
            bw_template_bind(canon, BW_TEMPLATE_PATH, NULL, &plain, NULL) < 0) {
                bw_sb_done(&esc);
                free(canon);
                return fail(r, 1, "--workspace %s: %s", ws, terr.message);
        }
        bw_sb_done(&esc);
        free(canon);
        const char *want[BW_VAR_COUNT] = {
                [BW_VAR_HOME] = pw->pw_dir,
                [BW_VAR_TMPDIR] = "/tmp",
                [BW_VAR_USER] = pw->pw_name,
                [BW_VAR_WORKSPACE] = plain,
        };
        for (int i = 0; i < BW_VAR_COUNT; i++) {
                const struct bw_plan_var *v = &p->vars[i];
                const char *value = want[i];
                if (v->flags & BW_VAR_BOUND) {
                        value = bw_plan_string(p, v->value);
                        if (i == BW_VAR_WORKSPACE && o->workspace && !bw_streq(value, plain)) {
                                free(plain);
                                return fail(r, 1,
                                            "this plan is bound to workspace %s, not %s: recompile it without -D "
                                            "workspace, or use that workspace",
                                            value, o->workspace);
                        }
                }
                if (bw_var_value_check((enum bw_var_id) i, value) < 0) {
                        /* value may be plain itself: report before freeing it */
                        fail(r, 1, "${%s} would be \"%s\", which is not a valid value for it",
                             bw_var_name((enum bw_var_id) i), value);
                        free(plain);
                        return 1;
                }
                r->values[i] = strdup(value);
                r->b.value[i] = r->values[i];
        }
        free(plain);
        /* the installation is named after the workspace */
        uint8_t d[32];
        bw_sha256(r->values[BW_VAR_WORKSPACE], strlen(r->values[BW_VAR_WORKSPACE]), d);
        bw_hex(d, 8, r->install_id);
        return bind_principals(r);
}

/* ---- state ---- */

static int open_state(struct run *r, bool create) {
        const char *dir = r->o->state_dir;
        if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
                return fail(r, 1, "cannot create the state directory %s: %s", dir, strerror(errno));
        r->state_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (r->state_fd < 0) {
                if (errno == ENOENT && !create)
                        return -ENOENT;
                return fail(r, 1, "cannot open the state directory %s: %s", dir, strerror(errno));
        }
        struct stat st;
        if (fstat(r->state_fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022))
                return fail(r, 1, "%s must be a directory owned by root and writable only by root", dir);
        if (create) {
                if (mkdirat(r->state_fd, "installs", 0755) < 0 && errno != EEXIST)
                        return fail(r, 1, "cannot create %s/installs: %s", dir, strerror(errno));
        }
        return 0;
}

/* One enforcer at a time: a second waits up to lock_timeout seconds. Returns the lock's fd, or a
 * negative errno (-ETIMEDOUT: another enforcer kept it): the command reports it (acquire_lock). */
static int lock_state(struct run *r) {
        int fd = openat(r->state_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (fd < 0)
                return -errno;
        struct stat st;
        int e = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EBADFD;
        if (e < 0) {
                close(fd);
                return e;
        }
        for (unsigned waited = 0;; waited++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return fd;
                if (errno != EWOULDBLOCK) {
                        e = -errno;
                        close(fd);
                        return e;
                }
                if (waited == 0)
                        fprintf(stderr, "bulwark: another bulwark is changing this machine; waiting up to %u s\n",
                                r->o->lock_timeout);
                if (waited >= r->o->lock_timeout * 10) {
                        close(fd);
                        return -ETIMEDOUT;
                }
                struct timespec ts = {0, 100000000L}; /* 0.1 s */
                nanosleep(&ts, NULL);
        }
}

/* Take the state lock for a command, or say why not (nothing has been changed yet). Returns the
 * lock's fd or a negative errno. */
static int acquire_lock(struct run *r) {
        int fd = lock_state(r);
        if (fd >= 0)
                return fd;
        const char *dir = r->o->state_dir;
        if (fd == -ETIMEDOUT)
                fail(r, fd,
                     "gave up after %u s: another bulwark still holds %s/lock (is an apply running?); nothing was "
                     "changed: run it again when that one has finished, or wait longer with --lock-timeout S",
                     r->o->lock_timeout, dir);
        else if (fd == -EBADFD)
                fail(r, fd,
                     "%s/lock is not a regular file, so no other bulwark can be kept out; nothing was changed: "
                     "remove it (rm -r %s/lock) and run the command again",
                     dir, dir);
        else
                fail(r, fd,
                     "cannot take the lock %s/lock: %s; nothing was changed: make %s a root-owned directory on a "
                     "writable file system (or give --state-dir DIR) and run the command again",
                     dir, strerror(-fd), dir);
        return fd;
}

/* ---- accounts and firewall ---- */

static void lookup_ids(struct run *r) {
        bw_accounts_lookup(r->plan, r->name_of, r->values[BW_VAR_USER], r->acc);
        for (uint32_t i = 0; i < 32; i++)
                r->ids[i] = i < r->plan->n_principals ? r->acc[i].id : -1;
        for (size_t i = 0; i < r->n_wg; i++) {
                struct group *g = getgrnam(r->wg[i].name);
                r->wg[i].gid = g ? (int64_t) g->gr_gid : -1;
        }
}

/* Did bulwark create this group (the shared journal says so)? */
static bool created_by_bulwark(const struct run *r, const char *name) {
        int sfd = r->state_fd >= 0 ? dup(r->state_fd) : open(r->o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        bool found = false;
        int e = sfd < 0 ? -errno : bw_journal_read(sfd, "shared.journal", &data, &recs, &n, &bad);
        if (e == -EACCES && r->dry_run)
                found = true; /* status or plan without root: only apply, as root, can tell */
        if (e == 0)
                for (size_t i = 0; i < n && !found; i++) {
                        struct bw_journal_account a;
                        found = recs[i].type == BW_JOURNAL_ACCOUNT &&
                                bw_journal_account_decode(recs[i].payload, recs[i].len, &a) == 0 && !a.existed &&
                                a.name_len == strlen(name) && memcmp(a.name, name, a.name_len) == 0;
                }
        free(recs);
        free(data);
        if (sfd >= 0)
                close(sfd);
        return found;
}

/* The rules with principal ids, and the groups of the writable roots; entries of the shared
 * accounts of earlier versions are bulwark's too, so converging replaces them (journaled like
 * every change: revert puts them back). */
static int init_tree_policy(struct run *r, char *err, size_t err_size) {
        bw_tree_policy_done(&r->tp);
        int e = bw_tree_policy_init(&r->tp, r->plan, &r->b, r->ids, err, err_size);
        if (e < 0)
                return e;
        int64_t *gids = calloc(r->plan->n_rules + 1, sizeof(*gids));
        if (!gids)
                return -ENOMEM;
        for (uint32_t i = 0; i < r->plan->n_rules; i++)
                gids[i] = -1;
        for (size_t i = 0; i < r->n_wg; i++)
                gids[r->wg[i].rule] = r->wg[i].gid;
        e = bw_tree_policy_set_root_groups(&r->tp, gids, r->plan->n_rules);
        free(gids);
        static const char *const legacy_users[] = {"bulwark-offline", "bulwark-online"};
        static const char *const legacy_groups[] = {"bulwark-sandbox", "bulwark-write"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(legacy_users); i++) {
                struct passwd *pw = getpwnam(legacy_users[i]);
                if (pw)
                        bw_tree_policy_add_managed(&r->tp, false, pw->pw_uid);
                struct group *g = getgrnam(legacy_groups[i]);
                if (g)
                        bw_tree_policy_add_managed(&r->tp, true, g->gr_gid);
        }
        return e;
}

static int shared_record(struct run *r, uint32_t type, const uint8_t *payload, uint32_t len) {
        struct bw_journal j;
        int e = bw_journal_open(&j, r->state_fd, "shared.journal");
        if (e < 0)
                return e;
        struct bw_journal_record rec = {type, payload, len};
        e = bw_journal_append(&j, &rec, 1);
        bw_journal_close(&j);
        return e;
}

static int account_record(struct run *r, const struct bw_journal_account *a) {
        uint32_t len = 0;
        int e = 0;
        _cleanup_free_ uint8_t *payload = bw_journal_account_encode(a, &len, &e);
        return payload ? shared_record(r, BW_JOURNAL_ACCOUNT, payload, len) : e;
}

static int converge_accounts(struct run *r) {
        const struct bw_plan *p = r->plan;
        lookup_ids(r);
        /* groups first: users are created into them */
        for (int pass = 0; pass < 2; pass++)
                for (uint32_t i = 0; i < p->n_principals; i++) {
                        const struct bw_plan_principal *pr = &p->principals[i];
                        bool group = pr->kind == BW_PRINCIPAL_SYSTEM_GROUP;
                        if (pr->kind == BW_PRINCIPAL_REAL_USER || group != (pass == 0) || !r->names[i][0])
                                continue;
                        const char *name = r->names[i];
                        char detail[128], err[512];
                        if (group && r->acc[i].exists && !created_by_bulwark(r, name))
                                return fail(r, 1,
                                            "a group %s exists that bulwark did not make: bulwark will not grant "
                                            "access to it; remove or rename that group and apply again",
                                            name);
                        if (r->acc[i].exists && r->acc[i].foreign)
                                return fail(r, 1,
                                            "an account %s exists that bulwark did not make for %s (its GECOS field "
                                            "is not \"bulwark ... sandbox of %s\"): bulwark will not run sandboxes "
                                            "as it; remove or rename that account and apply again",
                                            name, r->values[BW_VAR_USER], r->values[BW_VAR_USER]);
                        if (!r->acc[i].exists) {
                                snprintf(detail, sizeof(detail), "%s",
                                         group ? "system group: this installation's read grants"
                                               : "system user, no login shell, no password");
                                add_line(r, '+', group ? "group" : "user", name, detail, NULL, 0);
                                if (r->dry_run)
                                        continue;
                                struct bw_journal_account a = {.kind = group ? BW_JOURNAL_ACCOUNT_GROUP
                                                                             : BW_JOURNAL_ACCOUNT_USER,
                                                               .existed = false,
                                                               .name = name,
                                                               .name_len = strlen(name)};
                                int e = account_record(r, &a);
                                if (e < 0)
                                        return fail(r, 1, "cannot journal the creation of %s: %s", name, strerror(-e));
                                if (bw_account_create(p, r->name_of, i, r->values[BW_VAR_USER], err, sizeof(err)) < 0)
                                        return fail(r, 1, "cannot create %s %s: %s", group ? "group" : "user", name,
                                                    err);
                        } else if (!group && !r->acc[i].members_ok) {
                                char missing[256], detail2[320];
                                bw_account_missing_groups(p, r->name_of, i, missing, sizeof(missing));
                                snprintf(detail2, sizeof(detail2), "add to groups %s", missing);
                                add_line(r, '~', "user", name, detail2, NULL, 0);
                                if (r->dry_run)
                                        continue;
                                /* journaled like a creation: revert takes the user out of the groups
                                 * apply put it in (kind 3: memberships; name, NUL, groups) */
                                struct bw_journal_account a = {.kind = BW_JOURNAL_ACCOUNT_MEMBERS,
                                                               .existed = true,
                                                               .name = name,
                                                               .name_len = strlen(name),
                                                               .groups = missing,
                                                               .groups_len = strlen(missing)};
                                if (a.name_len > BW_JOURNAL_ACCOUNT_NAME_MAX)
                                        return fail(r, 1, "the account name %s is too long", name);
                                int e = account_record(r, &a);
                                if (e < 0)
                                        return fail(r, 1, "cannot journal the groups of %s: %s", name, strerror(-e));
                                if (bw_account_fix_members(p, r->name_of, i, err, sizeof(err)) < 0)
                                        return fail(r, 1, "cannot fix the groups of %s: %s", name, err);
                        }
                }
        for (size_t i = 0; i < r->n_wg; i++) {
                const struct write_group *g = &r->wg[i];
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = bw_streq(r->wg[k].name, g->name);
                if (seen)
                        continue;
                if (g->gid >= 0) {
                        if (!created_by_bulwark(r, g->name))
                                return fail(r, 1,
                                            "a group %s exists that bulwark did not make: bulwark will not grant write "
                                            "access to %s to it; remove or rename that group and apply again",
                                            g->name, g->path);
                        continue;
                }
                char detail[PATH_MAX + 64], err[512];
                snprintf(detail, sizeof(detail), "system group: write access to %s", g->path);
                add_line(r, '+', "group", g->name, detail, NULL, 0);
                if (r->dry_run)
                        continue;
                struct bw_journal_account a = {.kind = BW_JOURNAL_ACCOUNT_GROUP,
                                               .existed = false,
                                               .name = g->name,
                                               .name_len = strlen(g->name)};
                int e = account_record(r, &a);
                if (e < 0)
                        return fail(r, 1, "cannot journal the creation of %s: %s", g->name, strerror(-e));
                if (bw_account_create_group(g->name, err, sizeof(err)) < 0)
                        return fail(r, 1, "cannot create group %s: %s", g->name, err);
        }
        lookup_ids(r);
        return 0;
}

static void add_uid(uid_t *uids, size_t *n, size_t max, uid_t uid) {
        for (size_t k = 0; k < *n; k++)
                if (uids[k] == uid)
                        return;
        if (*n < max)
                uids[(*n)++] = uid;
}

/* The offline sandbox users of every installation but skip_id (NULL: all), as their bindings
 * name them (an installation from before per-user accounts: the shared bulwark-offline). */
static void installed_offline_uids(const struct bw_engine_options *o, int state_fd, const char *skip_id, uid_t *uids,
                                   size_t *n, size_t max) {
        int sfd = state_fd >= 0 ? dup(state_fd) : open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ifd = sfd < 0 ? -1 : openat(sfd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = ifd < 0 ? NULL : fdopendir(ifd);
        _cleanup_free_ struct bw_install_bindings *b = malloc(sizeof(*b));
        char p[300];
        for (struct dirent *de; b && d && (de = readdir(d));) {
                if (de->d_name[0] == '.' || strlen(de->d_name) != 16 || (skip_id && bw_streq(de->d_name, skip_id)))
                        continue;
                snprintf(p, sizeof(p), "installs/%s/bindings", de->d_name);
                if (bw_bindings_read(sfd, p, b) < 0)
                        continue;
                struct passwd *pw = getpwnam(b->offline[0] ? b->offline : "bulwark-offline");
                if (pw)
                        add_uid(uids, n, max, pw->pw_uid);
        }
        if (d)
                closedir(d);
        else if (ifd >= 0)
                close(ifd);
        if (sfd >= 0)
                close(sfd);
}

/* The offline principals the firewall must match: this plan's, and every other installation's
 * (each user has their own). */
static size_t offline_uids(struct run *r, uid_t *uids, size_t max) {
        size_t n = 0;
        for (uint32_t i = 0; i < r->plan->n_nft_rules; i++) {
                int64_t id = r->ids[r->plan->nft_rules[i].principal];
                add_uid(uids, &n, max, id < 0 ? (uid_t) 4294967294u : (uid_t) id);
        }
        if (n)
                installed_offline_uids(r->o, r->state_fd, r->install_id, uids, &n, max);
        return n;
}

static int converge_firewall(struct run *r) {
        uid_t uids[BW_FW_MAX_UIDS];
        size_t n = offline_uids(r, uids, BW_ARRAY_SIZE(uids));
        if (n == 0)
                return 0;
        char err[512] = "";
        if (r->dry_run && geteuid() != 0) {
                /* libnftables would only fail (and say so on stderr): the ruleset is root's to read */
                add_line(r, '?', "nft", "inet bulwark output",
                         "the nftables ruleset cannot be read without root: unknown", NULL, 0);
                return 0;
        }
        enum bw_fw_state st = bw_fw_inspect(uids, n, err, sizeof(err));
        char detail[256];
        char others[64] = "";
        if (n > 1)
                snprintf(others, sizeof(others), " and %zu other user%s offline sandbox user%s", n - 1,
                         n == 2 ? "'s" : "s'", n == 2 ? "" : "s");
        snprintf(detail, sizeof(detail),
                 "skuid in set offline (%s%s), daddr not loopback (IPv4 and IPv6, every protocol): reject",
                 role_account(r, BW_ROLE_OFFLINE), others);
        if (st == BW_FW_CURRENT)
                return 0;
        if (st == BW_FW_UNKNOWN) {
                if (r->dry_run) {
                        char why[700];
                        snprintf(why, sizeof(why),
                                 "cannot read the nftables ruleset without privileges (%s): run as root to see", err);
                        add_line(r, '?', "nft", "inet bulwark output", why, NULL, 0);
                        return 0;
                }
                return fail(r, 1, "cannot read the nftables ruleset: %s", err);
        }
        add_line(r, st == BW_FW_ABSENT ? '+' : '~', "nft", "inet bulwark output", detail, NULL, 0);
        if (r->dry_run)
                return 0;
        /* A table of that name that is not ours as we would write it: keep its text, so revert
         * can put it back. */
        char listing[65536];
        size_t ll = 0;
        listing[0] = st != BW_FW_ABSENT;
        if (st == BW_FW_DIFFERENT && bw_fw_list(listing + 1, sizeof(listing) - 1) == 0)
                ll = strlen(listing + 1);
        int e = shared_record(r, BW_JOURNAL_NFT, (const uint8_t *) listing, (uint32_t) (1 + ll));
        if (e < 0)
                return fail(r, 1, "cannot journal the firewall change: %s", strerror(-e));
        if (bw_fw_apply(uids, n, err, sizeof(err)) < 0)
                return fail(r, 1, "cannot load the nftables table inet bulwark: %s", err);
        return 0;
}

/* ---- ACLs ---- */

/* Add one changed ACL to the state digest: order-independent, since the walk's threads meet the
 * objects in any order. */
static void state_add_acl(struct run *r, const struct bw_acl_change *c) {
        struct bw_sha256 *h = bw_sha256_new();
        uint8_t d[32], len[8];
        bw_sha256_update(h, c->root, strlen(c->root) + 1);
        bw_sha256_update(h, c->rel, strlen(c->rel) + 1);
        bw_sha256_update(h, c->attr, strlen(c->attr) + 1);
        bw_put_le64(len, c->before ? c->before_len : UINT64_MAX);
        bw_sha256_update(h, len, 8);
        if (c->before)
                bw_sha256_update(h, c->before, c->before_len);
        bw_put_le64(len, c->after ? c->after_len : UINT64_MAX);
        bw_sha256_update(h, len, 8);
        if (c->after)
                bw_sha256_update(h, c->after, c->after_len);
        bw_sha256_final(h, d);
        pthread_mutex_lock(&r->state_sum_lock);
        unsigned carry = 0;
        for (int i = 0; i < 32; i++) {
                unsigned v = (unsigned) r->state_sum[i] + d[i] + carry;
                r->state_sum[i] = (uint8_t) v;
                carry = v >> 8;
        }
        pthread_mutex_unlock(&r->state_sum_lock);
}

/* The digest of the state a change set was computed against: every changed ACL (object, bytes
 * before and after), and every other change line, in their deterministic order. */
static void state_digest(const struct run *r, char out[65]) {
        struct bw_sha256 *h = bw_sha256_new();
        bw_sha256_update(h, r->plan->header->digest, 32);
        bw_sha256_update(h, r->state_sum, 32);
        for (size_t i = 0; i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                if (l->from_walk)
                        continue;
                bw_sha256_update(h, &l->op, 1);
                bw_sha256_update(h, l->kind, strlen(l->kind) + 1);
                bw_sha256_update(h, l->what, strlen(l->what) + 1);
                bw_sha256_update(h, l->detail, strlen(l->detail) + 1);
        }
        uint8_t d[32];
        bw_sha256_final(h, d);
        bw_hex(d, 32, out);
}

static int on_batch(void *userdata, const struct bw_acl_change *c, size_t n) {
        struct run *r = userdata;
        if (r->dry_run) {
                /* only dry runs need the state digest (plan -o, apply --reviewed's check) */
                for (size_t i = 0; i < n; i++)
                        state_add_acl(r, &c[i]);
                return 0;
        }
        struct bw_journal_record recs[256] = {{0, NULL, 0}};
        uint8_t *bufs[256];
        if (n > BW_ARRAY_SIZE(recs))
                return -E2BIG;
        for (size_t i = 0; i < n; i++) {
                struct bw_journal_acl a = {
                        .ino = c[i].ino,
                        .mode = c[i].mode,
                        .had_before = c[i].before != NULL,
                        .is_default = bw_streq(c[i].attr, XATTR_DEFAULT),
                        .root = c[i].root,
                        .root_len = strlen(c[i].root),
                        .rel = c[i].rel,
                        .rel_len = strlen(c[i].rel),
                        .before = c[i].before,
                        .before_len = c[i].before_len,
                };
                uint32_t len;
                bufs[i] = bw_journal_acl_encode(&a, &len);
                recs[i] = (struct bw_journal_record){BW_JOURNAL_ACL, bufs[i], len};
        }
        int e = bw_journal_append(&r->journal, recs, n);
        for (size_t i = 0; i < n; i++)
                free(bufs[i]);
        return e;
}

static int region_cmp(const void *x, const void *y) {
        return strcmp((*(struct bw_acl_region *const *) x)->path, (*(struct bw_acl_region *const *) y)->path);
}

/* What a rule kind puts on an object, in the plan's own words (its principals' real names). */
static void kind_detail(const struct run *r, uint32_t kind, uint32_t rule, char *buf, size_t n) {
        const struct bw_plan *p = r->plan;
        size_t o = 0;
        buf[0] = 0;
        if (kind == 0) {
                snprintf(buf, n, "bulwark's entries removed");
                return;
        }
        for (uint32_t i = 0; i < p->n_acls && o < n; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                if (a->rule_kind != kind)
                        continue;
                const struct bw_plan_principal *pr = &p->principals[a->principal];
                const char *name = r->names[a->principal];
                for (size_t k = 0; pr->role == BW_ROLE_WRITE_GROUP && k < r->n_wg; k++)
                        if (r->wg[k].rule == rule)
                                name = r->wg[k].name;
                char perms[4];
                bw_perms_string(a->perms, perms);
                o += (size_t) snprintf(buf + o, n - o, "%s%s:%s:%s (%s)", o ? ", " : "",
                                       pr->kind == BW_PRINCIPAL_SYSTEM_GROUP ? "group" : "user", name, perms,
                                       a->scope == (BW_SCOPE_ACCESS | BW_SCOPE_DEFAULT) ? "access+default"
                                       : a->scope == BW_SCOPE_DEFAULT                   ? "default"
                                                                                        : "access");
        }
}

/* A moved protected object: what it keeps, why, and what lifts it. */
static void kept_detail(uint32_t kept, char *buf, size_t n) {
        bool both = (kept & BW_KEPT_CARVE_OUT) && (kept & BW_KEPT_DENY_READ);
        snprintf(buf, n,
                 "keeps its %s: the name no longer matches (moved?) and apply never lifts protection from an "
                 "object; revert lifts %s",
                 both                       ? "read-only carve-out and unreadable entries"
                 : kept & BW_KEPT_CARVE_OUT ? "read-only carve-out"
                                            : "unreadable entries",
                 both || !(kept & BW_KEPT_CARVE_OUT) ? "them" : "it");
}

/* One report line per region of changes (acl_tree.c decides the regions as it walks). */
static void report_acl_regions(struct run *r, struct bw_acl_region *regions) {
        /* the walk builds the list newest first; sort by path for a stable report */
        size_t n = 0;
        for (struct bw_acl_region *g = regions; g; g = g->next)
                n++;
        struct bw_acl_region **v = calloc(n + 1, sizeof(*v));
        if (!v)
                abort();
        n = 0;
        for (struct bw_acl_region *g = regions; g; g = g->next)
                v[n++] = g;
        qsort(v, n, sizeof(*v), region_cmp);
        r->adding_regions = true;
        for (size_t i = 0; i < n; i++) {
                const struct bw_acl_region *g = v[i];
                char src[600], detail[400];
                source_of_rule(r->plan, g->rule, src, sizeof(src));
                if (g->op == '!')
                        kept_detail(g->kind, detail, sizeof(detail));
                else
                        kind_detail(r, g->kind, g->rule, detail, sizeof(detail));
                add_line(r, g->op, "acl", g->path, detail, src[0] ? src : NULL, atomic_load(&g->below));
        }
        r->adding_regions = false;
        free(v);
}

/* The kind of the path rule a root comes from. */
static uint32_t root_kind(const struct bw_tree_policy *tp, const char *root) {
        for (size_t i = 0; i < tp->n_paths; i++)
                if (bw_streq(tp->paths[i].path, root))
                        return tp->paths[i].kind;
        return 0;
}

/* A world-writable sticky directory (/tmp, /var/tmp) is shared by every user. */
static bool shared_sticky(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH);
}

/* The roots to walk: the outermost path rules, except that a shared sticky directory is not
 * walked itself (a default ACL there would override every user's umask: new files would get the
 * ACL's group and other entries; the sandbox does not need it either, since the runner gives each
 * run a private ${tmpdir}); the outermost rules inside it are walked instead (a workspace in
 * /tmp/myrepo gets its entries), and so on below. Returns a malloc()ed array of borrowed strings;
 * sticky receives those left alone. */
static size_t acl_roots(const struct bw_tree_policy *tp, const char ***ret, const char ***sticky, size_t *n_sticky) {
        const char **out = calloc(tp->n_paths + 1, sizeof(*out)), **st = calloc(tp->n_paths + 1, sizeof(*st));
        if (!out || !st)
                abort();
        size_t n = 0, ns = 0;
        /* a path is walked when every rule path above it (if any) is a shared sticky directory,
         * and it is not one itself */
        for (size_t i = 0; i < tp->n_paths; i++) {
                const char *p = tp->paths[i].path;
                bool dup = false;
                for (size_t k = 0; k < n && !dup; k++)
                        dup = bw_streq(out[k], p);
                for (size_t k = 0; k < ns && !dup; k++)
                        dup = bw_streq(st[k], p);
                if (dup)
                        continue;
                bool covered = false;
                for (size_t k = 0; k < n && !covered; k++)
                        covered = bw_path_is_within(p, out[k]);
                if (covered)
                        continue;
                if (shared_sticky(p))
                        st[ns++] = p;
                else
                        out[n++] = p;
        }
        *ret = out;
        *sticky = st;
        *n_sticky = ns;
        return n;
}

/* A writable root inside ${tmpdir} when ${tmpdir} is writable: every run replaces ${tmpdir} with a
 * private directory, so runs never see that root (and the runner refuses a workspace there). */
static const char *hidden_by_private_tmp(const struct run *r, const char *root) {
        const char *tmpdir = r->values[BW_VAR_TMPDIR];
        if (!tmpdir || bw_streq(root, tmpdir) || !bw_path_is_within(root, tmpdir))
                return NULL;
        for (size_t i = 0; i < r->tp.n_paths; i++)
                if (r->tp.paths[i].kind == BW_RULE_WRITABLE && bw_streq(r->tp.paths[i].path, tmpdir))
                        return tmpdir;
        return NULL;
}

static int converge_acls(struct run *r) {
        const char **roots, **sticky;
        size_t n_sticky = 0;
        size_t n = acl_roots(&r->tp, &roots, &sticky, &n_sticky);
        for (size_t i = 0; i < n_sticky; i++) {
                size_t inside = 0;
                for (size_t k = 0; k < n; k++)
                        inside += bw_path_is_within(roots[k], sticky[i]);
                char detail[200];
                snprintf(detail, sizeof(detail),
                         "a shared sticky directory: left alone (every run gets a private one from the runner)%s",
                         inside ? "; the roots inside it get their entries" : "");
                add_line(r, '?', "acl", sticky[i], detail, NULL, 0);
                r->unknown--; /* informational, not a difference */
        }
        free(sticky);
        for (size_t i = 0; i < n; i++) {
                const char *tmp = hidden_by_private_tmp(r, roots[i]);
                if (!tmp || root_kind(&r->tp, roots[i]) != BW_RULE_WRITABLE)
                        continue;
                char detail[PATH_MAX + 300];
                snprintf(detail, sizeof(detail),
                         "cannot be served: it lies inside ${tmpdir} (%s), which every run replaces with a private "
                         "directory, so runs never see it (the runner refuses a workspace there); its entries are set, "
                         "but bind tmpdir elsewhere (bulwarkc -D tmpdir=DIR) or move it",
                         tmp);
                add_line(r, '?', "acl", roots[i], detail, NULL, 0);
                r->unknown--;
        }
        struct bw_acl_region *regions = NULL;
        struct bw_tree_options to = {.dry_run = r->dry_run,
                                     .threads = r->o->threads,
                                     .on_batch = on_batch,
                                     .userdata = r,
                                     .regions = &regions};
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                struct bw_tree_stats st = {0};
                int e = bw_tree_converge(&r->tp, roots[i], &to, &st);
                if (e == -ENOENT) {
                        /* a root that does not exist yet: nothing to set; the runner protects it */
                        add_line(r, '?', "acl", roots[i], "does not exist: nothing to set (create it and apply again)",
                                 NULL, 0);
                        r->unknown--; /* informational, not a difference */
                        continue;
                }
                if (e == -ELOOP && root_kind(&r->tp, roots[i]) == BW_RULE_UNREADABLE) {
                        /* Following the real user's symlink would let them point root's ACL changes at
                         * any file; an unreadable path behind one (~/.kube -> ~/dotfiles/kube) is left
                         * to the runner, which hides what it points to. */
                        add_line(r, '?', "acl", roots[i],
                                 "reached through a symlink that is not root's: no ACL set (the runner still hides "
                                 "what it points to; list the real path to have ACLs too)",
                                 NULL, 0);
                        r->unknown--;
                        continue;
                }
                if ((e == -EACCES || e == -EPERM) && r->dry_run && geteuid() != 0) {
                        /* status or plan without root: what it cannot read is unknown, not drift */
                        add_line(r, '?', "acl", roots[i], "cannot be read without root: unknown (run it as root)", NULL,
                                 0);
                        continue;
                }
                if (e < 0) {
                        ret = fail(r, 1, "cannot converge %s: %s%s", roots[i], strerror(-e),
                                   e == -ELOOP ? " (a symlink on the way is not root's: bulwark follows only root's "
                                                 "symlinks when it changes ACLs; use the real path)"
                                               : "");
                        break;
                }
                r->acl_errors += st.errors;
                if (st.skipped_hardlinks || st.skipped_mounts || st.skipped_devices)
                        fprintf(stderr,
                                "bulwark: %s: left alone: %llu hard-linked files, %llu mount points, %llu devices\n",
                                roots[i], (unsigned long long) st.skipped_hardlinks,
                                (unsigned long long) st.skipped_mounts, (unsigned long long) st.skipped_devices);
        }
        free(roots);
        report_acl_regions(r, regions);
        bw_acl_regions_free(regions);
        return ret;
}

/* ---- reachability: traverse-only entries on ancestors ---- */

/* The sandbox must be able to reach every writable root and read grant: a workspace under a 0700
 * home is the normal case. Each ancestor the principals cannot traverse gets
 * group:bulwark-sandbox:--x in its access ACL, nothing more. */
static int converge_reachability(struct run *r) {
        int64_t gid = -1;
        const char *sandbox_name = "?";
        for (uint32_t i = 0; i < r->plan->n_principals; i++)
                if (r->plan->principals[i].role == BW_ROLE_SANDBOX_GROUP) {
                        gid = r->ids[i];
                        sandbox_name = r->names[i];
                }
        uint32_t ugid = gid < 0 ? 4294967293u : (uint32_t) gid;
        /* the traverse entry of earlier versions' shared group goes where this one is added */
        uint32_t legacy[1];
        unsigned n_legacy = 0;
        struct group *lg = getgrnam("bulwark-sandbox");
        if (lg && lg->gr_gid != ugid)
                legacy[n_legacy++] = lg->gr_gid;
        const char **roots;
        size_t n_roots = bw_tree_policy_roots(&r->tp, &roots);
        char **done = NULL;
        size_t n_done = 0;
        int ret = 0;
        for (size_t i = 0; i < r->tp.n_paths && ret == 0; i++) {
                const struct bw_tree_rule *t = &r->tp.paths[i];
                if (t->kind != BW_RULE_WRITABLE && t->kind != BW_RULE_READABLE)
                        continue;
                _cleanup_free_ char *anc = strdup(t->path);
                if (!anc)
                        abort();
                for (;;) {
                        char *slash = strrchr(anc, '/');
                        if (!slash)
                                break;
                        if (slash == anc) {
                                if (anc[1] == 0)
                                        break;
                                anc[1] = 0;
                        } else
                                *slash = 0;
                        /* ancestors inside a walked root were handled by the walk */
                        bool inside = false;
                        for (size_t k = 0; k < n_roots && !inside; k++)
                                inside = bw_path_is_within(anc, roots[k]);
                        bool seen = false;
                        for (size_t k = 0; k < n_done && !seen; k++)
                                seen = bw_streq(done[k], anc);
                        if (inside || seen)
                                continue;
                        done = realloc(done, (n_done + 1) * sizeof(*done));
                        if (!done)
                                abort();
                        done[n_done++] = strdup(anc);
                        int fd = bw_open_path_safely(anc, O_RDONLY | O_DIRECTORY, r->real_uid);
                        if (fd < 0)
                                continue;
                        struct stat st;
                        uint8_t cur[4 + 8 * BW_ACL_MAX_ENTRIES], out[4 + 8 * BW_ACL_MAX_ENTRIES];
                        ssize_t len =
                                fstat(fd, &st) < 0 ? -errno : bw_getxattrat(fd, ".", XATTR_ACCESS, cur, sizeof(cur));
                        struct bw_acl base, wanted;
                        bool ok = len >= 0 ? bw_acl_decode(cur, (size_t) len, &base) == 0 : len == -ENODATA;
                        if (ok && len < 0)
                                bw_acl_from_mode(st.st_mode, &base);
                        if (!ok || (st.st_mode & S_IXOTH)) {
                                close(fd);
                                continue; /* others may traverse already (or we cannot tell) */
                        }
                        struct bw_acl_want want = {BW_ACL_GROUP, ugid, BW_PERM_X};
                        bool has = false, has_legacy = false;
                        for (unsigned k = 0; k < base.n; k++) {
                                has |= base.e[k].tag == BW_ACL_GROUP && base.e[k].id == ugid &&
                                       (base.e[k].perm & BW_PERM_X);
                                has_legacy |= base.e[k].tag == BW_ACL_GROUP && n_legacy && base.e[k].id == legacy[0];
                        }
                        if ((has && !has_legacy) ||
                            bw_acl_compute(&base, &want, 1, NULL, 0, legacy, n_legacy, &wanted) < 0) {
                                close(fd);
                                continue;
                        }
                        size_t out_len = bw_acl_encode(&wanted, out, sizeof(out));
                        char detail[600];
                        snprintf(detail, sizeof(detail), "group:%s:--x (access): traverse only, to reach %s%s",
                                 sandbox_name, t->path,
                                 has_legacy ? " (instead of the shared bulwark-sandbox of earlier versions)" : "");
                        add_line(r, has_legacy ? '~' : '+', "acl", anc, detail, NULL, 0);
                        if (!r->dry_run) {
                                struct bw_acl_change c = {.root = anc,
                                                          .rel = "",
                                                          .attr = XATTR_ACCESS,
                                                          .ino = st.st_ino,
                                                          .mode = (uint32_t) st.st_mode,
                                                          .before = len >= 0 ? cur : NULL,
                                                          .before_len = len >= 0 ? (size_t) len : 0,
                                                          .after = out,
                                                          .after_len = out_len};
                                /* journaled before it is made, like every change; not a region of its own */
                                int e = on_batch(r, &c, 1);
                                if (e == 0)
                                        e = fsetxattr(fd, XATTR_ACCESS, out, out_len, 0) < 0 ? -errno : 0;
                                if (e < 0)
                                        ret = fail(r, 1, "cannot give the sandbox traverse access to %s: %s", anc,
                                                   strerror(-e));
                        }
                        close(fd);
                }
        }
        for (size_t k = 0; k < n_done; k++)
                free(done[k]);
        free(done);
        free(roots);
        return ret;
}

/* ---- installation order ---- */

/* Installations are numbered in the order they were first applied: revert undoes the newest
 * first, and knows whose journal recorded the true original of an object they share. */
static uint64_t install_seq(int state_fd, const char *id) {
        char p[96];
        snprintf(p, sizeof(p), "installs/%s/bindings", id);
        struct bw_install_bindings *b = malloc(sizeof(*b));
        uint64_t seq = b && bw_bindings_read(state_fd, p, b) == 0 ? b->seq : 0;
        free(b);
        return seq;
}

static uint64_t next_seq(int state_fd) {
        char buf[32] = "";
        int fd = openat(state_fd, "seq", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                buf[n > 0 ? n : 0] = 0;
                close(fd);
        }
        uint64_t seq = strtoull(buf, NULL, 10) + 1;
        snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long) seq);
        int t = openat(state_fd, "seq.new", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (t >= 0) {
                /* a lost counter would only affect the order of later reverts */
                if (write(t, buf, strlen(buf)) < 0 || fsync(t) < 0)
                        fprintf(stderr, "bulwark: cannot save the installation counter: %s\n", strerror(errno));
                close(t);
                renameat(state_fd, "seq.new", state_fd, "seq");
        }
        return seq;
}

/* ---- the runner binary ---- */

/* bulwark-runner must be root's, 0755, with cap_setuid,cap_setgid=ep: its prior state goes in the
 * shared journal (the runner serves every installation), and revert puts it back with the last. */
static int converge_runner(struct run *r) {
        char path[PATH_MAX], err[512] = "";
        if (bw_runner_locate(r->o->runner, path, sizeof(path)) < 0)
                return fail(r, 1, "--runner %s: give an absolute path", r->o->runner);
        struct bw_runner_state st;
        int fd = bw_runner_open(path, &st, err, sizeof(err));
        if (fd < 0) {
                if (r->dry_run) {
                        char why[700];
                        snprintf(why, sizeof(why), "cannot use it: %s", err);
                        add_line(r, '?', "runner", path, why, NULL, 0);
                        return 0;
                }
                return fail(r, 1, "the runner %s: %s (install bulwark-runner beside bulwark, or give --runner PATH)",
                            path, err);
        }
        if (bw_runner_is_current(&st)) {
                close(fd);
                return 0;
        }
        char detail[256];
        bw_runner_describe(&st, detail, sizeof(detail));
        add_line(r, st.has_cap ? '~' : '+', "runner", path, detail, NULL, 0);
        int ret = 0;
        if (!r->dry_run) {
                uint32_t len;
                _cleanup_free_ uint8_t *payload = bw_runner_encode(path, &st, &len);
                int e = shared_record(r, BW_JOURNAL_RUNNER, payload, len);
                if (e < 0)
                        ret = fail(r, 1, "cannot journal the runner's state: %s", strerror(-e));
                else if (bw_runner_converge(fd, err, sizeof(err)) < 0)
                        ret = fail(r, 1, "cannot give %s its capabilities: %s", path, err);
        }
        close(fd);
        return ret;
}

/* ---- token spec: the installed plan ---- */

/* The supplementary groups a run of this installation carries (the runner sets exactly these):
 * its read group and the groups of its writable roots. */
static void install_groups(const struct run *r, char *out, size_t size) {
        size_t o = 0;
        out[0] = 0;
        const char *read_group = role_account(r, BW_ROLE_SANDBOX_GROUP);
        if (read_group[0])
                o = (size_t) snprintf(out, size, "%s", read_group);
        for (size_t i = 0; i < r->n_wg && o < size && i < 63; i++) {
                if (strstr(out, r->wg[i].name))
                        continue;
                int n = snprintf(out + o, size - o, "%s%s", o ? "," : "", r->wg[i].name);
                if (n < 0 || (size_t) n >= size - o)
                        break;
                o += (size_t) n;
        }
}

static int converge_install(struct run *r) {
        char path[64];
        snprintf(path, sizeof(path), "installs/%s/plan", r->install_id);
        struct bw_plan *cur = NULL;
        struct bw_plan_error err;
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%s/%s", r->o->state_dir, path);
        bool same =
                bw_plan_load(full, 0, &cur, &err) == 0 && memcmp(cur->header->digest, r->plan->header->digest, 32) == 0;
        bw_plan_free(cur);
        _cleanup_free_ struct bw_install_bindings *nb = calloc(1, sizeof(*nb));
        if (!nb)
                return fail(r, 1, "out of memory");
        char bind[BW_BINDINGS_MAX + 1];
        const char *signer = nb->signer;
        snprintf(nb->workspace, sizeof(nb->workspace), "%s", r->values[BW_VAR_WORKSPACE]);
        snprintf(nb->user, sizeof(nb->user), "%s", r->values[BW_VAR_USER]);
        snprintf(nb->home, sizeof(nb->home), "%s", r->values[BW_VAR_HOME]);
        snprintf(nb->tmpdir, sizeof(nb->tmpdir), "%s", r->values[BW_VAR_TMPDIR]);
        snprintf(nb->offline, sizeof(nb->offline), "%s", role_account(r, BW_ROLE_OFFLINE));
        snprintf(nb->online, sizeof(nb->online), "%s", role_account(r, BW_ROLE_ONLINE));
        install_groups(r, nb->groups, sizeof(nb->groups));
        uint64_t seq = nb->seq = install_seq(r->state_fd, r->install_id);
        bw_signer_describe(&r->signer, nb->signer, sizeof(nb->signer));
        for (char *c = nb->signer; *c; c++)
                if (*c == '\n')
                        *c = ' ';
        int bl = bw_bindings_encode(nb, bind, sizeof(bind));
        if (bl < 0)
                return fail(r, 1, "cannot record the bindings of %s: %s", r->values[BW_VAR_WORKSPACE], strerror(-bl));
        /* the same plan, signed since (or the other way round), is a change of its record */
        char old[sizeof(bind)] = "";
        snprintf(path, sizeof(path), "installs/%s/bindings", r->install_id);
        int bfd = openat(r->state_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (bfd >= 0) {
                ssize_t n = bw_read_full(bfd, old, sizeof(old) - 1);
                old[n > 0 ? n : 0] = 0;
                close(bfd);
        }
        if (same && (seq == 0 || bw_streq(old, bind)))
                return 0;
        const struct bw_plan_token *t = &r->plan->tokens[r->plan->meta->default_token];
        char detail[1400];
        snprintf(detail, sizeof(detail), "plan %s installed for %s; default %s, network %s; %s", r->plan->id,
                 r->values[BW_VAR_WORKSPACE], r->names[t->principal], t->network ? "on" : "off", signer);
        add_line(r, cur || seq ? '~' : '+', "token", r->names[t->principal], detail, NULL, 0);
        if (r->dry_run)
                return 0;
        if (seq == 0) {
                nb->seq = next_seq(r->state_fd);
                bl = bw_bindings_encode(nb, bind, sizeof(bind));
                if (bl < 0)
                        return fail(r, 1, "cannot record the bindings of %s: %s", r->values[BW_VAR_WORKSPACE],
                                    strerror(-bl));
        }
        char p2[PATH_MAX];
        snprintf(p2, sizeof(p2), "%s/installs/%s/bindings", r->o->state_dir, r->install_id);
        int e = bw_write_file_atomic(p2, bind, strlen(bind), 0644);
        if (e == 0 && !same)
                e = bw_write_file_atomic(full, r->plan->data, r->plan->size, 0644);
        if (e < 0)
                return fail(r, 1, "cannot install the plan in %s: %s", full, strerror(-e));
        return 0;
}

/* ---- audit trail ---- */

/* One JSON line per apply and revert that got as far as changing something, appended (one
 * write(), O_APPEND) and synced, plus a one-line summary to syslog. Refused commands leave none. */
static void audit_append(const struct bw_engine_options *o, json_t *rec, const char *summary) {
        const char *dir = o->audit_dir ? o->audit_dir : BW_AUDIT_DIR;
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        json_object_set_new(rec, "time", json_string(when));
        const char *sudo_user = getenv("SUDO_USER");
        json_object_set_new(rec, "invoked_by", json_pack("{s:i,s:s?}", "uid", (int) getuid(), "sudo_user", sudo_user));
        char *line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
        int e = 0;
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                e = errno;
        int dfd = e ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (!e && dfd < 0)
                e = errno;
        else if (!e && (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & S_IWOTH)))
                e = EPERM; /* someone else's directory: do not write root's records there */
        int fd = e ? -1 : openat(dfd, "audit.jsonl", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (!e && fd < 0)
                e = errno;
        if (!e) {
                size_t n = strlen(line);
                line[n] = '\n'; /* json_dumps left room for the NUL: write line and newline at once */
                if (write(fd, line, n + 1) != (ssize_t) (n + 1) || fsync(fd) < 0)
                        e = errno ? errno : EIO;
                line[n] = 0;
        }
        if (e)
                fprintf(stderr, "bulwark: warning: cannot append to the audit log %s/audit.jsonl: %s\n", dir,
                        strerror(e));
        if (fd >= 0)
                close(fd);
        if (dfd >= 0)
                close(dfd);
        free(line);
        openlog("bulwark", LOG_PID, LOG_AUTHPRIV);
        syslog(LOG_NOTICE, "%s", summary);
        closelog();
}

static const char *op_name(char op) {
        return op == '+' ? "add" : op == '~' ? "change" : op == '-' ? "remove" : op == '!' ? "keep" : "unknown";
}

static void audit_apply(struct run *r, bool ok) {
        json_t *changes = json_array();
        for (size_t i = 0; i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                const char *op = op_name(l->op);
                json_t *c =
                        json_pack("{s:s,s:s,s:s,s:s}", "op", op, "kind", l->kind, "path", l->what, "detail", l->detail);
                if (l->below)
                        json_object_set_new(c, "below", json_integer((json_int_t) l->below));
                json_object_set_new(c, "source", l->source ? json_string(l->source) : json_null());
                json_array_append_new(changes, c);
        }
        char digest[65];
        bw_hex(r->plan->header->digest, 32, digest);
        char signer[1024];
        bw_signer_describe(&r->signer, signer, sizeof(signer));
        json_t *rec =
                json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:s,s:{s:i,s:i,s:i},s:o}", "action", "apply", "result",
                          ok ? "ok" : "failed", "plan", r->plan->id, "plan_digest", digest, "signer",
                          r->signer.is_signed ? json_string(signer) : json_null(), "real_user", r->values[BW_VAR_USER],
                          "workspace", r->values[BW_VAR_WORKSPACE], "summary", "add", (int) r->adds, "change",
                          (int) r->changes, "remove", (int) r->removes, "changes", changes);
        char summary[PATH_MAX + 256];
        snprintf(summary, sizeof(summary), "apply %s: plan %s for %s (user %s): %u to add, %u to change, %u to remove",
                 ok ? "done" : "FAILED", r->plan->id, r->values[BW_VAR_WORKSPACE], r->values[BW_VAR_USER], r->adds,
                 r->changes, r->removes);
        audit_append(r->o, rec, summary);
        json_decref(rec);
}

/* ---- the commands ---- */

/* One change as the JSON object of plan --json (schema/changes.schema.json). */
static json_t *change_json(const struct run *r, const struct change_line *l) {
        const char *op = op_name(l->op);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "op", op, "kind", l->kind, "path", l->what, "detail", l->detail);
        if (bw_streq(l->kind, "acl"))
                json_object_set_new(o, "below", json_integer((json_int_t) l->below));
        if (l->source)
                json_object_set_new(o, "source", json_string(l->source));
        json_object_set_new(o, "plan", json_string(r->plan->id));
        json_object_set_new(o, "workspace", json_string(r->values[BW_VAR_WORKSPACE]));
        return o;
}

static void print_line(const struct change_line *l, FILE *out) {
        char below[64] = "";
        if (l->below)
                snprintf(below, sizeof(below), " [+%llu below]", (unsigned long long) l->below);
        fprintf(out, "%c %-6s %-40s %s%s%s%s\n", l->op, l->kind, l->what, l->detail, below, l->source ? "  <- " : "",
                l->source ? l->source : "");
}

static void print_changes(struct run *r, FILE *out) {
        if (r->o->json) {
                for (size_t i = 0; i < r->n_lines; i++) {
                        json_t *o = change_json(r, &r->lines[i]);
                        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
                        fprintf(out, "%s\n", s);
                        free(s);
                        json_decref(o);
                }
                return;
        }
        fprintf(out, "bulwark: %u to add, %u to change, %u to remove (plan %s, workspace %s%s%s)\n", r->adds,
                r->changes, r->removes, r->plan->id, r->values[BW_VAR_WORKSPACE],
                r->signer.is_signed ? ", signed with key " : "", r->signer.is_signed ? r->signer.key_id : "");
        for (size_t i = 0; i < r->n_lines; i++)
                print_line(&r->lines[i], out);
}

static void run_done(struct run *r) {
        for (size_t i = 0; i < r->n_lines; i++) {
                free(r->lines[i].kind);
                free(r->lines[i].what);
                free(r->lines[i].detail);
                free(r->lines[i].source);
        }
        free(r->lines);
        for (int i = 0; i < BW_VAR_COUNT; i++)
                free(r->values[i]);
        for (size_t i = 0; i < r->n_wg; i++)
                free(r->wg[i].path);
        free(r->wg);
        for (size_t i = 0; i < r->n_restored; i++)
                free(r->restored[i]);
        free(r->restored);
        bw_tree_policy_done(&r->tp);
        bw_plan_free(r->plan);
        if (r->state_fd >= 0)
                close(r->state_fd);
}

static int load_plan(struct run *r, const char *path) {
        struct bw_plan_error err = {0};
        int e = bw_plan_load(path, 0, &r->plan, &err);
        if (e < 0) {
                if (err.message[0])
                        return fail(r, 1, "%s: invalid plan at byte %llu: %s", path, (unsigned long long) err.offset,
                                    err.message);
                return fail(r, 1, "%s: cannot read the plan: %s", path,
                            e == -EINVAL ? "not a regular file" : strerror(-e));
        }
        return 0;
}

/* A signature, when there is one (or must be one): see signature.h. */
static int check_signature(struct run *r, const char *plan_path) {
        struct bw_signature_options so = {.signature = r->o->signature,
                                          .keys_dir = r->o->trusted_keys_dir,
                                          .admin_dir = r->o->admin_dir,
                                          .plan_requires = r->plan->meta->flags & BW_META_REQUIRE_SIGNED};
        return bw_signature_check(plan_path, r->plan->data, r->plan->size, &so, &r->signer);
}

static int prepare(struct run *r) {
        char err[512] = "";
        if (bind_variables(r))
                return 1;
        lookup_ids(r);
        if (init_tree_policy(r, err, sizeof(err)) < 0)
                return fail(r, 1, "cannot use the plan's rules: %s", err);
        return 0;
}

/* Compare everything the plan wants with the machine, changing nothing (plan and status). */
static int dry_run_all(struct run *r) {
        int ret = prepare(r);
        if (ret == 0)
                ret = converge_accounts(r);
        if (ret == 0)
                ret = converge_firewall(r);
        if (ret == 0)
                ret = converge_runner(r);
        if (ret == 0)
                ret = converge_acls(r);
        if (ret == 0)
                ret = converge_reachability(r);
        return ret;
}

static int write_changes(struct run *r, const char *plan_path, const char *path);

int bw_cmd_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1, .dry_run = true};
        int ret = load_plan(&r, plan_path);
        if (ret == 0)
                ret = check_signature(&r, plan_path);
        if (ret == 0)
                ret = dry_run_all(&r);
        if (ret == 0) {
                converge_install(&r);
                print_changes(&r, out);
                if (o->changes_out && write_changes(&r, plan_path, o->changes_out) < 0)
                        ret = 1;
                else
                        ret = r.adds + r.changes + r.removes + r.unknown ? 2 : 0;
        }
        run_done(&r);
        return ret;
}

static int read_bindings(int state_fd, const char *id, char *ws, char *user, size_t n);

/* The outer workspace's write group would be on every object of the inner one (the walk sets the
 * entries of whichever installation converges it), and the runner keeps other installations'
 * roots out of view only where they are not nested in its own: so one user's workspace may not
 * lie inside another user's, or contain it. */
static int check_no_nested_foreign(struct run *r) {
        int fd = openat(r->state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        int ret = 0;
        for (struct dirent *de; d && ret == 0 && (de = readdir(d));) {
                char ws[PATH_MAX], user[PATH_MAX];
                if (de->d_name[0] == '.' || bw_streq(de->d_name, r->install_id) ||
                    read_bindings(r->state_fd, de->d_name, ws, user, sizeof(ws)) < 0 ||
                    bw_streq(user, r->values[BW_VAR_USER]))
                        continue;
                const char *mine = r->values[BW_VAR_WORKSPACE];
                if (bw_path_is_within(mine, ws) || bw_path_is_within(ws, mine))
                        ret = fail(r, 1,
                                   "%s %s %s's installed workspace %s: one user's sandbox would be granted the "
                                   "other's files; use separate directories",
                                   mine, bw_path_is_within(mine, ws) ? "lies inside" : "contains", user, ws);
        }
        if (d)
                closedir(d);
        else if (fd >= 0)
                close(fd);
        return ret;
}

static int release_unused(struct run *r, FILE *out, bool legacy_only);

/* apply, with the state lock taken here (take_lock: acquire_lock) or already held by the caller (revert
 * re-applying the installations that remain). */
static int apply_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out, bool take_lock,
                      bool top_level) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER,
                        .o = o,
                        .state_fd = -1,
                        .dry_run = false,
                        .journal = {.fd = -1}};
        int lock = -1;
        bool began = false; /* past the refusals: the audit trail records this apply */
        int ret = load_plan(&r, plan_path);
        if (ret == 0 && top_level)
                ret = check_signature(&r, plan_path);
        if (ret == 0)
                ret = prepare(&r);
        if (ret == 0)
                ret = open_state(&r, true) ? 1 : 0;
        if (ret == 0 && take_lock && (lock = acquire_lock(&r)) < 0)
                ret = 1;
        if (ret == 0 && top_level)
                ret = check_no_nested_foreign(&r);
        if (ret == 0) {
                char dir[64];
                snprintf(dir, sizeof(dir), "installs/%s", r.install_id);
                if (mkdirat(r.state_fd, dir, 0755) < 0 && errno != EEXIST)
                        ret = fail(&r, 1, "cannot create %s/%s: %s", o->state_dir, dir, strerror(errno));
                else {
                        /* the new directory entries must survive a crash before the journal counts */
                        int ifd = openat(r.state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        if (ifd >= 0) {
                                fsync(ifd);
                                close(ifd);
                        }
                        fsync(r.state_fd);
                }
                char jpath[96];
                snprintf(jpath, sizeof(jpath), "%s/journal", dir);
                int e = ret ? 0 : bw_journal_open(&r.journal, r.state_fd, jpath);
                if (e < 0)
                        ret = fail(&r, 1, "cannot open the journal %s/%s: %s", o->state_dir, jpath, strerror(-e));
                if (ret == 0) {
                        uint8_t payload[32 + PATH_MAX];
                        size_t wl = strlen(r.values[BW_VAR_WORKSPACE]);
                        memcpy(payload, r.plan->header->digest, 32);
                        memcpy(payload + 32, r.values[BW_VAR_WORKSPACE], wl);
                        struct bw_journal_record rec = {BW_JOURNAL_BEGIN, payload, (uint32_t) (32 + wl)};
                        e = bw_journal_append(&r.journal, &rec, 1);
                        began = e == 0;
                        if (e < 0)
                                ret = fail(&r, 1, "cannot write the journal: %s", strerror(-e));
                }
        }
        if (ret == 0)
                ret = converge_accounts(&r);
        if (ret == 0) {
                /* the ids exist now: rebuild the rules with them */
                char err[512];
                if (init_tree_policy(&r, err, sizeof(err)) < 0)
                        ret = fail(&r, 1, "cannot use the plan's rules: %s", err);
        }
        if (ret == 0)
                ret = converge_firewall(&r);
        if (ret == 0)
                ret = converge_runner(&r);
        if (ret == 0)
                ret = converge_acls(&r);
        if (ret == 0)
                ret = converge_reachability(&r);
        if (ret == 0)
                ret = converge_install(&r);
        if (ret == 0) {
                struct bw_journal_record rec = {BW_JOURNAL_COMMIT, r.plan->header->digest, 32};
                int e = bw_journal_append(&r.journal, &rec, 1);
                if (e < 0)
                        ret = fail(&r, 1, "cannot write the journal: %s", strerror(-e));
        }
        if (ret == 0) {
                print_changes(&r, out);
                /* Migration: once every installation runs as its user's own accounts, the shared
                 * accounts an earlier version created are no longer anyone's (their entries were
                 * replaced, journaled, while converging). Revert still restores the original
                 * state, in which they did not exist. */
                ret = release_unused(&r, out, true);
                if (r.acl_errors)
                        fprintf(stderr, "bulwark: %llu objects could not be read or changed (see above)\n",
                                (unsigned long long) r.acl_errors);
                if (ret == 0)
                        ret = r.acl_errors ? 1 : 0;
        }
        if (began && top_level)
                audit_apply(&r, ret == 0);
        bw_journal_close(&r.journal);
        if (lock >= 0)
                close(lock);
        run_done(&r);
        return ret;
}

/* ---- reviewed change sets ---- */

/*
 * `plan -o CHANGES` saves what a reviewer approves: the plan itself (and its signature), the
 * workspace and user it was bound to, the changes, and the digest of the state they were computed
 * against. `apply --reviewed CHANGES` applies it only while the state still has that digest.
 */
static int write_changes(struct run *r, const char *plan_path, const char *path) {
        char digest[65], plan_digest[65], signer[1024];
        state_digest(r, digest);
        bw_hex(r->plan->header->digest, 32, plan_digest);
        bw_signer_describe(&r->signer, signer, sizeof(signer));
        size_t b64_len = sodium_base64_ENCODED_LEN(r->plan->size, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(b64_len);
        if (!b64)
                return fail(r, -1, "out of memory");
        sodium_bin2base64(b64, b64_len, r->plan->data, r->plan->size, sodium_base64_VARIANT_ORIGINAL);
        json_t *changes = json_array();
        for (size_t i = 0; i < r->n_lines; i++)
                json_array_append_new(changes, change_json(r, &r->lines[i]));
        /* the signature travels with the plan it signs */
        char sig_path[PATH_MAX], sig[BW_MINISIGN_COMMENT_MAX + 1024];
        snprintf(sig_path, sizeof(sig_path), "%s%s", r->o->signature ? r->o->signature : plan_path,
                 r->o->signature ? "" : ".minisig");
        int fd = open(sig_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        ssize_t n = fd < 0 ? -1 : bw_read_full(fd, sig, sizeof(sig) - 1);
        if (fd >= 0)
                close(fd);
        if (n >= 0)
                sig[n] = 0;
        json_t *doc = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:i,s:i,s:i,s:i},s:o,s:s,s:o}", "bulwark_changes", 1,
                                "plan", r->plan->id, "plan_digest", plan_digest, "workspace",
                                r->values[BW_VAR_WORKSPACE], "user", r->values[BW_VAR_USER], "signer", signer,
                                "state_digest", digest, "summary", "add", (int) r->adds, "change", (int) r->changes,
                                "remove", (int) r->removes, "unknown", (int) r->unknown, "changes", changes,
                                "plan_bytes", b64, "signature", n >= 0 ? json_string(sig) : json_null());
        free(b64);
        char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        int e = text ? bw_write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;
        free(text);
        if (e < 0)
                return fail(r, -1, "cannot write the change set %s: %s", path, strerror(-e));
        fprintf(stderr, "bulwark: change set saved to %s (state %.12s); apply it with: bulwark apply --reviewed %s\n",
                path, digest, path);
        return 0;
}

/* Say what moved between the reviewed change lines and the current ones. */
static void show_moved(const json_t *old, const struct run *now) {
        size_t n_old = json_array_size(old);
        bool *matched = calloc(n_old + 1, sizeof(*matched));
        if (!matched)
                abort();
        fprintf(stderr, "bulwark: what moved since the change set was saved ('-' reviewed, now gone or different; '+' "
                        "new):\n");
        unsigned shown = 0;
        for (size_t i = 0; i < now->n_lines; i++) {
                const struct change_line *l = &now->lines[i];
                bool found = false;
                for (size_t k = 0; k < n_old && !found; k++) {
                        json_t *o = json_array_get(old, k);
                        const char *kind = json_string_value(json_object_get(o, "kind"));
                        const char *path = json_string_value(json_object_get(o, "path"));
                        const char *detail = json_string_value(json_object_get(o, "detail"));
                        json_int_t below = json_integer_value(json_object_get(o, "below"));
                        if (!matched[k] && kind && path && detail && bw_streq(kind, l->kind) &&
                            bw_streq(path, l->what) && bw_streq(detail, l->detail) && (uint64_t) below == l->below)
                                matched[k] = found = true;
                }
                if (!found && shown++ < 50)
                        fprintf(stderr, "  + %-6s %s  %s [+%llu below]\n", l->kind, l->what, l->detail,
                                (unsigned long long) l->below);
        }
        for (size_t k = 0; k < n_old; k++) {
                json_t *o = json_array_get(old, k);
                if (!matched[k] && shown++ < 100)
                        fprintf(stderr, "  - %-6s %s  %s [+%lld below]\n",
                                json_string_value(json_object_get(o, "kind")),
                                json_string_value(json_object_get(o, "path")),
                                json_string_value(json_object_get(o, "detail")),
                                (long long) json_integer_value(json_object_get(o, "below")));
        }
        if (shown == 0)
                fprintf(stderr, "  the same lines, but objects inside these regions changed (their ACL bytes or "
                                "their number)\n");
        free(matched);
}

int bw_cmd_apply_reviewed(const char *changes_path, const struct bw_engine_options *o, FILE *out) {
        if (geteuid() != 0) {
                fputs("bulwark: apply changes users, ACLs and the firewall: run it as root\n", stderr);
                return 1;
        }
        json_error_t jerr;
        json_t *doc = json_load_file(changes_path, JSON_REJECT_DUPLICATES, &jerr);
        const char *f_plan = NULL, *f_digest = NULL, *f_ws = NULL, *f_user = NULL, *f_state = NULL, *f_b64 = NULL,
                   *f_sig = NULL;
        json_t *f_changes = NULL;
        json_int_t version = 0;
        if (!doc ||
            json_unpack_ex(doc, &jerr, 0, "{s:I,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "bulwark_changes", &version, "plan",
                           &f_plan, "plan_digest", &f_digest, "workspace", &f_ws, "user", &f_user, "state_digest",
                           &f_state, "changes", &f_changes, "plan_bytes", &f_b64) < 0 ||
            version != 1 || !json_is_array(f_changes)) {
                fprintf(stderr, "bulwark: %s:%d:%d: not a change set saved by `bulwark plan -o`: %s\n", changes_path,
                        jerr.line, jerr.column, jerr.text);
                json_decref(doc);
                return 1;
        }
        f_sig = json_string_value(json_object_get(doc, "signature")); /* NULL: unsigned */
        /* the plan as reviewed, into the state directory (root's), where apply reads it */
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        int ret = open_state(&r, true) ? 1 : 0;
        size_t b64_len = strlen(f_b64), max = b64_len / 4 * 3 + 3, size = 0;
        uint8_t *bytes = ret ? NULL : malloc(max);
        if (ret == 0 && (!bytes || sodium_base642bin(bytes, max, f_b64, b64_len, NULL, &size, NULL,
                                                     sodium_base64_VARIANT_ORIGINAL) != 0))
                ret = fail(&r, 1, "%s: its plan_bytes are not base64", changes_path);
        char plan_path[PATH_MAX], sig_path[PATH_MAX + 16];
        snprintf(plan_path, sizeof(plan_path), "%s/reviewed.plan", o->state_dir);
        snprintf(sig_path, sizeof(sig_path), "%s.minisig", plan_path);
        unlink(sig_path);
        if (ret == 0 && bw_write_file_atomic(plan_path, bytes, size, 0600) < 0)
                ret = fail(&r, 1, "cannot write %s: %s", plan_path, strerror(errno));
        if (ret == 0 && f_sig && bw_write_file_atomic(sig_path, f_sig, strlen(f_sig), 0600) < 0)
                ret = fail(&r, 1, "cannot write %s: %s", sig_path, strerror(errno));
        free(bytes);
        struct bw_engine_options ro = *o;
        ro.workspace = f_ws;
        ro.user = f_user;
        ro.signature = NULL;
        ro.json = false;
        int lock = ret ? -1 : acquire_lock(&r);
        if (ret == 0 && lock < 0)
                ret = 1;
        /* recompute the change set against the state now, under the lock */
        struct run d = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &ro, .state_fd = -1, .dry_run = true};
        if (ret == 0)
                ret = load_plan(&d, plan_path);
        if (ret == 0) {
                char pd[65];
                bw_hex(d.plan->header->digest, 32, pd);
                if (!bw_streq(pd, f_digest) || !bw_streq(d.plan->id, f_plan))
                        ret = fail(&r, 1, "%s: the embedded plan is not plan %s it names: the change set was edited",
                                   changes_path, f_plan);
        }
        if (ret == 0)
                ret = check_signature(&d, plan_path);
        if (ret == 0)
                ret = dry_run_all(&d);
        if (ret == 0) {
                converge_install(&d); /* as plan -o saw it: without the state directory */
                char now[65];
                state_digest(&d, now);
                if (!bw_streq(now, f_state)) {
                        fprintf(stderr,
                                "bulwark: the machine changed since %s was reviewed (state %.12s then, %.12s now): "
                                "nothing applied; review the new change set (bulwark plan -o) and apply that\n",
                                changes_path, f_state, now);
                        show_moved(f_changes, &d);
                        ret = 1;
                }
        }
        run_done(&d);
        if (ret == 0) {
                fprintf(out, "bulwark: the state is as reviewed (%.12s): applying\n", f_state);
                ret = apply_plan(plan_path, &ro, out, false, true);
        }
        if (lock >= 0)
                close(lock);
        unlink(sig_path);
        unlink(plan_path);
        run_done(&r);
        json_decref(doc);
        return ret;
}

int bw_cmd_apply(const char *plan_path, const struct bw_engine_options *o, FILE *out) {
        if (geteuid() != 0) {
                fputs("bulwark: apply changes users, ACLs and the firewall: run it as root (bulwark plan shows what it "
                      "would do)\n",
                      stderr);
                return 1;
        }
        return apply_plan(plan_path, o, out, true, true);
}

/* ---- revert ---- */

static int read_bindings(int state_fd, const char *id, char *ws, char *user, size_t n);

struct restore_key {
        const struct bw_journal_acl *a;
        size_t order;
};

static int restore_cmp(const void *x, const void *y) {
        const struct restore_key *p = x, *q = y;
        int c = (p->a->root_len > q->a->root_len) - (p->a->root_len < q->a->root_len);
        if (!c)
                c = memcmp(p->a->root, q->a->root, p->a->root_len);
        if (!c)
                c = (p->a->rel_len > q->a->rel_len) - (p->a->rel_len < q->a->rel_len);
        if (!c)
                c = memcmp(p->a->rel, q->a->rel, p->a->rel_len);
        if (!c)
                c = p->a->is_default - q->a->is_default;
        if (!c)
                c = (p->order > q->order) - (p->order < q->order);
        return c;
}

/* Put back the bytes an object's ACL had before bulwark first changed it, walking to it with
 * O_NOFOLLOW from its root and checking it is still the same inode. */
static int restore_acl(const struct bw_journal_acl *a, uint64_t *skipped) {
        _cleanup_free_ char *root = strndup(a->root, a->root_len);
        _cleanup_free_ char *rel = strndup(a->rel, a->rel_len);
        if (!root || !rel)
                return -ENOMEM;
        const char *attr = a->is_default ? XATTR_DEFAULT : XATTR_ACCESS;
        int dfd;
        const char *name;
        if (rel[0] == 0) {
                /* the root itself: through its parent, so a file root works too */
                char *slash = strrchr(root, '/');
                name = slash + 1;
                char *parent = strndup(root, slash == root ? 1 : (size_t) (slash - root));
                dfd = bw_open_path_safely(parent, O_RDONLY | O_DIRECTORY, (uid_t) -1);
                free(parent);
                if (bw_streq(root, "/")) {
                        if (dfd >= 0)
                                close(dfd);
                        dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        name = ".";
                }
        } else {
                dfd = bw_open_path_safely(root, O_RDONLY | O_DIRECTORY, (uid_t) -1);
                char *slash = strrchr(rel, '/');
                if (slash) {
                        *slash = 0;
                        name = slash + 1;
                        /* intermediate directories, never following a symlink */
                        for (char *comp = strtok(rel, "/"); comp && dfd >= 0; comp = strtok(NULL, "/")) {
                                int next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                close(dfd);
                                dfd = next < 0 ? -errno : next;
                        }
                } else
                        name = rel;
        }
        if (dfd < 0) {
                (*skipped)++;
                return 0; /* gone: nothing to restore */
        }
        /* Act through an fd of the object itself, checked on that fd, as apply does: a check by
         * name would not hold against a sandbox renaming things meanwhile. */
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        close(dfd);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t) st.st_ino != a->ino) {
                if (fd >= 0)
                        close(fd);
                (*skipped)++; /* gone or replaced since: not the object we changed */
                return 0;
        }
        int r;
        if (a->had_before) {
                r = fsetxattr(fd, attr, a->before, a->before_len, 0);
        } else if (!a->is_default) {
                /* There was no access ACL: write the minimal one of the recorded mode. The kernel
                 * stores such an ACL as mode bits only (no xattr), which also gives back the
                 * group bits our mask had replaced; a plain removexattr would not. */
                struct bw_acl minimal;
                uint8_t buf[64];
                bw_acl_from_mode((mode_t) a->mode, &minimal);
                size_t n = bw_acl_encode(&minimal, buf, sizeof(buf));
                r = fsetxattr(fd, attr, buf, n, 0);
        } else {
                r = fremovexattr(fd, attr);
                if (r < 0 && errno == ENODATA)
                        r = 0;
        }
        if (r < 0)
                r = -errno;
        close(fd);
        return r;
}

static char *acl_key(const struct bw_journal_acl *a) {
        char *k = NULL;
        bool root_only = a->rel_len == 0;
        bool slash = !root_only && !(a->root_len == 1 && a->root[0] == '/');
        if (asprintf(&k, "%c|%.*s%s%.*s", a->is_default ? 'D' : 'A', (int) a->root_len, a->root, slash ? "/" : "",
                     (int) a->rel_len, a->rel) < 0)
                abort();
        return k;
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int remove_install_dir(int state_fd, const char *id) {
        char p[96];
        static const char *const files[] = {"plan", "bindings", "journal"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(files); i++) {
                snprintf(p, sizeof(p), "installs/%s/%s", id, files[i]);
                if (unlinkat(state_fd, p, 0) < 0 && errno != ENOENT)
                        return -errno;
        }
        snprintf(p, sizeof(p), "installs/%s", id);
        return unlinkat(state_fd, p, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static size_t count_installs(int state_fd) {
        int fd = openat(state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        size_t n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                n += de->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* Undo what the shared journal says bulwark created, once no installation needs it. */
static int revert_shared(struct run *r, FILE *out) {
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, "shared.journal", &data, &recs, &n, &bad);
        if (e == -ENOENT)
                return 0;
        if (e < 0)
                return fail(r, 1,
                            "%s/shared.journal is damaged at byte %llu: accounts and the firewall table were left as "
                            "they are; inspect it",
                            r->o->state_dir, (unsigned long long) bad);
        int ret = 0;
        char err[512];
        /* the first firewall record holds the state before bulwark */
        size_t first_nft = SIZE_MAX;
        for (size_t i = 0; i < n && first_nft == SIZE_MAX; i++)
                if (recs[i].type == BW_JOURNAL_NFT && recs[i].len >= 1)
                        first_nft = i;
        /* the runner as it was before bulwark first touched it (its first record) */
        for (size_t i = 0; i < n; i++) {
                if (recs[i].type != BW_JOURNAL_RUNNER)
                        continue;
                char path[PATH_MAX];
                struct bw_runner_state before, now;
                if (bw_runner_decode(recs[i].payload, recs[i].len, path, sizeof(path), &before) < 0) {
                        ret = fail(r, 1,
                                   "the shared journal's runner record is damaged: check the runner's capabilities "
                                   "by hand (getcap)");
                        break;
                }
                int fd = bw_runner_open(path, &now, err, sizeof(err));
                if (fd < 0 || now.ino != before.ino)
                        fprintf(out, "! runner %s was replaced or removed since apply: left as it is\n", path);
                else if (bw_runner_restore(fd, &before, err, sizeof(err)) < 0)
                        ret = fail(r, 1, "cannot restore the runner %s: %s", path, err);
                else
                        fprintf(out, "- runner %s capabilities, owner and mode as before\n", path);
                if (fd >= 0)
                        close(fd);
                break;
        }
        /* memberships apply added to accounts that existed before it, taken back */
        for (size_t i = n; i-- > 0;) {
                const struct bw_journal_record *rec = &recs[i];
                struct bw_journal_account a;
                if (rec->type != BW_JOURNAL_ACCOUNT || bw_journal_account_decode(rec->payload, rec->len, &a) < 0 ||
                    a.kind != BW_JOURNAL_ACCOUNT_MEMBERS)
                        continue;
                char user[72], groups[300];
                snprintf(user, sizeof(user), "%.*s", (int) a.name_len, a.name);
                snprintf(groups, sizeof(groups), "%.*s", (int) a.groups_len, a.groups);
                if (!getpwnam(user))
                        continue;
                for (char *save = NULL, *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
                        if (!getgrnam(g))
                                continue;
                        if (bw_account_leave_group(user, g, err, sizeof(err)) < 0)
                                ret = fail(r, 1, "cannot take %s out of group %s: %s", user, g, err);
                        else
                                fprintf(out, "- member %s of %s (added by apply)\n", user, g);
                }
        }
        /* the firewall first (it names the users), then users before their groups */
        for (int pass = 0; pass < 3; pass++)
                for (size_t i = n; i-- > 0;) {
                        const struct bw_journal_record *rec = &recs[i];
                        if (pass == 0 && rec->type == BW_JOURNAL_NFT && i == first_nft) {
                                if (rec->payload[0] == 0) {
                                        if (bw_fw_remove(err, sizeof(err)) < 0)
                                                ret = fail(r, 1, "cannot remove table inet bulwark: %s", err);
                                        else
                                                fprintf(out, "- nft    inet bulwark\n");
                                } else if (rec->len > 1) {
                                        _cleanup_free_ char *text =
                                                strndup((const char *) rec->payload + 1, rec->len - 1);
                                        if (!text || bw_fw_restore(text, err, sizeof(err)) < 0)
                                                ret = fail(r, 1, "cannot restore the earlier table inet bulwark: %s",
                                                           err);
                                        else
                                                fprintf(out, "~ nft    inet bulwark restored as it was before\n");
                                }
                        }
                        struct bw_journal_account a;
                        if (pass > 0 && rec->type == BW_JOURNAL_ACCOUNT &&
                            bw_journal_account_decode(rec->payload, rec->len, &a) == 0 && !a.existed &&
                            a.kind == (pass == 1 ? BW_JOURNAL_ACCOUNT_USER : BW_JOURNAL_ACCOUNT_GROUP)) {
                                char name[BW_JOURNAL_ACCOUNT_NAME_MAX + 1];
                                snprintf(name, sizeof(name), "%.*s", (int) a.name_len, a.name);
                                bool group = a.kind == BW_JOURNAL_ACCOUNT_GROUP;
                                if (group && getgrnam(name) == NULL)
                                        continue;
                                if (!group && getpwnam(name) == NULL)
                                        continue;
                                if (bw_account_remove(group, name, err, sizeof(err)) < 0)
                                        ret = fail(r, 1, "cannot remove %s %s: %s", group ? "group" : "user", name,
                                                   err);
                                else
                                        fprintf(out, "- %-6s %s\n", group ? "group" : "user", name);
                        }
                }
        free(recs);
        free(data);
        if (ret == 0 && unlinkat(r->state_fd, "shared.journal", 0) < 0)
                ret = fail(r, 1, "cannot remove %s/shared.journal: %s", r->o->state_dir, strerror(errno));
        return ret;
}

/* The accounts an installation's runs use, as its bindings name them (one from before per-user
 * accounts: the shared ones its plan names). */
static void install_accounts(const struct bw_install_bindings *b, struct bw_strbuf *out) {
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->offline[0] ? b->offline : "bulwark-offline");
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->online[0] ? b->online : "bulwark-online");
        bw_sb_puts(out, ",");
        bw_sb_puts(out, b->groups[0] ? b->groups : "bulwark-sandbox,bulwark-write");
        bw_sb_puts(out, ",");
}

/* After a revert that leaves other installations: accounts and groups bulwark created that no
 * remaining installation uses go (they are counted per user: a user's sandbox users live as long
 * as one of their installations), and the firewall matches only the offline users that remain. */
static int release_unused(struct run *r, FILE *out, bool legacy_only) {
        struct bw_strbuf needed = {0};
        _cleanup_free_ struct bw_install_bindings *b = malloc(sizeof(*b));
        int ifd = openat(r->state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = ifd < 0 ? NULL : fdopendir(ifd);
        char p[300];
        for (struct dirent *de; b && d && (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "installs/%s/bindings", de->d_name);
                if (bw_bindings_read(r->state_fd, p, b) < 0) {
                        /* cannot tell what it uses: keep everything */
                        closedir(d);
                        bw_sb_done(&needed);
                        return 0;
                }
                install_accounts(b, &needed);
        }
        if (d)
                closedir(d);
        else if (ifd >= 0)
                close(ifd);
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int ret = 0;
        int e = bw_journal_read(r->state_fd, "shared.journal", &data, &recs, &n, &bad);
        for (int pass = 1; e == 0 && pass < 3; pass++)
                for (size_t i = n; i-- > 0;) {
                        struct bw_journal_account a;
                        if (recs[i].type != BW_JOURNAL_ACCOUNT ||
                            bw_journal_account_decode(recs[i].payload, recs[i].len, &a) < 0 || a.existed ||
                            a.kind != (pass == 1 ? BW_JOURNAL_ACCOUNT_USER : BW_JOURNAL_ACCOUNT_GROUP))
                                continue;
                        char name[BW_JOURNAL_ACCOUNT_NAME_MAX + 1], key[BW_JOURNAL_ACCOUNT_NAME_MAX + 3], err[512];
                        snprintf(name, sizeof(name), "%.*s", (int) a.name_len, a.name);
                        snprintf(key, sizeof(key), ",%s,", name);
                        bool group = a.kind == BW_JOURNAL_ACCOUNT_GROUP;
                        if ((needed.data && strstr(needed.data, key)) || (group ? !getgrnam(name) : !getpwnam(name)) ||
                            (legacy_only && strncmp(name, "bulwark-", 8) != 0))
                                continue;
                        if (bw_account_remove(group, name, err, sizeof(err)) < 0)
                                ret = fail(r, 1, "cannot remove %s %s: %s", group ? "group" : "user", name, err);
                        else
                                fprintf(out, "- %-6s %s (no installation uses it any more)\n", group ? "group" : "user",
                                        name);
                }
        free(recs);
        free(data);
        bw_sb_done(&needed);
        if (legacy_only)
                return ret;
        /* the firewall: the offline users that remain, if the table is as apply writes it */
        uid_t uids[BW_FW_MAX_UIDS];
        size_t nu = 0;
        char err[512];
        installed_offline_uids(r->o, r->state_fd, NULL, uids, &nu, BW_ARRAY_SIZE(uids));
        if (ret == 0 && nu > 0 && bw_fw_inspect(uids, nu, err, sizeof(err)) == BW_FW_DIFFERENT) {
                if (bw_fw_apply(uids, nu, err, sizeof(err)) < 0)
                        ret = fail(r, 1, "cannot update table inet bulwark: %s", err);
                else
                        fprintf(out,
                                "~ nft    inet bulwark matches the offline users of the remaining installations\n");
        }
        return ret;
}

/*
 * Objects created after apply inherited bulwark's default entries, and objects replaced since
 * (an editor saving through a rename) are not the inodes the journal knows: neither can be put
 * back from the journal. Walk the installation's roots once more and remove bulwark's entries
 * wherever they remain, so no entry naming a soon-deleted account is left behind. (What the
 * journal restored has no such entries, so this does not touch it.)
 */
static int strip_leftovers(struct run *r, const char *id, uint64_t *ret_changed) {
        char ws[PATH_MAX], user[PATH_MAX], path[2 * PATH_MAX];
        if (read_bindings(r->state_fd, id, ws, user, sizeof(ws)) < 0)
                return -EBADMSG;
        struct bw_engine_options o2 = *r->o;
        o2.workspace = ws;
        o2.user = user;
        struct run s = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &o2, .state_fd = -1, .dry_run = false};
        snprintf(path, sizeof(path), "%s/installs/%s/plan", r->o->state_dir, id);
        int ret = load_plan(&s, path) || prepare(&s) ? -EINVAL : 0;
        if (ret == 0) {
                /* want nothing of any kind: what remains of bulwark's entries goes, protection
                 * that moved with its objects too (only revert lifts it) */
                for (size_t k = 0; k < BW_ARRAY_SIZE(s.tp.kinds); k++)
                        s.tp.kinds[k].n_access = s.tp.kinds[k].n_dflt = 0;
                s.tp.lift_protection = true;
                const char **roots;
                size_t n = bw_tree_policy_roots(&s.tp, &roots);
                struct bw_tree_options to = {.dry_run = false, .threads = r->o->threads};
                for (size_t i = 0; i < n; i++) {
                        struct bw_tree_stats st = {0};
                        if (bw_tree_converge(&s.tp, roots[i], &to, &st) == 0)
                                *ret_changed += st.changed;
                }
                free(roots);
        }
        run_done(&s);
        return ret;
}

static int revert_one(struct run *r, const char *id, void *userdata) {
        FILE *out = userdata;
        uint64_t seq = install_seq(r->state_fd, id);
        if (seq && (r->reverted_min_seq == 0 || seq < r->reverted_min_seq))
                r->reverted_min_seq = seq;
        char jpath[96];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, jpath, &data, &recs, &n, &bad);
        if (e == -EBADMSG)
                return fail(
                        r, 1,
                        "%s/%s is damaged at byte %llu: nothing was reverted, so that what can be undone is not lost; "
                        "restore the file from a backup or remove the installation by hand",
                        r->o->state_dir, jpath, (unsigned long long) bad);
        if (e < 0 && e != -ENOENT)
                return fail(r, 1, "cannot read %s/%s: %s", r->o->state_dir, jpath, strerror(-e));
        struct bw_journal_acl *acl = calloc(n + 1, sizeof(*acl));
        struct restore_key *keys = calloc(n + 1, sizeof(*keys));
        size_t nk = 0;
        int ret = 0;
        if (!acl || !keys)
                abort();
        for (size_t i = 0; i < n; i++) {
                if (recs[i].type != BW_JOURNAL_ACL)
                        continue;
                if (bw_journal_acl_decode(recs[i].payload, recs[i].len, &acl[nk]) < 0) {
                        ret = fail(r, 1, "%s/%s has a malformed ACL record: nothing was reverted", r->o->state_dir,
                                   jpath);
                        break;
                }
                keys[nk] = (struct restore_key){&acl[nk], i};
                nk++;
        }
        uint64_t restored = 0, skipped = 0, failed = 0;
        if (ret == 0 && nk) {
                qsort(keys, nk, sizeof(*keys), restore_cmp);
                for (size_t i = 0; i < nk; i++) {
                        /* the first record of an object holds its state before bulwark */
                        if (i > 0 && restore_cmp(&(struct restore_key){keys[i].a, 0},
                                                 &(struct restore_key){keys[i - 1].a, 0}) == 0)
                                continue;
                        if (restore_acl(keys[i].a, &skipped) < 0)
                                failed++;
                        else
                                restored++;
                        r->restored = realloc(r->restored, (r->n_restored + 1) * sizeof(*r->restored));
                        if (!r->restored)
                                abort();
                        r->restored[r->n_restored++] = acl_key(keys[i].a);
                }
        }
        free(keys);
        free(acl);
        free(recs);
        free(data);
        if (ret)
                return ret;
        fprintf(out, "- acl    %llu ACLs restored to their bytes before bulwark (installation %s)\n",
                (unsigned long long) (restored - skipped), id);
        if (skipped)
                fprintf(out, "  %llu objects were gone or replaced since and were left alone\n",
                        (unsigned long long) skipped);
        if (failed)
                return fail(r, 1, "%llu ACLs could not be restored; the journal is kept: run revert again",
                            (unsigned long long) failed);
        uint64_t stripped = 0;
        if (strip_leftovers(r, id, &stripped) == 0 && stripped)
                fprintf(out, "- acl    %llu objects created or replaced since apply: bulwark's entries removed\n",
                        (unsigned long long) stripped);
        e = remove_install_dir(r->state_fd, id);
        if (e < 0)
                return fail(r, 1, "cannot remove the installation %s: %s", id, strerror(-e));
        return 0;
}

struct install_ref {
        char id[17];
        uint64_t seq;
};

static int newest_first(const void *x, const void *y) {
        const struct install_ref *a = x, *b = y;
        return (a->seq < b->seq) - (a->seq > b->seq);
}

/* Installations whose plan ID (or installation ID) starts with which, newest first. */
static int for_each_install(struct run *r, const char *which, int (*fn)(struct run *, const char *, void *),
                            void *userdata, size_t *matched) {
        int fd = openat(r->state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        struct install_ref *ids = NULL;
        size_t n = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.' && strlen(de->d_name) == 16) {
                        ids = realloc(ids, (n + 1) * sizeof(*ids));
                        if (!ids)
                                abort();
                        memcpy(ids[n].id, de->d_name, 17); /* 16 hex digits and the NUL */
                        ids[n].seq = install_seq(r->state_fd, de->d_name);
                        n++;
                }
        if (d)
                closedir(d);
        if (n)
                qsort(ids, n, sizeof(*ids), newest_first);
        int ret = 0;
        for (size_t i = 0; i < n; i++) {
                bool match = !which || strncmp(ids[i].id, which, strlen(which)) == 0;
                if (!match) {
                        char path[2 * PATH_MAX];
                        snprintf(path, sizeof(path), "%s/installs/%s/plan", r->o->state_dir, ids[i].id);
                        struct bw_plan *p = NULL;
                        struct bw_plan_error err;
                        if (bw_plan_load(path, 0, &p, &err) == 0)
                                match = strncmp(p->id, which, strlen(which)) == 0;
                        bw_plan_free(p);
                }
                if (!match)
                        continue;
                (*matched)++;
                int e = fn(r, ids[i].id, userdata);
                if (e)
                        ret = e;
        }
        free(ids);
        return ret;
}

/* Rewrite an installation's journal without the records of objects another revert restored. */
static int filter_journal(struct run *r, const char *id) {
        char jpath[96], tmp[112];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        snprintf(tmp, sizeof(tmp), "installs/%s/journal.new", id);
        uint8_t *data = NULL;
        struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, jpath, &data, &recs, &n, &bad);
        if (e == -ENOENT)
                return 0;
        if (e < 0)
                return e;
        struct bw_journal_record *keep = calloc(n + 1, sizeof(*keep));
        size_t nk = 0;
        if (!keep)
                abort();
        for (size_t i = 0; i < n; i++) {
                struct bw_journal_acl a;
                if (recs[i].type == BW_JOURNAL_ACL && bw_journal_acl_decode(recs[i].payload, recs[i].len, &a) == 0) {
                        char *k = acl_key(&a);
                        bool drop = bsearch(&k, r->restored, r->n_restored, sizeof(char *), str_cmp) != NULL;
                        free(k);
                        if (drop)
                                continue;
                }
                keep[nk++] = recs[i];
        }
        unlinkat(r->state_fd, tmp, 0);
        struct bw_journal j;
        e = bw_journal_open(&j, r->state_fd, tmp);
        if (e == 0) {
                e = bw_journal_append(&j, keep, nk);
                bw_journal_close(&j);
        }
        if (e == 0 && renameat(r->state_fd, tmp, r->state_fd, jpath) < 0)
                e = -errno;
        free(keep);
        free(recs);
        free(data);
        return e;
}

static int reapply_one(struct run *r, const char *id, void *userdata) {
        FILE *out = userdata;
        char ws[PATH_MAX], user[PATH_MAX], path[2 * PATH_MAX];
        if (read_bindings(r->state_fd, id, ws, user, sizeof(ws)) < 0)
                return fail(r, 1, "installation %s has no readable bindings: re-apply its plan by hand", id);
        /* An installation applied after the reverted one recorded that one's state as "before":
         * drop those records (re-applying records the true original again). One applied before it
         * holds the originals: keep them. */
        int e = 0;
        if (install_seq(r->state_fd, id) > r->reverted_min_seq)
                e = filter_journal(r, id);
        if (e < 0)
                return fail(r, 1, "cannot rewrite the journal of installation %s: %s", id, strerror(-e));
        struct bw_engine_options o2 = *r->o;
        o2.workspace = ws;
        o2.user = user;
        o2.json = false;
        snprintf(path, sizeof(path), "%s/installs/%s/plan", r->o->state_dir, id);
        fprintf(out, "~ re-applying the plan installed for %s, which may share what was reverted:\n", ws);
        return apply_plan(path, &o2, out, false, false);
}

/* Revert reports as it goes: copy what it writes to out into memory too, for the audit trail. */
struct tee {
        FILE *out, *copy;
};
static ssize_t tee_write(void *cookie, const char *buf, size_t n) {
        struct tee *t = cookie;
        fwrite(buf, 1, n, t->copy);
        return (ssize_t) fwrite(buf, 1, n, t->out);
}

static void audit_revert(const struct bw_engine_options *o, const char *which, bool all, const char *text, bool ok) {
        json_t *changes = json_array();
        size_t n = 0;
        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (len)
                        json_array_append_new(changes, json_stringn(p, len));
                n += len > 0;
                p = nl ? nl + 1 : NULL;
        }
        json_t *rec = json_pack("{s:s,s:s,s:s,s:n,s:o}", "action", "revert", "result", ok ? "ok" : "failed", "which",
                                all ? "--all" : which, "signer", "changes", changes);
        char summary[512];
        snprintf(summary, sizeof(summary), "revert %s of %s: %zu lines of changes", ok ? "done" : "FAILED",
                 all ? "every installation" : which, n);
        audit_append(o, rec, summary);
        json_decref(rec);
}

int bw_cmd_revert(const char *which, bool all, const struct bw_engine_options *o, FILE *real_out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        if (geteuid() != 0) {
                run_done(&r);
                return fail(&r, 1, "revert changes users, ACLs and the firewall: run it as root");
        }
        if (!which && !all) {
                run_done(&r);
                return fail(&r, 1, "say which plan to revert (a plan ID from 'bulwark status') or --all");
        }
        int ret = open_state(&r, false);
        if (ret == -ENOENT) {
                fprintf(real_out, "bulwark: nothing is installed\n");
                run_done(&r);
                return 0;
        }
        char *text = NULL;
        size_t text_len = 0;
        struct tee t = {real_out, open_memstream(&text, &text_len)};
        FILE *out = t.copy ? fopencookie(&t, "w", (cookie_io_functions_t){.write = tee_write}) : NULL;
        if (!out) {
                if (t.copy)
                        fclose(t.copy);
                free(text);
                run_done(&r);
                return fail(&r, 1, "out of memory");
        }
        int lock = ret ? -1 : acquire_lock(&r);
        if (ret == 0 && lock < 0)
                ret = 1;
        bool began = ret == 0; /* past the refusals: the audit trail records this revert */
        size_t matched = 0;
        if (ret == 0)
                ret = for_each_install(&r, all ? NULL : which, revert_one, out, &matched);
        if (ret == 0 && !all && matched == 0)
                ret = fail(&r, 1, "no installed plan matches %s (see 'bulwark status')", which);
        if (ret == 0 && r.n_restored && count_installs(r.state_fd) > 0) {
                /* Objects this revert put back may be shared with an installation that remains
                 * (the default profile makes /tmp writable for every workspace): re-apply those,
                 * with their records of the reverted objects dropped, since what they recorded as
                 * "before" was this installation's state, not the original. */
                qsort(r.restored, r.n_restored, sizeof(*r.restored), str_cmp);
                size_t again = 0;
                ret = for_each_install(&r, NULL, reapply_one, out, &again);
        }
        if (ret == 0 && count_installs(r.state_fd) == 0)
                ret = revert_shared(&r, out);
        else if (ret == 0)
                ret = release_unused(&r, out, false);
        fclose(out);
        fclose(t.copy);
        if (began && (matched || all))
                audit_revert(o, which, all, text, ret == 0);
        free(text);
        if (lock >= 0)
                close(lock);
        run_done(&r);
        return ret;
}

/* ---- status ---- */

static int read_bindings_signer(int state_fd, const char *id, char *ws, char *user, size_t n, char *signer,
                                size_t signer_size) {
        char p[96];
        snprintf(p, sizeof(p), "installs/%s/bindings", id);
        _cleanup_free_ struct bw_install_bindings *b = malloc(sizeof(*b));
        if (!b)
                return -ENOMEM;
        int e = bw_bindings_read(state_fd, p, b);
        if (e < 0)
                return e;
        snprintf(ws, n, "%s", b->workspace);
        snprintf(user, n, "%s", b->user);
        if (signer)
                snprintf(signer, signer_size, "%s", b->signer);
        return 0;
}

static int read_bindings(int state_fd, const char *id, char *ws, char *user, size_t n) {
        return read_bindings_signer(state_fd, id, ws, user, n, NULL, 0);
}

struct status {
        FILE *out;
        unsigned drift;
        unsigned unreadable; /* without root: what could not be read (not drift) */
        json_t *installs;    /* --json: the installations, for one compliance document */
};

static int status_one(struct run *parent, const char *id, void *userdata) {
        struct status *sv = userdata;
        FILE *out = sv->out;
        char ws[PATH_MAX], user[PATH_MAX], path[PATH_MAX], signer[1024];
        if (read_bindings_signer(parent->state_fd, id, ws, user, sizeof(ws), signer, sizeof(signer)) < 0) {
                if (parent->o->json)
                        json_array_append_new(sv->installs,
                                              json_pack("{s:s,s:b,s:s}", "installation", id, "effective", 0, "error",
                                                        "its bindings file is missing or damaged"));
                else
                        fprintf(out, "! install %s: its bindings file is missing or damaged\n", id);
                sv->drift++;
                return 0;
        }
        struct bw_engine_options o = *parent->o;
        o.workspace = ws;
        o.user = user;
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = &o, .state_fd = -1, .dry_run = true};
        snprintf(path, sizeof(path), "%s/installs/%s/plan", parent->o->state_dir, id);
        int ret = load_plan(&r, path);
        if (ret == 0)
                ret = dry_run_all(&r);
        if (ret == 0) {
                /* the installed plan's own record is not drift: converge_install is not asked. Without
                 * root, what could not be read (the ruleset, ACLs of files the caller cannot reach)
                 * is unknown, not drift: it is listed and counted apart. */
                bool root = geteuid() == 0;
                unsigned unreadable = root ? 0 : r.unknown + (unsigned) r.acl_errors;
                unsigned drift = r.adds + r.changes + r.removes + (root ? r.unknown : 0);
                sv->unreadable += unreadable;
                /* Moved protected objects are not drift: they are protected more than their names
                 * call for, and apply leaves them so. They are listed apart ("kept"). */
                if (o.json) {
                        json_t *drifted = json_array(), *kept = json_array();
                        for (size_t i = 0; i < r.n_lines; i++)
                                json_array_append_new(r.lines[i].op == '!' ? kept : drifted,
                                                      change_json(&r, &r.lines[i]));
                        json_t *inst =
                                json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:i,s:o,s:i,s:o}", "installation", id, "plan",
                                          r.plan->id, "workspace", ws, "user", user, "signer", signer, "effective",
                                          drift == 0 && unreadable == 0, "drifted_entries", (int) drift, "drifted",
                                          drifted, "kept_entries", (int) r.kept, "kept", kept);
                        if (unreadable)
                                json_object_set_new(inst, "unreadable_entries", json_integer(unreadable));
                        json_array_append_new(sv->installs, inst);
                } else {
                        char unknown[160];
                        snprintf(unknown, sizeof(unknown),
                                 "NOT VERIFIED: %u thing%s cannot be read without root (run sudo bulwark status):",
                                 unreadable, unreadable == 1 ? "" : "s");
                        fprintf(out, "%s plan %s  installation %s  workspace %s  user %s  signer %s: %s\n",
                                drift        ? "!"
                                : unreadable ? "?"
                                             : "=",
                                r.plan->id, id, ws, user, signer,
                                drift        ? "DRIFTED, apply it again to restore:"
                                : unreadable ? unknown
                                : r.kept     ? "in force; moved protected objects keep their protection:"
                                             : "in force");
                        if (drift || unreadable)
                                print_changes(&r, out);
                        else
                                for (size_t i = 0; i < r.n_lines; i++)
                                        if (r.lines[i].op == '!')
                                                print_line(&r.lines[i], out);
                }
                sv->drift += drift;
        } else
                sv->drift++;
        run_done(&r);
        return ret ? 1 : 0;
}

static json_t *doctor_report(const struct bw_engine_options *o, FILE *out, bool text);

int bw_cmd_status(const struct bw_engine_options *o, FILE *out) {
        struct run r = {.state_sum_lock = PTHREAD_MUTEX_INITIALIZER, .o = o, .state_fd = -1};
        int ret = open_state(&r, false);
        struct status st = {.out = out, .installs = json_array()}, *sv = &st;
        if (ret == 0 && count_installs(r.state_fd) > 0) {
                /* Without root the lock cannot be taken (it is root's): read without it, saying so;
                 * status changes nothing. */
                bool root = geteuid() == 0;
                int lock = root ? acquire_lock(&r) : -1;
                if (!root && !o->json)
                        fprintf(stderr, "bulwark: not root: reading without the state lock; what only root can read "
                                        "is listed as unknown, not as drift (sudo bulwark status checks everything)\n");
                if (root && lock < 0)
                        ret = 1;
                else {
                        size_t matched = 0;
                        ret = for_each_install(&r, NULL, status_one, sv, &matched) ? 1 : 0;
                        if (lock >= 0)
                                close(lock);
                }
        } else if (ret == -ENOENT || ret == 0) {
                ret = 0;
                if (!o->json)
                        fprintf(out, "bulwark: no plan is installed\n");
        } else
                ret = 1;
        if (o->json && ret == 0) {
                /* One document a fleet manager can collect: compliant means every installation is
                 * in force as applied. */
                json_t *doc = json_pack("{s:b,s:i,s:o,s:o}", "compliant", sv->drift == 0 && sv->unreadable == 0,
                                        "installed", (int) json_array_size(sv->installs), "installations", sv->installs,
                                        "host", doctor_report(o, NULL, false));
                sv->installs = NULL;
                char *txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fprintf(out, "%s\n", txt);
                free(txt);
                json_decref(doc);
        }
        json_decref(sv->installs);
        sv->installs = NULL;
        run_done(&r);
        if (ret)
                return 1;
        if (sv->drift)
                return 2;
        if (sv->unreadable) {
                fprintf(stderr,
                        "bulwark: %u thing%s could not be read without root: not verified (exit 1); run sudo "
                        "bulwark status\n",
                        sv->unreadable, sv->unreadable == 1 ? "" : "s");
                return 1;
        }
        return 0;
}

/* ---- doctor ---- */

/* The directories whose file systems matter: the current directory, /tmp, and every root of
 * every installed plan. */
static size_t doctor_dirs(const struct bw_engine_options *o, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        const char *fixed[] = {".", "/tmp"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(fixed); i++) {
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(fixed[i]);
        }
        int sfd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ifd = sfd < 0 ? -1 : openat(sfd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = ifd < 0 ? NULL : fdopendir(ifd);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char ws[PATH_MAX], user[PATH_MAX];
                if (de->d_name[0] == '.' || read_bindings(sfd, de->d_name, ws, user, sizeof(ws)) < 0)
                        continue;
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(ws);
        }
        if (d)
                closedir(d);
        if (sfd >= 0)
                close(sfd);
        *ret = v;
        return n;
}

/* Can an unprivileged process make the runner's namespaces? Tried for real, in a child that
 * (when we are root) first becomes nobody: a distribution can restrict user namespaces in ways
 * no sysctl alone tells. Returns 0 or the errno of the failure. */
static int probe_sandbox_namespaces(void) {
        pid_t p = fork();
        if (p == 0) {
                if (getuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                      setresuid(65534, 65534, 65534) < 0))
                        _exit(EPERM);
                _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) < 0 ? errno : 0);
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st))
                return EIO;
        return WEXITSTATUS(st);
}

/* What this host can enforce, as JSON; with text, also printed as lines on out. */
static json_t *doctor_report(const struct bw_engine_options *o, FILE *out, bool text) {
        char err[512] = "";
        uid_t none = 4294967294u;
        enum bw_fw_state fw = bw_fw_inspect(&none, 1, err, sizeof(err));
        long abi = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
        int abi_errno = errno;
        int userns = -1;
        FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
        if (f) {
                if (fscanf(f, "%d", &userns) != 1)
                        userns = -1;
                fclose(f);
        }
        int ns_err = probe_sandbox_namespaces();
        char runner[PATH_MAX], rerr[512] = "";
        struct bw_runner_state rs;
        int rfd = bw_runner_locate(o->runner, runner, sizeof(runner)) < 0
                          ? -EINVAL
                          : bw_runner_open(runner, &rs, rerr, sizeof(rerr));
        bool runner_ok = rfd >= 0 && bw_runner_is_current(&rs);
        if (rfd >= 0)
                close(rfd);
        char runner_detail[PATH_MAX + 600];
        snprintf(runner_detail, sizeof(runner_detail), "%s: %s", runner,
                 rfd < 0     ? rerr
                 : runner_ok ? "cap_setgid,cap_setuid=ep: elevated mode available where a plan is installed"
                             : "no capabilities yet: unelevated mode only until `sudo bulwark apply`");
        json_t *j = json_object(), *acls = json_array();
        json_object_set_new(j, "sandbox_namespaces", json_string(ns_err ? strerror(ns_err) : "available"));
        json_object_set_new(j, "runner",
                            json_pack("{s:s,s:b,s:s}", "path", runner, "elevated", runner_ok, "detail", runner_detail));
        /* without root the ruleset cannot be read: that says nothing about nftables itself */
        bool fw_needs_root = fw == BW_FW_UNKNOWN && geteuid() != 0;
        if (fw_needs_root)
                snprintf(err, sizeof(err), "needs root to read the ruleset (run `sudo bulwark doctor`)");
        json_object_set_new(j, "nftables",
                            json_string(fw_needs_root         ? "needs root to read"
                                        : fw == BW_FW_UNKNOWN ? "unavailable"
                                                              : "available"));
        if (fw == BW_FW_UNKNOWN)
                json_object_set_new(j, "nftables_error", json_string(err));
        json_object_set_new(j, "landlock_abi", json_integer(abi > 0 ? abi : 0));
        json_object_set_new(j, "user_namespaces",
                            json_string(userns > 0    ? "enabled"
                                        : userns == 0 ? "disabled"
                                                      : "unknown"));
        /* What an offline run can still reach: pathname unix sockets (Landlock restricts them from
         * ABI 9; before, the runner hides those the host has bound when a run starts) */
        const char *sockets = abi >= 9 ? "restricted by Landlock (ABI 9): only under the writable roots"
                                       : "Landlock before ABI 9: the sockets bound when a run starts are hidden; "
                                         "one bound later, or in a directory the runner cannot see, stays reachable";
        json_object_set_new(j, "unix_sockets_offline", json_string(sockets));
        /* memory and CPU limits need a cgroup delegated to the caller with no other process in it */
        const char *cgroups = "memory and cpu limits are not enforced by the runner (no delegated cgroup for a "
                              "login shell; run under `systemd-run --user --scope -p MemoryMax=...`); processes "
                              "and tmpfs sizes are";
        json_object_set_new(j, "resource_limits", json_string(cgroups));
        if (text) {
                fprintf(out, "nftables:        %s\n",
                        fw == BW_FW_UNKNOWN ? err : "available (the ruleset can be read)");
                fprintf(out, "unix sockets:    offline, %s\n", sockets);
                fprintf(out, "limits:          %s\n", cgroups);
                if (abi > 0)
                        fprintf(out, "Landlock:        ABI %ld\n", abi);
                else
                        fprintf(out, "Landlock:        not available (%s)\n", strerror(abi_errno));
                fprintf(out, "user namespaces: %s\n",
                        userns > 0    ? "enabled"
                        : userns == 0 ? "disabled (user.max_user_namespaces = 0)"
                                      : "unknown");
                if (ns_err)
                        fprintf(out,
                                "bulwark run:     no user namespaces for unprivileged users (%s): runs get "
                                "Landlock, seccomp and no_new_privs only (and ACLs and the firewall when "
                                "elevated)\n",
                                strerror(ns_err));
                else
                        fprintf(out, "bulwark run:     user, mount, pid and network namespaces available\n");
                fprintf(out, "runner:          %s\n", runner_detail);
        }
        char **dirs;
        size_t n = doctor_dirs(o, &dirs);
        for (size_t i = 0; i < n; i++) {
                uint8_t buf[512];
                int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ssize_t r = fd < 0 ? -errno : bw_getxattrat(fd, ".", XATTR_ACCESS, buf, sizeof(buf));
                if (fd >= 0)
                        close(fd);
                const char *verdict = r >= 0 || r == -ENODATA ? "supported"
                                      : r == -EOPNOTSUPP      ? "NOT supported by this file system"
                                                              : strerror((int) -r);
                if (!text)
                        json_array_append_new(acls, json_pack("{s:s,s:b,s:s}", "path", dirs[i], "posix_acls",
                                                              r >= 0 || r == -ENODATA, "detail", verdict));
                else
                        fprintf(out, "POSIX ACLs:      %-30s %s\n", dirs[i], verdict);
                free(dirs[i]);
        }
        free(dirs);
        json_object_set_new(j, "acl_support", acls);
        return j;
}

int bw_cmd_doctor(const struct bw_engine_options *o, FILE *out) {
        json_t *j = doctor_report(o, out, !o->json);
        if (o->json) {
                char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fprintf(out, "%s\n", s);
                free(s);
        }
        json_decref(j);
        return 0;
}
