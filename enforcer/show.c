/* SPDX-License-Identifier: MIT */
/* `bulwark show`: a readable (or JSON) dump of a plan that has already been validated. */
#include "show.h"
#include "env_policy.h"
#include "plan_limits.h"

#include <jansson.h>
#include <stdarg.h>

/* Plan strings are valid UTF-8 without C0 controls, but may hold C1 controls or bidi overrides
 * that would mislead a reviewer reading the terminal: print them as '?'. A small ring of buffers
 * lets one fprintf() take several. */
static const char *P(const char *s) {
        static char ring[8][4200];
        static unsigned next;
        char *buf = ring[next++ % 8];
        return bw_printable(s, strlen(s), buf, sizeof(ring[0]));
}

#define TS(p, x) P(bw_plan_string(p, x))
#define TPS(p, x) P(bw_plan_pstring(p, x))

static const char *principal_kind(uint32_t kind) {
        return kind == BW_PRINCIPAL_SYSTEM_USER    ? "system user"
               : kind == BW_PRINCIPAL_SYSTEM_GROUP ? "system group"
                                                   : "real user";
}

static void section_name(uint32_t type, char out[5]) {
        for (int i = 0; i < 4; i++) {
                char c = (char) (type >> (8 * i));
                out[i] = c >= 0x20 && c < 0x7f ? c : '?';
        }
        out[4] = 0;
}

/* "tcp+udp" for JSON (schema/plan-format.md); for people, readable: "every protocol", or "TCP, UDP". */
static void protocols(uint32_t mask, char *out, size_t n) {
        static const char *const names[] = {"tcp", "udp", "icmp", "icmpv6", "other"};
        out[0] = 0;
        for (int i = 0; i < 5; i++)
                if (mask & (1u << i)) {
                        if (out[0])
                                strncat(out, "+", n - strlen(out) - 1);
                        strncat(out, names[i], n - strlen(out) - 1);
                }
}

static void protocols_text(uint32_t mask, char *out, size_t n) {
        static const char *const names[] = {"TCP", "UDP", "ICMP", "ICMPv6", "other protocols"};
        if ((mask & 0x1f) == 0x1f) {
                snprintf(out, n, "every protocol");
                return;
        }
        out[0] = 0;
        for (int i = 0; i < 5; i++)
                if (mask & (1u << i)) {
                        if (out[0])
                                strncat(out, ", ", n - strlen(out) - 1);
                        strncat(out, names[i], n - strlen(out) - 1);
                }
        if (!out[0])
                snprintf(out, n, "no protocol");
}

static void scope_string(uint8_t scope, char *out, size_t n) {
        snprintf(out, n, "%s",
                 scope == (BW_SCOPE_ACCESS | BW_SCOPE_DEFAULT) ? "access+default"
                 : scope == BW_SCOPE_DEFAULT                   ? "default"
                                                               : "access");
}

static const char *acl_qualifier(const struct bw_plan *p, uint32_t principal) {
        return p->principals[principal].kind == BW_PRINCIPAL_SYSTEM_GROUP ? "group" : "user";
}

/* "file:line:col (layer)" for an entry, or "" without provenance. */
static void where(const struct bw_plan *p, uint32_t section, uint32_t index, char *out, size_t n) {
        const struct bw_plan_prov *v = bw_plan_provenance(p, section, index);
        if (!v) {
                snprintf(out, n, "-");
                return;
        }
        const struct bw_plan_source *s = &p->sources[v->source];
        if (v->line)
                snprintf(out, n, "%s:%u:%u (%s)", TPS(p, s->name), v->line, v->column, bw_layer_name(s->layer));
        else
                snprintf(out, n, "%s (%s)", TPS(p, s->name), bw_layer_name(s->layer));
}

static void rule_flags(uint32_t flags, char *out, size_t n) {
        snprintf(out, n, "%s%s%s%s", flags & BW_RULE_ADMIN ? " admin" : "",
                 flags & BW_RULE_PROTECTED ? " protected" : "", flags & BW_RULE_IGNORE_CASE ? " any-case" : "",
                 flags & BW_RULE_ANYWHERE ? " in-every-root" : "");
}

/* "2G" when bytes is a whole number of a binary unit, else the bytes. */
static void size_string(uint64_t bytes, char *out, size_t n) {
        static const char units[] = "KMGT";
        for (int u = 3; u >= 0; u--) {
                uint64_t unit = UINT64_C(1) << (10 * (u + 1));
                if (bytes >= unit && bytes % unit == 0) {
                        snprintf(out, n, "%llu%c", (unsigned long long) (bytes / unit), units[u]);
                        return;
                }
        }
        snprintf(out, n, "%llu bytes", (unsigned long long) bytes);
}

