/* SPDX-License-Identifier: MIT */
/*
 * Dump the security descriptors the Windows backend builds, for the independent judge (judge.py):
 * two installations of ann (repo and repo2) applied to the fake machine of world.c, then the
 * self-relative bytes of the objects the judge reasons about, one file each (OUT/NAME.sd), and
 * OUT/manifest.txt with the SIDs ("sid NAME S-1-...") and objects ("object NAME PLANPATH").
 * Usage: win_dump_sds OUTDIR [per-user]. Exit 0, or 1 with a message.
 *
 * per-user: one per-user installation of ann's repo instead (no accounts, no group: the entries
 * name the roots' SIDs only), and the per-user state directory (%LOCALAPPDATA%\bulwark) with the
 * descriptor the backend gives it, its installs\ directory and a record file inheriting from it.
 */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dump(struct world *w, FILE *manifest, const char *dir, const char *name, const char *path) {
        struct fake_object *o = fake_find(&w->f, path);
        if (!o) {
                fprintf(stderr, "win_dump_sds: no object %s\n", path);
                return -1;
        }
        char file[1024];
        snprintf(file, sizeof(file), "%s/%s.sd", dir, name);
        FILE *f = fopen(file, "wb");
        if (!f || fwrite(o->sd, 1, o->sd_n, f) != o->sd_n || fclose(f) != 0) {
                fprintf(stderr, "win_dump_sds: cannot write %s\n", file);
                return -1;
        }
        fprintf(manifest, "object %s %s %s\n", name, o->directory ? "dir" : "file", path);
        return 0;
}

static void sid_line(FILE *m, const char *name, const struct bw_win_sid *sid) {
        char s[BW_WIN_SID_STRING_MAX];
        bw_win_sid_to_string(sid, s);
        fprintf(m, "sid %s %s\n", name, s);
}

static const struct bw_win_sid *root_sid(const struct bw_win_install *in, const char *path) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (strcmp(in->roots[i].path, path) == 0)
                        return &in->roots[i].sid;
        fprintf(stderr, "win_dump_sds: no root %s\n", path);
        exit(1);
}

