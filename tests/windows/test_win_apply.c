/* SPDX-License-Identifier: MIT */
/*
 * The Windows backend's logic against the recording fake (enforcer/windows/win_translate.c,
 * win_apply.c): the fixture plan compiled on Linux translated for a Windows machine, the DACLs it
 * writes (bytes and order), apply twice, journal and exact revert, two installations sharing a
 * user's accounts, drift, read grants, refusals. No test here takes a Windows return code as proof
 * of an effect: the fake keeps the state, and the judge (judge.py) evaluates the descriptors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "world.h"
#include "win_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WS "/c/Users/ann/repo"
#define WS2 "/c/Users/ann/repo2"

static const struct bw_win_target *find_target(const struct bw_win_translation *t, const char *path, uint32_t kind) {
        for (size_t i = 0; i < t->n; i++)
                if (t->targets[i].kind == kind && strcmp(t->targets[i].path, path) == 0)
                        return &t->targets[i];
        return NULL;
}

static bool has_warning(const struct bw_win_translation *t, const char *needle) {
        for (size_t i = 0; i < t->n_warnings; i++)
                if (strstr(t->warnings[i], needle))
                        return true;
        return false;
}

static void test_translate(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_translation t;
        struct bw_bindings b;
        char err[256];
        snprintf(in.user, sizeof(in.user), "ann");
        world_bindings(WS, &b);
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t, err, sizeof(err)), 0);
        /* two writable roots, each with its own synthetic SID */
        assert_int_equal(in.n_roots, 2);
        assert_false(bw_win_sid_equal(&in.roots[0].sid, &in.roots[1].sid));
        assert_non_null(find_target(&t, WS, BW_WIN_T_ROOT));
        assert_non_null(find_target(&t, "/c/Users/ann/AppData/Local/Temp", BW_WIN_T_ROOT));
        /* protected names at any depth, in any case; the read_only path; unreadable paths */
        assert_non_null(find_target(&t, WS "/.git", BW_WIN_T_CARVE));
        assert_non_null(find_target(&t, WS "/src/.GIT", BW_WIN_T_CARVE));
        assert_non_null(find_target(&t, WS "/vendor", BW_WIN_T_CARVE));
        assert_non_null(find_target(&t, WS "/secrets", BW_WIN_T_UNREADABLE));
        assert_non_null(find_target(&t, "/c/Users/ann/.ssh", BW_WIN_T_UNREADABLE));
        assert_non_null(find_target(&t, "/d/shared/tools", BW_WIN_T_READ));
        /* the carve-out names the root it lies in */
        size_t ws_root = bw_win_path_equal(in.roots[0].path, WS) ? 0 : 1;
        assert_int_equal(find_target(&t, WS "/.git", BW_WIN_T_CARVE)->roots, 1u << ws_root);
        /* a junction named like a protected name is said, never given entries */
        assert_null(find_target(&t, WS "/.claude", BW_WIN_T_CARVE));
        assert_true(has_warning(&t, WS "/.claude is a junction"));
        /* a pattern the backend cannot place is said, loudly, by its text */
        assert_true(has_warning(&t, "**/*.pem"));
        assert_true(t.firewall);
        /* outer objects first: a root's inherited entries reach its carve-outs before they are set */
        for (size_t i = 1; i < t.n; i++) {
                unsigned a = 0, c = 0;
                for (const char *p = t.targets[i - 1].path; *p; p++)
                        a += *p == '/';
                for (const char *p = t.targets[i].path; *p; p++)
                        c += *p == '/';
                assert_true(a <= c);
        }
        /* the walk looked into no junction */
        assert_int_equal(fake_count(&w.f, "list " WS "/.claude"), 0);
        /* translating again gives the same SIDs: they are the installation's, kept in the state */
        struct bw_win_sid first = in.roots[0].sid;
        struct bw_win_translation t2;
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t2, err, sizeof(err)), 0);
        assert_int_equal(in.n_roots, 2);
        assert_true(bw_win_sid_equal(&first, &in.roots[0].sid));
        bw_win_translation_done(&t2);
        bw_win_translation_done(&t);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_unbound(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_translation t;
        struct bw_bindings b = {0};
        char err[256] = "";
        b.value[BW_VAR_HOME] = "/c/Users/ann";
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "is not bound"));
        bw_win_install_done(&in);
        world_done(&w);
}

/* A cache root (copy-on-write, an overlay on Linux) has no Windows form: the translation refuses
 * the plan, naming the rule, rather than take it as read-only or writable. */
static void test_cache_root_refused(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_plan p = w.plan;
        struct bw_plan_rule *rules = calloc(p.n_rules, sizeof(*rules));
        assert_non_null(rules);
        memcpy(rules, w.plan.rules, p.n_rules * sizeof(*rules));
        uint32_t k = UINT32_MAX;
        for (uint32_t i = 0; i < p.n_rules; i++)
                if (rules[i].kind == BW_RULE_READABLE && rules[i].match == BW_MATCH_PATH)
                        k = i;
        assert_true(k != UINT32_MAX);
        rules[k].kind = BW_RULE_CACHE;
        p.rules = rules;
        struct bw_win_install in = {0};
        struct bw_win_translation t;
        struct bw_bindings b;
        char err[256] = "";
        snprintf(in.user, sizeof(in.user), "ann");
        world_bindings(WS, &b);
        assert_int_equal(bw_win_translate(&p, &b, &in, &w.ops, &t, err, sizeof(err)), -EOPNOTSUPP);
        assert_non_null(strstr(err, "is a cache root (copy-on-write), which bulwark does not support on Windows"));
        assert_non_null(strstr(err, bw_plan_string(&p, rules[k].text)));
        free(rules);
        bw_win_install_done(&in);
        world_done(&w);
}

static size_t root_index(const struct bw_win_install *in, const char *path) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (bw_win_path_equal(in->roots[i].path, path))
                        return i;
        fail();
        return 0;
}

