/* SPDX-License-Identifier: MIT */
/* bulwark completion: each script loads in its shell and completes commands, the import formats
 * and options; a shell that is not installed is skipped with a message. */
#include "testutil.h"

#include "completion.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool have(const char *shell) {
        char path[64];
        snprintf(path, sizeof(path), "/usr/bin/%s", shell);
        if (access(path, X_OK) == 0)
                return true;
        snprintf(path, sizeof(path), "/bin/%s", shell);
        return access(path, X_OK) == 0;
}

/* Write the script to dir/name, run command (with %s the script's path) in a shell, return its
 * output. */
static char *try_script(const char *shell, const char *dir, const char *name, const char *command) {
        char script[512], out[512], cmd[2048];
        snprintf(script, sizeof(script), "%s/%s", dir, name);
        snprintf(out, sizeof(out), "%s/%s.out", dir, name);
        FILE *f = fopen(script, "w");
        assert_non_null(f);
        assert_int_equal(bw_completion_write(shell, f), 0);
        fclose(f);
        char body[1024];
        const char *at = strstr(command, "%s");
        assert_non_null(at);
        snprintf(body, sizeof(body), "%.*s%s%s", (int) (at - command), command, script, at + 2);
        snprintf(cmd, sizeof(cmd), "%s -c '%s' > %s 2>&1", shell, body, out);
        int r = system(cmd);
        f = fopen(out, "r");
        assert_non_null(f);
        char *buf = calloc(1, 8192);
        assert_non_null(buf);
        size_t n = fread(buf, 1, 8191, f);
        buf[n] = 0;
        fclose(f);
        if (r != 0)
                fail_msg("%s: %s exited %d:\n%s", shell, body, r, buf);
        return buf;
}

#define assert_contains(hay, needle)                                                                                   \
        do {                                                                                                           \
                if (!strstr((hay), (needle)))                                                                          \
                        fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                                          \
        } while (0)

static void test_bash(void **state) {
        (void) state;
        if (!have("bash")) {
                print_message("bash is not installed: skipped\n");
                skip();
        }
        char *dir = bw_test_mkdtemp();
        char *out =
                try_script("bash", dir, "bulwark.bash",
                           "set -e; source %s; complete -p bulwark; "
                           "c() { COMP_WORDS=(\"$@\"); COMP_CWORD=$(($#-1)); _bulwark; echo \"[${COMPREPLY[*]}]\"; }; "
                           "c bulwark im; c bulwark import \"\"; c bulwark init --d; c bulwark run --pl; "
                           "c bulwark completion z; c bulwark --quiet pl; c bulwark --color = always sta; "
                           "c bulwark apply --inst; c bulwark apply --y; c bulwark -q revert --al");
        assert_contains(out, "complete -F _bulwark bulwark");
        assert_contains(out, "[import]");
        assert_contains(out, "[codex srt]");
        assert_contains(out, "[--dry-run]");
        assert_contains(out, "[--plan]");
        assert_contains(out, "[zsh]");
        assert_contains(out, "[plan]");   /* the command after global options */
        assert_contains(out, "[status]"); /* --color=WHEN, which bash splits at the = */
        assert_contains(out, "[--installed]");
        assert_contains(out, "[--yes]");
        assert_contains(out, "[--all]"); /* revert, after -q */
        free(out);
        bw_test_rmtree(dir);
        free(dir);
}

static void test_zsh(void **state) {
        (void) state;
        if (!have("zsh")) {
                print_message("zsh is not installed (scripts/install-deps.sh installs it): skipped\n");
                skip();
        }
        char *dir = bw_test_mkdtemp();
        char zcd[600];
        snprintf(zcd, sizeof(zcd), "%s/zcompdump", dir);
        char cmd[900];
        snprintf(cmd, sizeof(cmd),
                 "autoload -Uz compinit; compinit -u -d %s; source %%s; print -r -- $_comps[bulwark]; "
                 "(( $+functions[_bulwark] ))",
                 zcd);
        char *out = try_script("zsh", dir, "_bulwark", cmd);
        assert_contains(out, "_bulwark");
        free(out);
        bw_test_rmtree(dir);
        free(dir);
}

static void test_fish(void **state) {
        (void) state;
        if (!have("fish")) {
                print_message("fish is not installed (scripts/install-deps.sh installs it): skipped\n");
                skip();
        }
        char *dir = bw_test_mkdtemp();
        char *out = try_script("fish", dir, "bulwark.fish",
                               "source %s; complete -C\"bulwark im\"; complete -C\"bulwark import \"; "
                               "complete -C\"bulwark init --\"; complete -C\"bulwark apply --y\"; "
                               "complete -C\"bulwark --q\"");
        assert_contains(out, "import\ta policy from Codex or srt settings");
        assert_contains(out, "codex\n");
        assert_contains(out, "srt\n");
        assert_contains(out, "--dry-run\tprint it instead");
        assert_contains(out, "--yes\tapply without asking");
        assert_contains(out, "--quiet\tonly errors");
        free(out);
        bw_test_rmtree(dir);
        free(dir);
}

static void test_unknown_shell(void **state) {
        (void) state;
        assert_int_equal(bw_completion_write("tcsh", stdout), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bash),
                cmocka_unit_test(test_zsh),
                cmocka_unit_test(test_fish),
                cmocka_unit_test(test_unknown_shell),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
