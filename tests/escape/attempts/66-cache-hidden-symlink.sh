# SPDX-License-Identifier: MIT
# An unreadable path that is a symlink of the user's is hidden where it leads: the cover goes on
# the target, found by following the link when the run starts. Inside a cache root that link is
# the command's to replace in its layer (the host's copy never changes): one run removes it and
# puts a link to nowhere in its place; on the next run the runner follows the command's link to
# place the cover, finds nothing there, and covers nothing, while the host's target stays where it
# was, readable. ann's ~/.gem/credentials is a dotfile manager's link (GNU Stow's, into
# ~/dotfiles), ~/.gem the cache root `bulwark init` writes for a Gemfile, ~/.gem/credentials in
# every policy's `unreadable`. Unelevated only (through --plan: elevated mode refuses cache roots).

hs_target=/home/ann/dotfiles/gem/.gem/credentials
if [ ! -f /var/lib/escape-tools/hidden-link.plan ]; then
        as_user ann sh -e -c "mkdir -p /home/ann/.gem/gems $(dirname $hs_target) && umask 077 &&
                echo ':rubygems_api_key: rubygems-ann-stow-test' >$hs_target &&
                rm -f /home/ann/.gem/credentials &&
                ln -s ../dotfiles/gem/.gem/credentials /home/ann/.gem/credentials"
        printf '%s\n' 'bulwark: 1' 'name: hidden-link' 'extends: [workspace-write]' 'filesystem:' \
                '  cache: ["~/.gem"]' >/var/lib/escape-tools/hidden-link.yaml
        $bulwarkc /var/lib/escape-tools/hidden-link.yaml -o /var/lib/escape-tools/hidden-link.plan >/run/esc.hl-compile 2>&1 ||
                echo "note: the hidden-link policy does not compile: $(cat /run/esc.hl-compile)"
        chmod 644 /var/lib/escape-tools/hidden-link.plan 2>/dev/null
fi
if [ "$mode" = elevated ]; then
        skip_here cache-hidden-link "elevated mode refuses a plan with cache roots"
elif [ "$mode" = unelevated ]; then
        hs_saved_opts=${run_opts:-}
        run_opts="--plan /var/lib/escape-tools/hidden-link.plan"
        blocked cache-hidden-link-first 'Permission denied' cat /home/ann/.gem/credentials
        harmless cache-hidden-link-swap sh -c 'rm -f /home/ann/.gem/credentials && ln -s /nonexistent /home/ann/.gem/credentials'
        blocked cache-hidden-link-target 'Permission denied' cat $hs_target
        run_opts=$hs_saved_opts
fi
