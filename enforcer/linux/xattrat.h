/* SPDX-License-Identifier: MIT */
/*
 * getxattrat()/setxattrat()/removexattrat() (Linux 6.13+), which act on a name relative to a
 * directory fd without following a final symlink: the safe way for a root process to touch
 * objects in a tree the sandbox can write, and the fast one (no path re-walk per call).
 * glibc 2.36 has no wrappers; on older kernels these return -ENOSYS and callers fall back to
 * opening the object with O_NOFOLLOW and using the f*xattr() calls on the fd.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Returns the value's size, or a negative errno (-ENODATA when absent). */
ssize_t bw_getxattrat(int dirfd, const char *name, const char *attr, void *buf, size_t size);
int bw_setxattrat(int dirfd, const char *name, const char *attr, const void *value, size_t size);
int bw_removexattrat(int dirfd, const char *name, const char *attr);
