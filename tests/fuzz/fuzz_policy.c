/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the policy front end: YAML parsing, the policy reader, layer resolution
 * and plan building, on whatever bytes the fuzzer makes. Beyond "no crash", it checks the one
 * promise between the two halves of bulwark: every plan the compiler writes must pass the
 * enforcer's validating reader, digest included. A plan that does not is an abort().
 */
#include "compile.h"
#include "plan.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * bw_compile() reads its policy from a path (the path is also what provenance records), so the
 * input goes through a file. It lives alone in a private directory: relative `extends` entries
 * resolve against that directory, which holds nothing else, so a run does not depend on what
 * other programs left in /tmp. Created once; each input overwrites it.
 */
static char dir[] = "/tmp/bw-fuzz-policy.XXXXXX";
static char path[sizeof(dir) + sizeof("/policy.yaml")];

static void remove_temp(void) {
        unlink(path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void) argc;
        (void) argv;
        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof(path), "%s/policy.yaml", dir);
        atexit(remove_temp);
        return 0;
}

static void write_input(const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                abort();
        for (size_t done = 0; done < size;) {
                ssize_t n = write(fd, data + done, size - done);
                if (n <= 0)
                        abort();
                done += (size_t) n;
        }
        close(fd);
}

/* Compile, and if that succeeds, check the plan the way the enforcer will read it. */
static void compile_and_check(const struct bw_bindings *b, bool without_provenance) {
        struct bw_compile_options o = {.policy_path = path, .admin_dir = NULL};
        struct bw_compilation c;
        if (b)
                o.bindings = *b;

        if (bw_compile(&o, &c) == 0) {
                uint8_t *bytes = NULL;
                size_t size = 0;
                if (bw_compilation_to_plan(&c, without_provenance, &bytes, &size) < 0)
                        abort(); /* only ENOMEM may fail here */

                /* the writer's buffer comes from malloc(), so it is aligned; copy anyway to be
                 * independent of that and to give ASan an exact-size buffer */
                void *buf = NULL;
                if (posix_memalign(&buf, BW_PLAN_ALIGN, size ? size : 1) != 0)
                        abort();
                memcpy(buf, bytes, size);
                struct bw_plan plan;
                struct bw_plan_error err = {0};
                if (bw_plan_parse(buf, size, 0, &plan, &err) < 0) {
                        fprintf(stderr, "fuzz_policy: the compiler wrote a plan the reader rejects: %s (at %llu)\n",
                                err.message, (unsigned long long) err.offset);
                        abort();
                }
                free(buf);
                free(bytes);
        }
        bw_compilation_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        /* every variable bound: the compiler then substitutes, escapes and re-checks values */
        static const struct bw_bindings bound = {.value = {
                                                         [BW_VAR_HOME] = "/home/fuzz",
                                                         [BW_VAR_TMPDIR] = "/tmp",
                                                         [BW_VAR_USER] = "fuzz",
                                                         [BW_VAR_WORKSPACE] = "/w",
                                                 }};

        write_input(data, size);
        compile_and_check(NULL, false);
        compile_and_check(&bound, true);
        return 0;
}