static void expect_ace(const struct bw_win_ace *a, uint8_t type, uint8_t flags, uint32_t mask,
                       const struct bw_win_sid *sid) {
        assert_int_equal(a->type, type);
        assert_int_equal(a->flags, flags);
        assert_int_equal(a->mask, mask);
        assert_true(bw_win_sid_equal(&a->sid, sid));
}

static void test_apply_dacls(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        assert_int_equal(rep.errors, 0);
        /* principals: the group, both users in it, passwords kept only as protected blobs */
        assert_string_equal(in.offline, "bwoff-ann");
        assert_string_equal(in.online, "bwon-ann");
        assert_string_equal(in.group, "bwgrp-ann");
        assert_int_equal(fake_count(&w.f, "user_add "), 2);
        assert_int_equal(fake_count(&w.f, "group_add_member bwgrp-ann "), 2);
        assert_int_equal(fake_count(&w.f, "protect "), 2);
        assert_non_null(in.offline_secret);
        assert_memory_equal(in.offline_secret, "FAKE", 4);

        size_t r = root_index(&in, WS);
        struct bw_win_acl acl;
        /* the root: two explicit allows (root SID, group), RWXD without DELETE_CHILD, inheritable;
         * then what it inherited, unchanged */
        fake_dacl(&w.f, WS, &acl);
        assert_int_equal(bw_win_acl_first_misordered(&acl), -1);
        expect_ace(&acl.aces[0], BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1301bf, &in.roots[r].sid);
        expect_ace(&acl.aces[1], BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1301bf, &in.group_sid);
        for (size_t i = 2; i < acl.n; i++)
                assert_true(acl.aces[i].flags & BW_ACE_INHERITED);
        bw_win_acl_done(&acl);
        /* .git: the narrow deny first, for the root's SID and the group */
        fake_dacl(&w.f, WS "/.git", &acl);
        assert_int_equal(bw_win_acl_first_misordered(&acl), -1);
        expect_ace(&acl.aces[0], BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, 0x10156, &in.roots[r].sid);
        expect_ace(&acl.aces[1], BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, 0x10156, &in.group_sid);
        expect_ace(&acl.aces[2], BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI | BW_ACE_INHERITED, 0x1301bf, &in.roots[r].sid);
        bw_win_acl_done(&acl);
        /* a file in .git inherits the deny before the allow */
        fake_dacl(&w.f, WS "/.git/config", &acl);
        expect_ace(&acl.aces[0], BW_ACE_DENY, BW_ACE_INHERITED, 0x10156, &in.roots[r].sid);
        expect_ace(&acl.aces[2], BW_ACE_ALLOW, BW_ACE_INHERITED, 0x1301bf, &in.roots[r].sid);
        bw_win_acl_done(&acl);
        /* the nested .GIT got its deny too */
        fake_dacl(&w.f, WS "/src/.GIT", &acl);
        expect_ace(&acl.aces[0], BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, 0x10156, &in.roots[r].sid);
        bw_win_acl_done(&acl);
        /* unreadable: everything denied to the group */
        fake_dacl(&w.f, WS "/secrets", &acl);
        expect_ace(&acl.aces[0], BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &in.group_sid);
        bw_win_acl_done(&acl);
        /* the read grant, where Users could not read */
        fake_dacl(&w.f, "/d/shared/tools", &acl);
        expect_ace(&acl.aces[0], BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1200a9, &in.group_sid);
        bw_win_acl_done(&acl);
        /* no entry on a junction; no entry outside the plan's objects */
        fake_dacl(&w.f, WS "/.claude", &acl);
        for (size_t i = 0; i < acl.n; i++)
                assert_true(acl.aces[i].flags & BW_ACE_INHERITED);
        bw_win_acl_done(&acl);
        fake_dacl(&w.f, "/c/Users/ann", &acl);
        assert_int_equal(acl.n, 3);
        bw_win_acl_done(&acl);
        /* the firewall rule for the offline user only */
        struct bw_win_fw_rule rule;
        char sid[BW_WIN_SID_STRING_MAX], sddl[300];
        assert_int_equal(w.ops.fw_get(w.ops.ctx, "bulwark offline bwoff-ann", &rule, NULL, 0), 0);
        bw_win_sid_to_string(&in.offline_sid, sid);
        snprintf(sddl, sizeof(sddl), "O:LSD:(A;;CC;;;%s)", sid);
        assert_string_equal(rule.local_user_sddl, sddl);
        assert_true(rule.outbound && rule.block);
        assert_null(strstr(rule.remote_addresses, "127."));
        assert_int_equal(rule.protocol, 256);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_apply_twice(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        assert_true(rep.changed > 0);
        size_t records = j.n;
        bw_win_translation_done(&t);
        fake_log_clear(&w.f);
        struct bw_win_report rep2 = {0};
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep2, &t), 0);
        assert_int_equal(rep2.changed, 0);
        assert_int_equal(rep2.errors, 0);
        assert_int_equal(j.n, records);
        assert_int_equal(fake_count(&w.f, "set_dacl"), 0);
        assert_int_equal(fake_count(&w.f, "user_add"), 0);
        assert_int_equal(fake_count(&w.f, "fw_add"), 0);
        assert_int_equal(fake_count(&w.f, "fw_remove"), 0);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_revert_exact(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct snapshot before;
        world_snapshot(&w, &before);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        assert_true(world_diff(&w, &before) >= 0);
        /* the journal goes through its text form, as it would through the state directory */
        char *text;
        struct bw_win_journal back;
        assert_int_equal(bw_win_journal_encode(&j, &text), 0);
        assert_int_equal(bw_win_journal_decode(text, &back), 0);
        assert_int_equal(back.n, j.n);
        for (size_t i = 0; i < j.n; i++) {
                assert_int_equal(back.recs[i].kind, j.recs[i].kind);
                assert_string_equal(back.recs[i].path, j.recs[i].path);
                assert_int_equal(back.recs[i].before_n, j.recs[i].before_n);
                if (j.recs[i].before_n)
                        assert_memory_equal(back.recs[i].before, j.recs[i].before, j.recs[i].before_n);
        }
        char *text2;
        assert_int_equal(bw_win_journal_encode(&back, &text2), 0);
        assert_string_equal(text, text2);
        free(text);
        free(text2);
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in, NULL, 0, &back, &w.ops, &rrep), 0);
        assert_int_equal(rrep.errors, 0);
        /* every descriptor byte for byte as before, the accounts and the rule gone */
        assert_int_equal(world_diff(&w, &before), -1);
        struct bw_win_sid sid;
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "bwoff-ann", &sid, NULL, 0), -ENOENT);
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "bwon-ann", &sid, NULL, 0), -ENOENT);
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "bwgrp-ann", &sid, NULL, 0), -ENOENT);
        struct bw_win_fw_rule rule;
        assert_int_equal(w.ops.fw_get(w.ops.ctx, "bulwark offline bwoff-ann", &rule, NULL, 0), -ENOENT);
        snapshot_done(&before);
        bw_win_translation_done(&t);
        bw_win_journal_done(&back);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

