/* SPDX-License-Identifier: MIT */
#include "path_template.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const var_names[BW_VAR_COUNT] = {
        [BW_VAR_HOME] = "home",
        [BW_VAR_TMPDIR] = "tmpdir",
        [BW_VAR_USER] = "user",
        [BW_VAR_WORKSPACE] = "workspace",
};

const char *bw_var_name(enum bw_var_id id) {
        return (unsigned) id < BW_VAR_COUNT ? var_names[id] : "?";
}

int bw_var_lookup(const char *name, size_t len) {
        for (int i = 0; i < BW_VAR_COUNT; i++)
                if (strlen(var_names[i]) == len && memcmp(var_names[i], name, len) == 0)
                        return i;
        return -1;
}

static bool is_path_var(int id) {
        return id == BW_VAR_HOME || id == BW_VAR_TMPDIR || id == BW_VAR_WORKSPACE;
}

static bool has_control(const char *s, size_t len, size_t *at) {
        for (size_t i = 0; i < len; i++)
                if ((uint8_t) s[i] < 0x20 || (uint8_t) s[i] == 0x7f) {
                        *at = i;
                        return true;
                }
        return false;
}

BW_PRINTF(3, 4)
static int value_problem(char *why, size_t size, const char *fmt, ...) {
        if (why && size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

int bw_var_value_explain(enum bw_var_id id, const char *value, char *why, size_t size) {
        size_t len = strlen(value), at;
        if (len == 0)
                return value_problem(why, size, "it is empty");
        if (has_control(value, len, &at))
                return value_problem(why, size, "it holds a control character (byte 0x%02x at offset %zu): rename it",
                                     (unsigned) (uint8_t) value[at], at);
        if (!bw_utf8_valid(value, len, &at))
                return value_problem(why, size,
                                     "it is not valid UTF-8 (byte 0x%02x at offset %zu), which plans cannot hold: "
                                     "rename it",
                                     (unsigned) (uint8_t) value[at], at);
        if (id == BW_VAR_USER) {
                /* a login name becomes a path component: "." and ".." would move the path */
                if (len > 32 || value[0] == '-' || bw_streq(value, ".") || bw_streq(value, ".."))
                        return value_problem(why, size,
                                             "not a login name (at most 32 characters, not - first, not . or ..)");
                for (size_t i = 0; i < len; i++) {
                        char c = value[i];
                        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                              c == '_' || c == '-'))
                                return value_problem(why, size,
                                                     "not a login name (letters, digits, '.', '_' and '-' only)");
                }
                return 0;
        }
        if (len > BW_PATH_MAX)
                return value_problem(why, size, "it is longer than %d bytes", BW_PATH_MAX);
        if (value[0] != '/')
                return value_problem(why, size, "not an absolute path");
        if (len == 1)
                return 0;
        if (value[len - 1] == '/')
                return value_problem(why, size, "it ends with '/'");
        /* every component non-empty and neither "." nor ".." */
        const char *p = value + 1;
        while (*p) {
                const char *e = strchrnul(p, '/');
                size_t n = (size_t) (e - p);
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return value_problem(why, size, "not normalised (an empty, . or .. component)");
                p = *e ? e + 1 : e;
        }
        return 0;
}

int bw_var_value_check(enum bw_var_id id, const char *value) {
        return bw_var_value_explain(id, value, NULL, 0);
}

BW_PRINTF(4, 5)
static void terr_set(struct bw_template_error *err, size_t offset, size_t length, const char *fmt, ...) {
        if (err) {
                va_list ap;
                va_start(ap, fmt);
                err->offset = offset;
                err->length = length ? length : 1;
                vsnprintf(err->message, sizeof(err->message), fmt, ap);
                va_end(ap);
        }
}
/* Fill in err (if any) and give -EINVAL. A macro so that the -EINVAL is visible where it is
 * returned: clang's analyzer does not follow calls into variadic functions, so with the value
 * hidden in one it assumed an error could be >= 0 and every out-parameter left unset on that
 * path (parse_var's length, bw_template_from_policy's text) read as garbage. */
