/* SPDX-License-Identifier: MIT */
/* bulwark: the enforcer's command line. Commands and exit codes follow cli.md. */
#include "completion.h"
#include "engine.h"
#include "import.h"
#include "init.h"
#include "plan.h"
#include "run_front.h"
#include "runner_file.h"
#include "show.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sysexits.h>

#define DEFAULT_STATE_DIR BW_FRONT_STATE_DIR

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
              "  session start|stop|list [--workspace DIR]\n"
              "                                     a warm sandbox for the workspace (faster runs)\n"
              "  trust [--workspace DIR] [--show | --revoke]\n"
              "                                     trust the exact content of the workspace's policy\n"
              "  init [--dry-run] [--workspace DIR]\n"
              "                                     write a commented .bulwark/policy.yaml for the repository\n"
              "  import codex|srt [FILE] [-o OUT]   a policy from a Codex config.toml or srt settings\n"
              "  completion bash|zsh|fish           a shell completion script\n"
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
        {"run", "Usage: bulwark run [--network] [--plan PLAN] [--workspace DIR] [--verbose] -- CMD [ARG...]\n\n"
                "Run CMD under the token spec of the plan covering the workspace. The workspace is DIR, or\n"
                "the outermost directory from here up that holds .git (a directory or a file) or\n"
                ".bulwark/policy.yaml, or else the current directory; never your home directory, / or a\n"
                "directory above your home directory unless --workspace names it (exit 125 otherwise).\n"
                "Elevated when `bulwark apply` installed a plan for it (or a directory above): as the\n"
                "sandbox user; when the workspace's policy compiles to another plan, one line says which\n"
                "is in force and the `sudo bulwark apply` that would install the policy. Otherwise\n"
                "unelevated, as you, with PLAN, or the workspace's own .bulwark/policy.yaml compiled now\n"
                "(admin constraints included), or the built-in workspace-write profile. A workspace policy\n"
                "is used only when you trusted its exact content with `bulwark trust` (every policy, even\n"
                "one that grants nothing beyond workspace-write); an untrusted or changed one is refused\n"
                "(125) with the files that changed and what the policy grants. --trust-policy is gone.\n"
                "Either way: new user, mount, pid and (offline) network\n"
                "namespaces, a read-only root with the writable roots bound writable and carve-outs\n"
                "read-only, no_new_privs, Landlock, seccomp. This execs bulwark-runner, which agents can\n"
                "also call directly (one program start less). Exit: CMD's status; 125 when the sandbox\n"
                "could not be set up; 126/127 when CMD cannot be run / is not found.\n"},
        {"session", "Usage: bulwark session start|stop|list [--network] [--plan PLAN] [--workspace DIR]\n\n"
                    "A warm sandbox for the workspace: `start` builds the sandbox once (namespaces, mounts,\n"
                    "carve-outs, identity) and keeps it serving in the background; later `bulwark run`s in\n"
                    "the workspace (same mode) run their command in it, each in a pid and mount namespace of\n"
                    "its own, with no_new_privs, Landlock and seccomp, and the same checks before and after\n"
                    "the command as a cold run. A run whose boundary differs (a carve-out appeared, the\n"
                    "policy changed) runs cold and has the session rebuilt. A terminal (interactive) run\n"
                    "runs cold. The session ends with `stop`, after 15 minutes without a command\n"
                    "(BULWARK_SESSION_IDLE seconds), or when its boundary changes. `list` shows yours.\n"},
        {"trust", "Usage: bulwark trust [--workspace DIR] [--show | --revoke]\n\n"
                  "Record that you trust the exact content of the workspace's .bulwark/policy.yaml and of every\n"
                  "file it extends (as `direnv allow` does): their SHA-256 digests go to\n"
                  "$XDG_STATE_HOME/bulwark/trust/ (default ~/.local/state/bulwark/trust/), one 0600 file per\n"
                  "workspace. `bulwark run` uses a workspace policy only while every file is as trusted.\n"
                  "Before recording, it lists the files (trusted, changed, new) and what the policy grants\n"
                  "beyond the built-in workspace-write profile: writes outside the workspace and /tmp,\n"
                  "unreadable paths it leaves out or opens up, network, protected defaults it unprotects,\n"
                  "environment it passes through. --show prints that and records nothing; --revoke forgets\n"
                  "the record. A policy and each file it extends must be regular files of yours with one\n"
                  "name, reached without symlinks, inside the workspace's .bulwark (or root's files in the\n"
                  "admin directory); a policy with errors is not trusted. The workspace is found as for\n"
                  "`bulwark run`. Exit: 0 done, 1 refused or failed, 64 usage error.\n"},
        {"doctor",
         "Usage: bulwark doctor [--json]\n\nWhat this host can enforce: nftables, the Landlock ABI, user namespaces, "
         "and POSIX ACL\nsupport of the file systems of the current directory, /tmp and every installed workspace.\n"},
};

