/* SPDX-License-Identifier: MIT */
/* bulwark import: the TOML reader, the Codex and srt mappings (tests/fixtures/import/), and the
 * helpers both share (validation by the compiler, never replacing a file). */
#include "testutil.h"

#include "import.h"
#include "toml_min.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIXTURES BW_TEST_SOURCE_DIR "/tests/fixtures/import/"

static char *slurp(const char *path, size_t *len) {
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = malloc(1 << 20);
        assert_non_null(buf);
        *len = fread(buf, 1, (1 << 20) - 1, f);
        buf[*len] = 0;
        fclose(f);
        return buf;
}

/* Import a fixture: the return value, the policy (or NULL), notes joined by newlines, the error. */
struct outcome {
        int r;
        char *policy;
        char *notes;
        char err[512];
};

static struct outcome import(bool codex, const char *fixture, const char *profile, bool allow_network) {
        char path[512];
        snprintf(path, sizeof(path), FIXTURES "%s", fixture);
        size_t len;
        char *text = slurp(path, &len);
        struct bw_import_options o = {.name = fixture, .profile = profile, .allow_network = allow_network};
        struct bw_gen_notes notes = {0};
        struct outcome x = {0};
        x.r = codex ? bw_import_codex(text, len, &o, &x.policy, &notes, x.err, sizeof(x.err))
                    : bw_import_srt(text, len, &o, &x.policy, &notes, x.err, sizeof(x.err));
        struct bw_strbuf sb = {0};
        for (size_t i = 0; i < notes.n; i++)
                bw_sb_printf(&sb, "%s\n", notes.v[i]);
        x.notes = bw_sb_take(&sb);
        bw_gen_notes_done(&notes);
        free(text);
        if (x.r == 0) {
                /* every policy an importer makes compiles */
                char *diags = NULL;
                int v = bw_gen_validate(x.policy, &diags);
                if (v != 0)
                        fprintf(stderr, "%s\n%s", x.policy, diags ? diags : "");
                assert_int_equal(v, 0);
                free(diags);
        }
        return x;
}

static void outcome_done(struct outcome *x) {
        free(x->policy);
        free(x->notes);
}

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

/* ---- the TOML reader ---- */

static void test_toml_values(void **state) {
        (void) state;
        size_t len;
        char *text = slurp(FIXTURES "codex-workspace.toml", &len);
        struct bw_toml_value *root;
        struct bw_toml_error err;
        int r = bw_toml_parse(text, len, &root, &err);
        if (r < 0)
                fail_msg("%u:%u: %s", err.line, err.col, err.message);
        const struct bw_toml_value *sww = bw_toml_get(root, "sandbox_workspace_write");
        assert_non_null(sww);
        const struct bw_toml_value *roots = bw_toml_get(sww, "writable_roots");
        assert_int_equal(roots->type, BW_TOML_ARRAY);
        assert_int_equal(roots->n_items, 3);
        assert_string_equal(roots->items[1]->text, "~/.cache/sccache");
        assert_int_equal(roots->items[1]->line, 9);
        assert_int_equal(roots->items[1]->col, 3);
        assert_true(bw_toml_get(sww, "network_access")->boolean);
        const struct bw_toml_value *tui = bw_toml_get(root, "tui");
        assert_string_equal(bw_toml_get(tui, "motd")->text, "Multi-line text with \"quotes\" and \xc3\xa9.");
        assert_string_equal(bw_toml_get(tui, "path")->text, "C:\\Users\\literal");
        assert_int_equal(bw_toml_get(tui, "when")->type, BW_TOML_DATETIME);
        assert_int_equal(bw_toml_get(bw_toml_get(root, "history"), "max_bytes")->type, BW_TOML_INTEGER);
        const struct bw_toml_value *otel = bw_toml_get(bw_toml_get(bw_toml_get(root, "otel"), "exporter"), "otlp-http");
        assert_string_equal(bw_toml_get(otel, "protocol")->text, "binary");
        const struct bw_toml_value *docs = bw_toml_get(bw_toml_get(root, "mcp_servers"), "docs");
        assert_string_equal(bw_toml_get(bw_toml_get(docs, "env"), "API_KEY")->text, "value");
        assert_int_equal(bw_toml_get(docs, "tool_timeout_sec")->type, BW_TOML_FLOAT);
        assert_non_null(bw_toml_get(bw_toml_get(root, "projects"), "/home/ann/repo"));
        bw_toml_free(root);
        free(text);

        /* arrays of tables, dotted keys, literal multi-line strings, CRLF */
        const char *more =
                "a.b.c = 1\r\n[[srv]]\nname = 'x'\n[[srv]]\nname = '''\nline\nnext'''\n[srv.sub]\nk = true\n";
        assert_int_equal(bw_toml_parse(more, strlen(more), &root, &err), 0);
        const struct bw_toml_value *srv = bw_toml_get(root, "srv");
        assert_int_equal(srv->n_items, 2);
        assert_string_equal(bw_toml_get(srv->items[1], "name")->text, "line\nnext");
        assert_true(bw_toml_get(bw_toml_get(srv->items[1], "sub"), "k")->boolean);
        assert_non_null(bw_toml_get(bw_toml_get(bw_toml_get(root, "a"), "b"), "c"));
        bw_toml_free(root);
}

