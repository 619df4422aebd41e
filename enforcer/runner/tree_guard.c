/* SPDX-License-Identifier: MIT */
#include "tree_guard.h"
#include "gitconfig.h"
#include "pattern.h"
#include "plan.h"
#include "sha256.h"
#include "safe_open.h"
#include "strbuf.h"
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* More binds than this and the sandbox's mount table (and its start) grows out of proportion:
 * such a pattern should name a directory instead. */
#define MAX_HITS 4096
#define MAX_DEPTH 128
#define MAX_CONFIG_SIZE (1u << 20)
#define MAX_INCLUDE_DEPTH 10
#define QUARANTINE ".bulwark-quarantine"

struct rule {
        enum bw_guard_action action;
        unsigned flags;
        char *text;  /* as given (for the index's key) */
        char *exact; /* a literal read_only path: the whole path is compared */
        char *name;  /* "**" "/NAME" with a literal NAME: names are compared, no regex */
        struct bw_pattern pat;
        bool has_pat;
        /* a prefilter on the last path component, from a glob's last component: its literal
         * start and end (a component such as ".env*" needs the name to start with ".env") */
        char *pre, *suf;
        /* the names or paths a symbolic link must not have, for what the rule protects below it
         * (see link_rules) */
        char **link_names; /* "**" "/.github/instructions": a link named .github, at any depth */
        size_t n_link_names;
        char *fixed; /* the fixed prefix "/ws/secrets/" of a rule for what is below /ws/secrets: a link there */
};

struct dirrec {
        char *path;
        dev_t dev;
        ino_t ino;
        struct timespec ctime;
        bool opaque;   /* could not be read before the run: always read again after it */
        bool borrowed; /* path points into the snapshot's arena (an index read in) */
};

/* An open-addressing set of (dev, ino), with a value (an index into dirs, or 0). */
struct idset {
        struct idslot {
                uint64_t dev, ino;
                uint32_t value;
                bool used;
        } * slots;
        size_t n_slots, n_used;
};

struct str_vec {
        char **v;
        size_t n, cap;
};

/* A symbolic link in a root on the way to something protected (a carve-out that is a link, a
 * directory link in the path git's config names): a link cannot be bound read-only, so it is put
 * back after the run if the run removed or replaced it. */
struct watched {
        char *path, *target;
        uint64_t dev, ino;
        struct timespec ctime;
};

/* An object protected before the run. parent: the record of the directory it was found in
 * (NO_PARENT for the paths git's config names, which are found again every run). */
#define NO_PARENT UINT32_MAX
enum hit_kind { HIT_PLAIN = 0, HIT_LINK = 1, HIT_GITDIR = 2 /* a repository without a .git name */ };
struct hitrec {
        char *path;
        uint64_t dev, ino;
        uint32_t parent;
        uint8_t action, kind;
        bool borrowed;
};

/* What a file or directory is: its change time moves with every change to it (content, entries,
 * mode, owner, links) and nobody can set it back. ino 0: it did not exist. */
struct fid {
        uint64_t dev, ino;
        int64_t sec, nsec;
};

/* A repository whose git files name nothing outside .git (see repo_refs_cached): the identity of
 * the .git directory, its config and its hooks directory when that was found. */
struct quiet {
        struct fid gitdir, config, hooks;
};

/* Directories (and the objects found in them) at one moment: now, or the index of a run before. */
struct snapshot {
        struct dirrec *dirs;
        size_t n_dirs, cap_dirs;
        struct hitrec *hits;
        size_t n_hits, cap_hits;
        struct idset ids; /* directories: value = index + 1 */
        struct quiet *quiet;
        size_t n_quiet, cap_quiet;
        char *arena; /* the index file the borrowed paths point into */
};

struct bw_guard {
        uid_t trusted;
        char *home;
        struct str_vec roots, literals, missing, repos;
        struct str_vec gitdirs;    /* directories git takes for a repository without a .git name (bare) */
        struct str_vec agent_cfgs; /* protected agent and editor configuration that may name programs */
        unsigned n_agent_refs;     /* programs it named, protected this scan (bounded) */
        struct watched *links;
        size_t n_links;
        struct rule *rules;
        size_t n_rules;
        struct snapshot now;  /* the tree as the run starts */
        struct idset known;   /* objects protected before the run */
        struct idset visited; /* directories read (again) during a pass */
        char *index_path;     /* where the snapshot is kept between runs, or NULL */
        uint8_t key[32];      /* what the index must have been made for (roots and rules) */
        bool used_index, index_stale;
        bool dead_check;                /* checking for a killed run (finish_dead_runs) */
        int64_t check_from_ns;          /* what is older than this is not the run's doing */
        int64_t run_from_ns;            /* the same, never waived (a directory locked since: by the run) */
        int64_t scan_start_ns;          /* CLOCK_REALTIME when the scan began (racy directories) */
        char *pending_path;             /* the index linked under this run's name until its check is done */
        int *root_fds;                  /* O_PATH fds of the roots, for the sweeps */
        struct str_vec global_relative; /* relative hooksPath / programs of the user's global config */
        struct str_vec global_hooks;    /* an absolute core.hooksPath of the user's global config */
        unsigned n_hits, n_dirs_read;
        /* repositories found quiet by an earlier run (by the identity of their .git: value = index) */
        struct quiet *prev_quiet;
        size_t n_prev_quiet;
        struct idset prev_quiet_ids;
        unsigned quiet_reused, repos_read;
        bool quiet_changed;
        unsigned noise; /* counts what makes a repository's reading not quiet (see repo_refs_cached) */
        /* during a scan */
        void (*add)(void *ud, const char *path, enum bw_guard_action action);
        void *ud;
        char *msg;
        size_t msg_size;
        /* after the run */
        FILE *report;
        unsigned neutralised;
        unsigned kept_repos;  /* new repositories made safe in place, protected by the next run */
        unsigned kept_hidden; /* new unreadable matches left in place, hidden by the next run */
};

/* ---- small containers ---- */

static void vec_add(struct str_vec *v, const char *s) {
        if (v->n == v->cap) {
                v->cap = v->cap ? v->cap * 2 : 16;
                v->v = realloc(v->v, v->cap * sizeof(*v->v));
                if (!v->v)
                        abort();
        }
        v->v[v->n] = strdup(s);
        if (!v->v[v->n])
                abort();
        v->n++;
}

static void vec_free(struct str_vec *v) {
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        *v = (struct str_vec){0};
}

static uint64_t id_hash(uint64_t dev, uint64_t ino) {
        uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ (dev + 0x632be59bd9b4e019ull);
        return h ^ (h >> 29);
}

static struct idslot *id_find(const struct idset *s, uint64_t dev, uint64_t ino) {
        if (!s->n_slots)
                return NULL;
        for (size_t i = id_hash(dev, ino) & (s->n_slots - 1);; i = (i + 1) & (s->n_slots - 1)) {
                struct idslot *e = &s->slots[i];
                if (!e->used)
                        return NULL;
                if (e->dev == dev && e->ino == ino)
                        return e;
        }
}

static void id_put(struct idset *s, uint64_t dev, uint64_t ino, uint32_t value) {
        if ((s->n_used + 1) * 2 > s->n_slots) {
                struct idset bigger = {.n_slots = s->n_slots ? s->n_slots * 2 : 256};
                bigger.slots = calloc(bigger.n_slots, sizeof(*bigger.slots));
                if (!bigger.slots)
                        abort();
                for (size_t i = 0; i < s->n_slots; i++)
                        if (s->slots[i].used)
                                id_put(&bigger, s->slots[i].dev, s->slots[i].ino, s->slots[i].value);
                free(s->slots);
                *s = bigger;
        }
        for (size_t i = id_hash(dev, ino) & (s->n_slots - 1);; i = (i + 1) & (s->n_slots - 1)) {
                struct idslot *e = &s->slots[i];
                if (e->used && e->dev == dev && e->ino == ino) {
                        e->value = value;
                        return;
                }
                if (!e->used) {
                        *e = (struct idslot){dev, ino, value, true};
                        s->n_used++;
                        return;
                }
        }
}

/* ---- paths ---- */

