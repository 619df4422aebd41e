/* SPDX-License-Identifier: MIT */
#include "runner_file.h"
#include "util.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define XATTR_CAPS "security.capability"
#define WANTED_MODE 0755u

/* cap_setuid,cap_setgid=ep as a revision-2 security.capability: magic_etc, then permitted and
 * inheritable for capabilities 0-31 and 32-63 (little endian). */
static void wanted_caps(uint8_t out[20]) {
        memset(out, 0, 20);
        bw_put_le32(out, VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE);
        bw_put_le32(out + 4, (1u << CAP_SETUID) | (1u << CAP_SETGID));
}

int bw_runner_locate(const char *override, char *out, size_t size) {
        if (override) {
                if (override[0] != '/')
                        return -EINVAL;
                snprintf(out, size, "%s", override);
                return 0;
        }
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        self[n] = 0;
        snprintf(out, size, "%s/bulwark-runner", dirname(self));
        return 0;
}

int bw_runner_open(const char *path, struct bw_runner_state *st, char *err, size_t err_size) {
        /* Every directory on the way must be root's and writable by root alone (sticky
         * world-writable ones, like /tmp, too: anyone could have made the name first). */
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        for (char *d = dirname(dir);; d = dirname(d)) {
                struct stat ds;
                if (lstat(d, &ds) < 0 ||
                    (S_ISLNK(ds.st_mode) ? ds.st_uid != 0 : ds.st_uid != 0 || (ds.st_mode & (S_IWGRP | S_IWOTH)))) {
                        snprintf(err, err_size,
                                 "%s can be changed by someone other than root, who could swap the file: install "
                                 "bulwark-runner where only root can write (or give --runner PATH)",
                                 d);
                        return -EPERM;
                }
                if (bw_streq(d, "/"))
                        break;
        }
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                snprintf(err, err_size, "%s", strerror(errno));
                return -errno;
        }
        struct stat s;
        if (fstat(fd, &s) < 0 || !S_ISREG(s.st_mode) || s.st_nlink != 1) {
                snprintf(err, err_size, "not a regular file with a single link: refusing to give it capabilities");
                close(fd);
                return -EPERM;
        }
        if (s.st_uid != 0) {
                /* its owner could still hold it open for writing, and change it after it has them */
                snprintf(err, err_size, "owned by uid %u, not root: install it as root before it gets capabilities",
                         (unsigned) s.st_uid);
                close(fd);
                return -EPERM;
        }
        *st = (struct bw_runner_state){.ino = s.st_ino, .uid = s.st_uid, .gid = s.st_gid, .mode = s.st_mode & 07777};
        ssize_t n = fgetxattr(fd, XATTR_CAPS, st->cap, sizeof(st->cap));
        if (n >= 0) {
                st->has_cap = true;
                st->cap_len = (size_t) n;
        } else if (errno != ENODATA && errno != ENOTSUP) {
                snprintf(err, err_size, "cannot read its capabilities: %s", strerror(errno));
                close(fd);
                return -errno;
        }
        return fd;
}

bool bw_runner_is_current(const struct bw_runner_state *st) {
        uint8_t want[20];
        wanted_caps(want);
        return st->uid == 0 && st->gid == 0 && st->mode == WANTED_MODE && st->has_cap && st->cap_len == 20 &&
               memcmp(st->cap, want, 20) == 0;
}

void bw_runner_describe(const struct bw_runner_state *st, char *out, size_t size) {
        uint8_t want[20];
        wanted_caps(want);
        bool caps_ok = st->has_cap && st->cap_len == 20 && memcmp(st->cap, want, 20) == 0;
        snprintf(out, size, "owner %u:%u%s, mode %04o%s, capabilities %s%s", st->uid, st->gid,
                 st->uid || st->gid ? " -> root:root" : "", st->mode, st->mode != WANTED_MODE ? " -> 0755" : "",
                 !st->has_cap ? "none"
                 : caps_ok    ? "cap_setgid,cap_setuid=ep"
                              : "other",
                 caps_ok ? "" : " -> cap_setgid,cap_setuid=ep");
}

int bw_runner_converge(int fd, char *err, size_t err_size) {
        uint8_t want[20];
        wanted_caps(want);
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, WANTED_MODE) < 0 || fsetxattr(fd, XATTR_CAPS, want, 20, 0) < 0) {
                snprintf(err, err_size, "%s", strerror(errno));
                return -errno;
        }
        return 0;
}

int bw_runner_restore(int fd, const struct bw_runner_state *b, char *err, size_t err_size) {
        int r = fchown(fd, b->uid, b->gid) < 0 || fchmod(fd, b->mode) < 0 ? -errno : 0;
        if (r == 0)
                r = b->has_cap ? (fsetxattr(fd, XATTR_CAPS, b->cap, b->cap_len, 0) < 0 ? -errno : 0)
                               : (fremovexattr(fd, XATTR_CAPS) < 0 && errno != ENODATA ? -errno : 0);
        if (r < 0)
                snprintf(err, err_size, "%s", strerror(-r));
        return r;
}

/* u64 ino, u32 uid, gid, mode, u8 has_cap, u8 cap_len, cap bytes, path */
uint8_t *bw_runner_encode(const char *path, const struct bw_runner_state *st, uint32_t *ret_len) {
        size_t pl = strlen(path), n = 8 + 12 + 2 + st->cap_len + pl;
        uint8_t *p = malloc(n);
        if (!p)
                abort();
        bw_put_le64(p, st->ino);
        bw_put_le32(p + 8, st->uid);
        bw_put_le32(p + 12, st->gid);
        bw_put_le32(p + 16, st->mode);
        p[20] = st->has_cap;
        p[21] = (uint8_t) st->cap_len;
        memcpy(p + 22, st->cap, st->cap_len);
        /* a length-delimited field of a binary record: no NUL wanted */
        memcpy(p + 22 + st->cap_len, path, pl); /* NOLINT(bugprone-not-null-terminated-result) */
        *ret_len = (uint32_t) n;
        return p;
}

int bw_runner_decode(const uint8_t *p, uint32_t len, char *path, size_t path_size, struct bw_runner_state *st) {
        if (len < 22 || p[21] > BW_RUNNER_CAP_MAX || len < 22u + p[21] || len - 22u - p[21] >= path_size)
                return -EBADMSG;
        *st = (struct bw_runner_state){.ino = bw_le64(p),
                                       .uid = bw_le32(p + 8),
                                       .gid = bw_le32(p + 12),
                                       .mode = bw_le32(p + 16) & 07777,
                                       .has_cap = p[20] != 0,
                                       .cap_len = p[21]};
        memcpy(st->cap, p + 22, st->cap_len);
        size_t pl = len - 22u - st->cap_len;
        memcpy(path, p + 22 + st->cap_len, pl);
        path[pl] = 0;
        return path[0] == '/' && strlen(path) == pl ? 0 : -EBADMSG;
}
