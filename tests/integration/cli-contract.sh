# SPDX-License-Identifier: MIT
# The command-line contract (cli.md) driven as written: every command of bulwarkc and bulwark,
# their exit codes, the human and --json forms of the diff (each --json line checked against
# schema/changes.schema.json), the error wording (file:line:col, the source line and a caret;
# what is wrong and what to do), --help of every command and subcommand (exit 0, on stdout,
# nothing on stderr) and the man pages agreeing with it; and bad input: a malformed policy, a
# truncated or corrupted plan, a root that vanished, a symlink planted where a carve-out is, two
# applies at once, unknown options and missing arguments. As root in throwaway namespaces, with a
# user ann.
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
# read before lib.sh hides /tmp and /home (a checkout may live there)
changes_schema=$(cat "$src/schema/changes.schema.json")
man_bulwark=$(cat "$src/enforcer/bulwark.1")
man_bulwarkc=$(cat "$src/compiler/bulwarkc.1")
. "$(dirname "$0")/lib.sh"
printf '%s\n' "$changes_schema" >/run/changes.schema.json
printf '%s\n' "$man_bulwark" >/run/bulwark.1
printf '%s\n' "$man_bulwarkc" >/run/bulwarkc.1

py=/usr/bin/python3
have_jsonschema() { $py -c 'import jsonschema' 2>/dev/null; }
# every line of $1 is one JSON object (and, with $2, valid against that schema)
json_lines() {
        $py - "$@" <<'PY'
import json, sys
schema = None
if len(sys.argv) > 2:
    import jsonschema
    schema = json.load(open(sys.argv[2]))
n = 0
for i, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    if not isinstance(o, dict):
        sys.exit(f"line {i}: not an object")
    if schema is not None:
        jsonschema.validate(o, schema)
    n += 1
if n == 0:
    sys.exit("no line")
PY
}
out=/run/out
err=/run/err

useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo/src /home/ann/repo/.git /home/ann/repo/deploy
for i in 1 2 3; do echo x >/home/ann/repo/src/f$i; done
echo secret >/home/ann/repo/.env
chown -R ann:ann /home/ann
W="--workspace /home/ann/repo --user ann"
cd /home/ann/repo

# ---------------------------------------------------------------- bulwarkc
mkdir -p /run/p
cat >/run/p/policy.yaml <<'EOF'
bulwark: 1
name: contract
extends: [workspace-write]
filesystem:
  read_only:
    - ${workspace}/deploy
    - glob: "${workspace}/**/.env*"
network: off
EOF
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo -o /run/a.plan 2>$err
check "bulwarkc POLICY -D workspace=DIR -o PLAN: exit 0" test $? -eq 0
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo -o /run/b.plan 2>/dev/null
check "bulwarkc: same input, same plan bytes" cmp /run/a.plan /run/b.plan
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo --admin-dir /run/no-such-dir -o /run/c.plan 2>/dev/null
check "bulwarkc --admin-dir DIR: a missing directory is no constraints (exit 0, same plan)" cmp /run/a.plan /run/c.plan
rm -f /run/d.plan
$bulwarkc /run/p/policy.yaml --check -o /run/d.plan >$out 2>$err
check "bulwarkc --check: exit 0 and nothing written" sh -c "test $? -eq 0 && test ! -e /run/d.plan"
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo --explain /home/ann/repo/deploy/x >$out 2>$err
check "bulwarkc --explain PATH: exit 0, names the decision and file:line of the rule" \
        sh -c "test $? -eq 0 && grep -q 'read-only' $out && grep -q 'policy.yaml:6:7' $out"
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo --explain /home/ann/repo/deploy/x --json >$out 2>$err
check "bulwarkc --explain PATH --json: JSON lines on stdout" json_lines $out
for d in user=ann home=/home/ann tmpdir=/var/tmp; do
        $bulwarkc /run/p/policy.yaml -D "$d" --check 2>$err
        check "bulwarkc -D $d: accepted" test $? -eq 0
done

# a policy with several errors: all of them, file:line:col: error: ..., the line, a caret; exit 1
cat >/run/p/bad.yaml <<'EOF'
bulwark: 1
name: bad
filesystem:
  writeable:
    - ${workspace}
  readable:
    - ${worksapce}/x
network: maybe
EOF
$bulwarkc /run/p/bad.yaml -o /run/bad.plan >$out 2>$err
check "bulwarkc, a policy with errors: exit 1, no plan written" sh -c "test $? -eq 1 && test ! -e /run/bad.plan"
check "  ...every error printed as file:line:col: error:" sh -c "
        grep -q '^/run/p/bad.yaml:4:3: error: unknown key .writeable.' $err &&
        grep -q '^/run/p/bad.yaml:7:7: error: unknown variable \${worksapce}' $err &&
        grep -q '^/run/p/bad.yaml:8:10: error: network must be' $err"
check "  ...each followed by the source line and a caret under the column" sh -c "
        grep -A2 ':4:3: error' $err | sed -n 2p | grep -q 'writeable:' &&
        grep -A2 ':4:3: error' $err | sed -n 3p | grep -qx '    ^~~~~~~~~'"
check "  ...says what to do (the keys it expects, the variables it knows)" sh -c "
        grep -q 'expected one of writable' $err && grep -q 'known are \${workspace}' $err"
$bulwarkc /run/p/bad.yaml --check --json >$out 2>$err
check "bulwarkc --json: exit 1, one JSON object per diagnostic on stdout" sh -c "test $? -eq 1 && test \$(wc -l <$out) -eq 3"
check "  ...each a JSON object with file, line, column, message" $py -c "
import json, sys
for l in open('$out'):
    o = json.loads(l)
    assert o['severity'] == 'error' and o['file'] == '/run/p/bad.yaml' and o['line'] > 0 and o['column'] > 0 and o['message'], o"
