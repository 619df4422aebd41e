/* SPDX-License-Identifier: MIT */
#include "win_cmdline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct buf {
        char *data;
        size_t n, cap;
};

static int put(struct buf *b, char c) {
        if (b->n + 2 > b->cap) {
                size_t cap = b->cap ? b->cap * 2 : 64;
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        b->data[b->n++] = c;
        b->data[b->n] = '\0';
        return 0;
}

static int put_n(struct buf *b, char c, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (put(b, c) < 0)
                        return -ENOMEM;
        return 0;
}

static int quote_arg(struct buf *b, const char *a) {
        if (*a && !strpbrk(a, " \t\n\v\"")) {
                for (; *a; a++)
                        if (put(b, *a) < 0)
                                return -ENOMEM;
                return 0;
        }
        if (put(b, '"') < 0)
                return -ENOMEM;
        for (;;) {
                size_t slashes = 0;
                while (*a == '\\') {
                        a++;
                        slashes++;
                }
                if (*a == '\0') {
                        /* Backslashes before the closing quote are doubled so they stay literal. */
                        if (put_n(b, '\\', 2 * slashes) < 0)
                                return -ENOMEM;
                        break;
                }
                if (*a == '"') {
                        if (put_n(b, '\\', 2 * slashes + 1) < 0 || put(b, '"') < 0)
                                return -ENOMEM;
                } else if (put_n(b, '\\', slashes) < 0 || put(b, *a) < 0)
                        return -ENOMEM;
                a++;
        }
        return put(b, '"');
}

int bw_win_cmdline_quote(const char *const *argv, char **ret) {
        if (!argv || !argv[0] || !argv[0][0] || strchr(argv[0], '"'))
                return -EINVAL;
        struct buf b = {0};
        bool q = strpbrk(argv[0], " \t") != NULL;
        int r = q ? put(&b, '"') : 0;
        for (const char *s = argv[0]; r == 0 && *s; s++)
                r = put(&b, *s);
        if (r == 0 && q)
                r = put(&b, '"');
        for (size_t i = 1; r == 0 && argv[i]; i++) {
                r = put(&b, ' ');
                if (r == 0)
                        r = quote_arg(&b, argv[i]);
        }
        if (r < 0) {
                free(b.data);
                return r;
        }
        *ret = b.data;
        return 0;
}

void bw_win_argv_free(char **argv) {
        if (!argv)
                return;
        for (size_t i = 0; argv[i]; i++)
                free(argv[i]);
        free(argv);
}

static int push(char ***v, size_t *n, struct buf *b) {
        char **nv = realloc(*v, (*n + 2) * sizeof(char *));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        if (!b->data && put(b, 'x') == 0)
                b->n = 0, b->data[0] = '\0';
        if (!b->data)
                return -ENOMEM;
        nv[(*n)++] = b->data;
        nv[*n] = NULL;
        *b = (struct buf){0};
        return 0;
}

int bw_win_cmdline_parse(const char *s, char ***ret) {
        char **v = calloc(1, sizeof(char *));
        size_t n = 0;
        struct buf b = {0};
        if (!v)
                return -ENOMEM;
        /* argv[0]: up to the first blank, or between quotes; no escapes. */
        bool q = false;
        for (; *s && (q || (*s != ' ' && *s != '\t')); s++) {
                if (*s == '"')
                        q = !q;
                else if (put(&b, *s) < 0)
                        goto nomem;
        }
        if (push(&v, &n, &b) < 0)
                goto nomem;
        for (;;) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                q = false;
                bool any = false;
                while (*s && (q || (*s != ' ' && *s != '\t'))) {
                        size_t slashes = 0;
                        while (*s == '\\') {
                                s++;
                                slashes++;
                        }
                        if (*s == '"') {
                                if (put_n(&b, '\\', slashes / 2) < 0)
                                        goto nomem;
                                if (slashes % 2) {
                                        if (put(&b, '"') < 0)
                                                goto nomem;
                                } else if (q && s[1] == '"') {
                                        /* "" inside quotes: a literal quote (runtime of 2008 and later) */
                                        if (put(&b, '"') < 0)
                                                goto nomem;
                                        s++;
                                } else
                                        q = !q;
                                s++;
                        } else {
                                if (put_n(&b, '\\', slashes) < 0)
                                        goto nomem;
                                if (*s && (q || (*s != ' ' && *s != '\t'))) {
                                        if (put(&b, *s) < 0)
                                                goto nomem;
                                        s++;
                                }
                        }
                        any = true;
                }
                (void) any;
                if (push(&v, &n, &b) < 0)
                        goto nomem;
        }
        *ret = v;
        return 0;
nomem:
        free(b.data);
        bw_win_argv_free(v);
        return -ENOMEM;
}

bool bw_win_is_batch(const char *program) {
        size_t n = strlen(program);
        if (n < 4 || program[n - 4] != '.')
                return false;
        const char *e = program + n - 3;
        char l[3];
        for (int i = 0; i < 3; i++)
                l[i] = (char) (e[i] >= 'A' && e[i] <= 'Z' ? e[i] + 32 : e[i]);
        return memcmp(l, "bat", 3) == 0 || memcmp(l, "cmd", 3) == 0;
}

bool bw_win_batch_arg_safe(const char *arg) {
        for (const unsigned char *p = (const unsigned char *) arg; *p; p++)
                if (*p < 0x20 || *p == 0x7f || strchr("\"%^&|<>!", *p))
                        return false;
        return true;
}
