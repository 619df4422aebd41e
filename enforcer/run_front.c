/* SPDX-License-Identifier: MIT */
/*
 * Which policy a run trusts. A workspace policy can be written by anyone who can write the
 * repository, sandboxed commands included (a nested .bulwark), so: the workspace is found by
 * rules a sandboxed command cannot steer toward a directory it fills, it is never the home
 * directory unless named, and a policy is used only when the user recorded its exact bytes with
 * `bulwark trust`. Nothing from a policy file is printed before its files have been checked, and
 * the compiler's diagnostics (which quote lines) only for trusted content or for `bulwark trust`.
 */
#include "run_front.h"

#include "compile.h"
#include "path_template.h"
#include "plan.h"
#include "sha256.h"
#include "strbuf.h"
#include "trust.h"
#include "widening_report.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* ---- the caller ---- */

const struct bw_front_account *bw_front_caller(void) {
        static struct bw_front_account me;
        static bool looked, found;
        if (!looked) {
                looked = true;
                struct passwd *pw = getpwuid(getuid());
                if (pw && pw->pw_name && pw->pw_dir) {
                        me = (struct bw_front_account){.name = strdup(pw->pw_name),
                                                       .dir = strdup(pw->pw_dir),
                                                       .uid = pw->pw_uid,
                                                       .gid = pw->pw_gid};
                        found = me.name && me.dir;
                }
        }
        return found ? &me : NULL;
}

/* ---- the workspace ---- */

static bool below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        if (bw_streq(dir, "/"))
                return path[0] == '/' && path[1] != 0;
        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Why dir may not be an implicit workspace, or NULL. */
static const char *forbidden(const char *dir, char homes[2][PATH_MAX]) {
        if (bw_streq(dir, "/"))
                return "the root directory";
        for (int i = 0; i < 2; i++) {
                if (!homes[i][0])
                        continue;
                if (bw_streq(dir, homes[i]))
                        return "your home directory";
                if (below(homes[i], dir))
                        return "a directory above your home directory";
        }
        return NULL;
}

