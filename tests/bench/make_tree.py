#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Make a workspace for the runner benchmark: FILES empty files spread over DIRS directories
(three levels), REPOS nested git repositories (a .git with config, HEAD and hooks) each with a
.env beside it, and a .git at the top.
Usage: make_tree.py ROOT FILES DIRS REPOS"""
import os
import sys

root, nfiles, ndirs, nrepos = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
side = max(1, round(ndirs ** (1 / 3)))
dirs = []
for a in range(side):
    for b in range(side):
        for c in range(side):
            if len(dirs) < ndirs:
                dirs.append(os.path.join(root, f"d{a}", f"e{b}", f"f{c}"))
for d in dirs:
    os.makedirs(d, exist_ok=True)
for k in range(nfiles):
    open(os.path.join(dirs[k % len(dirs)], f"file{k}.c"), "w").close()
step = max(1, len(dirs) // max(1, nrepos))
for r in range(nrepos):
    d = dirs[(r * step) % len(dirs)]
    os.makedirs(os.path.join(d, ".git", "hooks"), exist_ok=True)
    with open(os.path.join(d, ".git", "config"), "w") as f:
        f.write("[core]\n\trepositoryformatversion = 0\n\tbare = false\n")
    with open(os.path.join(d, ".git", "HEAD"), "w") as f:
        f.write("ref: refs/heads/main\n")
    open(os.path.join(d, ".env"), "w").close()
os.makedirs(os.path.join(root, ".git"), exist_ok=True)
