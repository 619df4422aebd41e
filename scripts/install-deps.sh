#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what building and testing bulwark needs on Debian 12, idempotently: packages that are
# already installed are left alone, and apt-get runs only when something is missing. The Windows
# cross build (scripts/windows.sh) needs mingw-w64, Wine, autotools (libsodium) and dpkg-dev
# (apt-get source); its judge of security descriptors, python3-samba.
#   scripts/install-deps.sh            everything the test command (scripts/test.sh) needs
#   scripts/install-deps.sh --build    only what building and running bulwark needs (the quick
#                                      start: no compilers for other gates, no Wine, no Ansible)
set -eu

BUILD_PACKAGES="
build-essential cmake pkg-config
libyaml-dev libpcre2-dev libjansson-dev libssl3 libsodium-dev libseccomp-dev libnftables-dev
acl nftables libcap2-bin git
"
PACKAGES="$BUILD_PACKAGES
bubblewrap minisign
libcmocka-dev clang clang-tidy
python3 python3-jsonschema python3-yaml
acl nftables iproute2 util-linux passwd procps libcap2-bin git strace curl
zsh fish
groff-base ansible-core
gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev wine wine64 autoconf automake libtool dpkg-dev debian-archive-keyring
python3-samba
"
# tests/fuzz/run.sh (libFuzzer itself): clang's runtime libraries
[ "${BULWARK_FUZZ:-0}" = 1 ] && PACKAGES="$PACKAGES libclang-rt-14-dev"
case "${1:-}" in
--build) PACKAGES=$BUILD_PACKAGES ;;
"") ;;
*)
        echo "usage: scripts/install-deps.sh [--build]" >&2
        exit 64
        ;;
esac

missing=""
for p in $PACKAGES; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "bulwark: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
