/* SPDX-License-Identifier: MIT */
/* The compiler: parsing limits, layers, precedence, constraints, protected defaults, determinism. */
#include "testutil.h"

#include "explain.h"
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static void expect_error(struct fixture *f, const char *text, const char *needle, uint32_t line, uint32_t col) {
        struct bw_compilation c;
        int r = bw_test_compile(f->dir, text, NULL, NULL, &c);
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

static const struct bw_rule_eff *find_rule(const struct bw_compilation *c, const char *text, uint32_t kind) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (strcmp(c->rules[i].text, text) == 0 && c->rules[i].kind == kind)
                        return &c->rules[i];
        return NULL;
}

static void test_yaml_limits(void **state) {
        struct fixture *f = *state;
        expect_error(f, "", "empty document", 1, 1);
        expect_error(f, "# only a comment\n", "empty document", 1, 1);
        expect_error(f, "bulwark: 1\n---\nbulwark: 1\n", "second YAML document", 2, 1);
        expect_error(f, "bulwark: 1\nname: a\nname: b\n", "duplicate key 'name'", 3, 1);
        expect_error(f, "bulwark: !!int 1\n", "explicit YAML tags", 1, 10);
        expect_error(f, "bulwark: 1\n? [a]\n: b\n", "mapping keys must be plain strings", 2, 3);
        expect_error(f, "bulwark: 1\nname: \"caf\xc3\n", "invalid UTF-8", 2, 11);
        expect_error(f, "bulwark: 1\nname: [unclosed\n", "YAML syntax", 0, 0);
        expect_error(f, "- bulwark\n", "must be a mapping", 1, 1);
        expect_error(f, "bulwark: 1\nextends: *nope\n", "names no anchor", 2, 10);

        /* nesting: 40 levels of flow lists */
        char deep[200] = "bulwark: 1\nx: ";
        for (int i = 0; i < 40; i++)
                strcat(deep, "[");
        for (int i = 0; i < 40; i++)
                strcat(deep, "]");
        strcat(deep, "\n");
        expect_error(f, deep, "nested deeper than 32", 0, 0);

        /* the billion laughs, YAML edition: 9 levels of 9 aliases */
        char bomb[4096] = "bulwark: 1\na0: &a0 [x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < 9; i++) {
                char line[256];
                snprintf(line, sizeof(line), "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
                         i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
                strcat(bomb, line);
        }
        expect_error(f, bomb, "alias expansion", 0, 0);

        /* a NUL byte cannot be written through a C string; write it by hand */
        char *path = NULL;
        assert_true(asprintf(&path, "%s/nulbyte.yaml", f->dir) > 0);
        FILE *fp = fopen(path, "wb");
        fwrite("bulwark: 1\nname: a\0b\n", 1, 21, fp);
        fclose(fp);
        struct bw_compilation c;
        struct bw_compile_options o = {.policy_path = path};
        assert_int_equal(bw_compile(&o, &c), -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "NUL byte"));
        assert_int_equal(c.diags.v[0].loc.line, 2);
        assert_int_equal(c.diags.v[0].loc.col, 8);
        bw_compilation_done(&c);

        /* over the size limit */
        fp = fopen(path, "wb");
        fputs("bulwark: 1\n", fp);
        for (int i = 0; i < (int) (BW_YAML_MAX_BYTES / 64) + 1; i++)
                fputs("# padding padding padding padding padding padding padding paddi\n", fp);
        fclose(fp);
        assert_int_equal(bw_compile(&o, &c), -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "byte limit"));
        bw_compilation_done(&c);
        free(path);

        /* a missing file is an I/O error, not a policy error */
        o.policy_path = "/nonexistent/bulwark/policy.yaml";
        assert_int_equal(bw_compile(&o, &c), -ENOENT);
        bw_compilation_done(&c);
}

