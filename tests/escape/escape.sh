#!/bin/sh
# SPDX-License-Identifier: MIT
# Escape attempts against bulwark-runner, in both of its modes, each checked for the reason it
# failed; then a real workload that must keep working. Run by tests/integration/run.sh (root, in
# throwaway mount, network and pid namespaces): nothing here reaches the host.
#
#   world      ann (0700 home, 0600 secret, ~/.ssh key and other `unreadable` secrets, ~/.kube a
#              symlink into ~/dotfiles, agent sockets in /tmp, /run/user/UID and ~/.1password, an
#              abstract socket, a pty, a System V segment and a message queue, a long-running
#              sleep; member of group docker), her workspace /home/ann/ws, a git repository with a
#              nested one; bob (0700 home) and his workspace; on the host side a "database" on
#              0.0.0.0:5432 and [::]:5432 and on a unix socket, docker's socket (root:docker 0660),
#              a DNS resolver on 127.0.0.1:53 answering every name, and a peer host behind a veth
#              pair (10.77.0.2, fd77::2) in a network namespace of its own
#   control    the attempts marked -c, as ann without a sandbox: they must work
#   unelevated no plan installed: attempts, then the workload
#   elevated   `bulwark apply` for ann's (and bob's) workspace: attempts, then the workload
#
# ESC_SESSION=auto (ctest escape-warm): every run goes through a warm session of its boundary, and
# each phase checks that its runs did.
#
# Each phase is skipped, with the reason, when the runner cannot have user namespaces or Landlock
# here. A ~20 s run; the symlink race of attempts/95-runner-race.sh takes up to 8 s of it.
#
# The attempts are in attempts/*.sh; their vocabulary is lib/attempt.sh; lib/probe.py does the
# system calls and reports the errno; lib/services.py plays the host's services.
build=$1
here=$(cd "$(dirname "$0")" && pwd)
# System V IPC objects and POSIX message queues made here must not reach the host's IPC namespace.
if [ -z "${ESC_OWN_IPC:-}" ]; then
        export ESC_OWN_IPC=1
        exec unshare --ipc --uts /bin/sh "$0" "$@"
fi
carry_src=$here
. "$here/../integration/lib.sh"
here=$carry_src # the copy: $here itself may be hidden now
# ... nor files an escaping attempt might write in the host's /var/tmp or /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
start=$(date +%s)

# ---- the world ----
mkdir -p /var/lib/escape-tools
cp "$here/lib/probe.py" /var/lib/escape-tools/probe
cp "$here/lib/services.py" /var/lib/escape-tools/services.py
sed -i '1i #!/usr/bin/python3' /var/lib/escape-tools/probe
chmod 755 /var/lib/escape-tools/probe
probe=/var/lib/escape-tools/probe
# a copy of the runner where a sandbox can see it (/run, where the harness keeps it, is private offline)
cp "$runner" /var/lib/escape-tools/nested-runner
cp /usr/bin/id /var/lib/escape-tools/suid-id
chmod 4755 /var/lib/escape-tools/suid-id
cp /usr/bin/cat /var/lib/escape-tools/capcat
setcap cap_dac_read_search=ep /var/lib/escape-tools/capcat

useradd -m -d /home/ann -s /bin/sh ann
useradd -m -d /home/bob -s /bin/sh bob
chmod 700 /home/ann /home/bob
ann_uid=$(id -u ann)
ws=/home/ann/ws
bob_ws=/home/bob/ws
as_user ann sh -e -c '
        cd /home/ann
        umask 077
        echo "ann: hunter2" >secret.txt
        mkdir -p .ssh .aws .gnupg .config/gh .1password
        echo "-----BEGIN OPENSSH PRIVATE KEY----- (ann, test)" >.ssh/id_rsa
        printf "[default]\naws_secret_access_key = ann-test\n" >.aws/credentials
        echo "keyring" >.gnupg/pubring.kbx
        echo "oauth_token: ann-test" >.config/gh/hosts.yml
        mkdir -p dotfiles/kube && echo "token: ann-kube-test" >dotfiles/kube/config && ln -s dotfiles/kube .kube
        echo "machine example.com login ann password hunter2" >.netrc
        umask 022
        echo "outside the workspace" >outside.txt
        echo "# ann" >.bashrc
        mkdir ws && cd ws
        git init -q -b main
        git config user.name Ann && git config user.email ann@example.com
        echo "# project" >README.md && mkdir src && echo "int main(void){return 0;}" >src/main.c
        git add -A && git commit -qm initial
        mkdir -p vendor/lib && cd vendor/lib && git init -q -b main && echo lib >lib.c &&
                git add -A && git -c user.name=Ann -c user.email=ann@example.com commit -qm lib
        echo vendor/ >>/home/ann/ws/.git/info/exclude'
