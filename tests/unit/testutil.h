/* SPDX-License-Identifier: MIT */
/* Helpers shared by the unit tests: temporary directories, writing files, compiling policies. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compile.h"

/* A fresh directory under $TMPDIR (or /tmp), removed with bw_test_rmtree(). malloc()ed. */
char *bw_test_mkdtemp(void);
void bw_test_rmtree(const char *dir);
/* Write text to dir/name (creating parent directories); returns the malloc()ed path. */
char *bw_test_write(const char *dir, const char *name, const char *text);
/* Compile the policy text (written to dir/policy.yaml), with an optional admin dir. */
int bw_test_compile(const char *dir, const char *text, const char *admin_dir, const struct bw_bindings *b,
                    struct bw_compilation *c);
/* True if some diagnostic of the severity contains needle. */
bool bw_test_has_diag(const struct bw_compilation *c, enum bw_severity sev, const char *needle);
/* Compile text to plan bytes (asserts success). */
void bw_test_plan_bytes(const char *dir, const char *text, const struct bw_bindings *b, bool without_provenance,
                        uint8_t **ret, size_t *ret_size);
