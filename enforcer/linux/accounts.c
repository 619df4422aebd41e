/* SPDX-License-Identifier: MIT */
#include "accounts.h"
#include "sha256.h"
#include "strbuf.h"

#include <ctype.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

extern char **environ;

static bool user_in_group(const char *user, gid_t primary, const struct group *g) {
        if (g->gr_gid == primary)
                return true;
        for (char **m = g->gr_mem; m && *m; m++)
                if (bw_streq(*m, user))
                        return true;
        return false;
}

int bw_account_name(uint32_t role, const char *user, char out[33]) {
        const char *prefix = role == BW_ROLE_OFFLINE ? "bw-off-" : role == BW_ROLE_ONLINE ? "bw-on-" : NULL;
        if (!prefix || !user || !user[0])
                return -EINVAL;
        size_t pl = strlen(prefix), ul = strlen(user);
        bool plain = ul + pl <= 32 && (islower((unsigned char) user[0]) || user[0] == '_');
        for (size_t i = 0; i < ul && plain; i++)
                plain = islower((unsigned char) user[i]) || isdigit((unsigned char) user[i]) || user[i] == '_' ||
                        user[i] == '-';
        if (plain) {
                snprintf(out, 33, "%s%.*s", prefix, (int) (32 - pl), user); /* it fits: plain says so */
                return 0;
        }
        /* what useradd accepts everywhere (lower case, digits, _ and -), then the hash of the real
         * name, which keeps "Ann" and "ann", or two long names with one prefix, apart */
        uint8_t d[32];
        char hex[9];
        bw_sha256(user, ul, d);
        bw_hex(d, 4, hex);
        size_t keep = 32 - pl - 9, o = 0;
        char readable[33];
        for (size_t i = 0; i < ul && o < keep; i++) {
                char c = (char) tolower((unsigned char) user[i]);
                readable[o++] = islower((unsigned char) c) || isdigit((unsigned char) c) || c == '-' ? c : '_';
        }
        readable[o] = 0;
        /* prefix (at most 7) + readable (at most 32 - prefix - 9) + "-" + 8 hex: 32 at most */
        int n = snprintf(out, 33, "%s%.*s-%s", prefix, (int) keep, readable, hex);
        return n > 0 && n <= 32 ? 0 : -EINVAL;
}

void bw_account_gecos(uint32_t role, const char *user, char *out, size_t size) {
        snprintf(out, size, "bulwark %s sandbox of %s", role == BW_ROLE_ONLINE ? "online" : "offline", user);
}

void bw_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                        struct bw_account_state st[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                const char *name = names[i];
                st[i] = (struct bw_account_state){.id = -1};
                if (!name || !name[0])
                        continue;
                if (pr->kind == BW_PRINCIPAL_SYSTEM_GROUP) {
                        struct group *g = getgrnam(name);
                        if (g)
                                st[i] = (struct bw_account_state){true, g->gr_gid, true};
                        continue;
                }
                struct passwd *pw = getpwnam(name);
                if (!pw)
                        continue;
                st[i] = (struct bw_account_state){true, pw->pw_uid, true, false};
                if (pr->kind == BW_PRINCIPAL_SYSTEM_USER && real_user) {
                        char gecos[300];
                        bw_account_gecos(pr->role, real_user, gecos, sizeof(gecos));
                        st[i].foreign = !pw->pw_gecos || !bw_streq(pw->pw_gecos, gecos);
                }
                /* No memberships: bulwark-runner sets a run's supplementary groups itself, exactly
                 * those of its installation, so the sandbox users belong to no group but their own
                 * (a membership would give every run of the user every installation's grants). */
        }
}

/* Run an account tool without a shell; its stderr goes to err. posix_spawn() wants mutable
 * strings, so the arguments are copied. */
static int run_tool(const char *const args[], char *err, size_t err_size) {
        char *argv[32];
        size_t argc = 0;
        for (; args[argc] && argc + 1 < BW_ARRAY_SIZE(argv); argc++)
                if (!(argv[argc] = strdup(args[argc])))
                        abort();
        argv[argc] = NULL;
        int r = 0;
        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                goto out;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (e != 0) {
                close(pipefd[0]);
                snprintf(err, err_size, "cannot run %s: %s", argv[0], strerror(e));
                r = -e;
                goto out;
        }
        size_t got = 0;
        ssize_t n;
        while (got + 1 < err_size && (n = read(pipefd[0], err + got, err_size - 1 - got)) > 0)
                got += (size_t) n;
        err[got] = 0;
        while (got > 0 && err[got - 1] == '\n')
                err[--got] = 0;
        close(pipefd[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        goto out;
                }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (!got)
                        snprintf(err, err_size, "%s failed (status %d)", argv[0],
                                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
                r = -EPROTO;
        }
out:
        for (size_t i = 0; i < argc; i++)
                free(argv[i]);
        return r;
}

static void member_list(const struct bw_plan *p, const char *const names[32], const struct bw_plan_principal *pr,
                        struct bw_strbuf *out) {
        for (uint32_t b = 0; b < p->n_principals; b++)
                if ((pr->member_of & (1u << b)) && names[b] && names[b][0]) {
                        if (out->len)
                                bw_sb_putc(out, ',');
                        bw_sb_puts(out, names[b]);
                }
}

int bw_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                      char *err, size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = names[index];
        if (pr->kind == BW_PRINCIPAL_SYSTEM_GROUP) {
                const char *argv[] = {"groupadd", "--system", name, NULL};
                return run_tool(argv, err, err_size);
        }
        if (pr->kind != BW_PRINCIPAL_SYSTEM_USER)
                return -EINVAL;
        char gecos[300];
        bw_account_gecos(pr->role, real_user, gecos, sizeof(gecos));
        /* a system user with its own group (-U), no home, no shell, a locked password */
        const char *argv[] = {
                "useradd",           "--system",     "--no-create-home", "--home-dir", "/nonexistent", "--shell",
                "/usr/sbin/nologin", "--user-group", "--comment",        gecos,        name,           NULL};
        return run_tool(argv, err, err_size);
}

void bw_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                               size_t size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = names[index];
        struct passwd *pw = getpwnam(name);
        gid_t primary = pw ? pw->pw_gid : (gid_t) -1;
        size_t o = 0;
        out[0] = 0;
        for (uint32_t b = 0; b < p->n_principals; b++) {
                if (!(pr->member_of & (1u << b)) || !names[b] || !names[b][0])
                        continue;
                const char *gname = names[b];
                struct group *g = getgrnam(gname);
                if (g && user_in_group(name, primary, g))
                        continue;
                int n = snprintf(out + o, size - o, "%s%s", o ? "," : "", gname);
                if (n < 0 || (size_t) n >= size - o)
                        break;
                o += (size_t) n;
        }
}

int bw_account_leave_group(const char *user, const char *group, char *err, size_t err_size) {
        const char *argv[] = {"gpasswd", "--delete", user, group, NULL};
        return run_tool(argv, err, err_size);
}

int bw_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                           size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        struct bw_strbuf groups = {0};
        member_list(p, names, pr, &groups);
        const char *argv[] = {"usermod", "--append", "--groups", groups.data ? groups.data : "", names[index], NULL};
        int r = run_tool(argv, err, err_size);
        bw_sb_done(&groups);
        return r;
}

int bw_account_create_group(const char *name, char *err, size_t err_size) {
        const char *argv[] = {"groupadd", "--system", name, NULL};
        return run_tool(argv, err, err_size);
}

int bw_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        const char *argv[] = {(is_group ? "groupdel" : "userdel"), name, NULL};
        return run_tool(argv, err, err_size);
}
