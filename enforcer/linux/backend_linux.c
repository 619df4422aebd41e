/* SPDX-License-Identifier: MIT */
/*
 * The Linux backend (backend.h): accounts through passwd/group and the shadow tools, the network
 * filter as one nftables table, POSIX ACLs in system.posix_acl_* xattrs (the walk is
 * acl_tree.c), the runner's file capabilities, the host's sandboxing primitives, the audit log
 * and syslog, and the state directory's flock()ed lock.
 */
#include "accounts.h"
#include "acl_tree.h"
#include "backend.h"
#include "firewall.h"
#include "journal.h"
#include "posix_acl.h"
#include "runner_file.h"
#include "xattrat.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define XATTR_ACCESS "system.posix_acl_access"
#define XATTR_DEFAULT "system.posix_acl_default"

static bool linux_privileged(void) {
        return geteuid() == 0;
}

static int linux_dir_check(const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOTDIR ? -ENOENT : -errno; /* a file on the way: it does not exist either */
        return S_ISLNK(st.st_mode) ? -ELOOP : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* ---- principals ---- */

static int linux_group_id(const char *name, uint32_t *ret_id) {
        struct group *g = getgrnam(name);
        if (!g)
                return 0;
        *ret_id = g->gr_gid;
        return 1;
}

static int linux_user_id(const char *name, uint32_t *ret_id) {
        struct passwd *pw = getpwnam(name);
        if (!pw)
                return 0;
        *ret_id = pw->pw_uid;
        return 1;
}

static int linux_user_lookup(const char *name, uint32_t id, struct bw_user_info *ret) {
        struct passwd *pw = name ? getpwnam(name) : getpwuid(id == BW_USER_CALLER ? getuid() : (uid_t) id);
        if (!pw)
                return -ENOENT;
        ret->id = pw->pw_uid;
        snprintf(ret->name, sizeof(ret->name), "%s", pw->pw_name);
        snprintf(ret->home, sizeof(ret->home), "%s", pw->pw_dir);
        return 0;
}

/* ---- network filter: uid_t is the 32-bit id backend.h speaks of ---- */

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uids are the backend's 32-bit principal ids");

static enum bw_fw_state linux_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        return bw_fw_inspect((const uid_t *) ids, n, err, err_size);
}

static int linux_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        return bw_fw_apply((const uid_t *) ids, n, err, err_size);
}

/* ---- objects ---- */

/* Put back the bytes an object's ACL had before bulwark first changed it, walking to it with
 * O_NOFOLLOW from its root and checking it is still the same inode. */
static int linux_acl_restore(const struct bw_journal_acl *a) {
        _cleanup_free_ char *root = strndup(a->root, a->root_len);
        _cleanup_free_ char *rel = strndup(a->rel, a->rel_len);
        if (!root || !rel)
                return -ENOMEM;
        const char *attr = a->is_default ? XATTR_DEFAULT : XATTR_ACCESS;
        int dfd;
        const char *name;
        if (rel[0] == 0) {
                /* the root itself: through its parent, so a file root works too */
                char *slash = strrchr(root, '/');
                name = slash + 1;
                char *parent = strndup(root, slash == root ? 1 : (size_t) (slash - root));
                dfd = parent ? bw_open_path_safely(parent, O_RDONLY | O_DIRECTORY, (uid_t) -1) : -ENOMEM;
                free(parent);
                if (bw_streq(root, "/")) {
                        if (dfd >= 0)
                                close(dfd);
                        dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        name = ".";
                }
        } else {
                dfd = bw_open_path_safely(root, O_RDONLY | O_DIRECTORY, (uid_t) -1);
                char *slash = strrchr(rel, '/');
                if (slash) {
                        *slash = 0;
                        name = slash + 1;
                        /* intermediate directories, never following a symlink */
                        for (char *comp = strtok(rel, "/"); comp && dfd >= 0; comp = strtok(NULL, "/")) {
                                int next = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                                close(dfd);
                                dfd = next < 0 ? -errno : next;
                        }
                } else
                        name = rel;
        }
        if (dfd < 0)
                return 0; /* gone: nothing to restore */
        /* Act through an fd of the object itself, checked on that fd, as apply does: a check by
         * name would not hold against a sandbox renaming things meanwhile. */
        _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        close(dfd);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t) st.st_ino != a->ino)
                return 0; /* gone or replaced since: not the object we changed */
        int r;
        if (a->had_before) {
                r = fsetxattr(fd, attr, a->before, a->before_len, 0);
        } else if (!a->is_default) {
                /* There was no access ACL: write the minimal one of the recorded mode. The kernel
                 * stores such an ACL as mode bits only (no xattr), which also gives back the
                 * group bits our mask had replaced; a plain removexattr would not. */
                struct bw_acl minimal;
                uint8_t buf[64];
                bw_acl_from_mode((mode_t) a->mode, &minimal);
                size_t n = bw_acl_encode(&minimal, buf, sizeof(buf));
                r = fsetxattr(fd, attr, buf, n, 0);
        } else {
                r = fremovexattr(fd, attr);
                if (r < 0 && errno == ENODATA)
                        r = 0;
        }
        return r < 0 ? -errno : 1;
}

