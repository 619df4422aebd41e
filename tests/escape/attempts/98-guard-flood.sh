# SPDX-License-Identifier: MIT
# A command that leaves more protected objects than the runner binds (the tree guard's limit,
# 4096) must not stop every later run in the workspace: thousands of files matching the policy's
# read_only glob (**/.env*) or its unreadable one (**/*.pem), of .git directories, of directories git takes for repositories
# (HEAD and objects), made in one run. What the run made is made safe after it and must then not
# count as protected objects of the next run: that run starts, and what ann had protected stays
# protected. (5000 of each, one directory each: about a second to make.)

flood_next_runs() { # the next run starts, and ann's own .env is still read-only in it
        for _ in 1 2; do
                in_sandbox true || {
                        show_out
                        return 1
                }
        done
        in_sandbox sh -c 'echo X=evil >>.env' && {
                echo "ann's .env was writable after the flood"
                return 1
        }
        return 0
}
flood_clean() {
        rm -rf "$ws/flood"
}
for kind in env git gitdir pem; do
        case $kind in
        env) make='mkdir -p flood && cd flood && for i in $(seq 5000); do mkdir d$i && echo X=1 >d$i/.env.local; done' ;;
        git) make='mkdir -p flood && cd flood && for i in $(seq 5000); do mkdir -p d$i/.git && echo "ref: refs/heads/main" >d$i/.git/HEAD; done' ;;
        pem) make='mkdir -p flood && cd flood && for i in $(seq 5000); do mkdir d$i && echo key >d$i/k.pem; done' ;;
        gitdir) make='mkdir -p flood && cd flood && for i in $(seq 5000); do mkdir -p d$i/objects d$i/refs && echo "ref: refs/heads/main" >d$i/HEAD; done' ;;
        esac
        proof "guard-flood-$kind" sh -c "$make"
        flood_clean
        harmless "guard-flood-$kind" sh -c "$make"
        host_check "guard-flood-$kind" "the next runs in the workspace start, and ann's .env stays read-only" flood_next_runs
        flood_clean
        world_reset
done
