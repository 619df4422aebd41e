/* SPDX-License-Identifier: MIT */
/*
 * Change lines and how the commands report them: the lines plan, apply and status collect
 * (add), their text and JSON forms, the regions of ACL changes, and the command layer's error
 * reporter (bw_report_fail: the one place the engine writes to stderr).
 */
#include "engine_internal.h"

#include <stdarg.h>

BW_PRINTF(3, 4)
int bw_report_fail(struct run *r, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("bulwark: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        (void) r;
        return code;
}

void bw_report_note(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("bulwark: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

void bw_report_text(void *ctx, const char *text) {
        (void) ctx;
        fputs(text, stderr);
}

void bw_report_object_error(void *ctx, const char *root, const char *rel, const char *what, int err) {
        (void) ctx;
        bw_report_note("%s%s%s: %s: %s", root, rel[0] ? "/" : "", rel, what, strerror(-err));
}

void bw_report_add(struct run *r, char op, const char *kind, const char *what, const char *detail, const char *source,
                   uint64_t below) {
        if (r->n_lines == r->cap_lines) {
                r->cap_lines = r->cap_lines ? r->cap_lines * 2 : 32;
                r->lines = realloc(r->lines, r->cap_lines * sizeof(*r->lines));
                if (!r->lines)
                        abort();
        }
        r->lines[r->n_lines++] = (struct change_line){op,
                                                      r->adding_regions,
                                                      strdup(kind),
                                                      strdup(what),
                                                      strdup(detail ? detail : ""),
                                                      source ? strdup(source) : NULL,
                                                      below};
        if (op == '+')
                r->adds++;
        else if (op == '~')
                r->changes++;
        else if (op == '-')
                r->removes++;
        else if (op == '!')
                r->kept++;
        else
                r->unknown++;
}

static void source_of_rule(const struct bw_plan *p, uint32_t rule, char *buf, size_t n) {
        buf[0] = 0;
        const struct bw_plan_prov *v = rule < p->n_rules ? bw_plan_provenance(p, BW_SECT_RULE, rule) : NULL;
        if (!v)
                return;
        const char *file = bw_plan_pstring(p, p->sources[v->source].name);
        if (v->line)
                snprintf(buf, n, "%s:%u:%u", file, v->line, v->column);
        else
                snprintf(buf, n, "%s", file);
}

static int region_cmp(const void *x, const void *y) {
        return strcmp((*(struct bw_acl_region *const *) x)->path, (*(struct bw_acl_region *const *) y)->path);
}

/* What a rule kind puts on an object, in the plan's own words (its principals' real names). */
static void kind_detail(const struct run *r, uint32_t kind, uint32_t rule, char *buf, size_t n) {
        const struct bw_plan *p = r->plan;
        size_t o = 0;
        buf[0] = 0;
        if (kind == 0) {
                snprintf(buf, n, "bulwark's entries removed");
                return;
        }
        for (uint32_t i = 0; i < p->n_acls && o < n; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                if (a->rule_kind != kind)
                        continue;
                const struct bw_plan_principal *pr = &p->principals[a->principal];
                const char *name = r->names[a->principal];
                for (size_t k = 0; pr->role == BW_ROLE_WRITE_GROUP && k < r->n_wg; k++)
                        if (r->wg[k].rule == rule)
                                name = r->wg[k].name;
                char perms[4];
                bw_perms_string(a->perms, perms);
                o += (size_t) snprintf(buf + o, n - o, "%s%s:%s:%s (%s)", o ? ", " : "",
                                       pr->kind == BW_PRINCIPAL_SYSTEM_GROUP ? "group" : "user", name, perms,
                                       a->scope == (BW_SCOPE_ACCESS | BW_SCOPE_DEFAULT) ? "access+default"
                                       : a->scope == BW_SCOPE_DEFAULT                   ? "default"
                                                                                        : "access");
        }
}

/* A moved protected object: what it keeps, why, and what lifts it. */
static void kept_detail(uint32_t kept, char *buf, size_t n) {
        bool both = (kept & BW_KEPT_CARVE_OUT) && (kept & BW_KEPT_DENY_READ);
        snprintf(buf, n,
                 "keeps its %s: the name no longer matches (moved?) and apply never lifts protection from an "
                 "object; revert lifts %s",
                 both                       ? "read-only carve-out and unreadable entries"
                 : kept & BW_KEPT_CARVE_OUT ? "read-only carve-out"
                                            : "unreadable entries",
                 both || !(kept & BW_KEPT_CARVE_OUT) ? "them" : "it");
}

/* One report line per region of changes (acl_tree.c decides the regions as it walks). */
void bw_report_acl_regions(struct run *r, struct bw_acl_region *regions) {
        /* the walk builds the list newest first; sort by path for a stable report */
        size_t n = 0;
        for (struct bw_acl_region *g = regions; g; g = g->next)
                n++;
        _cleanup_free_ struct bw_acl_region **v = calloc(n + 1, sizeof(*v));
        if (!v)
                abort();
        n = 0;
        for (struct bw_acl_region *g = regions; g; g = g->next)
                v[n++] = g;
        qsort(v, n, sizeof(*v), region_cmp);
        r->adding_regions = true;
        for (size_t i = 0; i < n; i++) {
                const struct bw_acl_region *g = v[i];
                char src[600], detail[400];
                source_of_rule(r->plan, g->rule, src, sizeof(src));
                if (g->op == '!')
                        kept_detail(g->kind, detail, sizeof(detail));
                else
                        kind_detail(r, g->kind, g->rule, detail, sizeof(detail));
                bw_report_add(r, g->op, "acl", g->path, detail, src[0] ? src : NULL, atomic_load(&g->below));
        }
        r->adding_regions = false;
}

void bw_host_report_line(struct bw_host_report *r, const char *label, const char *fmt, ...) {
        struct bw_probe_line *v = realloc(r->lines, (r->n_lines + 1) * sizeof(*v));
        if (!v)
                abort();
        r->lines = v;
        struct bw_probe_line *l = &v[r->n_lines++];
        snprintf(l->label, sizeof(l->label), "%s", label);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->text, sizeof(l->text), fmt, ap);
        va_end(ap);
}

static const struct bw_backend_words linux_words = {
        .fw_what = "inet bulwark output",
        .fw_rule_head = "skuid in set offline (",
        .fw_rule_tail = "), daddr not loopback (IPv4 and IPv6, every protocol): reject",
        .fw_ruleset = "the nftables ruleset",
        .fw_long = "nftables table inet bulwark",
        .fw_short = "inet bulwark",
        .runner_grant = "capabilities",
        .runner_as_before = "capabilities, owner and mode as before",
        .runner_check = "getcap",
};

const struct bw_backend_words *bw_backend_words_of(const struct bw_backend *be) {
        return be && be->words ? be->words : &linux_words;
}

const char *bw_report_op_name(char op) {
        return op == '+' ? "add" : op == '~' ? "change" : op == '-' ? "remove" : op == '!' ? "keep" : "unknown";
}

/* The length of one ACL entry as kind_detail and the traverse grant write it at s,
 * "group:NAME:PERMS (SCOPE)", or 0; its parts go to e. */
static size_t acl_entry_parse(const char *s, json_t **e) {
        size_t tag = strncmp(s, "group:", 6) == 0 ? 5 : strncmp(s, "user:", 5) == 0 ? 4 : 0;
        if (!tag)
                return 0;
        const char *name = s + tag + 1, *colon = strchr(name, ':');
        if (!colon || colon == name || strcspn(name, " ,()") < (size_t) (colon - name))
                return 0;
        const char *perms = colon + 1;
        for (size_t i = 0; i < 3; i++)
                if (!perms[i] || !strchr("rwxX-", perms[i]))
                        return 0;
        static const char *const scopes[] = {"access+default", "access", "default"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(scopes); i++) {
                size_t n = strlen(scopes[i]);
                if (strncmp(perms + 3, " (", 2) != 0 || strncmp(perms + 5, scopes[i], n) != 0 || perms[5 + n] != ')')
                        continue;
                *e = json_object();
                json_object_set_new(*e, "principal", json_stringn(s, (size_t) (colon - s)));
                json_object_set_new(*e, "perms", json_stringn(perms, 3));
                json_object_set_new(*e, "scope", json_string(scopes[i]));
                return (size_t) (perms + 6 + n - s);
        }
        return 0;
}

/* The ACL entries a change line of kind acl names, as objects {principal, perms, scope}: the
 * JSON form carries them as data (cli.md's "principal", "perms", "scope") rather than only in
 * the words of "detail". NULL when the line names none (unknown, kept, entries removed). */
static json_t *acl_entries(const struct change_line *l) {
        if (l->op != '+' && l->op != '~' && l->op != '-')
                return NULL;
        json_t *a = json_array();
        const char *s = l->detail;
        for (;;) {
                json_t *e = NULL;
                size_t n = acl_entry_parse(s, &e);
                if (!n || !e)
                        break;
                json_array_append_new(a, e);
                s += n;
                if (strncmp(s, ", ", 2) != 0)
                        break;
                s += 2;
        }
        if (json_array_size(a) == 0) {
                json_decref(a);
                return NULL;
        }
        return a;
}

/* One change as the JSON object of plan --json (schema/changes.schema.json). */
json_t *bw_report_change_json(const struct run *r, const struct change_line *l) {
        const char *op = bw_report_op_name(l->op);
        json_t *o = json_pack("{s:s,s:s,s:s,s:s}", "op", op, "kind", l->kind, "path", l->what, "detail", l->detail);
        if (bw_streq(l->kind, "acl")) {
                /* the first entry's parts at the top level, as cli.md's example has them; all of
                 * them in "entries" (an object may get entries for several principals) */
                json_t *entries = acl_entries(l);
                if (entries) {
                        json_t *first = json_array_get(entries, 0);
                        const char *keys[] = {"principal", "perms", "scope"};
                        for (size_t i = 0; i < BW_ARRAY_SIZE(keys); i++)
                                json_object_set(o, keys[i], json_object_get(first, keys[i]));
                        json_object_set_new(o, "entries", entries);
                }
                json_object_set_new(o, "below", json_integer((json_int_t) l->below));
        }
        if (l->source)
                json_object_set_new(o, "source", json_string(l->source));
        json_object_set_new(o, "plan", json_string(r->plan->id));
        json_object_set_new(o, "workspace", json_string(r->values[BW_VAR_WORKSPACE]));
        return o;
}

/* ANSI colours of the change lines (cli.md: '+' green, '-' red, '~' yellow; the summary bold). */
static const char *op_color(char op) {
        return op == '+' ? "\033[32m" : op == '-' ? "\033[31m" : op == '~' ? "\033[33m" : NULL;
}

void bw_report_print_line(const struct change_line *l, bool color, FILE *out) {
        char below[64] = "";
        if (l->below)
                snprintf(below, sizeof(below), " [+%llu below]", (unsigned long long) l->below);
        const char *c = color ? op_color(l->op) : NULL;
        fprintf(out, "%s%c %-6s %-40s %s%s%s%s%s\n", c ? c : "", l->op, l->kind, l->what, l->detail, below,
                l->source ? "  <- " : "", l->source ? l->source : "", c ? "\033[0m" : "");
}

/* The walked root an ACL line lies under: the outermost path rule containing it (NULL: none). */
static const char *line_root(const struct run *r, const char *path) {
        const char *best = NULL;
        for (size_t i = 0; i < r->tp.n_paths; i++) {
                const char *p = r->tp.paths[i].path;
                if (bw_path_is_within(path, p) && (!best || strlen(p) < strlen(best)))
                        best = p;
        }
        return best;
}

static void print_more(const char *root, uint64_t more, FILE *out) {
        fprintf(out, "  ... and %llu more change%s under %s (use --json or --verbose for all)\n",
                (unsigned long long) more, more == 1 ? "" : "s", root);
}

void bw_report_print_changes(struct run *r, FILE *out) {
        if (r->o->json) {
                for (size_t i = 0; i < r->n_lines; i++) {
                        json_t *o = bw_report_change_json(r, &r->lines[i]);
                        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
                        fprintf(out, "%s\n", s);
                        free(s);
                        json_decref(o);
                }
                return;
        }
        bool color = r->o->color;
        fprintf(out, "%sbulwark: %u to add, %u to change, %u to remove (plan %s, workspace %s%s%s)%s\n",
                color ? "\033[1m" : "", r->adds, r->changes, r->removes, r->plan->id, r->values[BW_VAR_WORKSPACE],
                r->signer.is_signed ? ", signed with key " : "", r->signer.is_signed ? r->signer.key_id : "",
                color ? "\033[0m" : "");
        /* The walk's lines come sorted by path, so the lines of one root are consecutive: after
         * BW_REPORT_LINES_PER_ROOT of them, the rest are counted and said in one line. */
        const char *root = NULL;
        uint64_t shown = 0, more = 0;
        for (size_t i = 0; i < r->n_lines; i++) {
                const struct change_line *l = &r->lines[i];
                const char *lr = l->from_walk && bw_streq(l->kind, "acl") ? line_root(r, l->what) : NULL;
                if (root && (!lr || !bw_streq(lr, root))) {
                        if (more)
                                print_more(root, more, out);
                        root = NULL;
                }
                if (lr && !root) {
                        root = lr;
                        shown = more = 0;
                }
                if (root && !r->o->all_lines && shown >= BW_REPORT_LINES_PER_ROOT) {
                        more++;
                        continue;
                }
                shown++;
                bw_report_print_line(l, color, out);
        }
        if (root && more)
                print_more(root, more, out);
}

/* Say what moved between the reviewed change lines and the current ones. */
void bw_report_moved(const json_t *old, const struct run *now) {
        size_t n_old = json_array_size(old);
        _cleanup_free_ bool *matched = calloc(n_old + 1, sizeof(*matched));
        if (!matched)
                abort();
        fprintf(stderr, "bulwark: what moved since the change set was saved ('-' reviewed, now gone or different; '+' "
                        "new):\n");
        unsigned shown = 0;
        for (size_t i = 0; i < now->n_lines; i++) {
                const struct change_line *l = &now->lines[i];
                bool found = false;
                for (size_t k = 0; k < n_old && !found; k++) {
                        json_t *o = json_array_get(old, k);
                        const char *kind = json_string_value(json_object_get(o, "kind"));
                        const char *path = json_string_value(json_object_get(o, "path"));
                        const char *detail = json_string_value(json_object_get(o, "detail"));
                        json_int_t below = json_integer_value(json_object_get(o, "below"));
                        if (!matched[k] && kind && path && detail && bw_streq(kind, l->kind) &&
                            bw_streq(path, l->what) && bw_streq(detail, l->detail) && (uint64_t) below == l->below)
                                matched[k] = found = true;
                }
                char more[40] = ""; /* ("[+0 below]" said nothing) */
                if (l->below)
                        snprintf(more, sizeof(more), " [+%llu below]", (unsigned long long) l->below);
                if (!found && shown++ < 50)
                        fprintf(stderr, "  + %-6s %s  %s%s\n", l->kind, l->what, l->detail, more);
        }
        for (size_t k = 0; k < n_old; k++) {
                json_t *o = json_array_get(old, k);
                json_int_t below = json_integer_value(json_object_get(o, "below"));
                char more[40] = "";
                if (below)
                        snprintf(more, sizeof(more), " [+%lld below]", (long long) below);
                if (!matched[k] && shown++ < 100)
                        fprintf(stderr, "  - %-6s %s  %s%s\n", json_string_value(json_object_get(o, "kind")),
                                json_string_value(json_object_get(o, "path")),
                                json_string_value(json_object_get(o, "detail")), more);
        }
        if (shown == 0)
                fprintf(stderr, "  the same lines, but objects inside these regions changed (their ACL bytes or "
                                "their number)\n");
}
