# SPDX-License-Identifier: MIT
# ann's own git config (~/.gitconfig) naming files in the workspace that git copies hooks from or
# runs: init.templateDir (its hooks/ go into every repository her git init or clone makes, and
# run there), a trailer command (git commit --trailer), a remote's uploadpack (git fetch runs it
# locally). Each is read-only to the command (EROFS; EACCES from apply's ACLs), in both modes.
# Self-contained; made in each phase (after apply: only the runner guards them), removed after.

if [ "$mode" != control ]; then
        rm -f /run/esc.gitconfig
        [ -e /home/ann/.gitconfig ] && cp -p /home/ann/.gitconfig /run/esc.gitconfig
        as_user ann sh -e -c '
                cd "$1"
                mkdir -p git-templates/hooks tools/git
                printf "#!/bin/sh\nexit 0\n" >tools/git/sign.sh
                printf "#!/bin/sh\nexec git-upload-pack \"\$@\"\n" >tools/git/up.sh
                chmod +x tools/git/sign.sh tools/git/up.sh
                git config --global init.templateDir "$1/git-templates"
                git config --global trailer.sign.command "$1/tools/git/sign.sh"
                git config --global remote.mirror.uploadpack "$1/tools/git/up.sh"' sh "$ws"
fi
global_write_fail='Read-only file system|Permission denied'
blocked git-global-templatedir "$global_write_fail" sh -c 'printf "#!/bin/sh\ntouch /tmp/evil\n" >git-templates/hooks/post-checkout'
blocked git-global-trailer "$global_write_fail" sh -c 'echo "touch /tmp/evil" >>tools/git/sign.sh'
blocked git-global-uploadpack "$global_write_fail" sh -c 'echo "touch /tmp/evil" >>tools/git/up.sh'
if [ "$mode" != control ]; then
        if [ -e /run/esc.gitconfig ]; then cp -p /run/esc.gitconfig /home/ann/.gitconfig; else rm -f /home/ann/.gitconfig; fi
        rm -rf "$ws/git-templates" "$ws/tools/git"
        rmdir "$ws/tools" 2>/dev/null
fi
