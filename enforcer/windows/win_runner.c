/* SPDX-License-Identifier: MIT */
/*
 * bulwark run and bulwark-runner.exe on Windows (win_runner.h): pure, over win_ops.h. Every
 * message a user may see names the file or account concerned, what is wrong and what to do.
 */
#include "win_runner.h"
#include "env_policy.h"
#include "plan_limits.h"
#include "sha256.h"
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

const char *const bw_win_denybin_names[] = {"ssh.cmd", "scp.cmd", "sftp.cmd", NULL};

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
        /* Windows variable names are case-insensitive: http_proxy and HTTP_PROXY are one to
         * Windows, and both are replaced. */
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
        /* Both cases: a program of the MSYS or Cygwin runtime (git's curl, ssh) reads its
         * environment case-sensitively, and curl looks for http_proxy in lower case only. */
        if (r == 0 &&
            (asprintf(&out[o++], "HTTP_PROXY=%s", dead) < 0 || asprintf(&out[o++], "HTTPS_PROXY=%s", dead) < 0 ||
             asprintf(&out[o++], "ALL_PROXY=%s", dead) < 0 || asprintf(&out[o++], "http_proxy=%s", dead) < 0 ||
             asprintf(&out[o++], "https_proxy=%s", dead) < 0 || asprintf(&out[o++], "all_proxy=%s", dead) < 0 ||
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
        struct bw_win_sid *sids = NULL, *disable = NULL;
        struct bw_win_token_group *groups = NULL;
        size_t block_n, n_groups = 0;
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
        /* A logon token carries every group its user is in: the read group of each of the user's
         * installations. Only this installation's may grant anything in this run. */
        if ((r = ops->token_groups(ops->ctx, own, rq->read_group, &groups, &n_groups, err, err_size)) < 0)
                goto out;
        disable = calloc(n_groups + 1, sizeof(*disable));
        if (!disable) {
                r = -ENOMEM;
                goto out;
        }
        size_t n_disable = bw_win_groups_to_disable(groups, n_groups, rq->read_group, disable);
        /* An elevated administrator's own token (an unelevated installation's run from an
         * elevated prompt) would let the command read what only administrators may (the state's
         * secrets): Administrators deny-only too, where the token has it. */
        for (size_t i = 0; i < n_groups; i++)
                if (bw_win_sid_equal(&groups[i].sid, &bw_win_sid_admins))
                        disable[n_disable++] = bw_win_sid_admins;
        /* What the command makes without inherited entries (its pipes, events, its own process
         * object) must pass the restricted check too: a default DACL whose entries name SIDs of the
         * restricting list (the logon session) besides the user and SYSTEM. */
        struct bw_win_sid user, dacl[3];
        if ((r = ops->token_user(ops->ctx, own, &user, err, err_size)) < 0)
                goto out;
        dacl[0] = bw_win_sid_system;
        dacl[1] = user;
        dacl[2] = logon;
        struct bw_win_token_restriction spec_token = {.flags = BW_WIN_DISABLE_MAX_PRIVILEGE | BW_WIN_LUA_TOKEN |
                                                               BW_WIN_WRITE_RESTRICTED,
                                                      .disable = disable,
                                                      .n_disable = n_disable,
                                                      .restrict_sids = sids,
                                                      .n_restrict = 2 + rq->n_roots,
                                                      .default_dacl = dacl,
                                                      .n_default_dacl = 3};
        if ((r = ops->restrict_token(ops->ctx, own, &spec_token, &restricted, err, err_size)) < 0)
                goto out;
        /* The job first, the process suspended: no instruction of the command runs outside it. */
        if ((r = ops->job_create_limited(ops->ctx, &rq->limits, &job, err, err_size)) < 0)
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
        free(disable);
        free(groups);
        free(block);
        free(cmdline);
        bw_win_argv_free(advisory);
        return r;
}

/* ---- finding the program ---- */

static bool try_file(const char *dir, size_t dir_n, const char *name, const char *ext, size_t ext_n,
                     bool (*exists)(void *ctx, const char *file), void *ctx, char **ret) {
        char *f = NULL;
        const char *sep = dir_n && dir[dir_n - 1] != '\\' && dir[dir_n - 1] != '/' ? "\\" : "";
        if (asprintf(&f, "%.*s%s%s%.*s", (int) dir_n, dir, sep, name, (int) ext_n, ext) < 0)
                return false;
        if (exists(ctx, f)) {
                *ret = f;
                return true;
        }
        free(f);
        return false;
}

/* Each candidate of name in one directory (dir_n 0: the name as it is). */
static bool try_dir(const char *dir, size_t dir_n, const char *name, const char *pathext,
                    bool (*exists)(void *ctx, const char *file), void *ctx, char **ret) {
        const char *base = name;
        for (const char *c = name; *c; c++)
                if (*c == '\\' || *c == '/' || *c == ':')
                        base = c + 1;
        if (strchr(base, '.') && try_file(dir, dir_n, name, "", 0, exists, ctx, ret))
                return true;
        for (const char *e = pathext; *e;) {
                size_t len = strcspn(e, ";");
                if (len && try_file(dir, dir_n, name, e, len, exists, ctx, ret))
                        return true;
                e += len + (e[len] == ';');
        }
        return false;
}

int bw_win_find_program(const char *program, const char *path, const char *pathext,
                        bool (*exists)(void *ctx, const char *file), void *ctx, char **ret) {
        if (!program || !*program || !exists)
                return -ENOENT;
        if (!pathext || !*pathext)
                pathext = ".COM;.EXE;.BAT;.CMD";
        if (strpbrk(program, "\\/:"))
                return try_dir("", 0, program, pathext, exists, ctx, ret) ? 0 : -ENOENT;
        for (const char *d = path; d && *d;) {
                size_t len = strcspn(d, ";");
                if (len && try_dir(d, len, program, pathext, exists, ctx, ret))
                        return 0;
                d += len + (d[len] == ';');
        }
        return -ENOENT;
}

/* ---- the token's groups ---- */

size_t bw_win_groups_to_disable(const struct bw_win_token_group *groups, size_t n, const struct bw_win_sid *keep,
                                struct bw_win_sid *ret) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                /* bind.c names an installation's read group bw-r-ID */
                if (strlen(groups[i].name) < 5 || !bw_win_name_equal(groups[i].name, 5, "bw-r-", 5))
                        continue;
                if (keep && bw_win_sid_equal(&groups[i].sid, keep))
                        continue;
                ret[k++] = groups[i].sid;
        }
        return k;
}

