#!/usr/bin/env python3
"""bpfport.service as `cmake --install` puts it (prefix/lib/systemd/system):
- `systemd-analyze verify` says nothing about it, alone or with each example
  drop-in (Documentation=man:bpfport(8) found in the installed man pages);
- its ExecStart names the installed bpfport (the prefix's bin/, written at
  install time);
- its hardening, key by key (what each setting is for: the comments in the
  unit), and MemoryMax above the compile child's address-space cap
  (DEFAULT_AS_BUDGET, runtime-compiler/src/rtc.c) plus room for the agent;
- `systemd-analyze security` rates it at most 2.0 (0 is best, 10 worst).
The unit really runs, under systemd, in the kernel-matrix guests:
systemd_vm_test.py (kernel-<KVER>-systemd).

  systemd_test.py --cmake CMAKE --build DIR
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import check  # noqa: E402

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def unit_keys(path):
    """{key: [values, in order]} of a unit file or drop-in (all sections)"""
    keys = {}
    for line in open(path):
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            k, _, v = line.partition("=")
            keys.setdefault(k, []).append(v)
    return keys


def size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s)
    check(m, "not a size: %s" % s)
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def verify(unit, manpath, dropin=None):
    """systemd-analyze verify on a copy of UNIT (and a drop-in): its output"""
    with tempfile.TemporaryDirectory(prefix="bpfport-verify-") as d:
        shutil.copy(unit, os.path.join(d, "bpfport.service"))
        if dropin:
            os.mkdir(os.path.join(d, "bpfport.service.d"))
            shutil.copy(dropin, os.path.join(d, "bpfport.service.d"))
        p = subprocess.run(["systemd-analyze", "verify", os.path.join(d, "bpfport.service")],
                           capture_output=True, text=True, env=dict(os.environ, MANPATH=manpath))
    return p.returncode, (p.stdout + p.stderr).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    args = ap.parse_args()

    def body():
        if not shutil.which("systemd-analyze"):
            harness.skip("no systemd-analyze (package systemd; ci/install-deps installs it)")
        with tempfile.TemporaryDirectory(prefix="bpfport-unit-") as prefix:
            p = subprocess.run([args.cmake, "--install", args.build, "--prefix", prefix],
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "cmake --install: %s" % p.stderr[-2000:])
            unit = os.path.join(prefix, "lib", "systemd", "system", "bpfport.service")
            examples = os.path.join(prefix, "share", "doc", "bpfport", "examples")
            manpath = os.path.join(prefix, "share", "man")
            k = unit_keys(unit)
            bpfport = os.path.join(prefix, "bin", "bpfport")
            check(k["ExecStart"] == [bpfport + " run"] and os.path.isfile(bpfport),
                  "ExecStart=%s, expected the installed %s" % (k["ExecStart"], bpfport))

            dropins = sorted(os.listdir(examples))
            for dropin in [None] + dropins:
                rc, out = verify(unit, manpath, dropin and os.path.join(examples, dropin))
                check(rc == 0 and not out, "systemd-analyze verify (drop-in %s): exit %d: %s"
                      % (dropin, rc, out))
            print("ok   systemd-analyze verify: silent on the unit alone and with %s"
                  % ", ".join(dropins))

            want = {
                "Type": "exec", "Restart": "on-failure", "RestartPreventExitStatus": "2",
                "StandardOutput": "journal", "StandardError": "journal",
                "NoNewPrivileges": "yes", "LimitMEMLOCK": "infinity",
                "ProtectSystem": "strict", "CacheDirectory": "bpfport",
                "CacheDirectoryMode": "0700", "PrivateTmp": "yes", "ProtectHome": "yes",
                "UMask": "0077", "ProtectKernelTunables": "yes", "ProtectKernelLogs": "yes",
                "ProtectControlGroups": "yes", "ProtectClock": "yes", "ProtectHostname": "yes",
                "ProtectProc": "invisible", "PrivateDevices": "yes", "PrivateIPC": "yes",
                "PrivateMounts": "yes", "PrivateNetwork": "yes",
                "RestrictAddressFamilies": "AF_UNIX", "RestrictNamespaces": "yes",
                "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "LockPersonality": "yes",
                "MemoryDenyWriteExecute": "yes", "SystemCallArchitectures": "native",
                "SystemCallErrorNumber": "EPERM", "WantedBy": "multi-user.target",
            }
            for key, val in want.items():
                check(k.get(key) == [val], "%s=%s, not %s" % (key, k.get(key), val))
            caps = set(k["CapabilityBoundingSet"][0].split())
            check(caps == {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"},
                  "CapabilityBoundingSet: %s" % sorted(caps))
            check("AmbientCapabilities" not in k and "User" not in k,
                  "uid 0 with a bounding set: no User=, no AmbientCapabilities=")
            # /lib/modules holds the kernel headers, the runtime mode's input
            check("ProtectKernelModules" not in k, "ProtectKernelModules= hides /lib/modules")
            calls = k["SystemCallFilter"][0].split()
            check(calls[0] == "@system-service" and {"bpf", "perf_event_open"} <= set(calls)
                  and "mount" not in calls, "SystemCallFilter=%s" % " ".join(calls))
            rtc = open(os.path.join(SOURCE, "runtime-compiler", "src", "rtc.c")).read()
            m = re.search(r"#define DEFAULT_AS_BUDGET \((\d+)UL << (\d+)\)", rtc)
            check(m, "DEFAULT_AS_BUDGET not found in rtc.c")
            cap = int(m.group(1)) << int(m.group(2))
            mem = size(k["MemoryMax"][0])
            check(mem >= cap + (256 << 20), "MemoryMax=%s leaves no room beside the compile "
                  "child's %d MiB cap" % (k["MemoryMax"][0], cap >> 20))
            lp = unit_keys(os.path.join(examples, "bpf-perfmon-only.conf"))
            check(lp["CapabilityBoundingSet"] == ["", "CAP_BPF CAP_PERFMON"],
                  "bpf-perfmon-only.conf: %s" % lp)
            out = unit_keys(os.path.join(examples, "events-to-file.conf"))
            check(out["StandardOutput"][0].startswith("append:/"),
                  "events-to-file.conf: %s" % out)
            print("ok   hardening: %d settings; capabilities %s; MemoryMax %d MiB over a %d MiB "
                  "compile cap" % (len(want) + 4, " ".join(sorted(caps)), mem >> 20, cap >> 20))

            p = subprocess.run(["systemd-analyze", "security", "--offline=true", "--man=no",
                                "--threshold=20", unit], capture_output=True, text=True)
            level = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr
            check(p.returncode == 0, "systemd-analyze security: %s" % level)
            print("ok   systemd-analyze security: %s" % level.lstrip("→ "))

    harness.run_main(body)


if __name__ == "__main__":
    main()