/* Two installations of ann (repo and repo2) share her accounts, the temporary directory root and
 * the group's entries there; each has its own root SIDs. */
static void two_installations(bool revert_newest_first) {
        struct world w;
        world_init(&w);
        struct snapshot before;
        world_snapshot(&w, &before);
        struct bw_win_install a = {0}, b = {0};
        struct bw_win_journal ja = {0}, jb = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation ta, tb;
        assert_int_equal(world_apply(&w, &a, WS, NULL, 0, &ja, &rep, &ta), 0);
        assert_int_equal(world_apply(&w, &b, WS2, &a, 1, &jb, &rep, &tb), 0);
        assert_int_equal(rep.errors, 0);
        assert_int_equal(fake_count(&w.f, "user_add "), 2); /* created once */
        size_t ta_tmp = root_index(&a, "/c/Users/ann/AppData/Local/Temp");
        size_t tb_tmp = root_index(&b, "/c/Users/ann/AppData/Local/Temp");
        assert_false(bw_win_sid_equal(&a.roots[ta_tmp].sid, &b.roots[tb_tmp].sid));
        /* repo2's .git denies repo2's SID; repo's SID has no allow there at all */
        struct bw_win_acl acl;
        fake_dacl(&w.f, WS2 "/.git", &acl);
        expect_ace(&acl.aces[0], BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, 0x10156, &b.roots[root_index(&b, WS2)].sid);
        for (size_t i = 0; i < acl.n; i++)
                assert_false(bw_win_sid_equal(&acl.aces[i].sid, &a.roots[root_index(&a, WS)].sid));
        bw_win_acl_done(&acl);

        struct bw_win_install *first = revert_newest_first ? &b : &a, *second = revert_newest_first ? &a : &b;
        struct bw_win_journal *jf = revert_newest_first ? &jb : &ja, *js = revert_newest_first ? &ja : &jb;
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(first, second, 1, jf, &w.ops, &rrep), 0);
        assert_int_equal(rrep.errors, 0);
        /* the other installation keeps its accounts, its temporary directory entries (the group's
         * allow is shared: still wanted) and its workspace */
        struct bw_win_sid sid;
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "bwoff-ann", &sid, NULL, 0), 0);
        fake_dacl(&w.f, "/c/Users/ann/AppData/Local/Temp", &acl);
        bool first_sid = false, second_sid = false, group = false;
        for (size_t i = 0; i < acl.n; i++) {
                first_sid |= bw_win_sid_equal(&acl.aces[i].sid,
                                              &first->roots[root_index(first, "/c/Users/ann/AppData/Local/Temp")].sid);
                second_sid |= bw_win_sid_equal(
                        &acl.aces[i].sid, &second->roots[root_index(second, "/c/Users/ann/AppData/Local/Temp")].sid);
                group |= bw_win_sid_equal(&acl.aces[i].sid, &second->group_sid) && acl.aces[i].type == BW_ACE_ALLOW;
        }
        assert_false(first_sid);
        assert_true(second_sid);
        assert_true(group);
        assert_int_equal(bw_win_acl_first_misordered(&acl), -1);
        bw_win_acl_done(&acl);
        assert_int_equal(bw_win_revert(second, NULL, 0, js, &w.ops, &rrep), 0);
        assert_int_equal(rrep.errors, 0);
        /* Newest first restores the journaled bytes; oldest first takes out each installation's
         * entries from what the other left: the same bytes here, as the DACLs were canonical. */
        assert_int_equal(world_diff(&w, &before), -1);
        assert_int_equal(w.ops.account_sid(w.ops.ctx, "bwoff-ann", &sid, NULL, 0), -ENOENT);
        snapshot_done(&before);
        bw_win_translation_done(&ta);
        bw_win_translation_done(&tb);
        bw_win_journal_done(&ja);
        bw_win_journal_done(&jb);
        bw_win_install_done(&a);
        bw_win_install_done(&b);
        world_done(&w);
}

static void test_refcount_newest_first(void **state) {
        (void) state;
        two_installations(true);
}

static void test_refcount_oldest_first(void **state) {
        (void) state;
        two_installations(false);
}

/* Write the DACL acl to path, as a user with icacls would. */
static void user_sets(struct world *w, const char *path, const struct bw_win_acl *acl) {
        struct fake_object *o = fake_find(&w->f, path);
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(o->sd, o->sd_n, &sd), 0);
        bw_win_acl_done(&sd.dacl);
        assert_int_equal(bw_win_acl_copy(acl, &sd.dacl), 0);
        uint8_t *bytes;
        size_t n;
        assert_int_equal(bw_win_sd_encode(&sd, &bytes, &n), 0);
        assert_int_equal(w->ops.set_dacl(w->ops.ctx, (bw_win_handle) (o - w->f.objects) + 1, bytes, n, NULL, 0), 0);
        free(bytes);
        bw_win_sd_done(&sd);
}

