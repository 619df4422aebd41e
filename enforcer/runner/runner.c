/* SPDX-License-Identifier: MIT */
/*
 * bulwark-runner: start one command under a plan's token spec. The only bulwark code on every
 * command's path, so it is small, links nothing heavy, walks no tree and touches no firewall.
 *
 * Elevated: when a plan installed by `bulwark apply` (root-owned, in the state directory) covers
 * the workspace, and the caller is the real user it was installed for, the runner switches to
 * the plan's sandbox principal (setgroups, setresgid, setresuid: what its cap_setuid and
 * cap_setgid are for), drops every capability, and joins the pipeline of sandbox.h.
 * Unelevated: otherwise the caller itself joins the pipeline, with --plan / --plan-fd or the
 * built-in workspace-write plan. Any refusal exits 125 before the command runs.
 */
#include "env_policy.h"
#include "install_bindings.h"
#include "path_template.h"
#include "plan_limits.h"
#include "strbuf.h"
#include "plan.h"
#include "safe_open.h"
#include "sandbox.h"
#include "session.h"
#include "sha256.h"
#include "tree_guard.h"
#include "util.h"
#ifdef BULWARK_RUNNER_IN_PROCESS
#include "run_front.h"
#endif

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>

#ifndef BULWARK_STATE_DIR
#define BULWARK_STATE_DIR "/var/lib/bulwark"
#endif

extern const unsigned char bw_builtin_plan[];
extern const size_t bw_builtin_plan_size;

/* After the run (or a refusal), an elevated runner gives up the caller's real uid too: nothing is
 * left to signal, and one uid throughout is what LeakSanitizer's exit-time check (which traces
 * the process) needs in the sanitizer builds. */
static void settle_ids(void) {
        uid_t r, e, s;
        if (getresuid(&r, &e, &s) < 0 || ((r != e || s != e) && setresuid(e, e, e) < 0))
                _exit(125);
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* an id change made it undumpable: a plain process again */
}

/* The tree guard of this run, once it has looked at the tree: a refusal drops its pending
 * snapshot (no command ran, so there is nothing to check later). */
static struct bw_guard *active_guard;

/* The run can't happen: say why and what to do, exit 125 (the command never ran). */
__attribute__((noreturn, format(printf, 1, 2))) static void refuse(const char *fmt, ...) {
        if (active_guard) {
                (void) !setresuid((uid_t) -1, getuid(), (uid_t) -1); /* the snapshot is the caller's */
                bw_guard_forget_pending(active_guard);
        }
        settle_ids();
        va_list ap;
        va_start(ap, fmt);
        fputs("bulwark run: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(125);
}

static void usage(FILE *f) {
        fputs("Usage: bulwark-runner [OPTIONS] -- COMMAND [ARG...]\n"
              "       (also reached as: bulwark run [OPTIONS] -- COMMAND [ARG...])\n"
              "Run COMMAND under the token spec of the plan that covers the workspace.\n\n"
              "  -n, --network        use the online token spec (the plan must allow network)\n"
              "      --plan PLAN      unelevated: use this plan (default: the built-in workspace-write)\n"
              "      --plan-fd N      unelevated: read the plan from file descriptor N\n"
              "  -w, --workspace DIR  the workspace (default: the current directory)\n"
              "  -v, --verbose        say which mode and which layers were used\n"
              "      --session start|stop|list   a warm sandbox for the workspace (see `bulwark session --help`);\n"
              "                       BULWARK_SESSION=auto: a run without one starts it, =off: every run cold\n"
              "      --version        the version\n"
              "  -h, --help           this help\n\n"
              "Elevated mode is used when `bulwark apply` installed a plan for the workspace (or a\n"
              "directory above it) for the calling user. Exit status: the command's own; 125 when the\n"
              "sandbox could not be set up; 126/127 when COMMAND cannot be executed / is not found.\n",
              f);
}

/* The caller's account entry. In `bulwark` the front end's (run_front.h), which looked it up
 * already: each lookup through NSS costs tens of microseconds of every run. */
static const struct passwd *caller_account(void) {
#ifdef BULWARK_RUNNER_IN_PROCESS
        static struct passwd pw;
        const struct bw_front_account *a = bw_front_caller();
        if (!a)
                return NULL;
        pw = (struct passwd){.pw_name = a->name, .pw_dir = a->dir, .pw_uid = a->uid, .pw_gid = a->gid};
        return &pw;
#else
        return getpwuid(getuid());
#endif
}

/* ---- who is calling ---- */

/* A run from inside a sandbox: bulwark's marker, or what one looks like from inside (no new
 * privileges, seccomp, and a user namespace that maps a single id). Nothing inside can start
 * another: its user namespace maps no other id, no_new_privs takes the runner's capabilities, and
 * the state it would read belongs to users it cannot see. which: what is known of the sandbox. */
static bool inside_sandbox(char *which, size_t size) {
        const char *marker = getenv("BULWARK_SANDBOX");
        bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
        if (!marker && !nnp)
                return false; /* (a run's usual case: one system call, no file read) */
        bool one_id = false, seccomp = false;
        char buf[256];
        int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0)
                close(fd);
        unsigned a, b, c;
        if (n > 0) {
                buf[n] = 0;
                one_id = sscanf(buf, "%u %u %u", &a, &b, &c) == 3 && c == 1 && !strchr(strchr(buf, '\n') + 1, '\n');
        }
        FILE *f = fopen("/proc/self/status", "re");
        for (char line[128]; f && fgets(line, sizeof(line), f);)
                if (strncmp(line, "Seccomp:", 8) == 0)
                        seccomp = atoi(line + 8) == 2;
        if (f)
                fclose(f);
        if (!marker && !(nnp && one_id && seccomp))
                return false;
        struct passwd *pw = getpwuid(getuid());
        bool sandbox_user = pw && (strncmp(pw->pw_name, "bw-off-", 7) == 0 || strncmp(pw->pw_name, "bw-on-", 6) == 0);
        if (marker && (bw_streq(marker, "offline") || bw_streq(marker, "online")))
                snprintf(which, size, "an %s bulwark sandbox%s%s%s", marker, sandbox_user ? " (elevated, as " : "",
                         sandbox_user ? pw->pw_name : "", sandbox_user ? ")" : "");
        else if (sandbox_user)
                snprintf(which, size, "a bulwark sandbox (elevated, as %s)", pw->pw_name);
        else
                snprintf(which, size, "a sandbox (no new privileges, seccomp, one user id: bulwark's or one like it)");
        return true;
}

/* Refuse the callers bulwark run cannot serve, saying why: from inside a sandbox, and root
 * through sudo (a run is the caller's own: as root it would be root's, and elevated mode comes
 * from an installation, not from running the runner as root). */
static void check_caller(void) {
        char which[160];
        if (inside_sandbox(which, sizeof(which)))
                refuse("this is already inside %s, which cannot start another (nesting is refused): run the "
                       "command directly here (it is sandboxed already), or run `bulwark run` outside the sandbox",
                       which);
        const char *sudo_user = getenv("SUDO_USER"), *sudo_uid = getenv("SUDO_UID");
        if (getuid() == 0 && sudo_user && sudo_user[0] && !(sudo_uid && bw_streq(sudo_uid, "0")))
                refuse("you ran this through sudo, as root: bulwark run runs the command as the user who calls it, "
                       "so run it as %s, without sudo. Elevated mode (the command as %s's sandbox user) comes "
                       "from a plan installed once with `sudo bulwark apply PLAN --workspace DIR --user %s`; "
                       "apply is the only step that needs root",
                       sudo_user, sudo_user, sudo_user);
}

/* ---- capabilities (raw system calls: no libcap on the command path) ---- */

static bool has_setid_caps(void) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return false;
        uint32_t want = (1u << CAP_SETUID) | (1u << CAP_SETGID);
        return (d[0].permitted & want) == want;
}

static void drop_all_caps(void) {
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2] = {0};
        if (syscall(SYS_capset, &h, d) < 0)
                refuse("cannot drop capabilities: %s", strerror(errno));
        /* After dropping them the runner is an ordinary process of its user: make /proc/PID files
         * its own again, so it can write its sandbox's id maps. */
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* ---- the installed plan ---- */

/* Open name below dirfd without following symlinks, and insist that root owns it and nobody else
 * can write it: the runner trusts nothing else with its caller's identity. */
static int open_root_owned(int dirfd, const char *name, bool dir, const char *shown) {
        int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (dir ? O_DIRECTORY : 0));
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) ||
            (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
                close(fd);
                refuse("%s is not a root-owned %s that only root can write: it cannot be trusted; have an "
                       "administrator check it and re-run `bulwark apply`",
                       shown, dir ? "directory" : "file");
        }
        return fd;
}

static int open_state_dir(void) {
        int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char path[] = BULWARK_STATE_DIR "/installs";
        for (char *save = NULL, *c = strtok_r(path + 1, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
                int next = open_root_owned(fd, c, true, BULWARK_STATE_DIR);
                close(fd);
                fd = next;
        }
        return fd;
}

struct install {
        char id[17];
        char values[BW_VAR_COUNT][PATH_MAX];
        /* whom its runs run as: the accounts and groups apply chose ("" before per-user accounts) */
        char offline[BW_BINDINGS_ACCOUNT_MAX], online[BW_BINDINGS_ACCOUNT_MAX], groups[BW_BINDINGS_GROUPS_MAX];
        int dir_fd;
};

static bool read_bindings(int dir_fd, struct install *in) {
        int fd = open_root_owned(dir_fd, "bindings", false, "the installation's bindings");
        if (fd < 0)
                return false;
        char *buf = malloc(BW_BINDINGS_MAX + 1);
        struct bw_install_bindings *b = malloc(sizeof(*b));
        ssize_t n = buf && b ? bw_read_full(fd, buf, BW_BINDINGS_MAX + 1) : -ENOMEM;
        close(fd);
        bool ok = n > 0 && n <= BW_BINDINGS_MAX && bw_bindings_decode(buf, (size_t) n, b) == 0;
        if (ok) {
                snprintf(in->values[BW_VAR_HOME], PATH_MAX, "%s", b->home);
                snprintf(in->values[BW_VAR_TMPDIR], PATH_MAX, "%s", b->tmpdir);
                snprintf(in->values[BW_VAR_USER], PATH_MAX, "%s", b->user);
                snprintf(in->values[BW_VAR_WORKSPACE], PATH_MAX, "%s", b->workspace);
                snprintf(in->offline, sizeof(in->offline), "%s", b->offline);
                snprintf(in->online, sizeof(in->online), "%s", b->online);
                snprintf(in->groups, sizeof(in->groups), "%s", b->groups);
        }
        free(buf);
        free(b);
        for (int i = 0; i < BW_VAR_COUNT && ok; i++)
                ok = bw_var_value_check((enum bw_var_id) i, in->values[i]) == 0;
        return ok;
}

/* The installation covering workspace (it or a directory above it), or false. */
static bool find_install(const char *workspace, struct install *in) {
        int installs = open_state_dir();
        if (installs == -ENOENT)
                return false; /* nothing installed on this host */
        if (installs < 0)
                refuse("cannot read %s: %s: refusing to guess whether a plan is installed here", BULWARK_STATE_DIR,
                       strerror(-installs));
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s", workspace);
        bool found = false;
        for (;;) {
                uint8_t d[32];
                bw_sha256(path, strlen(path), d);
                bw_hex(d, 8, in->id);
                int fd = open_root_owned(installs, in->id, true, "an installation directory");
                if (fd < 0 && fd != -ENOENT)
                        refuse("cannot read installation %s: %s: refusing to guess whether it covers %s", in->id,
                               strerror(-fd), path);
                if (fd >= 0) {
                        if (!read_bindings(fd, in) || !bw_streq(in->values[BW_VAR_WORKSPACE], path))
                                refuse("installation %s (for %s) has damaged bindings: have an administrator re-run "
                                       "`bulwark apply` for it",
                                       in->id, path);
                        in->dir_fd = fd;
                        found = true;
                        break;
                }
                char *slash = strrchr(path, '/');
                if (!slash || slash == path) {
                        if (bw_streq(path, "/"))
                                break;
                        path[1] = 0;
                        continue;
                }
                *slash = 0;
        }
        close(installs);
        return found;
}

/* Read a whole plan from fd into 8-byte-aligned memory and validate it. */
static struct bw_plan *load_plan_fd(int fd, const char *shown) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                refuse("cannot read the plan %s: %s", shown, strerror(errno));
        size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t) st.st_size + 1 : 1 << 20;
        if (cap > (64u << 20))
                refuse("the plan %s is larger than 64 MiB: not a plan", shown);
        uint8_t *buf = aligned_alloc(8, (cap + 7) & ~(size_t) 7);
        if (!buf)
                refuse("out of memory");
        ssize_t n = bw_read_full(fd, buf, cap);
        if (n < 0)
                refuse("cannot read the plan %s: %s", shown, strerror((int) -n));
        struct bw_plan *p = calloc(1, sizeof(*p));
        struct bw_plan_error err = {.message = "out of memory"};
        if (!p || bw_plan_parse(buf, (size_t) n, 0, p, &err) < 0)
                refuse("the plan %s is not valid (at byte %llu: %s): recompile it with bulwarkc", shown,
                       (unsigned long long) err.offset, err.message);
        p->owned = buf;
        return p;
}

/* ---- from plan to sandbox spec ---- */

struct str_list {
        char **v;
        uint8_t *flag; /* read_only: BW_RO_* */
        size_t n, cap;
};

static void list_add(struct str_list *l, const char *s, uint8_t flag) {
        if (strlen(s) >= PATH_MAX)
                refuse("the path %.60s... is longer than %d bytes: the runner cannot protect or mount it; use a "
                       "shorter path",
                       s, PATH_MAX - 1);
        for (size_t i = 0; i < l->n; i++)
                if (bw_streq(l->v[i], s))
                        return;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = realloc(l->v, l->cap * sizeof(*l->v));
                l->flag = realloc(l->flag, l->cap * sizeof(*l->flag));
                if (!l->v || !l->flag)
                        refuse("out of memory");
        }
        l->flag[l->n] = flag;
        l->v[l->n++] = strdup(s);
}

