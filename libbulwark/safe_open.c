/* SPDX-License-Identifier: MIT */
#include "safe_open.h"
#include "strbuf.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SYMLINK_HOPS 32

int bw_open_path_safely(const char *path, int flags, uid_t trusted_uid) {
        if (path[0] != '/')
                return -EINVAL;
        /* Most paths have no symlink at all: one openat2() that refuses every symlink settles them
         * (the runner opens hundreds per start: 15 system calls each the long way). A symlink
         * anywhere (ELOOP), or a kernel without openat2, takes the component walk below, which
         * decides whose symlinks may be followed. */
        struct open_how how = {.flags = (uint64_t) (flags | O_CLOEXEC),
                               .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
        int quick = (int) syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
        if (quick >= 0)
                return quick;
        if (errno != ELOOP && errno != ENOSYS && errno != EPERM && errno != E2BIG && errno != EINVAL)
                return -errno;
        _cleanup_free_ char *work = strdup(path);
        if (!work)
                return -ENOMEM;
        int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        unsigned hops = 0;
        /* components are consumed from a queue so that a trusted symlink's target can be spliced in */
        struct bw_strbuf rest = {0};
        bw_sb_puts(&rest, work + 1);
        while (rest.len > 0) {
                char *s = bw_sb_take(&rest);
                char *slash = strchr(s, '/');
                if (slash) {
                        *slash = 0;
                        bw_sb_puts(&rest, slash + 1);
                }
                const char *comp = s;
                if (comp[0] == 0 || bw_streq(comp, ".")) {
                        free(s);
                        continue;
                }
                /* bound paths are normalised: a ".." comes from a trusted symlink's target, and means
                 * the parent of where the walk is (".." is never a symlink itself) */
                int next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0) {
                        int e = -errno;
                        free(s);
                        close(fd);
                        bw_sb_done(&rest);
                        return e;
                }
                struct stat st;
                if (fstat(next, &st) < 0) {
                        int e = -errno;
                        free(s);
                        close(next);
                        close(fd);
                        bw_sb_done(&rest);
                        return e;
                }
                if (S_ISLNK(st.st_mode)) {
                        char target[PATH_MAX];
                        ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
                        close(next);
                        if (n < 0 || (st.st_uid != 0 && st.st_uid != trusted_uid) || ++hops > SYMLINK_HOPS) {
                                free(s);
                                close(fd);
                                bw_sb_done(&rest);
                                return n < 0 ? -EIO : -ELOOP;
                        }
                        target[n] = 0;
                        struct bw_strbuf spliced = {0};
                        if (target[0] == '/') {
                                close(fd);
                                fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                bw_sb_puts(&spliced, target + 1);
                        } else
                                bw_sb_puts(&spliced, target);
                        if (rest.len) {
                                bw_sb_putc(&spliced, '/');
                                bw_sb_puts(&spliced, bw_sb_str(&rest));
                        }
                        bw_sb_done(&rest);
                        rest = spliced;
                        free(s);
                        continue;
                }
                close(fd);
                fd = next;
                free(s);
        }
        bw_sb_done(&rest);
        /* Re-open the final O_PATH fd with the wanted flags, without resolving any name again: a
         * directory through ".", anything else through its /proc/self/fd link (which names the
         * inode, not a path). */
        if ((flags & O_PATH) && !(flags & O_DIRECTORY))
                return fd; /* the O_PATH fd is what was asked for */
        int out;
        if (flags & O_DIRECTORY)
                out = openat(fd, ".", flags | O_CLOEXEC);
        else {
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
                out = open(proc, flags | O_CLOEXEC);
                if (out < 0 && errno == ENOENT && access("/proc/self", F_OK) < 0)
                        errno = ENOSYS; /* no /proc: say so rather than "does not exist" */
        }
        int e = errno;
        close(fd);
        return out < 0 ? -e : out;
}
