# SPDX-License-Identifier: MIT
# Issue #10: git holds at any depth, in both modes.
#
# Planted repositories: the command makes a repository where the real user will later run git
# (a .git directory made in place, an ann-owned directory renamed into place, a .git file whose
# gitdir: leads to a directory the command wrote), configured so that git runs the command's code
# (core.fsmonitor runs on every `git status`). Making one inside the sandbox may succeed; what
# counts is that afterwards ann's own git, outside any sandbox and with safe.directory='*' (what a
# user who met "dubious ownership" has), runs none of it: the runner finds the repositories the
# run created and neutralizes them, and says so.
# Replaced submodule .git file, and git state outside .git (the gitdir: target of a `repo`-style
# project, the files .git/config includes, husky's core.hooksPath, a core.fsmonitor script in the
# workspace): every write fails, in both modes (EROFS from a read-only mount, EBUSY for a mount
# point, EACCES from apply's ACLs, EXDEV across mounts).
# Every attempt and control here may change the world: world_reset puts it back after each.

write_fail='Read-only file system|Permission denied'
move_fail='Device or resource busy|Read-only file system|Permission denied|Invalid cross-device link|Operation not permitted'

# git_runs_nothing MARKER DIR: ann's `git status` in DIR, outside any sandbox, runs nothing that
# touches MARKER
git_runs_nothing() {
        rm -f "$1"
        as_user ann sh -c 'cd "$1" 2>/dev/null && timeout 10 git -c safe.directory="*" status' sh "$2" >/dev/null 2>&1
        if test -e "$1"; then
                echo "ann's git status in $2 ran the command's code ($1 exists)"
                rm -f "$1"
                return 1
        fi
}
# said_so PATH: if the run left a repository at PATH, the runner's own lines on stderr name it
said_so() {
        ! test -e "$1/config" && ! test -f "$1" || grep -q "^bulwark run:.*${1#"$ws"/}" "$out"
}
rb() { # blocked, then the world put back
        blocked "$@"
        world_reset
}
# plant_proof ID MARKER DIR CMD...: the control of a planted repository: CMD as ann outside the
# sandbox, then her git status in DIR runs the planted code (touches MARKER)
plant_proof() {
        id=$1 marker=$2 dir=$3
        shift 3
        rm -f "$marker"
        proof "$id" sh -c 'm=$1 d=$2 && shift 2 && "$@" && cd "$d" && git -c safe.directory="*" status >/dev/null 2>&1; test -e "$m"' \
                sh "$marker" "$dir" "$@"
        rm -f "$marker"
}

# ---- planted repositories ----
m=/tmp/esc-pwned-plant-git-dir
plant_proof plant-git-dir $m "$ws/vendor" "$plant" vendor/.git "$ws/vendor/fsmon.sh" $m
rm -rf "$ws/vendor/.git" "$ws/vendor/fsmon.sh"
harmless plant-git-dir "$plant" vendor/.git "$ws/vendor/fsmon.sh" $m
host_check plant-git-dir "ann's git status in vendor/ runs none of the command's code" git_runs_nothing $m "$ws/vendor"
host_check plant-git-dir "the runner said what it neutralized (vendor/.git)" said_so "$ws/vendor/.git"
rm -rf "$ws/vendor/.git" "$ws/vendor/fsmon.sh"

# a directory ann made (not the command: its owner and inode predate the run), filled and renamed
m=/tmp/esc-pwned-plant-git-rename
as_user ann mkdir -p "$ws/build-cache"
plant_proof plant-git-rename $m "$ws/src" sh -c "$plant build-cache $ws/src/fsmon.sh $m && mv build-cache src/.git"
rm -rf "$ws/src/.git" "$ws/src/fsmon.sh" "$ws/build-cache"
as_user ann mkdir -p "$ws/build-cache"
harmless plant-git-rename sh -c "$plant build-cache $ws/src/fsmon.sh $m && mv build-cache src/.git"
host_check plant-git-rename "ann's git status in src/ runs none of the command's code" git_runs_nothing $m "$ws/src"
host_check plant-git-rename "the runner said what it neutralized (src/.git)" said_so "$ws/src/.git"
rm -rf "$ws/src/.git" "$ws/src/fsmon.sh" "$ws/build-cache"

