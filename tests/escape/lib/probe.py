# SPDX-License-Identifier: MIT
"""One escape primitive per subcommand, for tests/escape (run inside and outside the sandbox).

Prints "ok: ..." and exits 0 when the primitive worked (an escape, inside the sandbox), or
"errno ENAME: message (operation)" and exits 1 when the kernel refused it. Exit 3: the primitive
does not exist on this machine (skip). Usage: probe.py SUBCOMMAND [ARG...]
"""
import ctypes
import errno
import os
import platform
import signal
import socket
import struct
import sys
import termios
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

# x86-64 system call numbers (the only table the suite carries; elsewhere the probes skip)
NR = {"ptrace": 101, "process_vm_readv": 310, "io_uring_setup": 425, "bpf": 321, "keyctl": 250,
      "perf_event_open": 298, "userfaultfd": 323, "setns": 308, "unshare": 272, "clone": 56,
      "clone3": 435, "mount": 165, "umount2": 166, "chroot": 161, "fsopen": 430, "open_tree": 428,
      "name_to_handle_at": 303, "open_by_handle_at": 304, "ioctl": 16, "renameat2": 316,
      "pidfd_open": 434, "pidfd_getfd": 438, "memfd_create": 319}
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def refused(err, what):
    print(f"errno {errno.errorcode.get(err, err)}: {os.strerror(err)} ({what})")
    sys.exit(1)


def ok(what):
    print(f"ok: {what}")
    sys.exit(0)


def skip(why):
    print(f"skip: {why}")
    sys.exit(3)


def sc(name, *args):
    """A raw system call; returns its result or exits through refused()."""
    if platform.machine() != "x86_64":
        skip(f"no system call table for {platform.machine()}")
    r = libc.syscall(ctypes.c_long(NR[name]), *[ctypes.c_ulong(a) if isinstance(a, int) else a for a in args])
    if r < 0:
        refused(ctypes.get_errno(), name)
    return r


def oserror(fn, what):
    try:
        return fn()
    except OSError as e:
        refused(e.errno, what)


def child_sleeper():
    """A child of ours that sits still (a fair target: same user, same sandbox)."""
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    return pid


def reap(pid):
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# ---- network ----

def connect_stream(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    oserror(lambda: s.connect(addr), f"connect {addr!r}")
    data = oserror(lambda: s.recv(64), "recv")
    ok(f"connected to {addr!r}, got {data!r}")


def cmd_tcp(host, port):
    connect_stream(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, int(port)))


def cmd_udp(host, port):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    oserror(lambda: s.connect((host, int(port))), f"connect udp {host}:{port}")
    oserror(lambda: s.send(b"ping"), f"send udp {host}:{port}")
    try:
        data = s.recv(64)
    except socket.timeout:
        print("timeout: no answer (sent, but nothing came back)")
        sys.exit(2)
    except OSError as e:
        refused(e.errno, "recv udp")
    ok(f"udp answer {data!r}")


def cmd_unix(path):
    connect_stream(socket.AF_UNIX, path)


def cmd_abstract(name):
    connect_stream(socket.AF_UNIX, "\0" + name)


def cmd_dns(name):
    try:
        res = socket.getaddrinfo(name, 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        print(f"gaierror {e.errno}: {e.strerror} (getaddrinfo {name})")
        sys.exit(1)
    ok(f"{name} resolved to {sorted({r[4][0] for r in res})}")


def cmd_icmp(host):
    s = oserror(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP), "socket icmp")
    s.settimeout(2)
    echo = struct.pack("!BBHHH", 8, 0, 0, 0, 1) + b"bulwark"
    oserror(lambda: s.sendto(echo, (host, 0)), f"sendto icmp {host}")
    oserror(lambda: s.recv(64), "recv icmp")
    ok(f"icmp echo reply from {host}")


def cmd_raw():
    oserror(lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP), "socket raw")
    ok("raw socket")


def cmd_packet():
    oserror(lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0), "socket packet")
    ok("packet socket")


# ---- processes ----

def cmd_ptrace(pid):
    target = child_sleeper() if pid == "child" else int(pid)
    sc("ptrace", 16, target, 0, 0)  # PTRACE_ATTACH
    os.waitpid(target, 0) if pid == "child" else time.sleep(0.1)
    sc("ptrace", 17, target, 0, 0)  # PTRACE_DETACH
    if pid == "child":
        reap(target)
    ok(f"attached to {target}")


