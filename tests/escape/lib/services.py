# SPDX-License-Identifier: MIT
"""Host-side things for the sandbox to reach for (tests/escape). Usage:

  services.py listen SPEC...   serve every SPEC until killed; prints "ready" once all are bound
      tcp:HOST:PORT  udp:HOST:PORT  dns:HOST:PORT  unix:PATH:MODE  abstract:NAME
  services.py session KEY QUEUE
      a user's session: a pty (its slave's path is printed), a System V shared memory segment
      KEY and a POSIX message queue QUEUE, all private to the user (0600); prints "ready"
"""
import ctypes
import os
import socket
import sys
import threading


def serve_stream(sock, banner):
    sock.listen(16)
    while True:
        c, _ = sock.accept()
        try:
            c.sendall(banner)
            c.shutdown(socket.SHUT_WR)
            c.settimeout(1)
            while c.recv(4096):  # read what the client sent (an HTTP request), so close sends no reset
                pass
        except OSError:
            pass
        finally:
            c.close()


def serve_udp(sock, banner):
    while True:
        data, peer = sock.recvfrom(512)
        sock.sendto(banner + data[:16], peer)


def dns_answer(query):
    """Answer every A question with 10.77.0.2 (the peer); anything else gets an empty answer."""
    if len(query) < 12:
        return b"not dns"
    end = 12
    while end < len(query) and query[end]:
        end += 1 + query[end]
    question = query[12:end + 5]
    qtype = int.from_bytes(query[end + 1:end + 3], "big")
    answers = b""
    if qtype == 1:
        answers = b"\xc0\x0c" + (1).to_bytes(2, "big") + (1).to_bytes(2, "big") + (60).to_bytes(4, "big") \
            + (4).to_bytes(2, "big") + bytes([10, 77, 0, 2])
    header = query[:2] + b"\x81\x80" + (1).to_bytes(2, "big") + (1 if answers else 0).to_bytes(2, "big") + bytes(4)
    return header + question + answers


def serve_dns(sock):
    while True:
        data, peer = sock.recvfrom(512)
        sock.sendto(dns_answer(data), peer)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bind(spec):
    kind, _, rest = spec.partition(":")
    banner = f"hello from {spec}\n".encode()
    if kind in ("tcp", "udp", "dns"):
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        s = socket.socket(family(host), socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family(host) == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((host, int(port)))
        if kind == "tcp":
            return serve_stream, (s, banner)
        return (serve_dns, (s,)) if kind == "dns" else (serve_udp, (s, banner))
    if kind == "unix":
        path, _, mode = rest.rpartition(":")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(path)
        os.chmod(path, int(mode, 8))
        return serve_stream, (s, banner)
    if kind == "abstract":
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind("\0" + rest)
        return serve_stream, (s, banner)
    raise SystemExit(f"services.py: unknown service {spec}")


def listen(specs):
    servers = [bind(spec) for spec in specs]
    for fn, args in servers:
        threading.Thread(target=fn, args=args, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


def session(key, queue):
    libc = ctypes.CDLL(None, use_errno=True)
    master, slave = os.openpty()
    print(f"pty {os.ttyname(slave)}", flush=True)
    if libc.shmget(ctypes.c_int(int(key, 0)), ctypes.c_size_t(4096), ctypes.c_int(0o1000 | 0o600)) < 0:
        raise SystemExit(f"shmget: {os.strerror(ctypes.get_errno())}")
    if libc.mq_open(queue.encode(), ctypes.c_int(os.O_RDWR | os.O_CREAT), ctypes.c_int(0o600), None) < 0:
        raise SystemExit(f"mq_open: {os.strerror(ctypes.get_errno())}")
    print("ready", flush=True)
    while True:  # drain the pty so that writes to it never block
        os.read(master, 4096)


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2:])
    elif sys.argv[1] == "session":
        session(sys.argv[2], sys.argv[3])
