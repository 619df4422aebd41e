/* SPDX-License-Identifier: MIT */
/*
 * A recording fake of backend.h for the engine's unit tests: accounts, the network filter, a tree
 * of objects with access entries, the runner and the audit sink live in memory; every operation
 * that would change the machine is logged ("W ...") so a test can assert on what the engine did,
 * and the whole state can be snapshotted and compared (revert must give back the exact bytes).
 * The state store is a real directory (a temporary one; no ownership check, no lock contention).
 */
#pragma once

#include "backend.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_MAX_ACCOUNTS 64
#define FAKE_MAX_OBJECTS 256
#define FAKE_ACL_MAX (4 + 8 * 64)

struct fake_account {
        char name[64];
        uint32_t id;
        bool group;
};

struct fake_object {
        char path[256];
        bool dir;
        uint64_t ino;
        uint32_t mode;
        uint8_t access[FAKE_ACL_MAX], dflt[FAKE_ACL_MAX];
        size_t access_len, dflt_len; /* 0: absent */
};

struct fake_state {
        struct fake_account acc[FAKE_MAX_ACCOUNTS];
        size_t n_acc;
        uint32_t next_id;
        bool fw_present;
        uint32_t fw_ids[64];
        size_t n_fw_ids;
        bool runner_current;
        struct fake_object obj[FAKE_MAX_OBJECTS];
        size_t n_obj;
};

struct fake_backend {
        struct bw_backend ops; /* first: the engine is given &fake->ops */
        struct fake_state st;
        char **log; /* every operation that changed something, in order */
        size_t n_log;
        char **audit; /* the audit records written */
        size_t n_audit;
        uint64_t next_ino;
};

/* The fake in use (one at a time: the operations reach it through this). */
struct fake_backend *fake_backend_new(void);
void fake_backend_free(struct fake_backend *f);

/* Set up the machine: a human user, and objects (a directory with mode, a file). */
void fake_add_user(struct fake_backend *f, const char *name, uint32_t id);
void fake_add_dir(struct fake_backend *f, const char *path, uint32_t mode);
void fake_add_file(struct fake_backend *f, const char *path, uint32_t mode);
struct fake_object *fake_object(struct fake_backend *f, const char *path);
bool fake_has_account(const struct fake_backend *f, const char *name);
/* Does the object's access (or default) ACL name group id? */
bool fake_acl_names(const struct fake_object *o, bool dflt, uint16_t tag, uint32_t id);
/* An account's id (asserts it exists). */
uint32_t fake_id(const struct fake_backend *f, const char *name);
/* How many log lines start with prefix. */
size_t fake_log_count(const struct fake_backend *f, const char *prefix);
void fake_log_clear(struct fake_backend *f);