static void test_toml_errors(void **state) {
        (void) state;
        static const struct {
                const char *text;
                unsigned line, col;
                const char *message;
        } cases[] = {
                {"a = 1\na = 2\n", 2, 1, "duplicate key 'a'"},
                {"[t]\nx = 1\n[t]\n", 3, 1, "table [t] is defined twice"},
                {"t = {a = 1}\n[t.b]\n", 2, 1, "inline table"},
                {"[a]\nb.c = 1\n[a.b]\n", 3, 1, "defined twice"},
                {"[[a]]\n[a]\n", 2, 1, "already defined as an array"},
                {"x = 1\n[x]\n", 2, 1, "already defined as an integer"},
                {"s = \"bad \\q\"\n", 1, 10, "unknown escape sequence \\q"},
                {"s = \"\\u00\"\n", 1, 6, "needs 4 hexadecimal digits"},
                {"s = \"\\u0000\"\n", 1, 6, "NUL"},
                {"s = \"open\n", 1, 5, "unterminated string"},
                {"s = 'a\x01'\n", 1, 7, "control character 0x01"},
                {"# c\x7f\n", 1, 4, "control character 0x7f in a comment"},
                {"x = [1, 2\n", 2, 1, "unterminated array"},
                {"x = [1 2]\n", 1, 8, "expected ',' or ']'"},
                {"x = {a = 1,}\n", 1, 12, "trailing comma"},
                {"x = {a = 1\n}\n", 1, 11, "inline table is one line"},
                {"x = nope\n", 1, 5, "'nope' is not a TOML value"},
                {"x = 0123\n", 1, 5, "not a TOML value"},
                {"x = 1__0\n", 1, 5, "not a TOML value"},
                {"x = 1 y = 2\n", 1, 7, "expected the end of the line"},
                {"x\n", 1, 2, "expected '=' after the key 'x'"},
                {"= 1\n", 1, 1, "expected a key"},
                {"x =\n", 1, 4, "expected a value"},
                {"[a\n", 1, 3, "expected ']' to close"},
                {"k = \"\xff\"\n", 1, 6, "invalid UTF-8"},
                {"\"\"\"k\"\"\" = 1\n", 1, 1, "multi-line"},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(cases); i++) {
                struct bw_toml_value *root = NULL;
                struct bw_toml_error err;
                int r = bw_toml_parse(cases[i].text, strlen(cases[i].text), &root, &err);
                if (r != -EINVAL || err.line != cases[i].line || err.col != cases[i].col ||
                    !strstr(err.message, cases[i].message))
                        fail_msg("case %zu: got %d %u:%u: %s; want %u:%u: %s", i, r, err.line, err.col, err.message,
                                 cases[i].line, cases[i].col, cases[i].message);
                assert_null(root);
        }
        /* nesting is bounded */
        char deep[200] = "x = ";
        for (int i = 0; i < 40; i++)
                strcat(deep, "[");
        struct bw_toml_value *root;
        struct bw_toml_error err;
        assert_int_equal(bw_toml_parse(deep, strlen(deep), &root, &err), -EINVAL);
        assert_non_null(strstr(err.message, "nested deeper"));
}

/* ---- codex ---- */

static void test_codex_workspace_write(void **state) {
        (void) state;
        struct outcome x = import(true, "codex-workspace.toml", NULL, false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "extends: [workspace-write]");
        assert_contains(x.policy, "    - \"/opt/shims\"   # writable_roots, line 8\n");
        assert_contains(x.policy, "    - \"~/.cache/sccache\"");
        assert_contains(x.policy, "    - \"/srv/$$cache\""); /* a literal $, trailing slash dropped */
        assert_contains(x.policy, "network: on");
        assert_contains(x.notes, "approval_policy has no counterpart");
        assert_contains(x.notes, "shell_environment_policy is not imported");
        outcome_done(&x);
}

