# SPDX-License-Identifier: MIT
# What the check after a run cannot read or change. Elevated, what the command makes belongs to
# bw-off-ann, and a directory it makes mode 000 (ann's inherited ACL entry masked) is closed to
# ann's check: a repository planted in it must still be found, in that run's check or, at the
# latest, in the check of the run that opens it again (chmod 755; what is in it then has change
# times older than that run). A repository it makes and locks (0555: nothing in it can be renamed
# by ann) must still be made safe; so must a bare one. Unelevated the same, with ann's own
# directories. Helpers (git_runs_nothing, plant_proof) come from 22-git-anywhere.sh.

m=/tmp/esc-pwned-blind
blind_plant="mkdir -p .cache && $plant blind/.git $ws/.cache/fsmon.sh $m && chmod 000 blind"
plant_proof blind-dir-plant $m "$ws/blind" sh -c "$blind_plant && chmod 755 blind"
rm -rf "$ws/blind" "$ws/.cache"
harmless blind-dir-plant sh -c "$blind_plant"
sleep 1 # (the next command comes later: what the first run made is then older than its scan's racy margin)
harmless blind-dir-reopen sh -c 'chmod 755 blind 2>/dev/null; touch blind-opened; true'
host_check blind-dir-reopen "ann's git status in blind/ runs none of the command's code" git_runs_nothing $m "$ws/blind"
chmod -R u+rwx "$ws/blind" 2>/dev/null
rm -rf "$ws/blind" "$ws/.cache" "$ws/blind-opened"

# A repository the run makes and locks (its directories 0555: elevated, ann's inherited ACL entry
# masked to r-x; she cannot rename or rewrite anything in them), so that the check after the run
# cannot make it safe: it must be made safe anyway.
m=/tmp/esc-pwned-locked
locked_plant="mkdir -p .cache && $plant locked2/.git $ws/.cache/fsmon.sh $m && chmod 555 locked2/.git/hooks locked2/.git locked2"
plant_proof locked-repo-plant $m "$ws/locked2" sh -c "$locked_plant"
chmod -R u+rwx "$ws/locked2" 2>/dev/null
rm -rf "$ws/locked2" "$ws/.cache"
harmless locked-repo-plant sh -c "$locked_plant"
host_check locked-repo-plant "ann's git status in locked2/ runs none of the command's code" git_runs_nothing $m "$ws/locked2"
chmod -R u+rwx "$ws/locked2" 2>/dev/null
rm -rf "$ws/locked2" "$ws/.cache"
# and a bare one, locked the same way (only its HEAD would go)
m=/tmp/esc-pwned-locked-bare
lbare="mkdir -p .cache locked3/sub && $plant locked3 $ws/.cache/fsmon.sh $m && chmod 555 locked3"
harmless locked-bare-plant sh -c "$lbare"
host_check locked-bare-plant "locked3 is no repository for ann's git (its HEAD moved aside)" sh -c "! test -e $ws/locked3/HEAD"
chmod -R u+rwx "$ws/locked3" 2>/dev/null
rm -rf "$ws/locked3" "$ws/.cache"

# A directory that was there before the run (ann's), locked by the run after it planted a
# repository below it (unelevated the run is ann and may chmod it; elevated it may not): the check
# after that run must look inside all the same, before ann opens it again herself.
m=/tmp/esc-pwned-keep
as_user ann mkdir -p "$ws/keep"
sleep 0.2
# (everything made inside keep: the workspace's top does not change, keep is read again on its own)
keep_plant="$plant keep/x/.git $ws/keep/fsmon.sh $m && (chmod 000 keep 2>/dev/null; true)"
harmless locked-existing-dir sh -c "$keep_plant"
chmod 755 "$ws/keep" # ann opens it again (elevated, root does it for her: the sandbox could not lock it)
host_check locked-existing-dir "ann's git status in keep/x runs none of the command's code" git_runs_nothing $m "$ws/keep/x"
rm -rf "$ws/keep" "$ws/.cache"
