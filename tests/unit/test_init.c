/* SPDX-License-Identifier: MIT */
/* bulwark init: caches recognised in sample repositories (tests/fixtures/init/), and the command
 * itself: what it writes compiles with bulwarkc, and it never replaces a policy or follows a
 * symlink planted in .bulwark. */
#include "testutil.h"

#include "init.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define FIXTURES BW_TEST_SOURCE_DIR "/tests/fixtures/init/"
#define BULWARK BW_TEST_BINARY_DIR "/enforcer/bulwark"
#define BULWARKC BW_TEST_BINARY_DIR "/compiler/bulwarkc"

extern char **environ;

#define assert_contains(hay, needle)                                                                                   \
        do {                                                                                                           \
                if (!strstr((hay), (needle)))                                                                          \
                        fail_msg("expected \"%s\" in:\n%s", (needle), (hay));                                          \
        } while (0)
#define assert_lacks(hay, needle)                                                                                      \
        do {                                                                                                           \
                if (strstr((hay), (needle)))                                                                           \
                        fail_msg("did not expect \"%s\" in:\n%s", (needle), (hay));                                    \
        } while (0)

static char *policy_for(const char *fixture, const char *home, struct bw_gen_notes *notes) {
        char *text = NULL, *diags = NULL;
        assert_int_equal(bw_init_policy(fixture, home, &text, notes), 0);
        int r = bw_gen_validate(text, &diags);
        if (r != 0)
                fail_msg("%s\n%s", text, diags ? diags : "");
        free(diags);
        return text;
}