/* A section's heading, after an empty line: bold when color. */
BW_PRINTF(3, 4)
static void heading(FILE *f, bool color, const char *fmt, ...) {
        char text[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        fputc('\n', f);
        fprintf(f, "%s%s%s\n", color ? "\033[1m" : "", text, color ? "\033[0m" : "");
}

static void show_environment_text(const struct bw_plan *p, FILE *f, bool color) {
        char buf[700];
        heading(f, color, "environment (%u entries; then the default credential drop list):", p->n_env);
        for (uint32_t i = 0; i < p->n_env; i++) {
                const struct bw_plan_env *e = &p->env[i];
                where(p, BW_SECT_ENVR, i, buf, sizeof(buf));
                if (e->action == BW_ENV_SET)
                        fprintf(f, "  [%u] set  %s=%s\n       from %s\n", i, TS(p, e->name), TS(p, e->value), buf);
                else
                        fprintf(f, "  [%u] %s %s%s\n       from %s\n", i, bw_env_action_name(e->action), TS(p, e->name),
                                e->flags & BW_ENV_ADMIN ? " (admin never_pass: beats pass)" : "", buf);
        }
        fprintf(f, "  default drop list:");
        for (size_t i = 0; bw_env_default_drop_list[i]; i++)
                fprintf(f, " %s", bw_env_default_drop_list[i]);
        fputc('\n', f);
}

static void show_limits_text(const struct bw_plan *p, FILE *f, bool color) {
        struct bw_limits l;
        char size[40], buf[700];
        bw_plan_limits(p, &l);
        heading(f, color, "limits%s:", p->limits ? "" : " (all defaults)");
        if (l.tmpfs_size)
                size_string(l.tmpfs_size, size, sizeof(size));
        else
                snprintf(size, sizeof(size), "%u%% of RAM", l.tmpfs_percent);
        const char *dflt = " (default)";
        fprintf(f, "  tmpfs_size  %s for ${tmpdir} (/dev/shm a quarter of it, /run 16M)%s\n", size,
                l.set & BW_LIMIT_SET_TMPFS ? "" : dflt);
        fprintf(f, "  processes   %u%s\n", l.processes, l.set & BW_LIMIT_SET_PROCESSES ? "" : dflt);
        if (l.memory)
                size_string(l.memory, size, sizeof(size));
        fprintf(f, "  memory      %s%s\n", l.memory ? size : "no limit", l.set & BW_LIMIT_SET_MEMORY ? "" : dflt);
        if (l.cpu_millis)
                snprintf(size, sizeof(size), "%u.%03u CPUs", l.cpu_millis / 1000, l.cpu_millis % 1000);
        fprintf(f, "  cpu         %s%s\n", l.cpu_millis ? size : "no limit", l.set & BW_LIMIT_SET_CPU ? "" : dflt);
        if (p->limits) {
                where(p, BW_SECT_LIMT, 0, buf, sizeof(buf));
                fprintf(f, "       from %s\n", buf);
        }
}

void bw_show_text(const struct bw_plan *p, FILE *f) {
        bw_show_text_color(p, f, false);
}

void bw_show_text_color(const struct bw_plan *p, FILE *f, bool color) {
        const struct bw_plan_header *h = p->header;
        char digest[65], effect[65], buf[700];
        bw_hex(h->digest, 32, digest);
        bw_hex(h->effect_digest, 32, effect);
        fprintf(f, "%splan %s%s (format %u.%u, %zu bytes, compiled by %s)\n", color ? "\033[1m" : "", p->id,
                color ? "\033[0m" : "", h->version_major, h->version_minor, p->size, TS(p, p->meta->compiler));
        fprintf(f, "  digest   sha256:%s\n  effect   sha256:%s\n", digest, effect);
        fprintf(f, "  name     %s\n", p->meta->name.length ? TS(p, p->meta->name) : "(none)");
        fprintf(f, "  network  %s\n", p->meta->network == BW_NETWORK_ON ? "on" : "off");
        fprintf(f, "  signed plans required by admin: %s\n", p->meta->flags & BW_META_REQUIRE_SIGNED ? "yes" : "no");

        heading(f, color, "sections (%u%s):", p->n_sections, p->n_skipped_sections ? ", some unknown and skipped" : "");
        const struct bw_plan_section *t = (const void *) (p->data + h->section_table_offset);
        for (uint32_t i = 0; i < h->section_count; i++) {
                char tn[5];
                section_name(t[i].type, tn);
                fprintf(f, "  %s  %-8s  offset %6llu  size %7llu  %6u x %u\n", tn,
                        t[i].flags & BW_SECTION_CRITICAL ? "critical" : "optional", (unsigned long long) t[i].offset,
                        (unsigned long long) t[i].size, t[i].count, t[i].entry_size);
        }

        heading(f, color, "variables:");
        for (uint32_t i = 0; i < p->n_vars; i++)
                fprintf(f, "  %-10s %s\n", TS(p, p->vars[i].name),
                        p->vars[i].flags & BW_VAR_BOUND ? TS(p, p->vars[i].value) : "(unbound: bound when applied)");

        heading(f, color, "principals:");
        for (uint32_t i = 0; i < p->n_principals; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                fprintf(f, "  [%u] %-16s %-12s %s", i, TS(p, pr->name), principal_kind(pr->kind),
                        bw_principal_role_name(pr->role));
                bool first = true;
                for (uint32_t b = 0; b < p->n_principals; b++)
                        if (pr->member_of & (1u << b)) {
                                fprintf(f, "%s%s", first ? ", member of " : ", ", TS(p, p->principals[b].name));
                                first = false;
                        }
                fputc('\n', f);
        }

        heading(f, color, "rules (%u):", p->n_rules);
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                char fl[80];
                rule_flags(r->flags, fl, sizeof(fl));
                where(p, BW_SECT_RULE, i, buf, sizeof(buf));
                /* a reviewer must tell a cache root from a writable one at a glance: the sandbox's
                 * writes there never reach the host's copy */
                fprintf(f, "  [%u] %-10s %-5s %s%s%s\n       from %s\n", i, bw_rule_kind_name(r->kind),
                        bw_match_kind_name(r->match), TS(p, r->text), fl,
                        r->kind == BW_RULE_CACHE ? " copy-on-write (host copy unchanged)" : "", buf);
        }

        heading(f, color, "ACL entries each rule implies on what it covers (%u):", p->n_acls);
        for (uint32_t i = 0; i < p->n_acls; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                char perms[4], scope[20];
                bw_perms_string(a->perms, perms);
                scope_string(a->scope, scope, sizeof(scope));
                fprintf(f, "  [%u] %-10s -> %s:%s:%s %s%s, %s\n", i, bw_rule_kind_name(a->rule_kind),
                        acl_qualifier(p, a->principal), TS(p, p->principals[a->principal].name), perms, scope,
                        a->flags & BW_ACL_RECURSIVE ? " recursive" : "", bw_acl_role_name(a->role));
        }

        heading(f, color, "firewall rules (%u):", p->n_nft_rules);
        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                const struct bw_plan_nft_rule *n = &p->nft_rules[i];
                char pr[64];
                protocols_text(n->protocols, pr, sizeof(pr));
                where(p, BW_SECT_NFTR, i, buf, sizeof(buf));
                fprintf(f,
                        "  [%u] table inet bulwark, chain output: what %s sends to any address but loopback (IPv4 "
                        "and IPv6), %s: rejected\n       from %s\n",
                        i, TS(p, p->principals[n->principal].name), pr, buf);
        }

        heading(f, color, "token specs (%u):", p->n_tokens);
        for (uint32_t i = 0; i < p->n_tokens; i++) {
                const struct bw_plan_token *t2 = &p->tokens[i];
                where(p, BW_SECT_TOKS, i, buf, sizeof(buf));
                fprintf(f,
                        "  [%u] %s%s: network %s%s, seccomp default-v1, Landlock ABI >= %u (wants %u; below: %s), %u "
                        "rules\n       from %s\n",
                        i, TS(p, p->principals[t2->principal].name), t2->flags & BW_TOKEN_DEFAULT ? " (default)" : "",
                        t2->network == BW_NETWORK_ON ? "on" : "off",
                        t2->flags & BW_TOKEN_NO_NEW_PRIVS ? ", no_new_privs" : "", t2->landlock_min_abi,
                        t2->landlock_wanted_abi,
                        t2->landlock_below_min == BW_LANDLOCK_REFUSE ? "refuse" : "degrade, with a warning",
                        t2->ref_count, buf);
        }

        show_environment_text(p, f, color);
        show_limits_text(p, f, color);

        if (p->n_sources) {
                heading(f, color, "sources (%u):", p->n_sources);
                for (uint32_t i = 0; i < p->n_sources; i++) {
                        char hex[65];
                        bw_hex(p->sources[i].sha256, 32, hex);
                        fprintf(f, "  [%u] %-8s %s sha256:%s\n", i, bw_layer_name(p->sources[i].layer),
                                TPS(p, p->sources[i].name), hex);
                }
        } else
                fprintf(f, "\nsources: none recorded (compiled with --no-provenance)\n");
}