static bool within(const char *path, const char *root) {
        size_t n = strlen(root);
        if (n == 1)
                return path[0] == '/';
        return strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* Lexical normalisation of an absolute path ("//", ".", ".."): false when it does not fit. */
static bool normalize(const char *in, char *out, size_t size) {
        size_t n = 0;
        if (in[0] != '/' || size < 2)
                return false;
        out[n++] = '/';
        for (const char *p = in; *p;) {
                while (*p == '/')
                        p++;
                const char *e = p + strcspn(p, "/");
                size_t len = (size_t) (e - p);
                if (len == 0)
                        break;
                if (len == 1 && p[0] == '.') {
                } else if (len == 2 && p[0] == '.' && p[1] == '.') {
                        while (n > 1 && out[n - 1] != '/')
                                n--;
                        if (n > 1)
                                n--;
                } else {
                        if (n + (n > 1) + len + 1 > size)
                                return false;
                        if (n > 1)
                                out[n++] = '/';
                        memcpy(out + n, p, len);
                        n += len;
                }
                p = e;
        }
        out[n] = 0;
        return true;
}

/* Join base (a directory) and rel (absolute, "~/...", or relative), normalised. */
static bool resolve(const struct bw_guard *g, const char *base, const char *rel, char *out, size_t size) {
        char joined[PATH_MAX * 2];
        if (rel[0] == '/')
                snprintf(joined, sizeof(joined), "%s", rel);
        else if (rel[0] == '~' && rel[1] == '/')
                snprintf(joined, sizeof(joined), "%s/%s", g->home, rel + 2);
        else if (rel[0] == '~')
                return false; /* ~otheruser: not ours to guess */
        else
                snprintf(joined, sizeof(joined), "%s/%s", base, rel);
        return normalize(joined, out, size);
}

static const char *root_of(const struct bw_guard *g, const char *path) {
        for (size_t i = 0; i < g->roots.n; i++)
                if (within(path, g->roots.v[i]))
                        return g->roots.v[i];
        return NULL;
}

static int open_own_locked(const struct bw_guard *g, int dfd, const char *name);

/* Open a directory below its root without following any symlink below the root; after the run
 * (unlock), also through the directories the run locked (open_own_locked). */
static int open_below(const struct bw_guard *g, const char *path, bool unlock) {
        const char *root = root_of(g, path);
        if (!root)
                return -ENOENT;
        int fd = bw_open_path_safely(root, O_RDONLY | O_DIRECTORY, g->trusted);
        if (fd < 0)
                return fd;
        const char *p = path + strlen(root);
        while (*p == '/')
                p++;
        while (*p) {
                char name[NAME_MAX + 1];
                size_t len = strcspn(p, "/");
                if (len > NAME_MAX) {
                        close(fd);
                        return -ENAMETOOLONG;
                }
                memcpy(name, p, len);
                name[len] = 0;
                int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int e = errno;
                if (next < 0 && e == EACCES && unlock && (next = open_own_locked(g, fd, name)) < 0)
                        e = EACCES;
                close(fd);
                if (next < 0)
                        return -e;
                fd = next;
                p += len;
                while (*p == '/')
                        p++;
        }
        return fd;
}

/* ---- snapshots ---- */

/* Room for n more directories (and their ids) without growing one at a time. */
static void snapshot_reserve(struct snapshot *sn, size_t n) {
        if (sn->n_dirs + n > sn->cap_dirs) {
                sn->cap_dirs = sn->n_dirs + n;
                sn->dirs = realloc(sn->dirs, sn->cap_dirs * sizeof(*sn->dirs));
                if (!sn->dirs)
                        abort();
        }
        size_t want = sn->ids.n_slots ? sn->ids.n_slots : 256;
        while ((sn->ids.n_used + n + 1) * 2 > want)
                want *= 2;
        if (want != sn->ids.n_slots) {
                struct idset bigger = {.n_slots = want};
                bigger.slots = calloc(want, sizeof(*bigger.slots));
                if (!bigger.slots)
                        abort();
                for (size_t i = 0; i < sn->ids.n_slots; i++)
                        if (sn->ids.slots[i].used)
                                id_put(&bigger, sn->ids.slots[i].dev, sn->ids.slots[i].ino, sn->ids.slots[i].value);
                free(sn->ids.slots);
                sn->ids = bigger;
        }
}

/* A directory's record, its path copied, or borrowed (an arena's: see struct snapshot). */
static uint32_t snapshot_dir_as(struct snapshot *sn, char *path, bool borrow, uint64_t dev, uint64_t ino,
                                struct timespec ctime, bool opaque) {
        if (sn->n_dirs == sn->cap_dirs) {
                sn->cap_dirs = sn->cap_dirs ? sn->cap_dirs * 2 : 256;
                sn->dirs = realloc(sn->dirs, sn->cap_dirs * sizeof(*sn->dirs));
                if (!sn->dirs)
                        abort();
        }
        struct dirrec *d = &sn->dirs[sn->n_dirs++];
        *d = (struct dirrec){borrow ? path : strdup(path), (dev_t) dev, (ino_t) ino, ctime, opaque, borrow};
        id_put(&sn->ids, dev, ino, (uint32_t) sn->n_dirs);
        return (uint32_t) (sn->n_dirs - 1);
}

static uint32_t snapshot_dir(struct snapshot *sn, const char *path, uint64_t dev, uint64_t ino, struct timespec ctime,
                             bool opaque) {
        uint32_t i = snapshot_dir_as(sn, NULL, true, dev, ino, ctime, opaque);
        sn->dirs[i].path = strdup(path);
        sn->dirs[i].borrowed = false;
        if (!sn->dirs[i].path)
                abort();
        return i;
}

/*
 * A directory changed within a clock tick of the scan may change again in that same tick without
 * its ctime moving (file times are kept at the kernel's coarse clock: 4 ms here): it is recorded
 * as to be read again, before and after every run, until its ctime is old enough (as git's
 * "racy" index entries). RACY_MARGIN is well above any tick length.
 */
#define RACY_MARGIN_NS 100000000ll
static bool racy(const struct bw_guard *g, const struct stat *st);

static void snapshot_hit_as(struct snapshot *sn, char *path, bool borrow, uint64_t dev, uint64_t ino, uint32_t parent,
                            uint8_t action, uint8_t kind) {
        if (sn->n_hits == sn->cap_hits) {
                sn->cap_hits = sn->cap_hits ? sn->cap_hits * 2 : 64;
                sn->hits = realloc(sn->hits, sn->cap_hits * sizeof(*sn->hits));
                if (!sn->hits)
                        abort();
        }
        sn->hits[sn->n_hits] = (struct hitrec){borrow ? path : strdup(path), dev, ino, parent, action, kind, borrow};
        sn->n_hits++;
}

static void snapshot_hit(struct snapshot *sn, const char *path, uint64_t dev, uint64_t ino, uint32_t parent,
                         uint8_t action, uint8_t kind) {
        snapshot_hit_as(sn, NULL, true, dev, ino, parent, action, kind);
        sn->hits[sn->n_hits - 1].path = strdup(path);
        sn->hits[sn->n_hits - 1].borrowed = false;
        if (!sn->hits[sn->n_hits - 1].path)
                abort();
}

static void snapshot_quiet(struct snapshot *sn, const struct quiet *q) {
        if (sn->n_quiet == sn->cap_quiet) {
                sn->cap_quiet = sn->cap_quiet ? sn->cap_quiet * 2 : 64;
                sn->quiet = realloc(sn->quiet, sn->cap_quiet * sizeof(*sn->quiet));
                if (!sn->quiet)
                        abort();
        }
        sn->quiet[sn->n_quiet++] = *q;
}

static void snapshot_free(struct snapshot *sn) {
        for (size_t i = 0; i < sn->n_dirs; i++)
                if (!sn->dirs[i].borrowed)
                        free(sn->dirs[i].path);
        for (size_t i = 0; i < sn->n_hits; i++)
                if (!sn->hits[i].borrowed)
                        free(sn->hits[i].path);
        free(sn->arena);
        free(sn->dirs);
        free(sn->hits);
        free(sn->quiet);
        free(sn->ids.slots);
        *sn = (struct snapshot){0};
}

/* Is the directory st, found at path, the one rec describes, unchanged (entries added, removed
 * or renamed move the change time, which the command cannot set back)? */
static bool unchanged(const struct dirrec *rec, const char *path, const struct stat *st) {
        return !rec->opaque && rec->dev == st->st_dev && rec->ino == st->st_ino &&
               rec->ctime.tv_sec == st->st_ctim.tv_sec && rec->ctime.tv_nsec == st->st_ctim.tv_nsec &&
               (!path || bw_streq(rec->path, path));
}

/* lstat() of a recorded directory, relative to an fd of its root (the sweeps before and after
 * the run stat every directory: a shorter walk per name is a third of their cost). */
static int stat_recorded(const struct bw_guard *g, const char *path, struct stat *st) {
        for (size_t i = 0; i < g->roots.n; i++) {
                const char *root = g->roots.v[i];
                if (!within(path, root))
                        continue;
                const char *rel = path + (root[1] ? strlen(root) : 0);
                while (*rel == '/')
                        rel++;
                if (g->root_fds && g->root_fds[i] >= 0)
                        return fstatat(g->root_fds[i], *rel ? rel : ".", st, AT_SYMLINK_NOFOLLOW);
                break;
        }
        return lstat(path, st);
}

static void open_root_fds(struct bw_guard *g) {
        if (g->root_fds)
                return;
        g->root_fds = malloc((g->roots.n + 1) * sizeof(*g->root_fds));
        if (!g->root_fds)
                abort();
        for (size_t i = 0; i < g->roots.n; i++)
                g->root_fds[i] = bw_open_path_safely(g->roots.v[i], O_PATH | O_DIRECTORY, g->trusted);
}

static bool racy(const struct bw_guard *g, const struct stat *st) {
        int64_t c = (int64_t) st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;
        return c >= g->scan_start_ns - RACY_MARGIN_NS;
}

/* ---- set-up ---- */

struct bw_guard *bw_guard_new(uid_t trusted_uid, const char *home) {
        struct bw_guard *g = calloc(1, sizeof(*g));
        if (!g || !(g->home = strdup(home ? home : "/")))
                abort();
        g->trusted = trusted_uid;
        g->report = stderr;
        return g;
}

void bw_guard_free(struct bw_guard *g) {
        if (!g)
                return;
        for (size_t i = 0; i < g->n_rules; i++) {
                free(g->rules[i].text);
                free(g->rules[i].exact);
                free(g->rules[i].name);
                free(g->rules[i].pre);
                for (size_t k = 0; k < g->rules[i].n_link_names; k++)
                        free(g->rules[i].link_names[k]);
                free(g->rules[i].link_names);
                free(g->rules[i].fixed);
                free(g->rules[i].suf);
                if (g->rules[i].has_pat)
                        bw_pattern_done(&g->rules[i].pat);
        }
        free(g->rules);
        snapshot_free(&g->now);
        for (size_t i = 0; g->root_fds && i < g->roots.n; i++)
                if (g->root_fds[i] >= 0)
                        close(g->root_fds[i]);
        free(g->root_fds);
        free(g->known.slots);
        free(g->visited.slots);
        free(g->prev_quiet);
        free(g->prev_quiet_ids.slots);
        free(g->index_path);
        free(g->pending_path);
        vec_free(&g->roots);
        vec_free(&g->literals);
        vec_free(&g->missing);
        vec_free(&g->repos);
        vec_free(&g->gitdirs);
        vec_free(&g->agent_cfgs);
        for (size_t i = 0; i < g->n_links; i++) {
                free(g->links[i].path);
                free(g->links[i].target);
        }
        free(g->links);
        vec_free(&g->global_relative);
        vec_free(&g->global_hooks);
        free(g->home);
        free(g);
}

void bw_guard_add_root(struct bw_guard *g, const char *root) {
        for (size_t i = 0; i < g->roots.n; i++)
                if (within(root, g->roots.v[i]))
                        return;
        /* a root that contains earlier ones replaces them */
        size_t keep = 0;
        for (size_t i = 0; i < g->roots.n; i++) {
                if (within(g->roots.v[i], root))
                        free(g->roots.v[i]);
                else
                        g->roots.v[keep++] = g->roots.v[i];
        }
        g->roots.n = keep;
        vec_add(&g->roots, root);
}

void bw_guard_add_literal(struct bw_guard *g, const char *path) {
        vec_add(&g->literals, path);
        /* also a rule of the walk: one that appears where there was none is a new match */
        g->rules = realloc(g->rules, (g->n_rules + 1) * sizeof(*g->rules));
        if (!g->rules)
                abort();
        g->rules[g->n_rules++] =
                (struct rule){.action = BW_GUARD_READ_ONLY, .text = strdup(path), .exact = strdup(path)};
}

/* "**" "/{a,b,c}" with literal names a, b, c (a family of protected names): one name rule each,
 * compared as names like "**" "/NAME", not a regex for every entry of the walk. */
static bool add_name_family(struct bw_guard *g, const char *text, enum bw_guard_action action, unsigned flags) {
        const char *body = text + 4;
        size_t n = strlen(body);
        if (strncmp(text, "**/{", 4) != 0 || n < 2 || body[n - 1] != '}' || strpbrk(body, "*?[]{\\/") != body + n - 1)
                return false;
        for (const char *a = body; a < body + n - 1;) {
                size_t len = strcspn(a, ",}");
                if (len == 0)
                        return false; /* an empty alternative: left to the regex */
                a += len + 1;
        }
        for (const char *a = body; a < body + n - 1;) {
                size_t len = strcspn(a, ",}");
                g->rules = realloc(g->rules, (g->n_rules + 1) * sizeof(*g->rules));
                if (!g->rules)
                        abort();
                g->rules[g->n_rules++] =
                        (struct rule){.action = action, .flags = flags, .text = strdup(text), .name = strndup(a, len)};
                a += len + 1;
        }
        return true;
}

/*
 * What a rule protects below a directory is reached through a symbolic link of that directory's
 * name too (.github -> a directory of the command's, holding instructions/: Copilot follows it),
 * and the walk does not follow links. So the first component of "**" "/A/..." (of each
 * alternative "A/..." in a leading {...} group) is a name no link may have, and every directory
 * of a rule's fixed prefix ("/ws/secrets/" of a glob for the keys below it) a path no link may have: such a link
 * is a match of the rule (protected, like a carve-out that is a link: what it leads to is
 * protected too; a new one is moved aside after the run).
 */
static void add_link_name(struct rule *r, const char *a, size_t n) {
        if (n == 0 || memchr(a, '*', n) || memchr(a, '?', n) || memchr(a, '[', n) || memchr(a, '\\', n) ||
            memchr(a, '{', n))
                return;
        r->link_names = realloc(r->link_names, (r->n_link_names + 1) * sizeof(*r->link_names));
        if (!r->link_names)
                abort();
        r->link_names[r->n_link_names++] = strndup(a, n);
}

static void link_prefixes(struct rule *r, const char *text, uint32_t match) {
        if (match == BW_MATCH_GLOB && strncmp(text, "**/", 3) == 0) {
                const char *t = text + 3;
                if (*t == '{') {
                        const char *close = strchr(t, '}');
                        for (const char *a = t + 1; close && a < close;) {
                                size_t n = strcspn(a, ",}");
                                const char *slash = memchr(a, '/', n);
                                if (slash)
                                        add_link_name(r, a, (size_t) (slash - a));
                                a += n + 1;
                        }
                } else {
                        size_t n = strcspn(t, "/*?[{\\");
                        if (t[n] == '/')
                                add_link_name(r, t, n);
                }
                return;
        }
        r->fixed = bw_pattern_fixed_prefix(text, match);
}

/* A symbolic link at path (named name) where a rule protects something below it. */
static enum bw_guard_action link_rules(const struct bw_guard *g, const char *path, const char *name, unsigned *flags) {
        enum bw_guard_action best = 0;
        size_t len = strlen(path);
        for (size_t i = 0; i < g->n_rules; i++) {
                const struct rule *r = &g->rules[i];
                bool hit = r->fixed && strncmp(r->fixed, path, len) == 0 && r->fixed[len] == '/';
                for (size_t k = 0; k < r->n_link_names && !hit; k++)
                        hit = (r->flags & BW_GUARD_IGNORE_CASE) ? strcasecmp(name, r->link_names[k]) == 0
                                                                : bw_streq(name, r->link_names[k]);
                if (!hit)
                        continue;
                *flags |= r->flags & BW_GUARD_PROTECTED;
                if (r->action > best)
                        best = r->action;
        }
        return best;
}

/* Is text[at] inside a {...} group? (Then what follows the last '/' is not a whole last
 * component: "**" "/{.mise,.config/mise}" ends in "mise}".) */
static bool in_braces(const char *text, size_t at) {
        int depth = 0;
        for (size_t i = 0; i < at; i++) {
                if (text[i] == '\\' && text[i + 1])
                        i++;
                else if (text[i] == '{')
                        depth++;
                else if (text[i] == '}' && depth > 0)
                        depth--;
        }
        return depth > 0;
}

int bw_guard_add_pattern(struct bw_guard *g, const char *text, uint32_t match, enum bw_guard_action action,
                         unsigned flags, const char **err) {
        if (match == BW_MATCH_GLOB && add_name_family(g, text, action, flags))
                return 0;
        struct rule r = {.action = action, .flags = flags, .text = strdup(text)};
        bool ic = flags & BW_GUARD_IGNORE_CASE;
        if (match == BW_MATCH_GLOB && strncmp(text, "**/", 3) == 0 && !strpbrk(text + 3, "*?[]{}\\/")) {
                r.name = strdup(text + 3);
        } else {
                struct bw_pattern_error pe;
                if (bw_pattern_compile(text, match, ic, &r.pat, &pe) < 0) {
                        *err = "the pattern does not compile";
                        return -EINVAL;
                }
                r.has_pat = true;
                link_prefixes(&r, text, match);
                const char *last = strrchr(text, '/');
                last = last ? last + 1 : text;
                if (match == BW_MATCH_GLOB && !strstr(last, "**") && !in_braces(text, (size_t) (last - text))) {
                        size_t a = strcspn(last, "*?[{\\");
                        const char *specials = "*?]}\\";
                        const char *end = last + strlen(last), *s = end;
                        while (s > last && !strchr(specials, s[-1]))
                                s--;
                        r.pre = strndup(last, a);
                        r.suf = strdup(a == strlen(last) ? "" : s);
                }
        }
        g->rules = realloc(g->rules, (g->n_rules + 1) * sizeof(*g->rules));
        if (!g->rules)
                abort();
        g->rules[g->n_rules++] = r;
        return 0;
}

/* ---- matching ---- */

static bool affix_ok(const struct rule *r, const char *name, size_t len) {
        if (!r->pre)
                return true;
        size_t a = strlen(r->pre), b = strlen(r->suf);
        if (a + b > len && !(a == len && b == len))
                return false;
        if (r->flags & BW_GUARD_IGNORE_CASE)
                return strncasecmp(name, r->pre, a) == 0 && strcasecmp(name + len - b, r->suf) == 0;
        return strncmp(name, r->pre, a) == 0 && memcmp(name + len - b, r->suf, b) == 0;
}

/* NAME.bulwark-quarantine or NAME.bulwark-quarantine.N: what a check after a run moved aside. */
static bool is_quarantined(const char *name, size_t len) {
        const char *q = NULL;
        for (const char *p = name; (p = strstr(p, QUARANTINE)); p++)
                q = p;
        if (!q)
                return false;
        const char *end = q + strlen(QUARANTINE);
        if (end == name + len)
                return true;
        if (*end != '.' || end + 1 == name + len)
                return false;
        return strspn(end + 1, "0123456789") == (size_t) (name + len - end - 1);
}

/*
 * A file system that folds case (ext4 or f2fs with casefold, directory by directory) compares
 * names by their Unicode case folding after NFD, and a few characters fold to ASCII letters there:
 * the Kelvin sign to k, the long s to s, sharp s to ss, the Latin ligatures to ff, fi, fl, ffi,
 * ffl and st. A command that makes "lefthoo\u212A.yml" or ".pre-commit-con\uFB01g.yaml" in such a
 * directory made what lefthook and pre-commit open as lefthook.yml and .pre-commit-config.yaml:
 * case-insensitive rules compare the folded form too. (Other non-ASCII names cannot fold to an
 * ASCII one.) Returns false when nothing folded (or out is too small): compare the name as it is.
 */
static bool fold_to_ascii(const char *in, size_t len, char *out, size_t size) {
        static const struct {
                const char *utf8, *ascii;
        } folds[] = {{"\xe2\x84\xaa", "k"},   {"\xc5\xbf", "s"},      {"\xc3\x9f", "ss"},     {"\xe1\xba\x9e", "ss"},
                     {"\xef\xac\x80", "ff"},  {"\xef\xac\x81", "fi"}, {"\xef\xac\x82", "fl"}, {"\xef\xac\x83", "ffi"},
                     {"\xef\xac\x84", "ffl"}, {"\xef\xac\x85", "st"}, {"\xef\xac\x86", "st"}};
        bool folded = false;
        size_t o = 0;
        for (size_t i = 0; i < len;) {
                size_t k = 0, step = 1;
                const char *rep = NULL;
                if ((unsigned char) in[i] >= 0x80)
                        for (k = 0; k < BW_ARRAY_SIZE(folds) && !rep; k++) {
                                size_t n = strlen(folds[k].utf8);
                                if (n <= len - i && memcmp(in + i, folds[k].utf8, n) == 0)
                                        rep = folds[k].ascii, step = n;
                        }
                size_t need = rep ? strlen(rep) : 1;
                if (o + need >= size)
                        return false;
                if (rep) {
                        memcpy(out + o, rep, need);
                        folded = true;
                } else
                        out[o] = in[i];
                o += need;
                i += step;
        }
        out[o] = 0;
        return folded;
}

/* The strongest action of the rules that match (0: none); *flags gets BW_GUARD_PROTECTED when a
 * protected default matched. What a check moved aside matches nothing: it is no longer what the
 * rule protects (no tool reads .env.bulwark-quarantine), it holds what a run made, and counting it
 * would let a run that makes thousands of .env files (moved aside to names that still match
 * .env*) stop every later run at the limit of binds. */
static enum bw_guard_action match_rules(const struct bw_guard *g, const char *path, size_t len, const char *name,
                                        unsigned *flags) {
        enum bw_guard_action best = 0;
        size_t nlen = strlen(name);
        *flags = 0;
        if (is_quarantined(name, nlen))
                return 0;
        /* the path with every name folded (see fold_to_ascii), when folding changes it */
        char fpath[PATH_MAX * 3 + 1];
        bool folds = false;
        for (size_t i = 0; i < len && !folds; i++)
                folds = (unsigned char) path[i] >= 0x80;
        folds = folds && fold_to_ascii(path, len, fpath, sizeof(fpath));
        const char *fname = folds ? strrchr(fpath, '/') : NULL;
        fname = fname ? fname + 1 : fpath;
        size_t flen = folds ? strlen(fpath) : 0, fnlen = folds ? strlen(fname) : 0;
        for (size_t i = 0; i < g->n_rules; i++) {
                const struct rule *r = &g->rules[i];
                bool ic = r->flags & BW_GUARD_IGNORE_CASE, hit;
                if (r->exact)
                        hit = bw_streq(path, r->exact);
                else if (r->name)
                        hit = ic ? strcasecmp(name, r->name) == 0 || (folds && strcasecmp(fname, r->name) == 0)
                                 : bw_streq(name, r->name);
                else {
                        /* a PCRE2 limit or a name that is not UTF-8: undecided, so protected */
                        hit = affix_ok(r, name, nlen) && bw_pattern_match_md(&r->pat, r->pat.md, path, len) != 0;
                        if (!hit && ic && folds)
                                hit = affix_ok(r, fname, fnlen) &&
                                      bw_pattern_match_md(&r->pat, r->pat.md, fpath, flen) != 0;
                }
                if (!hit)
                        continue;
                *flags |= r->flags & BW_GUARD_PROTECTED;
                if (r->action > best)
                        best = r->action;
        }
        return best;
}

static bool is_git_name(const char *name) {
        return strcasecmp(name, ".git") == 0;
}

/*
 * git takes a directory for a repository when it holds HEAD with objects and refs (a bare
 * repository), or HEAD with a commondir file (a worktree's git directory), and it looks for one in
 * every directory from where it runs up to /, before the .git above: a directory the command made
 * so, anywhere in a root, is a config and hooks that ann's git in it or below would use. Judged by
 * the names alone, whatever they are or lead to (a dangling objects link whose target appears in
 * a later run would make one without this directory changing): HEAD and any of the others.
 */
static bool looks_like_gitdir(int dfd, const char *name) {
        struct stat st;
        if (name && is_git_name(name))
                return false; /* a .git is judged by the rules (it may have been unprotected) */
        if (fstatat(dfd, "HEAD", &st, AT_SYMLINK_NOFOLLOW) < 0)
                return false;
        static const char *const others[] = {"objects", "refs", "commondir"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(others); i++)
                if (fstatat(dfd, others[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return true;
        return false;
}

/*
 * Was this object there, protected, before the run? Everything protected is bound and cannot be
 * removed, except a symbolic link (no mount holds it): the run may remove one and the next object
 * it makes may get the same inode number. A link counts only while it is still that link: the
 * change time seen before the run (making, renaming or linking one sets it).
 */
#define KNOWN_LINK 1u
static bool known_before(const struct bw_guard *g, const struct stat *st) {
        const struct idslot *k = id_find(&g->known, st->st_dev, st->st_ino);
        if (!k || k->value != KNOWN_LINK)
                return k != NULL;
        if (!S_ISLNK(st->st_mode))
                return false;
        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].dev == st->st_dev && g->links[i].ino == st->st_ino)
                        return g->links[i].ctime.tv_sec == st->st_ctim.tv_sec &&
                               g->links[i].ctime.tv_nsec == st->st_ctim.tv_nsec;
        int64_t c = (int64_t) st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;
        return c < g->check_from_ns; /* (a killed run's snapshot: its scan's time) */
}

static bool is_root(const struct bw_guard *g, const char *path) {
        for (size_t i = 0; i < g->roots.n; i++)
                if (bw_streq(path, g->roots.v[i]))
                        return true;
        return false;
}

/* ---- before the run ---- */

__attribute__((format(printf, 3, 4))) static int scan_failed(struct bw_guard *g, int err, const char *fmt, ...) {
        /* the message names paths the command chose: none of their control characters reaches the
         * terminal the refusal is printed on */
        char raw[2 * PATH_MAX];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        bw_printable(raw, strlen(raw), g->msg, g->msg_size);
        return err;
}

static void watch_link(struct bw_guard *g, const char *path, uint64_t dev, uint64_t ino);
static int protect_ref_as(struct bw_guard *g, const char *path, enum bw_guard_action action);

static bool names_programs(const char *path);

static int protect(struct bw_guard *g, const char *path, uint64_t dev, uint64_t ino, enum hit_kind kind,
                   enum bw_guard_action action, uint32_t parent) {
        id_put(&g->known, dev, ino, kind == HIT_LINK ? KNOWN_LINK : 0);
        if (parent != NO_PARENT)
                snapshot_hit(&g->now, path, dev, ino, parent, action, (uint8_t) kind);
        const char *name = strrchr(path, '/');
        if (kind == HIT_GITDIR)
                vec_add(&g->gitdirs, path);
        else if (is_git_name(name ? name + 1 : path))
                vec_add(&g->repos, path);
        else if (kind == HIT_PLAIN && names_programs(path))
                vec_add(&g->agent_cfgs, path);
        /* (a link counts too: each is watched, and checked after the run) */
        if (++g->n_hits > MAX_HITS)
                return scan_failed(g, -E2BIG,
                                   "more than %d paths in the writable roots match read_only or unreadable rules (the "
                                   "last: %s): the runner binds each one; narrow the patterns, or name the directory "
                                   "that holds them",
                                   MAX_HITS, path);
        if (kind == HIT_LINK) {
                /* a symlink has no content to write, but what it leads to is read and written
                 * through its name (.env -> config/dev.settings): that is protected as it is; the
                 * link itself is put back after the run if the run replaced or removed it */
                watch_link(g, path, dev, ino);
                return protect_ref_as(g, path, action);
        }
        g->add(g->ud, path, action);
        return 0;
}

static void neutralise(struct bw_guard *g, int dfd, const char *name, const char *path, const struct stat *st);
static void neutralise_gitdir(struct bw_guard *g, int fd, const char *path, const struct stat *st);

/*
 * What a run made, it may lock: a directory mode 000 to hide what is in it, 0555 so that nothing
 * in it can be renamed or rewritten (elevated, the mode narrows the mask of the ACL that gave you
 * rights there). Its owner may always give them back: you (unelevated), or the sandbox user, which
 * an elevated runner keeps as its saved uid after the run and becomes for the time it takes (its
 * processes are gone with the run's pid namespace: nothing of the command's is left to race).
 * owner_switch returns the effective uid to go back to, or NO_SWITCH.
 */
#define NO_SWITCH ((uid_t) -1)
static uid_t owner_switch(uid_t owner) {
        uid_t r, e, s;
        if (getresuid(&r, &e, &s) < 0 || owner == e || (owner != r && owner != s))
                return NO_SWITCH;
        return setresuid((uid_t) -1, owner, (uid_t) -1) == 0 ? e : NO_SWITCH;
}

static void owner_back(uid_t e) {
        if (e != NO_SWITCH)
                (void) !setresuid((uid_t) -1, e, (uid_t) -1);
}

/* Before renaming or writing in dfd: if it is closed to us, act as its owner, with its owner's
 * rights given back. Returns what owner_back takes. */
static uid_t unlock_dir(int dfd) {
        struct stat st;
        if (faccessat(dfd, ".", W_OK | X_OK, AT_EACCESS) == 0 || fstat(dfd, &st) < 0)
                return NO_SWITCH;
        uid_t back = owner_switch(st.st_uid);
        if (st.st_uid == geteuid() && (st.st_mode & S_IRWXU) != S_IRWXU)
                (void) fchmod(dfd, (st.st_mode & 07777) | S_IRWXU);
        return back;
}

/* A directory the run made unreadable to hide what is in it: given back its owner's rights (on
 * the inode itself, through an O_PATH fd, as its owner) and opened. One locked before the run (its
 * change time older: yours, on purpose) is left as it is. */
static int open_own_locked(const struct bw_guard *g, int dfd, const char *name) {
        int pfd = openat(dfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (pfd < 0)
                return -1;
        int fd = -1;
        if (fstat(pfd, &st) == 0 && (int64_t) st.st_ctim.tv_sec * 1000000000ll + st.st_ctim.tv_nsec >= g->run_from_ns) {
                uid_t back = owner_switch(st.st_uid);
                char proc[64];
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
                if (st.st_uid == geteuid() && chmod(proc, (st.st_mode & 07777) | S_IRWXU) == 0)
                        fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                owner_back(back);
        }
        close(pfd);
        return fd;
}

/*
 * Read one directory (dfd, owned; its record in g->now is self) and what lies below it.
 *   before the run (after == false): every match is protected, every directory recorded in
 *     g->now; with prev (the index of an earlier run), a subdirectory that prev shows unchanged
 *     at the same path is not entered: its own record is checked, and reused, on its own;
 *   after the run (after == true, prev == &g->now): matches that were not protected before are
 *     neutralised; directories unchanged at the same path are skipped the same way.
 */
static int walk(struct bw_guard *g, int dfd, struct bw_strbuf *path, unsigned depth, bool after,
                const struct snapshot *prev, uint32_t self) {
        if (depth > MAX_DEPTH) {
                close(dfd);
                return scan_failed(g, -ELOOP,
                                   "%s is nested more than %d directories deep below its writable root: the "
                                   "runner cannot check it for carve-outs",
                                   bw_sb_str(path), MAX_DEPTH);
        }
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        g->n_dirs_read++;
        size_t base = path->len;
        int r = 0;
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
                const char *name = de->d_name;
                if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0)))
                        continue;
                bw_sb_truncate(path, base);
                if (base > 1)
                        bw_sb_putc(path, '/');
                bw_sb_puts(path, name);
                if (path->len >= PATH_MAX && after) {
                        /* too long to match against the rules: whatever the run made there goes */
                        struct stat lst;
                        if (fstatat(dirfd(d), name, &lst, AT_SYMLINK_NOFOLLOW) == 0)
                                neutralise(g, dirfd(d), name, path->data, &lst);
                        continue;
                }
                if (path->len >= PATH_MAX) {
                        r = scan_failed(g, -ENAMETOOLONG,
                                        "a path in the writable roots is longer than %d bytes (%.80s...): the runner "
                                        "cannot protect it; shorten it",
                                        PATH_MAX - 1, path->data);
                        break;
                }
                unsigned flags;
                enum bw_guard_action act = match_rules(g, path->data, path->len, name, &flags);
                bool is_dir = de->d_type == DT_DIR;
                struct stat st;
                if (act || de->d_type == DT_UNKNOWN || de->d_type == DT_LNK || (is_dir && prev)) {
                        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue; /* gone meanwhile */
                        is_dir = S_ISDIR(st.st_mode);
                        if (!act && S_ISLNK(st.st_mode))
                                act = link_rules(g, path->data, name, &flags);
                }
                if (act) {
                        if (!after)
                                r = protect(g, path->data, st.st_dev, st.st_ino,
                                            S_ISLNK(st.st_mode) ? HIT_LINK : HIT_PLAIN, act, self);
                        else if (!known_before(g, &st) &&
                                 (act == BW_GUARD_READ_ONLY || (flags & BW_GUARD_PROTECTED) ||
                                  g->n_hits + g->kept_repos + g->kept_hidden++ >= MAX_HITS / 2))
                                /* (a new unreadable match stays, to be hidden from the next run: a
                                 * key the command generated, that you then use; but not thousands:
                                 * past half the limit of binds they are moved aside, or every later
                                 * run would stop at the limit) */
                                neutralise(g, dirfd(d), name, path->data, &st);
                        continue; /* protected whole */
                }
                if (!is_dir)
                        continue;
                bool was_opaque = false; /* could not be read before the run (see check_after) */
                if (prev) {
                        if (id_find(&g->visited, st.st_dev, st.st_ino))
                                continue;
                        const struct idslot *seen = id_find(&prev->ids, st.st_dev, st.st_ino);
                        if (seen && unchanged(&prev->dirs[seen->value - 1], path->data, &st))
                                continue; /* its own record is checked on its own */
                        was_opaque = seen && prev->dirs[seen->value - 1].opaque;
                }
                if (depth + 1 > MAX_DEPTH) {
                        /* deeper than the walk goes: before the run the whole directory is read-only
                         * (one bind, nothing inside can change), after it a new one is moved aside */
                        struct stat dst;
                        if (fstatat(dirfd(d), name, &dst, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        if (after ? known_before(g, &dst) : id_find(&g->known, dst.st_dev, dst.st_ino) != NULL)
                                continue;
                        /* one a check moved aside is not bound again: thousands of them, from a
                         * run that made thousands of deep chains, would stop every later run at
                         * the limit of binds (what is in it is the command's, and too deep for
                         * any tool of yours to be run there) */
                        if (!after && is_quarantined(name, strlen(name)))
                                continue;
                        if (after)
                                neutralise(g, dirfd(d), name, path->data, &dst);
                        else
                                r = protect(g, path->data, dst.st_dev, dst.st_ino, HIT_PLAIN, BW_GUARD_READ_ONLY, self);
                        continue;
                }
                int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0 && errno == EACCES && after)
                        sub = open_own_locked(g, dirfd(d), name);
                if (sub < 0) {
                        /* unreadable to us now: read again after the run (elevated, as the sandbox
                         * user that may have made it) */
                        if (!after && fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
                                snapshot_dir(&g->now, path->data, st.st_dev, st.st_ino, st.st_ctim, true);
                        continue;
                }
                struct stat dst;
                if (fstat(sub, &dst) < 0) {
                        close(sub);
                        continue;
                }
                if (looks_like_gitdir(sub, name)) {
                        if (!after) { /* a repository: read-only whole, as a .git */
                                if (!id_find(&g->known, dst.st_dev, dst.st_ino))
                                        r = protect(g, path->data, dst.st_dev, dst.st_ino, HIT_GITDIR,
                                                    BW_GUARD_READ_ONLY, self);
                                close(sub);
                                continue;
                        }
                        if (known_before(g, &dst)) {
                                close(sub);
                                continue;
                        }
                        neutralise_gitdir(g, sub, path->data, &dst); /* then read as any directory */
                }
                id_put(&g->visited, dst.st_dev, dst.st_ino, 0);
                uint32_t rec =
                        after ? NO_PARENT
                              : snapshot_dir(&g->now, path->data, dst.st_dev, dst.st_ino, dst.st_ctim, racy(g, &dst));
                int64_t from = g->check_from_ns;
                if (after && was_opaque)
                        g->check_from_ns = INT64_MIN;
                r = walk(g, sub, path, depth + 1, after, prev, rec);
                g->check_from_ns = from;
        }
        bw_sb_truncate(path, base);
        closedir(d);
        return r;
}

/* Read the directory at rec's path again (it changed, or could not be read before), if it is
 * still a directory below its root and was not read in this pass. */
static int rewalk(struct bw_guard *g, const char *path, bool after, const struct snapshot *prev,
                  struct bw_strbuf *buf) {
        int fd = open_below(g, path, after);
        if (fd < 0) {
                struct stat st;
                if (!after && fd == -EACCES && lstat(path, &st) == 0)
                        snapshot_dir(&g->now, path, st.st_dev, st.st_ino, st.st_ctim, true);
                return 0; /* moved or gone: its parent changed too, and is read again */
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || id_find(&g->visited, st.st_dev, st.st_ino) ||
            (!after && id_find(&g->now.ids, st.st_dev, st.st_ino))) {
                close(fd);
                return 0;
        }
        if ((after ? known_before(g, &st) : id_find(&g->known, st.st_dev, st.st_ino) != NULL) && !is_root(g, path)) {
                close(fd); /* protected whole (a repository found from its parent) */
                return 0;
        }
        id_put(&g->visited, st.st_dev, st.st_ino, 0);
        uint32_t self = after ? NO_PARENT : snapshot_dir(&g->now, path, st.st_dev, st.st_ino, st.st_ctim, racy(g, &st));
        const char *slash = strrchr(path, '/');
        if (looks_like_gitdir(fd, slash ? slash + 1 : path)) {
                if (is_root(g, path)) { /* a root that was one before the run is left as it is */
                        if (!after)
                                id_put(&g->known, st.st_dev, st.st_ino, 0);
                        else if (!known_before(g, &st))
                                neutralise_gitdir(g, fd, path, &st);
                } else if (!after) {
                        int r = protect(g, path, st.st_dev, st.st_ino, HIT_GITDIR, BW_GUARD_READ_ONLY, self);
                        close(fd);
                        return r;
                } else
                        neutralise_gitdir(g, fd, path, &st);
        }
        bw_sb_truncate(buf, 0);
        bw_sb_puts(buf, path);
        return walk(g, fd, buf, 0, after, prev, self);
}

/* ---- the index: the snapshot kept between runs ---- */

/* The file (the caller's own, outside every writable root): "BWTREE02", the key, counts, the
 * records, a BLAKE2b-256 of all that. Anything wrong with it and it is ignored: a full walk. (The
 * digest finds a damaged file; it is no seal: whoever can write the file can recompute it. The
 * file's place, owner and mode are what keep the command out. BLAKE2b, not SHA-256: the index of a
 * thousand directories is some 70 KB, where SHA-256 took 0.25 ms with libsodium or loaded
 * libcrypto, 1 ms, on every run; BLAKE2b takes 0.08.) */
#define INDEX_MAGIC "BWTREE02"

static void index_digest(const void *data, size_t size, uint8_t out[32]) {
        crypto_generichash(out, 32, data, size, NULL, 0);
}
#define INDEX_MAX (64u << 20)

static void put_u64(struct bw_strbuf *b, uint64_t v) {
        bw_sb_append(b, (const char *) &v, sizeof(v));
}

/* (with its NUL: a path read back is used where it lies in the file's buffer) */
static void put_str(struct bw_strbuf *b, const char *s) {
        uint16_t n = (uint16_t) strlen(s);
        bw_sb_append(b, (const char *) &n, sizeof(n));
        bw_sb_append(b, s, (size_t) n + 1);
}

static void index_save(const struct bw_guard *g) {
        struct bw_strbuf b = {0};
        bw_sb_append(&b, INDEX_MAGIC, 8);
        bw_sb_append(&b, (const char *) g->key, sizeof(g->key));
        put_u64(&b, g->now.n_dirs);
        put_u64(&b, g->now.n_hits);
        put_u64(&b, g->now.n_quiet);
        for (size_t i = 0; i < g->now.n_dirs; i++) {
                const struct dirrec *d = &g->now.dirs[i];
                put_u64(&b, d->dev);
                put_u64(&b, d->ino);
                put_u64(&b, (uint64_t) d->ctime.tv_sec);
                put_u64(&b, (uint64_t) d->ctime.tv_nsec | (d->opaque ? 1ull << 63 : 0));
                put_str(&b, d->path);
        }
        for (size_t i = 0; i < g->now.n_hits; i++) {
                const struct hitrec *h = &g->now.hits[i];
                put_u64(&b, h->dev);
                put_u64(&b, h->ino);
                put_u64(&b, (uint64_t) h->parent | (uint64_t) h->action << 32 | (uint64_t) h->kind << 40);
                put_str(&b, h->path);
        }
        for (size_t i = 0; i < g->now.n_quiet; i++) {
                const struct fid *f[] = {&g->now.quiet[i].gitdir, &g->now.quiet[i].config, &g->now.quiet[i].hooks};
                for (size_t k = 0; k < BW_ARRAY_SIZE(f); k++) {
                        put_u64(&b, f[k]->dev);
                        put_u64(&b, f[k]->ino);
                        put_u64(&b, (uint64_t) f[k]->sec);
                        put_u64(&b, (uint64_t) f[k]->nsec);
                }
        }
        uint8_t digest[32];
        index_digest(b.data, b.len, digest);
        bw_sb_append(&b, (const char *) digest, sizeof(digest));
        char tmp[PATH_MAX + 16];
        if (snprintf(tmp, sizeof(tmp), "%s.%d", g->index_path, (int) getpid()) < (int) sizeof(tmp)) {
                int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        bool ok = write(fd, b.data, b.len) == (ssize_t) b.len;
                        close(fd);
                        if (!ok || rename(tmp, g->index_path) < 0)
                                unlink(tmp);
                }
        }
        bw_sb_done(&b);
}