# a .git file whose gitdir: leads to a directory the command wrote
m=/tmp/esc-pwned-plant-git-file
plant_file="$plant .cache/payload $ws/.cache/fsmon.sh $m && printf 'gitdir: ../../.cache/payload\\n' >services/api/.git"
plant_proof plant-git-file $m "$ws/services/api" sh -c "$plant_file"
rm -rf "$ws/.cache" "$ws/services/api/.git"
harmless plant-git-file sh -c "$plant_file"
host_check plant-git-file "ann's git status in services/api runs none of the command's code" git_runs_nothing $m "$ws/services/api"
host_check plant-git-file "the runner said what it neutralized (services/api/.git)" said_so "$ws/services/api/.git"
rm -rf "$ws/.cache" "$ws/services/api/.git"
world_reset

# ---- a submodule's .git file replaced ----
m=/tmp/esc-pwned-submodule
sub_swap="$plant .cache/payload $ws/.cache/fsmon.sh $m && rm libs/sub/.git && printf 'gitdir: ../../.cache/payload\\n' >libs/sub/.git"
plant_proof submodule-gitfile-replace $m "$ws" sh -c "$sub_swap"
rm -rf "$ws/.cache"
world_reset
blocked submodule-gitfile-replace "$move_fail" sh -c "$sub_swap"
host_check submodule-gitfile-replace "ann's git status in the superproject runs none of the command's code" git_runs_nothing $m "$ws"
rm -rf "$ws/.cache"
world_reset
rb -c submodule-gitfile-overwrite "$write_fail" sh -c "printf 'gitdir: ../../.cache/payload\\n' >libs/sub/.git"
rb -c submodule-gitfile-rename-over "$move_fail" sh -c "printf 'gitdir: ../../.cache/payload\\n' >sub-git && exec $probe rename sub-git libs/sub/.git"
rm -f "$ws/sub-git"

# ---- git state outside .git ----
# the target of a .git file's gitdir: (Google's `repo` keeps them in .repo/projects)
rb -c gitdir-target-config "$write_fail" sh -c 'echo "[core] fsmonitor = /tmp/evil" >>.repo/projects/tools/gen.git/config'
rb -c gitdir-target-hook "$write_fail" sh -c 'printf "#!/bin/sh\nevil\n" >.repo/projects/tools/gen.git/hooks/post-checkout'
rb -c gitdir-target-rename "$move_fail" "$probe" rename .repo/projects/tools/gen.git .repo/projects/tools/gen.old
rm -rf "$ws/.repo/projects/tools/gen.old"
world_reset
# the files .git/config includes
rb -c git-include-append "$write_fail" sh -c 'echo "[core] fsmonitor = /tmp/evil" >>.gitconfig.shared'
rb -c git-include-replace "$move_fail" sh -c 'echo "[core] fsmonitor = /tmp/evil" >inc.tmp && exec '"$probe"' rename inc.tmp .gitconfig.shared'
rm -f "$ws/inc.tmp"
rb -c git-includeif-append "$write_fail" sh -c 'echo "[core] fsmonitor = /tmp/evil" >>.gitconfig.ws'
# husky: core.hooksPath = .husky
rb -c git-hookspath-hook "$write_fail" sh -c 'echo "touch /tmp/evil" >>.husky/pre-commit'
rb -c git-hookspath-new-hook "$write_fail" sh -c 'printf "#!/bin/sh\ntouch /tmp/evil\n" >.husky/post-checkout'
rb -c git-hookspath-rename "$move_fail" sh -c 'mv .husky husky-old && mkdir .husky && printf "#!/bin/sh\ntouch /tmp/evil\n" >.husky/pre-commit'
rm -rf "$ws/husky-old"
world_reset
# core.fsmonitor of a nested repository (apps/web) names a script in the workspace
rb -c git-fsmonitor-script "$write_fail" sh -c 'echo "touch /tmp/evil" >>apps/web/tools/fsmonitor.sh'
rb -c git-fsmonitor-script-replace "$move_fail" sh -c \
        'printf "#!/bin/sh\ntouch /tmp/evil\n" >apps/web/tools/new.sh && exec '"$probe"' rename apps/web/tools/new.sh apps/web/tools/fsmonitor.sh'