as_user bob sh -e -c 'mkdir /home/bob/ws && umask 077 && echo "BOB_TOKEN=bob-test" >/home/bob/ws/app.env'

# Issue #10's world (attempts 22, 24, 26): protected things below the top of the workspace.
#   deep carve-outs     .env files at the top and deeper (read_only **/.env*), private keys
#                       (unreadable **/*.pem), and deploy/, read_only but not there yet
#   agents' configs     .vscode .claude .cursor .codex .agents .idea .mcp.json at the top,
#                       .vscode .claude .gemini .mcp.json deeper (packages/ui)
#   git state outside   husky hooks (core.hooksPath .husky), config files the repository's
#   .git                config includes (include.path, includeIf), a fsmonitor script in a nested
#                       repository (apps/web), a `repo`-style project whose .git file points into
#                       .repo/projects, a submodule (libs/sub: a .git file, .git/modules/libs/sub),
#                       a repository four levels down (third_party/x/y/deep)
as_user ann sh -e -c '
        commit() { git -c user.name=Ann -c user.email=ann@example.com commit -qm "$1"; }
        mkdir /home/ann/sub-src && cd /home/ann/sub-src && git init -q -b main && echo sub >sub.c && git add -A && commit sub
        cd /home/ann/ws
        echo "API_KEY=ann-top-test" >.env
        mkdir -p config certs services/api/config services/api/tls
        echo "DB_PASSWORD=ann-test" >config/.env
        echo "STRIPE_KEY=ann-deep-test" >services/api/config/.env.local
        echo "-----BEGIN PRIVATE KEY----- (ann, server, test)" >certs/server.pem
        echo "-----BEGIN PRIVATE KEY----- (ann, api, test)" >services/api/tls/key.pem
        mkdir -p .vscode .claude .cursor .codex .agents .idea packages/ui/.vscode packages/ui/.claude packages/ui/.gemini
        echo "{\"version\": \"2.0.0\", \"tasks\": []}" >.vscode/tasks.json
        echo "{\"permissions\": {}}" >.claude/settings.json
        echo "{\"mcpServers\": {}}" >.cursor/mcp.json
        echo "model = \"o4\"" >.codex/config.toml
        echo "# agents" >.agents/AGENTS.md
        echo "<project/>" >.idea/workspace.xml
        echo "{\"mcpServers\": {}}" >.mcp.json
        echo "{}" >packages/ui/.vscode/settings.json
        echo "{\"permissions\": {}}" >packages/ui/.claude/settings.json
        echo "{}" >packages/ui/.gemini/settings.json
        echo "{\"mcpServers\": {}}" >packages/ui/.mcp.json
        mkdir .husky && printf "#!/bin/sh\nexit 0\n" >.husky/pre-commit && chmod +x .husky/pre-commit
        printf "[alias]\n\tst = status\n" >.gitconfig.shared
        printf "[alias]\n\tco = checkout\n" >.gitconfig.ws
        git config core.hooksPath .husky
        git config include.path ../.gitconfig.shared
        git config includeIf.gitdir:/home/ann/ws/.path ../.gitconfig.ws
        # (file://: a copy, not hard links to sub-src, which bulwark never changes and would leave
        # unreadable to the sandbox under umask 077)
        git -c protocol.file.allow=always submodule add -q file:///home/ann/sub-src libs/sub
        git add -A && commit "project files, a submodule"
        mkdir -p apps/web/tools && cd apps/web && git init -q -b main && echo "<html/>" >index.html
        printf "#!/bin/sh\nexit 1\n" >tools/fsmonitor.sh && chmod +x tools/fsmonitor.sh
        git config core.fsmonitor /home/ann/ws/apps/web/tools/fsmonitor.sh && git add -A && commit web
        cd /home/ann/ws && mkdir -p tools/gen .repo/projects/tools && cd tools/gen
        git init -q -b main --separate-git-dir=/home/ann/ws/.repo/projects/tools/gen.git && echo gen >gen.c && git add -A && commit gen
        mkdir -p /home/ann/ws/third_party/x/y/deep && cd /home/ann/ws/third_party/x/y/deep
        git init -q -b main && echo deep >deep.c && git add -A && commit deep
        printf "apps/\nthird_party/\ntools/gen/\n.repo/\n" >>/home/ann/ws/.git/info/exclude
        mkdir -p /home/ann/logs /home/ann/.local/share
        printf "build started\nstep 1\n" >/home/ann/logs/build.log
        printf "line 1\nline 2\n" >/home/ann/logs/append.log
        echo "input" >/home/ann/logs/input.txt'
