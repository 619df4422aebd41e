#!/bin/sh
# SPDX-License-Identifier: MIT
# The command line on a terminal (issue #14): apply shows the plan and asks (only "yes" applies,
# exactly the change set shown, refused if the machine moved meanwhile), never asks when not on a
# terminal or with --yes; colour (--color, NO_COLOR, TERM=dumb) and byte-identical output without
# it; --quiet; the progress line; apply --installed ID|WORKSPACE; revert WORKSPACE. The terminal
# is a pseudo-terminal driven by python3's pty module.
build=$1
. "$(dirname "$0")/lib.sh"

# ptydrive.py [--answer TEXT] [--before CMD] [--stdout FILE] [--transcript FILE] -- COMMAND...
# Runs COMMAND with a pseudo-terminal as its stdin, stderr and (unless --stdout) stdout; when it
# prints "Enter a value:", runs CMD (if any), then types TEXT and a newline (with no --answer: an
# end of input). Exits with COMMAND's status; the terminal's transcript goes to FILE.
cat >/run/ptydrive.py <<'PY'
import os, pty, subprocess, sys, time, select
args = sys.argv[1:]
opt = {}
while args and args[0] != '--':
    opt[args[0]] = args[1]
    args = args[2:]
cmd = args[1:]
master, slave = pty.openpty()
out = open(opt['--stdout'], 'wb') if '--stdout' in opt else slave
env = dict(os.environ, TERM=os.environ.get('TERM', 'xterm'))
p = subprocess.Popen(cmd, stdin=slave, stdout=out, stderr=slave, start_new_session=True, env=env)
os.close(slave)
data = b''
asked = False
deadline = time.time() + 120
while time.time() < deadline:
    r, _, _ = select.select([master], [], [], 0.5)
    if not r:
        if p.poll() is not None:
            break
        continue
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
    if not asked and b'Enter a value:' in data:
        asked = True
        if '--before' in opt:
            subprocess.run(opt['--before'], shell=True, check=True)
        if '--answer' in opt:
            os.write(master, opt['--answer'].encode() + b'\n')
        else:
            os.write(master, b'\x04')  # ^D: end of input
status = p.wait(timeout=120)
with open(opt.get('--transcript', '/run/pty.out'), 'wb') as f:
    f.write(data.replace(b'\r\n', b'\n'))
sys.exit(status)
PY
esc=$(printf '\033')
# the transcript, without colour, has a line matching the extended regular expression $1
seen() { sed "s/${esc}\[[0-9;]*m//g" $T | grep -Eaq "$1"; }
pty() {
        rm -f /run/pty.out
        /usr/bin/python3 /run/ptydrive.py "$@"
}
T=/run/pty.out

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git
for i in 1 2 3; do echo x >/home/ann/repo/src/f$i; done
chown -R ann:ann /home/ann
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
W="--workspace /home/ann/repo --user ann"
log=/var/log/bulwark/audit.jsonl
no_leftovers() { ! ls -d /tmp/bulwark-apply.* >/dev/null 2>&1; }

# --- apply on a terminal: shown, asked, cancelled ---
pty --answer no -- $bulwark apply /run/ws.plan $W
check "apply on a terminal, answered 'no': exit 1" test $? -eq 1
shown_changes() { seen '^bulwark: [0-9]+ to add' && seen '^\+ user'; }
check "  ...showed the changes first (the summary and the lines)" shown_changes
check "  ...asked as terraform apply does" sh -c "grep -q 'Do you want to apply these changes?' $T && grep -q \"Only 'yes' will be accepted\" $T"
check "  ...said 'Apply cancelled.'" grep -q '^Apply cancelled\.' $T
check "  ...did not tell to apply its private change set by hand" sh -c "! grep -q 'change set saved' $T"
check_fails "  ...and changed nothing: no sandbox account" getent passwd bw-off-ann
check "  ...no installation, no audit record" sh -c "test ! -e /var/lib/bulwark/installs/* && test ! -e $log"
check "  ...no change set left in /tmp" no_leftovers

pty --answer no --stdout /run/out.txt -- $bulwark apply /run/ws.plan $W
check "standard output not a terminal: the changes are shown on the terminal (stderr)" \
        sh -c "test $? -eq 1 && test ! -s /run/out.txt && grep -q '^Apply cancelled' $T"
