/* SPDX-License-Identifier: MIT */
/* Path templates (normalisation, variables, binding) and glob-to-PCRE2 conversion. */
#include "testutil.h"

#include "path_template.h"
#include "pattern.h"

#include <stdlib.h>
#include <string.h>

static char *norm(const char *in, enum bw_template_kind k, const struct bw_bindings *b) {
        char *out = NULL;
        struct bw_template_error err;
        if (bw_template_from_policy(in, strlen(in), k, b, &out, &err) < 0)
                return NULL;
        return out;
}

static void expect_norm(const char *in, const char *want) {
        char *got = norm(in, BW_TEMPLATE_PATH, NULL);
        if (!got || strcmp(got, want) != 0)
                fail_msg("normalise(%s): got %s, want %s", in, got ? got : "(error)", want);
        /* canonical output is a fixed point and passes the reader's check */
        assert_int_equal(bw_template_check(got, BW_TEMPLATE_PATH), 0);
        free(got);
}

static void expect_error(const char *in, enum bw_template_kind k, const char *needle, size_t offset) {
        char *out = NULL;
        struct bw_template_error err = {0};
        int r = bw_template_from_policy(in, strlen(in), k, NULL, &out, &err);
        if (r != -EINVAL)
                fail_msg("%s: expected an error, got %s", in, out);
        if (!strstr(err.message, needle))
                fail_msg("%s: message '%s' lacks '%s'", in, err.message, needle);
        assert_int_equal(err.offset, offset);
}

static void test_normalise_paths(void **state) {
        (void) state;
        expect_norm("/", "/");
        expect_norm("//a///b/", "/a/b");
        expect_norm("/a/./b/../c", "/a/c");
        expect_norm("/..", "/");
        expect_norm("/a/..", "/");
        expect_norm("~", "${home}");
        expect_norm("~/.ssh/", "${home}/.ssh");
        expect_norm("${workspace}", "${workspace}");
        expect_norm("${workspace}/a/../b", "${workspace}/b");
        expect_norm("/srv/${user}/x", "/srv/${user}/x");
        expect_norm("/srv/a$$b", "/srv/a$$b");
        expect_norm("/caf\xc3\xa9", "/caf\xc3\xa9");
}

static void test_path_errors(void **state) {
        (void) state;
        expect_error("relative", BW_TEMPLATE_PATH, "relative path", 0);
        expect_error("", BW_TEMPLATE_PATH, "empty", 0);
        expect_error("~user/x", BW_TEMPLATE_PATH, "relative path", 0);
        expect_error("${workspace}/..", BW_TEMPLATE_PATH, "climbs above ${workspace}", 13);
        expect_error("${workspace}/a/../..", BW_TEMPLATE_PATH, "climbs above", 18);
        expect_error("/a/${workpsace}", BW_TEMPLATE_PATH, "unknown variable ${workpsace}", 3);
        expect_error("/a/$workspace", BW_TEMPLATE_PATH, "'$' must start a variable", 3);
        expect_error("/a/${home}", BW_TEMPLATE_PATH, "can only start a path", 3);
        expect_error("${user}/x", BW_TEMPLATE_PATH, "is a name", 0);
        expect_error("${workspace}x", BW_TEMPLATE_PATH, "must be followed by /", 12);
        expect_error("/a\tb", BW_TEMPLATE_PATH, "control character", 2);
        expect_error("/a/${unterminated", BW_TEMPLATE_PATH, "unterminated variable", 3);
        expect_error("/a/\xff", BW_TEMPLATE_PATH, "UTF-8", 3);
        expect_error("**/x", BW_TEMPLATE_PATH, "relative path", 0);
        expect_error("${workspace}/**/../x", BW_TEMPLATE_GLOB, "'..' is not allowed", 16);
        expect_error("**/", BW_TEMPLATE_GLOB, "needs something after", 0);
        char *longp = malloc(5000);
        longp[0] = '/';
        memset(longp + 1, 'a', 4998);
        longp[4999] = 0;
        expect_error(longp, BW_TEMPLATE_PATH, "longer than 4095", 0);
        free(longp);
}