def cmd_process_vm_readv():
    target = child_sleeper()
    buf = ctypes.create_string_buffer(8)
    src = ctypes.c_ulong(12345)
    local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)
    remote = (ctypes.c_void_p * 2)(ctypes.addressof(src), 8)
    try:
        sc("process_vm_readv", target, local, 1, remote, 1, 0)
    finally:
        reap(target)
    ok("read a child's memory")


def cmd_kill0(pid):
    oserror(lambda: os.kill(int(pid), 0), f"kill -0 {pid}")
    ok(f"{pid} is signalable")


# ---- namespaces, mounts, privileges ----

def cmd_unshare_user():
    sc("unshare", CLONE_NEWUSER)
    ok("in a new user namespace")


def cmd_clone_user():
    r = sc("clone", CLONE_NEWUSER | signal.SIGCHLD, 0, 0, 0, 0)
    if r == 0:
        os._exit(0)
    os.waitpid(r, 0)
    ok("cloned into a new user namespace")


def cmd_clone3_user():
    args = struct.pack("=11Q", CLONE_NEWUSER, 0, 0, 0, signal.SIGCHLD, 0, 0, 0, 0, 0, 0)
    buf = ctypes.create_string_buffer(args, len(args))
    r = sc("clone3", buf, len(args))
    if r == 0:
        os._exit(0)
    os.waitpid(r, 0)
    ok("clone3 into a new user namespace")


def cmd_setns():
    fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    sc("setns", fd, CLONE_NEWNET)
    ok("setns")


def cmd_mount(target):
    sc("mount", b"none", target.encode(), b"tmpfs", 0, 0)
    ok(f"mounted a tmpfs on {target}")


def cmd_umount(target):
    sc("umount2", target.encode(), 2)  # MNT_DETACH
    ok(f"unmounted {target}")


def cmd_fsopen():
    sc("fsopen", b"tmpfs", 0)
    ok("fsopen")


def cmd_open_tree(path):
    sc("open_tree", ctypes.c_long(-100), path.encode(), 1)  # OPEN_TREE_CLONE
    ok(f"open_tree {path}")


def cmd_chroot(path):
    sc("chroot", path.encode())
    ok(f"chroot {path}")


def cmd_open_by_handle(path):
    handle = ctypes.create_string_buffer(struct.pack("=Ii", 128, 0) + bytes(128))
    mount_id = ctypes.c_int()
    sc("name_to_handle_at", ctypes.c_long(-100), path.encode(), handle, ctypes.byref(mount_id), 0)
    sc("open_by_handle_at", ctypes.c_long(-100), handle, os.O_RDWR)
    ok(f"opened {path} by handle")


def cmd_setuid(uid):
    oserror(lambda: os.setuid(int(uid)), f"setuid {uid}")
    ok(f"now uid {os.getuid()}")


# ---- kernel surface ----

def cmd_io_uring():
    params = ctypes.create_string_buffer(120)
    fd = sc("io_uring_setup", 4, params)
    os.close(fd)
    ok("io_uring instance")


def cmd_bpf():
    attr = ctypes.create_string_buffer(struct.pack("=IIII", 2, 4, 4, 1), 72)  # BPF_MAP_CREATE, array
    sc("bpf", 0, attr, 72)
    ok("bpf map")


def cmd_keyctl():
    r = sc("keyctl", 0, ctypes.c_long(-3), 0)  # KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING
    ok(f"session keyring {r}")


def cmd_perf():
    # PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, flags: exclude_kernel | exclude_hv
    attr = ctypes.create_string_buffer(struct.pack("=IIQQQQQ", 1, 128, 0, 0, 0, 0, 1 << 5 | 1 << 6), 128)
    sc("perf_event_open", attr, 0, ctypes.c_long(-1), ctypes.c_long(-1), 0)
    ok("perf event")


def cmd_userfaultfd():
    sc("userfaultfd", 0o2000000 | 1)  # O_CLOEXEC | UFFD_USER_MODE_ONLY
    ok("userfaultfd")


