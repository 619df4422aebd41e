/* SPDX-License-Identifier: MIT */
/* The runner's tree guard and git config reader (enforcer/runner/tree_guard.c, gitconfig.c): the
 * parser on good and hostile configs, the sanitizer's allow-list, and a walk over a real tree in a
 * temporary directory (before the run: what is protected; after it: what is neutralised). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "../../enforcer/runner/gitconfig.c"
#include "../../enforcer/runner/tree_guard.c"

#include <ftw.h>
#include <sys/wait.h>
#include <stdio.h>

/* ---- git config ---- */

struct seen {
        char text[2048];
        int n;
};

static int collect(const struct bw_gitconfig_entry *e, void *ud) {
        struct seen *s = ud;
        size_t len = strlen(s->text);
        snprintf(s->text + len, sizeof(s->text) - len, "%s|%s|%s|%s\n", e->section, e->subsection ? e->subsection : "-",
                 e->key, e->value ? e->value : "(none)");
        s->n++;
        return 0;
}

static int parse(const char *text, struct seen *s) {
        *s = (struct seen){0};
        return bw_gitconfig_parse(text, strlen(text), collect, s);
}

static void test_parse_forms(void **state) {
        (void) state;
        struct seen s;
        assert_int_equal(parse("\xef\xbb\xbf# comment\n[Core]\n\tFileMode = true ; trailing\n\tbare\n"
                               "[remote \"ori\\\"gin\"] url = \"a b\\tc\" # x\n"
                               "[branch.Main]\nmerge = refs/heads/\\\nmain\n",
                               &s),
                         0);
        assert_string_equal(s.text, "core|-|filemode|true\n"
                                    "core|-|bare|(none)\n"
                                    "remote|ori\"gin|url|a b\tc\n"
                                    "branch|main|merge|refs/heads/main\n");
}