/* snprintf that refuses the run instead of truncating a path. */
__attribute__((format(printf, 3, 4))) static void checked_path(char *out, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(out, size, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= size)
                refuse("a path built from %.60s... would be longer than %zu bytes: the runner cannot protect it; use "
                       "a shorter workspace path",
                       out, size - 1);
}

static void list_free(struct str_list *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        free(l->flag);
        *l = (struct str_list){0};
}

struct spec_lists;
static void spec_lists_free(struct spec_lists *sl);

static bool within(const char *path, const char *root) {
        size_t n = strlen(root);
        return bw_streq(root, "/") || (strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/'));
}

static bool within_any(const char *path, const struct str_list *roots) {
        for (size_t i = 0; i < roots->n; i++)
                if (within(path, roots->v[i]))
                        return true;
        return false;
}

struct spec_lists {
        struct str_list writable, read_only, hidden, admin_denied, placeholders, cache;
};

static void build_lists(const struct bw_plan *p, const struct bw_plan_token *t, const struct bw_bindings *b,
                        struct spec_lists *sl, struct bw_guard *guard) {
        /* two passes: the writable roots first, since the anywhere-rules are relative to them */
        for (int pass = 0; pass < 2; pass++) {
                for (uint32_t k = 0; k < t->ref_count; k++) {
                        const struct bw_plan_rule *r = &p->rules[p->trefs[t->ref_first + k]];
                        const char *text = bw_plan_string(p, r->text);
                        bool is_path = r->match == BW_MATCH_PATH;
                        if ((pass == 0) != (is_path && (r->kind == BW_RULE_WRITABLE || (r->flags & BW_RULE_ADMIN))))
                                continue;
                        char *bound = NULL;
                        enum bw_var_id missing = BW_VAR_COUNT;
                        enum bw_template_kind tk = is_path                     ? BW_TEMPLATE_PATH
                                                   : r->match == BW_MATCH_GLOB ? BW_TEMPLATE_GLOB
                                                                               : BW_TEMPLATE_REGEX;
                        if (bw_template_bind(text, tk, b, &bound, &missing) < 0)
                                refuse("rule %s needs ${%s}, which is not bound", text, bw_var_name(missing));
                        bool deny = r->kind == BW_RULE_READ_ONLY || r->kind == BW_RULE_UNREADABLE;
                        if (is_path && r->kind == BW_RULE_WRITABLE)
                                list_add(&sl->writable, bound, false);
                        else if (is_path && r->kind == BW_RULE_CACHE)
                                list_add(&sl->cache, bound, false); /* copy-on-write (sandbox.h) */
                        else if (is_path && (r->flags & BW_RULE_ADMIN) && deny && pass == 0)
                                list_add(&sl->admin_denied, bound, false);
                        if (is_path && r->kind == BW_RULE_READ_ONLY)
                                list_add(&sl->read_only, bound, false);
                        else if (is_path && r->kind == BW_RULE_UNREADABLE)
                                list_add(&sl->hidden, bound, false);
                        else if (!is_path && deny && pass == 1) {
                                /* found at any depth by the tree guard's walk, before every run */
                                unsigned gflags = ((r->flags & BW_RULE_IGNORE_CASE) ? BW_GUARD_IGNORE_CASE : 0) |
                                                  ((r->flags & BW_RULE_PROTECTED) ? BW_GUARD_PROTECTED : 0);
                                const char *why = NULL;
                                if (bw_guard_add_pattern(guard, bound, r->match,
                                                         r->kind == BW_RULE_UNREADABLE ? BW_GUARD_HIDE
                                                                                       : BW_GUARD_READ_ONLY,
                                                         gflags, &why) < 0)
                                        refuse("rule %s: %s: recompile the plan with bulwarkc", text, why);
                                /* .git and .bulwark at the top of the workspace are reserved when
                                 * missing (an empty placeholder), so they cannot be made there */
                                const char *name = bound + 3;
                                if ((r->flags & BW_RULE_PROTECTED) && (r->flags & BW_RULE_ANYWHERE) &&
                                    (bw_streq(name, ".git") || bw_streq(name, ".bulwark"))) {
                                        char top[PATH_MAX];
                                        checked_path(top, sizeof(top), "%s/%s", b->value[BW_VAR_WORKSPACE], name);
                                        list_add(&sl->placeholders, top, 0);
                                }
                        }
                        if (is_path && r->kind == BW_RULE_READ_ONLY && pass == 1)
                                bw_guard_add_literal(guard, bound);
                        free(bound);
                }
        }
        /* Admin rules only take access away: a writable root inside one of theirs is not writable. */
        size_t keep = 0;
        for (size_t i = 0; i < sl->writable.n; i++)
                if (!within_any(sl->writable.v[i], &sl->admin_denied))
                        sl->writable.v[keep++] = sl->writable.v[i];
        sl->writable.n = keep;
        /* ... and neither is a cache root (the compiler refuses both; a plan is checked again) */
        keep = 0;
        for (size_t i = 0; i < sl->cache.n; i++)
                if (!within_any(sl->cache.v[i], &sl->admin_denied))
                        sl->cache.v[keep++] = sl->cache.v[i];
                else
                        free(sl->cache.v[i]);
        sl->cache.n = keep;
        /* A read-only path outside every writable and cache root is read-only already. */
        keep = 0;
        for (size_t i = 0; i < sl->read_only.n; i++)
                if (within_any(sl->read_only.v[i], &sl->writable) || within_any(sl->read_only.v[i], &sl->cache)) {
                        sl->read_only.flag[keep] = sl->read_only.flag[i];
                        sl->read_only.v[keep++] = sl->read_only.v[i];
                }
        sl->read_only.n = keep;
}

/* The trust store (`bulwark trust`: which policy contents run) is what keeps a command from
 * loosening its own boundary for the next run; `bulwark run` refuses one inside the workspace, but
 * a policy may make another root writable that holds it (${home}/.local, ${home}). There it is a
 * read-only carve-out, and where it does not exist yet the run may not create it (the tree guard
 * moves what the command made there aside). */
static void protect_trust_store(struct spec_lists *sl, struct bw_guard *guard, const char *home) {
        const char *state = getenv("XDG_STATE_HOME");
        char p[2][PATH_MAX];
        int n = 0;
        if (state && state[0] == '/' && snprintf(p[n], PATH_MAX, "%s/bulwark", state) < PATH_MAX)
                n++;
        if (snprintf(p[n], PATH_MAX, "%s/.local/state/bulwark", home) < PATH_MAX)
                n++;
        for (int i = 0; i < n; i++)
                if (within_any(p[i], &sl->writable)) {
                        list_add(&sl->read_only, p[i], 0);
                        bw_guard_add_literal(guard, p[i]);
                }
}

/* ---- environment ---- */

/* With file capabilities the dynamic loader runs this program in secure mode and drops variables
 * such as LD_LIBRARY_PATH, GCONV_PATH and TZDIR from environ before main(). They are no risk to
 * the command, which runs without capabilities: give it the environment as the caller set it,
 * still readable in /proc/self/environ (the strings as execve() received them). */
static char **original_environment(char **ret_block) {
        int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        size_t cap = 1 << 20;
        char *block = malloc(cap + 1);
        ssize_t n = block ? bw_read_full(fd, block, cap) : -ENOMEM;
        close(fd);
        if (n <= 0) {
                free(block);
                return NULL;
        }
        block[n] = 0;
        size_t count = 0;
        for (ssize_t i = 0; i < n; i++)
                count += block[i] == 0;
        char **v = calloc(count + 2, sizeof(*v));
        if (!v) {
                free(block);
                return NULL;
        }
        size_t k = 0;
        for (char *p = block; p < block + n; p += strlen(p) + 1)
                if (strchr(p, '='))
                        v[k++] = p;
        *ret_block = block;
        return v;
}

static bool env_dropped(const char *entry) {
        /* sockets and credentials of the real user's session, and what would redirect them */
        static const char *const drop[] = {"SSH_AUTH_SOCK",
                                           "SSH_AGENT_PID",
                                           "GPG_AGENT_INFO",
                                           "DBUS_SESSION_BUS_ADDRESS",
                                           "DBUS_SYSTEM_BUS_ADDRESS",
                                           "XDG_RUNTIME_DIR",
                                           "DISPLAY",
                                           "WAYLAND_DISPLAY",
                                           "XAUTHORITY",
                                           "KRB5CCNAME",
                                           "SSH_ASKPASS",
                                           "SUDO_ASKPASS",
                                           "GIT_ASKPASS",
                                           "TMPDIR",
                                           "http_proxy",
                                           "https_proxy",
                                           "ftp_proxy",
                                           "all_proxy",
                                           "no_proxy",
                                           "HTTP_PROXY",
                                           "HTTPS_PROXY",
                                           "FTP_PROXY",
                                           "ALL_PROXY",
                                           "NO_PROXY",
                                           "BULWARK_SANDBOX"};
        /* password managers' CLI sessions: the key to the whole vault for as long as it is open
         * (Bitwarden's BW_SESSION, 1Password's OP_SESSION_<account>), whatever the policy passes */
        static const char *const drop_prefix[] = {"BW_SESSION", "OP_SESSION_"};
        const char *eq = strchr(entry, '=');
        size_t n = eq ? (size_t) (eq - entry) : strlen(entry);
        for (size_t i = 0; i < BW_ARRAY_SIZE(drop); i++)
                if (strlen(drop[i]) == n && strncmp(entry, drop[i], n) == 0)
                        return true;
        for (size_t i = 0; i < BW_ARRAY_SIZE(drop_prefix); i++) {
                size_t pl = strlen(drop_prefix[i]);
                if (n >= pl && strncmp(entry, drop_prefix[i], pl) == 0 && (n == pl || drop_prefix[i][pl - 1] == '_'))
                        return true;
        }
        return false;
}

static char **env_owned; /* what build_env allocated */
static size_t n_env_owned;

static char *env_own(char *s) {
        if (!s || !(env_owned = realloc(env_owned, (n_env_owned + 1) * sizeof(*env_owned))))
                refuse("out of memory");
        return env_owned[n_env_owned++] = s;
}

/*
 * The command's environment: the caller's, less the session's sockets and what would redirect
 * them (env_dropped), less what the plan's environment policy drops (by default every variable
 * that carries a credential: libbulwark/env_policy.h), plus the plan's `set` entries, TMPDIR,
 * the sandbox marker and, offline, dead proxies. --verbose names what was dropped (names only).
 */
static char **build_env(char **env, const struct bw_plan *plan, bool offline, const char *tmpdir,
                        const char *git_safe_dir, bool verbose) {
        size_t n = 0;
        while (env[n])
                n++;
        uint32_t n_set = bw_env_set_count(plan);
        char **out = calloc(n + n_set + 16, sizeof(*out));
        size_t k = 0;
        if (!out)
                refuse("out of memory");
        struct bw_strbuf dropped = {0};
        for (size_t i = 0; i < n; i++) {
                size_t len = strcspn(env[i], "=");
                enum bw_env_verdict v = bw_env_decide(plan, env[i], len);
                /* a name the lists do not know whose value is a URL with a password in it */
                if (v == BW_ENV_KEEP && env[i][len] == '=' && bw_env_value_has_password(env[i] + len + 1))
                        v = BW_ENV_DROP_DEFAULT;
                if (env_dropped(env[i]))
                        continue;
                if (bw_env_keeps(v)) {
                        out[k++] = env[i];
                        continue;
                }
                if (v != BW_ENV_DROP_SET)
                        bw_sb_printf(&dropped, "%s%.*s", dropped.len ? ", " : "", (int) len, env[i]);
        }
        if (verbose && dropped.len)
                fprintf(stderr,
                        "bulwark run: environment: dropped %s (credentials; `environment: pass:` in the "
                        "policy keeps one)\n",
                        dropped.data);
        bw_sb_done(&dropped);
        for (uint32_t i = 0; i < n_set; i++) {
                const char *name, *value;
                if (bw_env_set_entry(plan, i, &name, &value) && asprintf(&out[k], "%s=%s", name, value) >= 0)
                        env_own(out[k++]);
        }
        char *tmp = NULL;
        if (asprintf(&tmp, "TMPDIR=%s", tmpdir) < 0)
                refuse("out of memory");
        out[k++] = env_own(tmp);
        static char marker_off[] = "BULWARK_SANDBOX=offline", marker_on[] = "BULWARK_SANDBOX=online";
        out[k++] = offline ? marker_off : marker_on;
        if (offline) {
                /* An extra layer nobody relies on: tools that honour proxies fail fast, at a port
                 * where nothing listens in the sandbox's own loopback. */
                static const char *const names[] = {"http_proxy", "https_proxy", "all_proxy",
                                                    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"};
                for (size_t i = 0; i < BW_ARRAY_SIZE(names); i++) {
                        if (asprintf(&out[k], "%s=http://127.0.0.1:9", names[i]) < 0)
                                refuse("out of memory");
                        env_own(out[k++]);
                }
        }
        /* Elevated, the workspace belongs to the real user, not the sandbox user: tell git it is
         * safe (its "dubious ownership" check), unless the caller set git config this way. */
        if (git_safe_dir && !getenv("GIT_CONFIG_COUNT")) {
                static char count[] = "GIT_CONFIG_COUNT=1", key[] = "GIT_CONFIG_KEY_0=safe.directory";
                out[k++] = count;
                out[k++] = key;
                if (asprintf(&out[k], "GIT_CONFIG_VALUE_0=%s", git_safe_dir) < 0)
                        refuse("out of memory");
                env_own(out[k++]);
        }
        out[k] = NULL;
        return out;
}

/*
 * Which of the other installations' roots a run hides is decided by their root-owned files
 * alone (with this run's writable roots and ${tmpdir}), yet reading them costs a plan parse each,
 * on every run. `bulwark run` keeps the answer for a warm session beside its socket (NAME.others,
 * in the caller's private directory, hidden from every sandbox like the socket), under a key of
 * everything it depends on: the identity (device, inode, size, modification and change times) of
 * the installations directory and of each other installation's directory, bindings and plan,
 * this program's file, this installation, ${tmpdir} and the writable roots. Any change to one of
 * them is another key, and the installations are read again. A file changed in the last two
 * seconds is not trusted to show its change in its times (their granularity): nothing is kept
 * then. The answer only ever feeds what this run hides and the boundary's digest, checked by the
 * session, which was built by bulwark-runner from the installations themselves.
 */
#define OTHERS_MAGIC "bulwark other installations 1\n"

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void stat_id(struct bw_strbuf *k, const struct stat *st, bool *recent, time_t now) {
        bw_sb_printf(k, " %llu:%llu:%o:%u:%lld:%lld.%09ld:%lld.%09ld", (unsigned long long) st->st_dev,
                     (unsigned long long) st->st_ino, (unsigned) st->st_mode, (unsigned) st->st_uid,
                     (long long) st->st_size, (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                     (long long) st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
        if (st->st_ctim.tv_sec >= now - 2 || st->st_mtim.tv_sec >= now - 2)
                *recent = true;
}

/* The key of the other installations (false: cannot be told, or one of them is not as a
 * root-owned installation must be: the full reading says what is wrong). */
static bool others_key(int installs, const struct install *in, const struct spec_lists *sl, char key[65],
                       bool *recent) {
        struct bw_strbuf k = {0};
        struct stat st;
        time_t now = time(NULL);
        *recent = false;
        bool ok = fstat(installs, &st) == 0 && stat("/proc/self/exe", &st) == 0;
        if (ok) {
                bw_sb_printf(&k, "%sexe", OTHERS_MAGIC);
                stat_id(&k, &st, recent, now); /* (a program's time is no racy input: not its change) */
                *recent = false;
                ok = fstat(installs, &st) == 0;
                bw_sb_printf(&k, "\ninstalls");
                stat_id(&k, &st, recent, now);
                bw_sb_printf(&k, "\nmine %s\ntmpdir %s\n", in->id, in->values[BW_VAR_TMPDIR]);
                for (size_t i = 0; i < sl->writable.n; i++)
                        bw_sb_printf(&k, "writable %s\n", sl->writable.v[i]);
        }
        /* (a descriptor of its own: a dup() would share the offset the full reading starts from) */
        int dfd = ok ? openat(installs, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (dfd >= 0 && !d)
                close(dfd);
        char **names = NULL;
        size_t n = 0;
        ok = ok && d;
        for (struct dirent *de; ok && (de = readdir(d));) {
                if (de->d_name[0] == '.' || bw_streq(de->d_name, in->id))
                        continue;
                char **grown = realloc(names, (n + 1) * sizeof(*names));
                ok = grown && (grown[n] = strdup(de->d_name));
                if (grown)
                        names = grown;
                n += ok;
        }
        if (d)
                closedir(d);
        if (ok && n > 1) /* qsort of no array: a null pointer (UBSan) */
                qsort(names, n, sizeof(*names), cmp_names);
        static const char *const parts[] = {".", "bindings", "plan"};
        for (size_t i = 0; ok && i < n; i++) {
                bw_sb_printf(&k, "other %s", names[i]);
                for (size_t j = 0; ok && j < BW_ARRAY_SIZE(parts); j++) {
                        char rel[NAME_MAX + 16];
                        snprintf(rel, sizeof(rel), "%s/%s", names[i], parts[j]);
                        ok = fstatat(installs, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == 0 &&
                             !(st.st_mode & (S_IWGRP | S_IWOTH)) && (j ? S_ISREG(st.st_mode) : S_ISDIR(st.st_mode));
                        if (ok)
                                stat_id(&k, &st, recent, now);
                }
                bw_sb_printf(&k, "\n");
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (ok) {
                uint8_t dg[32];
                bw_sha256(k.data, k.len, dg);
                bw_hex(dg, 32, key);
        }
        bw_sb_done(&k);
        return ok;
}

/* The kept answer for key: the roots to hide, in order, or NULL (none kept, or another key's). A
 * file of the caller's alone, not a link, in a directory of theirs alone. */
static char *others_load(const char *path, const char *key, size_t *len) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        *strrchr(dir, '/') = 0;
        struct stat st;
        if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
                return NULL;
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        char *text = NULL;
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() && !(st.st_mode & 077) &&
            st.st_size < (1 << 20) && (text = malloc((size_t) st.st_size + 1)))
                n = bw_read_full(fd, text, (size_t) st.st_size + 1);
        close(fd);
        size_t head = strlen(OTHERS_MAGIC) + 4 + 64 + 1;
        if (n < (ssize_t) head + 4 || n != st.st_size || memcmp(text, OTHERS_MAGIC, strlen(OTHERS_MAGIC)) != 0 ||
            memcmp(text + strlen(OTHERS_MAGIC), "key ", 4) != 0 ||
            memcmp(text + strlen(OTHERS_MAGIC) + 4, key, 64) != 0 || text[head - 1] != '\n' ||
            memcmp(text + n - 4, "end\n", 4) != 0) {
                free(text);
                return NULL;
        }
        text[n - 4] = 0;
        *len = (size_t) n - 4 - head;
        memmove(text, text + head, *len + 1);
        return text; /* "PATH\n" each */
}

static void others_store(const char *path, const char *key, const struct bw_strbuf *paths) {
        struct bw_strbuf b = {0};
        bw_sb_printf(&b, "%skey %s\n", OTHERS_MAGIC, key);
        bw_sb_append(&b, bw_sb_str(paths), paths->len);
        bw_sb_printf(&b, "end\n");
        char tmp[PATH_MAX + 32];
        snprintf(tmp, sizeof(tmp), "%s.%d", path, (int) getpid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        bool ok = fd >= 0;
        for (size_t done = 0; ok && done < b.len;) {
                ssize_t w = write(fd, b.data + done, b.len - done);
                ok = w > 0 || (w < 0 && errno == EINTR);
                done += w > 0 ? (size_t) w : 0;
        }
        if (fd >= 0)
                close(fd);
        if (!ok || rename(tmp, path) < 0)
                unlink(tmp);
        bw_sb_done(&b);
}

/* The sandbox users serve every installed workspace on this host, so their ACLs reach all of
 * them: an elevated run hides the other installations' writable roots (workspaces, caches: not
 * above or below one of its own, nor ${tmpdir}), so one user's sandbox cannot read another user's
 * files through them. Fails closed: an installation that cannot be read refuses the run.
 * kept: where `bulwark run` keeps the answer for its session (above), or NULL. */
static void hide_other_installs(const struct install *in, struct spec_lists *sl, const char *kept) {
        int installs = open_state_dir();
        if (installs < 0)
                refuse("cannot read %s to keep other installations out of view: %s", BULWARK_STATE_DIR,
                       strerror(-installs));
        char key[65];
        bool recent = true;
        if (kept && others_key(installs, in, sl, key, &recent)) {
                size_t len = 0;
                char *paths = others_load(kept, key, &len);
                for (char *p = paths, *nl; p && (nl = memchr(p, '\n', len - (size_t) (p - paths))); p = nl + 1) {
                        *nl = 0;
                        list_add(&sl->hidden, p, 0);
                }
                if (paths) {
                        free(paths);
                        close(installs);
                        return;
                }
        } else
                kept = NULL;
        struct bw_strbuf hid = {0}; /* what a later run may take from the session's file */
        DIR *d = fdopendir(installs);
        if (!d)
                refuse("cannot list %s: %s", BULWARK_STATE_DIR, strerror(errno));
        for (struct dirent *de; (de = readdir(d));) {
                if (de->d_name[0] == '.' || bw_streq(de->d_name, in->id))
                        continue;
                struct install other = {.dir_fd = -1};
                int fd = open_root_owned(dirfd(d), de->d_name, true, "an installation directory");
                if (fd < 0 || !read_bindings(fd, &other))
                        refuse("installation %s cannot be read (%s): have an administrator check it", de->d_name,
                               fd < 0 ? strerror(-fd) : "damaged bindings");
                int pfd = open_root_owned(fd, "plan", false, "an installed plan");
                close(fd);
                if (pfd < 0)
                        refuse("installation %s has no plan: have an administrator re-run `bulwark apply`", de->d_name);
                struct bw_plan *p = load_plan_fd(pfd, "of another installation");
                close(pfd);
                struct bw_bindings ob = {{NULL}};
                for (int i = 0; i < BW_VAR_COUNT; i++)
                        ob.value[i] = other.values[i];
                for (uint32_t i = 0; i < p->n_rules; i++) {
                        const struct bw_plan_rule *r = &p->rules[i];
                        char *bound = NULL;
                        if (r->kind != BW_RULE_WRITABLE || r->match != BW_MATCH_PATH ||
                            bw_template_bind(bw_plan_string(p, r->text), BW_TEMPLATE_PATH, &ob, &bound, NULL) < 0)
                                continue;
                        bool mine = bw_streq(bound, in->values[BW_VAR_TMPDIR]) ||
                                    bw_streq(bound, other.values[BW_VAR_TMPDIR]);
                        for (size_t k = 0; k < sl->writable.n && !mine; k++)
                                mine = within(bound, sl->writable.v[k]) || within(sl->writable.v[k], bound);
                        if (!mine) {
                                list_add(&sl->hidden, bound, 0);
                                if (strchr(bound, '\n'))
                                        kept = NULL; /* (a name the file cannot hold: not kept) */
                                bw_sb_printf(&hid, "%s\n", bound);
                        }
                        free(bound);
                }
                bw_plan_free(p);
        }
        closedir(d);
        if (kept && !recent)
                others_store(kept, key, &hid);
        bw_sb_done(&hid);
}

/* The runner's own state (tree_dir's parent: the tree index, the sessions' sockets) is no
 * business of a run: hidden (in $XDG_RUNTIME_DIR it already is, with /run/user/UID). Before the
 * host's sockets are looked at: a session's socket is the runner's, not a service to cover. */
static void hide_own_state(struct spec_lists *sl, struct bw_guard *guard, const char *tree_dir, const char *home) {
        if (tree_dir) {
                char *dir = strdup(tree_dir);
                if (!dir)
                        refuse("out of memory");
                *strrchr(dir, '/') = 0;
                list_add(&sl->hidden, dir, BW_RO_NOPIN);
                free(dir);
        }
        /* ... and the other place it may be kept: a run with a runtime directory uses that one,
         * while a session started without one (over ssh, from cron) listens in the cache. A
         * command that reached that socket could stop the session or hand it a command of its
         * own (a session of another workspace or network mode is another boundary), and an index
         * there would be what a later run without a runtime directory believes about the tree. */
        const char *xdg = getenv("XDG_CACHE_HOME"), *runtime = getenv("XDG_RUNTIME_DIR");
        char p[3][PATH_MAX];
        int n = 0;
        if (runtime && runtime[0] == '/' && snprintf(p[n], PATH_MAX, "%s/bulwark", runtime) < PATH_MAX)
                n++;
        if (xdg && xdg[0] == '/' && snprintf(p[n], PATH_MAX, "%s/bulwark", xdg) < PATH_MAX)
                n++;
        if (snprintf(p[n], PATH_MAX, "%s/.cache/bulwark", home) < PATH_MAX)
                n++;
        for (int i = 0; i < n; i++) {
                list_add(&sl->hidden, p[i], BW_RO_NOPIN);
                /* not there yet, in a writable root (a policy that makes ~/.cache writable): the
                 * command may not make one for a later run (under another policy) to believe */
                if (within_any(p[i], &sl->writable))
                        bw_guard_add_literal(guard, p[i]);
        }
}

/* ---- unix sockets of the host ---- */

/*
 * Offline, every pathname unix socket a host process has bound (the kernel lists them in
 * /proc/net/unix) is hidden unless it lies in a writable root or a directory the run gets fresh
 * (/run, ${tmpdir}, /dev/shm): a database's socket under /var/lib, sssd's pipes, an agent's socket
 * in a dot-directory of the caller. A read-only mount does not stop connect(); Landlock can only
 * from its "resolve unix" right, which this kernel's ABI may lack. Sockets bound after the run
 * starts are not covered (said by --verbose).
 * Online the same for the sockets the caller's own processes bound (only_owner: the caller's uid),
 * in /run too (no fresh one then): the network being on gives the command the network, not the
 * caller's session (a terminal multiplexer's socket is the caller's shell: tmux send-keys, screen
 * -X stuff). The host's services (other owners) stay reachable online, as the network does.
 */
#define MAX_HIDDEN_SOCKETS 512
static void hide_host_sockets(struct spec_lists *sl, const char *private_tmp, uid_t only_owner, bool verbose) {
        FILE *f = fopen("/proc/net/unix", "re");
        /* (read in large pieces: the kernel writes the table out again for every read, and stdio
         * would read a proc file a kilobyte at a time; a desktop has hundreds of sockets) */
        static char table[32768];
        if (f)
                setvbuf(f, table, _IOFBF, sizeof(table));
        if (!f) {
                if (verbose)
                        fprintf(stderr,
                                "bulwark run: cannot read /proc/net/unix (%s): host unix sockets outside /run "
                                "stay reachable\n",
                                strerror(errno));
                return;
        }
        char line[PATH_MAX + 128];
        unsigned hidden = 0, unhidden = 0;
        static const char *const fresh[] = {"/run", "/dev/shm", "/var/run"};
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = 0;
                /* "Num RefCount Protocol Flags Type St Inode Path": the path is what follows the 7th field */
                char *p = line;
                for (int field = 0; field < 7 && p; field++) {
                        p += strspn(p, " ");
                        p = strchr(p, ' ');
                }
                if (!p)
                        continue;
                p += strspn(p, " ");
                if (p[0] != '/' || within_any(p, &sl->writable) || within_any(p, &sl->hidden) ||
                    (private_tmp && within(p, private_tmp)))
                        continue;
                bool skip = false;
                for (size_t i = 0; i < BW_ARRAY_SIZE(fresh); i++)
                        skip |= within(p, fresh[i]) && (only_owner == (uid_t) -1 || i == 1);
                struct stat st;
                if (skip || lstat(p, &st) < 0 || !S_ISSOCK(st.st_mode) ||
                    (only_owner != (uid_t) -1 && st.st_uid != only_owner))
                        continue;
                /* each is a mount: a host with thousands bound (another user's doing, perhaps)
                 * must not make every run slow; the rest are said */
                if (hidden == MAX_HIDDEN_SOCKETS) {
                        unhidden++;
                        continue;
                }
                list_add(&sl->hidden, p, BW_RO_NOPIN);
                hidden++;
        }
        fclose(f);
        if (unhidden)
                fprintf(stderr,
                        "bulwark run: warning: %u more host unix sockets outside /run were left reachable (the "
                        "first %d are hidden); on Landlock ABI 9 (Linux 7.1) none would be\n",
                        unhidden, MAX_HIDDEN_SOCKETS);
        if (verbose && hidden)
                fprintf(stderr, "bulwark run: %u host unix socket%s %s hidden (%s)\n", hidden, hidden == 1 ? "" : "s",
                        only_owner == (uid_t) -1 ? "outside /run" : "of yours",
                        only_owner == (uid_t) -1 ? "offline" : "online");
}

static void spec_lists_free(struct spec_lists *sl) {
        list_free(&sl->writable);
        list_free(&sl->cache);
        list_free(&sl->read_only);
        list_free(&sl->hidden);
        list_free(&sl->admin_denied);
        list_free(&sl->placeholders);
}

/* An unreadable directory may hold symbolic links out of it: a dotfile manager (GNU stow) leaves
 * ~/.ssh a real directory whose keys are links into ~/dotfiles. The cover hides the links, not
 * what they point to, which the command would find at its own path (find, grep -r). What the
 * caller's own links there lead to, when it is the caller's too, is hidden as well; not a writable
 * root, nor anything holding one or the unreadable directory itself. Bounded (the first levels of
 * each unreadable directory, a few thousand entries in all): a stat per entry. */
#define LINK_SCAN_DEPTH 3
#define LINK_SCAN_ENTRIES 4096
static void hide_links_out(int dfd, const char *dir, const char *top, int depth, unsigned *budget,
                           struct spec_lists *sl) {
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return;
        }
        uid_t me = getuid();
        for (struct dirent *de; *budget && (de = readdir(d));) {
                if (bw_streq(de->d_name, ".") || bw_streq(de->d_name, ".."))
                        continue;
                (*budget)--;
                struct stat st;
                char path[PATH_MAX];
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != me ||
                    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int) sizeof(path))
                        continue;
                if (S_ISDIR(st.st_mode) && depth > 1) {
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        if (sub >= 0)
                                hide_links_out(sub, path, top, depth - 1, budget, sl);
                        continue;
                }
                if (!S_ISLNK(st.st_mode))
                        continue;
                char *target = realpath(path, NULL);
                struct stat ts;
                bool hide = target && stat(target, &ts) == 0 && ts.st_uid == me && !within(target, top) &&
                            !within(top, target) && !within_any(target, &sl->writable);
                for (size_t k = 0; hide && k < sl->writable.n; k++)
                        hide = !within(sl->writable.v[k], target);
                if (hide)
                        list_add(&sl->hidden, target, 0);
                free(target);
        }
        closedir(d);
}

static void hide_link_targets(struct spec_lists *sl) {
        unsigned budget = LINK_SCAN_ENTRIES;
        size_t n = sl->hidden.n; /* the unreadable rules: not what this adds */
        for (size_t i = 0; i < n && budget; i++) {
                const char *p = sl->hidden.v[i];
                /* the caller's own symlinks on the way are followed, as the cover's are */
                int dfd = bw_open_path_safely(p, O_RDONLY | O_DIRECTORY, getuid());
                if (dfd < 0)
                        continue;
                char *top = realpath(p, NULL);
                hide_links_out(dfd, p, top ? top : p, LINK_SCAN_DEPTH, &budget, sl);
                free(top);
        }
}

/* ---- the tree: placeholders and carve-outs at any depth ---- */

/* .git and .bulwark missing at the top of the workspace get an empty placeholder directory, so
 * that they can be mounted read-only and the command cannot create them there (the place editors,
 * agents and `bulwark run` look first). The parent is opened safely: no symlink but root's (or
 * the caller's own, unelevated). Left in place afterwards: another run may be using it as its
 * mount point at this very moment, and removing it would take that run's protection away. */
static void reserve_placeholders(struct spec_lists *sl, uid_t trusted, bool verbose) {
        for (size_t i = 0; i < sl->placeholders.n; i++) {
                char *p = sl->placeholders.v[i], *slash = strrchr(p, '/');
                if (!slash || slash == p)
                        continue;
                *slash = 0;
                int dfd = bw_open_path_safely(p, O_RDONLY | O_DIRECTORY, trusted);
                *slash = '/';
                if (dfd < 0)
                        continue;
                if (mkdirat(dfd, slash + 1, 0755) < 0 && errno != EEXIST && verbose)
                        fprintf(stderr, "bulwark run: cannot reserve %s: %s\n", p, strerror(errno));
                close(dfd); /* before the sandbox starts: no fd of the original mounts may reach it */
                list_add(&sl->read_only, p, 0);
        }
}

static void guard_found(void *ud, const char *path, enum bw_guard_action action) {
        struct spec_lists *sl = ud;
        /* A carve-out's parents are pinned (a mount point cannot be renamed): moving its
         * directory away and putting another in its place would replace it. A hidden object
         * moved along with its directory stays hidden: no pins for those. */
        if (action == BW_GUARD_HIDE)
                list_add(&sl->hidden, path, BW_RO_NOPIN);
        else
                list_add(&sl->read_only, path, BW_RO_FOUND);
}

/* Walk the writable roots (all but the private tmpfs, which starts empty) for the carve-outs
 * the patterns and protected names match, at any depth. Refuses when that cannot be done. */
/* The tree guard's index lives in the caller's runtime directory or cache ($XDG_RUNTIME_DIR,
 * $XDG_CACHE_HOME or ~/.cache, then bulwark/tree):
 * a directory of theirs, 0700, that no writable root contains (the command must not be able to
 * edit what the next run believes about the tree). NULL when there is no such place. */
static char *state_dir(const char *home, const struct str_list *writable, const char *leaf) {
        /* $XDG_RUNTIME_DIR first (a tmpfs of the user's, 0700, hidden from every run); else the cache */
        const char *xdg = getenv("XDG_CACHE_HOME"), *runtime = getenv("XDG_RUNTIME_DIR");
        char base[PATH_MAX], dir[PATH_MAX];
        struct stat rst;
        if (runtime && runtime[0] == '/' && strlen(runtime) < sizeof(base) && lstat(runtime, &rst) == 0 &&
            S_ISDIR(rst.st_mode) && rst.st_uid == getuid() && !(rst.st_mode & 077)) {
                snprintf(base, sizeof(base), "%s", runtime);
                home = runtime;
        } else if (xdg && xdg[0] == '/' && strlen(xdg) < sizeof(base))
                snprintf(base, sizeof(base), "%s", xdg);
        else if (snprintf(base, sizeof(base), "%s/.cache", home) >= (int) sizeof(base))
                return NULL;
        if (snprintf(dir, sizeof(dir), "%s/bulwark/%s", base, leaf) >= (int) sizeof(dir) || within_any(dir, writable))
                return NULL;
        int fd = bw_open_path_safely(home, O_RDONLY | O_DIRECTORY, getuid());
        const char *rel = within(base, home) ? dir + strlen(home) : NULL;
        if (!rel) {
                if (fd >= 0)
                        close(fd);
                fd = bw_open_path_safely(base, O_RDONLY | O_DIRECTORY, getuid());
                rel = dir + strlen(base);
        }
        char comps[PATH_MAX];
        snprintf(comps, sizeof(comps), "%s", rel);
        /* (made only when missing: every run passes here) */
        for (char *save = NULL, *c = strtok_r(comps, "/", &save); c && fd >= 0; c = strtok_r(NULL, "/", &save)) {
                int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT && (mkdirat(fd, c, 0700) == 0 || errno == EEXIST))
                        next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                fd = next;
        }
        struct stat st;
        bool ok = fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == getuid() && !(st.st_mode & 077);
        if (fd >= 0)
                close(fd);
        return ok ? strdup(dir) : NULL;
}

static void guard_tree(struct bw_guard *guard, struct spec_lists *sl, const char *private_tmp, const char *idx,
                       bool verbose) {
        for (size_t i = 0; i < sl->writable.n; i++)
                if (!bw_streq(sl->writable.v[i], private_tmp))
                        bw_guard_add_root(guard, sl->writable.v[i]);
        bw_guard_set_index_dir(guard, idx);
        if (!idx && verbose)
                fprintf(stderr, "bulwark run: no tree index (no cache directory of yours outside the writable roots): "
                                "the writable roots are read whole\n");
        char msg[512];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (bw_guard_scan(guard, guard_found, sl, msg, sizeof(msg)) < 0)
                refuse("%s", msg);
        active_guard = guard;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (verbose) {
                unsigned dirs, hits, repos, checked;
                bool indexed;
                bw_guard_stats(guard, &dirs, &hits, &repos, &checked, &indexed);
                fprintf(stderr,
                        "bulwark run: carve-outs: %u directories checked%s, %u read, %u objects protected, %u "
                        "repositories (%.2f ms)\n",
                        checked, indexed ? " against the index" : "", dirs, hits, repos,
                        (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
        }
}

/* ---- other names of a protected file ---- */

/*
 * A hard link shares the inode, not the mount: a read-only bind (or a cover) over a carve-out
 * file leaves its other names as writable (readable) as their place. A command can make such a
 * name ahead of time (`ln notes.txt certs/new.pem` while new.pem is nobody's yet) and read or
 * write the key ann later puts there in place (openssl, `>`). So every protected regular file
 * with more than one link has its other names inside the writable roots found (one walk of the
 * roots concerned, only when there is such a file) and protected the same way. Names inside a
 * protected directory are protected already; names outside the writable roots are not writable.
 */
struct link_target {
        dev_t dev;
        ino_t ino;
        nlink_t left; /* other names not found yet */
        bool hide;
        const char *root;
};
struct link_walk {
        struct link_target *t;
        size_t n;
        nlink_t left; /* the sum of every target's */
        struct spec_lists *sl;
        unsigned added;
};

static bool protected_dir(const struct spec_lists *sl, const char *path) {
        for (size_t i = 0; i < sl->read_only.n; i++)
                if (bw_streq(sl->read_only.v[i], path))
                        return true;
        for (size_t i = 0; i < sl->hidden.n; i++)
                if (bw_streq(sl->hidden.v[i], path))
                        return true;
        return false;
}

static void link_walk_dir(struct link_walk *w, const char *root, int dfd, char *path, size_t len, dev_t dev,
                          unsigned depth) {
        if (depth > 512)
                refuse("%s is more than 512 directories deep: the runner cannot look for other names of the "
                       "protected files with several hard links; flatten it",
                       path);
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return; /* unreadable to you: nothing the command made (it could not hide it from you) */
        }
        for (struct dirent *de; w->left && (de = readdir(d));) {
                if (bw_streq(de->d_name, ".") || bw_streq(de->d_name, ".."))
                        continue;
                if (de->d_type != DT_DIR && de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
                        continue;
                size_t nl = strlen(de->d_name);
                if (len + 1 + nl >= PATH_MAX)
                        refuse("a path under %s is longer than %d bytes: the runner cannot look for other names of "
                               "the protected files with several hard links; shorten it",
                               root, PATH_MAX - 1);
                path[len] = '/';
                memcpy(path + len + 1, de->d_name, nl + 1);
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
                        continue; /* gone, or another file system (no link reaches across) */
                if (S_ISDIR(st.st_mode)) {
                        if (protected_dir(w->sl, path))
                                continue;
                        int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        /* a directory a run locked (chmod 000) could hold the other name: not
                         * one of another user's (root's: a container's volume) */
                        if (sub < 0 && errno == EACCES && st.st_uid != 0)
                                refuse("%s cannot be read, and a protected file has another hard link that may be "
                                       "in it (the command could write or read the file through it): make it "
                                       "readable (chmod u+rx) or remove the other links (find %s -samefile FILE)",
                                       path, root);
                        if (sub >= 0)
                                link_walk_dir(w, root, sub, path, len + 1 + nl, dev, depth + 1);
                } else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
                        for (size_t i = 0; i < w->n; i++) {
                                struct link_target *t = &w->t[i];
                                if (t->dev != st.st_dev || t->ino != st.st_ino || t->root != root)
                                        continue;
                                struct str_list *l = t->hide ? &w->sl->hidden : &w->sl->read_only;
                                size_t before = l->n;
                                list_add(l, path, t->hide ? BW_RO_NOPIN : 0);
                                if (l->n != before) { /* not the protected name itself */
                                        w->added++;
                                        if (t->left) {
                                                t->left--;
                                                w->left--;
                                        }
                                }
                        }
                }
                path[len] = 0;
        }
        closedir(d);
}

static void protect_other_links(struct spec_lists *sl, const char *private_tmp, bool verbose) {
        struct link_walk w = {.sl = sl};
        for (int hide = 0; hide < 2; hide++) {
                struct str_list *l = hide ? &sl->hidden : &sl->read_only;
                for (size_t i = 0; i < l->n; i++) {
                        const char *root = NULL;
                        for (size_t k = 0; k < sl->writable.n; k++)
                                if (within(l->v[i], sl->writable.v[k]) &&
                                    !bw_streq(sl->writable.v[k], private_tmp ? private_tmp : "") &&
                                    (!root || strlen(sl->writable.v[k]) < strlen(root)))
                                        root = sl->writable.v[k];
                        struct stat st;
                        if (!root || lstat(l->v[i], &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink < 2)
                                continue;
                        struct link_target *t = realloc(w.t, (w.n + 1) * sizeof(*w.t));
                        if (!t)
                                refuse("out of memory");
                        w.t = t;
                        w.t[w.n++] = (struct link_target){st.st_dev, st.st_ino, st.st_nlink - 1, hide, root};
                        w.left += st.st_nlink - 1;
                }
        }
        /* one walk per root that holds such a file, outermost roots only (a root inside another is
         * walked with it) */
        for (size_t i = 0; i < w.n; i++) {
                bool seen = false;
                for (size_t k = 0; k < i && !seen; k++)
                        seen = w.t[k].root == w.t[i].root;
                if (seen || !w.left)
                        continue;
                int fd = bw_open_path_safely(w.t[i].root, O_RDONLY | O_DIRECTORY, getuid());
                struct stat st;
                if (fd < 0 || fstat(fd, &st) < 0) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s", w.t[i].root);
                link_walk_dir(&w, w.t[i].root, fd, path, strlen(path), st.st_dev, 0);
        }
        if (verbose && w.n)
                fprintf(stderr,
                        "bulwark run: %zu protected file%s with other hard links: %u other name%s protected too\n", w.n,
                        w.n == 1 ? "" : "s", w.added, w.added == 1 ? "" : "s");
        free(w.t);
}

/* ---- main ---- */

static const struct bw_plan_token *pick_token(const struct bw_plan *p, bool network, const char *shown) {
        for (uint32_t i = 0; i < p->n_tokens; i++)
                if (p->tokens[i].network == (network ? BW_NETWORK_ON : BW_NETWORK_OFF))
                        return &p->tokens[i];
        if (network)
                refuse("--network: the plan %s does not allow network access (its policy says network: off)", shown);
        refuse("the plan %s has no offline token spec", shown);
}

/* `bulwark run` asks which installation covers the directory it starts in before anything else
 * (its mode decides what the front end does), and the run asks again for its workspace: the
 * first answer is kept for the second (bw_runner_find_install), with the installation's
 * directory open, so the search and its checks happen once per process. No installation at or
 * above a directory means none at or above any directory above it. */
static struct {
        bool done, found;
        char dir[PATH_MAX];
        struct install in;
} install_seen = {.in = {.dir_fd = -1}};

static bool find_install_once(const char *workspace, struct install *in) {
        bool reuse = install_seen.done &&
                     (install_seen.found ? install_seen.in.dir_fd >= 0 && bw_streq(install_seen.dir, workspace)
                                         : within(install_seen.dir, workspace));
        install_seen.done = false;
        if (!reuse) {
                if (install_seen.in.dir_fd >= 0)
                        close(install_seen.in.dir_fd);
                install_seen.in.dir_fd = -1;
                return find_install(workspace, in);
        }
        if (install_seen.found)
                *in = install_seen.in; /* (its directory's fd is the run's now) */
        install_seen.in.dir_fd = -1;
        return install_seen.found;
}

/* ---- warm sessions (session.h) ---- */

static int session_log_fd = -1; /* start: where the session's own messages go */

/* The socket file a session listens on, as this runner saw it once it was bound: a session
 * removes its socket at the end only if it is still this file (a rebuilt session may have bound a
 * new one at the same name meanwhile). */
static struct stat session_socket_st;

/* The sessions' files at path are changed under this lock (a session that ends removes its socket
 * only while it is still its own, and a rebuild replaces it): the fd to close, or -1. */
static int session_lock(const char *path) {
        char lock[PATH_MAX + 8];
        snprintf(lock, sizeof(lock), "%.*s.lock", (int) strlen(path) - 5, path);
        int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
                close(fd);
                fd = -1;
        }
        return fd;
}

static void session_unlink(const char *path) {
        char side[PATH_MAX + 8];
        unlink(path);
        snprintf(side, sizeof(side), "%.*s.info", (int) strlen(path) - 5, path);
        unlink(side);
        snprintf(side, sizeof(side), "%.*s.others", (int) strlen(path) - 5, path);
        unlink(side);
}

/* Bind and listen on the session's socket at path, as the caller (whose private directory it is
 * in), with its .log and .info beside it. -EEXIST when a live session answers there; refuses
 * when the socket cannot be made. */
static int session_listen(const char *path, const char *workspace, bool network, bool elevated) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        memcpy(sa.sun_path, path, strlen(path) + 1);
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
                close(probe);
                return -EEXIST;
        }
        if (probe >= 0)
                close(probe);
        unlink(path); /* a stale one */
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        mode_t old = umask(077);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
            lstat(path, &session_socket_st) < 0)
                refuse("cannot make the session's socket %s: %s", path, strerror(errno));
        umask(old);
        /* what the session says (set-up failures included) goes to a log beside it, and a line
         * for `--session list` */
        char side[PATH_MAX + 8];
        snprintf(side, sizeof(side), "%.*s.log", (int) strlen(path) - 5, path);
        if (session_log_fd >= 0)
                close(session_log_fd);
        session_log_fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        snprintf(side, sizeof(side), "%.*s.info", (int) strlen(path) - 5, path);
        int info = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (info >= 0) {
                dprintf(info, "%s (%s%s)\n", workspace, elevated ? "elevated" : "unelevated",
                        network ? ", network" : ", offline");
                close(info);
        }
        return fd;
}