static void test_codex_profiles(void **state) {
        (void) state;
        /* the file's `profile` picks review: read-only; [sandbox_workspace_write] not used */
        struct outcome x = import(true, "codex-profiles.toml", NULL, false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "name: codex-review\nextends: [read-only]");
        assert_lacks(x.policy, "filesystem:");
        assert_contains(x.notes, "applies to workspace-write only");
        outcome_done(&x);
        /* a profile without sandbox_mode keeps the top-level one; both temporary directories excluded */
        x = import(true, "codex-profiles.toml", "plain", false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "extends: [read-only]");
        assert_contains(x.policy, "    - \"${workspace}\"");
        assert_contains(x.policy, "    - \"/data/out\"");
        assert_contains(x.policy, "network: off");
        outcome_done(&x);
        /* danger-full-access has no counterpart: workspace-write, offline, said so */
        x = import(true, "codex-profiles.toml", "yolo", false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "extends: [workspace-write]");
        assert_contains(x.policy, "network: off");
        assert_lacks(x.policy, "/data/out");
        assert_contains(x.notes, "danger-full-access");
        outcome_done(&x);
        x = import(true, "codex-profiles.toml", "nope", false);
        assert_int_equal(x.r, -EINVAL);
        assert_string_equal(x.err, "codex-profiles.toml: no profile 'nope' ([profiles.nope]) in this file");
        outcome_done(&x);
}

static void test_codex_refused(void **state) {
        (void) state;
        static const struct {
                const char *fixture, *err;
        } cases[] = {
                {"codex-unknown-mode.toml", "codex-unknown-mode.toml:2:16: unknown sandbox_mode \"full-auto\""},
                {"codex-relative-root.toml", "codex-relative-root.toml:3:26: writable root \"build/out\" is relative"},
                {"codex-wrong-type.toml",
                 "codex-wrong-type.toml:3:18: sandbox_workspace_write.network_access must be a boolean, not a string"},
                {"codex-bad-string.toml", "codex-bad-string.toml:2:16: unterminated string"},
                {"codex-dup-key.toml", "codex-dup-key.toml:2:1: duplicate key 'sandbox_mode'"},
                {"codex-table-twice.toml",
                 "codex-table-twice.toml:6:1: table [sandbox_workspace_write] is defined twice"},
                {"codex-missing-profile.toml", "codex-missing-profile.toml:2:11: no profile 'missing'"},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(cases); i++) {
                struct outcome x = import(true, cases[i].fixture, NULL, false);
                assert_int_equal(x.r, -EINVAL);
                assert_null(x.policy);
                if (strncmp(x.err, cases[i].err, strlen(cases[i].err)) != 0)
                        fail_msg("%s: got \"%s\"", cases[i].fixture, x.err);
                outcome_done(&x);
        }
        /* no sandbox_mode at all: Codex's default, read-only */
        const char *empty = "model = \"o3\"\n";
        struct bw_import_options o = {.name = "x.toml"};
        struct bw_gen_notes notes = {0};
        char *policy = NULL, err[256];
        assert_int_equal(bw_import_codex(empty, strlen(empty), &o, &policy, &notes, err, sizeof(err)), 0);
        assert_non_null(strstr(policy, "extends: [read-only]"));
        assert_int_equal(notes.n, 1);
        assert_non_null(strstr(notes.v[0], "default is read-only"));
        free(policy);
        bw_gen_notes_done(&notes);
}

/* ---- srt ---- */

static void test_srt_basic(void **state) {
        (void) state;
        struct outcome x = import(false, "srt-basic.json", NULL, false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "extends: [workspace-write]");
        assert_contains(x.policy, "    - \"~/.npm\"");
        assert_contains(x.policy, "    - \"/srv/$$data\"");
        assert_lacks(x.policy, "\"${workspace}\""); /* "." is workspace-write's own */
        assert_lacks(x.policy, "\"${tmpdir}\"");
        assert_contains(x.policy, "  read_only:\n    - \"${workspace}/deploy\"");
        assert_contains(x.policy, "    - glob: \"${workspace}/**/.env*\"");
        assert_contains(x.policy, "    - \"~/secrets\""); /* a trailing slash-star-star is the directory */
        assert_contains(x.policy, "    - glob: \"${workspace}/**/*.pem\"");
        assert_contains(x.policy, "network: off");
        assert_contains(x.notes, "/tmp maps to ${tmpdir}");
        outcome_done(&x);
}

