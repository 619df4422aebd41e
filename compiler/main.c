/* SPDX-License-Identifier: MIT */
/* bulwarkc: compile a YAML policy into a binary plan. See `bulwarkc --help` and schema/. */
#include "compile.h"
#include "explain.h"
#include "minisign.h"
#include "plan.h"

#include <fcntl.h>
#include <sodium.h>
#include <termios.h>
#include <time.h>

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <sysexits.h>

#ifdef _WIN32
/* ProgramData's own ACL lets users make directories there: one a user made is theirs, and
 * load_admin refuses it (not an administrator's) rather than read it. */
#define DEFAULT_ADMIN_DIR "C:\\ProgramData\\bulwark\\admin.d"
#define ADMIN_ONLY "writable by administrators only"
#else
#define DEFAULT_ADMIN_DIR "/etc/bulwark/admin.d"
#define ADMIN_ONLY "root-owned"
#endif

static void usage(FILE *f) {
        fputs("Usage: bulwarkc POLICY.yaml -o PLAN [OPTIONS]\n"
              "       bulwarkc builtin:PROFILE -o PLAN [OPTIONS]\n"
              "       bulwarkc POLICY.yaml --check\n"
              "       bulwarkc POLICY.yaml --explain PATH\n"
              "\n"
              "Compile a bulwark policy (and the layers it extends, and the admin constraints)\n"
              "into a deterministic binary plan for the bulwark enforcer. builtin:NAME compiles a\n"
              "built-in profile (read-only, workspace-write, workspace-write-online).\n"
              "\n"
              "Options:\n"
              "  -o, --output PLAN      write the plan to PLAN (atomically)\n"
              "  -D NAME=VALUE          bind a variable: workspace, home, tmpdir (absolute paths)\n"
              "                         or user (a login name); unbound ones stay symbolic in the\n"
              "                         plan and the enforcer binds them when it applies the plan\n"
              "      --admin-dir DIR    admin constraints directory (default " DEFAULT_ADMIN_DIR ";\n"
              "                         a missing directory means no constraints)\n"
              "      --check            validate only (policy or constraints document); write nothing\n"
              "      --explain PATH     show which rules decide PATH and where each comes from;\n"
              "                         unbound variables take this shell's values for it\n"
              "      --json             diagnostics (and --explain) as JSON, one object per line, on stdout\n"
              "      --no-provenance    leave out the provenance sections (source files, lines)\n"
              "      --sign KEYFILE     also write PLAN.minisig: a minisign signature with that secret\n"
              "                         key (an encrypted key's password: BULWARK_SIGN_PASSWORD, else\n"
              "                         asked on the terminal)\n"
              "  -h, --help             show this help\n"
              "      --version          show the version\n"
              "\n"
              "Exit status: 0 compiled (warnings may have been printed), 1 the policy has errors,\n"
              "64 usage error, 66 cannot read the policy (or the --sign key), 70 internal error,\n"
              "73 cannot write the plan.\n"
              "Language: schema/policy-language.md; plan format: schema/plan-format.md.\n",
              f);
}

/* A password for an encrypted secret key: BULWARK_SIGN_PASSWORD, else asked on the terminal
 * without echo. */
static char *key_password(const char *keyfile) {
        const char *env = getenv("BULWARK_SIGN_PASSWORD");
        if (env)
                return strdup(env);
        FILE *tty = fopen("/dev/tty", "r+e");
        if (!tty)
                return NULL;
        struct termios old, quiet;
        bool restore = tcgetattr(fileno(tty), &old) == 0;
        if (restore) {
                quiet = old;
                quiet.c_lflag &= ~(tcflag_t) ECHO;
                tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
        }
        fprintf(tty, "Password for %s: ", keyfile);
        fflush(tty);
        char buf[1024], *r = fgets(buf, sizeof(buf), tty);
        if (restore)
                tcsetattr(fileno(tty), TCSAFLUSH, &old);
        fputc('\n', tty);
        fclose(tty);
        if (!r)
                return NULL;
        buf[strcspn(buf, "\r\n")] = 0;
        char *pw = strdup(buf);
        sodium_memzero(buf, sizeof(buf));
        return pw;
}