#define terr(err, offset, length, ...) (terr_set(err, offset, length, __VA_ARGS__), -EINVAL)

/*
 * Append a variable's value literally, escaped for the kind of text it goes into. In a template
 * (into_template) a '$' doubles, since templates spell a literal '$' as "$$"; in the final bound
 * text it does not, since globs and regexes treat an escaped or plain '$' by their own rules.
 */
static void put_literal(struct bw_strbuf *sb, const char *s, size_t n, enum bw_template_kind kind, bool into_template) {
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (kind == BW_TEMPLATE_REGEX) {
                        if ((uint8_t) c < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                                    (c >= '0' && c <= '9') || c == '_' || c == '/'))
                                bw_sb_putc(sb, '\\');
                } else if (c == '$') {
                        if (into_template)
                                bw_sb_putc(sb, '$');
                } else if (kind == BW_TEMPLATE_GLOB && strchr("*?[]{}\\,", c)) {
                        bw_sb_putc(sb, '\\');
                }
                bw_sb_putc(sb, c);
        }
}

/* Parse "${name}" at s (s[0] == '$', s[1] == '{'): returns the variable id and its length. */
static int parse_var(const char *s, size_t left, size_t *ret_len, struct bw_template_error *err, size_t at) {
        const char *close = memchr(s, '}', left);
        if (!close)
                return terr(err, at, 2, "unterminated variable: write ${name}");
        size_t n = (size_t) (close - s) - 2;
        int id = bw_var_lookup(s + 2, n);
        if (id < 0)
                return terr(err, at, n + 3,
                            "unknown variable ${%.*s}: known are ${workspace}, ${home}, ${tmpdir}, ${user}; write $$ "
                            "for a literal $",
                            (int) (n > 40 ? 40 : n), s + 2);
        *ret_len = n + 3;
        return id;
}

struct component {
        char *text;        /* canonical text of the component */
        bool from_binding; /* came from a bound variable's value (may be popped by "..") */
};

static void free_components(struct component *c, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(c[i].text);
        free(c);
}

