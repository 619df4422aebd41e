/* SPDX-License-Identifier: MIT */
/*
 * bulwark init. The workspace is read, never written, until the policy is: files are recognised
 * by name with fstatat(AT_SYMLINK_NOFOLLOW) (a symlink is not a toolchain file), subdirectories
 * are entered only when they are real directories, and the policy is created with
 * O_CREAT|O_EXCL|O_NOFOLLOW in a .bulwark that is a real directory: an existing policy, or a
 * symlink planted in its place, is never replaced or followed.
 */
#include "init.h"

#include "run_front.h"

#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

/*
 * A toolchain file and the caches it implies. with: a second file that must lie beside it (a lock
 * file), "" for none; "-" means "none of the package.json lock files" (npm is the default then).
 * A name starting with '*' matches by suffix (*.csproj).
 */
struct cache_rule {
        const char *file, *with, *what;
        const char *paths[3];
};

static const struct cache_rule rules[] = {
        {"Cargo.toml", "", "crates and git dependencies that cargo downloads", {"~/.cargo/registry", "~/.cargo/git"}},
        {"package.json", "package-lock.json", "npm's cache", {"~/.npm"}},
        {"package.json", "npm-shrinkwrap.json", "npm's cache", {"~/.npm"}},
        {"package.json", "pnpm-lock.yaml", "the pnpm store", {"~/.local/share/pnpm"}},
        {"package.json", "yarn.lock", "Yarn's cache", {"~/.cache/yarn"}},
        {"package.json", ".yarnrc.yml", "Yarn's global cache (Yarn 2 and later)", {"~/.yarn/berry"}},
        {"package.json", "bun.lockb", "Bun's cache", {"~/.bun/install/cache"}},
        {"package.json", "bun.lock", "Bun's cache", {"~/.bun/install/cache"}},
        {"package.json", "-", "npm's cache (no lock file: npm is the default)", {"~/.npm"}},
        {"pyproject.toml", "", "pip's and uv's caches", {"~/.cache/pip", "~/.cache/uv"}},
        {"requirements.txt", "", "pip's and uv's caches", {"~/.cache/pip", "~/.cache/uv"}},
        {"setup.py", "", "pip's cache", {"~/.cache/pip"}},
        {"Pipfile", "", "pip's cache and pipenv's environments", {"~/.cache/pip", "~/.local/share/virtualenvs"}},
        {"poetry.lock", "", "Poetry's cache", {"~/.cache/pypoetry"}},
        {"uv.lock", "", "uv's cache", {"~/.cache/uv"}},
        {"go.mod", "", "Go's module and build caches", {"~/go/pkg/mod", "~/.cache/go-build"}},
        {"pom.xml", "", "Maven's local repository", {"~/.m2/repository"}},
        {"build.gradle", "", "Gradle's caches and wrapper distributions", {"~/.gradle/caches", "~/.gradle/wrapper"}},
        {"build.gradle.kts",
         "",
         "Gradle's caches and wrapper distributions",
         {"~/.gradle/caches", "~/.gradle/wrapper"}},
        {"settings.gradle", "", "Gradle's caches and wrapper distributions", {"~/.gradle/caches", "~/.gradle/wrapper"}},
        {"settings.gradle.kts",
         "",
         "Gradle's caches and wrapper distributions",
         {"~/.gradle/caches", "~/.gradle/wrapper"}},
        {"Gemfile", "", "Bundler's and RubyGems' gems and caches", {"~/.bundle", "~/.gem"}},
        {"composer.json", "", "Composer's cache", {"~/.cache/composer"}},
        {"mix.exs", "", "Hex packages and Mix archives", {"~/.hex", "~/.mix"}},
        {"pubspec.yaml", "", "the Dart and Flutter package cache", {"~/.pub-cache"}},
        {"stack.yaml", "", "Stack's packages and compilers", {"~/.stack"}},
        {"cabal.project", "", "Cabal's packages and store", {"~/.cabal", "~/.cache/cabal"}},
        {"*.csproj", "", "NuGet packages", {"~/.nuget/packages"}},
        {"*.fsproj", "", "NuGet packages", {"~/.nuget/packages"}},
};