struct reader {
        uint8_t *p, *end;
        bool bad;
};

static uint64_t get_u64(struct reader *r) {
        uint64_t v = 0;
        if ((size_t) (r->end - r->p) < sizeof(v)) {
                r->bad = true;
                return 0;
        }
        memcpy(&v, r->p, sizeof(v));
        r->p += sizeof(v);
        return v;
}

/* A path of the file, where it lies in its buffer (which the snapshot keeps: its arena). */
static char *get_str(struct reader *r) {
        uint16_t n;
        if ((size_t) (r->end - r->p) < sizeof(n)) {
                r->bad = true;
                return NULL;
        }
        memcpy(&n, r->p, sizeof(n));
        r->p += sizeof(n);
        if (n == 0 || n >= PATH_MAX || (size_t) (r->end - r->p) <= n || r->p[n] != 0 || memchr(r->p, 0, n) ||
            r->p[0] != '/') {
                r->bad = true;
                return NULL;
        }
        char *s = (char *) r->p;
        r->p += n + 1;
        return s;
}

static bool index_load(const struct bw_guard *g, const char *file, struct snapshot *prev) {
        int fd = open(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        struct stat st;
        uint8_t *buf = NULL;
        bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
                  !(st.st_mode & (S_IWGRP | S_IWOTH)) && st.st_size > 8 + 32 + 24 + 32 && st.st_size <= INDEX_MAX &&
                  (buf = malloc((size_t) st.st_size)) && bw_read_full(fd, buf, (size_t) st.st_size) == st.st_size;
        close(fd);
        uint8_t digest[32];
        size_t size = ok ? (size_t) st.st_size - 32 : 0;
        if (ok) {
                index_digest(buf, size, digest);
                ok = memcmp(digest, buf + size, 32) == 0 && memcmp(buf, INDEX_MAGIC, 8) == 0 &&
                     memcmp(buf + 8, g->key, 32) == 0;
        }
        struct reader r = {buf + 40, buf + size, !ok};
        prev->arena = (char *) buf; /* the paths are used where they lie in it */
        uint64_t n_dirs = ok ? get_u64(&r) : 0, n_hits = ok ? get_u64(&r) : 0, n_quiet = ok ? get_u64(&r) : 0;
        /* (a record takes at least 35 bytes: a count beyond that is a damaged file, read until it ends) */
        snapshot_reserve(prev, n_dirs < size / 35 ? n_dirs : size / 35);
        for (uint64_t i = 0; !r.bad && i < n_dirs; i++) {
                uint64_t dev = get_u64(&r), ino = get_u64(&r), sec = get_u64(&r), nsec = get_u64(&r);
                char *path = get_str(&r);
                if (path)
                        snapshot_dir_as(prev, path, true, dev, ino,
                                        (struct timespec){(time_t) sec, (long) (nsec & 0x3fffffffu)}, nsec >> 63);
        }
        for (uint64_t i = 0; !r.bad && i < n_hits; i++) {
                uint64_t dev = get_u64(&r), ino = get_u64(&r), v = get_u64(&r);
                uint32_t parent = (uint32_t) v;
                uint8_t action = (uint8_t) (v >> 32);
                char *path = get_str(&r);
                if (path && (parent >= prev->n_dirs || (action != BW_GUARD_READ_ONLY && action != BW_GUARD_HIDE) ||
                             ((v >> 40) & 3) > HIT_GITDIR))
                        r.bad = true;
                if (!r.bad)
                        snapshot_hit_as(prev, path, true, dev, ino, parent, action, (uint8_t) ((v >> 40) & 3));
        }
        for (uint64_t i = 0; !r.bad && i < n_quiet; i++) {
                struct quiet q;
                struct fid *f[] = {&q.gitdir, &q.config, &q.hooks};
                for (size_t k = 0; k < BW_ARRAY_SIZE(f); k++) {
                        f[k]->dev = get_u64(&r);
                        f[k]->ino = get_u64(&r);
                        f[k]->sec = (int64_t) get_u64(&r);
                        f[k]->nsec = (int64_t) get_u64(&r);
                }
                if (!r.bad)
                        snapshot_quiet(prev, &q);
        }
        if (r.bad || r.p != r.end) {
                snapshot_free(prev);
                return false;
        }
        return true;
}

/* ---- git: what a repository's config reaches outside .git ---- */

/* The directory holding file (an absolute path), where the paths a configuration file names are
 * resolved from. */
static void dir_of(const char *file, char out[PATH_MAX]) {
        snprintf(out, PATH_MAX, "%s", file);
        char *slash = strrchr(out, '/');
        if (slash)
                *slash = 0;
}

static char *read_small(const char *path, uid_t trusted, size_t max, size_t *len) {
        int fd = bw_open_path_safely(path, O_RDONLY | O_NONBLOCK, trusted);
        if (fd < 0)
                return NULL;
        struct stat st;
        char *buf = NULL;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t) st.st_size <= max &&
            (buf = malloc((size_t) st.st_size + 1))) {
                ssize_t n = bw_read_full(fd, buf, (size_t) st.st_size);
                if (n < 0) {
                        free(buf);
                        buf = NULL;
                } else {
                        buf[n] = 0;
                        *len = (size_t) n;
                }
        }
        close(fd);
        return buf;
}

