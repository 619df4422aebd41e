# SPDX-License-Identifier: MIT
"""The world's carve-outs, put back between attempts (tests/escape; run as root on the host).

  world.py reset PRISTINE WS PATH...
      for each PATH (relative to WS, copied whole into PRISTINE by escape.sh with cp -a --parents):
      content, mode, owner, times and the probe's xattr as in PRISTINE, written in place (the same
      inode keeps the ACLs `bulwark apply` gave it); what is missing is copied back, and what an
      attempt added inside a directory PATH is removed. Exit 2 when something had to be copied
      back, or is another inode than at the last reset (an installed plan must be applied again:
      a new inode has none of its ACLs), 0 otherwise. PRISTINE/.inodes keeps the inodes seen.
"""
import json
import os
import shutil
import stat
import sys


def same_content(a, b):
    with open(a, "rb") as x, open(b, "rb") as y:
        return x.read() == y.read()


def copy_back(src, dst):
    st = os.lstat(src)
    if stat.S_ISDIR(st.st_mode):
        shutil.copytree(src, dst, symlinks=True)
        for dirpath, dirnames, filenames in os.walk(dst):
            for name in [""] + dirnames + filenames:
                p = os.path.join(dirpath, name) if name else dirpath
                s = os.lstat(os.path.join(src, os.path.relpath(p, dst)))
                os.lchown(p, s.st_uid, s.st_gid)
    else:
        shutil.copy2(src, dst, follow_symlinks=False)
        os.lchown(dst, st.st_uid, st.st_gid)


def remove(p):
    if os.path.isdir(p) and not os.path.islink(p):
        shutil.rmtree(p)
    else:
        os.unlink(p)


INODES = {}
SEEN = {}


def restore(src, dst):
    """Returns True when something was copied back, or is not the inode it was."""
    st = os.lstat(src)
    try:
        cur = os.lstat(dst)
    except FileNotFoundError:
        copy_back(src, dst)
        return True
    SEEN[dst] = cur.st_ino
    if INODES and INODES.get(dst, cur.st_ino) != cur.st_ino:
        restore_in_place(src, dst, st, cur)
        return True
    return restore_in_place(src, dst, st, cur)


def restore_in_place(src, dst, st, cur):
    if stat.S_IFMT(cur.st_mode) != stat.S_IFMT(st.st_mode):
        remove(dst)
        copy_back(src, dst)
        return True
    recreated = False
    if stat.S_ISDIR(st.st_mode):
        want = set(os.listdir(src))
        for name in os.listdir(dst):
            if name not in want:
                remove(os.path.join(dst, name))
        for name in sorted(want):
            recreated |= restore(os.path.join(src, name), os.path.join(dst, name))
    elif stat.S_ISREG(st.st_mode):
        if cur.st_size != st.st_size or not same_content(src, dst):
            with open(src, "rb") as f:
                data = f.read()
            with open(dst, "r+b") as f:
                f.truncate(0)
                f.write(data)
        try:
            os.removexattr(dst, "user.bulwark")
        except OSError:
            pass
    if stat.S_ISLNK(st.st_mode):
        return recreated
    if stat.S_IMODE(cur.st_mode) != stat.S_IMODE(st.st_mode):
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    if (cur.st_uid, cur.st_gid) != (st.st_uid, st.st_gid):
        os.chown(dst, st.st_uid, st.st_gid)
    if os.lstat(dst).st_mtime_ns != st.st_mtime_ns:
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    return recreated


def main():
    if sys.argv[1] != "reset":
        raise SystemExit("usage: world.py reset PRISTINE WS PATH...")
    pristine, ws = sys.argv[2], sys.argv[3]
    db = os.path.join(pristine, ".inodes")
    if os.path.exists(db):
        with open(db) as f:
            INODES.update(json.load(f))
    recreated = False
    for rel in sys.argv[4:]:
        src, dst = os.path.join(pristine, rel), os.path.join(ws, rel)
        if not os.path.lexists(src):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        recreated |= restore(src, dst)
    for dirpath, dirnames, filenames in [w for rel in sys.argv[4:] for w in os.walk(os.path.join(ws, rel))]:
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            SEEN[p] = os.lstat(p).st_ino
    for rel in sys.argv[4:]:
        p = os.path.join(ws, rel)
        if os.path.lexists(p):
            SEEN[p] = os.lstat(p).st_ino
    with open(db, "w") as f:
        json.dump(SEEN, f)
    sys.exit(2 if recreated else 0)


main()