static void test_types_and_keys(void **state) {
        struct fixture *f = *state;
        expect_error(f, "name: x\n", "missing 'bulwark: 1'", 1, 1);
        expect_error(f, "bulwark: 2\n", "language version 2 is not supported", 1, 10);
        expect_error(f, "bulwark: \"1\"\n", "must be the integer 1", 1, 10);
        expect_error(f, "bulwark: 1\nnetwork: false\n", "network must be off or on", 2, 10);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writable: /x\n", "must be a list", 3, 13);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writable:\n", "must be a list, not null", 3, 12);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writeable: []\n", "unknown key 'writeable'", 3, 3);
        expect_error(f, "bulwark: 1\nfilesystem:\n  read_only:\n    - {glob: /a, regex: /b}\n", "exactly one of", 4,
                     18);
        expect_error(f, "bulwark: 1\nfilesystem:\n  read_only:\n    - {glob: /a, ignore_case: yes}\n", "true or false",
                     4, 31);
        expect_error(f, "bulwark: 1\nfilesystem:\n  read_only:\n    - {path: /a, ignore_case: true}\n",
                     "glob and regex entries only", 4, 7);
        expect_error(f, "bulwark: 1\nfilesystem:\n  readable:\n    - {regex: /a}\n", "paths only", 4, 8);
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [.github]\n",
                     "protected defaults: one of .git, .bulwark, .codex", 3, 15);
        expect_error(f, "bulwark: 1\nkind: rules\n", "kind must be policy or constraints", 2, 7);
        expect_error(f, "bulwark: 1\nenforcement: {}\n", "unknown key 'enforcement'", 2, 1);
        /* all errors of a file in one run */
        struct bw_compilation c;
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nfoo: 1\nbar: 2\nnetwork: up\n", NULL, NULL, &c), -EINVAL);
        assert_int_equal(c.diags.n_errors, 3);
        bw_compilation_done(&c);
}

static void test_error_cap(void **state) {
        struct fixture *f = *state;
        char text[8192] = "bulwark: 1\nfilesystem:\n  writable:\n";
        for (int i = 0; i < 80; i++)
                strcat(text, "    - rel\n");
        struct bw_compilation c;
        assert_int_equal(bw_test_compile(f->dir, text, NULL, NULL, &c), -EINVAL);
        assert_int_equal(c.diags.n_errors, 80);
        assert_true(c.diags.capped);
        size_t shown = 0;
        for (size_t i = 0; i < c.diags.n; i++)
                shown += c.diags.v[i].severity == BW_SEV_ERROR;
        assert_int_equal(shown, BW_DIAG_MAX_ERRORS);
        bw_compilation_done(&c);
}

static void test_protected_defaults(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\n", NULL, NULL, &c),
                0);
        const struct bw_rule_eff *git = find_rule(&c, "**/.git", BW_RULE_READ_ONLY);
        assert_non_null(git);
        assert_true(git->flags & BW_RULE_PROTECTED);
        assert_true(git->flags & BW_RULE_IGNORE_CASE);
        assert_non_null(find_rule(&c, "**/.bulwark", BW_RULE_READ_ONLY));

        /* explain: a case variant deep inside the workspace is still read-only */
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = "/w",
                                          [BW_VAR_HOME] = "/h",
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = "u"}};
        struct bw_explanation e;
        assert_int_equal(bw_explain(&c, "/w/sub/.GiT/hooks/pre-commit", &b, &e), 0);
        assert_int_equal(e.decision, BW_RULE_READ_ONLY);
        assert_int_equal(e.n_hits, 2);
        assert_string_equal(e.hits[0].covered, "/w/sub/.GiT");
        bw_explanation_done(&e);
        assert_int_equal(bw_explain(&c, "/w/src/main.c", &b, &e), 0);
        assert_int_equal(e.decision, BW_RULE_WRITABLE);
        bw_explanation_done(&e);
        bw_compilation_done(&c);

        /* unprotecting needs the admin's permission */
        expect_error(f, "bulwark: 1\nfilesystem:\n  unprotect: [.git]\n", "needs an admin constraint", 3, 15);
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/admin", f->dir) > 0);
        free(bw_test_write(f->dir, "admin/10.yaml",
                           "bulwark: 1\nkind: constraints\nfilesystem:\n  allow_unprotect: [.git]\n"));
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  unprotect: [.git]\n", admin, NULL, &c), 0);
        assert_null(find_rule(&c, "**/.git", BW_RULE_READ_ONLY));
        assert_non_null(find_rule(&c, "**/.bulwark", BW_RULE_READ_ONLY));
        bw_compilation_done(&c);
        free(admin);
}

/* filesystem.cache: copy-on-write roots, paths only, no overlap with a writable or another cache
 * root, and the admin's write limits apply to them as to writable roots. */
