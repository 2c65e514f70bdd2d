#!/usr/bin/env python3
"""Load + attach of all probes (exec,open,tcp) with external BTF vs native
BTF, interleaved in one run, as root on a kernel with native BTF:

  native     bpfport run -d 0                     (libbpf parses /sys/kernel/btf/vmlinux)
  embedded   bpfport run -d 0 --hide-native-btf   (the embedded minimized BTF, ~1 KB)
  archive    ... --hide-native-btf --btf-archive  (this kernel's full BTF as .btf.tar.xz)

Uses tests' bpfport-hostbtf (its embedded archive holds this host's kernel).
Reports median / p90 of the time to the "running" line (open, relocate,
load, attach: the part BTF affects) and of the whole run, and the ratios.

  bench/btf_bench.py --bpfport build/tests/bpfport-hostbtf --plain build/bpfport [--runs 20]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness  # noqa: E402


def one(cmd, env):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    ready = None
    for line in p.stderr:
        if line.startswith("bpfport: running ") and ready is None:
            ready = time.monotonic() - t0
    p.wait()
    total = time.monotonic() - t0
    if p.returncode != 0 or ready is None:
        raise SystemExit("bench: %s failed (%d)" % (" ".join(cmd), p.returncode))
    return ready * 1000, total * 1000


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--plain", required=True,
                    help="the regular bpfport (its embedded archive lacks this host: "
                         "the archive directory is used)")
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    base = [a.bpfport, "run", "--duration", "0", "--probes", "exec,open,tcp"]
    with tempfile.TemporaryDirectory() as tmp:
        harness.archive_from_native(tmp)
        hidden = dict(os.environ, BPFPORT_HIDE_NATIVE_BTF="1", BPFPORT_BTF_ARCHIVE="/nonexistent")
        variants = [
            ("native", base, dict(os.environ)),
            ("embedded", base, hidden),
            ("archive", [a.plain] + base[1:] + ["--btf-archive", tmp], hidden),
        ]
        res = {n: ([], []) for n, _, _ in variants}
        for _ in range(a.runs):  # interleaved
            for n, cmd, env in variants:
                r, t = one(cmd, env)
                res[n][0].append(r)
                res[n][1].append(t)
    print("| BTF source | load+attach median (ms) | p90 | whole run median (ms) | ratio to native (load+attach median) |")
    print("|---|---:|---:|---:|---:|")
    nat = statistics.median(res["native"][0])
    for n, _, _ in variants:
        r, t = res[n]
        print("| %s | %.1f | %.1f | %.1f | %.2fx |" % (n, statistics.median(r), pct(r, 0.9),
                                                       statistics.median(t), statistics.median(r) / nat))


if __name__ == "__main__":
    main()