def cmd_tiocsti(high_bits):
    """Push a character into a terminal's input: our own controlling terminal (a fresh pty)."""
    if platform.machine() != "x86_64":
        skip(f"no system call table for {platform.machine()}")
    master, slave = os.openpty()
    name = os.ttyname(slave)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(name, os.O_RDWR)  # becomes the controlling terminal
        req = termios.TIOCSTI | (0x100000000 if high_bits == "high" else 0)
        res = libc.syscall(ctypes.c_long(NR["ioctl"]), ctypes.c_long(fd), ctypes.c_ulong(req), ctypes.c_char_p(b"X"))
        os.write(w, struct.pack("=ii", res, ctypes.get_errno()))
        os._exit(0)
    os.waitpid(pid, 0)
    res, err = struct.unpack("=ii", os.read(r, 8))
    if res < 0:
        refused(err, "ioctl TIOCSTI")
    ok("pushed input into a terminal")


def cmd_ia32_unshare():
    """unshare(CLONE_NEWUSER) through the 32-bit system call table (int 0x80), which a filter
    written for x86-64 numbers would not recognise."""
    if platform.machine() != "x86_64":
        skip("x86-64 only")
    code = bytes.fromhex("53" "b836010000" "bb00000010" "cd80" "5b" "c3")  # push rbx; eax=310; ebx=NEWUSER; int 0x80; pop rbx; ret
    import mmap
    m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    m.write(code)
    fn = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
    pid = os.fork()
    if pid == 0:
        res = fn()
        os._exit(0 if res == 0 else 1 + (-res & 0x7f))
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        print(f"killed by signal {signal.Signals(os.WTERMSIG(st)).name}")
        sys.exit(1)
    code = os.WEXITSTATUS(st)
    if code == 0:
        ok("unshare(CLONE_NEWUSER) through int 0x80")
    refused(code - 1, "int 0x80 unshare")


def cmd_x32_unshare():
    """unshare(CLONE_NEWUSER) with the x32 bit set in the system call number."""
    if platform.machine() != "x86_64":
        skip("x86-64 only")
    pid = os.fork()
    if pid == 0:
        r = libc.syscall(ctypes.c_long(0x40000000 | NR["unshare"]), ctypes.c_ulong(CLONE_NEWUSER))
        os._exit(0 if r == 0 else 1 + ctypes.get_errno())
    _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        print(f"killed by signal {signal.Signals(os.WTERMSIG(st)).name}")
        sys.exit(1)
    code = os.WEXITSTATUS(st)
    if code == 0:
        ok("unshare(CLONE_NEWUSER) through the x32 table")
    refused(code - 1, "x32 unshare")


# ---- IPC and terminals shared with the host ----

def cmd_shm(key):
    """Attach the segment KEY for reading and writing."""
    libc.shmget.restype = ctypes.c_int
    libc.shmat.restype = ctypes.c_void_p
    r = libc.shmget(ctypes.c_int(int(key, 0)), ctypes.c_size_t(0), ctypes.c_int(0o600))
    if r < 0:
        refused(ctypes.get_errno(), f"shmget {key}")
    addr = libc.shmat(ctypes.c_int(r), None, ctypes.c_int(0))
    if addr in (None, ctypes.c_void_p(-1).value):
        refused(ctypes.get_errno(), f"shmat {key}")
    ctypes.memmove(addr, b"escaped", 7)
    ok(f"attached System V segment {key} (id {r}) and wrote to it")


def cmd_mq(name):
    libc.mq_open.restype = ctypes.c_int
    r = libc.mq_open(name.encode(), ctypes.c_int(os.O_RDWR))
    if r < 0:
        refused(ctypes.get_errno(), f"mq_open {name}")
    ok(f"opened POSIX message queue {name}")


def cmd_pty(path):
    fd = oserror(lambda: os.open(path, os.O_RDWR | os.O_NOCTTY), f"open {path}")
    os.write(fd, b"\r\n[bulwark escape test] this terminal belongs to someone else\r\n")
    ok(f"opened and wrote {path}")


def cmd_write_fd(path, fdpath):
    """Open path read-only, then reopen it for writing through /proc/self/fd/N."""
    fd = oserror(lambda: os.open(path, os.O_RDONLY), f"open {path}")
    target = fdpath.replace("N", str(fd))
    w = oserror(lambda: os.open(target, os.O_WRONLY | os.O_APPEND), f"reopen {target} for writing")
    os.write(w, b"escaped\n")
    ok(f"wrote {path} through {target}")


