/* SPDX-License-Identifier: MIT */
/*
 * The protected-defaults table, the environment policy and the limits: how the compiler reads
 * them (good and bad input), what reaches the plan, and the pure accessors the runner calls.
 */
#include "testutil.h"

#include "env_policy.h"
#include "plan.h"
#include "plan_limits.h"
#include "protected.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
        char *dir;
};

static int setup(void **state) {
        struct fixture *f = calloc(1, sizeof(*f));
        f->dir = bw_test_mkdtemp();
        *state = f;
        return 0;
}

static int teardown(void **state) {
        struct fixture *f = *state;
        bw_test_rmtree(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

static void expect_error_admin(struct fixture *f, const char *text, const char *admin, const char *needle,
                               uint32_t line, uint32_t col) {
        struct bw_compilation c;
        int r = bw_test_compile(f->dir, text, admin, NULL, &c);
        if (r != -EINVAL)
                fail_msg("expected errors for:\n%s", text);
        bool found = false;
        for (size_t i = 0; i < c.diags.n && !found; i++) {
                const struct bw_diag *d = &c.diags.v[i];
                found = d->severity == BW_SEV_ERROR && strstr(d->message, needle) &&
                        (line == 0 || (d->has_loc && d->loc.line == line && d->loc.col == col));
        }
        if (!found) {
                bw_diags_print(&c.diags, &c.sources, stderr, false);
                fail_msg("no error '%s' at %u:%u", needle, line, col);
        }
        bw_compilation_done(&c);
}

static void expect_error(struct fixture *f, const char *text, const char *needle, uint32_t line, uint32_t col) {
        expect_error_admin(f, text, NULL, needle, line, col);
}

static const struct bw_rule_eff *find_rule(const struct bw_compilation *c, const char *text, uint32_t kind) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (strcmp(c->rules[i].text, text) == 0 && c->rules[i].kind == kind)
                        return &c->rules[i];
        return NULL;
}

/* A compiled plan, parsed: plan points into *bytes, which the caller frees. */
static void compile_plan(struct fixture *f, const char *text, uint8_t **bytes, struct bw_plan *plan) {
        size_t size;
        bw_test_plan_bytes(f->dir, text, NULL, false, bytes, &size);
        struct bw_plan_error err = {0};
        if (bw_plan_parse(*bytes, size, 0, plan, &err) < 0)
                fail_msg("plan rejected: %s (at %llu)", err.message, (unsigned long long) err.offset);
}

struct widening_log {
        unsigned n;
        char text[2048];
};

static void log_widening(void *userdata, const struct bw_loc *loc, const char *message) {
        struct widening_log *w = userdata;
        size_t used = strlen(w->text);
        snprintf(w->text + used, sizeof(w->text) - used, "%u:%u %s\n", loc->line, loc->col, message);
        w->n++;
}

/* ---- protected defaults ---- */

static void test_protected_table(void **state) {
        (void) state;
        assert_int_equal(bw_protected_lookup(".git", 4), 0);
        assert_int_equal(bw_protected_lookup(".bulwark", 8), 1);
        assert_true(bw_protected_names[0].needs_admin && bw_protected_names[1].needs_admin);
        for (size_t i = 2; i < BW_PROTECTED_COUNT; i++)
                assert_false(bw_protected_names[i].needs_admin);
        assert_true(bw_protected_lookup(".claude", 7) >= 0);
        assert_true(bw_protected_lookup(".mcp.json", 9) >= 0);
        assert_int_equal(bw_protected_lookup(".GIT", 4), -ENOENT); /* the name is exact; matching is not */
        assert_int_equal(bw_protected_lookup(".gi", 3), -ENOENT);
        assert_int_equal(bw_protected_lookup(".github", 7), -ENOENT);
        /* a family: any one of its names, or its whole text, finds it; a part of a name does not */
        int claude = bw_protected_lookup("CLAUDE.md", 9);
        assert_true(claude >= 0);
        assert_int_equal(bw_protected_lookup("CLAUDE.local.md", 15), claude);
        assert_int_equal(bw_protected_lookup(bw_protected_names[claude].name, strlen(bw_protected_names[claude].name)),
                         claude);
        assert_int_equal(bw_protected_lookup("CLAUDE", 6), -ENOENT);
        assert_int_equal(bw_protected_lookup("CLAUDE.md,CLAUDE.local.md", 25), -ENOENT);
        assert_true(bw_protected_lookup("lefthook-local.toml", 19) >= 0);
        assert_true(bw_protected_lookup(".lefthook", 9) >= 0);
        assert_true(bw_protected_lookup(".github/instructions", 20) >= 0);
        assert_true(bw_protected_lookup(".config/mise", 12) >= 0);
        assert_int_equal(bw_protected_lookup("lefthook", 8), -ENOENT);
        assert_int_equal(bw_protected_lookup(".github/workflows", 17), -ENOENT);
}

static void test_protected_all_names(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\n", NULL, NULL, &c),
                0);
        for (size_t i = 0; i < BW_PROTECTED_COUNT; i++) {
                char glob[256];
                snprintf(glob, sizeof(glob), "**/%s", bw_protected_names[i].name);
                const struct bw_rule_eff *r = find_rule(&c, glob, BW_RULE_READ_ONLY);
                if (!r)
                        fail_msg("no protected rule %s", glob);
                assert_int_equal(r->match, BW_MATCH_GLOB);
                assert_int_equal(r->flags, BW_RULE_PROTECTED | BW_RULE_ANYWHERE | BW_RULE_IGNORE_CASE);
        }
        assert_int_equal(c.unprotected, 0);
        assert_int_equal(bw_compilation_widening(&c, NULL, NULL), 0);
        bw_compilation_done(&c);

        uint8_t *bytes;
        struct bw_plan plan;
        compile_plan(f, "bulwark: 1\n", &bytes, &plan);
        assert_int_equal(bw_plan_unprotected(&plan), 0);
        free(bytes);
}

