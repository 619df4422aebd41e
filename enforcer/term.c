/* SPDX-License-Identifier: MIT */
#include "term.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int bw_color_when_parse(const char *s, enum bw_color_when *ret) {
        static const struct {
                const char *name;
                enum bw_color_when when;
        } names[] = {
                {"auto", BW_COLOR_AUTO},     {"tty", BW_COLOR_AUTO},   {"if-tty", BW_COLOR_AUTO},
                {"always", BW_COLOR_ALWAYS}, {"yes", BW_COLOR_ALWAYS}, {"force", BW_COLOR_ALWAYS},
                {"never", BW_COLOR_NEVER},   {"no", BW_COLOR_NEVER},   {"none", BW_COLOR_NEVER},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
                if (bw_streq(s, names[i].name)) {
                        *ret = names[i].when;
                        return 0;
                }
        return -EINVAL;
}

bool bw_term_use_color(enum bw_color_when when, int fd) {
        if (when != BW_COLOR_AUTO)
                return when == BW_COLOR_ALWAYS;
        const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
        if (no_color && no_color[0])
                return false;
        return isatty(fd) && term && term[0] && !bw_streq(term, "dumb");
}

void bw_term_put(FILE *f, bool color, const char *sgr, const char *text) {
        if (color)
                fprintf(f, "%s%s%s", sgr, text, BW_SGR_RESET);
        else
                fputs(text, f);
}

void bw_term_error(bool color, const char *prefix, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", prefix);
        if (color)
                fputs(BW_SGR_ERROR "error:" BW_SGR_RESET " ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

bool bw_term_confirm(FILE *in, FILE *out, bool color, const char *question, const char *meaning) {
        bw_term_put(out, color, BW_SGR_BOLD, question);
        fprintf(out, "\n  %s\n  Only 'yes' will be accepted to approve.\n\n  ", meaning);
        bw_term_put(out, color, BW_SGR_BOLD, "Enter a value:");
        fputc(' ', out);
        fflush(out);
        char line[256];
        if (!fgets(line, sizeof(line), in)) {
                fputc('\n', out); /* end of input: the answer's line was never ended */
                return false;
        }
        bool whole = strchr(line, '\n') != NULL;
        if (!whole) /* a longer answer is not yes: read the rest of it away */
                for (int c; (c = fgetc(in)) != EOF && c != '\n';)
                        ;
        char *s = line, *e = line + strlen(line);
        while (*s && isspace((unsigned char) *s))
                s++;
        while (e > s && isspace((unsigned char) e[-1]))
                e--;
        fputc('\n', out);
        return whole && e - s == 3 && memcmp(s, "yes", 3) == 0;
}

void bw_term_count(uint64_t n, char *out, size_t size) {
        char digits[24];
        int len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) n);
        size_t k = 0;
        for (int i = 0; i < len && k + 1 < size; i++) {
                if (i > 0 && (len - i) % 3 == 0 && k + 2 < size)
                        out[k++] = ',';
                out[k++] = digits[i];
        }
        out[k] = 0;
}

void bw_progress_init(struct bw_progress *p, int fd, bool enable) {
        *p = (struct bw_progress){.fd = enable ? fd : -1, .delay = 0.25};
        const char *d = getenv("BULWARK_PROGRESS_DELAY");
        if (d && *d) {
                char *end = NULL;
                double v = strtod(d, &end);
                if (*end == 0 && v >= 0 && v <= 3600) /* anything else: the default */
                        p->delay = v;
        }
        pthread_mutex_init(&p->lock, NULL);
        clock_gettime(CLOCK_MONOTONIC, &p->start);
        p->last = p->start;
}

static double seconds_between(const struct timespec *a, const struct timespec *b) {
        return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

static void write_all(int fd, const char *s, size_t n) {
        while (n > 0) {
                ssize_t w = write(fd, s, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* the terminal went away: the command goes on without its line */
                s += w;
                n -= (size_t) w;
        }
}

/* Blanks over what was drawn, back to its start: no escape sequence, so any terminal (even
 * TERM=dumb) is left clean. */
static void erase(struct bw_progress *p) {
        char blank[256];
        size_t n = p->width < sizeof(blank) - 2 ? p->width : sizeof(blank) - 2;
        blank[0] = '\r';
        memset(blank + 1, ' ', n);
        blank[n + 1] = '\r';
        write_all(p->fd, blank, n + 2);
        p->width = 0;
}

void bw_progress_update(void *ctx, uint64_t objects_seen, uint64_t objects_changed) {
        struct bw_progress *p = ctx;
        if (p->fd < 0 || pthread_mutex_trylock(&p->lock) != 0)
                return;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        double elapsed = seconds_between(&p->start, &now);
        if (elapsed >= p->delay && (p->width == 0 || seconds_between(&p->last, &now) >= 0.1)) {
                char seen[32], changed[32], rate[32], line[160];
                bw_term_count(objects_seen, seen, sizeof(seen));
                bw_term_count(objects_changed, changed, sizeof(changed));
                bw_term_count((uint64_t) ((double) objects_seen / elapsed), rate, sizeof(rate));
                int n = snprintf(line, sizeof(line), "\r  %s objects checked, %s changed (%s/s)", seen, changed, rate);
                size_t len = n > 0 ? (size_t) n : 0;
                if (len >= sizeof(line))
                        len = sizeof(line) - 1;
                /* a shorter line than the last one: blank out its tail */
                size_t width = len - 1, pad = p->width > width ? p->width - width : 0;
                write_all(p->fd, line, len);
                if (pad) {
                        char blank[64];
                        pad = pad < sizeof(blank) ? pad : sizeof(blank);
                        memset(blank, ' ', pad);
                        write_all(p->fd, blank, pad);
                        write_all(p->fd, line, len); /* the cursor back at the line's end */
                }
                p->width = width > p->width ? width : p->width;
                p->last = now;
        }
        pthread_mutex_unlock(&p->lock);
}

void bw_progress_end(struct bw_progress *p) {
        if (p->fd < 0)
                return;
        pthread_mutex_lock(&p->lock);
        if (p->width)
                erase(p);
        pthread_mutex_unlock(&p->lock);
}
