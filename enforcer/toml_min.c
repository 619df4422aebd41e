/* SPDX-License-Identifier: MIT */
/*
 * A strict TOML 1.0 reader (see toml_min.h). The first error stops the parse; its position is the
 * byte where the problem was seen. What TOML forbids is refused: duplicate keys, a table defined
 * twice, extending an inline table, control characters in strings and comments, invalid UTF-8,
 * bad escapes, a NUL anywhere.
 */
#include "toml_min.h"

#include "strbuf.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum origin { ORIGIN_ROOT, ORIGIN_IMPLICIT, ORIGIN_HEADER, ORIGIN_DOTTED, ORIGIN_INLINE, ORIGIN_AOT_ELEM };

struct parser {
        const char *s;
        size_t len, pos;
        uint32_t line;
        size_t line_start;
        unsigned depth;
        struct bw_toml_error *err;
        bool failed;
};

#define MAX_KEY_PARTS 64

static void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size);
        if (!p)
                abort();
        return p;
}

static void BW_PRINTF(4, 5) fail_at(struct parser *p, uint32_t line, uint32_t col, const char *fmt, ...) {
        if (p->failed)
                return;
        p->failed = true;
        p->err->line = line;
        p->err->col = col;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
        va_end(ap);
}

static uint32_t col_of(const struct parser *p) {
        return (uint32_t) (p->pos - p->line_start + 1);
}

#define fail(p, ...) fail_at(p, (p)->line, col_of(p), __VA_ARGS__)

static int peek(const struct parser *p) {
        return p->pos < p->len ? (unsigned char) p->s[p->pos] : -1;
}

static int peek_at(const struct parser *p, size_t k) {
        return p->pos + k < p->len ? (unsigned char) p->s[p->pos + k] : -1;
}

static void advance(struct parser *p) {
        if (p->pos < p->len && p->s[p->pos] == '\n') {
                p->line++;
                p->line_start = p->pos + 1;
        }
        p->pos++;
}

