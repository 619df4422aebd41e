/* SPDX-License-Identifier: MIT */
/*
 * A small Windows machine in the recording fake, and the fixture plan (fixtures/windows-fixture.bwplan,
 * compiled by bulwarkc on Linux from windows-fixture.yaml): C:\ readable by Users, ann's profile
 * readable by ann only, a repository with .git, a nested .GIT, vendor, secrets and a junction named
 * .claude, a second repository, a temporary directory, and D:\shared\tools readable by nobody but
 * ann. Shared by the unit tests and the judge's dump program.
 */
#pragma once

#include "fake_ops.h"
#include "win_backend.h"

struct world {
        struct fake f;
        struct bw_win_ops ops;
        struct bw_plan plan;
        uint8_t *plan_buf;
};

void world_init(struct world *w);
void world_done(struct world *w);
/* Bindings for ann and workspace ws (a plan path). */
void world_bindings(const char *ws, struct bw_bindings *b);
/* apply as `bulwark apply` will: principals, translation, objects, firewall, then the read-grant
 * worker to its end. Returns 0 or the first negative errno. */
int world_apply(struct world *w, struct bw_win_install *in, const char *ws, const struct bw_win_install *others,
                size_t n_others, struct bw_win_journal *j, struct bw_win_report *rep, struct bw_win_translation *t);
/* Copies of every object's SD bytes, to compare after a revert. */
struct snapshot {
        size_t n;
        uint8_t *sd[FAKE_MAX_OBJECTS];
        size_t sd_n[FAKE_MAX_OBJECTS];
};
void world_snapshot(struct world *w, struct snapshot *s);
/* The index of the first object whose bytes differ, or -1. */
long world_diff(struct world *w, const struct snapshot *s);
void snapshot_done(struct snapshot *s);
