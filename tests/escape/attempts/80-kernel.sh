# SPDX-License-Identifier: MIT
# Kernel interfaces a build never needs (seccomp: EPERM), filter bypasses (the 32-bit and x32
# tables: killed), the mount table (EPERM), and the kernel's own files (read-only /proc and /sys).

blocked kern-mount 'Operation not permitted \(mount\)' "$probe" mount /home/ann
blocked kern-mount-cmd 'Operation not permitted|must be superuser|only root' mount -t tmpfs none /home/ann
blocked kern-umount-cover 'Operation not permitted \(umount2\)' "$probe" umount /home/ann/.ssh
blocked kern-umount-git 'Operation not permitted \(umount2\)' "$probe" umount "$ws/.git"
blocked kern-fsopen 'Operation not permitted \(fsopen\)' "$probe" fsopen
blocked kern-open-tree 'Operation not permitted \(open_tree\)' "$probe" open-tree /home/ann
blocked kern-chroot 'Operation not permitted \(chroot\)' "$probe" chroot /tmp
blocked kern-setns 'Operation not permitted \(setns\)' "$probe" setns
blocked kern-open-by-handle 'Operation not permitted \((name_to_handle_at|open_by_handle_at)\)' "$probe" open-by-handle /home/ann/outside.txt
blocked -c kern-io-uring 'Operation not permitted \(io_uring_setup\)' "$probe" io_uring
blocked kern-bpf 'Operation not permitted \(bpf\)' "$probe" bpf
blocked -c kern-keyctl 'Operation not permitted \(keyctl\)' "$probe" keyctl
blocked -c kern-perf 'Operation not permitted \(perf_event_open\)' "$probe" perf
blocked -c kern-userfaultfd 'Operation not permitted \(userfaultfd\)' "$probe" userfaultfd
blocked -c kern-tiocsti 'Operation not permitted \(ioctl TIOCSTI\)' "$probe" tiocsti low
blocked -c kern-tiocsti-high-bits 'Operation not permitted \(ioctl TIOCSTI\)' "$probe" tiocsti high
# A kernel without the 32-bit entry (built without ia32 emulation, or booted with
# ia32_emulation=0) faults on int 0x80 before any system call: nothing there to slip past the
# filter, and nothing for this attempt to prove
ia32_absent=false
if [ "$mode" != control ]; then
        outside "$probe" ia32-unshare
        grep -q 'killed by signal SIGSEGV' "$out" && ia32_absent=true
fi
if $ia32_absent; then
        skip_here kern-ia32-syscall "this kernel has no 32-bit system call entry (int 0x80 faults outside the sandbox too)"
else
        blocked -c kern-ia32-syscall 'killed by signal SIGSYS' "$probe" ia32-unshare
fi
blocked kern-x32-syscall 'killed by signal SIGSYS' "$probe" x32-unshare
blocked kern-proc-sys 'Read-only file system|Permission denied' sh -c 'echo "|/tmp/evil" >/proc/sys/kernel/core_pattern'
blocked -c kern-proc-self 'Read-only file system' sh -c 'echo 500 >/proc/self/oom_score_adj'
blocked kern-drop-caches 'Read-only file system|Permission denied' sh -c 'echo 3 >/proc/sys/vm/drop_caches'
blocked kern-sys 'Read-only file system|Permission denied' sh -c 'echo 1 >/sys/kernel/mm/transparent_hugepage/khugepaged/defrag'
blocked kern-cgroup 'Read-only file system|Permission denied' sh -c 'echo $$ >/sys/fs/cgroup/cgroup.procs'
