#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest windows/judge: dump the descriptors the backend builds, then judge them with Samba's access
# check. Exit 77 (skip) without python3-samba. Usage: judge.sh DUMP_PROGRAM WORKDIR JUDGE_PY
set -eu
dump=$1 work=$2 judge=$3
if ! /usr/bin/python3 -c 'import samba.security, samba.ndr' 2>/dev/null; then
        echo "windows/judge: python3-samba is not installed (scripts/install-deps.sh installs it): skipped"
        exit 77
fi
rm -rf "$work"
mkdir -p "$work"
"$dump" "$work"
exec /usr/bin/python3 "$judge" "$work"
