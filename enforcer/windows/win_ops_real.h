/* SPDX-License-Identifier: MIT */
/* The Win32 table of win_ops.h (win_ops_real.c): not verified on Windows yet (tests/windows/README.md). */
#pragma once

#include "win_ops.h"

void bw_win_ops_real(struct bw_win_ops *ops);
