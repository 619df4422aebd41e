# SPDX-License-Identifier: MIT
# The Windows cross build's dependencies and flags (scripts/windows.sh configures it with
# cmake/mingw-w64-x86_64.cmake and BW_MINGW_DEPS_PREFIX, where it installed the static libraries
# it built from Debian's source packages). The names defined here are listed, for
# enforcer/windows/CMakeLists.txt, at the top of scripts/windows.sh.
set(BW_MINGW_DEPS_PREFIX "" CACHE PATH "Where scripts/windows.sh installed the static dependencies")
if(NOT BW_MINGW_DEPS_PREFIX OR NOT EXISTS "${BW_MINGW_DEPS_PREFIX}/include")
  message(FATAL_ERROR "BW_MINGW_DEPS_PREFIX does not name the dependencies' prefix: build with scripts/windows.sh build")
endif()

# One static library, imported as bw_win_NAME (and as its Linux name, so libbulwark/ and compiler/
# link the same target names on both systems).
function(bw_win_import name linux_name header lib)
  find_path(BW_WIN_${name}_INCLUDE ${header} PATHS ${BW_MINGW_DEPS_PREFIX}/include NO_DEFAULT_PATH REQUIRED)
  find_library(BW_WIN_${name}_LIBRARY NAMES ${lib} PATHS ${BW_MINGW_DEPS_PREFIX}/lib NO_DEFAULT_PATH REQUIRED)
  add_library(bw_win_${name} STATIC IMPORTED GLOBAL)
  set_target_properties(bw_win_${name} PROPERTIES
    IMPORTED_LOCATION ${BW_WIN_${name}_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${BW_WIN_${name}_INCLUDE}
    INTERFACE_COMPILE_DEFINITIONS "${ARGN}")
  add_library(PkgConfig::${linux_name} ALIAS bw_win_${name})
endfunction()
# The static archives by their file names: a bare -lcmocka would take the DLL's import library.
bw_win_import(yaml YAML yaml.h libyaml.a YAML_DECLARE_STATIC)
bw_win_import(pcre2 PCRE2 pcre2.h libpcre2-8.a PCRE2_STATIC)
bw_win_import(jansson JANSSON jansson.h libjansson.a)
bw_win_import(sodium SODIUM sodium.h libsodium.a SODIUM_STATIC)
bw_win_import(cmocka CMOCKA cmocka.h libcmocka-static.a)
# cmocka's print_message() checked as mingw's C99 printf (cmake/mingw-cmocka.h says why)
set_property(TARGET bw_win_cmocka APPEND PROPERTY INTERFACE_COMPILE_OPTIONS
  -include ${CMAKE_CURRENT_LIST_DIR}/mingw-cmocka.h)
# libsodium's randombytes is RtlGenRandom (SystemFunction036, advapi32)
set_property(TARGET bw_win_sodium PROPERTY INTERFACE_LINK_LIBRARIES advapi32)

# Hardening for PE: no relro/now or PIE as ELF has them; ASLR with a 64-bit base, DEP. The stack
# protector and _FORTIFY_SOURCE need libssp; everything is linked statically, so a program is one
# .exe without libgcc/libssp/libwinpthread DLLs beside it. -fstack-clash-protection does nothing
# on Windows (the stack is probed page by page already: ___chkstk_ms) and -fcf-protection has
# nothing to act on in PE, so they are left out rather than given for show.
add_library(bw_hardening INTERFACE)
target_compile_options(bw_hardening INTERFACE
  -fstack-protector-strong -ftrivial-auto-var-init=zero -fno-strict-overflow -fno-delete-null-pointer-checks)
target_compile_definitions(bw_hardening INTERFACE $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=3>)
target_link_options(bw_hardening INTERFACE
  -static -Wl,--dynamicbase,--high-entropy-va,--nxcompat)
target_link_libraries(bw_hardening INTERFACE ssp)

# What every Windows target of ours is built with (through bw_build_flags): mingw's C99 printf
# family (%zu, %lld; formats checked as gnu_printf: libbulwark/compat.h) and a 64-bit off_t and
# struct stat; pthread_once (libbulwark/sha256.c) from winpthreads, linked statically like the rest.
add_library(bw_win_platform INTERFACE)
target_compile_definitions(bw_win_platform INTERFACE __USE_MINGW_ANSI_STDIO=1 _FILE_OFFSET_BITS=64)
target_link_libraries(bw_win_platform INTERFACE pthread)

# An executable whose entry point is wmain (UTF-16 arguments and environment).
add_library(bw_win_unicode INTERFACE)
target_link_options(bw_win_unicode INTERFACE -municode)

# What every test under Wine sets: cmocka's messages on stdout (ctest shows them), Wine quiet, and
# the build's own Wine prefix (a ctest run by hand must not make or use ~/.wine).
# (scripts/windows.sh test is the way to run them: it also starts Wine's server and services.)
set(BW_WIN_TEST_ENV "CMOCKA_MESSAGE_OUTPUT=stdout;WINEDEBUG=-all;WINEPREFIX=${PROJECT_BINARY_DIR}/wineprefix")
