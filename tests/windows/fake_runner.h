/* SPDX-License-Identifier: MIT */
/*
 * The recording fake of the run's operations (win_ops.h: read_file, token_user, token_groups,
 * restrict_token, job_create_limited, create_process), over fake_ops.h's fake: the same log and
 * failure injection (fake_fail), so a test sees every call of a run in one order. The state a
 * real Windows would keep: files of the state directory (path -> bytes, or an error), the token's
 * user and groups, and what the last restricted token and job were asked for.
 */
#pragma once

#include "fake_ops.h"

#define FAKE_RUNNER_MAX_FILES 16
#define FAKE_RUNNER_MAX_GROUPS 16

struct fake_file {
        char path[512];
        uint8_t *data;
        size_t n;
        int error; /* a negative errno read_file returns instead (-EACCES) */
};

struct fake_runner {
        struct fake *f;
        struct fake_file files[FAKE_RUNNER_MAX_FILES];
        size_t n_files;
        struct bw_win_sid token_user;
        struct bw_win_token_group groups[FAKE_RUNNER_MAX_GROUPS];
        size_t n_groups;
        /* the last restrict_token */
        uint32_t flags;
        struct bw_win_sid restricted[40], disabled[40], default_dacl[8];
        size_t n_restricted, n_disabled, n_default_dacl;
        /* the last job_create_limited */
        struct bw_win_job_limits limits;
        bool job_made;
};

/* fake_init, then the run's operations over the same log. One fake_runner at a time. */
void fake_runner_init(struct fake_runner *fr, struct fake *f, struct bw_win_ops *ops);
void fake_runner_done(struct fake_runner *fr);
/* A file of n bytes (a copy), or one that read_file refuses with error (-EACCES). */
void fake_runner_file(struct fake_runner *fr, const char *path, const void *data, size_t n, int error);
void fake_runner_group(struct fake_runner *fr, const char *sid, const char *name, uint32_t attributes);