static void test_cache_roots(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        const char *text = "bulwark: 1\n"
                           "filesystem:\n"
                           "  writable: [\"${workspace}\"]\n"
                           "  cache: [\"~/.cargo/registry\", /opt/cache]\n"
                           "  read_only: [/opt/cache/keep]\n";
        assert_int_equal(bw_test_compile(f->dir, text, NULL, NULL, &c), 0);
        const struct bw_rule_eff *r = find_rule(&c, "${home}/.cargo/registry", BW_RULE_CACHE);
        assert_non_null(r);
        assert_int_equal(r->match, BW_MATCH_PATH);
        assert_int_equal(r->flags, 0);
        assert_non_null(find_rule(&c, "/opt/cache", BW_RULE_CACHE));
        assert_null(find_rule(&c, "/opt/cache", BW_RULE_WRITABLE));
        /* a carve-out inside a cache root matters: no "can never matter" warning */
        assert_false(bw_test_has_diag(&c, BW_SEV_WARNING, "can never matter"));
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = "/w",
                                          [BW_VAR_HOME] = "/h",
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = "u"}};
        struct bw_explanation e;
        assert_int_equal(bw_explain(&c, "/h/.cargo/registry/src/x.rs", &b, &e), 0);
        assert_int_equal(e.decision, BW_RULE_CACHE);
        bw_explanation_done(&e);
        bw_compilation_done(&c);

        expect_error(f, "bulwark: 1\nfilesystem:\n  cache: [{glob: \"/opt/**\"}]\n", "takes paths only", 3, 12);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\n  cache: [\"${workspace}/target\"]\n",
                     "is inside the writable root ${workspace}", 4, 11);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writable: [/opt/cache/x]\n  cache: [/opt/cache]\n",
                     "is around the writable root /opt/cache/x", 4, 11);
        expect_error(f, "bulwark: 1\nfilesystem:\n  cache: [/opt/c, /opt/c/d]\n", "cannot overlap a nested one", 3, 11);
        expect_error(f, "bulwark: 1\nfilesystem:\n  writable: [/srv]\n  cache: [/srv]\n", "is the same as", 4, 11);
        expect_error(f, "bulwark: 1\nfilesystem:\n  cache: [/proc/self]\n", "lies in /proc: the kernel's, not a cache",
                     3, 11);
        expect_error(f, "bulwark: 1\nfilesystem:\n  cache: [/dev]\n", "lies in /dev", 3, 11);
}

static void test_precedence(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        const char *text = "bulwark: 1\n"
                           "filesystem:\n"
                           "  writable: [\"${workspace}\", /data]\n"
                           "  read_only: [\"${workspace}/vendor\", /data]\n"
                           "  readable: [\"${workspace}/vendor/keep\", \"${workspace}\"]\n"
                           "  unreadable: [\"${workspace}/vendor/secret\"]\n";
        assert_int_equal(bw_test_compile(f->dir, text, NULL, NULL, &c), 0);
        /* equal specificity: read_only beats writable on /data, writable beats readable on ${workspace} */
        assert_null(find_rule(&c, "/data", BW_RULE_WRITABLE));
        assert_non_null(find_rule(&c, "/data", BW_RULE_READ_ONLY));
        assert_null(find_rule(&c, "${workspace}", BW_RULE_READABLE));
        assert_true(bw_test_has_diag(&c, BW_SEV_WARNING, "never applies"));

        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = "/w",
                                          [BW_VAR_HOME] = "/h",
                                          [BW_VAR_TMPDIR] = "/tmp",
                                          [BW_VAR_USER] = "u"}};
        struct {
                const char *path;
                uint32_t want;
        } cases[] = {
                {"/w/a", BW_RULE_WRITABLE},
                {"/w/vendor/x", BW_RULE_READ_ONLY},
                {"/w/vendor/keep/y", BW_RULE_READABLE}, /* more specific wins, even a weaker kind */
                {"/w/vendor/secret", BW_RULE_UNREADABLE},
                /* writable /data lost to read_only /data, so nothing is granted there: read_only
                 * alone never grants reads */
                {"/data/z", 0},
                {"/elsewhere", 0},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bw_explanation e;
                assert_int_equal(bw_explain(&c, cases[i].path, &b, &e), 0);
                if (e.decision != cases[i].want)
                        fail_msg("%s: decision %u, want %u", cases[i].path, e.decision, cases[i].want);
                bw_explanation_done(&e);
        }
        bw_compilation_done(&c);
}