static void test_unprotect_without_admin(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        const char *text = "bulwark: 1\nfilesystem:\n  unprotect: [.vscode, .idea]\n";
        assert_int_equal(bw_test_compile(f->dir, text, NULL, NULL, &c), 0);
        assert_null(find_rule(&c, "**/.vscode", BW_RULE_READ_ONLY));
        assert_null(find_rule(&c, "**/.idea", BW_RULE_READ_ONLY));
        assert_non_null(find_rule(&c, "**/.claude", BW_RULE_READ_ONLY));
        int vs = bw_protected_lookup(".vscode", 7), idea = bw_protected_lookup(".idea", 5);
        assert_int_equal(c.unprotected, (UINT32_C(1) << vs) | (UINT32_C(1) << idea));
        assert_int_equal(c.unprotected_loc[vs].line, 3);
        assert_int_equal(c.unprotected_loc[vs].col, 15);
        /* dropping them widens access, and the widening check sees it, in table order */
        struct widening_log w = {0};
        assert_int_equal(bw_compilation_widening(&c, log_widening, &w), 2);
        assert_int_equal(w.n, 2);
        assert_non_null(strstr(w.text, "3:15 unprotects .vscode"));
        assert_non_null(strstr(w.text, "3:24 unprotects .idea"));
        assert_true(strstr(w.text, ".vscode") < strstr(w.text, ".idea"));
        bw_compilation_done(&c);

        /* the plan says so too, for the runner */
        uint8_t *bytes;
        struct bw_plan plan;
        compile_plan(f, text, &bytes, &plan);
        assert_int_equal(bw_plan_unprotected(&plan), (UINT32_C(1) << vs) | (UINT32_C(1) << idea));
        free(bytes);

        /* through extends, the location is the extended file's */
        free(bw_test_write(f->dir, "base.yaml", "bulwark: 1\nfilesystem:\n  unprotect: [.cursor]\n"));
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nextends: [base.yaml]\n", NULL, NULL, &c), 0);
        assert_null(find_rule(&c, "**/.cursor", BW_RULE_READ_ONLY));
        assert_int_equal(bw_compilation_widening(&c, NULL, NULL), 1);
        bw_compilation_done(&c);
}

