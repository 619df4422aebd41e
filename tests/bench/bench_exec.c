/* SPDX-License-Identifier: MIT */
/*
 * bench_exec: start a command many times (fork, execvp, wait) and print the median and minimum
 * wall time per start in microseconds: "median_us min_us". The command's output is discarded.
 * Usage: bench_exec RUNS COMMAND [ARG...]
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        if (argc < 3) {
                fputs("usage: bench_exec RUNS COMMAND [ARG...]\n", stderr);
                return 64;
        }
        int runs = atoi(argv[1]);
        if (runs < 1)
                return 64;
        double *t = calloc((size_t) runs, sizeof(*t));
        int devnull = open("/dev/null", O_WRONLY);
        if (!t || devnull < 0)
                return 1;
        for (int i = -runs / 10 - 1; i < runs; i++) { /* a tenth of warm-up runs */
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                pid_t p = fork();
                if (p == 0) {
                        dup2(devnull, 1);
                        dup2(devnull, 2);
                        execvp(argv[2], argv + 2);
                        _exit(127);
                }
                int st;
                waitpid(p, &st, 0);
                clock_gettime(CLOCK_MONOTONIC, &b);
                if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                        fprintf(stderr, "bench_exec: %s failed (status %d)\n", argv[2], st);
                        return 1;
                }
                if (i >= 0)
                        t[i] = (double) (b.tv_sec - a.tv_sec) * 1e6 + (double) (b.tv_nsec - a.tv_nsec) / 1e3;
        }
        qsort(t, (size_t) runs, sizeof(*t), cmp);
        printf("%.0f %.0f\n", t[runs / 2], t[0]);
        return 0;
}
