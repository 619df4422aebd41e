/* SPDX-License-Identifier: MIT */
/*
 * Workspace policies and the per-user trust store. A policy is written by whoever can write the
 * repository: a cloned project, or a sandboxed command that created a nested .bulwark. So a
 * policy file is opened one component at a time without following symlinks, must be a regular
 * file of the caller's with a single name, and is used only when its exact bytes (and those of
 * every file it extends) are what the caller recorded with `bulwark trust`.
 */
#include "trust.h"

#include "safe_open.h"
#include "sha256.h"
#include "yaml_tree.h"

#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#define TRUST_MAGIC "bulwark-trust 1"
#define MAX_DEPTH 64

static void BW_PRINTF(3, 4) say(char *why, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, size, fmt, ap);
        va_end(ap);
}

void bw_trust_set_done(struct bw_trust_set *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].path);
        free(s->v);
        *s = (struct bw_trust_set){0};
}

static int set_add(struct bw_trust_set *s, const char *path, const uint8_t sha256[BW_SHA256_SIZE]) {
        struct bw_trust_file *v = realloc(s->v, (s->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        s->v = v;
        v[s->n].path = strdup(path);
        if (!v[s->n].path)
                return -ENOMEM;
        memcpy(v[s->n].sha256, sha256, BW_SHA256_SIZE);
        s->n++;
        return 0;
}

/* ---- policy files ---- */

static const char *type_name(mode_t m) {
        return S_ISDIR(m)    ? "a directory"
               : S_ISFIFO(m) ? "a FIFO"
               : S_ISCHR(m)  ? "a character device"
               : S_ISBLK(m)  ? "a block device"
               : S_ISSOCK(m) ? "a socket"
               : S_ISLNK(m)  ? "a symbolic link"
                             : "not a regular file";
}

/*
 * Open rel below base (a directory fd) one component at a time, following no symlink and never
 * climbing above base through "..". Returns an O_PATH fd of the last component or a negative
 * errno: -ELOOP a symlink on the way, -EXDEV the path leaves base, -ENOTDIR a component on the
 * way is not a directory.
 */
static int open_beneath(int base, const char *rel) {
        _cleanup_free_ char *copy = strdup(rel);
        if (!copy)
                return -ENOMEM;
        int stack[MAX_DEPTH];
        size_t depth = 0;
        int cur = base, r = 0;
        char *save = NULL;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (bw_streq(c, "."))
                        continue;
                if (bw_streq(c, "..")) {
                        if (depth == 0) {
                                r = -EXDEV;
                                break;
                        }
                        close(stack[--depth]);
                        cur = depth ? stack[depth - 1] : base;
                        continue;
                }
                if (depth == MAX_DEPTH) {
                        r = -ENAMETOOLONG;
                        break;
                }
                int fd = openat(cur, c, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        r = -errno;
                        if (fd >= 0)
                                close(fd);
                        break;
                }
                stack[depth++] = cur = fd;
                if (S_ISLNK(st.st_mode)) {
                        r = -ELOOP;
                        break;
                }
        }
        if (r == 0 && depth == 0)
                r = -EISDIR; /* rel named base itself */
        int ret = r < 0 || depth == 0 ? r : stack[depth - 1];
        for (size_t i = 0; i < depth; i++)
                if (r < 0 || i + 1 < depth)
                        close(stack[i]);
        return ret;
}

/* Open WORKSPACE/.bulwark as an O_PATH directory fd, not through a symlink. */
static int open_dot_bulwark(const char *workspace, char *why, size_t why_size) {
        _cleanup_close_ int ws = open(workspace, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (ws < 0) {
                int e = errno;
                say(why, why_size, "cannot open the workspace %s: %s", workspace, strerror(e));
                return -e;
        }
        int fd = openat(ws, ".bulwark", O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e != ENOENT)
                        say(why, why_size, "cannot open %s/.bulwark: %s", workspace, strerror(e));
                return -e;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
                int e = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
                say(why, why_size, "%s/.bulwark is %s, not a directory: a workspace policy lives in a real directory",
                    workspace, type_name(st.st_mode));
                close(fd);
                return -e;
        }
        return fd;
}

/*
 * Check the file behind an O_PATH fd (shown as path) and open it for reading: regular, one name,
 * owned by owner ((uid_t) -1: root, and writable by nobody else). Returns a readable fd or a
 * negative errno with why.
 */
static int check_and_reopen(int dirfd, const char *rel, int pathfd, const char *path, uid_t owner, char *why,
                            size_t why_size) {
        struct stat st, st2;
        if (fstat(pathfd, &st) < 0) {
                int e = errno;
                say(why, why_size, "cannot read %s: %s", path, strerror(e));
                return -e;
        }
        if (!S_ISREG(st.st_mode)) {
                say(why, why_size, "%s is %s: a policy must be a regular file", path, type_name(st.st_mode));
                return -EINVAL;
        }
        if (owner == (uid_t) -1 ? st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) : st.st_uid != owner) {
                say(why, why_size, "%s belongs to uid %u, not to %s: a policy must be %s", path, (unsigned) st.st_uid,
                    owner == (uid_t) -1 ? "root" : "you",
                    owner == (uid_t) -1 ? "root's and writable by root only" : "a file of your own");
                return -EPERM;
        }
        if (st.st_nlink != 1) {
                say(why, why_size, "%s has %ju names (hard links): a policy must not be another file's second name",
                    path, (uintmax_t) st.st_nlink);
                return -EMLINK;
        }
        /* Open the same object for reading: the name must still lead to it (no symlink, no swap). */
        int fd = rel ? openat(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
                     : open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
                if (fd >= 0)
                        close(fd);
                say(why, why_size, "%s changed while it was checked; run again", path);
                return -EAGAIN;
        }
        return fd;
}