static void watch_link(struct bw_guard *g, const char *path, uint64_t dev, uint64_t ino) {
        if (!root_of(g, path) || is_root(g, path))
                return;
        for (size_t i = 0; i < g->n_links; i++)
                if (g->links[i].dev == dev && g->links[i].ino == ino)
                        return;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0 || lstat(path, &st) < 0 || st.st_dev != dev || st.st_ino != ino)
                return;
        target[n] = 0;
        g->links = realloc(g->links, (g->n_links + 1) * sizeof(*g->links));
        if (!g->links)
                abort();
        struct watched *w = &g->links[g->n_links++];
        *w = (struct watched){strdup(path), strdup(target), dev, ino, st.st_ctim};
        if (!w->path || !w->target)
                abort();
        id_put(&g->known, dev, ino, KNOWN_LINK);
}

/*
 * path with every symbolic link on the way resolved (at most 16), each one in a root watched: the
 * runner binds what is at the end (its mounts do not follow links a sandbox user could have made),
 * and a link in the middle (tools -> scripts, for a hooksPath tools/hooks) could otherwise be
 * pointed elsewhere by the run. A part that does not exist is kept as it is. False when it does not
 * resolve.
 */
static bool resolve_path(struct bw_guard *g, const char *path, char *out, size_t size) {
        char cur[PATH_MAX];
        if (!normalize(path, cur, sizeof(cur)))
                return false;
        for (int hops = 0; hops <= 16; hops++) {
                bool again = false;
                for (size_t i = 1; cur[i] && !again;) {
                        size_t j = i + strcspn(cur + i, "/");
                        char save = cur[j];
                        cur[j] = 0;
                        struct stat st;
                        int rc = lstat(cur, &st);
                        if (rc == 0 && S_ISLNK(st.st_mode)) {
                                char target[PATH_MAX], joined[PATH_MAX * 3];
                                ssize_t n = readlink(cur, target, sizeof(target) - 1);
                                if (n <= 0)
                                        return false;
                                target[n] = 0;
                                watch_link(g, cur, st.st_dev, st.st_ino);
                                const char *rest = save ? cur + j + 1 : "";
                                char *slash = strrchr(cur, '/');
                                slash[slash == cur] = 0; /* the link's directory */
                                if (target[0] == '/')
                                        snprintf(joined, sizeof(joined), "%s/%s", target, rest);
                                else
                                        snprintf(joined, sizeof(joined), "%s/%s/%s", cur, target, rest);
                                if (!normalize(joined, cur, sizeof(cur)))
                                        return false;
                                again = true;
                                break;
                        }
                        cur[j] = save;
                        if (rc < 0 || !save)
                                break; /* what does not exist is kept as it is */
                        i = j + 1;
                }
                if (!again) {
                        snprintf(out, size, "%s", cur);
                        return true;
                }
        }
        return false;
}