printf 'bulwark: 1\nname: tab\n\tfilesystem: {}\n' >/run/p/tab.yaml
$bulwarkc /run/p/tab.yaml --check 2>$err
check "bulwarkc, YAML syntax error (a tab): exit 1, file:line:col" sh -c "test $? -eq 1 && grep -q '^/run/p/tab.yaml:3:1: error: ' $err"

# admin constraints: a writable_within that cannot be decided names the unbound variables and the
# -D that binds each (an admin's ~ is ${home}, which -D workspace does not bind)
mkdir -p /run/admin
printf 'bulwark: 1\nkind: constraints\nfilesystem:\n  writable_within: [~, /srv/work]\n' >/run/admin/10-fleet.yaml
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo --admin-dir /run/admin -o /run/x.plan 2>$err
check "bulwarkc, writable_within [~, ...] with home unbound: exit 1, asks for -D home=DIR" sh -c "
        test $? -eq 1 && grep -q 'writable root /home/ann/repo against the admin.s writable_within .*bind them with -D home=DIR' $err &&
        grep -q 'bind them with -D home=DIR and -D tmpdir=DIR' $err && ! grep -q 'workspace=DIR' $err"
check "  ...with the note naming the constraint's file:line:col" grep -q '^/run/admin/10-fleet.yaml:4:21: note: writable_within is set here' $err
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo -D home=/home/ann -D tmpdir=/tmp --admin-dir /run/admin -o /run/x.plan 2>$err
check "  ...bound: /tmp is outside [~, /srv/work], said as such" sh -c "test $? -eq 1 && grep -q 'writable root /tmp is outside every writable_within root allowed by the admin' $err"
printf 'bulwark: 1\nkind: constraints\nfilesystem:\n  writable_within: [~, /srv/work, /tmp]\n' >/run/admin/10-fleet.yaml
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/repo -D home=/home/ann -D tmpdir=/tmp --admin-dir /run/admin -o /run/x.plan 2>$err
check "  ...[~, /srv/work, /tmp], all bound: compiles" test $? -eq 0

# usage and I/O errors: sysexits
$bulwarkc >$out 2>$err
check "bulwarkc (no policy): exit 64 (EX_USAGE), said on stderr" sh -c "test $? -eq 64 && test ! -s $out && test -s $err"
$bulwarkc /run/p/policy.yaml >$out 2>$err
check "bulwarkc POLICY (no -o, --check or --explain): exit 64" test $? -eq 64
$bulwarkc --bogus /run/p/policy.yaml -o /run/x.plan >$out 2>$err
check "bulwarkc --bogus: exit 64, named, with what to do" sh -c "test $? -eq 64 && grep -q -- '--bogus' $err && grep -q 'bulwarkc --help' $err"
check "  ...in bulwarkc's own words (bulwarkc: ..., not the program's path)" grep -q '^bulwarkc: ' $err
$bulwarkc /run/p/policy.yaml -o >$out 2>$err
check "bulwarkc POLICY -o (missing argument): exit 64" sh -c "test $? -eq 64 && grep -q -- '-o' $err"
$bulwarkc /run/p/policy.yaml -D nope=1 -o /run/x.plan 2>$err
check "bulwarkc -D nope=1: exit 64, names the variables it knows" sh -c "test $? -eq 64 && grep -q 'workspace, home, tmpdir, user' $err"
$bulwarkc builtin:workspace-write -D workspace=/home/ann/a -D workspace=/home/ann/b -o /run/x.plan 2>$err
check "bulwarkc -D workspace=A -D workspace=B: exit 64, names both" sh -c "test $? -eq 64 &&
        grep -q 'workspace is given twice (/home/ann/a, then /home/ann/b)' $err"
bad_ws=$(printf '/home/ann/bad\377name')
$bulwarkc builtin:workspace-write -D workspace="$bad_ws" -o /run/x.plan 2>$err
check "bulwarkc -D workspace=NOT-UTF-8: exit 64, says why (the byte) and to rename it" sh -c "test $? -eq 64 &&
        grep -q 'not valid UTF-8 (byte 0xff at offset 13).*rename it' $err"
$bulwarkc /run/p/policy.yaml -D workspace=relative -o /run/x.plan 2>$err
check "bulwarkc -D workspace=relative: exit 64" test $? -eq 64
$bulwarkc /run/p/policy.yaml --explain relative 2>$err
check "bulwarkc --explain relative: exit 64" test $? -eq 64
$bulwarkc /run/p/missing.yaml -o /run/x.plan 2>$err
check "bulwarkc MISSING.yaml: exit 66 (EX_NOINPUT), names the file" sh -c "test $? -eq 66 && grep -q missing.yaml $err"
$bulwarkc builtin:nope -o /run/x.plan 2>$err
check "bulwarkc builtin:nope: exit 66, lists the profiles" sh -c "test $? -eq 66 && grep -q workspace-write $err"
$bulwarkc /run/p/policy.yaml -o /run/no-such-dir/x.plan 2>$err
check "bulwarkc -o into a missing directory: exit 73 (EX_CANTCREAT)" test $? -eq 73
$bulwarkc --help >$out 2>$err
check "bulwarkc --help: exit 0, on stdout" sh -c "test $? -eq 0 && test -s $out && test ! -s $err"
for o in -o -D --admin-dir --check --explain --json --no-provenance --sign --version; do
        check "bulwarkc --help names $o" grep -q -- "$o" $out
        check "bulwarkc(1) names $o" grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" /run/bulwarkc.1
