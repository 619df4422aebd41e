/* SPDX-License-Identifier: MIT */
/*
 * Layers, normalisation, protected defaults, admin constraints and precedence.
 *
 * Order of work: load the policy and (depth first) what it extends; merge; load constraints;
 * normalise every entry into a canonical template (binding -D variables); check constraints;
 * add protected defaults and admin carve-outs; drop rules that lose to another rule on the
 * same path; sort. Every problem is collected, so one run reports all of them.
 */
#include "util.h"
#include "compile.h"
#include "pattern.h"
#include "strbuf.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

/* ---- reading files ---- */

/* The uid allowed to own admin constraints besides root (-1: root only). */
static bool admin_owner_ok(uid_t uid, const struct bw_compile_options *o) {
        return uid == 0 || (o->admin_owner_also != (uid_t) -1 && uid == o->admin_owner_also);
}

static int read_file_fd(int fd, char **ret, size_t *ret_len);

static int read_file(const char *path, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not hang us */
        if (fd < 0)
                return -errno;
        return read_file_fd(fd, ret, ret_len);
}

static int read_file_fd(int fd, char **ret, size_t *ret_len) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        /* Read one byte past the limit so an oversized file is reported as such by the parser. */
        size_t cap = BW_YAML_MAX_BYTES + 2, len = 0;
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        ssize_t rd = bw_read_full(fd, buf, cap - 1);
        if (rd < 0)
                return (int) rd;
        len = (size_t) rd;
        buf[len] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

/* ---- layers ---- */

struct layer_set {
        struct bw_policy_doc *docs;
        size_t n, cap;
};

static void push_doc(struct layer_set *s, struct bw_policy_doc d) {
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 8;
                s->docs = realloc(s->docs, s->cap * sizeof(*s->docs));
                if (!s->docs)
                        abort();
        }
        s->docs[s->n++] = d;
}

/* Parse source idx into a document; 0 or -EINVAL (diagnostics recorded). */
static int parse_source(struct bw_compilation *c, uint32_t idx, struct bw_policy_doc *doc) {
        struct bw_yaml_doc y;
        int r = bw_yaml_parse(&c->sources, idx, &c->diags, &y);
        if (r == 0)
                r = bw_policy_read(y.root, idx, &c->diags, doc);
        else
                *doc = (struct bw_policy_doc){
                        .source = idx, .network = -1, .network_allowed = -1, .require_signed = -1};
        bw_yaml_doc_done(&y);
        return r;
}

struct visit {
        const char *identity; /* realpath of a file, or "builtin:NAME" */
        struct visit *up;
};

static bool ends_with(const char *s, const char *suffix) {
        size_t a = strlen(s), b = strlen(suffix);
        return a >= b && bw_streq(s + a - b, suffix);
}

static const struct bw_profile *find_profile(const char *name) {
        for (size_t i = 0; i < bw_n_profiles; i++)
                if (bw_streq(bw_profiles[i].name, name))
                        return &bw_profiles[i];
        return NULL;
}

static int load_layers(struct bw_compilation *c, uint32_t idx, struct visit *up, unsigned depth, struct layer_set *out);
static bool already_loaded(const struct bw_compilation *c, const char *identity);

/* Resolve one extends entry of doc and load its layers. */
static void load_extends(struct bw_compilation *c, const struct bw_entry *e, uint32_t parent, struct visit *up,
                         unsigned depth, struct layer_set *out) {
        const struct bw_source *ps = c->sources.v[parent];
        if (depth >= BW_EXTENDS_MAX_DEPTH) {
                bw_error(&c->diags, &e->loc, "extends nests deeper than %d files", BW_EXTENDS_MAX_DEPTH);
                return;
        }
        _cleanup_free_ char *identity = NULL;
        _cleanup_free_ char *display = NULL;
        uint32_t idx;
        bool builtin = !strchr(e->text, '/') && !ends_with(e->text, ".yaml") && !ends_with(e->text, ".yml");
        if (builtin) {
                const struct bw_profile *p = find_profile(e->text);
                if (!p) {
                        struct bw_strbuf names = {0};
                        for (size_t i = 0; i < bw_n_profiles; i++)
                                bw_sb_printf(&names, "%s%s", i ? ", " : "", bw_profiles[i].name);
                        bw_error(&c->diags, &e->loc,
                                 "unknown built-in profile '%s' (there are: %s); a file must end in .yaml or .yml",
                                 e->text, bw_sb_str(&names));
                        bw_sb_done(&names);
                        return;
                }
                if (asprintf(&identity, "builtin:%s", p->name) < 0)
                        abort();
                display = strdup(identity);
                char *text = malloc(p->len + 1);
                if (!text || !display)
                        abort();
                memcpy(text, p->text, p->len);
                text[p->len] = 0;
                for (struct visit *v = up; v; v = v->up)
                        if (bw_streq(v->identity, identity)) {
                                free(text);
                                bw_error(&c->diags, &e->loc, "extends cycle: %s extends itself (through this entry)",
                                         identity);
                                return;
                        }
                if (already_loaded(c, identity)) {
                        free(text);
                        return;
                }
                idx = bw_sources_add(&c->sources, display, NULL, text, p->len, BW_LAYER_PROFILE);
        } else {
                if (e->text[0] == '/' || e->text[0] == '~' || e->text[0] == '$') {
                        bw_error(&c->diags, &e->loc,
                                 "extends takes built-in profile names or paths relative to this file, not '%s'",
                                 e->text);
                        return;
                }
                if (!ends_with(e->text, ".yaml") && !ends_with(e->text, ".yml")) {
                        bw_error(&c->diags, &e->loc, "an extended file must end in .yaml or .yml");
                        return;
                }
                if (!ps->dir) {
                        bw_error(&c->diags, &e->loc, "a built-in profile can only extend other built-in profiles");
                        return;
                }
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", ps->dir, e->text) < 0)
                        abort();
                char real[PATH_MAX];
                if (!realpath(path, real)) {
                        bw_error(&c->diags, &e->loc, "cannot open extended policy %s: %s", path, strerror(errno));
                        return;
                }
                identity = strdup(real);
                if (!identity)
                        abort();
                for (struct visit *v = up; v; v = v->up)
                        if (bw_streq(v->identity, identity)) {
                                bw_error(&c->diags, &e->loc,
                                         "extends cycle: %s is already being read (it extends itself through this "
                                         "entry)",
                                         path);
                                return;
                        }
                if (already_loaded(c, identity))
                        return;
                if (c->sources.n >= BW_MAX_SOURCES) {
                        bw_error(&c->diags, &e->loc, "more than %d policy files through extends", BW_MAX_SOURCES);
                        return;
                }
                char *text;
                size_t len;
                int r = read_file(path, &text, &len);
                if (r < 0) {
                        bw_error(&c->diags, &e->loc, "cannot read extended policy %s: %s", path, strerror(-r));
                        return;
                }
                idx = bw_sources_add(&c->sources, path, path, text, len, BW_LAYER_EXTENDS);
        }
        struct visit here = {identity, up};
        c->loaded = realloc(c->loaded, (c->n_loaded + 1) * sizeof(*c->loaded));
        if (!c->loaded)
                abort();
        c->loaded[c->n_loaded++] = strdup(identity);
        load_layers(c, idx, &here, depth + 1, out);
}

