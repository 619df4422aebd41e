/* SPDX-License-Identifier: MIT */
#include "win_path.h"
#include "win_ops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char fold(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

bool bw_win_name_equal(const char *a, size_t alen, const char *b, size_t blen) {
        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++)
                if (fold(a[i]) != fold(b[i]))
                        return false;
        return true;
}

bool bw_win_path_equal(const char *a, const char *b) {
        return bw_win_name_equal(a, strlen(a), b, strlen(b));
}

bool bw_win_path_within(const char *p, const char *root) {
        size_t n = strlen(root);
        if (n == 1 && root[0] == '/')
                return p[0] == '/';
        if (!bw_win_name_equal(p, n < strlen(p) ? n : strlen(p), root, n))
                return false;
        return p[n] == '\0' || p[n] == '/';
}

static bool reserved_device(const char *c, size_t len) {
        static const char *const names[] = {"con", "prn", "aux", "nul"};
        /* The device name counts with any extension ("nul.txt"), and trailing spaces were refused. */
        size_t base = 0;
        while (base < len && c[base] != '.')
                base++;
        for (size_t i = 0; i < 4; i++)
                if (bw_win_name_equal(c, base, names[i], 3))
                        return true;
        if (base == 4 && (bw_win_name_equal(c, 3, "com", 3) || bw_win_name_equal(c, 3, "lpt", 3)) && c[3] >= '1' &&
            c[3] <= '9')
                return true;
        return false;
}

static int check_component(const char *c, size_t len, const char **why) {
        if (len == 0) {
                *why = "empty component";
                return -EINVAL;
        }
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.')) {
                *why = "'.' or '..' component";
                return -EINVAL;
        }
        if (c[len - 1] == '.' || c[len - 1] == ' ') {
                *why = "component ending in a dot or a space (Win32 strips them: two names for one file)";
                return -EINVAL;
        }
        for (size_t i = 0; i < len; i++) {
                if ((unsigned char) c[i] < 0x20 || strchr("<>:\"|?*", c[i])) {
                        *why = "character not allowed in a Windows name (':' would name an alternate data stream)";
                        return -EINVAL;
                }
        }
        if (reserved_device(c, len)) {
                *why = "reserved device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9)";
                return -EINVAL;
        }
        return 0;
}

int bw_win_path_to_plan(const char *win, char **ret, const char **why) {
        const char *dummy;
        if (!why)
                why = &dummy;
        *why = NULL;
        const char *p = win;
        if ((p[0] == '\\' || p[0] == '/') && (p[1] == '\\' || p[1] == '/')) {
                if (p[2] == '?' && p[3] == '\\' && !(fold(p[4]) == 'u' && fold(p[5]) == 'n' && fold(p[6]) == 'c'))
                        p += 4;
                else {
                        *why = "UNC and device paths are not supported (a share's ACLs are the server's)";
                        return -EINVAL;
                }
        }
        char drive = fold(p[0]);
        if (!(drive >= 'a' && drive <= 'z') || p[1] != ':' || (p[2] != '\\' && p[2] != '/' && p[2] != '\0')) {
                *why = "not an absolute path with a drive letter (C:\\...)";
                return -EINVAL;
        }
        size_t n = strlen(p);
        char *out = malloc(n + 2);
        if (!out)
                return -ENOMEM;
        size_t o = 0;
        out[o++] = '/';
        out[o++] = drive;
        const char *c = p + 2;
        while (*c == '\\' || *c == '/') {
                const char *s = c + 1, *e = s;
                while (*e && *e != '\\' && *e != '/')
                        e++;
                if (e == s && *e == '\0') {
                        c = e; /* one trailing separator: "C:\" or "C:\x\" */
                        break;
                }
                int r = check_component(s, (size_t) (e - s), why);
                if (r < 0) {
                        free(out);
                        return r;
                }
                out[o++] = '/';
                memcpy(out + o, s, (size_t) (e - s));
                o += (size_t) (e - s);
                c = e;
        }
        if (*c != '\0') {
                free(out);
                *why = "not an absolute path with a drive letter (C:\\...)";
                return -EINVAL;
        }
        out[o] = '\0';
        *ret = out;
        return 0;
}

int bw_win_path_from_plan(const char *plan, char **ret) {
        if (plan[0] != '/' || !((plan[1] >= 'a' && plan[1] <= 'z') || (plan[1] >= 'A' && plan[1] <= 'Z')) ||
            (plan[2] != '/' && plan[2] != '\0'))
                return -ENOENT;
        size_t n = strlen(plan);
        char *out = malloc(n + 8);
        if (!out)
                return -ENOMEM;
        memcpy(out, "\\\\?\\", 4);
        out[4] = (char) (plan[1] & ~0x20);
        out[5] = ':';
        if (plan[2] == '\0') {
                out[6] = '\\';
                out[7] = '\0';
        } else {
                size_t o = 6;
                for (const char *s = plan + 2; *s; s++)
                        out[o++] = *s == '/' ? '\\' : *s;
                out[o] = '\0';
        }
        *ret = out;
        return 0;
}

int bw_win_path_canonical(const struct bw_win_ops *ops, const char *plan, bool follow, char **ret, const char **why) {
        char *final = NULL, err[256] = "";
        *ret = NULL;
        int r = ops->final_path(ops->ctx, plan, &final, err, sizeof(err));
        if (r == -ENOENT) {
                *why = "does not exist";
                return r;
        }
        if (r < 0) {
                *why = "its path as Windows stores it cannot be read (GetFinalPathNameByHandleW)";
                return r;
        }
        if (!follow && !bw_win_path_equal(plan, final)) {
                *why = "is reached through a junction, a symbolic link or a short (8.3) name: give the directory's own "
                       "path";
                free(final);
                return -ELOOP;
        }
        *ret = final;
        return 0;
}