/* rel below the directory fd bulwark_dir (shown as path), without symlinks: a readable fd of a
 * regular file of the caller's, or a negative errno with why. */
static int open_policy_beneath(int bulwark_dir, const char *rel, const char *path, char *why, size_t why_size) {
        int pfd = open_beneath(bulwark_dir, rel);
        if (pfd == -ELOOP)
                say(why, why_size, "%s is reached through a symbolic link: a policy must be a regular file in .bulwark",
                    path);
        else if (pfd == -EXDEV)
                say(why, why_size, "%s lies outside the workspace's .bulwark directory", path);
        else if (pfd < 0 && pfd != -ENOENT)
                say(why, why_size, "cannot open %s: %s", path, strerror(-pfd));
        if (pfd < 0)
                return pfd;
        /* Reopening through /proc would need /proc: walk to the parent again, open the last
         * component for reading there and compare the inode. */
        _cleanup_close_ int parent = -1;
        const char *slash = strrchr(rel, '/');
        if (slash && slash > rel) {
                _cleanup_free_ char *dir = strndup(rel, (size_t) (slash - rel));
                if (!dir) {
                        close(pfd);
                        return -ENOMEM;
                }
                parent = open_beneath(bulwark_dir, dir);
                if (parent < 0) {
                        close(pfd);
                        say(why, why_size, "%s changed while it was checked; run again", path);
                        return -EAGAIN;
                }
        }
        const char *last = slash ? slash + 1 : rel;
        int fd = check_and_reopen(parent >= 0 ? parent : bulwark_dir, last, pfd, path, getuid(), why, why_size);
        close(pfd);
        return fd;
}