/* A file reached again through another path of the extends graph is not read again: its rules
 * are already in (lists are unions), and reading every path of a diamond-shaped graph would be
 * exponential. Its scalars take effect at its first position. */
static bool already_loaded(const struct bw_compilation *c, const char *identity) {
        for (size_t i = 0; i < c->n_loaded; i++)
                if (bw_streq(c->loaded[i], identity))
                        return true;
        return false;
}

static int load_layers(struct bw_compilation *c, uint32_t idx, struct visit *up, unsigned depth,
                       struct layer_set *out) {
        struct bw_policy_doc doc;
        if (parse_source(c, idx, &doc) < 0 && doc.kind != BW_DOC_CONSTRAINTS) {
                /* keep going: the document's other layers may show more errors */
        }
        if (doc.kind == BW_DOC_CONSTRAINTS && up && up->up) {
                struct bw_loc l = {.source = idx, .line = 1, .col = 1, .end_col = 2};
                bw_error(&c->diags, &l, "a constraints document cannot be extended: put it in the admin directory");
        }
        for (size_t i = 0; i < doc.extends.n; i++)
                load_extends(c, &doc.extends.v[i], idx, up, depth, out);
        push_doc(out, doc);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The *.yaml names of an admin directory (closes d), sorted: constraints apply in name order. */
static size_t admin_names(DIR *d, char ***ret) {
        char **names = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.' || !ends_with(de->d_name, ".yaml"))
                        continue;
                if (n == cap) {
                        cap = cap ? cap * 2 : 8;
                        names = realloc(names, cap * sizeof(*names));
                        if (!names)
                                abort();
                }
                names[n++] = strdup(de->d_name);
        }
        closedir(d);
        if (n)
                bw_sort_stable(names, n, sizeof(*names), cmp_names);
        *ret = names;
        return n;
}

/* One admin file read (text, owned by the sources from here), parsed as a constraints layer. */
static void add_admin_doc(struct bw_compilation *c, const char *path, char *text, size_t len, struct layer_set *out) {
        if (c->sources.n >= BW_MAX_SOURCES) {
                free(text);
                bw_diag_file(&c->diags, BW_SEV_ERROR, path, "more than %d policy files in all", BW_MAX_SOURCES);
                return;
        }
        uint32_t idx = bw_sources_add(&c->sources, path, path, text, len, BW_LAYER_ADMIN);
        struct bw_policy_doc doc;
        parse_source(c, idx, &doc);
        if (doc.kind != BW_DOC_CONSTRAINTS) {
                struct bw_loc l = {.source = idx, .line = 1, .col = 1, .end_col = 2};
                bw_error(&c->diags, &l, "files in the admin directory must be 'kind: constraints' documents");
        }
        push_doc(out, doc);
}

/* Constraints from every DIR/NAME.yaml, in name order. A missing directory means no constraints.
 * Constraints only an administrator may write: the directory and every file must be root's (or,
 * for an --admin-dir someone names explicitly, the caller's) and writable by nobody else, and no
 * symlink is followed to them. Otherwise the compile fails, naming the file and the fix. */
#ifdef _WIN32
/* Windows: the same rules, with the owner and DACL where POSIX has uid and mode bits (the C runtime
 * shows neither): the directory and every file must be owned by Administrators, SYSTEM or
 * TrustedInstaller (or, for an --admin-dir someone names, the caller) and writable by no other SID,
 * and no symbolic link or junction is followed (compat.h: bw_compat_open_admin). */
