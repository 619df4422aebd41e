/* SPDX-License-Identifier: MIT */
/* bulwark: the enforcer's command line. Commands and exit codes follow cli.md. */
#include "backend.h"
#include "completion.h"
#include "engine.h"
#include "import.h"
#include "init.h"
#include "install_bindings.h"
#include "plan.h"
#include "run_front.h"
#include "sha256.h"
#include "show.h"
#include "term.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sysexits.h>

#ifdef _WIN32
/* bulwark.exe: the same command line over bw_backend_windows (windows/main_windows.c converts
 * the UTF-16 arguments and calls bw_main). What Windows cannot do yet says so where it is asked. */
#include "run_front_windows.h"
#define DEFAULT_STATE_DIR "%ProgramData%\\bulwark"
#define main bw_main
int bw_main(int argc, char **argv);
#else
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#define DEFAULT_STATE_DIR BW_FRONT_STATE_DIR
#endif

static void usage(FILE *f) {
        fputs("Usage: bulwark [--color=WHEN] [-q | --quiet] COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  show PLAN [--json]                 decode a plan: header, sections, entries, provenance\n"
              "  plan PLAN [--json] [--verbose] [--workspace DIR] [-o CHANGES]\n"
              "                                     what applying PLAN would change (read-only)\n"
              "  apply PLAN [--workspace DIR] [-y]  converge this machine to PLAN (root), journaled; on a\n"
              "                                     terminal, shows the plan and asks first (-y: don't ask)\n"
              "  apply --installed ID|WORKSPACE [-y]\n"
              "                                     apply an installed plan again (heals drift)\n"
              "  apply --reviewed CHANGES           apply a change set saved by plan -o, if nothing moved\n"
              "  revert [ID | WORKSPACE | --all] [--moved-to DIR | --deleted]\n"
              "                                     undo what apply did, exactly (root); default: the\n"
              "                                     installation of the current directory\n"
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
              "Global options, before the command (show, plan, apply, revert, status and doctor also\n"
              "take them after it): --color[=WHEN] colours what goes to a terminal: auto (the default:\n"
              "when the stream is a terminal, TERM is set and not dumb, and NO_COLOR is unset or empty),\n"
              "always (--color alone), never. -q, --quiet: only errors and warnings (on standard error);\n"
              "plan and status still say everything in their exit status.\n"
              "\n"
              "Exit status: plan and status 0 no difference, 2 differences, 1 error; apply and revert\n"
              "0 success (also when nothing had to change), 1 error; 64 usage error; run: the\n"
              "command's own status, 125 when the sandbox could not be set up.\n",
              f);
}