done

# ---------------------------------------------------------------- bulwark show
$bulwark show /run/a.plan >$out 2>$err
check "bulwark show PLAN: exit 0, the plan's ID, rules with provenance" sh -c "
        test $? -eq 0 && grep -q '^plan [0-9a-f]\{12\} ' $out && grep -q 'policy.yaml:6:7' $out"
$bulwark show /run/a.plan --json >$out 2>$err
check "bulwark show PLAN --json: exit 0, one JSON document" sh -c "test $? -eq 0 && $py -c 'import json; json.load(open(\"$out\"))'"
id=$($py -c "import json; print(json.load(open('$out'))['id'])")
check "  ...its id is 12 hex digits" sh -c "printf %s '$id' | grep -Eqx '[0-9a-f]{12}'"

# ---------------------------------------------------------------- bad plans
head -c 100 /run/a.plan >/run/trunc.plan
cp /run/a.plan /run/flip.plan
printf 'Z' | dd of=/run/flip.plan bs=1 seek=700 conv=notrunc 2>/dev/null
for p in trunc flip; do
        for c in show plan apply; do
                w=$W
                [ $c = show ] && w=
                $bulwark $c /run/$p.plan $w >$out 2>$err </dev/null
                check "bulwark $c on a $p plan: exit 1, the byte offset named" sh -c "test $? -eq 1 && grep -q 'invalid plan at byte [0-9]' $err"
        done
done
check "  ...and apply made nothing (no account, no installation)" sh -c "! id bw-off-ann 2>/dev/null && ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."
$bulwark show /run/missing.plan 2>$err
check "bulwark show MISSING: exit 1, names the file" sh -c "test $? -eq 1 && grep -q missing.plan $err"

# ---------------------------------------------------------------- plan: human and JSON forms
$bulwark plan /run/a.plan $W >$out 2>$err
check "bulwark plan PLAN: exit 2 (differences)" test $? -eq 2
check "  ...the summary line first: N to add, N to change, N to remove (plan ID, workspace DIR)" \
        sh -c "head -1 $out | grep -Eqx 'bulwark: [0-9]+ to add, [0-9]+ to change, [0-9]+ to remove \\(plan $id, workspace /home/ann/repo\\)'"
check "  ...then one line per change: OP KIND WHAT DETAIL" sh -c "tail -n +2 $out | grep -Ev '^  \\.\\.\\. ' | grep -Evq '^[-+~?!] (user|group|nft|acl|runner|token) +[^ ]'; test \$? -eq 1"
check "  ...no escape sequence off a terminal" sh -c "! grep -q \"\$(printf '\\033')\" $out"
grep -E '^\+ (user|group|nft|acl|token|runner) ' $out | awk '{print $2, $3}' >/run/human.txt
$bulwark plan /run/a.plan $W --json >$out 2>$err
check "bulwark plan PLAN --json: exit 2" test $? -eq 2
check "  ...one JSON object per line" json_lines $out
if have_jsonschema; then
        check "  ...each valid against schema/changes.schema.json" json_lines $out /run/changes.schema.json
else
        echo "SKIP plan --json against the schema: python3-jsonschema is not installed"
fi
check "  ...an acl line carries path, principal, perms, scope, below and source (cli.md)" $py -c "
import json
acl = [json.loads(l) for l in open('$out')]
acl = [o for o in acl if o['kind'] == 'acl' and o['op'] == 'add' and o['path'] == '/home/ann/repo']
assert len(acl) == 1, acl
o = acl[0]
assert o['principal'].startswith('group:bw-w-') and o['perms'] == 'rwX' and o['scope'] == 'access+default', o
assert o['below'] >= 4 and o['source'].startswith('builtin:workspace-write:'), o
assert {'principal': 'user:ann', 'perms': 'rwx', 'scope': 'default'} in o['entries'], o"
check "  ...the same changes as the human form" sh -c "$py -c \"
import json
for l in open('$out'):
    o = json.loads(l)
    if o['op'] == 'add': print(o['kind'], o['path'].split()[0])\" | diff /run/human.txt -"
NO_COLOR=1 $bulwark --color=never plan /run/a.plan $W >/run/nc.txt 2>/dev/null
$bulwark plan /run/a.plan $W >/run/plain.txt 2>/dev/null
check "bulwark --color=never / NO_COLOR: the same bytes as off a terminal" cmp /run/nc.txt /run/plain.txt
$bulwark -q plan /run/a.plan $W >$out 2>$err
check "bulwark -q plan: exit 2, nothing on stdout" sh -c "test $? -eq 2 && test ! -s $out"
$bulwark plan /run/a.plan $W -o /run/changes.json >$out 2>$err
check "bulwark plan PLAN -o CHANGES: exit 2, the change set saved" sh -c "test $? -eq 2 && test -s /run/changes.json"
# without root the state is partly unknown (the ruleset): apply --reviewed would always refuse it
setpriv --reuid=ann --regid=ann --init-groups $bulwark plan /run/a.plan $W -o /run/ann-changes.json >$out 2>$err
check "bulwark plan -o as a user: exit 1, says to run it as root, nothing saved" sh -c "test $? -eq 1 &&
        grep -q 'only root can read.*sudo bulwark plan /run/a.plan -o /run/ann-changes.json' $err &&
        test ! -e /run/ann-changes.json"

