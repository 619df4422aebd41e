/* SPDX-License-Identifier: MIT */
/*
 * Shell completion from one table: each command, its options (and what an option's argument is:
 * a directory, a file, or something to type), and what its positional arguments are (files, or
 * a fixed list of words). Help texts hold no quote, bracket or colon, so every shell can take
 * them as they are.
 */
#include "completion.h"

#include "util.h"

#include <errno.h>
#include <sysexits.h>

enum arg { ARG_NONE, ARG_DIR, ARG_FILE, ARG_TEXT };

struct copt {
        const char *name; /* "--json", or "-o" */
        enum arg arg;
        const char *help;
};

struct ccmd {
        const char *name, *help;
        const char *words; /* the first positional argument: these words (NULL: files, "" nothing) */
        struct copt opts[16];
};

/* --color and --quiet: global, and also taken after show and the engine's commands */
#define GLOBAL_OPTS                                                                                                    \
        {"--color", ARG_NONE, "colour, also --color=auto or never"}, {                                                 \
                "--quiet", ARG_NONE, "only errors"                                                                     \
        }

#define ENGINE_OPTS                                                                                                    \
        GLOBAL_OPTS, {"--user", ARG_TEXT, "the real user"}, {"--state-dir", ARG_DIR, "state directory"},               \
                {"--lock-timeout", ARG_TEXT, "seconds to wait for the lock"},                                          \
                {"--threads", ARG_TEXT, "threads for the tree walk"}, {"--runner", ARG_FILE, "the bulwark-runner"},    \
                {"--trusted-keys", ARG_DIR, "trusted public keys"}, {                                                  \
                "--admin-dir", ARG_DIR, "admin constraints"                                                            \
        }

static const struct ccmd commands[] = {
        {"show", "decode a plan", NULL, {{"--json", ARG_NONE, "JSON output"}, GLOBAL_OPTS}},
        {"plan",
         "what apply would change",
         NULL,
         {{"--json", ARG_NONE, "JSON lines"},
          {"--verbose", ARG_NONE, "every change line"},
          {"--workspace", ARG_DIR, "the workspace"},
          {"-o", ARG_FILE, "save the change set"},
          ENGINE_OPTS}},
        {"apply",
         "converge to a plan",
         NULL,
         {{"--workspace", ARG_DIR, "the workspace"},
          {"--signature", ARG_FILE, "the plan signature"},
          {"--reviewed", ARG_FILE, "a saved change set"},
          {"--installed", ARG_DIR, "the plan installed for a workspace or ID"},
          {"--yes", ARG_NONE, "apply without asking"},
          {"--verbose", ARG_NONE, "every change line"},
          ENGINE_OPTS}},
        {"revert",
         "undo what apply did",
         NULL,
         {{"--all", ARG_NONE, "every installation"},
          {"--workspace", ARG_DIR, "the workspace"},
          {"--moved-to", ARG_DIR, "where the workspace was moved"},
          {"--deleted", ARG_NONE, "the workspace was deleted"},
          ENGINE_OPTS}},
        {"status",
         "installed plans and drift",
         "",
         {{"--json", ARG_NONE, "JSON output"}, {"--verbose", ARG_NONE, "every drifted object"}, ENGINE_OPTS}},
        {"doctor", "what this host can enforce", "", {{"--json", ARG_NONE, "JSON output"}, ENGINE_OPTS}},
        {"run",
         "run a command in the sandbox",
         "",
         {{"--network", ARG_NONE, "the online identity"},
          {"--plan", ARG_FILE, "a plan file"},
          {"--workspace", ARG_DIR, "the workspace"},
          {"--verbose", ARG_NONE, "say what the sandbox does"},
          {"--runner", ARG_FILE, "the bulwark-runner"}}},
        {"session",
         "a warm sandbox for the workspace",
         "start stop list",
         {{"--network", ARG_NONE, "the online identity"},
          {"--plan", ARG_FILE, "a plan file"},
          {"--workspace", ARG_DIR, "the workspace"}}},
        {"trust",
         "trust the workspace policy",
         "",
         {{"--workspace", ARG_DIR, "the workspace"},
          {"--show", ARG_NONE, "show, record nothing"},
          {"--revoke", ARG_NONE, "forget the record"}}},
        {"init",
         "write .bulwark/policy.yaml",
         "",
         {{"--dry-run", ARG_NONE, "print it instead"}, {"--workspace", ARG_DIR, "the repository"}}},
        {"import",
         "a policy from Codex or srt settings",
         "codex srt",
         {{"--profile", ARG_TEXT, "codex profile"},
          {"--allow-network", ARG_NONE, "srt domains allowed means network on"},
          {"-o", ARG_FILE, "write to a new file"}}},
        {"completion", "shell completion script", "bash zsh fish", {{NULL, ARG_NONE, NULL}}},
};

