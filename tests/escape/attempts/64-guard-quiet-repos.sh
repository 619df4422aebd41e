# SPDX-License-Identifier: MIT
# The tree guard's index keeps a repository whose git files name nothing outside .git as quiet
# (vendor/lib: git init's samples, a plain config), and the next runs skip reading it while .git,
# its config and its hooks directory have the same identity (device, inode, change time). ann
# then makes it name a file of the workspace between runs, the way her tools do: a core.fsmonitor
# script appended to the config in place (the same inode, .git's entries unchanged, the config's
# modification time set back), then a hook of her own that runs a script. The next run must read
# the repository again and protect what it names: the command's write to the script fails (EROFS,
# or EACCES from apply's ACLs). Taken as still quiet, the script would be writable, and ann's next
# `git status` or commit would run the command's code.
# Helpers (rb, write_fail) come from 22-git-anywhere.sh.

quiet_cfg=$ws/vendor/lib/.git/config
quiet_saved=/var/lib/escape-tools/quiet-config.saved
cp -p "$quiet_cfg" "$quiet_saved"
quiet_prepare() { # the index built, with vendor/lib older than the racy margin: taken as quiet
        sleep 0.3
        [ "$mode" = control ] || { in_sandbox true && in_sandbox true; } >/dev/null 2>&1
}
quiet_restore() {
        cp -p "$quiet_saved" "$quiet_cfg"
        rm -rf "$ws/vendor/lib/tools" "$ws/vendor/lib/scripts" "$ws/vendor/lib/.git/hooks/pre-commit"
        world_reset
}

# a core.fsmonitor script: appended in place, the config's modification time put back
quiet_prepare
as_user ann sh -e -c '
        cd "$1" && mkdir -p tools && printf "#!/bin/sh\nexit 0\n" >tools/fsmon.sh && chmod +x tools/fsmon.sh
        touch -r .git/config /tmp/quiet-mtime.$$
        printf "[core]\n\tfsmonitor = ./tools/fsmon.sh\n" >>.git/config
        touch -r /tmp/quiet-mtime.$$ .git/config && rm -f /tmp/quiet-mtime.$$' sh "$ws/vendor/lib"
rb -c quiet-repo-config-in-place "$write_fail" sh -c 'echo "touch /tmp/esc-quiet-evil" >>vendor/lib/tools/fsmon.sh'
quiet_restore

# a hook of ann's added to the quiet repository, which runs a script of the workspace
quiet_prepare
as_user ann sh -e -c '
        cd "$1" && mkdir -p scripts && printf "#!/bin/sh\nexit 0\n" >scripts/lint.sh && chmod +x scripts/lint.sh
        printf "#!/bin/sh\nexec ./scripts/lint.sh\n" >.git/hooks/pre-commit && chmod +x .git/hooks/pre-commit' \
        sh "$ws/vendor/lib"
rb -c quiet-repo-hook-added "$write_fail" sh -c 'echo "touch /tmp/esc-quiet-evil" >>vendor/lib/scripts/lint.sh'
quiet_restore
rm -f "$quiet_saved" /tmp/esc-quiet-evil
