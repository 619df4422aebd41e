# SPDX-License-Identifier: MIT
# Reading what the sandbox must not read: the `unreadable` paths (an empty, inaccessible cover in
# both modes: EACCES), ann's 0600 files (elevated: another user, EACCES; unelevated: ann herself,
# documented as readable), another user's workspace, the session's variables.

blocked secret-ssh-key 'Permission denied' cat /home/ann/.ssh/id_rsa
blocked secret-ssh-list 'Permission denied' ls /home/ann/.ssh
blocked secret-ssh-proc-root 'Permission denied' cat /proc/self/root/home/ann/.ssh/id_rsa
blocked secret-ssh-symlink 'Permission denied' sh -c 'ln -s /home/ann/.ssh/id_rsa key-link && cat key-link'
blocked secret-ssh-uncover 'Read-only file system' chmod 700 /home/ann/.ssh
# ~/.kube is a symlink into ~/dotfiles (a dotfile manager's layout)
blocked secret-kube-symlinked 'Permission denied' cat /home/ann/.kube/config
blocked secret-aws 'Permission denied' cat /home/ann/.aws/credentials
blocked secret-gnupg 'Permission denied' ls /home/ann/.gnupg
blocked secret-netrc 'Permission denied' cat /home/ann/.netrc
blocked secret-gh 'Permission denied' cat /home/ann/.config/gh/hosts.yml
blocked secret-run-user 'Permission denied|No such file or directory' ls "/run/user/$ann_uid"
blocked secret-shadow 'Permission denied' cat /etc/shadow
if [ "$mode" = elevated ]; then
        blocked secret-0600 'Permission denied' cat /home/ann/secret.txt
        blocked secret-home-list 'Permission denied' ls /home/ann
else
        allowed secret-0600 "unelevated, the sandbox is ann: her 0600 files stay readable unless listed as unreadable" \
                cat /home/ann/secret.txt
fi
blocked secret-other-workspace 'Permission denied' cat "$bob_ws/app.env"
blocked secret-session-env 'session variables: none' sh -c \
        'env | grep -E "^(SSH_AUTH_SOCK|DBUS_SESSION_BUS_ADDRESS|XDG_RUNTIME_DIR|DISPLAY)=" || { echo "session variables: none"; exit 1; }'
