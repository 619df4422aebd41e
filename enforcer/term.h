/* SPDX-License-Identifier: MIT */
/*
 * The command line's terminal side: whether to colour a stream (--color, NO_COLOR, a terminal,
 * TERM), error lines, the confirmation prompt of apply, and the progress line of long walks.
 * Nothing here changes what is printed when colour is off and no terminal is involved.
 */
#pragma once

#include "util.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

enum bw_color_when { BW_COLOR_AUTO, BW_COLOR_ALWAYS, BW_COLOR_NEVER };

/* "auto", "always" or "never" (also ls's and git's spellings "tty", "yes", "force", "no",
 * "none"). Returns 0, or -EINVAL. */
int bw_color_when_parse(const char *s, enum bw_color_when *ret);

/* Colour the stream on fd? always: yes; never: no; auto: fd is a terminal, TERM is set and not
 * "dumb", and NO_COLOR is unset or empty (no-color.org). */
bool bw_term_use_color(enum bw_color_when when, int fd);

#define BW_SGR_RESET "\033[0m"
#define BW_SGR_BOLD "\033[1m"
#define BW_SGR_ERROR "\033[1;31m" /* bold red */
#define BW_SGR_WARN "\033[1;33m"  /* bold yellow */

/* text, wrapped in sgr ... reset when color. */
void bw_term_put(FILE *f, bool color, const char *sgr, const char *text);

/* An error line on stderr: "PREFIX: MESSAGE\n"; with color "PREFIX: error: MESSAGE\n", "error:"
 * in bold red. */
void bw_term_error(bool color, const char *prefix, const char *fmt, ...) BW_PRINTF(3, 4);

/* Terraform's confirmation: the question and what it means on out, then one line read from in.
 * true only for "yes" (blanks around it ignored); anything else, or end of input, is no. */
bool bw_term_confirm(FILE *in, FILE *out, bool color, const char *question, const char *meaning);

/*
 * The progress line: "\r  N objects checked, M changed (R/s)" on fd, redrawn at most ten times a
 * second, first after a quarter of a second (a quick command shows none; BULWARK_PROGRESS_DELAY
 * sets that delay in seconds, as git's GIT_PROGRESS_DELAY does: 0 draws from the first report),
 * erased by
 * bw_progress_end. Its update function has the signature of bw_engine_options.progress and may
 * be called from several threads at once (a busy lock skips the redraw).
 */
struct bw_progress {
        int fd; /* -1: disabled */
        pthread_mutex_t lock;
        struct timespec start, last;
        size_t width; /* characters of the line on screen (0: none drawn) */
        double delay; /* seconds before the first draw */
};

/* Enable it on fd when enable is true (the caller decides: a terminal, not --quiet). */
void bw_progress_init(struct bw_progress *p, int fd, bool enable);
void bw_progress_update(void *ctx, uint64_t objects_seen, uint64_t objects_changed);
/* Erase the line (the cursor back at its start); later updates draw again. */
void bw_progress_end(struct bw_progress *p);

/* "12,345" (thousands separated by commas, as the change lines count objects). */
void bw_term_count(uint64_t n, char *out, size_t size);
