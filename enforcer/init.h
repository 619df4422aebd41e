/* SPDX-License-Identifier: MIT */
/*
 * bulwark init: a commented .bulwark/policy.yaml for a repository, extending workspace-write with
 * the caches its toolchains need, recognised from its files (Cargo.toml, package.json and its lock
 * files, pyproject.toml, go.mod, pom.xml, build.gradle, Gemfile, ...) in the workspace and its
 * immediate subdirectories.
 */
#pragma once

#include "policy_gen.h"

/*
 * The policy text for workspace (malloc()ed, in *ret_text); home is the real user's home
 * directory, used only to say which caches do not exist yet (NULL: not said). Remarks go to notes.
 * 0, or a negative errno when the workspace cannot be read.
 */
int bw_init_policy(const char *workspace, const char *home, char **ret_text, struct bw_gen_notes *notes);

/* The command: bulwark init [--dry-run] [--workspace DIR]. Returns the exit status. */
int bw_cmd_init(int argc, char **argv);
