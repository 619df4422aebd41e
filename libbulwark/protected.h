/* SPDX-License-Identifier: MIT */
/*
 * The protected defaults: names that are read-only at any depth inside every writable root, in
 * any case, unless a policy unprotects them. One table, shared by the compiler (which turns each
 * into a "**" "/NAME" read-only glob flagged BW_RULE_PROTECTED, and checks `unprotect`) and by
 * bulwark-runner (which can tell from a plan which of them a policy dropped). Pure: no I/O.
 */
#pragma once

#include "plan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bw_protected_name {
        const char *name; /* ".git": protected by the rule "**" "/.git", case-insensitively */
        /* true: `filesystem.unprotect` compiles only with an admin's `allow_unprotect` listing the
         * name. false: a policy may unprotect it alone, but doing so widens what the sandbox may
         * do, and `bulwark run` reports it (bw_compilation_widening()). */
        bool needs_admin;
};

#define BW_PROTECTED_COUNT 32
/* In a fixed order that never changes meaning: bit i of a mask names entry i. */
extern const struct bw_protected_name bw_protected_names[BW_PROTECTED_COUNT];
_Static_assert(BW_PROTECTED_COUNT <= 32, "protected names are a 32-bit mask");

/* The index of name[0..len) in bw_protected_names, or -ENOENT. Exact, case-sensitive. An entry
 * may be a family of names in brace groups ("{CLAUDE.md,CLAUDE.local.md}": the glob the compiler
 * makes of it covers them all; no nesting): the entry's whole text or any one of its names finds
 * it, and unprotecting one name unprotects the family. */
int bw_protected_lookup(const char *name, size_t len);

/* Mask of the protected names (bit i = bw_protected_names[i]) that plan p does NOT protect: no
 * rule of p is the protected-default glob "**" "/NAME". A plan compiled by an older bulwarkc
 * protected only .git and .bulwark, so its other bits are set too: the caller decides whether an
 * unprotected name is worth a warning. Needs a plan validated by bw_plan_parse(). */
uint32_t bw_plan_unprotected(const struct bw_plan *p);