static const char *const command_help[][2] = {
        {"plan", "Usage: bulwark plan PLAN [--json] [-v | --verbose] [--workspace DIR] [--user NAME] [-o CHANGES]\n\n"
                 "Compare PLAN, bound to the workspace and the real user, with this machine: sandbox\n"
                 "accounts, the firewall table inet bulwark, POSIX ACLs under every root, the installed\n"
                 "plan. Prints one line per change (a summary first), or JSON lines with --json. Changes\n"
                 "nothing. Without root, what cannot be read (the nftables ruleset) is reported as\n"
                 "unknown ('?'). -o CHANGES also saves the change set for review, bound to the plan and\n"
                 "to a digest of the state it was computed against (bulwark apply --reviewed CHANGES).\n"
                 "ACL lines beyond the first ones under each root are summed up in one line ('... and K more\n"
                 "changes under ROOT'): -v, --verbose lists every one (--json always does). On a terminal,\n"
                 "a progress line on standard error counts the objects checked.\n"
                 "--quiet prints no change line: the exit status says whether there is a difference.\n"
                 "Exit: 0 no difference, 2 differences, 1 error.\n"},
        {"apply", "Usage: bulwark apply PLAN [--workspace DIR] [--user NAME] [--signature FILE] [-y | --yes]\n"
                  "       bulwark apply --installed ID|WORKSPACE [-y | --yes]\n"
                  "       bulwark apply --reviewed CHANGES\n\n"
                  "As root: create the sandbox accounts, load the firewall table, set the ACLs, give\n"
                  "bulwark-runner its capabilities and install the plan for it. Every change is journaled\n"
                  "(with what it replaced) and synced before it is made. Applying again changes nothing.\n"
                  "A signature (PLAN.minisig, minisign's format) is checked against the keys in\n"
                  "/etc/bulwark/trusted-keys.d; a bad one refuses the plan, and so does a missing or\n"
                  "untrusted one when require_signed_plans is set. Each apply is recorded in\n"
                  "/var/log/bulwark/audit.jsonl.\n\n"
                  "On a terminal (standard input and standard error both are one), apply first shows the\n"
                  "changes, as bulwark plan does, and asks; only 'yes' applies, and exactly the change set\n"
                  "shown: should the machine change in between, nothing is applied (as with --reviewed).\n"
                  "Anything else answers no: 'Apply cancelled.', exit 1, nothing changed. When there is\n"
                  "nothing to change, it says so without asking. -y, --yes applies without asking. Not on a\n"
                  "terminal (scripts, CI, configuration management), apply never asks: it behaves as it\n"
                  "always did. A progress line on standard error counts the objects checked on a terminal.\n"
                  "-v, --verbose lists every change line, as for plan.\n\n"
                  "--installed ID|WORKSPACE applies the plan installed for a workspace again, bound as it\n"
                  "was (workspace and user), e.g. to heal the drift bulwark status reports: an installation\n"
                  "ID (or a unique prefix of one) from bulwark status, or the workspace directory (a name\n"
                  "with a '/', or one that is no ID: write ./NAME for a directory named like an ID). An\n"
                  "installation applied from a signed plan needs its signature: apply that plan file.\n\n"
                  "--reviewed CHANGES applies a change set saved by bulwark plan -o, only if the machine\n"
                  "is still in the state it was computed against (it never asks: it was reviewed).\n\n"
                  "--quiet prints no change line (errors and warnings still go to standard error), and no\n"
                  "progress line; on a terminal the changes are still shown before the question.\n"
                  "Exit: 0 success, 1 error or cancelled.\n"},
        {"revert", "Usage: bulwark revert [ID | WORKSPACE | --all] [--workspace DIR] [--moved-to DIR | --deleted]\n\n"
                   "As root: restore the exact ACL bytes every change replaced, remove the installation,\n"
                   "and, when no installation is left, the accounts and the firewall table bulwark created.\n"
                   "ID is a plan ID or installation ID (or a prefix of one) from 'bulwark status'; WORKSPACE\n"
                   "the directory of an installation (a name with a '/', or one that is no ID: write ./NAME\n"
                   "for a directory named like an ID). With none of them, the installation of --workspace DIR,\n"
                   "else of the current directory. --quiet prints nothing but errors.\n\n"
                   "A workspace that no longer exists where apply found it is refused (nothing reverted):\n"
                   "the entries apply set on a moved tree would go on naming the accounts revert deletes.\n"
                   "--moved-to DIR: it was moved to DIR, where its entries are restored and removed;\n"
                   "--deleted: it was deleted, revert the rest. Exit: 0/1.\n"},
        {"status", "Usage: bulwark status [--json] [-v | --verbose]\n\n"
                   "For every installed plan: is it still in force, or what drifted (an entry removed, a\n"
                   "flushed table, a deleted user). Past 50 drifted objects under one root the rest are\n"
                   "counted on one line; -v, --verbose lists every one (--json always does). --quiet\n"
                   "prints nothing: the exit status says it.\n"
                   "Exit: 0 all in force, 2 drift, 1 error.\n"},
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
                "(125) with the files that changed and what the policy grants.\n"
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
                    "the command as a cold run, terminal (interactive) runs included. A run whose boundary\n"
                    "differs (a carve-out appeared, the policy changed) stops the stale session, builds a\n"
                    "new one and runs in it. Without a session a run is cold and starts none, unless\n"
                    "BULWARK_SESSION=auto (then the first run starts one); BULWARK_SESSION=off keeps every\n"
                    "run cold. The session ends with `stop`, after 15 minutes without a command\n"
                    "(BULWARK_SESSION_IDLE seconds), when its socket is removed (logout), or when its\n"
                    "boundary changes. `list` shows yours.\n"},
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
         "and POSIX ACL\nsupport of the file systems of the current directory, /tmp and every installed workspace.\n"
         "--quiet prints nothing but errors. Exit: 0 the report was made (what the host lacks is in it), 1 it\n"
         "could not be.\n"},
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
#ifdef _WIN32
#define BW_RUN_LOCATES_EARLY true
#else
#define BW_RUN_LOCATES_EARLY false
#endif

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
        /* Where bulwark-runner is (beside this program, or --runner): found when it is needed, which
         * an unelevated run done in this process never is */
        char runner[PATH_MAX] = "";
        if ((runner_override || BW_RUN_LOCATES_EARLY) &&
            BW_BACKEND_DEFAULT->runner_locate(runner_override, runner, sizeof(runner)) < 0) {
                fputs("bulwark run: --runner: give an absolute path\n", stderr);
                return 125;
        }
#ifdef _WIN32
        /* On Windows a run is always of an installed plan: the installation of the workspace (or
         * of the current directory) and the runner read its record (run_front_windows.c) */
        if (plan || run_session) {
                fprintf(stderr, "bulwark %s: %s is not implemented on Windows yet (issue #13): nothing was run\n",
                        run_session ? "session" : "run", run_session ? "a warm session" : "--plan");
                return 125;
        }
        return bw_win_front_run_in(runner, workspace, network, verbose, argv + optind, argc - optind);
