/* SPDX-License-Identifier: MIT */
/* Resource limits with their defaults (see plan_limits.h). */
#include "plan_limits.h"

#include <stdio.h>

void bw_plan_limits(const struct bw_plan *p, struct bw_limits *ret) {
        struct bw_limits l = {.tmpfs_size = BW_LIMIT_DEFAULT_TMPFS_BYTES, .processes = BW_LIMIT_DEFAULT_PROCESSES};
        const struct bw_plan_limits *pl = p->limits;
        if (pl) {
                if (pl->tmpfs_size || pl->tmpfs_percent) {
                        l.tmpfs_size = pl->tmpfs_size;
                        l.tmpfs_percent = pl->tmpfs_percent;
                        l.set |= BW_LIMIT_SET_TMPFS;
                }
                if (pl->processes) {
                        l.processes = pl->processes;
                        l.set |= BW_LIMIT_SET_PROCESSES;
                }
                if (pl->memory) {
                        l.memory = pl->memory;
                        l.set |= BW_LIMIT_SET_MEMORY;
                }
                if (pl->cpu_millis) {
                        l.cpu_millis = pl->cpu_millis;
                        l.set |= BW_LIMIT_SET_CPU;
                }
        }
        *ret = l;
}

int bw_limits_tmpfs_option(const struct bw_limits *l, char *buf, size_t size) {
        int n = l->tmpfs_size ? snprintf(buf, size, "size=%llu", (unsigned long long) l->tmpfs_size)
                              : snprintf(buf, size, "size=%u%%", l->tmpfs_percent);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}
