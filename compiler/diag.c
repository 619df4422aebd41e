/* SPDX-License-Identifier: MIT */
#include "util.h"
#include "diag.h"

#include <jansson.h>
#include <stdarg.h>

__attribute__((format(printf, 1, 0))) static char *vformat(const char *fmt, va_list ap) {
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        return s;
}

static struct bw_diag *push(struct bw_diags *d, enum bw_severity sev) {
        if (sev == BW_SEV_ERROR) {
                if (d->n_errors >= BW_DIAG_MAX_ERRORS) {
                        d->n_errors++;
                        d->capped = true;
                        return NULL;
                }
                d->n_errors++;
        } else if (sev == BW_SEV_WARNING) {
                d->n_warnings++;
        } else if (d->capped) {
                return NULL; /* a note for a dropped error */
        }
        if (d->n == d->cap) {
                d->cap = d->cap ? d->cap * 2 : 16;
                d->v = realloc(d->v, d->cap * sizeof(*d->v));
                if (!d->v)
                        abort();
        }
        struct bw_diag *x = &d->v[d->n++];
        *x = (struct bw_diag){.severity = sev};
        return x;
}

int bw_diag_add(struct bw_diags *d, enum bw_severity sev, const struct bw_loc *loc, const char *fmt, ...) {
        struct bw_diag *x = push(d, sev);
        if (x) {
                va_list ap;
                va_start(ap, fmt);
                x->message = vformat(fmt, ap);
                va_end(ap);
                if (loc) {
                        x->loc = *loc;
                        x->has_loc = true;
                }
        }
        return sev == BW_SEV_ERROR ? -EINVAL : 0;
}

int bw_diag_file(struct bw_diags *d, enum bw_severity sev, const char *file, const char *fmt, ...) {
        struct bw_diag *x = push(d, sev);
        if (x) {
                va_list ap;
                va_start(ap, fmt);
                x->message = vformat(fmt, ap);
                va_end(ap);
                x->file = strdup(file);
                if (!x->file)
                        abort();
        }
        return sev == BW_SEV_ERROR ? -EINVAL : 0;
}

void bw_diags_done(struct bw_diags *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->v[i].message);
                free(d->v[i].file);
        }
        free(d->v);
        *d = (struct bw_diags){0};
}

static const char *sev_name(enum bw_severity s) {
        return s == BW_SEV_ERROR ? "error" : s == BW_SEV_WARNING ? "warning" : "note";
}
static const char *sev_color(enum bw_severity s) {
        return s == BW_SEV_ERROR ? "\033[1;31m" : s == BW_SEV_WARNING ? "\033[1;35m" : "\033[1;36m";
}

/* Diagnostics are printed in source order: each error or warning with the notes that follow it
 * forms a group, and groups are stably sorted by (file, line, column). */
struct group {
        size_t first, n;
};
static const struct bw_diags *sort_diags;
static int group_cmp(const void *x, const void *y) {
        const struct group *a = x, *b = y;
        const struct bw_diag *da = &sort_diags->v[a->first], *db = &sort_diags->v[b->first];
        uint64_t ka = da->has_loc ? (uint64_t) da->loc.source << 40 | (uint64_t) da->loc.line << 16 | da->loc.col
                                  : UINT64_MAX;
        uint64_t kb = db->has_loc ? (uint64_t) db->loc.source << 40 | (uint64_t) db->loc.line << 16 | db->loc.col
                                  : UINT64_MAX;
        if (ka != kb)
                return ka < kb ? -1 : 1;
        return a->first < b->first ? -1 : 1;
}

static size_t *ordered(const struct bw_diags *d) {
        struct group *g = calloc(d->n + 1, sizeof(*g));
        size_t *order = calloc(d->n + 1, sizeof(*order));
        if (!g || !order)
                abort();
        size_t ng = 0;
        for (size_t i = 0; i < d->n; i++) {
                if (d->v[i].severity == BW_SEV_NOTE && ng > 0)
                        g[ng - 1].n++;
                else
                        g[ng++] = (struct group){i, 1};
        }
        sort_diags = d;
        bw_sort_stable(g, ng, sizeof(*g), group_cmp);
        size_t k = 0;
        for (size_t i = 0; i < ng; i++)
                for (size_t j = 0; j < g[i].n; j++)
                        order[k++] = g[i].first + j;
        free(g);
        return order;
}

