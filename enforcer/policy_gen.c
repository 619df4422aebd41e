/* SPDX-License-Identifier: MIT */
#include "policy_gen.h"

#include "compile.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

void bw_gen_note(struct bw_gen_notes *notes, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        char **v = r < 0 ? NULL : realloc(notes->v, (notes->n + 1) * sizeof(*v));
        if (!v)
                abort();
        notes->v = v;
        v[notes->n++] = s;
}

void bw_gen_notes_done(struct bw_gen_notes *notes) {
        for (size_t i = 0; i < notes->n; i++)
                free(notes->v[i]);
        free(notes->v);
        *notes = (struct bw_gen_notes){0};
}

void bw_gen_yaml_quote(struct bw_strbuf *sb, const char *s) {
        bw_sb_putc(sb, '"');
        for (; *s; s++) {
                if (*s == '"' || *s == '\\')
                        bw_sb_putc(sb, '\\');
                bw_sb_putc(sb, *s);
        }
        bw_sb_putc(sb, '"');
}

char *bw_gen_literal_path(const char *s) {
        struct bw_strbuf sb = {0};
        for (const char *c = s; *c; c++) {
                bw_sb_putc(&sb, *c);
                if (*c == '$')
                        bw_sb_putc(&sb, '$');
        }
        while (sb.len > 1 && sb.data[sb.len - 1] == '/')
                bw_sb_truncate(&sb, sb.len - 1);
        return bw_sb_take(&sb);
}

const char *bw_gen_path_problem(const char *s) {
        if (!s[0])
                return "is empty";
        if (strlen(s) > BW_PATH_MAX)
                return "is longer than 4095 bytes";
        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return "holds a control character";
        if (s[0] == '/')
                return NULL;
        if (s[0] == '~')
                return s[1] == 0 || s[1] == '/' ? NULL
                                                : "starts with ~NAME (another user's home), which a policy cannot name";
        return "is relative: give an absolute path (or one starting with ~/)";
}

int bw_gen_validate(const char *text, char **ret_diagnostics) {
        *ret_diagnostics = NULL;
        const char *tmp = getenv("TMPDIR");
        char dir[PATH_MAX], file[PATH_MAX + 16];
        if (snprintf(dir, sizeof(dir), "%s/bulwark-policy.XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp") >=
            (int) sizeof(dir))
                return -ENAMETOOLONG;
        if (!mkdtemp(dir))
                return -errno;
        snprintf(file, sizeof(file), "%s/policy.yaml", dir);
        int r = bw_gen_write_new(-1, file, text);
        if (r == 0) {
                struct bw_compile_options co = {.policy_path = file, .admin_owner_also = (uid_t) -1};
                struct bw_compilation c;
                r = bw_compile(&co, &c);
                if (r == -EINVAL || (r == 0 && c.diags.n_errors > 0)) {
                        char *buf = NULL;
                        size_t size = 0;
                        FILE *f = open_memstream(&buf, &size);
                        if (!f)
                                abort();
                        bw_diags_print(&c.diags, &c.sources, f, false);
                        fclose(f);
                        *ret_diagnostics = buf;
                        r = -EINVAL;
                }
                bw_compilation_done(&c);
                (void) unlink(file);
        }
        (void) rmdir(dir);
        return r;
}

int bw_gen_write_new(int dirfd, const char *path, const char *text) {
        int fd = openat(dirfd == -1 ? AT_FDCWD : dirfd, path,
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text), off = 0;
        int r = 0;
        while (off < len) {
                ssize_t w = write(fd, text + off, len - off);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                off += (size_t) w;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dirfd == -1 ? AT_FDCWD : dirfd, path, 0);
        return r;
}
