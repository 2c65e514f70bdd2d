#!/usr/bin/env python3
"""The release tarball in a Debian bullseye userland (glibc 2.31), older than
the build host's.

  bullseye_test.py --tarball DIR/bpfport-VERSION-x86_64-linux.tar.gz [--duration S]

The bullseye root (bullseye-root beside this file: debootstrap, cached) is
the lower layer of an overlay, mounted with /proc, /sys and /dev in a
private mount namespace that ends with the test's child: every mount goes
with it on every exit path, and the cached root is never written. In the
chroot, bullseye's own tools do the work: its tar unpacks the tarball, its
/bin/sh runs DRIVER (ldd --version, ldd on bpfport and bpfport-cc,
check_core_support --json, then `bpfport run --mode core --probes
exec,open --format json` while a uniquely named link to its sh opens a
unique file and exits 7). The host asserts, from what the driver wrote:
glibc 2.31, neither executable dynamic, check's verdict (core, native-btf),
that check read bullseye's os-release (Debian 11) and found the runtime
compiler helper, the run's summary, the exec and exit events (pid, ppid =
the driving shell, comm, filename, exit code 7), the open event (pid,
comm, path), and that no BPF object and no mount is left.
"""
import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Failure, check  # noqa: E402
from schema import validate  # noqa: E402

# In the chroot, run by bullseye's /bin/sh (dash).
# $1 tarball  $2 top dir  $3 duration  $4 link name  $5 path to open
DRIVER = r"""set -eu
out=/bpfport-test/out
cd /opt
tar -xzf "/bpfport-test/$1"
bin=/opt/$2/bin
ldd --version > $out/ldd-version 2>&1
for f in $bin/bpfport /opt/$2/libexec/bpfport/bpfport-cc; do
    rc=0; ldd $f > $out/ldd-${f##*/} 2>&1 || rc=$?
    echo $rc >> $out/ldd-${f##*/}
done
rc=0; $bin/check_core_support --json > $out/check.json 2> $out/check.err || rc=$?
echo $rc > $out/check.rc
$bin/bpfport run --mode core --probes exec,open --format json --duration "$3" \
    > $out/events.json 2> $out/run.err &
agent=$!
i=0
until grep -q '^bpfport: running ' $out/run.err; do
    kill -0 $agent 2> /dev/null && [ $i -lt 300 ] || break
    i=$((i + 1))
    sleep 0.1
done
grep -h -E '^(prog|map|link)_id:' /proc/$agent/fdinfo/* > $out/bpf-ids 2> /dev/null || true
ln -s /bin/sh "/tmp/$4"
rc=0
"/tmp/$4" -c ": > '$5'; exit 7" &
child=$!
wait $child || rc=$?
echo "$$ $child $rc" > $out/workload
rc=0; wait $agent || rc=$?
echo $rc > $out/run.rc
"""

# On the host, in the new mount namespace: $1 root  $2 test dir; then chroot.
SETUP = r"""set -eu
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged"
mount -t proc proc "$2/merged/proc"
mount --rbind /sys "$2/merged/sys"
mount --rbind /dev "$2/merged/dev"
root=$2/merged
shift 2
exec chroot "$root" /bin/sh /bpfport-test/driver.sh "$@"
"""


def bullseye_root():
    p = subprocess.run([os.path.join(HERE, "bullseye-root")], capture_output=True, text=True,
                       timeout=900)
    if p.returncode == harness.SKIP:
        harness.skip(p.stderr.strip().splitlines()[-1])
    check(p.returncode == 0, "bullseye-root failed (exit %d): %s" % (p.returncode, p.stderr[-1500:]))
    root = p.stdout.strip()
    check(os.path.isfile(os.path.join(root, "etc/debian_version")),
          "bullseye-root printed %r: no etc/debian_version there" % root)
    return root


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if l.split()[4].startswith(path)]