int bw_trust_policy_precheck(const char *workspace, char *why, size_t why_size) {
        _cleanup_close_ int b = open_dot_bulwark(workspace, why, why_size);
        if (b < 0)
                return b;
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/.bulwark/policy.yaml", workspace);
        int fd = open_policy_beneath(b, "policy.yaml", path, why, why_size);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

static int digest_fd(int fd, const char *path, uint8_t out[BW_SHA256_SIZE], char *why, size_t why_size) {
        size_t cap = BW_YAML_MAX_BYTES + 1; /* what the compiler reads at most */
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        ssize_t n = bw_read_full(fd, buf, cap);
        if (n < 0) {
                say(why, why_size, "cannot read %s: %s", path, strerror((int) -n));
                return (int) n;
        }
        bw_sha256(buf, (size_t) n, out);
        return 0;
}

static bool has_prefix_dir(const char *path, const char *dir, const char **rest) {
        size_t n = strlen(dir);
        if (strncmp(path, dir, n) != 0 || path[n] != '/')
                return false;
        *rest = path + n + 1;
        return true;
}

/* A file of the admin directory (root's, writable by root only, reached through root's symlinks
 * only). Returns a readable fd, -EXDEV when path is not in admin_dir, or another negative errno. */
static int open_admin_file(const char *path, const char *admin_dir, char *why, size_t why_size) {
        char real[PATH_MAX], admin_real[PATH_MAX];
        if (!admin_dir || !realpath(admin_dir, admin_real) || !realpath(path, real))
                return -EXDEV;
        const char *rest;
        if (!has_prefix_dir(real, admin_real, &rest))
                return -EXDEV;
        int pfd = bw_open_path_safely(real, O_PATH, (uid_t) -1);
        if (pfd < 0) {
                say(why, why_size, "cannot open %s: %s", path, strerror(-pfd));
                return pfd;
        }
        int fd = check_and_reopen(-1, NULL, pfd, real, (uid_t) -1, why, why_size);
        close(pfd);
        return fd;
}

int bw_trust_collect(const struct bw_compilation *c, const char *workspace, const char *admin_dir,
                     struct bw_trust_set *ret, char *why, size_t why_size) {
        struct bw_trust_set set = {0};
        _cleanup_close_ int b = open_dot_bulwark(workspace, why, why_size);
        if (b < 0)
                return b;
        char prefix[PATH_MAX + 16];
        snprintf(prefix, sizeof(prefix), "%s/.bulwark", workspace);
        int r = 0;
        for (size_t i = 0; i < c->sources.n && r == 0; i++) {
                const struct bw_source *src = c->sources.v[i];
                if ((src->layer != BW_LAYER_POLICY && src->layer != BW_LAYER_EXTENDS) || !src->path)
                        continue;
                const char *rest;
                int fd;
                if (has_prefix_dir(src->path, prefix, &rest))
                        fd = open_policy_beneath(b, rest, src->path, why, why_size);
                else
                        fd = -EXDEV;
                if (fd == -EXDEV) {
                        fd = open_admin_file(src->path, admin_dir, why, why_size);
                        if (fd == -EXDEV)
                                say(why, why_size,
                                    "%s lies outside %s: a workspace policy may extend only files in its .bulwark "
                                    "directory, built-in profiles and the admin directory",
                                    src->path, prefix);
                }
                if (fd == -ENOENT)
                        say(why, why_size, "%s vanished while it was checked; run again", src->path);
                if (fd < 0) {
                        r = fd;
                        break;
                }
                uint8_t d[BW_SHA256_SIZE];
                r = digest_fd(fd, src->path, d, why, why_size);
                close(fd);
                if (r == 0 && memcmp(d, src->sha256, sizeof(d)) != 0) {
                        say(why, why_size, "%s changed while it was read; run again", src->path);
                        r = -EAGAIN;
                }
                if (r == 0 && strchr(src->path, '\n')) {
                        say(why, why_size, "a policy path with a line break cannot be trusted");
                        r = -EINVAL;
                }
                if (r == 0)
                        r = set_add(&set, src->path, d);
        }
        if (r < 0) {
                bw_trust_set_done(&set);
                return r;
        }
        *ret = set;
        return 0;
}

/* ---- the trust store ---- */

static int store_dir_path(char *out, size_t size) {
        const char *state = getenv("XDG_STATE_HOME");
        if (state && state[0] == '/')
                return snprintf(out, size, "%s/bulwark/trust", state) < (int) size ? 0 : -ENAMETOOLONG;
        struct passwd *pw = getpwuid(getuid());
        if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
                return -ENOENT;
        return snprintf(out, size, "%s/.local/state/bulwark/trust", pw->pw_dir) < (int) size ? 0 : -ENAMETOOLONG;
}

static void record_name(const char *workspace, char out[33]) {
        uint8_t d[BW_SHA256_SIZE];
        bw_sha256(workspace, strlen(workspace), d);
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < 16; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[32] = 0;
}

int bw_trust_record_path(const char *workspace, char *out, size_t size) {
        char dir[PATH_MAX], name[33];
        int r = store_dir_path(dir, sizeof(dir));
        if (r < 0)
                return r;
        record_name(workspace, name);
        return snprintf(out, size, "%s/%s", dir, name) < (int) size ? 0 : -ENAMETOOLONG;
}

/* mkdir -p, 0700 for what it makes. */
static int make_dirs(const char *path) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s", path);
        for (char *s = p + 1;; s++) {
                if (*s == '/' || *s == 0) {
                        char saved = *s;
                        *s = 0;
                        if (mkdir(p, 0700) < 0 && errno != EEXIST)
                                return -errno;
                        *s = saved;
                        if (!saved)
                                return 0;
                }
        }
}

