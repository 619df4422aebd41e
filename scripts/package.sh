#!/bin/sh
# SPDX-License-Identifier: MIT
# Build bulwark's Debian package into build-package/ (or DIR): a Release build installed under
# /usr, packaged by CPack's DEB generator (cmake/Packaging.cmake: dependencies, and the maintainer
# scripts that give the runner its capabilities and revert every installation on removal).
# Prints the package's path on the last line.
# Usage: scripts/package.sh [DIR]
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/build-package}
for tool in cmake cpack dpkg dpkg-deb; do
        command -v "$tool" >/dev/null 2>&1 || {
                echo "package.sh: $tool is missing (scripts/install-deps.sh installs what is needed)" >&2
                exit 1
        }
done
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
        -DBULWARK_BUILD_TESTS=OFF -DBULWARK_SANITIZE=OFF -DBULWARK_TSAN=OFF >/dev/null
cmake --build "$out" -j"${JOBS:-2}"
(cd "$out" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls -t "$out"/bulwark_*.deb | head -n 1)
dpkg-deb --info "$deb" | sed -n '/Package:/,/Installed-Size:/p' >&2
echo "$deb"
