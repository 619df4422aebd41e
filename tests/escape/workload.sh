# SPDX-License-Identifier: MIT
# A real workload: what an agent does all day must keep working in the sandbox (both modes).
# Sourced by escape.sh with $mode set; each step is one runner invocation, as ann, in the workspace.

workload() {
        check "[$mode] workload: write a C project and build it with make" sandboxed sh -c '
                mkdir -p hello && cd hello &&
                printf "#include <stdio.h>\nint main(void) { puts(\"hello from the sandbox\"); return 0; }\n" >main.c &&
                printf "hello: main.c\n\t\$(CC) -O2 -o \$@ main.c\nclean:\n\trm -f hello\n" >Makefile &&
                make && ./hello | grep -qx "hello from the sandbox" && make clean'
        check "[$mode] workload: python writes in the workspace and in \$TMPDIR" sandboxed python3 -c '
import os, tempfile
assert os.environ["TMPDIR"] == "/tmp", os.environ["TMPDIR"]
with open("notes.txt", "w") as f: f.write("from the sandbox\n")
with tempfile.NamedTemporaryFile(dir=os.environ["TMPDIR"]) as t: t.write(b"scratch"); t.flush()
os.makedirs("build/out", exist_ok=True)
os.replace("notes.txt", "build/out/notes.txt")'
        check "[$mode] workload: a server on the sandbox's loopback, and a client, in one run" sandboxed python3 -c '
import socket, threading
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
def serve():
    c, _ = s.accept(); c.sendall(c.recv(16).upper()); c.close()
threading.Thread(target=serve).start()
c = socket.create_connection(s.getsockname(), timeout=3); c.sendall(b"ping")
assert c.recv(16) == b"PING"'
        check "[$mode] workload: a test suite that forks, uses pipes and /dev/shm" sandboxed sh -c '
                echo data | tr a-z A-Z | grep -qx DATA && python3 -c "
import multiprocessing as m
with m.Pool(2) as p: assert p.map(abs, [-1, -2]) == [1, 2]"'
        as_user ann sh -c "echo '# edited' >>$ws/README.md"
        check "[$mode] workload: git status (plain, as an agent runs it)" sandboxed sh -c 'git status --short | grep -q "README.md"'
        check "[$mode] workload: git diff (plain)" sandboxed sh -c 'git diff | grep -q "^+# edited"'
        check "[$mode] workload: git log and git show" sandboxed sh -c 'git -c safe.directory="*" log --oneline | grep -q initial'
        check "[$mode] workload: the real user can edit and remove what the sandbox made" \
                as_user ann sh -c "echo mine >>$ws/build/out/notes.txt && rm -rf $ws/build $ws/hello"
        as_user ann git -C "$ws" checkout -q -- README.md
}