#else
        char ws[PATH_MAX], start[PATH_MAX], fdarg[16];
        int plan_fd = -1;
        if (!realpath(workspace ? workspace : ".", start)) {
                fprintf(stderr, "bulwark run: %s: %s\n", workspace ? workspace : "the current directory",
                        strerror(errno));
                return 125;
        }
        /* the runner's own search (with its checks), kept for the run in this process */
        char install_id[17];
        const char *install_values[BW_VAR_COUNT];
        bool installed = bw_runner_find_install(start, install_id, install_values);
        if (installed) {
                /* elevated: the installed plan decides */
                if (!plan)
                        bw_front_note_installed(install_id, install_values);
        } else {
                if (bw_front_workspace("run", workspace, verbose, ws, sizeof(ws)) < 0)
                        return 125;
                if (plan && bw_front_admin_constraints()) {
                        /* a plan compiled elsewhere may have been compiled without them */
                        fprintf(stderr,
                                "bulwark run: --plan %s: admin constraints apply on this machine (%s), and a plan "
                                "given with --plan cannot be checked against them: put the policy in "
                                "%s/.bulwark/policy.yaml (bulwark run compiles it under them); the command was not "
                                "run\n",
                                plan, BW_FRONT_ADMIN_DIR, ws);
                        return 125;
                }
                if (!plan) {
                        /* stop and list run nothing: they need no trusted policy, only the name of
                         * the session, which does not depend on the plan */
                        bool control = run_session && !bw_streq(run_session, "start");
                        plan_fd = control ? bw_front_builtin_memfd(ws) : bw_front_policy_memfd(ws);
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
        const int command_at = optind; /* argv[command_at..argc): the command's words, not ours */
        for (int i = optind; i < argc; i++)
                full[k++] = argv[i];
        /* The runner's job in this process: one program start less. Not with --runner (a test's
         * runner, or an older one), nor for an elevated session's start, stop or list (the
         * runner's capabilities build it; stop and list are rare). */
        bool in_process = !runner_override && !(run_session && installed);
        if (in_process && installed) {
                /* elevated: only a run handed to a warm session is done here; else the runner's
                 * capabilities build the sandbox, and it is exec'd before any work is done twice */
                const char *use = getenv("BULWARK_SESSION");
                in_process = !(use && bw_streq(use, "off")) && bw_runner_session_may_exist(start, network);
        }
        /* (an elevated run here execs the runner when no session takes its command) */
        int located = runner[0] || (in_process && !installed)
                              ? 0
                              : BW_BACKEND_DEFAULT->runner_locate(runner_override, runner, sizeof(runner));
        if (located < 0) {
                fprintf(stderr, "bulwark run: cannot find bulwark-runner beside this program: %s\n",
                        strerror(-located));
                return 125;
        }
        if (in_process) {
                fflush(NULL);
                int status = bw_runner_main((int) k, full, runner[0] ? runner : NULL);
                /* the runner's getopt may have permuted full: free what is ours by content */
                for (size_t i = 0; i < k; i++) {
                        bool own = true;
                        for (int j = command_at; j < argc && own; j++)
                                own = full[i] != argv[j];
                        if (own)
                                free(full[i]);
                }
                free(full);
                return status;
        }
        execv(runner, full);
        fprintf(stderr,
                "bulwark run: cannot start %s: %s (install bulwark-runner beside bulwark, or give --runner PATH)\n",
                runner, strerror(errno));
        return 125;
#endif
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
#ifdef _WIN32
        (void) workspace;
        fputs("bulwark trust: trusting a workspace's policy is not implemented on Windows yet (issue #13): "
              "nothing was recorded\n",
              stderr);
        return 1;
#else
        char ws[PATH_MAX];
        if (bw_front_workspace("trust", workspace, false, ws, sizeof(ws)) < 0)
                return 1;
        return bw_front_trust(ws, show, revoke);
#endif
}

/* ---- global options: --color and --quiet ---- */

static enum bw_color_when color_when = BW_COLOR_AUTO;
static bool quiet;

static bool color_err(void) {
        return bw_term_use_color(color_when, STDERR_FILENO);
}

/* --color[=WHEN]: without WHEN, always (as ls and grep). */
static bool set_color(const char *arg) {
        if (!arg) {
                color_when = BW_COLOR_ALWAYS;
                return true;
        }
        if (bw_color_when_parse(arg, &color_when) == 0)
                return true;
        bw_term_error(color_err(), "bulwark", "--color=%s: say auto, always or never", arg);
        return false;
}

#ifdef _WIN32
/* No fopencookie in the Microsoft runtime: --quiet writes to NUL, and a change line may land
 * behind the progress line on a console. */
static FILE *command_output(void) {
        static FILE *null;
        if (!quiet)
                return stdout;
        if (!null)
                null = fopen("NUL", "w");
        return null ? null : stdout;
}

struct erasing {
        FILE *to;
        struct bw_progress *progress;
};

static FILE *erasing_open(struct erasing *e) {
        return e->to;
}

static void erasing_close(FILE *f, struct erasing *e) {
        (void) f;
        fflush(e->to);
}
#else
static ssize_t discard(void *cookie, const char *buf, size_t n) {
        (void) cookie;
        (void) buf;
        return (ssize_t) n;
}

/* What a command prints on standard output goes here: stdout, or nowhere with --quiet. */
static FILE *command_output(void) {
        static FILE *null;
        if (!quiet)
                return stdout;
        if (!null)
                null = fopencookie(NULL, "w", (cookie_io_functions_t){.write = discard});
        return null ? null : stdout;
}

/* Standard output (or stderr) through a stream that first erases the progress line, so a change
 * line never lands behind it on the terminal. */
struct erasing {
        FILE *to;
        struct bw_progress *progress;
};

static ssize_t erasing_write(void *cookie, const char *buf, size_t n) {
        struct erasing *e = cookie;
        bw_progress_end(e->progress);
        return (ssize_t) fwrite(buf, 1, n, e->to);
}

static FILE *erasing_open(struct erasing *e) {
        FILE *f = fopencookie(e, "w", (cookie_io_functions_t){.write = erasing_write});
        if (f)
                setvbuf(f, NULL, _IOLBF, 0);
        return f ? f : e->to;
}

static void erasing_close(FILE *f, struct erasing *e) {
        if (f != e->to)
                fclose(f);
        fflush(e->to);
}
#endif

static int cmd_show(int argc, char **argv) {
        enum { OPT_COLOR = 256 };
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {"quiet", no_argument, NULL, 'q'},
                {"color", optional_argument, NULL, OPT_COLOR},
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "hq", opts, NULL)) != -1) {
                if (c == 'j')
                        json = true;
                else if (c == 'q')
                        quiet = true;
                else if (c == OPT_COLOR) {
                        if (!set_color(optarg))
                                return EX_USAGE;
                } else if (c == 'h') {
                        fputs("Usage: bulwark show PLAN [--json]\n\nValidate PLAN (every offset, length, index, enum "
                              "and both "
                              "SHA-256 digests) and print it,\nwith the policy file, line and column of each entry.\n"
                              "--quiet only validates it. Exit: 0 shown, 1 invalid or unreadable, 64 usage error.\n",
                              stdout);
                        return 0;
                } else {
                        fputs("Try 'bulwark show --help'.\n", stderr);
                        return EX_USAGE;
                }
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
                        bw_term_error(color_err(), "bulwark", "%s: invalid plan at byte %llu: %s", path,
                                      (unsigned long long) err.offset, err.message);
                else
                        bw_term_error(color_err(), "bulwark", "%s: cannot read the plan: %s", path,
                                      r == -EINVAL ? "not a regular file" : strerror(-r));
                return 1;
        }
        if (json)
                bw_show_json(p, command_output());
        else
                bw_show_text_color(p, command_output(), bw_term_use_color(color_when, STDOUT_FILENO));
        bw_plan_free(p);
        return 0;
}