static bool has_marker(const char *dir) {
        char p[PATH_MAX + 32];
        struct stat st;
        const char *d = bw_streq(dir, "/") ? "" : dir;
        snprintf(p, sizeof(p), "%s/.git", d);
        if (lstat(p, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
                return true;
        snprintf(p, sizeof(p), "%s/.bulwark/policy.yaml", d);
        return lstat(p, &st) == 0; /* any kind: a symlink or FIFO there is refused later, not skipped */
}

int bw_front_workspace(const char *cmd, const char *explicit_dir, bool verbose, char *out, size_t size) {
        char here[PATH_MAX];
        if (explicit_dir) {
                if (!realpath(explicit_dir, here)) {
                        fprintf(stderr, "bulwark %s: workspace %s: %s\n", cmd, explicit_dir, strerror(errno));
                        return -1;
                }
                snprintf(out, size, "%s", here);
                return 0;
        }
        if (!realpath(".", here)) {
                fprintf(stderr, "bulwark %s: cannot resolve the current directory: %s\n", cmd, strerror(errno));
                return -1;
        }
        char homes[2][PATH_MAX] = {"", ""};
        const struct bw_front_account *pw = bw_front_caller();
        if (pw && pw->dir[0] == '/' && !realpath(pw->dir, homes[0]))
                snprintf(homes[0], PATH_MAX, "%s", pw->dir);
        const char *env_home = getenv("HOME");
        if (env_home && env_home[0] == '/' && !realpath(env_home, homes[1]))
                snprintf(homes[1], PATH_MAX, "%s", env_home);

        /* The outermost marked directory: a .git or .bulwark a sandboxed command creates below
         * the project's top never makes its directory the workspace. */
        char path[PATH_MAX], found[PATH_MAX] = "";
        snprintf(path, sizeof(path), "%s", here);
        for (;;) {
                if (!forbidden(path, homes) && has_marker(path))
                        snprintf(found, sizeof(found), "%s", path);
                char *slash = strrchr(path, '/');
                if (!slash || bw_streq(path, "/"))
                        break;
                if (slash == path)
                        slash[1] = 0;
                else
                        *slash = 0;
        }
        if (found[0]) {
                if (verbose)
                        fprintf(stderr,
                                "bulwark %s: workspace %s (the outermost directory with .git or "
                                ".bulwark/policy.yaml)\n",
                                cmd, found);
                snprintf(out, size, "%s", found);
                return 0;
        }
        const char *why = forbidden(here, homes);
        if (why) {
                fprintf(stderr,
                        "bulwark %s: %s is %s, and it is never the workspace unless you name it: cd into a project "
                        "(a directory with .git or .bulwark/policy.yaml), or pass --workspace DIR\n",
                        cmd, here, why);
                return -1;
        }
        if (verbose)
                fprintf(stderr,
                        "bulwark %s: workspace %s (the current directory: no .git or .bulwark/policy.yaml "
                        "above it)\n",
                        cmd, here);
        snprintf(out, size, "%s", here);
        return 0;
}

/* ---- callers the runner refuses ---- */

/* From inside a sandbox, or as root through sudo, the runner refuses the run and says why and
 * what to do (bulwark-runner's check_caller): the front end does no work of its own first, whose
 * messages (an untrusted policy, as root's trust store sees it) would only mislead. */
static bool runner_refuses(void) {
        const char *sudo_user = getenv("SUDO_USER"), *sudo_uid = getenv("SUDO_UID");
        return getenv("BULWARK_SANDBOX") ||
               (getuid() == 0 && sudo_user && sudo_user[0] && !(sudo_uid && bw_streq(sudo_uid, "0")));
}

/* ---- compiling a workspace policy ---- */

static void compile_options(struct bw_compile_options *co, const char *policy, const char *const values[BW_VAR_COUNT]) {
        *co = (struct bw_compile_options){
                .policy_path = policy, .admin_dir = BW_FRONT_ADMIN_DIR, .admin_owner_also = (uid_t) -1};
        for (int i = 0; i < BW_VAR_COUNT; i++)
                co->bindings.value[i] = values[i] && values[i][0] ? values[i] : NULL;
}

static void caller_values(const char *workspace, const char *values[BW_VAR_COUNT]) {
        const struct bw_front_account *pw = bw_front_caller();
        values[BW_VAR_WORKSPACE] = workspace;
        values[BW_VAR_TMPDIR] = "/tmp";
        values[BW_VAR_HOME] = pw ? pw->dir : NULL;
        values[BW_VAR_USER] = pw ? pw->name : NULL;
}

static bool color(void) {
        return isatty(2) && !getenv("NO_COLOR");
}

/* ---- the compiled plan, kept between runs ---- */

/*
 * A run compiled the workspace's policy every time (a third of a millisecond and more, for a
 * result that changes only when a file does). The plan is kept per workspace and bindings in
 * $XDG_RUNTIME_DIR/bulwark/plans, and only when that is /run/user/UID, the caller's own 0700
 * directory that every run hides from its sandbox (so no sandboxed command can leave a plan for
 * the next run), with what it was compiled from: this program (its file's identity), the
 * bindings, the admin directory's constraint files (names and content), and every policy file's
 * path and SHA-256. It is used only when all of these are unchanged: the policy files are checked
 * as after a compilation (bw_trust_collect: where they lie, whose they are, their content) and the
 * trust record is consulted as always. Compilations with diagnostics are not kept (their
 * warnings are said on every run).
 */
#define PLAN_CACHE_MAGIC "bulwark plan cache 1\n"

static bool plan_cache_dir(char *out, size_t size) {
        const char *rt = getenv("XDG_RUNTIME_DIR");
        char want[64];
        snprintf(want, sizeof(want), "/run/user/%u", (unsigned) getuid());
        struct stat st;
        if (!rt || !bw_streq(rt, want) || lstat(rt, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
            (st.st_mode & 077))
                return false;
        snprintf(out, size, "%s/bulwark/plans", rt);
        char bulwark[80];
        snprintf(bulwark, sizeof(bulwark), "%s/bulwark", rt);
        (void) mkdir(bulwark, 0700);
        (void) mkdir(out, 0700);
        return lstat(out, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && !(st.st_mode & 077);
}

/* What the plan depends on besides the policy files: a digest, false when it cannot be told. */
static bool plan_cache_key(const char *const values[BW_VAR_COUNT], char out[65]) {
        struct bw_strbuf k = {0};
        struct stat st;
        if (stat("/proc/self/exe", &st) < 0)
                return false;
        bw_sb_printf(&k, "%s%llu %llu %lld %lld.%09ld\nuid %u\n", PLAN_CACHE_MAGIC, (unsigned long long) st.st_dev,
                     (unsigned long long) st.st_ino, (long long) st.st_size, (long long) st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec, (unsigned) getuid());
        for (int i = 0; i < BW_VAR_COUNT; i++)
                bw_sb_printf(&k, "var %d %s\n", i, values[i] ? values[i] : "");
        struct dirent **names = NULL;
        int n = scandir(BW_FRONT_ADMIN_DIR, &names, NULL, alphasort);
        if (n < 0 && errno != ENOENT) {
                bw_sb_done(&k);
                return false;
        }
        bool ok = true;
        for (int i = 0; i < n; i++) {
                const char *name = names[i]->d_name;
                size_t len = strlen(name);
                if (ok && name[0] != '.' && len > 5 && bw_streq(name + len - 5, ".yaml")) {
                        char path[PATH_MAX];
                        snprintf(path, sizeof(path), "%s/%s", BW_FRONT_ADMIN_DIR, name);
                        int fd = open(path, O_RDONLY | O_CLOEXEC);
                        char *buf = malloc(1 << 20);
                        ssize_t got = fd >= 0 && buf ? bw_read_full(fd, buf, 1 << 20) : -1;
                        uint8_t d[32];
                        char hex[65];
                        if (got < 0 || got == 1 << 20)
                                ok = false;
                        else {
                                bw_sha256(buf, (size_t) got, d);
                                bw_hex(d, 32, hex);
                                bw_sb_printf(&k, "admin %s %s\n", name, hex);
                        }
                        free(buf);
                        if (fd >= 0)
                                close(fd);
                }
                free(names[i]);
        }
        free(names);
        uint8_t d[32];
        bw_sha256(k.data, k.len, d);
        bw_sb_done(&k);
        bw_hex(d, 32, out);
        return ok;
}

static bool plan_cache_path(const char *const values[BW_VAR_COUNT], char *out, size_t size) {
        char dir[PATH_MAX];
        if (!plan_cache_dir(dir, sizeof(dir)))
                return false;
        struct bw_strbuf k = {0};
        for (int i = 0; i < BW_VAR_COUNT; i++)
                bw_sb_printf(&k, "%s\n", values[i] ? values[i] : "");
        uint8_t d[32];
        char hex[33];
        bw_sha256(k.data, k.len, d);
        bw_sb_done(&k);
        bw_hex(d, 16, hex);
        return snprintf(out, size, "%s/%s.plan", dir, hex) < (int) size;
}

/* The kept plan for these bindings, when everything it came from is unchanged: true, its bytes
 * (8-byte aligned, the caller frees them) and the policy files as checked now. */
static bool plan_cache_load(const char *workspace, const char *const values[BW_VAR_COUNT], uint8_t **ret,
                            size_t *ret_size, struct bw_trust_set *now) {
        char path[PATH_MAX], key[65];
        if (!plan_cache_path(values, path, sizeof(path)) || !plan_cache_key(values, key))
                return false;
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return false;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() || st.st_size > (64 << 20)) {
                close(fd);
                return false;
        }
        size_t cap = (size_t) st.st_size + 1;
        char *text = malloc(cap);
        ssize_t n = text ? bw_read_full(fd, text, cap) : -1;
        close(fd);
        bool ok = text && n >= 0 && (size_t) n == cap - 1;
        if (ok)
                text[cap - 1] = 0;
        /* header lines, then "plan SIZE\n" and the plan's bytes */
        char *p = text, *end = text + (n > 0 ? n : 0);
        size_t mlen = strlen(PLAN_CACHE_MAGIC);
        ok = ok && (size_t) n > mlen && memcmp(p, PLAN_CACHE_MAGIC, mlen) == 0;
        p += ok ? mlen : 0;
        ok = ok && strncmp(p, "key ", 4) == 0 && strncmp(p + 4, key, 64) == 0 && p[68] == '\n';
        p += ok ? 69 : 0;
        struct bw_source *src = NULL;
        struct bw_source **ptrs = NULL;
        size_t n_src = 0;
        while (ok && strncmp(p, "file ", 5) == 0) {
                char *nl = memchr(p, '\n', (size_t) (end - p));
                unsigned layer;
                char hex[65];
                int off = 0;
                if (!nl || sscanf(p, "file %u %64s %n", &layer, hex, &off) != 2 || off <= 0 || strlen(hex) != 64) {
                        ok = false;
                        break;
                }
                *nl = 0;
                struct bw_source *grown = realloc(src, (n_src + 1) * sizeof(*src));
                if (!grown) {
                        ok = false;
                        break;
                }
                src = grown;
                src[n_src] = (struct bw_source){.path = p + off, .layer = layer};
                for (int i = 0; i < 32; i++) {
                        unsigned byte;
                        if (sscanf(hex + (size_t) 2 * (size_t) i, "%2x", &byte) != 1)
                                ok = false;
                        src[n_src].sha256[i] = (uint8_t) byte;
                }
                n_src++;
                p = nl + 1;
        }
        unsigned long long plan_size = 0;
        int off = 0;
        ok = ok && sscanf(p, "plan %llu\n%n", &plan_size, &off) == 1 && off > 0 &&
             plan_size == (unsigned long long) (end - p - off);
        char why[512];
        if (ok) {
                /* the files as a compilation would have read them: checked and hashed again */
                ptrs = calloc(n_src + 1, sizeof(*ptrs));
                for (size_t i = 0; ptrs && i < n_src; i++)
                        ptrs[i] = &src[i];
                struct bw_compilation as_read = {.sources = {.v = ptrs, .n = n_src, .cap = n_src}};
                ok = ptrs && bw_trust_collect(&as_read, workspace, BW_FRONT_ADMIN_DIR, now, why, sizeof(why)) == 0;
        }
        uint8_t *plan = ok ? aligned_alloc(8, ((size_t) plan_size + 7) & ~(size_t) 7) : NULL;
        struct bw_plan parsed = {0};
        struct bw_plan_error err;
        if (plan) {
                memcpy(plan, p + off, (size_t) plan_size);
                if (bw_plan_parse(plan, (size_t) plan_size, 0, &parsed, &err) < 0) { /* validated, as the runner will */
                        free(plan);
                        plan = NULL;
                }
        }
        if (plan) {
                *ret = plan;
                *ret_size = (size_t) plan_size;
        } else if (ok)
                bw_trust_set_done(now);
        free(ptrs);
        free(src);
        free(text);
        return plan != NULL;
}

/* Keep a clean compilation's plan for the next run (best effort: a failure only costs a compile). */
static void plan_cache_store(const char *const values[BW_VAR_COUNT], const struct bw_compilation *comp,
                             const uint8_t *plan, size_t size) {
        char path[PATH_MAX], key[65];
        if (comp->diags.n || !plan_cache_path(values, path, sizeof(path)) || !plan_cache_key(values, key))
                return;
        struct bw_strbuf b = {0};
        bw_sb_printf(&b, "%skey %s\n", PLAN_CACHE_MAGIC, key);
        for (size_t i = 0; i < comp->sources.n; i++) {
                const struct bw_source *src = comp->sources.v[i];
                if ((src->layer != BW_LAYER_POLICY && src->layer != BW_LAYER_EXTENDS) || !src->path)
                        continue;
                if (strchr(src->path, '\n')) {
                        bw_sb_done(&b);
                        return;
                }
                char hex[65];
                bw_hex(src->sha256, 32, hex);
                bw_sb_printf(&b, "file %u %s %s\n", (unsigned) src->layer, hex, src->path);
        }
        bw_sb_printf(&b, "plan %zu\n", size);
        bw_sb_append(&b, (const char *) plan, size);
        char tmp[PATH_MAX + 32];
        snprintf(tmp, sizeof(tmp), "%s.%d", path, (int) getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        bool ok = fd >= 0;
        for (size_t done = 0; ok && done < b.len;) {
                ssize_t w = write(fd, b.data + done, b.len - done);
                if (w < 0 && errno == EINTR)
                        continue;
                ok = w > 0;
                done += ok ? (size_t) w : 0;
        }
        if (fd >= 0)
                close(fd);
        if (!ok || rename(tmp, path) < 0)
                unlink(tmp);
        bw_sb_done(&b);
}

/* ---- elevated: is the policy the plan in force? ---- */

struct rule_key {
        uint32_t kind, match, flags;
        char *text; /* bound */
};

static int cmp_keys(const void *a, const void *b) {
        const struct rule_key *x = a, *y = b;
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        if (x->match != y->match)
                return x->match < y->match ? -1 : 1;
        if (x->flags != y->flags)
                return x->flags < y->flags ? -1 : 1;
        return strcmp(x->text, y->text);
}

static struct rule_key *plan_keys(const struct bw_plan *p, const struct bw_bindings *b) {
        struct rule_key *k = calloc(p->n_rules + 1, sizeof(*k));
        if (!k)
                return NULL;
        for (uint32_t i = 0; i < p->n_rules; i++) {
                const struct bw_plan_rule *r = &p->rules[i];
                const char *t = bw_plan_string(p, r->text);
                enum bw_template_kind tk = r->match == BW_MATCH_GLOB    ? BW_TEMPLATE_GLOB
                                           : r->match == BW_MATCH_REGEX ? BW_TEMPLATE_REGEX
                                                                        : BW_TEMPLATE_PATH;
                k[i] = (struct rule_key){r->kind, r->match, r->flags, NULL};
                if (bw_template_bind(t, tk, b, &k[i].text, NULL) < 0)
                        k[i].text = strdup(t);
                if (!k[i].text)
                        abort();
        }
        qsort(k, p->n_rules, sizeof(*k), cmp_keys);
        return k;
}

static void free_keys(struct rule_key *k, uint32_t n) {
        for (uint32_t i = 0; k && i < n; i++)
                free(k[i].text);
        free(k);
}

static const char *kind_word(uint32_t kind) {
        return kind == BW_RULE_WRITABLE    ? "writable"
               : kind == BW_RULE_READ_ONLY ? "read-only"
               : kind == BW_RULE_READABLE  ? "readable"
               : kind == BW_RULE_CACHE     ? "a cache root (copy-on-write)"
                                           : "unreadable";
}

/* The first difference of policy plan a from installed plan b, in words, and how many in all;
 * 0 when they do the same. */
static size_t plan_difference(const struct bw_plan *a, const struct bw_plan *b, const struct bw_bindings *bind,
                              char *out, size_t size) {
        size_t n = 0;
        out[0] = 0;
        if (a->meta->network != b->meta->network) {
                snprintf(out, size, "turns the network %s", a->meta->network == BW_NETWORK_ON ? "on" : "off");
                n++;
        }
        struct rule_key *ka = plan_keys(a, bind), *kb = plan_keys(b, bind);
        if (!ka || !kb)
                abort();
        uint32_t i = 0, j = 0;
        char t[512];
        while (i < a->n_rules || j < b->n_rules) {
                int c = i >= a->n_rules ? 1 : j >= b->n_rules ? -1 : cmp_keys(&ka[i], &kb[j]);
                if (c == 0) {
                        i++, j++;
                        continue;
                }
                const struct rule_key *k = c < 0 ? &ka[i++] : &kb[j++];
                if (n++ == 0)
                        snprintf(out, size, "%s %s %s", c < 0 ? "makes" : "no longer makes",
                                 bw_printable(k->text, strlen(k->text), t, sizeof(t)), kind_word(k->kind));
        }
        if (n == 0 && a->n_tokens != b->n_tokens) {
                snprintf(out, size, "has %u sandbox identities, the installed plan %u", a->n_tokens, b->n_tokens);
                n++;
        }
        free_keys(ka, a->n_rules);
        free_keys(kb, b->n_rules);
        return n;
}

void bw_front_note_installed(const char *id, const char *const values_in[BW_VAR_COUNT]) {
        if (runner_refuses())
                return;
        const char *ws = values_in[BW_VAR_WORKSPACE];
        char policy[PATH_MAX + 32], why[1024];
        snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", ws);
        int r = bw_trust_policy_precheck(ws, why, sizeof(why));
        if (r == -ENOENT)
                return;
        if (r < 0) {
                fprintf(stderr, "bulwark run: note: the plan installed for %s (%s) is in force; %s\n", ws, id, why);
                return;
        }
        const char *values[BW_VAR_COUNT];
        for (int i = 0; i < BW_VAR_COUNT; i++)
                values[i] = values_in[i];
        struct bw_compile_options co;
        compile_options(&co, policy, values);
        struct bw_compilation comp = {0};
        struct bw_trust_set files = {0};
        uint8_t *bytes = NULL;
        size_t size = 0;
        struct bw_plan mine = {0}, *installed = NULL;
        struct bw_plan_error err;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), BW_FRONT_STATE_DIR "/installs/%s/plan", id);
        if (plan_cache_load(ws, values, &bytes, &size, &files)) /* compiled by an earlier run */
                goto compare;
        r = bw_compile(&co, &comp);
        if (r == 0 && bw_trust_collect(&comp, ws, co.admin_dir, &files, why, sizeof(why)) < 0) {
                fprintf(stderr, "bulwark run: note: the plan installed for %s (%s) is in force; %s\n", ws, id, why);
                goto out;
        }
        if (r < 0) {
                fprintf(stderr,
                        "bulwark run: note: the plan installed for %s (%s) is in force; %s does not compile "
                        "(`bulwark trust --show --workspace %s` says why)\n",
                        ws, id, policy, ws);
                goto out;
        }
        if (bw_compilation_to_plan(&comp, true, &bytes, &size) < 0)
                goto out;
        plan_cache_store(values, &comp, bytes, size);
compare:
        if (bw_plan_parse(bytes, size, 0, &mine, &err) < 0 || bw_plan_load(p, 0, &installed, &err) < 0)
                goto out; /* the runner reports an unreadable installed plan */
        if (memcmp(mine.header->effect_digest, installed->header->effect_digest, 32) == 0)
                goto out;
        char diff[700];
        size_t n = plan_difference(&mine, installed, &co.bindings, diff, sizeof(diff));
        if (n > 0)
                fprintf(stderr,
                        "bulwark run: note: the plan installed for %s (%s) is in force, not %s, which %s%s; to "
                        "install it: bulwarkc %s -D workspace=%s -o PLAN && sudo bulwark apply PLAN --workspace %s\n",
                        ws, id, policy, diff, n > 1 ? " (and more)" : "", policy, ws, ws);
out:
        bw_plan_free(installed);
        free(bytes);
        bw_trust_set_done(&files);
        bw_compilation_done(&comp);
}

/* ---- unelevated: the trusted policy ---- */

struct diff_print {
        FILE *f;
        size_t n;
};

static void print_diff(void *userdata, const char *path, enum bw_trust_state s) {
        struct diff_print *d = userdata;
        char t[PATH_MAX];
        fprintf(d->f, "  %s: %s\n", bw_printable(path, strlen(path), t, sizeof(t)), bw_trust_state_name(s));
        d->n++;
}

static void print_widening(const struct bw_compilation *c, const struct bw_compile_options *co, FILE *f) {
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return;
        int n = bw_widening_report(c, co, m, "  ");
        fclose(m);
        if (n < 0)
                fprintf(f, "(cannot compare it with the built-in workspace-write profile: %s)\n", strerror(-n));
        else if (n == 0)
                fputs("It grants nothing beyond the built-in workspace-write profile.\n", f);
        else
                fprintf(f, "It grants more than the built-in workspace-write profile:\n%s", text);
        free(text);
}

bool bw_front_admin_constraints(void) {
        return bw_admin_dir_has_constraints(BW_FRONT_ADMIN_DIR);
}

/* An anonymous file holding size bytes of buf, for the runner; -1 after saying why. */
static int plan_memfd(const uint8_t *buf, size_t size) {
        int fd = memfd_create("bulwark-plan", 0); /* inherited by the runner on purpose */
        if (fd < 0 || write(fd, buf, size) != (ssize_t) size || lseek(fd, 0, SEEK_SET) < 0) {
                fprintf(stderr, "bulwark run: cannot hand the compiled plan over: %s\n", strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

int bw_front_builtin_memfd(const char *workspace) {
        const char *values[BW_VAR_COUNT];
        caller_values(workspace, values);
        struct bw_compile_options co;
        compile_options(&co, "builtin:workspace-write", values);
        struct bw_compilation comp = {0};
        uint8_t *buf = NULL;
        size_t size = 0;
        int fd = -1;
        int r = bw_compile(&co, &comp);
        bw_diags_print(&comp.diags, &comp.sources, stderr, color());
        if (r < 0)
                fprintf(stderr,
                        "bulwark run: the built-in workspace-write profile for %s does not satisfy the admin "
                        "constraints in %s (above); the command was not run\n",
                        workspace, BW_FRONT_ADMIN_DIR);
        else if (bw_compilation_to_plan(&comp, true, &buf, &size) < 0)
                fprintf(stderr, "bulwark run: cannot build a plan from the built-in workspace-write profile\n");
        else
                fd = plan_memfd(buf, size);
        free(buf);
        bw_compilation_done(&comp);
        return fd;
}

int bw_front_policy_memfd(const char *workspace) {
        if (runner_refuses())
                return BW_FRONT_NO_POLICY; /* the runner says why the run cannot be */
        char policy[PATH_MAX + 32], why[1024];
        snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", workspace);
        int r = bw_trust_policy_precheck(workspace, why, sizeof(why));
        if (r == -ENOENT)
                return bw_front_admin_constraints() ? bw_front_builtin_memfd(workspace) : BW_FRONT_NO_POLICY;
        if (r < 0) {
                fprintf(stderr, "bulwark run: %s; the command was not run\n", why);
                return -1;
        }
        const char *values[BW_VAR_COUNT];
        caller_values(workspace, values);
        struct bw_compile_options co;
        compile_options(&co, policy, values);
        struct bw_compilation comp = {0};
        struct bw_trust_set now = {0}, trusted = {0};
        uint8_t *buf = NULL;
        size_t size = 0;
        int fd = -1;
        /* the plan kept from an earlier run of the same files, if they are still trusted */
        if (plan_cache_load(workspace, values, &buf, &size, &now)) {
                if (bw_trust_load(workspace, &trusted, why, sizeof(why)) == 0 &&
                    bw_trust_compare(&trusted, &now, NULL, NULL) == 0)
                        goto hand_over;
                free(buf); /* not (or no longer) trusted: the full path says so */
                buf = NULL;
                bw_trust_set_done(&now);
                bw_trust_set_done(&trusted);
        }
        r = bw_compile(&co, &comp);
        if (r < 0 && r != -EINVAL) {
                fprintf(stderr, "bulwark run: cannot read %s: %s; the command was not run\n", policy, strerror(-r));
                goto out;
        }
        if (bw_trust_collect(&comp, workspace, co.admin_dir, &now, why, sizeof(why)) < 0) {
                fprintf(stderr, "bulwark run: %s; the command was not run\n", why);
                goto out;
        }
        int t = bw_trust_load(workspace, &trusted, why, sizeof(why));
        if (t < 0 && t != -ENOENT) {
                fprintf(stderr, "bulwark run: %s; the command was not run\n", why);
                goto out;
        }
        struct diff_print d = {.f = stderr};
        if (t == -ENOENT || bw_trust_compare(&trusted, &now, NULL, NULL) > 0) {
                if (t == -ENOENT)
                        fprintf(stderr,
                                "bulwark run: %s is not trusted: a cloned repository or a sandboxed command may have "
                                "written it.\n",
                                policy);
                else {
                        fprintf(stderr, "bulwark run: %s changed since you trusted it:\n", policy);
                        bw_trust_compare(&trusted, &now, print_diff, &d);
                }
                if (r == 0)
                        print_widening(&comp, &co, stderr);
                else
                        fputs("It does not compile either.\n", stderr);
                fprintf(stderr,
                        "Review it (`bulwark trust --show` lists its files and what they grant), then run `bulwark "
                        "trust` in %s. The command was not run.\n",
                        workspace);
                goto out;
        }
        /* trusted: its diagnostics quote only lines the user has read */
        bw_diags_print(&comp.diags, &comp.sources, stderr, color());
        if (r < 0) {
                fprintf(stderr, "bulwark run: %s has errors; the command was not run\n", policy);
                goto out;
        }
        if (bw_compilation_to_plan(&comp, true, &buf, &size) < 0) {
                fprintf(stderr, "bulwark run: cannot build a plan from %s\n", policy);
                goto out;
        }
        plan_cache_store(values, &comp, buf, size);
hand_over:
        fd = plan_memfd(buf, size);
out:
        free(buf);
        bw_trust_set_done(&now);
        bw_trust_set_done(&trusted);
        bw_compilation_done(&comp);
        return fd;
}

/* ---- bulwark trust ---- */

int bw_front_trust(const char *workspace, bool show, bool revoke) {
        char policy[PATH_MAX + 32], why[1024], record[PATH_MAX + 40] = "";
        snprintf(policy, sizeof(policy), "%s/.bulwark/policy.yaml", workspace);
        (void) bw_trust_record_path(workspace, record, sizeof(record));
        if (revoke) {
                int r = bw_trust_revoke(workspace, why, sizeof(why));
                if (r < 0) {
                        fprintf(stderr, "bulwark trust: %s\n", why);
                        return 1;
                }
                printf(r ? "bulwark trust: %s: trust revoked; runs there refuse its policy until you trust it again\n"
                         : "bulwark trust: %s: nothing was trusted\n",
                       workspace);
                return 0;
        }
        int r = bw_trust_policy_precheck(workspace, why, sizeof(why));
        if (r == -ENOENT) {
                fprintf(stderr,
                        "bulwark trust: %s has no .bulwark/policy.yaml: nothing to trust (runs there use the "
                        "built-in workspace-write profile)\n",
                        workspace);
                return 1;
        }
        if (r < 0) {
                fprintf(stderr, "bulwark trust: %s\n", why);
                return 1;
        }
        const char *values[BW_VAR_COUNT];
        caller_values(workspace, values);
        struct bw_compile_options co;
        compile_options(&co, policy, values);
        struct bw_compilation comp;
        struct bw_trust_set now = {0}, trusted = {0};
        int ret = 1;
        r = bw_compile(&co, &comp);
        if (r < 0 && r != -EINVAL) {
                fprintf(stderr, "bulwark trust: cannot read %s: %s\n", policy, strerror(-r));
                goto out;
        }
        if (bw_trust_collect(&comp, workspace, co.admin_dir, &now, why, sizeof(why)) < 0) {
                fprintf(stderr, "bulwark trust: %s; nothing was trusted\n", why);
                goto out;
        }
        /* every file is a checked policy file now: its lines may be quoted */
        bw_diags_print(&comp.diags, &comp.sources, stderr, color());
        int t = bw_trust_load(workspace, &trusted, why, sizeof(why));
        if (t < 0 && t != -ENOENT) {
                fprintf(stderr, "bulwark trust: %s\n", why);
                goto out;
        }
        printf("Policy of %s:\n", workspace);
        for (size_t i = 0; i < now.n; i++) {
                char hex[65], shown[PATH_MAX];
                bw_hex(now.v[i].sha256, 32, hex);
                const struct bw_trust_set one = {.v = &now.v[i], .n = 1};
                struct bw_trust_set match = {0};
                for (size_t k = 0; k < trusted.n; k++)
                        if (bw_streq(trusted.v[k].path, now.v[i].path))
                                match = (struct bw_trust_set){.v = &trusted.v[k], .n = 1};
                const char *state = bw_trust_state_name(!match.n                                     ? BW_TRUST_NEW
                                                        : bw_trust_compare(&match, &one, NULL, NULL) ? BW_TRUST_CHANGED
                                                                                                     : BW_TRUST_SAME);
                printf("  %s  sha256:%.16s  %s\n",
                       bw_printable(now.v[i].path, strlen(now.v[i].path), shown, sizeof(shown)), hex, state);
        }
        for (size_t k = 0; k < trusted.n; k++) {
                bool used = false;
                for (size_t i = 0; i < now.n; i++)
                        used |= bw_streq(trusted.v[k].path, now.v[i].path);
                char shown[PATH_MAX];
                if (!used)
                        printf("  %s  %s\n",
                               bw_printable(trusted.v[k].path, strlen(trusted.v[k].path), shown, sizeof(shown)),
                               bw_trust_state_name(BW_TRUST_GONE));
        }
        if (r == 0)
                print_widening(&comp, &co, stdout);
        bool same = t == 0 && bw_trust_compare(&trusted, &now, NULL, NULL) == 0;
        if (r < 0) {
                fprintf(stderr, "bulwark trust: %s has errors: fix them first; nothing was trusted\n", policy);
                goto out;
        }
        if (show) {
                printf(same ? "Trusted: runs in %s use this policy.\n"
                            : "Not trusted: runs in %s refuse it until you run `bulwark trust` there.\n",
                       workspace);
                ret = 0;
                goto out;
        }
        if (getenv("BULWARK_SANDBOX")) {
                fputs("bulwark trust: refusing inside a bulwark sandbox: trust is the user's decision, made outside\n",
                      stderr);
                goto out;
        }
        if (bw_trust_save(workspace, &now, why, sizeof(why)) < 0) {
                fprintf(stderr, "bulwark trust: %s\n", why);
                goto out;
        }
        printf("Trusted: runs in %s use this policy until one of its files changes (record %s).\n", workspace, record);
        ret = 0;
out:
        bw_trust_set_done(&now);
        bw_trust_set_done(&trusted);
        bw_compilation_done(&comp);
        return ret;
}
