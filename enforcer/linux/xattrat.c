/* SPDX-License-Identifier: MIT */
#include "xattrat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef __NR_setxattrat
#if defined(__x86_64__) || defined(__aarch64__) || defined(__riscv)
#define __NR_getxattrat 464
#endif
#endif

struct xattr_args_k {
        uint64_t value;
        uint32_t size;
        uint32_t flags;
};

static atomic_bool no_xattrat;

/* Fallback: open the object itself without following a symlink. O_PATH fds do not support
 * xattr calls, so open for reading; O_NONBLOCK keeps a FIFO from blocking us. */
static int open_object(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        return fd < 0 ? -errno : fd;
}

ssize_t bw_getxattrat(int dirfd, const char *name, const char *attr, void *buf, size_t size) {
#ifdef __NR_getxattrat
        if (!atomic_load(&no_xattrat)) {
                struct xattr_args_k a = {(uintptr_t) buf, (uint32_t) size, 0};
                long r = syscall(__NR_getxattrat, dirfd, name, AT_SYMLINK_NOFOLLOW, attr, &a, sizeof(a));
                if (r >= 0)
                        return r;
                if (errno != ENOSYS)
                        return -errno;
                atomic_store(&no_xattrat, true);
        }
#endif
        int fd = open_object(dirfd, name);
        if (fd < 0)
                return fd;
        ssize_t r = fgetxattr(fd, attr, buf, size);
        int e = errno;
        close(fd);
        return r < 0 ? -e : r;
}