static void test_drift(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        char *lines = NULL;
        fake_log_clear(&w.f);
        assert_int_equal(bw_win_drift(&in, &t, &w.ops, &lines), 0);
        assert_null(lines);
        /* drift (status) opens objects read-only: no WRITE_DAC asked, so it works unelevated */
        size_t opens = 0;
        for (size_t i = 0; i < w.f.n_log; i++)
                if (strncmp(w.f.log[i], "open ", 5) == 0) {
                        opens++;
                        assert_non_null(strstr(w.f.log[i], "(read-only)"));
                }
        assert_true(opens > 0);
        assert_int_equal(fake_count(&w.f, "set_dacl"), 0);
        /* someone removes .git's deny */
        struct bw_win_acl acl, stripped = {.revision = 2};
        fake_dacl(&w.f, WS "/.git", &acl);
        for (size_t i = 2; i < acl.n; i++)
                if (!(acl.aces[i].flags & BW_ACE_INHERITED))
                        bw_win_acl_add(&stripped, acl.aces[i].type, acl.aces[i].flags, acl.aces[i].mask,
                                       &acl.aces[i].sid);
        user_sets(&w, WS "/.git", &stripped);
        /* and puts secrets' deny after an allow (a dead deny) */
        struct bw_win_acl dead = {.revision = 2};
        bw_win_acl_add(&dead, BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &bw_win_sid_everyone);
        bw_win_acl_add(&dead, BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &in.group_sid);
        user_sets(&w, WS "/secrets", &dead);
        assert_int_equal(bw_win_drift(&in, &t, &w.ops, &lines), 2);
        assert_non_null(strstr(lines, WS "/.git: an entry of the plan is missing"));
        assert_non_null(strstr(lines, WS "/secrets: the DACL is not in canonical order"));
        free(lines);
        /* apply heals both, and only those */
        fake_log_clear(&w.f);
        struct bw_win_report rep2 = {0};
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep2), 0);
        assert_int_equal(rep2.changed, 2);
        assert_int_equal(fake_count(&w.f, "set_dacl"), 2);
        assert_int_equal(bw_win_drift(&in, &t, &w.ops, &lines), 0);
        /* the user's own allow for Everyone stays, now after the deny */
        struct bw_win_acl healed;
        fake_dacl(&w.f, WS "/secrets", &healed);
        assert_int_equal(healed.aces[0].type, BW_ACE_DENY);
        assert_true(bw_win_sid_equal(&healed.aces[1].sid, &bw_win_sid_everyone));
        bw_win_acl_done(&healed);
        bw_win_acl_done(&acl);
        bw_win_acl_done(&stripped);
        bw_win_acl_done(&dead);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_foreign_account(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        assert_int_equal(w.ops.user_add(w.ops.ctx, "bwoff-ann", "pw", "Ann's backup account", NULL, 0), 0);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        snprintf(in.user, sizeof(in.user), "ann");
        assert_int_equal(bw_win_principals_converge(&in, &w.ops, &j, false, &rep), -EEXIST);
        assert_non_null(strstr(rep.last_error, "account bwoff-ann exists and is not bulwark's for ann"));
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_account_names(void **state) {
        (void) state;
        char n[BW_WIN_ACCOUNT_MAX + 1];
        assert_int_equal(bw_win_account_name(BW_ROLE_OFFLINE, "ann", n), 0);
        assert_string_equal(n, "bwoff-ann");
        assert_int_equal(bw_win_account_name(BW_ROLE_SANDBOX_GROUP, "ann", n), 0);
        assert_string_equal(n, "bwgrp-ann");
        /* too long, or not lower case: a prefix and a hash; Windows names are at most 20 characters */
        assert_int_equal(bw_win_account_name(BW_ROLE_OFFLINE, "Ann.Smith-Jones", n), 0);
        assert_int_equal(strlen(n), 20);
        assert_memory_equal(n, "bwoff-", 6);
        char m[BW_WIN_ACCOUNT_MAX + 1];
        assert_int_equal(bw_win_account_name(BW_ROLE_OFFLINE, "ann.smith-jones", m), 0);
        assert_string_not_equal(n, m); /* names Windows would take for one are told apart */
        assert_int_equal(bw_win_account_name(BW_ROLE_ONLINE, "averyveryverylongusername", n), 0);
        assert_true(strlen(n) <= 20);
        assert_int_equal(bw_win_account_name(BW_ROLE_REAL_USER, "ann", n), -EINVAL);
}

static void test_read_grant_needed(void **state) {
        (void) state;
        struct bw_win_acl acl = {0};
        assert_true(bw_win_read_grant_needed(&acl));
        bw_win_acl_add(&acl, BW_ACE_ALLOW, BW_ACE_INHERITED, BW_WIN_MASK_READ, &bw_win_sid_users);
        assert_false(bw_win_read_grant_needed(&acl));
        bw_win_acl_done(&acl);
        /* a deny for Everyone before the allow: Users cannot read after all */
        bw_win_acl_add(&acl, BW_ACE_DENY, 0, BW_FILE_READ_DATA, &bw_win_sid_everyone);
        bw_win_acl_add(&acl, BW_ACE_ALLOW, BW_ACE_INHERITED, BW_WIN_MASK_READ, &bw_win_sid_users);
        assert_true(bw_win_read_grant_needed(&acl));
        bw_win_acl_done(&acl);
        /* inherit-only entries do not apply to the object itself */
        bw_win_acl_add(&acl, BW_ACE_ALLOW, BW_ACE_IO | BW_ACE_OI, BW_WIN_MASK_READ, &bw_win_sid_everyone);
        assert_true(bw_win_read_grant_needed(&acl));
        bw_win_acl_done(&acl);
}

static void test_read_worker_progress(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        struct bw_bindings b;
        char err[256];
        snprintf(in.user, sizeof(in.user), "ann");
        world_bindings(WS, &b);
        assert_int_equal(bw_win_principals_converge(&in, &w.ops, &j, false, &rep), 0);
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t, err, sizeof(err)), 0);
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep), 0);
        /* apply itself left the read grant to the worker */
        assert_int_equal(rep.read_grants_queued, 1);
        struct bw_win_acl acl;
        fake_dacl(&w.f, "/d/shared/tools", &acl);
        for (size_t i = 0; i < acl.n; i++)
                assert_false(bw_win_sid_equal(&acl.aces[i].sid, &in.group_sid));
        bw_win_acl_done(&acl);
        struct bw_win_read_worker rw;
        char line[200];
        assert_int_equal(bw_win_read_worker_init(&rw, &in, &t, &w.ops, &j), 0);
        bw_win_read_worker_progress(&rw, line, sizeof(line));
        assert_string_equal(line, "read grants: 0 of 1 done (0 granted, 0 already readable, 0 failed)");
        assert_int_equal(bw_win_read_worker_step(&rw, 10), 0);
        bw_win_read_worker_progress(&rw, line, sizeof(line));
        assert_string_equal(line, "read grants: 1 of 1 done (1 granted, 0 already readable, 0 failed)");
        bw_win_read_worker_done(&rw);
        /* once granted, a later apply keeps the grant (it is not drift, and not taken away) */
        fake_log_clear(&w.f);
        struct bw_win_report rep2 = {0};
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep2), 0);
        assert_int_equal(fake_count(&w.f, "set_dacl"), 0);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_refusals(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        /* a workspace that is a junction is refused, not followed */
        fake_add_reparse(&w.f, "/c/Users/ann/linked");
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, "/c/Users/ann/linked", NULL, 0, &j, &rep, &t), 0);
        assert_int_equal(rep.errors, 1);
        assert_non_null(strstr(rep.last_error, "/c/Users/ann/linked is a junction or symbolic link"));
        bw_win_translation_done(&t);
        /* a failed write is counted and named; what was journaled before it stays revertible */
        struct world w2;
        world_init(&w2);
        struct snapshot before;
        world_snapshot(&w2, &before);
        fake_fail(&w2.f, "set_dacl", 2, EACCES);
        struct bw_win_install in2 = {0};
        struct bw_win_journal j2 = {0};
        struct bw_win_report rep2 = {0};
        assert_int_equal(world_apply(&w2, &in2, WS, NULL, 0, &j2, &rep2, &t), 0);
        assert_int_equal(rep2.errors, 1);
        assert_non_null(strstr(rep2.last_error, "setting its DACL failed"));
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in2, NULL, 0, &j2, &w2.ops, &rrep), 0);
        assert_int_equal(world_diff(&w2, &before), -1);
        snapshot_done(&before);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_journal_done(&j2);
        bw_win_install_done(&in);
        bw_win_install_done(&in2);
        world_done(&w);
        world_done(&w2);
}