def run_in_bullseye(root, tmp, tarball, duration, name, open_path):
    """Runs DRIVER in the chroot; returns the driver's output dir (host path)."""
    top = os.path.basename(tarball)[:-len(".tar.gz")]
    for d in ("upper/bpfport-test/out", "work", "merged"):
        os.makedirs(os.path.join(tmp, d))
    # the merged root takes the upper root's mode
    os.chmod(os.path.join(tmp, "upper"), 0o755)
    test_dir = os.path.join(tmp, "upper/bpfport-test")
    shutil.copy(tarball, test_dir)
    with open(os.path.join(test_dir, "driver.sh"), "w") as f:
        f.write(DRIVER)
    cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", SETUP,
           "setup", root, tmp, os.path.basename(tarball), top, str(duration), name, open_path]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=(120 + duration) * harness.SLOW)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise Failure("the chroot did not finish within %ss" % (120 + duration))
    check(proc.returncode == 0, "the chroot driver failed (exit %d): %s"
          % (proc.returncode, out[-1500:]))
    return os.path.join(test_dir, "out")


def read(out, name):
    with open(os.path.join(out, name)) as f:
        return f.read()


def check_userland(out):
    ldd = read(out, "ldd-version").splitlines()[0]
    check(ldd.startswith("ldd (Debian GLIBC 2.31-") and ldd.endswith(" 2.31"),
          "the chroot's ldd --version says %r, expected bullseye's glibc 2.31" % ldd)
    for exe in ("bin/bpfport", "libexec/bpfport/bpfport-cc"):
        *said, rc = read(out, "ldd-" + os.path.basename(exe)).splitlines()
        check(rc == "1" and said == ["\tnot a dynamic executable"],
              "bullseye's ldd on %s (exit %s): %s (expected 'not a dynamic executable')"
              % (exe, rc, " | ".join(l.strip() for l in said)))
    print("ok   userland: %s; bpfport and bpfport-cc are static" % ldd)


def check_check(out, schema, version):
    rc = int(read(out, "check.rc"))
    try:
        doc = json.loads(read(out, "check.json"))
    except ValueError as e:
        raise Failure("check_core_support --json printed no JSON (exit %d, %s): %s"
                      % (rc, e, read(out, "check.err")[-500:]))
    errs = validate(doc, schema)
    check(not errs, "check --json schema: %s" % "; ".join(errs[:5]))
    check(rc == 0, "check_core_support exited %d, verdict %s" % (rc, doc["verdict"]))
    check(doc["verdict"]["auto_mode"] == "core" and doc["verdict"]["reason"] == "native-btf",
          "check verdict %s, expected core with reason native-btf" % doc["verdict"])
    check(doc["system"]["kernel_release"] == platform.release(),
          "check kernel_release %s != %s" % (doc["system"]["kernel_release"], platform.release()))
    osr = doc["system"]["os"]
    check(osr["id"] == "debian" and osr["version_id"] == "11",
          "check read os-release %s, expected bullseye's (debian 11)" % osr)
    check(doc["runtime"]["compiler"]["available"],
          "check: the runtime compiler helper of the unpacked tarball is not usable: %s"
          % doc["runtime"]["compiler"])
    check(doc["bpfport_version"] == version,
          "check says bpfport %s, the tarball is %s" % (doc["bpfport_version"], version))
    print("ok   check_core_support --json: %s, os %s" % (doc["verdict"], osr["pretty_name"]))


