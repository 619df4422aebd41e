/* SPDX-License-Identifier: MIT */
/*
 * getxattrat() (Linux 6.13+) reads an xattr by name relative to a directory fd without following
 * a final symlink: the fast way to read every ACL of a tree (no path re-walk, no open per
 * object). glibc 2.36 has no wrapper; on older kernels it falls back to opening the object with
 * O_NOFOLLOW and fgetxattr(). Writes never go by name: they go through an fd of the object,
 * checked first (see acl_tree.c), because the sandbox can rename things at any moment.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Returns the value's size, or a negative errno (-ENODATA when absent). */
ssize_t bw_getxattrat(int dirfd, const char *name, const char *attr, void *buf, size_t size);
