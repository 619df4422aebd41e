/* SPDX-License-Identifier: MIT */
/* bulwark: the enforcer's command line. Commands and exit codes follow cli.md. */
#include "compile.h"
#include "engine.h"
#include "plan.h"
#include "runner_file.h"
#include "sha256.h"
#include "show.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sysexits.h>

#define DEFAULT_STATE_DIR "/var/lib/bulwark"

static void usage(FILE *f) {
        fputs("Usage: bulwark COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  show PLAN [--json]                 decode a plan: header, sections, entries, provenance\n"
              "  plan PLAN [--json] [--workspace DIR] [-o CHANGES]\n"
              "                                     what applying PLAN would change (read-only)\n"
              "  apply PLAN [--workspace DIR]       converge this machine to PLAN (root), journaled\n"
              "  apply --reviewed CHANGES           apply a change set saved by plan -o, if nothing moved\n"
              "  revert PLAN_ID | --all             undo what apply did, exactly (root)\n"
              "  status [--json]                    installed plans, and drift since they were applied\n"
              "  doctor [--json]                    what this host can enforce\n"
              "  run [--network] [--plan PLAN] [--workspace DIR] [--verbose] -- CMD [ARG...]\n"
              "                                     run CMD in the sandbox (through bulwark-runner)\n"
              "\n"
              "Common options: --user NAME (the real user; default SUDO_USER, SUDO_UID, the caller),\n"
              "--state-dir DIR (default " DEFAULT_STATE_DIR "), --lock-timeout SECONDS (default 10),\n"
              "--threads N, --runner PATH (default: bulwark-runner beside bulwark), --signature FILE\n"
              "(default PLAN.minisig), --trusted-keys DIR (default /etc/bulwark/trusted-keys.d),\n"
              "--admin-dir DIR (default /etc/bulwark/admin.d). Run 'bulwark COMMAND --help' for more.\n"
              "\n"
              "Exit status: plan and status 0 no difference, 2 differences, 1 error; apply and revert\n"
              "0 success (also when nothing had to change), 1 error; 64 usage error; run: the\n"
              "command's own status, 125 when the sandbox could not be set up.\n",
              f);
}

static const char *const command_help[][2] = {
        {"plan", "Usage: bulwark plan PLAN [--json] [--workspace DIR] [--user NAME] [-o CHANGES]\n\n"
                 "Compare PLAN, bound to the workspace and the real user, with this machine: sandbox\n"
                 "accounts, the firewall table inet bulwark, POSIX ACLs under every root, the installed\n"
                 "plan. Prints one line per change (a summary first), or JSON lines with --json. Changes\n"
                 "nothing. Without root, what cannot be read (the nftables ruleset) is reported as\n"
                 "unknown ('?'). -o CHANGES also saves the change set for review, bound to the plan and\n"
                 "to a digest of the state it was computed against (bulwark apply --reviewed CHANGES).\n"
                 "Exit: 0 no difference, 2 differences, 1 error.\n"},
        {"apply", "Usage: bulwark apply PLAN [--workspace DIR] [--user NAME] [--signature FILE]\n\n"
                  "As root: create the sandbox accounts, load the firewall table, set the ACLs, give\n"
                  "bulwark-runner its capabilities and install the plan for it. Every change is journaled\n"
                  "(with what it replaced) and synced before it is made. Applying again changes nothing.\n"
                  "A signature (PLAN.minisig, minisign's format) is checked against the keys in\n"
                  "/etc/bulwark/trusted-keys.d; a bad one refuses the plan, and so does a missing or\n"
                  "untrusted one when require_signed_plans is set. Each apply is recorded in\n"
                  "/var/log/bulwark/audit.jsonl. Exit: 0 success, 1 error.\n"},
        {"revert", "Usage: bulwark revert PLAN_ID | --all\n\n"
                   "As root: restore the exact ACL bytes every change replaced, remove the installation,\n"
                   "and, when no installation is left, the accounts and the firewall table bulwark created.\n"
                   "PLAN_ID is a plan ID (or installation ID) prefix from 'bulwark status'. Exit: 0/1.\n"},
        {"status", "Usage: bulwark status [--json]\n\n"
                   "For every installed plan: is it still in force, or what drifted (an entry removed, a\n"
                   "flushed table, a deleted user). Exit: 0 all in force, 2 drift, 1 error.\n"},
        {"run", "Usage: bulwark run [--network] [--plan PLAN] [--workspace DIR] [--verbose] [--trust-policy]\n"
                "                   -- CMD [ARG...]\n\n"
                "Run CMD under the token spec of the plan covering the workspace (default: the outermost\n"
                "directory from here up with a .bulwark/policy.yaml, else the current directory).\n"
                "Elevated when `bulwark apply` installed a plan for it (or a directory above):\n"
                "as the sandbox user. Otherwise unelevated, as you, with PLAN, or the workspace's own\n"
                ".bulwark/policy.yaml compiled now (admin constraints included), or the built-in\n"
                "workspace-write profile. A workspace policy that grants more than that profile (writes\n"
                "outside the workspace and /tmp, or network) runs only with --trust-policy.\n"
                "Either way: new user, mount, pid and (offline) network\n"
                "namespaces, a read-only root with the writable roots bound writable and carve-outs\n"
                "read-only, no_new_privs, Landlock, seccomp. This execs bulwark-runner, which agents can\n"
                "also call directly (one program start less). Exit: CMD's status; 125 when the sandbox\n"
                "could not be set up; 126/127 when CMD cannot be run / is not found.\n"},
        {"doctor",
         "Usage: bulwark doctor [--json]\n\nWhat this host can enforce: nftables, the Landlock ABI, user namespaces, "
         "and POSIX ACL\nsupport of the file systems of the current directory, /tmp and every installed workspace.\n"},
};