static void load_admin(struct bw_compilation *c, const struct bw_compile_options *o, struct layer_set *out) {
        /* Administrators and SYSTEM full control, Users read (they compile their policies) */
        static const char fix_dir[] = "icacls \"%s\" /inheritance:r /grant:r *S-1-5-32-544:(OI)(CI)F "
                                      "*S-1-5-18:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX";
        static const char fix_file[] = "icacls \"%s\" /inheritance:r /grant:r *S-1-5-32-544:F *S-1-5-18:F "
                                       "*S-1-5-32-545:RX";
        (void) admin_owner_ok; /* the POSIX rule's */
        const char *dir = o->admin_dir;
        bool mine = o->admin_owner_also != (uid_t) -1;
        char why[256], how[512];
        int dfd = bw_compat_open_admin(dir, true, mine, why, sizeof(why));
        if (dfd == -ENOENT)
                return;
        if (dfd < 0) {
                snprintf(how, sizeof(how), fix_dir, dir);
                if (dfd == -EPERM)
                        bw_diag_file(&c->diags, BW_SEV_ERROR, dir,
                                     "the admin constraints directory must be writable by administrators only (%s): "
                                     "fix it with %s",
                                     why, how);
                else
                        bw_diag_file(&c->diags, BW_SEV_ERROR, dir, "cannot read the admin constraints directory: %s",
                                     dfd == -ELOOP ? "it is a symbolic link or junction" : strerror(-dfd));
                return;
        }
        DIR *d = opendir(dir);
        if (!d) {
                close(dfd);
                return;
        }
        char **names = NULL;
        size_t n = admin_names(d, &names);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        abort();
                free(names[i]);
                int fd = bw_compat_open_admin(path, false, mine, why, sizeof(why));
                if (fd == -ELOOP) {
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path,
                                     "admin constraints must not be symbolic links: copy the file in place");
                        continue;
                }
                if (fd == -EPERM) {
                        snprintf(how, sizeof(how), fix_file, path);
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path,
                                     "admin constraints must be writable by administrators only (%s): fix it with %s",
                                     why, how);
                        continue;
                }
                char *text = NULL;
                size_t len = 0;
                int r = fd < 0 ? fd : read_file_fd(fd, &text, &len);
                if (fd >= 0)
                        close(fd);
                if (r < 0) {
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path, "cannot read admin constraints: %s", strerror(-r));
                        continue;
                }
                add_admin_doc(c, path, text, len, out);
        }
        free(names);
        close(dfd);
}
#else
static void load_admin(struct bw_compilation *c, const struct bw_compile_options *o, struct layer_set *out) {
        const char *dir = o->admin_dir;
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0) {
                if (errno != ENOENT)
                        bw_diag_file(&c->diags, BW_SEV_ERROR, dir, "cannot read the admin constraints directory: %s",
                                     strerror(errno));
                return;
        }
        struct stat dst;
        if (fstat(dfd, &dst) < 0 || !admin_owner_ok(dst.st_uid, o) || (dst.st_mode & (S_IWGRP | S_IWOTH))) {
                bw_diag_file(&c->diags, BW_SEV_ERROR, dir,
                             "the admin constraints directory must be owned by root and writable by nobody else "
                             "(it is owned by uid %u, mode %04o): fix it with chown root:root and chmod go-w",
                             (unsigned) dst.st_uid, (unsigned) dst.st_mode & 07777);
                close(dfd);
                return;
        }
        DIR *d = fdopendir(dup(dfd));
        if (!d) {
                close(dfd);
                return;
        }
        char **names = NULL;
        size_t n = admin_names(d, &names);
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
                        abort();
                _cleanup_close_ int fd =
                        openat(dfd, names[i], O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
                free(names[i]);
                struct stat st;
                if (fd < 0 && errno == ELOOP) {
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path,
                                     "admin constraints must not be symbolic links: copy the file in place");
                        continue;
                }
                if (fd >= 0 && fstat(fd, &st) == 0 &&
                    (!admin_owner_ok(st.st_uid, o) || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path,
                                     "admin constraints must be owned by root and writable by nobody else (this file "
                                     "is owned by uid %u, mode %04o): fix it with chown root:root and chmod 644",
                                     (unsigned) st.st_uid, (unsigned) st.st_mode & 07777);
                        continue;
                }
                char *text = NULL; /* set on success only (the analyzer cannot know -errno < 0) */
                size_t len = 0;
                int r = fd < 0 ? -errno : read_file_fd(fd, &text, &len);
                if (r < 0) {
                        bw_diag_file(&c->diags, BW_SEV_ERROR, path, "cannot read admin constraints: %s", strerror(-r));
                        continue;
                }
                add_admin_doc(c, path, text, len, out);
        }
        free(names);
        close(dfd);
}
#endif

/* ---- normalisation ---- */

struct norm_entry {
        char *text;
        uint32_t match;
        bool ignore_case;
        struct bw_loc loc;
};

struct norm_list {
        struct norm_entry *v;
        size_t n, cap;
};

static void norm_push(struct norm_list *l, struct norm_entry e) {
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                if (!l->v)
                        abort();
        }
        l->v[l->n++] = e;
}

static void norm_done(struct norm_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i].text);
        free(l->v);
        *l = (struct norm_list){0};
}

/* Placeholder values used to check patterns whose variables stay unbound. */
static const char *const placeholder[BW_VAR_COUNT] = {
        [BW_VAR_HOME] = "/home/bulwark-placeholder",
        [BW_VAR_TMPDIR] = "/tmp",
        [BW_VAR_USER] = "bulwark-placeholder",
        [BW_VAR_WORKSPACE] = "/home/bulwark-placeholder/workspace",
};

static struct bw_bindings check_bindings(const struct bw_bindings *b) {
        struct bw_bindings x;
        for (int i = 0; i < BW_VAR_COUNT; i++)
                x.value[i] = b->value[i] ? b->value[i] : placeholder[i];
        return x;
}

/* Point a diagnostic at offset/length inside the scalar at loc (plain or quoted on one line). */
static struct bw_loc sub_loc(const struct bw_compilation *c, struct bw_loc loc, size_t offset, size_t length) {
        size_t n;
        const char *line = bw_source_line(c->sources.v[loc.source], loc.line, &n);
        uint32_t quote = (loc.col - 1 < n && (line[loc.col - 1] == '"' || line[loc.col - 1] == '\'')) ? 1 : 0;
        struct bw_loc l = loc;
        l.col = loc.col + quote + (uint32_t) offset;
        l.end_col = l.col + (uint32_t) (length ? length : 1);
        if (loc.end_col > loc.col && l.end_col > loc.end_col)
                l.end_col = loc.end_col > l.col ? loc.end_col : l.col + 1;
        return l;
}

