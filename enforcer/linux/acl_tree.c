/* SPDX-License-Identifier: MIT */
#include "acl_tree.h"
#include "decision.h"
#include "path_template.h"
#include "strbuf.h"
#include "xattrat.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define XATTR_ACCESS "system.posix_acl_access"
#define XATTR_DEFAULT "system.posix_acl_default"
#define ACL_BUF (4 + 8 * BW_ACL_MAX_ENTRIES)
#define BATCH_MAX 256
/* Directories waiting in the shared queue hold an fd each: beyond this many, a worker walks a
 * subdirectory itself, depth first, so open fds stay bounded by the depth of the tree. */
#define QUEUE_MAX 64
/* A tree the sandbox made 100,000 levels deep must not exhaust the stack or the fds. */
#define DEPTH_MAX 2048

/* ---- converging one object ---- */

struct pending {
        struct bw_acl_change c;
        char *rel; /* owned copy behind c.rel */
        int fd;    /* the object itself, opened and checked when the change was queued */
        uint8_t before[ACL_BUF], after[ACL_BUF];
};

struct worker;

struct shared {
        const struct bw_tree_policy *tp;
        const struct bw_tree_options *o;
        const char *root;
        size_t root_len;
        dev_t dev;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct job *queue;
        size_t queued;
        unsigned busy;
        int failure;
        struct bw_tree_stats st;
        struct bw_acl_region *regions;
        uint64_t mnt_id;
        bool mnt_id_known;
        unsigned root_depth;
        size_t batch_limit; /* changes per batch: each holds an fd until the batch is written */
        /* progress (o->progress): every thread's counts, and when the next report is due */
        _Atomic uint64_t seen, changed;
        _Atomic int64_t next_report_ns;
        pthread_mutex_t progress_lock;
};

struct job {
        struct job *next;
        int fd; /* the directory, opened O_RDONLY|O_DIRECTORY */
        char *path;
        struct bw_decision inherited;
        unsigned depth;
        struct bw_acl_region *region;      /* the region this directory's changed children may join */
        struct bw_acl_region *kept_region; /* and the one its children that keep protection may join */
};

/* Field by field: the struct has padding. */
static bool same_wants(const struct bw_acl_want *a, const struct bw_acl_want *b, unsigned n) {
        for (unsigned i = 0; i < n; i++)
                if (a[i].tag != b[i].tag || a[i].id != b[i].id || a[i].perm != b[i].perm)
                        return false;
        return true;
}

/* The last ACL bytes a worker found already right, and the entries wanted then. */
struct ok_cache {
        uint8_t bytes[ACL_BUF];
        size_t len; /* 0: empty */
        struct bw_acl_want want[4];
        unsigned n_want;
        int kept; /* BW_KEPT_* that were right in these bytes */
};

struct worker {
        struct shared *sh;
        struct ok_cache ok[2];             /* [0] default ACL, [1] access ACL */
        pcre2_match_data *md;              /* this thread's: PCRE2 match data cannot be shared */
        uint32_t kind, rule;               /* the decision for the object being converged */
        bool obj_changed, obj_had_managed; /* what converging it did */
        int obj_kept;                      /* BW_KEPT_*: protection its name no longer calls for */
        bool expect_change;                /* the last file changed: open the next one first */
        /* the default entries the plan wants where the object stands: what a new file there
         * inherits (inherited_as_planned) */
        struct bw_acl_want inh[4];
        unsigned n_inh;
        struct bw_tree_stats st;
        uint64_t told_objects, told_changed; /* what this thread has added to sh->seen, sh->changed */
        struct pending batch[BATCH_MAX];
        size_t n_batch;
        int error;
};

/* Open a non-directory object to act on it: never following a symlink (ELOOP), never blocking
 * on a FIFO, never becoming its controlling tty, not touching its atime. Sockets fail (ENXIO). */
static int open_object_fd(int dirfd, const char *name) {
        int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
        int fd = openat(dirfd, name, flags | O_NOATIME);
        if (fd < 0 && errno == EPERM)
                fd = openat(dirfd, name, flags); /* O_NOATIME needs ownership or CAP_FOWNER */
        return fd < 0 ? -errno : fd;
}

/* A batch keeps an fd per change open until it is written: size it to the fd limit. */
static size_t batch_limit(void) {
        struct rlimit rl;
        size_t n = BATCH_MAX;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 8 < n)
                n = rl.rlim_cur / 8 < 8 ? 8 : (size_t) rl.rlim_cur / 8;
        return n;
}

/* Is the object on the root's mount? Mount IDs tell bind mounts of the same file system apart,
 * which st_dev does not. */
