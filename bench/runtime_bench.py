#!/usr/bin/env python3
"""Runtime compilation benchmark (issue "Runtime compilation"). Runs INSIDE one
kernel VM, as root, with that kernel's headers installed:

  tests/kernels/vm-run 6.1 --timeout 2400 -- /usr/bin/python3 bench/runtime_bench.py --bpfport build/bpfport

1. cold: `bpfport run --mode runtime --probes exec --duration 0` with native BTF
   hidden, no BTF archive and a new, empty cache dir per run (compile + load +
   attach + detach) vs BCC (python3-bpfcc) compiling, loading and attaching the
   equivalent program (the BCC_PROG below; this file is that BCC tool when run
   with --bcc-child), interleaved. Goal: ours <= 0.4x BCC.
2. warm: the same runtime run with one warm cache dir vs `bpfport run --mode
   core --probes exec --duration 0` (native BTF), interleaved. Goal: <= 1.2x.
3. RSS: the agent's VmRSS while it runs (--duration 5, after "bpfport: running"),
   that /proc/PID/maps holds no libLLVM/libclang, and the compile child's peak
   RSS (`-v` prints it). Goal: agent <= 16 MiB.

Every timing is wall time from spawn to exit ("total") and from spawn to the
line printed once everything is attached ("to ready": `bpfport: running`, and
`bcc: running` from the BCC child). The round's order alternates; one untimed
warm-up of each comes first. Prints markdown on stdout, progress on stderr.
Python 3 stdlib only (plus python3-bpfcc for the BCC side).
"""
import sys

# The BCC side: the same hooks and reads as bpf/exec/exec.bpf.c (the event layout
# of bpf/exec/exec.h, a per-CPU scratch event, a 4 MiB ring buffer).
BCC_PROG = r"""
#include <linux/sched.h>

struct ev_t {
	u16 type;
	u16 size;
	u32 pid;
	u64 ts_ns;
	u32 ppid;
	u32 uid;
	s32 exit_code;
	u32 signal;
	u64 lifetime_ns;
	char comm[16];
	char filename[256];
};

BPF_PERCPU_ARRAY(heap, struct ev_t, 1);
BPF_RINGBUF_OUTPUT(events, 1024);

static __always_inline struct ev_t *ev_init(u16 type, struct task_struct *task, u32 pid)
{
	int zero = 0;
	struct ev_t *ev = heap.lookup(&zero);
	struct task_struct *parent = NULL;
	u32 ppid = 0;

	if (!ev)
		return NULL;
	ev->type = type;
	ev->size = sizeof(*ev);
	ev->pid = pid;
	ev->ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel(&parent, sizeof(parent), &task->real_parent);
	if (parent)
		bpf_probe_read_kernel(&ppid, sizeof(ppid), &parent->tgid);
	ev->ppid = ppid;
	ev->uid = (u32)bpf_get_current_uid_gid();
	ev->exit_code = 0;
	ev->signal = 0;
	ev->lifetime_ns = 0;
	ev->filename[0] = '\0';
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

TRACEPOINT_PROBE(sched, sched_process_exec)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct ev_t *ev = ev_init(1, task, bpf_get_current_pid_tgid() >> 32);

	if (!ev)
		return 0;
	TP_DATA_LOC_READ_STR(ev->filename, filename, sizeof(ev->filename));
	events.ringbuf_output(ev, sizeof(*ev), 0);
	return 0;
}

TRACEPOINT_PROBE(sched, sched_process_fork)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 id = bpf_get_current_pid_tgid();
	struct ev_t *ev = ev_init(2, task, args->child_pid);

	if (!ev)
		return 0;
	ev->ppid = id >> 32;
	events.ringbuf_output(ev, sizeof(*ev), 0);
	return 0;
}

TRACEPOINT_PROBE(sched, sched_process_exit)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	u64 id = bpf_get_current_pid_tgid();
	u64 start = 0;
	int code = 0;
	struct ev_t *ev;

	if ((u32)id != (u32)(id >> 32))
		return 0;
	ev = ev_init(3, task, id >> 32);
	if (!ev)
		return 0;
	bpf_probe_read_kernel(&code, sizeof(code), &task->exit_code);
	bpf_probe_read_kernel(&start, sizeof(start), &task->start_time);
	ev->exit_code = (code >> 8) & 0xff;
	ev->signal = code & 0x7f;
	ev->lifetime_ns = bpf_ktime_get_ns() - start;
	events.ringbuf_output(ev, sizeof(*ev), 0);
	return 0;
}
"""


