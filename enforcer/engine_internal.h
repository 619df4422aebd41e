/* SPDX-License-Identifier: MIT */
/*
 * What the engine's files share: one command's state (struct run), the change lines it collects,
 * and the functions each file gives the others. Not an interface outside enforcer/: engine.h is.
 * Operating-system calls go through r->be (backend.h).
 */
#pragma once

#include "backend.h"
#include "engine.h"
#include "install_bindings.h"
#include "journal.h"
#include "path_template.h"
#include "signature.h"
#include "strbuf.h"
#include "tree_policy.h"

#include "sha256.h"

#include <dirent.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct change_line {
        char op;        /* '+', '~', '-', '?'; '!' a moved protected object (not a change) */
        bool from_walk; /* an ACL region: its objects are in the state digest one by one */
        char *kind;
        char *what;
        char *detail;
        char *source;
        uint64_t below;
};

struct run {
        const struct bw_engine_options *o;
        struct bw_plan *plan;
        char *values[BW_VAR_COUNT];
        struct bw_bindings b;
        uint32_t real_uid;
        char install_id[17];
        int state_fd, install_fd;
        struct bw_account_state acc[32];
        int64_t ids[32];
        /* The account each principal of the plan is bound to for this installation's user (the
         * plan names roles: bind_principals). */
        char names[32][BW_BINDINGS_ACCOUNT_MAX];
        const char *name_of[32];
        /* The write group role, bound per writable root: one group per root path, so that a run
         * carries the groups of its own plan's roots and no other's. */
        struct write_group {
                char *path;
                uint32_t rule;
                char name[16]; /* bw-w- and 8 hex digits of the SHA-256 of the path */
                int64_t gid;
        } * wg;
        size_t n_wg;
        struct bw_tree_policy tp;
        bool dry_run;
        /* collected changes */
        struct change_line *lines;
        size_t n_lines, cap_lines;
        char **restored; /* "A|path" or "D|path" of every ACL a revert put back */
        size_t n_restored;
        uint64_t reverted_min_seq; /* the oldest installation this revert undid (0: none) */
        struct bw_journal journal;
        unsigned adds, changes, removes, unknown;
        unsigned kept; /* '!' lines: objects that keep protection their names no longer call for */
        uint64_t acl_errors;
        uint64_t progress_seen, progress_changed; /* objects of the roots walked so far */
        struct bw_signer signer;
        bool adding_regions;
        uint8_t state_sum[32]; /* sum (mod 2^256) of a SHA-256 per changed ACL: the state digest's part
                                * that threads fill in any order */
        pthread_mutex_t state_sum_lock;
};

/* The backend a command uses: the caller's (tests), or this build's. */
static inline const struct bw_backend *bw_be(const struct bw_engine_options *o) {
        return o->backend ? o->backend : BW_BACKEND_DEFAULT;
}
#define BE(r) bw_be((r)->o)
#define W(r) bw_backend_words_of(BE(r))

/* Inside the engine a failure is a negative errno (already reported through report.c); a command
 * exits 1 for it (cli.md), or with its own status (0, or 2 for differences). */
static inline int bw_exit_status(int r) {
        return r < 0 ? 1 : r;
}

/* report.c */
/* Say what failed, on stderr, as "bulwark: MESSAGE"; returns code (a negative errno). */
BW_PRINTF(3, 4)
int bw_report_fail(struct run *r, int code, const char *fmt, ...);
/* A note or warning on stderr ("bulwark: MESSAGE"), not a failure. */
BW_PRINTF(1, 2) void bw_report_note(const char *fmt, ...);
/* Text that is whole lines already (the signature check's, the compiler's diagnostics), to stderr. */
void bw_report_text(void *ctx, const char *text);
/* An object the walk could not read or change (bw_tree_options.on_error). */
void bw_report_object_error(void *ctx, const char *root, const char *rel, const char *what, int err);
void bw_report_add(struct run *r, char op, const char *kind, const char *what, const char *detail, const char *source,
                   uint64_t below);
