# SPDX-License-Identifier: MIT
# The body of bench_acl.sh, run inside its namespaces. The trees live in a scratch directory on
# the build directory's file system (ext4 here, like the figures in performance.md; tmpfs would
# flatter setfacl), removed at the end; the accounts exist only in this mount namespace.
import atexit, os, resource, shutil, subprocess, sys, time

build = sys.argv[1]
bulwark = os.path.join(build, "enforcer", "bulwark")
bulwarkc = os.path.join(build, "compiler", "bulwarkc")

def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)

# private mounts, as in tests/integration/lib.sh
sh("mount", "--make-rprivate", "/")
# (/tmp is left alone: the benchmark's policy does not make it writable, and the build, with the
# scratch trees, may live there)
for d in ("/home", "/var/lib", "/var/log", "/run"):
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
os.makedirs("/run/etc-copy")
sh("cp", "-a", "/etc/.", "/run/etc-copy/")
sh("mount", "--bind", "/run/etc-copy", "/etc")
sh("ip", "link", "set", "lo", "up")
sh("useradd", "-m", "-d", "/home/ann", "ann")
scratch = os.path.join(os.path.abspath(build), "acl-bench-trees")
# apply gives ancestors a traverse entry where others lack x: make sure none of the host's will
a = os.path.dirname(scratch)
while True:
    if not os.stat(a).st_mode & 0o001:
        sys.exit(f"bench_acl: {a} is not searchable by others; apply would add a traverse entry to it: "
                 "use a build directory whose ancestors are")
    if a == "/":
        break
    a = os.path.dirname(a)
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
atexit.register(shutil.rmtree, scratch, True)

def make_tree(root, dirs_per_level=10, files=100):
    """10 x 10 x 10 directories (plus the upper levels: 1,111 in all), files in the leaves."""
    n = 0
    os.makedirs(root)
    for a in range(dirs_per_level):
        for b in range(dirs_per_level):
            for c in range(dirs_per_level):
                d = f"{root}/{a}/{b}/{c}"
                os.makedirs(d)
                for f in range(files):
                    open(f"{d}/f{f}", "w").close()
                    n += 1
    sh("chown", "-R", "ann:ann", root)
    return n

def timed(cmd):
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t

with open("/run/policy.yaml", "w") as f:
    f.write('bulwark: 1\nfilesystem:\n  writable: ["${workspace}"]\nnetwork: off\n')
sh(bulwarkc, "/run/policy.yaml", "-o", "/run/p.plan", stderr=subprocess.DEVNULL)
# accounts and the firewall first, on an empty workspace: what is measured is the tree
os.makedirs("/home/ann/empty")
sh(bulwark, "apply", "/run/p.plan", "--workspace", "/home/ann/empty", "--user", "ann")

n = make_tree(f"{scratch}/t-setfacl")
make_tree(f"{scratch}/t-bulwark")
# the same three entries bulwark writes on a writable root (its write group is bw-w-HASH, made
# by apply for the root it knows; the baseline names ann's own group, which exists)
spec = "g:ann:rwX,d:g:ann:rwx,d:u:ann:rwx"
results = {}
results["setfacl first"] = timed(["setfacl", "-R", "-m", spec, f"{scratch}/t-setfacl"])
results["setfacl again"] = timed(["setfacl", "-R", "-m", spec, f"{scratch}/t-setfacl"])
apply = [bulwark, "apply", "/run/p.plan", "--workspace", f"{scratch}/t-bulwark", "--user", "ann"]
results["bulwark first"] = timed(apply)
results["bulwark again"] = timed(apply)

# peak memory of a no-op apply on a 10x smaller tree, then on this one
make_tree(f"{scratch}/t-small", 10, 10)
sh(*apply[:3], "--workspace", f"{scratch}/t-small", "--user", "ann")
def peak(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=None)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before
small = subprocess.run(["/usr/bin/python3", "-c",
                        "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
                        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                        *apply[:3], "--workspace", f"{scratch}/t-small", "--user", "ann"], capture_output=True, text=True).stdout.strip()
large = subprocess.run(["/usr/bin/python3", "-c",
                        "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
                        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
                        *apply], capture_output=True, text=True).stdout.strip()

fs = subprocess.run(["stat", "-f", "-c", "%T", scratch], capture_output=True, text=True).stdout.strip()
print(f"bulwark ACL benchmark: {n:,} files in 1,111 directories ({fs}), {os.cpu_count()} CPUs")
print(f"{'what':28} {'seconds':>8}   ratio")
print(f"{'setfacl -R -m (first)':28} {results['setfacl first']:8.3f}")
print(f"{'bulwark apply (first)':28} {results['bulwark first']:8.3f}   {results['setfacl first'] / results['bulwark first']:.2f}x faster than setfacl (target >= 3x)")
print(f"{'setfacl -R -m (again)':28} {results['setfacl again']:8.3f}")
print(f"{'bulwark apply (again, no-op)':28} {results['bulwark again']:8.3f}   {results['setfacl again'] / results['bulwark again']:.2f}x faster than setfacl (target >= 5x)")
print(f"peak RSS of a no-op apply: {int(small) // 1024} MiB on 10,000 files, {int(large) // 1024} MiB on {n:,} files")
