/* SPDX-License-Identifier: MIT */
/*
 * The operations of bw_backend_windows that act through win_ops.h (backend_windows.h): the
 * principals' names and lookup; the plan's access entries (targets_converge: bw_win_translate and
 * bw_win_apply_targets, each DACL journaled by the engine before it is written, and the
 * installation's record installs/ID/windows) and acl_restore; and the operations not implemented
 * on Windows yet, each failing with -ENOTSUP and a sentence naming it. Pure (no Win32 call): the
 * native build runs the engine over them with the recording fake
 * (tests/windows/engine_windows_fake.c); bulwark.exe over the real table (main_windows.c calls
 * bw_winbe_use_ops).
 */
#include "backend_windows.h"

#include "journal.h"
#include "util.h"
#include "win_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct bw_win_ops *cur_ops;
static int cur_state_fd = -1;

void bw_winbe_use_ops(const struct bw_win_ops *ops) {
        cur_ops = ops;
}

void bw_winbe_use_state(int state_fd) {
        cur_state_fd = state_fd;
}

static const struct bw_win_ops *ops(void) {
        if (!cur_ops)
                abort(); /* bw_winbe_use_ops was not called: a program error, not a host's */
        return cur_ops;
}

#define NOT_YET(what)                                                                                                  \
        "%s is not implemented on Windows yet (issue #13): nothing was changed; this host cannot be enforced "         \
        "by this bulwark.exe",                                                                                         \
                what

static int not_yet(char *err, size_t err_size, const char *what) {
        if (err && err_size)
                snprintf(err, err_size, NOT_YET(what));
        return -ENOTSUP;
}

/* -- principals -- */

int bw_winbe_account_name(uint32_t role, const char *user, char out[33]) {
        char n[BW_WIN_ACCOUNT_MAX + 1];
        int e = bw_win_account_name(role, user, n);
        if (e == 0)
                snprintf(out, 33, "%s", n);
        return e;
}

/* A local account's id: the RID, its SID's last sub-authority. 1 found, 0 absent. */
int bw_winbe_account_rid(const char *name, uint32_t *ret_id, char *comment, size_t comment_size) {
        struct bw_win_sid sid;
        if (!name || !name[0] || ops()->account_sid(ops()->ctx, name, &sid, comment, comment_size) < 0 ||
            sid.n_sub == 0)
                return 0;
        *ret_id = sid.sub[sid.n_sub - 1];
        return 1;
}

/* The plan's read group, as the engine bound it (NULL if the plan names none). */
static const char *read_group(const struct bw_plan *p, const char *const names[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++)
                if (p->principals[i].role == BW_ROLE_SANDBOX_GROUP && names[i] && names[i][0])
                        return names[i];
        return NULL;
}

/* Is user i of the plan in its read group? (What cannot be read counts as not.) */
static bool in_read_group(const struct bw_plan *p, const char *const names[32], uint32_t i) {
        const char *g = read_group(p, names);
        return !g || ops()->group_has_member(ops()->ctx, g, names[i], NULL, 0) == 1;
}

void bw_winbe_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                              struct bw_account_state st[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                char comment[512] = "", want[512] = "";
                uint32_t id;
                st[i] = (struct bw_account_state){.id = -1};
                if (bw_winbe_account_rid(names[i], &id, comment, sizeof(comment)) > 0) {
                        st[i].exists = true;
                        st[i].id = id;
                        st[i].members_ok =
                                p->principals[i].kind != BW_PRINCIPAL_SYSTEM_USER || in_read_group(p, names, i);
                        bw_win_account_comment(p->principals[i].role, real_user, want, sizeof(want));
                        st[i].foreign = !bw_streq(comment, want);
                }
        }
}

int bw_winbe_group_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

int bw_winbe_user_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

/* secrets/NAME beneath the state directory: a sandbox user's password, DPAPI-protected for the
 * machine (CRYPTPROTECT_LOCAL_MACHINE: any local user could decrypt it, so the directory, made
 * by state_open, is SYSTEM's and Administrators' alone); the elevated front is to read it to
 * start a run as that user (not wired yet: SEAM.md). */
static int secret_path(const char *name, char *out, size_t size) {
        if (!name[0] || strchr(name, '/') || strchr(name, '\\') || name[0] == '.')
                return -EINVAL;
        snprintf(out, size, "secrets/%s", name);
        return 0;
}