static void test_parse_hostile(void **state) {
        (void) state;
        struct seen s;
        static const char *const bad[] = {
                "key = value\n",              /* no section */
                "[core\n",                    /* unterminated header */
                "[core \"sub]\n",             /* unterminated subsection */
                "[core]\n\tkey = \"open\n",   /* newline in quotes */
                "[core]\n\tkey = a\\qb\n",    /* unknown escape */
                "[core]\n\t9key = x\n",       /* a key starts with a letter */
                "[]\n",                       /* empty section name */
                "[core]\n\tkey = trailing\\", /* backslash at the end */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(parse(bad[i], &s), -EINVAL);
        char nul[] = "[core]\n\tx = a\0b\n";
        assert_int_equal(bw_gitconfig_parse(nul, sizeof(nul) - 1, collect, &s), -EINVAL);
}

static void test_references(void **state) {
        (void) state;
        struct bw_gitconfig_entry e = {"core", NULL, "fsmonitor", "./hook"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_COMMAND);
        e = (struct bw_gitconfig_entry){"include", NULL, "path", "x"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_PATH);
        e = (struct bw_gitconfig_entry){"includeif", "gitdir:/w/", "path", "x"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_PATH);
        e = (struct bw_gitconfig_entry){"core", NULL, "hookspath", ".husky"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_PATH);
        e = (struct bw_gitconfig_entry){"filter", "lfs", "process", "git-lfs filter-process"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_COMMAND);
        e = (struct bw_gitconfig_entry){"alias", NULL, "st", "status"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_NONE);
        e = (struct bw_gitconfig_entry){"alias", NULL, "x", "!./run"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_COMMAND);
        e = (struct bw_gitconfig_entry){"user", NULL, "name", "ann"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_NONE);
        /* commands git runs on fetch, signing, trailers, config-based hooks; files it copies hooks from */
        static const struct bw_gitconfig_entry more[] = {{"remote", "origin", "uploadpack", "./up"},
                                                         {"gpg", "ssh", "defaultkeycommand", "./key"},
                                                         {"trailer", "sign", "command", "./sign"},
                                                         {"hook", "lint", "command", "./lint"},
                                                         {"mergetool", "x", "path", "./tool"}};
        for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
                assert_int_equal(bw_gitconfig_reference(&more[i]), BW_GITREF_COMMAND);
        e = (struct bw_gitconfig_entry){"init", NULL, "templatedir", "~/ws/tmpl"};
        assert_int_equal(bw_gitconfig_reference(&e), BW_GITREF_PATH);
        char prog[64];
        assert_true(command_program("!\"./tools/a b\" --x", prog, sizeof(prog)));
        assert_string_equal(prog, "./tools/a b");
        assert_false(command_program("less -R", prog, sizeof(prog)));
}

static void test_sanitize(void **state) {
        (void) state;
        const char *cfg = "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = /tmp/evil\n\thooksPath = .h\n"
                          "[remote \"origin\"]\n\turl = https://x/y\n[filter \"z\"]\n\tsmudge = sh -c evil\n"
                          "[user]\n\tname = \"a\\\"b\"\n[include]\n\tpath = ../other\n";
        char *dropped = NULL;
        char *out = bw_gitconfig_sanitize(cfg, strlen(cfg), &dropped);
        assert_string_equal(dropped, "core.fsmonitor, core.hookspath, filter.z.smudge, include.path");
        assert_null(strstr(out, "evil"));
        assert_non_null(strstr(out, "[remote \"origin\"]\n\turl = \"https://x/y\"\n"));
        assert_non_null(strstr(out, "\tname = \"a\\\"b\"\n"));
        /* what it wrote parses, and has nothing but safe keys */
        struct seen s;
        assert_int_equal(parse(out, &s), 0);
        assert_null(strstr(s.text, "fsmonitor"));
        free(out);
        free(dropped);
        out = bw_gitconfig_sanitize("[core\n", 6, &dropped);
        assert_string_equal(dropped, "(unparseable config)");
        assert_non_null(strstr(out, "[core]\n\trepositoryformatversion = 0\n"));
        free(out);
        free(dropped);
}

/* ---- the walk ---- */

static char root[64];

static void put(const char *rel, const char *text) {
        char p[PATH_MAX + 128];
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        for (char *c = p + strlen(root) + 1; (c = strchr(c, '/')); c++) {
                *c = 0;
                mkdir(p, 0755);
                *c = '/';
        }
        if (text) {
                FILE *f = fopen(p, "w");
                assert_non_null(f);
                fputs(text, f);
                fclose(f);
        } else
                mkdir(p, 0755);
}

static bool exists(const char *rel) {
        char p[PATH_MAX + 128];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        return lstat(p, &st) == 0;
}

struct found {
        char list[4096];
};

static void found(void *ud, const char *path, enum bw_guard_action action) {
        struct found *f = ud;
        size_t n = strlen(f->list);
        snprintf(f->list + n, sizeof(f->list) - n, "%s %s\n", action == BW_GUARD_HIDE ? "hide" : "ro",
                 path + strlen(root));
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st, (void) flag, (void) ftw;
        return remove(p);
}

static struct bw_guard *guard_for_tree(void) {
        struct bw_guard *g = bw_guard_new((uid_t) -1, "/nonexistent-home");
        const char *err = NULL;
        bw_guard_add_root(g, root);
        assert_int_equal(bw_guard_add_pattern(g, "**/.git", BW_MATCH_GLOB, BW_GUARD_READ_ONLY,
                                              BW_GUARD_PROTECTED | BW_GUARD_IGNORE_CASE, &err),
                         0);
        assert_int_equal(bw_guard_add_pattern(g, "**/.claude", BW_MATCH_GLOB, BW_GUARD_READ_ONLY,
                                              BW_GUARD_PROTECTED | BW_GUARD_IGNORE_CASE, &err),
                         0);
        char glob[128];
        snprintf(glob, sizeof(glob), "%s/**/.env*", root);
        assert_int_equal(bw_guard_add_pattern(g, glob, BW_MATCH_GLOB, BW_GUARD_READ_ONLY, 0, &err), 0);
        snprintf(glob, sizeof(glob), "%s/**/*.pem", root);
        assert_int_equal(bw_guard_add_pattern(g, glob, BW_MATCH_GLOB, BW_GUARD_HIDE, 0, &err), 0);
        char deploy[128];
        snprintf(deploy, sizeof(deploy), "%s/deploy", root);
        bw_guard_add_literal(g, deploy);
        return g;
}

static void test_walk(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put(".git/config", "[core]\n\thooksPath = .husky\n\tfsmonitor = ./tools/fsmon\n");
        put(".husky/pre-commit", "#!/bin/sh\n");
        put("tools/fsmon", "#!/bin/sh\n");
        put("a/b/.env.local", "X=1\n");
        put("a/b/c.pem", "key\n");
        put("vendor/lib/.git", "gitdir: ../../mods/lib\n");
        put("mods/lib/config", "[include]\n\tpath = ../../shared.gitconfig\n");
        put("shared.gitconfig", "[user]\n\tname = x\n");
        put("src/main.c", "int main;\n");
        put("scripts/hook.sh", "#!/bin/sh\n");
        put(".git/hooks/post-checkout", NULL);
        char lp[256];
        snprintf(lp, sizeof(lp), "%s/.git/hooks/post-checkout", root);
        rmdir(lp);
        assert_int_equal(symlink("../../scripts/hook.sh", lp), 0); /* a hook shared by a symlink */
        put("linked/real-gitdir/config", "[core]\n\tpager = ./tools/pager\n");
        put("tools/pager", "#!/bin/sh\n");
        snprintf(lp, sizeof(lp), "%s/linked/.git", root);
        assert_int_equal(symlink("real-gitdir", lp), 0); /* .git itself a symlink */

        struct bw_guard *g = guard_for_tree();
        struct found f = {{0}};
        char msg[256];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        static const char *const want[] = {
                "ro /.git\n",     "ro /a/b/.env.local\n",   "hide /a/b/c.pem\n", "ro /vendor/lib/.git\n",
                "ro /mods/lib\n", "ro /shared.gitconfig\n", "ro /.husky\n",      "ro /tools/fsmon\n"};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(f.list, want[i]))
                        fail_msg("not protected: %s(protected: %s)", want[i], f.list);
        assert_null(strstr(f.list, "main.c"));

        /* what a command could leave behind */
        put("src/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        put("src/.git/hooks/post-checkout", "evil\n");
        put("web/.claude/settings.json", "{}\n");
        put("deploy", "evil\n");
        put("a/b/.env.new", "Y=2\n");
        put("x/.git", "gitdir: /tmp\n");
        put("locked/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        char lk[256];
        snprintf(lk, sizeof(lk), "%s/locked", root);
        assert_int_equal(chmod(lk, 0), 0); /* hidden from a check that would not look harder */
        char deep[4096];
        int dn = snprintf(deep, sizeof(deep), "%s", "deep");
        for (int i = 0; i < MAX_DEPTH + 2; i++)
                dn += snprintf(deep + dn, sizeof(deep) - (size_t) dn, "/d");
        snprintf(deep + dn, sizeof(deep) - (size_t) dn, "/.git/config");
        put(deep, "[core]\n\tfsmonitor = /tmp/evil\n");
        FILE *devnull = fopen("/dev/null", "w");
        unsigned n = bw_guard_after_run(g, devnull);
        fclose(devnull);
        assert_int_equal(n, 7);
        assert_true(exists("locked/.git/config.bulwark-quarantine"));
        assert_false(exists(deep)); /* the part deeper than any check is moved aside */
        assert_true(exists("src/.git/config.bulwark-quarantine"));
        assert_true(exists("src/.git/hooks.bulwark-quarantine"));
        assert_false(exists("src/.git/hooks"));
        assert_true(exists("web/.claude.bulwark-quarantine"));
        assert_true(exists("deploy.bulwark-quarantine"));
        assert_true(exists("a/b/.env.new.bulwark-quarantine"));
        assert_true(exists("x/.git.bulwark-quarantine"));
        assert_true(exists("a/b/.env.local")); /* protected before: left alone */
        char p[256];
        snprintf(p, sizeof(p), "%s/src/.git/config", root);
        FILE *c = fopen(p, "r");
        assert_non_null(c);
        char text[1024] = {0};
        assert_true(fread(text, 1, sizeof(text) - 1, c) > 0);
        fclose(c);
        assert_null(strstr(text, "evil"));
        bw_guard_free(g);

        /* a second guard with the index of the first: the same objects, nothing read again */
        char idx[128];
        snprintf(idx, sizeof(idx), "%s-index", root);
        mkdir(idx, 0700);
        /* directories changed within the racy margin of a scan are read again every time: let them age */
        usleep((useconds_t) (RACY_MARGIN_NS / 1000) + 50000);
        for (int round = 0; round < 2; round++) {
                g = guard_for_tree();
                bw_guard_set_index_dir(g, idx);
                struct found f2 = {{0}};
                assert_int_equal(bw_guard_scan(g, found, &f2, msg, sizeof(msg)), 0);
                unsigned dirs, hits, repos, checked;
                bool indexed;
                bw_guard_stats(g, &dirs, &hits, &repos, &checked, &indexed);
                assert_int_equal(indexed, round == 1);
                if (round == 1)
                        assert_int_equal(dirs, 0);
                assert_non_null(strstr(f2.list, "ro /a/b/.env.local\n"));
                assert_non_null(strstr(f2.list, "ro /src/.git\n"));
                bw_guard_free(g);
        }
        /* a runner killed before its check: the next scan does it from the snapshot left behind */
        g = guard_for_tree();
        bw_guard_set_index_dir(g, idx);
        struct found f3 = {{0}};
        assert_int_equal(bw_guard_scan(g, found, &f3, msg, sizeof(msg)), 0);
        assert_non_null(g->pending_path);
        char dead[300];
        snprintf(dead, sizeof(dead), "%s", g->pending_path);
        *strrchr(dead, '.') = 0;
        strcat(dead, ".999999999");
        assert_int_equal(rename(g->pending_path, dead), 0);
        bw_guard_free(g); /* no check after the run: killed */
        put("late/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        /* one of another uid (a sandbox user's, elevated) is the dead run's for sure */
        put("late2/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        bool as_root = geteuid() == 0;
        if (as_root) {
                char l2[PATH_MAX + 128];
                snprintf(l2, sizeof(l2), "%s/late2/.git", root);
                assert_int_equal(chown(l2, 4242, 4242), 0);
        }
        g = guard_for_tree();
        bw_guard_set_index_dir(g, idx);
        FILE *devnull2 = fopen("/dev/null", "w");
        g->report = devnull2;
        struct found f4 = {{0}};
        assert_int_equal(bw_guard_scan(g, found, &f4, msg, sizeof(msg)), 0);
        fclose(devnull2);
        g->report = NULL;
        /* yours: named, not changed (it may be a repository you cloned since) */
        assert_false(exists("late/.git/config.bulwark-quarantine"));
        if (as_root)
                assert_true(exists("late2/.git/config.bulwark-quarantine"));
        struct stat st;
        assert_int_equal(lstat(dead, &st), -1); /* done with it */
        bw_guard_after_run(g, NULL);
        bw_guard_free(g);
        nftw(idx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Repositories without a .git name: a bare one that was there is read-only whole (with what its
 * config names), one the run made (HEAD with objects, refs or commondir) loses its HEAD; also with
 * the index, and after the run for a directory that could not be read before it. */
static void test_gitdir(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put("mirror.git/HEAD", "ref: refs/heads/main\n");
        put("mirror.git/objects/info", NULL);
        put("mirror.git/refs/heads", NULL);
        put("mirror.git/config", "[core]\n\tbare = true\n\tpager = ./pager.sh\n");
        put("mirror.git/pager.sh", "#!/bin/sh\n");
        put("mirror.git/info/.env", "X=1\n"); /* inside: covered by the repository's bind */
        put("tools/HEAD", "not a repository: HEAD alone\n");
        put("src/main.c", "int main;\n");
        char idx[128];
        snprintf(idx, sizeof(idx), "%s-index", root);
        mkdir(idx, 0700);
        for (int round = 0; round < 2; round++) {
                struct bw_guard *g = guard_for_tree();
                bw_guard_set_index_dir(g, idx);
                struct found f = {{0}};
                char msg[256];
                assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
                assert_non_null(strstr(f.list, "ro /mirror.git\n"));
                assert_null(strstr(f.list, "ro /mirror.git/info"));           /* inside the repository's bind */
                assert_non_null(strstr(f.list, "ro /mirror.git/pager.sh\n")); /* what its config names */
                assert_null(strstr(f.list, "/tools"));
                assert_int_equal(g->gitdirs.n, 1);
                if (round == 0) {
                        /* what a command could leave behind: src made a bare repository, a new
                         * directory with HEAD and commondir, HEAD added beside tools' refs */
                        put("src/HEAD", "ref: refs/heads/main\n");
                        put("src/objects", NULL);
                        put("src/refs", NULL);
                        put("src/config", "[core]\n\tpager = /tmp/evil\n");
                        put("new/wt/HEAD", "ref: refs/heads/main\n");
                        put("new/wt/commondir", "../../src\n");
                        put("tools/refs", NULL);
                        FILE *devnull = fopen("/dev/null", "w");
                        assert_int_equal(bw_guard_after_run(g, devnull), 3);
                        fclose(devnull);
                        assert_true(exists("src/HEAD.bulwark-quarantine"));
                        assert_false(exists("src/HEAD"));
                        assert_true(exists("src/config")); /* the project's own names are left alone */
                        assert_true(exists("new/wt/HEAD.bulwark-quarantine"));
                        assert_true(exists("tools/HEAD.bulwark-quarantine"));
                        assert_true(exists("mirror.git/HEAD"));
                        /* let the directories age past the racy margin: the index is used next */
                        usleep((useconds_t) (RACY_MARGIN_NS / 1000) + 50000);
                } else {
                        unsigned dirs, hits, repos, checked;
                        bool indexed;
                        bw_guard_stats(g, &dirs, &hits, &repos, &checked, &indexed);
                        assert_true(indexed);
                }
                bw_guard_free(g);
        }
        nftw(idx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* One scan with the index of the ones before (the directories aged past the racy margin first):
 * what it protected, and whether it read repo's git files or took them as quiet from the index. */
static void quiet_scan(const char *idx, struct found *f, unsigned *read, unsigned *reused) {
        usleep((useconds_t) (RACY_MARGIN_NS / 1000) + 50000);
        struct bw_guard *g = guard_for_tree();
        bw_guard_set_index_dir(g, idx);
        *f = (struct found){{0}};
        char msg[256];
        assert_int_equal(bw_guard_scan(g, found, f, msg, sizeof(msg)), 0);
        *read = g->repos_read;
        *reused = g->quiet_reused;
        bw_guard_after_run(g, NULL);
        bw_guard_free(g);
}

/* Appended in place (the same inode, .git's entries unchanged), its modification time then set
 * back to what it was: only its change time tells. */
static void append_in_place(const char *rel, const char *text) {
        char p[PATH_MAX + 128];
        struct stat st;
        snprintf(p, sizeof(p), "%s/%s", root, rel);
        assert_int_equal(stat(p, &st), 0);
        FILE *f = fopen(p, "a");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
}

/*
 * A repository whose git files name nothing is kept as quiet in the index, and not read again
 * while .git, its config and its hooks directory are the same (repo_refs_cached). Anything that
 * changes what git would read makes the next scan read it again: a path added to config in place
 * (its modification time set back), a hook added, a commondir added, the user's global config
 * naming a relative hooks directory. A test that fails if the guard trusted a changed repository.
 */
static void test_quiet_repos(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put("app/.git/config", "[core]\n\trepositoryformatversion = 0\n\tbare = false\n");
        put("app/.git/HEAD", "ref: refs/heads/main\n");
        put("app/.git/hooks/pre-commit.sample", "#!/bin/sh\nexec ./tools/sample.sh\n");
        put("app/tools/fsmon.sh", "#!/bin/sh\n");
        put("app/tools/check.sh", "#!/bin/sh\n");
        put("app/tools/hooks/post-merge", "#!/bin/sh\n");
        put("shared/config", "[core]\n\tpager = ./tools/pager.sh\n");
        put("app/tools/pager.sh", "#!/bin/sh\n");
        char idx[128];
        snprintf(idx, sizeof(idx), "%s-index", root);
        mkdir(idx, 0700);
        struct found f;
        unsigned read, reused;
        /* changed within the racy margin of the scan (a second change in the same clock tick would
         * not move the change time): read, not kept */
        struct bw_guard *g = guard_for_tree();
        bw_guard_set_index_dir(g, idx);
        char msg[256];
        f = (struct found){{0}};
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        assert_int_equal(g->repos_read, 1);
        assert_int_equal(g->now.n_quiet, 0);
        bw_guard_after_run(g, NULL);
        bw_guard_free(g);
        /* the first scan reads it (and its samples are not hooks); the second takes it from the index */
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(read, 1);
        assert_null(strstr(f.list, "/app/tools"));
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(read, 0);
        assert_int_equal(reused, 1);
        assert_non_null(strstr(f.list, "ro /app/.git\n"));

        /* config names a program: written in place, its modification time set back */
        append_in_place("app/.git/config", "\tfsmonitor = ./tools/fsmon.sh\n");
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(read, 1);
        if (!strstr(f.list, "ro /app/tools/fsmon.sh\n"))
                fail_msg("a config changed in place was taken as quiet (protected: %s)", f.list);
        /* back to nothing named: quiet again, then a hook of its own */
        put("app/.git/config", "[core]\n\tbare = false\n");
        quiet_scan(idx, &f, &read, &reused);
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(reused, 1);
        put("app/.git/hooks/pre-commit", "#!/bin/sh\nexec ./tools/check.sh\n");
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(read, 1);
        if (!strstr(f.list, "ro /app/tools/check.sh\n"))
                fail_msg("a hook added was not read (protected: %s)", f.list);
        char p[PATH_MAX + 128];
        snprintf(p, sizeof(p), "%s/app/.git/hooks/pre-commit", root);
        assert_int_equal(unlink(p), 0);
        quiet_scan(idx, &f, &read, &reused);
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(reused, 1);
        /* a commondir: git reads the config there */
        char common[PATH_MAX + 128];
        snprintf(common, sizeof(common), "%s/shared\n", root);
        put("app/.git/commondir", common);
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(read, 1);
        if (!strstr(f.list, "ro /app/tools/pager.sh\n"))
                fail_msg("a commondir added was not read (protected: %s)", f.list);
        snprintf(p, sizeof(p), "%s/app/.git/commondir", root);
        assert_int_equal(unlink(p), 0);
        quiet_scan(idx, &f, &read, &reused);
        quiet_scan(idx, &f, &read, &reused);
        assert_int_equal(reused, 1);
        /* the user's global config names a relative hooks directory: read at every repository's top */
        char home[256];
        snprintf(home, sizeof(home), "%s-home", root);
        mkdir(home, 0700);
        snprintf(p, sizeof(p), "%s/.gitconfig", home);
        FILE *gc = fopen(p, "w");
        assert_non_null(gc);
        fputs("[core]\n\thooksPath = tools/hooks\n", gc);
        fclose(gc);
        usleep((useconds_t) (RACY_MARGIN_NS / 1000) + 50000);
        g = guard_for_tree();
        free(g->home);
        g->home = strdup(home);
        bw_guard_set_index_dir(g, idx);
        f = (struct found){{0}};
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        assert_int_equal(g->quiet_reused, 0);
        if (!strstr(f.list, "ro /app/tools/hooks\n"))
                fail_msg("a global hooksPath did not reach a quiet repository (protected: %s)", f.list);
        bw_guard_after_run(g, NULL);
        bw_guard_free(g);
        unlink(p);
        rmdir(home);
        nftw(idx, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A directory that could not be read before the run was never seen: after the run, what is in it
 * counts as the run's, whatever its change times (made by an earlier run that hid it). Run as
 * nobody when the test is root (root reads a mode 000 directory); plain checks (a child process):
 * the line of the first that failed, or 0. */
static int opaque_dir_case(void) {
        put("blind/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        char blind[128];
        snprintf(blind, sizeof(blind), "%s/blind", root);
        usleep((useconds_t) (RACY_MARGIN_NS / 1000) * 3); /* older than the next scan, as an earlier run's */
        if (chmod(blind, 0) < 0)
                return __LINE__;
        struct bw_guard *g = guard_for_tree();
        struct found f = {{0}};
        char msg[256];
        if (bw_guard_scan(g, found, &f, msg, sizeof(msg)) != 0 || strstr(f.list, "blind"))
                return __LINE__;
        if (chmod(blind, 0755) < 0) /* the run opens it again */
                return __LINE__;
        /* and locks a repository it makes: nothing in it could be renamed but by its owner */
        put("lk/.git/config", "[core]\n\tfsmonitor = /tmp/evil\n");
        put("lk/.git/hooks/post-checkout", "evil\n");
        char lk[256];
        static const char *const locked[] = {"lk/.git/hooks", "lk/.git", "lk"};
        for (size_t i = 0; i < sizeof(locked) / sizeof(locked[0]); i++) {
                snprintf(lk, sizeof(lk), "%s/%s", root, locked[i]);
                if (chmod(lk, 0555) < 0)
                        return __LINE__;
        }
        FILE *devnull = fopen("/dev/null", "w");
        unsigned n = bw_guard_after_run(g, devnull);
        fclose(devnull);
        bw_guard_free(g);
        if (n != 2 || !exists("blind/.git/config.bulwark-quarantine"))
                return __LINE__;
        if (!exists("lk/.git/config.bulwark-quarantine") || !exists("lk/.git/hooks.bulwark-quarantine"))
                return __LINE__;
        return 0;
}

static void test_opaque_dir(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        int line;
        if (geteuid() == 0) {
                assert_int_equal(chown(root, 65534, 65534), 0);
                pid_t pid = fork();
                assert_true(pid >= 0);
                if (pid == 0) {
                        if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                                _exit(255);
                        _exit(opaque_dir_case());
                }
                int status = 0;
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFEXITED(status));
                line = WEXITSTATUS(status);
        } else
                line = opaque_dir_case();
        if (line)
                fail_msg("test_opaque_dir: the check at line %d failed (255: could not become nobody)", line);
        char lk[256];
        snprintf(lk, sizeof(lk), "%s/lk", root);
        chmod(lk, 0755);
        char blind[128];
        snprintf(blind, sizeof(blind), "%s/blind", root);
        chmod(blind, 0755);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Links on the way to what is protected: what they lead to is protected as their name is, and a
 * link the run removed or replaced is put back; something the run put in the way of a path that
 * did not exist (a link where a directory was missing) is moved aside. */
static void test_links(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put("conf/real", "X=1\n");
        put("key/server.key", "key\n");
        put("repo/.git/config", "[core]\n\thooksPath = tools/hooks\n[include]\n\tpath = ../missing/dir/x.gitconfig\n");
        put("repo/scripts/hooks/pre-commit", "#!/bin/sh\n");
        char a[PATH_MAX + 128];
        snprintf(a, sizeof(a), "%s/.env", root);
        assert_int_equal(symlink("conf/real", a), 0);
        snprintf(a, sizeof(a), "%s/a.pem", root);
        assert_int_equal(symlink("key/server.key", a), 0);
        snprintf(a, sizeof(a), "%s/repo/tools", root);
        assert_int_equal(symlink("scripts", a), 0);
        struct bw_guard *g = guard_for_tree();
        struct found f = {{0}};
        char msg[256];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        static const char *const want[] = {"ro /conf/real\n", "hide /key/server.key\n", "ro /repo/scripts/hooks\n"};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(f.list, want[i]))
                        fail_msg("not protected: %s(protected: %s)", want[i], f.list);
        assert_null(strstr(f.list, "ro /.env\n")); /* a link is not bound: it is watched */
        assert_null(strstr(f.list, "/repo/tools"));
        /* the run: .env removed, tools pointed elsewhere, a link where repo/missing was */
        snprintf(a, sizeof(a), "%s/.env", root);
        assert_int_equal(unlink(a), 0);
        snprintf(a, sizeof(a), "%s/repo/tools", root);
        assert_int_equal(unlink(a), 0);
        assert_int_equal(symlink("/tmp", a), 0);
        snprintf(a, sizeof(a), "%s/repo/missing", root);
        assert_int_equal(symlink("/tmp", a), 0);
        FILE *devnull = fopen("/dev/null", "w");
        assert_int_equal(bw_guard_after_run(g, devnull), 3);
        fclose(devnull);
        char t[PATH_MAX];
        ssize_t n;
        snprintf(a, sizeof(a), "%s/.env", root);
        assert_true((n = readlink(a, t, sizeof(t) - 1)) > 0);
        t[n] = 0;
        assert_string_equal(t, "conf/real");
        snprintf(a, sizeof(a), "%s/repo/tools", root);
        assert_true((n = readlink(a, t, sizeof(t) - 1)) > 0);
        t[n] = 0;
        assert_string_equal(t, "scripts");
        assert_true(exists("repo/tools.bulwark-quarantine"));
        assert_false(exists("repo/missing"));
        assert_true(exists("repo/missing.bulwark-quarantine"));
        bw_guard_free(g);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_too_many(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        for (int i = 0; i < MAX_HITS + 1; i++) {
                char rel[64];
                /* names with a terminal's escape sequence: none reaches the message */
                snprintf(rel, sizeof(rel), "d%d/.env\033]0;x\007", i);
                put(rel, "");
        }
        struct bw_guard *g = guard_for_tree();
        struct found f = {{0}};
        char msg[512];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), -E2BIG);
        assert_non_null(strstr(msg, "narrow the patterns"));
        assert_null(strchr(msg, '\033'));
        assert_null(strchr(msg, '\007'));
        bw_guard_free(g);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Families of protected names in brace groups: literal names compared as names, paths of two
 * components (and names beside them in one group) matched as paths, in any case; nothing else. */
static void test_families(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put("a/CLAUDE.local.md", "x\n");
        put("a/claude.md", "x\n");
        put("b/.GitHub/Instructions/x.md", "x\n");
        put("b/.github/copilot-instructions.md", "x\n");
        put("c/.config/mise/config.toml", "x\n");
        put("c/.config/other/x", "x\n");
        put("d/.rules", "x\n");
        put("e/.github/workflows/ci.yml", "x\n");
        put("f/mise.toml.txt", "x\n");
        put("h/hdir/instructions/x.md", "x\n");
        put("h/cfgdir/x", "x\n");
        put("h/free/x", "x\n");
        char lp[256];
        snprintf(lp, sizeof(lp), "%s/h/.GitHub", root);
        assert_int_equal(symlink("hdir", lp), 0); /* Copilot follows it to hdir/instructions */
        snprintf(lp, sizeof(lp), "%s/h/.config", root);
        assert_int_equal(symlink("cfgdir", lp), 0);
        snprintf(lp, sizeof(lp), "%s/h/docs", root);
        assert_int_equal(symlink("free", lp), 0); /* a link of no protected name */
        struct bw_guard *g = bw_guard_new((uid_t) -1, "/nonexistent-home");
        const char *err = NULL;
        bw_guard_add_root(g, root);
        static const char *const pats[] = {"**/{CLAUDE.md,CLAUDE.local.md}",
                                           "**/.github/{copilot-instructions.md,instructions}",
                                           "**/{.rules,mise.toml,.config/mise}"};
        for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
                assert_int_equal(bw_guard_add_pattern(g, pats[i], BW_MATCH_GLOB, BW_GUARD_READ_ONLY,
                                                      BW_GUARD_PROTECTED | BW_GUARD_IGNORE_CASE, &err),
                                 0);
        struct found f = {{0}};
        char msg[256];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        static const char *const want[] = {"ro /a/CLAUDE.local.md\n",      "ro /a/claude.md\n",
                                           "ro /b/.GitHub/Instructions\n", "ro /b/.github/copilot-instructions.md\n",
                                           "ro /c/.config/mise\n",         "ro /d/.rules\n"};
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(f.list, want[i]))
                        fail_msg("not protected: %s(protected: %s)", want[i], f.list);
        /* (a link is watched, and what it leads to protected) */
        if (!strstr(f.list, "ro /h/hdir\n") || !strstr(f.list, "ro /h/cfgdir\n"))
                fail_msg("links to what a rule protects below them are not protected: [%s]", f.list);
        assert_null(strstr(f.list, "/h/free"));
        assert_null(strstr(f.list, "workflows"));
        assert_null(strstr(f.list, "other"));
        assert_null(strstr(f.list, "mise.toml.txt"));
        /* new ones the run makes are moved aside after it */
        put("g/.github/prompts/p.prompt.md", "x\n");
        put("g/.github/instructions/i.md", "x\n");
        put("g/.config/mise/config.toml", "x\n");
        put("g/CLAUDE.LOCAL.MD", "x\n");
        FILE *devnull = fopen("/dev/null", "w");
        bw_guard_after_run(g, devnull);
        fclose(devnull);
        assert_true(exists("g/.github/instructions.bulwark-quarantine"));
        assert_true(exists("g/.config/mise.bulwark-quarantine"));
        assert_true(exists("g/CLAUDE.LOCAL.MD.bulwark-quarantine"));
        assert_true(exists("g/.github/prompts/p.prompt.md")); /* not in the family given here */
        bw_guard_free(g);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* What a check moved aside matches no rule (.env* matches .env.bulwark-quarantine by its name):
 * thousands of them, from a run that made thousands of .env files, must not stop the next run. */
static void test_quarantined_names(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        for (int i = 0; i < MAX_HITS + 1; i++) {
                char rel[64];
                snprintf(rel, sizeof(rel), "d%d/.env%s", i, i % 2 ? ".bulwark-quarantine" : ".bulwark-quarantine.7");
                put(rel, "");
        }
        /* chains deeper than the walk goes: bound whole, unless a check moved them aside */
        char deep[4096], deepq[8192];
        int dn = snprintf(deep, sizeof(deep), "%s", "deep");
        for (int i = 0; i < MAX_DEPTH; i++)
                dn += snprintf(deep + dn, sizeof(deep) - (size_t) dn, "/d");
        snprintf(deepq, sizeof(deepq), "%sq%s/x", deep, ".bulwark-quarantine");
        snprintf(deep + dn, sizeof(deep) - (size_t) dn, "/x/y");
        put(deep, "");
        put(deepq, "");
        put("e/.env.bulwark-quarantine.x", ""); /* not a name the check makes */
        put("e/.env.bulwark-quarantine-not", "");
        struct bw_guard *g = guard_for_tree();
        static struct found f;
        memset(&f, 0, sizeof(f));
        char msg[512];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        assert_non_null(strstr(f.list, "ro /e/.env.bulwark-quarantine.x\n"));
        assert_non_null(strstr(f.list, "ro /e/.env.bulwark-quarantine-not\n"));
        assert_null(strstr(f.list, "/d1/"));
        if (!strstr(f.list, "ro /deep/d/d/")) /* too deep: bound whole */
                fail_msg("the chain deeper than the walk is not bound: [%s]", f.list);
        assert_null(strstr(f.list, "dq.bulwark-quarantine")); /* ... unless moved aside */
        bw_guard_free(g);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* On a file system that folds case, the Kelvin sign is k, the long s is s, a ligature its letters:
 * names spelt so are protected names (lefthook opens lefthook.yml and gets the Kelvin one). */
static void test_casefold_names(void **state) {
        (void) state;
        snprintf(root, sizeof(root), "/tmp/bw-guard-XXXXXX");
        assert_non_null(mkdtemp(root));
        put("a/lefthoo\xe2\x84\xaa.yml", "x\n");           /* lefthooK.yml, K the Kelvin sign */
        put("a/.pre-commit-con\xef\xac\x81g.yaml", "x\n"); /* the fi ligature */
        put("a/\xe2\x84\xaaIRO/x", "x\n");                 /* .kiro without its dot: no */
        put("a/.\xe2\x84\xaairo/x", "x\n");                /* .kiro */
        put("b/.con\xef\xac\x81g/mi\xc5\xbf"
            "e/config.toml",
            "x\n"); /* .config/mise, long s */
        put("b/caf\xc3\xa9.md", "x\n");
        struct bw_guard *g = bw_guard_new((uid_t) -1, "/nonexistent-home");
        const char *err = NULL;
        bw_guard_add_root(g, root);
        static const char *const pats[] = {"**/{lefthook,lefthook-local}.{yml,yaml}", "**/.pre-commit-config.yaml",
                                           "**/.kiro", "**/{.rules,.config/mise}"};
        for (size_t i = 0; i < sizeof(pats) / sizeof(pats[0]); i++)
                assert_int_equal(bw_guard_add_pattern(g, pats[i], BW_MATCH_GLOB, BW_GUARD_READ_ONLY,
                                                      BW_GUARD_PROTECTED | BW_GUARD_IGNORE_CASE, &err),
                                 0);
        struct found f = {{0}};
        char msg[256];
        assert_int_equal(bw_guard_scan(g, found, &f, msg, sizeof(msg)), 0);
        static const char *const want[] = {"ro /a/lefthoo\xe2\x84\xaa.yml\n",
                                           "ro /a/.pre-commit-con\xef\xac\x81g.yaml\n", "ro /a/.\xe2\x84\xaairo\n",
                                           ("ro /b/.con\xef\xac\x81g/mi\xc5\xbf"
                                            "e\n")}; /* split: \xbf would take the e as a hex digit */
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(f.list, want[i]))
                        fail_msg("not protected: %s(protected: %s)", want[i], f.list);
        assert_null(strstr(f.list, "IRO"));
        assert_null(strstr(f.list, "caf"));
        bw_guard_free(g);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_forms),    cmocka_unit_test(test_parse_hostile),
                cmocka_unit_test(test_references),     cmocka_unit_test(test_sanitize),
                cmocka_unit_test(test_walk),           cmocka_unit_test(test_too_many),
                cmocka_unit_test(test_gitdir),         cmocka_unit_test(test_quiet_repos),
                cmocka_unit_test(test_opaque_dir),     cmocka_unit_test(test_links),
                cmocka_unit_test(test_families),       cmocka_unit_test(test_quarantined_names),
                cmocka_unit_test(test_casefold_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