static size_t count(const char *hay, const char *needle) {
        size_t n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

static void test_polyglot(void **state) {
        (void) state;
        char *home = bw_test_mkdtemp();
        char *made = bw_test_write(home, ".cargo/registry/keep", "");
        struct bw_gen_notes notes = {0};
        char *text = policy_for(FIXTURES "polyglot", home, &notes);
        assert_contains(text, "bulwark: 1\nname: polyglot\n");
        assert_contains(text, "extends: [workspace-write]\n");
        /* caches are copy-on-write roots, never writable ones: the user's own builds run what is
         * in them later, unchecked */
        assert_contains(text, "\n  cache:\n");
        assert_lacks(text, "\n  writable:");
        assert_contains(text, "    # Cargo.toml: crates and git dependencies that cargo downloads\n"
                              "    - ~/.cargo/registry\n" /* exists: no remark */
                              "    - ~/.cargo/git  # missing here: runs start it empty, in their own layer\n");
        assert_contains(text,
                        "    # web/package.json with web/pnpm-lock.yaml: the pnpm store\n    - ~/.local/share/pnpm");
        assert_contains(text, "    # requirements.txt: pip's and uv's caches\n    - ~/.cache/pip");
        assert_contains(text, "    # svc/go.mod: Go's module and build caches\n    - ~/go/pkg/mod");
        assert_contains(text, "    # App.csproj: NuGet packages\n    - ~/.nuget/packages");
        assert_lacks(text, "~/.npm");    /* a pnpm lock file: not npm */
        assert_lacks(text, "~/.m2");     /* node_modules/pom.xml: dependencies are not looked into */
        assert_lacks(text, "~/.bundle"); /* .hidden/Gemfile: hidden directories neither */
        assert_contains(text, "network: off");
        assert_int_equal(notes.n, 0);
        free(text);
        /* without a home, nothing is said about missing caches */
        text = policy_for(FIXTURES "polyglot", NULL, &notes);
        assert_lacks(text, "missing");
        free(text);
        free(made);
        bw_test_rmtree(home);
        free(home);
        bw_gen_notes_done(&notes);
}

static void test_small_repositories(void **state) {
        (void) state;
        struct bw_gen_notes notes = {0};
        /* nothing recognised: workspace-write alone, with a commented example and a note */
        char *text = policy_for(FIXTURES "none", NULL, &notes);
        assert_contains(text, "extends: [workspace-write]\n");
        assert_lacks(text, "\nfilesystem:");
        assert_contains(text, "# filesystem:\n#   cache: ");
        assert_int_equal(notes.n, 1);
        assert_contains(notes.v[0], "no toolchain file recognised");
        free(text);
        bw_gen_notes_done(&notes);
        /* package.json without a lock file: npm, the default */
        text = policy_for(FIXTURES "npm-default", NULL, &notes);
        assert_contains(text, "    # package.json: npm's cache (no lock file: npm is the default)\n    - ~/.npm\n");
        free(text);
        /* two Gradle files: each cache listed once */
        text = policy_for(FIXTURES "gradle", NULL, &notes);
        assert_int_equal(count(text, "- ~/.gradle/caches"), 1);
        assert_int_equal(count(text, "- ~/.gradle/wrapper"), 1);
        assert_contains(text, "# build.gradle.kts: Gradle's caches");
        free(text);
        assert_int_equal(bw_init_policy(FIXTURES "does-not-exist", NULL, &text, &notes), -ENOENT);
        bw_gen_notes_done(&notes);
}

/* Run the program and arguments (NULL-terminated) with stdout and stderr to out (a file); the exit
 * status. */
static int run(const char *out, const char *prog, ...) {
        char *argv[16];
        size_t n = 0;
        va_list ap;
        va_start(ap, prog);
        for (const char *a = prog; a && n + 1 < BW_ARRAY_SIZE(argv); a = va_arg(ap, const char *))
                argv[n++] = strdup(a);
        va_end(ap);
        argv[n] = NULL;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        for (size_t i = 0; i < n; i++)
                free(argv[i]);
        if (r != 0)
                fail_msg("cannot start %s: %s (is it built?)", prog, strerror(r));
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path) {
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = calloc(1, 1 << 16);
        assert_non_null(buf);
        size_t n = fread(buf, 1, (1 << 16) - 1, f);
        buf[n] = 0;
        fclose(f);
        return buf;
}

static void test_command(void **state) {
        (void) state;
        umask(022);
        char *dir = bw_test_mkdtemp();
        char ws[512], out[600], policy[600], dot[600];
        snprintf(ws, sizeof(ws), "%s/repo", dir);
        snprintf(out, sizeof(out), "%s/out.txt", dir);
        snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", ws);
        snprintf(dot, sizeof(dot), "%s/.bulwark", ws);
        assert_int_equal(mkdir(ws, 0755), 0);
        free(bw_test_write(ws, "Cargo.toml", "[package]\nname = \"x\"\n"));
        free(bw_test_write(ws, "go.mod", "module x\n"));

        /* --dry-run prints and writes nothing */
        assert_int_equal(run(out, BULWARK, "init", "--dry-run", "--workspace", ws, NULL), 0);
        char *text = slurp(out);
        assert_contains(text, "- ~/.cargo/registry");
        assert_contains(text, "# go.mod: Go's module and build caches");
        free(text);
        struct stat st;
        assert_int_equal(lstat(dot, &st), -1);

        /* init writes .bulwark (0755) and policy.yaml (0644), says what comes next */
        assert_int_equal(run(out, BULWARK, "init", "--workspace", ws, NULL), 0);
        text = slurp(out);
        assert_contains(text, "bulwark init: wrote ");
        assert_contains(text, "bulwark trust");
        assert_contains(text, "bulwark run -- CMD");
        free(text);
        assert_int_equal(lstat(dot, &st), 0);
        assert_true(S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
        assert_int_equal(lstat(policy, &st), 0);
        assert_true(S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0644);
        char *written = slurp(policy);

        /* what it wrote compiles with bulwarkc */
        int r = run(out, BULWARKC, policy, "--check", "--admin-dir", "/nonexistent", NULL);
        if (r != 0) {
                text = slurp(out);
                fail_msg("bulwarkc --check: %d\n%s", r, text);
        }

        /* and it never replaces it */
        assert_int_equal(run(out, BULWARK, "init", "--workspace", ws, NULL), 1);
        text = slurp(out);
        assert_contains(text, "exists already: init never replaces a policy");
        free(text);
        char *again = slurp(policy);
        assert_string_equal(again, written);
        free(again);
        free(written);

        /* a dangling symlink in place of the policy is not followed */
        char target[700];
        snprintf(target, sizeof(target), "%s/elsewhere.yaml", dir);
        assert_int_equal(unlink(policy), 0);
        assert_int_equal(symlink(target, policy), 0);
        assert_int_equal(run(out, BULWARK, "init", "--workspace", ws, NULL), 1);
        assert_int_equal(lstat(target, &st), -1);

        /* nor is a .bulwark that is a symlink to another directory */
        char other[600];
        snprintf(other, sizeof(other), "%s/other", dir);
        assert_int_equal(mkdir(other, 0755), 0);
        bw_test_rmtree(dot);
        assert_int_equal(symlink(other, dot), 0);
        assert_int_equal(run(out, BULWARK, "init", "--workspace", ws, NULL), 1);
        text = slurp(out);
        assert_contains(text, "not a directory");
        free(text);
        snprintf(target, sizeof(target), "%s/policy.yaml", other);
        assert_int_equal(lstat(target, &st), -1);

        /* usage errors */
        assert_int_equal(run(out, BULWARK, "init", "extra", NULL), 64);
        assert_int_equal(run(out, BULWARK, "init", "--help", NULL), 0);
        text = slurp(out);
        assert_contains(text, "Usage: bulwark init [--dry-run] [--workspace DIR]");
        free(text);
        bw_test_rmtree(dir);
        free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_polyglot),
                cmocka_unit_test(test_small_repositories),
                cmocka_unit_test(test_command),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