static int normalise_entry(struct bw_compilation *c, const struct bw_entry *e, struct norm_list *out) {
        enum bw_template_kind k = e->match == BW_MATCH_PATH   ? BW_TEMPLATE_PATH
                                  : e->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB
                                                              : BW_TEMPLATE_REGEX;
        struct bw_template_error terr;
        char *canon = NULL;
        if (bw_template_from_policy(e->text, e->len, k, &c->bindings, &canon, &terr) < 0) {
                struct bw_loc l = sub_loc(c, e->loc, terr.offset, terr.length);
                return bw_error(&c->diags, &l, "%s", terr.message);
        }
        if (e->match != BW_MATCH_PATH) {
                /* Compile it once, with every variable bound, to report syntax errors now. */
                struct bw_bindings cb = check_bindings(&c->bindings);
                _cleanup_free_ char *bound = NULL;
                if (bw_template_bind(canon, k, &cb, &bound, NULL) < 0) {
                        free(canon);
                        return bw_error(&c->diags, &e->loc, "cannot expand the variables of this pattern");
                }
                struct bw_pattern p;
                struct bw_pattern_error perr;
                if (bw_pattern_compile(bound, e->match, e->ignore_case, &p, &perr) < 0) {
                        struct bw_loc l = e->match == BW_MATCH_REGEX && bw_streq(bound, e->text)
                                                  ? sub_loc(c, e->loc, perr.offset, 1)
                                                  : e->loc;
                        free(canon);
                        return bw_error(&c->diags, &l, "bad %s: %s", bw_match_kind_name(e->match), perr.message);
                }
                bw_pattern_done(&p);
        }
        norm_push(out,
                  (struct norm_entry){.text = canon, .match = e->match, .ignore_case = e->ignore_case, .loc = e->loc});
        return 0;
}

static void normalise_list(struct bw_compilation *c, const struct bw_entry_list *in, struct norm_list *out) {
        for (size_t i = 0; i < in->n; i++)
                normalise_entry(c, &in->v[i], out);
}

/* ---- relations between templates ---- */

/* Tri-state "is path within root": 1 yes, 0 no, -1 cannot tell before unbound variables are bound. */
static int within(const char *path, const char *root) {
        bool path_var = path[0] == '$', root_var = root[0] == '$';
        if (bw_streq(root, "/"))
                return 1;
        if (path_var != root_var)
                return -1;
        if (path_var) {
                /* same leading variable? compare lexically, else unknown */
                size_t a = strcspn(path, "/"), b = strcspn(root, "/");
                if (a != b || strncmp(path, root, a) != 0)
                        return -1;
        }
        /* ${user} in a component makes a lexical "no" uncertain, never a lexical "yes" */
        if (bw_path_is_within(path, root))
                return 1;
        if (strstr(path, "${user}") || strstr(root, "${user}"))
                return -1;
        return 0;
}

/* Does the pattern (canonical) cover the path template? Decided with placeholders bound. */
static bool pattern_covers_template(struct bw_compilation *c, const struct norm_entry *pat, const char *path) {
        struct bw_bindings cb = check_bindings(&c->bindings);
        _cleanup_free_ char *bp = NULL, *bpath = NULL;
        enum bw_template_kind k = pat->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB : BW_TEMPLATE_REGEX;
        if (bw_template_bind(pat->text, k, &cb, &bp, NULL) < 0 ||
            bw_template_bind(path, BW_TEMPLATE_PATH, &cb, &bpath, NULL) < 0)
                return false;
        struct bw_pattern p;
        if (bw_pattern_compile(bp, pat->match, pat->ignore_case, &p, NULL) < 0)
                return false;
        bool r = bw_pattern_covers(&p, bpath) >= 0;
        bw_pattern_done(&p);
        return r;
}

static void loc_note(struct bw_compilation *c, const struct bw_loc *l, const char *what) {
        bw_note(&c->diags, l, "%s", what);
}

/* ---- the effective rule set ---- */

static void add_rule(struct bw_compilation *c, const char *text, uint32_t kind, uint32_t match, uint32_t flags,
                     struct bw_loc loc) {
        if (c->n_rules == c->cap_rules) {
                c->cap_rules = c->cap_rules ? c->cap_rules * 2 : 32;
                c->rules = realloc(c->rules, c->cap_rules * sizeof(*c->rules));
                if (!c->rules)
                        abort();
        }
        char *t = strdup(text);
        if (!t)
                abort();
        c->rules[c->n_rules++] = (struct bw_rule_eff){t, kind, match, flags, loc};
}

static int kind_rank(uint32_t kind) {
        /* precedence at equal specificity: unreadable > read_only > writable, cache > readable
         * (a writable and a cache root on one path are an error of their own) */
        switch (kind) {
        case BW_RULE_UNREADABLE:
                return 4;
        case BW_RULE_READ_ONLY:
                return 3;
        case BW_RULE_WRITABLE:
        case BW_RULE_CACHE:
                return 2;
        default:
                return 1;
        }
}

static int loc_cmp(const struct bw_loc *a, const struct bw_loc *b) {
        if (a->source != b->source)
                return a->source < b->source ? -1 : 1;
        if (a->line != b->line)
                return a->line < b->line ? -1 : 1;
        return a->col < b->col ? -1 : a->col > b->col;
}

/* Rules that cover exactly the same objects with the same standing: same text, same match, and
 * the same admin, case and anywhere flags. Only within such a group can one rule make another
 * pointless; a case-insensitive rule covers more than a case-sensitive one with the same text,
 * and an admin rule is a cap, not a replacement (decision.h). */
#define GROUP_FLAGS (BW_RULE_ADMIN | BW_RULE_IGNORE_CASE | BW_RULE_ANYWHERE)

static bool same_group(const struct bw_rule_eff *a, const struct bw_rule_eff *b) {
        return bw_streq(a->text, b->text) && a->match == b->match &&
               (a->flags & GROUP_FLAGS) == (b->flags & GROUP_FLAGS);
}

/* Sort into groups; within a group the winner (by rank) comes first, then the earliest source
 * location, so the result does not depend on input order. */
static int group_cmp(const void *x, const void *y) {
        const struct bw_rule_eff *a = x, *b = y;
        int r = strcmp(a->text, b->text);
        if (r)
                return r;
        if (a->match != b->match)
                return a->match < b->match ? -1 : 1;
        if ((a->flags & GROUP_FLAGS) != (b->flags & GROUP_FLAGS))
                return (a->flags & GROUP_FLAGS) < (b->flags & GROUP_FLAGS) ? -1 : 1;
        if (kind_rank(a->kind) != kind_rank(b->kind))
                return kind_rank(a->kind) > kind_rank(b->kind) ? -1 : 1;
        if (a->flags != b->flags)
                return a->flags < b->flags ? -1 : 1;
        return loc_cmp(&a->loc, &b->loc);
}

