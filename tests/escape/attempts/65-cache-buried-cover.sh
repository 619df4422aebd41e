# SPDX-License-Identifier: MIT
# An unreadable path named through a symlink of the user's is hidden where the symlink leads (the
# cover is mounted on its target). Mounts are stacked by the depth of the path the policy names,
# not of the place the mount lands: a cache root (or writable root) named by a deeper path whose
# directory holds that target is mounted after the cover, on top of it, and shows the host's file
# again. ann keeps Terraform's directory at ~/.local/share/terraform with the compatibility symlink
# ~/.terraform.d -> .local/share/terraform, and her policy names it (its plugin cache) by its real
# place as a cache root. The default `unreadable: ~/.terraform.d/credentials.tfrc.json` (depth 4)
# is covered first, then the copy-on-write layer over ~/.local/share/terraform (depth 5) buries the
# cover: the command reads her Terraform Cloud token, by either name. The same with the directory a
# writable root (the older form of the same ordering).
# Unelevated only (through --plan: elevated mode refuses cache roots; the installed plan has no
# such writable root).

bc_home=/home/ann/.local/share/terraform
bc_cred=credentials.tfrc.json
if [ ! -f /var/lib/escape-tools/bury-cache.plan ]; then
        # (attempt 151 made ~/.terraform.d a directory: its files move to where the link leads)
        as_user ann sh -e -c "mkdir -p $bc_home/plugin-cache $bc_home-w &&
                if [ -d /home/ann/.terraform.d ] && [ ! -L /home/ann/.terraform.d ]; then
                        cp -a /home/ann/.terraform.d/. $bc_home/ && rm -rf /home/ann/.terraform.d; fi && umask 077 &&
                echo '{\"credentials\": {\"app.terraform.io\": {\"token\": \"tf-ann-test\"}}}' >$bc_home/$bc_cred &&
                echo '{\"credentials\": {\"app.terraform.io\": {\"token\": \"tf-ann-w-test\"}}}' >$bc_home-w/$bc_cred &&
                ln -s .local/share/terraform /home/ann/.terraform.d && ln -s .local/share/terraform-w /home/ann/.terraform-w.d"
        for v in cache writable; do
                suffix=
                [ $v = writable ] && suffix=-w
                printf '%s\n' 'bulwark: 1' "name: bury-$v" 'extends: [workspace-write]' 'filesystem:' \
                        "  $v: [\"\${home}/.local/share/terraform$suffix\"]" "  unreadable: [\"~/.terraform-w.d/$bc_cred\"]" \
                        >/var/lib/escape-tools/bury-$v.yaml
                $bulwarkc /var/lib/escape-tools/bury-$v.yaml -o /var/lib/escape-tools/bury-$v.plan >/run/esc.bury-compile 2>&1 ||
                        echo "note: the bury-$v policy does not compile: $(cat /run/esc.bury-compile)"
                chmod 644 /var/lib/escape-tools/bury-$v.plan 2>/dev/null
        done
fi
if [ "$mode" = elevated ]; then
        skip_here cache-buried-cover "elevated mode refuses a plan with cache roots"
elif [ "$mode" = unelevated ]; then
        bc_saved_opts=${run_opts:-}
        run_opts="--plan /var/lib/escape-tools/bury-cache.plan"
        blocked cache-buried-cover 'Permission denied' cat /home/ann/.terraform.d/$bc_cred
        blocked cache-buried-cover-real-name 'Permission denied' cat $bc_home/$bc_cred
        run_opts="--plan /var/lib/escape-tools/bury-writable.plan"
        blocked writable-buried-cover 'Permission denied' cat /home/ann/.terraform-w.d/$bc_cred
        run_opts=$bc_saved_opts
fi
