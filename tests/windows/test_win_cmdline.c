/* SPDX-License-Identifier: MIT */
/* Command lines for CreateProcess (enforcer/windows/win_cmdline.c) and plan paths on Windows
 * (win_path.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "win_cmdline.h"
#include "win_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void expect_parse(const char *line, const char *const *want) {
        char **argv;
        assert_int_equal(bw_win_cmdline_parse(line, &argv), 0);
        size_t i = 0;
        for (; want[i]; i++) {
                assert_non_null(argv[i]);
                assert_string_equal(argv[i], want[i]);
        }
        assert_null(argv[i]);
        bw_win_argv_free(argv);
}

/* The examples of Microsoft's "Parsing C command-line arguments" page. */
static void test_parse_documented(void **state) {
        (void) state;
        expect_parse("p \"a b c\" d e", (const char *const[]){"p", "a b c", "d", "e", NULL});
        expect_parse("p \"ab\\\"c\" \"\\\\\" d", (const char *const[]){"p", "ab\"c", "\\", "d", NULL});
        expect_parse("p a\\\\\\b d\"e f\"g h", (const char *const[]){"p", "a\\\\\\b", "de fg", "h", NULL});
        expect_parse("p a\\\\\\\"b c d", (const char *const[]){"p", "a\\\"b", "c", "d", NULL});
        expect_parse("p a\\\\\\\\\"b c\" d e", (const char *const[]){"p", "a\\\\b c", "d", "e", NULL});
        /* the program name: quotes group, backslashes are literal */
        expect_parse("\"C:\\Program Files\\x.exe\" y", (const char *const[]){"C:\\Program Files\\x.exe", "y", NULL});
        expect_parse("p \"\" \"\"", (const char *const[]){"p", "", "", NULL});
}

static void test_quote(void **state) {
        (void) state;
        const char *const argv[] = {
                "C:\\Program Files\\x.exe", "a b", "", "x\"y", "trail\\", "tr ail\\", "back\\\\\"q", "plain", NULL};
        char *line;
        assert_int_equal(bw_win_cmdline_quote(argv, &line), 0);
        assert_string_equal(line, "\"C:\\Program Files\\x.exe\" \"a b\" \"\" \"x\\\"y\" trail\\ \"tr ail\\\\\" "
                                  "\"back\\\\\\\\\\\"q\" plain");
        expect_parse(line, argv);
        free(line);
        /* a quote in the program name cannot be passed */
        assert_int_equal(bw_win_cmdline_quote((const char *const[]){"a\"b", NULL}, &line), -EINVAL);
        assert_int_equal(bw_win_cmdline_quote((const char *const[]){"", NULL}, &line), -EINVAL);
}

/* Every argument of up to 6 characters from the troublesome alphabet survives quote + parse. */
static void test_quote_roundtrip_exhaustive(void **state) {
        (void) state;
        static const char alphabet[] = {'a', ' ', '\\', '"', '\t'};
        char arg[8];
        unsigned long checked = 0;
        for (size_t len = 0; len <= 6; len++) {
                size_t total = 1;
                for (size_t i = 0; i < len; i++)
                        total *= 5;
                for (size_t n = 0; n < total; n++) {
                        size_t v = n;
                        for (size_t i = 0; i < len; i++, v /= 5)
                                arg[i] = alphabet[v % 5];
                        arg[len] = '\0';
                        const char *const argv[] = {"prog", arg, "z", NULL};
                        char *line, **back;
                        assert_int_equal(bw_win_cmdline_quote(argv, &line), 0);
                        assert_int_equal(bw_win_cmdline_parse(line, &back), 0);
                        assert_string_equal(back[1], arg);
                        assert_string_equal(back[2], "z");
                        assert_null(back[3]);
                        bw_win_argv_free(back);
                        free(line);
                        checked++;
                }
        }
        assert_int_equal(checked, 1 + 5 + 25 + 125 + 625 + 3125 + 15625);
}

