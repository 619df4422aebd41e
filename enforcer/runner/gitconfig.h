/* SPDX-License-Identifier: MIT */
/*
 * Reading git's config files well enough to know (a) which files and programs outside `.git` a
 * repository's config points at (include.path, core.hooksPath, core.fsmonitor, the programs of
 * filters, diff drivers, editors...), so the runner can keep them read-only, and (b) which keys
 * of a repository that a sandboxed command created may stay when the runner makes it safe for
 * the real user. Pure code: it parses bytes, it opens nothing.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* One key = value of a config file. section and key are lower-cased (git's keys are
 * case-insensitive); subsection is as written (NULL when there is none); value is NULL for a
 * key given without "=" (an implicit "true"). */
struct bw_gitconfig_entry {
        const char *section, *subsection, *key, *value;
};

/*
 * Parse text (len bytes) and call fn for every entry, in order. Returns 0, or -EINVAL when the
 * text is not a config git would read (then what fn was given so far must not be trusted), or
 * fn's own negative return.
 */
int bw_gitconfig_parse(const char *text, size_t len, int (*fn)(const struct bw_gitconfig_entry *e, void *ud), void *ud);

/* How a key's value can make git run or read something outside the repository's own directory. */
enum bw_gitconfig_ref {
        BW_GITREF_NONE = 0,
        BW_GITREF_PATH,    /* a file or directory: include.path, core.hooksPath, ... */
        BW_GITREF_COMMAND, /* a shell command: its first word, when it names a file, is a program */
};
enum bw_gitconfig_ref bw_gitconfig_reference(const struct bw_gitconfig_entry *e);

/* Is this key harmless in a repository that someone else wrote (a short allow-list: format,
 * branches and remotes, identity)? Everything else is dropped by the sanitizer. */
bool bw_gitconfig_key_is_safe(const struct bw_gitconfig_entry *e);

/*
 * The config of a repository a sandboxed command created, made safe: only the allow-listed
 * keys, re-serialised with quoting. Returns a malloc()ed text (at least the [core] basics),
 * and in *dropped a malloc()ed, comma-separated list of the keys left out ("" when none; the
 * whole file is dropped when it does not parse: "(unparseable config)").
 */
char *bw_gitconfig_sanitize(const char *text, size_t len, char **dropped);