/* ---- installations named by ID or workspace (apply --installed, revert) ---- */

static bool names_a_path(const char *arg) {
        return strchr(arg, '/') || bw_streq(arg, ".") || bw_streq(arg, "..");
}

static bool is_hex(const char *arg) {
        if (!arg[0])
                return false;
        for (const char *c = arg; *c; c++)
                if (!isxdigit((unsigned char) *c) || isupper((unsigned char) *c))
                        return false;
        return true;
}

static bool is_directory(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* path made absolute and normalised lexically ("." and ".." and repeated or trailing slashes
 * folded; no symlink followed), as apply binds ${workspace}. */
static bool lexical_absolute(const char *path, char *out, size_t size) {
        char cwd[PATH_MAX], joined[2 * PATH_MAX + 2];
        if (path[0] == '/')
                snprintf(joined, sizeof(joined), "%s", path);
        else if (getcwd(cwd, sizeof(cwd)))
                snprintf(joined, sizeof(joined), "%s/%s", cwd, path);
        else
                return false;
        size_t k = 0;
        for (char *save = NULL, *part = strtok_r(joined, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
                if (bw_streq(part, "."))
                        continue;
                if (bw_streq(part, "..")) {
                        while (k > 0 && out[k - 1] != '/')
                                k--;
                        if (k > 0)
                                k--; /* and the slash before it */
                        continue;
                }
                size_t n = strlen(part);
                if (k + 1 + n + 1 > size)
                        return false;
                out[k++] = '/';
                memcpy(out + k, part, n);
                k += n;
        }
        if (k == 0)
                out[k++] = '/';
        out[k] = 0;
        return true;
}

static void install_id_of(const char *workspace, char id[17]) {
        uint8_t d[32];
        bw_sha256(workspace, strlen(workspace), d);
        bw_hex(d, 8, id);
}

static bool install_exists(const char *state_dir, const char *id) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/installs/%s/bindings", state_dir, id);
        return access(path, F_OK) == 0;
}

/* The installation of workspace directory dir: its ID is the SHA-256 of the workspace as apply
 * bound it (the path as given, made absolute; else the path with its symlinks resolved). */
static int install_of_workspace(const char *cmd, const char *state_dir, const char *dir, char id[17]) {
        char abs[PATH_MAX] = "", real[PATH_MAX];
        if (lexical_absolute(dir, abs, sizeof(abs))) {
                install_id_of(abs, id);
                if (install_exists(state_dir, id))
                        return 0;
        }
        if (realpath(dir, real)) {
                install_id_of(real, id);
                if (install_exists(state_dir, id))
                        return 0;
        }
        bw_term_error(color_err(), cmd,
                      "no plan is installed for the workspace %s (installation %s): 'bulwark status' lists the "
                      "installed workspaces; an installation is named by its workspace itself, not a directory in "
                      "it",
                      abs[0] ? abs : dir, id);
        return -ENOENT;
}

#ifndef _WIN32
/* apply as root with no real user to go by (no --user, not through sudo) would install the plan
 * for root: a workspace someone else owns gets sandbox accounts of root's and root's default
 * entries on every file, and its owner's runs stay unelevated. Say whose it is instead. */
static bool owner_is_the_real_user(const char *workspace, const char *user) {
        struct stat st;
        if (user || getenv("SUDO_USER") || getenv("SUDO_UID") || geteuid() != 0 ||
            stat(workspace ? workspace : ".", &st) < 0 || st.st_uid == 0)
                return true; /* (a workspace that is not there: apply says so) */
        struct passwd *pw = getpwuid(st.st_uid);
        char owner[64];
        if (pw)
                snprintf(owner, sizeof(owner), "%s", pw->pw_name);
        else
                snprintf(owner, sizeof(owner), "uid %u", (unsigned) st.st_uid);
        bw_term_error(color_err(), "bulwark apply",
                      "the workspace %s belongs to %s, and you are root without sudo: say whose sandbox this is "
                      "with --user %s (or --user root to install it for root); nothing was changed",
                      workspace ? workspace : "(the current directory)", owner, pw ? pw->pw_name : "NAME");
        return false;
}
#endif

/* apply --installed ARG: one installation, by installation ID or plan ID (or a unique prefix of
 * either), or by workspace. */
static int resolve_installed(const char *state_dir, const char *arg, char id[17]) {
        const char *cmd = "bulwark apply";
        if (names_a_path(arg) || !is_hex(arg)) {
                if (!is_directory(arg)) {
                        /* a workspace removed since apply still has its installation, which can only
                         * be reverted: say so rather than that nothing is there */
                        char abs[PATH_MAX];
                        if (lexical_absolute(arg, abs, sizeof(abs))) {
                                install_id_of(abs, id);
                                if (install_exists(state_dir, id)) {
                                        bw_term_error(color_err(), cmd,
                                                      "--installed %s: the workspace does not exist (nothing was "
                                                      "changed); a plan is still installed for it (installation "
                                                      "%s): bulwark revert %s --moved-to NEW-PATH (you moved "
                                                      "it) or --deleted (you deleted it) undoes it",
                                                      arg, id, abs);
                                        return -ENOENT;
                                }
                        }
                        bw_term_error(color_err(), cmd,
                                      "--installed %s: no such directory, and not an installation ID (the hex "
                                      "digits 'bulwark status' shows)",
                                      arg);
                        return -ENOENT;
                }
                return install_of_workspace(cmd, state_dir, arg, id);
        }
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/installs", state_dir);
        DIR *d = opendir(path);
        size_t matches = 0;
        size_t len = strlen(arg);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] == '.' || strlen(de->d_name) != 16)
                        continue;
                bool match = strncmp(de->d_name, arg, len) == 0;
                if (!match) {
                        char plan[PATH_MAX + 300];
                        struct bw_plan *p = NULL;
                        struct bw_plan_error err;
                        snprintf(plan, sizeof(plan), "%s/%s/plan", path, de->d_name);
                        if (bw_plan_load(plan, 0, &p, &err) == 0)
                                match = strncmp(p->id, arg, len) == 0;
                        bw_plan_free(p);
                }
                if (match && matches++ == 0)
                        memcpy(id, de->d_name, 17);
        }
        if (d)
                closedir(d);
        if (matches == 1)
                return 0;
        if (matches == 0 && is_directory(arg)) /* a directory named like hex digits */
                return install_of_workspace(cmd, state_dir, arg, id);
        if (matches == 0)
                bw_term_error(
                        color_err(), cmd,
                        "--installed %s: no installation or installed plan has this ID ('bulwark status' lists them)",
                        arg);
        else
                bw_term_error(color_err(), cmd,
                              "--installed %s: %zu installations match: give more digits ('bulwark status' lists "
                              "them)",
                              arg, matches);
        return -ENOENT;
}