static void test_bindings(void **state) {
        (void) state;
        struct bw_bindings b = {
                .value = {[BW_VAR_WORKSPACE] = "/home/ann/repo", [BW_VAR_USER] = "ann", [BW_VAR_HOME] = "/home/ann"}};
        /* ".." above a variable is an error whether or not it is bound: the meaning must not
         * depend on when the binding happens */
        assert_null(norm("${workspace}/../other", BW_TEMPLATE_PATH, &b));
        char *t = norm("${workspace}/a/../b", BW_TEMPLATE_PATH, &b);
        assert_string_equal(t, "/home/ann/repo/b");
        free(t);
        t = norm("/srv/${user}/x", BW_TEMPLATE_PATH, &b);
        assert_string_equal(t, "/srv/ann/x");
        free(t);

        /* binding later gives the same result as binding now */
        char *late = NULL;
        t = norm("${workspace}/src", BW_TEMPLATE_PATH, NULL);
        assert_int_equal(bw_template_bind(t, BW_TEMPLATE_PATH, &b, &late, NULL), 0);
        assert_string_equal(late, "/home/ann/repo/src");
        free(t);
        free(late);

        /* an unbound variable at bind time is reported, not guessed */
        enum bw_var_id missing = BW_VAR_COUNT;
        struct bw_bindings none = {0};
        assert_int_equal(bw_template_bind("${tmpdir}/x", BW_TEMPLATE_PATH, &none, &late, &missing), -ENXIO);
        assert_int_equal(missing, BW_VAR_TMPDIR);

        /* "/" as a value does not produce "//" */
        struct bw_bindings root = {.value = {[BW_VAR_HOME] = "/"}};
        assert_int_equal(bw_template_bind("${home}/x", BW_TEMPLATE_PATH, &root, &late, NULL), 0);
        assert_string_equal(late, "/x");
        free(late);

        /* literal $$ becomes $ */
        assert_int_equal(bw_template_bind("/a$$b", BW_TEMPLATE_PATH, &root, &late, NULL), 0);
        assert_string_equal(late, "/a$b");
        free(late);
}

static void test_values_are_escaped_in_patterns(void **state) {
        (void) state;
        /* A home directory with glob and regex metacharacters must match only itself. */
        struct bw_bindings b = {.value = {[BW_VAR_HOME] = "/home/a.b*[x]{y,z}"}};
        char *g = NULL, *re = NULL;
        assert_int_equal(bw_template_bind("${home}/*.pem", BW_TEMPLATE_GLOB, &b, &g, NULL), 0);
        assert_int_equal(bw_template_bind("^${home}/.*\\.pem$", BW_TEMPLATE_REGEX, &b, &re, NULL), 0);
        struct bw_pattern pg, pr;
        assert_int_equal(bw_pattern_compile(g, BW_MATCH_GLOB, false, &pg, NULL), 0);
        assert_int_equal(bw_pattern_compile(re, BW_MATCH_REGEX, false, &pr, NULL), 0);
        const char *yes = "/home/a.b*[x]{y,z}/k.pem", *no = "/home/aXb*[x]{y,z}/k.pem";
        assert_int_equal(bw_pattern_match(&pg, yes, strlen(yes)), 1);
        assert_int_equal(bw_pattern_match(&pr, yes, strlen(yes)), 1);
        assert_int_equal(bw_pattern_match(&pg, no, strlen(no)), 0);
        assert_int_equal(bw_pattern_match(&pr, no, strlen(no)), 0);
        bw_pattern_done(&pg);
        bw_pattern_done(&pr);
        free(g);
        free(re);
}

struct glob_case {
        const char *glob;
        const char *path;
        int want;
};