static int path_or_glob(const char *in, size_t len, enum bw_template_kind kind, const struct bw_bindings *b, char **ret,
                        struct bw_template_error *err) {
        struct component *comps = NULL;
        size_t n_comps = 0, cap = 0;
        int head_var = -1;   /* unbound leading variable */
        int bound_head = -1; /* bound leading variable, expanded into components */
        bool anywhere = false;
        size_t i = 0;
        int r = 0;
        struct bw_strbuf out = {0};
        struct bw_strbuf cur = {0};

#define PUSH(txt, bound)                                                                                               \
        do {                                                                                                           \
                if (n_comps == cap) {                                                                                  \
                        cap = cap ? cap * 2 : 16;                                                                      \
                        struct component *nc = realloc(comps, cap * sizeof(*comps));                                   \
                        if (!nc)                                                                                       \
                                abort();                                                                               \
                        comps = nc;                                                                                    \
                }                                                                                                      \
                comps[n_comps++] = (struct component){(txt), (bound)};                                                 \
        } while (0)

        if (in[0] == '/') {
                i = 0;
        } else if (in[0] == '~' && (len == 1 || in[1] == '/')) {
                head_var = BW_VAR_HOME;
                i = 1;
        } else if (kind == BW_TEMPLATE_GLOB && len >= 3 && memcmp(in, "**/", 3) == 0) {
                anywhere = true;
                i = 3;
        } else if (len >= 2 && in[0] == '$' && in[1] == '{') {
                size_t vlen;
                int id = parse_var(in, len, &vlen, err, 0);
                if (id < 0) {
                        r = id;
                        goto out;
                }
                if (!is_path_var(id)) {
                        r = terr(err, 0, vlen,
                                 "${user} is a name, not a directory: a path must start with /, ~, ${workspace}, "
                                 "${home} or ${tmpdir}");
                        goto out;
                }
                if (vlen < len && in[vlen] != '/') {
                        r = terr(err, vlen, 1, "${%s} must be followed by / or end the path", var_names[id]);
                        goto out;
                }
                head_var = id;
                i = vlen;
        } else {
                r = terr(err, 0, len, "relative path: it must start with /, ~, ${workspace}, ${home} or ${tmpdir}%s",
                         kind == BW_TEMPLATE_GLOB ? " (or **/ for any depth inside every writable root)" : "");
                goto out;
        }

        /* A bound leading variable contributes its value's components, which ".." may pop. */
        if (head_var >= 0 && b && b->value[head_var]) {
                const char *v = b->value[head_var];
                while (*v) {
                        while (*v == '/')
                                v++;
                        if (!*v)
                                break;
                        const char *e = strchrnul(v, '/');
                        struct bw_strbuf c = {0};
                        put_literal(&c, v, (size_t) (e - v), kind, true);
                        PUSH(bw_sb_take(&c), true);
                        v = e;
                }
                bound_head = head_var;
                head_var = -1;
        }

        while (i <= len) {
                /* one component: in[i .. next '/') */
                size_t start = i;
                bw_sb_truncate(&cur, 0);
                bool has_var = false;
                while (i < len && in[i] != '/') {
                        if (in[i] == '$') {
                                if (i + 1 < len && in[i + 1] == '$') {
                                        bw_sb_puts(&cur, "$$");
                                        i += 2;
                                        continue;
                                }
                                if (i + 1 < len && in[i + 1] == '{') {
                                        size_t vlen;
                                        int id = parse_var(in + i, len - i, &vlen, err, i);
                                        if (id < 0) {
                                                r = id;
                                                goto out;
                                        }
                                        if (id != BW_VAR_USER) {
                                                r = terr(err, i, vlen, "${%s} can only start a path", var_names[id]);
                                                goto out;
                                        }
                                        if (b && b->value[id])
                                                put_literal(&cur, b->value[id], strlen(b->value[id]), kind, true);
                                        else
                                                bw_sb_puts(&cur, "${user}");
                                        has_var = true;
                                        i += vlen;
                                        continue;
                                }
                                r = terr(err, i, 1,
                                         "'$' must start a variable such as ${workspace}; write $$ for a literal $");
                                goto out;
                        }
                        if (kind == BW_TEMPLATE_GLOB && in[i] == '\\' && i + 1 < len) {
                                if (in[i + 1] == '$') {
                                        r = terr(err, i, 2, "write $$ for a literal '$' in a glob, not \\$");
                                        goto out;
                                }
                                bw_sb_append(&cur, in + i, 2);
                                i += 2;
                                continue;
                        }
                        bw_sb_putc(&cur, in[i]);
                        i++;
                }
                size_t clen = i - start;
                bool dot = !has_var && clen == 1 && in[start] == '.';
                bool dotdot = !has_var && clen == 2 && in[start] == '.' && in[start + 1] == '.';
                if (dotdot && kind == BW_TEMPLATE_GLOB) {
                        r = terr(err, start, 2, "'..' is not allowed in a pattern: write the path it means");
                        goto out;
                }
                if (dotdot) {
                        if (n_comps > 0 && comps[n_comps - 1].from_binding && bound_head >= 0) {
                                r = terr(err, start, 2,
                                         "'..' climbs above ${%s}: what that means depends on its value; write the "
                                         "path without it",
                                         var_names[bound_head]);
                                goto out;
                        }
                        if (n_comps > 0) {
                                free(comps[--n_comps].text);
                        } else if (head_var >= 0) {
                                r = terr(err, start, 2,
                                         "'..' climbs above ${%s}: what that means depends on its value; write the "
                                         "path without it",
                                         var_names[head_var]);
                                goto out;
                        } /* "/.." is "/" */
                } else if (cur.len > 0 && !dot) {
                        PUSH(bw_sb_take(&cur), false);
                }
                i++; /* skip the '/' (or step past the end) */
        }

        if (anywhere) {
                if (n_comps == 0) {
                        r = terr(err, 0, len, "a pattern needs something after **/");
                        goto out;
                }
                bw_sb_puts(&out, "**");
        } else if (head_var >= 0) {
                bw_sb_printf(&out, "${%s}", var_names[head_var]);
        }
        for (size_t k = 0; k < n_comps; k++) {
                bw_sb_putc(&out, '/');
                bw_sb_puts(&out, comps[k].text);
        }
        if (out.len == 0)
                bw_sb_putc(&out, '/');
        if (out.len > (kind == BW_TEMPLATE_PATH ? BW_PATH_MAX : BW_PATTERN_MAX)) {
                r = terr(err, 0, len, "longer than %d bytes after expansion",
                         kind == BW_TEMPLATE_PATH ? BW_PATH_MAX : BW_PATTERN_MAX);
                goto out;
        }
        *ret = bw_sb_take(&out);
out:
#undef PUSH
        free_components(comps, n_comps);
        bw_sb_done(&cur);
        bw_sb_done(&out);
        return r;
}