/* An installation for dir or a directory above it (the runner makes the same search, and checks
 * ownership; this only decides whether a policy needs compiling). */
static bool installed_for(const char *dir) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s", dir);
        for (;;) {
                uint8_t d[32];
                char id[17], p[PATH_MAX + 64];
                struct stat st;
                bw_sha256(path, strlen(path), d);
                bw_hex(d, 8, id);
                snprintf(p, sizeof(p), DEFAULT_STATE_DIR "/installs/%s/plan", id);
                if (stat(p, &st) == 0)
                        return true;
                char *slash = strrchr(path, '/');
                if (!slash || bw_streq(path, "/"))
                        return false;
                if (slash == path)
                        slash[1] = 0;
                else
                        *slash = 0;
        }
}

/* What a workspace policy grants beyond the built-in workspace-write profile: a writable path
 * outside the workspace and ${tmpdir}, or network access. Such a policy may have been written by
 * a sandboxed command (a nested .bulwark it could create) or shipped in a cloned repository, so it
 * runs only when the caller says --trust-policy. Returns how many such grants it printed. */
static unsigned report_widening(const struct bw_compilation *c, const char *workspace, const char *tmpdir) {
        unsigned n = 0;
        for (size_t i = 0; i < c->n_rules; i++) {
                const struct bw_rule_eff *r = &c->rules[i];
                if (r->kind != BW_RULE_WRITABLE || r->match != BW_MATCH_PATH || bw_path_is_within(r->text, workspace) ||
                    bw_path_is_within(r->text, tmpdir))
                        continue;
                const struct bw_source *src = c->sources.v[r->loc.source];
                fprintf(stderr, "bulwark run: %s:%u: makes %s writable, outside the workspace\n", src->name,
                        r->loc.line, r->text);
                n++;
        }
        if (c->network == BW_NETWORK_ON) {
                fprintf(stderr, "bulwark run: the policy turns the network on\n");
                n++;
        }
        return n;
}

/* Compile the workspace's own policy, bound to this workspace and user, into an anonymous file for
 * the runner. Returns its fd, or -1 after printing why not. */
