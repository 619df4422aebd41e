/* SPDX-License-Identifier: MIT */
#include "sandbox.h"
#include "landlock_abi.h"
#include "plan.h"
#include "safe_open.h"
#include "seccomp_filter.h"
#include "session.h"
#include "sha256.h"
#include "stdio_relay.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "strbuf.h"
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

/* ---- how init reports to the runner ---- */

/* init writes exactly one of these to the status pipe before it exits. */
enum report_kind { REPORT_SETUP_FAILED = 1, REPORT_COMMAND_ENDED = 2, REPORT_SERVING = 3, REPORT_STOPPED = 4 };
struct report {
        int kind;
        int wait_status; /* REPORT_COMMAND_ENDED, REPORT_STOPPED: the command's waitpid() status */
        char message[480];
};

static int status_fd = -1; /* init's end of the status pipe */

/* Setup failed inside the sandbox: report why and end with 125. */
__attribute__((noreturn, format(printf, 1, 2))) static void setup_failed(const char *fmt, ...) {
        struct report r = {.kind = REPORT_SETUP_FAILED};
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r.message, sizeof(r.message), fmt, ap);
        va_end(ap);
        if (status_fd >= 0 && write(status_fd, &r, sizeof(r)) != (ssize_t) sizeof(r))
                fprintf(stderr, "bulwark run: %s\n", r.message);
        _exit(125);
}