static void test_srt_domains(void **state) {
        (void) state;
        /* some domains allowed: off by default, with a note naming them */
        struct outcome x = import(false, "srt-domains.json", NULL, false);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "extends: [read-only]");
        assert_contains(x.policy, "network: off");
        assert_contains(x.policy, "    - \"~/out\"");
        assert_contains(x.policy, "  readable:\n    - \"~/.ssh/known_hosts\"");
        assert_contains(x.notes, "github.com, *.npmjs.org, pypi.org:443: bulwark has no per-domain network rules yet");
        assert_contains(x.notes, "--allow-network");
        assert_contains(x.notes, "deniedDomains (1): moot");
        assert_contains(x.notes, "\"src/**/gen\" is a glob");
        assert_contains(x.notes, "\"../elsewhere\" climbs out");
        assert_contains(x.notes, "\"~bob/x\" starts with ~NAME");
        assert_contains(x.notes, "allowGitConfig");
        assert_contains(x.notes, "credentials: not imported");
        assert_contains(x.notes, "mandatoryDenySearchDepth: not imported");
        assert_contains(x.notes, "network.allowLocalBinding");
        assert_lacks(x.notes, "allowAllUnixSockets"); /* false: nothing asked for */
        outcome_done(&x);
        /* --allow-network: on, and the denied domains cannot be enforced */
        x = import(false, "srt-domains.json", NULL, true);
        assert_int_equal(x.r, 0);
        assert_contains(x.policy, "network: on");
        assert_contains(x.notes, "deniedDomains (1): cannot be enforced");
        outcome_done(&x);
}

static void test_srt_refused(void **state) {
        (void) state;
        static const struct {
                const char *fixture, *err;
        } cases[] = {
                {"srt-bad-syntax.json", "srt-bad-syntax.json:3:24: "},
                {"srt-wrong-type.json",
                 "srt-wrong-type.json: filesystem.allowWrite must be an array of strings, not a string"},
                {"srt-dup-key.json", "srt-dup-key.json:1:"},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(cases); i++) {
                struct outcome x = import(false, cases[i].fixture, NULL, false);
                assert_int_equal(x.r, -EINVAL);
                if (strncmp(x.err, cases[i].err, strlen(cases[i].err)) != 0)
                        fail_msg("%s: got \"%s\"", cases[i].fixture, x.err);
                outcome_done(&x);
        }
        const char *arr = "[1, 2]";
        struct bw_import_options o = {.name = "a.json"};
        struct bw_gen_notes notes = {0};
        char *policy = NULL, err[256];
        assert_int_equal(bw_import_srt(arr, strlen(arr), &o, &policy, &notes, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "a.json: the settings must be a JSON object, not an array");
        bw_gen_notes_done(&notes);
}

/* ---- shared helpers ---- */

static void test_write_new_never_replaces(void **state) {
        (void) state;
        umask(022);
        char *dir = bw_test_mkdtemp();
        char path[512], target[512], link[512];
        snprintf(path, sizeof(path), "%s/out.yaml", dir);
        snprintf(target, sizeof(target), "%s/target", dir);
        snprintf(link, sizeof(link), "%s/link.yaml", dir);
        assert_int_equal(bw_gen_write_new(-1, path, "one\n"), 0);
        assert_int_equal(bw_gen_write_new(-1, path, "two\n"), -EEXIST);
        size_t len;
        char *text = slurp(path, &len);
        assert_string_equal(text, "one\n");
        free(text);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
        /* a symlink, dangling or not, is neither followed nor replaced */
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(bw_gen_write_new(-1, link, "x\n"), -EEXIST);
        assert_int_equal(lstat(target, &st), -1);
        /* paths: what a policy can name */
        assert_null(bw_gen_path_problem("/a"));
        assert_null(bw_gen_path_problem("~"));
        assert_null(bw_gen_path_problem("~/x"));
        assert_non_null(bw_gen_path_problem("x"));
        assert_non_null(bw_gen_path_problem("~bob"));
        assert_non_null(bw_gen_path_problem(""));
        assert_non_null(bw_gen_path_problem("/a\nb"));
        char *lit = bw_gen_literal_path("/a$b/");
        assert_string_equal(lit, "/a$$b");
        free(lit);
        /* validation reports the compiler's diagnostics */
        char *diags = NULL;
        assert_int_equal(bw_gen_validate("bulwark: 1\nfilesystem:\n  writable: [relative]\n", &diags), -EINVAL);
        assert_non_null(diags);
        assert_non_null(strstr(diags, "3:14: error"));
        free(diags);
        bw_test_rmtree(dir);
        free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_toml_values),
                cmocka_unit_test(test_toml_errors),
                cmocka_unit_test(test_codex_workspace_write),
                cmocka_unit_test(test_codex_profiles),
                cmocka_unit_test(test_codex_refused),
                cmocka_unit_test(test_srt_basic),
                cmocka_unit_test(test_srt_domains),
                cmocka_unit_test(test_srt_refused),
                cmocka_unit_test(test_write_new_never_replaces),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