# ---------------------------------------------------------------- apply, status, revert
# root without sudo and without --user, on a workspace someone else owns: not installed for root
env -u SUDO_USER -u SUDO_UID $bulwark apply /run/a.plan --workspace /home/ann/repo </dev/null >$out 2>$err
check "bulwark apply as root (no sudo, no --user) on ann's workspace: exit 1, says --user ann, nothing changed" sh -c "
        test $? -eq 1 && grep -q 'belongs to ann, and you are root without sudo.*--user ann' $err &&
        ! id bw-off-root 2>/dev/null && ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."
$bulwark apply /run/a.plan $W </dev/null >$out 2>$err
check "bulwark apply PLAN: exit 0 (off a terminal: no question)" test $? -eq 0
check "  ...the sandbox user exists" id bw-off-ann
$bulwark apply /run/a.plan $W </dev/null >$out 2>$err
check "bulwark apply PLAN again: exit 0 (nothing had to change)" test $? -eq 0
$bulwark plan /run/a.plan $W >$out 2>$err
check "bulwark plan after apply: exit 0, 0 to add, 0 to change, 0 to remove" sh -c "test $? -eq 0 && head -1 $out | grep -q '^bulwark: 0 to add, 0 to change, 0 to remove'"
$bulwark status >$out 2>$err
check "bulwark status: exit 0 (in force)" test $? -eq 0
$bulwark status --json >$out 2>$err
check "bulwark status --json: exit 0, JSON" sh -c "test $? -eq 0 && $py -c 'import json; json.load(open(\"$out\"))'"
setfacl -b /home/ann/repo/src/f1
$bulwark status >$out 2>$err
check "bulwark status after an ACL was removed: exit 2 (drift)" test $? -eq 2
$bulwark status --json >$out 2>$err
check "bulwark status --json with drift: exit 2" test $? -eq 2
if have_jsonschema; then
        check "  ...each drifted entry valid against schema/changes.schema.json" $py -c "
import json, jsonschema
schema = json.load(open('/run/changes.schema.json'))
d = json.load(open('$out'))
drifted = [x for i in d['installations'] for x in i['drifted']]
assert [x for x in drifted if x['op'] != 'unknown'], drifted
for x in drifted: jsonschema.validate(x, schema)"
        $bulwark plan /run/a.plan $W --json >$out 2>$err
        check "bulwark plan --json with drift: exit 2, every line valid against the schema" \
                sh -c "test $? -eq 2 && grep -q '/home/ann/repo/src/f1' $out"
        check "  ...(schema)" json_lines $out /run/changes.schema.json
fi
$bulwark apply --reviewed /run/changes.json </dev/null >$out 2>$err
check "bulwark apply --reviewed CHANGES after the state moved: exit 1, says what moved" sh -c "test $? -eq 1 && test -s $err"
$bulwark apply --installed /home/ann/repo </dev/null >$out 2>$err
check "bulwark apply --installed WORKSPACE: exit 0, heals the drift" test $? -eq 0
$bulwark status >$out 2>$err
check "  ...status: exit 0 again" test $? -eq 0

# a second apply while one holds the lock waits for it, then finds nothing to change
$bulwark apply /run/a.plan $W </dev/null >/run/c1 2>&1 &
p1=$!
$bulwark apply /run/a.plan $W </dev/null >/run/c2 2>&1
s2=$?
wait $p1
s1=$?
check "two applies at once: both exit 0 (one waits for the lock)" sh -c "test $s1 -eq 0 && test $s2 -eq 0"
$bulwark status >$out 2>$err
check "  ...and the installation is in force" test $? -eq 0

# revert by plan ID (cli.md: revert [PLAN_ID | --all])
$bulwark revert "$id" >$out 2>$err
check "bulwark revert PLAN_ID: exit 0" test $? -eq 0
check "  ...the sandbox users are gone" sh -c "! id bw-off-ann 2>/dev/null"
check "  ...f1's ACL as before apply (none)" sh -c "test -z \"\$(getfacl -cs /home/ann/repo/src/f1)\""
$bulwark revert "$id" >$out 2>$err
check "bulwark revert of what is not installed: exit 1, says what to do" sh -c "test $? -eq 1 && grep -q 'bulwark status' $err"
$bulwark status >$out 2>$err
check "bulwark status with nothing installed: exit 0" test $? -eq 0

# a reviewed change set that still holds
$bulwark plan /run/a.plan $W -o /run/changes2.json >/dev/null 2>&1
$bulwark apply --reviewed /run/changes2.json </dev/null >$out 2>$err
check "bulwark apply --reviewed CHANGES (nothing moved): exit 0" test $? -eq 0
$bulwark revert --all >$out 2>$err
check "bulwark revert --all: exit 0" sh -c "test $? -eq 0 && ! id bw-off-ann 2>/dev/null"

# a change set that cannot be read, or is not one: named, with the cause; nothing changed
$bulwark apply --reviewed /run/no-such-changes.json </dev/null >$out 2>$err
check "bulwark apply --reviewed MISSING: exit 1, names the file and the cause" sh -c "
        test $? -eq 1 && grep -q 'cannot read /run/no-such-changes.json: No such file or directory' $err && ! grep -q -- '-1:-1' $err"
check "  ...nothing changed" sh -c "! id bw-off-ann 2>/dev/null && ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."
$bulwark apply --reviewed /run </dev/null >$out 2>$err
check "bulwark apply --reviewed DIRECTORY: exit 1, 'Is a directory'" sh -c "test $? -eq 1 && grep -q 'cannot read /run: Is a directory' $err"
printf '\n  {"bulwark_changes": 1}\n' >/run/not-changes.json
$bulwark apply --reviewed /run/not-changes.json </dev/null >$out 2>$err
check "bulwark apply --reviewed, JSON of another shape: exit 1, 'not a change set' where its object starts" sh -c "
        test $? -eq 1 && grep -q '^bulwark: /run/not-changes.json:2:3: not a change set saved by .bulwark plan -o.: ' $err &&
        ! grep -q -- '-1:-1' $err && ! id bw-off-ann 2>/dev/null"

