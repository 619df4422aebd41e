/* SPDX-License-Identifier: MIT */
/*
 * Compiler diagnostics: collected (up to a cap), then printed nftables-style
 *     file:line:col: error: message
 *       source line
 *       ^~~~~
 * or as JSON, one object per line.
 */
#pragma once

#include "source.h"

#include <stdio.h>

enum bw_severity { BW_SEV_ERROR, BW_SEV_WARNING, BW_SEV_NOTE };

#define BW_DIAG_MAX_ERRORS 50

struct bw_diag {
        enum bw_severity severity;
        struct bw_loc loc; /* line 0: no location within the file */
        bool has_loc;
        char *file; /* for diagnostics about a file that is not a loaded source */
        char *message;
};

struct bw_diags {
        struct bw_diag *v;
        size_t n, cap;
        size_t n_errors, n_warnings;
        bool capped;
};

/* Record a diagnostic at loc (NULL: about the whole run). Returns -EINVAL for errors, else 0,
 * so callers can write `return bw_error(...)`. */
int bw_diag_add(struct bw_diags *d, enum bw_severity sev, const struct bw_loc *loc, const char *fmt, ...)
        BW_PRINTF(4, 5);
#define bw_error(d, loc, ...) bw_diag_add(d, BW_SEV_ERROR, loc, __VA_ARGS__)
#define bw_warning(d, loc, ...) bw_diag_add(d, BW_SEV_WARNING, loc, __VA_ARGS__)
#define bw_note(d, loc, ...) bw_diag_add(d, BW_SEV_NOTE, loc, __VA_ARGS__)
/* A diagnostic about a file as a whole, by name (e.g. one that could not be read). */
int bw_diag_file(struct bw_diags *d, enum bw_severity sev, const char *file, const char *fmt, ...) BW_PRINTF(4, 5);

void bw_diags_done(struct bw_diags *d);
void bw_diags_print(const struct bw_diags *d, const struct bw_sources *s, FILE *f, bool color);
void bw_diags_print_json(const struct bw_diags *d, const struct bw_sources *s, FILE *f);