/* apply --installed ARG: the plan installed for it, and the bindings it was applied with. */
static int installed_plan(const char *state_dir, const char *arg, char *plan_path, size_t size,
                          struct bw_install_bindings *b) {
        const char *cmd = "bulwark apply";
        char id[17], bind[64];
        if (resolve_installed(state_dir, arg, id) < 0)
                return 1;
        _cleanup_close_ int fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int e = fd < 0 ? -errno : 0;
        snprintf(bind, sizeof(bind), "installs/%s/bindings", id);
        if (e == 0)
                e = bw_bindings_read(fd, bind, b);
        if (e < 0) {
                bw_term_error(color_err(), cmd, "installation %s: cannot read %s/%s: %s", id, state_dir, bind,
                              e == -EBADMSG ? "it is damaged" : strerror(-e));
                return 1;
        }
        if (!bw_streq(b->signer, "unsigned")) {
                bw_term_error(color_err(), cmd,
                              "installation %s (workspace %s) was applied from a plan signed by %s; the state "
                              "directory keeps no signature: apply that signed plan file again (bulwark apply PLAN "
                              "--workspace %s --user %s)",
                              id, b->workspace, b->signer, b->workspace, b->user);
                return 1;
        }
        snprintf(plan_path, size, "%s/installs/%s/plan", state_dir, id);
        return 0;
}

/* ---- apply on a terminal: show the change set, ask, apply exactly that ---- */

#ifndef _WIN32 /* Windows: not yet; apply on a terminal asks for -y (cmd_engine) */

/* The private directory and change set of a confirmation, removed however the command ends (a
 * signal handler may only unlink and rmdir names prepared in advance). */
static char confirm_dir[64], confirm_file[96], confirm_tmp[128];

static void confirm_cleanup(void) {
        if (confirm_file[0]) {
                unlink(confirm_file);
                unlink(confirm_tmp);
        }
        if (confirm_dir[0])
                rmdir(confirm_dir);
}

static void confirm_signal(int sig) {
        confirm_cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
}

/* While plan -o runs for a confirmation, its standard error passes through this thread, which
 * drops the one line that would tell the user to apply the private change set by hand. */
struct stderr_filter {
        int from, to;
        struct bw_progress *progress;
};

static void *stderr_filter_run(void *arg) {
        struct stderr_filter *f = arg;
        static const char drop[] = "bulwark: change set saved to ";
        char line[8192];
        size_t n = 0;
        for (;;) {
                ssize_t r = read(f->from, line + n, sizeof(line) - n);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        break;
                n += (size_t) r;
                char *start = line, *nl;
                while ((nl = memchr(start, '\n', n - (size_t) (start - line))) ||
                       (start == line && n == sizeof(line))) {
                        size_t len = nl ? (size_t) (nl - start) + 1 : n;
                        bw_progress_end(f->progress);
                        if (!(len >= sizeof(drop) - 1 && memcmp(start, drop, sizeof(drop) - 1) == 0))
                                (void) !write(f->to, start, len);
                        start += len;
                }
                n -= (size_t) (start - line);
                memmove(line, start, n);
        }
        if (n)
                (void) !write(f->to, line, n);
        return NULL;
}

