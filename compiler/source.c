/* SPDX-License-Identifier: MIT */
#include "source.h"

#include <libgen.h>

uint32_t bw_sources_add(struct bw_sources *s, const char *name, const char *path, char *text, size_t len,
                        uint32_t layer) {
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 8;
                s->v = realloc(s->v, s->cap * sizeof(*s->v));
                if (!s->v)
                        abort();
        }
        struct bw_source *src = calloc(1, sizeof(*src));
        if (!src)
                abort();
        src->name = strdup(name);
        src->path = path ? strdup(path) : NULL;
        if (path) {
                char *tmp = strdup(path);
                if (!tmp)
                        abort();
                src->dir = strdup(dirname(tmp));
                free(tmp);
        }
        src->text = text;
        src->len = len;
        src->layer = layer;
        bw_sha256(text, len, src->sha256);
        if (!src->name || (path && (!src->path || !src->dir)))
                abort();
        s->v[s->n] = src;
        return (uint32_t) s->n++;
}

void bw_sources_done(struct bw_sources *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i]->name);
                free(s->v[i]->path);
                free(s->v[i]->dir);
                free(s->v[i]->text);
                free(s->v[i]);
        }
        free(s->v);
        *s = (struct bw_sources){0};
}

const char *bw_source_line(const struct bw_source *src, uint32_t line, size_t *ret_len) {
        const char *p = src->text, *end = src->text + src->len;
        for (uint32_t l = 1; l < line && p < end; l++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl) {
                        p = end;
                        break;
                }
                p = nl + 1;
        }
        const char *e = memchr(p, '\n', (size_t) (end - p));
        size_t n = e ? (size_t) (e - p) : (size_t) (end - p);
        if (n > 0 && p[n - 1] == '\r')
                n--;
        *ret_len = n;
        return p;
}