static bool verbose_on;
__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...) {
        if (!verbose_on)
                return;
        va_list ap;
        va_start(ap, fmt);
        fputs("bulwark run: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* ---- Landlock ---- */

static int landlock_abi(void) {
        long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, BW_LL_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int) abi;
}

static uint64_t landlock_fs_rights(int abi, bool offline) {
        uint64_t r = (BW_LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
        if (abi >= 2)
                r |= BW_LL_FS_REFER;
        if (abi >= 3)
                r |= BW_LL_FS_TRUNCATE;
        if (abi >= 5)
                r |= BW_LL_FS_IOCTL_DEV;
        /* Offline, pathname unix sockets only under the writable roots (and those the sandbox
         * made itself): a host service's socket elsewhere is a way out that a read-only mount
         * does not close. Older kernels: the runner hides the sockets the host has bound. */
        if (abi >= 9 && offline)
                r |= BW_LL_FS_RESOLVE_UNIX;
        return r;
}

static void landlock_allow(int ruleset, const char *path, uint64_t rights, bool must_exist) {
        int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0) {
                if (must_exist)
                        setup_failed("Landlock: cannot open %s: %s", path, strerror(errno));
                return;
        }
        struct stat st;
        /* rights that only directories carry are refused on files: keep those that apply */
        if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
                rights &= BW_LL_FS_EXECUTE | BW_LL_FS_WRITE_FILE | BW_LL_FS_READ_FILE | BW_LL_FS_TRUNCATE |
                          BW_LL_FS_IOCTL_DEV | BW_LL_FS_RESOLVE_UNIX;
        struct bw_ll_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
        if (syscall(__NR_landlock_add_rule, ruleset, BW_LL_RULE_PATH_BENEATH, &pb, 0) < 0)
                setup_failed("Landlock: cannot add a rule for %s: %s", path, strerror(errno));
        close(fd);
}

/* Writes only beneath the writable roots (and to the harmless devices); reads anywhere (the
 * mounts, ACLs and modes decide those). The ruleset, to be enforced (landlock_enforce), or -1
 * when there is none to enforce; *ret_abi: the ABI used (0: none). A session's init builds it
 * once for all its commands. */
static int landlock_build(const struct bw_sandbox_spec *s, bool have_netns, int *ret_abi) {
        *ret_abi = 0;
        int abi = landlock_abi();
        /* negotiated: the kernel's, up to what the plan was made for */
        if (s->landlock_wanted_abi && abi > (int) s->landlock_wanted_abi)
                abi = (int) s->landlock_wanted_abi;
        if (abi < (int) s->landlock_min_abi || abi == 0) {
                if (s->landlock_refuse_below)
                        setup_failed("this kernel offers Landlock ABI %d, the plan requires at least %u: use a newer "
                                     "kernel, or a plan that allows degrading",
                                     abi, s->landlock_min_abi);
                fprintf(stderr, "bulwark run: warning: Landlock is %s here: writes are confined by the mounts%s only\n",
                        abi ? "too old" : "unavailable", s->mode && s->mode[0] == 'e' ? " and ACLs" : "");
                return -1;
        }
        uint64_t fs = landlock_fs_rights(abi, s->offline);
        struct bw_ll_ruleset_attr attr = {.handled_access_fs = fs};
        size_t attr_size = 8;
        if (abi >= 4) {
                attr_size = 16;
                /* With no network namespace, the offline sandbox may not use TCP at all. */
                if (s->offline && !have_netns)
                        attr.handled_access_net = BW_LL_NET_BIND_TCP | BW_LL_NET_CONNECT_TCP;
        }
        if (abi >= 6) {
                attr_size = 24;
                attr.scoped = BW_LL_SCOPE_ABSTRACT_UNIX_SOCKET | BW_LL_SCOPE_SIGNAL;
        }
        int rs = (int) syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
        if (rs < 0)
                setup_failed("Landlock: cannot create a ruleset: %s", strerror(errno));
        const uint64_t read = BW_LL_FS_EXECUTE | BW_LL_FS_READ_FILE | BW_LL_FS_READ_DIR;
        const uint64_t dev = (BW_LL_FS_READ_FILE | BW_LL_FS_WRITE_FILE | BW_LL_FS_TRUNCATE | BW_LL_FS_IOCTL_DEV) & fs;
        landlock_allow(rs, "/", read, true);
        for (size_t i = 0; i < s->n_writable; i++)
                landlock_allow(rs, s->writable[i], fs, false);
        /* (the overlay mounted there by now: writes reach the sandbox's own layer only) */
        for (size_t i = 0; i < s->n_cache; i++)
                landlock_allow(rs, s->cache[i], fs, false);
        static const char *const devices[] = {"/dev/null",    "/dev/zero", "/dev/full", "/dev/random",
                                              "/dev/urandom", "/dev/tty",  "/dev/ptmx", "/dev/pts"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(devices); i++)
                landlock_allow(rs, devices[i], dev | read, false);
        landlock_allow(rs, "/dev/shm", fs, false);
        *ret_abi = abi;
        return rs;
}

static void landlock_enforce(int rs) {
        if (rs < 0)
                return;
        if (syscall(__NR_landlock_restrict_self, rs, 0) < 0)
                setup_failed("Landlock: cannot restrict the sandbox: %s", strerror(errno));
        close(rs);
}

/* Returns the ABI used (0: none). */
static int apply_landlock(const struct bw_sandbox_spec *s, bool have_netns) {
        int abi;
        landlock_enforce(landlock_build(s, have_netns, &abi));
        return abi;
}

/* ---- seccomp ---- */

/* Last layer before execve: the system calls a sandboxed command has no business making. The
 * filter is built at build time (seccomp_filter.c, by seccomp_gen) and only installed here:
 * building it with libseccomp took a quarter of a millisecond of every run. */
static int load_seccomp(const struct bw_sandbox_spec *s, bool have_netns) {
        enum bw_seccomp_sockets v = !s->offline ? BW_SOCKETS_ANY : have_netns ? BW_SOCKETS_NETNS : BW_SOCKETS_LOCAL;
        const struct bw_seccomp_program *p = &bw_seccomp_programs[v];
        struct sock_fprog prog = {.len = (unsigned short) (p->size / sizeof(struct sock_filter)),
                                  .filter = (struct sock_filter *) (uintptr_t) p->code};
        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}

static void apply_seccomp(const struct bw_sandbox_spec *s, bool have_netns) {
        int e = load_seccomp(s, have_netns);
        if (e < 0)
                setup_failed("seccomp: cannot load the filter: %s", strerror(-e));
}

/* ---- mounts ---- */

enum mount_kind { MNT_PRIVATE_TMP, MNT_WRITABLE, MNT_CACHE, MNT_PIN, MNT_READ_ONLY, MNT_HIDDEN };
struct mount_op {
        const char *path;
        enum mount_kind kind;
        unsigned depth;
        int fd;      /* the detached mount to attach at path */
        bool no_pin; /* found by the tree walk: parents not pinned (BW_RO_NOPIN) */
};

static unsigned path_depth(const char *p) {
        unsigned d = 0;
        for (; *p; p++)
                d += *p == '/' && p[1] != 0;
        return d;
}

/* Shallow first, so deeper mounts land on top; at one depth a carve-out goes over a root. */
static int op_cmp(const void *a, const void *b) {
        const struct mount_op *x = a, *y = b;
        if (x->depth != y->depth)
                return x->depth < y->depth ? -1 : 1;
        return (int) x->kind - (int) y->kind;
}

static bool is_within(const char *path, const char *root) {
        size_t n = strlen(root);
        if (n == 1)
                return true;
        return strncmp(path, root, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* A tmpfs of size (tmpfs's "size=" syntax; NULL: the smallest, for covers that stay empty). Every
 * private tmpfs has a size: the kernel's default, half of RAM each, let one run take the host's
 * memory. */
static int fresh_tmpfs(const char *mode, unsigned attrs, const char *size) {
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0)
                setup_failed("cannot create a tmpfs: %s", strerror(errno));
        if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "size", size ? size : "64k", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                setup_failed("cannot configure a tmpfs: %s", strerror(errno));
        int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
        if (m < 0)
                setup_failed("cannot mount a tmpfs: %s", strerror(errno));
        close(fs);
        return m;
}

static void set_read_only(int fd, const char *what) {
        struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
                setup_failed("cannot make %s read-only: %s", what, strerror(errno));
}

/* mkdir -p inside the private tmpfs (we own it), for a mount point it does not have yet. */
static void make_mount_point(const char *path) {
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1;; p++) {
                if (*p == '/' || *p == 0) {
                        char c = *p;
                        *p = 0;
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                setup_failed("cannot create the mount point %s: %s", buf, strerror(errno));
                        *p = c;
                        if (!c)
                                break;
                }
        }
}

/*
 * Resolving a path to mount from or onto. The runner may be running as a sandbox user that can
 * reach every installed workspace, while the caller can rename and symlink things in their own
 * workspace at any moment: every component is opened with O_NOFOLLOW, and a symlink is followed
 * only when root (or s->trusted_uid: the caller, in unelevated mode) owns it. With final_nofollow,
 * the last component is never followed (carve-outs: a symlink there cannot be protected).
 */
static int open_path(const char *p, uid_t trusted, bool final_nofollow) {
        if (!final_nofollow)
                return bw_open_path_safely(p, O_PATH, trusted);
        const char *slash = strrchr(p, '/');
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%.*s", slash == p ? 1 : (int) (slash - p), p);
        int dfd = bw_open_path_safely(parent, O_PATH | O_DIRECTORY, trusted);
        if (dfd < 0)
                return dfd;
        int fd = openat(dfd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        int e = errno;
        close(dfd);
        return fd < 0 ? -e : fd;
}

/* Where an open fd is, as an absolute path (the kernel's name for it, every link resolved); false
 * when the kernel cannot name it (deleted, or outside this root) */
static bool fd_path(int fd, char real[PATH_MAX]) {
        char proc[40];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(proc, real, PATH_MAX - 1);
        if (n <= 0 || real[0] != '/')
                return false;
        real[n] = 0;
        return true;
}

/* The depth of the place a mount for p lands, which is what decides what it covers: p resolved as
 * its target will be (trusted's symlinks followed; with final_nofollow, not the last component),
 * from the nearest existing ancestor for a path not there yet. A mount named through a symlink
 * (an unreadable ~/.gem/credentials behind ~/.gem -> .local/share/gem) must go on after a root
 * that holds its target but is named by a deeper path (a cache root ~/.local/share/gem): stacked
 * by the names' depths, the root would be mounted over the cover and show the host's object. */
static unsigned landing_depth(const char *p, uid_t trusted, bool final_nofollow) {
        char buf[PATH_MAX];
        snprintf(buf, sizeof(buf), "%s", p);
        unsigned below = 0;
        for (;;) {
                int fd = open_path(buf, trusted, final_nofollow && below == 0);
                if (fd >= 0) {
                        char real[PATH_MAX];
                        bool named = fd_path(fd, real);
                        close(fd);
                        return named ? path_depth(real) + below : path_depth(p);
                }
                char *slash = strrchr(buf, '/');
                if (fd != -ENOENT || !slash || slash == buf)
                        return path_depth(p);
                *slash = 0;
                below++;
        }
}

__attribute__((noreturn)) static void path_failed(const char *what, const char *p, int err) {
        if (err == -ELOOP)
                setup_failed("%s %s: a symbolic link on the way is not root's, so it is not followed (it could lead "
                             "into another workspace): use the real path",
                             what, p);
        setup_failed("%s %s: %s", what, p, strerror(-err));
}

/*
 * A minimal /dev, as `bwrap --dev` makes it: a read-only tmpfs holding binds of the harmless
 * devices (null, zero, full, random, urandom, and tty: the caller's terminal, for a command that
 * has one), a private devpts and its ptmx, a private /dev/shm, and the /proc/self/fd links.
 * Landlock's read of "/" would otherwise let the command open for reading every device the
 * caller's groups reach (a webcam, a microphone, a serial port, a disk of the disk group), and
 * their ioctls before Landlock ABI 5. The host's nodes are cloned first, before /dev is covered.
 */
static void setup_dev(const struct bw_sandbox_spec *s) {
        static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
        int src[BW_ARRAY_SIZE(nodes)];
        for (size_t i = 0; i < BW_ARRAY_SIZE(nodes); i++) {
                char p[32];
                snprintf(p, sizeof(p), "/dev/%s", nodes[i]);
                src[i] = open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (src[i] < 0 && errno != ENOENT)
                        setup_failed("cannot bind %s into the sandbox's /dev: %s", p, strerror(errno));
        }
        /* (a tmpfs made in the sandbox's user namespace cannot hold usable device nodes itself:
         * the devices are the host's, bound) */
        int dev = fresh_tmpfs("0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, NULL);
        for (size_t i = 0; i < BW_ARRAY_SIZE(nodes); i++)
                if (src[i] >= 0 && mknodat(dev, nodes[i], S_IFREG | 0644, 0) < 0)
                        setup_failed("cannot prepare the sandbox's /dev/%s: %s", nodes[i], strerror(errno));
        static const char *const links[][2] = {{"ptmx", "pts/ptmx"},
                                               {"fd", "/proc/self/fd"},
                                               {"stdin", "/proc/self/fd/0"},
                                               {"stdout", "/proc/self/fd/1"},
                                               {"stderr", "/proc/self/fd/2"}};
        if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0)
                setup_failed("cannot prepare the sandbox's /dev: %s", strerror(errno));
        for (size_t i = 0; i < BW_ARRAY_SIZE(links); i++)
                if (symlinkat(links[i][1], dev, links[i][0]) < 0)
                        setup_failed("cannot prepare the sandbox's /dev/%s: %s", links[i][0], strerror(errno));
        set_read_only(dev, "/dev");
        if (move_mount(dev, "", AT_FDCWD, "/dev", MOVE_MOUNT_F_EMPTY_PATH) < 0)
                setup_failed("cannot mount the sandbox's /dev: %s", strerror(errno));
        close(dev);
        for (size_t i = 0; i < BW_ARRAY_SIZE(nodes); i++) {
                if (src[i] < 0)
                        continue;
                char p[32];
                snprintf(p, sizeof(p), "/dev/%s", nodes[i]);
                if (move_mount(src[i], "", AT_FDCWD, p, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        setup_failed("cannot bind %s into the sandbox's /dev: %s", p, strerror(errno));
                close(src[i]);
        }
        /* A private /dev/shm (POSIX shared memory, semaphores). */
        int shm = fresh_tmpfs("1777", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, s->shm_size);
        if (move_mount(shm, "", AT_FDCWD, "/dev/shm", MOVE_MOUNT_F_EMPTY_PATH) < 0)
                setup_failed("cannot mount a private /dev/shm: %s", strerror(errno));
        close(shm);
        /* A private devpts: the caller's other terminals (/dev/pts/N) are not there to read or
         * type into. The command's own terminal stays reachable through its inherited fds and
         * /dev/tty. New pseudo-terminals come from this instance's ptmx (/dev/ptmx leads there). */
        if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
                setup_failed("cannot mount a private /dev/pts: %s", strerror(errno));
}

/* ---- cache roots: copy-on-write layers ---- */

/* The first 16 hex digits of the SHA-256 of text: a layer directory's name. */
static void digest_name(const char *text, char out[17]) {
        uint8_t d[BW_SHA256_SIZE];
        bw_sha256(text, strlen(text), d);
        bw_hex(d, 8, out);
}

/* The directory name below dfd, made 0700 when missing, never through a symlink, and the
 * caller's own (this process is the caller, in the sandbox's user namespace): anything else there
 * (a symlink, another user's directory) refuses the run. An O_RDONLY directory fd. */
static int own_dir(int dfd, const char *name, const char *where) {
        if (mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
                setup_failed("cannot create %s/%s for a cache root's layer: %s", where, name, strerror(errno));
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                setup_failed("cannot open %s/%s, where a cache root's layer is kept: %s%s", where, name,
                             strerror(errno),
                             errno == ELOOP || errno == ENOTDIR ? " (it must be a directory, not a symbolic link: "
                                                                  "remove it)"
                                                                : "");
        if (st.st_uid != geteuid())
                setup_failed("%s/%s, where a cache root's layer is kept, is not yours: remove it", where, name);
        /* nobody else may read what the sandbox wrote there, nor add to it */
        if ((st.st_mode & 077) && fchmod(fd, 0700) < 0)
                setup_failed("cannot make %s/%s private: %s", where, name, strerror(errno));
        return fd;
}

/*
 * The copy-on-write layer over cache root p: an overlay mount (not yet attached) whose lower layer
 * is the host's directory and whose upper and work directories are this workspace's own, under
 * home/.cache/bulwark/layers/<digest of the workspace>/<digest of p>. That directory is hidden
 * from every sandbox (the runner hides ~/.cache/bulwark) and no host tool reads it: what a
 * command writes in a cache root reaches only later runs in this workspace, never the user's own
 * builds. The overlay is mounted in the sandbox's user namespace (Linux 5.11 or later) with
 * userxattr, which also keeps the kernel from trusting redirect and metacopy xattrs from the
 * upper layer. lower: the host's directory (or, for a root the host does not have, an empty one
 * of missing_cache_roots), taken over. Returns the mount's fd.
 */
static int cache_layer(const struct bw_sandbox_spec *s, const char *p, int lower, int *layers) {
        struct stat st;
        if (fstat(lower, &st) < 0 || !S_ISDIR(st.st_mode))
                setup_failed("cache root %s is not a directory: a copy-on-write layer needs one; name its directory",
                             p);
        char where[PATH_MAX];
        if (*layers < 0) {
                if (!s->home || s->home[0] != '/' || !s->workspace)
                        setup_failed("cache root %s: no home directory to keep its layer in", p);
                /* ~/.cache may be the caller's symlink to another disk; below it, nothing is followed */
                snprintf(where, sizeof(where), "%s/.cache", s->home);
                int cache = bw_open_path_safely(where, O_RDONLY | O_DIRECTORY, s->trusted_uid);
                if (cache == -ENOENT) {
                        int h = bw_open_path_safely(s->home, O_RDONLY | O_DIRECTORY, s->trusted_uid);
                        if (h < 0)
                                path_failed("home directory", s->home, h);
                        cache = own_dir(h, ".cache", s->home);
                        close(h);
                }
                if (cache < 0)
                        path_failed("the layers' directory", where, cache);
                int b = own_dir(cache, "bulwark", where);
                close(cache);
                snprintf(where, sizeof(where), "%s/.cache/bulwark", s->home);
                int l = own_dir(b, "layers", where);
                close(b);
                char ws[17];
                digest_name(s->workspace, ws);
                snprintf(where, sizeof(where), "%s/.cache/bulwark/layers", s->home);
                *layers = own_dir(l, ws, where);
                close(l);
        }
        char name[17];
        digest_name(p, name);
        snprintf(where, sizeof(where), "%s/.cache/bulwark/layers/...", s->home);
        int dir = own_dir(*layers, name, where);
        int upper = own_dir(dir, "upper", where), work = own_dir(dir, "work", where);
        close(dir);
        int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                setup_failed("cache root %s: cannot create an overlay file system (%s): the copy-on-write layer "
                             "needs overlayfs (modprobe overlay), in a user namespace (Linux 5.11 or later)",
                             p, strerror(errno));
        /* the layers by descriptor, as opened above without following anything: through /proc
         * (this process's own fds), which every kernel with overlayfs in a user namespace takes */
        char lo[40], up[40], wk[40];
        snprintf(lo, sizeof(lo), "/proc/self/fd/%d", lower);
        snprintf(up, sizeof(up), "/proc/self/fd/%d", upper);
        snprintf(wk, sizeof(wk), "/proc/self/fd/%d", work);
        if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lo, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", up, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "workdir", wk, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                setup_failed("cache root %s: cannot mount its copy-on-write layer (%s): overlayfs in a user "
                             "namespace needs Linux 5.11 or later, and %s/.cache on a file system with user "
                             "extended attributes (ext4, xfs, btrfs, tmpfs since 6.6); or make it writable or "
                             "read-only in the policy instead",
                             p, strerror(errno), s->home);
        int m = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (m < 0)
                setup_failed("cache root %s: cannot mount its copy-on-write layer: %s", p, strerror(errno));
        close(fs);
        close(lower);
        close(upper);
        close(work);
        return m;
}

/* The nearest directory above cache root p that exists (a malloc()ed path), or NULL when that is
 * "/" or not a directory: then the root is skipped. */
static char *existing_ancestor(const struct bw_sandbox_spec *s, const char *p) {
        char *a = strdup(p);
        if (!a)
                setup_failed("out of memory");
        for (char *slash = strrchr(a, '/'); slash && slash > a; slash = strrchr(a, '/')) {
                *slash = 0;
                int fd = open_path(a, s->trusted_uid, false);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        path_failed("the directory above cache root", a, fd);
                struct stat st;
                bool dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
                close(fd);
                if (dir)
                        return a;
                break;
        }
        note("cache root %s does not exist, nor a directory above it to make it in: skipped", p);
        free(a);
        return NULL;
}

/*
 * Cache roots the host does not have (missing[i]: the nearest existing directory above root i,
 * else NULL): the host stays without them, and the sandbox gets them all the same, so that a
 * toolchain's first run fills its own layer. Per such directory A, a read-only overlay over A
 * whose top layer is a small private tmpfs holding the missing paths as empty directories (the
 * mount points); then each root's copy-on-write layer over its empty directory. In the sandbox's
 * view A is then that overlay: mounts below A other than the boundary's own are not seen there.
 * A kernel that cannot take the tmpfs (a detached mount) as a layer: those roots are skipped, as
 * --verbose says. Returns the new count of ops.
 */
static size_t missing_cache_roots(const struct bw_sandbox_spec *s, char **missing, int *layers, struct mount_op *ops,
                                  size_t n) {
        for (size_t i = 0; i < s->n_cache; i++) {
                if (!missing[i])
                        continue;
                const char *a = missing[i];
                size_t al = strlen(a);
                int ph = fresh_tmpfs("0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, NULL);
                for (size_t j = i; j < s->n_cache; j++) {
                        if (!missing[j] || !bw_streq(missing[j], a))
                                continue;
                        char rel[PATH_MAX];
                        snprintf(rel, sizeof(rel), "%s", s->cache[j] + al + 1);
                        for (char *c = rel;; c++)
                                if (*c == '/' || *c == 0) {
                                        char saved = *c;
                                        *c = 0;
                                        if (mkdirat(ph, rel, 0755) < 0 && errno != EEXIST)
                                                setup_failed("cannot make a mount point for cache root %s: %s",
                                                             s->cache[j], strerror(errno));
                                        *c = saved;
                                        if (!saved)
                                                break;
                                }
                }
                /* Inside a hidden directory, its cover has the mount points already (setup_mounts):
                 * an overlay of A there would show what the cover hides. */
                bool covered = false;
                for (size_t k = 0; k < s->n_hidden && !covered; k++)
                        covered = is_within(a, s->hidden[k]);
                int m = -1, e = 0;
                if (!covered) {
                        int afd = open_path(a, s->trusted_uid, false);
                        if (afd < 0)
                                path_failed("the directory above a cache root", a, afd);
                        char lo[64];
                        snprintf(lo, sizeof(lo), "/proc/self/fd/%d:/proc/self/fd/%d", ph, afd);
                        int fs = fsopen("overlay", FSOPEN_CLOEXEC);
                        if (fs >= 0 && fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", lo, 0) == 0 &&
                            fsconfig(fs, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) == 0 &&
                            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
                                m = fsmount(fs, FSMOUNT_CLOEXEC,
                                            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                        e = errno;
                        if (fs >= 0)
                                close(fs);
                        close(afd);
                        if (m >= 0) {
                                char *copy = strdup(a);
                                if (!copy)
                                        setup_failed("out of memory");
                                ops[n++] = (struct mount_op){copy, MNT_CACHE, path_depth(copy), m};
                        }
                }
                bool placed = covered || m >= 0;
                for (size_t j = i; j < s->n_cache; j++) {
                        if (!missing[j] || !bw_streq(missing[j], a) || j == i)
                                continue;
                        if (placed) {
                                int lower = openat(ph, s->cache[j] + al + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (lower < 0)
                                        setup_failed("cannot open the mount point for cache root %s: %s", s->cache[j],
                                                     strerror(errno));
                                ops[n++] = (struct mount_op){s->cache[j], MNT_CACHE, path_depth(s->cache[j]),
                                                             cache_layer(s, s->cache[j], lower, layers)};
                        } else {
                                note("cache root %s does not exist, and this kernel cannot make it a mount point "
                                     "(%s): skipped",
                                     s->cache[j], strerror(e));
                        }
                        free(missing[j]);
                        missing[j] = NULL;
                }
                if (placed) {
                        int lower = openat(ph, s->cache[i] + al + 1, O_PATH | O_DIRECTORY | O_CLOEXEC);
                        if (lower < 0)
                                setup_failed("cannot open the mount point for cache root %s: %s", s->cache[i],
                                             strerror(errno));
                        ops[n++] = (struct mount_op){s->cache[i], MNT_CACHE, path_depth(s->cache[i]),
                                                     cache_layer(s, s->cache[i], lower, layers)};
                        note("cache root %s does not exist: the sandbox gets it from an empty directory, the host "
                             "stays without it",
                             s->cache[i]);
                } else {
                        note("cache root %s does not exist, and this kernel cannot make it a mount point (%s): skipped",
                             s->cache[i], strerror(e));
                }
                close(ph);
                free(missing[i]);
                missing[i] = NULL;
        }
        return n;
}

/* The boundary's cache roots, checked once their variables are bound: not in elevated mode (the
 * sandbox user has no layer of its own yet), not overlapping a writable root or each other, and
 * not holding bulwark's own layers. */
static void check_cache_roots(const struct bw_sandbox_spec *s) {
        if (s->n_cache && s->elevated)
                setup_failed("this plan has cache roots (%s%s), which elevated mode does not support yet: an "
                             "administrator can make them writable or read-only in the policy, or run unelevated",
                             s->cache[0], s->n_cache > 1 ? ", ..." : "");
        char own[PATH_MAX];
        snprintf(own, sizeof(own), "%s/.cache/bulwark", s->home ? s->home : "");
        for (size_t i = 0; i < s->n_cache; i++) {
                const char *c = s->cache[i];
                for (size_t k = 0; k < s->n_writable; k++)
                        if (is_within(c, s->writable[k]) || is_within(s->writable[k], c))
                                setup_failed("cache root %s overlaps the writable root %s: a cache root is "
                                             "copy-on-write and cannot share objects with a writable one; remove "
                                             "one of them from the policy",
                                             c, s->writable[k]);
                for (size_t k = i + 1; k < s->n_cache; k++)
                        if (is_within(c, s->cache[k]) || is_within(s->cache[k], c))
                                setup_failed("cache roots %s and %s overlap: name one of them", c, s->cache[k]);
                /* the sandbox's own /proc and /dev are made for it: a layer over the host's would
                 * show it the host's processes and devices */
                static const char *const kernel[] = {"/proc", "/sys", "/dev"};
                for (size_t k = 0; k < BW_ARRAY_SIZE(kernel); k++)
                        if (is_within(c, kernel[k]))
                                setup_failed("cache root %s lies in %s, which is the kernel's, not a cache: remove it "
                                             "from the policy",
                                             c, kernel[k]);
                if (s->home && (is_within(own, c) || is_within(c, own)))
                        setup_failed("cache root %s holds bulwark's own layers (%s): name the caches inside it "
                                     "instead (~/.cache/pip, ~/.cache/go-build)",
                                     c, own);
        }
}

/*
 * Build the sandbox's file system view in this (new) mount namespace. Detached copies of the
 * writable roots and carve-outs are taken first, while the tree is still as the caller sees it;
 * then everything is made read-only in one call, and the copies are attached on top, each target
 * resolved again (safely) once the mounts above it are in place.
 */
static void setup_mounts(const struct bw_sandbox_spec *s) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                setup_failed("cannot make the mount namespace private: %s", strerror(errno));
        check_cache_roots(s);
        size_t max = s->n_writable + 2 * s->n_cache + s->n_read_only + s->n_hidden + 4;
        struct mount_op *ops = calloc(max, sizeof(*ops));
        size_t n = 0;
        int hide_src = -1;
        if (!ops)
                setup_failed("out of memory");
        for (size_t i = 0; i < s->n_writable; i++) {
                const char *p = s->writable[i];
                if (s->private_tmp && strcmp(p, s->private_tmp) == 0)
                        continue;
                int pfd = open_path(p, s->trusted_uid, false);
                if (pfd == -ENOENT) {
                        note("writable root %s does not exist: skipped", p);
                        continue;
                }
                if (pfd < 0)
                        path_failed("writable root", p, pfd);
                int fd = open_tree(pfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
                if (fd < 0)
                        setup_failed("cannot bind the writable root %s: %s", p, strerror(errno));
                close(pfd);
                /* files the sandbox marks setuid must not work even inside it */
                struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
                if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
                        setup_failed("cannot mark %s nosuid: %s", p, strerror(errno));
                ops[n++] = (struct mount_op){p, MNT_WRITABLE, path_depth(p), fd};
        }
        /* before the hidden paths are looked at: ~/.cache/bulwark, hidden, exists by then */
        int layers = -1;
        char **missing = calloc(s->n_cache + 1, sizeof(*missing)); /* per root: its nearest existing ancestor */
        if (!missing)
                setup_failed("out of memory");
        for (size_t i = 0; i < s->n_cache; i++) {
                int lower = open_path(s->cache[i], s->trusted_uid, false);
                if (lower == -ENOENT) {
                        missing[i] = existing_ancestor(s, s->cache[i]);
                        continue;
                }
                if (lower < 0)
                        path_failed("cache root", s->cache[i], lower);
                ops[n++] = (struct mount_op){s->cache[i], MNT_CACHE, path_depth(s->cache[i]),
                                             cache_layer(s, s->cache[i], lower, &layers)};
        }
        n = missing_cache_roots(s, missing, &layers, ops, n);
        free(missing);
        if (layers >= 0)
                close(layers);
        /* A fresh tmpfs for ${tmpdir}; offline, also for /run, where the host's services keep
         * their sockets (a database, D-Bus, a resolver): a read-only mount does not stop
         * connect(), so the sandbox must not see them at all. */
        const char *fresh[2] = {s->private_tmp, s->offline ? "/run" : NULL};
        for (size_t i = 0; i < 2; i++) {
                struct stat st;
                if (fresh[i] && stat(fresh[i], &st) == 0 && S_ISDIR(st.st_mode))
                        ops[n++] = (struct mount_op){fresh[i], MNT_PRIVATE_TMP, path_depth(fresh[i]),
                                                     fresh_tmpfs(i == 0 ? "1777" : "0755",
                                                                 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                                                                 i == 0 ? s->tmp_size : "16m")};
        }
        for (size_t i = 0; i < s->n_read_only; i++) {
                const char *p = s->read_only[i];
                int pfd = open_path(p, s->trusted_uid, true);
                if (pfd == -ENOENT && s->read_only_flags && (s->read_only_flags[i] & BW_RO_FOUND))
                        setup_failed("%s was renamed or removed while the run started, so it could not be "
                                     "protected: run the command again",
                                     p);
                if (pfd == -ENOENT)
                        continue; /* a literal path not there: the tree guard watches what appears */
                if (pfd < 0)
                        path_failed("read-only path", p, pfd);
                struct stat st;
                bool no_pin = s->read_only_flags && (s->read_only_flags[i] & BW_RO_NOPIN);
                if (fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode)) {
                        close(pfd);
                        if (no_pin)
                                continue; /* swapped for a symlink since the walk: nothing to write there */
                        setup_failed("read-only path %s is a symbolic link, which bulwark cannot protect: replace it "
                                     "with what it points to",
                                     p);
                }
                int fd = open_tree(pfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
                close(pfd);
                if (fd < 0)
                        setup_failed("cannot bind the read-only path %s: %s", p, strerror(errno));
                set_read_only(fd, p);
                ops[n++] = (struct mount_op){p, MNT_READ_ONLY, path_depth(p), fd, no_pin};
        }
        for (size_t i = 0; i < s->n_hidden; i++) {
                const char *p = s->hidden[i];
                /* the caller's own symlinks are followed: what they point to is hidden (a secret
                 * kept in ~/dotfiles behind ~/.kube) */
                int pfd = open_path(p, s->real_uid, false);
                struct stat st;
                if (pfd < 0 || fstat(pfd, &st) < 0) {
                        if (pfd >= 0)
                                close(pfd);
                        continue; /* nothing there to read */
                }
                /* The cover goes where p leads now, on the host: followed again once the boundary's
                 * mounts are in place, p could lead elsewhere (a link the command replaced in its
                 * copy-on-write layer, inside a cache root), covering nothing, while the object
                 * stays where it is, in view. */
                const char *at = p;
                char real[PATH_MAX];
                if (fd_path(pfd, real) && !bw_streq(real, p) && !(at = strdup(real)))
                        setup_failed("out of memory");
                close(pfd);
                /* A writable root below a hidden directory (${home}/.cache/tool under an unreadable
                 * ${home}/.cache) needs its mount point in the cover: a cover of its own, which
                 * can be passed through (0111) to those mount points but not listed. */
                int own = -1;
                for (size_t k = 0; k < s->n_writable + s->n_cache && S_ISDIR(st.st_mode); k++) {
                        const char *w = k < s->n_writable ? s->writable[k] : s->cache[k - s->n_writable];
                        if (!is_within(w, p) || bw_streq(w, p))
                                continue;
                        if (own < 0)
                                own = fresh_tmpfs("0111", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                                  NULL);
                        char rel[PATH_MAX];
                        snprintf(rel, sizeof(rel), "%s", w + strlen(p) + 1);
                        for (char *c = rel;; c++)
                                if (*c == '/' || *c == 0) {
                                        char saved = *c;
                                        *c = 0;
                                        if (mkdirat(own, rel, 0111) < 0 && errno != EEXIST)
                                                setup_failed("cannot prepare the cover for %s: %s", p, strerror(errno));
                                        *c = saved;
                                        if (!saved)
                                                break;
                                }
                }
                bool no_pin = s->hidden_flags && (s->hidden_flags[i] & BW_RO_NOPIN);
                if (own >= 0) {
                        set_read_only(own, p);
                        ops[n++] = (struct mount_op){at, MNT_HIDDEN, path_depth(at), own, no_pin};
                        continue;
                }
                if (hide_src < 0)
                        hide_src = fresh_tmpfs("0700", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, NULL);
                const char *name = S_ISDIR(st.st_mode) ? "dir" : "file";
                if (S_ISDIR(st.st_mode) ? mkdirat(hide_src, name, 0) < 0 && errno != EEXIST
                                        : mknodat(hide_src, name, S_IFREG, 0) < 0 && errno != EEXIST)
                        setup_failed("cannot prepare the cover for %s: %s", p, strerror(errno));
                int fd = open_tree(hide_src, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (fd < 0)
                        setup_failed("cannot prepare the cover for %s: %s", p, strerror(errno));
                set_read_only(fd, p);
                ops[n++] = (struct mount_op){at, MNT_HIDDEN, path_depth(at), fd, no_pin};
        }
        /* Pin every directory between a writable root and a carve-out or hidden path below it (a
         * bind of itself): a mount point cannot be renamed or removed, so the sandbox cannot move
         * a protected path out of the way and find it unprotected on its next run. */
        size_t n_protected = n;
        for (size_t i = 0; i < n_protected; i++) {
                if ((ops[i].kind != MNT_READ_ONLY && ops[i].kind != MNT_HIDDEN) || ops[i].no_pin)
                        continue;
                const char *root = NULL;
                for (size_t k = 0; k < s->n_writable; k++)
                        if (is_within(ops[i].path, s->writable[k]) && (!root || strlen(s->writable[k]) > strlen(root)))
                                root = s->writable[k];
                if (!root || (s->private_tmp && bw_streq(root, s->private_tmp)))
                        continue;
                char anc[PATH_MAX];
                snprintf(anc, sizeof(anc), "%s", ops[i].path);
                for (char *slash = strrchr(anc, '/'); slash && slash > anc; slash = strrchr(anc, '/')) {
                        *slash = 0;
                        if (strlen(anc) <= strlen(root))
                                break;
                        /* inside another carve-out (a gitdir inside .git) nothing moves anyway, and
                         * a pin there, a copy of the writable original, would make it writable */
                        bool inside = false;
                        for (size_t k = 0; k < n_protected && !inside; k++)
                                inside = (ops[k].kind == MNT_READ_ONLY || ops[k].kind == MNT_HIDDEN) &&
                                         is_within(anc, ops[k].path);
                        if (inside)
                                break;
                        bool seen = false;
                        for (size_t k = 0; k < n && !seen; k++)
                                seen = bw_streq(ops[k].path, anc);
                        if (seen)
                                continue;
                        if (n == max) {
                                max *= 2;
                                ops = realloc(ops, max * sizeof(*ops));
                                if (!ops)
                                        setup_failed("out of memory");
                        }
                        int pfd = open_path(anc, s->trusted_uid, true);
                        struct stat st;
                        if (pfd < 0 || fstat(pfd, &st) < 0 || !S_ISDIR(st.st_mode)) {
                                if (pfd >= 0)
                                        close(pfd);
                                continue;
                        }
                        int fd = open_tree(pfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
                        close(pfd);
                        if (fd < 0)
                                setup_failed("cannot pin %s: %s", anc, strerror(errno));
                        /* a pin is part of its writable root: nosuid and nodev like it */
                        struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
                        if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
                                setup_failed("cannot mark %s nosuid: %s", anc, strerror(errno));
                        char *copy = strdup(anc);
                        if (!copy)
                                setup_failed("out of memory");
                        ops[n++] = (struct mount_op){copy, MNT_PIN, path_depth(copy), fd};
                }
        }
        /* each stacked by where it lands (landing_depth), resolved as it will be below, while the
         * tree is still the host's; a cover's path is that place already (above) */
        for (size_t i = 0; i < n; i++)
                if (ops[i].kind != MNT_HIDDEN)
                        ops[i].depth = landing_depth(ops[i].path, s->trusted_uid,
                                                     ops[i].kind == MNT_READ_ONLY || ops[i].kind == MNT_PIN);
        /* /proc of the new pid namespace: the sandbox sees only its own processes. Mounted before
         * the sweep below, which makes it read-only too. */
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                setup_failed("cannot mount /proc for the sandbox's pid namespace: %s", strerror(errno));
        /* Everything read-only and without setuid, in one call over every mount. */
        struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID};
        if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
                setup_failed("cannot make the root file system read-only: %s", strerror(errno));
        qsort(ops, n, sizeof(*ops), op_cmp);
        for (size_t i = 0; i < n; i++) {
                const char *p = ops[i].path;
                bool in_fresh = (s->private_tmp && is_within(p, s->private_tmp) && !bw_streq(p, s->private_tmp)) ||
                                (s->offline && is_within(p, "/run") && !bw_streq(p, "/run"));
                uid_t trusted = ops[i].kind == MNT_HIDDEN ? s->real_uid : s->trusted_uid;
                int tfd = open_path(p, trusted, ops[i].kind == MNT_READ_ONLY || ops[i].kind == MNT_PIN);
                if (tfd == -ENOENT && ops[i].kind == MNT_HIDDEN) {
                        close(ops[i].fd); /* gone with a fresh tmpfs above it: nothing to hide */
                        continue;
                }
                if (tfd == -ENOENT && in_fresh) {
                        make_mount_point(p); /* inside a tmpfs of our own: nobody else's symlinks */
                        tfd = open_path(p, trusted, false);
                }
                if (tfd < 0)
                        path_failed("cannot mount over", p, tfd);
                if (move_mount(ops[i].fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                        setup_failed("cannot mount over %s: %s", p, strerror(errno));
                close(tfd);
                close(ops[i].fd);
        }
        if (hide_src >= 0)
                close(hide_src);
        free(ops);
        setup_dev(s);
}

static void loopback_up(void) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                setup_failed("cannot find the loopback device: %s", strerror(errno));
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                setup_failed("cannot bring the loopback device up: %s", strerror(errno));
        close(fd);
}

/* ---- signals ---- */

static volatile pid_t forward_to = 0;
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
static struct bw_stdio io;          /* the runner's view of the command's stdio */
static int pty_master = -1;         /* init, interactive: the command's terminal */
static bool forward_kernel_signals; /* the runner, interactive: the caller's terminal's signals too */
static int sigchld_pipe[2] = {-1, -1};

/* Pass on signals someone sent with kill(); those the terminal generates (SI_KERNEL) already
 * reached the command, which is in the same foreground process group, unless the command has a
 * terminal of its own (interactive: the caller's terminal is raw, and its SIGWINCH and SIGHUP
 * are passed on). In init, SIGWINCH resizes the command's terminal. */
static void forward_signal(int sig, siginfo_t *si, void *ctx) {
        (void) ctx;
        if (sig == SIGWINCH && pty_master >= 0) {
                bw_pty_resize(pty_master);
                return;
        }
        if (forward_to > 0 && (si->si_code != SI_KERNEL || forward_kernel_signals))
                kill(forward_to, sig);
}

static void note_sigchld(int sig) {
        (void) sig;
        int e = errno;
        (void) !write(sigchld_pipe[1], "c", 1);
        errno = e;
}

static void install_forwarding(void) {
        struct sigaction sa = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < BW_ARRAY_SIZE(forwarded); i++)
                sigaction(forwarded[i], &sa, NULL);
}

static void reset_signals(void) {
        struct sigaction sa = {.sa_handler = SIG_DFL};
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < BW_ARRAY_SIZE(forwarded); i++)
                sigaction(forwarded[i], &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- init: pid 1 of the sandbox ---- */

static void exec_command(char *const argv[], char *const envp[]) {
        reset_signals();
        signal(SIGCHLD, SIG_DFL);
        close_range(3, ~0u, 0);
        execvpe(argv[0], argv, envp);
        int e = errno;
        fprintf(stderr, "bulwark run: %s: %s\n", argv[0], strerror(e));
        _exit(e == ENOENT ? 127 : 126);
}

/*
 * Start the command's process: fn(arg) in a child that shares this process's memory until it
 * execs or exits (clone with CLONE_VM | CLONE_VFORK, on a stack of its own, as posix_spawn
 * does): no copy of the page tables, a tenth of a millisecond less than fork() for a process of
 * the runner's size (bulwark's, when it runs the runner's job). fn never returns; it only sets up
 * this one process (descriptors, no_new_privs, Landlock, seccomp: all per process) and execs,
 * while this process waits. Returns the child's pid or -1.
 */
struct spawn {
        void (*fn)(void *);
        void *arg;
};
__attribute__((unused)) static int spawn_child(void *p) {
        const struct spawn *sp = p;
        sp->fn(sp->arg);
        _exit(127);
}
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BW_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(BW_ASAN)
#define BW_ASAN 1
#endif
static pid_t spawn_command(void (*fn)(void *), void *arg) {
#ifdef BW_ASAN
        /* AddressSanitizer cannot follow a process onto a stack of its own (it warns on the
         * command's stderr at every noreturn call there): the sanitizer build forks */
        pid_t child = fork();
        if (child == 0) {
                fn(arg);
                _exit(127);
        }
        return child;
#else
        /* as large as a main thread's (only what is touched is memory): execvpe() of a script
         * without #! copies argv onto the stack */
        const size_t size = 8u << 20;
        void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return -1;
        struct spawn sp = {fn, arg};
        pid_t pid = clone(spawn_child, (char *) stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
        int e = errno;
        munmap(stack, size);
        errno = e;
        return pid;
#endif
}

/* ---- warm sessions (session.h): init serves commands ---- */

/* Newer than some headers: a mount id that is never reused (Linux 6.8). */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif

/* Which mount "/" is, as the session's clients must show it (client_root_ok). */
struct root_id {
        uint64_t mnt_id;
        unsigned mask; /* STATX_MNT_ID_UNIQUE or STATX_MNT_ID: which one mnt_id is */
        dev_t dev;
        ino_t ino;
};

static int root_id_of(int fd, unsigned want, struct root_id *out) {
        struct statx sx = {0}; /* (the analyzer does not know statx fills it) */
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_INO | want, &sx) < 0)
                return -errno;
        if (!(sx.stx_mask & want) || !(sx.stx_mask & STATX_INO))
                return -EOPNOTSUPP;
        *out = (struct root_id){sx.stx_mnt_id, want, makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino};
        return 0;
}

static struct {
        int listen_fd, ready_fd, stop_fd; /* stop_fd: a monitor's way to end the session */
        struct root_id root;              /* "/" of the session's starter, before its namespaces */
        int ruleset;                      /* the commands' Landlock ruleset, built once by init (-1: none) */
        uint8_t digest[32];
        unsigned idle_seconds;
        bool (*still_wanted)(void);
} serving = {.listen_fd = -1, .ready_fd = -1, .stop_fd = -1, .ruleset = -1};

/* Close every descriptor from 3 up but those of keep (-1 entries are ignored). */
static void close_all_but(const int *keep, size_t n) {
        int lo = 3;
        for (;;) {
                int next = -1; /* the smallest kept descriptor from lo up */
                for (size_t i = 0; i < n; i++)
                        if (keep[i] >= lo && (next < 0 || keep[i] < next))
                                next = keep[i];
                if (next < 0) {
                        close_range((unsigned) lo, ~0u, 0);
                        return;
                }
                if (next > lo)
                        close_range((unsigned) lo, (unsigned) next - 1, 0);
                lo = next + 1;
        }
}

static bool send_all(int fd, const void *buf, size_t n) {
        const char *p = buf;
        while (n > 0) {
                ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                p += w;
                n -= (size_t) w;
        }
        return true;
}

static bool recv_all(int fd, void *buf, size_t n) {
        char *p = buf;
        while (n > 0) {
                ssize_t r = recv(fd, p, n, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        return false;
                p += r;
                n -= (size_t) r;
        }
        return true;
}

/* A session's command monitor loaded the commands' seccomp filter while it waited (monitor). */
static bool monitor_filtered;

static int open_command_pty(const struct termios *t);
__attribute__((noreturn)) static void relay_command_pty(int slave, int control_fd, pid_t cmd, bool have_ns,
                                                        int report_fd);
__attribute__((noreturn)) static void command_ended(bool have_ns, int wait_status);

/* A session command's client sent a message while the command has a terminal: a signal for the
 * command (SIGWINCH: the caller's window size onto the command's terminal), the word that a
 * stopped command goes on, or nothing more (gone: a hang-up, as a terminal would give it). */
static int monitor_control(struct bw_pty *p, void *userdata) {
        (void) userdata;
        struct bw_session_signal m;
        if (!recv_all(p->control_fd, &m, sizeof(m)) || m.magic != BW_SESSION_MAGIC) {
                kill(p->cmd, SIGHUP);
                kill(-p->cmd, SIGCONT);
                return -1;
        }
        if (m.sig == BW_SESSION_RESUME && p->paused) {
                p->paused = false;
                kill(-p->cmd, SIGCONT);
        } else if (m.sig == SIGWINCH)
                bw_pty_resize(p->master);
        else if (m.sig > 0 && m.sig < 65)
                kill(p->cmd, m.sig);
        return 0;
}

/*
 * Is the client outside every sandbox? init refuses a client from inside the session's pid
 * namespace (SO_PEERCRED shows its pid), but a client in any other pid namespace shows pid 0
 * there too: a command of a sibling sandbox (a cold run, another session) that reaches the
 * socket would pass as the caller. So the client sends an O_PATH descriptor of its "/", which
 * must be the very mount (the unique mount id, the same root inode) that "/" was for the runner
 * that started the session, before its namespaces: every sandbox's "/" is a mount of its own
 * namespace, a copy with another id, and no descriptor of the host's root mount reaches a
 * sandbox (the runner closes all but 0, 1 and 2, and relays those that are files).
 */
static bool client_root_ok(int fd) {
        struct root_id r = {0};
        if (fd < 0 || serving.root.mask == 0 || root_id_of(fd, serving.root.mask, &r) < 0)
                return false;
        return r.mnt_id == serving.root.mnt_id && r.dev == serving.root.dev && r.ino == serving.root.ino;
}

/* A session's command, in its own process (spawn_command): the client's stdio or the terminal,
 * its working directory, no_new_privs, the session's Landlock ruleset, the process limit, no
 * capability, seccomp; then exec. */
struct session_command {
        const struct bw_sandbox_spec *s;
        bool have_netns;
        const int *fds;
        int pty_slave;
        bool tty_stderr;
        const char *cwd;
        int ruleset;
        bool filtered; /* the monitor loaded the seccomp filter: the command has it already */
        char **argv, **envp;
};
static void session_command(void *p) {
        const struct session_command *c = p;
        for (int i = 0; i < 3; i++)
                if (c->fds[i] >= 0 && dup2(c->fds[i], i) < 0)
                        _exit(125);
        if (c->pty_slave >= 0)
                bw_pty_attach(c->pty_slave, c->tty_stderr);
        if (chdir(c->cwd) < 0) {
                fprintf(stderr, "bulwark run: cannot enter %s: %s\n", c->cwd, strerror(errno));
                _exit(125);
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(125);
        landlock_enforce(c->ruleset);
        if (c->s->processes) {
                struct rlimit nproc = {c->s->processes, c->s->processes};
                setrlimit(RLIMIT_NPROC, &nproc);
        }
        struct __user_cap_header_struct ch = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct cd[2] = {0};
        if (syscall(SYS_capset, &ch, cd) < 0)
                _exit(125);
        if (!c->filtered)
                apply_seccomp(c->s, c->have_netns);
        exec_command(c->argv, c->envp);
}

/*
 * One command of a session, in its monitor: pid 1 of a pid and mount namespace of the command's
 * own (its /proc shows only it: another command's environment and descriptors stay out of sight,
 * and what it leaves running ends with it). Read the request, check it is for this sandbox,
 * start the command under no_new_privs, the prepared Landlock ruleset and seccomp, with no
 * capability left; pass the client's signals on and send the command's status back.
 */
__attribute__((noreturn)) static void serve_conn(const struct bw_sandbox_spec *s, bool have_netns, int conn,
                                                 int ruleset) {
        status_fd = -1; /* set-up failures from here go to the client's stderr, once it is ours */
        struct bw_session_request req;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(4 * sizeof(int))];
        } ctl;
        struct iovec iov = {&req, sizeof(req)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
        ssize_t got = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
        int fds[3] = {-1, -1, -1}, root = -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                if (c->cmsg_len == CMSG_LEN(4 * sizeof(int))) { /* RUN: 0, 1, 2 and "/" */
                        memcpy(fds, CMSG_DATA(c), sizeof(fds));
                        memcpy(&root, CMSG_DATA(c) + sizeof(fds), sizeof(int));
                } else if (c->cmsg_len == CMSG_LEN(sizeof(int))) /* STOP, INFO: "/" */
                        memcpy(&root, CMSG_DATA(c), sizeof(int));
        }
        struct bw_session_reply rep = {.magic = BW_SESSION_MAGIC};
        if (got != (ssize_t) sizeof(req) || req.magic != BW_SESSION_MAGIC || !client_root_ok(root))
                _exit(1); /* (the client sees no reply) */
        close(root);
        if (req.kind == BW_SESSION_STOP) {
                send_all(conn, &rep, sizeof(rep));
                (void) !write(serving.stop_fd, "s", 1); /* init ends the session */
                _exit(0);
        }
        if (req.kind == BW_SESSION_INFO) {
                send_all(conn, &rep, sizeof(rep));
                _exit(0);
        }
        if (req.kind != BW_SESSION_RUN || memcmp(req.digest, serving.digest, sizeof(req.digest)) != 0 || fds[0] < 0 ||
            req.blob_size > BW_SESSION_MAX_BLOB || req.argc == 0 || req.argc > 65536 || req.envc > 65536) {
                rep.code = BW_SESSION_MISMATCH;
                send_all(conn, &rep, sizeof(rep));
                _exit(0);
        }
        char *blob = malloc((size_t) req.blob_size + 1);
        char **argv = calloc(req.argc + 1, sizeof(*argv)), **envp = calloc(req.envc + 1, sizeof(*envp));
        if (!blob || !argv || !envp || !recv_all(conn, blob, req.blob_size))
                _exit(1);
        blob[req.blob_size] = 0;
        /* argv, then envp, then the working directory: NUL-separated, counted */
        char *p = blob, *end = blob + req.blob_size;
        for (uint32_t i = 0; i < req.argc + req.envc + 1; i++) {
                char *z = memchr(p, 0, (size_t) (end - p) + 1);
                if (!z || z > end)
                        _exit(1);
                if (i < req.argc)
                        argv[i] = p;
                else if (i < req.argc + req.envc)
                        envp[i - req.argc] = p;
                else if (p[0] != '/')
                        _exit(1);
                p = z + 1;
        }
        /* the last string is the working directory */
        char *last = blob;
        for (uint32_t i = 0; i < req.argc + req.envc; i++)
                last += strlen(last) + 1;
        rep.code = 0;
        if (!send_all(conn, &rep, sizeof(rep)))
                _exit(1);
        /* a terminal: the caller's is this monitor's 0 and 1, to copy to and from the command's
         * own (the session's devpts), as a cold run's init does */
        bool tty = req.flags & BW_SESSION_TTY;
        int pty_slave = -1;
        if (tty) {
                for (int i = 0; i < 3; i++)
                        if (fds[i] >= 0 && dup2(fds[i], i) < 0)
                                _exit(125);
                pty_slave = open_command_pty(&req.termios);
        } else {
                if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                        _exit(125);
                struct sigaction sa = {.sa_handler = note_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
                sigemptyset(&sa.sa_mask);
                sigaction(SIGCHLD, &sa, NULL);
        }
        struct session_command sc = {
                s,       have_netns,       fds,  pty_slave, req.flags & BW_SESSION_TTY_STDERR, last,
                ruleset, monitor_filtered, argv, envp};
        pid_t cmd = spawn_command(session_command, &sc);
        if (cmd < 0)
                _exit(125);
        if (ruleset >= 0)
                close(ruleset);
        if (!tty)
                for (int i = 0; i < 3; i++)
                        if (fds[i] >= 0)
                                close(fds[i]);
        status_fd = conn; /* command_ended's and the stops' */
        if (tty)
                relay_command_pty(pty_slave, conn, cmd, true, conn);
        /* the client's signals until the command ends; a client that goes away is a hang-up */
        bool client_gone = false;
        for (;;) {
                struct pollfd pf[2] = {{sigchld_pipe[0], POLLIN, 0}, {client_gone ? -1 : conn, POLLIN, 0}};
                if (poll(pf, 2, -1) < 0 && errno != EINTR)
                        _exit(125);
                if (pf[0].revents) {
                        char drain[64];
                        while (read(sigchld_pipe[0], drain, sizeof(drain)) > 0)
                                ;
                        int st;
                        for (pid_t w; (w = waitpid(-1, &st, WNOHANG)) > 0;)
                                if (w == cmd) /* what it left running is ended, then its status goes */
                                        command_ended(true, st);
                }
                if (pf[1].revents) {
                        struct bw_session_signal sig;
                        if (!recv_all(conn, &sig, sizeof(sig)) || sig.magic != BW_SESSION_MAGIC) {
                                client_gone = true;
                                kill(cmd, SIGHUP);
                        } else if (sig.sig == BW_SESSION_SUSPEND)
                                kill(-1, SIGSTOP); /* pid 1 here: every process of the command */
                        else if (sig.sig == BW_SESSION_RESUME)
                                kill(-1, SIGCONT);
                        else if (sig.sig > 0 && sig.sig < 65)
                                kill(cmd, sig.sig);
                }
        }
}

/*
 * A command monitor made before it is needed: pid 1 of a fresh pid and mount namespace with its
 * own /proc and the session's Landlock ruleset, waiting for init to hand it a connection (fork,
 * unshare and mount are no part of a command's wait).
 */
__attribute__((noreturn)) static void monitor(const struct bw_sandbox_spec *s, bool have_netns, int chan) {
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
                struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
                mount_setattr(AT_FDCWD, "/proc", 0, &ro, sizeof(ro));
        }
        /* The commands' seccomp filter, loaded while the monitor waits rather than by each command
         * (loading compiles it: 0.07 ms of every command's start): the command inherits it
         * through clone and exec. The monitor needs nothing the filter refuses from here on (it
         * mounts nothing, makes no namespace, traces nothing), and may load it without
         * no_new_privs: it holds CAP_SYS_ADMIN in the sandbox's user namespace. Should the load
         * fail, the command loads it itself, as before. */
        monitor_filtered = load_seccomp(s, have_netns) == 0;
        int ruleset = serving.ruleset; /* (init's, inherited) */
        int conn = -1;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        char byte;
        struct iovec iov = {&byte, 1};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
        ssize_t got;
        do
                got = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
        while (got < 0 && errno == EINTR);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        if (got == 1 && c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&conn, CMSG_DATA(c), sizeof(int));
        if (conn < 0)
                _exit(0); /* the session ends */
        close(chan);
        serve_conn(s, have_netns, conn, ruleset);
}

static volatile sig_atomic_t stop_serving;
static void on_stop(int sig) {
        (void) sig;
        stop_serving = 1;
}

/* The next command monitor: its channel (init's end), *ret_pid its pid, or -1. */
static int make_monitor(const struct bw_sandbox_spec *s, bool have_netns, int stop_r, pid_t *ret_pid) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return -1;
        pid_t h = fork();
        if (h == 0) {
                close(sv[0]);
                close(serving.listen_fd);
                close(status_fd);
                status_fd = -1; /* a monitor's set-up failure goes to the session's log */
                close(stop_r);
                /* the monitor is the first process of the new pid namespace: its pid 1 */
                if (unshare(CLONE_NEWPID | CLONE_NEWNS) < 0)
                        _exit(1);
                pid_t g = fork();
                if (g == 0)
                        monitor(s, have_netns, sv[1]);
                /* its pid, as init sees it (the same namespace as this process's) */
                int32_t pid = (int32_t) g;
                (void) !write(sv[1], &pid, sizeof(pid));
                _exit(g < 0);
        }
        close(sv[1]);
        int32_t pid = -1;
        if (h < 0 || read(sv[0], &pid, sizeof(pid)) != (ssize_t) sizeof(pid) || pid <= 0) {
                close(sv[0]);
                if (h > 0)
                        waitpid(h, NULL, 0);
                return -1;
        }
        waitpid(h, NULL, 0);
        *ret_pid = pid;
        return sv[0];
}

/* init of a warm session: accept commands until stopped or idle (pid 1: when it ends, every
 * command still running ends with the session). Each connection goes to the monitor made for it
 * beforehand, and the next is made at once. */
__attribute__((noreturn)) static void serve(const struct bw_sandbox_spec *s, bool have_netns) {
        uid_t eu = geteuid();
        if (getuid() != eu && setresuid(eu, eu, eu) < 0)
                setup_failed("cannot settle the sandbox user's ids: %s", strerror(errno));
        for (int cap = 0;; cap++) {
                int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (in_set < 0)
                        break;
                if (in_set == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        setup_failed("cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
        }
        struct sigaction sa = {.sa_handler = on_stop};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGCHLD, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        int stop[2];
        if (pipe2(stop, O_CLOEXEC | O_NONBLOCK) < 0)
                setup_failed("cannot create a pipe: %s", strerror(errno));
        serving.stop_fd = stop[1];
        /* The commands' Landlock ruleset, built once: its rules hold the inodes of "/", the
         * writable roots and the devices, the same in every command's mount namespace (a copy of
         * this one); each command enforces it. (It was built per command before: a dozen opens
         * and rules off every command's path, but not off the machine's cores.) */
        int abi;
        serving.ruleset = landlock_build(s, have_netns, &abi);
        pid_t next_pid = -1;
        int next = make_monitor(s, have_netns, stop[0], &next_pid);
        if (next < 0)
                setup_failed("cannot prepare the session's first command: %s", strerror(errno));
        struct report r = {.kind = REPORT_SERVING};
        if (write(status_fd, &r, sizeof(r)) != (ssize_t) sizeof(r))
                _exit(1);
        /* a connection gone between poll() and accept() must not leave init blocked in accept() */
        fcntl(serving.listen_fd, F_SETFL, O_NONBLOCK);
        unsigned active = 0, failed = 0;
        /* The monitor of the last command handed over (a pidfd), while it runs: the next monitor
         * is made once it has ended. Made at once, its fork, unshare and mount ran while the
         * client waited (a woken init takes the client's core) and beside the command. */
        int running = -1;
        while (!stop_serving) {
                int st;
                for (pid_t w; (w = waitpid(-1, &st, WNOHANG)) > 0;)
                        if (w == next_pid) { /* the monitor in waiting died: make another */
                                close(next);
                                next = -1;
                        } else if (active)
                                active--;
                if (next < 0 && running < 0) {
                        if (++failed > 3)
                                break; /* it keeps dying: end rather than spin */
                        next = make_monitor(s, have_netns, stop[0], &next_pid);
                        continue;
                }
                struct pollfd pf[4] = {
                        {serving.listen_fd, POLLIN, 0}, {stop[0], POLLIN, 0}, {next, 0, 0}, {running, POLLIN, 0}};
                int timeout = active ? 1000 : (int) serving.idle_seconds * 1000;
                int n = poll(pf, 4, timeout);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n == 0 && !active)
                        break; /* idle */
                if (pf[1].revents)
                        break;                    /* stopped */
                if (next >= 0 && pf[2].revents) { /* the monitor in waiting is gone (reaped next time round) */
                        close(next);
                        next = -1;
                        usleep(1000);
                        continue;
                }
                if (pf[3].revents) { /* the command has ended: make the next monitor */
                        close(running);
                        running = -1;
                        continue;
                }
                if (n <= 0 || !pf[0].revents)
                        continue;
                int conn = accept4(serving.listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0)
                        continue;
                /* A client from outside the session's pid namespace shows pid 0 here: a command
                 * inside (whatever its uid) cannot ask for another command or stop the session. */
                struct ucred peer;
                socklen_t plen = sizeof(peer);
                if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &peer, &plen) < 0 || peer.pid != 0) {
                        close(conn);
                        continue;
                }
                if (next < 0 && (next = make_monitor(s, have_netns, stop[0], &next_pid)) < 0) {
                        close(conn); /* (a command runs: the monitor is made now) */
                        continue;
                }
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(int))];
                } ctl = {0};
                char byte = 'c';
                struct iovec iov = {&byte, 1};
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &conn, sizeof(int));
                bool handed = sendmsg(next, &mh, MSG_NOSIGNAL) == 1;
                close(conn);
                close(next);
                next = -1;
                if (handed) {
                        active++;
                        failed = 0;
                        if (running >= 0)
                                close(running);
                        running = (int) syscall(SYS_pidfd_open, next_pid, 0);
                        next_pid = -1; /* a command's monitor now */
                }
        }
        _exit(0);
}

/* An interactive run's terminal (the sandbox's own devpts), led by this process (init, or a
 * session's command monitor): the command gets a process group of its own in this terminal's
 * session, so ^Z stops it (the group of a session leader's child in another session would be
 * orphaned, and the kernel drops terminal stop signals to those). Returns the slave. */
static int open_command_pty(const struct termios *t) {
        struct winsize ws;
        int slave = -1;
        int e = bw_pty_open(t, ioctl(0, TIOCGWINSZ, &ws) == 0 ? &ws : NULL, &pty_master, &slave);
        if (e == 0)
                e = bw_pty_lead(slave);
        if (e < 0)
                setup_failed("cannot make a terminal for the command: %s", strerror(-e));
        if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
                setup_failed("cannot create a pipe: %s", strerror(errno));
        /* stops too (no SA_NOCLDSTOP): a stopped command is passed on to the caller's shell */
        struct sigaction sa = {.sa_handler = note_sigchld, .sa_flags = SA_RESTART};
        sigemptyset(&sa.sa_mask);
        sigaction(SIGCHLD, &sa, NULL);
        return slave;
}

/* Copy between the caller's terminal (0, 1) and the command's until it ends; each stop of the
 * command is reported on report_fd (a report, or in a session the bare wait status) and the
 * command is continued when control_fd says 'c'. */
__attribute__((noreturn)) static void relay_command_pty(int slave, int control_fd, pid_t cmd, bool have_ns,
                                                        int report_fd) {
        setpgid(cmd, cmd); /* (the command does it too: whichever runs first) */
        tcsetpgrp(slave, cmd);
        close(slave);
        struct bw_pty p = {.master = pty_master,
                           .sigchld_fd = sigchld_pipe[0],
                           .control_fd = control_fd,
                           .cmd = cmd,
                           .control = serving.listen_fd >= 0 ? monitor_control : NULL};
        for (;;) {
                int st = 0;
                int r = bw_pty_relay(&p, &st);
                if (r < 0)
                        setup_failed("lost the command's terminal: %s", strerror(-r));
                if (r == BW_PTY_ENDED)
                        command_ended(have_ns, st);
                bool sent;
                if (serving.listen_fd >= 0) { /* a session's command: its client, on the connection */
                        struct bw_session_status stop = {BW_SESSION_MAGIC, st};
                        sent = send_all(report_fd, &stop, sizeof(stop));
                } else {
                        struct report rep = {.kind = REPORT_STOPPED, .wait_status = st};
                        sent = write(report_fd, &rep, sizeof(rep)) == (ssize_t) sizeof(rep);
                }
                if (!sent || p.control_fd < 0)
                        kill(-cmd, SIGCONT); /* nobody to stop for: go on */
        }
}

/*
 * The command has ended: what it left running is killed and reaped here, and init lets go of the
 * command's streams, before the report. So the runner, once it has the report and its relays
 * have ended, knows that nothing of the run is left to change the tree, and goes on to its
 * check without waiting for init's own exit (the kernel tears the namespaces down after that:
 * the mount namespace's unmounts wait for an RCU grace period).
 */
__attribute__((noreturn)) static void command_ended(bool have_ns, int wait_status) {
        if (have_ns) { /* pid 1: kill(-1) reaches every process of this namespace, and only those */
                kill(-1, SIGKILL);
                while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
                        ;
        }
        for (int fd = 0; fd < 3; fd++)
                close(fd);
        if (serving.listen_fd >= 0) { /* a session's command: its client, on the connection */
                struct bw_session_status out = {BW_SESSION_MAGIC, wait_status};
                _exit(send_all(status_fd, &out, sizeof(out)) ? 0 : 125);
        }
        struct report r = {.kind = REPORT_COMMAND_ENDED, .wait_status = wait_status};
        if (write(status_fd, &r, sizeof(r)) < 0)
                _exit(125);
        _exit(0);
}

/* A cold run's command, in its own process (spawn_command). */
struct cold_command {
        int pty_slave;
        char *const *argv, *const *envp;
};
static void cold_command(void *p) {
        const struct cold_command *c = p;
        close(status_fd);
        if (c->pty_slave >= 0)
                bw_pty_attach(c->pty_slave, io.kind[2] == BW_STREAM_TTY);
        exec_command(c->argv, c->envp);
}

__attribute__((noreturn)) static void run_init(const struct bw_sandbox_spec *s, bool have_ns, bool have_netns,
                                               int go_fd, char *const argv[], char *const envp[]) {
        /* If the runner dies, so does the sandbox (and, pid 1 gone, everything in it). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* No controlling terminal: the caller's (an agent in a terminal runs commands with pipes,
         * in its own session) would otherwise open by name as /dev/tty, past the relay's filter,
         * for any uid: its input read, escape sequences written, its modes changed. TIOCNOTTY
         * from a process that does not lead the session only forgets the terminal (no SIGHUP);
         * init stays in the caller's foreground process group, so ^C and ^Z still reach the
         * command, and what it starts inherits no terminal. */
        int ctty = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
        if (ctty >= 0) {
                if (ioctl(ctty, TIOCNOTTY) < 0)
                        setup_failed("cannot let go of the caller's controlling terminal: %s", strerror(errno));
                close(ctty);
        }
        char go;
        if (read(go_fd, &go, 1) != 1)
                _exit(125); /* the runner gave up (and said why) */
        /* interactive: the go pipe stays, the runner's way to say a stopped command goes on */
        if (!io.interactive || serving.listen_fd >= 0) {
                close(go_fd);
                go_fd = -1;
        }
        /* Nothing the runner holds reaches the sandbox: an fd to a directory on the original
         * mounts would lead around every read-only and hidden mount. */
        const int keep[] = {status_fd, serving.listen_fd, go_fd};
        close_all_but(keep, BW_ARRAY_SIZE(keep));
        /* The ids are mapped: from now on the command (same uid) must not reach init through
         * /proc/1 (its fds, memory, root) either. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                setup_failed("cannot make the sandbox's init undumpable: %s", strerror(errno));
        const char *layers_ns = "none (no user namespace)";
        if (have_ns) {
                setup_mounts(s);
                if (have_netns)
                        loopback_up();
                layers_ns = have_netns ? "user, mount, pid, network (private loopback)" : "user, mount, pid";
        }
        if (serving.listen_fd >= 0)
                serve(s, have_netns); /* a warm session: commands come over the socket */
        /* An interactive run: a terminal of the sandbox's own devpts for the command. */
        int pty_slave = -1;
        if (io.interactive) {
                pty_slave = open_command_pty(&io.termios);
        }
        int cwd = open_path(s->cwd, s->trusted_uid, false);
        if (cwd < 0 || fchdir(cwd) < 0)
                path_failed("cannot enter", s->cwd, cwd < 0 ? cwd : -errno);
        close(cwd);
        /* Elevated, the runner kept the caller's real uid (so that the caller can kill the run):
         * the command gets the sandbox user's throughout. */
        uid_t eu = geteuid();
        if (getuid() != eu && setresuid(eu, eu, eu) < 0)
                setup_failed("cannot settle the sandbox user's ids: %s", strerror(errno));
        /* Empty the bounding set: even a command that runs as uid 0 inside (a root caller) then
         * execs with no capabilities at all. */
        /* PR_CAPBSET_READ answers EINVAL past the last capability this kernel knows, whatever
         * our privileges (a failed DROP does not: without CAP_SETPCAP it is EPERM for every
         * number, which would never end the loop) */
        for (int cap = 0;; cap++) {
                int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (in_set < 0)
                        break;
                if (in_set == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && have_ns)
                        setup_failed("cannot drop capability %d from the bounding set: %s", cap, strerror(errno));
        }
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                setup_failed("cannot set no_new_privs: %s", strerror(errno));
        int abi = apply_landlock(s, have_netns);
        apply_seccomp(s, have_netns);
        /* Set-up is done: init keeps no capability in its user namespace while the command runs. */
        struct __user_cap_header_struct ch = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct cd[2] = {0};
        if (syscall(SYS_capset, &ch, cd) < 0)
                setup_failed("cannot drop init's capabilities: %s", strerror(errno));
        note("%s; namespaces: %s; no_new_privs; Landlock ABI %d%s; seccomp", s->mode, layers_ns, abi,
             abi >= 6 ? " (scoped signals and abstract sockets)" : "");

        /* A process limit (threads count too): a fork bomb stops here, not at the host's. */
        if (s->processes) {
                struct rlimit nproc;
                if (getrlimit(RLIMIT_NPROC, &nproc) == 0 &&
                    (nproc.rlim_max == RLIM_INFINITY || nproc.rlim_max > s->processes)) {
                        nproc.rlim_cur = nproc.rlim_max = s->processes;
                        if (setrlimit(RLIMIT_NPROC, &nproc) < 0)
                                setup_failed("cannot limit the sandbox to %lu processes: %s", s->processes,
                                             strerror(errno));
                }
        }
        install_forwarding();
        struct cold_command cc = {pty_slave, argv, envp};
        pid_t cmd = spawn_command(cold_command, &cc);
        if (cmd < 0)
                setup_failed("cannot start the command: %s", strerror(errno));
        forward_to = cmd;
        sigset_t fwd;
        sigemptyset(&fwd);
        for (size_t i = 0; i < BW_ARRAY_SIZE(forwarded); i++)
                sigaddset(&fwd, forwarded[i]);
        sigprocmask(SIG_UNBLOCK, &fwd, NULL);
        if (pty_master >= 0)
                relay_command_pty(pty_slave, go_fd, cmd, have_ns, status_fd);
        /* Reap everything (orphans are re-parented to us) until the command itself ends. */
        for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, 0);
                if (p < 0 && errno == EINTR)
                        continue;
                if (p < 0)
                        setup_failed("lost the command: %s", strerror(errno));
                if (p == cmd)
                        command_ended(have_ns, st);
        }
}

/* ---- the runner's side ---- */

static int write_file(pid_t pid, const char *name, const char *text) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) pid, name);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, text, strlen(text));
        int e = n < 0 ? -errno : 0;
        close(fd);
        return e;
}

