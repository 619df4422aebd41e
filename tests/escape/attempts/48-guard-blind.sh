# SPDX-License-Identifier: MIT
# What the check after a run cannot read. Elevated, what the command makes belongs to bw-off-ann,
# and a directory it makes mode 000 (ann's inherited ACL entry masked) is closed to ann's check
# after that run: a repository planted in it was not seen. The next run opens it again (chmod
# 755): what is in it was made by the first run, with change times from then, older than the
# second run, and still must not be left as a live repository. (Unelevated the directory is
# ann's own, and the check opens it.) Helpers (git_runs_nothing) come from 22-git-anywhere.sh.

m=/tmp/esc-pwned-blind
blind_plant="mkdir -p .cache && $plant blind/.git $ws/.cache/fsmon.sh $m && chmod 000 blind"
plant_proof blind-dir-plant $m "$ws/blind" sh -c "$blind_plant && chmod 755 blind"
rm -rf "$ws/blind" "$ws/.cache"
harmless blind-dir-plant sh -c "$blind_plant"
sleep 1 # (the next command comes later: what the first run made is then older than its scan's racy margin)
harmless blind-dir-reopen sh -c 'chmod 755 blind 2>/dev/null; true'
host_check blind-dir-reopen "ann's git status in blind/ runs none of the command's code" git_runs_nothing $m "$ws/blind"
chmod -R u+rwx "$ws/blind" 2>/dev/null
rm -rf "$ws/blind" "$ws/.cache"