/* The plan's order (plan_reader.c checks it): text, kind, match, flags. */
static int plan_cmp(const void *x, const void *y) {
        const struct bw_rule_eff *a = x, *b = y;
        int r = strcmp(a->text, b->text);
        if (r)
                return r;
        if (a->kind != b->kind)
                return a->kind < b->kind ? -1 : 1;
        if (a->match != b->match)
                return a->match < b->match ? -1 : 1;
        return a->flags < b->flags ? -1 : a->flags > b->flags;
}

static const char *where(const struct bw_compilation *c, const struct bw_loc *l, char *buf, size_t n) {
        if (l->line == 0)
                snprintf(buf, n, "%s", c->sources.v[l->source]->name);
        else
                snprintf(buf, n, "%s:%u:%u", c->sources.v[l->source]->name, l->line, l->col);
        return buf;
}

static void settle_precedence(struct bw_compilation *c) {
        if (c->n_rules == 0)
                return;
        bw_sort_stable(c->rules, c->n_rules, sizeof(*c->rules), group_cmp);
        size_t out = 0;
        for (size_t i = 0; i < c->n_rules;) {
                size_t j = i + 1;
                while (j < c->n_rules && same_group(&c->rules[j], &c->rules[i]))
                        j++;
                /* rules[i] wins its group. Rules of the same kind with other flags (an admin copy,
                 * a case-insensitive variant) stay; exact repeats and other kinds go. */
                size_t group_start = out;
                c->rules[out++] = c->rules[i];
                const struct bw_rule_eff *win = &c->rules[group_start];
                for (size_t k = i + 1; k < j; k++) {
                        struct bw_rule_eff *r = &c->rules[k];
                        if (r->kind == win->kind) {
                                bool repeat = false;
                                for (size_t q = group_start; q < out && !repeat; q++)
                                        repeat = c->rules[q].flags == r->flags;
                                if (repeat)
                                        free(r->text); /* the same rule twice (e.g. from two layers) */
                                else
                                        c->rules[out++] = *r;
                                continue;
                        }
                        char buf[512];
                        /* losing to a protected default is the point of the default */
                        if (!(r->flags & BW_RULE_PROTECTED))
                                bw_warning(&c->diags, &r->loc,
                                           "this %s rule never applies: %s on the same path wins (%s)",
                                           bw_rule_kind_name(r->kind), bw_rule_kind_name(win->kind),
                                           where(c, &win->loc, buf, sizeof(buf)));
                        free(r->text);
                }
                i = j;
        }
        c->n_rules = out;
        bw_sort_stable(c->rules, c->n_rules, sizeof(*c->rules), plan_cmp);
}

/* ---- constraints ---- */

struct merged {
        struct norm_list writable, read_only, readable, unreadable, cache;
        struct norm_list writable_within, never_writable, always_read_only, never_readable;
        uint32_t unprotect, allow_unprotect; /* bit i: bw_protected_names[i] */
        struct bw_loc unprotect_loc[BW_PROTECTED_COUNT];
        int network_allowed;
        struct bw_loc network_allowed_loc;
        struct bw_env_merge env; /* points into the layers' documents */
};

/* The variables ${NAME} that text still holds unbound, as bits of BW_VAR_*. */
static unsigned unbound_vars(const char *text) {
        unsigned vars = 0;
        for (const char *v = strstr(text, "${"); v; v = strstr(v + 2, "${")) {
                const char *end = strchr(v + 2, '}');
                int id = end ? bw_var_lookup(v + 2, (size_t) (end - v - 2)) : -1;
                if (id >= 0)
                        vars |= 1u << id;
        }
        return vars;
}

/* How to bind the variables of vars, "-D home=DIR and -D tmpdir=DIR" (a user: a login name),
 * and their names, "${home}, ${tmpdir}". */
static void binding_advice(unsigned vars, char *buf, size_t n, char *names, size_t nn) {
        size_t o = 0, on = 0;
        buf[0] = names[0] = 0;
        unsigned left = vars;
        for (int id = 0; id < BW_VAR_COUNT && o < n && on < nn; id++) {
                if (!(vars & (1u << id)))
                        continue;
                left &= ~(1u << id);
                const char *name = bw_var_name((enum bw_var_id) id);
                const char *sep = o == 0 ? "" : left ? ", " : " and ";
                o += (size_t) snprintf(buf + o, n - o, "%s-D %s=%s", sep, name, id == BW_VAR_USER ? "NAME" : "DIR");
                on += (size_t) snprintf(names + on, nn - on, "%s${%s}", on == 0 ? "" : ", ", name);
        }
}

/* The admin's limits on where the sandbox may write apply to a writable root and a cache root
 * alike (what says "never writable" means inside the sandbox too, copy-on-write or not): what
 * names the root in the messages. */
static void check_root_constraints(struct bw_compilation *c, struct merged *m, const struct norm_entry *w,
                                   const char *what) {
        char buf[512];
        if (m->writable_within.n > 0) {
                bool ok = false, unknown = false;
                unsigned vars = unbound_vars(w->text);
                for (size_t k = 0; k < m->writable_within.n && !ok; k++) {
                        int x = within(w->text, m->writable_within.v[k].text);
                        ok = x == 1;
                        unknown |= x < 0;
                        if (x < 0)
                                vars |= unbound_vars(m->writable_within.v[k].text);
                }
                if (!ok) {
                        /* name what is unbound, on either side: an admin's ~ is ${home} */
                        char advice[128], names[64];
                        binding_advice(vars, advice, sizeof(advice), names, sizeof(names));
                        if (unknown)
                                bw_error(&c->diags, &w->loc,
                                         "cannot check %s %s against the admin's writable_within "
                                         "before the variables it involves are bound (%s): bind them with %s",
                                         what, w->text, names[0] ? names : "${workspace}",
                                         advice[0] ? advice : "-D workspace=DIR");
                        else
                                bw_error(&c->diags, &w->loc,
                                         "%s %s is outside every writable_within root allowed by the admin", what,
                                         w->text);
                        loc_note(c, &m->writable_within.v[0].loc, "writable_within is set here");
                }
        }
        for (size_t k = 0; k < m->never_writable.n; k++) {
                const struct norm_entry *n = &m->never_writable.v[k];
                if (within(w->text, n->text) == 1) {
                        bw_error(&c->diags, &w->loc, "%s %s is %s %s, which the admin made never_writable (%s)", what,
                                 w->text, bw_streq(w->text, n->text) ? "equal to" : "inside", n->text,
                                 where(c, &n->loc, buf, sizeof(buf)));
                        loc_note(c, &n->loc, "never_writable is set here");
                }
        }
        const struct norm_list *denials[] = {&m->always_read_only, &m->never_readable};
        const char *names[] = {"always_read_only", "never_readable"};
        for (size_t d = 0; d < 2; d++)
                for (size_t k = 0; k < denials[d]->n; k++) {
                        const struct norm_entry *a = &denials[d]->v[k];
                        bool hit = a->match == BW_MATCH_PATH ? within(w->text, a->text) == 1
                                                             : pattern_covers_template(c, a, w->text);
                        if (hit) {
                                bw_error(&c->diags, &w->loc, "%s %s is covered by the admin's %s entry %s (%s)", what,
                                         w->text, names[d], a->text, where(c, &a->loc, buf, sizeof(buf)));
                                loc_note(c, &a->loc, "the constraint is here");
                        }
                }
}