static int compile_to_memfd(const char *policy, const char *workspace, bool trust) {
        struct passwd *pw = getpwuid(getuid());
        struct bw_compile_options co = {
                .policy_path = policy, .admin_dir = "/etc/bulwark/admin.d", .admin_owner_also = (uid_t) -1};
        co.bindings.value[BW_VAR_WORKSPACE] = workspace;
        co.bindings.value[BW_VAR_TMPDIR] = "/tmp";
        if (pw) {
                co.bindings.value[BW_VAR_HOME] = pw->pw_dir;
                co.bindings.value[BW_VAR_USER] = pw->pw_name;
        }
        struct bw_compilation comp;
        int r = bw_compile(&co, &comp);
        if (r < 0 && r != -EINVAL)
                fprintf(stderr, "bulwark run: cannot read %s: %s\n", policy, strerror(-r));
        else
                bw_diags_print(&comp.diags, &comp.sources, stderr, isatty(2) && !getenv("NO_COLOR"));
        uint8_t *buf = NULL;
        size_t size = 0;
        int fd = -1;
        if (r == 0 && !trust && report_widening(&comp, workspace, "/tmp") > 0)
                fprintf(stderr,
                        "bulwark run: %s grants more than the built-in workspace-write profile; a sandboxed command "
                        "or a cloned repository may have written it. Review it, then run again with --trust-policy "
                        "(the command was not run)\n",
                        policy);
        else if (r == 0 && bw_compilation_to_plan(&comp, true, &buf, &size) == 0) {
                fd = memfd_create("bulwark-plan", 0); /* inherited by the runner on purpose */
                if (fd < 0 || write(fd, buf, size) != (ssize_t) size || lseek(fd, 0, SEEK_SET) < 0) {
                        fprintf(stderr, "bulwark run: cannot hand the compiled plan over: %s\n", strerror(errno));
                        fd = -1;
                }
        } else if (r == 0)
                fprintf(stderr, "bulwark run: cannot build a plan from %s\n", policy);
        else
                fprintf(stderr, "bulwark run: %s has errors; the command was not run\n", policy);
        free(buf);
        bw_compilation_done(&comp);
        return fd;
}

/* The workspace for `bulwark run` without --workspace: the outermost directory above (or at) dir
 * with a .bulwark/policy.yaml, so that a policy a sandboxed command wrote into a subdirectory of
 * its workspace never governs runs started there; dir itself when there is none. */
static void find_workspace(const char *dir, char *out, size_t size) {
        char path[PATH_MAX];
        snprintf(out, size, "%s", dir);
        snprintf(path, sizeof(path), "%s", dir);
        for (;;) {
                char policy[PATH_MAX + 32];
                snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", bw_streq(path, "/") ? "" : path);
                if (access(policy, F_OK) == 0)
                        snprintf(out, size, "%s", path);
                char *slash = strrchr(path, '/');
                if (!slash || bw_streq(path, "/"))
                        return;
                if (slash == path)
                        slash[1] = 0;
                else
                        *slash = 0;
        }
}