def bcc_child(check):
    """The BCC tool: compile + load + attach, say so, consume once, detach, exit.
    With check: run /bin/true while attached and require its exec/fork/exit."""
    import time
    t0 = time.monotonic()
    from bcc import BPF
    t1 = time.monotonic()
    b = BPF(text=BCC_PROG)  # compiles, loads, attaches the TRACEPOINT_PROBEs
    seen = {}

    def on_event(ctx, data, size):
        ev = b["events"].event(data)
        seen.setdefault(ev.type, []).append((ev.pid, ev.ppid, ev.comm, ev.filename, ev.exit_code))

    b["events"].open_ring_buffer(on_event)
    t2 = time.monotonic()
    rss = hwm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    llvm = False
    with open("/proc/self/maps") as f:
        llvm = any("libLLVM" in l or "libclang" in l for l in f)
    sys.stderr.write("bcc: running import_ms=%.1f compile_attach_ms=%.1f rss_kib=%d hwm_kib=%d llvm_mapped=%d\n"
                     % ((t1 - t0) * 1000, (t2 - t1) * 1000, rss, hwm, int(llvm)))
    sys.stderr.flush()
    if check:
        import subprocess
        p = subprocess.Popen(["/bin/true"])
        p.wait()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
                any(e[0] == p.pid for e in seen.get(t, [])) for t in (1, 2, 3)):
            b.ring_buffer_poll(200)
        mine = {t: [e for e in seen.get(t, []) if e[0] == p.pid] for t in (1, 2, 3)}
        ok = all(mine.values()) and mine[1][0][3] == b"/bin/true" and mine[2][0][1] == os_getpid()
        sys.stderr.write("bcc: check %s exec=%s fork=%s exit=%s\n" % (
            "ok" if ok else "FAILED", mine[1][:1], mine[2][:1], mine[3][:1]))
        if not ok:
            sys.exit(1)
    else:
        b.ring_buffer_consume()
    b.cleanup()  # detach + unload, as `bpfport run --duration 0` does


def os_getpid():
    import os
    return os.getpid()


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--bcc-child":
    bcc_child("--check" in sys.argv[2:])
    sys.exit(0)

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

HERE = os.path.abspath(__file__)
T_START = time.monotonic()


def log(msg):
    sys.stderr.write("[%6.0f s] %s\n" % (time.monotonic() - T_START, msg))
    sys.stderr.flush()


