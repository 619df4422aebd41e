/* SPDX-License-Identifier: MIT */
#include "win_runner.h"
#include "win_cmdline.h"
#include "win_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bw_win_restricting_sids(const struct bw_win_sid *logon, const struct bw_win_sid *roots, size_t n_roots,
                             struct bw_win_sid *ret) {
        /* Everyone and the logon session: without them the restricted pass would refuse writes
         * the command needs and nobody else can see (its own console, named pipes of the session). */
        ret[0] = bw_win_sid_everyone;
        ret[1] = *logon;
        for (size_t i = 0; i < n_roots; i++)
                ret[2 + i] = roots[i];
}

static bool name_is(const char *entry, const char *name) {
        size_t n = strlen(name);
        return bw_win_name_equal(entry, strcspn(entry, "="), name, n) && entry[n] == '=';
}

static const char *value_of(const char *const *env, const char *name) {
        for (size_t i = 0; env && env[i]; i++)
                if (name_is(env[i], name))
                        return env[i] + strlen(name) + 1;
        return NULL;
}

const char *bw_win_denybin_stub(void) {
        return "@echo bulwark: this sandbox has no network (advisory: an unelevated installation cannot enforce it) "
               "1>&2\r\n@exit /b 1\r\n";
}

int bw_win_advisory_env(const char *const *env, const char *denybin, char ***ret) {
        static const char *const replaced[] = {"HTTP_PROXY",      "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                                               "GIT_SSH_COMMAND", "GIT_SSH",     "PATH",      "PATHEXT"};
        size_t n = 0;
        while (env && env[n])
                n++;
        char **out = calloc(n + 16, sizeof(char *));
        if (!out)
                return -ENOMEM;
        size_t o = 0;
        int r = 0;
        /* Windows variable names are case-insensitive: http_proxy and HTTP_PROXY are one; set once
         * in upper case (what curl and git read on Windows). */
        for (size_t i = 0; i < n; i++) {
                bool skip = false;
                for (size_t k = 0; k < sizeof(replaced) / sizeof(replaced[0]); k++)
                        skip |= name_is(env[i], replaced[k]);
                if (!skip && !(out[o++] = strdup(env[i])))
                        r = -ENOMEM;
        }
        const char *path = value_of(env, "PATH"), *pathext = value_of(env, "PATHEXT");
        if (!pathext)
                pathext = ".COM;.EXE;.BAT;.CMD";
        /* .CMD first, then the others in their order. */
        char ext[1024] = ".CMD";
        size_t ext_n = 4;
        for (const char *s = pathext; *s && r == 0;) {
                size_t len = strcspn(s, ";");
                if (len && !bw_win_name_equal(s, len, ".CMD", 4) && ext_n + len + 2 < sizeof(ext)) {
                        ext[ext_n++] = ';';
                        memcpy(ext + ext_n, s, len);
                        ext_n += len;
                        ext[ext_n] = '\0';
                }
                s += len + (s[len] == ';');
        }
        const char *dead = BW_WIN_DEAD_PROXY;
        if (r == 0 &&
            (asprintf(&out[o++], "HTTP_PROXY=%s", dead) < 0 || asprintf(&out[o++], "HTTPS_PROXY=%s", dead) < 0 ||
             asprintf(&out[o++], "ALL_PROXY=%s", dead) < 0 ||
             asprintf(&out[o++], "GIT_SSH_COMMAND=\"%s\\ssh.cmd\"", denybin) < 0 ||
             asprintf(&out[o++], "PATH=%s%s%s", denybin, path ? ";" : "", path ? path : "") < 0 ||
             asprintf(&out[o++], "PATHEXT=%s", ext) < 0))
                r = -ENOMEM;
        if (r < 0) {
                for (size_t i = 0; i < o; i++)
                        free(out[i]);
                free(out);
                return r;
        }
        *ret = out;
        return 0;
}

static int env_cmp(const void *a, const void *b) {
        const char *x = *(const char *const *) a, *y = *(const char *const *) b;
        for (;; x++, y++) {
                int cx = *x == '=' ? 0 : (*x >= 'a' && *x <= 'z') ? *x - 32 : (unsigned char) *x;
                int cy = *y == '=' ? 0 : (*y >= 'a' && *y <= 'z') ? *y - 32 : (unsigned char) *y;
                if (cx != cy || !cx)
                        return cx - cy;
        }
}

int bw_win_env_block(const char *const *env, char **ret, size_t *ret_size) {
        size_t n = 0, size = 1;
        while (env && env[n])
                size += strlen(env[n++]) + 1;
        const char **sorted = malloc((n ? n : 1) * sizeof(char *));
        char *block = malloc(size + 1);
        if (!sorted || !block) {
                free(sorted);
                free(block);
                return -ENOMEM;
        }
        if (n)
                memcpy(sorted, env, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), env_cmp);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(sorted[i]) + 1;
                memcpy(block + o, sorted[i], len);
                o += len;
        }
        if (n == 0)
                block[o++] = '\0'; /* an empty block is two NULs */
        block[o++] = '\0';
        free(sorted);
        *ret = block;
        *ret_size = o;
        return 0;
}

