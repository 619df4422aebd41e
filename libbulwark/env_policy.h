/* SPDX-License-Identifier: MIT */
/*
 * The environment a sandboxed command inherits: the plan's ENVR entries (the policy's
 * `environment:` section and the admin's `never_pass`) over a built-in default drop list of
 * credentials. Pure functions for bulwark-runner (no PCRE2, no I/O, no printing); the same
 * decision in both of its modes. schema/policy-language.md, "Environment", is the user's view.
 *
 * How the runner uses it: for each inherited NAME=VALUE, keep it when
 * bw_env_keeps(bw_env_decide(plan, NAME, len)); then add every bw_env_set_entry() of the plan.
 */
#pragma once

#include "plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum bw_env_verdict {
        BW_ENV_KEEP = 0,     /* inherited as is: nothing drops it */
        BW_ENV_KEEP_PASS,    /* kept by a policy `pass` entry although the default list drops it */
        BW_ENV_DROP_DEFAULT, /* dropped by the default credential list */
        BW_ENV_DROP_POLICY,  /* dropped by the policy's `drop` list (which beats `pass`) */
        BW_ENV_DROP_ADMIN,   /* dropped by an admin's `never_pass` (which beats everything) */
        BW_ENV_DROP_SET,     /* the policy sets this name: drop the inherited value, add the set one */
};

static inline bool bw_env_keeps(enum bw_env_verdict v) {
        return v == BW_ENV_KEEP || v == BW_ENV_KEEP_PASS;
}

/*
 * Decide for the inherited variable whose name is name[0..len) (len stops before any '=', so the
 * caller may pass an environ entry and strcspn(entry, "=")). In order, the first that applies:
 *   1. a `set` entry with exactly this name    -> BW_ENV_DROP_SET
 *   2. an admin `never_pass` glob matches      -> BW_ENV_DROP_ADMIN
 *   3. a policy `drop` glob matches            -> BW_ENV_DROP_POLICY
 *   4. a policy `pass` glob matches            -> BW_ENV_KEEP_PASS if the default list matches, else BW_ENV_KEEP
 *   5. the default credential list matches     -> BW_ENV_DROP_DEFAULT
 *   6. otherwise                               -> BW_ENV_KEEP
 * p must have been validated by bw_plan_parse(); a plan without ENVR gets steps 5 and 6 only.
 * O(entries x name length); no allocation.
 */
enum bw_env_verdict bw_env_decide(const struct bw_plan *p, const char *name, size_t len);

/* Number of `set` entries of p, and the i-th (0 <= i < count) in name order: *ret_name and
 * *ret_value point into the plan (NUL-terminated; the value may be ""). Returns false when i is
 * out of range. */
uint32_t bw_env_set_count(const struct bw_plan *p);
bool bw_env_set_entry(const struct bw_plan *p, uint32_t i, const char **ret_name, const char **ret_value);

/* Does value (NUL-terminated) hold a credential by its shape: a URL with a password
 * (scheme://user:password@host), a token of a known issuer (ghp_..., glpat-..., xoxb-...,
 * sk-ant-..., AKIA..., a JSON Web Token, a PEM private key)? The runner drops such a variable, as
 * the default list does, unless the policy passes its name: DATABASE_URL=postgres://ann:pw@db/app,
 * MY_GH=ghp_... */
bool bw_env_value_has_password(const char *value);

/* Does the default credential list drop name[0..len)? */
bool bw_env_default_drops(const char *name, size_t len);
/* The default credential list, as globs, in the order documented; NULL-terminated. */
extern const char *const bw_env_default_drop_list[];

/* '*' matches any run of bytes (also empty); every other byte matches itself, case-sensitively.
 * The whole of name[0..len) must match. Linear backtracking: O(glob x name) at worst. */
bool bw_env_glob_match(const char *glob, const char *name, size_t len);

/* Could some name match both globs a and b ('*' as in bw_env_glob_match())? For the compiler's
 * report of what a `pass` entry widens. O(|a| x |b|) time and memory; true when out of memory. */
bool bw_env_globs_overlap(const char *a, const char *b);
