#!/usr/bin/env python3
"""The release artifacts (issue 11) against the development build, in one run:

  bench/release_bench.py --release REL/bpfport-V-x86_64-linux.tar.gz --dynamic BUILD
                         [--runs 30] [--compile-runs 10] [--headers-from 6.1] [--wait-idle S]

REL is a -DBPFPORT_STATIC=ON build after `cmake --build REL --target release`;
BUILD the development build (dynamic bpfport and bpfport-cc). The tarball is
unpacked into a temporary directory and its files are what is measured.

1. Sizes: the tarball, its bin/bpfport and libexec/bpfport/bpfport-cc (as
   shipped and after `strip`, and whether the ELF has a PT_INTERP), next to
   the development build's executables and the shared libraries they load.
   Goals: bpfport <= 4 MiB, helper <= 80 MiB stripped, tarball <= 30 MiB.
2. Cold start: `bpfport version` and `bpfport check --json`, the static one
   against the dynamic one, interleaved (the order alternates each round,
   one untimed warm-up each). Goal: static/dynamic <= 1.0x.
3. Cold runtime compile: `bpfport compile --probes exec` against one kernel's
   headers (tests/kernels/fetch, Debian 6.1's by default) into a new, empty
   cache dir every run: each bpfport execs its own bpfport-cc (static from
   the tarball, dynamic from BUILD), interleaved. Goal: static/dynamic <= 1.1x.
   The objects of the two must be the same bytes.
4. Helper peak RSS: the ru_maxrss of each compile's process tree (wait4),
   that is the compile child, which is bpfport-cc after its exec.

Times are wall ms from spawn to exit. "Per-round ratio" is the median of
static/dynamic within a round (two adjacent runs share the host's load).
Benchmarks, not tests: nothing fails on a missed goal. As root (check's dry
runs load BPF; the cache dir must be root's). Prints markdown on stdout.
"""
import argparse
import datetime
import glob
import math
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20


def die(msg):
    sys.exit("release_bench: " + msg)


def pct(xs, q):
    """Nearest-rank percentile."""
    s = sorted(xs)
    return s[max(0, math.ceil(q / 100 * len(s)) - 1)]