/*
 * Regex lexing, just enough to know where "${name}" is a variable: not inside \Q...\E (where a
 * backslash-escaped value would be taken literally, backslashes included) and not inside a
 * [...] class (where it would become a set of characters). There, a variable is an error.
 */
struct rx_state {
        bool quote, cls, cls_first;
};

/* Step over one lexical unit at t[i] that is not a variable; returns the next index. */
static size_t rx_step(const char *t, size_t len, size_t i, struct rx_state *st) {
        char c = t[i];
        if (st->quote) {
                if (c == '\\' && i + 1 < len && t[i + 1] == 'E') {
                        st->quote = false;
                        return i + 2;
                }
                return i + 1;
        }
        if (c == '\\' && i + 1 < len) {
                if (t[i + 1] == 'Q')
                        st->quote = true;
                st->cls_first = false;
                return i + 2;
        }
        if (st->cls) {
                if (c == '[' && i + 1 < len && t[i + 1] == ':') {
                        const char *e = memmem(t + i + 2, len - i - 2, ":]", 2);
                        if (e)
                                return (size_t) (e - t) + 2;
                }
                if (c == ']' && !st->cls_first) {
                        st->cls = false;
                        return i + 1;
                }
                st->cls_first = false;
                return i + 1;
        }
        if (c == '[') {
                st->cls = true;
                st->cls_first = true;
                return i + 1 < len && t[i + 1] == '^' ? i + 2 : i + 1;
        }
        return i + 1;
}

static bool rx_at_var(const char *t, size_t len, size_t i) {
        return t[i] == '$' && i + 1 < len && t[i + 1] == '{';
}

static int regex_template(const char *in, size_t len, const struct bw_bindings *b, char **ret,
                          struct bw_template_error *err) {
        struct bw_strbuf out = {0};
        struct rx_state st = {0};
        for (size_t i = 0; i < len;) {
                if (rx_at_var(in, len, i) && !st.quote && !st.cls) {
                        size_t vlen;
                        int id = parse_var(in + i, len - i, &vlen, err, i);
                        if (id < 0) {
                                bw_sb_done(&out);
                                return id;
                        }
                        if (b && b->value[id])
                                put_literal(&out, b->value[id], strlen(b->value[id]), BW_TEMPLATE_REGEX, true);
                        else
                                bw_sb_printf(&out, "${%s}", var_names[id]);
                        i += vlen;
                        continue;
                }
                if (rx_at_var(in, len, i)) {
                        const char *close = memchr(in + i, '}', len - i);
                        if (close && bw_var_lookup(in + i + 2, (size_t) (close - in - i - 2)) >= 0) {
                                bw_sb_done(&out);
                                return terr(
                                        err, i, (size_t) (close - in - i) + 1,
                                        "a variable cannot be used inside \\Q...\\E or a [...] class: move it outside");
                        }
                }
                size_t next = rx_step(in, len, i, &st);
                bw_sb_append(&out, in + i, next - i);
                i = next;
        }
        if (out.len > BW_PATTERN_MAX) {
                bw_sb_done(&out);
                return terr(err, 0, len, "longer than %d bytes after expansion", BW_PATTERN_MAX);
        }
        *ret = bw_sb_take(&out);
        return 0;
}

