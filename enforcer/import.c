/* SPDX-License-Identifier: MIT */
/* bulwark import: the command, and the policy text both importers write. */
#include "import.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sysexits.h>

#define IMPORT_MAX_INPUT (4u << 20)

void bw_import_add(struct bw_import_list *l, const char *text, bool glob, const char *comment) {
        struct bw_import_entry *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v)
                abort();
        l->v = v;
        v[l->n] = (struct bw_import_entry){strdup(text), glob, comment ? strdup(comment) : NULL};
        if (!v[l->n].text || (comment && !v[l->n].comment))
                abort();
        l->n++;
}

bool bw_import_has(const struct bw_import_list *l, const char *text) {
        for (size_t i = 0; i < l->n; i++)
                if (bw_streq(l->v[i].text, text))
                        return true;
        return false;
}

static void list_done(struct bw_import_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].text);
                free(l->v[i].comment);
        }
        free(l->v);
        *l = (struct bw_import_list){0};
}

void bw_import_policy_done(struct bw_import_policy *p) {
        bw_sb_done(&p->header);
        list_done(&p->writable);
        list_done(&p->read_only);
        list_done(&p->readable);
        list_done(&p->unreadable);
}

static void render_list(struct bw_strbuf *sb, const char *key, const struct bw_import_list *l) {
        if (!l->n)
                return;
        bw_sb_printf(sb, "  %s:\n", key);
        for (size_t i = 0; i < l->n; i++) {
                bw_sb_puts(sb, l->v[i].glob ? "    - glob: " : "    - ");
                bw_gen_yaml_quote(sb, l->v[i].text);
                if (l->v[i].comment)
                        bw_sb_printf(sb, "   # %s", l->v[i].comment);
                bw_sb_putc(sb, '\n');
        }
}

char *bw_import_render(struct bw_import_policy *p) {
        struct bw_strbuf sb = {0};
        bw_sb_puts(&sb, bw_sb_str(&p->header));
        bw_sb_puts(&sb, "bulwark: 1\n");
        if (p->name[0])
                bw_sb_printf(&sb, "name: %s\n", p->name);
        bw_sb_printf(&sb, "extends: [%s]", p->extends);
        if (p->extends_comment)
                bw_sb_printf(&sb, "   # %s", p->extends_comment);
        bw_sb_putc(&sb, '\n');
        if (p->writable.n || p->read_only.n || p->readable.n || p->unreadable.n) {
                bw_sb_puts(&sb, "filesystem:\n");
                render_list(&sb, "writable", &p->writable);
                render_list(&sb, "read_only", &p->read_only);
                render_list(&sb, "readable", &p->readable);
                render_list(&sb, "unreadable", &p->unreadable);
        }
        bw_sb_printf(&sb, "network: %s", p->network ? "on" : "off");
        if (p->network_comment[0])
                bw_sb_printf(&sb, "   # %s", p->network_comment);
        bw_sb_putc(&sb, '\n');
        bw_import_policy_done(p);
        return bw_sb_take(&sb);
}

/* ---- the command ---- */

static const char import_help[] =
        "Usage: bulwark import codex [FILE] [--profile NAME] [-o OUT]\n"
        "       bulwark import srt [FILE] [--allow-network] [-o OUT]\n\n"
        "Print a bulwark policy equivalent to a sandbox configuration you already have, compiled\n"
        "in-process first; on stderr, what did not map and why. -o OUT writes it to OUT instead (a\n"
        "new file: an existing one is never replaced). Review it, put it in .bulwark/policy.yaml,\n"
        "then `bulwark trust`.\n\n"
        "codex: the Codex CLI's config.toml (default $CODEX_HOME/config.toml, else ~/.codex/config.toml).\n"
        "  sandbox_mode read-only -> extends read-only; workspace-write -> extends workspace-write,\n"
        "  with [sandbox_workspace_write] writable_roots as writable paths (absolute or ~/...: a\n"
        "  relative one is an error), network_access = true as network: on, and exclude_slash_tmp\n"
        "  together with exclude_tmpdir_env_var as no ${tmpdir}; danger-full-access has no\n"
        "  counterpart (bulwark always sandboxes): workspace-write, offline, with a note. An unknown\n"
        "  sandbox_mode is an error; no sandbox_mode means Codex's default, read-only.\n"
        "  --profile NAME  use [profiles.NAME]'s sandbox_mode (default: the file's `profile` key)\n\n"
        "srt: sandbox-runtime's settings (default ~/.srt-settings.json). filesystem.allowWrite ->\n"
        "  writable (\".\" and relative paths are the workspace; /tmp is ${tmpdir}), denyWrite ->\n"
        "  read_only, denyRead -> unreadable, allowRead -> readable (globs where bulwark allows\n"
        "  patterns: read_only and unreadable). network.allowedDomains: bulwark has no per-domain\n"
        "  rules yet, so some domains allowed maps to network: off (the safe default), with a note.\n"
        "  --allow-network  map some domains allowed to network: on instead (every domain)\n\n"
        "Exit: 0 printed or written, 1 the configuration is malformed or refused, or OUT exists,\n"
        "64 usage error, 66 FILE cannot be read, 73 OUT cannot be written.\n";

/* -o DIR/.bulwark/policy.yaml where DIR has no .bulwark yet: make it (as bulwark init does), and
 * nothing else: any other missing directory is the caller's to make. */
static bool make_policy_dir(const char *out) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", out);
        char *slash = strrchr(dir, '/');
        if (!slash)
                return false;
        *slash = 0;
        const char *base = strrchr(dir, '/');
        base = base ? base + 1 : dir;
        return strcmp(base, ".bulwark") == 0 && mkdir(dir, 0755) == 0;
}

