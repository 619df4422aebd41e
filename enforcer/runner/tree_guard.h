/* SPDX-License-Identifier: MIT */
/*
 * The tree guard: what the runner knows about the writable roots' contents, found fresh for every
 * run, so that carve-outs hold at any depth in both modes whatever happened to the tree since
 * `bulwark apply` (a file replaced by the user's editor, a repository cloned yesterday).
 *
 * Before the run (bw_guard_scan): one walk of every writable root, with openat(O_NOFOLLOW) from
 * the root down, finds
 *   - every object a read_only or unreadable pattern matches (glob, regex, the protected names
 *     .git, .bulwark, .claude, ... in any letter case): each becomes a read-only bind (or a hidden
 *     cover) of the sandbox's mount namespace, so it cannot be written, truncated, chmodded,
 *     renamed, unlinked or replaced by the command (a mount point is EBUSY to rename or unlink);
 *   - every repository (a `.git` directory or file, or a directory git takes for one without that
 *     name: HEAD with objects, refs or commondir, a bare repository; read-only whole) and what its
 *     config reaches outside `.git`:
 *     the gitdir of a `.git` file, its commondir, included config files, core.hooksPath, and the
 *     programs named by core.fsmonitor, filters, diff drivers, editors... when they lie inside a
 *     writable root. Those are bound read-only too. The user's global git config counts (a
 *     relative core.hooksPath there applies to every repository).
 * A symbolic link on the way (a .env that is a link, a directory link in a path git's config
 * names) cannot be bound: what it leads to is protected instead, and the link is watched.
 * It also keeps a table of the directories it saw (inode and change time: a ctime cannot be set
 * back by the command) and the identity of every object it protected. Kept between runs (an
 * index outside every writable root), the table lets the next walk read only the directories
 * whose change time moved: entries added, removed or renamed in a directory move its ctime.
 *
 * After the run (bw_guard_after_run), with the sandbox gone: only the directories whose change
 * time moved are read again. Every object that matches a carve-out or a protected name and was
 * not there before (created, or renamed into place: a planted `vendor/.git`) is neutralised and
 * reported on stderr: a new `.git` directory keeps its objects and refs but gets a config reduced
 * to harmless keys and its hooks, modules and worktrees moved aside; anything else (a `.git` file,
 * a new `.claude/`, a `.env` that replaced a protected one, a missing read_only path the command
 * created) is renamed to NAME.bulwark-quarantine; a directory the run made a repository without a
 * .git name has its HEAD renamed so. A directory that could not be read before the run (made mode
 * 000 by an earlier one) is checked whole when it can be: its contents' times do not exempt them;
 * one the run locked (000, 0555) is opened as its owner (you, or the sandbox user, which an elevated
 * runner keeps as its saved uid). A watched link the run removed or replaced is put back. What the
 * run put in the way of a path that did not exist (a link where a directory was missing) is moved
 * aside. Nothing is deleted.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct bw_guard;

enum bw_guard_action { BW_GUARD_READ_ONLY = 1, BW_GUARD_HIDE = 2 };
#define BW_GUARD_PROTECTED 0x1u   /* a protected default: neutralised when created */
#define BW_GUARD_IGNORE_CASE 0x2u /* names compared in any letter case */

struct bw_guard *bw_guard_new(uid_t trusted_uid, const char *home);
void bw_guard_free(struct bw_guard *g);

/* A writable root to walk (absolute, normalised). Roots inside another root are walked once. */
void bw_guard_add_root(struct bw_guard *g, const char *root);
/*
 * A read_only (action BW_GUARD_READ_ONLY) or unreadable (BW_GUARD_HIDE) pattern: match is
 * BW_MATCH_GLOB or BW_MATCH_REGEX, text bound (absolute, or "**" + "/..." for every root).
 * Returns 0 or a negative errno with *err set (static text) for a pattern that does not compile.
 */
int bw_guard_add_pattern(struct bw_guard *g, const char *text, uint32_t match, enum bw_guard_action action,
                         unsigned flags, const char **err);
/* A literal read_only path: when it does not exist at the start, the run must not create it. */
void bw_guard_add_literal(struct bw_guard *g, const char *path);

/*
 * Walk the roots. For every object to protect, add(ud, path, action, is_repo_part) is called
 * once. Returns 0, or a negative errno with a message in msg (msg_size bytes) when the boundary
 * cannot be held (too many matches, a path too long, a tree too deep): the run must refuse.
 */
int bw_guard_scan(struct bw_guard *g, void (*add)(void *ud, const char *path, enum bw_guard_action action), void *ud,
                  char *msg, size_t msg_size);

/*
 * Keep the snapshot between runs in a file in dir (the caller's own, outside every writable root:
 * the caller checks that; one file per set of roots and rules), so that the next scan reads only the directories whose
 * change time moved: a stat per directory instead of reading each one.
 */
void bw_guard_set_index_dir(struct bw_guard *g, const char *dir);

/* Statistics for --verbose: directories read, objects protected, repositories seen, directories
 * checked, whether an index was used. */
void bw_guard_stats(const struct bw_guard *g, unsigned *dirs, unsigned *hits, unsigned *repos, unsigned *checked,
                    bool *used_index);

/* The run did not happen after all (refused before the command started): drop the snapshot that
 * would make the next run check after this one. */
void bw_guard_forget_pending(struct bw_guard *g);

/* After the run: neutralise what the run created (see above), one line each on report.
 * Returns how many objects were neutralised. */
unsigned bw_guard_after_run(struct bw_guard *g, FILE *report);
