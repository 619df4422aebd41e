/* SPDX-License-Identifier: MIT */
/*
 * Converging the POSIX ACLs of a tree: walk a root with openat()/O_NOFOLLOW, decide for each
 * object which rule wins (the precedence of schema/policy-language.md), compare the wanted ACL
 * bytes with the current ones, and (unless dry-running) journal and write only those that differ.
 *
 * Safety: symlinks are never followed (they carry no ACL and are skipped), mount points below
 * the root are not entered, regular files with more than one link are skipped (their other
 * names may lie outside the root), device nodes are skipped. Every object is addressed relative
 * to its parent directory's fd, never by a path from /.
 */
#pragma once

#include "tree_policy.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

/* Converge one root (an absolute, bound path). Returns 0, or a negative errno when the root
 * cannot be opened safely or a batch callback failed. Per-object errors are counted. */
int bw_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                     struct bw_tree_stats *st);

#include "safe_open.h" /* bw_open_path_safely() */
