/* SPDX-License-Identifier: MIT */
/*
 * The state directory (see engine.h for its layout): opening it, its lock, the installations
 * and their bindings, the order they were applied in, the shared journal's records, and
 * rewriting an installation's journal without the records another revert restored.
 */
#include "engine_internal.h"

/* Open the state directory into r->state_fd: 0, -ENOENT (absent, !create), or another negative errno
 * (reported). */
int bw_state_open(struct run *r, bool create) {
        char err[PATH_MAX + 128] = "";
        int fd = BE(r)->state_open(r->o->state_dir, create, err, sizeof(err));
        if (fd == -ENOENT && !create)
                return -ENOENT;
        if (fd < 0)
                return bw_report_fail(r, fd, "%s", err);
        r->state_fd = fd;
        return 0;
}

static void lock_waiting(void *ctx) {
        const struct run *r = ctx;
        bw_report_note("another bulwark is changing this machine; waiting up to %u s", r->o->lock_timeout);
}

/* Take the state lock for a command, or say why not (nothing has been changed yet). Returns the
 * lock's handle or a negative errno. */
int bw_state_acquire_lock(struct run *r) {
        int fd = BE(r)->state_lock(r->state_fd, r->o->lock_timeout, lock_waiting, r);
        if (fd >= 0)
                return fd;
        const char *dir = r->o->state_dir;
        if (fd == -ETIMEDOUT)
                bw_report_fail(
                        r, fd,
                        "gave up after %u s: another bulwark still holds %s/lock (is an apply running?); nothing was "
                        "changed: run it again when that one has finished, or wait longer with --lock-timeout S",
                        r->o->lock_timeout, dir);
        else if (fd == -EBADFD)
                bw_report_fail(
                        r, fd,
                        "%s/lock is not a regular file, so no other bulwark can be kept out; nothing was changed: "
                        "remove it (rm -r %s/lock) and run the command again",
                        dir, dir);
        else
                bw_report_fail(
                        r, fd,
                        "cannot take the lock %s/lock: %s; nothing was changed: make %s a root-owned directory on a "
                        "writable file system (or give --state-dir DIR) and run the command again",
                        dir, strerror(-fd), dir);
        return fd;
}

/* Release the lock bw_state_acquire_lock took (a negative handle: none). */
void bw_state_release_lock(struct run *r, int lock) {
        if (lock >= 0)
                BE(r)->state_unlock(lock);
}

