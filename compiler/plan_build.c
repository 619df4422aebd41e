/* SPDX-License-Identifier: MIT */
/*
 * From the effective rule set to plan contents: the fixed principals, the ACL entries each rule
 * implies on Linux, the firewall rule, the token specs, and provenance for every entry.
 */
#include "util.h"
#include "compile.h"
#include "plan.h"

enum { P_OFFLINE, P_ONLINE, P_SANDBOX, P_WRITE, P_REAL_USER, N_PRINCIPALS };

struct builder {
        struct bw_plan_contents pc;
        struct bw_plan_acl *acls;
        size_t n_acls, cap_acls;
        struct bw_plan_prov *provs;
        size_t n_provs, cap_provs;
        int r;
};

static void add_prov(struct builder *b, uint32_t section, uint32_t index, const struct bw_loc *loc) {
        if (b->n_provs == b->cap_provs) {
                b->cap_provs = b->cap_provs ? b->cap_provs * 2 : 64;
                b->provs = realloc(b->provs, b->cap_provs * sizeof(*b->provs));
                if (!b->provs)
                        abort();
        }
        b->provs[b->n_provs++] = (struct bw_plan_prov){
                .section = section,
                .index = index,
                .line = loc->line,
                .source = (uint16_t) loc->source,
                .column = (uint16_t) (loc->col > UINT16_MAX ? UINT16_MAX : loc->col),
        };
}

static void add_acl(struct builder *b, uint32_t kind, uint8_t principal, uint8_t perms, uint8_t scope, uint8_t role) {
        if (b->n_acls == b->cap_acls) {
                b->cap_acls = b->cap_acls ? b->cap_acls * 2 : 64;
                b->acls = realloc(b->acls, b->cap_acls * sizeof(*b->acls));
                if (!b->acls)
                        abort();
        }
        b->acls[b->n_acls++] = (struct bw_plan_acl){.rule_kind = kind,
                                                    .principal = principal,
                                                    .perms = perms,
                                                    .scope = scope,
                                                    .role = role,
                                                    .flags = BW_ACL_RECURSIVE};
}

static int prov_cmp(const void *x, const void *y) {
        const struct bw_plan_prov *a = x, *b = y;
        if (a->section != b->section)
                return a->section < b->section ? -1 : 1;
        return a->index < b->index ? -1 : a->index > b->index;
}

static struct bw_plan_str str(struct builder *b, const char *s) {
        struct bw_plan_str ref = {0, 0};
        if (b->r == 0)
                b->r = bw_strtab_add(&b->pc.strs, s, strlen(s), &ref);
        return ref;
}

/* What each kind of rule means for the ACLs of the objects it covers (see schema/plan-format.md),
 * in the order the reader requires: rule kind, then principal. */
static void acl_templates(struct builder *b) {
        const uint8_t both = BW_SCOPE_ACCESS | BW_SCOPE_DEFAULT;
        add_acl(b, BW_RULE_WRITABLE, P_WRITE, BW_PERM_R | BW_PERM_W | BW_PERM_COND_X, both, BW_ACL_GRANT);
        add_acl(b, BW_RULE_WRITABLE, P_REAL_USER, BW_PERM_R | BW_PERM_W | BW_PERM_X, BW_SCOPE_DEFAULT,
                BW_ACL_OWNER_DEFAULT);
        /* named-user entries beat the write group's entry for these users */
        add_acl(b, BW_RULE_READ_ONLY, P_OFFLINE, BW_PERM_R | BW_PERM_COND_X, both, BW_ACL_CARVE_OUT);
        add_acl(b, BW_RULE_READ_ONLY, P_ONLINE, BW_PERM_R | BW_PERM_COND_X, both, BW_ACL_CARVE_OUT);
        add_acl(b, BW_RULE_READABLE, P_SANDBOX, BW_PERM_R | BW_PERM_COND_X, both, BW_ACL_READ_GRANT);
        add_acl(b, BW_RULE_UNREADABLE, P_OFFLINE, 0, both, BW_ACL_DENY_READ);
        add_acl(b, BW_RULE_UNREADABLE, P_ONLINE, 0, both, BW_ACL_DENY_READ);
}