#define FOR_OPTS(c, o) for (const struct copt *o = (c)->opts; o < (c)->opts + 16 && o->name; o++)

static void bash(FILE *f) {
        fputs("# bash completion for bulwark (generated by `bulwark completion bash`)\n"
              "_bulwark() {\n"
              "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
              "    local opts words=\"\" files=1 i=1\n"
              "    COMPREPLY=()\n"
              "    # the command comes after the global options (bash splits --color=WHEN at the =)\n"
              "    while [ \"$i\" -lt \"$COMP_CWORD\" ]; do\n"
              "        case \"${COMP_WORDS[i]}\" in\n"
              "        =) i=$((i + 2)) ;;\n"
              "        -*) i=$((i + 1)) ;;\n"
              "        *) break ;;\n"
              "        esac\n"
              "    done\n"
              "    if [ \"$COMP_CWORD\" -le \"$i\" ]; then\n"
              "        COMPREPLY=($(compgen -W \"",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
                fprintf(f, "%s%s", i ? " " : "", commands[i].name);
        fputs(" --help --version --color --quiet\" -- \"$cur\"))\n"
              "        return\n"
              "    fi\n"
              "    case \"${COMP_WORDS[i]}\" in\n",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++) {
                const struct ccmd *c = &commands[i];
                fprintf(f, "    %s)\n", c->name);
                const char *kinds[] = {NULL, "-d", "-f", ""};
                for (int k = ARG_DIR; k <= ARG_TEXT; k++) {
                        bool any = false;
                        FOR_OPTS(c, o)
                        if ((int) o->arg == k) {
                                fprintf(f, "%s%s", any ? "|" : "        case \"$prev\" in ", o->name);
                                any = true;
                        }
                        if (any)
                                fprintf(f, ") %sreturn ;; esac\n",
                                        kinds[k][0] ? (k == ARG_DIR ? "COMPREPLY=($(compgen -d -- \"$cur\")); "
                                                                    : "COMPREPLY=($(compgen -f -- \"$cur\")); ")
                                                    : "");
                }
                fputs("        opts=\"--help", f);
                FOR_OPTS(c, o)
                fprintf(f, " %s", o->name);
                fputs("\"\n", f);
                if (c->words)
                        fprintf(f, "        words=\"%s\" files=0\n", c->words);
                fputs("        ;;\n", f);
        }
        fputs("    *) return ;;\n"
              "    esac\n"
              "    if [[ \"$cur\" == -* ]]; then\n"
              "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
              "    elif [ -n \"$words\" ] && [ \"$COMP_CWORD\" -eq $((i + 1)) ]; then\n"
              "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
              "    elif [ \"$files\" = 1 ] || [ \"${COMP_WORDS[i]}\" = import ]; then\n"
              "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
              "    fi\n"
              "}\n"
              "complete -F _bulwark bulwark\n",
              f);
}

static void zsh(FILE *f) {
        fputs("#compdef bulwark\n"
              "# zsh completion for bulwark (generated by `bulwark completion zsh`)\n"
              "_bulwark() {\n"
              "    local -a cmds\n"
              "    cmds=(\n",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
                fprintf(f, "        '%s:%s'\n", commands[i].name, commands[i].help);
        fputs("    )\n"
              "    local i=2\n"
              "    while (( i < CURRENT )) && [[ $words[i] == -* ]]; do (( i++ )); done\n"
              "    if (( CURRENT == i )); then\n"
              "        _describe -t commands 'bulwark command' cmds\n"
              "        return\n"
              "    fi\n"
              "    local cmd=$words[i]\n"
              "    words=(${words[i,-1]})\n"
              "    (( CURRENT -= i - 1 ))\n"
              "    case $cmd in\n",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++) {
                const struct ccmd *c = &commands[i];
                fprintf(f, "    %s)\n        _arguments '--help[show help]'", c->name);
                FOR_OPTS(c, o) {
                        fprintf(f, " '%s[%s]", o->name, o->help);
                        if (o->arg == ARG_DIR)
                                fputs(":dir:_files -/", f);
                        else if (o->arg == ARG_FILE)
                                fputs(":file:_files", f);
                        else if (o->arg == ARG_TEXT)
                                fputs(":value: ", f);
                        fputc('\'', f);
                }
                if (!c->words)
                        fputs(" '*:file:_files'", f);
                else if (c->words[0])
                        fprintf(f, " '1:argument:(%s)'%s", c->words,
                                bw_streq(c->name, "import") ? " '2:file:_files'" : "");
                fputs(" ;;\n", f);
        }
        fputs("    esac\n"
              "}\n"
              "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n"
              "    _bulwark \"$@\"\n"
              "else\n"
              "    compdef _bulwark bulwark\n"
              "fi\n",
              f);
}

static void fish(FILE *f) {
        fputs("# fish completion for bulwark (generated by `bulwark completion fish`)\n"
              "complete -c bulwark -f\n",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++)
                fprintf(f, "complete -c bulwark -n __fish_use_subcommand -a %s -d '%s'\n", commands[i].name,
                        commands[i].help);
        fputs("complete -c bulwark -n __fish_use_subcommand -l color -d 'colour, also --color=auto or never'\n"
              "complete -c bulwark -n __fish_use_subcommand -s q -l quiet -d 'only errors'\n",
              f);
        for (size_t i = 0; i < BW_ARRAY_SIZE(commands); i++) {
                const struct ccmd *c = &commands[i];
                const char *cond = c->name;
                FOR_OPTS(c, o) {
                        bool lng = o->name[1] == '-';
                        fprintf(f, "complete -c bulwark -n '__fish_seen_subcommand_from %s' %s %s%s -d '%s'\n", cond,
                                lng ? "-l" : "-s", o->name + (lng ? 2 : 1),
                                o->arg == ARG_DIR    ? " -r -a '(__fish_complete_directories)'"
                                : o->arg == ARG_FILE ? " -r -F"
                                : o->arg == ARG_TEXT ? " -r"
                                                     : "",
                                o->help);
                }
                if (!c->words)
                        fprintf(f, "complete -c bulwark -n '__fish_seen_subcommand_from %s' -F\n", cond);
                else if (c->words[0])
                        fprintf(f,
                                "complete -c bulwark -n '__fish_seen_subcommand_from %s; and not "
                                "__fish_seen_subcommand_from %s' -a '%s'\n",
                                cond, c->words, c->words);
        }
        fputs("complete -c bulwark -n '__fish_seen_subcommand_from codex srt' -F\n", f);
}

int bw_completion_write(const char *shell, FILE *f) {
        if (bw_streq(shell, "bash"))
                bash(f);
        else if (bw_streq(shell, "zsh"))
                zsh(f);
        else if (bw_streq(shell, "fish"))
                fish(f);
        else
                return -EINVAL;
        return 0;
}

int bw_cmd_completion(int argc, char **argv) {
        /* --help anywhere (bulwark completion bash --help too) asks for help, as every command's */
        bool help = false;
        for (int i = 1; i < argc; i++)
                help = help || bw_streq(argv[i], "--help") || bw_streq(argv[i], "-h");
        if (help) {
                fputs("Usage: bulwark completion bash|zsh|fish\n\n"
                      "Print a completion script for the shell, e.g.\n"
                      "  bash: source <(bulwark completion bash)   (or save it in\n"
                      "        ~/.local/share/bash-completion/completions/bulwark)\n"
                      "  zsh:  bulwark completion zsh > \"${fpath[1]}/_bulwark\"\n"
                      "  fish: bulwark completion fish > ~/.config/fish/completions/bulwark.fish\n",
                      stdout);
                return 0;
        }
        if (argc != 2 || bw_completion_write(argv[1], stdout) < 0) {
                if (argc == 2)
                        fprintf(stderr, "bulwark completion: no completion for the shell '%s'\n", argv[1]);
                fputs("Usage: bulwark completion bash|zsh|fish\n", stderr);
                return EX_USAGE;
        }
        return 0;
}
