/* SPDX-License-Identifier: MIT */
/* Small helpers declared in util.h: printing untrusted text safely, reading a whole fd. */
#include "util.h"

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