/* The session's file name for this user, workspace and mode (without .sock). */
static void session_name(const char *workspace, bool network, bool elevated, char hex[17]) {
        struct bw_strbuf k = {0};
        bw_sb_printf(&k, "bulwark session 1\nuid %u\nworkspace %s\nnetwork %d\nelevated %d\n", (unsigned) getuid(),
                     workspace, network, elevated);
        uint8_t d[32];
        bw_sha256(k.data, k.len, d);
        bw_sb_done(&k);
        bw_hex(d, 8, hex);
}

/* The socket of the session for this workspace, user and mode; for start, bound and listening
 * (as you: an elevated runner has not switched yet). */
static void session_prepare(const struct spec_lists *sl, const char *home, const char *tree_dir, const char *workspace,
                            bool network, bool elevated, const char *cmd, char *out_path, int *out_listen) {
        /* start makes the directory; a run only needs its name (beside the tree index: no system
         * call on the per-command path) */
        char *dir = NULL;
        if (cmd)
                dir = state_dir(home, &sl->writable, "sessions");
        else if (tree_dir && asprintf(&dir, "%.*s/sessions", (int) (strrchr(tree_dir, '/') - tree_dir), tree_dir) < 0)
                dir = NULL; /* ".../bulwark/tree" -> ".../bulwark/sessions" */
        if (!dir) {
                if (cmd)
                        refuse("sessions need a private directory of yours outside the writable roots "
                               "($XDG_RUNTIME_DIR or ~/.cache): none could be made");
                return;
        }
        char hex[17];
        session_name(workspace, network, elevated, hex);
        struct sockaddr_un sa;
        int n = snprintf(out_path, PATH_MAX, "%s/%s.sock", dir, hex);
        free(dir);
        if (n < 0 || (size_t) n >= sizeof(sa.sun_path)) {
                out_path[0] = 0;
                if (cmd)
                        refuse("the sessions directory's path is too long for a unix socket (%d bytes at most): set "
                               "XDG_RUNTIME_DIR",
                               (int) sizeof(sa.sun_path) - 1);
                return;
        }
        if (!cmd || !bw_streq(cmd, "start"))
                return;
        int lock = session_lock(out_path);
        int fd = session_listen(out_path, workspace, network, elevated);
        if (lock >= 0)
                close(lock);
        if (fd == -EEXIST) {
                printf("bulwark: a session for %s is already running (%s)\n", workspace, out_path);
                exit(0);
        }
        *out_listen = fd;
}