static int per_user_main(const char *out) {
        struct world w;
        world_init(&w);
        struct bw_win_install in = {.per_user = true, .user_sid = fake_real_user};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        struct bw_bindings b;
        char err[256] = "";
        snprintf(in.user, sizeof(in.user), "ann");
        world_bindings("/c/Users/ann/repo", &b);
        if (bw_win_translate(&w.plan, &b, &in, &w.ops, &t, err, sizeof(err)) < 0 ||
            bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep) < 0 || rep.errors) {
                fprintf(stderr, "win_dump_sds: per-user apply failed: %s%s\n", err, rep.last_error);
                return 1;
        }
        /* the per-user state directory as backend_windows.c makes it: its own descriptor, then
         * installs\ and the record created in it, inheriting */
        const char *state = "/c/Users/ann/AppData/Local/bulwark";
        fake_add_object(&w.f, state, true, NULL);
        struct fake_object *o = fake_find(&w.f, state);
        free(o->sd);
        if (bw_win_user_state_sd(&fake_real_user, &o->sd, &o->sd_n) < 0)
                return 1;
        fake_add_object(&w.f, "/c/Users/ann/AppData/Local/bulwark/installs", true, NULL);
        fake_add_object(&w.f, "/c/Users/ann/AppData/Local/bulwark/installs/0123456789abcdef", true, NULL);
        fake_add_object(&w.f, "/c/Users/ann/AppData/Local/bulwark/installs/0123456789abcdef/windows", false, NULL);
        char path[1024];
        snprintf(path, sizeof(path), "%s/manifest.txt", out);
        FILE *m = fopen(path, "w");
        if (!m)
                return 1;
        static const char *const objects[][2] = {
                {"c", "/c"},
                {"home", "/c/Users/ann"},
                {"ws", "/c/Users/ann/repo"},
                {"git", "/c/Users/ann/repo/.git"},
                {"git_config", "/c/Users/ann/repo/.git/config"},
                {"src", "/c/Users/ann/repo/src"},
                {"src_git", "/c/Users/ann/repo/src/.GIT"},
                {"vendor", "/c/Users/ann/repo/vendor"},
                {"secrets", "/c/Users/ann/repo/secrets"},
                {"tmp", "/c/Users/ann/AppData/Local/Temp"},
                {"tools", "/d/shared/tools"},
                {"state", "/c/Users/ann/AppData/Local/bulwark"},
                {"state_installs", "/c/Users/ann/AppData/Local/bulwark/installs"},
                {"state_id", "/c/Users/ann/AppData/Local/bulwark/installs/0123456789abcdef"},
                {"state_record", "/c/Users/ann/AppData/Local/bulwark/installs/0123456789abcdef/windows"},
        };
        int r = 0;
        for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]) && r == 0; i++)
                r = dump(&w, m, out, objects[i][0], objects[i][1]);
        sid_line(m, "real_user", &fake_real_user);
        sid_line(m, "logon", &w.f.logon_sid);
        sid_line(m, "ws_root", root_sid(&in, "/c/Users/ann/repo"));
        sid_line(m, "tmp_root_a", root_sid(&in, "/c/Users/ann/AppData/Local/Temp"));
        if (fclose(m) != 0)
                r = -1;
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
        return r == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[2], "per-user") == 0)
                return per_user_main(argv[1]);
        if (argc != 2) {
                fprintf(stderr, "usage: win_dump_sds OUTDIR [per-user]\n");
                return 1;
        }
        struct world w;
        world_init(&w);
        struct bw_win_install a = {0}, b = {0};
        struct bw_win_journal ja = {0}, jb = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation ta, tb;
        if (world_apply(&w, &a, "/c/Users/ann/repo", NULL, 0, &ja, &rep, &ta) < 0 ||
            world_apply(&w, &b, "/c/Users/ann/repo2", &a, 1, &jb, &rep, &tb) < 0 || rep.errors) {
                fprintf(stderr, "win_dump_sds: apply failed: %s\n", rep.last_error);
                return 1;
        }
        char path[1024];
        snprintf(path, sizeof(path), "%s/manifest.txt", argv[1]);
        FILE *m = fopen(path, "w");
        if (!m) {
                fprintf(stderr, "win_dump_sds: cannot write %s\n", path);
                return 1;
        }
        static const char *const objects[][2] = {
                {"c", "/c"},
                {"home", "/c/Users/ann"},
                {"ws", "/c/Users/ann/repo"},
                {"git", "/c/Users/ann/repo/.git"},
                {"git_config", "/c/Users/ann/repo/.git/config"},
                {"src", "/c/Users/ann/repo/src"},
                {"src_git", "/c/Users/ann/repo/src/.GIT"},
                {"vendor", "/c/Users/ann/repo/vendor"},
                {"secrets", "/c/Users/ann/repo/secrets"},
                {"ssh", "/c/Users/ann/.ssh"},
                {"tmp", "/c/Users/ann/AppData/Local/Temp"},
                {"ws2", "/c/Users/ann/repo2"},
                {"ws2_git", "/c/Users/ann/repo2/.git"},
                {"tools", "/d/shared/tools"},
                {"d", "/d"},
        };
        int r = 0;
        for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]) && r == 0; i++)
                r = dump(&w, m, argv[1], objects[i][0], objects[i][1]);
        sid_line(m, "real_user", &fake_real_user);
        sid_line(m, "offline", &a.offline_sid);
        sid_line(m, "online", &a.online_sid);
        sid_line(m, "group", &a.group_sid);
        sid_line(m, "logon", &w.f.logon_sid);
        sid_line(m, "ws_root", root_sid(&a, "/c/Users/ann/repo"));
        sid_line(m, "tmp_root_a", root_sid(&a, "/c/Users/ann/AppData/Local/Temp"));
        sid_line(m, "ws2_root", root_sid(&b, "/c/Users/ann/repo2"));
        sid_line(m, "tmp_root_b", root_sid(&b, "/c/Users/ann/AppData/Local/Temp"));
        if (fclose(m) != 0)
                r = -1;
        bw_win_translation_done(&ta);
        bw_win_translation_done(&tb);
        bw_win_journal_done(&ja);
        bw_win_journal_done(&jb);
        bw_win_install_done(&a);
        bw_win_install_done(&b);
        world_done(&w);
        return r == 0 ? 0 : 1;
}
