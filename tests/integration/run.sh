#!/bin/sh
# SPDX-License-Identifier: MIT
# Run an integration test inside throwaway namespaces (mount, network, pid), as testing.md says:
# nothing it does (users, ACLs, nftables tables) can reach the host.
# Usage: run.sh TEST.sh BUILD_DIR
set -eu
test_script=$1
build=$2
name=$(basename "$test_script" .sh)
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP $name: needs root (to create users, set ACLs and load nftables in a namespace)"
        echo "0 passed, 0 failed, 1 skipped"
        exit 77
fi
if ! unshare --mount --net --pid --fork --mount-proc true 2>/dev/null; then
        echo "SKIP $name: cannot create mount, network and pid namespaces here"
        echo "0 passed, 0 failed, 1 skipped"
        exit 77
fi
# The system's own PATH, not the caller's: a version manager's shim first on root's PATH (pyenv's
# python3 costs 0.8 s a start against 0.08 for /usr/bin/python3) made the escape suite, which
# starts python hundreds of times, outlast its ctest timeout; and the Debian packages
# install-deps.sh installs (python3-jsonschema, ...) are the ones the tests expect.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
exec unshare --mount --net --pid --fork --mount-proc /bin/sh "$test_script" "$build"