/* A cache root is a copy-on-write layer over the host's directory; one inside or around a
 * writable root (or another cache root) would give the same objects two meanings, one of them
 * "the host's copy changes": refused, naming both. Decided where the variables allow; the runner
 * checks again once they are bound. */
static void check_cache_overlap(struct bw_compilation *c, struct merged *m) {
        char buf[512];
        for (size_t i = 0; i < m->cache.n; i++) {
                const struct norm_entry *e = &m->cache.v[i];
                /* the sandbox's /proc and /dev are its own: a layer over the host's would show it the
                 * host's processes and devices (the runner refuses them too) */
                static const char *const kernel[] = {"/proc", "/sys", "/dev"};
                for (size_t k = 0; k < BW_ARRAY_SIZE(kernel); k++)
                        if (within(e->text, kernel[k]) == 1 || (k == 0 && bw_streq(e->text, "/")))
                                bw_error(&c->diags, &e->loc,
                                         "cache root %s %s%s: the kernel's, not a cache; name the cache "
                                         "directory itself",
                                         e->text, bw_streq(e->text, "/") ? "holds " : "lies in ",
                                         bw_streq(e->text, "/") ? "/proc, /sys and /dev" : kernel[k]);
                for (int l = 0; l < 2; l++) {
                        const struct norm_list *other = l == 0 ? &m->writable : &m->cache;
                        for (size_t k = 0; k < other->n; k++) {
                                const struct norm_entry *w = &other->v[k];
                                if (l == 1 && k <= i)
                                        continue;
                                bool in = within(e->text, w->text) == 1, around = within(w->text, e->text) == 1;
                                if (!in && !around)
                                        continue;
                                bw_error(&c->diags, &e->loc,
                                         "cache root %s is %s the %s root %s (%s): a cache root is copy-on-write "
                                         "and cannot overlap a %s one; remove one of them",
                                         e->text,
                                         bw_streq(e->text, w->text) ? "the same as"
                                         : in                       ? "inside"
                                                                    : "around",
                                         l == 0 ? "writable" : "cache", w->text, where(c, &w->loc, buf, sizeof(buf)),
                                         l == 0 ? "writable" : "nested");
                                loc_note(c, &w->loc, "the other root is here");
                        }
                }
        }
}

static void check_constraints(struct bw_compilation *c, struct merged *m) {
        char buf[512];
        for (size_t i = 0; i < m->writable.n; i++)
                check_root_constraints(c, m, &m->writable.v[i], "writable root");
        for (size_t i = 0; i < m->cache.n; i++)
                check_root_constraints(c, m, &m->cache.v[i], "cache root");
        check_cache_overlap(c, m);
        for (size_t i = 0; i < m->readable.n; i++) {
                const struct norm_entry *rd = &m->readable.v[i];
                for (size_t k = 0; k < m->never_readable.n; k++) {
                        const struct norm_entry *a = &m->never_readable.v[k];
                        bool hit = a->match == BW_MATCH_PATH ? within(rd->text, a->text) == 1
                                                             : pattern_covers_template(c, a, rd->text);
                        if (hit) {
                                bw_error(&c->diags, &rd->loc,
                                         "read grant %s is covered by the admin's never_readable entry %s (%s)",
                                         rd->text, a->text, where(c, &a->loc, buf, sizeof(buf)));
                                loc_note(c, &a->loc, "the constraint is here");
                        }
                }
        }
        if (c->network == BW_NETWORK_ON && m->network_allowed >= 0 && !(m->network_allowed & (1 << BW_NETWORK_ON))) {
                if (c->network_loc.line)
                        bw_error(&c->diags, &c->network_loc, "network: on is not allowed by the admin (%s)",
                                 where(c, &m->network_allowed_loc, buf, sizeof(buf)));
                else
                        bw_error(&c->diags, NULL, "network: on (from a profile) is not allowed by the admin (%s)",
                                 where(c, &m->network_allowed_loc, buf, sizeof(buf)));
                loc_note(c, &m->network_allowed_loc, "network.allowed is set here");
        }
        for (uint32_t b = 0; b < BW_PROTECTED_COUNT; b++) {
                const char *name = bw_protected_names[b].name;
                if ((m->unprotect & (UINT32_C(1) << b)) && bw_protected_names[b].needs_admin &&
                    !(m->allow_unprotect & (UINT32_C(1) << b)))
                        bw_error(&c->diags, &m->unprotect_loc[b],
                                 "unprotecting %s needs an admin constraint 'filesystem.allow_unprotect: [%s]'", name,
                                 name);
        }
}

static int str_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool sorted_has(char **v, size_t n, const char *key) {
        return bsearch(&key, v, n, sizeof(*v), str_cmp) != NULL;
}

static size_t head_len(const char *t) {
        return t[0] == '$' ? strcspn(t, "/") : 0; /* 0: the literal root */
}