static void test_extends(void **state) {
        struct fixture *f = *state;
        free(bw_test_write(f->dir, "a.yaml", "bulwark: 1\nextends: [b.yaml]\n"));
        free(bw_test_write(f->dir, "b.yaml", "bulwark: 1\nextends: [sub/c.yaml]\n"));
        free(bw_test_write(f->dir, "sub/c.yaml", "bulwark: 1\nextends: [../a.yaml]\n"));
        /* the cycle is reported where it closes: sub/c.yaml, line 2 */
        expect_error(f, "bulwark: 1\nextends: [a.yaml]\n", "extends cycle", 2, 11);
        expect_error(f, "bulwark: 1\nextends: [policy.yaml]\n", "extends cycle", 2, 11);
        expect_error(f, "bulwark: 1\nextends: [missing.yaml]\n", "cannot open extended policy", 2, 11);
        expect_error(f, "bulwark: 1\nextends: [/etc/x.yaml]\n", "relative to this file", 2, 11);
        expect_error(f, "bulwark: 1\nextends: [no-such-profile]\n", "unknown built-in profile", 2, 11);
        free(bw_test_write(f->dir, "bad.yaml", "bulwark: 1\nnetwork: sideways\n"));
        expect_error(f, "bulwark: 1\nextends: [bad.yaml]\n", "network must be off or on", 2, 10);

        /* a chain deeper than the limit */
        for (int i = 0; i < 20; i++) {
                char name[32], text[96];
                snprintf(name, sizeof(name), "d%d.yaml", i);
                snprintf(text, sizeof(text), "bulwark: 1\nextends: [d%d.yaml]\n", i + 1);
                free(bw_test_write(f->dir, name, text));
        }
        free(bw_test_write(f->dir, "d20.yaml", "bulwark: 1\n"));
        expect_error(f, "bulwark: 1\nextends: [d0.yaml]\n", "deeper than 16", 0, 0);

        /* merging: lists union, scalars from the later layer (base.yaml turns the network on
         * after read-only turned it off) */
        free(bw_test_write(f->dir, "base.yaml",
                           "bulwark: 1\nname: base\nnetwork: on\nfilesystem:\n  writable: [/base]\n"));
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(
                        f->dir,
                        "bulwark: 1\nextends: [read-only, base.yaml]\nname: top\nfilesystem:\n  writable: [/top]\n",
                        NULL, NULL, &c),
                0);
        assert_string_equal(c.name, "top");
        assert_int_equal(c.network, BW_NETWORK_ON);
        assert_non_null(find_rule(&c, "/base", BW_RULE_WRITABLE));
        assert_non_null(find_rule(&c, "/top", BW_RULE_WRITABLE));
        assert_non_null(find_rule(&c, "${home}/.ssh", BW_RULE_UNREADABLE));
        bw_compilation_done(&c);
}

