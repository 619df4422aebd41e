# SPDX-License-Identifier: MIT
# The toolchain caches `bulwark init` lists for a repository (~/.cargo/registry, ~/.gradle/wrapper,
# ...) hold what the user's own builds later compile or run without checking it again, as the
# user, outside any sandbox: a crate's extracted build.rs, a Gradle distribution's launcher. A
# command plants code there, under the policy `bulwark init` writes: the host's copies must stay as
# they were (cache roots are copy-on-write: what the command writes reaches only its workspace's
# own layer, which later sandboxed runs see and the user's own tools never do). Where init made
# those caches writable, this is an escape: the integrity check after each attempt and the host
# checks below catch the planted code. Unelevated only (through --plan): elevated mode refuses a
# plan with cache roots (tests/integration/cache-overlay.sh checks that).

cp_plan=/var/lib/escape-tools/cache-init.plan
cp_crate=/home/ann/.cargo/registry/src/index.crates.io-6f17d22bba15001f/crate-1.0
cp_launcher=/home/ann/.gradle/wrapper/dists/gradle-8.7-bin/gradle-8.7/bin/gradle
if [ ! -f $cp_plan ]; then
        # the caches as the user's own builds left them (and ~/.cache/bulwark, where the runner
        # keeps its layers, made now: its making is not what the integrity check looks for)
        as_user ann sh -e -c "mkdir -p $cp_crate $(dirname $cp_launcher) /home/ann/.cache/bulwark
                chmod 700 /home/ann/.cache /home/ann/.cache/bulwark
                echo 'fn main() { println!(\"cargo:rerun-if-changed=build.rs\"); }' >$cp_crate/build.rs
                printf '#!/bin/sh\necho gradle 8.7\n' >$cp_launcher && chmod 755 $cp_launcher"
        cp -p $cp_crate/build.rs /var/lib/escape-tools/build.rs.orig
        # the policy `bulwark init` writes for a repository with Cargo.toml and build.gradle
        as_user ann sh -e -c 'mkdir -p /tmp/cache-init-ws && cd /tmp/cache-init-ws && git init -q &&
                touch Cargo.toml build.gradle' >/dev/null 2>&1
        as_user ann sh -c "cd /tmp/cache-init-ws && $bulwark init --dry-run" >/var/lib/escape-tools/cache-init.yaml \
                2>/run/esc.cache-init
        $bulwarkc /var/lib/escape-tools/cache-init.yaml -o $cp_plan >/run/esc.cache-compile 2>&1 ||
                echo "note: the policy bulwark init wrote does not compile: $(cat /run/esc.cache-init /run/esc.cache-compile)"
        chmod 644 $cp_plan 2>/dev/null
        rm -rf /tmp/cache-init-ws
fi
if [ "$mode" = elevated ]; then
        skip_here cache-poison "elevated mode refuses a plan with cache roots"
elif [ "$mode" = unelevated ]; then
        cp_saved_opts=${run_opts:-}
        run_opts="--plan $cp_plan"
        harmless cache-poison-crate sh -c "echo 'fn main() { /* planted: runs in your next cargo build */ }' >>$cp_crate/build.rs"
        host_check cache-poison-crate "the host's build.rs is byte for byte what cargo extracted" \
                cmp $cp_crate/build.rs /var/lib/escape-tools/build.rs.orig
        harmless cache-poison-new-crate sh -c "mkdir -p $cp_crate/../evil-1.0 && echo planted >$cp_crate/../evil-1.0/build.rs"
        host_check cache-poison-new-crate "no crate planted in the host's registry" test ! -e "$cp_crate/../evil-1.0"
        harmless cache-poison-gradle sh -c "printf '#!/bin/sh\necho planted\n' >$cp_launcher"
        cp_ran=$(setpriv --reuid=ann --regid=ann --init-groups --reset-env $cp_launcher 2>&1)
        host_check cache-poison-gradle "the user's own gradle launcher, run outside the sandbox, is the original" \
                test "$cp_ran" = "gradle 8.7"
        allowed cache-poison-own-view "copy-on-write: a later run of the workspace sees its own writes" \
                grep -q planted $cp_crate/build.rs $cp_launcher
        run_opts=$cp_saved_opts
fi