void bw_report_acl_regions(struct run *r, struct bw_acl_region *regions);
const char *bw_report_op_name(char op);
json_t *bw_report_change_json(const struct run *r, const struct change_line *l);
void bw_report_print_line(const struct change_line *l, bool color, FILE *out);
void bw_report_print_changes(struct run *r, FILE *out);
void bw_report_moved(const json_t *old, const struct run *now);

/* bind.c */
const char *bw_bind_role_account(const struct run *r, uint32_t role);
void bw_bind_lookup_ids(struct run *r);
int bw_bind_tree_policy(struct run *r, char *err, size_t err_size);
void bw_run_done(struct run *r);
int bw_bind_load_plan(struct run *r, const char *path);
int bw_bind_check_signature(struct run *r, const char *plan_path);
int bw_bind_prepare(struct run *r);

/* state_store.c */
int bw_state_open(struct run *r, bool create);
int bw_state_acquire_lock(struct run *r);
void bw_state_release_lock(struct run *r, int lock);
bool bw_state_created_by_bulwark(const struct run *r, const char *name);
int bw_state_shared_record(struct run *r, uint32_t type, const uint8_t *payload, uint32_t len);
int bw_state_account_record(struct run *r, const struct bw_journal_account *a);
void bw_state_add_uid(uint32_t *uids, size_t *n, size_t max, uint32_t uid);
void bw_state_offline_uids(const struct bw_engine_options *o, int state_fd, const char *skip_id, uint32_t *uids,
                           size_t *n, size_t max);
uint64_t bw_state_install_seq(int state_fd, const char *id);
uint64_t bw_state_next_seq(int state_fd);
char *bw_state_acl_key(const struct bw_journal_acl *a);
int bw_state_str_cmp(const void *a, const void *b);
int bw_state_remove_install(int state_fd, const char *id);
size_t bw_state_count_installs(int state_fd);
int bw_state_for_each_install(struct run *r, const char *which, int (*fn)(struct run *, const char *, void *),
                              void *userdata, size_t *matched);
int bw_state_filter_journal(struct run *r, const char *id);
int bw_state_interrupted(int state_fd, const char *id, char *ws, size_t ws_size);
size_t bw_state_list_installs(int state_fd, char ***ret);
void bw_state_names_free(char **names, size_t n);
int bw_state_open_read(const struct bw_engine_options *o, int state_fd);
int bw_state_read_install_bindings(int state_fd, const char *id, struct bw_install_bindings *b);
void bw_state_read_install_text(int state_fd, const char *id, const char *file, char *buf, size_t size);
int bw_state_write_install(const struct run *r, const char *bindings, bool with_plan);
int bw_state_make_install(const struct run *r);
int bw_state_remove_file(int state_fd, const char *name);
int bw_state_read_bindings_signer(int state_fd, const char *id, char *ws, char *user, size_t n, char *signer,
                                  size_t signer_size);
int bw_state_read_bindings(int state_fd, const char *id, char *ws, char *user, size_t n);

/* converge.c */
int bw_converge_accounts(struct run *r);
int bw_converge_firewall(struct run *r);
int bw_converge_acls(struct run *r);
int bw_converge_reachability(struct run *r);
int bw_converge_runner(struct run *r);
int bw_converge_install(struct run *r);
int bw_converge_dry_run(struct run *r);

/* audit.c */
void bw_audit_apply(struct run *r, bool ok);
void bw_audit_revert(const struct bw_engine_options *o, const char *which, bool all, const char *text, bool ok);

/* engine_apply.c */
int bw_apply_plan(const char *plan_path, const struct bw_engine_options *o, FILE *out, bool take_lock, bool top_level);

/* reviewed.c */
int bw_reviewed_write(struct run *r, const char *plan_path, const char *path);

/* engine_revert.c */
int bw_revert_release_unused(struct run *r, FILE *out, bool legacy_only);

/* doctor.c */
json_t *bw_doctor_report(const struct bw_engine_options *o, FILE *out, bool text);
