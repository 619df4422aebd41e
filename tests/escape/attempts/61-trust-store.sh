# SPDX-License-Identifier: MIT
# The trust store (~/.local/state/bulwark/trust, or $XDG_STATE_HOME/bulwark) decides which policy
# contents `bulwark run` accepts: a command that wrote it could trust a looser policy of its own
# for the next run. `bulwark run` refuses a store inside the workspace; a policy that makes
# ${home}/.local writable (tools keep their state there) puts the store in a writable root, where
# the runner keeps it read-only, and where it is missing the command may not make it.
# Unelevated only (through --plan: the installed plan has no such root).

if [ ! -f /var/lib/escape-tools/ws-local.plan ]; then
        printf '%s\n' 'bulwark: 1' 'name: ws-local' 'extends: [workspace-write]' 'filesystem:' \
                '  writable: ["${home}/.local"]' >/var/lib/escape-tools/ws-local-policy.yaml
        $bulwarkc /var/lib/escape-tools/ws-local-policy.yaml -o /var/lib/escape-tools/ws-local.plan >/run/esc.local-compile 2>&1 ||
                echo "note: the policy with a writable ~/.local does not compile: $(cat /run/esc.local-compile)"
        chmod 644 /var/lib/escape-tools/ws-local.plan 2>/dev/null
fi
if [ "$mode" = elevated ]; then
        skip_here trust-store-write "the installed plan has no writable root above the trust store"
else
        trust_saved_opts=${run_opts:-}
        [ "$mode" = unelevated ] && run_opts="--plan /var/lib/escape-tools/ws-local.plan"
        as_user ann sh -c 'mkdir -p -m 700 /home/ann/.local/state/bulwark/trust && echo "policy-digest ann" >/home/ann/.local/state/bulwark/trust/entry'
        blocked -c trust-store-write 'Read-only file system|Permission denied' \
                sh -c 'echo "policy-digest evil" >>/home/ann/.local/state/bulwark/trust/entry'
        as_user ann sh -c 'echo "policy-digest ann" >/home/ann/.local/state/bulwark/trust/entry'
        blocked -c trust-store-add 'Read-only file system|Permission denied' \
                sh -c 'echo "policy-digest evil" >/home/ann/.local/state/bulwark/trust/new-entry'
        rm -f /home/ann/.local/state/bulwark/trust/new-entry
        blocked -c trust-store-move 'Read-only file system|Permission denied|Device or resource busy' \
                mv /home/ann/.local/state/bulwark /home/ann/.local/state/old
        rm -rf /home/ann/.local/state
        # missing: the command makes the store; it must not be there as the command left it
        if [ "$mode" = unelevated ]; then
                in_sandbox sh -c 'mkdir -p /home/ann/.local/state/bulwark/trust && echo "policy-digest evil" >/home/ann/.local/state/bulwark/trust/entry'
                host_check trust-store-create "no trust store with the command's content after the run" \
                        sh -c '! grep -rqs evil /home/ann/.local/state/bulwark'
        fi
        rm -rf /home/ann/.local/state
        run_opts=$trust_saved_opts
fi
