# SPDX-License-Identifier: MIT
# Links and /proc: a path inside the workspace that leads outside, or a second name for a
# file outside. Symlinks are followed to the read-only target (EROFS/EACCES); hard links across
# the workspace's mount are refused (EXDEV); /proc's magic links reopen the same read-only object.

blocked symlink-out "$(pick 'Read-only file system' 'Permission denied')" sh -c 'ln -s /home/ann/outside.txt out-link && echo evil >>out-link'
blocked symlink-home 'Read-only file system' sh -c 'ln -s /home/ann home-link && echo evil >home-link/new.txt'
blocked symlink-root 'Read-only file system' sh -c 'ln -s / root-link && echo evil >root-link/etc/bulwark-escape'
blocked hardlink-in 'Invalid cross-device link' ln /home/ann/outside.txt outside-hardlink
blocked hardlink-fd 'Invalid cross-device link' "$probe" link-fd /home/ann/outside.txt outside-hardlink
blocked proc-fd-reopen "$(pick 'Read-only file system' 'Permission denied')" "$probe" write-fd /home/ann/outside.txt /proc/self/fd/N
blocked proc-fd-reopen-git "$(pick 'Read-only file system' 'Permission denied')" "$probe" write-fd .git/config /proc/self/fd/N
blocked proc-self-root "$(pick 'Read-only file system' 'Permission denied')" sh -c 'echo evil >>/proc/self/root/home/ann/outside.txt'
# pid 1 is the sandbox's init, which holds every capability in the sandbox's user namespace:
# the command, holding none, may not follow its magic links (ptrace access rule: EACCES)
blocked proc-1-root 'Permission denied|Read-only file system' sh -c 'echo evil >>/proc/1/root/home/ann/outside.txt'
blocked proc-self-cwd "$(pick 'Read-only file system' 'Permission denied')" sh -c 'echo evil >>/proc/self/cwd/../outside.txt'
# the sandbox's init (pid 1) holds no fd of the original mounts and is not the command's to open
blocked proc-1-fds 'Permission denied' sh -c 'ls -l /proc/1/fd/ && for f in /proc/1/fd/*; do ls "$f/" && exit 0; done; exit 1'
blocked proc-1-cwd-git 'Permission denied|Read-only file system' sh -c 'echo evil >>/proc/1/cwd/.git/config'
ESC_FD7=/home/ann/outside.txt
blocked leaked-descriptor 'Bad file descriptor' sh -c 'echo evil >&7'
ESC_FD7=
