/* SPDX-License-Identifier: MIT */
/*
 * The runner's seccomp filter, as libseccomp rules. Not linked into bulwark-runner: seccomp_gen
 * builds both variants at build time and exports their BPF into a C file the runner installs
 * with one prctl() (building the filter took a quarter of a millisecond of every run).
 */
#include "seccomp_filter.h"
#include "util.h"

#include <errno.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

static int deny(scmp_filter_ctx ctx, int err, const char *name) {
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0; /* not a system call on this architecture */
        return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
}

scmp_filter_ctx bw_seccomp_build(enum bw_seccomp_sockets sockets) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx)
                return NULL;
        int e = 0;
        /* Calls from another architecture's table (e.g. int 0x80 on x86-64) are killed. */
        e |= seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        /* a binary search over the system call number rather than a linear list: every system
         * call of the command pays for the filter */
        (void) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
        static const char *const denied[] = {/* other processes' memory */
                                             "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
                                             /* io_uring does I/O outside what seccomp sees */
                                             "io_uring_setup", "io_uring_enter", "io_uring_register",
                                             /* the mount table and namespaces */
                                             "setns", "mount", "umount2", "pivot_root", "chroot", "move_mount",
                                             "open_tree", "fsopen", "fsmount", "fspick", "fsconfig", "mount_setattr",
                                             /* kernel attack surface a build never needs */
                                             "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
                                             "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
                                             "finit_module", "delete_module", "acct", "swapon", "swapoff", "reboot",
                                             "quotactl", "open_by_handle_at", "iopl", "ioperm"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(denied); i++)
                e |= deny(ctx, EPERM, denied[i]);
        /* No new user namespace (where a process would regain every capability). clone3 passes
         * its flags in memory seccomp cannot read: refuse it as unimplemented, so that libc falls
         * back to clone, whose flags are checked. */
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
        /* Typing into the terminal of whoever started the sandbox. */
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
        /* No setuid or setgid files: in elevated mode one would outlive the sandbox and let anyone
         * who runs it become the sandbox user, shared by every user's sandbox. (The mode is a
         * plain argument of these calls; openat2 and fchmodat2 pass it where seccomp cannot look,
         * so they are refused as unimplemented and libc falls back.) */
        static const struct {
                int nr, arg;
        } mode_calls[] = {{SCMP_SYS(chmod), 1}, {SCMP_SYS(fchmod), 1}, {SCMP_SYS(fchmodat), 2},
                          {SCMP_SYS(open), 2},  {SCMP_SYS(openat), 3}, {SCMP_SYS(creat), 1},
                          {SCMP_SYS(mknod), 1}, {SCMP_SYS(mknodat), 2}};
        static const scmp_datum_t bits[] = {S_ISUID, S_ISGID};
        for (size_t i = 0; i < BW_ARRAY_SIZE(mode_calls); i++)
                for (size_t b = 0; b < BW_ARRAY_SIZE(bits) && mode_calls[i].nr >= 0; b++) {
                        struct scmp_arg_cmp cmp = {(unsigned) mode_calls[i].arg, SCMP_CMP_MASKED_EQ, bits[b], bits[b]};
                        e |= seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM), mode_calls[i].nr, 1, &cmp);
                }
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
        e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), 452 /* fchmodat2, newer than libseccomp 2.5 */, 0);
        if (sockets != BW_SOCKETS_ANY) {
                /* An allow-list of address families. Offline with a private network namespace:
                 * the families that namespace isolates (unix, IPv4, IPv6, netlink); every other one
                 * (vsock reaches the hypervisor's services whatever the namespace; bluetooth,
                 * packet, ...) is a way out or needless surface. Without a private network
                 * namespace: not even IP. */
                scmp_datum_t allowed[] = {AF_UNIX, AF_NETLINK, AF_INET, AF_INET6};
                size_t n_allowed = sockets == BW_SOCKETS_LOCAL ? 2 : 4;
                for (scmp_datum_t f = 0; f <= AF_MAX; f++) {
                        bool ok = false;
                        for (size_t i = 0; i < n_allowed; i++)
                                ok |= allowed[i] == f;
                        if (!ok)
                                e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                                      SCMP_A0(SCMP_CMP_EQ, f));
                }
                e |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                      SCMP_A0(SCMP_CMP_GT, (scmp_datum_t) AF_MAX));
        }
        if (e < 0) {
                seccomp_release(ctx);
                return NULL;
        }
        return ctx;
}
