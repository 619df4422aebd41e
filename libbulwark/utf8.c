/* SPDX-License-Identifier: MIT */
#include "util.h"

bool bw_utf8_valid(const char *s, size_t len, size_t *bad_offset) {
        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0;
        while (i < len) {
                uint8_t c = p[i];
                size_t n;
                uint32_t cp;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if ((c & 0xe0) == 0xc0) {
                        n = 2;
                        cp = c & 0x1f;
                } else if ((c & 0xf0) == 0xe0) {
                        n = 3;
                        cp = c & 0x0f;
                } else if ((c & 0xf8) == 0xf0) {
                        n = 4;
                        cp = c & 0x07;
                } else
                        goto bad;
                if (len - i < n)
                        goto bad;
                for (size_t k = 1; k < n; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                goto bad;
                        cp = cp << 6 | (p[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                        goto bad;
                i += n;
        }
        return true;
bad:
        if (bad_offset)
                *bad_offset = i;
        return false;
}

char *bw_printable(const char *s, size_t n, char *buf, size_t size) {
        const uint8_t *p = (const uint8_t *) s;
        size_t o = 0, i = 0;
        if (size == 0)
                return buf;
        while (i < n && o + 1 < size) {
                uint8_t c = p[i];
                size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
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