void bw_diags_print(const struct bw_diags *d, const struct bw_sources *s, FILE *f, bool color) {
        const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "", *green = color ? "\033[1;32m" : "";
        _cleanup_free_ size_t *order = ordered(d);
        for (size_t i = 0; i < d->n; i++) {
                const struct bw_diag *x = &d->v[order[i]];
                const char *sc = color ? sev_color(x->severity) : "";
                /* messages quote the user's text (key names, paths): print them safely */
                char msg[2048];
                bw_printable(x->message, strlen(x->message), msg, sizeof(msg));
                if (x->file) {
                        fprintf(f, "%s%s:%s %s%s:%s %s\n", bold, x->file, reset, sc, sev_name(x->severity), reset, msg);
                        continue;
                }
                if (!x->has_loc) {
                        fprintf(f, "bulwarkc: %s%s:%s %s\n", sc, sev_name(x->severity), reset, msg);
                        continue;
                }
                const struct bw_source *src = s->v[x->loc.source];
                if (x->loc.line == 0) {
                        fprintf(f, "%s%s:%s %s%s:%s %s\n", bold, src->name, reset, sc, sev_name(x->severity), reset,
                                msg);
                        continue;
                }
                fprintf(f, "%s%s:%u:%u:%s %s%s:%s %s\n", bold, src->name, x->loc.line, x->loc.col, reset, sc,
                        sev_name(x->severity), reset, msg);
                size_t n;
                const char *line = bw_source_line(src, x->loc.line, &n);
                /* Show (a window of) the source line with tabs kept, so the caret lines up, and
                 * anything unsafe for a terminal as '?'. The caret counts characters. */
                uint32_t col = x->loc.col ? x->loc.col : 1;
                size_t from = 0, to = n;
                if (n > 200) {
                        from = col > 100 ? col - 100 : 0;
                        while (from > 0 && ((unsigned char) line[from] & 0xc0) == 0x80)
                                from--;
                        to = from + 200 < n ? from + 200 : n;
                        while (to < n && ((unsigned char) line[to] & 0xc0) == 0x80)
                                to++;
                }
                char shown[1024];
                bw_printable(line + from, to - from, shown, sizeof(shown));
                fprintf(f, "  %s%s%s\n  %s", from ? "..." : "", shown, to < n ? "..." : "", from ? "   " : "");
                bool utf8 = bw_utf8_valid(line, n, NULL);
                for (size_t k = from + 1; k < col && k - 1 < to; k++) {
                        unsigned char ch = (unsigned char) line[k - 1];
                        if (utf8 && (ch & 0xc0) == 0x80)
                                continue; /* a continuation byte: same character */
                        fputc(ch == '\t' ? '\t' : ' ', f);
                }
                fprintf(f, "%s^", green);
                for (uint32_t k = col + 1; k < x->loc.end_col && k - 1 < to; k++)
                        if (!utf8 || ((unsigned char) line[k - 1] & 0xc0) != 0x80)
                                fputc('~', f);
                fprintf(f, "%s\n", reset);
        }
        if (d->capped)
                fprintf(f, "bulwarkc: too many errors (%zu); only the first %d are shown\n", d->n_errors,
                        BW_DIAG_MAX_ERRORS);
}

void bw_diags_print_json(const struct bw_diags *d, const struct bw_sources *s, FILE *f) {
        _cleanup_free_ size_t *order = ordered(d);
        for (size_t i = 0; i < d->n; i++) {
                const struct bw_diag *x = &d->v[order[i]];
                json_t *o = json_object();
                json_object_set_new(o, "severity", json_string(sev_name(x->severity)));
                if (x->file)
                        json_object_set_new(o, "file", json_string(x->file));
                else if (x->has_loc) {
                        json_object_set_new(o, "file", json_string(s->v[x->loc.source]->name));
                        if (x->loc.line) {
                                json_object_set_new(o, "line", json_integer(x->loc.line));
                                json_object_set_new(o, "column", json_integer(x->loc.col));
                                json_object_set_new(o, "end_column", json_integer(x->loc.end_col));
                        }
                }
                json_object_set_new(o, "message", json_string(x->message));
                char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
                if (text) {
                        fprintf(f, "%s\n", text);
                        free(text);
                }
                json_decref(o);
        }
        if (d->capped)
                fprintf(f,
                        "{\"severity\":\"error\",\"message\":\"too many errors (%zu); only the first %d are shown\"}\n",
                        d->n_errors, BW_DIAG_MAX_ERRORS);
}
