#!/usr/bin/env python3
"""The release tarball in a Debian bullseye userland (glibc 2.31), older than
the build host's.

  bullseye_test.py --tarball DIR/bpfport-VERSION-x86_64-linux.tar.gz [--duration S]

The bullseye root (bullseye-root beside this file: debootstrap, cached) is
the lower layer of an overlay, mounted with /proc, /sys and /dev in a
private mount namespace that ends with the test's child: every mount goes
with it on every exit path, and the cached root is never written. In the
chroot, bullseye's own tools do the work: its tar unpacks the tarball, its
/bin/sh (dash) runs DRIVER: ldd --version, ldd on both executables,
`check_core_support --json --probes exec,open`, then `bpfport run --mode core
--probes exec,open --format json --duration S` while links to its sh exit 7,
are killed, carry hostile names, and open a new file and a missing one. What
the workload did goes to a manifest (KEY=VALUE lines).

The host asserts: glibc 2.31 and neither executable dynamic; check's verdict
(core, native-btf), its schema, that it read bullseye's os-release (Debian
11) and found the runtime compiler helper, and that it agrees with the run;
the run's summary; the exec and open events with the probe tests' own
assertions (probe_checks.py: pids, ppid = the driving shell, exit code and
signal, exec'd path and comm, open path, flags and fd, ENOENT); and that no
BPF object and no mount is left.
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Failure, check  # noqa: E402
from probe_checks import (Facts, agrees_with_check, check_doc, check_exec,  # noqa: E402
                          check_open, check_probes, expect_summary)

# In the chroot, run by bullseye's /bin/sh (dash): $1 tarball  $2 its top
# dir  $3 duration.  Exit 0 when the workload ran, whatever bpfport did.
DRIVER = r"""set -u
out=/bpfport-test/out
rel=/opt/$2
fact() { echo "$1=$2" >> $out/manifest; }
die() { echo "driver: $*" >&2; exit 1; }

tar -xzf "/bpfport-test/$1" -C /opt || die "bullseye's tar cannot unpack $1"
ldd --version > $out/ldd-version 2>&1
for f in bin/bpfport libexec/bpfport/bpfport-cc; do
    ldd $rel/$f > $out/ldd-${f##*/} 2>&1
    echo $? >> $out/ldd-${f##*/}
done
$rel/bin/check_core_support --json --probes exec,open > $out/check.json 2> $out/check.err
fact check_rc $?

$rel/bin/bpfport run --mode core --probes exec,open --format json --duration "$3" \
    > $out/events.json 2> $out/run.err &
agent=$!
n=300
until grep -qs '^bpfport: running ' $out/run.err; do
    kill -0 $agent 2> /dev/null || die "bpfport run exited before running: $(cat $out/run.err)"
    n=$((n - 1))
    [ $n -gt 0 ] || die "bpfport run not running after 30 s"
    sleep 0.1
done
grep -h -E '^(prog|map|link)_id:' /proc/$agent/fdinfo/* > $out/bpf-ids 2> /dev/null

tok=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
dir=/tmp/bpx-$tok
mkdir $dir || die "mkdir $dir"
fact parent $$
fact uid "$(id -u)"
# exec: a link to bullseye's sh, so the exec'd path and comm are ours alone
link=$dir/bpx-$tok
ln -s /bin/sh $link
$link -c 'exit 7' &
pid=$!
wait $pid
fact exec_rc $?
fact exec_pid $pid
fact exec_path $link
$link -c 'kill -9 $$' &
pid=$!
wait $pid
fact killed_rc $?
fact killed_pid $pid
# a newline, a quote, a backslash and a byte that is not UTF-8 (hex: the
# manifest is lines)
hostile=$dir/$(printf 'bq\n"\\\377%s' "${tok%????}")
ln -s /bin/sh "$hostile"
"$hostile" -c 'exit 3' &
pid=$!
wait $pid
fact hostile_rc $?
fact hostile_pid $pid
fact hostile_path_hex "$(printf %s "$hostile" | od -An -tx1 | tr -d ' \n')"
# open: a child opens a new file (noclobber: O_WRONLY|O_CREAT|O_EXCL) into
# fd 3, then a missing one
path=$dir/open-$tok
$link -c 'set -C; exec 3> "$1"; exec 4< "$1.missing"' sh $path 2> /dev/null &
pid=$!
wait $pid
fact open_pid $pid
fact open_path $path
[ -f $path ] || die "the open child did not create $path"

wait $agent
fact run_rc $?
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

OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
OPEN_FD = 3


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


def run_in_bullseye(root, tmp, tarball, duration):
    """Runs DRIVER in the chroot; returns its output dir (a host path)."""
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
           "setup", root, tmp, os.path.basename(tarball), top, str(duration)]
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
    with open(os.path.join(out, name), errors="replace") as f:
        return f.read()


def read_manifest(out):
    m = {}
    for line in read(out, "manifest").splitlines():
        k, sep, v = line.partition("=")
        check(sep and k not in m, "manifest: bad line %r" % line)
        m[k] = v
    return m


def workload_facts(m):
    """The probe_checks.Facts of the driver's workload, from its manifest."""
    f = Facts.from_manifest(m)
    f.open_flags, f.open_fd = OPEN_FLAGS, OPEN_FD
    return f


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


def check_check(out, m, schema, version):
    try:
        doc = json.loads(read(out, "check.json"))
    except ValueError as e:
        raise Failure("check_core_support --json printed no JSON (exit %s, %s): %s"
                      % (m["check_rc"], e, read(out, "check.err")[-500:]))
    check_doc(doc, int(m["check_rc"]), schema, "check")
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
    return doc


def check_run(out, m, doc):
    what = "run --mode core"
    err = read(out, "run.err").splitlines()
    check(m.get("run_rc") == "0", "%s exited %s: %s" % (what, m.get("run_rc"), err[-3:]))
    summary = harness.summary_of(err)
    expect_summary(summary, {"mode": "core", "reason": "native-btf", "btf": harness.NATIVE_BTF,
                             "output": "ringbuf" if harness.kernel_has_ringbuf() else "perfbuf",
                             "attached": "exec,open", "malformed": "0"}, what)
    agrees_with_check(doc, summary, what)
    with open(os.path.join(out, "events.json"), "rb") as f:
        evs = harness.parse_events(f.readlines())
    facts = workload_facts(m)
    failures = check_probes((("exec", lambda: check_exec(facts, evs)),
                             ("open", lambda: check_open(facts, evs))), what)
    if failures:
        raise Failure("\n  ".join(failures))
    print("%s: %d events, summary: %s" % (what, len(evs), summary))


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
        tmp = tempfile.mkdtemp(prefix="bpfport-bullseye-")
        try:
            out = run_in_bullseye(root, tmp, args.tarball, args.duration)
            check(not mounts_under(tmp), "mounts left behind: %s" % mounts_under(tmp))
            m = read_manifest(out)
            check_userland(out)
            doc = check_check(out, m, schema, version)
            check_run(out, m, doc)
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
