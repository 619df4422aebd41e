# SPDX-License-Identifier: MIT
# The caller against the runner (elevated mode only). The installed workspace's name is ann's to
# rename: /home/ann is hers. While she exchanges /home/ann/ws with a symlink to bob's workspace
# (renameat2 RENAME_EXCHANGE, in a loop), her runs must never get bob's workspace writable, nor
# make anything in it: the runner must stick to the directory it checked (as ann) instead of
# resolving the name again once it is bw-off-ann, ann's sandbox user, the one identity the
# ACLs of her installed workspace let in. Up to 300 runs or 8 seconds: a race, so a pass is evidence, not proof.

[ "$mode" = elevated ] || return 0

race_before=$(md5sum <"$bob_ws/app.env")
as_user ann ln -s "$bob_ws" /home/ann/ws-swap
rm -f /var/lib/escape-tools/race.stop
setpriv --reuid=ann --regid=ann --init-groups --reset-env "$probe" exchange-loop "$ws" /home/ann/ws-swap /var/lib/escape-tools/race.stop >/var/lib/escape-tools/race.swapper 2>&1 &
swapper=$!
sleep 0.2
if ! kill -0 $swapper 2>/dev/null; then
        skip_here runner-symlink-race "cannot swap names here: $(cat /var/lib/escape-tools/race.swapper)"
        rm -f /home/ann/ws-swap
        return 0
fi
race_won=0 race_trials=0 race_end=$(($(date +%s) + 8))
while [ $race_trials -lt 300 ] && [ "$(date +%s)" -lt $race_end ]; do
        race_trials=$((race_trials + 1))
        timeout -k 1 10 setpriv --reuid=ann --regid=ann --init-groups --reset-env sh -c 'cd / && exec "$@"' sh \
                "$runner" --workspace "$ws" -- sh -c '
                        for d in /home/ann/ws /home/ann/ws-swap; do
                                if [ -f "$d/app.env" ] && echo "written by ann" >>"$d/app.env"; then
                                        echo "wrote $d/app.env, which is bob'\''s:"
                                        grep " /home/ann/ws" /proc/self/mountinfo
                                        exit 0
                                fi
                        done 2>/dev/null
                        exit 1' >/var/lib/escape-tools/race.out 2>&1 </dev/null
        if [ "$(md5sum <"$bob_ws/app.env")" != "$race_before" ]; then
                race_won=$race_trials
                break
        fi
done
touch /var/lib/escape-tools/race.stop
wait $swapper
if [ $race_won -eq 0 ]; then
        ok "[elevated] runner-symlink-race: $race_trials runs while the workspace name was being swapped: bob's workspace never writable"
else
        bad "[elevated] runner-symlink-race: ESCAPED at run $race_won: ann's sandbox wrote into bob's workspace"
        sed 's/^/     /' /var/lib/escape-tools/race.out | head -8
fi
leftovers=$(find "$bob_ws" -mindepth 1 -maxdepth 1 -user bw-off-ann)
check "[elevated] runner-symlink-race: the runner made nothing in bob's workspace" test -z "$leftovers"
[ -n "$leftovers" ] && echo "     made there: $leftovers"
# put the world back
for f in $leftovers; do rm -rf "$f"; done
rm -f /home/ann/ws-swap
test -d "$ws/.git" || echo "race: $ws is not the workspace any more" >&2
printf 'BOB_TOKEN=bob-test\n' >"$bob_ws/app.env"
