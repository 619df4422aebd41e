#!/bin/sh
# SPDX-License-Identifier: MIT
# Signed plans, tested both ways against the real minisign: plans signed by minisign (prehashed
# and legacy) and by bulwarkc --sign, verified by bulwark against /etc/bulwark/trusted-keys.d;
# tampered plans, signatures, trusted comments and keys refused; require_signed_plans; status and
# the audit trail name the signer.
build=$1
. "$(dirname "$0")/lib.sh"

if ! command -v minisign >/dev/null; then
        echo "SKIP signing: minisign is not installed (scripts/install-deps.sh installs it)"
        finish
        exit 77 # ctest: skipped
fi
useradd -m -d /home/ann -s /bin/sh ann
mkdir -p /home/ann/repo && chown -R ann:ann /home/ann
mkdir -p /run/k /etc/bulwark/trusted-keys.d /etc/bulwark/admin.d
cd /run/k
minisign -G -W -p admin.pub -s admin.key >/dev/null
minisign -G -W -p rogue.pub -s rogue.key >/dev/null
cp admin.pub /etc/bulwark/trusted-keys.d/admin.pub
chmod 644 /etc/bulwark/trusted-keys.d/admin.pub
W="--workspace /home/ann/repo --user ann"
log=/var/log/bulwark/audit.jsonl

$bulwarkc builtin:workspace-write -o /run/k/p.plan 2>/dev/null
# minisign signs (its default: prehashed), bulwark verifies
minisign -S -s admin.key -m p.plan -t "approved by the platform team" >/dev/null
$bulwark plan p.plan $W >/run/out.txt 2>&1
check "plan names the signer of a minisign-signed plan" grep -q 'signed with key' /run/out.txt
check "apply accepts a plan minisign signed with a trusted key" $bulwark apply p.plan $W
$bulwark status >/run/status.txt 2>&1
check "status shows who signed the installed plan" grep -q 'signer key [0-9A-F]\{16\} (admin.pub): approved by the platform team' /run/status.txt
check "status --json carries the signer" sh -c "$bulwark status --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"compliant\"] and \"approved by the platform team\" in d[\"installations\"][0][\"signer\"], d'"
check "the audit record names the signer" /usr/bin/python3 -c "import json; r=json.loads(open('$log').read().splitlines()[-1]); assert 'admin.pub' in r['signer'], r"
check "revert" $bulwark revert --all

# legacy (non-prehashed) minisign signatures
cp p.plan legacy.plan
minisign -S -l -s admin.key -m legacy.plan >/dev/null
check "apply accepts a legacy minisign signature" $bulwark apply legacy.plan $W
check "revert" $bulwark revert --all

# bulwarkc --sign, verified by minisign (also in its prehashed-only mode) and by bulwark
$bulwarkc builtin:workspace-write -o own.plan --sign admin.key 2>/dev/null
check "minisign verifies bulwarkc --sign" minisign -V -p admin.pub -m own.plan
check "minisign -H (prehashed only) verifies it too" minisign -V -H -p admin.pub -m own.plan
$bulwark plan own.plan $W >/run/out.txt 2>&1
check "bulwark verifies bulwarkc --sign" sh -c "test $? -eq 2 && grep -q 'signed with key' /run/out.txt"
printf 'pw\npw\n' | minisign -G -p enc.pub -s enc.key >/dev/null 2>&1
BULWARK_SIGN_PASSWORD=pw $bulwarkc builtin:workspace-write -o enc.plan --sign enc.key 2>/dev/null
check "bulwarkc --sign with a password-protected minisign key" minisign -V -p enc.pub -m enc.plan
BULWARK_SIGN_PASSWORD=wrong $bulwarkc builtin:workspace-write -o wrongpw.plan --sign enc.key 2>/run/err.txt
check "a wrong password: refused, and no plan written" sh -c "grep -q 'wrong password' /run/err.txt && ! test -e wrongpw.plan"

