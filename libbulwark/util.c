/* SPDX-License-Identifier: MIT */
/* Small helpers declared in util.h: printing untrusted text safely, reading a whole fd, a stable
 * sort, whether there are admin constraints. */
#include "util.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

char *bw_printable(const char *s, size_t n, char *buf, size_t size) {
        const uint8_t *p = (const uint8_t *) s;
        size_t o = 0, i = 0;
        if (size == 0)
                return buf;
        while (i < n && o + 1 < size) {
                uint8_t c = p[i];
                size_t len = c < 0x80             ? 1
                             : (c & 0xe0) == 0xc0 ? 2
                             : (c & 0xf0) == 0xe0 ? 3
                             : (c & 0xf8) == 0xf0 ? 4
                                                  : 0;
                bool invalid = len == 0 || i + len > n || !bw_utf8_valid(s + i, len, NULL);
                bool bad = invalid;
                if (invalid)
                        len = 1; /* replace just this byte and resynchronise on the next */
                if (!bad && len == 1 && (c < 0x20 || c == 0x7f) && c != '\t')
                        bad = true;
                if (!bad && len == 2 && c == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
                        bad = true; /* C1 controls */
                if (!bad && len == 3 && c == 0xe2 &&
                    ((p[i + 1] == 0x80 && p[i + 2] >= 0xaa && p[i + 2] <= 0xae) ||  /* U+202A-202E */
                     (p[i + 1] == 0x81 && p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9) ||  /* U+2066-2069 */
                     (p[i + 1] == 0x80 && (p[i + 2] == 0x8e || p[i + 2] == 0x8f)))) /* LRM, RLM */
                        bad = true;
                if (bad) {
                        buf[o++] = '?';
                        i += len;
                        continue;
                }
                if (o + len + 1 > size)
                        break;
                memcpy(buf + o, s + i, len);
                o += len;
                i += len;
        }
        if (i < n && size >= 4) {
                o = o > size - 4 ? size - 4 : o;
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = 0;
        return buf;
}

ssize_t bw_read_full(int fd, void *buf, size_t size) {
        size_t got = 0;
        while (got < size) {
                ssize_t n = read(fd, (uint8_t *) buf + got, size - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return (ssize_t) got;
}

static void merge_sort(unsigned char *base, unsigned char *tmp, size_t n, size_t size,
                       int (*cmp)(const void *, const void *)) {
        if (n < 2)
                return;
        size_t half = n / 2;
        merge_sort(base, tmp, half, size, cmp);
        merge_sort(base + half * size, tmp, n - half, size, cmp);
        unsigned char *a = base, *a_end = base + half * size, *b = a_end, *b_end = base + n * size, *o = tmp;
        while (a < a_end && b < b_end) {
                /* a tie takes the left run's element first: equal elements keep their order */
                if (cmp(b, a) < 0) {
                        memcpy(o, b, size);
                        b += size;
                } else {
                        memcpy(o, a, size);
                        a += size;
                }
                o += size;
        }
        memcpy(o, a, (size_t) (a_end - a));
        o += a_end - a;
        memcpy(o, b, (size_t) (b_end - b));
        memcpy(base, tmp, n * size);
}

void bw_sort_stable(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
        if (n < 2 || size == 0)
                return;
        size_t bytes;
        unsigned char *tmp = __builtin_mul_overflow(n, size, &bytes) ? NULL : malloc(bytes);
        if (!tmp)
                abort();
        merge_sort(base, tmp, n, size, cmp);
        free(tmp);
}

bool bw_admin_dir_has_constraints(const char *dir) {
        DIR *d = opendir(dir);
        bool any = false;
        for (struct dirent *de; d && !any && (de = readdir(d));) {
                size_t len = strlen(de->d_name);
                /* the names the compiler reads (compiler/resolve.c admin_names) */
                any = de->d_name[0] != '.' && len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0;
        }
        if (d)
                closedir(d);
        return any;
}
