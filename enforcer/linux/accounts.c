/* SPDX-License-Identifier: MIT */
#include "accounts.h"
#include "strbuf.h"

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

void bw_accounts_lookup(const struct bw_plan *p, const char *real_user, struct bw_account_state st[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                const struct bw_plan_principal *pr = &p->principals[i];
                const char *name = pr->kind == BW_PRINCIPAL_REAL_USER ? real_user : bw_plan_string(p, pr->name);
                st[i] = (struct bw_account_state){.id = -1};
                if (!name)
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
                st[i] = (struct bw_account_state){true, pw->pw_uid, true};
                gid_t primary = pw->pw_gid;
                for (uint32_t b = 0; b < p->n_principals; b++) {
                        if (!(pr->member_of & (1u << b)))
                                continue;
                        struct group *g = getgrnam(bw_plan_string(p, p->principals[b].name));
                        if (!g || !user_in_group(name, primary, g))
                                st[i].members_ok = false;
                }
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

static void member_list(const struct bw_plan *p, const struct bw_plan_principal *pr, struct bw_strbuf *out) {
        for (uint32_t b = 0; b < p->n_principals; b++)
                if (pr->member_of & (1u << b)) {
                        if (out->len)
                                bw_sb_putc(out, ',');
                        bw_sb_puts(out, bw_plan_string(p, p->principals[b].name));
                }
}

int bw_account_create(const struct bw_plan *p, uint32_t index, char *err, size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = bw_plan_string(p, pr->name);
        if (pr->kind == BW_PRINCIPAL_SYSTEM_GROUP) {
                const char *argv[] = {"groupadd", "--system", name, NULL};
                return run_tool(argv, err, err_size);
        }
        if (pr->kind != BW_PRINCIPAL_SYSTEM_USER)
                return -EINVAL;
        struct bw_strbuf groups = {0};
        member_list(p, pr, &groups);
        /* a system user with its own group (-U), no home, no shell, a locked password */
        const char *argv[] = {"useradd",
                              "--system",
                              "--no-create-home",
                              "--home-dir",
                              "/nonexistent",
                              "--shell",
                              "/usr/sbin/nologin",
                              "--user-group",
                              "--groups",
                              groups.data ? groups.data : "",
                              "--comment",
                              "bulwark sandbox principal",
                              name,
                              NULL};
        int r = run_tool(argv, err, err_size);
        bw_sb_done(&groups);
        return r;
}

void bw_account_missing_groups(const struct bw_plan *p, uint32_t index, char *out, size_t size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = bw_plan_string(p, pr->name);
        struct passwd *pw = getpwnam(name);
        gid_t primary = pw ? pw->pw_gid : (gid_t) -1;
        size_t o = 0;
        out[0] = 0;
        for (uint32_t b = 0; b < p->n_principals; b++) {
                if (!(pr->member_of & (1u << b)))
                        continue;
                const char *gname = bw_plan_string(p, p->principals[b].name);
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

int bw_account_fix_members(const struct bw_plan *p, uint32_t index, char *err, size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        struct bw_strbuf groups = {0};
        member_list(p, pr, &groups);
        const char *argv[] = {
                "usermod", "--append", "--groups", groups.data ? groups.data : "", bw_plan_string(p, pr->name), NULL};
        int r = run_tool(argv, err, err_size);
        bw_sb_done(&groups);
        return r;
}

int bw_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        const char *argv[] = {(is_group ? "groupdel" : "userdel"), name, NULL};
        return run_tool(argv, err, err_size);
}