/* ---- the installation ---- */

void bw_win_install_id(const char *plan_path, char id[17]) {
        uint8_t d[32];
        bw_sha256(plan_path, strlen(plan_path), d);
        bw_hex(d, 8, id);
}

void bw_win_run_install_done(struct bw_win_run_install *ri) {
        bw_win_install_done(&ri->rec);
        free(ri->plan_bytes);
        memset(ri, 0, sizeof(*ri));
}

static bool id_valid(const char *id) {
        return id && strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

int bw_win_run_load(const struct bw_win_ops *ops, const char *state_dir, const char *id, struct bw_win_run_install *ri,
                    char *err, size_t err_size) {
        memset(ri, 0, sizeof(*ri));
        if (!id_valid(id)) {
                snprintf(err, err_size, "\"%s\" is not an installation ID (16 hexadecimal digits)", id ? id : "");
                return -EINVAL;
        }
        snprintf(ri->id, sizeof(ri->id), "%s", id);
        snprintf(ri->record_path, sizeof(ri->record_path), "%s\\installs\\%s\\windows", state_dir, id);
        uint8_t *text = NULL;
        size_t n = 0;
        char why[512] = "";
        int r = ops->read_file(ops->ctx, ri->record_path, &text, &n, why, sizeof(why));
        if (r == -ENOENT) {
                snprintf(err, err_size, "%s does not exist: no plan is installed as %s", ri->record_path, id);
                return r;
        }
        if (r < 0) {
                snprintf(err, err_size, "cannot read %s (%s): nothing was started", ri->record_path,
                         why[0] ? why : strerror(-r));
                return r;
        }
        char *z = realloc(text, n + 1);
        if (!z) {
                free(text);
                return -ENOMEM;
        }
        z[n] = 0;
        r = strlen(z) == n ? bw_win_install_decode(z, &ri->rec) : -EBADMSG;
        free(z);
        if (r == 0 && !bw_streq(ri->rec.id, id))
                r = -EBADMSG; /* a record copied under another installation's name */
        if (r < 0) {
                snprintf(err, err_size,
                         "%s is damaged (a line bulwark does not write: a malformed SID or account, a missing key, a "
                         "cut file): nothing was started; revert %s and apply the plan again (from an elevated prompt "
                         "for the "
                         "machine's installation)",
                         ri->record_path, id);
                bw_win_install_done(&ri->rec);
                return r == -ENOMEM ? r : -EBADMSG;
        }
        char plan_path[1100];
        snprintf(plan_path, sizeof(plan_path), "%s\\installs\\%s\\plan", state_dir, id);
        r = ops->read_file(ops->ctx, plan_path, &ri->plan_bytes, &ri->plan_n, why, sizeof(why));
        struct bw_plan_error perr = {0};
        if (r == 0 && (r = bw_plan_parse(ri->plan_bytes, ri->plan_n, 0, &ri->plan, &perr)) < 0)
                snprintf(err, err_size,
                         "%s is not a valid plan (at byte %llu: %s): nothing was started; apply the plan "
                         "again (from an elevated prompt for the machine's installation)",
                         plan_path, (unsigned long long) perr.offset, perr.message);
        else if (r < 0)
                snprintf(err, err_size,
                         "cannot read %s (%s): nothing was started; apply the plan again "
                         "(from an elevated prompt for the machine's installation)",
                         plan_path, why[0] ? why : strerror(-r));
        if (r < 0) {
                bw_win_run_install_done(ri);
                return r == -ENOENT ? -EBADMSG : r; /* a record without its plan: an incomplete installation */
        }
        return 0;
}

/* The workspace= line of installs\ID\bindings (the engine's install_bindings.h), or NULL. */
static char *bindings_workspace(const struct bw_win_ops *ops, const char *state_dir, const char *id) {
        char p[1100];
        uint8_t *text = NULL;
        size_t n = 0;
        snprintf(p, sizeof(p), "%s\\installs\\%s\\bindings", state_dir, id);
        if (ops->read_file(ops->ctx, p, &text, &n, NULL, 0) < 0)
                return NULL;
        char *ws = NULL;
        const char *t = (const char *) text, *end = t + n;
        while (t < end && !ws) {
                const char *nl = memchr(t, '\n', (size_t) (end - t));
                size_t len = (size_t) ((nl ? nl : end) - t);
                if (len > 10 && memcmp(t, "workspace=", 10) == 0 && !memchr(t, 0, len))
                        ws = strndup(t + 10, len - 10);
                t += len + 1;
        }
        free(text);
        return ws;
}

/* Windows names a directory in any case (C:\users\ANN\repo is C:\Users\ann\repo), and the
 * engine names an installation after its workspace as it was given: when the ID of no directory
 * above plan_dir names an installation, the installations' own workspaces are compared with
 * plan_dir without case, the deepest that holds it winning. */
static int find_by_bindings(const struct bw_win_ops *ops, const char *state_dir, const char *plan_dir,
                            struct bw_win_run_install *ri, char *err, size_t err_size) {
        char native[1100], *installs = NULL, best[17] = "";
        const char *why = NULL;
        size_t best_len = 0, n = 0;
        struct bw_win_dirent *ents = NULL;
        snprintf(native, sizeof(native), "%s\\installs", state_dir);
        if (bw_win_path_to_plan(native, &installs, &why) < 0 ||
            ops->list_dir(ops->ctx, installs, &ents, &n, NULL, 0) < 0) {
                free(installs);
                return -ENOENT;
        }
        free(installs);
        for (size_t i = 0; i < n; i++) {
                if (!ents[i].directory || ents[i].reparse || !id_valid(ents[i].name))
                        continue;
                char *ws = bindings_workspace(ops, state_dir, ents[i].name);
                if (ws && bw_win_path_within(plan_dir, ws) && strlen(ws) > best_len) {
                        best_len = strlen(ws);
                        memcpy(best, ents[i].name, 17); /* id_valid: 16 digits and the NUL */
                }
                free(ws);
        }
        free(ents);
        return best[0] ? bw_win_run_load(ops, state_dir, best, ri, err, err_size) : -ENOENT;
}

int bw_win_run_find(const struct bw_win_ops *ops, const char *state_dir, const char *plan_dir,
                    struct bw_win_run_install *ri, char *err, size_t err_size) {
        size_t len = strlen(plan_dir);
        char *path = strdup(plan_dir);
        if (!path)
                return -ENOMEM;
        int r = -ENOENT;
        for (;;) {
                char id[17];
                bw_win_install_id(path, id);
                r = bw_win_run_load(ops, state_dir, id, ri, err, err_size);
                if (r != -ENOENT)
                        break;
                char *slash = strrchr(path, '/');
                if (!slash || slash == path)
                        break; /* the drive itself (/c) was the last */
                *slash = 0;
        }
        free(path);
        if (r == -ENOENT)
                r = find_by_bindings(ops, state_dir, plan_dir, ri, err, err_size);
        if (r == -ENOENT)
                snprintf(err, err_size,
                         "no plan is installed for %.*s or a directory above it (%s\\installs has none): nothing "
                         "was started. On Windows a run needs an installed plan: bulwark apply PLAN --workspace DIR "
                         "(from an elevated prompt: the machine's installation; otherwise: a per-user one, whose "
                         "network limits are advisory)",
                         (int) len, plan_dir, state_dir);
        return r;
}

int bw_win_run_mode(const struct bw_win_run_install *ri, bool network, struct bw_win_run_mode *ret, char *err,
                    size_t err_size) {
        const struct bw_plan *p = &ri->plan;
        memset(ret, 0, sizeof(*ret));
        for (uint32_t i = 0; i < p->n_tokens && !ret->token; i++)
                if (p->tokens[i].network == (network ? BW_NETWORK_ON : BW_NETWORK_OFF))
                        ret->token = &p->tokens[i];
        if (!ret->token) {
                snprintf(err, err_size,
                         network ? "--network: the plan installed as %s does not allow network access (its policy "
                                   "says network: off): nothing was started"
                                 : "the plan installed as %s has no offline token spec: nothing was started",
                         ri->id);
                return -EPERM;
        }
        ret->network = network;
        uint32_t role = p->principals[ret->token->principal].role;
        if (role == BW_ROLE_OFFLINE || role == BW_ROLE_ONLINE) {
                bool on = role == BW_ROLE_ONLINE;
                ret->account = on ? ri->rec.online : ri->rec.offline;
                ret->account_sid = on ? &ri->rec.online_sid : &ri->rec.offline_sid;
        }
        /* An installation that names no sandbox user for the token (none was made for it) runs as
         * its real user: unelevated. */
        ret->elevated = ret->account && ret->account[0];
        if (!ret->elevated) {
                ret->account = NULL;
                ret->account_sid = NULL;
        }
        return 0;
}

/* ---- the front ---- */

int bw_win_front_exec(const struct bw_win_ops *ops, const struct bw_win_front_request *rq, uint32_t *ret_code,
                      char *err, size_t err_size) {
        struct bw_win_run_install ri;
        struct bw_win_run_mode mode;
        uint8_t *blob = NULL, *pw = NULL;
        size_t blob_n = 0, pw_n = 0;
        char *password = NULL, *cmdline = NULL, secret[1100] = "", why[512] = "";
        const char **argv = NULL;
        bw_win_handle proc = 0, thread = 0, job = 0;
        bool per_user = false;
        /* The directory as Windows stores it (its case, through a junction): where apply named
         * the installation after the workspace (backend_windows.c's plan_path). A directory whose
         * final path cannot be read is looked up as given. */
        char *canon = NULL;
        const char *canon_why = NULL;
        if (ops->final_path && bw_win_path_canonical(ops, rq->plan_dir, true, &canon, &canon_why) < 0)
                canon = NULL;
        const char *plan_dir = canon ? canon : rq->plan_dir;
        int r = bw_win_run_find(ops, rq->state_dir, plan_dir, &ri, err, err_size);
        if (r == -ENOENT && rq->user_state_dir) {
                /* no machine installation: the caller's per-user one, if any */
                char why2[1024] = "";
                r = bw_win_run_find(ops, rq->user_state_dir, plan_dir, &ri, why2, sizeof(why2));
                if (r == -ENOENT)
                        snprintf(err, err_size,
                                 "no plan is installed for %s or a directory above it (neither %s\\installs nor "
                                 "%s\\installs has one): nothing was started. On Windows a run needs an installed "
                                 "plan: bulwark apply PLAN --workspace DIR (from an elevated prompt: the machine's "
                                 "installation, enforced with sandbox accounts and a firewall rule; otherwise: a "
                                 "per-user one, whose network limits are advisory)",
                                 plan_dir, rq->state_dir, rq->user_state_dir);
                else if (r < 0)
                        snprintf(err, err_size, "%s", why2);
                per_user = r == 0;
        } else if (r == 0 && rq->user_state_dir && rq->verbose && rq->say) {
                struct bw_win_run_install u;
                char why2[1024], line[1400];
                if (bw_win_run_find(ops, rq->user_state_dir, plan_dir, &u, why2, sizeof(why2)) == 0) {
                        snprintf(line, sizeof(line),
                                 "the machine's installation %s (%s) is used; your per-user installation %s (%s) is "
                                 "left aside while the machine's exists",
                                 ri.id, rq->state_dir, u.id, rq->user_state_dir);
                        rq->say(rq->say_ctx, line);
                        bw_win_run_install_done(&u);
                }
        }
        free(canon);
        if (r < 0)
                return r;
        if (per_user != ri.rec.per_user) {
                snprintf(err, err_size,
                         per_user ? "%s is not a per-user installation's record (no mode=user) but lies in your "
                                    "per-user state directory: nothing was started; revert it (bulwark revert) and "
                                    "apply again"
                                  : "%s is a per-user installation's record (mode=user) in the machine's state "
                                    "directory: nothing was started; revert it from an elevated prompt",
                         ri.record_path);
                r = -EBADMSG;
                goto out;
        }
        if (!rq->caller || !bw_win_name_equal(ri.rec.user, strlen(ri.rec.user), rq->caller, strlen(rq->caller))) {
                snprintf(err, err_size,
                         "the plan installed for this directory (%s) is %s's, not yours (%s): nothing was started; "
                         "run as %s, or have an administrator apply a plan for you",
                         ri.id, ri.rec.user, rq->caller ? rq->caller : "unknown", ri.rec.user);
                r = -EPERM;
                goto out;
        }
        if ((r = bw_win_run_mode(&ri, rq->network, &mode, err, err_size)) < 0)
                goto out;
        size_t n_cmd = 0;
        while (rq->cmd[n_cmd])
                n_cmd++;
        argv = calloc(n_cmd + 8, sizeof(*argv));
        if (!argv) {
                r = -ENOMEM;
                goto out;
        }
        size_t k = 0;
        argv[k++] = rq->runner;
        argv[k++] = "--install";
        argv[k++] = ri.id;
        if (per_user)
                argv[k++] = "--per-user";
        if (rq->network)
                argv[k++] = "--network";
        if (rq->verbose)
                argv[k++] = "--verbose";
        argv[k++] = "--";
        for (size_t i = 0; i < n_cmd; i++)
                argv[k++] = rq->cmd[i];
        if ((r = bw_win_cmdline_quote(argv, &cmdline)) < 0) {
                snprintf(err, err_size, "cannot quote the runner's command line (a '\"' in %s?)", rq->runner);
                goto out;
        }
        /* The runner in a job of the front's that kills it if the front ends first (Ctrl+C, a
         * closed console): the runner's own job then closes and takes the command with it. */
        struct bw_win_job_limits none = {0};
        if ((r = ops->job_create_limited(ops->ctx, &none, &job, err, err_size)) < 0)
                goto out;
        struct bw_win_process_spec spec = {.application = rq->runner,
                                           .command_line = cmdline,
                                           .environment = rq->environment,
                                           .directory = rq->directory,
                                           .suspended = true};
        if (!mode.elevated) {
                r = ops->create_process(ops->ctx, &spec, &proc, &thread, why, sizeof(why));
                if (r < 0)
                        snprintf(err, err_size, "cannot start %s (%s): nothing was started", rq->runner, why);
        } else {
                /* The sandbox user's password: a DPAPI blob (machine scope) that only SYSTEM,
                 * Administrators and the installation's real user may read. */
                snprintf(secret, sizeof(secret), "%s\\secrets\\%s", rq->state_dir, mode.account);
                r = ops->read_file(ops->ctx, secret, &blob, &blob_n, why, sizeof(why));
                if (r == -ENOENT) {
                        snprintf(err, err_size,
                                 "%s is missing (the password of %s, the installation's sandbox user): nothing was "
                                 "started; as an administrator, apply the plan again (bulwark apply --installed %s) "
                                 "to set a new one",
                                 secret, mode.account, ri.id);
                        goto out;
                }
                if (r == -EACCES) {
                        snprintf(err, err_size,
                                 "cannot read %s (access denied): only SYSTEM, Administrators and the installation's "
                                 "user (%s) may read it: nothing was started; run as %s",
                                 secret, ri.rec.user, ri.rec.user);
                        goto out;
                }
                if (r < 0) {
                        snprintf(err, err_size, "cannot read %s (%s): nothing was started", secret,
                                 why[0] ? why : strerror(-r));
                        goto out;
                }
                r = ops->unprotect(ops->ctx, blob, blob_n, &pw, &pw_n);
                if (r == 0 && (pw_n == 0 || memchr(pw, 0, pw_n)))
                        r = -EBADMSG;
                if (r < 0) {
                        snprintf(err, err_size,
                                 "%s cannot be decrypted (DPAPI: damaged, or made on another machine): nothing was "
                                 "started; as an administrator, apply the plan again (bulwark apply --installed %s) "
                                 "to set a new password for %s",
                                 secret, ri.id, mode.account);
                        r = -EBADMSG;
                        goto out;
                }
                password = calloc(1, pw_n + 1);
                if (!password) {
                        r = -ENOMEM;
                        goto out;
                }
                memcpy(password, pw, pw_n);
                r = ops->create_process_with_logon(ops->ctx, mode.account, password, &spec, &proc, &thread, why,
                                                   sizeof(why));
                if (r == -EACCES)
                        snprintf(err, err_size,
                                 "%s may not run %s (%s): nothing was started; install bulwark where every user may "
                                 "run it (C:\\Program Files\\bulwark), not in a private directory",
                                 mode.account, rq->runner, why);
                else if (r < 0)
                        snprintf(err, err_size,
                                 "cannot start %s as %s (%s): nothing was started; if the password was changed, "
                                 "apply the plan again as an administrator (bulwark apply --installed %s)",
                                 rq->runner, mode.account, why, ri.id);
        }
        if (r == 0 && ((r = ops->job_assign(ops->ctx, job, proc, why, sizeof(why))) < 0 ||
                       (r = ops->resume_thread(ops->ctx, thread, why, sizeof(why))) < 0)) {
                ops->terminate_process(ops->ctx, proc, 125);
                snprintf(err, err_size, "cannot start %s in a job (%s): nothing was run", rq->runner, why);
        }
        if (r == 0 && (r = ops->wait_process(ops->ctx, proc, ret_code, why, sizeof(why))) < 0)
                snprintf(err, err_size, "waiting for %s: %s", rq->runner, why);
out:
        if (job)
                ops->close_handle(ops->ctx, job);
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
        free(blob);
        free(cmdline);
        free(argv);
        bw_win_run_install_done(&ri);
        return r;
}

/* ---- the runner ---- */

int bw_win_run_env(const struct bw_plan *p, const char *const *env, bool offline, char ***ret) {
        size_t n = 0;
        while (env && env[n])
                n++;
        uint32_t n_set = bw_env_set_count(p);
        char **out = calloc(n + n_set + 2, sizeof(char *));
        if (!out)
                return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                size_t len = strcspn(env[i], "=");
                if (len == 0 || !env[i][len] || name_is(env[i], "BULWARK_SANDBOX"))
                        continue;
                enum bw_env_verdict v = bw_env_decide(p, env[i], len);
                /* Windows' names are one whatever their case (Github_Token is GITHUB_TOKEN to
                 * every program that asks): a name the rules would drop in upper case is dropped,
                 * unless the policy passes it as written */
                char upper[256];
                if (bw_env_keeps(v) && v != BW_ENV_KEEP_PASS && len < sizeof(upper)) {
                        for (size_t c = 0; c < len; c++)
                                upper[c] = env[i][c] >= 'a' && env[i][c] <= 'z' ? (char) (env[i][c] - 32) : env[i][c];
                        upper[len] = 0;
                        v = bw_env_decide(p, upper, len);
                }
                if (!bw_env_keeps(v))
                        continue;
                /* a URL with a password is a credential whatever its name, unless the policy passes it */
                if (v != BW_ENV_KEEP_PASS && bw_env_value_has_password(env[i] + len + 1))
                        continue;
                /* a name the plan sets, in another case (Windows' names are one whatever the case) */
                bool set = false;
                for (uint32_t s = 0; s < n_set && !set; s++) {
                        const char *name, *value;
                        set = bw_env_set_entry(p, s, &name, &value) && name_is(env[i], name);
                }
                if (!set && !(out[k++] = strdup(env[i])))
                        goto nomem;
        }
        for (uint32_t s = 0; s < n_set; s++) {
                const char *name, *value;
                if (bw_env_set_entry(p, s, &name, &value) && asprintf(&out[k++], "%s=%s", name, value) < 0)
                        goto nomem;
        }
        /* the marker Linux's runner sets too */
        if (!(out[k++] = strdup(offline ? "BULWARK_SANDBOX=offline" : "BULWARK_SANDBOX=online")))
                goto nomem;
        *ret = out;
        return 0;
nomem:
        out[--k] = NULL; /* the entry that failed holds nothing to free */
        bw_win_argv_free(out);
        return -ENOMEM;
}