/* Could prefix matter to some writable root (within() != 0 in either direction)? Written with
 * sorted roots and binary search so that 10,000 carve-outs against 10,000 roots stay fast;
 * anything within() cannot decide counts as "may matter". */
static bool may_matter(char **roots, size_t n, bool uncertain_heads, bool any_user, const char *prefix) {
        if (any_user || strstr(prefix, "${user}") || uncertain_heads)
                return true;
        if (sorted_has(roots, n, "/"))
                return true;
        /* a root that is prefix or one of its ancestors */
        _cleanup_free_ char *work = strdup(prefix);
        if (!work)
                abort();
        for (;;) {
                if (sorted_has(roots, n, work))
                        return true;
                char *slash = strrchr(work, '/');
                if (!slash || slash == work)
                        break;
                *slash = 0;
        }
        /* a root below prefix: the roots starting with "prefix/" are contiguous when sorted */
        _cleanup_free_ char *child = NULL;
        if (asprintf(&child, "%s/", prefix) < 0)
                abort();
        size_t lo = 0, hi = n, len = strlen(child);
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(roots[mid], child) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && strncmp(roots[lo], child, len) == 0;
}

/* A writable root that holds the user's home (/, ~, or a directory above a bound home) lets a
 * command change what runs as the user later, outside any sandbox: shell startup files, git's
 * configuration, editor and agent settings. Legal, and sometimes meant; never silent. */
static void warn_home_writable(struct bw_compilation *c, const struct merged *m) {
        const char *home = c->bound_values[BW_VAR_HOME];
        for (size_t k = 0; k < m->writable.n; k++) {
                const struct norm_entry *e = &m->writable.v[k];
                if (e->match != BW_MATCH_PATH)
                        continue;
                bool all = strcmp(e->text, "/") == 0;
                if (all || strcmp(e->text, "${home}") == 0 || (home && bw_path_is_within(home, e->text)))
                        bw_warning(&c->diags, &e->loc,
                                   "writable %s holds your home directory: a command could change what runs as you "
                                   "later, outside the sandbox (~/.bashrc, ~/.gitconfig, editor and agent "
                                   "configuration): name the directories it needs instead",
                                   strcmp(e->text, "${home}") == 0 ? "~" : e->text);
        }
}

static void warn_useless(struct bw_compilation *c, const struct merged *m) {
        warn_home_writable(c, m);
        /* a carve-out inside a cache root matters too: it is bound read-only over the layer */
        size_t n = m->writable.n + m->cache.n;
        char **roots = calloc(n + 1, sizeof(*roots));
        if (!roots)
                abort();
        bool any_user = false;
        for (size_t k = 0; k < n; k++) {
                roots[k] = k < m->writable.n ? m->writable.v[k].text : m->cache.v[k - m->writable.n].text;
                any_user |= strstr(roots[k], "${user}") != NULL;
        }
        if (n)
                bw_sort_stable(roots, n, sizeof(*roots), str_cmp);
        /* the distinct heads of the roots ("/" or a variable): few, whatever n is */
        const char *heads[BW_VAR_COUNT + 1];
        size_t n_heads = 0;
        for (size_t k = 0; k < n; k++) {
                bool seen = false;
                for (size_t h = 0; h < n_heads && !seen; h++)
                        seen = head_len(heads[h]) == head_len(roots[k]) &&
                               strncmp(heads[h], roots[k], head_len(roots[k])) == 0;
                if (!seen && n_heads < BW_ARRAY_SIZE(heads))
                        heads[n_heads++] = roots[k];
        }
        for (size_t i = 0; i < m->read_only.n; i++) {
                const struct norm_entry *e = &m->read_only.v[i];
                _cleanup_free_ char *prefix =
                        e->match == BW_MATCH_PATH ? strdup(e->text) : bw_pattern_fixed_prefix(e->text, e->match);
                if (!prefix)
                        continue; /* "**" + "/" globs apply inside every root */
                /* roots under another head (a different variable, or a variable against "/")
                 * cannot be compared before binding */
                bool uncertain = false;
                size_t ph = head_len(prefix);
                for (size_t k = 0; k < n_heads && !uncertain; k++) {
                        size_t rh = head_len(heads[k]);
                        uncertain = (ph || rh) && (ph != rh || strncmp(prefix, heads[k], ph) != 0);
                }
                if (!may_matter(roots, n, uncertain, any_user, prefix))
                        bw_warning(&c->diags, &e->loc,
                                   "read_only %s can never matter: it lies outside every writable root",
                                   e->match == BW_MATCH_PATH ? "path" : "pattern");
        }
        free(roots);
}

/* ---- the whole compilation ---- */

static void merge_into(struct bw_compilation *c, struct merged *m, const struct bw_policy_doc *d) {
        bw_env_merge_doc(&m->env, d);
        if (d->kind == BW_DOC_POLICY) {
                if (d->name) {
                        free(c->name);
                        c->name = strdup(d->name);
                }
                if (d->network >= 0) {
                        c->network = d->network;
                        c->network_loc = d->network_loc;
                }
                normalise_list(c, &d->writable, &m->writable);
                normalise_list(c, &d->read_only, &m->read_only);
                normalise_list(c, &d->readable, &m->readable);
                normalise_list(c, &d->unreadable, &m->unreadable);
                normalise_list(c, &d->cache, &m->cache);
                for (uint32_t b = 0; b < BW_PROTECTED_COUNT; b++)
                        if (d->unprotect & (UINT32_C(1) << b)) {
                                m->unprotect |= UINT32_C(1) << b;
                                m->unprotect_loc[b] = d->unprotect_loc[b];
                        }
                return;
        }
        normalise_list(c, &d->writable_within, &m->writable_within);
        normalise_list(c, &d->never_writable, &m->never_writable);
        normalise_list(c, &d->always_read_only, &m->always_read_only);
        normalise_list(c, &d->never_readable, &m->never_readable);
        m->allow_unprotect |= d->allow_unprotect;
        if (d->network_allowed >= 0) {
                m->network_allowed =
                        m->network_allowed < 0 ? d->network_allowed : (m->network_allowed & d->network_allowed);
                m->network_allowed_loc = d->network_allowed_loc;
        }
        if (d->require_signed == 1)
                c->require_signed = true;
}