static int apply_confirmed(const char *plan_path, const struct bw_engine_options *o, FILE *out,
                           struct bw_progress *progress) {
        snprintf(confirm_dir, sizeof(confirm_dir), "/tmp/bulwark-apply.XXXXXX");
        /* /tmp, not $TMPDIR: a directory of root's in a sticky /tmp cannot be renamed or replaced
         * by anyone else, one under a $TMPDIR that sudo passed through might be */
        if (!mkdtemp(confirm_dir)) {
                bw_term_error(color_err(), "bulwark apply",
                              "cannot make a private directory in /tmp for the change set to confirm: %s (apply "
                              "--yes applies without asking)",
                              strerror(errno));
                confirm_dir[0] = 0;
                return 1;
        }
        snprintf(confirm_file, sizeof(confirm_file), "%s/changes.json", confirm_dir);
        snprintf(confirm_tmp, sizeof(confirm_tmp), "%s.tmp.%ld", confirm_file, (long) getpid());
        struct sigaction sa = {.sa_handler = confirm_signal};
        sigemptyset(&sa.sa_mask);
        for (int sig = 0, sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT}; sig < 4; sig++)
                sigaction(sigs[sig], &sa, NULL);

        /* the changes go where the person answering sees them */
        bool to_stdout = isatty(STDOUT_FILENO);
        struct erasing shown_e = {to_stdout ? stdout : stderr, progress};
        FILE *shown = erasing_open(&shown_e);
        struct bw_engine_options po = *o;
        po.changes_out = confirm_file;
        po.color = !o->json && bw_term_use_color(color_when, to_stdout ? STDOUT_FILENO : STDERR_FILENO);

        int pipe_fd[2] = {-1, -1}, saved = -1;
        pthread_t filter;
        struct stderr_filter sf = {.progress = progress};
        bool filtering = false;
        fflush(stderr);
        if (pipe2(pipe_fd, O_CLOEXEC) == 0) {
                saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
                sf.from = pipe_fd[0];
                sf.to = saved;
                if (saved >= 0 && dup2(pipe_fd[1], STDERR_FILENO) >= 0 &&
                    pthread_create(&filter, NULL, stderr_filter_run, &sf) == 0)
                        filtering = true;
                else if (saved >= 0)
                        dup2(saved, STDERR_FILENO);
                close(pipe_fd[1]);
        }
        int ret = bw_cmd_plan(plan_path, &po, shown);
        erasing_close(shown, &shown_e);
        fflush(stderr);
        if (filtering) {
                dup2(saved, STDERR_FILENO); /* the pipe's last writer gone: the filter ends */
                pthread_join(filter, NULL);
        }
        if (saved >= 0)
                close(saved);
        if (pipe_fd[0] >= 0)
                close(pipe_fd[0]);
        bw_progress_end(progress);

        if (ret == 2) {
                if (bw_term_confirm(stdin, stderr, color_err(), "Do you want to apply these changes?",
                                    "bulwark will make exactly the changes shown above; should this machine change "
                                    "first,\n  it applies nothing.")) {
                        struct erasing out_e = {out, progress};
                        FILE *o2 = erasing_open(&out_e);
                        ret = bw_cmd_apply_reviewed(confirm_file, o, o2);
                        erasing_close(o2, &out_e);
                } else {
                        fputs("Apply cancelled.\n", stderr);
                        ret = 1;
                }
        } else if (ret == 0)
                fputs("bulwark: no changes: this machine is already as the plan wants; nothing to apply\n", out);
        confirm_cleanup();
        return ret;
}

#endif /* !_WIN32 */

