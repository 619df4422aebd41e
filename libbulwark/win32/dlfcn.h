/* SPDX-License-Identifier: MIT */
/* Stand-in for the POSIX <dlfcn.h> in the Windows build only: see compat.h. */
#pragma once
#include "../compat.h"