static void test_constraints(void **state) {
        struct fixture *f = *state;
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/admin.d", f->dir) > 0);
        free(bw_test_write(f->dir, "admin.d/10-fleet.yaml",
                           "bulwark: 1\n"
                           "kind: constraints\n"
                           "network:\n"
                           "  allowed: [off]\n"
                           "filesystem:\n"
                           "  writable_within: [/srv/work, /tmp]\n"
                           "  never_writable: [/srv/work/shared, /etc]\n"
                           "  always_read_only:\n"
                           "    - glob: \"**/.git/hooks\"\n"
                           "  never_readable: [/srv/work/keys]\n"));
        free(bw_test_write(f->dir, "admin.d/notes.txt", "not a constraints file: ignored by name\n"));
        struct bw_compilation c;
        int r = bw_test_compile(f->dir,
                                "bulwark: 1\n"
                                "network: on\n"
                                "filesystem:\n"
                                "  writable:\n"
                                "    - /home/u/x\n"
                                "    - /srv/work/shared/y\n"
                                "    - /srv/work/keys/k\n"
                                "    - /srv/work/r/.git/hooks\n"
                                "    - /srv/work/ok\n"
                                "    - ${workspace}\n"
                                "  readable: [/srv/work/keys]\n",
                                admin, NULL, &c);
        assert_int_equal(r, -EINVAL);
        /* each error names the offending line and the constraint's file:line */
        struct {
                uint32_t line;
                const char *needle;
        } want[] = {
                {2, "network: on is not allowed by the admin"},
                {5, "outside every writable_within"},
                {6, "never_writable ("},
                {7, "never_readable entry /srv/work/keys"},
                {8, "always_read_only entry **/.git/hooks"},
                {10, "bind them with -D"},
                {11, "read grant /srv/work/keys"},
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                bool found = false;
                for (size_t k = 0; k < c.diags.n && !found; k++)
                        found = c.diags.v[k].severity == BW_SEV_ERROR && c.diags.v[k].loc.line == want[i].line &&
                                strstr(c.diags.v[k].message, want[i].needle);
                if (!found) {
                        bw_diags_print(&c.diags, &c.sources, stderr, false);
                        fail_msg("no error '%s' on line %u", want[i].needle, want[i].line);
                }
        }
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "10-fleet.yaml:7:"));
        bw_compilation_done(&c);

        /* a compliant policy compiles, and admin rules are added and flagged */
        struct bw_bindings b = {.value = {[BW_VAR_WORKSPACE] = "/srv/work/repo"}};
        r = bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\", /srv/work]\n", admin, &b,
                            &c);
        if (r)
                bw_diags_print(&c.diags, &c.sources, stderr, false);
        assert_int_equal(r, 0);
        const struct bw_rule_eff *nw = find_rule(&c, "/srv/work/shared", BW_RULE_READ_ONLY);
        assert_non_null(nw);
        assert_true(nw->flags & BW_RULE_ADMIN);
        assert_non_null(find_rule(&c, "/srv/work/keys", BW_RULE_UNREADABLE));
        struct bw_bindings eb = {.value = {[BW_VAR_WORKSPACE] = "/srv/work/repo",
                                           [BW_VAR_HOME] = "/h",
                                           [BW_VAR_TMPDIR] = "/tmp",
                                           [BW_VAR_USER] = "u"}};
        struct bw_explanation e;
        assert_int_equal(bw_explain(&c, "/srv/work/repo/.git/hooks/post-merge", &eb, &e), 0);
        assert_int_equal(e.decision, BW_RULE_READ_ONLY);
        assert_true(c.rules[e.hits[0].rule].flags & BW_RULE_ADMIN);
        bw_explanation_done(&e);
        bw_compilation_done(&c);

        /* admin files must be constraints documents */
        free(bw_test_write(f->dir, "admin.d/20-wrong.yaml", "bulwark: 1\n"));
        r = bw_test_compile(f->dir, "bulwark: 1\n", admin, NULL, &c);
        assert_int_equal(r, -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "must be 'kind: constraints'"));
        bw_compilation_done(&c);
        free(admin);
}

/* Admin constraints only an administrator can write: wrong owner, group/other-writable files or
 * directory, and symlinks are refused, each error naming the file and the fix. */
static void test_admin_file_ownership(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/adm", f->dir) > 0);
        char *file = bw_test_write(f->dir, "adm/10.yaml",
                                   "bulwark: 1\nkind: constraints\nfilesystem:\n  never_writable: [/srv]\n");
        assert_int_equal(chmod(file, 0644), 0); /* whatever the umask */
        assert_int_equal(chmod(admin, 0755), 0);
        int r = bw_test_compile(f->dir, "bulwark: 1\n", admin, NULL, &c);
        if (r != 0)
                bw_diags_print(&c.diags, &c.sources, stderr, false);
        assert_int_equal(r, 0);
        bw_compilation_done(&c);

        assert_int_equal(chmod(file, 0664), 0);
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\n", admin, NULL, &c), -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "owned by root and writable by nobody else"));
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "chmod 644"));
        bw_compilation_done(&c);
        assert_int_equal(chmod(file, 0644), 0);

        assert_int_equal(chmod(admin, 0777), 0);
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\n", admin, NULL, &c), -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "directory must be owned by root"));
        bw_compilation_done(&c);
        assert_int_equal(chmod(admin, 0755), 0);

        char *target = bw_test_write(f->dir, "elsewhere.yaml", "bulwark: 1\nkind: constraints\n");
        char *link = NULL;
        assert_true(asprintf(&link, "%s/20.yaml", admin) > 0);
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\n", admin, NULL, &c), -EINVAL);
        assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "must not be symbolic links"));
        bw_compilation_done(&c);
        unlink(link);

        /* another owner than root (or, for a named directory, the caller) */
        if (geteuid() == 0) {
                assert_int_equal(chown(file, 4242, 4242), 0);
                struct bw_compile_options o = {
                        .policy_path = target, .admin_dir = admin, .admin_owner_also = (uid_t) -1};
                assert_int_equal(bw_compile(&o, &c), -EINVAL);
                assert_true(bw_test_has_diag(&c, BW_SEV_ERROR, "owned by uid 4242"));
                bw_compilation_done(&c);
        }
        free(link);
        free(target);
        free(file);
        free(admin);
}