static json_t *prov_json(const struct bw_plan *p, uint32_t section, uint32_t index) {
        const struct bw_plan_prov *v = bw_plan_provenance(p, section, index);
        if (!v)
                return json_null();
        const struct bw_plan_source *s = &p->sources[v->source];
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(bw_plan_pstring(p, s->name)));
        json_object_set_new(o, "layer", json_string(bw_layer_name(s->layer)));
        if (v->line) {
                json_object_set_new(o, "line", json_integer(v->line));
                json_object_set_new(o, "column", json_integer(v->column));
        }
        return o;
}

void bw_show_json(const struct bw_plan *p, FILE *f) {
        const struct bw_plan_header *h = p->header;
        char hex[65];
        json_t *o = json_object();
        json_object_set_new(o, "id", json_string(p->id));
        bw_hex(h->digest, 32, hex);
        json_object_set_new(o, "digest", json_string(hex));
        bw_hex(h->effect_digest, 32, hex);
        json_object_set_new(o, "effect_digest", json_string(hex));
        json_object_set_new(o, "format", json_sprintf("%u.%u", h->version_major, h->version_minor));
        json_object_set_new(o, "size", json_integer((json_int_t) p->size));
        json_object_set_new(o, "compiler", json_string(bw_plan_string(p, p->meta->compiler)));
        json_object_set_new(o, "name", json_string(bw_plan_string(p, p->meta->name)));
        json_object_set_new(o, "network", json_string(p->meta->network == BW_NETWORK_ON ? "on" : "off"));
        json_object_set_new(o, "require_signed_plans", json_boolean(p->meta->flags & BW_META_REQUIRE_SIGNED));

        json_t *vars = json_object();
        for (uint32_t i = 0; i < p->n_vars; i++)
                json_object_set_new(vars, bw_plan_string(p, p->vars[i].name),
                                    p->vars[i].flags & BW_VAR_BOUND ? json_string(bw_plan_string(p, p->vars[i].value))
                                                                    : json_null());
        json_object_set_new(o, "variables", vars);

        json_t *prins = json_array();
        for (uint32_t i = 0; i < p->n_principals; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                json_t *m = json_array();
                for (uint32_t b = 0; b < p->n_principals; b++)
                        if (pr->member_of & (1u << b))
                                json_array_append_new(m, json_string(bw_plan_string(p, p->principals[b].name)));
                json_array_append_new(prins, json_pack("{s:s,s:s,s:s,s:o}", "name", bw_plan_string(p, pr->name), "kind",
                                                       principal_kind(pr->kind), "role",
                                                       bw_principal_role_name(pr->role), "member_of", m));
        }
        json_object_set_new(o, "principals", prins);

        json_t *rules = json_array();
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                json_array_append_new(
                        rules,
                        json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:o}", "kind", bw_rule_kind_name(r->kind), "match",
                                  bw_match_kind_name(r->match), "text", bw_plan_string(p, r->text), "admin",
                                  !!(r->flags & BW_RULE_ADMIN), "protected", !!(r->flags & BW_RULE_PROTECTED),
                                  "ignore_case", !!(r->flags & BW_RULE_IGNORE_CASE), "in_every_root",
                                  !!(r->flags & BW_RULE_ANYWHERE), "source", prov_json(p, BW_SECT_RULE, i)));
                if (r->kind == BW_RULE_CACHE)
                        json_object_set_new(json_array_get(rules, json_array_size(rules) - 1), "copy_on_write",
                                            json_true());
        }
        json_object_set_new(o, "rules", rules);

        json_t *acls = json_array();
        for (uint32_t i = 0; i < p->n_acls; i++) {
                const struct bw_plan_acl *a = &p->acls[i];
                char perms[4], scope[20];
                bw_perms_string(a->perms, perms);
                scope_string(a->scope, scope, sizeof(scope));
                json_array_append_new(
                        acls, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:o}", "rule_kind", bw_rule_kind_name(a->rule_kind),
                                        "principal", bw_plan_string(p, p->principals[a->principal].name), "perms",
                                        perms, "scope", scope, "role", bw_acl_role_name(a->role), "recursive",
                                        !!(a->flags & BW_ACL_RECURSIVE), "source", prov_json(p, BW_SECT_ACLE, i)));
        }
        json_object_set_new(o, "acl_entries", acls);

        json_t *nfts = json_array();
        for (uint32_t i = 0; i < p->n_nft_rules; i++) {
                const struct bw_plan_nft_rule *n = &p->nft_rules[i];
                char pr[64];
                protocols(n->protocols, pr, sizeof(pr));
                json_array_append_new(
                        nfts, json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "table", "inet bulwark", "chain", "output",
                                        "principal", bw_plan_string(p, p->principals[n->principal].name), "protocols",
                                        pr, "match", "daddr not loopback", "source", prov_json(p, BW_SECT_NFTR, i)));
        }
        json_object_set_new(o, "firewall_rules", nfts);

        json_t *toks = json_array();
        for (uint32_t i = 0; i < p->n_tokens; i++) {
                const struct bw_plan_token *t = &p->tokens[i];
                json_t *refs = json_array();
                for (uint32_t k = 0; k < t->ref_count; k++)
                        json_array_append_new(refs, json_integer(p->trefs[t->ref_first + k]));
                json_array_append_new(toks,
                                      json_pack("{s:s,s:b,s:s,s:b,s:s,s:i,s:i,s:s,s:o,s:o}", "principal",
                                                bw_plan_string(p, p->principals[t->principal].name), "default",
                                                !!(t->flags & BW_TOKEN_DEFAULT), "network",
                                                t->network == BW_NETWORK_ON ? "on" : "off", "no_new_privs",
                                                !!(t->flags & BW_TOKEN_NO_NEW_PRIVS), "seccomp", "default-v1",
                                                "landlock_min_abi", (int) t->landlock_min_abi, "landlock_wanted_abi",
                                                (int) t->landlock_wanted_abi, "landlock_below_min",
                                                t->landlock_below_min == BW_LANDLOCK_REFUSE ? "refuse" : "degrade",
                                                "rules", refs, "source", prov_json(p, BW_SECT_TOKS, i)));
        }
        json_object_set_new(o, "token_specs", toks);

        json_t *env = json_array();
        for (uint32_t i = 0; i < p->n_env; i++) {
                const struct bw_plan_env *e = &p->env[i];
                json_t *item = json_pack("{s:s,s:s}", "action", bw_env_action_name(e->action), "name",
                                         bw_plan_string(p, e->name));
                if (e->action == BW_ENV_SET)
                        json_object_set_new(item, "value", json_string(bw_plan_string(p, e->value)));
                json_object_set_new(item, "admin", json_boolean(e->flags & BW_ENV_ADMIN));
                json_object_set_new(item, "source", prov_json(p, BW_SECT_ENVR, i));
                json_array_append_new(env, item);
        }
        json_t *dflt = json_array();
        for (size_t i = 0; bw_env_default_drop_list[i]; i++)
                json_array_append_new(dflt, json_string(bw_env_default_drop_list[i]));
        json_object_set_new(o, "environment", json_pack("{s:o,s:o}", "entries", env, "default_drop", dflt));

        struct bw_limits l;
        bw_plan_limits(p, &l);
        json_t *lim = json_object();
        json_object_set_new(lim, "tmpfs_size", l.tmpfs_size ? json_integer((json_int_t) l.tmpfs_size) : json_null());
        json_object_set_new(lim, "tmpfs_percent", l.tmpfs_percent ? json_integer(l.tmpfs_percent) : json_null());
        json_object_set_new(lim, "processes", json_integer(l.processes));
        json_object_set_new(lim, "memory", l.memory ? json_integer((json_int_t) l.memory) : json_null());
        json_object_set_new(lim, "cpu_millis", l.cpu_millis ? json_integer(l.cpu_millis) : json_null());
        json_t *set = json_array();
        static const char *const names[] = {"tmpfs_size", "processes", "memory", "cpu"};
        for (unsigned k = 0; k < 4; k++)
                if (l.set & (1u << k))
                        json_array_append_new(set, json_string(names[k]));
        json_object_set_new(lim, "from_plan", set);
        json_object_set_new(lim, "source", p->limits ? prov_json(p, BW_SECT_LIMT, 0) : json_null());
        json_object_set_new(o, "limits", lim);

        json_t *srcs = json_array();
        for (uint32_t i = 0; i < p->n_sources; i++) {
                bw_hex(p->sources[i].sha256, 32, hex);
                json_array_append_new(srcs, json_pack("{s:s,s:s,s:s}", "file", bw_plan_pstring(p, p->sources[i].name),
                                                      "layer", bw_layer_name(p->sources[i].layer), "sha256", hex));
        }
        json_object_set_new(o, "sources", srcs);

        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
                fprintf(f, "%s\n", s);
        free(s);
        json_decref(o);
}
