/* SPDX-License-Identifier: MIT */
/* bulwark: the enforcer's command line. Commands and exit codes follow cli.md. */
#include "engine.h"
#include "plan.h"
#include "show.h"

#include <getopt.h>
#include <sys/resource.h>
#include <stdio.h>
#include <sysexits.h>

#define DEFAULT_STATE_DIR "/var/lib/bulwark"

static void usage(FILE *f) {
        fputs("Usage: bulwark COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  show PLAN [--json]                 decode a plan: header, sections, entries, provenance\n"
              "  plan PLAN [--json] [--workspace DIR]\n"
              "                                     what applying PLAN would change (read-only)\n"
              "  apply PLAN [--workspace DIR]       converge this machine to PLAN (root), journaled\n"
              "  revert PLAN_ID | --all             undo what apply did, exactly (root)\n"
              "  status [--json]                    installed plans, and drift since they were applied\n"
              "  doctor [--json]                    what this host can enforce\n"
              "\n"
              "Common options: --user NAME (the real user; default SUDO_USER, SUDO_UID, the caller),\n"
              "--state-dir DIR (default " DEFAULT_STATE_DIR "), --lock-timeout SECONDS (default 10),\n"
              "--threads N. Run 'bulwark COMMAND --help' for more.\n"
              "\n"
              "Exit status: plan and status 0 no difference, 2 differences, 1 error; apply and revert\n"
              "0 success (also when nothing had to change), 1 error; 64 usage error.\n",
              f);
}

static const char *const command_help[][2] = {
        {"plan", "Usage: bulwark plan PLAN [--json] [--workspace DIR] [--user NAME]\n\n"
                 "Compare PLAN, bound to the workspace and the real user, with this machine: sandbox\n"
                 "accounts, the firewall table inet bulwark, POSIX ACLs under every root, the installed\n"
                 "plan. Prints one line per change (a summary first), or JSON lines with --json. Changes\n"
                 "nothing. Without root, what cannot be read (the nftables ruleset) is reported as\n"
                 "unknown ('?'). Exit: 0 no difference, 2 differences, 1 error.\n"},
        {"apply", "Usage: bulwark apply PLAN [--workspace DIR] [--user NAME]\n\n"
                  "As root: create the sandbox accounts, load the firewall table, set the ACLs and install\n"
                  "the plan for the runner. Every change is journaled (with what it replaced) and synced\n"
                  "before it is made. Applying again changes nothing. Exit: 0 success, 1 error.\n"},
        {"revert", "Usage: bulwark revert PLAN_ID | --all\n\n"
                   "As root: restore the exact ACL bytes every change replaced, remove the installation,\n"
                   "and, when no installation is left, the accounts and the firewall table bulwark created.\n"
                   "PLAN_ID is a plan ID (or installation ID) prefix from 'bulwark status'. Exit: 0/1.\n"},
        {"status", "Usage: bulwark status [--json]\n\n"
                   "For every installed plan: is it still in force, or what drifted (an entry removed, a\n"
                   "flushed table, a deleted user). Exit: 0 all in force, 2 drift, 1 error.\n"},
        {"doctor",
         "Usage: bulwark doctor [--json]\n\nWhat this host can enforce: nftables, the Landlock ABI, user namespaces, "
         "and POSIX ACL\nsupport of the file systems of the current directory, /tmp and every installed workspace.\n"},
};

static int cmd_show(int argc, char **argv) {
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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

        enum { OPT_JSON = 256, OPT_WORKSPACE, OPT_USER, OPT_STATE_DIR, OPT_LOCK_TIMEOUT, OPT_ALL, OPT_THREADS };
        static const struct option opts[] = {
                {"json", no_argument, NULL, OPT_JSON},
                {"workspace", required_argument, NULL, OPT_WORKSPACE},
                {"user", required_argument, NULL, OPT_USER},
                {"state-dir", required_argument, NULL, OPT_STATE_DIR},
                {"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
                {"threads", required_argument, NULL, OPT_THREADS},
                {"all", no_argument, NULL, OPT_ALL},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct bw_engine_options o = {.state_dir = DEFAULT_STATE_DIR, .lock_timeout = 10};
        bool all = false;
        int c;
        argc--;
        argv++;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
