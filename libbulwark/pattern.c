/* SPDX-License-Identifier: MIT */
#include "pattern.h"
#include "path_template.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>

#define GLOB_BRACE_DEPTH 8
#define GLOB_BRACE_ITEMS 64
/* PCRE2 limits: a path is at most 4 KiB, so honest patterns need little of any of these. */
#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 1000
#define HEAP_LIMIT_KIB 1024
#define PARENS_NEST_LIMIT 64

BW_PRINTF(3, 4)
static int perr(struct bw_pattern_error *err, size_t offset, const char *fmt, ...) {
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                err->offset = offset;
                vsnprintf(err->message, sizeof(err->message), fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

static void put_escaped(struct bw_strbuf *sb, char c) {
        if (strchr(".^$|()[]{}*+?\\-#/ ", c) && c != 0)
                bw_sb_putc(sb, '\\');
        bw_sb_putc(sb, c);
}

/* One member of a bracket expression: a character (1-4 bytes of UTF-8) and whether it was escaped. */
struct class_member {
        const char *p;
        size_t n;
        bool escaped;
        uint32_t cp;
};

static uint32_t decode_cp(const char *p, size_t n) {
        const uint8_t *b = (const uint8_t *) p;
        if (n == 1)
                return b[0];
        uint32_t cp = b[0] & (0x7f >> n);
        for (size_t k = 1; k < n; k++)
                cp = cp << 6 | (b[k] & 0x3f);
        return cp;
}

static size_t utf8_len(uint8_t b) {
        return b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 1;
}

/*
 * A bracket expression starting at g[*i] == '['. Members are read first (a backslash makes the
 * next character a plain member, an escaped '-' included), then emitted with every member
 * escaped for PCRE2; an unescaped '-' between two members is a range. No member and no range
 * may include '/': a class matches within one path component.
 */
static int convert_class(const char *g, size_t *i, struct bw_strbuf *sb, struct bw_pattern_error *err) {
        size_t start = *i;
        size_t j = start + 1;
        bool negate = false;
        if (g[j] == '!' || g[j] == '^') {
                negate = true;
                j++;
        }
        struct class_member m[256];
        size_t n = 0;
        for (;;) {
                if (g[j] == 0)
                        return perr(err, start, "unterminated [ in glob: close it with ] or escape it as \\[");
                if (g[j] == ']' && n > 0)
                        break;
                if (n == BW_ARRAY_SIZE(m))
                        return perr(err, start, "a [...] class with more than %zu members", BW_ARRAY_SIZE(m));
                bool escaped = false;
                if (g[j] == '\\') {
                        if (g[j + 1] == 0)
                                return perr(err, j, "trailing backslash in glob");
                        escaped = true;
                        j++;
                }
                size_t len = utf8_len((uint8_t) g[j]);
                for (size_t k = 1; k < len; k++)
                        if (g[j + k] == 0)
                                return perr(err, j, "truncated character in a [...] class");
                m[n] = (struct class_member){g + j, len, escaped, decode_cp(g + j, len)};
                if (m[n].cp == '/')
                        return perr(err, j, "a [...] class cannot match '/'");
                n++;
                j += len;
        }
        bw_sb_puts(sb, negate ? "[^/" : "[");
        for (size_t k = 0; k < n; k++) {
                bool range = k > 0 && k + 1 < n && !m[k].escaped && m[k].n == 1 && m[k].p[0] == '-';
                if (range) {
                        if (m[k - 1].cp > m[k + 1].cp)
                                return perr(err, (size_t) (m[k - 1].p - g), "range out of order in a [...] class");
                        if (m[k - 1].cp <= '/' && '/' <= m[k + 1].cp)
                                return perr(err, (size_t) (m[k - 1].p - g),
                                            "a range in a [...] class cannot include '/'");
                        bw_sb_putc(sb, '-');
                        continue;
                }
                if (m[k].n == 1 && strchr("\\]^[-", m[k].p[0]))
                        bw_sb_putc(sb, '\\');
                bw_sb_append(sb, m[k].p, m[k].n);
        }
        bw_sb_putc(sb, ']');
        *i = j + 1;
        return 0;
}

int bw_glob_to_regex(const char *g, char **ret, struct bw_pattern_error *err) {
        struct bw_strbuf sb = {0};
        size_t depth = 0;
        size_t items[GLOB_BRACE_DEPTH + 1] = {0};
        size_t opened[GLOB_BRACE_DEPTH + 1] = {0};
        size_t i = 0;
        int r = 0;

        if (strncmp(g, "**/", 3) == 0) {
                /* any depth inside any writable root: the path's leading directories, then the rest */
                bw_sb_puts(&sb, "(?:/[^/]*)*\\/");
                i = 3;
        }
        while (g[i]) {
                char c = g[i];
                bool comp_start = i == 0 || g[i - 1] == '/';
                if (c == '*' && g[i + 1] == '*') {
                        bool comp_end = g[i + 2] == 0 || g[i + 2] == '/';
                        if (!comp_start || !comp_end) {
                                r = perr(err, i, "'**' must be a whole path component (as in a/**/b)");
                                goto out;
                        }
                        /* A "**" component is zero or more further components; we are just after its slash. */
                        bw_sb_truncate(&sb, sb.len - 2); /* drop the "\/" just written */
                        bw_sb_puts(&sb, "(?:/[^/]*)*");
                        i += 2;
                        continue;
                }
                switch (c) {
                case '*':
                        bw_sb_puts(&sb, "[^/]*");
                        i++;
                        break;
                case '?':
                        bw_sb_puts(&sb, "[^/]");
                        i++;
                        break;
                case '[':
                        if ((r = convert_class(g, &i, &sb, err)) < 0)
                                goto out;
                        break;
                case '{':
                        if (depth == GLOB_BRACE_DEPTH) {
                                r = perr(err, i, "braces nested deeper than %d", GLOB_BRACE_DEPTH);
                                goto out;
                        }
                        depth++;
                        items[depth] = 1;
                        opened[depth] = i;
                        bw_sb_puts(&sb, "(?:");
                        i++;
                        break;
                case ',':
                        if (depth == 0) {
                                bw_sb_putc(&sb, ',');
                        } else {
                                if (++items[depth] > GLOB_BRACE_ITEMS) {
                                        r = perr(err, i, "more than %d alternatives in one {...}", GLOB_BRACE_ITEMS);
                                        goto out;
                                }
                                bw_sb_putc(&sb, '|');
                        }
                        i++;
                        break;
                case '}':
                        if (depth == 0) {
                                r = perr(err, i, "unbalanced '}' in glob: escape it as \\}");
                                goto out;
                        }
                        depth--;
                        bw_sb_putc(&sb, ')');
                        i++;
                        break;
                case '\\':
                        if (g[i + 1] == 0) {
                                r = perr(err, i, "trailing backslash in glob");
                                goto out;
                        }
                        put_escaped(&sb, g[i + 1]);
                        i += 2;
                        break;
                default:
                        put_escaped(&sb, c);
                        i++;
                }
        }
        if (depth > 0) {
                r = perr(err, opened[depth], "unterminated '{' in glob: close it with } or escape it as \\{");
                goto out;
        }
        *ret = bw_sb_take(&sb);
out:
        bw_sb_done(&sb);
        return r;
}

void bw_pattern_done(struct bw_pattern *p) {
        pcre2_match_data_free(p->md);
        pcre2_match_context_free(p->mctx);
        pcre2_code_free(p->code);
        *p = (struct bw_pattern){0};
}

int bw_pattern_compile(const char *text, uint32_t match, bool ignore_case, struct bw_pattern *ret,
                       struct bw_pattern_error *err) {
        _cleanup_free_ char *converted = NULL;
        const char *src = text;
        if (match == BW_MATCH_GLOB) {
                int r = bw_glob_to_regex(text, &converted, err);
                if (r < 0)
                        return r;
                src = converted;
        } else if (match != BW_MATCH_REGEX)
                return perr(err, 0, "not a pattern");

        pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
        if (!cctx)
                return -ENOMEM;
        pcre2_set_parens_nest_limit(cctx, PARENS_NEST_LIMIT);
        uint32_t opts = PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_NEVER_BACKSLASH_C |
                        PCRE2_DOLLAR_ENDONLY | (ignore_case ? PCRE2_CASELESS : 0);
        int code;
        PCRE2_SIZE off;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR) src, PCRE2_ZERO_TERMINATED, opts, &code, &off, cctx);
        pcre2_compile_context_free(cctx);
        if (!re) {
                PCRE2_UCHAR msg[160];
                pcre2_get_error_message(code, msg, sizeof(msg));
                /* For a glob the offset is in the converted text: point at the glob's start instead. */
                return perr(err, match == BW_MATCH_GLOB ? 0 : off, "PCRE2: %s", (const char *) msg);
        }
        struct bw_pattern p = {.code = re};
        p.md = pcre2_match_data_create_from_pattern(re, NULL);
        p.mctx = pcre2_match_context_create(NULL);
        if (!p.md || !p.mctx) {
                bw_pattern_done(&p);
                return -ENOMEM;
        }
        pcre2_set_match_limit(p.mctx, MATCH_LIMIT);
        pcre2_set_depth_limit(p.mctx, DEPTH_LIMIT);
        pcre2_set_heap_limit(p.mctx, HEAP_LIMIT_KIB);
        *ret = p;
        return 0;
}