static pid_t clone_into(unsigned long flags) {
        return (pid_t) syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

/* The command of an interactive cold run stopped (^Z): stop the same way, then have init
 * continue it. */
static bool cold_stopped(const void *report, void *userdata) {
        const struct report *r = report;
        if (r->kind != REPORT_STOPPED)
                return false;
        bw_stdio_suspend(&io, WSTOPSIG(r->wait_status));
        (void) !write(*(int *) userdata, "c", 1);
        return true;
}

int bw_sandbox_run(const struct bw_sandbox_spec *s, char *const argv[], char *const envp[]) {
        verbose_on = s->verbose;
        int go[2], status[2];
        if (pipe2(go, O_CLOEXEC) < 0 || pipe2(status, O_CLOEXEC) < 0) {
                fprintf(stderr, "bulwark run: cannot create pipes: %s\n", strerror(errno));
                return 125;
        }
        /* Block the forwarded signals until the handlers know where to send them. */
        sigset_t block, old;
        sigemptyset(&block);
        for (size_t i = 0; i < BW_ARRAY_SIZE(forwarded); i++)
                sigaddset(&block, forwarded[i]);
        sigprocmask(SIG_BLOCK, &block, &old);

        /* The command's stdio: pipes it cannot use to reach the host objects behind them. */
        /* (a session's daemon: its streams are its own log, nothing to relay) */
        int se = serving.listen_fd >= 0 ? (io = (struct bw_stdio){.saved = {-1, -1, -1}, .relay = {-1, -1, -1}}, 0)
                                        : bw_stdio_prepare(&io);
        if (se < 0) {
                bw_stdio_restore(&io);
                fprintf(stderr, "bulwark run: cannot set up the command's standard streams: %s\n", strerror(-se));
                sigprocmask(SIG_SETMASK, &old, NULL);
                return 125;
        }
        forward_kernel_signals = io.interactive;

        /* Offline, a network namespace of the sandbox's own (about half of the clone's cost), in
         * both modes: the elevated sandbox user's nftables rule rejects only what leaves for
         * another host (daddr not loopback), so without it the host's loopback services (a
         * database on 127.0.0.1, a resolver on 127.0.0.53, UDP as well as TCP) and the abstract
         * unix sockets of the host's namespace (scoped by Landlock only from ABI 6) stay in
         * reach; Landlock's TCP rules (ABI 4) cover neither UDP nor those sockets. A warm session
         * pays for it once. */
        unsigned long ns = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | (s->offline ? CLONE_NEWNET : 0);
        bool have_ns = true;
        pid_t child = clone_into(ns);
        if (child < 0 && s->elevated && (errno == EPERM || errno == ENOSPC || errno == EINVAL || errno == EUSERS)) {
                /* every user's elevated sandbox would run as the same user in the host's pid
                 * namespace, able to read each other's /proc/PID: no */
                int e = errno;
                bw_stdio_restore(&io);
                errno = e;
                fprintf(stderr,
                        "bulwark run: user namespaces are unavailable here (%s), and an elevated run needs "
                        "them to keep users' sandboxes apart: enable unprivileged user namespaces (see "
                        "`bulwark doctor`)\n",
                        strerror(errno));
                sigprocmask(SIG_SETMASK, &old, NULL);
                return 125;
        }
        if (child < 0 && (errno == EPERM || errno == ENOSPC || errno == EINVAL || errno == EUSERS)) {
                fprintf(stderr,
                        "bulwark run: warning: user namespaces are unavailable here (%s): running without mount, pid "
                        "and network namespaces, so carve-outs rest on %s, the network on %s, and background "
                        "processes may outlive the command\n",
                        strerror(errno), s->mode && s->mode[0] == 'e' ? "ACLs" : "Landlock's roots only",
                        s->offline ? "seccomp (no IP sockets)" : "nothing");
                have_ns = false;
                child = clone_into(0);
        }
        if (child < 0) {
                int e = errno;
                bw_stdio_restore(&io);
                fprintf(stderr, "bulwark run: cannot start the sandbox: %s\n", strerror(e));
                return 125;
        }
        if (child == 0) {
                close(go[1]);
                close(status[0]);
                status_fd = status[1];
                /* the forwarded signals stay blocked through set-up: one sent now stays pending and
                 * reaches the command once it exists (pid 1 would drop it otherwise) */
                run_init(s, have_ns, have_ns && s->offline, go[0], argv, envp);
        }
        close(go[0]);
        close(status[1]);
        bw_stdio_after_start(&io);
        if (have_ns) {
                /* Map only the ids the sandbox runs as (the effective ones: elevated, the sandbox user's):
                 * nothing inside can become anyone else. */
                char map[64];
                int e = write_file(child, "setgroups", "deny");
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned) geteuid(), (unsigned) geteuid());
                if (e == 0)
                        e = write_file(child, "uid_map", map);
                snprintf(map, sizeof(map), "%u %u 1\n", (unsigned) getegid(), (unsigned) getegid());
                if (e == 0)
                        e = write_file(child, "gid_map", map);
                if (e < 0) {
                        fprintf(stderr, "bulwark run: cannot map ids into the sandbox's user namespace: %s\n",
                                strerror(-e));
                        kill(child, SIGKILL);
                        waitpid(child, NULL, 0);
                        bw_stdio_restore(&io);
                        return 125;
                }
        }
        forward_to = child;
        install_forwarding();
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (write(go[1], "g", 1) != 1) {
                fprintf(stderr, "bulwark run: the sandbox did not start: %s\n", strerror(errno));
                bw_stdio_restore(&io);
                return 125;
        }
        if (!io.interactive || serving.listen_fd >= 0) {
                close(go[1]);
                go[1] = -1;
        }

        struct report r = {0};
        ssize_t got = bw_stdio_pump(&io, status[0], &r, sizeof(r), cold_stopped, &go[1]);
        if (go[1] >= 0)
                close(go[1]);
        if (got == (ssize_t) sizeof(r) && r.kind == REPORT_SERVING) {
                /* a session is up: say so to whoever started it, then wait for it to end */
                if (serving.ready_fd >= 0) {
                        (void) !write(serving.ready_fd, "1", 1);
                        close(serving.ready_fd);
                }
                /* asked now and then whether it is still wanted (its socket still there: the
                 * runtime directory goes with the login session) */
                sigset_t chld, before;
                sigemptyset(&chld);
                sigaddset(&chld, SIGCHLD);
                sigprocmask(SIG_BLOCK, &chld, &before);
                for (;;) {
                        pid_t w = waitpid(child, NULL, WNOHANG);
                        if (w == child || (w < 0 && errno != EINTR))
                                break;
                        struct timespec two = {2, 0};
                        if (w == 0 && sigtimedwait(&chld, NULL, &two) < 0 && errno == EAGAIN && serving.still_wanted &&
                            !serving.still_wanted()) {
                                kill(child, SIGTERM);
                                serving.still_wanted = NULL;
                        }
                }
                sigprocmask(SIG_SETMASK, &before, NULL);
                bw_stdio_restore(&io);
                return 0;
        }
        int st = 0;
        /* After a report of the command's end, init has nothing of the run left (command_ended):
         * it is not waited for (it is reaped when the runner ends) */
        bool ended = got == (ssize_t) sizeof(r) && r.kind == REPORT_COMMAND_ENDED && have_ns;
        while (!ended && waitpid(child, &st, 0) < 0 && errno == EINTR)
                ;
        bw_stdio_restore(&io);
        if (got != (ssize_t) sizeof(r)) {
                if (WIFSIGNALED(st))
                        fprintf(stderr, "bulwark run: the sandbox was killed by signal %d\n", WTERMSIG(st));
                else
                        fprintf(stderr, "bulwark run: the sandbox ended without a report\n");
                bw_stdio_restore(&io);
                return 125;
        }
        if (r.kind == REPORT_SETUP_FAILED) {
                r.message[sizeof(r.message) - 1] = 0;
                fprintf(stderr, "bulwark run: %s\n", r.message);
                bw_stdio_restore(&io);
                return 125;
        }
        if (WIFEXITED(r.wait_status))
                return WEXITSTATUS(r.wait_status);
        return -WTERMSIG(r.wait_status);
}

