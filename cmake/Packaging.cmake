# SPDX-License-Identifier: MIT
# Packaging: a Debian package (CPack's DEB generator; scripts/package.sh builds it into
# build-package/), an `uninstall` target for `cmake --install` users, and a check that the man
# pages the package ships render without troff warnings.

# --- The .deb --------------------------------------------------------------------------------
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX says (scripts/package.sh also
# configures with -DCMAKE_INSTALL_PREFIX=/usr, so every GNUInstallDirs path agrees).
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(BW_PKG_BINDIR "${CPACK_PACKAGING_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bulwark)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "bulwark maintainers <maintainers@bulwark.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "OS-enforced sandbox for the commands coding agents run")
set(CPACK_PACKAGE_DESCRIPTION
    "bulwark compiles a YAML policy into a small, deterministic plan and enforces it with\n\
dedicated users, POSIX ACLs, nftables, Landlock and seccomp. bulwarkc compiles policies;\n\
bulwark shows, diffs, applies, reverts and audits plans; bulwark-runner runs a command in\n\
the sandbox (installed with cap_setuid,cap_setgid, never setuid).")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/bulwark-sandbox/bulwark")
# What the binaries link (objdump -p: NEEDED), as dpkg-shlibdeps computes it on Debian 12;
# tests/integration/package.sh checks that every library the packaged binaries need comes from a
# package named here. libseccomp is build-time only (the runner's filter is compiled by
# seccomp_gen at build time). Added by hand, because no linker sees them:
# - libnftables1 (Depends): `bulwark` dlopen()s libnftables.so.1 when the firewall is first
#   needed, so that the commands that never touch it start 1.3 ms faster; but every plan with an
#   offline identity (network: off, the default profile) has firewall rules, and apply, status
#   and revert of such a plan fail without it ("cannot use libnftables"). A Recommends would let
#   apt install an enforcer that cannot enforce the default policy.
# - libcap2-bin (Depends): postinst gives the runner its capabilities with setcap.
# - passwd (Depends): apply creates the sandbox accounts with groupadd and useradd.
# - libssl3 (Recommends): libcrypto.so.3 is dlopen()ed to hash large plans 3x faster; without
#   it libsodium hashes everything, with the same digests.
# - minisign (Suggests): signing plans (bulwarkc --sign signs without it).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.36), libjansson4 (>= 2.14), libpcre2-8-0 (>= 10.32), libsodium23 (>= 1.0.14), libyaml-0-2, libnftables1, libcap2-bin, passwd")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libssl3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "minisign")

# Maintainer scripts: postinst gives the runner its capabilities (dpkg cannot carry xattrs in
# its archives), prerm takes them away and reverts every installation on removal, postrm purge
# removes the state and the audit log.
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/debian/${script}.in ${CMAKE_BINARY_DIR}/debian/${script} @ONLY)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/debian/${script})
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE) # debug information stays in the build tree
include(CPack)

# --- uninstall -------------------------------------------------------------------------------
# `sudo cmake --build build --target uninstall`: removes what the last `cmake --install build`
# listed in install_manifest.txt, the runner's capabilities first; refuses while plans are
# installed (their journals need this bulwark to be reverted exactly).
add_custom_target(uninstall
  COMMAND ${CMAKE_COMMAND} -DBW_MANIFEST=${CMAKE_BINARY_DIR}/install_manifest.txt
          -P ${CMAKE_CURRENT_LIST_DIR}/Uninstall.cmake
  COMMENT "Removing what install_manifest.txt lists"
  VERBATIM)

# --- man pages -------------------------------------------------------------------------------
# The pages the package ships render with no troff warning (a text line starting with "." or
# "'" is a request: troff swallows it silently without -ww).
if(BULWARK_BUILD_TESTS)
  add_test(NAME man-pages
    COMMAND ${PROJECT_SOURCE_DIR}/tests/man/check.sh
            ${PROJECT_SOURCE_DIR}/enforcer/bulwark.1 ${PROJECT_SOURCE_DIR}/compiler/bulwarkc.1)
  set_tests_properties(man-pages PROPERTIES SKIP_RETURN_CODE 77)
endif()