/* Did bulwark create this group (the shared journal says so)? */
bool bw_state_created_by_bulwark(const struct run *r, const char *name) {
        _cleanup_close_ int sfd =
                r->state_fd >= 0 ? dup(r->state_fd) : open(r->o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
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
        return found;
}

int bw_state_shared_record(struct run *r, uint32_t type, const uint8_t *payload, uint32_t len) {
        struct bw_journal j;
        int e = bw_journal_open(&j, r->state_fd, "shared.journal");
        if (e < 0)
                return e;
        struct bw_journal_record rec = {type, payload, len};
        e = bw_journal_append(&j, &rec, 1);
        bw_journal_close(&j);
        return e;
}

int bw_state_account_record(struct run *r, const struct bw_journal_account *a) {
        uint32_t len = 0;
        int e = 0;
        _cleanup_free_ uint8_t *payload = bw_journal_account_encode(a, &len, &e);
        return payload ? bw_state_shared_record(r, BW_JOURNAL_ACCOUNT, payload, len) : e;
}

/* The names under installs/ (not starting with '.'), in directory order. Returns how many;
 * *ret is malloc()ed (bw_state_names_free), NULL when there are none or they cannot be read. */
size_t bw_state_list_installs(int state_fd, char ***ret) {
        *ret = NULL;
        int fd = openat(state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        char **v = NULL;
        size_t n = 0;
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                v = realloc(v, (n + 1) * sizeof(*v));
                if (!v || !(v[n] = strdup(de->d_name)))
                        abort();
                n++;
        }
        closedir(d);
        *ret = v;
        return n;
}

void bw_state_names_free(char **names, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The state directory opened to read installations (status and doctor without root, the
 * firewall's other users): the command's own fd if it has one, else a fresh read-only one.
 * Close with close(). */
int bw_state_open_read(const struct bw_engine_options *o, int state_fd) {
        return state_fd >= 0 ? dup(state_fd) : open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int bw_state_read_install_bindings(int state_fd, const char *id, struct bw_install_bindings *b) {
        char p[300];
        snprintf(p, sizeof(p), "installs/%s/bindings", id);
        return bw_bindings_read(state_fd, p, b);
}

/* An installation's file as text (bindings: to compare with what would be written), "" if it
 * cannot be read. */
void bw_state_read_install_text(int state_fd, const char *id, const char *file, char *buf, size_t size) {
        char p[300];
        snprintf(p, sizeof(p), "installs/%s/%s", id, file);
        buf[0] = 0;
        _cleanup_close_ int fd = state_fd < 0 ? -1 : openat(state_fd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                ssize_t n = bw_read_full(fd, buf, size - 1);
                buf[n > 0 ? n : 0] = 0;
        }
}

/* Record an installation: its bindings, and the plan itself unless it is there already. */
int bw_state_write_install(const struct run *r, const char *bindings, bool with_plan) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/installs/%s/bindings", r->o->state_dir, r->install_id);
        int e = bw_write_file_atomic(p, bindings, strlen(bindings), 0644);
        snprintf(p, sizeof(p), "%s/installs/%s/plan", r->o->state_dir, r->install_id);
        if (e == 0 && with_plan)
                e = bw_write_file_atomic(p, r->plan->data, r->plan->size, 0644);
        return e;
}

/* Make installs/ID (durably: the new directory entries must survive a crash before its journal
 * counts). 0, or negative errno. */
int bw_state_make_install(const struct run *r) {
        char dir[64];
        snprintf(dir, sizeof(dir), "installs/%s", r->install_id);
        if (mkdirat(r->state_fd, dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        _cleanup_close_ int ifd = openat(r->state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ifd >= 0)
                fsync(ifd);
        fsync(r->state_fd);
        return 0;
}

/* Remove a file of the state directory; 0 if it was not there. */
int bw_state_remove_file(int state_fd, const char *name) {
        return unlinkat(state_fd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
}

void bw_state_add_uid(uint32_t *uids, size_t *n, size_t max, uint32_t uid) {
        for (size_t k = 0; k < *n; k++)
                if (uids[k] == uid)
                        return;
        if (*n < max)
                uids[(*n)++] = uid;
}

/* The offline sandbox users of every installation but skip_id (NULL: all), as their bindings
 * name them (an installation from before per-user accounts: the shared bulwark-offline). */
void bw_state_offline_uids(const struct bw_engine_options *o, int state_fd, const char *skip_id, uint32_t *uids,
                           size_t *n, size_t max) {
        _cleanup_close_ int sfd = bw_state_open_read(o, state_fd);
        _cleanup_free_ struct bw_install_bindings *b = malloc(sizeof(*b));
        char **ids = NULL;
        size_t n_ids = sfd < 0 ? 0 : bw_state_list_installs(sfd, &ids);
        for (size_t i = 0; b && i < n_ids; i++) {
                if (strlen(ids[i]) != 16 || (skip_id && bw_streq(ids[i], skip_id)) ||
                    bw_state_read_install_bindings(sfd, ids[i], b) < 0)
                        continue;
                uint32_t uid;
                if (bw_be(o)->user_id(b->offline[0] ? b->offline : "bulwark-offline", &uid) > 0)
                        bw_state_add_uid(uids, n, max, uid);
        }
        bw_state_names_free(ids, n_ids);
}

/* Installations are numbered in the order they were first applied: revert undoes the newest
 * first, and knows whose journal recorded the true original of an object they share. */
uint64_t bw_state_install_seq(int state_fd, const char *id) {
        char p[96];
        snprintf(p, sizeof(p), "installs/%s/bindings", id);
        struct bw_install_bindings *b = malloc(sizeof(*b));
        uint64_t seq = b && bw_bindings_read(state_fd, p, b) == 0 ? b->seq : 0;
        free(b);
        return seq;
}

uint64_t bw_state_next_seq(int state_fd) {
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
                        bw_report_note("cannot save the installation counter: %s", strerror(errno));
                close(t);
                renameat(state_fd, "seq.new", state_fd, "seq");
        }
        return seq;
}

char *bw_state_acl_key(const struct bw_journal_acl *a) {
        char *k = NULL;
        bool root_only = a->rel_len == 0;
        bool slash = !root_only && !(a->root_len == 1 && a->root[0] == '/');
        if (asprintf(&k, "%c|%.*s%s%.*s", a->is_default ? 'D' : 'A', (int) a->root_len, a->root, slash ? "/" : "",
                     (int) a->rel_len, a->rel) < 0)
                abort();
        return k;
}

int bw_state_str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int bw_state_remove_install(int state_fd, const char *id) {
        char p[96];
        /* windows: the Windows backend's record of the installation (targets_converge), and
         * what a crash may have left of its rewrite */
        static const char *const files[] = {"plan", "bindings", "journal", "windows", "windows.new"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(files); i++) {
                snprintf(p, sizeof(p), "installs/%s/%s", id, files[i]);
                if (unlinkat(state_fd, p, 0) < 0 && errno != ENOENT)
                        return -errno;
        }
        snprintf(p, sizeof(p), "installs/%s", id);
        return unlinkat(state_fd, p, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

size_t bw_state_count_installs(int state_fd) {
        char **ids = NULL;
        size_t n = bw_state_list_installs(state_fd, &ids);
        bw_state_names_free(ids, n);
        return n;
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
int bw_state_for_each_install(struct run *r, const char *which, int (*fn)(struct run *, const char *, void *),
                              void *userdata, size_t *matched) {
        char **names = NULL;
        size_t n_names = bw_state_list_installs(r->state_fd, &names);
        struct install_ref *ids = calloc(n_names + 1, sizeof(*ids));
        size_t n = 0;
        if (!ids)
                abort();
        for (size_t i = 0; i < n_names; i++)
                if (strlen(names[i]) == 16) {
                        memcpy(ids[n].id, names[i], 17); /* 16 hex digits and the NUL */
                        ids[n].seq = bw_state_install_seq(r->state_fd, names[i]);
                        n++;
                }
        bw_state_names_free(names, n_names);
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
int bw_state_filter_journal(struct run *r, const char *id) {
        char jpath[96], tmp[112];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        snprintf(tmp, sizeof(tmp), "installs/%s/journal.new", id);
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(r->state_fd, jpath, &data, &recs, &n, &bad);
        if (e == -ENOENT)
                return 0;
        if (e < 0)
                return e;
        _cleanup_free_ struct bw_journal_record *keep = calloc(n + 1, sizeof(*keep));
        size_t nk = 0;
        if (!keep)
                abort();
        for (size_t i = 0; i < n; i++) {
                struct bw_journal_acl a;
                if (recs[i].type == BW_JOURNAL_ACL && bw_journal_acl_decode(recs[i].payload, recs[i].len, &a) == 0) {
                        char *k = bw_state_acl_key(&a);
                        bool drop = bsearch(&k, r->restored, r->n_restored, sizeof(char *), bw_state_str_cmp) != NULL;
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
        return e;
}

int bw_state_read_bindings_signer(int state_fd, const char *id, char *ws, char *user, size_t n, char *signer,
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

int bw_state_read_bindings(int state_fd, const char *id, char *ws, char *user, size_t n) {
        return bw_state_read_bindings_signer(state_fd, id, ws, user, n, NULL, 0);
}

/* Was the last apply of installation id interrupted (its journal has a BEGIN with no COMMIT
 * after it: killed, or the machine went down)? 1 yes (ws: the workspace it was for), 0 no,
 * negative errno (-ENOENT: no journal; -EACCES: not root). */
int bw_state_interrupted(int state_fd, const char *id, char *ws, size_t ws_size) {
        char jpath[96];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        _cleanup_free_ uint8_t *data = NULL;
        _cleanup_free_ struct bw_journal_record *recs = NULL;
        size_t n = 0;
        uint64_t bad = 0;
        int e = bw_journal_read(state_fd, jpath, &data, &recs, &n, &bad);
        if (e < 0)
                return e;
        const struct bw_journal_record *begin = NULL;
        for (size_t i = 0; i < n; i++)
                if (recs[i].type == BW_JOURNAL_BEGIN)
                        begin = &recs[i];
                else if (recs[i].type == BW_JOURNAL_COMMIT)
                        begin = NULL;
        if (!begin)
                return 0;
        ws[0] = 0;
        if (begin->len > 32)
                snprintf(ws, ws_size, "%.*s", (int) (begin->len - 32), (const char *) begin->payload + 32);
        return 1;
}