/*
 * Open the store's directory: it (after symlinks of the caller's own, e.g. a dotfile manager's)
 * and its parent bulwark/ must be the caller's and writable by nobody else, and it must not lie
 * inside the workspace, which sandboxed commands can write.
 */
static int open_store(const char *workspace, bool create, char *why, size_t why_size) {
        char dir[PATH_MAX], real[PATH_MAX];
        int r = store_dir_path(dir, sizeof(dir));
        if (r < 0) {
                say(why, why_size, "cannot find the trust store (no home directory, no XDG_STATE_HOME): %s",
                    strerror(-r));
                return r;
        }
        if (create && (r = make_dirs(dir)) < 0) {
                say(why, why_size, "cannot make the trust store %s: %s", dir, strerror(-r));
                return r;
        }
        if (!realpath(dir, real)) {
                int e = errno;
                if (e != ENOENT)
                        say(why, why_size, "cannot open the trust store %s: %s", dir, strerror(e));
                return -e;
        }
        const char *rest;
        if (bw_streq(real, workspace) || has_prefix_dir(real, workspace, &rest) || bw_streq(workspace, "/")) {
                say(why, why_size,
                    "the trust store %s lies inside the workspace %s, where sandboxed commands can write: set "
                    "XDG_STATE_HOME elsewhere",
                    real, workspace);
                return -EPERM;
        }
        int fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                say(why, why_size, "cannot open the trust store %s: %s", real, strerror(e));
                return -e;
        }
        _cleanup_close_ int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct stat st, pst;
        if (fstat(fd, &st) < 0 || parent < 0 || fstat(parent, &pst) < 0 || st.st_uid != getuid() ||
            pst.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) || (pst.st_mode & (S_IWGRP | S_IWOTH))) {
                say(why, why_size,
                    "the trust store %s (or its parent) is not yours alone (owned by you, writable by nobody else): "
                    "it cannot be used",
                    real);
                close(fd);
                return -EPERM;
        }
        return fd;
}

static int parse_hex(const char *s, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++) {
                int v = 0;
                for (int k = 0; k < 2; k++) {
                        char ch = s[2 * i + (size_t) k];
                        int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
                        if (d < 0)
                                return -EINVAL;
                        v = v * 16 + d;
                }
                out[i] = (uint8_t) v;
        }
        return 0;
}

int bw_trust_load(const char *workspace, struct bw_trust_set *ret, char *why, size_t why_size) {
        _cleanup_close_ int dfd = open_store(workspace, false, why, why_size);
        if (dfd < 0)
                return dfd;
        char name[33], shown[PATH_MAX + 40];
        record_name(workspace, name);
        (void) bw_trust_record_path(workspace, shown, sizeof(shown));
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                if (e != ENOENT)
                        say(why, why_size, "cannot read the trust record %s: %s", shown, strerror(e));
                return -e;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & (S_IWGRP | S_IWOTH))) {
                say(why, why_size, "the trust record %s is not a regular file of yours that only you can write", shown);
                return -EPERM;
        }
        size_t cap = 1 << 20;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;
        ssize_t n = bw_read_full(fd, buf, cap);
        if (n < 0) {
                say(why, why_size, "cannot read the trust record %s: %s", shown, strerror((int) -n));
                return (int) n;
        }
        buf[n] = 0;
        struct bw_trust_set set = {0};
        bool magic = false, ws_ok = false;
        int r = 0;
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save)) {
                uint8_t d[BW_SHA256_SIZE];
                if (bw_streq(line, TRUST_MAGIC))
                        magic = true;
                else if (strncmp(line, "workspace ", 10) == 0)
                        ws_ok = bw_streq(line + 10, workspace);
                else if (strncmp(line, "file ", 5) == 0 && strlen(line) > 5 + 64 + 1 && line[5 + 64] == ' ' &&
                         parse_hex(line + 5, d, sizeof(d)) == 0)
                        r = set_add(&set, line + 5 + 64 + 1, d);
                else
                        r = -EBADMSG;
        }
        if (r == 0 && (!magic || !ws_ok))
                r = -EBADMSG;
        if (r < 0) {
                bw_trust_set_done(&set);
                say(why, why_size, "the trust record %s is damaged or not for %s: run `bulwark trust` again", shown,
                    workspace);
                return r;
        }
        *ret = set;
        return 0;
}