int bw_pattern_match(struct bw_pattern *p, const char *path, size_t len) {
        return bw_pattern_match_md(p, p->md, path, len);
}

int bw_pattern_match_md(const struct bw_pattern *p, pcre2_match_data *md, const char *path, size_t len) {
        int rc = pcre2_match(p->code, (PCRE2_SPTR) path, len, 0, 0, md, p->mctx);
        if (rc >= 0)
                return 1;
        if (rc == PCRE2_ERROR_NOMATCH)
                return 0;
        if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT)
                return -E2BIG;
        return -EINVAL;
}

int bw_pattern_covers(struct bw_pattern *p, const char *path) {
        size_t len = strlen(path);
        int depth = (int) bw_path_depth(path);
        /* deepest first: the path itself, then each ancestor */
        for (size_t end = len; end > 0; depth--) {
                /* A match that hit a PCRE2 limit counts as covered: patterns only narrow, so
                 * "undecided" must fail closed. */
                if (bw_pattern_match(p, path, end) != 0)
                        return depth;
                while (end > 0 && path[end - 1] != '/')
                        end--;
                if (end > 0)
                        end--; /* drop the '/' */
                if (end == 0)
                        break;
        }
        return -1;
}

char *bw_pattern_fixed_prefix(const char *text, uint32_t match) {
        const char *specials = match == BW_MATCH_GLOB ? "*?[{\\" : ".^$|()[]{}*+?\\";
        const char *s = text;
        if (match == BW_MATCH_REGEX && *s == '^')
                s++;
        if (*s != '/' && strncmp(s, "${", 2) != 0)
                return NULL;
        size_t n = strcspn(s, specials);
        /* a regex '$' that starts a variable is literal text, not an anchor */
        while (match == BW_MATCH_REGEX && s[n] == '$' && s[n + 1] == '{') {
                const char *close = strchr(s + n, '}');
                if (!close)
                        break;
                n = (size_t) (close + 1 - s);
                n += strcspn(s + n, specials);
        }
        while (n > 0 && s[n - 1] != '/' && s[n] != 0)
                n--;
        if (n > 1 && s[n - 1] == '/')
                n--;
        if (n == 0)
                return NULL;
        return strndup(s, n);
}