static bool same_mount(const struct shared *sh, int fd, const struct stat *st) {
        struct statx sx;
        if (sh->mnt_id_known && statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
                return sx.stx_mnt_id == sh->mnt_id;
        return st->st_dev == sh->dev;
}

/* Count a per-object error and say which object (the first few), so "see above" means something. */
static void note_error(struct worker *w, const char *rel, const char *what, int err) {
        w->st.errors++;
        if (w->st.errors <= 20 && w->sh->o->on_error)
                w->sh->o->on_error(w->sh->o->error_ctx, w->sh->root, rel, what, err);
}

/* Does the mode say someone may execute it? (X, as chmod and setfacl mean it.) With an ACL,
 * the mode's group bits are the mask's, not the owning group entry's. */
static bool has_exec(const struct bw_acl *a) {
        bool x = false, have_mask = false, mask_x = false, group_x = false;
        for (unsigned i = 0; i < a->n; i++) {
                bool e = a->e[i].perm & BW_PERM_X;
                switch (a->e[i].tag) {
                case BW_ACL_USER_OBJ:
                case BW_ACL_OTHER:
                        x |= e;
                        break;
                case BW_ACL_GROUP_OBJ:
                        group_x = e;
                        break;
                case BW_ACL_MASK:
                        have_mask = true;
                        mask_x = e;
                        break;
                }
        }
        return x || (have_mask ? mask_x : group_x);
}

/* Why an object reached through its own fd is left alone, or NULL to change it. Directories are
 * compared by mount ID (bind mounts of the same file system); for other objects st_dev suffices:
 * only a privileged user can bind-mount a single file, and the walk never enters a directory on
 * another mount in the first place. */
static const char *object_skip(const struct shared *sh, int fd, const struct stat *st, bool is_dir) {
        if (is_dir ? !S_ISDIR(st->st_mode) : !(S_ISREG(st->st_mode) || S_ISFIFO(st->st_mode)))
                return S_ISLNK(st->st_mode) ? "symlink" : "device";
        if (S_ISREG(st->st_mode) && st->st_nlink > 1)
                return "hardlink";
        if (is_dir ? !same_mount(sh, fd, st) : st->st_dev != sh->dev)
                return "mount";
        return NULL;
}

/* Hand the batch to the callback (the journal, or the dry run's collector), then write it. */
static int flush(struct worker *w) {
        if (w->n_batch == 0)
                return 0;
        struct shared *sh = w->sh;
        int r = 0;
        if (sh->o->on_batch) {
                struct bw_acl_change changes[BATCH_MAX];
                for (size_t i = 0; i < w->n_batch; i++)
                        changes[i] = w->batch[i].c;
                r = sh->o->on_batch(sh->o->userdata, changes, w->n_batch);
        }
        for (size_t i = 0; i < w->n_batch; i++) {
                struct pending *p = &w->batch[i];
                /* every pending change holds an fd of its own object (see converge_xattr) */
                if (r == 0 && !sh->o->dry_run) {
                        int e = p->c.after ? fsetxattr(p->fd, p->c.attr, p->c.after, p->c.after_len, 0)
                                           : fremovexattr(p->fd, p->c.attr);
                        if (e < 0 && errno != ENODATA)
                                note_error(w, p->rel, "cannot write its ACL", -errno);
                }
                close(p->fd);
                free(p->rel);
        }
        w->n_batch = 0;
        return r;
}

/* Does an ACL's bytes carry entries of bulwark's principals? (A '+' versus '~' in the report.) */
static bool has_managed(const struct bw_tree_policy *tp, const uint8_t *bytes, size_t len) {
        struct bw_acl a;
        if (!bytes || bw_acl_decode(bytes, len, &a) < 0)
                return false;
        for (unsigned i = 0; i < a.n; i++) {
                bool user = a.e[i].tag == BW_ACL_USER;
                if (!user && a.e[i].tag != BW_ACL_GROUP)
                        continue;
                const uint32_t *ids = user ? tp->managed_users : tp->managed_groups;
                unsigned n = user ? tp->n_managed_users : tp->n_managed_groups;
                for (unsigned k = 0; k < n; k++)
                        if (ids[k] == a.e[i].id)
                                return true;
        }
        return false;
}

/* The ACL an object should have: the plan's entries for its name on its current ACL, and, unless
 * reverting, the protection it carries kept (*kept: the BW_KEPT_* that had to be put back). */
static int compute_wanted(const struct bw_tree_policy *tp, const struct bw_acl *base, const struct bw_acl_want *want,
                          unsigned n_want, struct bw_acl *wanted, int *kept) {
        *kept = 0;
        int r = bw_acl_compute(base, want, n_want, tp->managed_users, tp->n_managed_users, tp->managed_groups,
                               tp->n_managed_groups, wanted);
        if (r == 0 && !tp->lift_protection) {
                r = bw_acl_keep_protection(base, wanted, tp->protect_users, tp->n_protect_users);
                *kept = r > 0 ? r : 0;
        }
        return r < 0 ? r : 0;
}

/* Revert's sweep: a default ACL left with nothing but what the directory's mode says was bulwark's
 * (a directory created or moved since apply got it from bulwark's entries): remove it, rather than
 * leave a default ACL that would override the umask of what is created there. */
static bool drop_default(const struct bw_tree_policy *tp, bool is_access, const struct bw_acl *wanted,
                         const struct stat *st) {
        if (!tp->lift_protection || is_access || !st || !bw_acl_is_minimal(wanted))
                return false;
        /* the mode's group bits are the access ACL's mask: the owning group may have less */
        for (unsigned i = 0; i < wanted->n; i++) {
                const struct bw_acl_entry *e = &wanted->e[i];
                unsigned shift = e->tag == BW_ACL_USER_OBJ ? 6 : e->tag == BW_ACL_GROUP_OBJ ? 3 : 0;
                unsigned bits = (st->st_mode >> shift) & 7;
                if (e->tag == BW_ACL_GROUP_OBJ ? (e->perm & ~bits) != 0 : e->perm != bits)
                        return false;
        }
        return true;
}

/*
 * A file or directory created under a directory whose default ACL is as the plan wants carries
 * that default ACL as its access ACL, with the owner, mask and other permissions taken from its
 * mode (the kernel's posix_acl_create): entries the plan implies, in the form inheritance gives
 * them (the owner default's user entry, rwx where the plan says rwX, the mask the creating mode
 * allowed). That is not drift, and apply leaves it: rewriting it would widen the mask a creator
 * chose and count every new file as a change. The parent's default ACL is read through the
 * directory fd (".." for a directory, which cannot be a symlink) and checked against the plan
 * first, so a drifted parent does not make its children pass. What the plan grants here must
 * still be granted: a mask narrower than an entry the plan wants on this object (a chmod 700
 * that would keep the sandbox out of a carve-out it may read) is drift, and apply widens it.
 */
static bool inherited_as_planned(const struct worker *w, int dirfd, bool is_dir, const struct bw_acl *cur,
                                 const struct bw_acl_want *want, unsigned n_want) {
        if (!w->n_inh)
                return false;
        uint8_t buf[ACL_BUF];
        ssize_t len = bw_getxattrat(dirfd, is_dir ? ".." : ".", XATTR_DEFAULT, buf, sizeof(buf));
        struct bw_acl d, dw;
        int kept;
        if (len <= 0 || bw_acl_decode(buf, (size_t) len, &d) < 0 ||
            compute_wanted(w->sh->tp, &d, w->inh, w->n_inh, &dw, &kept) < 0)
                return false;
        uint8_t a[ACL_BUF], b[ACL_BUF];
        size_t la = bw_acl_encode(&d, a, sizeof(a)), lb = bw_acl_encode(&dw, b, sizeof(b));
        if (la != lb || memcmp(a, b, la) != 0 || cur->n != d.n)
                return false; /* the parent is not as planned, or the child has other entries */
        bool has_mask = false;
        for (unsigned i = 0; i < d.n; i++)
                has_mask |= d.e[i].tag == BW_ACL_MASK;
        for (unsigned i = 0; i < d.n; i++) {
                const struct bw_acl_entry *x = &cur->e[i], *y = &d.e[i];
                if (x->tag != y->tag || x->id != y->id)
                        return false;
                bool from_mode = x->tag == BW_ACL_USER_OBJ || x->tag == BW_ACL_MASK || x->tag == BW_ACL_OTHER ||
                                 (x->tag == BW_ACL_GROUP_OBJ && !has_mask);
                /* the mode can narrow what was inherited, never widen it beyond the default */
                if (from_mode ? (x->perm & ~y->perm) != 0 : x->perm != y->perm)
                        return false;
        }
        uint16_t mask = 7;
        for (unsigned i = 0; i < cur->n; i++)
                if (cur->e[i].tag == BW_ACL_MASK)
                        mask = cur->e[i].perm;
        for (unsigned k = 0; k < n_want; k++) {
                bool found = false;
                for (unsigned i = 0; i < cur->n && !found; i++)
                        if (cur->e[i].tag == want[k].tag && cur->e[i].id == want[k].id)
                                found = (cur->e[i].perm & mask & want[k].perm) == want[k].perm;
                if (!found)
                        return false;
        }
        return true;
}

/*
 * One xattr of one object. fd_or_dir/name address it: (parent fd, entry name) for non-directories,
 * (the directory's own fd, "") for directories (AT_EMPTY_PATH is not accepted by *xattrat, so a
 * directory is addressed as "." relative to itself).
 */
static int converge_xattr(struct worker *w, int dirfd, const char *name, const char *rel, const char *attr,
                          const struct bw_acl_want *want, unsigned n_want, const struct stat *st_known, bool is_dir,
                          const uint8_t *preloaded, ssize_t preloaded_len, int *prefd, bool read_via_fd) {
        const struct bw_tree_policy *tp = w->sh->tp;
        uint8_t cur[ACL_BUF], out[ACL_BUF];
        const char *target = name[0] ? name : ".";
        ssize_t len;
        if (preloaded) {
                len = preloaded_len;
                if (len > 0)
                        memcpy(cur, preloaded, (size_t) len);
        } else
                len = bw_getxattrat(dirfd, target, attr, cur, sizeof(cur));
        if (len < 0 && len != -ENODATA) {
                if (len == -ENOENT)
                        return 0; /* vanished while we walked: nothing to do */
                w->st.errors++;
                return 0;
        }
        /* Most objects of a tree carry the same ACL bytes: remember the last bytes found right, per
         * xattr, with the entries wanted then, and skip decoding them again. */
        bool is_access = attr[sizeof("system.posix_acl_") - 1] == 'a';
        struct ok_cache *oc = &w->ok[is_access];
        if (len >= 0 && oc->len == (size_t) len && oc->n_want == n_want && memcmp(oc->bytes, cur, (size_t) len) == 0 &&
            same_wants(oc->want, want, n_want)) {
                w->st.unchanged++;
                w->obj_kept |= oc->kept;
                return 0;
        }
        struct bw_acl base;
        if (len >= 0) {
                if (bw_acl_decode(cur, (size_t) len, &base) < 0) {
                        w->st.errors++;
                        return 0;
                }
        } else {
                if (n_want == 0)
                        return 0; /* nothing there, nothing wanted */
                struct stat st;
                if (!st_known) {
                        if (fstatat(dirfd, target, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                return 0;
                        st_known = &st;
                }
                bw_acl_from_mode(st_known->st_mode, &base);
        }
        struct bw_acl wanted;
        int kept;
        if (compute_wanted(tp, &base, want, n_want, &wanted, &kept) < 0) {
                w->st.errors++;
                return 0;
        }
        if (bw_acl_is_minimal(&wanted) && len < 0)
                return 0; /* nothing there and nothing wanted beyond what the mode says */
        bool drop = drop_default(tp, is_access, &wanted, st_known);
        size_t out_len = drop ? 0 : bw_acl_encode(&wanted, out, sizeof(out));
        bool same = len >= 0 && !drop && (size_t) len == out_len && memcmp(cur, out, out_len) == 0;
        if (!same && len >= 0 && is_access && !tp->lift_protection && rel[0] && kept == 0 &&
            inherited_as_planned(w, dirfd, is_dir, &base, want, n_want)) {
                w->st.unchanged++;
                return 0;
        }
        if (same) {
                w->st.unchanged++;
                w->obj_kept |= kept;
                if (n_want <= BW_ARRAY_SIZE(oc->want) && out_len <= sizeof(oc->bytes)) {
                        memcpy(oc->bytes, out, out_len);
                        oc->len = out_len;
                        oc->kept = kept;
                        oc->n_want = n_want;
                        if (n_want)
                                memcpy(oc->want, want, n_want * sizeof(*want));
                }
                return 0;
        }
        /* A change. From here on, act on the object through an fd of its own, opened without
         * following a symlink, and check that fd: the sandbox can rename things in this directory
         * at any moment (even exchange two names atomically), so a check made by name would not
         * still hold when the write happens. */
        /* an fd the caller already opened on the object is ours from here on */
        int ofd = *prefd >= 0 ? *prefd : is_dir ? fcntl(dirfd, F_DUPFD_CLOEXEC, 3) : open_object_fd(dirfd, name);
        *prefd = -1;
        if (is_dir && ofd < 0)
                ofd = -errno;
        if (ofd < 0) {
                if (ofd == -ELOOP)
                        w->st.skipped_symlinks++;
                else if (ofd == -ENXIO || ofd == -ENODEV)
                        w->st.skipped_devices++; /* a socket, or a device that cannot be opened */
                else if (ofd != -ENOENT)
                        note_error(w, rel, "cannot open it", ofd);
                return 0;
        }
        /* read_via_fd: *prefd's stat is st_known and the bytes were read through it already */
        bool checked_fd = read_via_fd && st_known;
        struct stat fst;
        const char *skip = NULL;
        /* The checks hold for an fd the caller opened too (the fast path after a changed file):
         * they once sat behind its stat in one else-if chain and were skipped, so a hard-linked
         * file reached that way was written. */
        if (checked_fd)
                fst = *st_known;
        else if (fstat(ofd, &fst) < 0)
                skip = "error";
        if (!skip)
                skip = object_skip(w->sh, ofd, &fst, is_dir);
        if (skip) {
                close(ofd);
                if (bw_streq(skip, "symlink"))
                        w->st.skipped_symlinks++;
                else if (bw_streq(skip, "device"))
                        w->st.skipped_devices++;
                else if (bw_streq(skip, "hardlink"))
                        w->st.skipped_hardlinks++;
                else if (bw_streq(skip, "mount"))
                        w->st.skipped_mounts++;
                else
                        note_error(w, rel, "cannot stat it", -errno);
                return 0;
        }
        /* What we read by name may have been another object: read again through the fd, and
         * recompute if it differs, so the journal holds this inode's bytes. */
        uint8_t cur2[ACL_BUF];
        ssize_t len2 = len;
        if (!checked_fd) {
                len2 = fgetxattr(ofd, attr, cur2, sizeof(cur2));
                if (len2 < 0)
                        len2 = errno == ENODATA ? -ENODATA : -errno;
        }
        if (!checked_fd && (len2 != len || (len2 > 0 && memcmp(cur, cur2, (size_t) len2) != 0))) {
                if (len2 < 0 && len2 != -ENODATA) {
                        close(ofd);
                        note_error(w, rel, "cannot read its ACL", (int) len2);
                        return 0;
                }
                if (len2 >= 0) {
                        if (bw_acl_decode(cur2, (size_t) len2, &base) < 0) {
                                close(ofd);
                                note_error(w, rel, "its ACL is malformed", -EINVAL);
                                return 0;
                        }
                } else
                        bw_acl_from_mode(fst.st_mode, &base);
                /* protection is kept on whatever inode carries it: on the bytes of this fd */
                if (compute_wanted(tp, &base, want, n_want, &wanted, &kept) < 0) {
                        close(ofd);
                        note_error(w, rel, "its ACL has too many entries", -E2BIG);
                        return 0;
                }
                drop = drop_default(tp, is_access, &wanted, &fst);
                out_len = drop ? 0 : bw_acl_encode(&wanted, out, sizeof(out));
                len = len2;
                if (len2 > 0)
                        memcpy(cur, cur2, (size_t) len2);
                if ((len >= 0 && !drop && (size_t) len == out_len && memcmp(cur, out, out_len) == 0) ||
                    (len < 0 && bw_acl_is_minimal(&wanted))) {
                        close(ofd);
                        w->st.unchanged++;
                        w->obj_kept |= kept;
                        return 0;
                }
        }
        if (w->n_batch >= w->sh->batch_limit) {
                int r = flush(w);
                if (r < 0) {
                        close(ofd);
                        return r;
                }
        }
        struct pending *p = &w->batch[w->n_batch++];
        p->fd = ofd;
        p->c.root = w->sh->root;
        p->rel = strdup(rel);
        p->c.rel = p->rel;
        p->c.attr = attr;
        p->c.is_default = bw_streq(attr, XATTR_DEFAULT);
        /* the inode the fd holds, not one seen by name earlier: revert checks it */
        p->c.ino = (uint64_t) fst.st_ino;
        p->c.mode = (uint32_t) fst.st_mode;
        if (len >= 0) {
                memcpy(p->before, cur, (size_t) len);
                p->c.before = p->before;
                p->c.before_len = (size_t) len;
        } else {
                p->c.before = NULL;
                p->c.before_len = 0;
        }
        memcpy(p->after, out, out_len);
        p->c.after = drop ? NULL : p->after;
        p->c.after_len = out_len;
        if (!p->rel)
                abort();
        w->st.changed++;
        w->obj_kept |= kept;
        if (!w->obj_changed)
                w->obj_had_managed = has_managed(tp, len >= 0 ? cur : NULL, len >= 0 ? (size_t) len : 0);
        w->obj_changed = true;
        return 0;
}

/* The write group of the writable root whose rule decides an object. */
static uint32_t root_group_of(const struct bw_tree_policy *tp, uint32_t rule, uint32_t fallback) {
        return tp->root_group && rule < tp->n_root_group ? tp->root_group[rule] : fallback;
}

static int converge_object(struct worker *w, int dirfd, const char *name, const char *rel, struct bw_decision dec,
                           bool is_dir, const struct stat *st) {
        const struct bw_tree_policy *tp = w->sh->tp;
        uint32_t rule = UINT32_MAX;
        struct {
                uint32_t kind;
        } d = {bw_decision_effective(&dec, &rule)};
        const struct bw_kind_acl *k = &tp->kinds[d.kind];
        struct bw_acl_want want[4];
        unsigned n = 0;
        w->st.objects++;
        /* One read of the access ACL serves both the comparison and the X decision. */
        uint8_t cur[ACL_BUF];
        ssize_t len = 0;
        struct stat own;
        int prefd = -1;
        bool via_fd = false;
        /* After a file that changed, the next one probably changes too (a first apply): open it
         * straight away and read through the fd, instead of reading by name and then opening
         * and reading again. After an unchanged one, read by name (a no-op apply opens nothing). */
        if (!is_dir && !st && d.kind && w->expect_change && (prefd = open_object_fd(dirfd, name)) >= 0) {
                if (fstat(prefd, &own) == 0 && S_ISREG(own.st_mode)) {
                        len = fgetxattr(prefd, XATTR_ACCESS, cur, sizeof(cur));
                        if (len < 0)
                                len = -errno;
                        st = &own;
                        via_fd = true;
                } else {
                        close(prefd);
                        prefd = -1;
                }
        }
        if (!via_fd)
                len = bw_getxattrat(dirfd, name[0] ? name : ".", XATTR_ACCESS, cur, sizeof(cur));
        if (len == -ENOENT)
                return 0;
        /* Without an ACL the mode is needed (for the base ACL and for X), and a change is certain
         * (something is wanted): open the object now, and take the mode from that fd. */
        if (len == -ENODATA && !st && d.kind) {
                if (!is_dir && (prefd = open_object_fd(dirfd, name)) >= 0) {
                        if (fstat(prefd, &own) < 0) {
                                close(prefd);
                                return 0;
                        }
                } else if (fstatat(dirfd, name[0] ? name : ".", &own, AT_SYMLINK_NOFOLLOW) < 0)
                        return 0;
                st = &own;
        }
        if (d.kind) {
                /* X: execute for directories and for files something may already execute */
                bool exec = is_dir;
                if (!is_dir) {
                        struct bw_acl a;
                        if (len >= 0 && bw_acl_decode(cur, (size_t) len, &a) == 0)
                                exec = has_exec(&a);
                        else if (st)
                                exec = st->st_mode & 0111;
                }
                for (unsigned i = 0; i < k->n_access; i++) {
                        want[n] = k->access[i];
                        if (k->access_cond_x[i] && exec)
                                want[n].perm |= BW_PERM_X;
                        if (k->access_per_root[i])
                                want[n].id = root_group_of(tp, rule, want[n].id);
                        n++;
                }
        }
        w->kind = d.kind;
        w->rule = d.kind ? rule : UINT32_MAX;
        w->obj_changed = false;
        w->obj_kept = 0;
        struct bw_acl_want dflt[4];
        for (unsigned i = 0; d.kind && i < k->n_dflt; i++) {
                dflt[i] = k->dflt[i];
                if (k->dflt_per_root[i])
                        dflt[i].id = root_group_of(tp, rule, dflt[i].id);
        }
        w->n_inh = d.kind ? k->n_dflt : 0;
        if (w->n_inh)
                memcpy(w->inh, dflt, w->n_inh * sizeof(*dflt));
        int r = converge_xattr(w, dirfd, name, rel, XATTR_ACCESS, want, n, st, is_dir, cur, len, &prefd, via_fd);
        w->n_inh = 0;
        if (prefd >= 0)
                close(prefd); /* not needed after all */
        if (!is_dir)
                w->expect_change = w->obj_changed;
        int none = -1;
        if (r == 0 && is_dir)
                r = converge_xattr(w, dirfd, name, rel, XATTR_DEFAULT, d.kind ? dflt : NULL, d.kind ? k->n_dflt : 0, st,
                                   true, NULL, 0, &none, false);
        return r;
}

/*
 * Regions, for the report: a changed object whose parent changed the same way (same decision,
 * same add/change/remove) is counted below its parent's region; any other changed object opens a
 * region of its own. Decided as the walk goes, so a 100,000-object change costs no sorting.
 */
static struct bw_acl_region *region_after(struct worker *w, struct bw_acl_region *parent, const char *path) {
        if (!w->obj_changed)
                return NULL;
        char op = w->kind == 0 ? '-' : w->obj_had_managed ? '~' : '+';
        if (parent && parent->kind == w->kind && parent->op == op) {
                atomic_fetch_add(&parent->below, 1);
                return parent;
        }
        struct bw_acl_region *g = calloc(1, sizeof(*g));
        if (!g || !(g->path = strdup(path)))
                abort();
        g->op = op;
        g->kind = w->kind;
        g->rule = w->rule;
        struct shared *sh = w->sh;
        pthread_mutex_lock(&sh->lock);
        g->next = sh->regions;
        sh->regions = g;
        pthread_mutex_unlock(&sh->lock);
        return g;
}

/* Regions of moved protected objects ('!'): the same, for objects that keep protection. */
static struct bw_acl_region *kept_region_after(struct worker *w, struct bw_acl_region *parent, const char *path) {
        if (!w->obj_kept)
                return NULL;
        w->st.kept++;
        if (parent && parent->kind == (uint32_t) w->obj_kept) {
                atomic_fetch_add(&parent->below, 1);
                return parent;
        }
        struct bw_acl_region *g = calloc(1, sizeof(*g));
        if (!g || !(g->path = strdup(path)))
                abort();
        g->op = '!';
        g->kind = (uint32_t) w->obj_kept;
        g->rule = UINT32_MAX;
        struct shared *sh = w->sh;
        pthread_mutex_lock(&sh->lock);
        g->next = sh->regions;
        sh->regions = g;
        pthread_mutex_unlock(&sh->lock);
        return g;
}

/* Hand the walk's regions to the caller (or free them). */
static void take_regions(struct shared *sh, const struct bw_tree_options *o) {
        if (!o->regions) {
                bw_acl_regions_free(sh->regions);
                return;
        }
        while (sh->regions) {
                struct bw_acl_region *g = sh->regions;
                sh->regions = g->next;
                g->next = *o->regions;
                *o->regions = g;
        }
}

/* ---- the walk ---- */

static void push_job(struct shared *sh, struct job *j) {
        pthread_mutex_lock(&sh->lock);
        j->next = sh->queue;
        sh->queue = j;
        sh->queued++;
        pthread_cond_signal(&sh->cond);
        pthread_mutex_unlock(&sh->lock);
}

#define PROGRESS_INTERVAL_NS 100000000LL /* 0.1 s */

static int64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
        return (int64_t) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* After each directory: add this thread's new counts, and report if 0.1 s have passed since the
 * last report (one thread reports at a time; the others go on walking). */
static void note_progress(struct worker *w) {
        struct shared *sh = w->sh;
        if (!sh->o->progress)
                return;
        atomic_fetch_add(&sh->seen, w->st.objects - w->told_objects);
        atomic_fetch_add(&sh->changed, w->st.changed - w->told_changed);
        w->told_objects = w->st.objects;
        w->told_changed = w->st.changed;
        int64_t now = now_ns();
        if (now < atomic_load(&sh->next_report_ns) || pthread_mutex_trylock(&sh->progress_lock) != 0)
                return;
        if (now >= atomic_load(&sh->next_report_ns)) {
                atomic_store(&sh->next_report_ns, now + PROGRESS_INTERVAL_NS);
                sh->o->progress(sh->o->progress_ctx, atomic_load(&sh->seen), atomic_load(&sh->changed));
        }
        pthread_mutex_unlock(&sh->progress_lock);
}

static void process_dir(struct worker *w, struct job *j) {
        struct shared *sh = w->sh;
        int dfd = fcntl(j->fd, F_DUPFD_CLOEXEC, 3);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
                int e = -errno;
                if (dfd >= 0)
                        close(dfd);
                const char *jrel = j->path + sh->root_len;
                note_error(w, jrel[0] == '/' ? jrel + 1 : jrel, "cannot read the directory", e);
                return;
        }
        struct bw_strbuf path = {0};
        struct dirent *de;
        while ((de = readdir(d))) {
                const char *name = de->d_name;
                if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                        continue;
                bw_sb_truncate(&path, 0);
                bw_sb_puts(&path, j->path);
                if (!(j->path[0] == '/' && j->path[1] == 0))
                        bw_sb_putc(&path, '/');
                bw_sb_puts(&path, name);
                const char *rel = path.data + sh->root_len + (sh->root_len > 1 ? 1 : 0);
                unsigned char type = de->d_type;
                struct stat st;
                bool have_st = false;
                if (type == DT_UNKNOWN) {
                        if (fstatat(j->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        have_st = true;
                        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
                }
                if (type == DT_LNK) {
                        w->st.skipped_symlinks++;
                        continue;
                }
                struct bw_decision dd =
                        bw_tree_policy_decide(sh->tp, w->md, j->inherited, path.data, name, j->depth + 1);
                if (type == DT_DIR) {
                        int fd = openat(j->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
                        if (fd < 0) {
                                if (errno == ELOOP || errno == ENOTDIR)
                                        w->st.skipped_symlinks++; /* replaced by a symlink since readdir */
                                else if (errno != ENOENT)
                                        note_error(w, rel, "cannot open the directory", -errno);
                                continue;
                        }
                        if (fstat(fd, &st) < 0 || !same_mount(sh, fd, &st)) {
                                w->st.skipped_mounts++;
                                close(fd);
                                continue;
                        }
                        if (converge_object(w, fd, "", rel, dd, true, &st) < 0)
                                w->error = -EIO;
                        struct bw_acl_region *g = region_after(w, j->region, path.data);
                        struct bw_acl_region *kg = kept_region_after(w, j->kept_region, path.data);
                        if (j->depth + 1 - sh->root_depth > DEPTH_MAX) {
                                note_error(w, rel, "more than 2048 directories deep: not walked further", -ELOOP);
                                close(fd);
                                continue;
                        }
                        struct job *child = calloc(1, sizeof(*child));
                        if (!child)
                                abort();
                        child->fd = fd;
                        child->path = strdup(path.data);
                        child->inherited = dd;
                        child->depth = j->depth + 1;
                        child->region = g;
                        child->kept_region = kg;
                        pthread_mutex_lock(&sh->lock);
                        bool inline_walk = sh->queued >= QUEUE_MAX;
                        pthread_mutex_unlock(&sh->lock);
                        if (!inline_walk) {
                                push_job(sh, child);
                                continue;
                        }
                        process_dir(w, child);
                        note_progress(w);
                        close(child->fd);
                        free(child->path);
                        free(child);
                        continue;
                }
                if (converge_object(w, j->fd, name, rel, dd, false, have_st ? &st : NULL) < 0)
                        w->error = -EIO;
                region_after(w, j->region, path.data);
                kept_region_after(w, j->kept_region, path.data);
                /* a directory of many files reports on the way too, not only when it is done */
                if ((w->st.objects & 1023) == 0)
                        note_progress(w);
        }
        closedir(d);
        bw_sb_done(&path);
}

static void *worker_main(void *arg) {
        struct worker *w = arg;
        struct shared *sh = w->sh;
        for (;;) {
                pthread_mutex_lock(&sh->lock);
                while (!sh->queue && sh->busy > 0 && !sh->failure)
                        pthread_cond_wait(&sh->cond, &sh->lock);
                if (!sh->queue || sh->failure) {
                        pthread_cond_broadcast(&sh->cond);
                        pthread_mutex_unlock(&sh->lock);
                        /* what is left in this thread's batch: journal and write it */
                        int r = flush(w);
                        if (r < 0) {
                                pthread_mutex_lock(&sh->lock);
                                sh->failure = r;
                                pthread_mutex_unlock(&sh->lock);
                        }
                        break;
                }
                struct job *j = sh->queue;
                sh->queue = j->next;
                sh->queued--;
                sh->busy++;
                pthread_mutex_unlock(&sh->lock);

                process_dir(w, j);
                note_progress(w);
                int r = 0;
                close(j->fd);
                free(j->path);
                free(j);

                pthread_mutex_lock(&sh->lock);
                sh->busy--;
                if (r < 0 || w->error)
                        sh->failure = r < 0 ? r : w->error;
                pthread_cond_broadcast(&sh->cond);
                pthread_mutex_unlock(&sh->lock);
        }
        return NULL;
}

int bw_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                     struct bw_tree_stats *st) {
        int fd = bw_open_path_safely(root, O_RDONLY | O_DIRECTORY | O_NOCTTY, (uid_t) -1);
        if (fd == -ENOTDIR) {
                /* a single file as a root: converge it through its parent directory */
                _cleanup_free_ char *parent = strdup(root);
                if (!parent)
                        return -ENOMEM;
                char *slash = strrchr(parent, '/');
                const char *name = root + (slash - parent) + 1;
                if (slash == parent)
                        slash[1] = 0;
                else
                        *slash = 0;
                int pfd = bw_open_path_safely(parent, O_RDONLY | O_DIRECTORY | O_NOCTTY, (uid_t) -1);
                if (pfd < 0)
                        return pfd;
                struct stat fst;
                if (fstatat(pfd, name, &fst, AT_SYMLINK_NOFOLLOW) < 0 || S_ISLNK(fst.st_mode)) {
                        close(pfd);
                        return -ELOOP;
                }
                struct shared sh1 = {.tp = tp, .o = o, .root = root, .root_len = strlen(root), .dev = fst.st_dev};
                struct statx psx;
                if (statx(pfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &psx) == 0 && (psx.stx_mask & STATX_MNT_ID)) {
                        sh1.mnt_id = psx.stx_mnt_id;
                        sh1.mnt_id_known = true;
                }
                struct worker *w1 = calloc(1, sizeof(*w1));
                if (!w1)
                        abort();
                sh1.batch_limit = batch_limit();
                w1->sh = &sh1;
                w1->md = pcre2_match_data_create(1, NULL);
                struct bw_decision d = bw_tree_policy_seed(tp, w1->md, root);
                int r = converge_object(w1, pfd, name, "", d, false, &fst);
                region_after(w1, NULL, root);
                kept_region_after(w1, NULL, root);
                take_regions(&sh1, o);
                pcre2_match_data_free(w1->md);
                if (r == 0)
                        r = flush(w1);
                st->objects += w1->st.objects;
                st->changed += w1->st.changed;
                st->unchanged += w1->st.unchanged;
                st->kept += w1->st.kept;
                st->skipped_hardlinks += w1->st.skipped_hardlinks;
                st->errors += w1->st.errors;
                if (o->progress)
                        o->progress(o->progress_ctx, w1->st.objects, w1->st.changed);
                free(w1);
                close(pfd);
                return r;
        }
        if (fd < 0)
                return fd;
        struct stat rst;
        if (fstat(fd, &rst) < 0) {
                close(fd);
                return -errno;
        }
        struct shared sh = {.tp = tp, .o = o, .root = root, .root_len = strlen(root), .dev = rst.st_dev};
        sh.root_depth = bw_path_depth(root);
        sh.batch_limit = batch_limit();
        struct statx rsx;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &rsx) == 0 && (rsx.stx_mask & STATX_MNT_ID)) {
                sh.mnt_id = rsx.stx_mnt_id;
                sh.mnt_id_known = true;
        }
        pthread_mutex_init(&sh.lock, NULL);
        pthread_cond_init(&sh.cond, NULL);
        pthread_mutex_init(&sh.progress_lock, NULL);
        atomic_init(&sh.seen, 0);
        atomic_init(&sh.changed, 0);
        atomic_init(&sh.next_report_ns, o->progress ? now_ns() + PROGRESS_INTERVAL_NS : 0);

        unsigned n = o->threads;
        if (n == 0) {
                long cpus = sysconf(_SC_NPROCESSORS_ONLN);
                n = cpus < 1 ? 1 : cpus > 8 ? 8 : (unsigned) cpus;
        }
        struct worker *w = calloc(n, sizeof(*w));
        if (!w)
                abort();
        for (unsigned i = 0; i < n; i++) {
                w[i].sh = &sh;
                w[i].md = pcre2_match_data_create(1, NULL);
                if (!w[i].md)
                        abort();
        }

        /* the root itself, on this thread */
        struct bw_decision d = bw_tree_policy_seed(tp, w[0].md, root);
        int r = converge_object(&w[0], fd, "", "", d, true, &rst);
        struct bw_acl_region *root_region = region_after(&w[0], NULL, root);
        struct bw_acl_region *root_kept = kept_region_after(&w[0], NULL, root);
        if (r == 0)
                r = flush(&w[0]);
        if (r == 0 && S_ISDIR(rst.st_mode)) {
                struct job *j = calloc(1, sizeof(*j));
                if (!j)
                        abort();
                j->fd = fd;
                j->path = strdup(root);
                j->inherited = d;
                j->depth = bw_path_depth(root);
                j->region = root_region;
                j->kept_region = root_kept;
                sh.queue = j;
                sh.queued = 1;
                pthread_t *th = calloc(n, sizeof(*th));
                if (!th)
                        abort();
                for (unsigned i = 0; i < n; i++)
                        pthread_create(&th[i], NULL, worker_main, &w[i]);
                for (unsigned i = 0; i < n; i++)
                        pthread_join(th[i], NULL);
                free(th);
                if (sh.failure)
                        r = sh.failure;
                while (sh.queue) { /* left over after a failure */
                        struct job *x = sh.queue;
                        sh.queue = x->next;
                        close(x->fd);
                        free(x->path);
                        free(x);
                }
        } else
                close(fd);
        for (unsigned i = 0; i < n; i++) {
                pcre2_match_data_free(w[i].md);
                st->objects += w[i].st.objects;
                st->changed += w[i].st.changed;
                st->unchanged += w[i].st.unchanged;
                st->kept += w[i].st.kept;
                st->skipped_symlinks += w[i].st.skipped_symlinks;
                st->skipped_mounts += w[i].st.skipped_mounts;
                st->skipped_hardlinks += w[i].st.skipped_hardlinks;
                st->skipped_devices += w[i].st.skipped_devices;
                st->errors += w[i].st.errors;
        }
        free(w);
        if (o->progress) /* the root's final counts */
                o->progress(o->progress_ctx, st->objects, st->changed);
        take_regions(&sh, o);
        pthread_mutex_destroy(&sh.progress_lock);
        pthread_mutex_destroy(&sh.lock);
        pthread_cond_destroy(&sh.cond);
        return r;
}
