/* SPDX-License-Identifier: MIT */
/*
 * The operations of bw_backend_windows that act through win_ops.h (backend_windows.h): the
 * principals' names and lookup; the plan's access entries (targets_converge: bw_win_translate and
 * bw_win_apply_targets, each DACL journaled by the engine before it is written, and the
 * installation's record installs/ID/windows) and acl_restore; and the operations not implemented
 * on Windows yet, each failing with -ENOTSUP and a sentence naming it. Pure (no Win32 call): the
 * native build runs the engine over them with the recording fake
 * (tests/windows/engine_windows_fake.c); bulwark.exe over the real table (main_windows.c calls
 * bw_winbe_use_ops).
 */
#include "backend_windows.h"

#include "journal.h"
#include "strbuf.h"
#include "util.h"
#include "win_backend.h"
#include "win_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void learn_machine_sid(const struct bw_win_sid *account);
static size_t others_read(int state_fd, const char *skip_id, struct bw_win_install **ret);

static const struct bw_win_ops *cur_ops;
/* The state directory's path: each operation opens it for itself (the engine's plan and status
 * open and close state fds of their own, so a remembered fd could name a closed handle). */
static char cur_state_dir[4096];
static bw_winbe_file_sd_fn cur_file_sd;

void bw_winbe_use_ops(const struct bw_win_ops *ops) {
        cur_ops = ops;
}

void bw_winbe_use_state(const char *dir) {
        snprintf(cur_state_dir, sizeof(cur_state_dir), "%s", dir ? dir : "");
}

void bw_winbe_use_file_sd(bw_winbe_file_sd_fn fn) {
        cur_file_sd = fn;
}

static bool cur_per_user;

void bw_winbe_use_per_user(bool per_user) {
        cur_per_user = per_user;
}

bool bw_winbe_per_user(void) {
        return cur_per_user;
}