check "  ...before the question" shown_changes
pty -- $bulwark apply /run/ws.plan $W
check "an end of input instead of an answer cancels (exit 1)" sh -c "test $? -eq 1 && grep -q '^Apply cancelled' $T"
check_fails "  ...nothing applied" getent passwd bw-off-ann
pty --answer y -- $bulwark apply /run/ws.plan $W
check "'y' is not 'yes' (exit 1)" sh -c "test $? -eq 1 && grep -q '^Apply cancelled' $T"

# the machine moves between the question and the answer: nothing is applied
pty --answer yes --before "echo y >/home/ann/repo/src/late; chown ann:ann /home/ann/repo/src/late" -- $bulwark apply /run/ws.plan $W
check "'yes' after the machine changed: refused, exit 1" sh -c "test $? -eq 1 && grep -q 'changed since' $T"
check_fails "  ...nothing applied" getent passwd bw-off-ann
check "  ...no change set left in /tmp" no_leftovers

# --- yes: exactly the change set shown is applied ---
pty --answer yes -- $bulwark apply /run/ws.plan $W
check "apply on a terminal, answered 'yes': exit 0" test $? -eq 0
check "  ...applied the reviewed change set" grep -q 'the state is as reviewed' $T
check "  ...the plan is in force" $bulwark status
check "  ...recorded once in the audit trail" test "$(wc -l <$log)" -eq 1
check "  ...no change set left in /tmp" no_leftovers
pty -- $bulwark apply /run/ws.plan $W
check "nothing to change: said so, exit 0, without asking" sh -c "test $? -eq 0 && grep -q 'no changes' $T && ! grep -q 'Enter a value' $T"

# --- not a terminal: as before, never asks ---
echo z >/home/ann/repo/src/later
$bulwark revert --all >/dev/null
$bulwark apply /run/ws.plan $W </dev/null >/run/out.txt 2>/run/err.txt
check "not on a terminal: applies without asking (exit 0)" sh -c "test $? -eq 0 && ! grep -q 'Enter a value' /run/out.txt /run/err.txt"
check "  ...its output has no colour" sh -c "grep -q '^+ user' /run/out.txt && ! grep -q \"$(printf '\033')\" /run/out.txt /run/err.txt"
$bulwark revert --all >/dev/null
pty -- $bulwark apply -y /run/ws.plan $W
applied_unasked() { seen '^\+ user' && ! grep -q 'Enter a value' $T && getent passwd bw-off-ann; }
check "-y on a terminal: applies without asking" applied_unasked

# --- colour ---
# the transcript has the command's output, without any escape sequence
plain() { grep -q "$1" $T && ! grep -q "$esc" $T; }
pty -- $bulwark show /run/ws.plan
check "show on a terminal: bold headings" grep -q "${esc}\[1mprincipals:" $T
NO_COLOR=1 pty -- $bulwark show /run/ws.plan
check "NO_COLOR=1: no colour" plain principals:
NO_COLOR= pty -- $bulwark show /run/ws.plan
check "NO_COLOR empty: colour" grep -q "$esc" $T
TERM=dumb pty -- $bulwark show /run/ws.plan
check "TERM=dumb: no colour" plain principals:
pty -- $bulwark --color=never show /run/ws.plan
check "--color=never: no colour" plain principals:
$bulwark show /run/ws.plan >/run/plain.txt
$bulwark --color=always show /run/ws.plan >/run/color.txt
check "--color=always on a pipe: colour" grep -q "$esc" /run/color.txt
check "  ...and without the escapes, the same bytes as uncoloured" sh -c "sed 's/${esc}\[[0-9;]*m//g' /run/color.txt | cmp -s - /run/plain.txt"
pty -- $bulwark plan
check "an error on a terminal: 'error:' in bold red" grep -q "${esc}\[1;31merror:" $T
$bulwark plan 2>/run/err.txt
check "  ...not when stderr is not a terminal (the message as before)" grep -qx 'bulwark plan: give exactly one PLAN file' /run/err.txt
check_fails "--color=sometimes is a usage error" $bulwark --color=sometimes status

# --- quiet ---
echo q >/home/ann/repo/src/quiet
chown ann:ann /home/ann/repo/src/quiet
$bulwark plan -q /run/ws.plan $W >/run/out.txt 2>/run/err.txt
s=$?
check "plan --quiet: nothing printed, exit 0 (no difference)" sh -c "test $s -eq 0 && test ! -s /run/out.txt"
setfacl -b /home/ann/repo/src/f1
$bulwark --quiet plan /run/ws.plan $W >/run/out.txt 2>/run/err.txt
s=$?
check "plan --quiet with a difference: nothing printed, exit 2" sh -c "test $s -eq 2 && test ! -s /run/out.txt"
$bulwark status -q >/run/out.txt 2>&1
s=$?
check "status --quiet: nothing printed, exit 2 (drift)" sh -c "test $s -eq 2 && test ! -s /run/out.txt"
check_fails "--quiet is refused where it has no meaning (run)" $bulwark -q run -- true