int bw_compilation_to_plan(const struct bw_compilation *c, bool without_provenance, uint8_t **ret, size_t *ret_size) {
        struct builder b = {0};
        int r;
        if ((r = bw_strtab_init(&b.pc.strs)) < 0)
                return r;
        if ((r = bw_strtab_init(&b.pc.pstr)) < 0) {
                bw_strtab_done(&b.pc.strs);
                return r;
        }
        const struct bw_loc builtin = {.source = 0};

        b.pc.meta.compiler = str(&b, BW_COMPILER_NAME);
        b.pc.meta.name = str(&b, c->name ? c->name : "");
        b.pc.meta.network = (uint32_t) c->network;
        b.pc.meta.flags = c->require_signed ? BW_META_REQUIRE_SIGNED : 0;

        for (int i = 0; i < BW_VAR_COUNT; i++) {
                b.pc.vars[i].name = str(&b, bw_var_name((enum bw_var_id) i));
                if (c->bindings.value[i]) {
                        b.pc.vars[i].value = str(&b, c->bindings.value[i]);
                        b.pc.vars[i].flags = BW_VAR_BOUND;
                }
        }

        const uint32_t groups = 1u << P_SANDBOX | 1u << P_WRITE;
        struct bw_plan_principal prin[N_PRINCIPALS] = {
                [P_OFFLINE] = {str(&b, "bulwark-offline"), BW_PRINCIPAL_SYSTEM_USER, BW_ROLE_OFFLINE, groups, 0},
                [P_ONLINE] = {str(&b, "bulwark-online"), BW_PRINCIPAL_SYSTEM_USER, BW_ROLE_ONLINE, groups, 0},
                [P_SANDBOX] = {str(&b, "bulwark-sandbox"), BW_PRINCIPAL_SYSTEM_GROUP, BW_ROLE_SANDBOX_GROUP, 0, 0},
                [P_WRITE] = {str(&b, "bulwark-write"), BW_PRINCIPAL_SYSTEM_GROUP, BW_ROLE_WRITE_GROUP, 0, 0},
                [P_REAL_USER] = {str(&b, c->bindings.value[BW_VAR_USER] ? c->bindings.value[BW_VAR_USER] : "${user}"),
                                 BW_PRINCIPAL_REAL_USER, BW_ROLE_REAL_USER, 0, 0},
        };
        for (uint32_t i = 0; i < N_PRINCIPALS; i++)
                add_prov(&b, BW_SECT_PRIN, i, &builtin);

        struct bw_plan_rule *rules = calloc(c->n_rules ? c->n_rules : 1, sizeof(*rules));
        uint32_t *trefs = calloc(c->n_rules ? c->n_rules : 1, sizeof(*trefs));
        if (!rules || !trefs)
                abort();
        for (uint32_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *e = &c->rules[i];
                rules[i] = (struct bw_plan_rule){str(&b, e->text), e->kind, e->match, e->flags, 0};
                add_prov(&b, BW_SECT_RULE, i, &e->loc);
        }
        acl_templates(&b);
        for (uint32_t i = 0; i < b.n_acls; i++)
                add_prov(&b, BW_SECT_ACLE, i, &builtin);

        /* The offline principal is firewalled whatever the policy's network mode: it is the
         * identity used whenever network is off, by any plan on the host. */
        struct bw_plan_nft_rule nft = {P_OFFLINE,
                                       BW_NFT_FAMILY_INET,
                                       BW_NFT_HOOK_OUTPUT,
                                       BW_PROTO_ALL,
                                       BW_NFT_MATCH_DADDR_NOT_LOOPBACK,
                                       BW_NFT_VERDICT_REJECT,
                                       {0, 0}};
        add_prov(&b, BW_SECT_NFTR, 0, &builtin);

        /* One token spec per network mode the plan allows; every rule is in force for each, so
         * they share one range of TREF. */
        struct bw_plan_token tokens[2];
        uint32_t n_tokens = 0, n_trefs = (uint32_t) c->n_rules;
        for (uint32_t i = 0; i < c->n_rules; i++)
                trefs[i] = i;
        for (uint32_t net = 0; net <= (uint32_t) c->network; net++) {
                bool is_default = net == (uint32_t) c->network;
                tokens[n_tokens] = (struct bw_plan_token){
                        .principal = net == BW_NETWORK_ON ? P_ONLINE : P_OFFLINE,
                        .network = net,
                        .flags = BW_TOKEN_NO_NEW_PRIVS | (is_default ? BW_TOKEN_DEFAULT : 0),
                        .seccomp_profile = BW_SECCOMP_DEFAULT_V1,
                        .landlock_min_abi = 1,
                        .landlock_wanted_abi = 9, /* pathname unix sockets (RESOLVE_UNIX) */
                        .landlock_below_min = BW_LANDLOCK_DEGRADE,
                        .ref_first = 0,
                        .ref_count = (uint32_t) c->n_rules,
                };
                if (is_default)
                        b.pc.meta.default_token = n_tokens;
                add_prov(&b, BW_SECT_TOKS, n_tokens, c->network_loc.line ? &c->network_loc : &builtin);
                n_tokens++;
        }

        /* Environment entries and limits (format 1.1), written only when the policy has them. */
        struct bw_plan_env *env = calloc(c->n_env ? c->n_env : 1, sizeof(*env));
        if (!env)
                abort();
        for (uint32_t i = 0; i < c->n_env; i++) {
                const struct bw_env_eff *e = &c->env[i];
                env[i] = (struct bw_plan_env){str(&b, e->name), str(&b, e->value ? e->value : ""), e->action, e->flags};
                add_prov(&b, BW_SECT_ENVR, i, &e->loc);
        }
        struct bw_plan_limits limits = {0};
        if (c->has_limits) {
                const struct bw_limits_doc *l = &c->limits;
                limits = (struct bw_plan_limits){
                        .tmpfs_size = l->tmpfs_size,
                        .memory = l->memory,
                        .tmpfs_percent = l->tmpfs_percent,
                        .processes = l->processes,
                        .cpu_millis = l->cpu_millis,
                };
                /* one entry: its provenance is the first field the policy set */
                const struct bw_loc *first = &l->tmpfs_loc;
                const struct bw_loc *all[] = {&l->processes_loc, &l->memory_loc, &l->cpu_loc};
                for (size_t k = 0; k < BW_ARRAY_SIZE(all); k++)
                        if (all[k]->line && (!first->line || all[k]->source < first->source ||
                                             (all[k]->source == first->source && all[k]->line < first->line)))
                                first = all[k];
                add_prov(&b, BW_SECT_LIMT, 0, first);
        }

        struct bw_plan_source *sources = calloc(c->sources.n, sizeof(*sources));
        if (!sources)
                abort();
        for (size_t i = 0; i < c->sources.n; i++) {
                const struct bw_source *s = c->sources.v[i];
                struct bw_plan_str name = {0, 0};
                /* Names come from the command line and the file system: make them valid plan
                 * strings (UTF-8, no control characters) rather than refuse to compile. */
                char *safe = strdup(s->name);
                if (!safe)
                        abort();
                size_t bad, len = strlen(safe);
                for (size_t k = 0; k < len; k++)
                        if ((unsigned char) safe[k] < 0x20 || safe[k] == 0x7f)
                                safe[k] = '?';
                while (!bw_utf8_valid(safe, len, &bad))
                        safe[bad] = '?';
                if (b.r == 0)
                        b.r = bw_strtab_add(&b.pc.pstr, safe, len, &name);
                free(safe);
                sources[i] = (struct bw_plan_source){.name = name, .layer = s->layer};
                memcpy(sources[i].sha256, s->sha256, sizeof(s->sha256));
        }

        b.pc.principals = prin;
        b.pc.n_principals = N_PRINCIPALS;
        b.pc.rules = rules;
        b.pc.n_rules = (uint32_t) c->n_rules;
        b.pc.acls = b.acls;
        b.pc.n_acls = (uint32_t) b.n_acls;
        b.pc.nft_rules = &nft;
        b.pc.n_nft_rules = 1;
        b.pc.tokens = tokens;
        b.pc.n_tokens = n_tokens;
        b.pc.trefs = trefs;
        b.pc.n_trefs = n_trefs;
        b.pc.env = env;
        b.pc.n_env = (uint32_t) c->n_env;
        b.pc.limits = c->has_limits ? &limits : NULL;
        b.pc.sources = sources;
        b.pc.n_sources = (uint32_t) c->sources.n;
        bw_sort_stable(b.provs, b.n_provs, sizeof(*b.provs), prov_cmp);
        b.pc.provs = b.provs;
        b.pc.n_provs = (uint32_t) b.n_provs;
        b.pc.without_provenance = without_provenance;

        r = b.r;
        if (r == 0)
                r = bw_plan_serialise(&b.pc, ret, ret_size);
        free(rules);
        free(trefs);
        free(sources);
        free(env);
        free(b.acls);
        free(b.provs);
        bw_strtab_done(&b.pc.strs);
        bw_strtab_done(&b.pc.pstr);
        return r;
}
