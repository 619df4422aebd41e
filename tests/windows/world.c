/* SPDX-License-Identifier: MIT */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BW_WIN_FIXTURES
#error "BW_WIN_FIXTURES must name tests/windows/fixtures"
#endif

static void load_plan(struct world *w) {
        FILE *f = fopen(BW_WIN_FIXTURES "/windows-fixture.bwplan", "rb");
        if (!f) {
                fprintf(stderr, "cannot open %s\n", BW_WIN_FIXTURES "/windows-fixture.bwplan");
                abort();
        }
        /* 8-byte aligned, as the reader requires */
        w->plan_buf = malloc(65536); /* malloc is 16-byte aligned on 64-bit glibc and msvcrt: the reader needs 8 */
        size_t n = fread(w->plan_buf, 1, 65536, f);
        fclose(f);
        struct bw_plan_error err;
        if (bw_plan_parse(w->plan_buf, n, 0, &w->plan, &err) < 0) {
                fprintf(stderr, "fixture plan invalid at byte %llu: %s\n", (unsigned long long) err.offset,
                        err.message);
                abort();
        }
}

void world_init(struct world *w) {
        memset(w, 0, sizeof(*w));
        fake_init(&w->f, &w->ops);
        struct bw_win_acl root = {0}, home = {0}, d = {0};
        bw_win_acl_add(&root, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        bw_win_acl_add(&root, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_admins);
        bw_win_acl_add(&root, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_WIN_MASK_READ, &bw_win_sid_users);
        fake_add_object(&w->f, "/c", true, &root);
        fake_add_object(&w->f, "/c/Users", true, NULL);
        fake_home_dacl(&home);
        fake_add_object(&w->f, "/c/Users/ann", true, &home);
        /* a profile is protected: nothing of C:\'s Users entry reaches it */
        struct fake_object *o = fake_find(&w->f, "/c/Users/ann");
        struct bw_win_sd sd;
        bw_win_sd_decode(o->sd, o->sd_n, &sd);
        sd.control |= BW_SE_DACL_PROTECTED;
        bw_win_acl_done(&sd.dacl);
        bw_win_acl_copy(&home, &sd.dacl);
        free(o->sd);
        bw_win_sd_encode(&sd, &o->sd, &o->sd_n);
        bw_win_sd_done(&sd);
        static const char *const dirs[] = {"/c/Users/ann/repo",          "/c/Users/ann/repo/.git",
                                           "/c/Users/ann/repo/src",      "/c/Users/ann/repo/src/.GIT",
                                           "/c/Users/ann/repo/vendor",   "/c/Users/ann/repo/secrets",
                                           "/c/Users/ann/.ssh",          "/c/Users/ann/AppData",
                                           "/c/Users/ann/AppData/Local", "/c/Users/ann/AppData/Local/Temp",
                                           "/c/Users/ann/repo2",         "/c/Users/ann/repo2/.git"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                fake_add_object(&w->f, dirs[i], true, NULL);
        static const char *const files[] = {"/c/Users/ann/repo/.git/config", "/c/Users/ann/repo/src/main.c",
                                            "/c/Users/ann/repo/secrets/key.pem", "/c/Users/ann/repo2/README"};
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                fake_add_object(&w->f, files[i], false, NULL);
        fake_add_reparse(&w->f, "/c/Users/ann/repo/.claude");
        bw_win_acl_add(&d, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_system);
        bw_win_acl_add(&d, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &fake_real_user);
        fake_add_object(&w->f, "/d", true, &d);
        fake_add_object(&w->f, "/d/shared", true, NULL);
        fake_add_object(&w->f, "/d/shared/tools", true, NULL);
        fake_add_object(&w->f, "/d/shared/tools/cc.exe", false, NULL);
        bw_win_acl_done(&root);
        bw_win_acl_done(&home);
        bw_win_acl_done(&d);
        load_plan(w);
        fake_log_clear(&w->f);
}

void world_done(struct world *w) {
        fake_done(&w->f);
        free(w->plan_buf);
}

void world_bindings(const char *ws, struct bw_bindings *b) {
        b->value[BW_VAR_HOME] = "/c/Users/ann";
        b->value[BW_VAR_TMPDIR] = "/c/Users/ann/AppData/Local/Temp";
        b->value[BW_VAR_USER] = "ann";
        b->value[BW_VAR_WORKSPACE] = ws;
}

int world_apply(struct world *w, struct bw_win_install *in, const char *ws, const struct bw_win_install *others,
                size_t n_others, struct bw_win_journal *j, struct bw_win_report *rep, struct bw_win_translation *t) {
        struct bw_bindings b;
        char err[256] = "";
        world_bindings(ws, &b);
        if (!in->user[0])
                snprintf(in->user, sizeof(in->user), "ann");
        int r = bw_win_principals_converge(in, &w->ops, j, false, rep);
        if (r == 0)
                r = bw_win_translate(&w->plan, &b, in, &w->ops, t, err, sizeof(err));
        if (r == 0)
                r = bw_win_apply_targets(in, others, n_others, t, &w->ops, j, false, rep);
        if (r == 0 && t->firewall)
                r = bw_win_fw_converge(in, &w->ops, j, false, rep);
        if (r == 0) {
                struct bw_win_read_worker rw;
                r = bw_win_read_worker_init(&rw, in, t, &w->ops, j);
                while (r == 0 && bw_win_read_worker_step(&rw, 1) > 0)
                        ;
                if (r == 0)
                        bw_win_read_worker_done(&rw);
        }
        return r;
}

void world_snapshot(struct world *w, struct snapshot *s) {
        s->n = w->f.n_objects;
        for (size_t i = 0; i < s->n; i++) {
                s->sd_n[i] = w->f.objects[i].sd_n;
                s->sd[i] = malloc(s->sd_n[i]);
                memcpy(s->sd[i], w->f.objects[i].sd, s->sd_n[i]);
        }
}

long world_diff(struct world *w, const struct snapshot *s) {
        for (size_t i = 0; i < s->n; i++)
                if (s->sd_n[i] != w->f.objects[i].sd_n || memcmp(s->sd[i], w->f.objects[i].sd, s->sd_n[i]) != 0)
                        return (long) i;
        return -1;
}

void snapshot_done(struct snapshot *s) {
        for (size_t i = 0; i < s->n; i++)
                free(s->sd[i]);
        s->n = 0;
}
