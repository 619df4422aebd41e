# SPDX-License-Identifier: MIT
# Issue #10: carve-outs hold at any depth, in both modes, and do not give way to their parent.
# The workspace's policy (escape.sh): read_only ${workspace}/deploy (not there yet) and
# glob **/.env*, unreadable glob **/*.pem; .git is protected at any depth. Moving a carve-out, or
# the directory above it, away and making a new one in its place; replacing it by rename; rm,
# truncate, chmod, setxattr, utime; reading a private key at depth: all fail (EBUSY for a pinned or
# protected mount point, EROFS, EACCES from apply's ACLs or an inaccessible cover, EXDEV across
# mounts). A read_only path that does not exist yet is not created with the command's content.
# Helpers (rb, git_runs_nothing, plant_proof, write_fail, move_fail) come from 22-git-anywhere.sh.

# ---- nested repositories ----
rb -c nested-git-mv "$move_fail" mv vendor/lib/.git vendor/lib/moved
rm -rf "$ws/vendor/lib/moved"
world_reset
m=/tmp/esc-pwned-nested-parent
parent_swap="mv vendor/lib vendor/lib2 && mkdir vendor/lib && $plant vendor/lib/.git $ws/vendor/lib/fsmon.sh $m"
plant_proof nested-git-parent-mv $m "$ws/vendor/lib" sh -c "$parent_swap"
undo_parent_swap() {
        if [ -d "$ws/vendor/lib2" ]; then
                rm -rf "$ws/vendor/lib" && mv "$ws/vendor/lib2" "$ws/vendor/lib"
        fi
        world_reset
}
undo_parent_swap
blocked nested-git-parent-mv "$move_fail" sh -c "$parent_swap"
host_check nested-git-parent-mv "ann's git status in vendor/lib runs none of the command's code" git_runs_nothing $m "$ws/vendor/lib"
undo_parent_swap
rb -c nested-deep-git-config "$write_fail" sh -c 'echo "[core] fsmonitor = /tmp/evil" >>third_party/x/y/deep/.git/config'
rb -c nested-deep-git-hook "$write_fail" sh -c 'printf "#!/bin/sh\nevil\n" >third_party/x/y/deep/.git/hooks/post-checkout'
rb -c nested-web-git-config "$write_fail" sh -c 'echo "[core] pager = /tmp/evil" >>apps/web/.git/config'

# ---- .env files (read_only glob **/.env*), at the top and deeper ----
rb -c env-top-append "$write_fail" sh -c 'echo "API_KEY=evil" >>.env'
rb -c env-top-rm "$move_fail" rm .env
rb -c env-deep-append "$write_fail" sh -c 'echo "DB_PASSWORD=evil" >>config/.env'
rb -c env-deeper-append "$write_fail" sh -c 'echo "STRIPE_KEY=evil" >>services/api/config/.env.local'
rb -c env-deep-rm "$move_fail" rm -f config/.env
rb -c env-deep-replace-rename "$move_fail" sh -c 'echo "DB_PASSWORD=evil" >config/tmp-1 && exec '"$probe"' rename config/tmp-1 config/.env'
rb -c env-deep-truncate "$write_fail" "$probe" truncate config/.env
rb -c env-deep-chmod "$write_fail|Operation not permitted" "$probe" chmod config/.env 666
rb -c env-deep-xattr "$write_fail|Operation not permitted" "$probe" setxattr config/.env
rb -c env-deep-utime "$write_fail|Operation not permitted" "$probe" utime config/.env
rb -c env-deep-dir-rename "$move_fail" sh -c 'mv config config-old && mkdir config && echo "DB_PASSWORD=evil" >config/.env'
rm -rf "$ws/config-old"
world_reset
# ann's own tool replaces the file between runs (write a new one, rename it over): a new inode,
# which the next run must protect as well
as_user ann sh -c "cd $ws && cp config/.env /home/ann/logs/env.copy && cp /home/ann/logs/env.copy config/.env.new && mv config/.env.new config/.env"
rb -c env-after-user-replace "$write_fail" sh -c 'echo "DB_PASSWORD=evil" >>config/.env'
rm -f /home/ann/logs/env.copy

# ---- private keys (unreadable glob **/*.pem), not at the top ----
blocked -c pem-read 'Permission denied' cat certs/server.pem
blocked -c pem-deeper-read 'Permission denied' cat services/api/tls/key.pem
blocked -c pem-copy 'Permission denied' cp certs/server.pem stolen.txt
rm -f "$ws/stolen.txt"
rb -c pem-rename "$move_fail" "$probe" rename certs/server.pem certs/renamed.txt
host_check pem-rename "certs/server.pem is still there, and no certs/renamed.txt" \
        sh -c "test -f $ws/certs/server.pem && ! test -e $ws/certs/renamed.txt"
world_reset
# Renamed outside the sandbox (as root, for the simulation: ann could too), then applied again:
# what apply once hid must stay hidden from the sandbox under its new name.
if [ "$mode" = elevated ]; then
        mv "$ws/certs/server.pem" "$ws/certs/renamed.txt"
        $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1 ||
                { echo "pem-after-reapply: apply failed:"; cat /run/esc.reapply; }
        blocked pem-after-reapply 'Permission denied' cat certs/renamed.txt
        rm -f "$ws/certs/renamed.txt"
        world_reset
else
        proof pem-after-reapply cat certs/server.pem
        skip_here pem-after-reapply "no apply in unelevated mode: nothing was lifted (a key ann renames herself matches no rule)"
fi

# ---- a read_only path that does not exist yet (deploy) ----
# Refused inside, or removed (quarantined) after the run: either way, no deploy with the
# command's content on the host afterwards.
deploy_clean() {
        host_check "$1" "no deploy with the command's content after the run" \
                sh -c "! grep -rqs escape-deploy-content $ws/deploy && ! test -L $ws/deploy"
        rm -rf "$ws/deploy" "$ws/stage"
}
proof deploy-mkdir sh -c 'mkdir deploy && echo escape-deploy-content >deploy/run.sh'
rm -rf "$ws/deploy"
harmless deploy-mkdir sh -c 'mkdir deploy && echo escape-deploy-content >deploy/run.sh'
deploy_clean deploy-mkdir
proof deploy-file sh -c 'echo escape-deploy-content >deploy'
rm -rf "$ws/deploy"
harmless deploy-file sh -c 'echo escape-deploy-content >deploy'
deploy_clean deploy-file
proof deploy-rename sh -c 'mkdir stage && echo escape-deploy-content >stage/run.sh && mv stage deploy'
rm -rf "$ws/deploy"
harmless deploy-rename sh -c 'mkdir stage && echo escape-deploy-content >stage/run.sh && mv stage deploy'
deploy_clean deploy-rename
proof deploy-symlink ln -s src deploy
rm -rf "$ws/deploy"
harmless deploy-symlink ln -s src deploy
deploy_clean deploy-symlink
