/* SPDX-License-Identifier: MIT */
#include "decision.h"

int bw_rule_rank(uint32_t kind) {
        switch (kind) {
        case BW_RULE_UNREADABLE:
                return 4;
        case BW_RULE_READ_ONLY:
                return 3;
        case BW_RULE_WRITABLE:
                return 2;
        case BW_RULE_READABLE:
                return 1;
        default:
                return 0;
        }
}

static void offer(struct bw_decision_slot *s, uint32_t kind, unsigned depth, uint32_t rule) {
        if (s->kind == 0 || depth > s->depth || (depth == s->depth && bw_rule_rank(kind) > bw_rule_rank(s->kind)))
                *s = (struct bw_decision_slot){kind, depth, rule};
}

void bw_decision_add(struct bw_decision *d, uint32_t kind, bool admin, unsigned depth, uint32_t rule) {
        if (admin) {
                offer(&d->admin, kind, depth, rule);
                return;
        }
        offer(&d->repo, kind, depth, rule);
        if (kind == BW_RULE_WRITABLE || kind == BW_RULE_READABLE)
                offer(&d->grant, kind, depth, rule);
}

uint32_t bw_decision_effective(const struct bw_decision *d, uint32_t *ret_rule) {
        uint32_t k = d->repo.kind, rule = d->repo.rule;
        if (k == BW_RULE_READ_ONLY && d->grant.kind != BW_RULE_WRITABLE) {
                /* a carve-out only from a writable grant; over a read grant it stays a read grant */
                k = d->grant.kind;
                rule = d->grant.rule;
        }
        if (d->admin.kind == BW_RULE_UNREADABLE || (d->admin.kind == BW_RULE_READ_ONLY && k == BW_RULE_WRITABLE)) {
                k = d->admin.kind;
                rule = d->admin.rule;
        }
        if (ret_rule)
                *ret_rule = rule;
        return k;
}
