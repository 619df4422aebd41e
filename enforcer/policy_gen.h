/* SPDX-License-Identifier: MIT */
/*
 * What `bulwark init` and `bulwark import` share: writing policy YAML (quoted paths, comments),
 * the list of what did not map, validating the text with the compiler in-process, and writing a
 * new file without ever replacing one. Nothing here prints.
 */
#pragma once

#include "strbuf.h"

#include <stdbool.h>
#include <stddef.h>

/* Remarks for the user (stderr): what did not map and why, what was chosen instead. */
struct bw_gen_notes {
        char **v;
        size_t n;
};
void bw_gen_note(struct bw_gen_notes *notes, const char *fmt, ...) BW_PRINTF(2, 3);
void bw_gen_notes_done(struct bw_gen_notes *notes);

/* s as a YAML double-quoted scalar (s must hold no control characters: check with
 * bw_gen_path_problem first). */
void bw_gen_yaml_quote(struct bw_strbuf *sb, const char *s);

/* A policy path written in another tool's syntax, made literal for the policy language: `$`
 * doubled (a literal dollar sign), a trailing slash dropped. malloc()ed. */
char *bw_gen_literal_path(const char *s);

/* NULL when s can be a policy path (after bw_gen_literal_path), else why not ("is relative", ...).
 * Relative paths, control characters, empty strings and paths over 4095 bytes are refused. */
const char *bw_gen_path_problem(const char *s);

/*
 * Compile text as a repository policy, in-process (from a file in a private temporary directory,
 * removed again), with no admin constraints and no bindings. 0 when it compiles; -EINVAL when it
 * does not, with the compiler's diagnostics in *ret_diagnostics (malloc()ed); another negative
 * errno when the temporary file could not be written.
 */
int bw_gen_validate(const char *text, char **ret_diagnostics);

/*
 * Write text to path as a new file (0644): O_CREAT|O_EXCL|O_NOFOLLOW, so an existing file or a
 * symlink is never replaced or followed: -EEXIST then. When dirfd is not -1, path is relative to it.
 */
int bw_gen_write_new(int dirfd, const char *path, const char *text);