static void test_batch(void **state) {
        (void) state;
        assert_true(bw_win_is_batch("C:\\x\\build.BAT"));
        assert_true(bw_win_is_batch("run.cmd"));
        assert_false(bw_win_is_batch("run.exe"));
        assert_false(bw_win_is_batch("cmd"));
        assert_true(bw_win_batch_arg_safe("plain-arg_1.txt"));
        static const char *const unsafe[] = {"a&b", "%PATH%", "x\"y", "a|b", "<in", ">out", "^", "!x!", "a\nb"};
        for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
                assert_false(bw_win_batch_arg_safe(unsafe[i]));
}

static void expect_to_plan(const char *win, const char *want) {
        char *out = NULL;
        const char *why = NULL;
        int r = bw_win_path_to_plan(win, &out, &why);
        if (!want) {
                assert_int_equal(r, -EINVAL);
                assert_non_null(why);
                return;
        }
        assert_int_equal(r, 0);
        assert_string_equal(out, want);
        free(out);
}

static void test_paths(void **state) {
        (void) state;
        expect_to_plan("C:\\Users\\ann\\repo", "/c/Users/ann/repo");
        expect_to_plan("c:/Users/ann/repo/", "/c/Users/ann/repo");
        expect_to_plan("\\\\?\\D:\\work", "/d/work");
        expect_to_plan("C:\\", "/c");
        expect_to_plan("C:", "/c");
        expect_to_plan("\\\\server\\share\\x", NULL);
        expect_to_plan("\\\\?\\UNC\\server\\share", NULL);
        expect_to_plan("\\\\.\\PhysicalDrive0", NULL);
        expect_to_plan("relative\\x", NULL);
        expect_to_plan("C:relative", NULL);
        expect_to_plan("C:\\a\\..\\b", NULL);
        expect_to_plan("C:\\a\\.\\b", NULL);
        expect_to_plan("C:\\a\\\\b", NULL);
        expect_to_plan("C:\\dir.\\x", NULL);
        expect_to_plan("C:\\dir \\x", NULL);
        expect_to_plan("C:\\x\\file.txt:stream", NULL);
        expect_to_plan("C:\\x\\NUL", NULL);
        expect_to_plan("C:\\x\\nul.txt", NULL);
        expect_to_plan("C:\\x\\COM1", NULL);
        expect_to_plan("C:\\x\\COM10", "/c/x/COM10");
        expect_to_plan("C:\\x\\CONSOLE", "/c/x/CONSOLE");
        expect_to_plan("C:\\x\\a*b", NULL);

        char *w;
        assert_int_equal(bw_win_path_from_plan("/c/Users/ann/repo", &w), 0);
        assert_string_equal(w, "\\\\?\\C:\\Users\\ann\\repo");
        free(w);
        assert_int_equal(bw_win_path_from_plan("/d", &w), 0);
        assert_string_equal(w, "\\\\?\\D:\\");
        free(w);
        assert_int_equal(bw_win_path_from_plan("/etc/passwd", &w), -ENOENT);
        assert_int_equal(bw_win_path_from_plan("/home/ann", &w), -ENOENT);

        assert_true(bw_win_path_equal("/c/Users/Ann/REPO", "/C/users/ann/repo"));
        assert_true(bw_win_path_within("/c/Users/Ann/Repo/.GIT/config", "/c/users/ann/repo"));
        assert_false(bw_win_path_within("/c/users/ann/repo2", "/c/users/ann/repo"));
        assert_true(bw_win_name_equal(".Git", 4, ".git", 4));
        assert_false(bw_win_name_equal(".git", 4, ".gitx", 5));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_documented),
                cmocka_unit_test(test_quote),
                cmocka_unit_test(test_quote_roundtrip_exhaustive),
                cmocka_unit_test(test_batch),
                cmocka_unit_test(test_paths),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
