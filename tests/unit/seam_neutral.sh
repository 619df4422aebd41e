#!/bin/sh
# SPDX-License-Identifier: MIT
# The engine's neutral files make no Linux call (issue #9: backend.h is the seam): no xattrs,
# flock, passwd/group lookups, syslog, raw syscalls, nftables, capabilities, lstat or euid
# checks, and none of their headers. Those belong in enforcer/linux/ (a backend operation).
# Usage: seam_neutral.sh SOURCE_DIR
set -eu
src=$1
cd "$src/enforcer"
files="backend.h engine.h engine_internal.h tree_policy.h tree_policy.c posix_acl.h posix_acl.c journal.h journal.c
install_bindings.h install_bindings.c report.c bind.c state_store.c converge.c audit.c engine_apply.c reviewed.c
engine_revert.c engine_status.c doctor.c"
calls='\b(f?l?setxattr|f?l?getxattr|f?l?removexattr|bw_getxattrat|flock|getpw(nam|uid|ent)|getgr(nam|gid|ent)|syslog|openlog|syscall|nft_[a-z_]+|lstat|geteuid|getuid|setres[ug]id|setgroups|unshare|cap_[a-z_]+|bw_fw_[a-z_]+|bw_account_[a-z_]+|bw_runner_[a-z_]+|bw_tree_converge)\('
headers='#include[[:space:]]*[<"](sys/xattr\.h|pwd\.h|grp\.h|sys/file\.h|syslog\.h|sys/syscall\.h|nftables/|sys/capability\.h|linux/|accounts\.h|firewall\.h|runner_file\.h|acl_tree\.h|xattrat\.h)'
found=0
for f in $files; do
        # comments may name the calls; code may not
        if sed -e 's#/\*.*\*/##g' -e '/^[[:space:]]*\*/d' -e '/^[[:space:]]*\/\*/d' "$f" | grep -nE "$calls|$headers"; then
                echo "seam_neutral: $f calls the operating system directly (above): move it behind backend.h" >&2
                found=1
        fi
done
[ $found -eq 0 ] && echo "seam_neutral: $(echo $files | wc -w) neutral files, no Linux call"
exit $found
