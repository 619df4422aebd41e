/* SPDX-License-Identifier: MIT */
/*
 * The doctor command: what this host can enforce, as the backend probes it, and whether the
 * file systems of the current directory, /tmp and every installed workspace hold ACLs.
 */
#include "engine_internal.h"

/* The directories whose file systems matter: the current directory, /tmp, and every root of
 * every installed plan. */
static size_t doctor_dirs(const struct bw_engine_options *o, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        const char *fixed[] = {".", "/tmp"};
        for (size_t i = 0; i < BW_ARRAY_SIZE(fixed); i++) {
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(fixed[i]);
        }
        int sfd = open(o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ifd = sfd < 0 ? -1 : openat(sfd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = ifd < 0 ? NULL : fdopendir(ifd);
        struct dirent *de;
        while (d && (de = readdir(d))) {
                char ws[PATH_MAX], user[PATH_MAX];
                if (de->d_name[0] == '.' || bw_state_read_bindings(sfd, de->d_name, ws, user, sizeof(ws)) < 0)
                        continue;
                v = realloc(v, (n + 1) * sizeof(*v));
                v[n++] = strdup(ws);
        }
        if (d)
                closedir(d);
        if (sfd >= 0)
                close(sfd);
        *ret = v;
        return n;
}

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

/* What this host can enforce, as JSON; with text, also printed as lines on out. */
json_t *bw_doctor_report(const struct bw_engine_options *o, FILE *out, bool text) {
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
        char runner[PATH_MAX], rerr[512] = "";
        struct bw_runner_state rs;
        int rfd = bw_runner_locate(o->runner, runner, sizeof(runner)) < 0
                          ? -EINVAL
                          : bw_runner_open(runner, &rs, rerr, sizeof(rerr));
        bool runner_ok = rfd >= 0 && bw_runner_is_current(&rs);
        if (rfd >= 0)
                close(rfd);
        char runner_detail[PATH_MAX + 600];
        snprintf(runner_detail, sizeof(runner_detail), "%s: %s", runner,
                 rfd < 0     ? rerr
                 : runner_ok ? "cap_setgid,cap_setuid=ep: elevated mode available where a plan is installed"
                             : "no capabilities yet: unelevated mode only until `sudo bulwark apply`");
        json_t *j = json_object(), *acls = json_array();
        json_object_set_new(j, "sandbox_namespaces", json_string(ns_err ? strerror(ns_err) : "available"));
        json_object_set_new(j, "runner",
                            json_pack("{s:s,s:b,s:s}", "path", runner, "elevated", runner_ok, "detail", runner_detail));
        /* without root the ruleset cannot be read: that says nothing about nftables itself */
        bool fw_needs_root = fw == BW_FW_UNKNOWN && geteuid() != 0;
        if (fw_needs_root)
                snprintf(err, sizeof(err), "needs root to read the ruleset (run `sudo bulwark doctor`)");
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
        if (text) {
                fprintf(out, "nftables:        %s\n",
                        fw == BW_FW_UNKNOWN ? err : "available (the ruleset can be read)");
                fprintf(out, "unix sockets:    offline, %s\n", sockets);
                fprintf(out, "limits:          %s\n", cgroups);
                if (abi > 0)
                        fprintf(out, "Landlock:        ABI %ld\n", abi);
                else
                        fprintf(out, "Landlock:        not available (%s)\n", strerror(abi_errno));
                fprintf(out, "user namespaces: %s\n",
                        userns > 0    ? "enabled"
                        : userns == 0 ? "disabled (user.max_user_namespaces = 0)"
                                      : "unknown");
                if (ns_err)
                        fprintf(out,
                                "bulwark run:     no user namespaces for unprivileged users (%s): runs get "
                                "Landlock, seccomp and no_new_privs only (and ACLs and the firewall when "
                                "elevated)\n",
                                strerror(ns_err));
                else
                        fprintf(out, "bulwark run:     user, mount, pid and network namespaces available\n");
                fprintf(out, "runner:          %s\n", runner_detail);
        }
        char **dirs;
        size_t n = doctor_dirs(o, &dirs);
        for (size_t i = 0; i < n; i++) {
                uint8_t buf[512];
                int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                ssize_t r = fd < 0 ? -errno : bw_getxattrat(fd, ".", XATTR_ACCESS, buf, sizeof(buf));
                if (fd >= 0)
                        close(fd);
                const char *verdict = r >= 0 || r == -ENODATA ? "supported"
                                      : r == -EOPNOTSUPP      ? "NOT supported by this file system"
                                                              : strerror((int) -r);
                if (!text)
                        json_array_append_new(acls, json_pack("{s:s,s:b,s:s}", "path", dirs[i], "posix_acls",
                                                              r >= 0 || r == -ENODATA, "detail", verdict));
                else
                        fprintf(out, "POSIX ACLs:      %-30s %s\n", dirs[i], verdict);
                free(dirs[i]);
        }
        free(dirs);
        json_object_set_new(j, "acl_support", acls);
        return j;
}

int bw_cmd_doctor(const struct bw_engine_options *o, FILE *out) {
        json_t *j = bw_doctor_report(o, out, !o->json);
        if (o->json) {
                char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
                fprintf(out, "%s\n", s);
                free(s);
        }
        json_decref(j);
        return 0;
}