static const char *const package_json_locks[] = {
        "package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock",
        ".yarnrc.yml",       "bun.lockb",           "bun.lock",
};

/* Directories never looked into for toolchain files: dependencies and build output. */
static const char *const skipped_dirs[] = {"node_modules", "target", "vendor", "build", "dist", "out"};

#define MAX_NAMES 4096
#define MAX_DIRS 256

struct names {
        char **v;
        size_t n;
};

static void names_done(struct names *n) {
        for (size_t i = 0; i < n->n; i++)
                free(n->v[i]);
        free(n->v);
        *n = (struct names){0};
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The regular files (files) and real subdirectories (dirs, not hidden, not skipped) of dfd,
 * sorted; at most MAX_NAMES of each. */
static int list_dir(int dfd, struct names *files, struct names *dirs) {
        int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                int e = errno;
                close(fd);
                return -e;
        }
        files->v = calloc(MAX_NAMES, sizeof(char *));
        if (dirs)
                dirs->v = calloc(MAX_NAMES, sizeof(char *));
        if (!files->v || (dirs && !dirs->v))
                abort();
        struct dirent *e;
        while ((e = readdir(d))) {
                if (bw_streq(e->d_name, ".") || bw_streq(e->d_name, ".."))
                        continue;
                struct stat st;
                if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                struct names *into = NULL;
                if (S_ISREG(st.st_mode))
                        into = files;
                else if (S_ISDIR(st.st_mode) && dirs && e->d_name[0] != '.') {
                        into = dirs;
                        for (size_t i = 0; i < BW_ARRAY_SIZE(skipped_dirs); i++)
                                if (bw_streq(e->d_name, skipped_dirs[i]))
                                        into = NULL;
                }
                if (into && into->n < MAX_NAMES) {
                        into->v[into->n] = strdup(e->d_name);
                        if (!into->v[into->n++])
                                abort();
                }
        }
        closedir(d);
        qsort(files->v, files->n, sizeof(char *), cmp_str);
        if (dirs)
                qsort(dirs->v, dirs->n, sizeof(char *), cmp_str);
        return 0;
}

static bool has(const struct names *files, const char *name) {
        /* an empty list may have no array at all (v == NULL), which bsearch must not be given */
        return files->n > 0 && bsearch(&name, files->v, files->n, sizeof(char *), cmp_str) != NULL;
}

static const char *has_suffix(const struct names *files, const char *suffix) {
        size_t sl = strlen(suffix);
        for (size_t i = 0; i < files->n; i++) {
                size_t l = strlen(files->v[i]);
                if (l > sl && bw_streq(files->v[i] + l - sl, suffix))
                        return files->v[i];
        }
        return NULL;
}

/* Does rule r match the files of one directory? The trigger, for the comment, in why. */
static bool rule_matches(const struct cache_rule *r, const struct names *files, const char *prefix, char *why,
                         size_t size) {
        const char *file = r->file;
        if (file[0] == '*') {
                file = has_suffix(files, file + 1);
                if (!file)
                        return false;
        } else if (!has(files, file))
                return false;
        if (bw_streq(r->with, "-")) {
                for (size_t i = 0; i < BW_ARRAY_SIZE(package_json_locks); i++)
                        if (has(files, package_json_locks[i]))
                                return false;
                snprintf(why, size, "%s%s", prefix, file);
        } else if (r->with[0]) {
                if (!has(files, r->with))
                        return false;
                snprintf(why, size, "%s%s with %s%s", prefix, file, prefix, r->with);
        } else
                snprintf(why, size, "%s%s", prefix, file);
        return true;
}

static const char *missing_note(const char *home, const char *path, char *buf, size_t size) {
        if (!home || strncmp(path, "~/", 2) != 0)
                return NULL;
        char full[PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof(full), "%s/%s", home, path + 2) >= (int) sizeof(full) || lstat(full, &st) == 0)
                return NULL;
        snprintf(buf, size, "  # missing here: runs start it empty, in their own layer");
        return buf;
}

