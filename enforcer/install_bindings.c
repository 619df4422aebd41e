/* SPDX-License-Identifier: MIT */
#include "install_bindings.h"

#include "compat.h" /* openat and its flags on Windows */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bw_bindings_encode(const struct bw_install_bindings *b, char *buf, size_t size) {
        const char *values[] = {b->workspace, b->user, b->home, b->tmpdir, b->signer, b->offline, b->online, b->groups};
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
                if (strchr(values[i], '\n'))
                        return -EINVAL;
        int n = snprintf(buf, size, "workspace=%s\nuser=%s\nhome=%s\ntmpdir=%s\nseq=%" PRIu64 "\nsigner=%s\n",
                         b->workspace, b->user, b->home, b->tmpdir, b->seq, b->signer);
        if (n < 0 || (size_t) n >= size)
                return -ENAMETOOLONG;
        /* the accounts only when bound: an older installation's file re-encodes byte for byte */
        const char *keys[] = {"offline", "online", "groups"};
        for (size_t i = 0; i < 3; i++) {
                const char *v = values[5 + i];
                if (!v[0])
                        continue;
                int m = snprintf(buf + n, size - (size_t) n, "%s=%s\n", keys[i], v);
                if (m < 0 || (size_t) m >= size - (size_t) n)
                        return -ENAMETOOLONG;
                n += m;
        }
        return n;
}

static bool set_field(char *field, size_t size, const char *value, size_t len) {
        if (len >= size)
                return false;
        memcpy(field, value, len);
        field[len] = 0;
        return true;
}

int bw_bindings_decode(const char *text, size_t len, struct bw_install_bindings *ret) {
        struct bw_install_bindings *b = ret;
        b->workspace[0] = b->user[0] = b->home[0] = b->tmpdir[0] = 0;
        b->offline[0] = b->online[0] = b->groups[0] = 0;
        b->seq = 0;
        snprintf(b->signer, sizeof(b->signer), "unsigned");
        if (memchr(text, 0, len))
                return -EBADMSG;
        for (const char *line = text, *end = text + len; line < end;) {
                const char *nl = memchr(line, '\n', (size_t) (end - line));
                size_t n = nl ? (size_t) (nl - line) : (size_t) (end - line);
                const char *eq = memchr(line, '=', n);
                if (eq) {
                        size_t kl = (size_t) (eq - line), vl = n - kl - 1;
                        const char *v = eq + 1;
                        bool ok = true;
#define KEY(k) (kl == sizeof(k) - 1 && memcmp(line, k, kl) == 0)
                        if (KEY("workspace"))
                                ok = set_field(b->workspace, sizeof(b->workspace), v, vl);
                        else if (KEY("user"))
                                ok = set_field(b->user, sizeof(b->user), v, vl);
                        else if (KEY("home"))
                                ok = set_field(b->home, sizeof(b->home), v, vl);
                        else if (KEY("tmpdir"))
                                ok = set_field(b->tmpdir, sizeof(b->tmpdir), v, vl);
                        else if (KEY("signer"))
                                ok = set_field(b->signer, sizeof(b->signer), v, vl);
                        else if (KEY("offline"))
                                ok = set_field(b->offline, sizeof(b->offline), v, vl);
                        else if (KEY("online"))
                                ok = set_field(b->online, sizeof(b->online), v, vl);
                        else if (KEY("groups"))
                                ok = set_field(b->groups, sizeof(b->groups), v, vl);
                        else if (KEY("seq")) {
                                char digits[24];
                                char *e = NULL;
                                ok = vl > 0 && set_field(digits, sizeof(digits), v, vl);
                                if (ok) {
                                        errno = 0;
                                        unsigned long long s = strtoull(digits, &e, 10);
                                        ok = errno == 0 && *e == 0 && digits[0] != '-';
                                        b->seq = ok ? (uint64_t) s : 0;
                                }
                        }
#undef KEY
                        if (!ok)
                                return -EBADMSG;
                }
                line += n + 1;
        }
        return b->workspace[0] && b->user[0] ? 0 : -EBADMSG;
}

int bw_bindings_read(int dir_fd, const char *path, struct bw_install_bindings *ret) {
        int fd = openat(dir_fd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return -errno;
        char *buf = malloc(BW_BINDINGS_MAX + 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        size_t len = 0;
        int e = 0;
        while (len < BW_BINDINGS_MAX + 1) {
                ssize_t n = read(fd, buf + len, BW_BINDINGS_MAX + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        e = -errno;
                        break;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        close(fd);
        if (e == 0)
                e = len == 0 || len > BW_BINDINGS_MAX ? -EBADMSG : bw_bindings_decode(buf, len, ret);
        free(buf);
        return e;
}
