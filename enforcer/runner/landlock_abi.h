/* SPDX-License-Identifier: MIT */
/*
 * Landlock's kernel interface up to ABI 7, defined here because Debian 12's headers know only
 * ABI 2 while the kernels bulwark runs on offer more. Values are the kernel's UAPI
 * (include/uapi/linux/landlock.h); the ABI actually offered is asked at run time.
 */
#pragma once

#include <stdint.h>
#include <sys/syscall.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define BW_LL_CREATE_RULESET_VERSION (1u << 0)
#define BW_LL_RULE_PATH_BENEATH 1

/* Filesystem rights, with the ABI that introduced them. */
#define BW_LL_FS_EXECUTE (1ull << 0)
#define BW_LL_FS_WRITE_FILE (1ull << 1)
#define BW_LL_FS_READ_FILE (1ull << 2)
#define BW_LL_FS_READ_DIR (1ull << 3)
#define BW_LL_FS_REMOVE_DIR (1ull << 4)
#define BW_LL_FS_REMOVE_FILE (1ull << 5)
#define BW_LL_FS_MAKE_CHAR (1ull << 6)
#define BW_LL_FS_MAKE_DIR (1ull << 7)
#define BW_LL_FS_MAKE_REG (1ull << 8)
#define BW_LL_FS_MAKE_SOCK (1ull << 9)
#define BW_LL_FS_MAKE_FIFO (1ull << 10)
#define BW_LL_FS_MAKE_BLOCK (1ull << 11)
#define BW_LL_FS_MAKE_SYM (1ull << 12)
#define BW_LL_FS_REFER (1ull << 13)        /* ABI 2 */
#define BW_LL_FS_TRUNCATE (1ull << 14)     /* ABI 3 */
#define BW_LL_FS_IOCTL_DEV (1ull << 15)    /* ABI 5 */
#define BW_LL_FS_RESOLVE_UNIX (1ull << 16) /* ABI 9: connect()/sendmsg() to pathname unix sockets */

#define BW_LL_NET_BIND_TCP (1ull << 0) /* ABI 4 */
#define BW_LL_NET_CONNECT_TCP (1ull << 1)

#define BW_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ull << 0) /* ABI 6 */
#define BW_LL_SCOPE_SIGNAL (1ull << 1)

/* The ruleset attribute grew with the ABI: 8 bytes (1-3), 16 (4-5), 24 (6+). */
struct bw_ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

struct bw_ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));
