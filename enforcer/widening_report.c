/* SPDX-License-Identifier: MIT */
/*
 * The comparison is against the built-in workspace-write profile compiled with the same bindings
 * and admin directory, rule by rule, so that the report names concrete paths and the line of the
 * policy each grant comes from.
 */
#include "widening_report.h"

#include "path_template.h"

#include <stdarg.h>

struct report {
        const struct bw_compilation *c;
        FILE *out;
        const char *indent;
        int n;
};

static void BW_PRINTF(3, 4) line(struct report *r, const struct bw_loc *loc, const char *fmt, ...) {
        fputs(r->indent, r->out);
        if (loc && loc->line > 0 && loc->source < r->c->sources.n)
                fprintf(r->out, "%s:%u: ", r->c->sources.v[loc->source]->name, loc->line);
        va_list ap;
        va_start(ap, fmt);
        vfprintf(r->out, fmt, ap);
        va_end(ap);
        fputc('\n', r->out);
        r->n++;
}

static void from_compiler(void *userdata, const struct bw_loc *loc, const char *message) {
        char buf[600];
        line(userdata, loc, "%s", bw_printable(message, strlen(message), buf, sizeof(buf)));
}

static const struct bw_rule_eff *find_rule(const struct bw_compilation *c, const struct bw_rule_eff *like) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].kind == like->kind && c->rules[i].match == like->match &&
                    c->rules[i].flags == like->flags && bw_streq(c->rules[i].text, like->text))
                        return &c->rules[i];
        return NULL;
}

static bool within_any(const struct bw_compilation *c, uint32_t kind, const char *path) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].kind == kind && c->rules[i].match == BW_MATCH_PATH &&
                    bw_path_is_within(path, c->rules[i].text))
                        return true;
        return false;
}

static const char *kind_verb(uint32_t kind) {
        switch (kind) {
        case BW_RULE_WRITABLE:
                return "writable";
        case BW_RULE_READ_ONLY:
                return "read-only";
        case BW_RULE_READABLE:
                return "readable";
        default:
                return "unreadable";
        }
}

int bw_widening_report(const struct bw_compilation *c, const struct bw_compile_options *o, FILE *out,
                       const char *indent) {
        struct bw_compile_options bo = *o;
        bo.policy_path = "builtin:workspace-write";
        struct bw_compilation base;
        int r = bw_compile(&bo, &base);
        if (r < 0) {
                bw_compilation_done(&base);
                return r;
        }
        struct report rep = {.c = c, .out = out, .indent = indent};
        char t1[512], t2[512];
        /* writes: a writable root outside every writable root of the default */
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *e = &c->rules[i];
                if (e->kind != BW_RULE_WRITABLE || (e->flags & BW_RULE_ADMIN))
                        continue;
                bw_printable(e->text, strlen(e->text), t1, sizeof(t1));
                if (e->match != BW_MATCH_PATH)
                        line(&rep, &e->loc, "makes what matches %s writable", t1);
                else if (!within_any(&base, BW_RULE_WRITABLE, e->text))
                        line(&rep, &e->loc, "makes %s writable, outside the workspace and the temporary directory", t1);
        }
        /* carve-outs and unreadable paths of the default that the policy drops */
        for (size_t i = 0; i < base.n_rules; i++) {
                const struct bw_rule_eff *b = &base.rules[i];
                if ((b->flags & (BW_RULE_ADMIN | BW_RULE_PROTECTED)) || b->kind == BW_RULE_WRITABLE ||
                    b->kind == BW_RULE_READABLE || find_rule(c, b))
                        continue;
                if (b->match == BW_MATCH_PATH && within_any(c, b->kind, b->text))
                        continue; /* still covered, by a rule higher up */
                bw_printable(b->text, strlen(b->text), t1, sizeof(t1));
                line(&rep, NULL, "leaves out %s %s, which the workspace-write profile keeps %s",
                     b->kind == BW_RULE_UNREADABLE ? "the unreadable" : "the read-only carve-out", t1,
                     kind_verb(b->kind));
        }
        /* reads: a rule that opens up part of what the default keeps unreadable */
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *e = &c->rules[i];
                if (e->kind == BW_RULE_UNREADABLE || e->match != BW_MATCH_PATH || (e->flags & BW_RULE_ADMIN))
                        continue;
                for (size_t k = 0; k < base.n_rules; k++) {
                        const struct bw_rule_eff *b = &base.rules[k];
                        if (b->kind != BW_RULE_UNREADABLE || b->match != BW_MATCH_PATH ||
                            !(bw_path_is_within(e->text, b->text) || bw_path_is_within(b->text, e->text)))
                                continue;
                        bw_printable(e->text, strlen(e->text), t1, sizeof(t1));
                        bw_printable(b->text, strlen(b->text), t2, sizeof(t2));
                        line(&rep, &e->loc, "makes %s %s, where the workspace-write profile keeps %s unreadable", t1,
                             kind_verb(e->kind), t2);
                        break;
                }
        }
        if (c->network == BW_NETWORK_ON && base.network != BW_NETWORK_ON)
                line(&rep, &c->network_loc, "turns the network on");
        /* Hook for what only the compiler can tell: protected defaults dropped with `unprotect`,
         * environment variables passed through (each with its own message). */
        bw_compilation_widening(c, from_compiler, &rep);
        bw_compilation_done(&base);
        return rep.n;
}