static void test_revert_replaced_object(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        /* .git removed and made again (another file ID): revert leaves the new one alone */
        struct fake_object *o = fake_find(&w.f, WS "/.git");
        o->file_id = 999;
        uint8_t *copy = malloc(o->sd_n);
        memcpy(copy, o->sd, o->sd_n);
        size_t n = o->sd_n;
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in, NULL, 0, &j, &w.ops, &rrep), 0);
        o = fake_find(&w.f, WS "/.git");
        /* its explicit entries untouched (its inherited ones follow the restored parent) */
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(o->sd, o->sd_n, &sd), 0);
        assert_int_equal(sd.dacl.aces[0].type, BW_ACE_DENY);
        assert_true(rrep.missing >= 1);
        (void) n;
        free(copy);
        bw_win_sd_done(&sd);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void expect_refused(const char *good, const char *from, const char *to) {
        char *bad = NULL;
        const char *at = strstr(good, from);
        assert_non_null(at);
        assert_true(asprintf(&bad, "%.*s%s%s", (int) (at - good), good, to, at + strlen(from)) > 0);
        struct bw_win_install x;
        assert_int_equal(bw_win_install_decode(bad, &x), -EBADMSG);
        free(bad);
}

static void test_state_record(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct snapshot before;
        world_snapshot(&w, &before);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        snprintf(in.id, sizeof(in.id), "0123456789abcdef");
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        char *text, *again;
        assert_int_equal(bw_win_install_encode(&in, &text), 0);
        struct bw_win_install back;
        assert_int_equal(bw_win_install_decode(text, &back), 0);
        assert_int_equal(bw_win_install_encode(&back, &again), 0);
        assert_string_equal(text, again);
        /* the SIDs are the state's: a later translation of the same plan reuses them */
        assert_int_equal(back.n_roots, in.n_roots);
        for (size_t i = 0; i < in.n_roots; i++)
                assert_true(bw_win_sid_equal(&back.roots[i].sid, &in.roots[i].sid));
        assert_int_equal(back.offline_secret_n, in.offline_secret_n);
        assert_memory_equal(back.offline_secret, in.offline_secret, in.offline_secret_n);
        /* damaged records are refused, never half-read */
        expect_refused(text, "\ntarget=", "\ntarget=9 ");
        expect_refused(text, "\nfirewall=1", "\nfirewall=yes");
        expect_refused(text, "\nroot=S-1-5-21-", "\nroot=S-1-5-x");
        expect_refused(text, "\nroot=S-1-5-21-", "\nbogus=1\nroot=S-1-5-21-");
        expect_refused(text, "\nuser=ann", "\nuser=ann\nuser=bob");
        expect_refused(text, " /c/Users/ann/repo\n", " /etc/repo\n");
        expect_refused(text, " /c/Users/ann/repo\n", " /c/Users/ann/../repo\n");
        expect_refused(text, " /c/Users/ann/repo\n", " /c/Users/ann/repo/..\n");
        expect_refused(text, " /c/Users/ann/repo\n", " /c/Users/ann/repo/\n");
        expect_refused(text, " /c/Users/ann/repo\n", " /c/Users//repo\n");
        expect_refused(text, "\noffline_secret=", "\noffline_secret=zz");
        text[strlen(text) - 1] = '\0'; /* cut: no final newline */
        struct bw_win_install x;
        assert_int_equal(bw_win_install_decode(text, &x), -EBADMSG);
        assert_int_equal(bw_win_install_decode("id=01\n", &x), -EBADMSG); /* keys missing */
        /* what was decoded reverts the machine */
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&back, NULL, 0, &j, &w.ops, &rrep), 0);
        assert_int_equal(world_diff(&w, &before), -1);
        free(text);
        free(again);
        snapshot_done(&before);
        bw_win_install_done(&back);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