# the carve-outs above as they must stay: lib/world.py puts them back between attempts
world_paths=".env config certs services .vscode .claude .cursor .codex .agents .idea .mcp.json packages .husky
.gitconfig.shared .gitconfig.ws libs/sub/.git .repo apps/web/.git apps/web/tools third_party/x/y/deep/.git vendor/lib/.git"
mkdir -p /var/lib/escape-tools/pristine
# shellcheck disable=SC2086
(cd "$ws" && cp -a --parents $world_paths /var/lib/escape-tools/pristine/)
cp "$here/lib/world.py" /var/lib/escape-tools/world.py
cp "$here/lib/plant" /var/lib/escape-tools/plant
chmod 755 /var/lib/escape-tools/plant
plant=/var/lib/escape-tools/plant
# ... and the carve-outs among them, which the integrity check after every attempt watches too
state_extra=$(for p in .env config/.env services/api/config/.env.local certs/server.pem services/api/tls/key.pem .vscode .claude \
        .cursor .codex .agents .idea .mcp.json packages/ui/.vscode packages/ui/.claude packages/ui/.gemini packages/ui/.mcp.json \
        .husky .gitconfig.shared .gitconfig.ws libs/sub/.git .repo apps/web/.git apps/web/tools/fsmonitor.sh \
        third_party/x/y/deep/.git; do printf '%s/%s ' "$ws" "$p"; done)
# The workspace's policy, in both phases: unelevated through --plan, elevated installed by apply.
cat >/var/lib/escape-tools/ws-policy.yaml <<'POLICY'
bulwark: 1
name: ws
extends: [workspace-write]
filesystem:
  read_only:
    - ${workspace}/deploy
    - glob: "${workspace}/**/.env*"
  unreadable:
    - glob: "${workspace}/**/*.pem"
limits:
  processes: 512 # attempt 47's fork bomb stops here (the default, 4096, took 20 s to reach on 2 cores)
POLICY
if ! $bulwarkc /var/lib/escape-tools/ws-policy.yaml -o /var/lib/escape-tools/ws.plan >/run/esc.compile 2>&1; then
        cat /run/esc.compile
        bad "the workspace's policy does not compile"
        finish
        exit 1
fi
chmod 644 /var/lib/escape-tools/ws.plan
# world_reset: put the carve-outs back as they were; elevated, apply again when a file had to be
# recreated (a new inode has none of the ACLs apply gave the old one)
world_reset() {
        # shellcheck disable=SC2086
        python3 /var/lib/escape-tools/world.py reset /var/lib/escape-tools/pristine "$ws" $world_paths
        if [ $? -eq 2 ] && [ "${mode:-}" = elevated ]; then
                $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.reapply 2>&1 ||
                        { echo "world_reset: apply failed:"; cat /run/esc.reapply; }
        fi
        return 0
}
world_reset # (the inodes as they are)
# Issue #11's world (attempts 45, 47): a host service's socket outside /run, a socket of ann's
# outside every hidden path, a shared directory a plan may bind ${tmpdir} to at compile time
mkdir -p /var/lib/sss/pipes /var/lib/shared-tmp
chmod 1777 /var/lib/shared-tmp
sss_sock=/var/lib/sss/pipes/nss
app_sock=/home/ann/.local/share/app.sock