def check_run(out, name, open_path):
    rc = int(read(out, "run.rc"))
    err = read(out, "run.err").splitlines()
    check(rc == 0, "bpfport run exited %d: %s" % (rc, err[-3:]))
    done = [l for l in err if l.startswith("bpfport: done ")]
    check(done, "no summary line: %s" % err[-3:])
    summary = harness.parse_summary(done[-1].split(" ", 2)[2])
    want = {"mode": "core", "reason": "native-btf", "attached": "exec,open", "malformed": "0"}
    for k, v in want.items():
        check(summary.get(k) == v, "run summary %s=%s, expected %s: %s" % (k, summary.get(k), v, done[-1]))
    driver, pid, code = (int(x) for x in read(out, "workload").split())
    check(code == 7, "bullseye's sh -c 'exit 7' exited %d" % code)
    evs = []
    for n, line in enumerate(read(out, "events.json").splitlines()):
        try:
            evs.append(json.loads(line))
        except ValueError as e:
            raise Failure("events line %d is not JSON (%s): %r" % (n + 1, e, line[:200]))
    mine = [e for e in evs if e["pid"] == pid]
    seen = " (events of pid %d: %s)" % (pid, mine)
    execs = [e for e in mine if e["type"] == "exec"]
    check(execs, "no exec event" + seen)
    e = execs[0]
    check(e["ppid"] == driver, "exec ppid %s != the driving shell %d" % (e["ppid"], driver) + seen)
    check(e["comm"] == name and e["filename"] == "/tmp/" + name,
          "exec comm/filename %r/%r != %r/%r" % (e["comm"], e["filename"], name, "/tmp/" + name))
    exits = [e for e in mine if e["type"] == "exit"]
    check(exits, "no exit event" + seen)
    x = exits[0]
    check(x["exit_code"] == 7 and x["signal"] == 0 and x["ppid"] == driver and x["comm"] == name,
          "exit event %s, expected exit_code 7, signal 0, ppid %d, comm %s" % (x, driver, name))
    opens = [e for e in mine if e["type"] == "open" and e["path"] == open_path]
    check(opens, "no open event with path %s" % open_path + seen)
    check(opens[0]["comm"] == name and opens[0]["ret"] >= 0,
          "open event %s: expected comm %s and a file descriptor" % (opens[0], name))
    print("ok   run --mode core: exec/exit of pid %d (ppid %d, exit 7), open %s; %s"
          % (pid, driver, open_path, done[-1]))


def bpf_ids(out):
    ids = {"prog": set(), "map": set(), "link": set()}
    for line in read(out, "bpf-ids").splitlines():
        key, _, val = line.partition(":")
        ids[key[:-3]].add(int(val))
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tarball", required=True)
    ap.add_argument("--duration", type=int, default=3)
    args = ap.parse_args()
    harness.set_context("userland=bullseye")
    harness.require_root_bpf("core")

    def body():
        base = os.path.basename(args.tarball)
        check(base.startswith("bpfport-") and base.endswith("-x86_64-linux.tar.gz")
              and os.path.isfile(args.tarball),
              "%s: no release tarball bpfport-VERSION-x86_64-linux.tar.gz" % args.tarball)
        version = base[len("bpfport-"):-len("-x86_64-linux.tar.gz")]
        schema = json.load(open(os.path.join(HERE, "..", "check-schema.json")))
        root = bullseye_root()
        tag = uuid.uuid4().hex[:8]
        name, open_path = "bpx-" + tag, "/tmp/bpfport-open-" + tag
        tmp = tempfile.mkdtemp(prefix="bpfport-bullseye-")
        try:
            out = run_in_bullseye(root, tmp, args.tarball, args.duration, name, open_path)
            check(not mounts_under(tmp), "mounts left behind: %s" % mounts_under(tmp))
            check_userland(out)
            check_check(out, schema, version)
            check_run(out, name, open_path)
            ids = bpf_ids(out)
            check(ids["prog"], "the agent held no BPF programs while running: %s" % ids)
            left = harness.bpf_ids_alive(ids)
            check(not left, "BPF objects still in the kernel after exit: %s" % left)
            print("ok   nothing left behind: no mount, none of the agent's %d BPF objects"
                  % sum(len(v) for v in ids.values()))
        finally:
            shutil.rmtree(tmp)

    harness.run_main(body)


if __name__ == "__main__":
    main()
