#!/bin/sh
# SPDX-License-Identifier: MIT
# Cache roots (filesystem.cache, enforcer/runner/sandbox.h): a copy-on-write layer over a host
# directory, with real overlay mounts. A command writes, changes, removes and plants files in a
# cache root; a later run of the same workspace sees its own writes; the host's copy is byte for
# byte what it was (a later build of the user's own, outside the sandbox, finds nothing planted);
# another workspace sees the host's copy, not the first one's writes; the layers are hidden from
# every sandbox, made without following symlinks, 0700; carve-outs and unreadable paths still
# apply inside; a warm session mounts it too; overlapping roots and elevated mode (bulwark apply,
# an installed plan) are refused with the reason; `bulwark init` writes cache roots.
build=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! unshare -U true 2>/dev/null; then
        echo "SKIP cache-overlay: this kernel does not let processes create user namespaces"
        finish
        exit 77 # ctest: skipped
fi
# overlayfs in a user namespace (Linux 5.11), on a tmpfs upper layer (user xattrs: Linux 6.6)
mkdir -p /run/ovl/l /run/ovl/u /run/ovl/w /run/ovl/m
if ! unshare -Urm sh -c 'mount -t tmpfs tmpfs /run/ovl/u && mkdir /run/ovl/u/u /run/ovl/u/w &&
        mount -t overlay overlay -o lowerdir=/run/ovl/l,upperdir=/run/ovl/u/u,workdir=/run/ovl/u/w,userxattr /run/ovl/m' 2>/run/ovl.err; then
        echo "SKIP cache-overlay: overlayfs cannot be mounted in a user namespace here: $(cat /run/ovl.err)"
        finish
        exit 77
fi

useradd -m -d /home/ann -s /bin/sh ann
chmod 700 /home/ann
as_user ann sh -e -c '
        cd /home/ann
        mkdir -p ws1/src ws2/src .cargo/registry/src/crate-1.0 .gradle/wrapper/dists
        echo "fn main() {}" >.cargo/registry/src/crate-1.0/build.rs
        echo "pub fn f() {}" >.cargo/registry/src/crate-1.0/lib.rs
        echo "old" >.cargo/registry/src/crate-1.0/gone.txt
        echo "token = ann-registry-test" >.cargo/registry/credentials.toml
        printf "#!/bin/sh\necho gradle\n" >.gradle/wrapper/dists/gradle-launcher
        chmod 755 .gradle/wrapper/dists/gradle-launcher
        ln -s crate-1.0 .cargo/registry/src/current
        mkdir -p .config/tool && echo "tool-token-ann" >.config/tool/token'
cat >/run/cache.yaml <<'EOF'
bulwark: 1
name: cache-test
extends: [workspace-write]
filesystem:
  cache: ["~/.cargo/registry", "~/.gradle/wrapper", "~/.cache/not-there", "~/.config/tool/cache"]
  read_only: ["~/.cargo/registry/src/crate-1.0/lib.rs"]
  unreadable: ["~/.cargo/registry/credentials.toml", "~/.config"]
EOF
$bulwarkc /run/cache.yaml -o /run/cache.plan >/run/compile.out 2>&1
check "a policy with cache roots compiles" test -s /run/cache.plan
$bulwark show /run/cache.plan >/run/show.out 2>&1
check "bulwark show marks a cache root copy-on-write, host copy unchanged" \
        grep -q 'cache .*path  ${home}/.cargo/registry copy-on-write (host copy unchanged)' /run/show.out

host_state() { # the host's copies: names, types, modes, sizes, mtimes, link targets, contents
        (cd /home/ann && find .cargo .gradle -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort &&
                find .cargo .gradle -type f -exec sha256sum {} + | LC_ALL=C sort)
}
host_state >/run/host.before

in_ws() { # dir command... : as ann, from dir, through the runner with the cache plan
        d=$1
        shift
        as_user ann env XDG_RUNTIME_DIR="/run/user/$(id -u ann)" sh -c 'cd "$1" && shift && exec "$@"' sh "$d" \
                $runner --plan /run/cache.plan "$@"
}
mkdir -p "/run/user/$(id -u ann)" && chown ann:ann "/run/user/$(id -u ann)" && chmod 700 "/run/user/$(id -u ann)"

R=/home/ann/.cargo/registry/src/crate-1.0
in_ws /home/ann/ws1 -v -- sh -ec "
        echo 'fn main() { /* planted */ }' >>$R/build.rs
        echo planted >$R/new.rs
        rm $R/gone.txt
        chmod 700 $R/build.rs
        mkdir -p /home/ann/.cargo/registry/src/evil && ln -s /home/ann/ws1 /home/ann/.cargo/registry/src/evil/link
        printf '#!/bin/sh\necho owned\n' >/home/ann/.gradle/wrapper/dists/gradle-launcher
        mkdir -p /home/ann/.cache/not-there/sub && echo first >/home/ann/.cache/not-there/sub/f
        echo ok" >/run/r1.out 2>&1