static void test_glob_matching(void **state) {
        (void) state;
        static const struct glob_case cases[] = {
                {"/w/*.txt", "/w/a.txt", 1},
                {"/w/*.txt", "/w/d/a.txt", 0},
                {"/w/*", "/w/.hidden", 1}, /* dotfiles match: a carve-out must not miss them */
                {"/w/?", "/w/a", 1},
                {"/w/?", "/w/ab", 0},
                {"/w/?", "/w//", 0},
                {"/w/**/x", "/w/x", 1},
                {"/w/**/x", "/w/a/b/c/x", 1},
                {"/w/**/x", "/w/a/xx", 0},
                {"/w/**", "/w", 1},
                {"/w/**", "/w/a/b", 1},
                {"**/.git", "/home/u/repo/.git", 1},
                {"**/.git", "/.git", 1},
                {"**/.git", "/home/u/repo/.github", 0},
                {"**/.git", "/home/u/repo/x.git", 0},
                {"/w/{a,b}/c", "/w/a/c", 1},
                {"/w/{a,b}/c", "/w/b/c", 1},
                {"/w/{a,b}/c", "/w/ab/c", 0},
                {"/w/{a,{b,c}d}", "/w/cd", 1},
                {"/w/{src,lib/x}", "/w/lib/x", 1},
                {"/w/[abc]", "/w/b", 1},
                {"/w/[!abc]", "/w/b", 0},
                {"/w/[!abc]", "/w/z", 1},
                {"/w/[a-c]x", "/w/bx", 1},
                {"/w/[]]", "/w/]", 1},
                {"/w/[a-]", "/w/-", 1},
                {"/w/a\\*b", "/w/a*b", 1},
                {"/w/a\\*b", "/w/axb", 0},
                {"/w/a.b", "/w/aXb", 0}, /* '.' is literal */
                {"/w/(x)|y", "/w/(x)|y", 1},
                {"/w/a+", "/w/aa", 0},
                {"/w/a,b", "/w/a,b", 1},
                {"/w/id[a\\-z]", "/w/id-", 1}, /* an escaped '-' is a member, not a range */
                {"/w/id[a\\-z]", "/w/idm", 0},
                {"/w/[a-c]", "/w/-", 0},
                {"/w/[\xc3\xa9"
                 "e]",
                 "/w/\xc3\xa9", 1},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bw_pattern p;
                struct bw_pattern_error err = {0};
                if (bw_pattern_compile(cases[i].glob, BW_MATCH_GLOB, false, &p, &err) < 0)
                        fail_msg("glob %s: %s", cases[i].glob, err.message);
                int m = bw_pattern_match(&p, cases[i].path, strlen(cases[i].path));
                if (m != cases[i].want)
                        fail_msg("glob %s vs %s: got %d, want %d", cases[i].glob, cases[i].path, m, cases[i].want);
                bw_pattern_done(&p);
        }
}

static void test_glob_errors(void **state) {
        (void) state;
        static const char *const bad[] = {"/w/[abc",  "/w/{a,b", "/w/a}",    "/w/a**",
                                          "/w/**b",   "/w/x\\",  "/w/[a/b]", "/w/{{{{{{{{{a}}}}}}}}}",
                                          "/w/[+-0]", "/w/[z-a]"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char *out = NULL;
                struct bw_pattern_error err = {0};
                if (bw_glob_to_regex(bad[i], &out, &err) == 0)
                        fail_msg("glob %s converted to %s, expected an error", bad[i], out);
                assert_true(err.message[0] != 0);
        }
}

static void test_case_and_cover(void **state) {
        (void) state;
        struct bw_pattern p;
        assert_int_equal(bw_pattern_compile("**/.git", BW_MATCH_GLOB, true, &p, NULL), 0);
        const char *up = "/r/.GIT", *mixed = "/r/.Git/hooks/pre-commit";
        assert_int_equal(bw_pattern_match(&p, up, strlen(up)), 1);
        /* covers: deepest matching ancestor-or-self, counted in components */
        assert_int_equal(bw_pattern_covers(&p, mixed), 2);
        assert_int_equal(bw_pattern_covers(&p, "/r/src/main.c"), -1);
        bw_pattern_done(&p);

        /* PCRE2 limits: a catastrophic regex fails closed (counts as covering) instead of hanging */
        assert_int_equal(bw_pattern_compile("^(a+)+$", BW_MATCH_REGEX, false, &p, NULL), 0);
        char path[64];
        memset(path, 'a', sizeof(path) - 2);
        path[sizeof(path) - 2] = 'b';
        path[sizeof(path) - 1] = 0;
        int m = bw_pattern_match(&p, path, strlen(path));
        assert_true(m == 0 || m == -E2BIG);
        bw_pattern_done(&p);
}

