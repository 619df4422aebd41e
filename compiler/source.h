/* SPDX-License-Identifier: MIT */
/* Source files (policies, profiles, constraints) and locations within them. */
#pragma once

#include "plan_format.h"
#include "sha256.h"
#include "util.h"

struct bw_source {
        char *name; /* as shown in diagnostics: the path given, or "builtin:NAME" */
        char *path; /* file system path, NULL for built-ins */
        char *dir;  /* directory relative extends are resolved against; NULL for built-ins */
        char *text; /* contents, NUL-terminated */
        size_t len;
        uint8_t sha256[BW_SHA256_SIZE];
        uint32_t layer; /* enum bw_source_layer */
};

struct bw_sources {
        struct bw_source **v;
        size_t n, cap;
};

/* A span in a source: 1-based line and columns (columns count bytes); end_col is exclusive. */
struct bw_loc {
        uint32_t source; /* index into bw_sources */
        uint32_t line, col, end_col;
};

/* Takes ownership of text; returns the new source's index. */
uint32_t bw_sources_add(struct bw_sources *s, const char *name, const char *path, char *text, size_t len,
                        uint32_t layer);
void bw_sources_done(struct bw_sources *s);
/* The text of line (1-based) of source, and its length (without the newline). */
const char *bw_source_line(const struct bw_source *src, uint32_t line, size_t *ret_len);