/* The plan changes (another workspace): what the old plan put on objects the new one does not name
 * is taken away, the old root's SID forgotten, the shared root's SID kept. */
static void test_plan_change(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct snapshot before;
        world_snapshot(&w, &before);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        struct bw_win_sid tmp_sid = in.roots[root_index(&in, "/c/Users/ann/AppData/Local/Temp")].sid;
        bw_win_translation_done(&t);
        struct bw_win_report rep2 = {0};
        assert_int_equal(world_apply(&w, &in, WS2, NULL, 0, &j, &rep2, &t), 0);
        assert_int_equal(rep2.errors, 0);
        assert_int_equal(in.n_roots, 2);
        assert_true(bw_win_sid_equal(&in.roots[root_index(&in, "/c/Users/ann/AppData/Local/Temp")].sid, &tmp_sid));
        static const char *const gone[] = {WS, WS "/.git", WS "/src/.GIT", WS "/vendor", WS "/secrets"};
        for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
                struct bw_win_acl acl;
                fake_dacl(&w.f, gone[i], &acl);
                for (size_t k = 0; k < acl.n; k++)
                        assert_false(bw_win_ace_is_ours(&in, &acl.aces[k]) ||
                                     bw_win_sid_equal(&acl.aces[k].sid, &in.group_sid));
                bw_win_acl_done(&acl);
        }
        struct bw_win_acl acl;
        fake_dacl(&w.f, WS2, &acl);
        expect_ace(&acl.aces[0], BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1301bf, &in.roots[root_index(&in, WS2)].sid);
        bw_win_acl_done(&acl);
        /* the record of the new state round-trips, and revert (both applies' records) is exact */
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in, NULL, 0, &j, &w.ops, &rrep), 0);
        assert_int_equal(world_diff(&w, &before), -1);
        snapshot_done(&before);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_firewall_drift(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        /* someone turns bulwark's rule into an allow */
        for (int i = 0; i < FAKE_MAX_RULES; i++)
                if (w.f.rule_used[i])
                        w.f.rules[i].block = false;
        fake_log_clear(&w.f);
        struct bw_win_report rep2 = {0};
        assert_int_equal(bw_win_fw_converge(&in, &w.ops, &j, false, &rep2), 0);
        assert_int_equal(rep2.changed, 1);
        struct bw_win_fw_rule rule;
        assert_int_equal(w.ops.fw_get(w.ops.ctx, "bulwark offline bwoff-ann", &rule, NULL, 0), 0);
        assert_true(rule.block);
        /* repaired without becoming "a rule that was there before": revert removes it */
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in, NULL, 0, &j, &w.ops, &rrep), 0);
        assert_int_equal(w.ops.fw_get(w.ops.ctx, "bulwark offline bwoff-ann", &rule, NULL, 0), -ENOENT);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_foreign_rule_restored(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        /* a rule of bulwark's name that is not bulwark's: replaced, and put back by revert */
        struct bw_win_fw_rule foreign = {.name = "bulwark offline bwoff-ann",
                                         .description = "an admin's rule",
                                         .remote_addresses = "10.0.0.1",
                                         .outbound = true,
                                         .protocol = 6};
        assert_int_equal(w.ops.fw_add(w.ops.ctx, &foreign, NULL, 0), 0);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        assert_int_equal(world_apply(&w, &in, WS, NULL, 0, &j, &rep, &t), 0);
        struct bw_win_fw_rule rule;
        assert_int_equal(w.ops.fw_get(w.ops.ctx, foreign.name, &rule, NULL, 0), 0);
        assert_true(rule.block);
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&in, NULL, 0, &j, &w.ops, &rrep), 0);
        assert_int_equal(w.ops.fw_get(w.ops.ctx, foreign.name, &rule, NULL, 0), 0);
        assert_string_equal(rule.description, "an admin's rule");
        assert_string_equal(rule.remote_addresses, "10.0.0.1");
        assert_false(rule.block);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

static void test_read_grant_skipped_where_users_read(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct bw_win_install in = {0};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        snprintf(in.user, sizeof(in.user), "ann");
        assert_int_equal(bw_win_principals_converge(&in, &w.ops, &j, false, &rep), 0);
        /* C:\Users inherits Users' read from C:\: no grant is needed there, D:\shared needs one */
        struct bw_win_target targets[2] = {{(char *) (uintptr_t) "/c/Users", BW_WIN_T_READ, 0},
                                           {(char *) (uintptr_t) "/d/shared", BW_WIN_T_READ, 0}};
        struct bw_win_translation t = {.targets = targets, .n = 2};
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep), 0);
        fake_log_clear(&w.f);
        struct bw_win_read_worker rw;
        assert_int_equal(bw_win_read_worker_init(&rw, &in, &t, &w.ops, &j), 0);
        while (bw_win_read_worker_step(&rw, 1) > 0)
                ;
        char line[200];
        bw_win_read_worker_progress(&rw, line, sizeof(line));
        assert_string_equal(line, "read grants: 2 of 2 done (1 granted, 1 already readable, 0 failed)");
        assert_int_equal(fake_count(&w.f, "set_dacl /c/Users"), 0);
        assert_int_equal(fake_count(&w.f, "set_dacl /d/shared"), 1);
        bw_win_read_worker_done(&rw);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

/* Is sid one of the installation's roots' SIDs? */
static bool is_root_sid(const struct bw_win_install *in, const struct bw_win_sid *sid) {
        for (size_t i = 0; i < in->n_roots; i++)
                if (bw_win_sid_equal(&in->roots[i].sid, sid))
                        return true;
        return false;
}

/* A per-user installation (no administrator): the translation keeps the roots and carve-outs,
 * drops what the user's own write-restricted token cannot be kept from (unreadable) saying so,
 * drops the read grants, and says the network is advisory; the entries written name the roots'
 * SIDs only (no group, no account); apply twice writes nothing; the record says mode=user and
 * holds no account, secret or rule; revert gives every descriptor back byte for byte. */
