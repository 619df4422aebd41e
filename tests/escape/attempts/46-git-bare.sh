# SPDX-License-Identifier: MIT
# Repositories without a `.git` name. git also takes a directory as a repository when it holds
# HEAD with objects/ and refs/ (a bare repository), or HEAD with a commondir file (a worktree's
# git directory), and it looks for one in every directory from where it runs up to /, before the
# .git above it: a command that makes ws/src such a directory (HEAD, objects, refs and a config
# naming a pager) gets its code run by ann's next `git branch` on a terminal anywhere below
# ws/src, and a bare repository ann keeps in the workspace (a local remote, mirror.git) is a
# config and hooks git runs as her. Existing ones are read-only in both modes (EROFS; EACCES from
# apply's ACLs); planted ones are undone after the run (said on stderr).
# Self-contained (its own helpers): ESC_ONLY=46 runs it alone.

bare_write_fail='Read-only file system|Permission denied'

# bare_pager_runs_nothing MARKER DIR: ann's `git branch` in DIR, on a terminal (git starts its
# pager there), outside any sandbox, runs nothing that touches MARKER
bare_pager_runs_nothing() {
        rm -f "$1"
        # (PAGER=cat: git's default pager, less, would wait on the terminal until timeout killed it;
        # a planted core.pager still wins over PAGER, as it would over ann's own)
        as_user ann sh -c 'cd "$1" 2>/dev/null && PAGER=cat script -qec "timeout 10 git -c safe.directory=\"*\" branch" /dev/null' \
                sh "$2" </dev/null >/dev/null 2>&1
        if test -e "$1"; then
                echo "ann's git branch in $2 ran the command's code ($1 exists)"
                rm -f "$1"
                return 1
        fi
}
# bare_proof ID MARKER DIR CMD...: the control: CMD as ann, then her git branch in DIR runs the code
bare_proof() {
        id=$1 marker=$2 dir=$3
        shift 3
        [ "$mode" = control ] || return 0
        rm -f "$marker"
        outside "$@"
        if ! bare_pager_runs_nothing "$marker" "$dir" >/dev/null; then ok "[control] $id: works outside the sandbox"; else
                skipped=$((skipped + 1))
                echo "skip [control] $id: ann's git ran nothing even without a sandbox ($(head -1 "$out"))"
        fi
}
bare_clean() { # undo a plant in DIR (and what the runner moved aside)
        rm -rf "$1"/HEAD* "$1"/objects* "$1"/refs* "$1"/config* "$1"/hooks* "$1"/commondir* "$ws/.cache" "$ws/evil-common"
}

# ---- a bare repository planted in a directory of the workspace (src, which has no .git) ----
m=/tmp/esc-pwned-bare-src
bare_src="mkdir -p src/deeper .cache && $plant src $ws/.cache/fsmon.sh $m"
bare_proof plant-bare-dir $m "$ws/src/deeper" sh -c "$bare_src"
bare_clean "$ws/src"
harmless plant-bare-dir sh -c "$bare_src"
host_check plant-bare-dir "ann's git branch in src/deeper runs none of the command's code" \
        bare_pager_runs_nothing $m "$ws/src/deeper"
host_check plant-bare-dir "the runner said what it undid (src)" sh -c "[ $mode = control ] || grep -q '^bulwark run:.*/src' $out"
bare_clean "$ws/src"
rm -rf "$ws/src/deeper"

# ---- HEAD and a commondir that leads to a config the command wrote ----
m=/tmp/esc-pwned-bare-common
bare_common="mkdir -p .cache && $plant evil-common $ws/.cache/fsmon.sh $m && rm evil-common/HEAD && mkdir -p tools/cache &&
        echo 'ref: refs/heads/main' >tools/cache/HEAD && echo ../../evil-common >tools/cache/commondir"
bare_proof plant-commondir $m "$ws/tools/cache" sh -c "$bare_common"
bare_clean "$ws/tools/cache"
harmless plant-commondir sh -c "$bare_common"
host_check plant-commondir "ann's git branch in tools/cache runs none of the command's code" \
        bare_pager_runs_nothing $m "$ws/tools/cache"
bare_clean "$ws/tools/cache"
rm -rf "$ws/tools/cache"

# ---- a bare repository ann keeps in the workspace (made after apply: only the runner guards it) ----
rm -rf "$ws/mirror.git"
as_user ann git clone -q --bare --no-local "$ws" "$ws/mirror.git"
blocked -c bare-existing-config "$bare_write_fail" sh -c 'echo "[core] pager = /tmp/evil" >>mirror.git/config'
as_user ann git -C "$ws/mirror.git" config --unset core.pager 2>/dev/null
blocked -c bare-existing-hook "$bare_write_fail" sh -c 'printf "#!/bin/sh\ntouch /tmp/evil\n" >mirror.git/hooks/post-receive'
rm -f "$ws/mirror.git/hooks/post-receive"
blocked -c bare-existing-head "$bare_write_fail|Device or resource busy" sh -c 'rm -f mirror.git/HEAD && echo x >mirror.git/HEAD'
as_user ann sh -c "echo 'ref: refs/heads/main' >$ws/mirror.git/HEAD"
rm -rf "$ws/mirror.git"