/* bulwark run: find bulwark-runner, compile the workspace's policy when one is needed, exec. */
static int cmd_run(int argc, char **argv) {
        static const struct option opts[] = {
                {"network", no_argument, NULL, 'n'},         {"plan", required_argument, NULL, 'p'},
                {"workspace", required_argument, NULL, 'w'}, {"verbose", no_argument, NULL, 'v'},
                {"runner", required_argument, NULL, 'r'},    {"help", no_argument, NULL, 'h'},
                {"trust-policy", no_argument, NULL, 't'},    {},
        };
        const char *plan = NULL, *workspace = NULL, *runner_override = NULL;
        bool network = false, verbose = false, trust_policy = false;
        int c;
        while ((c = getopt_long(argc, argv, "+nw:vh", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        network = true;
                        break;
                case 'p':
                        plan = optarg;
                        break;
                case 'w':
                        workspace = optarg;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'r':
                        runner_override = optarg;
                        break;
                case 't':
                        trust_policy = true;
                        break;
                case 'h':
                        for (size_t i = 0; i < BW_ARRAY_SIZE(command_help); i++)
                                if (bw_streq(command_help[i][0], "run"))
                                        fputs(command_help[i][1], stdout);
                        return 0;
                default:
                        fputs("Try 'bulwark run --help'.\n", stderr);
                        return 125;
                }
        }
        if (optind >= argc) {
                fputs("bulwark run: say which command to run, after --\n", stderr);
                return 125;
        }
        char runner[PATH_MAX];
        if (bw_runner_locate(runner_override, runner, sizeof(runner)) < 0) {
                fputs("bulwark run: --runner: give an absolute path\n", stderr);
                return 125;
        }
        char ws[PATH_MAX], policy[PATH_MAX + 32], fdarg[16];
        int plan_fd = -1;
        char here[PATH_MAX];
        if (!plan && realpath(workspace ? workspace : ".", here)) {
                if (workspace)
                        snprintf(ws, sizeof(ws), "%s", here);
                else
                        find_workspace(here, ws, sizeof(ws));
                snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", ws);
                if (access(policy, F_OK) == 0 && !installed_for(ws) && !installed_for(here)) {
                        if ((plan_fd = compile_to_memfd(policy, ws, trust_policy)) < 0)
                                return 125;
                        workspace = ws; /* the runner binds the plan to it too */
                }
        }
        /* argv for the runner: our options as it spells them, then the command */
        size_t n = 12 + (size_t) (argc - optind) + 1, k = 0;
        char **full = calloc(n, sizeof(*full));
        if (!full)
                return 125;
#define ARG(s) (full[k++] = strdup(s))
        ARG("bulwark-runner");
        if (network)
                ARG("--network");
        if (verbose)
                ARG("--verbose");
        if (workspace) {
                ARG("--workspace");
                ARG(workspace);
        }
        if (plan) {
                ARG("--plan");
                ARG(plan);
        }
        if (plan_fd >= 0) {
                snprintf(fdarg, sizeof(fdarg), "%d", plan_fd);
                ARG("--plan-fd");
                ARG(fdarg);
        }
        ARG("--");
#undef ARG
        for (int i = optind; i < argc; i++)
                full[k++] = argv[i];
        execv(runner, full);
        fprintf(stderr,
                "bulwark run: cannot start %s: %s (install bulwark-runner beside bulwark, or give --runner PATH)\n",
                runner, strerror(errno));
        return 125;
}

static int cmd_show(int argc, char **argv) {
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
                if (c == 'j')
                        json = true;
                else if (c == 'h') {
                        fputs("Usage: bulwark show PLAN [--json]\n\nValidate PLAN (every offset, length, index, enum "
                              "and both "
                              "SHA-256 digests) and print it,\nwith the policy file, line and column of each entry.\n"
                              "Exit: 0 shown, 1 invalid or unreadable, 64 usage error.\n",
                              stdout);
                        return 0;
                } else
                        return EX_USAGE;
        }
        if (optind != argc - 1) {
                fputs("Usage: bulwark show PLAN [--json]\n", stderr);
                return EX_USAGE;
        }
        const char *path = argv[optind];
        struct bw_plan *p = NULL;
        struct bw_plan_error err = {0};
        int r = bw_plan_load(path, 0, &p, &err);
        if (r < 0) {
                if (err.message[0])
                        fprintf(stderr, "bulwark: %s: invalid plan at byte %llu: %s\n", path,
                                (unsigned long long) err.offset, err.message);
                else
                        fprintf(stderr, "bulwark: %s: cannot read the plan: %s\n", path,
                                r == -EINVAL ? "not a regular file" : strerror(-r));
                return 1;
        }
        if (json)
                bw_show_json(p, stdout);
        else
                bw_show_text(p, stdout);
        bw_plan_free(p);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return EX_USAGE;
        }
        const char *cmd = argv[1];
        if (bw_streq(cmd, "-h") || bw_streq(cmd, "--help") || bw_streq(cmd, "help")) {
                usage(stdout);
                return 0;
        }
        if (bw_streq(cmd, "--version")) {
                puts("bulwark " BULWARK_VERSION);
                return 0;
        }
        if (bw_streq(cmd, "show"))
                return cmd_show(argc - 1, argv + 1);
        if (bw_streq(cmd, "run"))
                return cmd_run(argc - 1, argv + 1);
        if (!bw_streq(cmd, "plan") && !bw_streq(cmd, "apply") && !bw_streq(cmd, "revert") && !bw_streq(cmd, "status") &&
            !bw_streq(cmd, "doctor")) {
                fprintf(stderr, "bulwark: unknown command '%s'\n", cmd);
                usage(stderr);
                return EX_USAGE;
        }

        /* The tree walk holds an fd per directory level it walks itself and per queued directory:
         * allow what the hard limit allows. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }

        enum {
                OPT_JSON = 256,
                OPT_WORKSPACE,
                OPT_USER,
                OPT_STATE_DIR,
                OPT_LOCK_TIMEOUT,
                OPT_ALL,
                OPT_THREADS,
                OPT_RUNNER,
                OPT_SIGNATURE,
                OPT_TRUSTED_KEYS,
                OPT_ADMIN_DIR,
                OPT_REVIEWED,
        };
        static const struct option opts[] = {
                {"json", no_argument, NULL, OPT_JSON},
                {"workspace", required_argument, NULL, OPT_WORKSPACE},
                {"user", required_argument, NULL, OPT_USER},
                {"state-dir", required_argument, NULL, OPT_STATE_DIR},
                {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
                {"threads", required_argument, NULL, OPT_THREADS},
                {"all", no_argument, NULL, OPT_ALL},
                {"runner", required_argument, NULL, OPT_RUNNER},
                {"signature", required_argument, NULL, OPT_SIGNATURE},
                {"trusted-keys", required_argument, NULL, OPT_TRUSTED_KEYS},
                {"admin-dir", required_argument, NULL, OPT_ADMIN_DIR},
                {"reviewed", required_argument, NULL, OPT_REVIEWED},
                {"output", required_argument, NULL, 'o'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct bw_engine_options o = {.state_dir = DEFAULT_STATE_DIR, .lock_timeout = 10};
        bool all = false;
        const char *reviewed = NULL;
        int c;
        argc--;
        argv++;
        while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
                switch (c) {
                case OPT_JSON:
                        o.json = true;
                        break;
                case OPT_WORKSPACE:
                        o.workspace = optarg;
                        break;
                case OPT_USER:
                        o.user = optarg;
                        break;
                case OPT_STATE_DIR:
                        o.state_dir = optarg;
                        break;
                case OPT_LOCK_TIMEOUT:
                        o.lock_timeout = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case OPT_THREADS:
                        o.threads = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case OPT_ALL:
                        all = true;
                        break;
                case OPT_RUNNER:
                        o.runner = optarg;
                        break;
                case OPT_SIGNATURE:
                        o.signature = optarg;
                        break;
                case OPT_TRUSTED_KEYS:
                        o.trusted_keys_dir = optarg;
                        break;
                case OPT_ADMIN_DIR:
                        o.admin_dir = optarg;
                        break;
                case OPT_REVIEWED:
                        reviewed = optarg;
                        break;
                case 'o':
                        o.changes_out = optarg;
                        break;
                case 'h':
                        for (size_t i = 0; i < BW_ARRAY_SIZE(command_help); i++)
                                if (bw_streq(command_help[i][0], cmd))
                                        fputs(command_help[i][1], stdout);
                        return 0;
                default:
                        fprintf(stderr, "Try 'bulwark %s --help'.\n", cmd);
                        return EX_USAGE;
                }
        }
        int rest = argc - optind;
        if (o.changes_out && !bw_streq(cmd, "plan")) {
                fputs("bulwark: -o CHANGES belongs to bulwark plan\n", stderr);
                return EX_USAGE;
        }
        if (reviewed) {
                if (!bw_streq(cmd, "apply") || rest != 0) {
                        fputs("bulwark: --reviewed CHANGES belongs to bulwark apply, without a PLAN (the change set "
                              "carries the plan)\n",
                              stderr);
                        return EX_USAGE;
                }
                return bw_cmd_apply_reviewed(reviewed, &o, stdout);
        }
        if (bw_streq(cmd, "plan") || bw_streq(cmd, "apply")) {
                if (rest != 1) {
                        fprintf(stderr, "bulwark %s: give exactly one PLAN file\n", cmd);
                        return EX_USAGE;
                }
                return bw_streq(cmd, "plan") ? bw_cmd_plan(argv[optind], &o, stdout)
                                             : bw_cmd_apply(argv[optind], &o, stdout);
        }
        if (bw_streq(cmd, "revert")) {
                if ((all && rest != 0) || (!all && rest != 1)) {
                        fputs("bulwark revert: give a PLAN_ID or --all\n", stderr);
                        return EX_USAGE;
                }
                return bw_cmd_revert(all ? NULL : argv[optind], all, &o, stdout);
        }
        if (rest != 0) {
                fprintf(stderr, "bulwark %s: takes no arguments\n", cmd);
                return EX_USAGE;
        }
        return bw_streq(cmd, "status") ? bw_cmd_status(&o, stdout) : bw_cmd_doctor(&o, stdout);
}