def one(cmd, env, marker, rss_probe=False):
    """Spawn cmd, return dict(total, ready (ms), lines (stderr), and with
    rss_probe the agent's VmRSS/VmHWM/maps right after the ready line)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    ready = None
    lines = []
    r = {}
    for line in p.stderr:
        lines.append(line.rstrip("\n"))
        if ready is None and line.startswith(marker):
            ready = (time.monotonic() - t0) * 1000
            if rss_probe:
                r.update(proc_mem(p.pid))
    p.wait()
    total = (time.monotonic() - t0) * 1000
    if p.returncode != 0 or ready is None:
        raise SystemExit("bench: %s failed (exit %d):\n  %s" % (" ".join(cmd), p.returncode,
                                                                "\n  ".join(lines[-15:])))
    r.update(total=total, ready=ready, lines=lines)
    return r


def proc_mem(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                st[k] = int(v.split()[0])
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    libs = sorted({l.split()[-1] for l in maps.splitlines()
                   if re.search(r"libLLVM|libclang|librtc_llvm", l)})
    st["llvm_libs"] = libs
    return st


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def row(name, rs):
    t = [r["total"] for r in rs]
    d = [r["ready"] for r in rs]
    return "| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |" % (
        name, len(rs), statistics.median(t), pct(t, 0.9), min(t), max(t),
        statistics.median(d), pct(d, 0.9))


HDR = ("| what | runs | total median (ms) | total p90 | total min | total max | to ready median (ms) | to ready p90 |\n"
       "|---|---:|---:|---:|---:|---:|---:|---:|")


def ratio_line(a_name, a, b_name, b, goal):
    """Ratios of the medians, and the median of the per-round ratios (the two
    runs of a round are adjacent in time, so they share the host's load)."""
    def med(rs, k):
        return statistics.median([r[k] for r in rs])
    rt = med(a, "total") / med(b, "total")
    rd = med(a, "ready") / med(b, "ready")
    rt90 = pct([r["total"] for r in a], .9) / pct([r["total"] for r in b], .9)
    pt = statistics.median([x["total"] / y["total"] for x, y in zip(a, b)])
    pd = statistics.median([x["ready"] / y["ready"] for x, y in zip(a, b)])
    return ("%s/%s: total median **%.3fx** (p90 %.3fx; per-round ratio median %.3fx), to ready median "
            "**%.3fx** (per-round %.3fx); goal <= %.1fx: total %s, to ready %s" % (
                a_name, b_name, rt, rt90, pt, rd, pd, goal,
                "met" if rt <= goal else "NOT met", "met" if rd <= goal else "NOT met"))


def until(done, runs_min, runs_max, budget, t_first):
    """Another round? At least runs_min, at most runs_max, and no round
    started that would end past budget seconds (estimated from the rounds so far)."""
    if done < runs_min:
        return True
    if done >= runs_max:
        return False
    per = (time.monotonic() - t_first) / done
    return time.monotonic() - t_first + per <= budget


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--python", default="/usr/bin/python3", help="the python that has bcc")
    ap.add_argument("--cold-runs", type=int, default=5, help="section 1: at least N runs of each")
    ap.add_argument("--cold-max", type=int, default=18)
    ap.add_argument("--cold-budget", type=float, default=720, help="section 1: seconds for the timed rounds")
    ap.add_argument("--warm-runs", type=int, default=10, help="section 2: at least N runs of each")
    ap.add_argument("--warm-max", type=int, default=30)
    ap.add_argument("--warm-budget", type=float, default=180)
    ap.add_argument("--only", default="1,2,3")
    a = ap.parse_args()
    only = set(a.only.split(","))
    bp = os.path.abspath(a.bpfport)
    rel = os.uname().release
    tmp = tempfile.mkdtemp(prefix="rtbench-", dir="/tmp")
    hidden = dict(os.environ, BPFPORT_HIDE_NATIVE_BTF="1", BPFPORT_BTF_ARCHIVE="/nonexistent")
    core_env = {k: v for k, v in os.environ.items()
                if k not in ("BPFPORT_HIDE_NATIVE_BTF", "BPFPORT_BTF_ARCHIVE", "BPFPORT_CACHE_DIR",
                             "BPFPORT_NATIVE_BTF", "BPFPORT_BTF")}
    base = [bp, "run", "--probes", "exec", "--duration", "0"]
    n_dirs = [0]

    def fresh_dir():
        n_dirs[0] += 1
        d = os.path.join(tmp, "cold-%d" % n_dirs[0])
        os.mkdir(d, 0o700)
        return d

    def ours_cold(extra=()):
        d = fresh_dir()
        try:
            return one(base + ["--mode", "runtime"] + list(extra),
                       dict(hidden, BPFPORT_CACHE_DIR=d), "bpfport: running ")
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def bcc(check=False):
        r = one([a.python, HERE, "--bcc-child"] + (["--check"] if check else []),
                dict(os.environ), "bcc: running ")
        m = re.search(r"import_ms=([\d.]+) compile_attach_ms=([\d.]+) rss_kib=(\d+) hwm_kib=(\d+) llvm_mapped=(\d)",
                      "\n".join(r["lines"]))
        r.update(imp=float(m.group(1)), compile=float(m.group(2)), rss=int(m.group(3)),
                 hwm=int(m.group(4)), llvm=int(m.group(5)))
        return r

    def compiled_line(lines):
        for l in lines:
            m = re.search(r"runtime: compiled (\S+) against (\S+) in ([\d.]+) s \(child peak RSS (\d+) MiB[^)]*\)", l)
            if m:
                return m
        return None

    out = []
    log("kernel %s, bpfport %s, %s" % (rel, bp, subprocess.run([bp, "version"], capture_output=True,
                                                                 text=True).stdout.replace("\n", "; ")))
    out.append("Kernel %s (`uname -r` in the guest), %d vCPU; bpfport `%s`; BCC %s (%s)." % (
        rel, os.cpu_count(), a.bpfport, bcc_version(a.python), a.python))

    if "1" in only:
        log("section 1: warm-up (untimed): ours cold with -v, BCC with an event check")
        w = ours_cold(["-v"])
        m = compiled_line(w["lines"])
        log("  ours warm-up: total %.0f ms, ready %.0f ms; %s" % (w["total"], w["ready"], m.group(0) if m else "?"))
        wb = bcc(check=True)
        log("  bcc warm-up: total %.0f ms, ready %.0f ms; %s" % (
            wb["total"], wb["ready"], [l for l in wb["lines"] if l.startswith("bcc: ")]))
        res = {"ours": [], "bcc": []}
        t_first = time.monotonic()
        i = 0
        while until(i, a.cold_runs, a.cold_max, a.cold_budget, t_first):
            order = ["ours", "bcc"] if i % 2 == 0 else ["bcc", "ours"]
            for n in order:
                r = ours_cold() if n == "ours" else bcc()
                res[n].append(r)
                log("  round %d %s: total %.0f ms, ready %.0f ms%s" % (
                    i + 1, n, r["total"], r["ready"],
                    ", bcc import %.0f ms compile+attach %.0f ms" % (r["imp"], r["compile"]) if n == "bcc" else ""))
            i += 1
        out.append("")
        out.append("### 1. Cold: runtime compile + load + attach vs BCC (new cache dir every run)")
        out.append("")
        out.append(HDR)
        out.append(row("bpfport --mode runtime, cold cache", res["ours"]))
        out.append(row("BCC (python3-bpfcc), same hooks", res["bcc"]))
        out.append("")
        out.append(ratio_line("ours", res["ours"], "BCC", res["bcc"], 0.4))
        bi = [r["imp"] for r in res["bcc"]]
        bc = [r["compile"] for r in res["bcc"]]
        out.append("")
        out.append("BCC's own phases (median): `import bcc` %.0f ms, `BPF(text=...)` (compile + load + attach) "
                   "%.0f ms; BCC's RSS after attach %.1f MiB (peak %.1f MiB), LLVM mapped: %s. "
                   "Ours (warm-up run, `-v`): `%s`." % (
                       statistics.median(bi), statistics.median(bc),
                       statistics.median([r["rss"] for r in res["bcc"]]) / 1024,
                       max(r["hwm"] for r in res["bcc"]) / 1024,
                       "yes" if all(r["llvm"] for r in res["bcc"]) else "no",
                       m.group(0) if m else "no compile line"))

    if "2" in only:
        log("section 2: warm cache vs CO-RE")
        warm = os.path.join(tmp, "warm")
        os.mkdir(warm, 0o700)
        wenv = dict(hidden, BPFPORT_CACHE_DIR=warm)
        cmd_rt = base + ["--mode", "runtime"]
        cmd_core = base + ["--mode", "core"]
        first = one(cmd_rt + ["-v"], wenv, "bpfport: running ")  # fills the cache (untimed)
        if not compiled_line(first["lines"]):
            raise SystemExit("bench: the first warm-dir run did not compile")
        res = {"rt": [], "core": []}
        for n in ("rt", "core"):  # warm-up, untimed
            r = one(cmd_rt if n == "rt" else cmd_core, wenv if n == "rt" else core_env, "bpfport: running ")
            done = [l for l in r["lines"] if l.startswith("bpfport: done")]
            log("  warm-up %s: total %.0f ms, ready %.0f ms; %s" % (n, r["total"], r["ready"], done))
            if n == "rt" and "cache=hit" not in (done[0] if done else ""):
                raise SystemExit("bench: warm runtime run was not a cache hit: %s" % done)
            if n == "core" and "mode=core " not in (done[0] if done else ""):
                raise SystemExit("bench: core run did not use mode core: %s" % done)
        t_first = time.monotonic()
        i = 0
        while until(i, a.warm_runs, a.warm_max, a.warm_budget, t_first):
            order = ["rt", "core"] if i % 2 == 0 else ["core", "rt"]
            for n in order:
                r = one(cmd_rt if n == "rt" else cmd_core, wenv if n == "rt" else core_env, "bpfport: running ")
                res[n].append(r)
            log("  round %d: rt total %.0f ready %.0f | core total %.0f ready %.0f" % (
                i + 1, res["rt"][-1]["total"], res["rt"][-1]["ready"],
                res["core"][-1]["total"], res["core"][-1]["ready"]))
            i += 1
        out.append("")
        out.append("### 2. Warm: runtime from the cache vs CO-RE (native BTF)")
        out.append("")
        out.append(HDR)
        out.append(row("bpfport --mode runtime, warm cache (cache=hit)", res["rt"]))
        out.append(row("bpfport --mode core", res["core"]))
        out.append("")
        out.append(ratio_line("runtime-cached", res["rt"], "core", res["core"], 1.2))

    if "3" in only:
        log("section 3: RSS")
        out.append("")
        out.append("### 3. Memory (runtime mode, `--duration 5`, read after `bpfport: running`)")
        out.append("")
        out.append("| run | agent VmRSS (MiB) | agent VmHWM (MiB) | RssAnon / RssFile (MiB) | LLVM/libclang in agent maps | compile child peak RSS | compile time |")
        out.append("|---|---:|---:|---:|---|---:|---:|")
        ok = True
        d = fresh_dir()
        cold = one(base[:-2] + ["--duration", "5", "--mode", "runtime", "-v"],
                   dict(hidden, BPFPORT_CACHE_DIR=d), "bpfport: running ", rss_probe=True)
        warm = one(base[:-2] + ["--duration", "5", "--mode", "runtime"],
                   dict(hidden, BPFPORT_CACHE_DIR=d), "bpfport: running ", rss_probe=True)
        shutil.rmtree(d, ignore_errors=True)
        for name, r in (("cold cache (compiled, `-v`)", cold), ("warm cache", warm)):
            m = compiled_line(r["lines"])
            out.append("| %s | %.1f | %.1f | %.1f / %.1f | %s | %s | %s |" % (
                name, r["VmRSS"] / 1024, r["VmHWM"] / 1024, r["RssAnon"] / 1024, r["RssFile"] / 1024,
                ", ".join(r["llvm_libs"]) or "none",
                "%s MiB" % m.group(4) if m else "-", "%s s" % m.group(3) if m else "-"))
            ok = ok and r["VmRSS"] <= 16 * 1024 and not r["llvm_libs"]
        out.append("")
        out.append("Goal (agent RSS <= 16 MiB, LLVM never mapped in the agent): %s." % ("met" if ok else "NOT met"))

    shutil.rmtree(tmp, ignore_errors=True)
    out.append("")
    out.append("Elapsed in the guest: %.0f s." % (time.monotonic() - T_START))
    print("\n".join(out))
    sys.stdout.flush()


def bcc_version(py):
    p = subprocess.run([py, "-c", "import bcc.version as v; print(v.__version__)"], capture_output=True, text=True)
    return p.stdout.strip() or "?"


if __name__ == "__main__":
    main()