check "a command writes, changes, removes and plants files in cache roots" grep -qx ok /run/r1.out
check "  ...a missing one too, which --verbose says the host stays without" \
        grep -q 'cache root /home/ann/.cache/not-there does not exist: the sandbox gets it from an empty directory, the host stays without it' /run/r1.out
host_state >/run/host.after
check "the host's copies are byte for byte what they were" cmp /run/host.before /run/host.after
check "  ...and the host's build.rs holds no planted line" sh -c "! grep -q planted $R/build.rs"
check "  ...and a missing cache root stays missing on the host" test ! -e /home/ann/.cache/not-there
launcher=$(as_user ann /home/ann/.gradle/wrapper/dists/gradle-launcher 2>&1)
check "the user's own gradle launcher, run outside the sandbox, is the original" test "$launcher" = gradle

in_ws /home/ann/ws1 -- sh -c "grep -c planted $R/build.rs; cat $R/new.rs; test ! -e $R/gone.txt && echo gone;
        stat -c %a $R/build.rs; /home/ann/.gradle/wrapper/dists/gradle-launcher; cat /home/ann/.cache/not-there/sub/f;
        echo x >/home/ann/.cache/beside-not-there" >/run/r2.out 2>&1
check "a later run of the same workspace sees its own writes" sh -c \
        'grep -qx 1 /run/r2.out && grep -qx planted /run/r2.out && grep -qx gone /run/r2.out && grep -qx 700 /run/r2.out && grep -qx owned /run/r2.out'
check "  ...in the root the host does not have too; its parent stays read-only" sh -c \
        'grep -qx first /run/r2.out && grep -q "beside-not-there: Read-only file system" /run/r2.out && test ! -e /home/ann/.cache/beside-not-there'

in_ws /home/ann/ws2 -- sh -c "grep -c planted $R/build.rs; test -e $R/new.rs && echo new; cat $R/gone.txt;
        /home/ann/.gradle/wrapper/dists/gradle-launcher" >/run/r3.out 2>&1
check "another workspace sees the host's copy, not the first one's writes" sh -c \
        'grep -qx 0 /run/r3.out && ! grep -qx new /run/r3.out && grep -qx old /run/r3.out && grep -qx gradle /run/r3.out'
in_ws /home/ann/ws2 -- sh -c "echo ws2 >$R/ws2.rs" >/dev/null 2>&1
in_ws /home/ann/ws1 -- sh -c "test -e $R/ws2.rs" >/dev/null 2>&1
check "  ...nor the first the second's" test $? -ne 0

in_ws /home/ann/ws1 -- sh -c "echo x >>$R/lib.rs" >/run/r4.out 2>&1
check "a read-only carve-out inside a cache root stays read-only" grep -q 'Read-only file system' /run/r4.out
in_ws /home/ann/ws1 -- cat /home/ann/.cargo/registry/credentials.toml >/run/r5.out 2>&1
check "an unreadable path inside a cache root stays unreadable" sh -c '! grep -q ann-registry-test /run/r5.out'
in_ws /home/ann/ws1 -- sh -c 'echo c >/home/ann/.config/tool/cache/c && cat /home/ann/.config/tool/cache/c;
        cat /home/ann/.config/tool/token; ls /home/ann/.config/tool' >/run/r8.out 2>&1
check "a missing cache root inside an unreadable directory: usable, and nothing else there is shown" sh -c \
        '! grep -q tool-token-ann /run/r8.out && grep -qx c /run/r8.out && test ! -e /home/ann/.config/tool/cache' ||
        sed 's/^/     /' /run/r8.out
in_ws /home/ann/ws1 -- sh -c 'ls -a /home/ann/.cache/bulwark; echo x >/home/ann/.cache/bulwark/layers/x' >/run/r6.out 2>&1
check "the layers are out of every sandbox's reach" sh -c \
        "test $? -ne 0 && ! grep -qx layers /run/r6.out && grep -q 'Permission denied' /run/r6.out &&
         test ! -e /home/ann/.cache/bulwark/layers/x"
L=/home/ann/.cache/bulwark/layers
check "the layers are kept per workspace and per root, 0700, the caller's" sh -c \
        "test \$(ls $L | wc -l) -eq 2 && test \$(find $L -mindepth 2 -maxdepth 2 -type d | wc -l) -eq 8 &&
         test -z \"\$(find /home/ann/.cache/bulwark -maxdepth 4 -type d ! -perm 700)\" &&
         test -z \"\$(find /home/ann/.cache/bulwark -maxdepth 4 ! -user ann)\""
host_state >/run/host.after
check "after every run, the host's copies are still what they were" cmp /run/host.before /run/host.after