static void test_unprotect_needs_admin(void **state) {
        struct fixture *f = *state;
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [.claude, .bulwark]\n",
                     "unprotecting .bulwark needs an admin constraint", 3, 24);
        /* bad input: wrong names, wrong types */
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [.Claude]\n", "lists protected defaults", 3, 15);
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [claude]\n", "lists protected defaults", 3, 15);
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: .claude\n", "must be a list", 3, 14);
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [[.claude]]\n", "lists protected defaults", 3, 15);
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [{name: .claude}]\n", "lists protected defaults", 3, 15);

        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/admin", f->dir) > 0);
        free(bw_test_write(f->dir, "admin/10.yaml",
                           "bulwark: 1\nkind: constraints\nfilesystem:\n  allow_unprotect: [.bulwark, .claude]\n"));
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  unprotect: [.bulwark, .codex]\n", admin, NULL, &c),
                0);
        assert_null(find_rule(&c, "**/.bulwark", BW_RULE_READ_ONLY));
        assert_null(find_rule(&c, "**/.codex", BW_RULE_READ_ONLY));
        assert_non_null(find_rule(&c, "**/.git", BW_RULE_READ_ONLY));
        /* an admin-allowed unprotect is still reported as widening */
        assert_int_equal(bw_compilation_widening(&c, NULL, NULL), 2);
        bw_compilation_done(&c);
        expect_error_admin(f, "bulwark: 1\nfilesystem:\n  unprotect: [.git]\n", admin, "allow_unprotect: [.git]", 3,
                           15);
        free(bw_test_write(f->dir, "admin/20.yaml",
                           "bulwark: 1\nkind: constraints\nfilesystem:\n  allow_unprotect: [.github]\n"));
        expect_error_admin(f, "bulwark: 1\n", admin, "filesystem.allow_unprotect lists protected defaults", 4, 21);
        free(admin);
}

/* ---- environment: the pure functions ---- */

static bool m(const char *glob, const char *name) {
        return bw_env_glob_match(glob, name, strlen(name));
}

static void test_env_glob(void **state) {
        (void) state;
        assert_true(m("*", ""));
        assert_true(m("*", "ANYTHING"));
        assert_true(m("AWS_*", "AWS_"));
        assert_true(m("AWS_*", "AWS_PROFILE"));
        assert_false(m("AWS_*", "aws_profile")); /* case-sensitive */
        assert_false(m("AWS_*", "XAWS_PROFILE"));
        assert_true(m("*_KEY", "OPENAI_API_KEY"));
        assert_false(m("*_KEY", "XKB_KEYMAP"));
        assert_false(m("*_KEY", "KEY"));
        assert_true(m("*_SECRET*", "AWS_SECRET_ACCESS_KEY"));
        assert_true(m("A*B*C", "AXXBYYC"));
        assert_true(m("A*B*C", "ABC"));
        assert_false(m("A*B*C", "ACB"));
        assert_true(m("**", "X"));
        assert_false(m("ABC", "AB"));
        assert_false(m("AB", "ABC"));
        /* the length bounds the name: an environ entry's "=value" is not part of it */
        assert_true(bw_env_glob_match("PATH", "PATH=/usr/bin", 4));
        assert_false(bw_env_glob_match("PATH*", "PAT=H", 3));
        /* a pathological glob stays linear-ish: no exponential backtracking */
        char name[4001];
        memset(name, 'A', 4000);
        name[4000] = 0;
        assert_false(m("*A*A*A*A*A*A*A*A*A*A*A*A*A*A*A*A*B", name));

        assert_true(bw_env_globs_overlap("CARGO_*", "*_TOKEN"));
        assert_true(bw_env_globs_overlap("*", "GH_TOKEN"));
        assert_true(bw_env_globs_overlap("GH_TOKEN", "GH_TOKEN"));
        assert_false(bw_env_globs_overlap("EDITOR", "*_TOKEN"));
        assert_false(bw_env_globs_overlap("RUST_*", "AWS_*"));
        assert_true(bw_env_globs_overlap("A*", "*B"));
        assert_false(bw_env_globs_overlap("A*C", "B*"));
}

