# SPDX-License-Identifier: MIT
# A command that leaves more protected objects than the runner binds (the tree guard's limit,
# 4096) must not stop every later run in the workspace: thousands of files matching the policy's
# read_only glob (**/.env*) or its unreadable one (**/*.pem), of .git directories, of directories git takes for repositories
# (HEAD and objects), made in one run. What the run made is made safe after it and must then not
# count as protected objects of the next run: that run starts, and what ann had protected stays
# protected. (4200 of each, one directory each.)

flood_next_runs() { # the next run starts, and ann's .env is still read-only in it
        in_sandbox sh -c 'echo X=evil >>.env'
        st=$?
        if [ $st -eq 125 ] || [ $st -eq 0 ]; then
                echo "the next run did not start, or ann's .env was writable (status $st):"
                show_out
                return 1
        fi
}
flood_clean() {
        rm -rf "$ws/flood"
}
# (python: one process makes the 4200 entries in well under a second)
for kind in env git gitdir pem; do
        make="import os
for i in range(4200):
    d = 'flood/d%d' % i
    if '$kind' == 'env': os.makedirs(d); open(d + '/.env.local', 'w').write('X=1')
    if '$kind' == 'pem': os.makedirs(d); open(d + '/k.pem', 'w').write('key')
    if '$kind' == 'git': os.makedirs(d + '/.git'); open(d + '/.git/HEAD', 'w').write('ref: refs/heads/main')
    if '$kind' == 'gitdir':
        os.makedirs(d + '/objects'); os.makedirs(d + '/refs'); open(d + '/HEAD', 'w').write('ref: refs/heads/main')"
        proof "guard-flood-$kind" python3 -c "$make"
        flood_clean
        harmless "guard-flood-$kind" python3 -c "$make"
        host_check "guard-flood-$kind" "the next run in the workspace starts, and ann's .env stays read-only in it" flood_next_runs
        flood_clean
        world_reset
done