def cmd_link_fd(path, dest):
    """Hard-link an open file into dest through /proc/self/fd/N."""
    fd = oserror(lambda: os.open(path, os.O_RDONLY), f"open {path}")
    oserror(lambda: os.link(f"/proc/self/fd/{fd}", dest, follow_symlinks=True), f"link /proc/self/fd/{fd} {dest}")
    ok(f"linked {path} to {dest}")


def cmd_rename(src, dst):
    oserror(lambda: os.rename(src, dst), f"rename {src} {dst}")
    ok(f"renamed {src} to {dst}")


def cmd_link(src, dst):
    oserror(lambda: os.link(src, dst), f"link {src} {dst}")
    ok(f"linked {src} to {dst}")


def cmd_setxattr(path):
    oserror(lambda: os.setxattr(path, "user.bulwark", b"escaped"), f"setxattr {path}")
    ok(f"set an xattr on {path}")


def cmd_truncate(path):
    oserror(lambda: os.truncate(path, 0), f"truncate {path}")
    ok(f"truncated {path}")


def cmd_utime(path):
    oserror(lambda: os.utime(path, (0, 0)), f"utime {path}")
    ok(f"changed the times of {path}")


def cmd_chmod(path, mode):
    oserror(lambda: os.chmod(path, int(mode, 8)), f"chmod {mode} {path}")
    ok(f"chmod {mode} {path}")


def cmd_exchange_loop(a, b, stop):
    """Swap the names a and b atomically (renameat2 RENAME_EXCHANGE), over and over, until the
    file stop exists; leave them as they were."""
    n = 0
    while not os.path.exists(stop):
        for _ in range(200):
            sc("renameat2", ctypes.c_long(-100), a.encode(), ctypes.c_long(-100), b.encode(), 2)
            n += 1
    if n % 2:
        sc("renameat2", ctypes.c_long(-100), a.encode(), ctypes.c_long(-100), b.encode(), 2)
    ok(f"{n} exchanges")


def cmd_rename_flags(src, dst, flags):
    """renameat2 with RENAME_EXCHANGE (exchange) or RENAME_WHITEOUT (whiteout), once."""
    f = {"exchange": 2, "whiteout": 4, "noreplace": 1}[flags]
    sc("renameat2", ctypes.c_long(-100), src.encode(), ctypes.c_long(-100), dst.encode(), f)
    ok(f"renameat2 {src} {dst} {flags}")


def cmd_tmpfile_link(dirpath, name):
    """An unnamed file made in dirpath (O_TMPFILE), written, then given the name dirpath/name
    through linkat(AT_EMPTY_PATH) (or /proc/self/fd when that needs a capability)."""
    fd = oserror(lambda: os.open(dirpath, os.O_TMPFILE | os.O_WRONLY, 0o755), f"O_TMPFILE in {dirpath}")
    os.write(fd, b"#!/bin/sh\ntouch /tmp/evil\n")
    oserror(lambda: os.link(f"/proc/self/fd/{fd}", os.path.join(dirpath, name), follow_symlinks=True),
            f"link the unnamed file as {dirpath}/{name}")
    ok(f"made {dirpath}/{name} through O_TMPFILE")


def cmd_pidfd_getfd(pid):
    """A descriptor of another process, taken through pidfd_getfd (each of its first 64)."""
    pfd = sc("pidfd_open", int(pid), 0)
    got = []
    for n in range(64):
        r = libc.syscall(ctypes.c_long(NR["pidfd_getfd"]), ctypes.c_long(pfd), ctypes.c_long(n), ctypes.c_long(0))
        if r >= 0:
            got.append(n)
        elif ctypes.get_errno() not in (errno.EBADF,):
            refused(ctypes.get_errno(), f"pidfd_getfd {pid} {n}")
    if got:
        ok(f"took descriptors {got} of pid {pid}")
    refused(errno.EBADF, f"pidfd_getfd {pid}: no descriptor")


def cmd_removexattr(path, name):
    oserror(lambda: os.removexattr(path, name), f"removexattr {name} {path}")
    ok(f"removed {name} from {path}")


def cmd_setxattr_name(path, name, value):
    oserror(lambda: os.setxattr(path, name, value.encode()), f"setxattr {name} {path}")
    ok(f"set {name} on {path}")