/* The text of PLAN.minisig for the plan, signed with the minisign secret key in keyfile. */
static int sign_plan(const char *keyfile, const char *output, const char *id, const uint8_t *plan, size_t size,
                     char **ret) {
        char text[4096], err[256];
        int fd = open(keyfile, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -errno : bw_read_full(fd, text, sizeof(text) - 1);
        if (fd >= 0)
                close(fd);
        if (n < 0) {
                fprintf(stderr, "bulwarkc: --sign %s: %s\n", keyfile, strerror((int) -n));
                return -1;
        }
        text[n] = 0;
        struct bw_minisign_seckey sk;
        int r = bw_minisign_seckey_parse(text, (size_t) n, NULL, &sk, err, sizeof(err));
        if (r < 0 && strstr(err, "encrypted")) {
                char *pw = key_password(keyfile);
                r = pw ? bw_minisign_seckey_parse(text, (size_t) n, pw, &sk, err, sizeof(err)) : -EINVAL;
                if (pw) {
                        sodium_memzero(pw, strlen(pw));
                        free(pw);
                } else
                        snprintf(err, sizeof(err),
                                 "the key is encrypted: set BULWARK_SIGN_PASSWORD or run on a terminal");
        }
        sodium_memzero(text, sizeof(text));
        if (r < 0) {
                fprintf(stderr, "bulwarkc: --sign %s: %s\n", keyfile, err);
                return -1;
        }
        char comment[512], *sig = NULL;
        const char *base = strrchr(output, '/') ? strrchr(output, '/') + 1 : output;
        snprintf(comment, sizeof(comment), "timestamp:%lld\tfile:%s\thashed\tbulwark plan %s", (long long) time(NULL),
                 base, id);
        for (char *c = comment; *c; c++)
                if (*c == '\n' || *c == '\r')
                        *c = '?';
        r = bw_minisign_sign(&sk, plan, size, comment, &sig);
        sodium_memzero(&sk, sizeof(sk));
        if (r < 0) {
                fprintf(stderr, "bulwarkc: cannot sign the plan: %s\n", strerror(-r));
                return -1;
        }
        *ret = sig;
        return 0;
}

static bool use_color(void) {
        const char *term = getenv("TERM"); /* read once: the NULL check and the compare see the same value */
        return !getenv("NO_COLOR") && isatty(STDERR_FILENO) && term && !bw_streq(term, "dumb");
}

/* Values for variables left unbound, for --explain only: this shell's. */
static void explain_defaults(struct bw_bindings *b, char **owned) {
        static char cwd[4096];
        if (!b->value[BW_VAR_WORKSPACE] && getcwd(cwd, sizeof(cwd)))
                b->value[BW_VAR_WORKSPACE] = cwd;
        struct passwd *pw = getpwuid(getuid());
        if (!b->value[BW_VAR_HOME])
                b->value[BW_VAR_HOME] = getenv("HOME") ? getenv("HOME") : pw ? pw->pw_dir : "/";
        if (!b->value[BW_VAR_TMPDIR]) {
                const char *t = getenv("TMPDIR");
                b->value[BW_VAR_TMPDIR] = t && t[0] == '/' ? t : "/tmp";
        }
        if (!b->value[BW_VAR_USER] && pw) {
                *owned = strdup(pw->pw_name);
                b->value[BW_VAR_USER] = *owned;
        }
}

int main(int argc, char **argv) {
        enum { OPT_ADMIN_DIR = 256, OPT_CHECK, OPT_EXPLAIN, OPT_JSON, OPT_NO_PROV, OPT_VERSION, OPT_SIGN };
        static const struct option opts[] = {
                {"output", required_argument, NULL, 'o'},    {"admin-dir", required_argument, NULL, OPT_ADMIN_DIR},
                {"check", no_argument, NULL, OPT_CHECK},     {"explain", required_argument, NULL, OPT_EXPLAIN},
                {"json", no_argument, NULL, OPT_JSON},       {"no-provenance", no_argument, NULL, OPT_NO_PROV},
                {"sign", required_argument, NULL, OPT_SIGN}, {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, OPT_VERSION}, {},
        };
        struct bw_compile_options o = {.admin_dir = DEFAULT_ADMIN_DIR, .admin_owner_also = (uid_t) -1};
        const char *output = NULL, *explain = NULL, *sign_key = NULL;
        bool check = false, json = false, no_prov = false;
        int c;
        opterr = 0; /* say it as bulwarkc, not as the program's path */
        while ((c = getopt_long(argc, argv, ":o:D:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        output = optarg;
                        break;
                case 'D': {
                        char *eq = strchr(optarg, '=');
                        int id = eq ? bw_var_lookup(optarg, (size_t) (eq - optarg)) : -1;
                        if (id < 0) {
                                fprintf(stderr,
                                        "bulwarkc: -D %s: expected NAME=VALUE with NAME one of workspace, home, "
                                        "tmpdir, user\n",
                                        optarg);
                                return EX_USAGE;
                        }
                        char why[200], shown[3 * 4096];
                        if (bw_var_value_explain((enum bw_var_id) id, eq + 1, why, sizeof(why)) < 0) {
                                fprintf(stderr, "bulwarkc: -D %s: %s\n",
                                        bw_printable(optarg, strlen(optarg), shown, sizeof(shown)), why);
                                return EX_USAGE;
                        }
                        if (o.bindings.value[id] && strcmp(o.bindings.value[id], eq + 1) != 0) {
                                /* the last one won silently: a script that binds twice has a bug */
                                fprintf(stderr, "bulwarkc: -D %.*s is given twice (%s, then %s): give it once\n",
                                        (int) (eq - optarg), optarg, o.bindings.value[id], eq + 1);
                                return EX_USAGE;
                        }
                        o.bindings.value[id] = eq + 1;
                        break;
                }
                case OPT_SIGN:
                        sign_key = optarg;
                        break;
                case OPT_ADMIN_DIR:
                        o.admin_dir = optarg;
                        o.admin_owner_also = geteuid(); /* constraints one is writing and testing */
                        break;
                case OPT_CHECK:
                        check = true;
                        break;
                case OPT_EXPLAIN:
                        explain = optarg;
                        break;
                case OPT_JSON:
                        json = true;
                        break;
                case OPT_NO_PROV:
                        no_prov = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case OPT_VERSION:
                        puts(BW_COMPILER_NAME);
                        return 0;
                case ':':
                        fprintf(stderr, "bulwarkc: %s needs a value\nTry 'bulwarkc --help'.\n", argv[optind - 1]);
                        return EX_USAGE;
                default:
                        /* a short option: optopt; a long one (or one given a value it does not
                         * take): the argument as written */
                        if (optopt > 0 && optopt < 128 && strncmp(argv[optind - 1], "--", 2) != 0)
                                fprintf(stderr, "bulwarkc: unknown option -%c\n", optopt);
                        else if (strchr(argv[optind - 1], '='))
                                fprintf(stderr, "bulwarkc: %s: unknown option, or one that takes no value\n",
                                        argv[optind - 1]);
                        else
                                fprintf(stderr, "bulwarkc: unknown option %s\n", argv[optind - 1]);
                        fputs("Try 'bulwarkc --help'.\n", stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "bulwarkc: %s\nTry 'bulwarkc --help'.\n",
                        optind >= argc ? "no policy file given" : "exactly one policy file, please");
                return EX_USAGE;
        }
        if (!output && !check && !explain) {
                fputs("bulwarkc: say where the plan goes with -o PLAN (or use --check or --explain)\n", stderr);
                return EX_USAGE;
        }
        if (explain && explain[0] != '/') {
                fprintf(stderr, "bulwarkc: --explain %s: give an absolute path\n", explain);
                return EX_USAGE;
        }
        o.policy_path = argv[optind];
        /* diagnostics can be many: buffer them rather than write a character at a time */
        static char errbuf[1 << 16];
        setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));

        struct bw_compilation comp;
        int r = bw_compile(&o, &comp);
        int status = 0;
        if (r < 0 && r != -EINVAL) {
                fprintf(stderr, "bulwarkc: cannot read policy %s: %s\n", o.policy_path,
                        strncmp(o.policy_path, "builtin:", 8) == 0
                                ? "no such built-in profile (read-only, workspace-write, workspace-write-online)"
                                : strerror(-r));
                bw_compilation_done(&comp);
                return EX_NOINPUT;
        }
        if (r == 0 && comp.main_kind == BW_DOC_CONSTRAINTS && !check) {
                struct bw_loc l = {.source = 1};
                bw_error(&comp.diags, &l,
                         "this is a constraints document: install it in %s (" ADMIN_ONLY "); "
                         "bulwarkc --check validates it",
                         DEFAULT_ADMIN_DIR);
                r = -EINVAL;
        }
        if (json)
                bw_diags_print_json(&comp.diags, &comp.sources, stdout);
        else
                bw_diags_print(&comp.diags, &comp.sources, stderr, use_color());
        if (r < 0) {
                if (!json)
                        fprintf(stderr, "bulwarkc: %zu error%s in %s; no plan written\n", comp.diags.n_errors,
                                comp.diags.n_errors == 1 ? "" : "s", o.policy_path);
                bw_compilation_done(&comp);
                return 1;
        }

        if (explain) {
                struct bw_bindings b = comp.bindings;
                char *owned = NULL;
                explain_defaults(&b, &owned);
                struct bw_explanation e;
                if (bw_explain(&comp, explain, &b, &e) < 0) {
                        fprintf(stderr, "bulwarkc: --explain %s: not a path that can be explained\n", explain);
                        status = EX_USAGE;
                } else {
                        bw_explanation_print(&comp, &e, &b, stdout, json);
                        bw_explanation_done(&e);
                }
                free(owned);
        }

        if (output && !check && status == 0) {
                uint8_t *buf;
                size_t size;
                r = bw_compilation_to_plan(&comp, no_prov, &buf, &size);
                if (r < 0) {
                        fprintf(stderr, "bulwarkc: cannot build the plan: %s\n", strerror(-r));
                        bw_compilation_done(&comp);
                        return 70;
                }
                /* The compiler must never emit a plan the enforcer would reject: check it first. */
                struct bw_plan p;
                struct bw_plan_error perr = {0};
                if (bw_plan_parse(buf, size, 0, &p, &perr) < 0) {
                        fprintf(stderr,
                                "bulwarkc: internal error: the plan built for %s does not validate (byte %llu: %s); "
                                "nothing was written. Please report this with the policy.\n",
                                o.policy_path, (unsigned long long) perr.offset, perr.message);
                        free(buf);
                        bw_compilation_done(&comp);
                        return 70;
                }
                char id[BW_PLAN_ID_HEX + 1], *sig = NULL;
                memcpy(id, p.id, sizeof(id));
                /* sign first: a key that cannot be used leaves nothing written */
                if (sign_key && sign_plan(sign_key, output, id, buf, size, &sig) < 0) {
                        free(buf);
                        bw_compilation_done(&comp);
                        return EX_NOINPUT;
                }
                r = bw_write_file_atomic(output, buf, size, 0644);
                if (r == 0 && sig) {
                        char *sig_path = NULL;
                        if (asprintf(&sig_path, "%s.minisig", output) < 0)
                                abort();
                        r = bw_write_file_atomic(sig_path, sig, strlen(sig), 0644);
                        if (r == 0)
                                fprintf(stderr, "bulwarkc: signature written to %s\n", sig_path);
                        free(sig_path);
                }
                free(sig);
                if (r < 0) {
                        fprintf(stderr, "bulwarkc: cannot write %s: %s\n", output, strerror(-r));
                        free(buf);
                        bw_compilation_done(&comp);
                        return EX_CANTCREAT;
                }
                if (!json)
                        fprintf(stderr, "bulwarkc: plan %s written to %s (%zu bytes, %zu rules)\n", id, output, size,
                                comp.n_rules);
                free(buf);
        }
        bw_compilation_done(&comp);
        return status;
}
