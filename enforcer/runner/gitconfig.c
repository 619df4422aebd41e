/* SPDX-License-Identifier: MIT */
#include "gitconfig.h"
#include "strbuf.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256
#define SUBSECTION_MAX_LEN 1024

struct cursor {
        const char *p, *end;
};

static int peek(const struct cursor *c) {
        return c->p < c->end ? (unsigned char) *c->p : -1;
}

static void skip_blanks(struct cursor *c) {
        while (peek(c) == ' ' || peek(c) == '\t')
                c->p++;
}

static void skip_line(struct cursor *c) {
        while (c->p < c->end && *c->p != '\n')
                c->p++;
        if (c->p < c->end)
                c->p++;
}

/* "[name]", "[name \"sub\"]" or the deprecated "[name.sub]". */
static int parse_section(struct cursor *c, char *section, char *sub, bool *has_sub) {
        size_t n = 0;
        c->p++; /* '[' */
        *has_sub = false;
        for (int ch; (ch = peek(c)) != -1 && (isalnum(ch) || ch == '-' || ch == '.'); c->p++) {
                if (n + 1 >= NAME_MAX_LEN)
                        return -EINVAL;
                section[n++] = (char) tolower(ch);
        }
        section[n] = 0;
        if (n == 0)
                return -EINVAL;
        char *dot = strchr(section, '.');
        if (dot) { /* [section.sub]: the subsection is case-insensitive too */
                *dot = 0;
                snprintf(sub, SUBSECTION_MAX_LEN, "%s", dot + 1);
                *has_sub = true;
                if (peek(c) != ']')
                        return -EINVAL;
        } else if (peek(c) == ' ' || peek(c) == '\t') {
                skip_blanks(c);
                if (peek(c) != '"')
                        return -EINVAL;
                c->p++;
                size_t k = 0;
                for (;;) {
                        int ch = peek(c);
                        if (ch == -1 || ch == '\n' || ch == 0)
                                return -EINVAL;
                        c->p++;
                        if (ch == '"')
                                break;
                        if (ch == '\\') {
                                ch = peek(c);
                                if (ch == -1 || ch == '\n')
                                        return -EINVAL;
                                c->p++;
                        }
                        if (k + 1 >= SUBSECTION_MAX_LEN)
                                return -EINVAL;
                        sub[k++] = (char) ch;
                }
                sub[k] = 0;
                *has_sub = true;
        }
        if (peek(c) != ']')
                return -EINVAL;
        c->p++;
        return 0;
}

/* The value after "=": quotes, escapes, continuation lines, comments, trailing blanks. */
static int parse_value(struct cursor *c, struct bw_strbuf *v) {
        bool quoted = false;
        size_t keep = 0; /* length without trailing unquoted blanks */
        skip_blanks(c);
        for (;;) {
                int ch = peek(c);
                if (ch == -1 || (ch == '\n' && !quoted)) {
                        if (ch == '\n')
                                c->p++;
                        break;
                }
                if (ch == '\n' || ch == 0)
                        return -EINVAL; /* a newline inside quotes, or a NUL */
                c->p++;
                if (!quoted && (ch == '#' || ch == ';')) {
                        skip_line(c);
                        break;
                }
                if (ch == '"') {
                        quoted = !quoted;
                        keep = v->len;
                        continue;
                }
                if (ch == '\\') {
                        int e = peek(c);
                        c->p++;
                        switch (e) {
                        case '\n':
                                continue; /* continuation line */
                        case 'n':
                                ch = '\n';
                                break;
                        case 't':
                                ch = '\t';
                                break;
                        case 'b':
                                ch = '\b';
                                break;
                        case '\\':
                        case '"':
                                ch = e;
                                break;
                        default:
                                return -EINVAL;
                        }
                        bw_sb_putc(v, (char) ch);
                        keep = v->len;
                        continue;
                }
                bw_sb_putc(v, (char) ch);
                if (quoted || (ch != ' ' && ch != '\t'))
                        keep = v->len;
        }
        if (quoted)
                return -EINVAL;
        bw_sb_truncate(v, keep);
        return 0;
}