int bw_win_runner_exec(const struct bw_win_ops *ops, const struct bw_win_run_request *rq, uint32_t *ret_code, char *err,
                       size_t err_size) {
        bw_win_handle own = 0, restricted = 0, job = 0, proc = 0, thread = 0;
        char *cmdline = NULL, *block = NULL, **advisory = NULL;
        struct bw_win_sid *sids = NULL;
        size_t block_n;
        int r;

        if (bw_win_is_batch(rq->application)) {
                for (size_t i = 1; rq->argv[i]; i++)
                        if (!bw_win_batch_arg_safe(rq->argv[i])) {
                                snprintf(err, err_size,
                                         "%s is a batch file and argument %zu has a character cmd.exe would interpret "
                                         "(\" %% ^ & | < > !): run it through cmd /c yourself if that is intended",
                                         rq->application, i);
                                return -EINVAL;
                        }
        }
        r = bw_win_cmdline_quote(rq->argv, &cmdline);
        if (r < 0) {
                snprintf(err, err_size, "the command cannot be passed to CreateProcess (a '\"' in the program name?)");
                return r;
        }
        const char *const *env = rq->env;
        if (!rq->elevated && rq->network_off) {
                if (!rq->denybin) {
                        snprintf(err, err_size, "an unelevated offline run needs the denybin directory");
                        r = -EINVAL;
                        goto out;
                }
                if ((r = bw_win_advisory_env(rq->env, rq->denybin, &advisory)) < 0)
                        goto out;
                env = (const char *const *) advisory;
        }
        if ((r = bw_win_env_block(env, &block, &block_n)) < 0)
                goto out;
        if ((r = ops->own_token(ops->ctx, &own, err, err_size)) < 0)
                goto out;
        struct bw_win_sid logon;
        if ((r = ops->token_logon_sid(ops->ctx, own, &logon, err, err_size)) < 0)
                goto out;
        sids = calloc(2 + rq->n_roots, sizeof(*sids));
        if (!sids) {
                r = -ENOMEM;
                goto out;
        }
        bw_win_restricting_sids(&logon, rq->root_sids, rq->n_roots, sids);
        r = ops->restricted_token(ops->ctx, own,
                                  BW_WIN_DISABLE_MAX_PRIVILEGE | BW_WIN_LUA_TOKEN | BW_WIN_WRITE_RESTRICTED, sids,
                                  2 + rq->n_roots, &restricted, err, err_size);
        if (r < 0)
                goto out;
        /* The job first, the process suspended: no instruction of the command runs outside it. */
        if ((r = ops->job_create(ops->ctx, &job, err, err_size)) < 0)
                goto out;
        struct bw_win_process_spec spec = {.application = rq->application,
                                           .command_line = cmdline,
                                           .environment = block,
                                           .directory = rq->directory,
                                           .suspended = true};
        if ((r = ops->create_process_as_user(ops->ctx, restricted, &spec, &proc, &thread, err, err_size)) < 0)
                goto out;
        if ((r = ops->job_assign(ops->ctx, job, proc, err, err_size)) < 0) {
                ops->terminate_process(ops->ctx, proc, 125);
                goto out;
        }
        if ((r = ops->resume_thread(ops->ctx, thread, err, err_size)) < 0) {
                ops->terminate_process(ops->ctx, proc, 125);
                goto out;
        }
        r = ops->wait_process(ops->ctx, proc, ret_code, err, err_size);
out:
        /* Closing the job's last handle kills whatever the command left running. */
        if (thread)
                ops->close_handle(ops->ctx, thread);
        if (proc)
                ops->close_handle(ops->ctx, proc);
        if (job)
                ops->close_handle(ops->ctx, job);
        if (restricted)
                ops->close_handle(ops->ctx, restricted);
        if (own)
                ops->close_handle(ops->ctx, own);
        free(sids);
        free(block);
        free(cmdline);
        bw_win_argv_free(advisory);
        return r;
}

int bw_win_front_start_runner(const struct bw_win_ops *ops, const char *user, const uint8_t *secret, size_t secret_n,
                              const char *const *runner_argv, const char *runner_path, uint32_t *ret_code, char *err,
                              size_t err_size) {
        uint8_t *pw = NULL;
        size_t pw_n = 0;
        char *cmdline = NULL, *password = NULL;
        bw_win_handle proc = 0, thread = 0;
        int r = ops->unprotect(ops->ctx, secret, secret_n, &pw, &pw_n);
        if (r < 0) {
                snprintf(err, err_size, "the password of %s could not be unprotected (DPAPI): apply again to reset it",
                         user);
                return r;
        }
        password = calloc(1, pw_n + 1);
        if (!password) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(password, pw, pw_n);
        if ((r = bw_win_cmdline_quote(runner_argv, &cmdline)) < 0)
                goto out;
        struct bw_win_process_spec spec = {.application = runner_path, .command_line = cmdline};
        if ((r = ops->create_process_with_logon(ops->ctx, user, password, &spec, &proc, &thread, err, err_size)) < 0)
                goto out;
        r = ops->wait_process(ops->ctx, proc, ret_code, err, err_size);
out:
        if (thread)
                ops->close_handle(ops->ctx, thread);
        if (proc)
                ops->close_handle(ops->ctx, proc);
        if (password)
                memset(password, 0, pw_n);
        if (pw)
                memset(pw, 0, pw_n);
        free(password);
        free(pw);
        free(cmdline);
        return r;
}