/* The policy's name: the workspace's base name, in the characters a name may use. */
static void policy_name(const char *workspace, char *out, size_t size) {
        const char *base = strrchr(workspace, '/');
        base = base ? base + 1 : workspace;
        size_t k = 0;
        for (const char *c = base; *c && k + 1 < size && k < 64; c++) {
                bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                          *c == '.' || *c == '_' || *c == '-';
                out[k++] = ok ? *c : '-';
        }
        out[k] = 0;
        if (bw_streq(out, ".") || bw_streq(out, ".."))
                out[0] = 0;
}

int bw_init_policy(const char *workspace, const char *home, char **ret_text, struct bw_gen_notes *notes) {
        _cleanup_close_ int ws = open(workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ws < 0)
                return -errno;
        struct names root_files = {0}, subdirs = {0};
        int r = list_dir(ws, &root_files, &subdirs);
        if (r < 0)
                return r;
        /* which rule matched first where, in rule order; a path is listed once */
        char why[BW_ARRAY_SIZE(rules)][2 * NAME_MAX + 16];
        bool matched[BW_ARRAY_SIZE(rules)] = {0};
        size_t n_dirs = subdirs.n < MAX_DIRS ? subdirs.n : MAX_DIRS;
        if (subdirs.n > MAX_DIRS)
                bw_gen_note(notes, "only the first %d subdirectories were looked into", MAX_DIRS);
        for (size_t d = 0; d <= n_dirs; d++) {
                struct names files = {0};
                char prefix[NAME_MAX + 2] = "";
                const struct names *f = &root_files;
                if (d > 0) {
                        _cleanup_close_ int sub =
                                openat(ws, subdirs.v[d - 1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub < 0 || list_dir(sub, &files, NULL) < 0) {
                                names_done(&files);
                                continue;
                        }
                        snprintf(prefix, sizeof(prefix), "%s/", subdirs.v[d - 1]);
                        f = &files;
                }
                for (size_t i = 0; i < BW_ARRAY_SIZE(rules); i++)
                        if (!matched[i] && rule_matches(&rules[i], f, prefix, why[i], sizeof(why[i])))
                                matched[i] = true;
                names_done(&files);
        }
        names_done(&root_files);
        names_done(&subdirs);

        struct bw_strbuf sb = {0};
        char name[80];
        policy_name(workspace, name, sizeof(name));
        bw_sb_puts(&sb,
                   "# The bulwark policy of this repository, written by `bulwark init` (bulwark " BULWARK_VERSION ").\n"
                   "# Review it, then record your trust in its exact content with `bulwark trust`;\n"
                   "# `bulwark run -- CMD` runs commands under it. Commit it with the code: it is the\n"
                   "# boundary of every command an agent runs here. Language: schema/policy-language.md\n"
                   "# in bulwark's sources; `man bulwark`.\n"
                   "bulwark: 1\n");
        if (name[0])
                bw_sb_printf(&sb, "name: %s\n", name);
        bw_sb_puts(&sb, "# workspace-write (built in): the workspace and ${tmpdir} (a private tmpfs for each run)\n"
                        "# are writable; .git, .bulwark and agent and editor configuration (.codex, .claude,\n"
                        "# .vscode, ...) stay read-only; ~/.ssh, ~/.gnupg, ~/.aws and other credentials are\n"
                        "# unreadable; no network.\n"
                        "extends: [workspace-write]\n");
        const char *listed[3 * BW_ARRAY_SIZE(rules)];
        size_t n_listed = 0;
        bool any = false;
        for (size_t i = 0; i < BW_ARRAY_SIZE(rules); i++) {
                if (!matched[i])
                        continue;
                bool fresh = false;
                for (size_t k = 0; k < 3 && rules[i].paths[k]; k++) {
                        bool dup = false;
                        for (size_t j = 0; j < n_listed; j++)
                                dup |= bw_streq(listed[j], rules[i].paths[k]);
                        fresh |= !dup;
                }
                if (!fresh)
                        continue;
                if (!any)
                        bw_sb_puts(&sb,
                                   "filesystem:\n"
                                   "  # Caches of the toolchains this repository uses, recognised from its files.\n"
                                   "  # Copy-on-write: commands run here see what your own builds downloaded,\n"
                                   "  # and what they write there stays in a layer of this workspace's own\n"
                                   "  # (~/.cache/bulwark/layers): your copy never changes, so nothing a command\n"
                                   "  # plants there runs in your own builds later. Remove what you do not need.\n"
                                   "  cache:\n");
                any = true;
                bw_sb_printf(&sb, "    # %s: %s\n", why[i], rules[i].what);
                for (size_t k = 0; k < 3 && rules[i].paths[k]; k++) {
                        const char *p = rules[i].paths[k];
                        bool dup = false;
                        for (size_t j = 0; j < n_listed; j++)
                                dup |= bw_streq(listed[j], p);
                        if (dup)
                                continue;
                        listed[n_listed++] = p;
                        char miss[PATH_MAX + 96];
                        const char *m = missing_note(home, p, miss, sizeof(miss));
                        bw_sb_printf(&sb, "    - %s%s\n", p, m ? m : "");
                }
        }
        if (!any) {
                bw_sb_puts(&sb, "# No toolchain file was recognised here. What a build writes outside the\n"
                                "# workspace goes here, e.g.:\n"
                                "# filesystem:\n"
                                "#   cache:          # copy-on-write: your own copy never changes\n"
                                "#     - ~/.cache/my-tool\n");
                bw_gen_note(notes, "no toolchain file recognised (Cargo.toml, package.json, pyproject.toml, go.mod, "
                                   "pom.xml, build.gradle, Gemfile, ...): the policy is workspace-write alone");
        }
        bw_sb_puts(&sb, any ? "  # read_only:                     # carve-outs inside the writable places, e.g.\n"
                              "  #   - ${workspace}/deploy\n"
                              "  #   - glob: \"${workspace}/**/.env*\"\n"
                            : "");
        bw_sb_puts(&sb, "network: off   # on: `bulwark run --network -- CMD` may then use the network\n");
        *ret_text = bw_sb_take(&sb);
        return 0;
}

static const char init_help[] =
        "Usage: bulwark init [--dry-run] [--workspace DIR]\n\n"
        "Write a commented .bulwark/policy.yaml for the repository: extends workspace-write, plus the\n"
        "caches its toolchains write to as cache roots (copy-on-write: a run sees your cache and writes\n"
        "to a layer of the workspace's own, ~/.cache/bulwark/layers; your copy never changes, so nothing\n"
        "a command plants there runs in your own builds), recognised from its files (in the workspace\n"
        "and its immediate subdirectories): Cargo.toml (~/.cargo/registry, ~/.cargo/git); package.json with\n"
        "package-lock.json or no lock file (~/.npm), pnpm-lock.yaml (~/.local/share/pnpm), yarn.lock\n"
        "(~/.cache/yarn), .yarnrc.yml (~/.yarn/berry), bun.lock(b) (~/.bun/install/cache);\n"
        "pyproject.toml, requirements.txt (~/.cache/pip, ~/.cache/uv), Pipfile, poetry.lock, uv.lock;\n"
        "go.mod (~/go/pkg/mod, ~/.cache/go-build); pom.xml (~/.m2/repository); build.gradle(.kts),\n"
        "settings.gradle(.kts) (~/.gradle/caches, ~/.gradle/wrapper); Gemfile (~/.bundle, ~/.gem);\n"
        "composer.json, mix.exs, pubspec.yaml, stack.yaml, cabal.project, *.csproj, *.fsproj. Each entry\n"
        "names the file that triggered it. The policy is compiled in-process before it is written (the\n"
        "language; admin constraints are checked when you trust and run it). The workspace is found as\n"
        "for `bulwark run`. An existing policy is never replaced.\n\n"
        "  --dry-run          print the policy instead of writing it\n"
        "  --workspace DIR    the repository (default: found from the current directory)\n\n"
        "Then: review it, `bulwark trust`, `bulwark run -- CMD`.\n"
        "Exit: 0 written (or printed), 1 a policy exists already or it could not be written, 64 usage.\n";

static void print_notes(const char *cmd, const struct bw_gen_notes *notes) {
        for (size_t i = 0; i < notes->n; i++)
                fprintf(stderr, "bulwark %s: note: %s\n", cmd, notes->v[i]);
}

int bw_cmd_init(int argc, char **argv) {
        static const struct option opts[] = {
                {"dry-run", no_argument, NULL, 'n'},
                {"workspace", required_argument, NULL, 'w'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *workspace = NULL;
        bool dry_run = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        dry_run = true;
                        break;
                case 'w':
                        workspace = optarg;
                        break;
                case 'h':
                        fputs(init_help, stdout);
                        return 0;
                default:
                        fputs("Try 'bulwark init --help'.\n", stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc) {
                fputs("Usage: bulwark init [--dry-run] [--workspace DIR]\n", stderr);
                return EX_USAGE;
        }
        char ws[PATH_MAX];
        if (bw_front_workspace("init", workspace, false, ws, sizeof(ws)) < 0)
                return 1;
        struct passwd *pw = getpwuid(getuid());
        struct bw_gen_notes notes = {0};
        _cleanup_free_ char *text = NULL, *diags = NULL;
        int r = bw_init_policy(ws, pw ? pw->pw_dir : NULL, &text, &notes);
        if (r < 0) {
                fprintf(stderr, "bulwark init: cannot read %s: %s\n", ws, strerror(-r));
                bw_gen_notes_done(&notes);
                return 1;
        }
        r = bw_gen_validate(text, &diags);
        if (r < 0) {
                fprintf(stderr,
                        "bulwark init: the policy made for %s does not compile (a bug in bulwark: please report "
                        "it)%s%s\n",
                        ws, r == -EINVAL ? ":\n" : ": ", r == -EINVAL && diags ? diags : strerror(-r));
                bw_gen_notes_done(&notes);
                return 1;
        }
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/.bulwark/policy.yaml", ws);
        if (dry_run) {
                fputs(text, stdout);
                struct stat st;
                if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        bw_gen_note(&notes, "%s exists already: init would not replace it", path);
                print_notes("init", &notes);
                bw_gen_notes_done(&notes);
                return 0;
        }
        int status = 1;
        _cleanup_close_ int wsfd = open(ws, O_PATH | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int dfd = -1;
        if (wsfd < 0) {
                fprintf(stderr, "bulwark init: cannot open %s: %s\n", ws, strerror(errno));
                goto out;
        }
        if (mkdirat(wsfd, ".bulwark", 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "bulwark init: cannot create %s/.bulwark: %s\n", ws, strerror(errno));
                goto out;
        }
        dfd = openat(wsfd, ".bulwark", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0) {
                fprintf(stderr, "bulwark init: %s/.bulwark is %s: a workspace policy lives in a real directory\n", ws,
                        errno == ENOTDIR || errno == ELOOP ? "not a directory (a file or a symbolic link)"
                                                           : strerror(errno));
                goto out;
        }
        r = bw_gen_write_new(dfd, "policy.yaml", text);
        if (r == -EEXIST) {
                fprintf(stderr,
                        "bulwark init: %s exists already: init never replaces a policy (review it, or move it away and "
                        "run init again; `bulwark init --dry-run` shows what init would write)\n",
                        path);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr, "bulwark init: cannot write %s: %s\n", path, strerror(-r));
                goto out;
        }
        print_notes("init", &notes);
        printf("bulwark init: wrote %s\n"
               "Next: review it (and commit it with the code), then\n"
               "  bulwark trust          record your trust in its exact content (shows what it grants)\n"
               "  bulwark run -- CMD     run a command in the sandbox it describes\n",
               path);
        status = 0;
out:
        bw_gen_notes_done(&notes);
        return status;
}