static int linux_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                                unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx,
                                bool *ret_replaced) {
        *ret_replaced = false;
        _cleanup_close_ int fd = bw_open_path_safely(path, O_RDONLY | O_DIRECTORY, (uid_t) as_uid);
        if (fd < 0)
                return 0;
        struct stat st;
        uint8_t cur[4 + 8 * BW_ACL_MAX_ENTRIES], out[4 + 8 * BW_ACL_MAX_ENTRIES];
        ssize_t len = fstat(fd, &st) < 0 ? -errno : bw_getxattrat(fd, ".", XATTR_ACCESS, cur, sizeof(cur));
        struct bw_acl base, wanted;
        bool ok = len >= 0 ? bw_acl_decode(cur, (size_t) len, &base) == 0 : len == -ENODATA;
        if (ok && len < 0)
                bw_acl_from_mode(st.st_mode, &base);
        if (!ok || (st.st_mode & S_IXOTH))
                return 0; /* others may traverse already (or we cannot tell) */
        struct bw_acl_want want = {BW_ACL_GROUP, gid, BW_PERM_X};
        bool has = false, has_replaced = false;
        for (unsigned k = 0; k < base.n; k++) {
                has |= base.e[k].tag == BW_ACL_GROUP && base.e[k].id == gid && (base.e[k].perm & BW_PERM_X);
                for (unsigned x = 0; x < n_replace; x++)
                        has_replaced |= base.e[k].tag == BW_ACL_GROUP && base.e[k].id == replace[x];
        }
        if ((has && !has_replaced) || bw_acl_compute(&base, &want, 1, NULL, 0, replace, n_replace, &wanted) < 0)
                return 0;
        size_t out_len = bw_acl_encode(&wanted, out, sizeof(out));
        *ret_replaced = has_replaced;
        if (dry_run)
                return 1;
        struct bw_acl_change c = {.root = path,
                                  .rel = "",
                                  .attr = XATTR_ACCESS,
                                  .ino = st.st_ino,
                                  .mode = (uint32_t) st.st_mode,
                                  .before = len >= 0 ? cur : NULL,
                                  .before_len = len >= 0 ? (size_t) len : 0,
                                  .after = out,
                                  .after_len = out_len};
        /* journaled before it is made, like every change */
        int e = journal(ctx, &c, 1);
        if (e == 0)
                e = fsetxattr(fd, XATTR_ACCESS, out, out_len, 0) < 0 ? -errno : 0;
        return e < 0 ? e : 1;
}

/* A world-writable sticky directory (/tmp, /var/tmp) is shared by every user. */
static bool linux_shared_sticky(const char *path) {
        struct stat st;
        return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && (st.st_mode & S_IWOTH);
}

static int linux_acl_supported(const char *dir) {
        uint8_t buf[512];
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ssize_t r = fd < 0 ? -errno : bw_getxattrat(fd, ".", XATTR_ACCESS, buf, sizeof(buf));
        return r >= 0 || r == -ENODATA ? 0 : (int) r;
}

/* ---- the runner binary ---- */