# two runs of one workspace at once (an agent's parallel commands): both get the layer
in_ws /home/ann/ws1 -- sh -c "sleep 1.5; cat $R/new.rs" >/run/c1.out 2>&1 &
cpid=$!
sleep 0.5
in_ws /home/ann/ws1 -- sh -c "echo both >$R/both.rs && cat $R/both.rs" >/run/c2.out 2>&1
wait $cpid
check "two runs of one workspace at the same time both mount the layer" sh -c \
        'grep -qx planted /run/c1.out && grep -qx both /run/c2.out' || sed 's/^/     /' /run/c1.out /run/c2.out

# a symlink planted where the runner keeps a layer (by someone who reached it) is not followed
rootd=$L/$(printf '%s' /home/ann/ws1 | sha256sum | cut -c1-16)/$(printf '%s' /home/ann/.cargo/registry | sha256sum | cut -c1-16)
test -d "$rootd/upper" || bad "no layer at $rootd"
mv "$rootd/upper" "$rootd/upper.saved"
as_user ann ln -s /home/ann/ws1 "$rootd/upper"
in_ws /home/ann/ws1 -- true >/run/r7.out 2>&1
check "a symlink in place of a layer directory refuses the run (125), naming it" sh -c \
        "test $? -eq 125 && grep -q 'must be a directory, not a symbolic link' /run/r7.out"
rm "$rootd/upper"
mv "$rootd/upper.saved" "$rootd/upper"

# a warm session mounts the layer too
as_user ann env XDG_RUNTIME_DIR="/run/user/$(id -u ann)" BULWARK_SESSION=auto sh -c \
        "cd /home/ann/ws1 && $runner --plan /run/cache.plan -v -- sh -c 'echo warm >$R/warm.rs; cat $R/new.rs'" >/run/w1.out 2>&1
as_user ann env XDG_RUNTIME_DIR="/run/user/$(id -u ann)" BULWARK_SESSION=auto sh -c \
        "cd /home/ann/ws1 && $runner --plan /run/cache.plan -v -- cat $R/warm.rs" >/run/w2.out 2>&1
check "a warm session: the layer is mounted, its writes stay in the layer" sh -c \
        "grep -qx planted /run/w1.out && grep -qx warm /run/w2.out && grep -q 'ran in the warm session' /run/w2.out && test ! -e $R/warm.rs" ||
        sed 's/^/     /' /run/w1.out /run/w2.out | head -20
as_user ann env XDG_RUNTIME_DIR="/run/user/$(id -u ann)" sh -c "cd /home/ann/ws1 && $runner --plan /run/cache.plan --session stop" >/dev/null 2>&1
host_state >/run/host.after
check "  ...and the host's copies are still what they were" cmp /run/host.before /run/host.after

# a cache root that overlaps a writable root once bound is refused at run time
printf '%s\n' 'bulwark: 1' 'extends: [workspace-write]' 'filesystem:' '  cache: ["${home}/ws1/target"]' >/run/overlap.yaml
$bulwarkc /run/overlap.yaml -o /run/overlap.plan >/dev/null 2>&1
as_user ann sh -c "cd /home/ann/ws1 && $runner --plan /run/overlap.plan -- true" >/run/o.out 2>&1
check "a cache root inside the workspace (bound at run time) is refused (125)" sh -c \
        "test $? -eq 125 && grep -q 'cache root /home/ann/ws1/target overlaps the writable root /home/ann/ws1' /run/o.out"

printf '%s\n' 'bulwark: 1' 'extends: [workspace-write]' 'filesystem:' '  cache: [/proc/self]' >/run/proc.yaml
$bulwarkc /run/proc.yaml -o /run/proc.plan >/run/p.out 2>&1
check "a cache root in /proc (a layer over the host's processes) is refused (the runner refuses it too)" sh -c \
        "test $? -eq 1 && grep -q 'cache root /proc/self lies in /proc: the kernel' /run/p.out && test ! -e /run/proc.plan"

# elevated mode: an installed plan cannot have cache roots (yet): apply refuses, nothing changes
$bulwark apply /run/cache.plan --workspace /home/ann/ws1 --user ann >/run/apply.out 2>&1
check "bulwark apply refuses a plan with cache roots, saying why (nothing changed)" sh -c \
        "test $? -ne 0 && grep -q 'has cache roots.*elevated mode does not support yet' /run/apply.out &&
         ! getent passwd bw-off-ann >/dev/null && test -z \"\$(ls /var/lib/bulwark/installs 2>/dev/null)\""
$bulwark plan /run/cache.plan --workspace /home/ann/ws1 --user ann >/run/plan.out 2>&1
check "  ...and so does bulwark plan (the dry run)" grep -q 'has cache roots' /run/plan.out

# bulwark init writes the caches it recognises as cache roots
as_user ann sh -c 'mkdir -p /home/ann/ws3 && cd /home/ann/ws3 && git init -q && touch Cargo.toml build.gradle &&
        '"$bulwark"' init --dry-run' >/run/init.out 2>/dev/null
check "bulwark init lists toolchain caches as cache roots, not writable ones" sh -c \
        "grep -q '^  cache:' /run/init.out && ! grep -q '^  writable:' /run/init.out && grep -q '~/.gradle/wrapper' /run/init.out"
finish
