/* SPDX-License-Identifier: MIT */
/*
 * Patterns: globs converted to PCRE2 source, and PCRE2 compilation and matching with limits.
 * Every pattern matches a whole normalised absolute path (anchored at both ends).
 */
#pragma once

#include "plan_format.h"
#include "util.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct bw_pattern_error {
        size_t offset; /* within the glob or regex text given */
        char message[200];
};

/*
 * Convert a bound glob (no unbound variables left; "**" + "/" prefix allowed) to PCRE2 source.
 * *ret is malloc()ed.
 */
int bw_glob_to_regex(const char *glob, char **ret, struct bw_pattern_error *err) BW_NODISCARD;

struct bw_pattern {
        pcre2_code *code;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
};

/* Compile a bound pattern of the given match kind (BW_MATCH_GLOB or BW_MATCH_REGEX). */
int bw_pattern_compile(const char *text, uint32_t match, bool ignore_case, struct bw_pattern *ret,
                       struct bw_pattern_error *err) BW_NODISCARD;
void bw_pattern_done(struct bw_pattern *p);
/* 1 matched, 0 did not, negative errno when PCRE2 hit a limit (treat as "could not decide"). */
int bw_pattern_match(struct bw_pattern *p, const char *path, size_t len);
/* The same with caller-owned match data, so threads can share one compiled pattern. */
int bw_pattern_match_md(const struct bw_pattern *p, pcre2_match_data *md, const char *path, size_t len);
/*
 * Does the pattern cover path: match it or one of its ancestors? Returns the number of path
 * components of the deepest covered ancestor-or-self (its specificity), or -1.
 */
int bw_pattern_covers(struct bw_pattern *p, const char *path);

/*
 * The literal directory prefix of a bound glob or regex (up to the last '/' before the first
 * special character), or NULL when it has none (e.g. "**" + "/" globs). malloc()ed.
 */
char *bw_pattern_fixed_prefix(const char *text, uint32_t match);