int bw_template_from_policy(const char *in, size_t len, enum bw_template_kind kind, const struct bw_bindings *b,
                            char **ret, struct bw_template_error *err) {
        size_t at;
        size_t max = kind == BW_TEMPLATE_PATH ? BW_PATH_MAX : BW_PATTERN_MAX;
        if (len == 0)
                return terr(err, 0, 1, "empty %s", kind == BW_TEMPLATE_PATH ? "path" : "pattern");
        if (len > max)
                return terr(err, 0, len, "longer than %zu bytes", max);
        if (has_control(in, len, &at))
                return terr(err, at, 1, "control character (byte 0x%02x) in a %s", (uint8_t) in[at],
                            kind == BW_TEMPLATE_PATH ? "path" : "pattern");
        if (!bw_utf8_valid(in, len, &at))
                return terr(err, at, 1, "not valid UTF-8");
        if (kind == BW_TEMPLATE_REGEX)
                return regex_template(in, len, b, ret, err);
        return path_or_glob(in, len, kind, b, ret, err);
}

/* The reader checks every path rule of a plan on every load, so this works without allocation
 * and with memchr() over each component. Control characters are not checked here: the reader
 * has already rejected them in the whole string table (bw_template_check() checks them itself). */
int bw_path_template_check(const char *t, size_t len) {
        size_t i = 0;
        if (len == 0 || len > BW_PATH_MAX)
                return -EINVAL;
        if (t[0] == '$') {
                static const char *const heads[] = {"${home}", "${tmpdir}", "${workspace}"};
                size_t k;
                for (k = 0; k < BW_ARRAY_SIZE(heads); k++) {
                        size_t n = strlen(heads[k]);
                        if (len >= n && memcmp(t, heads[k], n) == 0 && (len == n || t[n] == '/')) {
                                i = n;
                                break;
                        }
                }
                if (k == BW_ARRAY_SIZE(heads))
                        return -EINVAL;
                if (i == len)
                        return 0;
        } else if (t[0] != '/')
                return -EINVAL;
        if (len == 1)
                return 0;
        /* t[i] == '/': components follow, each non-empty, neither "." nor "..", '$' only in
         * "$$" or "${user}" */
        while (i < len) {
                if (t[i] != '/')
                        return -EINVAL;
                size_t start = ++i;
                const char *slash = memchr(t + start, '/', len - start);
                size_t end = slash ? (size_t) (slash - t) : len, n = end - start;
                if (n == 0 || (n == 1 && t[start] == '.') || (n == 2 && t[start] == '.' && t[start + 1] == '.'))
                        return -EINVAL;
                for (const char *d = memchr(t + start, '$', n); d; d = memchr(d, '$', (size_t) (t + end - d))) {
                        size_t left = (size_t) (t + end - d);
                        if (left >= 2 && d[1] == '$')
                                d += 2;
                        else if (left >= 7 && memcmp(d, "${user}", 7) == 0)
                                d += 7;
                        else
                                return -EINVAL;
                        if (d >= t + end)
                                break;
                }
                i = end;
        }
        return 0;
}

