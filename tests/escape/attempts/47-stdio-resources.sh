# SPDX-License-Identifier: MIT
# Issue #11: what the command inherits, and what it may use up.
#
# Inherited stdio: the caller's terminal or file on stdin, the log file it redirected stdout to
# (outside every writable root). The descriptors are the caller's objects, on the host's mounts:
# no read-only mount of the sandbox covers them, and Landlock checks writes at open(). Through
# them the command must not change the host object's mode, xattrs or size (chmod via
# /proc/self/fd/N, setxattr, fsetxattr, ftruncate of an append-only log). These are harmless
# attempts with host checks: what counts is the object on the host, however the runner keeps it
# unchanged (refused, or a relay in between).
# Resources: the private /dev/shm and $TMPDIR have a size (ENOSPC well before 1 GiB); the
# number of processes has a limit (a bounded fork loop: at most 5000 sleeps, all killed).

# mode_of PATH: its permission bits
mode_of() { stat -c %a "$1"; }
# unchanged_mode PATH MODE
unchanged_mode() {
        m=$(mode_of "$1")
        [ "$m" = "$2" ] || { echo "$1 is mode $m now, was $2"; return 1; }
}
no_xattr() {
        python3 -c 'import os, sys
v = [a for a in os.listxattr(sys.argv[1]) if a.startswith("user.")]
print("user xattrs:", v)
sys.exit(1 if v else 0)' "$1"
}
size_is() {
        s=$(stat -c %s "$1")
        [ "$s" = "$2" ] || { echo "$1 is $s bytes now, was $2"; return 1; }
}
logs=/home/ann/logs

# ---- stdin: ann's terminal, or a file of hers ----
pty_mode=$(mode_of "$pty")
ESC_FD0=$pty
proof stdio-chmod-pty chmod 666 /proc/self/fd/0
chmod "$pty_mode" "$pty"
harmless stdio-chmod-pty chmod 666 /proc/self/fd/0
host_check stdio-chmod-pty "ann's terminal $pty keeps its mode $pty_mode" unchanged_mode "$pty" "$pty_mode"
chmod "$pty_mode" "$pty"
ESC_FD0=$logs/input.txt
proof stdio-chmod-file-stdin chmod 666 /proc/self/fd/0
chmod 644 "$logs/input.txt"
harmless stdio-chmod-file-stdin chmod 666 /proc/self/fd/0
host_check stdio-chmod-file-stdin "ann's file on stdin keeps its mode 644" unchanged_mode "$logs/input.txt" 644
chmod 644 "$logs/input.txt"
ESC_FD0=

# ---- stdout: a log file outside every writable root ----
ESC_FD1=$logs/build.log
log_size=$(stat -c %s "$logs/build.log")
proof stdio-chmod-stdout "$probe" fd-chmod 1 666
chmod 644 "$logs/build.log"
harmless stdio-chmod-stdout "$probe" fd-chmod 1 666
host_check stdio-chmod-stdout "the log keeps its mode 644" unchanged_mode "$logs/build.log" 644
chmod 644 "$logs/build.log"
for how in fd-setxattr fd-fsetxattr; do
        proof "stdio-$how-stdout" "$probe" "$how" 1
        setfattr_rm() { python3 -c 'import os, sys
try: os.removexattr(sys.argv[1], "user.bulwark")
except OSError: pass' "$logs/build.log"; }
        setfattr_rm
        harmless "stdio-$how-stdout" "$probe" "$how" 1
        host_check "stdio-$how-stdout" "the log has no xattr of the command's" no_xattr "$logs/build.log"
        setfattr_rm
done
ESC_FD1=$logs/append.log
append_size=$(stat -c %s "$logs/append.log")
proof stdio-ftruncate-stdout "$probe" fd-truncate 1
printf 'line 1\nline 2\n' >"$logs/append.log"
harmless stdio-ftruncate-stdout "$probe" fd-truncate 1
host_check stdio-ftruncate-stdout "the append-only log the caller redirected into keeps its $append_size bytes" \
        size_is "$logs/append.log" "$append_size"
printf 'line 1\nline 2\n' >"$logs/append.log"
ESC_FD1=
host_check stdio-stdout-log "the log file keeps its $log_size bytes" size_is "$logs/build.log" "$log_size"

# ---- resources ----
blocked -c res-shm-fill 'No space left on device \(write [^ ]+ after [0-9]{1,3} MiB\)' "$probe" fill /dev/shm/esc-fill 1024
blocked -c res-tmpdir-fill 'No space left on device \(write [^ ]+ after [0-9]{1,3} MiB\)' \
        sh -c 'exec "$0" fill "${TMPDIR:-/tmp}/esc-fill" 1024' "$probe"
blocked -c res-processes 'Resource temporarily unavailable \(spawn after [0-9]+ processes\)' "$probe" procs 600 # (the world's policy: 512)
host_check res-processes "no sleep of the attempt outlived it" \
        sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do pgrep -fx "sleep 60" >/dev/null || exit 0; sleep 0.2; done; exit 1'