/* --session stop|list (and a quiet stop of a session built for another boundary). */
static int session_control(const char *cmd, const char *path) {
        if (bw_streq(cmd, "list")) {
                char dir[PATH_MAX];
                snprintf(dir, sizeof(dir), "%s", path);
                char *slash = strrchr(dir, '/');
                if (!path[0] || !slash) {
                        puts("no sessions");
                        return 0;
                }
                *slash = 0;
                DIR *d = opendir(dir);
                unsigned n = 0;
                for (struct dirent *de; d && (de = readdir(d));) {
                        size_t len = strlen(de->d_name);
                        if (len < 6 || !bw_streq(de->d_name + len - 5, ".sock"))
                                continue;
                        char sock[PATH_MAX + NAME_MAX + 2], info[PATH_MAX + NAME_MAX + 8], what[PATH_MAX + 64] = "";
                        snprintf(sock, sizeof(sock), "%s/%s", dir, de->d_name);
                        snprintf(info, sizeof(info), "%s/%.*s.info", dir, (int) len - 5, de->d_name);
                        FILE *f = fopen(info, "re");
                        if (f && fgets(what, sizeof(what), f))
                                what[strcspn(what, "\n")] = 0;
                        if (f)
                                fclose(f);
                        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        struct sockaddr_un sa = {.sun_family = AF_UNIX};
                        if (strlen(sock) >= sizeof(sa.sun_path))
                                continue;
                        memcpy(sa.sun_path, sock, strlen(sock) + 1);
                        struct bw_session_request req = {.magic = BW_SESSION_MAGIC, .kind = BW_SESSION_INFO};
                        struct bw_session_reply rep = {0};
                        bool live = fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
                                    bw_session_send(fd, &req) == 0 &&
                                    recv(fd, &rep, sizeof(rep), MSG_WAITALL) == (ssize_t) sizeof(rep);
                        if (fd >= 0)
                                close(fd);
                        printf("%s  %s  %s\n", de->d_name, live ? "running" : "stale", what[0] ? what : "?");
                        n++;
                }
                if (d)
                        closedir(d);
                if (!n)
                        puts("no sessions");
                return 0;
        }
        bool quiet = bw_streq(cmd, "stop-quiet");
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) < sizeof(sa.sun_path))
                memcpy(sa.sun_path, path, strlen(path) + 1);
        struct bw_session_request req = {.magic = BW_SESSION_MAGIC, .kind = BW_SESSION_STOP};
        struct bw_session_reply rep;
        bool ok = path[0] && fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
                  bw_session_send(fd, &req) == 0 && recv(fd, &rep, sizeof(rep), MSG_WAITALL) == (ssize_t) sizeof(rep);
        if (fd >= 0)
                close(fd);
        if (ok) {
                /* it ends in a while (its namespaces are torn down): its socket goes now, so that
                 * nothing reaches it meanwhile and a new session can take the name */
                int lock = session_lock(path);
                session_unlink(path);
                if (lock >= 0)
                        close(lock);
        }
        if (!quiet)
                puts(ok ? "bulwark: session stopped" : "bulwark: no session is running for this workspace");
        return ok ? 0 : 1;
}

