/* SPDX-License-Identifier: MIT */
/* bulwark: the enforcer. This build has the `show` command; the others arrive with the
 * enforcer backend (see README). */
#include "plan.h"
#include "show.h"

#include <getopt.h>
#include <stdio.h>
#include <sysexits.h>

static void usage(FILE *f) {
        fputs("Usage: bulwark COMMAND [OPTIONS]\n"
              "\n"
              "Commands:\n"
              "  show PLAN [--json]    decode a plan: header, sections, entries, provenance\n"
              "\n"
              "Run 'bulwark COMMAND --help' for a command's options.\n",
              f);
}

static void show_usage(FILE *f) {
        fputs("Usage: bulwark show PLAN [--json]\n"
              "\n"
              "Validate PLAN (every offset, length, index, enum and the SHA-256 digest) and print\n"
              "its contents with the policy file, line and column each entry came from.\n"
              "\n"
              "  --json      one JSON document instead of text\n"
              "  -h, --help  show this help\n"
              "\n"
              "Exit status: 0 shown, 1 the plan is invalid or unreadable, 64 usage error.\n",
              f);
}

static int cmd_show(int argc, char **argv) {
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        bool json = false;
        int c;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                if (c == 'j')
                        json = true;
                else if (c == 'h') {
                        show_usage(stdout);
                        return 0;
                } else {
                        show_usage(stderr);
                        return EX_USAGE;
                }
        }
        if (optind != argc - 1) {
                show_usage(stderr);
                return EX_USAGE;
        }
        const char *path = argv[optind];
        struct bw_plan *p = NULL;
        struct bw_plan_error err = { 0 };
        int r = bw_plan_load(path, 0, &p, &err);
        if (r < 0) {
                if (err.message[0])
                        fprintf(stderr, "bulwark: %s: invalid plan at byte %llu: %s\n", path, (unsigned long long) err.offset,
                                err.message);
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
        if (bw_streq(cmd, "-h") || bw_streq(cmd, "--help")) {
                usage(stdout);
                return 0;
        }
        if (bw_streq(cmd, "--version")) {
                puts("bulwark " BULWARK_VERSION);
                return 0;
        }
        if (bw_streq(cmd, "show"))
                return cmd_show(argc - 1, argv + 1);
        fprintf(stderr, "bulwark: unknown command '%s'\n", cmd);
        usage(stderr);
        return EX_USAGE;
}