# the host's services: a database on every address, a DNS resolver, a peer host behind a veth
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >/run/resolv.conf
rm -f /etc/resolv.conf && cp /run/resolv.conf /etc/resolv.conf
make_peer_host
mkdir -p /run/postgresql "/run/user/$ann_uid" /tmp/ssh-esc
chown ann:ann "/run/user/$ann_uid" /tmp/ssh-esc
chmod 700 "/run/user/$ann_uid" /tmp/ssh-esc
# where the runner keeps its tree index (its own bookkeeping, like a journal: state() skips it)
install -d -o ann -g ann -m 700 "/run/user/$ann_uid/bulwark" /home/ann/.cache /home/ann/.cache/bulwark
pg_sock=/run/postgresql/.s.PGSQL.5432
docker_sock=/run/docker.sock
groupadd docker
usermod -a -G docker ann
agent_tmp=/tmp/ssh-esc/agent.sock
agent_run=/run/user/$ann_uid/ssh-agent.sock
agent_home=/home/ann/.1password/agent.sock
shm_key=0x42570001
mq_name=/bulwark-escape
serve() { # NAME CMD...: start a service in the background and wait until it says ready
        name=$1
        shift
        "$@" >"/var/lib/escape-tools/$name.log" 2>&1 &
        for _ in $(seq 50); do
                grep -q '^ready' "/var/lib/escape-tools/$name.log" && return 0
                sleep 0.1
        done
        echo "service $name did not start:"
        cat "/var/lib/escape-tools/$name.log"
        exit 1
}
serve host python3 /var/lib/escape-tools/services.py listen tcp:0.0.0.0:5432 "tcp:[::]:5432" dns:127.0.0.1:53 "unix:$pg_sock:777" \
        "unix:$docker_sock:660" "unix:$sss_sock:666"
chgrp docker "$docker_sock"
serve peer ip netns exec peer python3 /var/lib/escape-tools/services.py listen tcp:10.77.0.2:7777 udp:10.77.0.2:7777 \
        "tcp:[fd77::2]:7777" "udp:[fd77::2]:7777"
serve agent as_user ann python3 /var/lib/escape-tools/services.py listen "unix:$agent_tmp:600" "unix:$agent_run:600" \
        "unix:$agent_home:600" abstract:bulwark-escape-agent "unix:$app_sock:600"
serve session as_user ann python3 /var/lib/escape-tools/services.py session "$shm_key" "$mq_name"
pty=$(sed -n 's/^pty //p' /var/lib/escape-tools/session.log)
setpriv --reuid=ann --regid=ann --init-groups --reset-env sleep 100000 &
ann_sleep=$!
echo "world ready: ann uid $ann_uid, her sleep is pid $ann_sleep, her other terminal $pty"

. "$here/lib/attempt.sh"
. "$here/workload.sh"

# ESC_ONLY=REGEX: only the attempt files whose name matches (22-git-anywhere.sh, whose helpers
# later files use, always runs); for working on one attempt
attempts() { # the mode is in $mode
        for f in "$here"/attempts/*.sh; do
                case $f in */22-git-anywhere.sh) ;; *)
                        if [ -n "${ESC_ONLY:-}" ] && ! basename "$f" | grep -Eq -- "$ESC_ONLY"; then continue; fi ;;
                esac
                esc_t0=$(date +%s%N)
                . "$f"
                # ESC_TIMES=1: how long each attempt file took, to find what makes the suite slow
                [ -z "${ESC_TIMES:-}" ] || echo "time [$mode] $(basename "$f"): $((($(date +%s%N) - esc_t0) / 1000000)) ms" >&2
        done
}

# usable MODE_WORD: the runner starts in the expected mode with its namespaces and Landlock, or
# the phase is skipped with the reason
usable() {
        as_user ann sh -c 'cd "$1" && shift && exec "$@"' sh "$ws" "$runner" --verbose -- true >/run/esc.verbose 2>&1
        if grep -q 'user namespaces are unavailable' /run/esc.verbose; then
                skipped=$((skipped + 1))
                echo "skip [$mode] every attempt: the runner cannot create user namespaces here: $(cat /run/esc.verbose)"
                return 1
        fi
        if grep -q 'Landlock is' /run/esc.verbose; then
                skipped=$((skipped + 1))
                echo "skip [$mode] every attempt: no usable Landlock here: $(cat /run/esc.verbose)"
                return 1
        fi
        check "[$mode] the runner starts in $1 mode" grep -q "$1 mode as" /run/esc.verbose || {
                sed 's/^/     /' /run/esc.verbose
                return 1
        }
}