/* Which object path is now, for a session's digest: a session's mounts hold the objects they
 * were made of, so a carve-out replaced since (a file written anew and renamed over it, a link
 * made again), or one that appeared or went, is another boundary. lstat, and for a symbolic link
 * what it leads to as well. */
static void object_id(struct bw_strbuf *b, const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0) {
                bw_sb_printf(b, " -\n");
                return;
        }
        bw_sb_printf(b, " %llu:%llu:%o", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino,
                     (unsigned) (st.st_mode & S_IFMT));
        if (S_ISLNK(st.st_mode) && stat(path, &st) == 0)
                bw_sb_printf(b, " %llu:%llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
        bw_sb_printf(b, "\n");
}

/* What a session must have been built for to run this command: every part of the boundary, and
 * (objects: for a session) the very objects its writable roots and carve-outs are now. */
static void spec_digest(const struct bw_sandbox_spec *s, const struct bw_plan *plan, const char *principal,
                        const char *identity, bool objects, uint8_t out[32]) {
        struct bw_strbuf b = {0};
        bw_sb_printf(&b, "spec 1\nplan %s\nprincipal %s\noffline %d\nelevated %d\ntrusted %u\nreal %u\n", plan->id,
                     principal, s->offline, s->elevated, (unsigned) s->trusted_uid, (unsigned) s->real_uid);
        bw_sb_printf(&b, "identity %s\n", identity);
        bw_sb_printf(&b, "tmp %s %s %s\nprocesses %lu\nlandlock %u %u %d\n", s->private_tmp ? s->private_tmp : "-",
                     s->tmp_size, s->shm_size, s->processes, s->landlock_min_abi, s->landlock_wanted_abi,
                     s->landlock_refuse_below);
        /* looked at as the caller in every case (an elevated runner acts as the sandbox user by
         * now, and may not see into the caller's directories; `bulwark` hands over as the caller) */
        uid_t r = getuid(), e = geteuid();
        int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        bool as_caller = objects && e != r && setresuid((uid_t) -1, r, (uid_t) -1) == 0;
        for (size_t i = 0; i < s->n_writable; i++) {
                bw_sb_printf(&b, "w %s\n", s->writable[i]);
                if (objects)
                        object_id(&b, s->writable[i]);
        }
        for (size_t i = 0; i < s->n_cache; i++)
                bw_sb_printf(&b, "c %s\n", s->cache[i]);
        for (size_t i = 0; i < s->n_read_only; i++) {
                bw_sb_printf(&b, "r %u %s\n", s->read_only_flags ? s->read_only_flags[i] : 0, s->read_only[i]);
                if (objects)
                        object_id(&b, s->read_only[i]);
        }
        for (size_t i = 0; i < s->n_hidden; i++) {
                bw_sb_printf(&b, "h %u %s\n", s->hidden_flags ? s->hidden_flags[i] : 0, s->hidden[i]);
                if (objects)
                        object_id(&b, s->hidden[i]);
        }
        if (as_caller) {
                if (setresuid((uid_t) -1, e, (uid_t) -1) < 0)
                        refuse("cannot become the sandbox user again: %s", strerror(errno));
                prctl(PR_SET_DUMPABLE, dumpable < 0 ? 0 : dumpable, 0, 0, 0); /* (as it was: an id change resets it) */
        }
        bw_sha256(b.data, b.len, out);
        bw_sb_done(&b);
}

