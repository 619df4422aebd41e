# SPDX-License-Identifier: MIT
# A policy that makes ~/.cache writable (build caches live there) puts the cache's bulwark/ (where
# the runner keeps its tree index and sessions when there is no runtime directory) in a writable
# root. The runner hides it there as anywhere; and where it does not exist yet the command may not
# make one: a later run, under a policy that keeps ~/.cache read-only, would take the command's
# index for what it knows about the tree (and skip the directories it says are unchanged).
# Unelevated only (through --plan: the installed plan has no such root).

if [ ! -f /var/lib/escape-tools/ws-cache.plan ]; then
        printf '%s\n' 'bulwark: 1' 'name: ws-cache' 'extends: [workspace-write]' 'filesystem:' \
                '  writable: ["${home}/.cache"]' >/var/lib/escape-tools/ws-cache-policy.yaml
        $bulwarkc /var/lib/escape-tools/ws-cache-policy.yaml -o /var/lib/escape-tools/ws-cache.plan >/run/esc.cache-compile 2>&1 ||
                echo "note: the policy with a writable ~/.cache does not compile: $(cat /run/esc.cache-compile)"
        chmod 644 /var/lib/escape-tools/ws-cache.plan 2>/dev/null
fi
if [ "$mode" = elevated ]; then
        skip_here cache-index-plant "the installed plan has no writable ~/.cache"
elif [ "$mode" = unelevated ]; then
        cw_saved_opts=${run_opts:-}
        run_opts="--plan /var/lib/escape-tools/ws-cache.plan"
        blocked cache-index-write 'Permission denied|No such file or directory' \
                sh -c 'ls /home/ann/.cache/bulwark && echo poison >/home/ann/.cache/bulwark/tree/poison'
        # missing: moved away (as root) for the attempt, put back after
        mv /home/ann/.cache/bulwark /home/ann/.cache-bulwark.saved
        in_sandbox sh -c 'mkdir -p /home/ann/.cache/bulwark/tree && echo poison >/home/ann/.cache/bulwark/tree/poison'
        host_check cache-index-plant "no ~/.cache/bulwark made by the command after the run" \
                sh -c '! grep -rqs poison /home/ann/.cache/bulwark'
        rm -rf /home/ann/.cache/bulwark /home/ann/.cache/bulwark.bulwark-quarantine*
        mv /home/ann/.cache-bulwark.saved /home/ann/.cache/bulwark
        run_opts=$cw_saved_opts
fi