# ---- control: the primitives work without a sandbox ----
mode=control
attempts

# With ESC_SESSION=auto (ctest escape-warm) a phase's runs must really have gone through a warm
# session: one more run, verbose, says where it ran.
warm_check() {
        [ -n "${ESC_SESSION:-}" ] || return 0
        saved_opts=${run_opts:-}
        run_opts="$saved_opts --verbose"
        in_sandbox true
        run_opts=$saved_opts
        check "[$mode] (warm pass) runs go through the workspace's warm session" grep -q 'ran in the warm session' "$out"
}

# ---- unelevated: no plan installed ----
mode=unelevated
run_opts="--plan /var/lib/escape-tools/ws.plan"
# as deployed once any workspace has a plan: the runner carries its file capabilities, and must
# drop them when it runs unelevated
setcap cap_setuid,cap_setgid=ep "$runner"
if usable unelevated; then
        attempts
        workload
        warm_check
fi
as_user ann sh -c "cd $ws && git clean -fdq && git checkout -q -- ."
world_reset

# ---- elevated: bulwark apply for ann's workspace (and bob's) ----
mode=elevated
run_opts=
# (before apply: a file bob makes in /tmp with umask 077 is his alone)
as_user bob sh -c 'umask 077 && echo "bob private notes" >/tmp/bob-private-before.txt'
check_fails "[control] host: before apply, ann cannot read bob's new umask-077 file in /tmp" \
        as_user ann cat /tmp/bob-private-before.txt
as_user ann sh -c "mkdir -p $ws/.bulwark && cat >$ws/.bulwark/policy.yaml" </var/lib/escape-tools/ws-policy.yaml
if $bulwark apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann >/run/esc.apply 2>&1; then
        ok "[elevated] bulwark apply for ann (her ~/.kube is a symlink into ~/dotfiles)"
else
        bad "[elevated] bulwark apply for ann, whose ~/.kube is a symlink into ~/dotfiles (a dotfile manager's layout):"
        sed 's/^/     /' /run/esc.apply | grep -v '^     [+?=] ' | head -5
        echo "note: replacing ann's ~/.kube symlink by its directory, and applying again"
        as_user ann sh -c 'cd && rm .kube && mv dotfiles/kube .kube'
        check "[elevated] bulwark apply for ann" "$bulwark" apply /var/lib/escape-tools/ws.plan --workspace "$ws" --user ann
fi
check "[elevated] bulwark apply for bob" "$bulwark" apply /var/lib/escape-tools/ws.plan --workspace "$bob_ws" --user bob
if ! getcap "$runner" | grep -q 'cap_setgid,cap_setuid=ep'; then
        echo "note: apply did not give $runner its capabilities; setting them here"
        setcap cap_setuid,cap_setgid=ep "$runner"
fi
if usable elevated; then
        attempts
        workload
        warm_check
        # apply's default entries on the shared /tmp: what another user makes there afterwards
        as_user bob sh -c 'umask 077 && echo "bob private notes" >/tmp/bob-private.txt'
        check "[elevated] host: after apply, a file bob makes in /tmp with umask 077 is still his alone" \
                sh -c "getfacl -p /tmp/bob-private.txt; ! setpriv --reuid=ann --regid=ann --init-groups cat /tmp/bob-private.txt"
fi

# A workspace without a plan, on a machine with plans: unelevated, and the runner's capabilities
# are dropped before the sandbox starts.
as_user ann mkdir /home/ann/other
other_run() {
        as_user ann sh -c 'cd /home/ann/other && exec "$@"' sh "$runner" --verbose -- cat /proc/self/status >/run/esc.other 2>&1
        cat /run/esc.other
        grep -q 'unelevated mode as ann' /run/esc.other && grep -qE '^CapPrm:[[:space:]]+0+$' /run/esc.other
}
check "[unelevated] a workspace without a plan runs unelevated, with no capabilities" other_run

echo "$skipped skipped ($(($(date +%s) - start)) s)"
finish