static void test_per_user(void **state) {
        (void) state;
        struct world w;
        world_init(&w);
        struct snapshot before;
        world_snapshot(&w, &before);
        struct bw_win_install in = {.per_user = true, .user_sid = fake_real_user};
        struct bw_win_journal j = {0};
        struct bw_win_report rep = {0};
        struct bw_win_translation t;
        struct bw_bindings b;
        char err[256];
        snprintf(in.id, sizeof(in.id), "0123456789abcdef");
        snprintf(in.user, sizeof(in.user), "ann");
        world_bindings(WS, &b);
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t, err, sizeof(err)), 0);
        assert_non_null(find_target(&t, WS, BW_WIN_T_ROOT));
        assert_non_null(find_target(&t, WS "/.git", BW_WIN_T_CARVE));
        assert_non_null(find_target(&t, WS "/src/.GIT", BW_WIN_T_CARVE));
        for (size_t i = 0; i < t.n; i++)
                assert_true(t.targets[i].kind == BW_WIN_T_ROOT || t.targets[i].kind == BW_WIN_T_CARVE);
        assert_true(has_warning(&t, "/c/Users/ann/.ssh is to be unreadable: NOT ENFORCED by a per-user installation"));
        assert_true(has_warning(&t, WS "/secrets is to be unreadable: NOT ENFORCED"));
        assert_true(has_warning(&t, "network off: advisory, not enforced"));
        assert_true(has_warning(&t, "run apply from an elevated prompt for the firewall rule"));
        assert_false(t.firewall);
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t, &w.ops, &j, false, &rep), 0);
        assert_int_equal(rep.errors, 0);
        assert_true(fake_count(&w.f, "set_dacl") > 0);
        /* every explicit entry bulwark added names a root's SID: no group, no account */
        for (size_t i = 0; i < w.f.n_objects; i++) {
                struct bw_win_sd sd;
                assert_int_equal(bw_win_sd_decode(w.f.objects[i].sd, w.f.objects[i].sd_n, &sd), 0);
                for (size_t k = 0; k < sd.dacl.n; k++) {
                        const struct bw_win_ace *a = &sd.dacl.aces[k];
                        if (a->flags & BW_ACE_INHERITED)
                                continue;
                        bool machine = bw_win_sid_equal(&a->sid, &bw_win_sid_system) ||
                                       bw_win_sid_equal(&a->sid, &bw_win_sid_admins) ||
                                       bw_win_sid_equal(&a->sid, &bw_win_sid_users) ||
                                       bw_win_sid_equal(&a->sid, &fake_real_user);
                        /* ann's own: the carve-outs' deny of DELETE, on the object alone */
                        if (bw_win_sid_equal(&a->sid, &fake_real_user) && a->type == BW_ACE_DENY &&
                            a->mask == BW_DELETE && a->flags == 0)
                                continue;
                        if (!machine && !is_root_sid(&in, &a->sid))
                                fail_msg("%s: an entry for a SID that is no root's", w.f.objects[i].path);
                }
                bw_win_sd_done(&sd);
        }
        struct fake_object *git = fake_find(&w.f, WS "/.git");
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(git->sd, git->sd_n, &sd), 0);
        assert_true(sd.dacl.n > 1 && sd.dacl.aces[0].type == BW_ACE_DENY && sd.dacl.aces[0].mask == 0x10156 &&
                    is_root_sid(&in, &sd.dacl.aces[0].sid));
        /* and the deny of DELETE for ann on .git itself, not inherited below it */
        assert_true(sd.dacl.aces[1].type == BW_ACE_DENY && sd.dacl.aces[1].mask == BW_DELETE &&
                    sd.dacl.aces[1].flags == 0 && bw_win_sid_equal(&sd.dacl.aces[1].sid, &fake_real_user));
        bw_win_sd_done(&sd);
        struct fake_object *cfg = fake_find(&w.f, WS "/.git/config");
        assert_int_equal(bw_win_sd_decode(cfg->sd, cfg->sd_n, &sd), 0);
        for (size_t k = 0; k < sd.dacl.n; k++)
                assert_false(bw_win_sid_equal(&sd.dacl.aces[k].sid, &fake_real_user) &&
                             sd.dacl.aces[k].mask == BW_DELETE);
        bw_win_sd_done(&sd);
        /* nothing for .ssh or the read grant's tools: they were dropped */
        assert_int_equal(fake_count(&w.f, "set_dacl /c/Users/ann/.ssh"), 0);
        assert_int_equal(fake_count(&w.f, "set_dacl /d/shared/tools"), 0);
        /* apply twice: the second writes nothing */
        struct bw_win_translation t2;
        fake_log_clear(&w.f);
        assert_int_equal(bw_win_translate(&w.plan, &b, &in, &w.ops, &t2, err, sizeof(err)), 0);
        assert_int_equal(bw_win_apply_targets(&in, NULL, 0, &t2, &w.ops, &j, false, &rep), 0);
        assert_int_equal(fake_count(&w.f, "set_dacl"), 0);
        bw_win_translation_done(&t2);
        /* the record */
        char *text = NULL;
        assert_int_equal(bw_win_install_encode(&in, &text), 0);
        assert_non_null(strstr(text, "\nuser=ann\nmode=user\nuser_sid=S-1-5-21-1-2-3-1001\nfirewall=0\nroot="));
        assert_null(strstr(text, "offline"));
        assert_null(strstr(text, "secret"));
        assert_null(strstr(text, "group="));
        struct bw_win_install back;
        assert_int_equal(bw_win_install_decode(text, &back), 0);
        assert_true(back.per_user);
        char *again = NULL;
        assert_int_equal(bw_win_install_encode(&back, &again), 0);
        assert_string_equal(text, again);
        free(again);
        expect_refused(text, "\nmode=user", "\nmode=machine");
        expect_refused(text, "\nfirewall=0", "\nfirewall=1");
        expect_refused(text, "\nmode=user", "\nmode=user\noffline=bwoff-ann S-1-5-21-1-2-3-1002");
        expect_refused(text, "\nmode=user", "\nmode=user\noffline_secret=00");
        expect_refused(text, "\nmode=user", "\nmode=user\nmode=user");
        expect_refused(text, "\nuser_sid=S-1-5-21-1-2-3-1001", "");
        expect_refused(text, "\nuser_sid=S-1-5-21-1-2-3-1001", "\nuser_sid=S-1-x");
        /* a machine record with a mode line is refused too */
        struct bw_win_install m = {0};
        snprintf(m.id, sizeof(m.id), "0123456789abcdef");
        snprintf(m.user, sizeof(m.user), "ann");
        char *mt = NULL;
        assert_int_equal(bw_win_install_encode(&m, &mt), 0);
        assert_null(strstr(mt, "mode="));
        expect_refused(mt, "\nfirewall=0", "\nfirewall=0\nmode=user");
        free(mt);
        /* revert: every descriptor as before, byte for byte */
        struct bw_win_report rrep = {0};
        assert_int_equal(bw_win_revert(&back, NULL, 0, &j, &w.ops, &rrep), 0);
        assert_int_equal(world_diff(&w, &before), -1);
        free(text);
        bw_win_install_done(&back);
        snapshot_done(&before);
        bw_win_translation_done(&t);
        bw_win_journal_done(&j);
        bw_win_install_done(&in);
        world_done(&w);
}

