/* SPDX-License-Identifier: MIT */
/*
 * What a workspace policy grants beyond the built-in workspace-write profile, in every dimension
 * the front end can see: writes, reads, network, and (from the compiler) protected defaults it
 * drops and environment it passes through. Shown by `bulwark trust` and when `bulwark run` asks
 * for trust.
 */
#pragma once

#include "compile.h"

#include <stdio.h>

/* Print one line per widening grant of c (compiled with o) to out, each starting with indent.
 * Returns how many; -errno when the built-in profile could not be compiled for comparison. */
int bw_widening_report(const struct bw_compilation *c, const struct bw_compile_options *o, FILE *out,
                       const char *indent);
