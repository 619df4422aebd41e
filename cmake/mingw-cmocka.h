/* SPDX-License-Identifier: MIT */
/*
 * Included before anything else in every Windows target that links cmocka (cmake/WindowsBuild.cmake).
 * cmocka.h declares print_message() and friends with format(__printf__), which mingw-w64's gcc
 * checks as Microsoft's printf (no %zu); bulwark's code and the cmocka it links (built with
 * __USE_MINGW_ANSI_STDIO by scripts/windows.sh) use mingw's C99 printf, so the declarations are
 * made here with gnu_printf instead. cmocka.h's include guard makes later includes no-ops.
 */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#define __printf__ gnu_printf
#include <cmocka.h>
#undef __printf__