static int secret_write(const char *name, const uint8_t *blob, size_t n) {
        char p[300], tmp[320];
        int r = secret_path(name, p, sizeof(p));
        if (r < 0)
                return r;
        if (cur_state_fd < 0)
                return -EBADF;
        /* secrets/ is state_open's to make (on Windows with a DACL no user but administrators may
         * read): one made here would inherit the state directory's Users entry */
        snprintf(tmp, sizeof(tmp), "%s.new", p);
        unlinkat(cur_state_fd, tmp, 0);
        int fd = openat(cur_state_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        size_t off = 0;
        while (r == 0 && off < n) {
                ssize_t w = write(fd, blob + off, n - off);
                if (w < 0 && errno != EINTR)
                        r = -errno;
                else if (w > 0)
                        off += (size_t) w;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(cur_state_fd, tmp, cur_state_fd, p) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(cur_state_fd, tmp, 0);
        return r;
}

static void secret_remove(const char *name) {
        char p[300];
        if (cur_state_fd >= 0 && secret_path(name, p, sizeof(p)) == 0)
                unlinkat(cur_state_fd, p, 0);
}

/* A sandbox user (its password made, kept with DPAPI in secrets/NAME first, so that no account of
 * bulwark's exists without one) in the plan's read group, or the read group itself. The engine has
 * journaled the creation: revert removes both (account_remove). */
int bw_winbe_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                            char *err, size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = names[index];
        char comment[300];
        bw_win_account_comment(pr->role, real_user, comment, sizeof(comment));
        if (pr->kind == BW_PRINCIPAL_SYSTEM_GROUP)
                return ops()->group_add(ops()->ctx, name, comment, err, err_size);
        if (pr->kind != BW_PRINCIPAL_SYSTEM_USER)
                return not_yet(err, err_size, "creating this kind of principal");
        char pw[25];
        uint8_t *blob = NULL;
        size_t blob_n = 0;
        int r = bw_win_make_password(ops(), pw);
        if (r == 0 && (r = ops()->protect(ops()->ctx, (const uint8_t *) pw, strlen(pw), &blob, &blob_n)) < 0)
                snprintf(err, err_size, "cannot protect the password of %s with DPAPI: %s", name, strerror(-r));
        if (r == 0 && (r = secret_write(name, blob, blob_n)) < 0)
                snprintf(err, err_size, "cannot keep the password of %s in the state directory (secrets/%s): %s", name,
                         name, strerror(-r));
        free(blob);
        if (r == 0 && (r = ops()->user_add(ops()->ctx, name, pw, comment, err, err_size)) < 0)
                secret_remove(name);
        memset(pw, 0, sizeof(pw));
        const char *g = read_group(p, names);
        if (r == 0 && g && (r = ops()->group_add_member(ops()->ctx, g, name, err, err_size)) == -EEXIST)
                r = 0;
        return r;
}

int bw_winbe_group_create(const char *name, char *err, size_t err_size) {
        (void) name;
        return not_yet(err, err_size, "creating a group");
}

void bw_winbe_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                                     size_t size) {
        const char *g = read_group(p, names);
        snprintf(out, size, "%s", g && !in_read_group(p, names, index) ? g : "");
}

int bw_winbe_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                                 size_t err_size) {
        const char *g = read_group(p, names);
        if (!g || in_read_group(p, names, index))
                return 0;
        int r = ops()->group_add_member(ops()->ctx, g, names[index], err, err_size);
        return r == -EEXIST ? 0 : r;
}

/* Does the account certainly not exist (LookupAccountName says so; another failure is not taken
 * as absence)? */
static bool account_absent(const char *name) {
        struct bw_win_sid sid;
        return name && name[0] && ops()->account_sid(ops()->ctx, name, &sid, NULL, 0) == -ENOENT;
}

/* Remove a user or group bulwark made (the engine calls this only for creations it journaled), and
 * a user's kept password. An account that does not exist has nothing to remove. */
int bw_winbe_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        if (account_absent(name)) {
                secret_remove(name);
                return 0;
        }
        int r = is_group ? ops()->group_del(ops()->ctx, name, err, err_size)
                         : ops()->user_del(ops()->ctx, name, err, err_size);
        if (r == -ENOENT)
                r = 0;
        if (r == 0 && !is_group)
                secret_remove(name);
        return r;
}

int bw_winbe_account_leave_group(const char *user, const char *group, char *err, size_t err_size) {
        if (account_absent(user) || account_absent(group))
                return 0; /* no such membership */
        int r = ops()->group_del_member(ops()->ctx, group, user, err, err_size);
        return r == -ENOENT ? 0 : r; /* not a member (any more): nothing to take back */
}

/* -- network filter -- */