# revert without an argument (cli.md: revert [PLAN_ID | --all]): the installation of the current
# directory, or of --workspace DIR
$bulwark apply /run/a.plan $W </dev/null >/dev/null 2>&1
(cd /home/ann/repo/src && $bulwark revert >$out 2>$err)
check "bulwark revert in a directory below the workspace: exit 1, no plan installed there" \
        sh -c "test $? -eq 1 && grep -q 'no plan is installed for the workspace /home/ann/repo/src' $err && id bw-off-ann"
(cd /home/ann/repo && $bulwark revert >$out 2>$err)
check "bulwark revert in the workspace: exit 0, reverted" sh -c "test $? -eq 0 && ! id bw-off-ann 2>/dev/null"
$bulwark apply /run/a.plan $W </dev/null >/dev/null 2>&1
(cd / && $bulwark revert --workspace /home/ann/repo >$out 2>$err)
check "bulwark revert --workspace DIR: exit 0, reverted" sh -c "test $? -eq 0 && ! id bw-off-ann 2>/dev/null"
$bulwark revert a b >$out 2>$err
check "bulwark revert A B: exit 64" test $? -eq 64
$bulwark apply /run/a.plan $W </dev/null >/dev/null 2>&1
$bulwark revert --all --json >$out 2>$err
check "bulwark revert --json: exit 64, says JSON is not available (it printed text), nothing reverted" sh -c "
        test $? -eq 64 && test ! -s $out && grep -q -- '--json is not available for revert' $err && id bw-off-ann"
$bulwark revert --all >/dev/null 2>&1

# the workspace itself missing (a typo), a file, or a symlink: refused before anything changes
# (a missing ~/.ssh or other root is reported and skipped, as below)
$bulwarkc builtin:workspace-write -o /run/ws.plan 2>/dev/null
$bulwark apply /run/ws.plan --workspace /home/ann/rpeo --user ann </dev/null >$out 2>$err
check "bulwark apply --workspace TYPO: exit 1, says it does not exist and nothing changed" sh -c "
        test $? -eq 1 && grep -q 'workspace /home/ann/rpeo does not exist: check the path (nothing was changed)' $err"
check "  ...no account, no installation made" sh -c "! id bw-off-ann 2>/dev/null && ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."
$bulwarkc /run/p/policy.yaml -D workspace=/home/ann/rpeo -o /run/typo.plan 2>/dev/null
$bulwark apply /run/typo.plan --user ann </dev/null >$out 2>$err
check "bulwark apply of a plan bound to a missing workspace (-D workspace=TYPO): exit 1, said" sh -c "
        test $? -eq 1 && grep -q 'workspace /home/ann/rpeo does not exist' $err && ! id bw-off-ann 2>/dev/null"
$bulwark apply /run/ws.plan --workspace /home/ann/repo/src/f1 --user ann </dev/null >$out 2>$err
check "bulwark apply --workspace FILE: exit 1, not a directory, nothing made" sh -c "
        test $? -eq 1 && grep -q 'workspace /home/ann/repo/src/f1 is not a directory' $err && ! id bw-off-ann 2>/dev/null"
ln -s /home/ann/repo /home/ann/link
chown -h ann:ann /home/ann/link
$bulwark apply /run/ws.plan --workspace /home/ann/link --user ann </dev/null >$out 2>$err
check "bulwark apply --workspace SYMLINK: exit 1, names the symlink, nothing made" sh -c "
        test $? -eq 1 && grep -q 'workspace /home/ann/link is a symlink' $err && ! id bw-off-ann 2>/dev/null &&
        ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."
rm /home/ann/link
mkdir -p /home/ann/nossh
$bulwark apply /run/ws.plan --workspace /home/ann/nossh --user ann </dev/null >$out 2>$err
check "bulwark apply, ~/.ssh missing: exit 0, the missing root reported and skipped" sh -c "
        test $? -eq 0 && grep -q '^? acl    /home/ann/.ssh  *does not exist' $out"
$bulwark revert --all >/dev/null 2>&1

# a root that vanished: reported, the rest applied, and revert is exact
mkdir -p /home/ann/gone
$bulwarkc builtin:workspace-write -o /run/gone.plan 2>/dev/null
$bulwark apply /run/gone.plan --workspace /home/ann/gone --user ann </dev/null >/dev/null 2>&1
rmdir /home/ann/gone
$bulwark plan /run/gone.plan --workspace /home/ann/gone --user ann >$out 2>$err
check "bulwark plan, the workspace vanished: exit 0 (nothing apply could do), the root named as missing" \
        sh -c "test $? -eq 0 && grep -q '^? acl    /home/ann/gone  *does not exist' $out"
check "  ...and a note that apply would refuse it" \
        grep -q '^bulwark: workspace /home/ann/gone does not exist: bulwark apply would refuse it (check the path)' $err
$bulwark status >$out 2>$err
check "bulwark status, an installed workspace vanished: exit 2 (drift), not in force" sh -c "
        test $? -eq 2 && ! grep -q 'in force' $out"
check "  ...says it is gone and to revert it (by its path or the installation's ID)" \
        grep -q '^! plan .* workspace /home/ann/gone .*: WORKSPACE GONE: /home/ann/gone no longer exists.*installation ([0-9a-f]\{16\}), saying where it went: bulwark revert /home/ann/gone --moved-to NEW-PATH, or bulwark revert /home/ann/gone --deleted' $out