int bw_sandbox_serve(const struct bw_sandbox_spec *s, int listen_fd, const uint8_t digest[32], unsigned idle_seconds,
                     int ready_fd, bool (*still_wanted)(void)) {
        serving.still_wanted = still_wanted;
        serving.listen_fd = listen_fd;
        serving.ready_fd = ready_fd;
        serving.idle_seconds = idle_seconds ? idle_seconds : BW_SESSION_IDLE;
        memcpy(serving.digest, digest, sizeof(serving.digest));
        /* what its clients' "/" must be (client_root_ok): recorded before the namespaces */
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int e = root < 0 ? -errno : root_id_of(root, STATX_MNT_ID_UNIQUE, &serving.root);
        if (e == -EOPNOTSUPP)
                e = root_id_of(root, STATX_MNT_ID, &serving.root);
        if (root >= 0)
                close(root);
        if (e < 0) {
                fprintf(stderr, "bulwark run: cannot identify the root mount for the session's clients: %s\n",
                        strerror(-e));
                return 125;
        }
        static char *const none[] = {NULL};
        return bw_sandbox_run(s, none, none);
}

static int session_conn = -1; /* the client's connection, for its signal handler */

/* The command of an interactive run in a session stopped (^Z): stop the same way, then have the
 * session continue it. */