/* The per-user state directory's descriptor, and the check of one found on disk. */
static void test_user_state_sd(void **state) {
        (void) state;
        uint8_t *b = NULL;
        size_t n = 0;
        assert_int_equal(bw_win_user_state_sd(&fake_real_user, &b, &n), 0);
        struct bw_win_sd sd;
        assert_int_equal(bw_win_sd_decode(b, n, &sd), 0);
        assert_true(sd.control & BW_SE_DACL_PROTECTED);
        assert_true(sd.has_owner && bw_win_sid_equal(&sd.owner, &fake_real_user));
        char *d = bw_win_acl_describe(&sd.dacl);
        assert_string_equal(d, "A:0x1f01ff:OICI:S-1-5-18;A:0x1f01ff:OICI:S-1-5-32-544;A:0x1e01ff:OICI:"
                               "S-1-5-21-1-2-3-1001");
        free(d);
        char why[256] = "";
        assert_int_equal(bw_win_user_state_check(b, n, &fake_real_user, why, sizeof(why)), 0);
        /* another user's directory is refused */
        struct bw_win_sid bob;
        assert_int_equal(bw_win_sid_from_string("S-1-5-21-1-2-3-1005", &bob), 0);
        assert_int_equal(bw_win_user_state_check(b, n, &bob, why, sizeof(why)), -EPERM);
        assert_non_null(strstr(why, "not by you"));
        /* a read entry for Everyone is harmless; a deny too */
        struct bw_win_sid logon, root;
        assert_int_equal(bw_win_sid_from_string("S-1-5-5-0-99", &logon), 0);
        assert_int_equal(bw_win_sid_from_string("S-1-5-21-77-88-99-100", &root), 0);
        struct {
                uint8_t type, flags;
                uint32_t mask;
                const struct bw_win_sid *sid;
                int want;
        } cases[] = {
                {BW_ACE_ALLOW, 0, 0x1200a9, &bw_win_sid_everyone, 0},
                {BW_ACE_DENY, BW_ACE_OI | BW_ACE_CI, 0x1f01ff, &bw_win_sid_everyone, 0},
                {BW_ACE_ALLOW, 0, BW_FILE_WRITE_DATA, &bw_win_sid_everyone, -EPERM},
                {BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, BW_FILE_ALL_ACCESS, &logon, -EPERM},
                {BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_CI, 0x1301bf, &root, -EPERM},
                {BW_ACE_ALLOW, 0, BW_DELETE, &bw_win_sid_users, -EPERM},
                {BW_ACE_ALLOW, 0, BW_WRITE_DAC, &bw_win_sid_authenticated, -EPERM},
                {BW_ACE_ALLOW, 0, 0x40000000u, &bw_win_sid_users, -EPERM}, /* GENERIC_WRITE */
                /* inherit-only: applies to the records in it */
                {BW_ACE_ALLOW, BW_ACE_OI | BW_ACE_IO, BW_FILE_APPEND_DATA, &bw_win_sid_everyone, -EPERM},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct bw_win_sd x;
                assert_int_equal(bw_win_sd_decode(b, n, &x), 0);
                assert_int_equal(bw_win_acl_add(&x.dacl, cases[i].type, cases[i].flags, cases[i].mask, cases[i].sid),
                                 0);
                uint8_t *xb = NULL;
                size_t xn = 0;
                assert_int_equal(bw_win_sd_encode(&x, &xb, &xn), 0);
                why[0] = 0;
                int r = bw_win_user_state_check(xb, xn, &fake_real_user, why, sizeof(why));
                if (r != cases[i].want)
                        fail_msg("case %zu: %d (%s), want %d", i, r, why, cases[i].want);
                free(xb);
                bw_win_sd_done(&x);
        }
        bw_win_sd_done(&sd);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_translate),
                cmocka_unit_test(test_unbound),
                cmocka_unit_test(test_cache_root_refused),
                cmocka_unit_test(test_apply_dacls),
                cmocka_unit_test(test_apply_twice),
                cmocka_unit_test(test_revert_exact),
                cmocka_unit_test(test_refcount_newest_first),
                cmocka_unit_test(test_refcount_oldest_first),
                cmocka_unit_test(test_drift),
                cmocka_unit_test(test_foreign_account),
                cmocka_unit_test(test_account_names),
                cmocka_unit_test(test_read_grant_needed),
                cmocka_unit_test(test_read_worker_progress),
                cmocka_unit_test(test_refusals),
                cmocka_unit_test(test_revert_replaced_object),
                cmocka_unit_test(test_state_record),
                cmocka_unit_test(test_plan_change),
                cmocka_unit_test(test_firewall_drift),
                cmocka_unit_test(test_foreign_rule_restored),
                cmocka_unit_test(test_read_grant_skipped_where_users_read),
                cmocka_unit_test(test_per_user),
                cmocka_unit_test(test_user_state_sd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