static int linux_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size) {
        struct bw_runner_state st;
        int fd = bw_runner_open(path, &st, err, err_size);
        if (fd < 0)
                return fd;
        close(fd);
        *ret = (struct bw_runner_info){.current = bw_runner_is_current(&st), .elevated = st.has_cap};
        bw_runner_describe(&st, ret->detail, sizeof(ret->detail));
        uint32_t len = 0;
        _cleanup_free_ uint8_t *rec = bw_runner_encode(path, &st, &len);
        if (len > sizeof(ret->record))
                return -ENAMETOOLONG;
        memcpy(ret->record, rec, len);
        ret->record_len = len;
        return 0;
}

static int linux_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err,
                                 size_t err_size) {
        char rpath[PATH_MAX];
        struct bw_runner_state before, now;
        if (bw_runner_decode(record, record_len, rpath, sizeof(rpath), &before) < 0)
                return -EBADMSG;
        _cleanup_close_ int fd = bw_runner_open(path, &now, err, err_size);
        if (fd < 0)
                return fd;
        if (now.ino != before.ino) {
                snprintf(err, err_size, "%s was replaced while apply ran", path);
                return -ESTALE;
        }
        if (bw_runner_is_current(&now))
                return 0;
        int e = bw_runner_converge(fd, err, err_size);
        return e < 0 ? e : 1;
}

static int linux_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                                size_t err_size) {
        struct bw_runner_state before, now;
        if (bw_runner_decode(record, record_len, path_out, path_size, &before) < 0)
                return -EBADMSG;
        _cleanup_close_ int fd = bw_runner_open(path_out, &now, err, err_size);
        if (fd < 0 || now.ino != before.ino)
                return 0;
        int e = bw_runner_restore(fd, &before, err, err_size);
        return e < 0 ? e : 1;
}

/* ---- host probe ---- */

/* Can an unprivileged process make the runner's namespaces? Tried for real, in a child that
 * (when we are root) first becomes nobody: a distribution can restrict user namespaces in ways
 * no sysctl alone tells. Returns 0 or the errno of the failure. */
static int probe_sandbox_namespaces(void) {
        pid_t p = fork();
        if (p == 0) {
                if (getuid() == 0 && (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
                                      setresuid(65534, 65534, 65534) < 0))
                        _exit(EPERM);
                _exit(unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET) < 0 ? errno : 0);
        }
        int st;
        if (p < 0 || waitpid(p, &st, 0) < 0 || !WIFEXITED(st))
                return EIO;
        return WEXITSTATUS(st);
}