/* A path git may read or run, found in a repository's files (or what a protected link leads to):
 * read-only (or hidden) if it is in a root. */
static int protect_ref_as(struct bw_guard *g, const char *path, enum bw_guard_action action) {
        char real[PATH_MAX];
        g->noise++; /* a path named: the repository (or configuration) that named it is not quiet */
        /* (a path outside every root may lead into one through a link of the user's: judged at its end) */
        if (!resolve_path(g, path, real, sizeof(real)) || !root_of(g, real))
                return 0;
        struct stat st;
        if (lstat(real, &st) < 0) {
                vec_add(&g->missing, real); /* must not appear during the run */
                return 0;
        }
        if (id_find(&g->known, st.st_dev, st.st_ino))
                return 0;
        return protect(g, real, st.st_dev, st.st_ino, S_ISLNK(st.st_mode) ? HIT_LINK : HIT_PLAIN, action, NO_PARENT);
}

static int protect_ref(struct bw_guard *g, const char *path) {
        return protect_ref_as(g, path, BW_GUARD_READ_ONLY);
}

/* The first word of a shell command, when it names a file ("!./tools/fsmon --x" -> ./tools/fsmon). */
static bool command_program(const char *cmd, char *out, size_t size) {
        while (*cmd == '!' || *cmd == ' ' || *cmd == '\t')
                cmd++;
        size_t n = 0;
        char quote = 0;
        if (*cmd == '"' || *cmd == '\'')
                quote = *cmd++;
        for (; *cmd && n + 1 < size; cmd++) {
                if (quote ? *cmd == quote : (*cmd == ' ' || *cmd == '\t' || *cmd == ';' || *cmd == '|'))
                        break;
                out[n++] = *cmd;
        }
        out[n] = 0;
        return n > 0 && strchr(out, '/') != NULL;
}

struct config_walk {
        struct bw_guard *g;
        const char *file_dir; /* the directory of the config file (include.path is relative to it) */
        const char *top;      /* the worktree (hooks and programs run there); NULL: the global config */
        unsigned depth;
        int r;
};

static void config_refs(struct bw_guard *g, const char *file, const char *top, unsigned depth);
static int hook_dir_refs(struct bw_guard *g, const char *dir, const char *top);

static int config_entry(const struct bw_gitconfig_entry *e, void *ud) {
        struct config_walk *w = ud;
        enum bw_gitconfig_ref kind = bw_gitconfig_reference(e);
        if (kind == BW_GITREF_NONE || !e->value || !e->value[0])
                return 0;
        char target[PATH_MAX], program[PATH_MAX];
        const char *v = e->value;
        bool include = bw_streq(e->key, "path");
        if (kind == BW_GITREF_COMMAND) {
                if (bw_streq(e->section, "core") && bw_streq(e->key, "fsmonitor") &&
                    (!strcasecmp(v, "true") || !strcasecmp(v, "false")))
                        return 0;
                if (!command_program(v, program, sizeof(program)))
                        return 0;
                v = program;
        }
        /* relative programs and hooksPath: relative to the worktree the command runs in */
        const char *base = include ? w->file_dir : w->top;
        if (!base) {
                if (v[0] != '/' && v[0] != '~') {
                        vec_add(&w->g->global_relative, v);
                        return 0;
                }
                base = "/";
        }
        if (!resolve(w->g, base, v, target, sizeof(target)))
                return 0;
        w->r = protect_ref(w->g, target);
        if (w->r == 0 && bw_streq(e->section, "core") && bw_streq(e->key, "hookspath")) {
                if (w->top)
                        w->r = hook_dir_refs(w->g, target, w->top); /* (.husky/pre-commit: ./scripts/husky.sh) */
                else /* your hooks for every repository: what they run there is read at each one's top */
                        vec_add(&w->g->global_hooks, target);
        }
        if (w->r == 0 && include && w->depth < MAX_INCLUDE_DEPTH)
                config_refs(w->g, target, w->top, w->depth + 1);
        return w->r;
}

static void config_refs(struct bw_guard *g, const char *file, const char *top, unsigned depth) {
        size_t len;
        char *text = read_small(file, g->trusted, MAX_CONFIG_SIZE, &len);
        if (!text)
                return;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", file);
        char *slash = strrchr(dir, '/');
        if (slash)
                slash[slash == dir] = 0;
        struct config_walk w = {g, dir, top, depth, 0};
        (void) bw_gitconfig_parse(text, len, config_entry, &w); /* what parsed before an error counts */
        free(text);
}

/* "gitdir: X" of a .git file, or commondir's "X": the path it names, resolved against base. */
static bool redirect_target(struct bw_guard *g, const char *file, const char *prefix, const char *base, char *out,
                            size_t size) {
        size_t len;
        char *text = read_small(file, g->trusted, 4096, &len);
        if (!text)
                return false;
        text[strcspn(text, "\r\n")] = 0;
        size_t p = strlen(prefix);
        g->noise++; /* a gitdir or commondir: git reads elsewhere */
        bool ok = strncmp(text, prefix, p) == 0 && text[p] && resolve(g, base, text + p, out, size);
        free(text);
        return ok;
}

__attribute__((format(printf, 2, 3))) static void say(struct bw_guard *g, const char *fmt, ...);

/* Where a chain of symlinks starting at path ends (lexically resolved, at most 8 hops; each link
 * on the way protected when it lies in a root). False when it does not resolve. */
static bool resolve_links(struct bw_guard *g, const char *path, char *out, size_t size) {
        char cur[PATH_MAX];
        snprintf(cur, sizeof(cur), "%s", path);
        for (int hop = 0; hop < 8; hop++) {
                struct stat st;
                if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode)) {
                        snprintf(out, size, "%s", cur);
                        return true;
                }
                g->noise++; /* a link git follows */
                char target[PATH_MAX], dir[PATH_MAX];
                ssize_t n = readlink(cur, target, sizeof(target) - 1);
                if (n <= 0)
                        return false;
                target[n] = 0;
                snprintf(dir, sizeof(dir), "%s", cur);
                char *slash = strrchr(dir, '/');
                if (!slash)
                        return false;
                slash[slash == dir] = 0;
                if (!resolve(g, dir, target, cur, sizeof(cur)))
                        return false;
                if (protect_ref(g, cur) < 0)
                        return false;
        }
        return false;
}

/* Symlinks in a git directory (and its hooks) that lead out of it: git follows them (a hook
 * linked to ../../scripts/hook.sh runs that script), so their targets are protected too. */
static int follow_git_links(struct bw_guard *g, const char *dir) {
        int fd = bw_open_path_safely(dir, O_RDONLY | O_DIRECTORY, g->trusted);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        for (struct dirent *de; r == 0 && (de = readdir(d));) {
                if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                        continue;
                char link[PATH_MAX], end[PATH_MAX];
                if (snprintf(link, sizeof(link), "%s/%s", dir, de->d_name) >= (int) sizeof(link))
                        continue;
                struct stat st;
                if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && !resolve_links(g, link, end, sizeof(end)))
                        say(g, "warning: %s is a symbolic link git follows that could not be resolved", link);
        }
        closedir(d);
        return r;
}

static int gitdir_refs(struct bw_guard *g, const char *gitdir, const char *top);

static int repo_refs(struct bw_guard *g, const char *dotgit) {
        char top[PATH_MAX], gitdir[PATH_MAX], real[PATH_MAX];
        snprintf(top, sizeof(top), "%s", dotgit);
        *strrchr(top, '/') = 0;
        if (!top[0])
                strcpy(top, "/");
        /* a .git that is a symlink: git uses what it points to */
        if (!resolve_links(g, dotgit, real, sizeof(real)))
                return 0;
        struct stat st;
        if (lstat(real, &st) < 0)
                return 0;
        snprintf(gitdir, sizeof(gitdir), "%s", real);
        if (S_ISREG(st.st_mode)) {
                if (!redirect_target(g, real, "gitdir: ", top, gitdir, sizeof(gitdir)))
                        return 0;
                int r = protect_ref(g, gitdir);
                if (r < 0)
                        return r;
        } else if (!S_ISDIR(st.st_mode))
                return 0;
        return gitdir_refs(g, gitdir, top);
}

/* What git reads or runs from a git directory (gitdir), for a worktree at top (a bare repository:
 * the git directory itself, where its hooks run). */
