/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter of the sandbox (the token spec's seccomp profile 1, "default-v1"):
 * - refused with EPERM: ptrace, process_vm_*, kcmp, io_uring, the mount family, setns, new user
 *   namespaces (unshare/clone with CLONE_NEWUSER), TIOCSTI/TIOCLINUX, bpf, keyctl, perf events,
 *   userfaultfd, module and kexec calls, setuid/setgid modes in chmod, open, creat and mknod;
 * - refused with ENOSYS (callers fall back): clone3, openat2, fchmodat2, whose flags or mode
 *   live in memory a filter cannot read;
 * - offline, sockets of an address family outside an allow-list refused with EAFNOSUPPORT:
 *   with a private network namespace, AF_UNIX, AF_NETLINK, AF_INET and AF_INET6 (the families it
 *   isolates: AF_VSOCK, for one, reaches the host's services from any namespace); without one,
 *   AF_UNIX and AF_NETLINK only;
 * - calls from another architecture's table kill the process.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Which sockets a variant allows (the index of its program). */
enum bw_seccomp_sockets {
        BW_SOCKETS_ANY = 0,   /* online */
        BW_SOCKETS_LOCAL = 1, /* offline without a private network namespace: unix, netlink */
        BW_SOCKETS_NETNS = 2, /* offline with one: unix, netlink, IPv4, IPv6 */
};
#define BW_SECCOMP_VARIANTS 3

/* The BPF programs, built at build time (seccomp_filters.c, generated), by enum bw_seccomp_sockets. */
struct bw_seccomp_program {
        const unsigned char *code; /* struct sock_filter[], size / 8 of them */
        size_t size;
};
extern const struct bw_seccomp_program bw_seccomp_programs[BW_SECCOMP_VARIANTS];

#ifdef BW_SECCOMP_BUILDER
#include <seccomp.h>
/* The libseccomp filter (for seccomp_gen), or NULL if a rule could not be added. */
scmp_filter_ctx bw_seccomp_build(enum bw_seccomp_sockets sockets);
#endif
