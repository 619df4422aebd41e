/* SPDX-License-Identifier: MIT */
#include "strbuf.h"

#include <stdio.h>

static void grow(struct bw_strbuf *sb, size_t extra) {
        size_t need;
        if (bw_add_overflow(sb->len, extra + 1, &need))
                abort();
        if (sb->data && need <= sb->cap) /* no data means nothing allocated, whatever cap says */
                return;
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < need)
                if (bw_mul_overflow(cap, 2, &cap))
                        abort();
        char *d = realloc(sb->data, cap);
        if (!d)
                abort();
        sb->data = d;
        sb->cap = cap;
}

void bw_sb_append(struct bw_strbuf *sb, const char *s, size_t n) {
        grow(sb, n);
        if (n)
                memcpy(sb->data + sb->len, s, n);
        sb->len += n;
        sb->data[sb->len] = 0;
}
void bw_sb_puts(struct bw_strbuf *sb, const char *s) {
        bw_sb_append(sb, s, strlen(s));
}
void bw_sb_putc(struct bw_strbuf *sb, char c) {
        bw_sb_append(sb, &c, 1);
}
void bw_sb_printf(struct bw_strbuf *sb, const char *fmt, ...) {
        va_list ap, ap2;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                abort();
        grow(sb, (size_t) n);
        vsnprintf(sb->data + sb->len, (size_t) n + 1, fmt, ap2);
        va_end(ap2);
        sb->len += (size_t) n;
}
void bw_sb_truncate(struct bw_strbuf *sb, size_t len) {
        if (len < sb->len) {
                sb->len = len;
                sb->data[len] = 0;
        }
}
char *bw_sb_take(struct bw_strbuf *sb) {
        if (!sb->data)
                bw_sb_append(sb, "", 0);
        char *s = sb->data;
        *sb = (struct bw_strbuf){0};
        return s;
}
void bw_sb_done(struct bw_strbuf *sb) {
        free(sb->data);
        *sb = (struct bw_strbuf){0};
}