enum bw_fw_state bw_winbe_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) ids;
        (void) n;
        not_yet(err, err_size, "reading bulwark's firewall rules");
        return BW_FW_UNKNOWN;
}

int bw_winbe_fw_save(char *buf, size_t size) {
        if (size)
                buf[0] = 0;
        return -ENOTSUP;
}

int bw_winbe_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        (void) ids;
        (void) n;
        return not_yet(err, err_size, "the offline users' firewall rules");
}

int bw_winbe_fw_restore(const char *text, char *err, size_t err_size) {
        (void) text;
        return not_yet(err, err_size, "restoring firewall rules");
}

int bw_winbe_fw_remove(char *err, size_t err_size) {
        return not_yet(err, err_size, "removing bulwark's firewall rules");
}

/* -- objects' access entries -- */

int bw_winbe_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                           struct bw_tree_stats *st) {
        (void) tp;
        st->errors++;
        if (o->on_error) {
                char msg[600];
                snprintf(msg, sizeof(msg), NOT_YET("reading and writing the plan's access entries"));
                o->on_error(o->error_ctx, root, "", msg, -ENOTSUP);
        }
        return -ENOTSUP;
}

/* Put back the descriptor bytes journaled before bulwark's first change, on the same object (file
 * ID) only. Only the DACL is written (set_dacl): the owner and group in those bytes were never
 * changed. */
int bw_winbe_acl_restore(const struct bw_journal_acl *a) {
        if (!a->had_before || !a->before || a->root_len == 0)
                return -EBADMSG; /* targets_converge journals every object with its prior bytes */
        _cleanup_free_ char *path = malloc(a->root_len + 1 + a->rel_len + 1);
        if (!path)
                return -ENOMEM;
        memcpy(path, a->root, a->root_len);
        size_t n = a->root_len;
        if (a->rel_len) {
                path[n++] = '/';
                memcpy(path + n, a->rel, a->rel_len);
                n += a->rel_len;
        }
        path[n] = 0;
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        int r = ops()->open_object(ops()->ctx, path, true, &h, &info, NULL, 0);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (info.reparse || info.file_id != a->ino) {
                /* another object took the name since: not the one bulwark changed */
                ops()->close_handle(ops()->ctx, h);
                return 0;
        }
        r = ops()->set_dacl(ops()->ctx, h, a->before, a->before_len, NULL, 0);
        ops()->close_handle(ops()->ctx, h);
        return r < 0 ? r : 1;
}

/* -- targets_converge: the installation's record and the plan's targets -- */

#define RECORD_MAX (1u << 20)

/* Read installs/ID/windows: 0 (ret filled), -ENOENT, -EBADMSG (damaged), other errno. */
static int record_read(int state_fd, const char *id, struct bw_win_install *ret) {
        char p[96];
        snprintf(p, sizeof(p), "installs/%s/windows", id);
        if (state_fd < 0)
                return -ENOENT;
        _cleanup_close_ int fd = openat(state_fd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        _cleanup_free_ char *text = malloc(RECORD_MAX + 1);
        if (!text)
                return -ENOMEM;
        ssize_t n = bw_read_full(fd, text, RECORD_MAX);
        if (n < 0)
                return (int) n;
        if ((size_t) n == RECORD_MAX)
                return -EBADMSG;
        text[n] = 0;
        return bw_win_install_decode(text, ret);
}

/* Write installs/ID/windows durably (a new file renamed over the old one). */
static int record_write(int state_fd, const struct bw_win_install *in) {
        char p[96], tmp[112];
        snprintf(p, sizeof(p), "installs/%s/windows", in->id);
        snprintf(tmp, sizeof(tmp), "installs/%s/windows.new", in->id);
        _cleanup_free_ char *text = NULL;
        int r = bw_win_install_encode(in, &text);
        if (r < 0)
                return r;
        unlinkat(state_fd, tmp, 0);
        int fd = openat(state_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text), off = 0;
        while (r == 0 && off < len) {
                ssize_t w = write(fd, text + off, len - off);
                if (w < 0 && errno != EINTR)
                        r = -errno;
                else if (w > 0)
                        off += (size_t) w;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(state_fd, tmp, state_fd, p) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(state_fd, tmp, 0);
        return r;
}

/* The other installations' records (their entries are kept where they want them too). */
static size_t others_read(int state_fd, const char *skip_id, struct bw_win_install **ret) {
        *ret = NULL;
        if (state_fd < 0)
                return 0;
        int dfd = openat(state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0;
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));) {
                if (e->d_name[0] == '.' || bw_streq(e->d_name, skip_id) || strlen(e->d_name) != 16)
                        continue;
                struct bw_win_install x = {0};
                if (record_read(state_fd, e->d_name, &x) < 0)
                        continue;
                struct bw_win_install *m = realloc(*ret, (n + 1) * sizeof(*m));
                if (!m) {
                        bw_win_install_done(&x);
                        break;
                }
                *ret = m;
                m[n++] = x;
        }
        closedir(d);
        return n;
}

