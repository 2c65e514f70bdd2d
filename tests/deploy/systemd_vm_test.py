#!/usr/bin/env python3
"""bpfport.service under a real systemd, on a real kernel: the tree
`cmake --install` makes, booted in a kernel-matrix guest
(tests/kernels/vm-run) where systemd_guest.sh runs systemd as PID 1 of a pid
namespace. Each variant of the unit (systemd_guest.sh says which) must
attach, with its sandbox and capabilities as shipped, and stream the exec
event of a program the guest runs, into the journal or the file
events-to-file.conf names (mode 0600, nothing of it in the journal).

  systemd_vm_test.py --kernel 6.1 --cmake CMAKE --build DIR --source DIR
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402


def events(text):
    """the JSON events among lines"""
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def saw_exec(evs, path):
    return any(e.get("type") == "exec" and e.get("filename") == path for e in evs)


def check_unit(out, unit, marker, evs=None):
    """UNIT attached and is still running, and its events (from its journal
    unless given) hold the exec of MARKER"""
    journal = open(os.path.join(out, unit + ".journal")).read()
    state = open(os.path.join(out, unit + ".state")).read()
    running = [l for l in journal.splitlines() if l.startswith("bpfport: running ")]
    check(running, "%s never attached:\n%s\n%s" % (unit, journal[-3000:], state))
    check("ActiveState=active" in state, "%s is not active after its events: %s" % (unit, state))
    path = open(os.path.join(out, marker)).read().strip()
    if evs is None:
        evs = events(journal)
    check(saw_exec(evs, path), "%s: no exec event of %s among %d events" % (unit, path, len(evs)))
    print("ok   %s: %s; saw the exec of %s" % (unit, running[0].split(" ", 2)[2][:90], path))
    return journal


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)	# the guest sees the same paths

    def body():
        if os.geteuid() != 0:
            harness.skip("needs root (the guest runs the host's root; cmake --install)")
        # not under /tmp: the units' PrivateTmp would hide the tree, and
        # systemd-tmpfiles empties the guest's /tmp at boot
        with tempfile.TemporaryDirectory(prefix="deploy-vm-", dir=args.build) as prefix, \
                tempfile.TemporaryDirectory(prefix="deploy-vm-out-", dir=args.build) as out:
            p = subprocess.run([args.cmake, "--install", args.build, "--prefix", prefix],
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "cmake --install: %s" % p.stderr[-2000:])
            guest = os.path.join(args.source, "tests", "deploy", "systemd_guest.sh")
            vm = [os.path.join(args.source, "tests", "kernels", "vm-run"), args.kernel,
                  "--rw", out, "--timeout", "900", "--",
                  "/bin/bash", guest, "boot", prefix, out]
            p = subprocess.run(vm, capture_output=True, text=True, timeout=1200)
            if p.returncode == harness.SKIP:
                harness.skip("vm-run: %s" % p.stderr.strip()[-300:])
            log = os.path.join(out, "check.log")
            seen = open(log).read() if os.path.exists(log) else "(no check.log)\n"
            check(p.returncode == 0 and os.path.exists(os.path.join(out, "bpfport.journal")),
                  "vm-run exit %d; the guest's check step saw:\n%s%s" % (
                      p.returncode, seen, p.stderr[-3000:]))

            check_unit(out, "bpfport", "bpfport-marker-1")
            evfile = os.path.join(out, "events.json")
            check(os.path.exists(evfile), "bpfport-file: no %s" % evfile)
            mode = os.stat(evfile).st_mode & 0o777
            check(mode == 0o600, "bpfport-file: events file mode %o, not 600" % mode)
            journal = check_unit(out, "bpfport-file", "bpfport-marker-1",
                                 events(open(evfile).read()))
            check(not events(journal), "bpfport-file: events in the journal too")
            journal = check_unit(out, "bpfport-runtime", "bpfport-marker-1")
            check(" mode=runtime reason=compiled " in journal,
                  "bpfport-runtime: not compiled:\n%s" % journal[-2000:])
            if os.path.exists(os.path.join(out, "bpfport-marker-2")):
                check_unit(out, "bpfport-lp", "bpfport-marker-2")
            else:
                print("ok   bpfport-lp: not run, the kernel has no CAP_BPF")

    harness.run_main(body)


if __name__ == "__main__":
    main()