int bw_compile(const struct bw_compile_options *o, struct bw_compilation *c) {
        *c = (struct bw_compilation){.network = BW_NETWORK_OFF};
        for (int i = 0; i < BW_VAR_COUNT; i++)
                if (o->bindings.value[i]) {
                        c->bound_values[i] = strdup(o->bindings.value[i]);
                        if (!c->bound_values[i])
                                abort();
                        c->bindings.value[i] = c->bound_values[i];
                }
        char *self = strdup(BW_COMPILER_NAME);
        if (!self)
                abort();
        bw_sources_add(&c->sources, "bulwarkc", NULL, self, strlen(self), BW_LAYER_COMPILER);
        c->network_loc = (struct bw_loc){.source = 0};

        char *text;
        size_t len;
        uint32_t main_idx;
        char real[PATH_MAX];
        struct visit root = {o->policy_path, NULL};
        if (strncmp(o->policy_path, "builtin:", 8) == 0) {
                /* A built-in profile compiled directly, e.g. the README's quick start. */
                const struct bw_profile *p = find_profile(o->policy_path + 8);
                if (!p)
                        return -ENOENT;
                text = strndup(p->text, p->len);
                if (!text)
                        abort();
                main_idx = bw_sources_add(&c->sources, o->policy_path, NULL, text, p->len, BW_LAYER_PROFILE);
        } else {
                int r = read_file(o->policy_path, &text, &len);
                if (r < 0)
                        return r;
                main_idx = bw_sources_add(&c->sources, o->policy_path, o->policy_path, text, len, BW_LAYER_POLICY);
                if (realpath(o->policy_path, real))
                        root.identity = real;
        }

        struct layer_set layers = {0};
        load_layers(c, main_idx, &root, 0, &layers);
        c->main_kind = layers.n ? layers.docs[layers.n - 1].kind : BW_DOC_POLICY;
        if (o->admin_dir)
                load_admin(c, o, &layers);

        struct merged m = {.network_allowed = -1};
        for (size_t i = 0; i < layers.n; i++)
                merge_into(c, &m, &layers.docs[i]);

        if (c->main_kind == BW_DOC_POLICY) {
                check_constraints(c, &m);
                warn_useless(c, &m);

                struct {
                        struct norm_list *l;
                        uint32_t kind;
                        uint32_t flags;
                } groups[] = {
                        {&m.writable, BW_RULE_WRITABLE, 0},
                        {&m.read_only, BW_RULE_READ_ONLY, 0},
                        {&m.readable, BW_RULE_READABLE, 0},
                        {&m.unreadable, BW_RULE_UNREADABLE, 0},
                        {&m.cache, BW_RULE_CACHE, 0},
                        {&m.never_writable, BW_RULE_READ_ONLY, BW_RULE_ADMIN},
                        {&m.always_read_only, BW_RULE_READ_ONLY, BW_RULE_ADMIN},
                        {&m.never_readable, BW_RULE_UNREADABLE, BW_RULE_ADMIN},
                };
                for (size_t g = 0; g < BW_ARRAY_SIZE(groups); g++)
                        for (size_t i = 0; i < groups[g].l->n; i++) {
                                const struct norm_entry *e = &groups[g].l->v[i];
                                uint32_t flags = groups[g].flags | (e->ignore_case ? BW_RULE_IGNORE_CASE : 0);
                                if (e->match == BW_MATCH_GLOB && strncmp(e->text, "**/", 3) == 0)
                                        flags |= BW_RULE_ANYWHERE;
                                add_rule(c, e->text, groups[g].kind, e->match, flags, e->loc);
                        }
                /* Protected defaults: inside every writable root, at any depth, in any case. A name
                 * stays protected unless unprotected, and (for those that need it) the admin allowed
                 * that; the error for a forbidden unprotect is check_constraints()'s. */
                for (uint32_t b = 0; b < BW_PROTECTED_COUNT; b++) {
                        uint32_t bit = UINT32_C(1) << b;
                        bool dropped = (m.unprotect & bit) &&
                                       (!bw_protected_names[b].needs_admin || (m.allow_unprotect & bit));
                        if (dropped) {
                                c->unprotected |= bit;
                                c->unprotected_loc[b] = m.unprotect_loc[b];
                                continue;
                        }
                        _cleanup_free_ char *glob = NULL;
                        if (asprintf(&glob, "**/%s", bw_protected_names[b].name) < 0)
                                abort();
                        add_rule(c, glob, BW_RULE_READ_ONLY, BW_MATCH_GLOB,
                                 BW_RULE_PROTECTED | BW_RULE_ANYWHERE | BW_RULE_IGNORE_CASE,
                                 (struct bw_loc){.source = 0});
                }
                settle_precedence(c);
                bw_env_resolve(c, &m.env);
        }
        bw_env_merge_done(&m.env);

        struct norm_list *all[] = {&m.writable,      &m.read_only,       &m.readable,       &m.unreadable,
                                   &m.cache,         &m.writable_within, &m.never_writable, &m.always_read_only,
                                   &m.never_readable};
        for (size_t i = 0; i < BW_ARRAY_SIZE(all); i++)
                norm_done(all[i]);
        for (size_t i = 0; i < layers.n; i++)
                bw_policy_doc_done(&layers.docs[i]);
        free(layers.docs);
        return c->diags.n_errors ? -EINVAL : 0;
}

void bw_compilation_done(struct bw_compilation *c) {
        for (size_t i = 0; i < c->n_rules; i++)
                free(c->rules[i].text);
        free(c->rules);
        for (size_t i = 0; i < c->n_env; i++) {
                free(c->env[i].name);
                free(c->env[i].value);
        }
        free(c->env);
        free(c->name);
        for (size_t i = 0; i < c->n_loaded; i++)
                free(c->loaded[i]);
        free(c->loaded);
        for (int i = 0; i < BW_VAR_COUNT; i++)
                free(c->bound_values[i]);
        bw_diags_done(&c->diags);
        bw_sources_done(&c->sources);
        *c = (struct bw_compilation){0};
}