def busy(seconds=2):
    """Percentage of all CPUs busy (not idle/iowait) over seconds."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    a = snap()
    time.sleep(seconds)
    b = snap()
    return 100 * (1 - (b[1] - a[1]) / max(1, b[0] - a[0]))


def quiet_check(what, wait):
    """Prints the background load before a section (bench/run's rule); waits
    up to wait seconds for it to drop below 5 %."""
    deadline = time.monotonic() + wait
    b = busy()
    while b >= 5 and time.monotonic() < deadline:
        time.sleep(5)
        b = busy()
    note = "" if b < 5 else " -- WARNING: machine not idle, numbers unreliable"
    print("background CPU load before %s: %.1f%%%s\n" % (what, b, note), flush=True)


# ---- 1. sizes ----

def has_interp(path):
    """Whether the ELF executable asks for a dynamic loader (PT_INTERP)."""
    with open(path, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2:
            die("%s is not a 64-bit ELF file" % path)
        phoff, = struct.unpack_from("<Q", ehdr, 32)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", table, i * phentsize)[0] == 3 for i in range(phnum))


def stripped_size(path, tmp):
    out = os.path.join(tmp, "stripped")
    subprocess.run(["strip", "-o", out, path], check=True)
    size = os.path.getsize(out)
    os.unlink(out)
    return size


def shared_libs(path):
    """The shared libraries ldd resolves for path (real paths)."""
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    libs = set()
    for line in p.stdout.splitlines():
        parts = line.split("=>")
        if len(parts) == 2 and parts[1].strip().startswith("/"):
            libs.add(os.path.realpath(parts[1].split()[0]))
    return sorted(libs)


def sizes(tarball, rel_bpfport, rel_cc, dyn_bpfport, dyn_cc, tmp):
    def mib(n):
        return "%.1f" % (n / MIB)

    print("### Sizes (MiB)\n")
    print("| artifact | as built | stripped | static (no PT_INTERP) | shared libraries it loads "
          "(ldd) | goal |")
    print("|---|---:|---:|---|---:|---|")
    t = os.path.getsize(tarball)
    print("| release tarball %s | %s | - | - | - | <= 30: %s |"
          % (os.path.basename(tarball), mib(t), "met" if t <= 30 * MIB else "MISSED"))
    rows = (("release bin/bpfport", rel_bpfport, ("as built", 4)),
            ("release libexec/bpfport/bpfport-cc", rel_cc, ("stripped", 80)),
            ("development bpfport (dynamic)", dyn_bpfport, None),
            ("development bpfport-cc (dynamic)", dyn_cc, None))
    for name, path, goal in rows:
        size, strip = os.path.getsize(path), stripped_size(path, tmp)
        static = not has_interp(path)
        libs = sum(os.path.getsize(l) for l in shared_libs(path)) if not static else 0
        verdict = "-"
        if goal:
            which, limit = goal
            got = strip if which == "stripped" else size
            verdict = "%s <= %d: %s" % (which, limit, "met" if got <= limit * MIB else "MISSED")
        print("| %s | %s | %s | %s | %s | %s |" % (name, mib(size), mib(strip),
                                                   "yes" if static else "no",
                                                   "-" if static else mib(libs), verdict))
    print()


# ---- 2. cold start, 3. compile ----

def timed(cmd, env=None):
    """Runs cmd; returns (wall ms, peak RSS in KiB of its process tree (wait4:
    the largest of cmd and the children it waited for), stdout and stderr)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    out = p.stdout.read().decode(errors="replace")
    _, status, ru = os.wait4(p.pid, 0)
    ms = (time.perf_counter() - t0) * 1e3
    rc = os.waitstatus_to_exitcode(status)
    p.returncode = rc  # reaped here: Popen must not wait for it
    if rc:
        die("%s failed (exit %d):\n%s" % (" ".join(cmd), rc, out[-1500:]))
    return ms, ru.ru_maxrss, out


def interleaved(variants, runs):
    """variants: [(name, fn() -> dict with "ms")]; one untimed warm-up each,
    then runs rounds, the order alternating. Returns {name: [dict]}."""
    for _, fn in variants:
        fn()
    res = {name: [] for name, _ in variants}
    for i in range(runs):
        for name, fn in (variants if i % 2 == 0 else variants[::-1]):
            res[name].append(fn())
    return res


def table(res, goal):
    """The rows of every variant and the static/dynamic ratios (the first
    variant is the static one)."""
    names = list(res)
    print("| what | runs | median (ms) | p90 | min | max |")
    print("|---|---:|---:|---:|---:|---:|")
    for n in names:
        ms = [r["ms"] for r in res[n]]
        print("| %s | %d | %.1f | %.1f | %.1f | %.1f |" % (n, len(ms), statistics.median(ms),
                                                          pct(ms, 90), min(ms), max(ms)))
    s, d = ([r["ms"] for r in res[n]] for n in names)
    rm, r90 = statistics.median(s) / statistics.median(d), pct(s, 90) / pct(d, 90)
    rr = statistics.median([a / b for a, b in zip(s, d)])
    print("\nstatic/dynamic: median **%.2fx**, p90 %.2fx, per-round %.2fx (goal <= %.1fx: %s)\n"
          % (rm, r90, rr, goal, "met" if rm <= goal and rr <= goal else "MISSED"))


def coldstart(static, dynamic, runs):
    print("### Cold start (%d interleaved runs each, wall ms, spawn to exit)\n" % runs)
    for args in (["version"], ["check", "--json"]):
        print("`bpfport %s`:\n" % " ".join(args))
        res = interleaved([("static (release)", lambda: {"ms": timed([static] + args)[0]}),
                           ("dynamic (development)", lambda: {"ms": timed([dynamic] + args)[0]})],
                          runs)
        table(res, 1.0)


def headers_dir(spec):
    """A Debian split header tree of the kernel cache: spec is a
    tests/kernels/fetch dir or a KVER fetched (or reused) here."""
    kdir = spec
    if not os.path.isdir(kdir):
        p = subprocess.run([os.path.join(ROOT, "tests", "kernels", "fetch"), "--prefer-cached", spec],
                           capture_output=True, text=True)
        if p.returncode:
            die("tests/kernels/fetch %s failed: %s" % (spec, p.stderr[-800:]))
        kdir = p.stdout.strip().splitlines()[-1]
    hs = sorted(glob.glob(os.path.join(kdir, "root/usr/src/linux-headers-*-amd64")))
    if not hs:
        die("no linux-headers-*-amd64 tree in %s" % kdir)
    return hs[0]


def compile_bench(static, dynamic, headers, runs, tmp):
    env = dict(os.environ, BPFPORT_ALLOW_HEADERS_MISMATCH="1")
    objs = {}

    def one(name, bpfport):
        d = tempfile.mkdtemp(dir=tmp)
        obj = os.path.join(d, "exec.bpf.o")
        ms, rss, out = timed([bpfport, "compile", "--kernel-headers", headers, "--probes", "exec",
                                  "--cache-dir", os.path.join(d, "cache"), "-o", obj], env)
        if "compiled" not in out:
            die("%s compile did not compile (cold cache): %s" % (name, out))
        with open(obj, "rb") as f:
            objs.setdefault(name, set()).add(f.read())
        shutil.rmtree(d)
        return {"ms": ms, "rss": rss}

    print("### Cold runtime compile (`compile --probes exec`, new cache dir each run, %d "
          "interleaved runs, wall ms)\n" % runs)
    print("Headers: `%s` (BPFPORT_ALLOW_HEADERS_MISMATCH=1: not this kernel's).\n" % headers)
    res = interleaved([("static bpfport-cc (release)", lambda: one("static", static)),
                       ("dynamic bpfport-cc (development)", lambda: one("dynamic", dynamic))], runs)
    table(res, 1.1)
    same = len(objs["static"]) == 1 and objs["static"] == objs["dynamic"]
    print("Objects: %s.\n" % ("the same bytes from both helpers in every run" if same else
                               "DIFFERENT (%d distinct from static, %d from dynamic)"
                               % (len(objs["static"]), len(objs["dynamic"]))))
    print("### Helper peak RSS (ru_maxrss of the compile's process tree: the helper)\n")
    print("| helper | median (MiB) | max (MiB) |")
    print("|---|---:|---:|")
    for name, rs in res.items():
        kib = [r["rss"] for r in rs]
        print("| %s | %.1f | %.1f |" % (name, statistics.median(kib) / 1024, max(kib) / 1024))
    print()


def header(tarball):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip() or "?"
    print("## bpfport release benchmark, %s\n" % datetime.date.today())
    print("kernel %s, %d x %s, bpfport %s, %s\n" % (platform.release(), os.cpu_count(), cpu, rev,
                                                    os.path.basename(tarball)))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--release", required=True, help="the release tarball")
    ap.add_argument("--dynamic", required=True, help="the development build dir")
    ap.add_argument("--runs", type=int, default=30, help="cold-start runs of each (default 30)")
    ap.add_argument("--compile-runs", type=int, default=10,
                    help="cold compile runs of each (default 10)")
    ap.add_argument("--headers-from", default="6.1",
                    help="KVER for tests/kernels/fetch, or a fetched dir (default 6.1)")
    ap.add_argument("--wait-idle", type=float, default=0, metavar="S",
                    help="wait up to S seconds for a quiet machine before each timed section "
                         "(default 0: only warn)")
    a = ap.parse_args()
    if os.geteuid():
        die("needs root (check's dry runs load BPF; the compile cache must be root's)")
    dyn_bpfport, dyn_cc = (os.path.join(a.dynamic, n) for n in ("bpfport", "bpfport-cc"))
    for f in (a.release, dyn_bpfport, dyn_cc):
        if not os.path.isfile(f):
            die("%s: no such file" % f)
    headers = headers_dir(a.headers_from)
    with tempfile.TemporaryDirectory(prefix="bpfport-relbench-") as tmp:
        subprocess.run(["tar", "-xzf", a.release, "-C", tmp], check=True)
        top = os.path.join(tmp, os.path.basename(a.release)[:-len(".tar.gz")])
        rel_bpfport = os.path.join(top, "bin", "bpfport")
        rel_cc = os.path.join(top, "libexec", "bpfport", "bpfport-cc")
        for f in (rel_bpfport, rel_cc):
            if not os.path.isfile(f):
                die("%s has no %s" % (a.release, os.path.relpath(f, tmp)))
        header(a.release)
        sizes(a.release, rel_bpfport, rel_cc, dyn_bpfport, dyn_cc, tmp)
        quiet_check("cold start", a.wait_idle)
        coldstart(rel_bpfport, dyn_bpfport, a.runs)
        quiet_check("the compiles", a.wait_idle)
        compile_bench(rel_bpfport, dyn_bpfport, headers, a.compile_runs, tmp)


if __name__ == "__main__":
    main()