static int linux_host_probe(const char *runner_override, char *const *dirs, size_t n_dirs, struct bw_host_report *ret) {
        *ret = (struct bw_host_report){0};
        char err[512] = "";
        uid_t none = 4294967294u;
        enum bw_fw_state fw = bw_fw_inspect(&none, 1, err, sizeof(err));
        long abi = syscall(444 /* landlock_create_ruleset */, NULL, 0, 1 /* LANDLOCK_CREATE_RULESET_VERSION */);
        int abi_errno = errno;
        int userns = -1;
        FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
        if (f) {
                if (fscanf(f, "%d", &userns) != 1)
                        userns = -1;
                fclose(f);
        }
        int ns_err = probe_sandbox_namespaces();
        char runner[PATH_MAX] = "", rerr[512] = "";
        struct bw_runner_info ri;
        int rr = bw_runner_locate(runner_override, runner, sizeof(runner)) < 0
                         ? -EINVAL
                         : linux_runner_inspect(runner, &ri, rerr, sizeof(rerr));
        bool runner_ok = rr >= 0 && ri.current;
        char runner_detail[PATH_MAX + 600];
        snprintf(runner_detail, sizeof(runner_detail), "%s: %s", runner,
                 rr < 0      ? rerr
                 : runner_ok ? "cap_setgid,cap_setuid=ep: elevated mode available where a plan is installed"
                             : "no capabilities yet: unelevated mode only until `sudo bulwark apply`");
        json_t *j = json_object(), *acls = json_array();
        json_object_set_new(j, "sandbox_namespaces", json_string(ns_err ? strerror(ns_err) : "available"));
        json_object_set_new(j, "runner",
                            json_pack("{s:s,s:b,s:s}", "path", runner, "elevated", runner_ok, "detail", runner_detail));
        /* without root the ruleset cannot be read: that says nothing about nftables itself */
        bool fw_needs_root = fw == BW_FW_UNKNOWN && geteuid() != 0;
        if (fw_needs_root)
                snprintf(err, sizeof(err),
                         "the nftables ruleset cannot be read without root (run `sudo bulwark doctor`)");
        json_object_set_new(j, "nftables",
                            json_string(fw_needs_root         ? "needs root to read"
                                        : fw == BW_FW_UNKNOWN ? "unavailable"
                                                              : "available"));
        if (fw == BW_FW_UNKNOWN)
                json_object_set_new(j, "nftables_error", json_string(err));
        json_object_set_new(j, "landlock_abi", json_integer(abi > 0 ? abi : 0));
        json_object_set_new(j, "user_namespaces",
                            json_string(userns > 0    ? "enabled"
                                        : userns == 0 ? "disabled"
                                                      : "unknown"));
        /* What an offline run can still reach: pathname unix sockets (Landlock restricts them from
         * ABI 9; before, the runner hides those the host has bound when a run starts) */
        const char *sockets = abi >= 9 ? "restricted by Landlock (ABI 9): only under the writable roots"
                                       : "Landlock before ABI 9: the sockets bound when a run starts are hidden; "
                                         "one bound later, or in a directory the runner cannot see, stays reachable";
        json_object_set_new(j, "unix_sockets_offline", json_string(sockets));
        /* memory and CPU limits need a cgroup delegated to the caller with no other process in it */
        const char *cgroups = "memory and cpu limits are not enforced by the runner (no delegated cgroup for a "
                              "login shell; run under `systemd-run --user --scope -p MemoryMax=...`); processes "
                              "and tmpfs sizes are";
        json_object_set_new(j, "resource_limits", json_string(cgroups));
        bw_host_report_line(ret, "nftables:", "%s", fw == BW_FW_UNKNOWN ? err : "available (the ruleset can be read)");
        bw_host_report_line(ret, "unix sockets:", "offline, %s", sockets);
        bw_host_report_line(ret, "limits:", "%s", cgroups);
        if (abi > 0)
                bw_host_report_line(ret, "Landlock:", "ABI %ld", abi);
        else
                bw_host_report_line(ret, "Landlock:", "not available (%s)", strerror(abi_errno));
        bw_host_report_line(ret, "user namespaces:", "%s",
                            userns > 0    ? "enabled"
                            : userns == 0 ? "disabled (user.max_user_namespaces = 0)"
                                          : "unknown");
        if (ns_err)
                bw_host_report_line(ret, "bulwark run:",
                                    "no user namespaces for unprivileged users (%s): runs get Landlock, seccomp and "
                                    "no_new_privs only (and ACLs and the firewall when elevated)",
                                    strerror(ns_err));
        else
                bw_host_report_line(ret, "bulwark run:", "user, mount, pid and network namespaces available");
        bw_host_report_line(ret, "runner:", "%s", runner_detail);
        for (size_t i = 0; i < n_dirs; i++) {
                int r = linux_acl_supported(dirs[i]);
                const char *verdict = r == 0             ? "supported"
                                      : r == -EOPNOTSUPP ? "NOT supported by this file system"
                                                         : strerror(-r);
                json_array_append_new(
                        acls, json_pack("{s:s,s:b,s:s}", "path", dirs[i], "posix_acls", r == 0, "detail", verdict));
                bw_host_report_line(ret, "POSIX ACLs:", "%-30s %s", dirs[i], verdict);
        }
        json_object_set_new(j, "acl_support", acls);
        ret->json = j;
        return 0;
}

/* ---- audit sink ---- */

