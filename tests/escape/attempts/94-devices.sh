# SPDX-License-Identifier: MIT
# Devices. Unelevated the command is ann, and Landlock grants reads of "/": every device node
# ann's groups reach would be readable (a webcam of group video, a microphone of audio, a serial
# port of dialout, a disk of group disk), and their ioctls before Landlock ABI 5. The sandbox
# gets a minimal /dev instead (as `bwrap --dev`): null, zero, full, random, urandom, tty, a private
# devpts and /dev/shm. Here a "camera" of ann's group docker (crw-rw---- root:docker, the
# urandom driver behind it) in a directory of /dev (a tmpfs of the harness's own mount namespace
# over an existing directory there: the host's /dev is not changed). Elevated the command is the
# sandbox user, whom the group keeps out as well.

if [ -z "${dev_cam:-}" ]; then
        dev_cam=
        for d in /dev/net /dev/cpu /dev/input /dev/snd /dev/dri /dev/mqueue /dev/hugepages; do
                [ -d "$d" ] || continue
                if mount -t tmpfs -o mode=0755 tmpfs "$d" 2>/dev/null; then
                        dev_cam=$d/video-escape
                        mknod -m 0660 "$dev_cam" c 1 9 && chown root:docker "$dev_cam" || dev_cam=
                        break
                fi
        done
fi
if [ -n "$dev_cam" ]; then
        blocked -c dev-group-device 'No such file or directory|Permission denied' od -A n -t x1 -N 16 "$dev_cam"
        blocked dev-group-device-listed 'no other devices' sh -c \
                'ls /dev; n=$(find /dev -mindepth 1 -maxdepth 1 ! -name null ! -name zero ! -name full ! -name random ! -name urandom ! -name tty ! -name pts ! -name shm ! -name ptmx ! -name fd ! -name stdin ! -name stdout ! -name stderr | tr "\n" " "); [ -n "$n" ] && { echo "more: $n"; exit 0; }; echo "no other devices"; exit 1'
else
        skip_here dev-group-device "no directory in /dev to mount a private tmpfs over (for a device of ann's group)"
fi
allowed dev-harmless "the harmless devices and the /dev links work" \
        sh -c 'echo x >/dev/null && head -c 4 /dev/urandom | od >/dev/null && head -c 4 /dev/zero | od >/dev/null &&
               ! echo x 2>/dev/null >/dev/full && test -c /dev/random && test -L /dev/fd && test -d /dev/pts &&
               python3 -c "import os, pty; m, s = pty.openpty(); assert os.ttyname(s).startswith(\"/dev/pts/\")"'
