/* SPDX-License-Identifier: MIT */
/*
 * Compiling: load the policy and every layer it extends, the admin constraints, normalise every
 * entry, apply precedence and constraints, and produce the effective rule set that becomes a plan.
 */
#pragma once

#include "diag.h"
#include "path_template.h"
#include "policy.h"
#include "plan.h"
#include "source.h"

struct bw_compile_options {
        const char *policy_path; /* "-" is not supported: the path names the policy in provenance */
        const char *admin_dir;   /* NULL: no constraints */
        uid_t admin_owner_also;  /* besides root, who may own admin files ((uid_t) -1: nobody) */
        struct bw_bindings bindings;
};

/* One entry of the effective environment section (the plan's ENVR), with its location. */
struct bw_env_eff {
        char *name;             /* name or glob */
        char *value;            /* BW_ENV_SET only, else NULL */
        uint32_t action, flags; /* enum bw_env_action, BW_ENV_ADMIN */
        struct bw_loc loc;
};

/* One rule of the effective set, with the location it came from. */
struct bw_rule_eff {
        char *text; /* canonical template */
        uint32_t kind, match, flags;
        struct bw_loc loc;
};

struct bw_compilation {
        struct bw_sources sources; /* [0] is bulwarkc itself (built-in rules) */
        struct bw_diags diags;
        enum bw_doc_kind main_kind;
        struct bw_rule_eff *rules; /* sorted as in the plan */
        size_t n_rules, cap_rules;
        int network;
        struct bw_loc network_loc; /* line 0: the default */
        char *name;
        bool require_signed;
        struct bw_bindings bindings; /* points into bound_values */
        char **loaded;               /* identities of the files read through extends: each is read once */
        size_t n_loaded;
        char *bound_values[BW_VAR_COUNT];
        /* Protected defaults the policy dropped (bit i: bw_protected_names[i]), each with the
         * location of its `unprotect` entry. Dropping one widens access: see
         * bw_compilation_widening(). */
        uint32_t unprotected;
        struct bw_loc unprotected_loc[BW_PROTECTED_COUNT];
        /* The environment section, sorted as in the plan; and the limits (has_limits: some
         * field is set, each set one with its location). */
        struct bw_env_eff *env;
        size_t n_env, cap_env;
        struct bw_limits_doc limits;
        bool has_limits;
};

/* Returns 0 when there are no errors (warnings may exist), -EINVAL with errors in c->diags,
 * or another negative errno when the policy file itself cannot be read. */
int bw_compile(const struct bw_compile_options *o, struct bw_compilation *c);
void bw_compilation_done(struct bw_compilation *c);

/*
 * What a compiled policy grants beyond the defaults that its writable rules and network mode do
 * not show: each protected default it unprotects, each cache root (copy-on-write), and each
 * environment name it passes through that the default drop list would (or, for a glob, may)
 * drop. fn is called once per item, in a fixed order, with the location of the policy entry and
 * a one-line message ("unprotects .claude ..."); it may be NULL to only count. Returns the
 * number of items. Prints nothing: `bulwark run` uses it, with its own check of writable paths
 * and network, to decide whether a policy needs --trust-policy.
 */
typedef void (*bw_widening_fn)(void *userdata, const struct bw_loc *loc, const char *message);
unsigned bw_compilation_widening(const struct bw_compilation *c, bw_widening_fn fn, void *userdata);

/* The plan's bytes for a successful compilation. */
int bw_compilation_to_plan(const struct bw_compilation *c, bool without_provenance, uint8_t **ret, size_t *ret_size);

/* Internal to the compiler (env_resolve.c): the environment and limits across layers. */
struct bw_env_refs {
        const struct bw_env_item **v;
        size_t n, cap;
};
struct bw_env_merge {
        struct bw_env_refs pass, drop, set, never_pass;
        struct bw_limits_doc limits;
};
void bw_env_merge_doc(struct bw_env_merge *m, const struct bw_policy_doc *d);
void bw_env_resolve(struct bw_compilation *c, const struct bw_env_merge *m);
void bw_env_merge_done(struct bw_env_merge *m);

/* Built-in profiles (generated from policies/ at build time). */
struct bw_profile {
        const char *name;
        const char *text;
        size_t len;
};
extern const struct bw_profile bw_profiles[];
extern const size_t bw_n_profiles;

#define BW_COMPILER_NAME "bulwarkc " BULWARK_VERSION
#define BW_EXTENDS_MAX_DEPTH 16
#define BW_MAX_SOURCES 256