static int linux_audit_write(const char *dir, const char *line, const char *summary) {
        int e = 0;
        if (mkdir(dir, 0750) < 0 && errno != EEXIST)
                e = -errno;
        _cleanup_close_ int dfd = e ? -1 : open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (!e && dfd < 0)
                e = -errno;
        else if (!e && (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & S_IWOTH)))
                e = -EPERM; /* someone else's directory: do not write root's records there */
        _cleanup_close_ int fd =
                e ? -1 : openat(dfd, "audit.jsonl", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
        if (!e && fd < 0)
                e = -errno;
        if (!e) {
                /* line and newline in one writev(), O_APPEND: records never interleave */
                size_t n = strlen(line);
                static char newline[] = "\n";
                /* writev() does not write through iov_base: dropping const here is safe */
                struct iovec iov[2] = {{(void *) (uintptr_t) line, n}, {newline, 1}};
                errno = 0;
                if (writev(fd, iov, 2) != (ssize_t) (n + 1) || fsync(fd) < 0)
                        e = errno ? -errno : -EIO;
        }
        openlog("bulwark", LOG_PID, LOG_AUTHPRIV);
        syslog(LOG_NOTICE, "%s", summary);
        closelog();
        return e;
}

/* ---- state store ---- */

static int linux_state_open(const char *dir, bool create, char *err, size_t err_size) {
        if (create && mkdir(dir, 0755) < 0 && errno != EEXIST) {
                snprintf(err, err_size, "cannot create the state directory %s: %s", dir, strerror(errno));
                return -errno;
        }
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                int e = -errno;
                snprintf(err, err_size, "cannot open the state directory %s: %s", dir, strerror(-e));
                return e;
        }
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
                snprintf(err, err_size, "%s must be a directory owned by root and writable only by root", dir);
                return -EPERM;
        }
        if (create && mkdirat(fd, "installs", 0755) < 0 && errno != EEXIST) {
                int e = -errno;
                snprintf(err, err_size, "cannot create %s/installs: %s", dir, strerror(-e));
                return e;
        }
        return TAKE_FD(fd);
}

static int linux_state_lock(int state_fd, unsigned timeout_s, void (*waiting)(void *ctx), void *ctx) {
        _cleanup_close_ int fd = openat(state_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
        if (fd < 0)
                return -errno;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        for (unsigned waited = 0;; waited++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return TAKE_FD(fd);
                if (errno != EWOULDBLOCK)
                        return -errno;
                if (waited == 0 && waiting)
                        waiting(ctx);
                if (waited >= timeout_s * 10)
                        return -ETIMEDOUT;
                struct timespec ts = {0, 100000000L}; /* 0.1 s */
                nanosleep(&ts, NULL);
        }
}

static void linux_state_unlock(int lock) {
        if (lock >= 0)
                close(lock);
}

const struct bw_backend bw_backend_linux = {
        .name = "linux",
        .write_groups = true,
        .per_object_acls = true,
        .privileged = linux_privileged,
        .dir_check = linux_dir_check,
        .account_name = bw_account_name,
        .accounts_lookup = bw_accounts_lookup,
        .group_id = linux_group_id,
        .user_id = linux_user_id,
        .user_lookup = linux_user_lookup,
        .account_create = bw_account_create,
        .group_create = bw_account_create_group,
        .account_missing_groups = bw_account_missing_groups,
        .account_fix_members = bw_account_fix_members,
        .account_remove = bw_account_remove,
        .account_leave_group = bw_account_leave_group,
        .fw_inspect = linux_fw_inspect,
        .fw_save = bw_fw_list,
        .fw_apply = linux_fw_apply,
        .fw_restore = bw_fw_restore,
        .fw_remove = bw_fw_remove,
        .tree_converge = bw_tree_converge,
        .acl_restore = linux_acl_restore,
        .traverse_grant = linux_traverse_grant,
        .shared_sticky = linux_shared_sticky,
        .acl_supported = linux_acl_supported,
        .runner_locate = bw_runner_locate,
        .runner_inspect = linux_runner_inspect,
        .runner_converge = linux_runner_converge,
        .runner_restore = linux_runner_restore,
        .host_probe = linux_host_probe,
        .audit_write = linux_audit_write,
        .state_open = linux_state_open,
        .state_lock = linux_state_lock,
        .state_unlock = linux_state_unlock,
};
