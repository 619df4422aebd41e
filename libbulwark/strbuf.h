/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated byte string. Allocation failure aborts: the callers are
 * short-lived CLI tools that cannot do anything useful without memory. */
#pragma once

#include "util.h"

#include <stdarg.h>

struct bw_strbuf {
        char *data;
        size_t len, cap;
};

void bw_sb_append(struct bw_strbuf *sb, const char *s, size_t n);
void bw_sb_puts(struct bw_strbuf *sb, const char *s);
void bw_sb_putc(struct bw_strbuf *sb, char c);
void bw_sb_printf(struct bw_strbuf *sb, const char *fmt, ...) BW_PRINTF(2, 3);
void bw_sb_truncate(struct bw_strbuf *sb, size_t len);
char *bw_sb_take(struct bw_strbuf *sb); /* the string (never NULL); sb is reset */
void bw_sb_done(struct bw_strbuf *sb);
static inline const char *bw_sb_str(const struct bw_strbuf *sb) {
        return sb->data ? sb->data : "";
}