/* A directory fd of the state directory (close it), or negative errno. */
static int state_dir_open(void) {
        if (!cur_state_dir[0])
                return -EBADF;
        int fd = open(cur_state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        return fd < 0 ? -errno : fd;
}

/* Write rel beneath the state directory durably: a new file renamed over the old one. Before the
 * rename, sd (if not NULL) becomes the new file's DACL (cur_file_sd). */
static int state_file_write(const char *rel, const void *data, size_t n, const uint8_t *sd, size_t sd_n, char *err,
                            size_t err_size) {
        char tmp[320];
        if ((size_t) snprintf(tmp, sizeof(tmp), "%s.new", rel) >= sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int sfd = state_dir_open();
        if (sfd < 0)
                return sfd;
        unlinkat(sfd, tmp, 0);
        int fd = openat(sfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        int r = 0;
        size_t off = 0;
        while (r == 0 && off < n) {
                ssize_t w = write(fd, (const char *) data + off, n - off);
                if (w < 0 && errno != EINTR)
                        r = -errno;
                else if (w > 0)
                        off += (size_t) w;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && sd) {
                if (!cur_file_sd) {
                        snprintf(err, err_size, "no way to set the descriptor of %s (a program error)", rel);
                        r = -ENOTSUP;
                } else
                        r = cur_file_sd(cur_state_dir, tmp, sd, sd_n, err, err_size);
        }
        if (r == 0 && renameat(sfd, tmp, sfd, rel) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(sfd, tmp, 0);
        return r;
}

static const struct bw_win_ops *ops(void) {
        if (!cur_ops)
                abort(); /* bw_winbe_use_ops was not called: a program error, not a host's */
        return cur_ops;
}

#define NOT_YET(what)                                                                                                  \
        "%s is not implemented on Windows yet (issue #13): nothing was changed; this host cannot be enforced "         \
        "by this bulwark.exe",                                                                                         \
                what

static int not_yet(char *err, size_t err_size, const char *what) {
        if (err && err_size)
                snprintf(err, err_size, NOT_YET(what));
        return -ENOTSUP;
}

/* -- principals -- */

int bw_winbe_account_name(uint32_t role, const char *user, char out[33]) {
        char n[BW_WIN_ACCOUNT_MAX + 1];
        int e = bw_win_account_name(role, user, n);
        if (e == 0)
                snprintf(out, 33, "%s", n);
        return e;
}

/* A local account's id: the RID, its SID's last sub-authority. 1 found, 0 absent. */
int bw_winbe_account_rid(const char *name, uint32_t *ret_id, char *comment, size_t comment_size) {
        struct bw_win_sid sid;
        if (!name || !name[0] || ops()->account_sid(ops()->ctx, name, &sid, comment, comment_size) < 0 ||
            sid.n_sub == 0)
                return 0;
        *ret_id = sid.sub[sid.n_sub - 1];
        learn_machine_sid(&sid); /* the firewall's ids back to SIDs (rid_sid) */
        return 1;
}

/* The plan's read group, as the engine bound it (NULL if the plan names none). */
static const char *read_group(const struct bw_plan *p, const char *const names[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++)
                if (p->principals[i].role == BW_ROLE_SANDBOX_GROUP && names[i] && names[i][0])
                        return names[i];
        return NULL;
}

/* Is user i of the plan in its read group? (What cannot be read counts as not.) */
static bool in_read_group(const struct bw_plan *p, const char *const names[32], uint32_t i) {
        const char *g = read_group(p, names);
        return !g || ops()->group_has_member(ops()->ctx, g, names[i], NULL, 0) == 1;
}

void bw_winbe_accounts_lookup(const struct bw_plan *p, const char *const names[32], const char *real_user,
                              struct bw_account_state st[32]) {
        for (uint32_t i = 0; i < p->n_principals && i < 32; i++) {
                char comment[512] = "", want[512] = "";
                uint32_t id;
                st[i] = (struct bw_account_state){.id = -1};
                if (bw_winbe_account_rid(names[i], &id, comment, sizeof(comment)) > 0) {
                        st[i].exists = true;
                        st[i].id = id;
                        st[i].members_ok =
                                p->principals[i].kind != BW_PRINCIPAL_SYSTEM_USER || in_read_group(p, names, i);
                        bw_win_account_comment(p->principals[i].role, real_user, want, sizeof(want));
                        st[i].foreign = !bw_streq(comment, want);
                }
        }
}

int bw_winbe_group_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

int bw_winbe_user_id(const char *name, uint32_t *ret_id) {
        return bw_winbe_account_rid(name, ret_id, NULL, 0);
}

/* secrets/NAME beneath the state directory: a sandbox user's password, DPAPI-protected for the
 * machine (CRYPTPROTECT_LOCAL_MACHINE: any local user could decrypt it, so the directory, made
 * by state_open, is SYSTEM's and Administrators' alone); the elevated front is to read it to
 * start a run as that user (not wired yet: SEAM.md). */
static int secret_path(const char *name, char *out, size_t size) {
        if (!name[0] || strchr(name, '/') || strchr(name, '\\') || name[0] == '.')
                return -EINVAL;
        snprintf(out, size, "secrets/%s", name);
        return 0;
}

/* The descriptor of secrets/NAME: a protected DACL of SYSTEM and Administrators (full control)
 * and the real user the account belongs to (read): bulwark run, unelevated, reads its own
 * accounts' passwords to start the runner as them; Users, the sandbox accounts and other users
 * get nothing (the blob is a DPAPI machine blob: whoever reads the file can decrypt it). No
 * owner in it: the file keeps the one it was created with (an administrator). */
int bw_winbe_secret_sd(const struct bw_win_sid *reader, uint8_t **ret, size_t *ret_n) {
        struct bw_win_sd sd = {.control = BW_SE_DACL_PRESENT | BW_SE_DACL_PROTECTED, .has_dacl = true};
        sd.dacl.revision = 2;
        int r = bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        if (r == 0)
                r = bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        if (r == 0)
                r = bw_win_acl_add(&sd.dacl, BW_ACE_ALLOW, 0, BW_FILE_GENERIC_READ, reader);
        if (r == 0)
                r = bw_win_sd_encode(&sd, ret, ret_n);
        bw_win_sd_done(&sd);
        return r;
}

static int secret_write(const char *name, const char *real_user, const uint8_t *blob, size_t n, char *err,
                        size_t err_size) {
        char p[300];
        int r = secret_path(name, p, sizeof(p));
        if (r < 0)
                return r;
        /* secrets/ is state_open's to make (on Windows with a DACL no user but administrators may
         * read): the new file inherits that until its own DACL is set, before it takes its name */
        struct bw_win_sid reader;
        r = ops()->account_sid(ops()->ctx, real_user, &reader, NULL, 0);
        if (r < 0) {
                snprintf(err, err_size,
                         "cannot look up the account of %s (%s): its sandbox users' passwords would "
                         "not be readable by it",
                         real_user, strerror(-r));
                return r;
        }
        uint8_t *sd = NULL;
        size_t sd_n = 0;
        if ((r = bw_winbe_secret_sd(&reader, &sd, &sd_n)) < 0)
                return r;
        char why[512] = "";
        r = state_file_write(p, blob, n, sd, sd_n, why, sizeof(why));
        free(sd);
        if (r < 0)
                snprintf(err, err_size, "cannot keep the password of %s in the state directory (%s): %s", name, p,
                         why[0] ? why : strerror(-r));
        return r;
}

static void secret_remove(const char *name) {
        char p[300];
        _cleanup_close_ int sfd = state_dir_open();
        if (sfd >= 0 && secret_path(name, p, sizeof(p)) == 0)
                unlinkat(sfd, p, 0);
}

/* A sandbox user (its password made, kept with DPAPI in secrets/NAME first, so that no account of
 * bulwark's exists without one) in the plan's read group, or the read group itself. The engine has
 * journaled the creation: revert removes both (account_remove). */
int bw_winbe_account_create(const struct bw_plan *p, const char *const names[32], uint32_t index, const char *real_user,
                            char *err, size_t err_size) {
        const struct bw_plan_principal *pr = &p->principals[index];
        const char *name = names[index];
        char comment[300];
        bw_win_account_comment(pr->role, real_user, comment, sizeof(comment));
        if (pr->kind == BW_PRINCIPAL_SYSTEM_GROUP)
                return ops()->group_add(ops()->ctx, name, comment, err, err_size);
        if (pr->kind != BW_PRINCIPAL_SYSTEM_USER)
                return not_yet(err, err_size, "creating this kind of principal");
        char pw[25];
        uint8_t *blob = NULL;
        size_t blob_n = 0;
        int r = bw_win_make_password(ops(), pw);
        if (r == 0 && (r = ops()->protect(ops()->ctx, (const uint8_t *) pw, strlen(pw), &blob, &blob_n)) < 0)
                snprintf(err, err_size, "cannot protect the password of %s with DPAPI: %s", name, strerror(-r));
        if (r == 0)
                r = secret_write(name, real_user, blob, blob_n, err, err_size);
        free(blob);
        if (r == 0 && (r = ops()->user_add(ops()->ctx, name, pw, comment, err, err_size)) < 0)
                secret_remove(name);
        memset(pw, 0, sizeof(pw));
        const char *g = read_group(p, names);
        if (r == 0 && g && (r = ops()->group_add_member(ops()->ctx, g, name, err, err_size)) == -EEXIST)
                r = 0;
        return r;
}

int bw_winbe_group_create(const char *name, char *err, size_t err_size) {
        (void) name;
        return not_yet(err, err_size, "creating a group");
}

void bw_winbe_account_missing_groups(const struct bw_plan *p, const char *const names[32], uint32_t index, char *out,
                                     size_t size) {
        const char *g = read_group(p, names);
        snprintf(out, size, "%s", g && !in_read_group(p, names, index) ? g : "");
}

int bw_winbe_account_fix_members(const struct bw_plan *p, const char *const names[32], uint32_t index, char *err,
                                 size_t err_size) {
        const char *g = read_group(p, names);
        if (!g || in_read_group(p, names, index))
                return 0;
        int r = ops()->group_add_member(ops()->ctx, g, names[index], err, err_size);
        return r == -EEXIST ? 0 : r;
}

/* Does the account certainly not exist (LookupAccountName says so; another failure is not taken
 * as absence)? */
static bool account_absent(const char *name) {
        struct bw_win_sid sid;
        return name && name[0] && ops()->account_sid(ops()->ctx, name, &sid, NULL, 0) == -ENOENT;
}

/* Remove a user or group bulwark made (the engine calls this only for creations it journaled), and
 * a user's kept password. An account that does not exist has nothing to remove. */
int bw_winbe_account_remove(bool is_group, const char *name, char *err, size_t err_size) {
        if (account_absent(name)) {
                secret_remove(name);
                return 0;
        }
        int r = is_group ? ops()->group_del(ops()->ctx, name, err, err_size)
                         : ops()->user_del(ops()->ctx, name, err, err_size);
        if (r == -ENOENT)
                r = 0;
        if (r == 0 && !is_group)
                secret_remove(name);
        return r;
}

int bw_winbe_account_leave_group(const char *user, const char *group, char *err, size_t err_size) {
        if (account_absent(user) || account_absent(group))
                return 0; /* no such membership */
        int r = ops()->group_del_member(ops()->ctx, group, user, err, err_size);
        return r == -ENOENT ? 0 : r; /* not a member (any more): nothing to take back */
}

/* -- network filter --
 *
 * One Windows Firewall rule (INetFwRule3) per offline sandbox user, named "bulwark offline SID",
 * blocking every outbound packet of that user (LocalUserAuthorizedList) to anything but loopback.
 * The engine gives the offline users as ids (RIDs); machine SID + RID is the SID. Which rules are
 * bulwark's is kept in the state directory (FW_LIST: their names, written before a rule is
 * added), so a rule of a user no installation has any more is found and removed; nothing else
 * of the machine's firewall is read or touched. */

#define FW_LIST "firewall"
#define FW_PREFIX "bulwark offline "
#define FW_SAVE_HEADER "bulwark windows firewall 1\n"
#define FW_UNKNOWN_ID 4294967294u /* the engine's id of an account that does not exist yet */

/* RID -> SID. The engine knows an account by its RID; the SID is the machine's SID and that RID.
 * Not guessed from whichever account was seen first (on a domain-joined machine the caller is a
 * domain account: its prefix is the domain's, and a rule for "domain SID + RID" would name nobody,
 * leaving the offline user's network on): every SID bw_winbe_account_rid looked up is kept with its
 * RID, and a RID is answered only from those, or from the installations' records (the accounts'
 * exact SIDs); two different SIDs with one RID are refused, never chosen between. */
#define SEEN_MAX 64
static struct bw_win_sid seen_sids[SEEN_MAX];
static size_t n_seen;

static void learn_machine_sid(const struct bw_win_sid *account) {
        static const uint8_t nt[6] = {0, 0, 0, 0, 0, 5};
        /* S-1-5-21-a-b-c-RID: an account of a machine or a domain; well-known SIDs are not */
        if (account->n_sub != 5 || account->sub[0] != 21 || memcmp(account->authority, nt, 6) != 0)
                return;
        for (size_t i = 0; i < n_seen; i++)
                if (bw_win_sid_equal(&seen_sids[i], account))
                        return;
        if (n_seen < SEEN_MAX)
                seen_sids[n_seen++] = *account;
}

/* The one SID of the seen ones with that RID: 0, -ENOENT none, -EEXIST more than one. */
static int seen_sid(uint32_t rid, struct bw_win_sid *ret) {
        int found = 0;
        for (size_t i = 0; i < n_seen; i++)
                if (seen_sids[i].sub[seen_sids[i].n_sub - 1] == rid) {
                        if (found && !bw_win_sid_equal(ret, &seen_sids[i]))
                                return -EEXIST;
                        *ret = seen_sids[i];
                        found = 1;
                }
        return found ? 0 : -ENOENT;
}

/* The SID of the account with id rid: 0, -ENOENT (no such account yet, or never looked up and in
 * no record), -EEXIST (two accounts seen with that RID). */
static int rid_sid(uint32_t rid, struct bw_win_sid *ret) {
        if (rid == FW_UNKNOWN_ID)
                return -ENOENT;
        int r = seen_sid(rid, ret);
        if (r != -ENOENT)
                return r;
        struct bw_win_install *recs = NULL;
        _cleanup_close_ int sfd = state_dir_open();
        size_t n = sfd >= 0 ? others_read(sfd, "", &recs) : 0;
        for (size_t i = 0; i < n; i++) {
                learn_machine_sid(&recs[i].offline_sid);
                learn_machine_sid(&recs[i].online_sid);
                bw_win_install_done(&recs[i]);
        }
        free(recs);
        return seen_sid(rid, ret);
}

/* The rule bulwark wants for the offline user sid. */
static void fw_rule_for(const struct bw_win_sid *sid, struct bw_win_fw_rule *ret) {
        struct bw_win_install in = {.offline_sid = *sid};
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(sid, s);
        bw_win_fw_wanted(&in, ret); /* the SDDL, the addresses, outbound block, every protocol */
        snprintf(ret->name, sizeof(ret->name), FW_PREFIX "%.100s", s);
        snprintf(ret->description, sizeof(ret->description),
                 "bulwark: no network but loopback for the offline sandbox user %s", s);
}

static bool fw_rule_equal(const struct bw_win_fw_rule *a, const struct bw_win_fw_rule *b) {
        return strcmp(a->name, b->name) == 0 && strcmp(a->description, b->description) == 0 &&
               strcmp(a->local_user_sddl, b->local_user_sddl) == 0 &&
               strcmp(a->remote_addresses, b->remote_addresses) == 0 && a->outbound == b->outbound &&
               a->block == b->block && a->protocol == b->protocol && strcmp(a->narrowed, b->narrowed) == 0;
}

/* A list of rule names. */
struct names {
        char (*v)[128];
        size_t n;
};

static void names_done(struct names *l) {
        free(l->v);
        *l = (struct names){0};
}

static bool names_has(const struct names *l, const char *name) {
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i], name) == 0)
                        return true;
        return false;
}

static int names_add(struct names *l, const char *name) {
        if (names_has(l, name))
                return 0;
        void *m = realloc(l->v, (l->n + 1) * sizeof(*l->v));
        if (!m)
                return -ENOMEM;
        l->v = m;
        snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", name);
        return 0;
}

/* The names of bulwark's rules (FW_LIST; none if it does not exist). -EBADMSG: damaged. */
static int fw_list_read(struct names *ret) {
        *ret = (struct names){0};
        _cleanup_close_ int sfd = state_dir_open();
        if (sfd < 0)
                return 0;
        _cleanup_close_ int fd = openat(sfd, FW_LIST, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        _cleanup_free_ char *text = malloc(1u << 20);
        if (!text)
                return -ENOMEM;
        ssize_t n = bw_read_full(fd, text, (1u << 20) - 1);
        if (n < 0)
                return (int) n;
        text[n] = 0;
        int r = 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && r == 0; line = strtok_r(NULL, "\n", &save))
                r = strncmp(line, FW_PREFIX, strlen(FW_PREFIX)) != 0 || strlen(line) >= 128 ? -EBADMSG
                                                                                            : names_add(ret, line);
        if (r < 0)
                names_done(ret);
        return r;
}

static int fw_list_write(const struct names *l, char *err, size_t err_size) {
        struct bw_strbuf b = {0};
        for (size_t i = 0; i < l->n; i++)
                bw_sb_printf(&b, "%s\n", l->v[i]);
        if (l->n && !b.data)
                return -ENOMEM;
        int r = state_file_write(FW_LIST, b.data ? b.data : "", b.len, NULL, 0, err, err_size);
        bw_sb_done(&b);
        return r;
}

/* The wanted rules of the offline users ids[0..n): -ENOENT for an id no account has yet. The last
 * ones fw_inspect was asked about are kept: fw_save saves those rules too. */
static struct bw_win_fw_rule *last_wanted;
static size_t n_last_wanted;

static int wanted_rules(const uint32_t *ids, size_t n, bool need_all, struct bw_win_fw_rule **ret, size_t *ret_n,
                        char *err, size_t err_size) {
        *ret = calloc(n ? n : 1, sizeof(**ret));
        *ret_n = 0;
        if (!*ret)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct bw_win_sid sid;
                int e = rid_sid(ids[i], &sid);
                if (e == -EEXIST || (e < 0 && need_all)) {
                        snprintf(err, err_size,
                                 e == -EEXIST ? "two accounts with the id %lu (RID) were seen: which one is the "
                                                "offline sandbox user cannot be told, so no rule is written"
                                              : "the offline sandbox user with id %lu has no SID this backend can "
                                                "name (the account does not exist, or was never looked up)",
                                 (unsigned long) ids[i]);
                        free(*ret);
                        *ret = NULL;
                        return e;
                }
                if (e < 0)
                        continue;
                fw_rule_for(&sid, &(*ret)[(*ret_n)++]);
        }
        return 0;
}