static void test_warnings(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir,
                                "bulwark: 1\nfilesystem:\n  writable: [/w]\n  read_only:\n"
                                "    - /elsewhere/x\n    - glob: \"/other/**/*.pem\"\n    - glob: \"/w/**/*.pem\"\n",
                                NULL, NULL, &c),
                0);
        size_t useless = 0;
        for (size_t i = 0; i < c.diags.n; i++)
                if (c.diags.v[i].severity == BW_SEV_WARNING && strstr(c.diags.v[i].message, "can never matter"))
                        useless++;
        assert_int_equal(useless, 2);
        bw_compilation_done(&c);
        /* a writable root holding the home directory: /, ~, and none for ~/.cache */
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  writable: [/, ~, ~/.cache]\n", NULL, NULL, &c), 0);
        size_t home = 0;
        for (size_t i = 0; i < c.diags.n; i++)
                if (c.diags.v[i].severity == BW_SEV_WARNING &&
                    strstr(c.diags.v[i].message, "holds your home directory"))
                        home++;
        assert_int_equal(home, 2);
        bw_compilation_done(&c);
}

static void test_determinism(void **state) {
        struct fixture *f = *state;
        const char *a = "bulwark: 1\n"
                        "name: x\n"
                        "network: off\n"
                        "filesystem:\n"
                        "  writable: [\"${workspace}\", /tmp, ~/.cache]\n"
                        "  read_only:\n"
                        "    - \"${workspace}/deploy\"\n"
                        "    - glob: \"${workspace}/**/.env*\"\n"
                        "  unreadable: [~/.ssh]\n";
        const char *b = "filesystem:\n"
                        "  unreadable: [\"${home}/.ssh/\"]\n"
                        "  read_only:\n"
                        "    - glob: \"${workspace}/**/.env*\"\n"
                        "    - \"${workspace}/./deploy\"\n"
                        "  writable: [~/.cache, /tmp, \"${workspace}\", /tmp]\n"
                        "network: off\n"
                        "name: x\n"
                        "bulwark: 1\n";
        uint8_t *pa, *pa2, *pb, *sa, *sb;
        size_t na, na2, nb, nsa, nsb;
        bw_test_plan_bytes(f->dir, a, NULL, false, &pa, &na);
        bw_test_plan_bytes(f->dir, a, NULL, false, &pa2, &na2);
        /* same input, same bytes */
        assert_int_equal(na, na2);
        assert_memory_equal(pa, pa2, na);

        /* reordered keys and entries: provenance (lines) must differ, what the plan does must not */
        bw_test_plan_bytes(f->dir, b, NULL, false, &pb, &nb);
        struct bw_plan x, y;
        assert_int_equal(bw_plan_parse(pa, na, 0, &x, NULL), 0);
        assert_int_equal(bw_plan_parse(pb, nb, 0, &y, NULL), 0);
        assert_memory_equal(x.header->effect_digest, y.header->effect_digest, 32);
        assert_memory_not_equal(x.header->digest, y.header->digest, 32);
        /* without provenance the files are identical, byte for byte */
        bw_test_plan_bytes(f->dir, a, NULL, true, &sa, &nsa);
        bw_test_plan_bytes(f->dir, b, NULL, true, &sb, &nsb);
        assert_int_equal(nsa, nsb);
        assert_memory_equal(sa, sb, nsa);
        free(pa);
        free(pa2);
        free(pb);
        free(sa);
        free(sb);
}