/* The engine's commands: show's neighbours that read or change this machine's state. */
static int cmd_engine(const char *cmd, int argc, char **argv) {
#ifndef _WIN32
        /* The tree walk holds an fd per directory level it walks itself and per queued directory:
         * allow what the hard limit allows. */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
#endif

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
                OPT_INSTALLED,
                OPT_COLOR,
                OPT_MOVED_TO,
                OPT_DELETED,
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
                {"installed", required_argument, NULL, OPT_INSTALLED},
                {"output", required_argument, NULL, 'o'},
                {"color", optional_argument, NULL, OPT_COLOR},
                {"moved-to", required_argument, NULL, OPT_MOVED_TO},
                {"deleted", no_argument, NULL, OPT_DELETED},
                {"quiet", no_argument, NULL, 'q'},
                {"yes", no_argument, NULL, 'y'},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct bw_engine_options o = {.state_dir = DEFAULT_STATE_DIR, .lock_timeout = 10};
#ifdef _WIN32
        char state_dir[PATH_MAX];
        const char *program_data = getenv("ProgramData");
        snprintf(state_dir, sizeof(state_dir), "%s\\bulwark", program_data ? program_data : "C:\\ProgramData");
        o.state_dir = state_dir;
#endif
        bool all = false, yes = false;
        const char *reviewed = NULL, *installed = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "ho:qyv", opts, NULL)) != -1) {
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
                case OPT_THREADS: {
                        /* a number, said so when it is not (strtoul made "abc" a timeout of 0) */
                        char *end = NULL;
                        errno = 0;
                        unsigned long v = strtoul(optarg, &end, 10);
                        unsigned long max = c == OPT_THREADS ? 256 : 86400;
                        if (!isdigit((unsigned char) optarg[0]) || *end || errno || v > max) {
                                bw_term_error(color_err(), "bulwark", "--%s %s: give a whole number up to %lu%s",
                                              c == OPT_THREADS ? "threads" : "lock-timeout", optarg, max,
                                              c == OPT_THREADS ? " (0: one per processor, at most 8)" : " (seconds)");
                                return EX_USAGE;
                        }
                        if (c == OPT_THREADS)
                                o.threads = (unsigned) v;
                        else
                                o.lock_timeout = (unsigned) v;
                        break;
                }
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
                case OPT_INSTALLED:
                        installed = optarg;
                        break;
                case OPT_MOVED_TO:
                        o.moved_to = optarg;
                        break;
                case OPT_DELETED:
                        o.forget_gone = true;
                        break;
                case OPT_COLOR:
                        if (!set_color(optarg))
                                return EX_USAGE;
                        break;
                case 'q':
                        quiet = true;
                        break;
                case 'y':
                        yes = true;
                        break;
                case 'v':
                        o.all_lines = true;
                        break;
                case 'o':
                        o.changes_out = optarg;
                        break;
                case 'h':
                        print_help(cmd);
                        return 0;
                default:
                        fprintf(stderr, "Try 'bulwark %s --help'.\n", cmd);
                        return EX_USAGE;
                }
        }
        int rest = argc - optind;
        bool apply = bw_streq(cmd, "apply");
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "bulwark %s", cmd);
        if (o.changes_out && !bw_streq(cmd, "plan")) {
                bw_term_error(color_err(), "bulwark", "-o CHANGES belongs to bulwark plan");
                return EX_USAGE;
        }
        if ((o.moved_to || o.forget_gone) && !bw_streq(cmd, "revert")) {
                bw_term_error(color_err(), "bulwark", "%s belongs to bulwark revert",
                              o.moved_to ? "--moved-to" : "--deleted");
                return EX_USAGE;
        }
        if (o.moved_to && (all || o.forget_gone)) {
                bw_term_error(color_err(), "bulwark revert", "--moved-to names where one workspace went: not with %s",
                              all ? "--all" : "--deleted");
                return EX_USAGE;
        }
        char moved_to[PATH_MAX];
        if (o.moved_to) {
                /* the roots are compared as paths: make it absolute, as apply bound the workspace */
                if (!lexical_absolute(o.moved_to, moved_to, sizeof(moved_to))) {
                        bw_term_error(color_err(), "bulwark revert", "--moved-to %s: the path is too long", o.moved_to);
                        return EX_USAGE;
                }
                o.moved_to = moved_to;
        }
        if ((yes || installed) && !apply) {
                bw_term_error(color_err(), "bulwark", "%s belongs to bulwark apply", yes ? "--yes" : "--installed");
                return EX_USAGE;
        }
        o.color = !o.json && bw_term_use_color(color_when, STDOUT_FILENO);
        /* the progress line: on a terminal, on a descriptor of its own (apply's confirmation sends
         * the command's standard error through a filter meanwhile) */
        struct bw_progress progress;
#ifdef _WIN32
        int progress_fd = quiet || !isatty(STDERR_FILENO) ? -1 : dup(STDERR_FILENO);
#else
        int progress_fd = quiet || !isatty(STDERR_FILENO) ? -1 : fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
#endif
        bw_progress_init(&progress, progress_fd, progress_fd >= 0);
        o.progress = bw_progress_update;
        o.progress_ctx = &progress;
        struct erasing out_e = {command_output(), &progress};
        FILE *out = erasing_open(&out_e);
        int ret;

        if (reviewed) {
                if (!apply || rest != 0 || installed) {
                        bw_term_error(color_err(), "bulwark",
                                      "--reviewed CHANGES belongs to bulwark apply, without a PLAN (the change set "
                                      "carries the plan)");
                        ret = EX_USAGE;
                } else
                        ret = bw_cmd_apply_reviewed(reviewed, &o, out);
        } else if (apply || bw_streq(cmd, "plan")) {
                char plan_path[PATH_MAX + 64];
                struct bw_install_bindings *b = NULL;
                ret = 0;
                if (installed && (rest != 0 || o.workspace || o.user || o.signature)) {
                        bw_term_error(color_err(), "bulwark apply",
                                      "--installed applies the plan installed for a workspace, bound to the "
                                      "workspace and user it was applied for: give no PLAN, --workspace, --user "
                                      "or --signature with it");
                        ret = EX_USAGE;
                } else if (installed) {
                        b = calloc(1, sizeof(*b));
                        ret = b ? installed_plan(o.state_dir, installed, plan_path, sizeof(plan_path), b) : 1;
                        o.workspace = b ? b->workspace : NULL;
                        o.user = b ? b->user : NULL;
                } else if (rest != 1) {
                        bw_term_error(color_err(), prefix, "give exactly one PLAN file%s",
                                      apply ? " (or --installed ID|WORKSPACE, or --reviewed CHANGES)" : "");
                        ret = EX_USAGE;
                } else
                        snprintf(plan_path, sizeof(plan_path), "%s", argv[optind]);
#ifndef _WIN32
                if (ret == 0 && apply && !installed && !owner_is_the_real_user(o.workspace, o.user))
                        ret = 1;
#endif
                if (ret == 0 && !apply)
                        ret = bw_cmd_plan(plan_path, &o, out);
#ifdef _WIN32
                else if (ret == 0 && !yes && isatty(STDIN_FILENO) && isatty(STDERR_FILENO)) {
                        bw_term_error(color_err(), "bulwark apply",
                                      "asking on a terminal before applying is not implemented on Windows yet: "
                                      "review the changes with `bulwark plan %s`, then apply them with -y",
                                      plan_path);
                        ret = 1;
                }
#else
                else if (ret == 0 && !yes && geteuid() == 0 && isatty(STDIN_FILENO) && isatty(STDERR_FILENO))
                        ret = apply_confirmed(plan_path, &o, out, &progress);
#endif
                else if (ret == 0)
                        ret = bw_cmd_apply(plan_path, &o, out);
                free(b);
        } else if (bw_streq(cmd, "revert")) {
                char id[17];
                /* cli.md: revert [PLAN_ID | --all]; without either, the installation of the
                 * workspace, which defaults to the current directory as for plan and apply */
                const char *which = all ? NULL : rest == 1 ? argv[optind] : o.workspace ? o.workspace : ".";
                if (o.json) {
                        /* revert writes its lines as it undoes each thing (text); it was accepted
                         * and ignored, which a script reading JSON finds out only when it parses */
                        bw_term_error(color_err(), "bulwark revert",
                                      "--json is not available for revert: its lines are text; each revert is "
                                      "recorded as one JSON line in %s/audit.jsonl",
                                      o.audit_dir ? o.audit_dir : BW_AUDIT_DIR);
                        ret = EX_USAGE;
                } else if ((all && rest != 0) || rest > 1 || (rest == 1 && o.workspace)) {
                        bw_term_error(color_err(), "bulwark revert",
                                      "give one PLAN_ID or WORKSPACE, --workspace DIR, or --all (nothing: the "
                                      "installation of the current directory)");
                        ret = EX_USAGE;
                } else if (which && (rest == 0 || names_a_path(which) || (!is_hex(which) && is_directory(which))))
                        /* no argument (the workspace), or one that names a directory */
                        ret = install_of_workspace("bulwark revert", o.state_dir, which, id) < 0
                                      ? 1
                                      : bw_cmd_revert(id, false, &o, out);
                else
                        ret = bw_cmd_revert(which, all, &o, out);
        } else if (rest != 0) {
                bw_term_error(color_err(), prefix, "takes no arguments");
                ret = EX_USAGE;
        } else
                ret = bw_streq(cmd, "status") ? bw_cmd_status(&o, out) : bw_cmd_doctor(&o, out);
        erasing_close(out, &out_e);
        bw_progress_end(&progress);
        if (progress_fd >= 0)
                close(progress_fd);
        return ret;
}

