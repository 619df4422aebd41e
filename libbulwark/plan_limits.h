/* SPDX-License-Identifier: MIT */
/*
 * Resource limits of a sandbox: what the plan's LIMT section (the policy's `limits:`) says, with
 * the documented defaults for what it does not say. Pure, for bulwark-runner (no PCRE2, no I/O).
 * schema/policy-language.md, "Limits", is the user's view.
 */
#pragma once

#include "plan.h"

#include <stddef.h>
#include <stdint.h>

/* The defaults. tmpfs: 512 MiB for ${tmpdir} (the kernel's own default, half of RAM for each of
 * three mounts, let one run take the host's memory: every tmpfs page is RAM or swap); /dev/shm
 * gets a quarter of it and /run 16 MiB, whatever the size (bulwark-runner). Processes: far above a parallel build's
 * processes and threads, far below what lets a fork bomb exhaust the host. Memory and CPU: no limit. */
#define BW_LIMIT_DEFAULT_TMPFS_BYTES (512ull << 20)
#define BW_LIMIT_DEFAULT_PROCESSES 4096u

/* Which fields of struct bw_limits the plan set (the others are defaults). */
#define BW_LIMIT_SET_TMPFS 0x1u
#define BW_LIMIT_SET_PROCESSES 0x2u
#define BW_LIMIT_SET_MEMORY 0x4u
#define BW_LIMIT_SET_CPU 0x8u

struct bw_limits {
        /* Size of the private ${tmpdir} the runner mounts (/dev/shm gets a quarter, /run 16 MiB):
         * exactly one of the two is non-zero. bw_limits_tmpfs_option() spells it as a mount option. */
        uint64_t tmpfs_size;    /* bytes */
        uint32_t tmpfs_percent; /* 1..100, of the host's RAM (tmpfs's own "size=N%") */
        /* Processes and threads: RLIMIT_NPROC, and pids.max where a delegated cgroup exists.
         * Always 1..BW_LIMIT_MAX_PROCESSES. */
        uint32_t processes;
        /* Only where a delegated cgroup exists (memory.max, cpu.max); 0 = no limit. */
        uint64_t memory;     /* bytes */
        uint32_t cpu_millis; /* thousandths of a CPU: 1500 = cpu.max "150000 100000" */
        uint32_t set;        /* BW_LIMIT_SET_*: which of these came from the plan */
};

/* Fill *ret from p's LIMT section, defaults for what it leaves unset or when p has none. p must
 * have been validated by bw_plan_parse(). Never fails. */
void bw_plan_limits(const struct bw_plan *p, struct bw_limits *ret);

/* The tmpfs mount option for l's size: "size=1073741824" or "size=50%". Returns 0, or -ENOBUFS
 * when buf (size bytes) is too small (32 bytes always suffice). */
int bw_limits_tmpfs_option(const struct bw_limits *l, char *buf, size_t size);