/* What targets_converge's journal hook needs. */
struct target_ctx {
        const struct bw_tree_options *o;
};

/* Each DACL record goes to the engine's journal before it is written (bw_win_journal.on_add). */
static int journal_to_engine(void *ctx, const struct bw_win_rec *rec) {
        const struct target_ctx *c = ctx;
        if (rec->kind != BW_WIN_REC_DACL)
                return -EINVAL; /* targets_converge makes no other kind */
        struct bw_acl_change ch = {.root = rec->path,
                                   .rel = "",
                                   .attr = "DACL",
                                   .ino = rec->file_id,
                                   .before = rec->before,
                                   .before_len = rec->before_n,
                                   .after = rec->after,
                                   .after_len = rec->after_n};
        return c->o->on_batch ? c->o->on_batch(c->o->userdata, &ch, 1) : 0;
}

static void say(const struct bw_tree_options *o, const char *path, const char *what, int e) {
        if (o->on_error)
                o->on_error(o->error_ctx, path, "", what, e);
}

/* The installation's accounts as the engine bound them (names[i] for the plan's principal i; the
 * read group's SID is in the entries). In a dry run before they exist, an account is the null SID:
 * every target then shows as a change, as on Linux with unknown ids. */
static int install_accounts(struct bw_win_install *in, const struct bw_plan *p, const char *const names[32],
                            bool dry_run, char *err, size_t err_size) {
        static const uint32_t roles[3] = {BW_ROLE_SANDBOX_GROUP, BW_ROLE_OFFLINE, BW_ROLE_ONLINE};
        char *dst[3] = {in->group, in->offline, in->online};
        size_t max[3] = {BW_WIN_GROUP_MAX, BW_WIN_ACCOUNT_MAX, BW_WIN_ACCOUNT_MAX};
        struct bw_win_sid *sids[3] = {&in->group_sid, &in->offline_sid, &in->online_sid};
        for (int k = 0; k < 3; k++) {
                const char *name = NULL;
                for (uint32_t i = 0; i < p->n_principals && i < 32 && !name; i++)
                        if (p->principals[i].role == roles[k] && names[i] && names[i][0])
                                name = names[i];
                if (!name) {
                        if (roles[k] == BW_ROLE_SANDBOX_GROUP) {
                                snprintf(err, err_size,
                                         "the plan names no sandbox group: its entries have no one "
                                         "to name (recompile it with this bulwarkc)");
                                return -EINVAL;
                        }
                        continue; /* a plan without that user: nothing of it in the entries */
                }
                if (strlen(name) > max[k]) {
                        snprintf(err, err_size, "the account name %s is too long for Windows", name);
                        return -ENAMETOOLONG;
                }
                snprintf(dst[k], max[k] + 1, "%s", name);
                int r = ops()->account_sid(ops()->ctx, name, sids[k], NULL, 0);
                if (r < 0 && dry_run)
                        r = bw_win_sid_from_string("S-1-0-0", sids[k]);
                if (r < 0) {
                        snprintf(err, err_size, "the account %s cannot be looked up (%s): apply creates it first", name,
                                 strerror(-r));
                        return r;
                }
        }
        return 0;
}