$bulwark status --json >$out 2>$err
check "bulwark status --json, an installed workspace vanished: exit 2, the root listed as unknown" $py -c "
import json
d = json.load(open('$out'))
i = [i for i in d['installations'] if i['workspace'] == '/home/ann/gone'][0]
assert [x for x in i['drifted'] if x['path'] == '/home/ann/gone' and x['op'] == 'unknown'], i
assert i['workspace_missing'] and not i['effective'] and i['drifted_entries'] > 0 and not d['compliant'], i
assert 'bulwark revert /home/ann/gone' in i['error'], i
assert $? == 2"
$bulwark apply /run/gone.plan --workspace /home/ann/gone --user ann </dev/null >$out 2>$err
check "bulwark apply again, the installed workspace vanished: exit 1, says to revert its installation" sh -c "
        test $? -eq 1 && grep -q 'workspace /home/ann/gone does not exist: check the path (nothing was changed); a plan is still installed for it: bulwark revert /home/ann/gone --moved-to NEW-PATH (you moved it) or --deleted (you deleted it) undoes it' $err"
$bulwark apply --installed /home/ann/gone </dev/null >$out 2>$err
check "bulwark apply --installed, the installed workspace vanished: exit 1, names its installation, says to revert it" sh -c "
        test $? -eq 1 && grep -q 'installed /home/ann/gone: the workspace does not exist (nothing was changed); a plan is still installed for it (installation [0-9a-f]\{16\}): bulwark revert /home/ann/gone --moved-to NEW-PATH (you moved it) or --deleted (you deleted it) undoes it' $err"
$bulwark revert /home/ann/gone >$out 2>$err
check "bulwark revert of a vanished workspace's installation, not told where it went: exit 1, both ways out, nothing reverted" sh -c "
        test $? -eq 1 && grep -q 'no longer exists.*--moved-to NEW-PATH.*--deleted. Nothing was reverted' $err &&
        id bw-off-ann >/dev/null"
$bulwark revert /home/ann/gone --deleted >$out 2>$err
s=$?
$bulwark revert --all >/dev/null 2>&1
check "bulwark revert --deleted of a vanished workspace's installation (by its path): exit 0" test $s -eq 0
check "  ...nothing left installed" sh -c "! id bw-off-ann 2>/dev/null && ! ls /var/lib/bulwark/installs/* 2>/dev/null | grep -q ."

# a workspace moved after apply: a plain revert would leave the moved tree's entries naming
# accounts it deletes (whose ids the next account made may get); --moved-to reverts it there
mkdir -p /home/ann/mv/sub/deep /home/ann/mv/.git
echo x >/home/ann/mv/sub/f
chown -R ann:ann /home/ann/mv
$bulwark apply /run/gone.plan --workspace /home/ann/mv --user ann </dev/null >/dev/null 2>&1
setpriv --reuid=ann --regid=ann --init-groups sh -c 'echo later >/home/ann/mv/sub/later'
mv /home/ann/mv /home/ann/mv.moved
$bulwark revert /home/ann/mv --moved-to /nowhere >$out 2>$err
check "bulwark revert --moved-to MISSING: exit 1, names it, nothing reverted" sh -c "test $? -eq 1 &&
        grep -q -- '--moved-to /nowhere: No such file or directory' $err && id bw-off-ann >/dev/null"
$bulwark revert --all --moved-to /home/ann/mv.moved >$out 2>$err
check "bulwark revert --all --moved-to: exit 64" test $? -eq 64
$bulwark apply /run/gone.plan --deleted >$out 2>$err
check "bulwark apply --deleted: exit 64 (it belongs to revert)" test $? -eq 64
(cd /home/ann && $bulwark revert /home/ann/mv --moved-to mv.moved >$out 2>$err)
check "bulwark revert WORKSPACE --moved-to NEW (relative): exit 0" test $? -eq 0
check "  ...no entry naming a deleted account is left on the moved tree (files made since apply too)" sh -c "
        ! getfacl -R -p -n /home/ann/mv.moved /home/ann 2>/dev/null | grep -Eq '^(default:)?(user|group):[0-9]+:'"
check "  ...and the accounts are gone" sh -c "! id bw-off-ann 2>/dev/null"

# symlinks planted where carve-outs are (.git, a .env the policy's glob makes read-only, a path
# it makes unreadable): apply never follows them
mkdir -p /home/ann/sym
ln -s /etc /home/ann/sym/.git
ln -s /etc/shadow /home/ann/sym/.env
ln -s /etc/passwd /home/ann/sym/secret
chown -h ann:ann /home/ann/sym /home/ann/sym/.git /home/ann/sym/.env /home/ann/sym/secret
printf 'bulwark: 1\nname: sym\nextends: [workspace-write]\nfilesystem:\n  read_only:\n    - glob: "${workspace}/**/.env*"\n  unreadable:\n    - ${workspace}/secret\n' >/run/p/sym.yaml
$bulwarkc /run/p/sym.yaml -o /run/sym.plan 2>/dev/null
getfacl -cs /etc/passwd /etc/shadow /etc >/run/etc-acl.before 2>/dev/null
$bulwark apply /run/sym.plan --workspace /home/ann/sym --user ann </dev/null >$out 2>$err
check "apply with symlinks planted as .git, .env and an unreadable path: exit 0" test $? -eq 0
getfacl -cs /etc/passwd /etc/shadow /etc >/run/etc-acl.after 2>/dev/null
check "  ...what the symlinks point at is untouched" cmp /run/etc-acl.before /run/etc-acl.after
$bulwark revert --all >/dev/null 2>&1

