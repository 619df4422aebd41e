#!/bin/sh
# SPDX-License-Identifier: MIT
# ctest windows/judge: dump the descriptors the backend builds (the machine's installation, and a
# per-user one), then judge each with Samba's access check. Exit 77 (skip) without python3-samba. Usage: judge.sh DUMP_PROGRAM WORKDIR JUDGE_PY
set -eu
dump=$1 work=$2 judge=$3
if ! /usr/bin/python3 -c 'import samba.security, samba.ndr' 2>/dev/null; then
        echo "windows/judge: python3-samba is not installed (scripts/install-deps.sh installs it): skipped"
        exit 77
fi
rm -rf "$work"
mkdir -p "$work/machine" "$work/per-user"
"$dump" "$work/machine"
"$dump" "$work/per-user" per-user
# the machine's installation (two of ann's), then a per-user one: both tables must hold
st=0
/usr/bin/python3 "$judge" "$work/machine" || st=1
/usr/bin/python3 "$judge" "$work/per-user" || st=1
exit $st