/* The session's socket, for session_still_wanted. */
static const char *session_socket_path;

/* A session ends when its socket is no longer its own: removed (the runtime directory goes with
 * the login session; `rm`), or replaced. Looked at as the caller, whose directory it is. */
static bool session_still_wanted(void) {
        uid_t r, e, saved;
        if (getresuid(&r, &e, &saved) < 0)
                return true;
        (void) !setresuid((uid_t) -1, r, (uid_t) -1);
        struct stat now;
        int got = lstat(session_socket_path, &now);
        int err = errno;
        (void) !setresuid((uid_t) -1, e, (uid_t) -1); /* (the session's init is signalled as its user) */
        if (got < 0)
                return err != ENOENT && err != ENOTDIR;
        return now.st_ino == session_socket_st.st_ino && now.st_dev == session_socket_st.st_dev;
}

/*
 * A session outlives the run that started it (BULWARK_SESSION=auto: the first command's own
 * words, a token on its command line perhaps), and every local user can read a process's
 * command line: the session's processes show a name of their own instead. The command line is
 * the memory between arg_start and arg_end (/proc/self/stat, fields 48 and 49), this process's
 * own copy since the fork.
 */
static void session_own_cmdline(void) {
        char buf[1024];
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return;
        buf[n] = 0;
        char *p = strrchr(buf, ')'); /* after the name, which may hold anything */
        unsigned long long start = 0, end = 0;
        for (int field = 2; p && field < 49; field++) {
                p = strchr(p + 1, ' ');
                if (p && field + 1 == 48)
                        start = strtoull(p + 1, NULL, 10);
                if (p && field + 1 == 49)
                        end = strtoull(p + 1, NULL, 10);
        }
        if (!start || end <= start || end - start > (1u << 20))
                return;
        char *args = (char *) (uintptr_t) start;
        size_t len = (size_t) (end - start);
        memset(args, 0, len);
        snprintf(args, len, "bulwark-session");
}

/* Build the session and leave it serving in the background; 0 once it is up, 125 (said on
 * stderr) when it could not be built. quiet: started by a run (its stdout is the command's). */