# tampering: every one is refused, changes nothing, leaves no audit record
n_before=$(wc -l <$log)
cp p.plan t.plan
cp p.plan.minisig t.plan.minisig
printf '\001' | dd of=t.plan bs=1 seek=300 conv=notrunc 2>/dev/null
$bulwark apply t.plan $W 2>/run/err.txt
check "a plan changed after signing is refused" test $? -ne 0
check_fails "  ...and nothing was applied" getent passwd bw-off-ann
# a plan that is itself valid but different from the signed one: sign one plan, present another
$bulwarkc builtin:read-only -o other.plan 2>/dev/null
cp p.plan.minisig other.plan.minisig
$bulwark apply other.plan $W 2>/run/err.txt
check "a valid plan with another plan's signature is refused" sh -c "test $? -ne 0 && grep -q 'does not match the file' /run/err.txt"
cp p.plan s.plan
sed '2s/^\(.\{20\}\)./\1A/' p.plan.minisig >s.plan.minisig
cmp -s p.plan.minisig s.plan.minisig && sed -i '2s/^\(.\{20\}\)./\1B/' s.plan.minisig
$bulwark apply s.plan $W 2>/dev/null
check "a damaged signature is refused" test $? -ne 0
cp p.plan c.plan
sed '3s/.*/trusted comment: approved by someone else/' p.plan.minisig >c.plan.minisig
$bulwark apply c.plan $W 2>/run/err.txt
check "a changed trusted comment is refused" sh -c "test $? -ne 0 && grep -q 'trusted comment was changed' /run/err.txt"
check "no audit record for any refused apply" test "$(wc -l <$log)" -eq "$n_before"

# untrusted keys
cp p.plan r.plan
minisign -S -s rogue.key -m r.plan >/dev/null
$bulwark plan r.plan $W >/dev/null 2>/run/err.txt
check "an untrusted key's signature is a warning when signatures are not required" grep -q 'not trusted here: treated as unsigned' /run/err.txt
chown 1234 /etc/bulwark/trusted-keys.d/admin.pub
$bulwark plan p.plan $W >/run/out.txt 2>/run/err.txt
check "a trusted key file not owned by root is ignored" sh -c "grep -q 'admin.pub is not root-owned' /run/err.txt && ! grep -q 'signed with key' /run/out.txt"
chown 0 /etc/bulwark/trusted-keys.d/admin.pub
# a trusted key file whose key bytes were changed (same key ID): the signature no longer verifies
cp /etc/bulwark/trusted-keys.d/admin.pub /run/admin.pub.orig
/usr/bin/python3 - <<'PY'
import base64
p = "/etc/bulwark/trusted-keys.d/admin.pub"
lines = open(p).read().splitlines()
raw = bytearray(base64.b64decode(lines[1])); raw[20] ^= 0x40
lines[1] = base64.b64encode(bytes(raw)).decode()
open(p, "w").write("\n".join(lines) + "\n")
PY
$bulwark apply p.plan $W 2>/run/err.txt
check "a tampered trusted key: the plan is refused" sh -c "test $? -ne 0 && grep -q 'does not verify with trusted key' /run/err.txt"
cp /run/admin.pub.orig /etc/bulwark/trusted-keys.d/admin.pub

# require_signed_plans
printf 'bulwark: 1\nkind: constraints\nenforcement:\n  require_signed_plans: true\n' >/etc/bulwark/admin.d/10-signed.yaml
chmod 644 /etc/bulwark/admin.d/10-signed.yaml
$bulwarkc builtin:workspace-write -o u.plan --admin-dir /nonexistent 2>/dev/null
$bulwark apply u.plan $W 2>/run/err.txt
check "require_signed_plans: an unsigned plan is refused" sh -c "test $? -ne 0 && grep -q 'requires signed plans' /run/err.txt"
$bulwark apply r.plan $W 2>/run/err.txt
check "require_signed_plans: an untrusted key's plan is refused" sh -c "test $? -ne 0 && grep -q 'not trusted here' /run/err.txt"
check "require_signed_plans: a trusted signature is accepted" $bulwark apply p.plan $W
check "no refused apply left a record (one per accepted apply)" test "$(wc -l <$log)" -eq "$((n_before + 1))"
# compliance: drift shows in status --json, with the drifted entries
setfacl -b /home/ann/repo
$bulwark status --json >/run/status.json
check "status --json: drift makes the host non-compliant (exit 2)" test $? -eq 2
check "  ...naming the drifted entries and the host's capabilities" /usr/bin/python3 -c "
import json; d = json.load(open('/run/status.json'))
i = d['installations'][0]
assert not d['compliant'] and not i['effective'] and i['drifted_entries'] >= 1, d
assert any(c['path'] == '/home/ann/repo' for c in i['drifted']), i['drifted']
assert 'landlock_abi' in d['host'] and 'runner' in d['host'], d['host']"
check "revert" $bulwark revert --all
chmod 666 /etc/bulwark/admin.d/10-signed.yaml
$bulwark apply p.plan $W 2>/run/err.txt
check "admin constraints that anyone can write make apply refuse (fail closed)" sh -c "test $? -ne 0 && grep -q 'writable by nobody else' /run/err.txt"
finish
