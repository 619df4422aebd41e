# SPDX-License-Identifier: MIT
# ann's own hooks for every repository: a global core.hooksPath (~/.githooks, from her dotfiles)
# whose pre-commit hands over to the repository's own hook when there is one
# ([ -x .githooks/pre-commit ] && exec .githooks/pre-commit), a common dispatcher. Outside the
# roots, the dispatcher itself cannot be written; but what it runs is in each repository: rewriting
# an existing .githooks/pre-commit, or making one in a repository that has none (vendor/lib), runs
# the command's code on ann's next `git commit` there. Existing ones are read-only (EROFS; EACCES
# elevated); a new one does not survive the run with the command's content. Both modes.
# Self-contained (it sorts before 22-git-anywhere.sh): ESC_ONLY=103 runs it alone.

dispatch_write_fail='Read-only file system|Permission denied'
if [ "$mode" != control ]; then
        rm -f /run/esc.gitconfig103
        [ -e /home/ann/.gitconfig ] && cp -p /home/ann/.gitconfig /run/esc.gitconfig103
        as_user ann sh -e -c '
                mkdir -p /home/ann/.githooks "$1/.githooks"
                printf "#!/bin/sh\n# run the repository'"'"'s own hook, if it has one\n[ -x .githooks/pre-commit ] && exec .githooks/pre-commit \"\$@\"\nexit 0\n" >/home/ann/.githooks/pre-commit
                chmod +x /home/ann/.githooks/pre-commit
                git config --global core.hooksPath /home/ann/.githooks
                printf "#!/bin/sh\nexit 0\n" >"$1/.githooks/pre-commit" && chmod +x "$1/.githooks/pre-commit"' sh "$ws"
        [ "$mode" = elevated ] && $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1
fi
blocked git-dispatch-existing "$dispatch_write_fail" sh -c 'echo "touch /tmp/evil" >>.githooks/pre-commit'
host_check git-dispatch-existing "ws/.githooks/pre-commit is ann's" sh -c "! grep -qs evil $ws/.githooks/pre-commit"
make_hook='mkdir -p vendor/lib/.githooks && printf "#!/bin/sh\ntouch /tmp/evil\n" >vendor/lib/.githooks/pre-commit && chmod +x vendor/lib/.githooks/pre-commit'
harmless git-dispatch-new sh -c "$make_hook"
host_check git-dispatch-new "no vendor/lib/.githooks/pre-commit with the command's code after the run" \
        sh -c "! grep -qs evil $ws/vendor/lib/.githooks/pre-commit"
if [ "$mode" != control ]; then
        if [ -e /run/esc.gitconfig103 ]; then cp -p /run/esc.gitconfig103 /home/ann/.gitconfig; else rm -f /home/ann/.gitconfig; fi
        rm -rf /home/ann/.githooks "$ws/.githooks" "$ws/vendor/lib/.githooks" "$ws"/vendor/lib/.githooks.bulwark-quarantine*
fi
