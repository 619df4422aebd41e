/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every part of bulwark: cleanup attributes (systemd style), checked
 * size arithmetic, printf-format attributes. Nothing here touches the OS beyond free()/close().
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "compat.h"

#define BW_PRINTF(fmt, args) __attribute__((format(BW_PRINTF_ARCHETYPE, fmt, args)))
#define BW_NODISCARD __attribute__((warn_unused_result))
#define BW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void bw_freep(void *p) {
        free(*(void **) p);
}
static inline void bw_closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

#define _cleanup_free_ __attribute__((cleanup(bw_freep)))
#define _cleanup_close_ __attribute__((cleanup(bw_closep)))
#define _cleanup_(f) __attribute__((cleanup(f)))

/* Hand ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _taken = (p);                                                                            \
                (p) = NULL;                                                                                            \
                _taken;                                                                                                \
        })
#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _taken = (fd);                                                                                     \
                (fd) = -1;                                                                                             \
                _taken;                                                                                                \
        })

/* Checked arithmetic: true when the result overflowed. */
#define bw_add_overflow(a, b, res) __builtin_add_overflow(a, b, res)
#define bw_mul_overflow(a, b, res) __builtin_mul_overflow(a, b, res)

static inline bool bw_streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

/* Little-endian loads and stores that do not care about alignment. */
static inline uint16_t bw_le16(const void *p) {
        const uint8_t *b = p;
        return (uint16_t) (b[0] | (uint16_t) b[1] << 8);
}
static inline uint32_t bw_le32(const void *p) {
        const uint8_t *b = p;
        return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}
static inline uint64_t bw_le64(const void *p) {
        const uint8_t *b = p;
        return (uint64_t) bw_le32(b) | (uint64_t) bw_le32(b + 4) << 32;
}
static inline void bw_put_le16(void *p, uint16_t v) {
        uint8_t *b = p;
        b[0] = (uint8_t) v;
        b[1] = (uint8_t) (v >> 8);
}
static inline void bw_put_le32(void *p, uint32_t v) {
        uint8_t *b = p;
        for (int i = 0; i < 4; i++)
                b[i] = (uint8_t) (v >> (8 * i));
}
static inline void bw_put_le64(void *p, uint64_t v) {
        bw_put_le32(p, (uint32_t) v);
        bw_put_le32((uint8_t *) p + 4, (uint32_t) (v >> 32));
}

/* Valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). On failure *bad_offset is the first bad byte. */
bool bw_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/*
 * Copy s[0..n) into buf (size bytes, NUL-terminated, truncated with "..." if needed) so that it
 * is safe to print on a terminal: C0 and C1 control characters, DEL, Unicode bidirectional
 * overrides and isolates, and invalid UTF-8 become '?'. Returns buf.
 */
char *bw_printable(const char *s, size_t n, char *buf, size_t size);

/* Read up to size bytes from fd into buf, retrying short reads and EINTR; stops at end of file.
 * Returns the byte count or a negative errno. */
ssize_t bw_read_full(int fd, void *buf, size_t size);

/* A stable sort (a merge sort): equal elements keep their order, on every C library. A plan's
 * bytes must not depend on the platform's qsort: the compiler sorts entries among which the
 * first listed wins (an environment variable named twice, say); glibc's qsort is a merge sort
 * up to 2.36 but not from 2.37, and Microsoft's never was. Aborts when it cannot allocate
 * rather than falling back to another order. */
void bw_sort_stable(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* Where administrators keep the constraints every plan on this machine obeys. */
#define BW_ADMIN_CONSTRAINTS_DIR "/etc/bulwark/admin.d"

/* Does dir hold admin constraints: a NAME.yaml the compiler reads (not starting with a dot)? */
bool bw_admin_dir_has_constraints(const char *dir);
