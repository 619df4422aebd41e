# SPDX-License-Identifier: MIT
# ann's other processes: invisible in the sandbox's pid namespace (ESRCH, no /proc entry);
# ptrace and process_vm_* are denied by seccomp (EPERM) even for the sandbox's own children;
# nothing started in the sandbox outlives it.

blocked -c proc-kill0-host "No such process" "$probe" kill0 "$ann_sleep"
blocked proc-host-in-proc 'No such file or directory' cat "/proc/$ann_sleep/cmdline"
blocked -c proc-ptrace-host 'Operation not permitted \(ptrace\)' "$probe" ptrace "$ann_sleep"
blocked -c proc-ptrace-child 'Operation not permitted \(ptrace\)' "$probe" ptrace child
blocked proc-strace 'Operation not permitted' timeout 3 strace -o /dev/null -p "$ann_sleep"
blocked -c proc-vm-readv 'Operation not permitted \(process_vm_readv\)' "$probe" process_vm_readv
harmless proc-kill-all sh -c 'kill -KILL -1; exit 0'
harmless proc-background sh -c 'setsid sleep 4242 </dev/null >/dev/null 2>&1 & sleep 0.1; exit 0'
host_check proc-background "the background process died with the sandbox" \
        sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -f "^sleep 4242\$" >/dev/null || exit 0; sleep 0.1; done; exit 1'