# --- apply --installed, revert WORKSPACE ---
id=$(printf '%s' /home/ann/repo | sha256sum | cut -c1-16)
$bulwark apply --installed /home/ann/repo >/run/out.txt 2>&1 </dev/null
check "apply --installed WORKSPACE heals the drift" sh -c "test $? -eq 0 && $bulwark status"
setfacl -b /home/ann/repo/src/f2
(cd /home/ann && $bulwark apply --installed "$(echo $id | cut -c1-6)" </dev/null >/run/out.txt 2>&1)
check "apply --installed ID-PREFIX heals it too" sh -c "test $? -eq 0 && $bulwark status"
check_fails "apply --installed with a PLAN is a usage error" $bulwark apply --installed $id /run/ws.plan
check_fails "apply --installed of a workspace with no installation fails" $bulwark apply --installed /home/ann
$bulwark apply --installed /home/ann 2>/run/err.txt </dev/null
check "  ...naming the workspace and the way to see what is installed" grep -q "no plan is installed for the workspace /home/ann.*bulwark status" /run/err.txt
pty --answer no -- $bulwark apply --installed /home/ann/repo
check "apply --installed on a terminal with nothing to change: no question, exit 0" sh -c "test $? -eq 0 && grep -q 'no changes' $T"
(cd /home/ann && $bulwark revert repo >/run/out.txt 2>&1)
check "revert WORKSPACE (a relative path)" sh -c "test $? -eq 0 && ! test -e /var/lib/bulwark/installs/$id"
check_fails "  ...the sandbox accounts are gone" getent passwd bw-off-ann
check "no change set left in /tmp after all" no_leftovers

# --- the progress line: a walk long enough to draw it (50,000 files) ---
mkdir -p /home/ann/big/.git
/usr/bin/python3 -c "
import os
for d in range(200):
    os.mkdir('/home/ann/big/d%d' % d)
    for f in range(250):
        open('/home/ann/big/d%d/f%d' % (d, f), 'w').close()"
chown -R ann:ann /home/ann/big
B="--workspace /home/ann/big --user ann"
# drawn from the first report: a walk of 50,000 files can end before the default quarter second
export BULWARK_PROGRESS_DELAY=0
pty -- $bulwark plan /run/ws.plan $B
check "plan on a terminal: the progress line (objects checked, changed, rate)" \
        grep -Eaq "$(printf '\r')  [0-9,]+ objects checked, [0-9,]+ changed \([0-9,]+/s\)" $T
check "  ...erased (blanks, back to the line's start) before the change lines" \
        seen "$(printf '\r') +$(printf '\r')bulwark: [0-9]+ to add"
check "  ...and the change lines in colour: '+' green" grep -aq "${esc}\[32m+ acl" $T
pty --stdout /run/out.txt -- $bulwark apply -y -q /run/ws.plan $B
check "apply --quiet on a terminal: applied, no progress line, no output" \
        sh -c "test $? -eq 0 && test -e $T && ! grep -aq 'objects checked' $T && test ! -s /run/out.txt"
$bulwark revert /home/ann/big >/dev/null
pty --answer no -- $bulwark apply /run/ws.plan $B 2>/run/err.txt
check "apply asking on a terminal: the progress line while it computes the changes" grep -aq 'objects checked' $T
/usr/bin/python3 - "$bulwark" /run/ws.plan $B <<'PY'
import os, pty, subprocess, sys
# stdin a terminal, stderr a file: no progress line, and no question either
master, slave = pty.openpty()
out, err = open('/run/out.txt', 'wb'), open('/run/err.txt', 'wb')
p = subprocess.run(sys.argv[1:2] + ['apply'] + sys.argv[2:], stdin=slave, stdout=out, stderr=err)
sys.exit(p.returncode)
PY
check "stderr not a terminal: applies without asking, no progress line" sh -c "test $? -eq 0 && ! grep -aq 'objects checked' /run/err.txt && getent passwd bw-off-ann"
check "revert" $bulwark revert --all
finish
