# SPDX-License-Identifier: MIT
# .git and .bulwark at the top of the workspace: read-only binds over the writable workspace in
# both modes (EROFS, EBUSY for the mount points themselves, EXDEV across them); in elevated mode
# the ACLs of `bulwark apply` deny the sandbox user first when the kernel checks permissions
# before the mount (EACCES). The workspace has no .bulwark in the unelevated phase (the runner
# reserves the name with an empty placeholder) and has one in the elevated phase.

blocked git-config-append "$(pick 'Read-only file system' 'Permission denied')" sh -c 'echo "[core] fsmonitor = evil" >>.git/config'
blocked git-config-truncate "$(pick 'Read-only file system' 'Permission denied')" "$probe" truncate .git/config
blocked git-hook-create 'Read-only file system' sh -c 'printf "#!/bin/sh\nevil\n" >.git/hooks/post-checkout'
blocked git-hook-chmod 'Read-only file system' chmod +x .git/hooks/pre-commit.sample
blocked git-head-unlink 'Read-only file system' rm -f .git/HEAD
blocked git-mkdir 'Read-only file system' mkdir .git/evil
blocked git-rename-away 'Device or resource busy' "$probe" rename .git .git-old
blocked git-rm-rf 'Read-only file system' rm -rf .git
blocked git-chmod 'Read-only file system' chmod 777 .git
blocked git-setfacl 'Read-only file system' setfacl --set u::rwx,g::rwx,o::rwx .git/config
blocked git-xattr 'Read-only file system' "$probe" setxattr .git/HEAD
blocked git-utime 'Read-only file system' "$probe" utime .git/config
blocked git-commit 'Read-only file system|Permission denied' git -c safe.directory='*' commit -q --allow-empty -m evil
blocked git-config-cmd 'could not lock config file.*Read-only file system' git -c safe.directory='*' config core.hooksPath /tmp
blocked git-replace-by-rename 'Invalid cross-device link' sh -c 'echo "[core]" >new-config && exec '"$probe"' rename new-config .git/config'
blocked git-hardlink-out 'Invalid cross-device link' ln .git/config config-hardlink
blocked git-symlink-file "$(pick 'Read-only file system' 'Permission denied')" sh -c 'ln -s .git/config cfg-link && echo "[core] evil" >>cfg-link'
blocked git-symlink-dir 'Read-only file system' sh -c 'ln -s .git g-link && echo evil >g-link/hooks/pre-commit'
harmless git-case-variant sh -c 'mkdir -p .GIT/hooks && echo evil >.GIT/hooks/pre-commit && echo "[core] evil" >.GIT/config'
host_check git-case-variant "git still uses the real .git (the .GIT made in the sandbox is inert)" \
        sh -c "git -c safe.directory='*' -C $ws rev-parse --git-dir | grep -qx .git && ! grep -q evil $ws/.git/config"
rm -rf "$ws/.GIT"
# A case variant of a carve-out as a symlink: the runner refuses to protect a symlink, so every
# later run would refuse to start (fail closed, but the sandbox could lock its user out).
harmless git-case-symlink ln -s / .GIT
host_check git-case-symlink "the next run still starts (a planted .GIT symlink does not lock ann out)" sandboxed true
rm -f "$ws/.GIT"

if [ "$mode" = elevated ]; then
        blocked bulwark-rewrite 'Permission denied' sh -c 'echo "network: on" >>.bulwark/policy.yaml'
        blocked bulwark-create 'Read-only file system' sh -c 'echo "network: on" >.bulwark/evil.yaml'
else
        blocked bulwark-mkdir 'File exists' mkdir .bulwark
        blocked bulwark-create 'Read-only file system' sh -c 'echo "network: on" >.bulwark/policy.yaml'
fi
blocked bulwark-rename-away 'Device or resource busy' "$probe" rename .bulwark bulwark-old
blocked bulwark-rmdir 'Device or resource busy|Read-only file system' rm -rf .bulwark
# The runner leaves an empty placeholder where .bulwark was missing (another run may be mounted on
# it: removing it would take that run's protection away); nothing the sandbox wrote is in it.
host_check bulwark-placeholder "only an empty .bulwark is left where there was none ($mode)" \
        sh -c "if [ $mode = unelevated ]; then test -d $ws/.bulwark && test -z \"\$(ls -A $ws/.bulwark)\"; else test -f $ws/.bulwark/policy.yaml; fi"

# A nested repository (a vendored submodule): the runner's tree walk binds it read-only in both
# modes (elevated, apply's ACLs may refuse first).
blocked nested-git-hook 'Read-only file system|Permission denied' sh -c 'echo evil >vendor/lib/.git/hooks/post-merge'
blocked nested-git-config 'Read-only file system|Permission denied' sh -c 'echo "[core] evil" >>vendor/lib/.git/config'