# ---------------------------------------------------------------- run
cd /home/ann/repo
run_as_ann() { setpriv --reuid=ann --regid=ann --init-groups env -i HOME=/home/ann PATH=/run/bin:/usr/bin:/bin "$@"; }
# the exit status and, on a failure, what the run said (the check shows it)
status_is() { # WANT RC
        [ "$2" -eq "$1" ] && return 0
        echo "exit $2, not $1; stderr:"
        cat $err
        return 1
}
run_as_ann $bulwark run -- sh -c 'exit 7' >$out 2>$err
check "bulwark run -- CMD: CMD's own exit status (7)" status_is 7 $?
run_as_ann $bulwark run -- /no/such/command >$out 2>$err
check "bulwark run -- MISSING: 127" status_is 127 $?
printf 'x\n' >/home/ann/repo/notexec
chown ann:ann /home/ann/repo/notexec
run_as_ann $bulwark run -- /home/ann/repo/notexec >$out 2>$err
check "bulwark run -- NOT-EXECUTABLE: 126" status_is 126 $?
run_as_ann $bulwark run --plan /run/trunc.plan -- true >$out 2>$err
check "bulwark run --plan BAD: 125 (the command never ran), the reason said" sh -c "test $? -eq 125 && test -s $err"
run_as_ann $bulwark run >$out 2>$err
check "bulwark run (no command): 125, says what to give" sh -c "test $? -eq 125 && grep -q -- '--' $err"
run_as_ann $bulwark run --bogus -- true >$out 2>$err
check "bulwark run --bogus: 125, names it" sh -c "test $? -eq 125 && grep -q -- '--bogus' $err"
run_as_ann $bulwark run --workspace /home/ann/repo -- sh -c 'printf %s "$BULWARK_SANDBOX"' >$out 2>$err
check "bulwark run --workspace DIR: in the sandbox (BULWARK_SANDBOX=offline)" grep -qx offline $out
# a newcomer's first try: a repository in /tmp. Every run gets a private /tmp; the workspace is
# bound back into it at its own path, protected as anywhere else, and the rest of /tmp stays out
# of sight.
mkdir -p /tmp/newcomer/.git
echo other-user >/tmp/left-by-someone
chown -R ann:ann /tmp/newcomer
(cd /tmp/newcomer && run_as_ann $bulwark run -- sh -c 'echo ok >made; touch .git/planted; cat /tmp/left-by-someone' >$out 2>$err)
check "bulwark run in a workspace under /tmp: runs, writes there (exit 1: the rest fails)" sh -c "test $? -eq 1 &&
        test -s /tmp/newcomer/made"
check "  ...its .git stays read-only" test ! -e /tmp/newcomer/.git/planted
check "  ...the rest of the shared /tmp is out of sight" grep -q 'left-by-someone: No such file' $err
# a workspace that IS the temporary directory cannot be: the private one would replace it
(cd /tmp && run_as_ann $bulwark run --workspace /tmp -- true >$out 2>$err)
check "bulwark run --workspace /tmp: 125, says why and the way out" sh -c "test $? -eq 125 &&
        grep -q 'the workspace /tmp is the run.s temporary directory /tmp' $err &&
        grep -q -- '-D tmpdir=DIR' $err && grep -q -- '--plan PLAN' $err"
$bulwarkc builtin:workspace-write -D workspace=/tmp -D home=/home/ann -D user=ann -D tmpdir=/var/tmp/ann-tmp \
        -o /run/tmpws.plan 2>$err
mkdir -p /var/tmp/ann-tmp && chown ann:ann /var/tmp/ann-tmp && chmod 644 /run/tmpws.plan
(cd /tmp && run_as_ann $bulwark run --plan /run/tmpws.plan -- sh -c 'echo ok >/tmp/newcomer/made2' >$out 2>$err)
check "  ...and the way out it names works (a plan with -D tmpdir=DIR)" sh -c "test $? -eq 0 &&
        test -s /tmp/newcomer/made2"

# ---------------------------------------------------------------- doctor
$bulwark doctor >$out 2>$err
check "bulwark doctor: exit 0" test $? -eq 0
$bulwark doctor --json >$out 2>$err
check "bulwark doctor --json: exit 0, JSON" sh -c "test $? -eq 0 && $py -c 'import json; json.load(open(\"$out\"))'"
# as a user: the ruleset cannot be read, said in bulwark's words, not libnftables' raw line on stderr
run_as_ann $bulwark doctor >$out 2>$err
check "bulwark doctor as a user: exit 0, 'the nftables ruleset cannot be read without root'" sh -c "
        test $? -eq 0 && grep -q '^nftables: *the nftables ruleset cannot be read without root' $out"
check "  ...nothing of libnftables' on stderr (Operation not permitted (you must be root))" sh -c "! grep -q 'must be root' $err"
setpriv --bounding-set=-net_admin --inh-caps=-net_admin $bulwark doctor >$out 2>$err
check "bulwark doctor as root without CAP_NET_ADMIN (a container): says so, nothing of libnftables' on stderr" sh -c "
        grep -q '^nftables: *the nftables ruleset cannot be read without CAP_NET_ADMIN' $out && ! grep -q 'must be root' $err"
run_as_ann $bulwark status --json >$out 2>$err
check "bulwark status --json as a user: the host's nftables needs root, said in the JSON, not on stderr" sh -c "
        ! grep -q 'must be root' $err && $py -c '