static bool warm_stopped(const void *report, void *userdata) {
        const struct bw_session_status *st = report;
        if (st->magic != BW_SESSION_MAGIC || !WIFSTOPPED(st->wait_status))
                return false;
        bw_stdio_suspend(&io, WSTOPSIG(st->wait_status));
        struct bw_session_signal m = {BW_SESSION_MAGIC, BW_SESSION_RESUME};
        (void) !send(*(int *) userdata, &m, sizeof(m), MSG_NOSIGNAL);
        return true;
}

static void forward_to_session(int sig) {
        struct bw_session_signal m = {BW_SESSION_MAGIC, sig};
        int e = errno;
        (void) !send(session_conn, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
        errno = e;
}

/* A command without a terminal, in a session, when its client is stopped (^Z on the caller's
 * terminal, whose foreground group the client is in and the command is not): the command's
 * processes stop with it, and go on when it does. */
static void suspend_with_session(int sig) {
        int e = errno;
        struct bw_session_signal m = {BW_SESSION_MAGIC, BW_SESSION_SUSPEND};
        (void) !send(session_conn, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
        /* stop as the signal's default would (which the kernel drops in an orphaned process
         * group: nobody there to continue it), here until continued */
        struct sigaction dfl = {.sa_handler = SIG_DFL}, mine;
        sigemptyset(&dfl.sa_mask);
        sigaction(sig, &dfl, &mine);
        sigset_t one, before;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, &before);
        raise(sig);
        sigprocmask(SIG_SETMASK, &before, NULL);
        sigaction(sig, &mine, NULL);
        m.sig = BW_SESSION_RESUME;
        (void) !send(session_conn, &m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT);
        errno = e;
}

/* The connection bw_session_connect_early made, and the socket it reached. */
static int early_conn = -1;
static char early_path[sizeof(((struct sockaddr_un *) NULL)->sun_path)];

void bw_session_drop_early(void) {
        if (early_conn >= 0)
                close(early_conn);
        early_conn = -1;
        early_path[0] = 0;
}

void bw_session_connect_early(const char *socket_path) {
        bw_session_drop_early();
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        size_t n = strlen(socket_path);
        if (n >= sizeof(sa.sun_path))
                return;
        memcpy(sa.sun_path, socket_path, n + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
                early_conn = fd;
                memcpy(early_path, sa.sun_path, n + 1);
        } else if (fd >= 0)
                close(fd); /* (bw_sandbox_attach finds out why, and a stale socket goes there) */
}

/* A connection to the session at socket_path: the fd, or BW_ATTACH_NO_SESSION /
 * BW_ATTACH_UNAVAILABLE (as a negative). */
static int session_connect(const char *socket_path) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (fd < 0 || strlen(socket_path) >= sizeof(sa.sun_path)) {
                if (fd >= 0)
                        close(fd);
                return -BW_ATTACH_UNAVAILABLE;
        }
        memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                if (errno == ECONNREFUSED)
                        unlink(socket_path); /* a session that is gone */
                close(fd);
                return -BW_ATTACH_NO_SESSION;
        }
        return fd;
}