int bw_template_check(const char *t, enum bw_template_kind kind) {
        size_t at;
        if (has_control(t, strlen(t), &at))
                return -EINVAL;
        if (kind == BW_TEMPLATE_PATH)
                return bw_path_template_check(t, strlen(t));
        _cleanup_free_ char *canon = NULL;
        size_t len = strlen(t);
        if (bw_template_from_policy(t, len, kind, NULL, &canon, NULL) < 0)
                return -EINVAL;
        return bw_streq(canon, t) ? 0 : -EINVAL;
}

int bw_template_bind(const char *t, enum bw_template_kind kind, const struct bw_bindings *b, char **ret,
                     enum bw_var_id *missing) {
        struct bw_strbuf out = {0};
        struct rx_state st = {0};
        size_t len = strlen(t);
        for (size_t i = 0; i < len;) {
                bool var_here = t[i] == '$' && i + 1 < len && t[i + 1] == '{';
                if (kind == BW_TEMPLATE_REGEX) {
                        if (var_here && (st.quote || st.cls)) {
                                bw_sb_done(&out);
                                return -EINVAL; /* the compiler refuses these; so does binding */
                        }
                        if (!var_here) {
                                size_t next = rx_step(t, len, i, &st);
                                bw_sb_append(&out, t + i, next - i);
                                i = next;
                                continue;
                        }
                } else {
                        if (kind == BW_TEMPLATE_GLOB && t[i] == '\\' && i + 1 < len) {
                                bw_sb_append(&out, t + i, 2);
                                i += 2;
                                continue;
                        }
                        if (t[i] == '$' && i + 1 < len && t[i + 1] == '$') {
                                bw_sb_putc(&out, '$');
                                i += 2;
                                continue;
                        }
                }
                if (var_here) {
                        size_t vlen;
                        int id = parse_var(t + i, len - i, &vlen, NULL, i);
                        if (id < 0) {
                                bw_sb_done(&out);
                                return -EINVAL;
                        }
                        if (!b || !b->value[id]) {
                                if (missing)
                                        *missing = (enum bw_var_id) id;
                                bw_sb_done(&out);
                                return -ENXIO;
                        }
                        const char *v = b->value[id];
                        if (kind == BW_TEMPLATE_PATH) {
                                /* "${home}/x" with home = "/" must give "/x", not "//x" */
                                if (bw_streq(v, "/") && i + vlen < len && t[i + vlen] == '/')
                                        v = "";
                                bw_sb_puts(&out, v);
                        } else
                                put_literal(&out, v, strlen(v), kind, false);
                        i += vlen;
                        continue;
                }
                bw_sb_putc(&out, t[i++]);
        }
        *ret = bw_sb_take(&out);
        return 0;
}

unsigned bw_template_vars(const char *t, enum bw_template_kind kind) {
        unsigned mask = 0;
        struct rx_state st = {0};
        size_t len = strlen(t);
        for (size_t i = 0; i < len;) {
                bool var_here = t[i] == '$' && i + 1 < len && t[i + 1] == '{';
                if (var_here && !(kind == BW_TEMPLATE_REGEX && (st.quote || st.cls))) {
                        size_t vlen;
                        int id = parse_var(t + i, len - i, &vlen, NULL, i);
                        if (id >= 0) {
                                mask |= 1u << id;
                                i += vlen;
                                continue;
                        }
                }
                if (kind == BW_TEMPLATE_REGEX)
                        i = rx_step(t, len, i, &st);
                else if ((kind == BW_TEMPLATE_GLOB && t[i] == '\\') || (t[i] == '$' && i + 1 < len && t[i + 1] == '$'))
                        i += 2;
                else
                        i++;
        }
        return mask;
}

bool bw_path_is_within(const char *path, const char *root) {
        if (bw_streq(root, "/"))
                return path[0] == '/';
        size_t n = strlen(root);
        return strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/');
}

unsigned bw_path_depth(const char *path) {
        unsigned d = 0;
        for (const char *p = path; *p; p++)
                if (*p != '/' && (p == path || p[-1] == '/'))
                        d++;
        return d;
}