enum bw_fw_state bw_winbe_fw_inspect(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        /* A per-user installation has no rule to be compared (it needs an administrator): that its
         * network limits are advisory is said, and counted, by targets_converge; nothing of the
         * machine's firewall is read or written. */
        if (cur_per_user)
                return BW_FW_CURRENT;
        struct bw_win_fw_rule *want = NULL;
        size_t n_want = 0;
        struct names listed = {0};
        if (wanted_rules(ids, n, false, &want, &n_want, err, err_size) < 0)
                return BW_FW_UNKNOWN;
        int r = fw_list_read(&listed);
        if (r < 0) {
                snprintf(err, err_size, "the state's list of bulwark's firewall rules (%s) cannot be read: %s", FW_LIST,
                         strerror(-r));
                free(want);
                return BW_FW_UNKNOWN;
        }
        free(last_wanted);
        last_wanted = want;
        n_last_wanted = n_want;
        bool any = false, current = n_want == n; /* an id without a SID: its rule cannot be there */
        enum bw_fw_state st = BW_FW_CURRENT;
        for (size_t i = 0; i < n_want && st != BW_FW_UNKNOWN; i++) {
                struct bw_win_fw_rule have;
                char why[256] = "";
                r = ops()->fw_get(ops()->ctx, want[i].name, &have, why, sizeof(why));
                if (r == -ENOENT)
                        current = false;
                else if (r < 0) {
                        snprintf(err, err_size, "cannot read the firewall rule '%s': %s", want[i].name,
                                 why[0] ? why : strerror(-r));
                        st = BW_FW_UNKNOWN;
                } else {
                        any = true;
                        current &= fw_rule_equal(&want[i], &have);
                }
        }
        /* bulwark's rules of users no installation has any more */
        for (size_t i = 0; i < listed.n && st != BW_FW_UNKNOWN; i++) {
                bool wanted = false;
                for (size_t k = 0; k < n_want; k++)
                        wanted |= strcmp(want[k].name, listed.v[i]) == 0;
                if (wanted)
                        continue;
                struct bw_win_fw_rule have;
                char why[256] = "";
                r = ops()->fw_get(ops()->ctx, listed.v[i], &have, why, sizeof(why));
                if (r == 0)
                        any = true, current = false;
                else if (r != -ENOENT) {
                        snprintf(err, err_size, "cannot read the firewall rule '%s': %s", listed.v[i],
                                 why[0] ? why : strerror(-r));
                        st = BW_FW_UNKNOWN;
                }
        }
        names_done(&listed);
        if (st == BW_FW_UNKNOWN)
                return st;
        return !any ? BW_FW_ABSENT : current ? BW_FW_CURRENT : BW_FW_DIFFERENT;
}

/* A field of a saved rule: tab, newline and backslash escaped. */
static void put_field(struct bw_strbuf *b, const char *s) {
        bw_sb_printf(b, "\t");
        for (; *s; s++)
                if (*s == '\t')
                        bw_sb_printf(b, "\\t");
                else if (*s == '\n')
                        bw_sb_printf(b, "\\n");
                else if (*s == '\\')
                        bw_sb_printf(b, "\\\\");
                else
                        bw_sb_printf(b, "%c", *s);
}

/* Every field of every rule of bulwark's name that exists now (those fw_inspect was last asked
 * about, and those the state lists), one a line: what fw_restore puts back exactly. */
int bw_winbe_fw_save(char *buf, size_t size) {
        struct names all = {0}, listed = {0};
        int r = fw_list_read(&listed);
        for (size_t i = 0; r == 0 && i < n_last_wanted; i++)
                r = names_add(&all, last_wanted[i].name);
        for (size_t i = 0; r == 0 && i < listed.n; i++)
                r = names_add(&all, listed.v[i]);
        struct bw_strbuf b = {0};
        bw_sb_printf(&b, FW_SAVE_HEADER);
        for (size_t i = 0; r == 0 && i < all.n; i++) {
                struct bw_win_fw_rule x;
                int g = ops()->fw_get(ops()->ctx, all.v[i], &x, NULL, 0);
                if (g == -ENOENT)
                        continue;
                if (g < 0) {
                        r = g;
                        break;
                }
                bw_sb_printf(&b, "rule");
                put_field(&b, x.name);
                put_field(&b, x.description);
                put_field(&b, x.local_user_sddl);
                put_field(&b, x.remote_addresses);
                put_field(&b, x.narrowed);
                bw_sb_printf(&b, "\t%d\t%d\t%d\n", x.outbound, x.block, x.protocol);
        }
        if (r == 0 && (!b.data || b.len + 1 > size))
                r = b.data ? -ENOSPC : -ENOMEM;
        if (r == 0)
                memcpy(buf, b.data, b.len + 1);
        else if (size)
                buf[0] = 0;
        bw_sb_done(&b);
        names_done(&all);
        names_done(&listed);
        return r;
}

/* One escaped field (up to the next tab or the end) into out; the rest in *rest. */
static int get_field(const char **p, char *out, size_t size) {
        size_t o = 0;
        const char *s = *p;
        for (; *s && *s != '\t'; s++) {
                char c = *s;
                if (c == '\\') {
                        s++;
                        c = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == '\\' ? '\\' : 0;
                        if (!c)
                                return -EBADMSG;
                }
                if (o + 1 >= size)
                        return -EBADMSG;
                out[o++] = c;
        }
        out[o] = 0;
        *p = *s ? s + 1 : s;
        return 0;
}

