/* SPDX-License-Identifier: MIT */
/* Stand-in for the POSIX <ftw.h> in the Windows build only: see compat.h. */
#pragma once
#include "../compat.h"
