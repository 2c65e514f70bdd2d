#!/usr/bin/env python3
"""The release tarball, or the .deb, in a Debian bullseye userland (glibc
2.31), older than the build host's.

  bullseye_test.py --tarball DIR/bpfport-VERSION-x86_64-linux.tar.gz [--duration S]
  bullseye_test.py --deb DIR/bpfport_VERSION_amd64.deb [--duration S]

The bullseye root (bullseye-root beside this file: debootstrap, cached) is
the lower layer of an overlay, mounted with /proc, /sys and /dev in a
private mount namespace that ends with the test's child: every mount goes
with it on every exit path, and the cached root is never written. In the
chroot, bullseye's own tools do the work: its tar unpacks the tarball into
/opt, or its dpkg installs the .deb (its maintainer scripts run by dpkg, in a
root where systemd is not running and not installed); its /bin/sh (dash)
runs DRIVER: ldd --version, ldd on both executables, `check_core_support
--json --probes exec,open`, then `bpfport run --mode core --probes exec,open
--format json --duration S` while links to its sh exit 7, are killed, carry
hostile names, and open a new file and a missing one. What the workload did
goes to a manifest (KEY=VALUE lines). The .deb is then removed (dpkg -r)
and purged (dpkg -P).

The host asserts: glibc 2.31 and neither executable dynamic; check's verdict
(core, native-btf), its schema, that it read bullseye's os-release (Debian
11) and found the runtime compiler helper, and that it agrees with the run;
the run's summary; the exec and open events with the probe tests' own
assertions (probe_checks.py: pids, ppid = the driving shell, exit code and
signal, exec'd path and comm, open path, flags and fd, ENOENT); and that no
BPF object and no mount is left. For the .deb also: dpkg's status, that
dpkg -L lists what the .deb holds (package_test.py checks what that is), and
that removal leaves none of it and the purge no /var/cache/bpfport.
"""
import argparse
import json
import os
import platform
import re
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
from package_test import deb_entries  # noqa: E402

