# SPDX-License-Identifier: MIT
# Secrets kept by a dotfile manager: GNU stow (and hand-made setups) leave ~/.ssh a real directory
# (known_hosts, sockets) whose key files are symbolic links into ~/dotfiles. ~/.ssh is unreadable,
# but a link inside it is only a name: what it points to lies elsewhere in ann's home, where the
# command finds it (find, grep -r) without knowing the link. Unelevated the command is ann, so the
# key's 0600 does not stop it. What an unreadable directory's links point to (ann's own links, to
# her own files) must be unreadable too: a file (relative link) and a directory (absolute link).
if [ "$mode" = control ]; then
        as_user ann sh -e -c '
                cd /home/ann && umask 077
                mkdir -p dotfiles/ssh dotfiles/aws-sso
                echo "-----BEGIN OPENSSH PRIVATE KEY----- (ann, stowed, test)" >dotfiles/ssh/id_ed25519
                echo "{\"accessToken\": \"ann-sso-test\"}" >dotfiles/aws-sso/token.json
                ln -s ../dotfiles/ssh/id_ed25519 .ssh/id_ed25519
                ln -s /home/ann/dotfiles/aws-sso .aws/sso-cache'
fi
blocked -c stowed-key-found 'Permission denied|no key found' sh -c \
        'f=$(grep -rl "stowed, test" /home/ann 2>/dev/null | head -1); [ -n "$f" ] || { echo "no key found"; exit 1; }; echo "found $f"; cat "$f"'
blocked -c stowed-key-path 'Permission denied|No such file or directory' cat /home/ann/dotfiles/ssh/id_ed25519
blocked -c stowed-dir-path 'Permission denied|No such file or directory' cat /home/ann/dotfiles/aws-sso/token.json