static bool print_help(const char *cmd) {
        for (size_t i = 0; i < BW_ARRAY_SIZE(command_help); i++)
                if (bw_streq(command_help[i][0], cmd)) {
                        fputs(command_help[i][1], stdout);
                        return true;
                }
        return false;
}

/* bulwark run: find bulwark-runner and the workspace, compile the workspace's policy when it is
 * needed and trusted, exec. */
static const char *run_session; /* bulwark session ACTION: cmd_run without a command */

static int cmd_run(int argc, char **argv) {
        static const struct option opts[] = {
                {"network", no_argument, NULL, 'n'},         {"plan", required_argument, NULL, 'p'},
                {"workspace", required_argument, NULL, 'w'}, {"verbose", no_argument, NULL, 'v'},
                {"runner", required_argument, NULL, 'r'},    {"help", no_argument, NULL, 'h'},
                {"trust-policy", no_argument, NULL, 't'},    {},
        };
        const char *plan = NULL, *workspace = NULL, *runner_override = NULL;
        bool network = false, verbose = false;
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
                        fputs("bulwark run: --trust-policy is gone: review the workspace's policy with `bulwark trust "
                              "--show`, then record your trust in its exact content with `bulwark trust` (see "
                              "`bulwark trust --help`)\n",
                              stderr);
                        return 125;
                case 'h':
                        print_help("run");
                        return 0;
                default:
                        fputs("Try 'bulwark run --help'.\n", stderr);
                        return 125;
                }
        }
        if (optind >= argc && !run_session) {
                fputs("bulwark run: say which command to run, after --\n", stderr);
                return 125;
        }
        char runner[PATH_MAX];
        if (bw_runner_locate(runner_override, runner, sizeof(runner)) < 0) {
                fputs("bulwark run: --runner: give an absolute path\n", stderr);
                return 125;
        }
        char ws[PATH_MAX], start[PATH_MAX], fdarg[16];
        int plan_fd = -1;
        if (!realpath(workspace ? workspace : ".", start)) {
                fprintf(stderr, "bulwark run: %s: %s\n", workspace ? workspace : "the current directory",
                        strerror(errno));
                return 125;
        }
        if (bw_front_installed_for(start)) {
                /* elevated: the installed plan decides (the runner finds it the same way) */
                if (!plan)
                        bw_front_note_installed(start);
        } else {
                if (bw_front_workspace("run", workspace, verbose, ws, sizeof(ws)) < 0)
                        return 125;
                if (!plan) {
                        plan_fd = bw_front_policy_memfd(ws);
                        if (plan_fd == -1)
                                return 125;
                }
                workspace = ws; /* the runner binds the plan to it too */
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
        if (run_session) {
                ARG("--session");
                ARG(run_session);
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

/* bulwark trust: record (or show, or revoke) the caller's trust in a workspace policy. */
static int cmd_trust(int argc, char **argv) {
        static const struct option opts[] = {
                {"workspace", required_argument, NULL, 'w'},
                {"show", no_argument, NULL, 's'},
                {"revoke", no_argument, NULL, 'r'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        const char *workspace = NULL;
        bool show = false, revoke = false;
        int c;
        while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
                switch (c) {
                case 'w':
                        workspace = optarg;
                        break;
                case 's':
                        show = true;
                        break;
                case 'r':
                        revoke = true;
                        break;
                case 'h':
                        print_help("trust");
                        return 0;
                default:
                        fputs("Try 'bulwark trust --help'.\n", stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc || (show && revoke)) {
                fputs("Usage: bulwark trust [--workspace DIR] [--show | --revoke]\n", stderr);
                return EX_USAGE;
        }
        char ws[PATH_MAX];
        if (bw_front_workspace("trust", workspace, false, ws, sizeof(ws)) < 0)
                return 1;
        return bw_front_trust(ws, show, revoke);
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
        if (bw_streq(cmd, "help") && argc >= 3) { /* bulwark help CMD: as CMD --help */
                if (print_help(argv[2]))
                        return 0;
                fprintf(stderr, "bulwark help: no command '%s' (see `bulwark --help`)\n", argv[2]);
                return EX_USAGE;
        }
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
        if (bw_streq(cmd, "trust"))
                return cmd_trust(argc - 1, argv + 1);
        if (bw_streq(cmd, "session")) {
                if (argc < 3 ||
                    (!bw_streq(argv[2], "start") && !bw_streq(argv[2], "stop") && !bw_streq(argv[2], "list"))) {
                        if (argc >= 3 && (bw_streq(argv[2], "-h") || bw_streq(argv[2], "--help"))) {
                                print_help("session");
                                return 0;
                        }
                        fputs("bulwark session: say start, stop or list (see `bulwark session --help`)\n", stderr);
                        return 125;
                }
                run_session = argv[2];
                return cmd_run(argc - 2, argv + 2);
        }
        if (bw_streq(cmd, "init"))
                return bw_cmd_init(argc - 1, argv + 1);
        if (bw_streq(cmd, "import"))
                return bw_cmd_import(argc - 1, argv + 1);
        if (bw_streq(cmd, "completion"))
                return bw_cmd_completion(argc - 1, argv + 1);
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
