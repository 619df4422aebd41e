/* SPDX-License-Identifier: MIT */
/*
 * Path templates: absolute paths that may keep ${workspace}, ${home}, ${tmpdir} and ${user}
 * symbolic. The canonical form stored in plans writes variables as ${name} and a literal '$' as
 * "$$"; it is normalised (no "//", no "." or ".." components, no trailing slash).
 */
#pragma once

#include "plan_format.h"
#include "util.h"

#include <stddef.h>

#define BW_PATH_MAX 4095
#define BW_PATTERN_MAX 1024

enum bw_template_kind { BW_TEMPLATE_PATH, BW_TEMPLATE_GLOB, BW_TEMPLATE_REGEX };

/* Values for the variables; NULL = unbound (kept symbolic). */
struct bw_bindings {
        const char *value[BW_VAR_COUNT];
};

struct bw_template_error {
        size_t offset; /* byte offset of the problem within the input */
        size_t length; /* bytes it spans (at least 1) */
        char message[200];
};

const char *bw_var_name(enum bw_var_id id);
/* The variable called name[0..len), or -1. */
int bw_var_lookup(const char *name, size_t len);
/* Is value acceptable for the variable (absolute normalised path, or a login name)? 0 or -EINVAL. */
int bw_var_value_check(enum bw_var_id id, const char *value);
/* The same, and on -EINVAL why, in words for a user ("it is not valid UTF-8 (byte 0xff at offset
 * 12), which plans cannot hold: rename it"), in why[0..size) (why may be NULL). */
int bw_var_value_explain(enum bw_var_id id, const char *value, char *why, size_t size);

/*
 * Turn a path, glob or regex as written in a policy into its canonical template, substituting
 * bound variables (escaped so their text is literal in a glob or regex). On error, returns
 * -EINVAL and describes the problem in *err. *ret is malloc()ed.
 */
int bw_template_from_policy(const char *in, size_t len, enum bw_template_kind kind, const struct bw_bindings *b,
                            char **ret, struct bw_template_error *err) BW_NODISCARD;

/* Is t a canonical template of the given kind (as bw_template_from_policy produces)? */
int bw_template_check(const char *t, enum bw_template_kind kind);
/* The same for a path template of len bytes, in one pass without allocation (the plan reader's). */
int bw_path_template_check(const char *t, size_t len);

/*
 * Substitute variables in a canonical template. Unbound variables that are used give -ENXIO
 * (and name the variable in *missing, if non-NULL). For globs and regexes values are escaped.
 */
int bw_template_bind(const char *t, enum bw_template_kind kind, const struct bw_bindings *b, char **ret,
                     enum bw_var_id *missing) BW_NODISCARD;

/* Which variables does a canonical template use? Bit i = variable i. */
unsigned bw_template_vars(const char *t, enum bw_template_kind kind);

/* Is path (a canonical template) equal to or below root (another)? Component-wise. */
bool bw_path_is_within(const char *path, const char *root);
/* Number of components ("/" has 0, "/a/b" has 2; a variable counts as one). */
unsigned bw_path_depth(const char *path);