def cmd_append_held(path, delay):
    """Open path for appending, wait delay seconds, write: a descriptor opened before the path's
    protection changed (the caller arranges that) still writes?"""
    fd = oserror(lambda: os.open(path, os.O_WRONLY | os.O_APPEND), f"open {path}")
    time.sleep(float(delay))
    oserror(lambda: os.write(fd, b"escaped\n"), f"write {path}")
    ok(f"wrote {path} through a descriptor held {delay} s")


# ---- the runner's perimeter (issue #11) ----

AF_VSOCK, VMADDR_CID_ANY, VMADDR_CID_LOCAL = 40, 0xFFFFFFFF, 1


def cmd_vsock(port):
    """An AF_VSOCK socket bound and listening (a channel to the hypervisor and other VMs, which
    no network namespace separates); then, if the kernel has the loopback transport, a connection
    to it. Skip when this kernel has no vsock at all."""
    try:
        s = socket.socket(AF_VSOCK, socket.SOCK_STREAM)
    except OSError as e:
        if e.errno == errno.EAFNOSUPPORT and not os.path.exists("/dev/vsock"):
            skip("this kernel has no AF_VSOCK (no vsock module, no /dev/vsock)")
        refused(e.errno, "socket vsock")
    oserror(lambda: s.bind((VMADDR_CID_ANY, int(port))), f"bind vsock port {port}")
    oserror(lambda: s.listen(1), "listen vsock")
    c = socket.socket(AF_VSOCK, socket.SOCK_STREAM)
    c.settimeout(0.5)
    try:
        c.connect((VMADDR_CID_LOCAL, int(port)))
        ok(f"vsock listening on port {port}, and connected to it over the loopback transport")
    except OSError as e:
        ok(f"vsock listening on port {port} (no loopback connection: {e})")


# The fd-* subcommands work on an inherited descriptor (stdin, stdout) and report on stderr: the
# descriptor they act on may be the stdout the caller redirected into a file.

def cmd_fd_chmod(fd, mode):
    oserror(lambda: os.chmod(f"/proc/self/fd/{fd}", int(mode, 8)), f"chmod {mode} /proc/self/fd/{fd}")
    ok(f"chmod {mode} /proc/self/fd/{fd}")


def cmd_fd_setxattr(fd):
    oserror(lambda: os.setxattr(f"/proc/self/fd/{fd}", "user.bulwark", b"escaped"), f"setxattr /proc/self/fd/{fd}")
    ok(f"set an xattr on /proc/self/fd/{fd}")


def cmd_fd_fsetxattr(fd):
    oserror(lambda: os.setxattr(int(fd), "user.bulwark", b"escaped"), f"fsetxattr {fd}")
    ok(f"set an xattr on descriptor {fd}")


def cmd_fd_truncate(fd):
    oserror(lambda: os.ftruncate(int(fd), 0), f"ftruncate {fd}")
    ok(f"truncated descriptor {fd}")


def cmd_fill(path, mib):
    """Write up to MIB MiB into path, 1 MiB at a time; the file is removed at the end."""
    chunk = bytes(1 << 20)
    n = 0
    fd = oserror(lambda: os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), f"open {path}")
    try:
        while n < int(mib):
            try:
                os.write(fd, chunk)
            except OSError as e:
                refused(e.errno, f"write {path} after {n} MiB")
            n += 1
    finally:
        os.close(fd)
        os.unlink(path)
    ok(f"wrote {n} MiB into {path}")


def cmd_procs(count):
    """Start up to COUNT processes (sleep 60) and count them; kill them all before leaving."""
    pids = []
    err = None
    for _ in range(int(count)):
        try:
            pids.append(os.posix_spawn("/bin/sleep", ["sleep", "60"], {}))
        except OSError as e:
            err = e.errno
            break
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    if err is not None:
        refused(err, f"spawn after {len(pids)} processes")
    ok(f"started {len(pids)} processes")


def main():
    name, args = sys.argv[1], sys.argv[2:]
    fn = globals().get("cmd_" + name.replace("-", "_"))
    if name.startswith("fd-"):
        sys.stdout = sys.stderr
    if not fn:
        print(f"probe.py: no subcommand {name}")
        sys.exit(4)
    fn(*args)


main()