static int fw_parse(const char *text, struct bw_win_fw_rule **ret, size_t *ret_n) {
        *ret = NULL;
        *ret_n = 0;
        if (strncmp(text, FW_SAVE_HEADER, strlen(FW_SAVE_HEADER)) != 0)
                return -EBADMSG;
        _cleanup_free_ char *copy = strdup(text + strlen(FW_SAVE_HEADER));
        if (!copy)
                return -ENOMEM;
        int r = 0;
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line && r == 0;
             line = strtok_r(NULL, "\n", &save)) {
                struct bw_win_fw_rule x = {0};
                const char *p = line;
                int outbound = -1, block = -1, protocol = -1, used = 0;
                if (strncmp(p, "rule\t", 5) != 0) {
                        r = -EBADMSG;
                        break;
                }
                p += 5;
                if (get_field(&p, x.name, sizeof(x.name)) < 0 ||
                    get_field(&p, x.description, sizeof(x.description)) < 0 ||
                    get_field(&p, x.local_user_sddl, sizeof(x.local_user_sddl)) < 0 ||
                    get_field(&p, x.remote_addresses, sizeof(x.remote_addresses)) < 0 ||
                    get_field(&p, x.narrowed, sizeof(x.narrowed)) < 0 ||
                    sscanf(p, "%d\t%d\t%d%n", &outbound, &block, &protocol, &used) != 3 || p[used] != 0 ||
                    outbound < 0 || outbound > 1 || block < 0 || block > 1 ||
                    strncmp(x.name, FW_PREFIX, strlen(FW_PREFIX)) != 0 || strpbrk(x.name, "\t\n")) {
                        r = -EBADMSG;
                        break;
                }
                x.outbound = outbound;
                x.block = block;
                x.protocol = protocol;
                struct bw_win_fw_rule *m = realloc(*ret, (*ret_n + 1) * sizeof(*m));
                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                *ret = m;
                m[(*ret_n)++] = x;
        }
        if (r < 0) {
                free(*ret);
                *ret = NULL;
                *ret_n = 0;
        }
        return r;
}

/* Remove every rule of that name (fw_remove takes one at a time: several of one name are drift,
 * win_ops.h), at most 256: a firewall that keeps giving one back is said, not looped on. */
#define FW_DEL_MAX 256
static int fw_del(const char *name, char *err, size_t err_size) {
        char why[256] = "";
        int r = 0;
        for (int i = 0; i < FW_DEL_MAX && r == 0; i++)
                r = ops()->fw_remove(ops()->ctx, name, why, sizeof(why));
        if (r == -ENOENT)
                return 0;
        if (r == 0) {
                snprintf(err, err_size, "cannot remove the firewall rules '%s': %d removed and one is still there",
                         name, FW_DEL_MAX);
                return -EIO;
        }
        if (r < 0)
                snprintf(err, err_size, "cannot remove the firewall rule '%s': %s", name, why[0] ? why : strerror(-r));
        return r;
}

static int fw_put(const struct bw_win_fw_rule *x, char *err, size_t err_size) {
        char why[256] = "";
        int r = ops()->fw_add(ops()->ctx, x, why, sizeof(why));
        if (r < 0)
                snprintf(err, err_size, "cannot add the firewall rule '%s': %s", x->name, why[0] ? why : strerror(-r));
        return r;
}

/* Make the rules exactly want[0..n) (each written only if it differs), and remove bulwark's
 * others. The list of bulwark's rules is written first with the new names in it, so that a rule
 * is never on the machine without the state knowing it is bulwark's. */
static int fw_make(const struct bw_win_fw_rule *want, size_t n, char *err, size_t err_size) {
        struct names listed = {0}, union_ = {0}, now = {0};
        int r = fw_list_read(&listed);
        if (r < 0)
                snprintf(err, err_size, "the state's list of bulwark's firewall rules (%s) is damaged: %s", FW_LIST,
                         strerror(-r));
        for (size_t i = 0; r == 0 && i < listed.n; i++)
                r = names_add(&union_, listed.v[i]);
        for (size_t i = 0; r == 0 && i < n; i++)
                if ((r = names_add(&union_, want[i].name)) == 0)
                        r = names_add(&now, want[i].name);
        if (r == 0 && union_.n != listed.n)
                r = fw_list_write(&union_, err, err_size);
        for (size_t i = 0; r == 0 && i < n; i++) {
                struct bw_win_fw_rule have;
                char why[256] = "";
                int g = ops()->fw_get(ops()->ctx, want[i].name, &have, why, sizeof(why));
                if (g == 0 && fw_rule_equal(&want[i], &have))
                        continue;
                if (g < 0 && g != -ENOENT) {
                        snprintf(err, err_size, "cannot read the firewall rule '%s': %s", want[i].name,
                                 why[0] ? why : strerror(-g));
                        r = g;
                        break;
                }
                /* changed by hand, or another program's of that name: replaced (it was journaled) */
                if (g == 0)
                        r = fw_del(want[i].name, err, err_size);
                if (r == 0)
                        r = fw_put(&want[i], err, err_size);
        }
        for (size_t i = 0; r == 0 && i < listed.n; i++)
                if (!names_has(&now, listed.v[i]))
                        r = fw_del(listed.v[i], err, err_size);
        if (r == 0 && (union_.n != now.n || listed.n != now.n))
                r = fw_list_write(&now, err, err_size);
        names_done(&listed);
        names_done(&union_);
        names_done(&now);
        return r;
}

int bw_winbe_fw_apply(const uint32_t *ids, size_t n, char *err, size_t err_size) {
        struct bw_win_fw_rule *want = NULL;
        size_t n_want = 0;
        int r = wanted_rules(ids, n, true, &want, &n_want, err, err_size);
        if (r == 0)
                r = fw_make(want, n_want, err, err_size);
        free(want);
        return r;
}

int bw_winbe_fw_restore(const char *text, char *err, size_t err_size) {
        struct bw_win_fw_rule *saved = NULL;
        size_t n = 0;
        int r = fw_parse(text, &saved, &n);
        if (r < 0) {
                snprintf(err, err_size,
                         "the journal's record of the firewall rules before bulwark is damaged: the "
                         "rules were left as they are");
                return r;
        }
        r = fw_make(saved, n, err, err_size);
        /* the engine restores only when the last installation goes: the rules put back are the
         * machine's as before bulwark, none of them bulwark's any more */
        if (r == 0) {
                _cleanup_close_ int sfd = state_dir_open();
                if (sfd >= 0 && unlinkat(sfd, FW_LIST, 0) < 0 && errno != ENOENT)
                        r = -errno;
        }
        /* what INetFwRule3 held besides the fields bulwark writes (disabled, ports...) is named,
         * not written: said, so the person can set it again */
        for (size_t i = 0; r == 0 && i < n; i++)
                if (saved[i].narrowed[0]) {
                        snprintf(err, err_size,
                                 "the firewall rule '%s' was put back without what else it had (%s): set that "
                                 "again by hand (wf.msc)",
                                 saved[i].name, saved[i].narrowed);
                        r = -EIO;
                }
        free(saved);
        return r;
}

int bw_winbe_fw_remove(char *err, size_t err_size) {
        struct names listed = {0};
        int r = fw_list_read(&listed);
        if (r < 0)
                snprintf(err, err_size, "the state's list of bulwark's firewall rules (%s) is damaged: %s", FW_LIST,
                         strerror(-r));
        for (size_t i = 0; r == 0 && i < listed.n; i++)
                r = fw_del(listed.v[i], err, err_size);
        names_done(&listed);
        if (r == 0) {
                _cleanup_close_ int sfd = state_dir_open();
                if (sfd >= 0 && unlinkat(sfd, FW_LIST, 0) < 0 && errno != ENOENT)
                        r = -errno;
        }
        return r;
}

/* -- objects' access entries -- */

int bw_winbe_tree_converge(const struct bw_tree_policy *tp, const char *root, const struct bw_tree_options *o,
                           struct bw_tree_stats *st) {
        (void) tp;
        st->errors++;
        if (o->on_error) {
                char msg[600];
                snprintf(msg, sizeof(msg), NOT_YET("reading and writing the plan's access entries"));
                o->on_error(o->error_ctx, root, "", msg, -ENOTSUP);
        }
        return -ENOTSUP;
}

/* Put back the descriptor bytes journaled before bulwark's first change, on the same object (file
 * ID) only. Only the DACL is written (set_dacl): the owner and group in those bytes were never
 * changed. */
int bw_winbe_acl_restore(const struct bw_journal_acl *a) {
        if (!a->had_before || !a->before || a->root_len == 0)
                return -EBADMSG; /* targets_converge journals every object with its prior bytes */
        _cleanup_free_ char *path = malloc(a->root_len + 1 + a->rel_len + 1);
        if (!path)
                return -ENOMEM;
        memcpy(path, a->root, a->root_len);
        size_t n = a->root_len;
        if (a->rel_len) {
                path[n++] = '/';
                memcpy(path + n, a->rel, a->rel_len);
                n += a->rel_len;
        }
        path[n] = 0;
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        int r = ops()->open_object(ops()->ctx, path, true, &h, &info, NULL, 0);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (info.reparse || info.file_id != a->ino) {
                /* another object took the name since: not the one bulwark changed */
                ops()->close_handle(ops()->ctx, h);
                return 0;
        }
        r = ops()->set_dacl(ops()->ctx, h, a->before, a->before_len, NULL, 0);
        ops()->close_handle(ops()->ctx, h);
        return r < 0 ? r : 1;
}

/* -- targets_converge: the installation's record and the plan's targets -- */

#define RECORD_MAX (1u << 20)