static void test_round_trip(void **state) {
        struct fixture *f = *state;
        struct bw_bindings bind = {.value = {[BW_VAR_WORKSPACE] = "/home/ann/repo", [BW_VAR_USER] = "ann"}};
        struct bw_compilation c;
        const char *text = "bulwark: 1\nname: rt\nnetwork: on\nfilesystem:\n"
                           "  writable: [\"${workspace}\", \"${tmpdir}\"]\n"
                           "  read_only:\n    - regex: '^${workspace}/secrets/.*\\.pem$'\n      ignore_case: true\n"
                           "  readable: [/opt]\n  unreadable: [~/.ssh]\n";
        assert_int_equal(bw_test_compile(f->dir, text, NULL, &bind, &c), 0);
        uint8_t *buf;
        size_t n;
        assert_int_equal(bw_compilation_to_plan(&c, false, &buf, &n), 0);
        struct bw_plan p;
        struct bw_plan_error err = {0};
        assert_int_equal(bw_plan_parse(buf, n, 0, &p, &err), 0);
        assert_string_equal(bw_plan_string(&p, p.meta->name), "rt");
        assert_int_equal(p.meta->network, BW_NETWORK_ON);
        assert_int_equal(p.n_rules, c.n_rules);
        for (uint32_t i = 0; i < p.n_rules; i++) {
                assert_string_equal(bw_plan_string(&p, p.rules[i].text), c.rules[i].text);
                assert_int_equal(p.rules[i].kind, c.rules[i].kind);
                const struct bw_plan_prov *v = bw_plan_provenance(&p, BW_SECT_RULE, i);
                assert_non_null(v);
                assert_int_equal(v->line, c.rules[i].loc.line);
                assert_int_equal(v->column, c.rules[i].loc.col);
        }
        /* regex: bound variable quoted, so the plan's text is a literal match for the workspace */
        bool found = false;
        for (uint32_t i = 0; i < p.n_rules; i++)
                found |= strcmp(bw_plan_string(&p, p.rules[i].text), "^\\/home\\/ann\\/repo/secrets/.*\\.pem$") == 0 ||
                         strcmp(bw_plan_string(&p, p.rules[i].text), "^/home/ann/repo/secrets/.*\\.pem$") == 0;
        assert_true(found);
        /* bound and unbound variables */
        assert_true(p.vars[BW_VAR_WORKSPACE].flags & BW_VAR_BOUND);
        assert_string_equal(bw_plan_string(&p, p.vars[BW_VAR_WORKSPACE].value), "/home/ann/repo");
        assert_false(p.vars[BW_VAR_HOME].flags & BW_VAR_BOUND);
        /* two token specs when the network is on, online is the default */
        assert_int_equal(p.n_tokens, 2);
        assert_int_equal(p.tokens[p.meta->default_token].network, BW_NETWORK_ON);
        assert_string_equal(bw_plan_string(&p, p.principals[4].name), "ann");
        /* ACL templates: one set per rule kind, in the reader's order, from the compiler itself */
        assert_int_equal(p.n_acls, 7);
        uint32_t kinds = 0;
        for (uint32_t i = 0; i < p.n_acls; i++) {
                kinds |= 1u << p.acls[i].rule_kind;
                const struct bw_plan_prov *v = bw_plan_provenance(&p, BW_SECT_ACLE, i);
                assert_non_null(v);
                assert_int_equal(v->line, 0);
                assert_int_equal(p.sources[v->source].layer, BW_LAYER_COMPILER);
        }
        assert_int_equal(kinds, 0x1e);
        /* the carve-out is a named-user entry for each sandbox user, read and conditional execute */
        assert_int_equal(p.acls[2].rule_kind, BW_RULE_READ_ONLY);
        assert_string_equal(bw_plan_string(&p, p.principals[p.acls[2].principal].name), "bulwark-offline");
        assert_int_equal(p.acls[2].perms, BW_PERM_R | BW_PERM_COND_X);
        free(buf);
        bw_compilation_done(&c);
}

