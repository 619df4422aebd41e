# SPDX-License-Identifier: MIT
# Carve-outs (read_only **/.env*, unreadable **/*.pem, .git, core.hooksPath .husky) against the
# system calls 20 and 24 do not use: renameat2 RENAME_EXCHANGE and RENAME_WHITEOUT on a carve-out
# and on the directory above it, an unnamed file (O_TMPFILE) given a name inside a read-only
# directory, extended attributes of the security, trusted and system.posix_acl namespaces set or
# removed; and a hard link the command makes in one run to a name that becomes a carve-out when
# ann fills it (in place, as `openssl genpkey -out` and `>` do): the next run must not read or
# write her file through the command's other name. Helpers (rb, write_fail, move_fail) come from
# 22-git-anywhere.sh.

xattr_fail='Read-only file system|Permission denied|Operation not permitted|Operation not supported|No data available'
rb -c env-exchange "$move_fail" sh -c 'echo "API_KEY=evil" >env-swap && exec '"$probe"' rename-flags env-swap .env exchange'
rm -f "$ws/env-swap"
rb -c env-deep-exchange "$move_fail" sh -c 'echo "DB_PASSWORD=evil" >config/swap && exec '"$probe"' rename-flags config/swap config/.env exchange'
rm -f "$ws/config/swap"
rb -c env-deep-parent-exchange "$move_fail" sh -c 'mkdir cfg-evil && echo "DB_PASSWORD=evil" >cfg-evil/.env && exec '"$probe"' rename-flags cfg-evil config exchange'
rm -rf "$ws/cfg-evil"
world_reset
rb -c env-deeper-parent-exchange "$move_fail" sh -c 'mkdir -p svc-evil/api/config && echo "STRIPE_KEY=evil" >svc-evil/api/config/.env.local && exec '"$probe"' rename-flags svc-evil services exchange'
rm -rf "$ws/svc-evil"
world_reset
# (RENAME_WHITEOUT needs CAP_MKNOD; the command has none: refused whatever the carve-out)
rb env-whiteout "$move_fail" "$probe" rename-flags config/.env config/moved whiteout
rm -f "$ws/config/moved"
rb -c pem-exchange "$move_fail" sh -c 'echo "not a key" >certs/swap && exec '"$probe"' rename-flags certs/swap certs/server.pem exchange'
rm -f "$ws/certs/swap"
world_reset
rb git-tmpfile-hook "$write_fail" "$probe" tmpfile-link .git/hooks post-checkout
rb husky-tmpfile-hook "$write_fail" "$probe" tmpfile-link .husky post-checkout
rb env-security-xattr "$xattr_fail" "$probe" setxattr-name config/.env security.evil evil
rb env-trusted-xattr "$xattr_fail" "$probe" setxattr-name config/.env trusted.evil evil
rb -c env-acl-xattr "$xattr_fail" "$probe" removexattr config/.env system.posix_acl_access
rb -c git-acl-default-xattr "$xattr_fail" "$probe" removexattr .git system.posix_acl_default

# ---- a hard link made ahead of a carve-out ----
link_clean() { rm -rf "$ws/keys" "$ws/newcfg"; }
link_clean
# run 1: a file of the command's, and a second name for it where ann will keep a key
harmless pem-link-plant sh -c 'mkdir keys && echo placeholder >keys/notes.txt && ln keys/notes.txt keys/new.pem'
# ann writes her new key into keys/new.pem, in place, as openssl does (a directory the command made:
# apply's ACLs on certs/ refuse the sandbox user a new name there)
[ "$mode" = control ] || as_user ann sh -c "printf -- '-----BEGIN PRIVATE KEY----- (ann, new, test)\n' >$ws/keys/new.pem"
[ "$mode" = control ] && as_user ann sh -c "cd $ws && mkdir keys && echo placeholder >keys/notes.txt && ln keys/notes.txt keys/new.pem && printf -- '-----BEGIN PRIVATE KEY----- (ann, new, test)\n' >keys/new.pem"
blocked -c -x pem-link-read 'Permission denied|no key through' sh -c 'grep "PRIVATE KEY" keys/notes.txt || { echo "no key through the other name"; exit 1; }' 
link_clean
harmless env-link-plant sh -c 'mkdir newcfg && echo placeholder >newcfg/envcopy && ln newcfg/envcopy newcfg/.env.prod'
[ "$mode" = control ] || as_user ann sh -c "echo DB_PASSWORD=ann-prod-test >$ws/newcfg/.env.prod"
[ "$mode" = control ] && as_user ann sh -c "cd $ws && mkdir newcfg && echo placeholder >newcfg/envcopy && ln newcfg/envcopy newcfg/.env.prod"
# (the .env.prod the run made was moved aside after it: ann's is a new file, and envcopy names only
# the command's own, moved-aside one, which no rule protects: the write may succeed; what counts
# is that ann's value is alone in hers)
harmless env-link-write sh -c 'echo "DB_PASSWORD=evil" >>newcfg/envcopy'
host_check env-link-write "newcfg/.env.prod holds ann's value only" sh -c "! grep -qs evil $ws/newcfg/.env.prod"
link_clean
# ... and the other name in a directory the command locks (chmod 000) before the next run
harmless pem-link-locked sh -c 'mkdir keys hideout && echo placeholder >hideout/n && ln hideout/n keys/new.pem && chmod 000 hideout'
[ "$mode" = control ] || as_user ann sh -c "printf -- '-----BEGIN PRIVATE KEY----- (ann, locked, test)\n' >$ws/keys/new.pem"
[ "$mode" = control ] && as_user ann sh -c "cd $ws && mkdir keys hideout && echo placeholder >hideout/n && ln hideout/n keys/new.pem && printf -- '-----BEGIN PRIVATE KEY----- (ann, locked, test)\n' >keys/new.pem && chmod 000 hideout"
blocked -c -x pem-link-locked 'Permission denied|no key through|cannot be read' sh -c 'chmod 700 hideout && grep "PRIVATE KEY" hideout/n || { echo "no key through the other name"; exit 1; }'
chmod -R u+rwx "$ws/hideout" 2>/dev/null
rm -rf "$ws/hideout"
link_clean
world_reset
