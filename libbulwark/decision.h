/* SPDX-License-Identifier: MIT */
/*
 * The precedence rules of schema/policy-language.md, in one place for the compiler's --explain
 * and the enforcer's tree walk.
 *
 * Rules covering an object fall into three classes, each with its own winner (the most specific,
 * then unreadable > read_only > writable > readable):
 *   - repository rules (every non-admin rule);
 *   - grants (the non-admin writable and readable rules only): what a carve-out is carved from;
 *   - admin rules, which can only take access away.
 * The effective kind follows from them: a read_only winner is a carve-out only where a writable
 * grant lies beneath it (elsewhere it grants nothing, so it cannot widen reads); an admin
 * unreadable rule makes anything unreadable; an admin read_only rule makes a writable object
 * read-only and changes nothing else.
 */
#pragma once

#include "plan_format.h"
#include "util.h"

struct bw_decision_slot {
        uint32_t kind; /* 0: no rule */
        unsigned depth;
        uint32_t rule; /* the caller's index of the winning rule */
};

struct bw_decision {
        struct bw_decision_slot repo, grant, admin;
};

/* Account for one covering rule of the given kind at the given specificity. */
void bw_decision_add(struct bw_decision *d, uint32_t kind, bool admin, unsigned depth, uint32_t rule);
/* The kind whose ACL entries the object gets, or 0 for none; *ret_rule (if non-NULL) is the
 * index of the rule that decided it. */
uint32_t bw_decision_effective(const struct bw_decision *d, uint32_t *ret_rule);
/* Precedence rank at equal specificity (unreadable 4 ... readable 1). */
int bw_rule_rank(uint32_t kind);
