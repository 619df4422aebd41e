/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filter of the sandbox (the token spec's seccomp profile 1, "default-v1"):
 * - refused with EPERM: ptrace, process_vm_*, kcmp, io_uring, the mount family, setns, new user
 *   namespaces (unshare/clone with CLONE_NEWUSER), TIOCSTI/TIOCLINUX, bpf, keyctl, perf events,
 *   userfaultfd, module and kexec calls, setuid/setgid modes in chmod, open, creat and mknod;
 * - refused with ENOSYS (callers fall back): clone3, openat2, fchmodat2, whose flags or mode
 *   live in memory a filter cannot read;
 * - variant 1, for an offline sandbox without its own network namespace: sockets other than
 *   AF_UNIX and AF_NETLINK refused with EACCES;
 * - calls from another architecture's table kill the process.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The BPF programs, built at build time (seccomp_filters.c, generated): [0] the filter, [1] the
 * filter with the socket allow-list. */
struct bw_seccomp_program {
        const unsigned char *code; /* struct sock_filter[], size / 8 of them */
        size_t size;
};
extern const struct bw_seccomp_program bw_seccomp_programs[2];

#ifdef BW_SECCOMP_BUILDER
#include <seccomp.h>
/* The libseccomp filter (for seccomp_gen), or NULL if a rule could not be added. */
scmp_filter_ctx bw_seccomp_build(bool no_ip_sockets);
#endif
