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
                if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        goto bad;
                i += n;
        }
        return true;
bad:
        if (bad_offset)
                *bad_offset = i;
        return false;
}