/* Findings of a review, each a way protections silently stopped working. */
static void test_review_regressions(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        struct bw_explanation e;
        struct bw_bindings eb = {.value = {[BW_VAR_WORKSPACE] = "/home/u/repo",
                                           [BW_VAR_HOME] = "/home/u",
                                           [BW_VAR_TMPDIR] = "/tmp",
                                           [BW_VAR_USER] = "u"}};
        char *admin = NULL;
        assert_true(asprintf(&admin, "%s/adm", f->dir) > 0);

        /* admin read-only constraints never grant reads, nor override an unreadable rule */
        free(bw_test_write(f->dir, "adm/10.yaml",
                           "bulwark: 1\nkind: constraints\nfilesystem:\n  never_writable: [/etc, ~/.config]\n"));
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nextends: [workspace-write]\n", admin, NULL, &c), 0);
        assert_int_equal(bw_explain(&c, "/etc/shadow", &eb, &e), 0);
        assert_int_equal(e.decision, 0);
        bw_explanation_done(&e);
        assert_int_equal(bw_explain(&c, "/home/u/.config/gh/hosts.yml", &eb, &e), 0);
        assert_int_equal(e.decision, BW_RULE_UNREADABLE);
        bw_explanation_done(&e);
        bw_compilation_done(&c);

        /* a same-text rule of another case sensitivity does not drop the protected default */
        assert_int_equal(bw_test_compile(f->dir,
                                         "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\n"
                                         "  unreadable: [{glob: \"**/.git\"}]\n",
                                         NULL, NULL, &c),
                         0);
        assert_int_equal(bw_explain(&c, "/home/u/repo/.GIT/hooks/pre-commit", &eb, &e), 0);
        assert_int_equal(e.decision, BW_RULE_READ_ONLY);
        bw_explanation_done(&e);
        assert_int_equal(bw_explain(&c, "/home/u/repo/.git/config", &eb, &e), 0);
        assert_int_equal(e.decision, BW_RULE_UNREADABLE);
        bw_explanation_done(&e);
        assert_false(bw_test_has_diag(&c, BW_SEV_WARNING, "never applies"));
        bw_compilation_done(&c);

        /* a read_only rule outside every writable root grants nothing */
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  read_only: [/srv/secret]\n", NULL, NULL, &c), 0);
        assert_int_equal(bw_explain(&c, "/srv/secret/x", &eb, &e), 0);
        assert_int_equal(e.decision, 0);
        bw_explanation_done(&e);
        bw_compilation_done(&c);

        /* a NUL escape cannot forge a second key or a value */
        expect_error(f, "bulwark: 1\nnetwork: off\n\"network\\0\": on\n", "NUL character", 3, 1);
        expect_error(f, "bulwark: 1\nnetwork: \"on\\0ly kidding\"\n", "NUL character", 2, 10);

        /* a diamond-shaped extends graph is read once per file, not once per path */
        for (int i = 0; i < 15; i++) {
                char name[32], text[160];
                snprintf(name, sizeof(name), "g%d.yaml", i);
                if (i == 14)
                        snprintf(text, sizeof(text), "bulwark: 1\nfilesystem:\n  writable: [/leaf]\n");
                else
                        snprintf(text, sizeof(text),
                                 "bulwark: 1\nextends: [g%d.yaml, g%d.yaml, ./g%d.yaml, g%d.yaml]\n", i + 1, i + 1,
                                 i + 1, i + 1);
                free(bw_test_write(f->dir, name, text));
        }
        assert_int_equal(bw_test_compile(f->dir, "bulwark: 1\nextends: [g0.yaml]\n", NULL, NULL, &c), 0);
        assert_true(c.sources.n < 25);
        assert_non_null(find_rule(&c, "/leaf", BW_RULE_WRITABLE));
        bw_compilation_done(&c);
        free(admin);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_yaml_limits, setup, teardown),
                cmocka_unit_test_setup_teardown(test_types_and_keys, setup, teardown),
                cmocka_unit_test_setup_teardown(test_error_cap, setup, teardown),
                cmocka_unit_test_setup_teardown(test_protected_defaults, setup, teardown),
                cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
                cmocka_unit_test_setup_teardown(test_extends, setup, teardown),
                cmocka_unit_test_setup_teardown(test_constraints, setup, teardown),
                cmocka_unit_test_setup_teardown(test_admin_file_ownership, setup, teardown),
                cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
                cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
                cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
                cmocka_unit_test_setup_teardown(test_review_regressions, setup, teardown),
                cmocka_unit_test_setup_teardown(test_cache_roots, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