static void test_env_default_list(void **state) {
        (void) state;
        static const char *const dropped[] = {
                "GITHUB_TOKEN",
                "GH_TOKEN",
                "NPM_TOKEN",
                "VAULT_TOKEN",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "ANTHROPIC_API_KEY",
                "OPENAI_API_KEY",
                "PGPASSWORD",
                "DB_PASSWORD_FILE",
                "CLIENT_SECRET",
                "DJANGO_SECRET_KEY",
                "SECRET_KEY_BASE",
                "GOOGLE_APPLICATION_CREDENTIALS",
                "DOCKER_AUTH_CONFIG",
                "AZURE_CLIENT_SECRET",
                "CARGO_REGISTRY_TOKEN",
                "SSH_AUTH_SOCK",
                "MYSQL_PWD",
                "TWINE_PASSWORD",
                "GPG_PASSPHRASE",
                "SSH_PRIVATE_KEY",
                "R2_ACCESS_KEY_ID",
                "npm_config__auth",
                "TOKEN",
                "SECRET",
                "AZURE_STORAGE_CONNECTION_STRING",
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(dropped); i++)
                if (!bw_env_default_drops(dropped[i], strlen(dropped[i])))
                        fail_msg("%s is not dropped by default", dropped[i]);
        static const char *const kept[] = {
                "PATH",        "HOME",         "USER",
                "LANG",        "TERM",         "EDITOR",
                "XKB_KEYMAP",  "KEYMAP",       "TOKENIZERS_PARALLELISM",
                "AWS_PROFILE", "AWS_REGION",   "CARGO_HOME",
                "RUST_LOG",    "MAKEFLAGS",    "PWD",
                "OLDPWD",      "SSH_TTY",      "GPG_TTY",
                "DISPLAY",     "github_token", /* case-sensitive */
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(kept); i++)
                if (bw_env_default_drops(kept[i], strlen(kept[i])))
                        fail_msg("%s is dropped by default", kept[i]);
        /* every default glob is a valid glob of the policy language */
        for (size_t i = 0; bw_env_default_drop_list[i]; i++) {
                const char *g = bw_env_default_drop_list[i];
                assert_true(strlen(g) > 0 &&
                            strspn(g, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_*") == strlen(g));
        }
}

/* A URL with a password in the value: dropped by the runner whatever the name. */
static void test_env_value_has_password(void **state) {
        (void) state;
        assert_true(bw_env_value_has_password("postgres://ann:pw@db/app"));
        assert_true(bw_env_value_has_password("redis://:pw@host:6379/0"));
        assert_true(bw_env_value_has_password("https://sentry.example/1,https://k:s@sentry.example/2"));
        assert_true(bw_env_value_has_password("amqp://u:p@h?x=http://y"));
        assert_false(bw_env_value_has_password("postgres://localhost/app"));
        assert_false(bw_env_value_has_password("http://host:8080/path"));
        assert_false(bw_env_value_has_password("ssh://git@example.com/repo"));
        assert_false(bw_env_value_has_password("https://example.com/a:b@c"));     /* '@' after the path */
        assert_false(bw_env_value_has_password("https://u:@host/"));              /* an empty password */
        assert_false(bw_env_value_has_password("no url at all: user:pass@host")); /* no scheme */
        assert_false(bw_env_value_has_password(""));
        /* tokens of a known shape, whatever the name */
        assert_true(bw_env_value_has_password("ghp_0123456789abcdefghijklmnopqrstuvwxyz"));
        assert_true(bw_env_value_has_password("Bearer glpat-0123456789abcdefghij"));
        assert_true(bw_env_value_has_password("AKIAIOSFODNN7EXAMPLE"));
        assert_true(bw_env_value_has_password("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert_true(bw_env_value_has_password("-----BEGIN RSA PRIVATE KEY-----\nMII..."));
        assert_false(bw_env_value_has_password("use sk- keys"));                              /* a prefix in prose */
        assert_false(bw_env_value_has_password("hf_x"));                                      /* too short */
        assert_false(bw_env_value_has_password("xghp_0123456789abcdefghijklmnopqrstuvwxyz")); /* inside a word */
        assert_false(bw_env_value_has_password("eyJhbGciOiJIUzI1NiJ9"));                      /* one part */
}

/* A plan without ENVR (every plan compiled before format 1.1): the defaults, nothing else. */
static void test_env_plan_without_section(void **state) {
        struct fixture *f = *state;
        uint8_t *bytes;
        struct bw_plan plan;
        compile_plan(f, "bulwark: 1\n", &bytes, &plan);
        assert_null(plan.env);
        assert_null(plan.limits);
        assert_int_equal(plan.header->version_minor, 0); /* still a 1.0 plan */
        assert_int_equal(bw_env_decide(&plan, "GITHUB_TOKEN", 12), BW_ENV_DROP_DEFAULT);
        assert_int_equal(bw_env_decide(&plan, "PATH", 4), BW_ENV_KEEP);
        assert_int_equal(bw_env_decide(&plan, "SENTRY_DSN", 10), BW_ENV_DROP_DEFAULT);
        assert_int_equal(bw_env_set_count(&plan), 0);
        const char *n, *v;
        assert_false(bw_env_set_entry(&plan, 0, &n, &v));
        struct bw_limits l;
        bw_plan_limits(&plan, &l);
        assert_int_equal(l.tmpfs_size, BW_LIMIT_DEFAULT_TMPFS_BYTES);
        assert_int_equal(l.tmpfs_percent, 0);
        assert_int_equal(l.processes, BW_LIMIT_DEFAULT_PROCESSES);
        assert_int_equal(l.memory, 0);
        assert_int_equal(l.cpu_millis, 0);
        assert_int_equal(l.set, 0);
        char opt[32];
        assert_int_equal(bw_limits_tmpfs_option(&l, opt, sizeof(opt)), 0);
        assert_string_equal(opt, "size=536870912");
        assert_int_equal(bw_limits_tmpfs_option(&l, opt, 5), -ENOBUFS);
        free(bytes);
}

static const char env_policy[] = "bulwark: 1\n"
                                 "environment:\n"
                                 "  pass: [AWS_PROFILE, \"CARGO_*\", GH_TOKEN, EDITOR]\n"
                                 "  set: {RUST_LOG: debug, EMPTY: \"\", NUM: 1, GH_TOKEN: from-policy}\n"
                                 "  drop: [\"MY_INTERNAL_*\", CARGO_REGISTRY_TOKEN]\n";

static void test_env_policy(void **state) {
        struct fixture *f = *state;
        uint8_t *bytes;
        struct bw_plan plan;
        compile_plan(f, env_policy, &bytes, &plan);
        assert_non_null(plan.env);
        assert_int_equal(plan.header->version_minor, 1);
        assert_int_equal(plan.n_env, 10);
#define D(name) bw_env_decide(&plan, name, strlen(name))
        assert_int_equal(D("AWS_PROFILE"), BW_ENV_KEEP);
        assert_int_equal(D("EDITOR"), BW_ENV_KEEP);
        assert_int_equal(D("CARGO_HOME"), BW_ENV_KEEP);
        assert_int_equal(D("CARGO_NET_GIT_FETCH_WITH_CLI"), BW_ENV_KEEP);
        assert_int_equal(D("CARGO_SOME_TOKEN"), BW_ENV_KEEP_PASS);       /* pass beats the default list */
        assert_int_equal(D("CARGO_REGISTRY_TOKEN"), BW_ENV_DROP_POLICY); /* drop beats pass */
        assert_int_equal(D("MY_INTERNAL_URL"), BW_ENV_DROP_POLICY);
        assert_int_equal(D("GH_TOKEN"), BW_ENV_DROP_SET); /* set beats pass: the policy's value */
        assert_int_equal(D("RUST_LOG"), BW_ENV_DROP_SET);
        assert_int_equal(D("GITHUB_TOKEN"), BW_ENV_DROP_DEFAULT);
        assert_int_equal(D("PATH"), BW_ENV_KEEP);
        assert_true(bw_env_keeps(D("CARGO_SOME_TOKEN")));
        assert_false(bw_env_keeps(D("GITHUB_TOKEN")));
#undef D
        assert_int_equal(bw_env_set_count(&plan), 4);
        const char *n, *v;
        static const char *const want[][2] = {
                {"EMPTY", ""}, {"GH_TOKEN", "from-policy"}, {"NUM", "1"}, {"RUST_LOG", "debug"}};
        for (uint32_t i = 0; i < 4; i++) {
                assert_true(bw_env_set_entry(&plan, i, &n, &v));
                assert_string_equal(n, want[i][0]);
                assert_string_equal(v, want[i][1]);
        }
        assert_false(bw_env_set_entry(&plan, 4, &n, &v));
        free(bytes);

        /* widening: GH_TOKEN (a default-dropped name) and CARGO_* (may match *_TOKEN), not the others */
        struct bw_compilation c;
        assert_int_equal(bw_test_compile(f->dir, env_policy, NULL, NULL, &c), 0);
        struct widening_log w = {0};
        assert_int_equal(bw_compilation_widening(&c, log_widening, &w), 2);
        assert_non_null(strstr(w.text, "3:23 passes CARGO_*"));
        assert_non_null(strstr(w.text, "3:34 passes GH_TOKEN"));
        assert_null(strstr(w.text, "AWS_PROFILE"));
        bw_compilation_done(&c);
}

static void test_env_layers_and_admin(void **state) {
        struct fixture *f = *state;
        /* lists are unioned across extends, a later set value replaces an earlier one */
        free(bw_test_write(f->dir, "base.yaml",
                           "bulwark: 1\nenvironment:\n  pass: [EDITOR]\n  set: {RUST_LOG: info, A: base}\n"));
        struct bw_compilation c;
        assert_int_equal(bw_test_compile(f->dir,
                                         "bulwark: 1\nextends: [base.yaml]\nenvironment:\n  pass: [EDITOR, VISUAL]\n"
                                         "  set: {RUST_LOG: debug}\n",
                                         NULL, NULL, &c),
                         0);
        assert_int_equal(c.n_env, 4); /* pass EDITOR (once), pass VISUAL, set A, set RUST_LOG */
        assert_string_equal(c.env[0].name, "EDITOR");
        assert_int_equal(c.env[0].loc.line, 3); /* the first place it was listed: base.yaml */
        assert_string_equal(c.env[3].name, "RUST_LOG");
        assert_string_equal(c.env[3].value, "debug");
        assert_int_equal(c.env[3].loc.line, 5);
        bw_compilation_done(&c);

        /* the admin's never_pass: an error for a pass it covers, an admin drop in the plan */
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/admin", f->dir) > 0);
        free(bw_test_write(f->dir, "admin/10.yaml",
                           "bulwark: 1\nkind: constraints\nenvironment:\n  never_pass: [\"AWS_*\", GH_TOKEN]\n"));
        expect_error_admin(f, "bulwark: 1\nenvironment:\n  pass: [EDITOR, AWS_PROFILE]\n", admin,
                           "which the admin's never_pass entry AWS_* forbids", 3, 18);
        expect_error_admin(f, "bulwark: 1\nenvironment:\n  pass: [\"AWS_*\"]\n", admin, "never_pass entry AWS_*", 3,
                           10);
        /* a broader pass compiles: at run time never_pass still wins */
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nenvironment:\n  pass: [\"*\"]\n", admin, NULL, &c), 0);
        uint8_t *bytes;
        size_t size;
        assert_int_equal(bw_compilation_to_plan(&c, false, &bytes, &size), 0);
        bw_compilation_done(&c);
        struct bw_plan plan;
        struct bw_plan_error err = {0};
        assert_int_equal(bw_plan_parse(bytes, size, 0, &plan, &err), 0);
        assert_int_equal(bw_env_decide(&plan, "AWS_PROFILE", 11), BW_ENV_DROP_ADMIN);
        assert_int_equal(bw_env_decide(&plan, "GH_TOKEN", 8), BW_ENV_DROP_ADMIN);
        assert_int_equal(bw_env_decide(&plan, "GITHUB_TOKEN", 12), BW_ENV_KEEP_PASS);
        assert_int_equal(bw_env_decide(&plan, "LANG", 4), BW_ENV_KEEP);
        free(bytes);
        /* never_pass belongs to constraints, pass/drop/set to policies */
        expect_error(f, "bulwark: 1\nenvironment:\n  never_pass: [X]\n", "unknown key 'never_pass'", 3, 3);
        free(bw_test_write(f->dir, "admin/20.yaml", "bulwark: 1\nkind: constraints\nenvironment:\n  pass: [X]\n"));
        expect_error_admin(f, "bulwark: 1\n", admin, "unknown key 'pass' in environment", 4, 3);
        free(admin);

        /* a pass that a drop of the same policy covers is useless: warned */
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nenvironment:\n  pass: [MY_X]\n  drop: [\"MY_*\"]\n", NULL,
                                         NULL, &c),
                         0);
        assert_true(bw_test_has_diag(&c, BW_SEV_WARNING, "can never have an effect"));
        bw_compilation_done(&c);
}

static void test_env_bad_input(void **state) {
        struct fixture *f = *state;
        expect_error(f, "bulwark: 1\nenvironment: [A]\n", "environment must be a mapping", 2, 14);
        expect_error(f, "bulwark: 1\nenvironment:\n", "environment must be a mapping, not null", 2, 13);
        expect_error(f, "bulwark: 1\nenvironment:\n  keep: [A]\n", "unknown key 'keep' in environment", 3, 3);
        expect_error(f, "bulwark: 1\nenvironment:\n  pass: A\n", "environment.pass must be a list", 3, 9);
        expect_error(f, "bulwark: 1\nenvironment:\n  pass: [\"1A\"]\n", "is not a variable name or glob", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  drop: [\"A-B\"]\n", "is not a variable name or glob", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  drop: [\"A?\"]\n", "letters, digits and _", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  drop: [\"\"]\n", "not a variable name", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  drop: [[A]]\n", "must be a string", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  drop: [~]\n", "must be a string", 3, 10);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: [A]\n", "environment.set must be a mapping", 3, 8);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: {\"A*\": x}\n", "is not a variable name:", 3, 9);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: {A: }\n", "must be a string", 0, 0);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: {A: [x]}\n", "must be a string", 3, 12);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: {A: \"x\\ty\"}\n", "control character (0x09) at byte 1", 3,
                     12);
        expect_error(f, "bulwark: 1\nenvironment:\n  set: {A: x, A: y}\n", "duplicate key 'A'", 3, 15);
        char longname[400] = "bulwark: 1\nenvironment:\n  pass: [";
        memset(longname + strlen(longname), 'A', 256);
        strcat(longname, "]\n");
        expect_error(f, longname, "longer than 255 bytes", 3, 10);
}

/* ---- limits ---- */

static void test_limits(void **state) {
        struct fixture *f = *state;
        uint8_t *bytes;
        struct bw_plan plan;
        struct bw_limits l;
        char opt[32];
        compile_plan(f, "bulwark: 1\nlimits:\n  tmpfs_size: 2G\n  processes: 2048\n  memory: 8G\n  cpu: 1.5\n", &bytes,
                     &plan);
        assert_non_null(plan.limits);
        assert_int_equal(plan.header->version_minor, 1);
        bw_plan_limits(&plan, &l);
        assert_int_equal(l.tmpfs_size, UINT64_C(2) << 30);
        assert_int_equal(l.tmpfs_percent, 0);
        assert_int_equal(l.processes, 2048);
        assert_int_equal(l.memory, UINT64_C(8) << 30);
        assert_int_equal(l.cpu_millis, 1500);
        assert_int_equal(l.set, BW_LIMIT_SET_TMPFS | BW_LIMIT_SET_PROCESSES | BW_LIMIT_SET_MEMORY | BW_LIMIT_SET_CPU);
        assert_int_equal(bw_limits_tmpfs_option(&l, opt, sizeof(opt)), 0);
        assert_string_equal(opt, "size=2147483648");
        const struct bw_plan_prov *v = bw_plan_provenance(&plan, BW_SECT_LIMT, 0);
        assert_non_null(v);
        assert_int_equal(v->line, 3);
        free(bytes);

        /* some fields: the others are defaults; a percentage; thousandths of a CPU */
        compile_plan(f, "bulwark: 1\nlimits: {tmpfs_size: 25%, cpu: 500m}\n", &bytes, &plan);
        bw_plan_limits(&plan, &l);
        assert_int_equal(l.tmpfs_percent, 25);
        assert_int_equal(l.processes, BW_LIMIT_DEFAULT_PROCESSES);
        assert_int_equal(l.memory, 0);
        assert_int_equal(l.cpu_millis, 500);
        assert_int_equal(l.set, BW_LIMIT_SET_TMPFS | BW_LIMIT_SET_CPU);
        assert_int_equal(bw_limits_tmpfs_option(&l, opt, sizeof(opt)), 0);
        assert_string_equal(opt, "size=25%");
        free(bytes);

        /* a later layer overrides field by field */
        free(bw_test_write(f->dir, "base.yaml", "bulwark: 1\nlimits: {processes: 100, memory: 1048576}\n"));
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nextends: [base.yaml]\nlimits: {processes: 200}\n", NULL, NULL, &c),
                0);
        assert_true(c.has_limits);
        assert_int_equal(c.limits.processes, 200);
        assert_int_equal(c.limits.memory, 1048576);
        bw_compilation_done(&c);
}

static void test_limits_bad_input(void **state) {
        struct fixture *f = *state;
        expect_error(f, "bulwark: 1\nlimits: 4\n", "limits must be a mapping", 2, 9);
        expect_error(f, "bulwark: 1\nlimits:\n  threads: 4\n", "unknown key 'threads' in limits", 3, 3);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: many\n", "integer from 1 to 4194304", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: 0\n", "integer from 1", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: -1\n", "integer from 1", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: 4194305\n", "integer from 1", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: \"4096\"\n", "integer from 1", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: [1]\n", "must be a number or a size", 3, 14);
        expect_error(f, "bulwark: 1\nlimits:\n  processes:\n", "must be a number or a size, not null", 3, 13);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 2GB\n", "size such as 512M", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 1.5G\n", "size such as 512M", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 2g\n", "size such as 512M", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 512K\n", "at least 1M", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 0\n", "at least 1M", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 101%\n", "percentage of RAM", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 0%\n", "percentage of RAM", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  tmpfs_size: 99999999999T\n", "at most 1024T", 3, 15);
        expect_error(f, "bulwark: 1\nlimits:\n  memory: 50%\n", "size such as 512M, 8G", 3, 11);
        expect_error(f, "bulwark: 1\nlimits:\n  memory: true\n", "size such as 512M, 8G", 3, 11);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: 0\n", "number of CPUs above 0", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: 1.2345\n", "at most 3", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: 1025\n", "number of CPUs above 0", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: 0m\n", "number of CPUs above 0", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: two\n", "number of CPUs above 0", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  cpu: .5\n", "number of CPUs above 0", 3, 8);
        expect_error(f, "bulwark: 1\nlimits:\n  processes: 1\n  processes: 2\n", "duplicate key", 4, 3);
        /* limits are a repository policy's; constraints do not have them */
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/admin", f->dir) > 0);
        free(bw_test_write(f->dir, "admin/10.yaml", "bulwark: 1\nkind: constraints\nlimits: {processes: 1}\n"));
        expect_error_admin(f, "bulwark: 1\n", admin, "unknown key 'limits'", 3, 1);
        free(admin);
}