# In the chroot, run by bullseye's /bin/sh (dash): $1 the tarball or .deb
# $2 how to install it: "tar TOPDIR" or "deb"  $3 duration.  Exit 0 when the
# workload ran, whatever bpfport did.
DRIVER = r"""set -u
out=/bpfport-test/out
fact() { echo "$1=$2" >> $out/manifest; }
die() { echo "driver: $*" >&2; exit 1; }

case $2 in
tar\ *)
    tar -xzf "/bpfport-test/$1" -C /opt || die "bullseye's tar cannot unpack $1"
    rel=/opt/${2#tar } ;;
deb)
    dpkg -i "/bpfport-test/$1" > $out/dpkg-install 2>&1 ||
        die "bullseye's dpkg -i $1: $(tail -5 $out/dpkg-install)"
    dpkg-query -W -f '${Status} ${Version}' bpfport > $out/dpkg-status
    dpkg -L bpfport > $out/dpkg-list
    rel=/usr ;;
esac
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

if [ "$2" = deb ]; then
    # the runtime mode's cache, as a run would leave it: the purge removes it
    mkdir -p /var/cache/bpfport && touch /var/cache/bpfport/entry
    dpkg -r bpfport > $out/dpkg-remove 2>&1
    fact remove_rc $?
    # what is still there of what the package listed (the host checks that
    # only what bullseye had before is)
    while read -r f; do
        if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi
    done < $out/dpkg-list > $out/left-after-remove
    dpkg -P bpfport > $out/dpkg-purge 2>&1
    fact purge_rc $?
    fact cache_left "$([ -e /var/cache/bpfport ] && echo yes || echo no)"
fi
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


def run_in_bullseye(root, tmp, artifact, how, duration):
    """Runs DRIVER in the chroot on ARTIFACT (installed HOW: "tar TOPDIR" or
    "deb"); returns its output dir (a host path)."""
    for d in ("upper/bpfport-test/out", "work", "merged"):
        os.makedirs(os.path.join(tmp, d))
    # the merged root takes the upper root's mode
    os.chmod(os.path.join(tmp, "upper"), 0o755)
    test_dir = os.path.join(tmp, "upper/bpfport-test")
    shutil.copy(artifact, test_dir)
    with open(os.path.join(test_dir, "driver.sh"), "w") as f:
        f.write(DRIVER)
    cmd = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", SETUP,
           "setup", root, tmp, os.path.basename(artifact), how, str(duration)]
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
          "check: the runtime compiler helper installed beside it is not usable: %s"
          % doc["runtime"]["compiler"])
    check(doc["bpfport_version"] == version,
          "check says bpfport %s, the artifact is %s" % (doc["bpfport_version"], version))
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


def check_deb(out, m, deb, root, version):
    """bullseye's dpkg installed the .deb, all of it, and removed it all."""
    status = read(out, "dpkg-status")
    check(status == "install ok installed %s" % version,
          "dpkg-query: bpfport %r, expected installed %s" % (status, version))
    listed = {"/" if l == "/." else l for l in read(out, "dpkg-list").splitlines()}
    held = set(deb_entries(deb))
    check(listed == held, "dpkg -L differs from the .deb: only listed %s, only in the .deb %s"
          % (sorted(listed - held), sorted(held - listed)))
    print("ok   dpkg -i: %s installed, dpkg -L lists the .deb's %d paths"
          % (version, len(listed)))
    check(m.get("remove_rc") == "0" and m.get("purge_rc") == "0",
          "dpkg -r exit %s: %s; dpkg -P exit %s: %s"
          % (m.get("remove_rc"), read(out, "dpkg-remove")[-500:], m.get("purge_rc"),
             read(out, "dpkg-purge")[-500:]))
    left = [f for f in read(out, "left-after-remove").splitlines()
            if not os.path.lexists(os.path.join(root, f.lstrip("/")))]
    check(not left, "dpkg -r left what the package installed: %s" % left)
    check(m.get("cache_left") == "no", "dpkg -P left /var/cache/bpfport")
    print("ok   dpkg -r, dpkg -P: nothing of the package left, nor /var/cache/bpfport")


def bpf_ids(out):
    ids = {"prog": set(), "map": set(), "link": set()}
    for line in read(out, "bpf-ids").splitlines():
        key, _, val = line.partition(":")
        ids[key[:-3]].add(int(val))
    return ids


def main():
    ap = argparse.ArgumentParser()
    what = ap.add_mutually_exclusive_group(required=True)
    what.add_argument("--tarball")
    what.add_argument("--deb")
    ap.add_argument("--duration", type=int, default=3)
    args = ap.parse_args()
    harness.set_context("userland=bullseye" + (" deb" if args.deb else ""))
    harness.require_root_bpf("core")

    def body():
        artifact = args.tarball or args.deb
        base = os.path.basename(artifact)
        if args.tarball:
            name = re.fullmatch(r"bpfport-(.+)-x86_64-linux\.tar\.gz", base)
            how = "tar " + base[:-len(".tar.gz")]
        else:
            name = re.fullmatch(r"bpfport_(.+)_amd64\.deb", base)
            how = "deb"
        check(name and os.path.isfile(artifact), "%s: no bpfport-VERSION-x86_64-linux.tar.gz "
              "or bpfport_VERSION_amd64.deb" % artifact)
        version = name.group(1)
        schema = json.load(open(os.path.join(HERE, "..", "check-schema.json")))
        root = bullseye_root()
        tmp = tempfile.mkdtemp(prefix="bpfport-bullseye-")
        try:
            out = run_in_bullseye(root, tmp, artifact, how, args.duration)
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
            if args.deb:
                check_deb(out, m, args.deb, root, version)
        finally:
            shutil.rmtree(tmp)

    harness.run_main(body)


if __name__ == "__main__":
    main()