static int gitdir_refs(struct bw_guard *g, const char *gitdir, const char *top) {
        char common[PATH_MAX], file[PATH_MAX + 32], real[PATH_MAX];
        snprintf(file, sizeof(file), "%s/commondir", gitdir);
        if (redirect_target(g, file, "", gitdir, common, sizeof(common))) {
                int r = protect_ref(g, common);
                if (r < 0)
                        return r;
                snprintf(file, sizeof(file), "%s/config", common);
                if (resolve_links(g, file, real, sizeof(real)))
                        config_refs(g, real, top, 0);
                follow_git_links(g, common);
                snprintf(file, sizeof(file), "%s/hooks", common);
                follow_git_links(g, file);
                r = hook_dir_refs(g, file, top);
                if (r < 0)
                        return r;
        }
        static const char *const own[] = {"config", "config.worktree"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(own); i++) {
                snprintf(file, sizeof(file), "%s/%s", gitdir, own[i]);
                if (resolve_links(g, file, real, sizeof(real)))
                        config_refs(g, real, top, 0);
        }
        follow_git_links(g, gitdir);
        snprintf(file, sizeof(file), "%s/hooks", gitdir);
        follow_git_links(g, file);
        int hr = hook_dir_refs(g, file, top);
        if (hr < 0)
                return hr;
        for (size_t i = 0; i < g->global_relative.n; i++) {
                char target[PATH_MAX];
                if (resolve(g, top, g->global_relative.v[i], target, sizeof(target))) {
                        int r = protect_ref(g, target);
                        if (r == 0) /* (a relative hooksPath: the hooks in it) */
                                r = hook_dir_refs(g, target, top);
                        if (r < 0)
                                return r;
                }
        }
        /* a dispatcher of yours (~/.githooks/pre-commit: exec .githooks/pre-commit if the repository
         * has one): what it names, in this repository */
        for (size_t i = 0; i < g->global_hooks.n; i++) {
                int r = hook_dir_refs(g, g->global_hooks.v[i], top);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- repositories that name nothing ---- */

/* The identity of path (not followed) when it is a directory (dir) or a regular file, or nothing
 * (ino 0) when it does not exist. False for anything else. */
static bool fid_stat(const char *path, bool dir, struct fid *f) {
        struct stat st;
        *f = (struct fid){0};
        if (lstat(path, &st) < 0)
                return errno == ENOENT;
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return false;
        *f = (struct fid){st.st_dev, st.st_ino, st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
        return true;
}

static bool fid_eq(const struct fid *a, const struct fid *b) {
        return a->dev == b->dev && a->ino == b->ino && a->sec == b->sec && a->nsec == b->nsec;
}

static bool quiet_ids(const char *dotgit, struct quiet *q) {
        char p[PATH_MAX + 16];
        if (!fid_stat(dotgit, true, &q->gitdir) || !q->gitdir.ino)
                return false;
        snprintf(p, sizeof(p), "%s/config", dotgit);
        if (!fid_stat(p, false, &q->config))
                return false;
        snprintf(p, sizeof(p), "%s/hooks", dotgit);
        return fid_stat(p, true, &q->hooks);
}

static bool quiet_eq(const struct quiet *a, const struct quiet *b) {
        return fid_eq(&a->gitdir, &b->gitdir) && fid_eq(&a->config, &b->config) && fid_eq(&a->hooks, &b->hooks);
}

/*
 * repo_refs for a .git directory, with what an earlier run found kept in the index. Most
 * repositories name nothing outside .git: their config has no path or program, they have no hook
 * of their own (git's samples are not run), no link, no commondir or config.worktree. For those
 * repo_refs protects nothing, and reads the same few files and directories every run (some thirty
 * system calls each: 1.8 ms for fifty repositories). Such a repository is kept as quiet with the
 * identity of .git, its config and its hooks directory; the next run that finds the same three
 * (three lstat()s) skips reading them. What repo_refs reads is all covered: an entry added,
 * removed or renamed in .git (a commondir, a config.worktree, a link, a config replaced) or in
 * hooks (a hook) moves that directory's change time; a write to config moves its own. Not kept:
 * a repository that named anything or made a warning (g->noise), one whose identities changed
 * while it was read or changed within the racy margin of the scan (a second change in the same
 * clock tick would not move the change time), and none while the user's global config names
 * relative programs or a hooks directory (read at each repository's top).
 */
static int repo_refs_cached(struct bw_guard *g, const char *dotgit) {
        struct quiet before, after;
        bool keep = g->index_path && g->global_relative.n == 0 && g->global_hooks.n == 0 && quiet_ids(dotgit, &before);
        if (keep) {
                const struct idslot *s = id_find(&g->prev_quiet_ids, before.gitdir.dev, before.gitdir.ino);
                if (s && quiet_eq(&g->prev_quiet[s->value], &before)) {
                        snapshot_quiet(&g->now, &before);
                        g->quiet_reused++;
                        return 0;
                }
        }
        unsigned noise = g->noise;
        g->repos_read++;
        int r = repo_refs(g, dotgit);
        if (r < 0 || !keep || g->noise != noise || !quiet_ids(dotgit, &after) || !quiet_eq(&before, &after))
                return r;
        const struct fid *f[] = {&before.gitdir, &before.config, &before.hooks};
        for (size_t i = 0; i < BW_ARRAY_SIZE(f); i++)
                if (f[i]->ino && f[i]->sec * 1000000000ll + f[i]->nsec >= g->scan_start_ns - RACY_MARGIN_NS)
                        return 0;
        /* (read but not named by identity: they must not be there at all) */
        static const char *const absent[] = {"commondir", "config.worktree"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(absent); i++) {
                char p[PATH_MAX + 32];
                struct stat st;
                snprintf(p, sizeof(p), "%s/%s", dotgit, absent[i]);
                if (lstat(p, &st) == 0 || errno != ENOENT)
                        return 0;
        }
        snapshot_quiet(&g->now, &before);
        g->quiet_changed = true;
        return 0;
}

/* ---- agents and editors: the programs their configuration runs ---- */

/*
 * Agent and editor configuration is protected by name, but it usually names a program in the
 * repository: a project MCP server ("command": "node", "args": ["tools/mcp/server.js"]) that the
 * next agent session starts, a hook ("$CLAUDE_PROJECT_DIR/scripts/fmt.sh") run after every edit, a
 * VS Code task run on folder open, Codex's [mcp_servers.x]. Each runs as you, outside the sandbox:
 * rewriting the program is rewriting the configuration, as a core.fsmonitor script is for git. So
 * the files these name are read-only too (and one that does not exist yet must not appear).
 */
static bool names_programs(const char *path) {
        static const char *const names[] = {".mcp.json",     ".claude",
                                            ".cursor",       ".vscode",
                                            ".gemini",       ".roo",
                                            ".kiro",         ".windsurf",
                                            ".codex",        ".continue",
                                            ".amazonq",      ".opencode",
                                            "opencode.json", "opencode.jsonc",
                                            ".zed",          ".helix",
                                            ".junie",        ".qwen",
                                            ".crush.json",   "crush.json",
                                            ".devcontainer", ".devcontainer.json",
                                            ".augment",      ".kilocode",
                                            ".agents",       ".idea"};
        const char *slash = strrchr(path, '/');
        const char *name = slash ? slash + 1 : path;
        for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++)
                if (strcasecmp(name, names[i]) == 0)
                        return true;
        /* the hook managers' configuration: what pre-commit's `repo: local` entries and lefthook's
         * run: lines name */
        if (strcasecmp(name, ".pre-commit-config.yaml") == 0 || strncasecmp(name, "lefthook", 8) == 0 ||
            strncasecmp(name, ".lefthook", 9) == 0)
                return true;
        size_t n = strlen(name), len = strlen(path);
        static const char ws_suffix[] = ".code-workspace", hooks[] = "/.github/hooks";
        if (n > sizeof(ws_suffix) - 1 && strcasecmp(name + n - (sizeof(ws_suffix) - 1), ws_suffix) == 0)
                return true;
        return len >= sizeof(hooks) - 1 && strcasecmp(path + len - (sizeof(hooks) - 1), hooks) == 0;
}

/* (far above what the limit of binds lets a tree hold: repositories are hits too, each naming a few) */
#define MAX_AGENT_REFS 16384
#define MAX_AGENT_FILES 64

/* The directory a configuration's relative paths start from: the one holding .claude, .mcp.json
 * (or .github for .github/hooks). */
static void project_of(const char *cfg, char *out, size_t size) {
        snprintf(out, size, "%s", cfg);
        char *slash = strrchr(out, '/');
        if (slash)
                slash[slash == out] = 0;
        size_t n = strlen(out);
        if (n >= 7 && strcasecmp(out + n - 7, "/.github") == 0)
                out[n - 7 + (n == 7)] = 0;
}

/* One word of a command or argument that names a file: protected if it is one in a root (a
 * directory is not run: it stays as it is). */
static int agent_word(struct bw_guard *g, char *w, const char *project, const char *file_dir, bool soft) {
        static const char *const vars[] = {"$CLAUDE_PROJECT_DIR",
                                           "${CLAUDE_PROJECT_DIR}",
                                           "${workspaceFolder}",
                                           "${workspaceRoot}",
                                           "$PWD",
                                           "${PWD}"};
        size_t wl = strlen(w);
        for (size_t i = 0; i < BW_ARRAY_SIZE(vars); i++) {
                size_t n = strlen(vars[i]);
                if (wl > n && memcmp(w, vars[i], n) == 0 && w[n] == '/') {
                        w += n + 1;
                        break;
                }
        }
        if (w[0] == '-' && strchr(w, '=')) /* --config=tools/x.json */
                w = strchr(w, '=') + 1;
        size_t len = strlen(w);
        if (!len || !strchr(w, '/') || w[len - 1] == '/' || w[0] == '-' || w[0] == '@' || strstr(w, "://") ||
            strpbrk(w, "*?$`{}"))
                return 0;
        const char *bases[] = {project, file_dir};
        for (size_t b = 0; b < 2; b++) {
                char target[PATH_MAX];
                struct stat st;
                if (!resolve(g, bases[b], w, target, sizeof(target)) || !root_of(g, target))
                        continue;
                bool exists = lstat(target, &st) == 0;
                if (exists && S_ISDIR(st.st_mode))
                        continue;
                /* (what does not exist is looked for from the project only: a guess elsewhere
                 * would keep a name the command may need from appearing) */
                if (!exists && (b > 0 || soft))
                        continue;
                if (g->n_agent_refs++ >= MAX_AGENT_REFS)
                        return 0;
                int r = protect_ref(g, target);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A command line or argument: its words (quotes removed, shell punctuation separates). */
static int agent_value(struct bw_guard *g, const char *v, size_t len, const char *project, const char *file_dir,
                       bool soft) {
        char word[PATH_MAX] = {0}; /* (all of it: the analyser cannot follow the word's end) */
        size_t n = 0;
        int r = 0;
        for (size_t i = 0; i <= len && r == 0; i++) {
                char c = i < len ? v[i] : ' ';
                if (c == '"' || c == '\'')
                        continue;
                if (strchr(" \t\r\n;|&()<>", c)) {
                        word[n] = 0;
                        if (n > 0 && n < sizeof(word) - 1)
                                r = agent_word(g, word, project, file_dir, soft);
                        n = 0;
                } else if (n < sizeof(word) - 1)
                        word[n++] = c;
                else
                        n = sizeof(word) - 1; /* too long for a path: dropped at its end */
        }
        return r;
}

/* What a key's value is: a program ("command", "cmd", "args"; pre-commit's entry and lefthook's
 * run; devcontainer.json's initializeCommand, run on the host when the folder is reopened in a
 * container, and the other *Command keys; Claude Code's apiKeyHelper and the other *Helper keys,
 * programs it runs for credentials; Codex's notify), or a path that may name one ("path", "*Path",
 * "binary", "arguments": Zed's and VS Code's language servers and terminal profiles, which start as
 * you when a file is opened), which is protected only when it is a file already there: such keys
 * also name build outputs and interpreters a run may make. */
enum { KEY_NONE, KEY_PROGRAM, KEY_PATH };
static uint8_t names_program_key(const char *k, size_t n) {
        if (!strcasecmp(k, "cmd") || !strcasecmp(k, "args") || !strcasecmp(k, "entry") || !strcasecmp(k, "run") ||
            !strcasecmp(k, "notify") || (n >= 7 && !strcasecmp(k + n - 7, "command")) ||
            (n >= 6 && !strcasecmp(k + n - 6, "helper")))
                return KEY_PROGRAM;
        if ((n >= 4 && !strcasecmp(k + n - 4, "path")) || !strcasecmp(k, "binary") || !strcasecmp(k, "arguments"))
                return KEY_PATH;
        return KEY_NONE;
}

/* A YAML value after "key:" at *at: the rest of the line unquoted, or a block scalar (| or >): the
 * lines indented more than the key's line. Quoted and flow values are left to agent_file's scanner
 * (*at unchanged). */
static int yaml_value(struct bw_guard *g, const char *text, size_t len, size_t *at, size_t key_at, const char *project,
                      const char *file_dir, bool soft) {
        size_t i = *at;
        while (i < len && (text[i] == ' ' || text[i] == '\t'))
                i++;
        if (i >= len || strchr("\"'[{#\r\n", text[i]))
                return 0;
        size_t eol = i;
        while (eol < len && text[eol] != '\n')
                eol++;
        if (text[i] != '|' && text[i] != '>') {
                size_t end = i; /* up to a comment: " #" */
                while (end < eol && !(text[end] == '#' && (text[end - 1] == ' ' || text[end - 1] == '\t')))
                        end++;
                *at = eol;
                return agent_value(g, text + i, end - i, project, file_dir, soft);
        }
        size_t ls = key_at, indent = 0;
        while (ls > 0 && text[ls - 1] != '\n')
                ls--;
        while (ls + indent < len && text[ls + indent] == ' ')
                indent++;
        int r = 0;
        size_t p = eol < len ? eol + 1 : len;
        while (p < len && r == 0) {
                size_t e = p, sp = 0;
                while (e < len && text[e] != '\n')
                        e++;
                while (p + sp < e && text[p + sp] == ' ')
                        sp++;
                if (p + sp < e && sp <= indent)
                        break; /* a line not indented more: the block ended */
                r = agent_value(g, text + p, e - p, project, file_dir, soft);
                p = e < len ? e + 1 : len;
        }
        *at = p;
        return r;
}

/*
 * The values of program keys (names_program_key) at any depth of a JSON (with comments, as VS Code
 * and Claude Code accept), TOML or YAML file. Not a validating parser: what the tools themselves
 * would refuse to read does no harm here, and a key is recognised by what follows it (":" or "=").
 */
static int agent_file(struct bw_guard *g, const char *file, const char *project) {
        size_t len;
        char *text = read_small(file, g->trusted, MAX_CONFIG_SIZE, &len);
        if (!text)
                return 0;
        char file_dir[PATH_MAX];
        dir_of(file, file_dir);
        size_t fl = strlen(file);
        bool yaml = (fl > 4 && !strcasecmp(file + fl - 4, ".yml")) || (fl > 5 && !strcasecmp(file + fl - 5, ".yaml"));
        enum { DEPTH = 64 };
        uint8_t wanted[DEPTH + 1] = {0}; /* the key that holds this level names programs (KEY_*) */
        unsigned depth = 0;
        struct bw_strbuf s = {0};
        int r = 0;
        for (size_t i = 0; i < len && r == 0;) {
                char c = text[i];
                if ((c == '/' && i + 1 < len && text[i + 1] == '/') || c == '#') { /* JSONC's or TOML's comment */
                        while (i < len && text[i] != '\n')
                                i++;
                } else if (c == '/' && i + 1 < len && text[i + 1] == '*') {
                        char *end = strstr(text + i + 2, "*/");
                        i = end ? (size_t) (end - text) + 2 : len;
                } else if (c == '{' || c == '[') {
                        if (depth < DEPTH) {
                                depth++;
                                wanted[depth] = c == '[' ? wanted[depth - 1] : KEY_NONE;
                        }
                        i++;
                } else if (c == '}' || c == ']') {
                        if (depth > 0)
                                depth--;
                        i++;
                } else if (c == '"' || c == '\'' || isalnum((unsigned char) c) || c == '_' || c == '-') {
                        bw_sb_truncate(&s, 0);
                        size_t key_at = i;
                        if (c == '"' || c == '\'') {
                                for (i++; i < len && text[i] != c; i++) {
                                        if (text[i] == '\\' && c == '"' && i + 1 < len) {
                                                i++;
                                                char e = text[i] == 'n' ? '\n' : text[i] == 't' ? '\t' : text[i];
                                                bw_sb_putc(&s, e);
                                        } else
                                                bw_sb_putc(&s, text[i]);
                                }
                                i++;
                        } else
                                while (i < len && (isalnum((unsigned char) text[i]) || strchr("_-.", text[i])))
                                        bw_sb_putc(&s, text[i++]);
                        size_t k = i;
                        while (k < len && (text[k] == ' ' || text[k] == '\t'))
                                k++;
                        const char *v = s.data ? s.data : "";
                        if (k < len && (text[k] == ':' || text[k] == '=')) {
                                wanted[depth] = names_program_key(v, s.len);
                                i = k + 1;
                                if (yaml && wanted[depth])
                                        r = yaml_value(g, text, len, &i, key_at, project, file_dir,
                                                       wanted[depth] == KEY_PATH);
                                continue;
                        }
                        if (wanted[depth] && (c == '"' || c == '\''))
                                r = agent_value(g, v, s.len, project, file_dir, wanted[depth] == KEY_PATH);
                } else
                        i++;
        }
        bw_sb_done(&s);
        free(text);
        return r;
}

static bool agent_file_name(const char *name) {
        size_t n = strlen(name);
        if (!strcasecmp(name, "launch.json"))
                return false; /* what runs when you start the debugger, as a Makefile runs when you make */
        return (n > 5 && !strcasecmp(name + n - 5, ".json")) || (n > 6 && !strcasecmp(name + n - 6, ".jsonc")) ||
               (n > 4 && !strcasecmp(name + n - 4, ".yml")) || (n > 5 && !strcasecmp(name + n - 5, ".yaml")) ||
               (n > 10 && !strcasecmp(name + n - 10, ".kiro.hook")) || (n > 5 && !strcasecmp(name + n - 5, ".toml")) ||
               (n > 15 && !strcasecmp(name + n - 15, ".code-workspace"));
}

/* The files of a configuration directory (and of its directories, one level down: .kiro/settings). */
static int agent_dir(struct bw_guard *g, const char *dir, const char *project, unsigned level, unsigned *files) {
        int fd = bw_open_path_safely(dir, O_RDONLY | O_DIRECTORY, g->trusted);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        for (struct dirent *de; r == 0 && *files < MAX_AGENT_FILES && (de = readdir(d));) {
                if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                        continue;
                char sub[PATH_MAX];
                struct stat st;
                if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) >= (int) sizeof(sub) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (S_ISDIR(st.st_mode) && level == 0)
                        r = agent_dir(g, sub, project, 1, files);
                else if (S_ISREG(st.st_mode) && agent_file_name(de->d_name)) {
                        ++*files;
                        r = agent_file(g, sub, project);
                }
        }
        closedir(d);
        return r;
}

/* A hook (a shell script git runs at the worktree's top): the files its lines name (a hook that
 * hands over, `exec ./scripts/pre-commit.sh "$@"`), comments left out. */
static int shell_refs(struct bw_guard *g, const char *file, const char *top) {
        size_t len;
        char *text = read_small(file, g->trusted, MAX_CONFIG_SIZE, &len);
        if (!text)
                return 0;
        char file_dir[PATH_MAX];
        dir_of(file, file_dir);
        int r = 0;
        for (size_t p = 0; p < len && r == 0;) {
                size_t e = p, end;
                while (e < len && text[e] != '\n')
                        e++;
                for (end = p; end < e; end++)
                        if (text[end] == '#' && (end == p || text[end - 1] == ' ' || text[end - 1] == '\t'))
                                break;
                r = agent_value(g, text + p, end - p, top, file_dir, false);
                p = e + 1;
        }
        free(text);
        return r;
}

/* The hooks in a hooks directory (.git/hooks, a core.hooksPath), git's samples left out. */
static int hook_dir_refs(struct bw_guard *g, const char *dir, const char *top) {
        int fd = bw_open_path_safely(dir, O_RDONLY | O_DIRECTORY, g->trusted);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return 0;
        }
        int r = 0;
        unsigned files = 0;
        for (struct dirent *de; r == 0 && files < MAX_AGENT_FILES && (de = readdir(d));) {
                size_t n = strlen(de->d_name);
                char hook[PATH_MAX];
                struct stat st;
                if (de->d_name[0] == '.' || (n > 7 && bw_streq(de->d_name + n - 7, ".sample")) ||
                    snprintf(hook, sizeof(hook), "%s/%s", dir, de->d_name) >= (int) sizeof(hook) ||
                    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                files++;
                g->noise++; /* a hook: what it names depends on what it says */
                r = shell_refs(g, hook, top);
        }
        closedir(d);
        return r;
}

static int agent_refs(struct bw_guard *g, const char *cfg) {
        char project[PATH_MAX];
        struct stat st;
        if (lstat(cfg, &st) < 0)
                return 0;
        project_of(cfg, project, sizeof(project));
        unsigned files = 0;
        if (S_ISDIR(st.st_mode))
                return agent_dir(g, cfg, project, 0, &files);
        return S_ISREG(st.st_mode) && agent_file_name(cfg) ? agent_file(g, cfg, project) : 0;
}

static void finish_dead_runs(struct bw_guard *g);
__attribute__((format(printf, 2, 3))) static void say(struct bw_guard *g, const char *fmt, ...);

void bw_guard_set_index_dir(struct bw_guard *g, const char *dir) {
        free(g->index_path);
        g->index_path = dir ? strdup(dir) : NULL;
}

/* The index is valid only for the same roots and rules (and the same user). */
static void compute_key(struct bw_guard *g) {
        struct bw_strbuf b = {0};
        bw_sb_printf(&b, "bulwark tree index 1\nuid %u\n", (unsigned) getuid());
        for (size_t i = 0; i < g->roots.n; i++)
                bw_sb_printf(&b, "root %s\n", g->roots.v[i]);
        for (size_t i = 0; i < g->n_rules; i++)
                bw_sb_printf(&b, "rule %d %u %s\n", (int) g->rules[i].action, g->rules[i].flags, g->rules[i].text);
        bw_sha256(b.data, b.len, g->key);
        bw_sb_done(&b);
}

int bw_guard_scan(struct bw_guard *g, void (*add)(void *ud, const char *path, enum bw_guard_action action), void *ud,
                  char *msg, size_t msg_size) {
        g->add = add;
        g->ud = ud;
        g->msg = msg;
        g->msg_size = msg_size;
        struct bw_strbuf path = {0};
        struct snapshot prev = {0};
        int r = 0;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        g->scan_start_ns = (int64_t) now.tv_sec * 1000000000ll + now.tv_nsec;
        g->check_from_ns = g->run_from_ns = g->scan_start_ns - RACY_MARGIN_NS;
        compute_key(g);
        open_root_fds(g);
        if (g->index_path) { /* the directory, until now: one file per key in it */
                char hex[17], *file = NULL;
                bw_hex(g->key, 8, hex);
                if (asprintf(&file, "%s/%s", g->index_path, hex) < 0)
                        abort();
                free(g->index_path);
                g->index_path = file;
        }
        finish_dead_runs(g);
        if (g->index_path && index_load(g, g->index_path, &prev)) {
                g->used_index = true;
                uint32_t *kept = malloc((prev.n_dirs + 1) * sizeof(*kept));
                if (!kept)
                        abort();
                /* the records kept use their paths where they lie in the index read (its arena, given
                 * to g->now below) */
                bool borrow = !g->now.arena;
                snapshot_reserve(&g->now, prev.n_dirs);
                for (size_t i = 0; i < prev.n_dirs && r == 0; i++) {
                        const struct dirrec *rec = &prev.dirs[i];
                        struct stat st;
                        kept[i] = NO_PARENT;
                        if (stat_recorded(g, rec->path, &st) == 0 && unchanged(rec, NULL, &st)) {
                                if (!id_find(&g->now.ids, st.st_dev, st.st_ino))
                                        kept[i] = snapshot_dir_as(&g->now, rec->path, borrow, st.st_dev, st.st_ino,
                                                                  st.st_ctim, false);
                                continue;
                        }
                        g->index_stale = true;
                        r = rewalk(g, rec->path, false, &prev, &path);
                }
                /* what was found in the directories that did not change is still there */
                for (size_t i = 0; i < prev.n_hits && r == 0; i++) {
                        const struct hitrec *h = &prev.hits[i];
                        if (kept[h->parent] != NO_PARENT)
                                r = protect(g, h->path, h->dev, h->ino, (enum hit_kind) h->kind, h->action,
                                            kept[h->parent]);
                }
                free(kept);
                if (borrow) {
                        g->now.arena = prev.arena;
                        prev.arena = NULL;
                }
                /* the repositories found quiet then: looked up by their .git (repo_refs_cached) */
                g->prev_quiet = prev.quiet;
                g->n_prev_quiet = prev.n_quiet;
                prev.quiet = NULL;
                for (size_t i = 0; i < g->n_prev_quiet; i++)
                        id_put(&g->prev_quiet_ids, g->prev_quiet[i].gitdir.dev, g->prev_quiet[i].gitdir.ino,
                               (uint32_t) i);
                snapshot_free(&prev);
        } else {
                for (size_t i = 0; i < g->roots.n && r == 0; i++) {
                        int fd = bw_open_path_safely(g->roots.v[i], O_RDONLY | O_DIRECTORY, g->trusted);
                        if (fd < 0)
                                continue; /* a root that does not exist has nothing to protect */
                        struct stat st;
                        if (fstat(fd, &st) < 0) {
                                close(fd);
                                continue;
                        }
                        uint32_t self =
                                snapshot_dir(&g->now, g->roots.v[i], st.st_dev, st.st_ino, st.st_ctim, racy(g, &st));
                        bw_sb_truncate(&path, 0);
                        bw_sb_puts(&path, g->roots.v[i]);
                        r = walk(g, fd, &path, 0, false, NULL, self);
                }
        }
        /* the roots themselves: a new root (or one that was replaced) is read whole */
        for (size_t i = 0; i < g->roots.n && r == 0 && g->used_index; i++) {
                struct stat st;
                if (lstat(g->roots.v[i], &st) == 0 && !id_find(&g->now.ids, st.st_dev, st.st_ino))
                        r = rewalk(g, g->roots.v[i], false, NULL, &path);
        }
        /* a root that is a repository without a .git name before the run stays one (and writable) */
        for (size_t i = 0; i < g->roots.n && r == 0; i++) {
                struct stat st;
                if (g->root_fds[i] >= 0 && looks_like_gitdir(g->root_fds[i], NULL) && fstat(g->root_fds[i], &st) == 0)
                        id_put(&g->known, st.st_dev, st.st_ino, 0);
        }
        free(g->visited.slots);
        g->visited = (struct idset){0};
        bw_sb_done(&path);
        /* The user's own git config applies to every repository: programs and hooks it names with
         * a relative path are looked up in each worktree. */
        /* (read whatever the roots hold: what they name absolutely, init.templateDir, counts for
         * repositories made later too) */
        if (r == 0) {
                char file[PATH_MAX + 32];
                const char *xdg = getenv("XDG_CONFIG_HOME");
                snprintf(file, sizeof(file), "%s/.gitconfig", g->home);
                config_refs(g, file, NULL, 0);
                if (xdg && xdg[0] == '/')
                        snprintf(file, sizeof(file), "%s/git/config", xdg);
                else
                        snprintf(file, sizeof(file), "%s/.config/git/config", g->home);
                config_refs(g, file, NULL, 0);
                config_refs(g, "/etc/gitconfig", NULL, 0);
        }
        g->n_agent_refs = 0;
        for (size_t i = 0; i < g->repos.n && r == 0; i++)
                r = repo_refs_cached(g, g->repos.v[i]);
        for (size_t i = 0; i < g->gitdirs.n && r == 0; i++)
                r = gitdir_refs(g, g->gitdirs.v[i], g->gitdirs.v[i]);
        for (size_t i = 0; i < g->agent_cfgs.n && r == 0; i++)
                r = agent_refs(g, g->agent_cfgs.v[i]);
        for (size_t i = 0; i < g->literals.n && r == 0; i++) {
                struct stat st;
                if (root_of(g, g->literals.v[i]) && lstat(g->literals.v[i], &st) < 0 && errno == ENOENT)
                        vec_add(&g->missing, g->literals.v[i]);
        }
        /* rewritten only when something changed: directories read, records dropped, repositories
         * found quiet or no longer */
        if (r == 0 && g->index_path &&
            (!g->used_index || g->n_dirs_read > 0 || g->index_stale || g->quiet_changed ||
             g->quiet_reused != g->n_prev_quiet))
                index_save(g);
        /* Until the check after the run is done, the snapshot stays under this run's name: if the
         * runner is killed first, the next run in these roots does that check (finish_dead_runs). */
        if (r == 0 && g->index_path &&
            asprintf(&g->pending_path, "%s.pending.%d", g->index_path, (int) getpid()) >= 0) {
                unlink(g->pending_path);
                if (link(g->index_path, g->pending_path) < 0) {
                        free(g->pending_path);
                        g->pending_path = NULL;
                }
        }
        return r;
}

void bw_guard_stats(const struct bw_guard *g, unsigned *dirs, unsigned *hits, unsigned *repos, unsigned *checked,
                    bool *used_index) {
        *dirs = g->n_dirs_read;
        *checked = (unsigned) g->now.n_dirs;
        *used_index = g->used_index;
        *hits = g->n_hits;
        *repos = (unsigned) g->repos.n;
}

/* ---- after the run ---- */

__attribute__((format(printf, 2, 3))) static void say(struct bw_guard *g, const char *fmt, ...) {
        g->noise++; /* (a warning during a repository's reading: said again by every run) */
        if (!g->report)
                return;
        /* names come from the command: no control character of theirs reaches the terminal */
        char raw[2 * PATH_MAX], shown[2 * PATH_MAX];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(raw, sizeof(raw), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        bw_printable(raw, strlen(raw), shown, sizeof(shown));
        fprintf(g->report, "bulwark run: %s\n", shown);
}

/* Rename name (in dfd) to name.bulwark-quarantine[.N]; the new name, or NULL. */
static const char *move_aside(int dfd, const char *name, char *out, size_t size) {
        for (int i = 0; i < 100; i++) {
                char suffix[32];
                snprintf(suffix, sizeof(suffix), i ? QUARANTINE ".%d" : QUARANTINE, i);
                int keep = (int) (NAME_MAX - strlen(suffix));
                snprintf(out, size, "%.*s%s", keep, name, suffix);
                if (renameat2(dfd, name, dfd, out, RENAME_NOREPLACE) == 0)
                        return out;
                if (errno != EEXIST)
                        return NULL;
        }
        errno = EEXIST;
        return NULL;
}

/* A repository the run created: objects and refs stay, what could run code goes. False when that
 * could not be done (the caller moves the whole repository aside). */
static bool sanitise_repo(struct bw_guard *g, int dfd, const char *name, const char *path) {
        int gfd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (gfd < 0 && errno == EACCES)
                gfd = open_own_locked(g, dfd, name);
        if (gfd < 0)
                return false;
        uid_t back = unlock_dir(gfd);
        bool ok = true;
        struct bw_strbuf moved = {0};
        char *dropped = NULL, aside[NAME_MAX + 1];
        int cfd = openat(gfd, "config", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st;
        bool had_config = false;
        if (cfd >= 0 || errno != ENOENT) {
                char *text = NULL;
                size_t len = 0;
                if (cfd >= 0 && fstat(cfd, &st) == 0 && S_ISREG(st.st_mode) && (size_t) st.st_size <= MAX_CONFIG_SIZE &&
                    (text = malloc((size_t) st.st_size + 1))) {
                        ssize_t n = bw_read_full(cfd, text, (size_t) st.st_size);
                        len = n > 0 ? (size_t) n : 0;
                }
                char *clean = bw_gitconfig_sanitize(text ? text : "\x01", text ? len : 1, &dropped);
                free(text);
                if (move_aside(gfd, "config", aside, sizeof(aside))) {
                        int w = openat(gfd, "config", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
                        if (w >= 0) {
                                (void) !write(w, clean, strlen(clean));
                                close(w);
                        }
                        had_config = true;
                } else
                        ok = false;
                free(clean);
        }
        if (cfd >= 0)
                close(cfd);
        /* hooks run; modules and worktrees hold further repositories' configs and hooks; commondir,
         * gitdir and config.worktree send git to config elsewhere; an interrupted rebase's todo list
         * runs its exec lines on `git rebase --continue` */
        static const char *const risky[] = {"hooks",           "modules",      "worktrees",    "commondir", "gitdir",
                                            "config.worktree", "rebase-merge", "rebase-apply", "sequencer"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(risky); i++) {
                if (fstatat(gfd, risky[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (bw_streq(risky[i], "hooks") && S_ISDIR(st.st_mode)) {
                        /* an empty hooks directory (git init's samples only) is harmless */
                        int hfd = openat(gfd, "hooks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        DIR *hd = hfd >= 0 ? fdopendir(hfd) : NULL;
                        bool only_samples = hd != NULL;
                        for (struct dirent *de; hd && (de = readdir(hd));) {
                                size_t n = strlen(de->d_name);
                                if (de->d_name[0] != '.' && !(n > 7 && bw_streq(de->d_name + n - 7, ".sample")))
                                        only_samples = false;
                        }
                        if (hd)
                                closedir(hd);
                        else if (hfd >= 0)
                                close(hfd);
                        if (only_samples)
                                continue;
                }
                if (move_aside(gfd, risky[i], aside, sizeof(aside)))
                        bw_sb_printf(&moved, "%s%s -> %s", moved.len ? ", " : "", risky[i], aside);
                else
                        ok = false;
        }
        owner_back(back);
        close(gfd);
        if (!ok) {
                free(dropped);
                bw_sb_done(&moved);
                return false;
        }
        g->neutralised++;
        say(g, "%s: a repository this run created or moved into place; made safe for you: %s%s%s%s", path,
            had_config ? "config reduced to harmless keys" : "no config", dropped && dropped[0] ? " (dropped: " : "",
            dropped && dropped[0] ? dropped : "", dropped && dropped[0] ? ")" : "");
        if (moved.len)
                say(g, "%s: moved aside: %s", path, moved.data);
        free(dropped);
        bw_sb_done(&moved);
        return true;
}

static void neutralise(struct bw_guard *g, int dfd, const char *name, const char *path, const struct stat *st) {
        id_put(&g->known, st->st_dev, st->st_ino, 0); /* once: a renamed one may be listed again */
        /* What a run made or moved into place has a change time from the run (creating, renaming
         * and linking an inode set it; the command cannot set it back): an older object was there
         * before, whatever the snapshot missed, and is left alone. */
        int64_t changed = (int64_t) st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;
        if (changed < g->check_from_ns)
                return;
        if (g->dead_check && st->st_uid == geteuid()) {
                /* Checking for a run that was killed: anything made since by you (a repository you
                 * cloned, a .env you restored) looks the same as what the run made. Yours is not
                 * changed; it is named, to be reviewed. (Objects of a sandbox user are the run's.) */
                say(g,
                    "warning: %s appeared after a run here was killed before its check: if that run made it, "
                    "review it before you use it (bulwark did not change it)",
                    path);
                return;
        }
        /* A new .git directory keeps its work; one that cannot be made safe in place goes whole.
         * Each kept is bound by every later run: past half the runner's limit of binds (counting
         * what this run bound), a run that made thousands would stop every later one at the limit,
         * so the rest go whole too, their HEAD moved aside (git no longer takes them for
         * repositories, nor the guard for objects to bind). */
        bool is_repo = bw_streq(name, ".git") && S_ISDIR(st->st_mode);
        if (is_repo && g->n_hits + g->kept_repos < MAX_HITS / 2 && sanitise_repo(g, dfd, name, path)) {
                g->kept_repos++;
                return;
        }
        char aside[NAME_MAX + 1];
        uid_t back = unlock_dir(dfd);
        const char *moved = move_aside(dfd, name, aside, sizeof(aside));
        int e = errno;
        if (moved && is_repo) {
                int rfd = openat(dfd, aside, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                char head[NAME_MAX + 1];
                if (rfd < 0 && errno == EACCES)
                        rfd = open_own_locked(g, dfd, aside);
                if (rfd >= 0) {
                        uid_t back2 = unlock_dir(rfd);
                        struct stat hst;
                        if (fstatat(rfd, "HEAD", &hst, AT_SYMLINK_NOFOLLOW) == 0)
                                (void) move_aside(rfd, "HEAD", head, sizeof(head));
                        owner_back(back2);
                        close(rfd);
                }
        }
        owner_back(back);
        errno = e;
        if (moved) {
                g->neutralised++;
                say(g,
                    "%s: created or replaced by this run where a carve-out protects it; moved aside to %s "
                    "(review it before you use it)",
                    path, aside);
        } else
                say(g,
                    "warning: %s: created by this run where a carve-out protects it, and it could not be moved "
                    "aside (%s): review it before you use it",
                    path, strerror(errno));
}

/* A directory the run made a repository without a .git name (looks_like_gitdir): its HEAD is moved
 * aside, so git no longer takes it for one; nothing else in it is touched (its other names may be
 * the project's own: a hooks/ or config/ of a web application). */
static void neutralise_gitdir(struct bw_guard *g, int fd, const char *path, const struct stat *st) {
        id_put(&g->known, st->st_dev, st->st_ino, 0);
        /* one of its names was added, removed or renamed, which moved its change time */
        int64_t changed = (int64_t) st->st_ctim.tv_sec * 1000000000ll + st->st_ctim.tv_nsec;
        if (changed < g->check_from_ns)
                return;
        if (g->dead_check && st->st_uid == geteuid()) {
                say(g,
                    "warning: %s became a git repository (HEAD with objects, refs or commondir) after a run here "
                    "was killed before its check: if that run made it, review it before you run git there or below "
                    "(bulwark did not change it)",
                    path);
                return;
        }
        char aside[NAME_MAX + 1];
        uid_t back = unlock_dir(fd);
        const char *moved = move_aside(fd, "HEAD", aside, sizeof(aside));
        int e = errno;
        owner_back(back);
        errno = e;
        if (moved) {
                g->neutralised++;
                say(g,
                    "%s: made a git repository by this run (HEAD with objects, refs or commondir: git would use its "
                    "config and hooks there and below); its HEAD was moved aside to %s (review it before you use it)",
                    path, aside);
        } else
                say(g,
                    "warning: %s: made a git repository by this run, and its HEAD could not be moved aside (%s): do "
                    "not run git there or below before you have read its config and hooks",
                    path, strerror(errno));
}

static void check_after(struct bw_guard *g);

void bw_guard_forget_pending(struct bw_guard *g) {
        if (g->pending_path)
                unlink(g->pending_path);
}

unsigned bw_guard_after_run(struct bw_guard *g, FILE *report) {
        g->report = report;
        check_after(g);
        if (g->pending_path)
                unlink(g->pending_path);
        return g->neutralised;
}

/* A run whose runner was killed (SIGKILL: no check after it) left its snapshot: check against it
 * now, before this run looks at the tree. Objects made since by hand count as that run's: they are
 * moved aside too, and said. */
static void finish_dead_runs(struct bw_guard *g) {
        if (!g->index_path)
                return;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", g->index_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                return;
        *slash = 0;
        const char *base = slash + 1;
        size_t blen = strlen(base);
        DIR *d = opendir(dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (strncmp(de->d_name, base, blen) != 0 || strncmp(de->d_name + blen, ".pending.", 9) != 0)
                        continue;
                char *end;
                long pid = strtol(de->d_name + blen + 9, &end, 10);
                if (*end || pid <= 0 || pid == getpid() || kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue; /* a run still going (or not a name of ours) */
                char file[PATH_MAX + NAME_MAX + 2];
                snprintf(file, sizeof(file), "%s/%s", dir, de->d_name);
                struct snapshot dead = {0};
                struct stat pst;
                if (lstat(file, &pst) == 0 && index_load(g, file, &dead)) {
                        struct snapshot mine = g->now;
                        g->now = dead;
                        for (size_t i = 0; i < dead.n_hits; i++)
                                id_put(&g->known, dead.hits[i].dev, dead.hits[i].ino,
                                       dead.hits[i].kind == HIT_LINK ? KNOWN_LINK : 0);
                        say(g, "a run in these roots (runner %ld) ended without checking what it left: checking now",
                            pid);
                        int64_t mine_from = g->check_from_ns;
                        /* the pending link was made when that run scanned (its change time) */
                        g->check_from_ns = g->run_from_ns =
                                (int64_t) pst.st_ctim.tv_sec * 1000000000ll + pst.st_ctim.tv_nsec - RACY_MARGIN_NS;
                        g->dead_check = true;
                        check_after(g);
                        g->dead_check = false;
                        g->check_from_ns = g->run_from_ns = mine_from;
                        snapshot_free(&g->now);
                        g->now = mine;
                        free(g->known.slots);
                        free(g->visited.slots);
                        g->known = g->visited = (struct idset){0};
                }
                unlink(file);
        }
        if (d)
                closedir(d);
}

/* A path that did not exist before the run: what the run put there, or in its way (a link or a
 * file where a directory on the way was missing: .husky made a link to the command's directory,
 * for a hooksPath .husky/_), is neutralised. */
static void check_missing(struct bw_guard *g, const char *p) {
        const char *root = root_of(g, p);
        if (!root || is_root(g, p))
                return;
        int dfd = bw_open_path_safely(root, O_RDONLY | O_DIRECTORY, g->trusted);
        char prefix[PATH_MAX];
        snprintf(prefix, sizeof(prefix), "%s", root);
        const char *c = p + strlen(root);
        while (dfd >= 0 && *c) {
                while (*c == '/')
                        c++;
                size_t len = strcspn(c, "/");
                char name[NAME_MAX + 1];
                if (len == 0 || len > NAME_MAX)
                        break;
                memcpy(name, c, len);
                name[len] = 0;
                c += len;
                size_t pl = strlen(prefix);
                snprintf(prefix + pl, sizeof(prefix) - pl, "%s%s", pl > 1 ? "/" : "", name);
                struct stat st;
                bool last = *c == 0 || c[strspn(c, "/")] == 0;
                if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        break; /* still missing */
                if (last || !S_ISDIR(st.st_mode)) {
                        if (!known_before(g, &st))
                                neutralise(g, dfd, name, prefix, &st);
                        break;
                }
                int next = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == EACCES)
                        next = open_own_locked(g, dfd, name); /* locked by the run: hiding what it put there */
                close(dfd);
                dfd = next;
        }
        if (dfd >= 0)
                close(dfd);
}

/* Links watched before the run (watch_link) that the run removed or replaced: put back, what
 * replaced them moved aside. */
static void restore_links(struct bw_guard *g) {
        for (size_t i = 0; i < g->n_links; i++) {
                const struct watched *w = &g->links[i];
                char parent[PATH_MAX];
                snprintf(parent, sizeof(parent), "%s", w->path);
                char *name = strrchr(parent, '/');
                if (!name || name == parent)
                        continue;
                *name++ = 0;
                int dfd = open_below(g, parent, true);
                if (dfd < 0) {
                        /* its directory was moved (a link has no mount to pin its parents): what the
                         * run put in its way (a link to a directory of the command's) goes */
                        check_missing(g, w->path);
                        say(g,
                            "warning: %s, a symbolic link that leads to what is protected, could not be checked after "
                            "the run (%s): check that it still leads to %s",
                            w->path, strerror(-dfd), w->target);
                        continue;
                }
                struct stat st;
                bool there = fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
                char now[PATH_MAX];
                ssize_t n = there && S_ISLNK(st.st_mode) ? readlinkat(dfd, name, now, sizeof(now) - 1) : -1;
                if (n >= 0)
                        now[n] = 0;
                if (n >= 0 && bw_streq(now, w->target)) {
                        close(dfd);
                        continue; /* still (or again) the same link: a link's target cannot change in place */
                }
                char aside[NAME_MAX + 1] = "";
                if (there && !move_aside(dfd, name, aside, sizeof(aside))) {
                        say(g,
                            "warning: %s, a symbolic link that leads to what is protected, was replaced by this run "
                            "and could not be put back (%s): it led to %s",
                            w->path, strerror(errno), w->target);
                } else if (symlinkat(w->target, dfd, name) == 0) {
                        g->neutralised++;
                        say(g,
                            "%s: a symbolic link that leads to what is protected was %s by this run; put back (-> "
                            "%s)%s%s",
                            w->path, there ? "replaced" : "removed", w->target,
                            there ? "; what replaced it moved aside to " : "", aside);
                } else
                        say(g,
                            "warning: %s, a symbolic link that leads to what is protected, could not be put back (%s): "
                            "it led to %s",
                            w->path, strerror(errno), w->target);
                close(dfd);
        }
}

static void check_after(struct bw_guard *g) {
        struct bw_strbuf path = {0};
        char unused[8];
        g->msg = unused;
        g->msg_size = sizeof(unused);
        for (size_t i = 0; i < g->now.n_dirs; i++) {
                const struct dirrec *rec = &g->now.dirs[i];
                struct stat st;
                if (stat_recorded(g, rec->path, &st) == 0 && unchanged(rec, NULL, &st))
                        continue;
                /* A directory that could not be read before the run (a sandbox user's, mode 000 since
                 * an earlier run) was never seen: what is in it is not known to be older than this
                 * run, whatever its change times say (they are from the run that hid it). */
                int64_t from = g->check_from_ns;
                if (rec->opaque)
                        g->check_from_ns = INT64_MIN;
                (void) rewalk(g, rec->path, true, &g->now, &path);
                g->check_from_ns = from;
        }
        /* literal read_only paths and paths git would read that did not exist before the run */
        for (size_t i = 0; i < g->missing.n; i++)
                check_missing(g, g->missing.v[i]);
        restore_links(g);
        bw_sb_done(&path);
}