int bw_winbe_targets_converge(const struct bw_plan *p, const char *const names[32], const struct bw_bindings *b,
                              const char *install_id, int state_fd, const struct bw_tree_options *o,
                              struct bw_tree_stats *st, char *err, size_t err_size) {
        const char *user = b->value[BW_VAR_USER];
        if (!user || !user[0] || !install_id || strlen(install_id) != 16) {
                snprintf(err, err_size, "no user or installation to converge the entries for");
                return -EINVAL;
        }
        struct bw_win_install in = {0};
        int r = record_read(state_fd, install_id, &in);
        if (r == -EBADMSG) {
                snprintf(err, err_size,
                         "installs/%s/windows (the installation's roots and accounts) is damaged: nothing was "
                         "changed; revert %s, or restore the file from a backup",
                         install_id, install_id);
                return r;
        }
        if (r < 0 && r != -ENOENT) {
                snprintf(err, err_size, "cannot read installs/%s/windows: %s", install_id, strerror(-r));
                return r;
        }
        if (r == 0 && !bw_streq(in.user, user)) {
                snprintf(err, err_size, "installs/%s/windows is for the user %s, not %s: nothing was changed",
                         install_id, in.user, user);
                bw_win_install_done(&in);
                return -EBADMSG;
        }
        snprintf(in.id, sizeof(in.id), "%s", install_id);
        snprintf(in.user, sizeof(in.user), "%s", user);
        struct bw_win_install *others = NULL;
        size_t n_others = 0;
        struct bw_win_translation t = {0};
        struct bw_win_report rep = {0};
        struct target_ctx tc = {.o = o};
        struct bw_win_journal j = {.on_add = journal_to_engine, .on_add_ctx = &tc};
        r = install_accounts(&in, p, names, o->dry_run, err, err_size);
        if (r == 0)
                r = bw_win_translate(p, b, &in, ops(), &t, err, err_size);
        for (size_t i = 0; r == 0 && i < t.n_warnings; i++) {
                /* a rule that is not enforced here is said, and counted: apply does not pass for done */
                say(o, t.warnings[i], "not enforced on Windows", -ENOTSUP);
                st->errors++;
        }
        /* The roots' SIDs are durable before any entry names them. */
        if (r == 0 && !o->dry_run && (r = record_write(state_fd, &in)) < 0)
                snprintf(err, err_size, "cannot write installs/%s/windows: %s", install_id, strerror(-r));
        if (r == 0) {
                n_others = others_read(state_fd, install_id, &others);
                r = bw_win_apply_targets(&in, others, n_others, &t, ops(), &j, o->dry_run, &rep);
                if (r < 0)
                        snprintf(err, err_size, "%s",
                                 j.failed            ? "the journal could not be written: nothing more was changed"
                                 : rep.last_error[0] ? rep.last_error
                                                     : strerror(-r));
        }
        /* Read grants: made here, one after the other (the background thread of windows.md is not
         * wired yet); a dry run leaves them to apply. */
        unsigned granted = 0, failed = 0;
        if (r == 0 && !o->dry_run && rep.read_grants_queued) {
                struct bw_win_read_worker w;
                r = bw_win_read_worker_init(&w, &in, &t, ops(), &j);
                while (r == 0 && !j.failed && bw_win_read_worker_step(&w, 64) > 0)
                        ;
                granted = w.granted;
                failed = w.failed;
                if (r == 0 && j.failed) {
                        r = j.failed;
                        snprintf(err, err_size, "the journal could not be written: nothing more was changed");
                }
                bw_win_read_worker_done(&w);
        }
        if (r == 0 && !o->dry_run && (r = record_write(state_fd, &in)) < 0)
                snprintf(err, err_size, "cannot write installs/%s/windows: %s", install_id, strerror(-r));
        if (rep.errors + failed)
                say(o, rep.last_error[0] ? rep.last_error : "(a target)", "could not be converged", -EIO);
        st->objects += rep.changed + rep.unchanged + rep.missing + rep.errors + granted + failed;
        st->changed += rep.changed + granted;
        st->unchanged += rep.unchanged;
        st->errors += rep.errors + failed;
        for (size_t i = 0; i < n_others; i++)
                bw_win_install_done(&others[i]);
        free(others);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        return r;
}

/* Nothing to grant: a restricted token keeps SeChangeNotifyPrivilege (bypass traverse checking),
 * so a run reaches a root through directories it cannot list (SEAM.md; to verify on Windows). */
int bw_winbe_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                            unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced) {
        (void) path;
        (void) as_uid;
        (void) gid;
        (void) replace;
        (void) n_replace;
        (void) dry_run;
        (void) journal;
        (void) ctx;
        *ret_replaced = false;
        return 0;
}

bool bw_winbe_shared_sticky(const char *path) {
        (void) path;
        return false; /* Windows has no sticky directories */
}

/* NTFS and ReFS keep ACLs (FILE_PERSISTENT_ACLS); FAT and exFAT do not. */
int bw_winbe_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size) {
        (void) path;
        *ret = (struct bw_runner_info){0};
        return not_yet(err, err_size, "checking who may replace bulwark-runner.exe");
}

int bw_winbe_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err, size_t err_size) {
        (void) path;
        (void) record;
        (void) record_len;
        return not_yet(err, err_size, "protecting bulwark-runner.exe");
}

int bw_winbe_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                            size_t err_size) {
        (void) record;
        (void) record_len;
        if (path_size)
                path_out[0] = 0;
        return not_yet(err, err_size, "restoring bulwark-runner.exe's descriptor");
}