static void test_fixed_prefix(void **state) {
        (void) state;
        char *s = bw_pattern_fixed_prefix("/home/a/repo/**/.env*", BW_MATCH_GLOB);
        assert_string_equal(s, "/home/a/repo");
        free(s);
        s = bw_pattern_fixed_prefix("^/srv/secrets/.*\\.pem$", BW_MATCH_REGEX);
        assert_string_equal(s, "/srv/secrets");
        free(s);
        s = bw_pattern_fixed_prefix("^${workspace}/secrets/.*", BW_MATCH_REGEX);
        assert_string_equal(s, "${workspace}/secrets");
        free(s);
        assert_null(bw_pattern_fixed_prefix("**/.git", BW_MATCH_GLOB));
        s = bw_pattern_fixed_prefix("/exact/file", BW_MATCH_GLOB);
        assert_string_equal(s, "/exact/file");
        free(s);
}

static void test_within_and_depth(void **state) {
        (void) state;
        assert_true(bw_path_is_within("/a/b", "/a"));
        assert_true(bw_path_is_within("/a", "/a"));
        assert_false(bw_path_is_within("/ab", "/a"));
        assert_true(bw_path_is_within("/x", "/"));
        assert_int_equal(bw_path_depth("/"), 0);
        assert_int_equal(bw_path_depth("/a/b"), 2);
        assert_int_equal(bw_path_depth("${home}/.ssh"), 2);
}

static void test_review_regressions(void **state) {
        (void) state;
        /* a regex variable inside \Q...\E or a class is refused, not silently mangled */
        expect_error("^\\Q${home}\\E/\\.ssh", BW_TEMPLATE_REGEX, "cannot be used inside", 3);
        expect_error("^/x/[${user}]", BW_TEMPLATE_REGEX, "cannot be used inside", 5);
        char *t = norm("^\\Q$x\\E${home}/a$", BW_TEMPLATE_REGEX, NULL);
        assert_string_equal(t, "^\\Q$x\\E${home}/a$");
        free(t);
        /* binding a glob at apply time keeps a '$' in a value single */
        struct bw_bindings b = {.value = {[BW_VAR_HOME] = "/home/a$b"}};
        char *g = NULL;
        assert_int_equal(bw_template_bind("${home}/secret*", BW_TEMPLATE_GLOB, &b, &g, NULL), 0);
        struct bw_pattern p;
        assert_int_equal(bw_pattern_compile(g, BW_MATCH_GLOB, false, &p, NULL), 0);
        const char *yes = "/home/a$b/secret.txt";
        assert_int_equal(bw_pattern_match(&p, yes, strlen(yes)), 1);
        bw_pattern_done(&p);
        free(g);
        /* and binding at compile time gives the same text as binding later */
        char *compiled = norm("${home}/secret*", BW_TEMPLATE_GLOB, &b);
        assert_int_equal(bw_template_bind(compiled, BW_TEMPLATE_GLOB, &b, &g, NULL), 0);
        assert_string_equal(g, "/home/a$b/secret*");
        free(g);
        free(compiled);
        /* '\$' in a glob is refused (write $$) */
        expect_error("/x/\\${user}", BW_TEMPLATE_GLOB, "write $$", 3);
        /* login names "." and ".." would move the path */
        assert_int_equal(bw_var_value_check(BW_VAR_USER, ".."), -EINVAL);
        assert_int_equal(bw_var_value_check(BW_VAR_USER, "."), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalise_paths),  cmocka_unit_test(test_path_errors),
                cmocka_unit_test(test_bindings),         cmocka_unit_test(test_values_are_escaped_in_patterns),
                cmocka_unit_test(test_glob_matching),    cmocka_unit_test(test_glob_errors),
                cmocka_unit_test(test_case_and_cover),   cmocka_unit_test(test_fixed_prefix),
                cmocka_unit_test(test_within_and_depth), cmocka_unit_test(test_review_regressions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
