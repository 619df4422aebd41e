# SPDX-License-Identifier: MIT
# The `uninstall` target (cmake/Packaging.cmake): remove every file that the last
# `cmake --install` listed in install_manifest.txt (DESTDIR included, as install wrote it). The
# runner's capabilities go first, so that no other name of the inode keeps them. Refuses while
# plans are installed: their journals need this bulwark to be reverted exactly.
# cmake -DBW_MANIFEST=build/install_manifest.txt -P cmake/Uninstall.cmake
if(NOT EXISTS "${BW_MANIFEST}")
  message(FATAL_ERROR "${BW_MANIFEST} does not exist: nothing was installed from this build directory (cmake --install writes it)")
endif()
file(STRINGS "${BW_MANIFEST}" files)

foreach(f IN LISTS files)
  get_filename_component(name "${f}" NAME)
  if(name STREQUAL "bulwark" AND EXISTS "${f}" AND "$ENV{DESTDIR}" STREQUAL "")
    execute_process(COMMAND "${f}" status --json OUTPUT_VARIABLE status RESULT_VARIABLE rc ERROR_QUIET)
    if(status MATCHES "\"installed\": *([0-9]+)" AND NOT CMAKE_MATCH_1 EQUAL 0)
      message(FATAL_ERROR "${CMAKE_MATCH_1} plan(s) installed by ${f} are in force: revert them first "
                          "(sudo ${f} revert --all), or they can no longer be reverted exactly")
    endif()
  endif()
endforeach()

find_program(BW_SETCAP setcap PATHS /usr/sbin /sbin)
set(dirs "")
foreach(f IN LISTS files)
  if(NOT EXISTS "${f}" AND NOT IS_SYMLINK "${f}")
    message(STATUS "Already gone: ${f}")
    continue()
  endif()
  get_filename_component(name "${f}" NAME)
  if(name STREQUAL "bulwark-runner" AND NOT IS_SYMLINK "${f}" AND BW_SETCAP)
    execute_process(COMMAND "${BW_SETCAP}" -r "${f}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      message(STATUS "Capabilities removed: ${f}")
    endif()
  endif()
  message(STATUS "Removing: ${f}")
  file(REMOVE "${f}")
  if(EXISTS "${f}" OR IS_SYMLINK "${f}")
    message(FATAL_ERROR "cannot remove ${f} (run the uninstall target as the user who installed, e.g. with sudo)")
  endif()
  get_filename_component(d "${f}" DIRECTORY)
  list(APPEND dirs "${d}")
endforeach()

# Directories of bulwark's own (share/bulwark/...) go when they are empty; shared ones (bin,
# man/man1) stay.
list(REMOVE_DUPLICATES dirs)
list(SORT dirs ORDER DESCENDING) # deepest first
foreach(d IN LISTS dirs)
  while(d MATCHES "/bulwark(/|$)")
    file(GLOB left LIST_DIRECTORIES true "${d}/*")
    if(left)
      break()
    endif()
    file(REMOVE_RECURSE "${d}")
    message(STATUS "Removing empty directory: ${d}")
    get_filename_component(d "${d}" DIRECTORY)
  endwhile()
endforeach()