int bw_trust_save(const char *workspace, const struct bw_trust_set *set, char *why, size_t why_size) {
        if (strchr(workspace, '\n')) {
                say(why, why_size, "a workspace path with a line break cannot be trusted");
                return -EINVAL;
        }
        _cleanup_close_ int dfd = open_store(workspace, true, why, why_size);
        if (dfd < 0)
                return dfd;
        char name[33], tmp[64];
        record_name(workspace, name);
        snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long) getpid());
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        fprintf(f, TRUST_MAGIC "\nworkspace %s\n", workspace);
        for (size_t i = 0; i < set->n; i++) {
                char hex[2 * BW_SHA256_SIZE + 1];
                bw_hex(set->v[i].sha256, BW_SHA256_SIZE, hex);
                fprintf(f, "file %s %s\n", hex, set->v[i].path);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        (void) unlinkat(dfd, tmp, 0);
        int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        int r = 0;
        if (fd < 0)
                r = -errno;
        else {
                ssize_t w = write(fd, text, len);
                if (w != (ssize_t) len)
                        r = w < 0 ? -errno : -EIO;
                if (r == 0 && (fchmod(fd, 0600) < 0 || fsync(fd) < 0))
                        r = -errno;
                if (close(fd) < 0 && r == 0)
                        r = -errno;
                if (r == 0 && renameat(dfd, tmp, dfd, name) < 0)
                        r = -errno;
                if (r == 0)
                        (void) fsync(dfd);
                if (r < 0)
                        (void) unlinkat(dfd, tmp, 0);
        }
        if (r < 0) {
                char shown[PATH_MAX + 40];
                (void) bw_trust_record_path(workspace, shown, sizeof(shown));
                say(why, why_size, "cannot write the trust record %s: %s", shown, strerror(-r));
        }
        return r;
}

int bw_trust_revoke(const char *workspace, char *why, size_t why_size) {
        _cleanup_close_ int dfd = open_store(workspace, false, why, why_size);
        if (dfd == -ENOENT)
                return 0;
        if (dfd < 0)
                return dfd;
        char name[33];
        record_name(workspace, name);
        if (unlinkat(dfd, name, 0) < 0) {
                int e = errno;
                if (e == ENOENT)
                        return 0;
                say(why, why_size, "cannot remove the trust record: %s", strerror(e));
                return -e;
        }
        (void) fsync(dfd);
        return 1;
}

const char *bw_trust_state_name(enum bw_trust_state s) {
        switch (s) {
        case BW_TRUST_SAME:
                return "trusted";
        case BW_TRUST_CHANGED:
                return "changed since you trusted it";
        case BW_TRUST_NEW:
                return "not trusted yet";
        case BW_TRUST_GONE:
                return "trusted, no longer used";
        }
        return "?";
}

static const struct bw_trust_file *set_find(const struct bw_trust_set *s, const char *path) {
        for (size_t i = 0; i < s->n; i++)
                if (bw_streq(s->v[i].path, path))
                        return &s->v[i];
        return NULL;
}

size_t bw_trust_compare(const struct bw_trust_set *trusted, const struct bw_trust_set *now, bw_trust_diff_fn fn,
                        void *userdata) {
        size_t n = 0;
        for (size_t i = 0; i < now->n; i++) {
                const struct bw_trust_file *t = set_find(trusted, now->v[i].path);
                enum bw_trust_state s = !t                                                    ? BW_TRUST_NEW
                                        : memcmp(t->sha256, now->v[i].sha256, BW_SHA256_SIZE) ? BW_TRUST_CHANGED
                                                                                              : BW_TRUST_SAME;
                if (s != BW_TRUST_SAME) {
                        if (fn)
                                fn(userdata, now->v[i].path, s);
                        n++;
                }
        }
        for (size_t i = 0; i < trusted->n; i++)
                if (!set_find(now, trusted->v[i].path)) {
                        if (fn)
                                fn(userdata, trusted->v[i].path, BW_TRUST_GONE);
                        n++;
                }
        return n;
}