int bw_sandbox_attach(const char *socket_path, const uint8_t digest[32], char *const argv[], char *const envp[],
                      const char *cwd) {
        /* the early connection, when it reached this socket: its monitor is ready and waiting */
        bool early = early_conn >= 0 && bw_streq(early_path, socket_path);
        int fd = early ? early_conn : -1;
        early_conn = -1;
        bw_session_drop_early();
        if (!early && (fd = session_connect(socket_path)) < 0)
                return -fd;
        /* stdio as for a cold run: pipes for what is the host's; a terminal is copied to and
         * from one of the session's devpts (as a cold run's init does) */
        if (bw_stdio_prepare(&io) < 0) {
                bw_stdio_restore(&io);
                close(fd);
                return BW_ATTACH_UNAVAILABLE;
        }
        struct bw_strbuf blob = {0};
        uint32_t argc = 0, envc = 0;
        for (; argv[argc]; argc++)
                bw_sb_append(&blob, argv[argc], strlen(argv[argc]) + 1);
        for (; envp[envc]; envc++)
                bw_sb_append(&blob, envp[envc], strlen(envp[envc]) + 1);
        bw_sb_append(&blob, cwd, strlen(cwd) + 1);
        struct bw_session_request req = {.magic = BW_SESSION_MAGIC,
                                         .kind = BW_SESSION_RUN,
                                         .argc = argc,
                                         .envc = envc,
                                         .blob_size = (uint32_t) blob.len};
        memcpy(req.digest, digest, sizeof(req.digest));
        if (io.interactive) {
                req.flags = BW_SESSION_TTY | (io.kind[2] == BW_STREAM_TTY ? BW_SESSION_TTY_STDERR : 0);
                req.termios = io.termios;
                (void) ioctl(0, TIOCGWINSZ, &req.winsize);
        }
        /* with our "/": the session takes commands only from outside every sandbox (client_root_ok) */
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        int fds[4] = {0, 1, 2, root};
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(fds))];
        } ctl = {0};
        struct iovec iov = {&req, sizeof(req)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(fds));
        memcpy(CMSG_DATA(c), fds, sizeof(fds));
        /* a session built for another boundary answers after the request alone, and may be gone
         * before the rest is sent: its answer is read all the same */
        bool sent =
                root >= 0 && blob.len <= BW_SESSION_MAX_BLOB && sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t) sizeof(req);
        if (!sent && early && root >= 0 && blob.len <= BW_SESSION_MAX_BLOB) {
                /* the session ended since the early connection (stopped, rebuilt, idle): as if this
                 * run had connected now */
                close(fd);
                fd = session_connect(socket_path);
                if (fd < 0) {
                        close(root);
                        bw_sb_done(&blob);
                        bw_stdio_restore(&io);
                        return -fd;
                }
                sent = sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t) sizeof(req);
        }
        if (root >= 0)
                close(root);
        if (sent)
                (void) send_all(fd, blob.data, blob.len);
        bw_sb_done(&blob);
        bw_stdio_after_start(&io); /* the runner's own streams back; the relays' ends stay */
        struct bw_session_reply rep = {0};
        bool replied = sent && recv_all(fd, &rep, sizeof(rep)) && rep.magic == BW_SESSION_MAGIC;
        if (!replied || rep.code != 0) {
                bw_stdio_restore(&io);
                close(fd);
                return replied && rep.code == BW_SESSION_MISMATCH ? BW_ATTACH_MISMATCH : BW_ATTACH_UNAVAILABLE;
        }
        /* the command is not in this terminal's foreground group: every signal is passed on */
        session_conn = fd;
        struct sigaction sa2 = {.sa_handler = forward_to_session, .sa_flags = SA_RESTART};
        sigemptyset(&sa2.sa_mask);
        for (size_t i = 0; i < BW_ARRAY_SIZE(forwarded); i++)
                sigaction(forwarded[i], &sa2, NULL);
        if (!io.interactive) { /* (a terminal's run: ^Z is the command's pty's, see warm_stopped) */
                struct sigaction sa3 = {.sa_handler = suspend_with_session, .sa_flags = SA_RESTART};
                sigemptyset(&sa3.sa_mask);
                sigaction(SIGTSTP, &sa3, NULL);
        }
        struct bw_session_status st = {0};
        ssize_t got = bw_stdio_pump(&io, fd, &st, sizeof(st), warm_stopped, &fd);
        bw_stdio_restore(&io);
        close(fd);
        if (got != (ssize_t) sizeof(st) || st.magic != BW_SESSION_MAGIC) {
                fprintf(stderr, "bulwark run: the session ended while the command ran\n");
                return 125;
        }
        if (WIFEXITED(st.wait_status))
                return WEXITSTATUS(st.wait_status);
        return -WTERMSIG(st.wait_status);
}

int bw_session_send(int fd, const struct bw_session_request *req) {
        int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int))];
        } ctl = {0};
        struct iovec iov = {(void *) (uintptr_t) req, sizeof(*req)};
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &root, sizeof(int));
        ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        int e = n < 0 ? -errno : n == (ssize_t) sizeof(*req) ? 0 : -EIO;
        close(root);
        return e;
}

void bw_exit_like_signal(int sig) {
        /* Die the way the command died, without a core file of our own. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        sigprocmask(SIG_UNBLOCK, &one, NULL);
        raise(sig);
        _exit(128 + sig);
}
