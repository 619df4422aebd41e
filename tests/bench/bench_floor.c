/* SPDX-License-Identifier: MIT */
/*
 * bench_floor: the least any warm design of `bulwark run -- CMD` can cost. It starts its command
 * (fork, execvp, wait) and exits with its status, doing nothing else: two process starts, the
 * client's and the command's, where the bare row has one. It is linked statically where the
 * toolchain can (no dynamic loader: the cheapest start this machine has), so its row is a floor no
 * real client reaches; bench_run.sh prints it beside the bare row so the 2x-bare target can be
 * read against what two starts cost here.
 * Usage: bench_floor COMMAND [ARG...]
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
        if (argc < 2) {
                fputs("usage: bench_floor COMMAND [ARG...]\n", stderr);
                return 64;
        }
        pid_t p = fork();
        if (p < 0)
                return 125;
        if (p == 0) {
                execvp(argv[1], argv + 1);
                _exit(127);
        }
        int st;
        if (waitpid(p, &st, 0) < 0)
                return 125;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
