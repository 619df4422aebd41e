# SPDX-License-Identifier: MIT
# Symbolic links on the way to what is protected. A .env that is a link to the file that holds
# the values (settings/.env -> real.conf: the glob matches the link, not real.conf), a repository
# whose core.hooksPath goes through a linked directory (linkrepo: tools -> scripts, hooksPath
# tools/hooks) or is a link itself (.githooks -> hookdir): the file behind the link is read-only
# like the link's name (EROFS; EACCES from apply's ACLs), and a link the command removes or points
# elsewhere is put back after the run (said on stderr), so ann's git and tools reach what they did.
# A hooksPath whose directory does not exist yet (.husky/_) cannot be given a link in its way.
# Self-contained; made in each phase (after apply: only the runner guards them), removed at the end.

links_setup() {
        links_clean
        as_user ann sh -e -c '
                cd "$1"
                mkdir settings && echo "DB_PASSWORD=ann-link-test" >settings/real.conf && ln -s real.conf settings/.env
                mkdir -p nest/a && ln -s ../../settings/real.conf nest/a/.env
                mkdir linkrepo && cd linkrepo && git init -q -b main
                mkdir -p scripts/hooks hookdir && printf "#!/bin/sh\nexit 0\n" >scripts/hooks/pre-commit
                printf "#!/bin/sh\nexit 0\n" >hookdir/pre-commit && chmod +x scripts/hooks/pre-commit hookdir/pre-commit
                ln -s scripts tools && ln -s hookdir .githooks
                git config core.hooksPath tools/hooks
                git config include.path ../.githooks/extra.gitconfig
                printf "[alias]\n\tls = log\n" >hookdir/extra.gitconfig
                mkdir ../huskyrepo && cd ../huskyrepo && git init -q -b main && git config core.hooksPath .husky/_' sh "$ws"
}
links_clean() {
        rm -rf "$ws/settings"* "$ws/linkrepo"* "$ws/huskyrepo" "$ws/evil" "$ws/nest"*
}
links_setup
links_write_fail='Read-only file system|Permission denied'
blocked -c link-env-write-through "$links_write_fail" sh -c 'echo "DB_PASSWORD=evil" >>settings/.env'
links_setup
harmless link-env-replace sh -c 'rm -f settings/.env && echo "DB_PASSWORD=evil" >settings/evil.conf && ln -s evil.conf settings/.env'
host_check link-env-replace "settings/.env still leads to real.conf" sh -c "[ \$(readlink $ws/settings/.env) = real.conf ]"
links_setup
harmless link-env-remove rm -f settings/.env
host_check link-env-remove "settings/.env is back" sh -c "[ \$(readlink $ws/settings/.env) = real.conf ]"
# a link has no mount to pin the directories above it: the command moves them and puts a link to
# its own in their place
links_setup
harmless link-env-parent-swap sh -c 'mv nest nest-moved && mkdir -p evil/a && echo "DB_PASSWORD=evil" >evil/a/.env && ln -s evil nest'
host_check link-env-parent-swap "nest/a/.env does not lead to the command's values" sh -c "! grep -qs evil $ws/nest/a/.env"
links_setup
blocked -c link-hookspath-dir-write "$links_write_fail" sh -c 'echo "touch /tmp/evil" >>linkrepo/tools/hooks/pre-commit'
links_setup
m=/tmp/esc-pwned-link-hooks
harmless link-hookspath-dir-replace sh -c "mkdir -p evil/hooks && printf '#!/bin/sh\ntouch $m\n' >evil/hooks/pre-commit &&
        chmod +x evil/hooks/pre-commit && rm linkrepo/tools && ln -s ../evil linkrepo/tools"
host_check link-hookspath-dir-replace "linkrepo/tools still leads to scripts" sh -c "[ \$(readlink $ws/linkrepo/tools) = scripts ]"
links_setup
harmless link-hookspath-final-replace sh -c "mkdir -p evil && printf '[core]\n\tpager = touch $m\n' >evil/extra.gitconfig &&
        rm linkrepo/.githooks && ln -s ../evil linkrepo/.githooks"
host_check link-hookspath-final-replace "linkrepo/.githooks still leads to hookdir" sh -c "[ \$(readlink $ws/linkrepo/.githooks) = hookdir ]"
# hooksPath .husky/_ before husky made .husky: the command makes .husky a link to its own directory
links_setup
harmless link-missing-parent sh -c "mkdir -p evil/_ && printf '#!/bin/sh\ntouch $m\n' >evil/_/pre-commit &&
        chmod +x evil/_/pre-commit && ln -s ../evil huskyrepo/.husky"
host_check link-missing-parent "no huskyrepo/.husky/_ leads to the command's hooks" sh -c "! test -e $ws/huskyrepo/.husky/_/pre-commit"
links_setup
blocked -c link-include-write "$links_write_fail" sh -c 'echo "[core] pager = touch /tmp/evil" >>linkrepo/.githooks/extra.gitconfig'
links_clean
