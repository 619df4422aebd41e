/* SPDX-License-Identifier: MIT */
/*
 * The protected-defaults table, the environment policy and the limits: how the compiler reads
 * them (good and bad input), what reaches the plan, and the pure accessors the runner calls.
 */
#include "testutil.h"

#include "plan.h"
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
}

static void test_protected_all_names(void **state) {
        struct fixture *f = *state;
        struct bw_compilation c;
        assert_int_equal(
                bw_test_compile(f->dir, "bulwark: 1\nfilesystem:\n  writable: [\"${workspace}\"]\n", NULL, NULL, &c),
                0);
        for (size_t i = 0; i < BW_PROTECTED_COUNT; i++) {
                char glob[64];
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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_protected_table),
                cmocka_unit_test_setup_teardown(test_protected_all_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unprotect_without_admin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unprotect_needs_admin, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