static int session_start(const struct bw_sandbox_spec *spec, int listen_fd, const uint8_t digest[32], const char *path,
                         const char *workspace, bool quiet) {
        int ready[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                refuse("cannot create a pipe: %s", strerror(errno));
        pid_t pid = fork();
        if (pid < 0)
                refuse("cannot start the session: %s", strerror(errno));
        if (pid == 0) {
                close(ready[0]);
                setsid();
                session_own_cmdline();
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(null, 0);
                dup2(session_log_fd >= 0 ? session_log_fd : null, 1);
                dup2(session_log_fd >= 0 ? session_log_fd : null, 2);
                /* nothing of a run that started it (its connection, its tree index) stays open for
                 * the session's lifetime: only the socket and the ready pipe */
                int keep_a = listen_fd < ready[1] ? listen_fd : ready[1];
                int keep_b = listen_fd < ready[1] ? ready[1] : listen_fd;
                close_range(3, (unsigned) keep_a - 1, 0);
                close_range((unsigned) keep_a + 1, (unsigned) keep_b - 1, 0);
                close_range((unsigned) keep_b + 1, ~0u, 0);
                const char *idle = getenv("BULWARK_SESSION_IDLE");
                unsigned secs = idle ? (unsigned) strtoul(idle, NULL, 10) : 0;
                session_socket_path = path;
                int st = bw_sandbox_serve(spec, listen_fd, digest, secs, ready[1], session_still_wanted);
                /* the socket and its files are yours (an elevated session serves as the sandbox
                 * user); removed only while they are still this session's */
                (void) !setresuid((uid_t) -1, getuid(), (uid_t) -1);
                int lock = session_lock(path);
                struct stat now;
                if (lstat(path, &now) == 0 && now.st_ino == session_socket_st.st_ino &&
                    now.st_dev == session_socket_st.st_dev)
                        session_unlink(path);
                if (lock >= 0)
                        close(lock);
                _exit(st == 125 ? 125 : 0);
        }
        close(ready[1]);
        close(listen_fd);
        char c;
        ssize_t got;
        do
                got = read(ready[0], &c, 1);
        while (got < 0 && errno == EINTR);
        close(ready[0]);
        if (got != 1) {
                char side[PATH_MAX + 8], buf[512];
                snprintf(side, sizeof(side), "%.*s.log", (int) strlen(path) - 5, path);
                int log = open(side, O_RDONLY | O_CLOEXEC);
                ssize_t n = log >= 0 ? read(log, buf, sizeof(buf) - 1) : -1;
                if (log >= 0)
                        close(log);
                buf[n > 0 ? n : 0] = 0;
                fprintf(stderr, "bulwark run: the session for %s could not be built%s%s", workspace,
                        n > 0 ? ":\n" : "\n", buf);
                return 125;
        }
        if (!quiet)
                printf("bulwark: session started for %s (commands run in it until `bulwark session stop` or %u s "
                       "idle)\n",
                       workspace, (unsigned) BW_SESSION_IDLE);
        return 0;
}

/*
 * How runs use sessions (BULWARK_SESSION in the caller's environment):
 *   (unset)  a run uses the workspace's session when one is running; one built for another
 *            boundary is stopped and rebuilt for this run's (it was started on purpose: it is
 *            kept warm); without a session the run is cold and starts none
 *   auto     as above, and a run without a session starts one (it shows in `session list` and
 *            ends after BW_SESSION_IDLE seconds without a command, or with `session stop`)
 *   off      every run is cold; sessions are left alone
 */
enum session_use { SESSION_USE, SESSION_AUTO, SESSION_OFF };

static enum session_use session_use(void) {
        const char *v = getenv("BULWARK_SESSION");
        if (!v || !v[0] || bw_streq(v, "on"))
                return SESSION_USE;
        if (bw_streq(v, "auto"))
                return SESSION_AUTO;
        if (bw_streq(v, "off"))
                return SESSION_OFF;
        refuse("BULWARK_SESSION=%s: say auto, off or nothing (see `bulwark session --help`)", v);
}

/* Elevated, the runner acts as the sandbox user (effective and saved uid) and keeps the caller's
 * real uid: the sessions' directory is the caller's (0700, the sandbox user cannot look into it),
 * so a session is reached, made and removed as the caller, and the sandbox is built as the
 * sandbox user (whose id maps it writes: an id change makes a process undumpable). */
static void act_as(uid_t uid) {
        if (setresuid((uid_t) -1, uid, (uid_t) -1) < 0)
                refuse("cannot change the effective user to %u: %s", (unsigned) uid, strerror(errno));
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

struct session_run {
        const struct bw_sandbox_spec *spec;
        const uint8_t *digest;
        const char *path, *home, *workspace, *cwd;
        const struct str_list *writable;
        bool network, elevated, verbose;
        uid_t real_uid;
};

/* A run through the workspace's session: the command's status, or BW_ATTACH_UNAVAILABLE (run it
 * cold). A session built for another boundary is stopped and, like a missing one under
 * BULWARK_SESSION=auto, built for this run's boundary before the command is handed to it. */
static int session_run(const struct session_run *r, enum session_use use, char *const argv[], char *const envp[]) {
        uid_t ru, eu, sandbox_uid;
        if (getresuid(&ru, &eu, &sandbox_uid) < 0)
                refuse("cannot read the user ids: %s", strerror(errno));
        if (r->elevated)
                act_as(r->real_uid);
        int status = access(r->path, F_OK) == 0 ? bw_sandbox_attach(r->path, r->digest, argv, envp, r->cwd)
                                                : BW_ATTACH_NO_SESSION;
        bool stale = status == BW_ATTACH_MISMATCH;
        if (stale) {
                /* built for another boundary (a carve-out appeared or went, the policy changed): it
                 * must not serve this workspace any more; it ends, and its socket goes with it */
                (void) session_control("stop-quiet", r->path);
        }
        if (stale || (status == BW_ATTACH_NO_SESSION && use == SESSION_AUTO)) {
                char *dir = state_dir(r->home, r->writable, "sessions");
                /* the stopped session may take a while to end (its namespaces are torn down): its
                 * socket file goes now, so that nothing reaches it, and the new one takes its name */
                int lock = dir ? session_lock(r->path) : -1;
                if (stale && lock >= 0)
                        session_unlink(r->path);
                int fd = dir ? session_listen(r->path, r->workspace, r->network, r->elevated) : -ENOENT;
                if (lock >= 0)
                        close(lock);
                free(dir);
                int built = fd == -EEXIST ? 0 : 125; /* -EEXIST: another run started one meanwhile */
                if (fd >= 0) {
                        if (r->elevated)
                                act_as(sandbox_uid);
                        built = session_start(r->spec, fd, r->digest, r->path, r->workspace, true);
                        if (r->elevated)
                                act_as(r->real_uid);
                }
                if (r->verbose)
                        fprintf(stderr, "bulwark run: %s%s\n",
                                stale ? "the warm session was built for another boundary (a carve-out appeared or "
                                        "went, or the policy changed): "
                                      : "BULWARK_SESSION=auto: ",
                                built == 0 ? "a session for this boundary serves the workspace now"
                                : fd < 0 && fd != -EEXIST
                                        ? "no session can be made (no private directory of yours for it)"
                                        : "no session could be built");
                status = built == 0 ? bw_sandbox_attach(r->path, r->digest, argv, envp, r->cwd) : BW_ATTACH_UNAVAILABLE;
        }
        bool cold = status == BW_ATTACH_UNAVAILABLE || status == BW_ATTACH_MISMATCH || status == BW_ATTACH_NO_SESSION;
        if (r->elevated && cold)
                act_as(sandbox_uid); /* back to the sandbox user for the cold run */
        if (r->verbose)
                fprintf(stderr, "bulwark run: %s\n",
                        cold ? "no usable warm session: this run is cold" : "ran in the warm session");
        return cold ? BW_ATTACH_UNAVAILABLE : status;
}

/* Where the session of this workspace and mode would listen: state_dir's choice of directory,
 * without making it; false when the path is too long. A first look, before the plan is read
 * (the path is made exactly, as the caller, once the writable roots are known). */
static bool session_guess(const char *home, const char *workspace, bool network, bool elevated, char path[PATH_MAX]) {
        const char *xdg = getenv("XDG_CACHE_HOME"), *runtime = getenv("XDG_RUNTIME_DIR");
        struct stat rst;
        char hex[17];
        session_name(workspace, network, elevated, hex);
        int n;
        if (runtime && runtime[0] == '/' && lstat(runtime, &rst) == 0 && S_ISDIR(rst.st_mode) &&
            rst.st_uid == getuid() && !(rst.st_mode & 077))
                n = snprintf(path, PATH_MAX, "%s/bulwark/sessions/%s.sock", runtime, hex);
        else if (xdg && xdg[0] == '/')
                n = snprintf(path, PATH_MAX, "%s/bulwark/sessions/%s.sock", xdg, hex);
        else
                n = snprintf(path, PATH_MAX, "%s/.cache/bulwark/sessions/%s.sock", home, hex);
        return n > 0 && n < PATH_MAX;
}

/* Is there a socket where an elevated run's session for workspace would listen? */
static bool session_may_exist(const char *home, const char *workspace, bool network) {
        char path[PATH_MAX];
        return session_guess(home, workspace, network, true, path) && access(path, F_OK) == 0;
}

/* In `bulwark` (BULWARK_RUNNER_IN_PROCESS): the bulwark-runner to exec for what this process cannot
 * do itself (an elevated run without a session to hand it to), or NULL. */
static const char *fallback_runner;

/*
 * An elevated run inside `bulwark`, which has no capability: the installed plan is read, the
 * boundary computed, the tree guard's scan and its check after the run made exactly as the
 * runner does (the runner does them as the caller too), and the command handed to the running
 * session of this workspace and mode. The runner's privileges are no part of that hand-off: the
 * session was built by a privileged runner, runs every command as its sandbox user, and takes
 * commands from whoever can reach its socket, in the caller's private directory; what
 * cap_setuid buys (switching to the sandbox user) is needed only to build a sandbox. So when
 * there is no session (or one for another boundary, which must be stopped and rebuilt), this
 * process execs the real runner with the same arguments, before it has run anything.
 */
__attribute__((noreturn)) static void exec_fallback(char **argv) {
        if (!fallback_runner)
                refuse("no bulwark-runner to hand this run to");
        fflush(NULL);
        settle_ids();
        execv(fallback_runner, argv);
        refuse("cannot start %s: %s (install bulwark-runner beside bulwark, or give --runner PATH)", fallback_runner,
               strerror(errno));
}

#ifdef BULWARK_RUNNER_IN_PROCESS
/* For `bulwark run`, before anything else: the installation covering dir, with the runner's
 * checks, kept for the run (find_install_once). Callers the runner refuses are refused first,
 * with the runner's reasons (check_caller), not with what their view of the state says. */
bool bw_runner_find_install(const char *dir, char id[17], const char *values[BW_VAR_COUNT]);
bool bw_runner_find_install(const char *dir, char id[17], const char *values[BW_VAR_COUNT]) {
        if (geteuid() == getuid())
                check_caller();
        if (install_seen.in.dir_fd >= 0)
                close(install_seen.in.dir_fd);
        install_seen.in = (struct install){.dir_fd = -1};
        install_seen.done = false;
        snprintf(install_seen.dir, sizeof(install_seen.dir), "%s", dir); /* (a real path: shorter) */
        install_seen.found = find_install(dir, &install_seen.in);
        install_seen.done = true;
        snprintf(id, 17, "%s", install_seen.in.id);
        for (int i = 0; i < BW_VAR_COUNT; i++)
                values[i] = install_seen.in.values[i];
        return install_seen.found;
}

/* For `bulwark run`, before anything else: might an elevated run in workspace (a real path) find
 * a session? ($HOME stands in for the account's home here: a wrong answer only costs time, the
 * run checks again exactly.) */
bool bw_runner_session_may_exist(const char *workspace, bool network);
bool bw_runner_session_may_exist(const char *workspace, bool network) {
        const char *home = getenv("HOME");
        return session_may_exist(home && home[0] == '/' ? home : "/nonexistent", workspace, network);
}

/* `bulwark run` does the runner's job in its own process, with argv as bulwark-runner would get
 * it: one program start less. Unelevated no capability is needed; elevated (runner: the
 * bulwark-runner to exec), only a run in a warm session is done here (exec_fallback). */
int bw_runner_main(int argc, char **argv, const char *runner);
int bw_runner_main(int argc, char **argv, const char *runner) {
        optind = 0; /* the caller has parsed its own options: start afresh */
        fallback_runner = runner;
#else
int main(int argc, char **argv) {
#endif
        static const struct option longopts[] = {{"network", no_argument, NULL, 'n'},
                                                 {"plan", required_argument, NULL, 'p'},
                                                 {"plan-fd", required_argument, NULL, 'f'},
                                                 {"workspace", required_argument, NULL, 'w'},
                                                 {"verbose", no_argument, NULL, 'v'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {"session", required_argument, NULL, 's'},
                                                 {"version", no_argument, NULL, 'V'},
                                                 {NULL, 0, NULL, 0}};
        bool network = false, verbose = false;
        const char *plan_path = NULL, *workspace_arg = NULL, *session_cmd = NULL;
        int plan_fd = -1, c;
        while ((c = getopt_long(argc, argv, "+nw:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        network = true;
                        break;
                case 'p':
                        plan_path = optarg;
                        break;
                case 'f': {
                        char *end;
                        long v = strtol(optarg, &end, 10);
                        if (*end || v < 3 || v > INT_MAX)
                                refuse("--plan-fd %s: give an open file descriptor number (3 or more)", optarg);
                        plan_fd = (int) v;
                        break;
                }
                case 'w':
                        workspace_arg = optarg;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 's':
                        if (!bw_streq(optarg, "start") && !bw_streq(optarg, "stop") && !bw_streq(optarg, "list"))
                                refuse("--session %s: say start, stop or list", optarg);
                        session_cmd = optarg;
                        break;
                case 'V':
                        puts("bulwark-runner " BULWARK_RUNNER_VERSION);
                        return 0;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 125;
                }
        }
        if (optind >= argc && !session_cmd) {
                usage(stderr);
                refuse("say which command to run, after --");
        }
        /* Nothing the caller left open reaches the sandbox (but the plan it hands over, and in
         * `bulwark` the installation's directory its front end found) */
        int keep[2] = {plan_fd, install_seen.done && install_seen.found ? install_seen.in.dir_fd : -1};
        if (keep[0] > keep[1]) {
                int t = keep[0];
                keep[0] = keep[1];
                keep[1] = t;
        }
        unsigned first = 3;
        for (int i = 0; i < 2; i++)
                if (keep[i] >= (int) first) {
                        if ((unsigned) keep[i] > first)
                                close_range(first, (unsigned) keep[i] - 1, 0);
                        first = (unsigned) keep[i] + 1;
                }
        close_range(first, ~0u, 0);

        /* The runner acts for its caller, the real user: one started with another effective
         * user (exec'd by an elevated runner, which acts as the sandbox user and keeps the
         * caller's real uid) takes the caller's ids first. As the sandbox user it could not even
         * look into the caller's 0700 state directory (a session rebuilt through a new runner
         * process found none); the caller's own ids are always allowed back. */
        if (geteuid() != getuid()) {
                struct passwd *caller = getpwuid(getuid());
                gid_t gid = caller ? caller->pw_gid : getgid();
                if (caller)
                        (void) initgroups(caller->pw_name, gid); /* (allowed with the runner's capabilities) */
                if ((setresgid(gid, gid, gid) < 0 && setresgid(getgid(), getgid(), getgid()) < 0) ||
                    setresuid(getuid(), getuid(), getuid()) < 0)
                        refuse("cannot take your own user and group ids: %s", strerror(errno));
        }
        check_caller();
        enum session_use use = session_use();
        bool can_switch = has_setid_caps();
        uid_t real_uid = getuid();
        char cwd[PATH_MAX], workspace[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
                refuse("cannot determine the current directory: %s", strerror(errno));
        if (!realpath(workspace_arg ? workspace_arg : cwd, workspace))
                refuse("workspace %s: %s", workspace_arg ? workspace_arg : cwd, strerror(errno));

        const struct passwd *me = caller_account();
        if (!me)
                refuse("the calling user (uid %u) has no account entry", (unsigned) getuid());
        /* The current directory is a workspace only when it is a project: never /, your home or a
         * directory above it (a run started in ~ would make ~/.bashrc writable). */
        if (!workspace_arg && me->pw_dir[0] == '/' && within(me->pw_dir, workspace))
                refuse("the workspace would be %s (the current directory), which is %s: cd into a project, or name "
                       "the workspace with --workspace DIR",
                       workspace,
                       bw_streq(workspace, me->pw_dir) ? "your home directory" : "above your home directory");
        struct install in = {.dir_fd = -1};
        bool elevated = find_install_once(workspace, &in);
        /* elevated in `bulwark`: without a session's socket where this run would look for one,
         * the runner does the run, before any work here (it is checked again below, exactly) */
        bool attach_only = elevated && !can_switch && fallback_runner;
        if (attach_only && (session_cmd || use == SESSION_OFF || !session_may_exist(me->pw_dir, workspace, network)))
                exec_fallback(argv);
        /* A run that may go to a session connects now, before the plan, the lists and the tree
         * guard's scan: the session's init accepts the connection and hands it to the command's
         * monitor meanwhile (on another core), off the command's wait. The request (with the
         * boundary's digest, checked there) follows once this run knows its boundary; a run that
         * does not use it closes the connection, and the monitor ends unused. (As the caller: an
         * elevated runner switches later.) */
        if (!session_cmd && use != SESSION_OFF) {
                char guess[PATH_MAX];
                if (session_guess(me->pw_dir, workspace, network, elevated, guess))
                        bw_session_connect_early(guess);
        }
        struct bw_bindings b = {{NULL}};
        struct bw_plan *plan;
        const char *shown;
        if (elevated) {
                struct passwd *owner = getpwnam(in.values[BW_VAR_USER]);
                if ((!owner || owner->pw_uid != getuid()) && getuid() == 0)
                        refuse("the plan installed for %s serves %s, and you are root: bulwark run runs the command "
                               "as the user who calls it; run it as %s (without sudo)",
                               in.values[BW_VAR_WORKSPACE], in.values[BW_VAR_USER], in.values[BW_VAR_USER]);
                if (!owner || owner->pw_uid != getuid())
                        refuse("the plan installed for %s serves %s only, not %s: ask an administrator to install one "
                               "for you (sudo bulwark apply PLAN --user %s)",
                               in.values[BW_VAR_WORKSPACE], in.values[BW_VAR_USER], me->pw_name, me->pw_name);
                if (plan_path || plan_fd >= 0)
                        refuse("the plan installed for %s decides here; --plan is for workspaces without one",
                               in.values[BW_VAR_WORKSPACE]);
                if (!can_switch && !fallback_runner)
                        refuse("a plan is installed for %s, but this runner cannot switch to its sandbox user (it "
                               "lacks "
                               "cap_setuid,cap_setgid): have an administrator re-run `bulwark apply`",
                               in.values[BW_VAR_WORKSPACE]);
                int fd = open_root_owned(in.dir_fd, "plan", false, "the installed plan");
                if (fd < 0)
                        refuse("installation %s has no plan: have an administrator re-run `bulwark apply`", in.id);
                shown = "installed";
                plan = load_plan_fd(fd, shown);
                close(fd);
                close(in.dir_fd);
                for (int i = 0; i < BW_VAR_COUNT; i++)
                        b.value[i] = in.values[i];
        } else {
                /* unelevated: whatever the runner file carries goes unused (root keeps its own, needed to
                 * map uid 0 into the sandbox's user namespace; init empties the bounding set) */
                if (getuid() != 0)
                        drop_all_caps();
#ifndef BULWARK_RUNNER_IN_PROCESS
                /* Admin constraints bind every run. This runner cannot compile (bulwark does, and
                 * hands the plan over with --plan-fd): its own built-in plan knows no constraints,
                 * and a plan compiled elsewhere may have been compiled without them. */
                if (plan_fd < 0 && bw_admin_dir_has_constraints(BW_ADMIN_CONSTRAINTS_DIR))
                        refuse("admin constraints apply on this machine (%s), and %s cannot be checked against "
                               "them here: run the command through `bulwark run`, which compiles the policy under "
                               "them",
                               BW_ADMIN_CONSTRAINTS_DIR,
                               plan_path ? "a plan given with --plan" : "the built-in workspace-write plan");
#endif
                if (plan_path) {
                        int fd = open(plan_path, O_RDONLY | O_CLOEXEC);
                        if (fd < 0)
                                refuse("cannot open the plan %s: %s", plan_path, strerror(errno));
                        plan = load_plan_fd(fd, plan_path);
                        close(fd);
                        shown = plan_path;
                } else if (plan_fd >= 0) {
                        /* what bulwark compiled: the workspace's policy, or (under admin constraints)
                         * the built-in profile; named so, not after the descriptor it came through */
                        static char from[PATH_MAX + 32];
                        snprintf(from, sizeof(from), "%s/.bulwark/policy.yaml", workspace);
                        shown = access(from, F_OK) == 0 ? from : "built-in workspace-write";
                        plan = load_plan_fd(plan_fd, shown);
                        close(plan_fd);
                } else {
                        char own[PATH_MAX + 32];
                        snprintf(own, sizeof(own), "%s/.bulwark/policy.yaml", workspace);
                        if (access(own, F_OK) == 0)
                                refuse("%s has its own policy: run through `bulwark run` (which compiles it), or "
                                       "compile it with bulwarkc and pass --plan",
                                       own);
                        shown = "built-in workspace-write";
                        uint8_t *copy = aligned_alloc(8, (bw_builtin_plan_size + 7) & ~(size_t) 7);
                        struct bw_plan_error err;
                        plan = calloc(1, sizeof(*plan));
                        if (!copy || !plan)
                                refuse("out of memory");
                        memcpy(copy, bw_builtin_plan, bw_builtin_plan_size);
                        if (bw_plan_parse(copy, bw_builtin_plan_size, 0, plan, &err) < 0)
                                refuse("the built-in plan is damaged (%s): rebuild bulwark", err.message);
                        plan->owned = copy;
                }
                static char home[PATH_MAX], user[256];
                snprintf(home, sizeof(home), "%s", me->pw_dir);
                snprintf(user, sizeof(user), "%s", me->pw_name);
                b.value[BW_VAR_HOME] = home;
                b.value[BW_VAR_USER] = user;
                b.value[BW_VAR_TMPDIR] = "/tmp";
                b.value[BW_VAR_WORKSPACE] = workspace;
                for (int i = 0; i < BW_VAR_COUNT; i++) {
                        char why[200], value[3 * PATH_MAX];
                        if (bw_var_value_explain((enum bw_var_id) i, b.value[i], why, sizeof(why)) < 0)
                                refuse("${%s} would be \"%s\", which cannot be: %s", bw_var_name((enum bw_var_id) i),
                                       bw_printable(b.value[i], strlen(b.value[i]), value, sizeof(value)), why);
                }
        }

        const struct bw_plan_token *t = pick_token(plan, network, shown);
        const char *principal = bw_plan_string(plan, plan->principals[t->principal].name);
        struct spec_lists sl = {0};
        uid_t trusted = elevated ? (uid_t) -1 : getuid();
        struct bw_guard *guard = bw_guard_new(trusted, b.value[BW_VAR_HOME]);
        build_lists(plan, t, &b, &sl, guard);
        protect_trust_store(&sl, guard, me->pw_dir);
        hide_link_targets(&sl);
        /* The real user's session sockets (agents, D-Bus) are no business of the sandbox. */
        char runtime_dir[64];
        snprintf(runtime_dir, sizeof(runtime_dir), "/run/user/%u", (unsigned) getuid());
        list_add(&sl.hidden, runtime_dir, false);
        /* the agent the caller's session points at, wherever it lives */
        const char *agent = getenv("SSH_AUTH_SOCK");
        if (agent && agent[0] == '/' && strlen(agent) < PATH_MAX)
                list_add(&sl.hidden, agent, false);
        /* a container engine's socket is root for whoever can reach it */
        list_add(&sl.hidden, "/run/docker.sock", false);
        static const char *const engines[] = {
                "/run/podman/podman.sock",        "/var/run/docker.sock",       "/var/snap/lxd/common/lxd/unix.socket",
                "/var/lib/lxd/unix.socket",       "/var/lib/incus/unix.socket", "/run/libvirt/libvirt-sock",
                "/run/containerd/containerd.sock"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(engines); i++)
                list_add(&sl.hidden, engines[i], false);
        if (elevated) {
                /* `bulwark run` handing the command to a session keeps the answer for the next run
                 * beside the session's socket (bulwark-runner, which builds sessions, never uses it) */
                char kept[PATH_MAX + 8] = "";
                if (attach_only && session_guess(me->pw_dir, workspace, network, true, kept) &&
                    !within_any(kept, &sl.writable)) /* (as state_dir: no writable root holds it) */
                        snprintf(kept + strlen(kept) - 5, 8, ".others");
                else
                        kept[0] = 0;
                hide_other_installs(&in, &sl, kept[0] ? kept : NULL);
        }
        /* ${tmpdir} is private to the run whatever it was bound to: a plan compiled with
         * -D tmpdir=/var/lib/shared-tmp gets a fresh tmpfs there, never the shared directory. */
        const char *tmpdir = b.value[BW_VAR_TMPDIR];
        for (uint32_t i = 0; i < plan->n_vars; i++)
                if ((plan->vars[i].flags & BW_VAR_BOUND) &&
                    bw_streq(bw_plan_string(plan, plan->vars[i].name), "tmpdir"))
                        tmpdir = bw_plan_string(plan, plan->vars[i].value);
        const char *private_tmp = NULL;
        for (size_t i = 0; i < sl.writable.n; i++)
                if (bw_streq(sl.writable.v[i], tmpdir))
                        private_tmp = tmpdir;
        /* A workspace below ${tmpdir} (a newcomer's first try is often a repository in /tmp) is
         * bound back into the private tmpfs at its own path, like any writable root below it, and
         * the rest of the shared directory stays out of sight. What cannot be: a workspace that is
         * ${tmpdir} itself, or a home below it (what the sandbox reads there, ~/.gitconfig and the
         * tools' configuration, would all be hidden). */
        const char *hidden_by_tmp = NULL;
        if (private_tmp && (bw_streq(tmpdir, "/") || bw_streq(b.value[BW_VAR_WORKSPACE], tmpdir)))
                hidden_by_tmp = "the workspace";
        else if (private_tmp && within(b.value[BW_VAR_HOME], tmpdir))
                hidden_by_tmp = "your home";
        if (hidden_by_tmp) {
                bool home = hidden_by_tmp[0] == 'y';
                const char *path = home ? b.value[BW_VAR_HOME] : b.value[BW_VAR_WORKSPACE];
                refuse("%s %s is %sthe run's temporary directory %s (${tmpdir}), which every run replaces with a "
                       "private one of its own (it would hide it): use a directory elsewhere, or compile the policy "
                       "with another temporary directory (bulwarkc POLICY or builtin:workspace-write -D "
                       "workspace=%s -D tmpdir=DIR -o PLAN) and run with bulwark run --plan PLAN",
                       hidden_by_tmp, path, bw_streq(path, tmpdir) ? "" : "below ", tmpdir, b.value[BW_VAR_WORKSPACE]);
        }
        struct bw_limits limits;
        bw_plan_limits(plan, &limits);
        /* memory.max and cpu.max need a cgroup delegated to you with no other process in it, which
         * a runner started from a login shell does not have: said, not pretended */
        if (limits.memory || limits.cpu_millis)
                fprintf(stderr,
                        "bulwark run: warning: the policy's limits.%s %s not enforced: no delegated cgroup here (run "
                        "it under `systemd-run --user --scope -p MemoryMax=... -p CPUQuota=...` to have them)\n",
                        limits.memory && limits.cpu_millis ? "memory and limits.cpu"
                        : limits.memory                    ? "memory"
                                                           : "cpu",
                        limits.memory && limits.cpu_millis ? "are" : "is");
        char tmp_size[32], shm_size[32];
        if (limits.tmpfs_size) {
                snprintf(tmp_size, sizeof(tmp_size), "%llu", (unsigned long long) limits.tmpfs_size);
                snprintf(shm_size, sizeof(shm_size), "%llu", (unsigned long long) (limits.tmpfs_size / 4));
        } else {
                snprintf(tmp_size, sizeof(tmp_size), "%u%%", limits.tmpfs_percent);
                snprintf(shm_size, sizeof(shm_size), "%u%%", limits.tmpfs_percent / 4 ? limits.tmpfs_percent / 4 : 1);
        }
        char *tree_dir = state_dir(me->pw_dir, &sl.writable, "tree");
        /* elevated in `bulwark`: only a run in a session is done here, decided before any work
         * that would have to be undone (the tree guard's pending snapshot) */
        char session_path[PATH_MAX] = "";
        if (attach_only) {
                int unused = -1;
                session_prepare(&sl, me->pw_dir, tree_dir, workspace, network, elevated, NULL, session_path, &unused);
                if (session_cmd || use == SESSION_OFF || !session_path[0] || access(session_path, F_OK) < 0)
                        exec_fallback(argv);
        }
        hide_own_state(&sl, guard, tree_dir, me->pw_dir);
        hide_host_sockets(&sl, private_tmp, t->network == BW_NETWORK_OFF ? (uid_t) -1 : getuid(), verbose);
        reserve_placeholders(&sl, trusted, verbose);
        guard_tree(guard, &sl, private_tmp, tree_dir, verbose);
        protect_other_links(&sl, private_tmp, verbose);
        /* A warm session for this workspace and mode: its socket (made now, as you, before an
         * elevated runner becomes the sandbox user) */
        int listen_fd = -1;
        if (session_cmd)
                bw_guard_forget_pending(guard); /* no command runs here: nothing to check after */
        session_prepare(&sl, me->pw_dir, tree_dir, workspace, network, elevated, session_cmd, session_path, &listen_fd);
        free(tree_dir);
        if (session_cmd && !bw_streq(session_cmd, "start")) {
                int rc = session_control(session_cmd, session_path);
                active_guard = NULL;
                bw_guard_free(guard);
                spec_lists_free(&sl);
                bw_plan_free(plan);
                fflush(stdout);
                settle_ids();
                return rc;
        }

        static char identity[1024] = "the caller";
        if (elevated) {
                /* The plan names a principal role; apply bound it, for this installation's user, to
                 * that user's own sandbox account, and chose exactly the groups its runs carry (its
                 * read group, its writable roots' groups): both are in the installation's bindings,
                 * root's like the plan. An installation from before per-user accounts names neither
                 * and keeps the plan's shared account and the groups the plan makes it a member of. */
                /* (read with the rest of the bindings, once: find_install) */
                static char account[BW_BINDINGS_ACCOUNT_MAX];
                snprintf(account, sizeof(account), "%s",
                         plan->principals[t->principal].role == BW_ROLE_ONLINE ? in.online : in.offline);
                if (account[0])
                        principal = account;
                struct passwd *pw = getpwnam(principal);
                if (!pw)
                        refuse("the sandbox user %s does not exist: have an administrator re-run `bulwark apply`",
                               principal);
                /* Looked up by name: getgrouplist() would enumerate every group source, loading NSS
                 * modules (0.4 ms of every run on a host with nss-systemd) to learn what apply chose. */
                gid_t groups[66];
                int ng = 0;
                groups[ng++] = pw->pw_gid;
                const char *gnames[65];
                size_t n_gnames = 0;
                if (account[0]) {
                        for (char *save = NULL, *g = strtok_r(in.groups, ",", &save); g && n_gnames < 64;
                             g = strtok_r(NULL, ",", &save))
                                gnames[n_gnames++] = g;
                } else {
                        uint32_t member_of = plan->principals[t->principal].member_of;
                        for (uint32_t i = 0; i < plan->n_principals && i < 32; i++)
                                if (member_of & (1u << i))
                                        gnames[n_gnames++] = bw_plan_string(plan, plan->principals[i].name);
                }
                for (size_t i = 0; i < n_gnames; i++) {
                        struct group *gr = getgrnam(gnames[i]);
                        if (!gr)
                                refuse("the sandbox group %s does not exist: have an administrator re-run `bulwark "
                                       "apply`",
                                       gnames[i]);
                        groups[ng++] = gr->gr_gid;
                }
                /* who the command runs as, exactly: a session keeps the ids it was built with, so a
                 * sandbox user or group that has other ids now (made again, changed by an
                 * administrator) is another boundary */
                struct bw_strbuf ids = {0};
                bw_sb_printf(&ids, "uid %u gid %u groups", (unsigned) pw->pw_uid, (unsigned) pw->pw_gid);
                for (int i = 0; i < ng; i++)
                        bw_sb_printf(&ids, " %u", (unsigned) groups[i]);
                snprintf(identity, sizeof(identity), "%s", bw_sb_str(&ids));
                bw_sb_done(&ids);
                /* The real uid stays the caller's, so that they can still signal (and kill) their own
                 * run; the effective and saved uids are the sandbox user's, so it acts as that user
                 * and cannot be ptraced by the caller. The sandbox's init takes the real uid across
                 * as well before the command starts (sandbox.c): the command has no trace of it. */
                if (attach_only) {
                        /* the session runs the command as the sandbox user: nothing to switch */
                } else if (setgroups((size_t) ng, groups) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
                           setresuid(real_uid, pw->pw_uid, pw->pw_uid) < 0)
                        refuse("cannot switch to %s: %s", principal, strerror(errno));
                if (!attach_only) {
                        drop_all_caps();
                        uid_t ru, eu, su;
                        if (getresuid(&ru, &eu, &su) < 0 || ru != real_uid || eu != pw->pw_uid || su != pw->pw_uid ||
                            has_setid_caps())
                                refuse("the switch to %s did not take", principal);
                }
        }

        char mode[PATH_MAX + 200];
        snprintf(mode, sizeof(mode), "%s mode as %s (plan %.12s, %s)", elevated ? "elevated" : "unelevated",
                 elevated ? principal : me->pw_name, plan->id, shown);
        bool offline = t->network == BW_NETWORK_OFF;
        struct bw_sandbox_spec spec = {
                .writable = (const char *const *) sl.writable.v,
                .n_writable = sl.writable.n,
                .cache = (const char *const *) sl.cache.v,
                .n_cache = sl.cache.n,
                .home = me->pw_dir,
                .workspace = b.value[BW_VAR_WORKSPACE],
                .read_only = (const char *const *) sl.read_only.v,
                .n_read_only = sl.read_only.n,
                .read_only_flags = sl.read_only.flag,
                .hidden = (const char *const *) sl.hidden.v,
                .n_hidden = sl.hidden.n,
                .hidden_flags = sl.hidden.flag,
                .private_tmp = private_tmp,
                .tmp_size = tmp_size,
                .shm_size = shm_size,
                .processes = limits.processes,
                .cwd = cwd,
                .trusted_uid = trusted,
                .real_uid = real_uid,
                .offline = offline,
                .landlock_min_abi = t->landlock_min_abi,
                .landlock_wanted_abi = t->landlock_wanted_abi,
                .landlock_refuse_below = t->landlock_below_min == BW_LANDLOCK_REFUSE,
                .verbose = verbose,
                .elevated = elevated,
                .mode = mode,
        };
        extern char **environ;
        char **base = environ, **restored = NULL;
        char *env_block = NULL;
        if (getauxval(AT_SECURE) && (restored = original_environment(&env_block)))
                base = restored;
        char **envp = build_env(base, plan, offline, tmpdir, elevated ? b.value[BW_VAR_WORKSPACE] : NULL, verbose);
        uint8_t digest[32];
        /* (a cold run's digest is unused: the objects are looked at only when a session may
         * serve or be built) */
        spec_digest(&spec, plan, principal, identity,
                    attach_only || session_cmd || (session_path[0] && use != SESSION_OFF), digest);
        int status = BW_ATTACH_UNAVAILABLE;
        if (attach_only) {
                status = bw_sandbox_attach(session_path, digest, argv + optind, envp, cwd);
                if (status == BW_ATTACH_UNAVAILABLE || status == BW_ATTACH_MISMATCH || status == BW_ATTACH_NO_SESSION) {
                        /* no command ran: the runner does the whole run (and rebuilds a session
                         * built for another boundary) */
                        active_guard = NULL;
                        bw_guard_forget_pending(guard);
                        if (verbose)
                                fprintf(stderr, "bulwark run: no usable warm session: bulwark-runner runs it\n");
                        exec_fallback(argv);
                }
                if (verbose)
                        fprintf(stderr, "bulwark run: ran in the warm session\n");
        } else if (session_cmd) /* start: build the sandbox, keep it serving in the background */
                status = session_start(&spec, listen_fd, digest, session_path, workspace, false);
        else if (session_path[0] && use != SESSION_OFF) {
                const struct session_run r = {.spec = &spec,
                                              .digest = digest,
                                              .path = session_path,
                                              .home = me->pw_dir,
                                              .workspace = workspace,
                                              .cwd = cwd,
                                              .writable = &sl.writable,
                                              .network = network,
                                              .elevated = elevated,
                                              .verbose = verbose,
                                              .real_uid = real_uid};
                status = session_run(&r, use, argv + optind, envp);
        }
        bw_session_drop_early(); /* (when no session took the command) */
        if (!session_cmd && status == BW_ATTACH_UNAVAILABLE)
                status = bw_sandbox_run(&spec, argv + optind, envp);
        /* The sandbox is gone (its pid namespace with it): what did the run leave behind? Elevated,
         * that is checked as the real user again (the real uid was kept for this and for signals):
         * the tree index and its pending link are theirs, and so may be what the run renamed. */
        if (elevated && setresuid((uid_t) -1, real_uid, (uid_t) -1) < 0)
                fprintf(stderr, "bulwark run: warning: cannot take back your identity to check what the run left: %s\n",
                        strerror(errno));
        /* (an id change makes a process undumpable: a plain process of yours again, which the
         * sanitizer builds' exit-time leak check needs) */
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        if (!session_cmd) {
                struct timespec t0, t1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                bw_guard_after_run(guard, stderr);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                if (verbose)
                        fprintf(stderr, "bulwark run: after the run: checked what it created (%.2f ms)\n",
                                (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
        }
        active_guard = NULL;
        bw_guard_free(guard);
        spec_lists_free(&sl);
        fflush(stdout);
        for (size_t i = 0; i < n_env_owned; i++)
                free(env_owned[i]);
        free(env_owned);
        free(envp);
        free(restored);
        free(env_block);
        bw_plan_free(plan);
        settle_ids();
        if (status < 0)
                bw_exit_like_signal(-status);
        return status;
}