static bool at_newline(const struct parser *p) {
        return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

/* Consume one newline (LF or CRLF). */
static void eat_newline(struct parser *p) {
        if (peek(p) == '\r')
                advance(p);
        advance(p);
}

static void skip_ws(struct parser *p) {
        while (peek(p) == ' ' || peek(p) == '\t')
                advance(p);
}

/* A character allowed in a comment or a literal string: tab, or not a control character. */
static bool text_char(int c) {
        return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static void skip_comment(struct parser *p) {
        if (peek(p) != '#')
                return;
        while (peek(p) != -1 && !at_newline(p)) {
                if (!text_char(peek(p))) {
                        fail(p, "control character 0x%02x in a comment", (unsigned) peek(p));
                        return;
                }
                advance(p);
        }
}

/* Whitespace, newlines and comments (inside arrays). */
static void skip_ws_nl(struct parser *p) {
        for (;;) {
                skip_ws(p);
                if (peek(p) == '#')
                        skip_comment(p);
                if (p->failed)
                        return;
                if (at_newline(p))
                        eat_newline(p);
                else
                        return;
        }
}

static void expect_eol(struct parser *p) {
        skip_ws(p);
        skip_comment(p);
        if (p->failed)
                return;
        if (peek(p) == -1)
                return;
        if (!at_newline(p)) {
                fail(p, "expected the end of the line here");
                return;
        }
        eat_newline(p);
}

/* ---- values ---- */

static struct bw_toml_value *new_value(const struct parser *p, enum bw_toml_type t) {
        struct bw_toml_value *v = xcalloc(1, sizeof(*v));
        v->type = t;
        v->line = p->line;
        v->col = col_of(p);
        return v;
}

void bw_toml_free(struct bw_toml_value *v) {
        if (!v)
                return;
        free(v->text);
        for (size_t i = 0; i < v->n_items; i++)
                bw_toml_free(v->items[i]);
        free(v->items);
        for (size_t i = 0; i < v->n_kv; i++) {
                free(v->kv[i].key);
                bw_toml_free(v->kv[i].value);
        }
        free(v->kv);
        free(v);
}

static void push_item(struct bw_toml_value *a, struct bw_toml_value *v) {
        if (a->n_items == a->cap_items) {
                a->cap_items = a->cap_items ? 2 * a->cap_items : 4;
                a->items = realloc(a->items, a->cap_items * sizeof(*a->items));
                if (!a->items)
                        abort();
        }
        a->items[a->n_items++] = v;
}

static void put_kv(struct bw_toml_value *t, const char *key, struct bw_toml_value *v) {
        if (t->n_kv == t->cap_kv) {
                t->cap_kv = t->cap_kv ? 2 * t->cap_kv : 8;
                t->kv = realloc(t->kv, t->cap_kv * sizeof(*t->kv));
                if (!t->kv)
                        abort();
        }
        t->kv[t->n_kv].key = strdup(key);
        if (!t->kv[t->n_kv].key)
                abort();
        t->kv[t->n_kv++].value = v;
}

static struct bw_toml_value *get_mut(const struct bw_toml_value *t, const char *key) {
        for (size_t i = 0; i < t->n_kv; i++)
                if (bw_streq(t->kv[i].key, key))
                        return t->kv[i].value;
        return NULL;
}

const struct bw_toml_value *bw_toml_get(const struct bw_toml_value *table, const char *key) {
        if (!table || table->type != BW_TOML_TABLE)
                return NULL;
        return get_mut(table, key);
}

const char *bw_toml_type_name(enum bw_toml_type t) {
        switch (t) {
        case BW_TOML_STRING:
                return "a string";
        case BW_TOML_BOOL:
                return "a boolean";
        case BW_TOML_INTEGER:
                return "an integer";
        case BW_TOML_FLOAT:
                return "a float";
        case BW_TOML_DATETIME:
                return "a date-time";
        case BW_TOML_ARRAY:
                return "an array";
        case BW_TOML_TABLE:
                return "a table";
        }
        return "a value";
}

static int hexval(int c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static void put_utf8(struct bw_strbuf *sb, uint32_t cp) {
        char b[4];
        size_t n;
        if (cp < 0x80) {
                b[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                b[0] = (char) (0xc0 | cp >> 6);
                b[1] = (char) (0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                b[0] = (char) (0xe0 | cp >> 12);
                b[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[2] = (char) (0x80 | (cp & 0x3f));
                n = 3;
        } else {
                b[0] = (char) (0xf0 | cp >> 18);
                b[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                b[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                b[3] = (char) (0x80 | (cp & 0x3f));
                n = 4;
        }
        bw_sb_append(sb, b, n);
}

/* After a backslash in a basic string. */
static void parse_escape(struct parser *p, struct bw_strbuf *sb) {
        uint32_t line = p->line, col = col_of(p) - 1;
        int c = peek(p);
        const char *simple = "b\bt\tn\nf\fr\r\"\"\\\\";
        for (const char *e = simple; *e; e += 2)
                if (c == *e) {
                        bw_sb_putc(sb, e[1]);
                        advance(p);
                        return;
                }
        if (c == 'u' || c == 'U') {
                int n = c == 'u' ? 4 : 8;
                uint32_t cp = 0;
                advance(p);
                for (int i = 0; i < n; i++) {
                        int h = hexval(peek(p));
                        if (h < 0) {
                                fail_at(p, line, col, "\\%c needs %d hexadecimal digits", c, n);
                                return;
                        }
                        cp = cp << 4 | (uint32_t) h;
                        advance(p);
                }
                if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                        fail_at(p, line, col, "\\%c%0*X is not a Unicode scalar value (or is NUL, which is refused)", c,
                                n, cp);
                        return;
                }
                put_utf8(sb, cp);
                return;
        }
        fail_at(p, line, col, "unknown escape sequence \\%c", c >= 0x20 && c < 0x7f ? c : '?');
}

/* At the opening quote(s). Returns the decoded string. */
static char *parse_string(struct parser *p, size_t *ret_len, bool allow_multiline) {
        struct bw_strbuf sb = {0};
        uint32_t line = p->line, col = col_of(p);
        int q = peek(p);
        bool multi = peek_at(p, 1) == q && peek_at(p, 2) == q;
        if (multi && !allow_multiline) {
                fail(p, "a key cannot be a multi-line string");
                return NULL;
        }
        advance(p);
        if (multi) {
                advance(p);
                advance(p);
                if (at_newline(p)) /* a newline right after the opening delimiter is trimmed */
                        eat_newline(p);
        }
        for (;;) {
                int c = peek(p);
                if (c == -1 || (!multi && at_newline(p))) {
                        fail_at(p, line, col, "unterminated string");
                        break;
                }
                if (c == q) {
                        if (!multi) {
                                advance(p);
                                goto done;
                        }
                        size_t n = 0;
                        while (peek_at(p, n) == q)
                                n++;
                        if (n >= 3) {
                                if (n > 5) {
                                        fail(p, "too many quotes at the end of a multi-line string");
                                        break;
                                }
                                for (size_t i = 0; i < n - 3; i++)
                                        bw_sb_putc(&sb, (char) q);
                                for (size_t i = 0; i < n; i++)
                                        advance(p);
                                goto done;
                        }
                        for (size_t i = 0; i < n; i++) {
                                bw_sb_putc(&sb, (char) q);
                                advance(p);
                        }
                        continue;
                }
                if (multi && at_newline(p)) {
                        bw_sb_putc(&sb, '\n');
                        eat_newline(p);
                        continue;
                }
                if (c == '\\' && q == '"') {
                        advance(p);
                        if (multi) {
                                /* a line-ending backslash eats the newline and the whitespace after it */
                                size_t k = 0;
                                while (peek_at(p, k) == ' ' || peek_at(p, k) == '\t')
                                        k++;
                                int e = peek_at(p, k);
                                if (e == '\n' || (e == '\r' && peek_at(p, k + 1) == '\n')) {
                                        skip_ws(p);
                                        while (at_newline(p) || peek(p) == ' ' || peek(p) == '\t')
                                                if (at_newline(p))
                                                        eat_newline(p);
                                                else
                                                        advance(p);
                                        continue;
                                }
                        }
                        parse_escape(p, &sb);
                        if (p->failed)
                                break;
                        continue;
                }
                if (!text_char(c)) {
                        fail(p, "control character 0x%02x in a string (write it as an escape)", (unsigned) c);
                        break;
                }
                bw_sb_putc(&sb, (char) c);
                advance(p);
        }
        bw_sb_done(&sb);
        return NULL;
done:
        *ret_len = sb.len;
        return bw_sb_take(&sb);
}

static bool bare_key_char(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A key, dotted or not: its parts (malloc()ed) and count, or -1 on error. */
static int parse_key(struct parser *p, char **parts, uint32_t *line, uint32_t *col) {
        int n = 0;
        *line = p->line;
        *col = col_of(p);
        for (;;) {
                skip_ws(p);
                int c = peek(p);
                char *part = NULL;
                if (n == MAX_KEY_PARTS) {
                        fail(p, "a key with more than %d parts", MAX_KEY_PARTS);
                        goto bad;
                }
                if (c == '"' || c == '\'') {
                        size_t len;
                        part = parse_string(p, &len, false);
                        if (!part)
                                goto bad;
                        if (strlen(part) != len) {
                                free(part);
                                fail(p, "a key holds a NUL character");
                                goto bad;
                        }
                } else if (bare_key_char(c)) {
                        size_t start = p->pos;
                        while (bare_key_char(peek(p)))
                                advance(p);
                        part = strndup(p->s + start, p->pos - start);
                        if (!part)
                                abort();
                } else {
                        fail(p, c == -1 || at_newline(p) ? "expected a key" : "expected a key, found '%c'",
                             c >= 0x20 && c < 0x7f ? c : '?');
                        goto bad;
                }
                parts[n++] = part;
                skip_ws(p);
                if (peek(p) != '.')
                        return n;
                advance(p);
        }
bad:
        for (int i = 0; i < n; i++)
                free(parts[i]);
        return -1;
}

static void join_key(char *const *parts, int n, char *out, size_t size) {
        size_t k = 0;
        out[0] = 0;
        for (int i = 0; i < n && k < size; i++) {
                int w = snprintf(out + k, size - k, "%s%s", i ? "." : "", parts[i]);
                if (w < 0)
                        break;
                k += (size_t) w;
        }
}

/* digit ( '_'? digit )*, at least one digit */
static bool digits(const char *s, size_t *i, size_t n, int base) {
        size_t start = *i;
        bool last_us = false;
        while (*i < n) {
                int h = hexval((unsigned char) s[*i]);
                if (h >= 0 && h < base) {
                        last_us = false;
                } else if (s[*i] == '_' && *i > start && !last_us) {
                        last_us = true;
                } else
                        break;
                (*i)++;
        }
        return *i > start && !last_us;
}

static bool is_integer(const char *s, size_t n) {
        size_t i = 0;
        if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
                i = 2;
                return digits(s, &i, n, s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2) && i == n;
        }
        if (i < n && (s[i] == '+' || s[i] == '-'))
                i++;
        if (i < n && s[i] == '0')
                return i + 1 == n;
        return digits(s, &i, n, 10) && i == n;
}

static bool is_float(const char *s, size_t n) {
        size_t i = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
                i++;
        if (bw_streq(s + i, "inf") || bw_streq(s + i, "nan"))
                return true;
        size_t int_start = i;
        if (!digits(s, &i, n, 10))
                return false;
        if (s[int_start] == '0' && i - int_start > 1)
                return false;
        bool frac = false, exp = false;
        if (i < n && s[i] == '.') {
                i++;
                if (!digits(s, &i, n, 10))
                        return false;
                frac = true;
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                i++;
                if (i < n && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (!digits(s, &i, n, 10))
                        return false;
                exp = true;
        }
        return i == n && (frac || exp);
}

static bool is_datetime(const char *s, size_t n) {
        /* the shape only: digits and the separators RFC 3339 uses, with a date or a time in front */
        bool date = n >= 10 && s[4] == '-' && s[7] == '-';
        bool time = n >= 8 && s[2] == ':' && s[5] == ':';
        if (!date && !time)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!strchr("0123456789-:.TtZz+ ", s[i]))
                        return false;
        return true;
}

static bool bare_value_char(int c) {
        return bare_key_char(c) || c == '+' || c == '.' || c == ':';
}

static struct bw_toml_value *parse_value(struct parser *p);
static void parse_keyval(struct parser *p, struct bw_toml_value *t, bool in_inline);

static struct bw_toml_value *parse_array(struct parser *p) {
        struct bw_toml_value *a = new_value(p, BW_TOML_ARRAY);
        advance(p);
        for (;;) {
                skip_ws_nl(p);
                if (p->failed)
                        break;
                if (peek(p) == ']') {
                        advance(p);
                        return a;
                }
                struct bw_toml_value *v = parse_value(p);
                if (!v)
                        break;
                push_item(a, v);
                skip_ws_nl(p);
                if (p->failed)
                        break;
                if (peek(p) == ',') {
                        advance(p);
                        continue;
                }
                if (peek(p) == ']') {
                        advance(p);
                        return a;
                }
                fail(p, peek(p) == -1 ? "unterminated array (expected ']')" : "expected ',' or ']' in the array");
                break;
        }
        bw_toml_free(a);
        return NULL;
}

static struct bw_toml_value *parse_inline_table(struct parser *p) {
        struct bw_toml_value *t = new_value(p, BW_TOML_TABLE);
        t->origin = ORIGIN_INLINE;
        advance(p);
        skip_ws(p);
        if (peek(p) == '}') {
                advance(p);
                return t;
        }
        for (;;) {
                parse_keyval(p, t, true);
                if (p->failed)
                        break;
                skip_ws(p);
                if (peek(p) == '}') {
                        advance(p);
                        return t;
                }
                if (peek(p) != ',') {
                        fail(p, "expected ',' or '}' in the inline table (an inline table is one line)");
                        break;
                }
                advance(p);
                skip_ws(p);
                if (peek(p) == '}') {
                        fail(p, "a trailing comma is not allowed in an inline table");
                        break;
                }
        }
        bw_toml_free(t);
        return NULL;
}

static struct bw_toml_value *parse_value(struct parser *p) {
        if (p->depth >= BW_TOML_MAX_DEPTH) {
                fail(p, "arrays and inline tables nested deeper than %d", BW_TOML_MAX_DEPTH);
                return NULL;
        }
        int c = peek(p);
        struct bw_toml_value *v = NULL;
        p->depth++;
        if (c == '"' || c == '\'') {
                v = new_value(p, BW_TOML_STRING);
                v->text = parse_string(p, &v->len, true);
                if (v->text && strlen(v->text) != v->len) {
                        fail_at(p, v->line, v->col, "a string holds a NUL character, which is refused");
                } else if (v->text) {
                        p->depth--;
                        return v;
                }
                bw_toml_free(v);
                v = NULL;
        } else if (c == '[') {
                v = parse_array(p);
        } else if (c == '{') {
                v = parse_inline_table(p);
        } else if (bare_value_char(c)) {
                uint32_t line = p->line, col = col_of(p);
                size_t start = p->pos;
                while (bare_value_char(peek(p)))
                        advance(p);
                /* a date and a time separated by one space */
                if (p->pos - start == 10 && p->s[start + 4] == '-' && peek(p) == ' ' && peek_at(p, 1) >= '0' &&
                    peek_at(p, 1) <= '9') {
                        advance(p);
                        while (bare_value_char(peek(p)))
                                advance(p);
                }
                size_t n = p->pos - start;
                char *text = strndup(p->s + start, n);
                if (!text)
                        abort();
                enum bw_toml_type t;
                bool b = false;
                if (bw_streq(text, "true") || bw_streq(text, "false")) {
                        t = BW_TOML_BOOL;
                        b = text[0] == 't';
                } else if (is_integer(text, n))
                        t = BW_TOML_INTEGER;
                else if (is_float(text, n))
                        t = BW_TOML_FLOAT;
                else if (is_datetime(text, n))
                        t = BW_TOML_DATETIME;
                else {
                        char shown[64];
                        fail_at(p, line, col, "'%s' is not a TOML value (a string needs quotes)",
                                bw_printable(text, n, shown, sizeof(shown)));
                        free(text);
                        p->depth--;
                        return NULL;
                }
                v = xcalloc(1, sizeof(*v));
                v->type = t;
                v->line = line;
                v->col = col;
                v->boolean = b;
                v->text = text;
                v->len = n;
        } else {
                fail(p, c == -1 || at_newline(p) ? "expected a value" : "expected a value, found '%c'",
                     c >= 0x20 && c < 0x7f ? c : '?');
        }
        p->depth--;
        return v;
}

/* key = value, into table t (dotted keys make or extend tables below t). */
static void parse_keyval(struct parser *p, struct bw_toml_value *t, bool in_inline) {
        char *parts[MAX_KEY_PARTS];
        uint32_t line, col;
        int n = parse_key(p, parts, &line, &col);
        if (n < 0)
                return;
        char shown[256];
        join_key(parts, n, shown, sizeof(shown));
        for (int i = 0; i + 1 < n && !p->failed; i++) {
                struct bw_toml_value *v = get_mut(t, parts[i]);
                if (!v) {
                        v = xcalloc(1, sizeof(*v));
                        v->type = BW_TOML_TABLE;
                        v->origin = ORIGIN_DOTTED;
                        v->line = line;
                        v->col = col;
                        put_kv(t, parts[i], v);
                } else if (v->type != BW_TOML_TABLE || v->origin != ORIGIN_DOTTED) {
                        fail_at(p, line, col, "cannot add '%s': '%s' is already defined as %s%s", shown, parts[i],
                                v->type == BW_TOML_TABLE ? "a table elsewhere" : bw_toml_type_name(v->type),
                                v->type == BW_TOML_TABLE ? " (dotted keys cannot extend it)" : "");
                        break;
                }
                t = v;
        }
        if (!p->failed && get_mut(t, parts[n - 1]))
                fail_at(p, line, col, "duplicate key '%s'", shown);
        if (!p->failed) {
                skip_ws(p);
                if (peek(p) != '=')
                        fail(p, "expected '=' after the key '%s'", shown);
        }
        if (!p->failed) {
                advance(p);
                skip_ws(p);
                struct bw_toml_value *v = parse_value(p);
                if (v) {
                        if (in_inline && v->type == BW_TOML_TABLE)
                                v->origin = ORIGIN_INLINE;
                        put_kv(t, parts[n - 1], v);
                }
        }
        for (int i = 0; i < n; i++)
                free(parts[i]);
}

/* [a.b.c] or [[a.b.c]]: the table that the following keys go into, or NULL. */
static struct bw_toml_value *parse_header(struct parser *p, struct bw_toml_value *root) {
        uint32_t line = p->line, col = col_of(p);
        bool aot = peek_at(p, 1) == '[';
        advance(p);
        if (aot)
                advance(p);
        char *parts[MAX_KEY_PARTS];
        uint32_t kl, kc;
        int n = parse_key(p, parts, &kl, &kc);
        if (n < 0)
                return NULL;
        char shown[256];
        join_key(parts, n, shown, sizeof(shown));
        struct bw_toml_value *t = root, *result = NULL;
        skip_ws(p);
        if (peek(p) != ']' || (aot && peek_at(p, 1) != ']')) {
                fail(p, "expected '%s' to close the table header", aot ? "]]" : "]");
                goto out;
        }
        advance(p);
        if (aot)
                advance(p);
        for (int i = 0; i < n; i++) {
                bool last = i + 1 == n;
                struct bw_toml_value *v = get_mut(t, parts[i]);
                if (last && aot) {
                        if (!v) {
                                v = xcalloc(1, sizeof(*v));
                                v->type = BW_TOML_ARRAY;
                                v->array_of_tables = true;
                                v->line = line;
                                v->col = col;
                                put_kv(t, parts[i], v);
                        } else if (v->type != BW_TOML_ARRAY || !v->array_of_tables) {
                                fail_at(p, line, col, "[[%s]]: '%s' is already defined as %s", shown, shown,
                                        bw_toml_type_name(v->type));
                                goto out;
                        }
                        struct bw_toml_value *e = xcalloc(1, sizeof(*e));
                        e->type = BW_TOML_TABLE;
                        e->origin = ORIGIN_AOT_ELEM;
                        e->line = line;
                        e->col = col;
                        push_item(v, e);
                        result = e;
                        goto out;
                }
                if (!v) {
                        v = xcalloc(1, sizeof(*v));
                        v->type = BW_TOML_TABLE;
                        v->origin = last ? ORIGIN_HEADER : ORIGIN_IMPLICIT;
                        v->line = line;
                        v->col = col;
                        put_kv(t, parts[i], v);
                } else if (v->type == BW_TOML_ARRAY && v->array_of_tables && !last) {
                        v = v->items[v->n_items - 1];
                } else if (v->type != BW_TOML_TABLE) {
                        fail_at(p, line, col, "[%s]: '%s' is already defined as %s", shown, parts[i],
                                bw_toml_type_name(v->type));
                        goto out;
                } else if (v->origin == ORIGIN_INLINE) {
                        fail_at(p, line, col, "[%s]: '%s' is an inline table, which cannot be extended", shown,
                                parts[i]);
                        goto out;
                } else if (last) {
                        if (v->origin != ORIGIN_IMPLICIT) {
                                fail_at(p, line, col, "table [%s] is defined twice (first at line %u)", shown,
                                        (unsigned) v->line);
                                goto out;
                        }
                        v->origin = ORIGIN_HEADER;
                        v->line = line;
                        v->col = col;
                }
                t = v;
        }
        result = t;
out:
        for (int i = 0; i < n; i++)
                free(parts[i]);
        return result;
}

int bw_toml_parse(const char *text, size_t len, struct bw_toml_value **ret, struct bw_toml_error *err) {
        struct parser p = {.s = text, .len = len, .line = 1, .err = err};
        *err = (struct bw_toml_error){0};
        *ret = NULL;
        size_t bad;
        if (len > BW_TOML_MAX_SIZE) {
                fail_at(&p, 1, 1, "the file is larger than %u MiB", BW_TOML_MAX_SIZE >> 20);
                return -EINVAL;
        }
        if (!bw_utf8_valid(text, len, &bad)) {
                /* find the line and column of the bad byte */
                for (size_t i = 0; i < bad; i++)
                        if (text[i] == '\n') {
                                p.line++;
                                p.line_start = i + 1;
                        }
                fail_at(&p, p.line, (uint32_t) (bad - p.line_start + 1), "invalid UTF-8 (TOML files are UTF-8)");
                return -EINVAL;
        }
        struct bw_toml_value *root = xcalloc(1, sizeof(*root));
        root->type = BW_TOML_TABLE;
        root->origin = ORIGIN_ROOT;
        root->line = root->col = 1;
        struct bw_toml_value *cur = root;
        /* a UTF-8 byte order mark is allowed at the start */
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                p.pos = p.line_start = 3;
        while (!p.failed && peek(&p) != -1) {
                skip_ws(&p);
                int c = peek(&p);
                if (c == -1)
                        break;
                if (c == '#' || at_newline(&p)) {
                        expect_eol(&p);
                } else if (c == '[') {
                        cur = parse_header(&p, root);
                        if (cur)
                                expect_eol(&p);
                } else {
                        parse_keyval(&p, cur, false);
                        if (!p.failed)
                                expect_eol(&p);
                }
        }
        if (p.failed) {
                bw_toml_free(root);
                return -EINVAL;
        }
        *ret = root;
        return 0;
}