static char *default_file(const char *kind) {
        char *path = NULL;
        const char *home = getenv("HOME");
        if (!home || home[0] != '/') {
                struct passwd *pw = getpwuid(getuid());
                home = pw ? pw->pw_dir : "/";
        }
        const char *codex_home = getenv("CODEX_HOME");
        int r = bw_streq(kind, "srt")         ? asprintf(&path, "%s/.srt-settings.json", home)
                : codex_home && codex_home[0] ? asprintf(&path, "%s/config.toml", codex_home)
                                              : asprintf(&path, "%s/.codex/config.toml", home);
        if (r < 0)
                abort();
        return path;
}

static int read_input(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        if (st.st_size > (off_t) IMPORT_MAX_INPUT)
                return -EFBIG;
        char *buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                abort();
        ssize_t n = bw_read_full(fd, buf, (size_t) st.st_size);
        if (n < 0) {
                free(buf);
                return (int) n;
        }
        buf[n] = 0;
        *ret = buf;
        *ret_len = (size_t) n;
        return 0;
}

int bw_cmd_import(int argc, char **argv) {
        if (argc < 2 || bw_streq(argv[1], "--help") || bw_streq(argv[1], "-h")) {
                fputs(import_help, argc < 2 ? stderr : stdout);
                return argc < 2 ? EX_USAGE : 0;
        }
        const char *kind = argv[1];
        bool codex = bw_streq(kind, "codex");
        if (!codex && !bw_streq(kind, "srt")) {
                fprintf(stderr, "bulwark import: unknown format '%s' (codex or srt)\n", kind);
                return EX_USAGE;
        }
        static const struct option opts[] = {
                {"profile", required_argument, NULL, 'p'},
                {"allow-network", no_argument, NULL, 'n'},
                {"output", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct bw_import_options o = {0};
        const char *out = NULL;
        int c;
        while ((c = getopt_long(argc - 1, argv + 1, "o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        o.profile = optarg;
                        break;
                case 'n':
                        o.allow_network = true;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case 'h':
                        fputs(import_help, stdout);
                        return 0;
                default:
                        fputs("Try 'bulwark import --help'.\n", stderr);
                        return EX_USAGE;
                }
        }
        if ((codex && o.allow_network) || (!codex && o.profile)) {
                fprintf(stderr, "bulwark import %s: %s belongs to bulwark import %s\n", kind,
                        codex ? "--allow-network" : "--profile", codex ? "srt" : "codex");
                return EX_USAGE;
        }
        int rest = argc - 1 - optind;
        if (rest > 1) {
                fprintf(stderr, "Usage: bulwark import %s [FILE] [-o OUT]\n", kind);
                return EX_USAGE;
        }
        _cleanup_free_ char *file = rest == 1 ? strdup(argv[1 + optind]) : default_file(kind);
        if (!file)
                abort();
        o.name = file;
        _cleanup_free_ char *text = NULL, *policy = NULL, *diags = NULL;
        size_t len = 0; /* set on success only (neither clang's analyzer nor gcc -fsanitize=thread sees -errno < 0) */
        int r = read_input(file, &text, &len);
        if (r < 0) {
                fprintf(stderr, "bulwark import %s: cannot read %s: %s\n", kind, file,
                        r == -EINVAL  ? "not a regular file"
                        : r == -EFBIG ? "larger than 4 MiB"
                                      : strerror(-r));
                return EX_NOINPUT;
        }
        struct bw_gen_notes notes = {0};
        char err[512];
        r = codex ? bw_import_codex(text, len, &o, &policy, &notes, err, sizeof(err))
                  : bw_import_srt(text, len, &o, &policy, &notes, err, sizeof(err));
        int status = 1;
        if (r < 0) {
                fprintf(stderr, "bulwark import %s: %s\n", kind, err);
                goto out;
        }
        r = bw_gen_validate(policy, &diags);
        if (r < 0) {
                fprintf(stderr,
                        "bulwark import %s: the policy made from %s does not compile (a bug in bulwark: please report "
                        "it)%s%s\n",
                        kind, file, r == -EINVAL ? ":\n" : ": ", r == -EINVAL && diags ? diags : strerror(-r));
                goto out;
        }
        if (out) {
                r = bw_gen_write_new(-1, out, policy);
                if (r == -ENOENT && make_policy_dir(out))
                        r = bw_gen_write_new(-1, out, policy); /* -o .bulwark/policy.yaml, as init makes it */
                if (r == -EEXIST) {
                        fprintf(stderr,
                                "bulwark import %s: %s exists already: import never replaces a file (choose another "
                                "-o)\n",
                                kind, out);
                        goto out;
                }
                if (r < 0) {
                        fprintf(stderr, "bulwark import %s: cannot write %s: %s%s\n", kind, out, strerror(-r),
                                r == -ENOENT ? " (make its directory first)" : "");
                        status = EX_CANTCREAT;
                        goto out;
                }
        } else
                fputs(policy, stdout);
        if (notes.n)
                fprintf(stderr, "bulwark import %s: what did not map, or needs a look:\n", kind);
        for (size_t i = 0; i < notes.n; i++)
                fprintf(stderr, "  - %s\n", notes.v[i]);
        size_t out_len = out ? strlen(out) : 0, tail = strlen(".bulwark/policy.yaml");
        bool in_place = out_len >= tail && strcmp(out + out_len - tail, ".bulwark/policy.yaml") == 0 &&
                        (out_len == tail || out[out_len - tail - 1] == '/');
        if (out)
                fprintf(stderr,
                        "bulwark import %s: wrote %s. Review it%s, then `bulwark trust` and `bulwark run -- CMD`.\n",
                        kind, out, in_place ? "" : ", move it to .bulwark/policy.yaml in the repository");
        status = 0;
out:
        bw_gen_notes_done(&notes);
        return status;
}