/* Read installs/ID/windows: 0 (ret filled), -ENOENT, -EBADMSG (damaged), other errno. */
static int record_read(int state_fd, const char *id, struct bw_win_install *ret) {
        char p[96];
        snprintf(p, sizeof(p), "installs/%s/windows", id);
        if (state_fd < 0)
                return -ENOENT;
        _cleanup_close_ int fd = openat(state_fd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        _cleanup_free_ char *text = malloc(RECORD_MAX + 1);
        if (!text)
                return -ENOMEM;
        ssize_t n = bw_read_full(fd, text, RECORD_MAX);
        if (n < 0)
                return (int) n;
        if ((size_t) n == RECORD_MAX)
                return -EBADMSG;
        text[n] = 0;
        return bw_win_install_decode(text, ret);
}

/* Write installs/ID/windows durably (a new file renamed over the old one). */
static int record_write(int state_fd, const struct bw_win_install *in) {
        char p[96], tmp[112];
        snprintf(p, sizeof(p), "installs/%s/windows", in->id);
        snprintf(tmp, sizeof(tmp), "installs/%s/windows.new", in->id);
        _cleanup_free_ char *text = NULL;
        int r = bw_win_install_encode(in, &text);
        if (r < 0)
                return r;
        unlinkat(state_fd, tmp, 0);
        int fd = openat(state_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        size_t len = strlen(text), off = 0;
        while (r == 0 && off < len) {
                ssize_t w = write(fd, text + off, len - off);
                if (w < 0 && errno != EINTR)
                        r = -errno;
                else if (w > 0)
                        off += (size_t) w;
        }
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(state_fd, tmp, state_fd, p) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(state_fd, tmp, 0);
        return r;
}

/* The other installations' records (their entries are kept where they want them too). */
static size_t others_read(int state_fd, const char *skip_id, struct bw_win_install **ret) {
        *ret = NULL;
        if (state_fd < 0)
                return 0;
        int dfd = openat(state_fd, "installs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return 0;
        DIR *d = fdopendir(dfd);
        if (!d) {
                close(dfd);
                return 0;
        }
        size_t n = 0;
        for (struct dirent *e; (e = readdir(d));) {
                if (e->d_name[0] == '.' || bw_streq(e->d_name, skip_id) || strlen(e->d_name) != 16)
                        continue;
                struct bw_win_install x = {0};
                if (record_read(state_fd, e->d_name, &x) < 0)
                        continue;
                struct bw_win_install *m = realloc(*ret, (n + 1) * sizeof(*m));
                if (!m) {
                        bw_win_install_done(&x);
                        break;
                }
                *ret = m;
                m[n++] = x;
        }
        closedir(d);
        return n;
}

/* What targets_converge's journal hook needs. */
struct target_ctx {
        const struct bw_tree_options *o;
};

/* Each DACL record goes to the engine's journal before it is written (bw_win_journal.on_add). */
static int journal_to_engine(void *ctx, const struct bw_win_rec *rec) {
        const struct target_ctx *c = ctx;
        if (rec->kind != BW_WIN_REC_DACL)
                return -EINVAL; /* targets_converge makes no other kind */
        struct bw_acl_change ch = {.root = rec->path,
                                   .rel = "",
                                   .attr = "DACL",
                                   .ino = rec->file_id,
                                   .before = rec->before,
                                   .before_len = rec->before_n,
                                   .after = rec->after,
                                   .after_len = rec->after_n};
        return c->o->on_batch ? c->o->on_batch(c->o->userdata, &ch, 1) : 0;
}

static void say(const struct bw_tree_options *o, const char *path, const char *what, int e) {
        if (o->on_error)
                o->on_error(o->error_ctx, path, "", what, e);
}

/* The installation's accounts as the engine bound them (names[i] for the plan's principal i; the
 * read group's SID is in the entries). In a dry run before they exist, an account is the null SID:
 * every target then shows as a change, as on Linux with unknown ids. */
static int install_accounts(struct bw_win_install *in, const struct bw_plan *p, const char *const names[32],
                            bool dry_run, char *err, size_t err_size) {
        static const uint32_t roles[3] = {BW_ROLE_SANDBOX_GROUP, BW_ROLE_OFFLINE, BW_ROLE_ONLINE};
        char *dst[3] = {in->group, in->offline, in->online};
        size_t max[3] = {BW_WIN_GROUP_MAX, BW_WIN_ACCOUNT_MAX, BW_WIN_ACCOUNT_MAX};
        struct bw_win_sid *sids[3] = {&in->group_sid, &in->offline_sid, &in->online_sid};
        for (int k = 0; k < 3; k++) {
                const char *name = NULL;
                for (uint32_t i = 0; i < p->n_principals && i < 32 && !name; i++)
                        if (p->principals[i].role == roles[k] && names[i] && names[i][0])
                                name = names[i];
                if (!name) {
                        if (roles[k] == BW_ROLE_SANDBOX_GROUP) {
                                snprintf(err, err_size,
                                         "the plan names no sandbox group: its entries have no one "
                                         "to name (recompile it with this bulwarkc)");
                                return -EINVAL;
                        }
                        continue; /* a plan without that user: nothing of it in the entries */
                }
                if (strlen(name) > max[k]) {
                        snprintf(err, err_size, "the account name %s is too long for Windows", name);
                        return -ENAMETOOLONG;
                }
                snprintf(dst[k], max[k] + 1, "%s", name);
                int r = ops()->account_sid(ops()->ctx, name, sids[k], NULL, 0);
                if (r < 0 && dry_run)
                        r = bw_win_sid_from_string("S-1-0-0", sids[k]);
                if (r < 0) {
                        snprintf(err, err_size, "the account %s cannot be looked up (%s): apply creates it first", name,
                                 strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* -- read grants in the background --
 *
 * apply queues the installation's read grants (READ targets of its record) in read-grants.ID at
 * the state directory's top (not in installs/ID/, which revert removes file by file) and asks the
 * host to start a worker (bulwark.exe: a thread, backend_windows.c). The worker does them in
 * batches, each with the state lock held (bw_winbe_read_grants_batch): it reads the record again
 * (gone: the installation was reverted; it stops, writing nothing), journals each descriptor in
 * installs/ID/journal before writing it, as apply does, and saves its progress. So revert, which
 * holds the lock, never meets a batch half done, and the grants it finds journaled are put back
 * with the rest; apply and status, which also take the lock, wait for at most one batch. */

#define GRANTS_BATCH 64

static const struct bw_winbe_grants_host *cur_grants_host;

void bw_winbe_use_grants_host(const struct bw_winbe_grants_host *h) {
        cur_grants_host = h;
}

struct grants {
        char state[16]; /* running, done, failed */
        unsigned long done, total, granted, already, failed;
        unsigned long pid;
        char reason[300];
};

static void grants_path(const char *id, char *out, size_t size) {
        snprintf(out, size, "read-grants.%s", id);
}

/* 0 (read), -ENOENT, -EBADMSG. */
static int grants_read(int state_fd, const char *id, struct grants *g) {
        char p[64], text[1024];
        *g = (struct grants){0};
        grants_path(id, p, sizeof(p));
        _cleanup_close_ int fd = state_fd < 0 ? -1 : openat(state_fd, p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -ENOENT;
        ssize_t n = bw_read_full(fd, text, sizeof(text) - 1);
        if (n < 0)
                return (int) n;
        text[n] = 0;
        int seen = 0;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                if (!eq)
                        return -EBADMSG;
                *eq++ = 0;
                unsigned long *num = bw_streq(line, "done")      ? &g->done
                                     : bw_streq(line, "total")   ? &g->total
                                     : bw_streq(line, "granted") ? &g->granted
                                     : bw_streq(line, "already") ? &g->already
                                     : bw_streq(line, "failed")  ? &g->failed
                                     : bw_streq(line, "pid")     ? &g->pid
                                                                 : NULL;
                if (num)
                        *num = strtoul(eq, NULL, 10);
                else if (bw_streq(line, "state"))
                        snprintf(g->state, sizeof(g->state), "%s", eq), seen = 1;
                else if (bw_streq(line, "reason"))
                        snprintf(g->reason, sizeof(g->reason), "%s", eq);
        }
        return seen && g->done <= g->total ? 0 : -EBADMSG;
}

static int grants_write(const char *id, const struct grants *g) {
        char p[64], text[1024];
        grants_path(id, p, sizeof(p));
        int n = snprintf(text, sizeof(text),
                         "state=%s\ndone=%lu\ntotal=%lu\ngranted=%lu\nalready=%lu\nfailed=%lu\npid=%lu\nreason=%s\n",
                         g->state, g->done, g->total, g->granted, g->already, g->failed, g->pid, g->reason);
        char why[256];
        return state_file_write(p, text, (size_t) n, NULL, 0, why, sizeof(why));
}

static void grants_remove(const char *id) {
        char p[64];
        grants_path(id, p, sizeof(p));
        _cleanup_close_ int sfd = state_dir_open();
        if (sfd >= 0)
                unlinkat(sfd, p, 0);
}

static size_t read_targets(const struct bw_win_install *in) {
        size_t n = 0;
        for (size_t i = 0; i < in->n_targets; i++)
                n += in->targets[i].kind == BW_WIN_T_READ;
        return n;
}

/* Is the worker that progress names still at work (its process alive)? */
static bool grants_alive(const struct grants *g) {
        return bw_streq(g->state, "running") && cur_grants_host && cur_grants_host->alive &&
               cur_grants_host->alive((uint32_t) g->pid);
}

/* apply: queue the installation's read grants and start the worker, unless one is at work on
 * them already (a second apply starts no second worker; the one at work reads the record, with
 * this apply's targets, at its next batch). */
static void grants_queue(int state_fd, const char *id, const struct bw_win_install *in) {
        struct grants g;
        size_t total = read_targets(in);
        if (grants_read(state_fd, id, &g) == 0 && grants_alive(&g)) {
                /* from the start again, with this apply's targets: what is granted already counts
                 * as such */
                g.done = g.granted = g.already = g.failed = 0;
                g.total = total;
                grants_write(id, &g);
                return;
        }
        if (total == 0) {
                grants_remove(id);
                return;
        }
        g = (struct grants){.total = total,
                            .pid = cur_grants_host && cur_grants_host->pid ? cur_grants_host->pid() : 0};
        snprintf(g.state, sizeof(g.state), "running");
        if (grants_write(id, &g) == 0 && cur_grants_host && cur_grants_host->start)
                cur_grants_host->start(id);
}

/* The worker's journal: each record goes to installs/ID/journal before its object is written. */
static int grants_journal_add(void *ctx, const struct bw_win_rec *rec) {
        struct bw_journal *jr = ctx;
        if (rec->kind != BW_WIN_REC_DACL)
                return -EINVAL;
        struct bw_journal_acl a = {.ino = rec->file_id,
                                   .had_before = rec->before != NULL,
                                   .root = rec->path,
                                   .root_len = strlen(rec->path),
                                   .rel = "",
                                   .rel_len = 0,
                                   .before = rec->before,
                                   .before_len = rec->before_n};
        uint32_t len = 0;
        _cleanup_free_ uint8_t *buf = bw_journal_acl_encode(&a, &len);
        if (!buf)
                return -ENOMEM;
        struct bw_journal_record jr_rec = {BW_JOURNAL_ACL, buf, len};
        return bw_journal_append(jr, &jr_rec, 1);
}

int bw_winbe_read_grants_batch(const char *id, size_t max, char *err, size_t err_size) {
        _cleanup_close_ int sfd = state_dir_open();
        if (sfd < 0) {
                snprintf(err, err_size, "the state directory cannot be opened");
                return sfd;
        }
        struct grants g;
        if (grants_read(sfd, id, &g) < 0)
                return 0; /* nothing queued (or reverted) */
        if (!bw_streq(g.state, "running"))
                return 0;
        struct bw_win_install in = {0};
        int r = record_read(sfd, id, &in);
        if (r == -ENOENT) {
                grants_remove(id); /* reverted since: nothing of it to grant */
                return 0;
        }
        struct bw_win_translation t = {0};
        struct bw_win_read_worker w = {0};
        struct bw_journal jr = {.fd = -1};
        struct bw_win_journal j = {.on_add = grants_journal_add, .on_add_ctx = &jr};
        char jpath[64];
        snprintf(jpath, sizeof(jpath), "installs/%s/journal", id);
        if (r < 0)
                snprintf(g.reason, sizeof(g.reason), "installs/%s/windows cannot be read: %s", id, strerror(-r));
        else if ((r = bw_journal_open(&jr, sfd, jpath)) < 0)
                snprintf(g.reason, sizeof(g.reason), "the journal %s cannot be opened: %s", jpath, strerror(-r));
        if (r == 0) {
                /* the READ targets of the record, as apply left them */
                t.targets = in.targets;
                t.n = in.n_targets;
                r = bw_win_read_worker_init(&w, &in, &t, ops(), &j);
                t.targets = NULL;
                t.n = 0;
        }
        if (r == 0) {
                g.total = w.n;
                w.next = g.done < w.n ? g.done : w.n;
                bw_win_read_worker_step(&w, max ? max : GRANTS_BATCH);
                g.done = w.next;
                g.granted += w.granted;
                g.already += w.already;
                g.failed += w.failed;
                if (j.failed) {
                        r = j.failed;
                        snprintf(g.reason, sizeof(g.reason),
                                 "the journal could not be written (%s): nothing more "
                                 "was granted",
                                 strerror(-r));
                } else if (g.done >= g.total)
                        snprintf(g.state, sizeof(g.state), "done");
        }
        if (r < 0) {
                snprintf(g.state, sizeof(g.state), "failed");
                snprintf(err, err_size, "%s", g.reason);
        }
        int wr = grants_write(id, &g);
        if (r == 0 && wr < 0) {
                snprintf(err, err_size, "cannot save the read grants' progress: %s", strerror(-wr));
                r = wr;
        }
        if (jr.fd >= 0)
                bw_journal_close(&jr);
        bw_win_read_worker_done(&w);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        return r < 0 ? r : bw_streq(g.state, "running");
}

void bw_winbe_grants_cleanup(void) {
        _cleanup_close_ int sfd = state_dir_open();
        int dfd = sfd < 0 ? -1 : state_dir_open();
        DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return;
        }
        for (struct dirent *e; (e = readdir(d));) {
                const char *id = e->d_name + strlen("read-grants.");
                char inst[64];
                if (strncmp(e->d_name, "read-grants.", strlen("read-grants.")) != 0 || strlen(id) != 16 ||
                    strchr(id, '.'))
                        continue;
                snprintf(inst, sizeof(inst), "installs/%s", id);
                int f = openat(sfd, inst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (f >= 0)
                        close(f);
                else if (errno == ENOENT)
                        unlinkat(sfd, e->d_name, 0); /* its installation was reverted */
        }
        closedir(d);
}

int bw_winbe_install_progress(int state_fd, const char *id, char *out, size_t size) {
        struct grants g;
        out[0] = 0;
        int r = grants_read(state_fd, id, &g);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                snprintf(out, size, "read grants: progress unreadable (read-grants.%s is damaged)", id);
                return 1;
        }
        if (bw_streq(g.state, "running") && !grants_alive(&g))
                snprintf(out, size,
                         "read grants: %lu/%lu objects, stopped (no worker at them: the next apply resumes them)",
                         g.done, g.total);
        else if (bw_streq(g.state, "failed"))
                snprintf(out, size, "read grants: %lu/%lu objects, failed: %s", g.done, g.total, g.reason);
        else if (g.failed)
                snprintf(out, size, "read grants: %lu/%lu objects, %s; %lu could not be granted", g.done, g.total,
                         g.state, g.failed);
        else
                snprintf(out, size, "read grants: %lu/%lu objects, %s", g.done, g.total, g.state);
        return 1;
}

int bw_winbe_targets_converge(const struct bw_plan *p, const char *const names[32], const struct bw_bindings *b,
                              const char *install_id, int state_fd, const struct bw_tree_options *o,
                              struct bw_tree_stats *st, char *err, size_t err_size) {
        const char *user = b->value[BW_VAR_USER];
        if (!user || !user[0] || !install_id || strlen(install_id) != 16) {
                snprintf(err, err_size, "no user or installation to converge the entries for");
                return -EINVAL;
        }
        struct bw_win_install in = {0};
        int r = record_read(state_fd, install_id, &in);
        if (r == -EBADMSG) {
                snprintf(err, err_size,
                         "installs/%s/windows (the installation's roots and accounts) is damaged: nothing was "
                         "changed; revert %s, or restore the file from a backup",
                         install_id, install_id);
                return r;
        }
        if (r < 0 && r != -ENOENT) {
                snprintf(err, err_size, "cannot read installs/%s/windows: %s", install_id, strerror(-r));
                return r;
        }
        if (r == 0 && in.per_user != cur_per_user) {
                snprintf(err, err_size,
                         cur_per_user ? "installs/%s/windows is a machine installation, and this is a per-user apply "
                                        "(not elevated): nothing was changed; run it from an elevated prompt"
                                      : "installs/%s/windows is a per-user installation, in the machine's state "
                                        "directory: nothing was changed; revert it",
                         install_id);
                bw_win_install_done(&in);
                return -EBADMSG;
        }
        if (r == 0 && !bw_streq(in.user, user)) {
                snprintf(err, err_size, "installs/%s/windows is for the user %s, not %s: nothing was changed",
                         install_id, in.user, user);
                bw_win_install_done(&in);
                return -EBADMSG;
        }
        snprintf(in.id, sizeof(in.id), "%s", install_id);
        snprintf(in.user, sizeof(in.user), "%s", user);
        in.per_user = cur_per_user;
        struct bw_win_install *others = NULL;
        size_t n_others = 0;
        struct bw_win_translation t = {0};
        struct bw_win_report rep = {0};
        struct target_ctx tc = {.o = o};
        struct bw_win_journal j = {.on_add = journal_to_engine, .on_add_ctx = &tc};
        /* per-user: no accounts exist, and none is named in an entry but the user's own (the
         * carve-outs' deny of DELETE) */
        if (cur_per_user) {
                r = ops()->account_sid(ops()->ctx, user, &in.user_sid, NULL, 0);
                if (r < 0)
                        snprintf(err, err_size, "your account %s cannot be looked up (%s): nothing was changed", user,
                                 strerror(-r));
        } else
                r = install_accounts(&in, p, names, o->dry_run, err, err_size);
        if (r == 0)
                r = bw_win_translate(p, b, &in, ops(), &t, err, err_size);
        for (size_t i = 0; r == 0 && i < t.n_warnings; i++) {
                /* a rule that is not enforced here is said, and counted: apply does not pass for done */
                say(o, t.warnings[i],
                    cur_per_user ? "not enforced by this per-user installation" : "not enforced on Windows", -ENOTSUP);
                st->errors++;
        }
        /* The roots' SIDs are durable before any entry names them. */
        if (r == 0 && !o->dry_run && (r = record_write(state_fd, &in)) < 0)
                snprintf(err, err_size, "cannot write installs/%s/windows: %s", install_id, strerror(-r));
        if (r == 0) {
                n_others = others_read(state_fd, install_id, &others);
                r = bw_win_apply_targets(&in, others, n_others, &t, ops(), &j, o->dry_run, &rep);
                if (r < 0)
                        snprintf(err, err_size, "%s",
                                 j.failed            ? "the journal could not be written: nothing more was changed"
                                 : rep.last_error[0] ? rep.last_error
                                                     : strerror(-r));
        }
        /* Read grants: not here (large trees take long) but in the background, once the record
         * below names the targets in force: queued for the worker (bw_winbe_read_grants_batch);
         * a dry run leaves them to apply. */
        unsigned granted = 0, failed = 0;
        if (r == 0 && !o->dry_run && (r = record_write(state_fd, &in)) < 0)
                snprintf(err, err_size, "cannot write installs/%s/windows: %s", install_id, strerror(-r));
        if (r == 0 && !o->dry_run)
                grants_queue(state_fd, install_id, &in);
        if (rep.errors + failed)
                say(o, rep.last_error[0] ? rep.last_error : "(a target)", "could not be converged", -EIO);
        st->objects += rep.changed + rep.unchanged + rep.missing + rep.errors + granted + failed;
        st->changed += rep.changed + granted;
        st->unchanged += rep.unchanged;
        st->errors += rep.errors + failed;
        for (size_t i = 0; i < n_others; i++)
                bw_win_install_done(&others[i]);
        free(others);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        return r;
}

/* Nothing to grant: a restricted token keeps SeChangeNotifyPrivilege (bypass traverse checking),
 * so a run reaches a root through directories it cannot list (SEAM.md; to verify on Windows). */
int bw_winbe_traverse_grant(const char *path, uint32_t as_uid, uint32_t gid, const uint32_t *replace,
                            unsigned n_replace, bool dry_run, bw_acl_batch_fn journal, void *ctx, bool *ret_replaced) {
        (void) path;
        (void) as_uid;
        (void) gid;
        (void) replace;
        (void) n_replace;
        (void) dry_run;
        (void) journal;
        (void) ctx;
        *ret_replaced = false;
        return 0;
}

bool bw_winbe_shared_sticky(const char *path) {
        (void) path;
        return false; /* Windows has no sticky directories */
}

/* -- the runner binary --
 *
 * bulwark-runner.exe needs no privilege on Windows; what matters is that only administrators can
 * change or replace it: a protected DACL of SYSTEM and Administrators (full control), Users (read
 * and execute) and OWNER RIGHTS (read and execute: whoever owns the file gets no implicit
 * WRITE_DAC from owning it), and a directory whose entries no one else may delete, rename or
 * re-permission. The record (the engine's journal) holds the file's ID, its path and its exact
 * descriptor bytes before; revert puts those back on the same file only. */

#define RUNNER_MAGIC "BWRUNNERWIN1"
static const struct bw_win_sid sid_owner_rights = {1, 1, {0, 0, 0, 0, 0, 3}, {4}}; /* S-1-3-4 */
static const struct bw_win_sid sid_trusted_installer = {
        1, 6, {0, 0, 0, 0, 0, 5}, {80, 956008885, 3418522649, 1831038044, 1850803225, 2295117778}};

/* The DACL bulwark gives the runner. */
static int runner_dacl(struct bw_win_acl *acl) {
        *acl = (struct bw_win_acl){.revision = 2};
        int r = bw_win_acl_add(acl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        if (r == 0)
                r = bw_win_acl_add(acl, BW_ACE_ALLOW, 0, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        if (r == 0)
                r = bw_win_acl_add(acl, BW_ACE_ALLOW, 0, BW_WIN_MASK_READ, &bw_win_sid_users);
        if (r == 0)
                r = bw_win_acl_add(acl, BW_ACE_ALLOW, 0, BW_WIN_MASK_READ, &sid_owner_rights);
        return r;
}

static bool admin_sid(const struct bw_win_sid *s) {
        return bw_win_sid_equal(s, &bw_win_sid_system) || bw_win_sid_equal(s, &bw_win_sid_admins) ||
               bw_win_sid_equal(s, &sid_trusted_installer);
}

/* The runner's path in plan form (runner_locate gives the system's form; tests give plan paths). */
static int runner_plan_path(const char *path, char **ret) {
        const char *why = NULL;
        if (path[0] == '/') {
                *ret = strdup(path);
                return *ret ? 0 : -ENOMEM;
        }
        return bw_win_path_to_plan(path, ret, &why);
}

/* May anyone but administrators add, delete, rename or re-permission entries of the runner's
 * directory (and so put another program, or a DLL it loads, in its place)? 0 no; -EPERM with err
 * naming who may. */
static int runner_dir_safe(const char *dir, char *err, size_t err_size) {
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        uint8_t *bytes = NULL;
        size_t n = 0;
        struct bw_win_sd sd = {0};
        char why[256] = "";
        int r = ops()->open_object(ops()->ctx, dir, false, &h, &info, why, sizeof(why));
        if (r < 0) {
                snprintf(err, err_size, "cannot open its directory %s: %s", dir, why[0] ? why : strerror(-r));
                return r;
        }
        r = ops()->get_sd(ops()->ctx, h, &bytes, &n, why, sizeof(why));
        ops()->close_handle(ops()->ctx, h);
        if (r == 0)
                r = bw_win_sd_decode(bytes, n, &sd);
        free(bytes);
        if (r < 0) {
                snprintf(err, err_size, "cannot read the descriptor of its directory %s: %s", dir,
                         why[0] ? why : strerror(-r));
                return r;
        }
        /* FILE_ADD_FILE and FILE_ADD_SUBDIRECTORY (a DLL planted beside the runner is loaded before
         * Windows' own: the application's directory comes first in the DLL search order), DELETE
         * (rename the directory), FILE_DELETE_CHILD, WRITE_DAC, WRITE_OWNER, GENERIC_WRITE and
         * GENERIC_ALL */
        const uint32_t danger = BW_FILE_WRITE_DATA | BW_FILE_APPEND_DATA | BW_DELETE | BW_FILE_DELETE_CHILD |
                                BW_WRITE_DAC | BW_WRITE_OWNER | 0x40000000u | 0x10000000u;
        if (info.reparse) {
                snprintf(err, err_size, "its directory %s is a junction or link: install it in a real directory", dir);
                r = -ELOOP;
        } else if (sd.has_owner && !admin_sid(&sd.owner)) {
                char s[BW_WIN_SID_STRING_MAX];
                bw_win_sid_to_string(&sd.owner, s);
                snprintf(err, err_size,
                         "its directory %s is owned by %s, who may change its permissions: install bulwark-runner.exe "
                         "in a directory of administrators' (Program Files)",
                         dir, s);
                r = -EPERM;
        }
        for (size_t i = 0; r == 0 && i < sd.dacl.n; i++) {
                const struct bw_win_ace *a = &sd.dacl.aces[i];
                if (a->raw || a->type != BW_ACE_ALLOW || (a->flags & BW_ACE_IO) || !(a->mask & danger) ||
                    admin_sid(&a->sid))
                        continue;
                char s[BW_WIN_SID_STRING_MAX];
                bw_win_sid_to_string(&a->sid, s);
                snprintf(err, err_size,
                         "%s may add, delete, rename or re-permission what is in its directory %s (access 0x%lx): "
                         "install bulwark-runner.exe in a directory of administrators' (Program Files)",
                         s, dir, (unsigned long) a->mask);
                r = -EPERM;
        }
        bw_win_sd_done(&sd);
        return r;
}

/* Open the runner (write: for WRITE_DAC), its identity and descriptor. */
static int runner_open(const char *plan, bool write, bw_win_handle *h, struct bw_win_object_info *info,
                       struct bw_win_sd *sd, uint8_t **bytes, size_t *n, char *err, size_t err_size) {
        char why[256] = "";
        *bytes = NULL;
        int r = ops()->open_object(ops()->ctx, plan, write, h, info, why, sizeof(why));
        if (r < 0) {
                snprintf(err, err_size, "cannot open it: %s", why[0] ? why : strerror(-r));
                return r;
        }
        if (info->reparse || info->directory) {
                ops()->close_handle(ops()->ctx, *h);
                snprintf(err, err_size, "it is %s, not a program file",
                         info->reparse ? "a link or junction" : "a directory");
                return -ELOOP;
        }
        r = ops()->get_sd(ops()->ctx, *h, bytes, n, why, sizeof(why));
        if (r == 0 && (r = bw_win_sd_decode(*bytes, *n, sd)) < 0)
                snprintf(why, sizeof(why), "its descriptor cannot be decoded");
        if (r < 0) {
                snprintf(err, err_size, "cannot read its descriptor: %s", why[0] ? why : strerror(-r));
                ops()->close_handle(ops()->ctx, *h);
                free(*bytes);
                *bytes = NULL;
        }
        return r;
}

/* The record: magic, file ID (8 bytes LE), path length (2), path, descriptor length (4), bytes. */
static int runner_record_decode(const uint8_t *rec, uint32_t len, uint64_t *id, char *path, size_t path_size,
                                const uint8_t **sd, size_t *sd_n) {
        size_t m = strlen(RUNNER_MAGIC);
        if (len < m + 14 || memcmp(rec, RUNNER_MAGIC, m) != 0)
                return -EBADMSG;
        const uint8_t *p = rec + m;
        *id = 0;
        for (int i = 7; i >= 0; i--)
                *id = (*id << 8) | p[i];
        size_t pl = (size_t) p[8] | (size_t) p[9] << 8;
        if (m + 10 + pl + 4 > len || pl == 0 || pl >= path_size)
                return -EBADMSG;
        memcpy(path, p + 10, pl);
        path[pl] = 0;
        if (memchr(path, 0, pl))
                return -EBADMSG;
        const uint8_t *q = p + 10 + pl;
        size_t sl = (size_t) q[0] | (size_t) q[1] << 8 | (size_t) q[2] << 16 | (size_t) q[3] << 24;
        if (m + 10 + pl + 4 + sl != len || sl == 0)
                return -EBADMSG;
        *sd = q + 4;
        *sd_n = sl;
        struct bw_win_sd check = {0};
        int r = bw_win_sd_decode(*sd, *sd_n, &check);
        bw_win_sd_done(&check);
        return r < 0 ? -EBADMSG : 0;
}

int bw_winbe_runner_inspect(const char *path, struct bw_runner_info *ret, char *err, size_t err_size) {
        *ret = (struct bw_runner_info){0};
        if (cur_per_user) {
                /* A per-user run starts the runner as the user herself (no logon, no other
                 * account): its DACL is not bulwark's to set without an administrator, nor needed */
                ret->current = true;
                return 0;
        }
        _cleanup_free_ char *plan = NULL;
        int r = runner_plan_path(path, &plan);
        if (r < 0) {
                snprintf(err, err_size, "its path cannot be used on Windows");
                return r;
        }
        char *slash = strrchr(plan, '/');
        if (!slash || slash == plan) {
                snprintf(err, err_size, "it is not in a directory");
                return -EINVAL;
        }
        *slash = 0;
        r = runner_dir_safe(plan, err, err_size);
        *slash = '/';
        if (r < 0)
                return r;
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        struct bw_win_sd sd = {0};
        uint8_t *bytes = NULL;
        size_t n = 0;
        if ((r = runner_open(plan, false, &h, &info, &sd, &bytes, &n, err, err_size)) < 0)
                return r;
        ops()->close_handle(ops()->ctx, h);
        struct bw_win_acl want = {0};
        r = runner_dacl(&want);
        size_t m = strlen(RUNNER_MAGIC), pl = strlen(plan);
        if (r == 0 && (pl > 65535 || m + 10 + pl + 4 + n > sizeof(ret->record))) {
                snprintf(err, err_size, "its path or descriptor is too long to journal");
                r = -E2BIG;
        }
        if (r == 0) {
                ret->current = sd.has_dacl && (sd.control & BW_SE_DACL_PROTECTED) && bw_win_acl_equal(&sd.dacl, &want);
                ret->elevated = true; /* it has a descriptor already: a change, not an addition */
                _cleanup_free_ char *cur = sd.has_dacl ? bw_win_acl_describe(&sd.dacl) : strdup("no DACL (everyone)");
                snprintf(ret->detail, sizeof(ret->detail),
                         "DACL %s%s -> protected: SYSTEM and Administrators full control, Users and the owner read "
                         "and execute",
                         cur ? cur : "?", sd.control & BW_SE_DACL_PROTECTED ? " (protected)" : "");
                uint8_t *p = ret->record;
                memcpy(p, RUNNER_MAGIC, m); /* NOLINT(bugprone-not-null-terminated-result): a record's bytes */
                p += m;
                for (int i = 0; i < 8; i++)
                        p[i] = (uint8_t) (info.file_id >> (8 * i));
                p[8] = (uint8_t) pl;
                p[9] = (uint8_t) (pl >> 8);
                memcpy(p + 10, plan, pl); /* NOLINT(bugprone-not-null-terminated-result) */
                p += 10 + pl;
                for (int i = 0; i < 4; i++)
                        p[i] = (uint8_t) (n >> (8 * i));
                memcpy(p + 4, bytes, n);
                ret->record_len = (uint32_t) (m + 10 + pl + 4 + n);
        }
        bw_win_acl_done(&want);
        bw_win_sd_done(&sd);
        free(bytes);
        return r;
}

int bw_winbe_runner_converge(const char *path, const uint8_t *record, uint32_t record_len, char *err, size_t err_size) {
        (void) path; /* the record names it, as runner_inspect found it */
        uint64_t id;
        char plan[4096];
        const uint8_t *before;
        size_t before_n;
        if (runner_record_decode(record, record_len, &id, plan, sizeof(plan), &before, &before_n) < 0) {
                snprintf(err, err_size, "the runner's record is damaged");
                return -EBADMSG;
        }
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        struct bw_win_sd sd = {0};
        uint8_t *bytes = NULL;
        size_t n = 0;
        int r = runner_open(plan, true, &h, &info, &sd, &bytes, &n, err, err_size);
        if (r < 0)
                return r;
        free(bytes);
        if (info.file_id != id) {
                snprintf(err, err_size, "%s was replaced since it was inspected: nothing was changed", plan);
                r = -ESTALE;
        }
        struct bw_win_acl want = {0};
        if (r == 0)
                r = runner_dacl(&want);
        int changed = 0;
        if (r == 0 && !((sd.control & BW_SE_DACL_PROTECTED) && sd.has_dacl && bw_win_acl_equal(&sd.dacl, &want))) {
                struct bw_win_sd w = {.control = BW_SE_DACL_PRESENT | BW_SE_DACL_PROTECTED, .has_dacl = true};
                w.dacl = want;
                want = (struct bw_win_acl){0};
                uint8_t *out = NULL;
                size_t out_n = 0;
                char why[256] = "";
                r = bw_win_sd_encode(&w, &out, &out_n);
                if (r == 0 && (r = ops()->set_dacl(ops()->ctx, h, out, out_n, why, sizeof(why))) < 0)
                        snprintf(err, err_size, "cannot set its DACL: %s", why[0] ? why : strerror(-r));
                changed = r == 0;
                free(out);
                bw_win_sd_done(&w);
        }
        ops()->close_handle(ops()->ctx, h);
        bw_win_acl_done(&want);
        bw_win_sd_done(&sd);
        return r < 0 ? r : changed;
}

int bw_winbe_runner_restore(const uint8_t *record, uint32_t record_len, char *path_out, size_t path_size, char *err,
                            size_t err_size) {
        uint64_t id;
        char plan[4096];
        const uint8_t *before;
        size_t before_n;
        if (path_size)
                path_out[0] = 0;
        if (runner_record_decode(record, record_len, &id, plan, sizeof(plan), &before, &before_n) < 0)
                return -EBADMSG;
        snprintf(path_out, path_size, "%s", plan);
        bw_win_handle h = 0;
        struct bw_win_object_info info;
        char why[256] = "";
        int r = ops()->open_object(ops()->ctx, plan, true, &h, &info, why, sizeof(why));
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                snprintf(err, err_size, "cannot open it: %s", why[0] ? why : strerror(-r));
                return r;
        }
        if (info.reparse || info.file_id != id) {
                ops()->close_handle(ops()->ctx, h);
                return 0; /* another file took its name: not the one bulwark changed */
        }
        r = ops()->set_dacl(ops()->ctx, h, before, before_n, why, sizeof(why));
        ops()->close_handle(ops()->ctx, h);
        if (r < 0) {
                snprintf(err, err_size, "cannot put its DACL back: %s", why[0] ? why : strerror(-r));
                return r;
        }
        return 1;
}

/* The engine's messages about the firewall and the runner, in Windows' terms. */
const struct bw_backend_words bw_winbe_words = {
        .fw_what = "Windows Firewall: bulwark offline",
        .fw_rule_head = "outbound of local users (",
        .fw_rule_tail = "), remote addresses other than loopback, every protocol: block",
        .fw_ruleset = "the Windows Firewall's rules",
        .fw_long = "Windows Firewall rules 'bulwark offline SID'",
        .fw_short = "Windows Firewall rules 'bulwark offline SID'",
        .runner_grant = "protected DACL",
        .runner_as_before = "DACL as before",
        .runner_check = "icacls",
};