int bw_win_runner_run(const struct bw_win_ops *ops, const struct bw_win_runner_request *rq, uint32_t *ret_code,
                      struct bw_win_runner_report *rep, char *err, size_t err_size) {
        struct bw_win_run_install ri;
        struct bw_win_run_mode mode;
        struct bw_win_sid *roots = NULL, me, want;
        char **env = NULL, *found = NULL, *denybin = NULL;
        bw_win_handle own = 0;
        memset(rep, 0, sizeof(*rep));
        int r = bw_win_run_load(ops, rq->state_dir, rq->install_id, &ri, err, err_size);
        if (r < 0)
                return r;
        if (rq->per_user != ri.rec.per_user) {
                snprintf(err, err_size,
                         rq->per_user ? "%s is not a per-user installation's record: nothing was started"
                                      : "%s is a per-user installation's record, in the machine's state directory: "
                                        "nothing was started",
                         ri.record_path);
                r = -EBADMSG;
                goto out;
        }
        if ((r = bw_win_run_mode(&ri, rq->network, &mode, err, err_size)) < 0)
                goto out;
        /* Who this runner is must be who the installation says runs it: the root SIDs go only into
         * a token of that account. */
        if ((r = ops->own_token(ops->ctx, &own, err, err_size)) < 0 ||
            (r = ops->token_user(ops->ctx, own, &me, err, err_size)) < 0)
                goto out;
        if (mode.elevated)
                want = *mode.account_sid;
        else if ((r = ops->account_sid(ops->ctx, ri.rec.user, &want, NULL, 0)) < 0) {
                snprintf(err, err_size, "the installation's user %s cannot be looked up (%s): nothing was started",
                         ri.rec.user, strerror(-r));
                goto out;
        }
        if (!bw_win_sid_equal(&me, &want)) {
                char a[BW_WIN_SID_STRING_MAX], b[BW_WIN_SID_STRING_MAX];
                bw_win_sid_to_string(&me, a);
                bw_win_sid_to_string(&want, b);
                snprintf(err, err_size,
                         "bulwark-runner.exe runs as %s, but installation %s is run by %s (%s): nothing was started; "
                         "start commands with `bulwark run`",
                         a, ri.id, mode.elevated ? mode.account : ri.rec.user, b);
                r = -EPERM;
                goto out;
        }
        roots = calloc(ri.rec.n_roots ? ri.rec.n_roots : 1, sizeof(*roots));
        if (!roots) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < ri.rec.n_roots; i++)
                roots[i] = ri.rec.roots[i].sid;
        if ((r = bw_win_run_env(&ri.plan, rq->env, !mode.network, &env)) < 0)
                goto out;
        /* The program, on the command's own PATH: an unelevated offline run's has the ssh/scp/sftp
         * stubs first, so `bulwark run -- ssh host` meets them too. */
        if (!mode.elevated && !mode.network && rq->denybin)
                denybin = rq->denybin();
        const char *application = rq->application;
        if (!application) {
                char **look = NULL;
                if (denybin && (r = bw_win_advisory_env((const char *const *) env, denybin, &look)) < 0)
                        goto out;
                const char *const *e = look ? (const char *const *) look : (const char *const *) env;
                r = bw_win_find_program(rq->argv[0], value_of(e, "PATH"), value_of(e, "PATHEXT"), rq->exists,
                                        rq->exists_ctx, &found);
                bw_win_argv_free(look);
                if (r < 0) {
                        rep->not_found = r == -ENOENT;
                        snprintf(err, err_size, "%s: not found on the command's PATH", rq->argv[0]);
                        goto out;
                }
                application = found;
        }
        struct bw_limits lim;
        bw_plan_limits(&ri.plan, &lim);
        struct bw_win_run_request run = {
                .read_group = &ri.rec.group_sid,
                .limits = {.processes = lim.processes, .memory = lim.memory, .cpu_millis = lim.cpu_millis},
                .application = application,
                .argv = rq->argv,
                .env = (const char *const *) env,
                .directory = rq->directory,
                .root_sids = roots,
                .n_roots = ri.rec.n_roots,
                .elevated = mode.elevated,
                .network_off = !mode.network,
                .denybin = denybin};
        rep->elevated = mode.elevated;
        rep->network = mode.network;
        rep->n_roots = ri.rec.n_roots;
        rep->account = mode.account;
        if (rq->before)
                rq->before(rq->before_ctx, rep);
        r = bw_win_runner_exec(ops, &run, ret_code, err, err_size);
        rep->account = NULL; /* it pointed into the record, freed below */
out:
        if (own)
                ops->close_handle(ops->ctx, own);
        free(roots);
        free(found);
        free(denybin);
        bw_win_argv_free(env);
        bw_win_run_install_done(&ri);
        return r;
}