int bw_gitconfig_parse(const char *text, size_t len, int (*fn)(const struct bw_gitconfig_entry *e, void *ud),
                       void *ud) {
        struct cursor c = {text, text + len};
        char section[NAME_MAX_LEN] = "", sub[SUBSECTION_MAX_LEN] = "", key[NAME_MAX_LEN];
        bool has_section = false, has_sub = false;
        struct bw_strbuf v = {0};
        int r = 0;
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                c.p += 3;
        if (memchr(text, 0, len))
                return -EINVAL;
        while (c.p < c.end && r == 0) {
                skip_blanks(&c);
                int ch = peek(&c);
                if (ch == -1)
                        break;
                if (ch == '\n' || ch == '\r') {
                        c.p++;
                        continue;
                }
                if (ch == '#' || ch == ';') {
                        skip_line(&c);
                        continue;
                }
                if (ch == '[') {
                        r = parse_section(&c, section, sub, &has_sub);
                        has_section = r == 0;
                        continue; /* an entry may follow on the same line */
                }
                if (!isalpha(ch) || !has_section) {
                        r = -EINVAL;
                        break;
                }
                size_t n = 0;
                for (; (ch = peek(&c)) != -1 && (isalnum(ch) || ch == '-'); c.p++) {
                        if (n + 1 >= sizeof(key)) {
                                r = -EINVAL;
                                break;
                        }
                        key[n++] = (char) tolower(ch);
                }
                key[n] = 0;
                if (r < 0)
                        break;
                skip_blanks(&c);
                const char *value = NULL;
                bw_sb_truncate(&v, 0);
                ch = peek(&c);
                if (ch == '=') {
                        c.p++;
                        r = parse_value(&c, &v);
                        if (r < 0)
                                break;
                        value = v.data ? v.data : "";
                } else if (ch == '\r' || ch == '\n' || ch == -1 || ch == '#' || ch == ';') {
                        skip_line(&c);
                } else {
                        r = -EINVAL;
                        break;
                }
                struct bw_gitconfig_entry e = {section, has_sub ? sub : NULL, key, value};
                r = fn(&e, ud);
        }
        bw_sb_done(&v);
        return r;
}

static bool in(const char *s, const char *const *list) {
        for (; *list; list++)
                if (bw_streq(s, *list))
                        return true;
        return false;
}

enum bw_gitconfig_ref bw_gitconfig_reference(const struct bw_gitconfig_entry *e) {
        const char *s = e->section, *k = e->key;
        bool sub = e->subsection != NULL;
        /* files git reads as config or runs from: init.templateDir's hooks are copied into every
         * repository git init or clone makes; attributes choose the filter and diff drivers */
        if ((bw_streq(s, "include") && !sub && bw_streq(k, "path")) ||
            (bw_streq(s, "includeif") && sub && bw_streq(k, "path")) ||
            (bw_streq(s, "core") && !sub && (bw_streq(k, "hookspath") || bw_streq(k, "attributesfile"))) ||
            (bw_streq(s, "init") && !sub && bw_streq(k, "templatedir")))
                return BW_GITREF_PATH;
        if (bw_streq(s, "core") && !sub) {
                static const char *const cmds[] = {
                        "sshcommand",           "editor", "pager", "askpass", "fsmonitor", "gitproxy",
                        "alternaterefscommand", NULL};
                return in(k, cmds) ? BW_GITREF_COMMAND : BW_GITREF_NONE;
        }
        static const char *const any_key_sections[] = {"pager", NULL};
        if (in(s, any_key_sections))
                return BW_GITREF_COMMAND;
        /* (a submodule's update = !command is honoured from .git/config, never from .gitmodules) */
        if (bw_streq(s, "alias") || (bw_streq(s, "submodule") && sub && bw_streq(k, "update")))
                return e->value && e->value[0] == '!' ? BW_GITREF_COMMAND : BW_GITREF_NONE;
        struct {
                const char *section, *key;
        } const cmd_keys[] = {
                {"sequence", "editor"},
                {"diff", "external"},
                {"diff", "textconv"},
                {"diff", "command"},
                {"gpg", "program"},
                {"credential", "helper"},
                {"filter", "clean"},
                {"filter", "smudge"},
                {"filter", "process"},
                {"merge", "driver"},
                {"difftool", "cmd"},
                {"mergetool", "cmd"},
                {"browser", "cmd"},
                {"man", "cmd"},
                {"web", "browser"},
                {"interactive", "difffilter"},
                {"uploadpack", "packobjectshook"},
                {"core", "fsmonitor"},
                /* programs a path names, and commands git runs for fetch, push, signing, trailers,
                 * config-based hooks, git gui and send-email */
                {"difftool", "path"},
                {"mergetool", "path"},
                {"browser", "path"},
                {"man", "path"},
                {"remote", "uploadpack"},
                {"remote", "receivepack"},
                {"gpg", "defaultkeycommand"},
                {"trailer", "command"},
                {"trailer", "cmd"},
                {"hook", "command"},
                {"guitool", "cmd"},
                {"sendemail", "tocmd"},
                {"sendemail", "cccmd"},
                {"sendemail", "sendmailcmd"},
                {"sendemail", "smtpserver"},
                {"sendemail", "headercmd"},
                /* git archive's compressor for a format of the user's (tar.<format>.command), git
                 * imap-send's tunnel */
                {"tar", "command"},
                {"imap", "tunnel"},
        };
        for (size_t i = 0; i < BW_ARRAY_SIZE(cmd_keys); i++)
                if (bw_streq(s, cmd_keys[i].section) && bw_streq(k, cmd_keys[i].key))
                        return BW_GITREF_COMMAND;
        return BW_GITREF_NONE;
}