int main(int argc, char **argv) {
        /* global options before the command */
        int first = 1;
        for (; first < argc && argv[first][0] == '-' && !bw_streq(argv[first], "-h") &&
               !bw_streq(argv[first], "--help") && !bw_streq(argv[first], "--version");
             first++) {
                const char *a = argv[first];
                if (bw_streq(a, "-q") || bw_streq(a, "--quiet"))
                        quiet = true;
                else if (bw_streq(a, "--color") || strncmp(a, "--color=", 8) == 0) {
                        if (!set_color(a[7] ? a + 8 : NULL))
                                return EX_USAGE;
                } else {
                        bw_term_error(color_err(), "bulwark",
                                      "unknown option %s before the command (see `bulwark --help`)", a);
                        return EX_USAGE;
                }
        }
        argc -= first - 1;
        argv += first - 1;
        if (argc < 2) {
                usage(stderr);
                return EX_USAGE;
        }
        const char *cmd = argv[1];
        if (bw_streq(cmd, "help") && argc >= 3) { /* bulwark help CMD: as CMD --help, for every CMD */
                static const char *const commands[] = {"show", "plan",    "apply", "revert", "status", "doctor",
                                                       "run",  "session", "trust", "init",   "import", "completion"};
                if (bw_streq(argv[2], "-h") || bw_streq(argv[2], "--help") || bw_streq(argv[2], "help")) {
                        usage(stdout);
                        return 0;
                }
                bool known = false;
                for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
                        known = known || bw_streq(commands[i], argv[2]);
                if (!known) {
                        fprintf(stderr, "bulwark help: no command '%s' (see `bulwark --help`)\n", argv[2]);
                        return EX_USAGE;
                }
                static char help_opt[] = "--help";
                cmd = argv[2];
                argv[1] = argv[2];
                argv[2] = help_opt;
                argc = 3;
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
        if (bw_streq(cmd, "plan") || bw_streq(cmd, "apply") || bw_streq(cmd, "revert") || bw_streq(cmd, "status") ||
            bw_streq(cmd, "doctor"))
                return cmd_engine(cmd, argc - 1, argv + 1);
        bool known = bw_streq(cmd, "run") || bw_streq(cmd, "trust") || bw_streq(cmd, "session") ||
                     bw_streq(cmd, "init") || bw_streq(cmd, "import") || bw_streq(cmd, "completion");
        if (known && quiet) {
                bw_term_error(color_err(), "bulwark",
                              "--quiet is for show, plan, apply, revert, status and doctor, not %s", cmd);
                return EX_USAGE;
        }
        if (bw_streq(cmd, "run"))
                return cmd_run(argc - 1, argv + 1);
        if (bw_streq(cmd, "trust"))
                return cmd_trust(argc - 1, argv + 1);
        if (bw_streq(cmd, "session")) {
                for (int i = 2; i < argc && !bw_streq(argv[i], "--"); i++)
                        if (bw_streq(argv[i], "-h") || bw_streq(argv[i], "--help")) {
                                print_help("session");
                                return 0;
                        }
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
#ifdef _WIN32
        if (bw_streq(cmd, "init")) {
                fputs("bulwark init: not implemented on Windows yet (issue #13): nothing was written\n", stderr);
                return EX_UNAVAILABLE;
        }
#else
        if (bw_streq(cmd, "init"))
                return bw_cmd_init(argc - 1, argv + 1);
#endif
        if (bw_streq(cmd, "import"))
                return bw_cmd_import(argc - 1, argv + 1);
        if (bw_streq(cmd, "completion"))
                return bw_cmd_completion(argc - 1, argv + 1);
        bw_term_error(color_err(), "bulwark", "unknown command '%s'", cmd);
        usage(stderr);
        return EX_USAGE;
}