import json
h = json.load(open(\"$out\"))[\"host\"]
assert h[\"nftables\"] == \"needs root to read\" and \"cannot be read without root\" in h[\"nftables_error\"], h'"

# ---------------------------------------------------------------- usage errors
for c in show plan apply revert status doctor; do
        $bulwark $c --bogus >$out 2>$err </dev/null
        check "bulwark $c --bogus: exit 64, names it, on stderr only" sh -c "test $? -eq 64 && test ! -s $out && grep -q -- '--bogus' $err"
done
for c in show plan apply; do
        $bulwark $c >$out 2>$err </dev/null
        check "bulwark $c (missing argument): exit 64, says what to give" sh -c "test $? -eq 64 && test ! -s $out && test -s $err"
done
for o in "--lock-timeout abc" "--lock-timeout 5s" "--threads -1" "--threads 100000"; do
        $bulwark status $o >$out 2>$err
        check "bulwark status $o: exit 64, names the option" sh -c "test $? -eq 64 && grep -q -- '${o%% *}' $err"
done
$bulwark status --lock-timeout 3 --threads 2 >$out 2>$err
check "bulwark status --lock-timeout 3 --threads 2: accepted" test $? -eq 0
$bulwark status extra >$out 2>$err
check "bulwark status EXTRA: exit 64" test $? -eq 64
$bulwark nope >$out 2>$err
check "bulwark nope: exit 64, names the command" sh -c "test $? -eq 64 && grep -q \"'nope'\" $err"
$bulwark completion tcsh >$out 2>$err
check "bulwark completion tcsh: exit 64, names the shell" sh -c "test $? -eq 64 && grep -q tcsh $err"

# ---------------------------------------------------------------- --help everywhere, and the man page
$bulwark --help >$out 2>$err
check "bulwark --help: exit 0, on stdout" sh -c "test $? -eq 0 && test -s $out && test ! -s $err"
for c in show plan apply revert status doctor run session trust init import completion; do
        for h in --help -h; do
                $bulwark $c $h >$out 2>$err
                check "bulwark $c $h: exit 0, on stdout, nothing on stderr" sh -c "test $? -eq 0 && test -s $out && test ! -s $err"
        done
        check "bulwark $c --help starts with its usage" sh -c "head -1 $out | grep -q '^Usage: bulwark $c'"
        check "bulwark(1) has a synopsis line for $c" grep -q "^\\.B bulwark $c" /run/bulwark.1
done
$bulwark show --bogus /run/a.plan >$out 2>$err
check "bulwark show --bogus: says what to do" grep -q "Try 'bulwark show --help'" $err
$bulwark help --help >$out 2>$err
check "bulwark help --help: exit 0, on stdout" sh -c "test $? -eq 0 && test -s $out && test ! -s $err"
for c in show plan apply revert status doctor run session trust init import completion; do
        $bulwark $c --help >/run/h1 2>&1
        $bulwark help $c >/run/h2 2>&1
        check "bulwark help $c: exit 0, the same as bulwark $c --help" sh -c "test $? -eq 0 && cmp /run/h1 /run/h2"
done
for sub in "session start" "session stop" "session list" "import codex" "import srt" "completion bash"; do
        $bulwark $sub --help >$out 2>$err
        check "bulwark $sub --help: exit 0, on stdout" sh -c "test $? -eq 0 && test -s $out && test ! -s $err"
        check "  ...its own help (${sub%% *}'s)" sh -c "head -1 $out | grep -q '^Usage: bulwark ${sub%% *}'"
done
# the man page's import example in a repository that has no .bulwark yet
mkdir -p /run/imp && printf 'sandbox_mode = "workspace-write"\n' >/run/imp/config.toml
(cd /run/imp && $bulwark import codex config.toml -o .bulwark/policy.yaml >$out 2>$err)
check "bulwark import codex -o .bulwark/policy.yaml (no .bulwark yet): exit 0, made it, no 'move it'" sh -c "
        test $? -eq 0 && test -s /run/imp/.bulwark/policy.yaml && ! grep -q 'move it' $err"
(cd /run/imp && $bulwark import codex config.toml -o no/such/dir/p.yaml >$out 2>$err)
check "  ...-o into a directory that does not exist: exit 73, says to make it" sh -c "
        test $? -eq 73 && grep -q 'make its directory first' $err"
# every option a command's usage line names is in the man page
for c in show plan apply revert status doctor run session trust init; do
        $bulwark $c --help 2>/dev/null | sed -n '1,3p' | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r o; do
                grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" /run/bulwark.1 || echo "$c: $o"
        done
done >/run/missing-options
$runner --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u | while read -r o; do
        grep -q -- "$(printf '%s' "$o" | sed 's/-/\\\\-/g')" /run/bulwark.1 || echo "bulwark-runner: $o"
done >>/run/missing-options
check "every option of every command's usage line (and of bulwark-runner --help) is in bulwark(1)" test ! -s /run/missing-options
cat /run/missing-options
# and bash completion offers each (the one table completion.c generates every shell's from)
$bulwark completion bash >/run/comp.bash
for c in show plan apply revert status doctor run session trust init import completion; do
        opts=$(awk -v c="    $c)" '$0 == c { on = 1; next } on && /opts="/ { print; exit }' /run/comp.bash)
        $bulwark $c --help 2>/dev/null | grep -E '^ *Usage:|^       bulwark' | grep -o -- '--[a-z][a-z-]*' | sort -u |
                while read -r o; do
                        case " $opts " in *"$o"*) ;; *) echo "$c: $o" ;; esac
                done
done >/run/missing-completions
check "bash completion offers every option of every command's usage line" test ! -s /run/missing-completions
cat /run/missing-completions
check "bulwark(1) names the sandbox users as apply binds them (bw-off-USER), not the old shared ones" \
        sh -c "! grep -qF 'bulwark\\-offline (bulwark\\-online' /run/bulwark.1"

finish