bool bw_gitconfig_key_is_safe(const struct bw_gitconfig_entry *e) {
        const char *s = e->section, *k = e->key;
        bool sub = e->subsection != NULL;
        if (bw_streq(s, "core") && !sub) {
                static const char *const keys[] = {"repositoryformatversion",
                                                   "filemode",
                                                   "bare",
                                                   "logallrefupdates",
                                                   "ignorecase",
                                                   "precomposeunicode",
                                                   "symlinks",
                                                   "autocrlf",
                                                   "eol",
                                                   "safecrlf",
                                                   "quotepath",
                                                   "compression",
                                                   "bigfilethreshold",
                                                   NULL};
                return in(k, keys);
        }
        if (bw_streq(s, "extensions") && !sub)
                return bw_streq(k, "objectformat") || bw_streq(k, "refstorage");
        if (bw_streq(s, "remote") && sub) {
                static const char *const keys[] = {"url", "pushurl", "fetch", "tagopt", "prune", NULL};
                return in(k, keys);
        }
        if (bw_streq(s, "branch") && sub)
                return bw_streq(k, "remote") || bw_streq(k, "merge");
        if (bw_streq(s, "user") && !sub)
                return bw_streq(k, "name") || bw_streq(k, "email");
        if (bw_streq(s, "init") && !sub)
                return bw_streq(k, "defaultbranch");
        return false;
}

struct sanitize {
        struct bw_strbuf out, dropped;
        char cur_section[NAME_MAX_LEN + SUBSECTION_MAX_LEN + 8];
};

static void put_quoted(struct bw_strbuf *b, const char *s) {
        bw_sb_putc(b, '"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        bw_sb_putc(b, '\\');
                bw_sb_putc(b, *s);
        }
        bw_sb_putc(b, '"');
}

static bool printable(const char *s) {
        for (; s && *s; s++)
                if ((unsigned char) *s < 0x20 && *s != '\t')
                        return false;
        return true;
}

static int sanitize_entry(const struct bw_gitconfig_entry *e, void *ud) {
        struct sanitize *z = ud;
        if (!bw_gitconfig_key_is_safe(e) || !printable(e->value) || !printable(e->subsection)) {
                if (z->dropped.len)
                        bw_sb_puts(&z->dropped, ", ");
                bw_sb_printf(&z->dropped, "%s.%s%s%s", e->section, e->subsection ? e->subsection : "",
                             e->subsection ? "." : "", e->key);
                return 0;
        }
        struct bw_strbuf head = {0};
        bw_sb_printf(&head, "[%s", e->section);
        if (e->subsection) {
                bw_sb_putc(&head, ' ');
                put_quoted(&head, e->subsection);
        }
        bw_sb_puts(&head, "]\n");
        if (!bw_streq(head.data, z->cur_section)) {
                snprintf(z->cur_section, sizeof(z->cur_section), "%s", head.data);
                bw_sb_puts(&z->out, head.data);
        }
        bw_sb_done(&head);
        bw_sb_printf(&z->out, "\t%s = ", e->key);
        put_quoted(&z->out, e->value ? e->value : "true");
        bw_sb_putc(&z->out, '\n');
        return 0;
}

char *bw_gitconfig_sanitize(const char *text, size_t len, char **dropped) {
        struct sanitize z = {0};
        bw_sb_puts(&z.out,
                   "# Reset by bulwark run: this repository was created inside the sandbox; keys that could run\n"
                   "# programs were dropped (the original is config.bulwark-quarantine).\n");
        if (bw_gitconfig_parse(text, len, sanitize_entry, &z) < 0) {
                bw_sb_done(&z.out);
                bw_sb_done(&z.dropped);
                z = (struct sanitize){0};
                bw_sb_puts(&z.out,
                           "# Reset by bulwark run: the config of this repository, created inside the sandbox, did\n"
                           "# not parse (the original is config.bulwark-quarantine).\n");
                bw_sb_puts(&z.dropped, "(unparseable config)");
        }
        if (!strstr(z.out.data, "[core]\n"))
                bw_sb_puts(&z.out, "[core]\n\trepositoryformatversion = 0\n\tbare = false\n");
        *dropped = z.dropped.data ? bw_sb_take(&z.dropped) : strdup("");
        return bw_sb_take(&z.out);
}