/* ---- determinism ---- */

static void test_same_input_same_bytes(void **state) {
        struct fixture *f = *state;
        const char *a = "bulwark: 1\n"
                        "environment:\n"
                        "  pass: [B, A, \"C_*\"]\n"
                        "  set: {Y: 2, X: 1}\n"
                        "  drop: [D]\n"
                        "limits: {processes: 10, cpu: 2}\n";
        const char *b = "bulwark: 1\n"
                        "limits: {cpu: 2, processes: 10}\n"
                        "environment:\n"
                        "  drop: [D]\n"
                        "  set: {X: 1, Y: 2}\n"
                        "  pass: [\"C_*\", A, B, A]\n";
        uint8_t *x1, *x2, *y;
        size_t n1, n2, ny;
        bw_test_plan_bytes(f->dir, a, NULL, true, &x1, &n1);
        bw_test_plan_bytes(f->dir, a, NULL, true, &x2, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(x1, x2, n1);
        /* the same content in another order: the same plan (without provenance, which differs) */
        bw_test_plan_bytes(f->dir, b, NULL, true, &y, &ny);
        assert_int_equal(n1, ny);
        assert_memory_equal(x1, y, n1);
        free(x1);
        free(x2);
        free(y);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_protected_table),
                cmocka_unit_test_setup_teardown(test_protected_all_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unprotect_without_admin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unprotect_needs_admin, setup, teardown),
                cmocka_unit_test(test_env_glob),
                cmocka_unit_test(test_env_default_list),
                cmocka_unit_test(test_env_value_has_password),
                cmocka_unit_test_setup_teardown(test_env_plan_without_section, setup, teardown),
                cmocka_unit_test_setup_teardown(test_env_policy, setup, teardown),
                cmocka_unit_test_setup_teardown(test_env_layers_and_admin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_env_bad_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limits_bad_input, setup, teardown),
                cmocka_unit_test_setup_teardown(test_same_input_same_bytes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
