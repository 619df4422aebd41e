/* SPDX-License-Identifier: MIT */
/*
 * The Windows cross build only (tests/CMakeLists.txt links it with -Wl,--wrap): runs a cmocka
 * group without the cases named in BW_WIN_SKIP_CASES (space-separated), saying which and why
 * (BW_WIN_SKIP_REASON). Cases that need what Windows does not have (POSIX owners and modes,
 * symbolic links made by the C runtime) are left out this way, and the test sources stay as they
 * are: a case added later runs on Windows unless it is named here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int __real__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests, const size_t num_tests,
                                   CMFixtureFunction group_setup, CMFixtureFunction group_teardown);
int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests, const size_t num_tests,
                                   CMFixtureFunction group_setup, CMFixtureFunction group_teardown);

static int named(const char *list, const char *name) {
        size_t n = strlen(name);
        for (const char *p = list; (p = strstr(p, name)); p += n)
                if ((p == list || p[-1] == ' ') && (p[n] == 0 || p[n] == ' '))
                        return 1;
        return 0;
}

int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests, const size_t num_tests,
                                   CMFixtureFunction group_setup, CMFixtureFunction group_teardown) {
        const char *skip = getenv("BW_WIN_SKIP_CASES");
        if (!skip || !*skip)
                return __real__cmocka_run_group_tests(group_name, tests, num_tests, group_setup, group_teardown);
        struct CMUnitTest *kept = calloc(num_tests ? num_tests : 1, sizeof(*kept));
        if (!kept)
                abort();
        size_t n = 0, skipped = 0;
        for (size_t i = 0; i < num_tests; i++) {
                if (named(skip, tests[i].name)) {
                        printf("SKIP %s (Windows): %s\n", tests[i].name,
                               getenv("BW_WIN_SKIP_REASON") ? getenv("BW_WIN_SKIP_REASON") : "not portable");
                        skipped++;
                } else
                        kept[n++] = tests[i];
        }
        /* a name that matches no case is a stale list: fail rather than skip nothing silently */
        size_t listed = 0;
        for (const char *p = skip; *p;) {
                while (*p == ' ')
                        p++;
                if (!*p)
                        break;
                listed++;
                while (*p && *p != ' ')
                        p++;
        }
        if (listed != skipped) {
                printf("BW_WIN_SKIP_CASES names %zu cases, %zu of them exist in %s: fix tests/CMakeLists.txt\n", listed,
                       skipped, group_name);
                free(kept);
                return 1;
        }
        fflush(stdout);
        int r = __real__cmocka_run_group_tests(group_name, kept, n, group_setup, group_teardown);
        free(kept);
        return r;
}
