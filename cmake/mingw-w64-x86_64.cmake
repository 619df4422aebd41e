# SPDX-License-Identifier: MIT
# Cross-compiling to 64-bit Windows with Debian's mingw-w64 (gcc-mingw-w64-x86-64), for bulwark
# itself and for the third-party libraries scripts/windows.sh builds from Debian's source packages.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(BW_MINGW_TRIPLET x86_64-w64-mingw32)
# The win32 threading flavour (Debian's default alternative): nothing we build needs C11 or POSIX
# threads from the runtime, and its programs need no libwinpthread-1.dll beside them.
find_program(CMAKE_C_COMPILER NAMES ${BW_MINGW_TRIPLET}-gcc-win32 ${BW_MINGW_TRIPLET}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${BW_MINGW_TRIPLET}-windres REQUIRED)
set(CMAKE_AR ${BW_MINGW_TRIPLET}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${BW_MINGW_TRIPLET}-ranlib CACHE FILEPATH "")

# Headers and libraries from the cross sysroot and the prefixes given in CMAKE_PREFIX_PATH /
# CMAKE_FIND_ROOT_PATH (the dependencies' install directory), programs from the build host.
set(CMAKE_FIND_ROOT_PATH /usr/${BW_MINGW_TRIPLET} ${BW_MINGW_DEPS_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Tests run under Wine (scripts/windows.sh test starts the server and sets the prefix).
find_program(BW_WINE NAMES wine wine64)
if(BW_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${BW_WINE})
endif()
