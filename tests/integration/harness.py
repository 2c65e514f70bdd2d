"""Shared helpers for the bpfport integration tests (stdlib only).

Exit codes follow CTest/automake: 0 pass, 1 fail, 77 skip. A skip is only
allowed where the machine cannot run the test (no root, no BPF); under CI
(CI set in the environment) it becomes a failure, so CI never skips.
"""
import json
import os
import platform
import select
import signal
import subprocess
import sys
import threading
import time

SKIP = 77
CI = bool(os.environ.get("CI"))
# TCG guests are slow: scale waits there
SLOW = 10.0 if os.environ.get("BPFPORT_GUEST") else 1.0


class Failure(Exception):
    pass


def context():
    return "kernel=%s" % platform.release()


def skip(reason):
    if CI:
        print("FAIL %s: cannot run under CI: %s" % (context(), reason))
        sys.exit(1)
    print("SKIP: %s" % reason)
    sys.exit(SKIP)


def require_root_bpf(mode="core"):
    if os.geteuid() != 0:
        skip("needs root (BPF load and attach)")
    if mode == "core" and not os.path.exists("/sys/kernel/btf/vmlinux"):
        skip("mode core needs native BTF: /sys/kernel/btf/vmlinux is absent")


def kprobes_available():
    if os.path.exists("/sys/bus/event_source/devices/kprobe/type"):
        return True
    for t in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(t + "/kprobe_events"):
            return True
    return False


def archive_from_native(root):
    """Lays this kernel's own BTF out as btfhub-archive does:
    <ID>/<VERSION_ID>/<arch>/<uname -r>.btf.tar.xz. Returns the relative path."""
    import io
    import tarfile
    osr = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(path):
            for line in open(path):
                k, _, v = line.strip().partition("=")
                osr[k] = v.strip('"\'')
            break
    arch = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
    rel = os.path.join(osr.get("ID", "linux"), osr.get("VERSION_ID", ""), arch,
                       platform.release() + ".btf.tar.xz")
    os.makedirs(os.path.join(root, os.path.dirname(rel)))
    data = open("/sys/kernel/btf/vmlinux", "rb").read()
    with tarfile.open(os.path.join(root, rel), "w:xz", preset=1) as t:
        info = tarfile.TarInfo(platform.release() + ".btf")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return rel


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def agent_bpf_ids(pid):
    """BPF objects held by a process, from its fds' fdinfo:
    {"prog": {ids}, "map": {ids}, "link": {ids}}. Exact even when other
    BPF users (another agent, a benchmark) run on the same host."""
    ids = {"prog": set(), "map": set(), "link": set()}
    fddir = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fddir):
        try:
            with open(os.path.join(fddir, fd)) as f:
                for line in f:
                    key, _, val = line.partition(":")
                    kind = key.strip()[:-3] if key.strip().endswith("_id") else None
                    if kind in ids:
                        ids[kind].add(int(val))
        except OSError:
            pass
    return ids


def bpf_ids_alive(ids, grace=3.0):
    """Which of these BPF object ids still exist in the kernel, allowing the
    kernel's deferred (RCU) release a moment after the process exits."""
    deadline = time.time() + grace * SLOW
    while True:
        alive = _bpf_ids_alive(ids)
        if not alive or time.time() > deadline:
            return alive
        time.sleep(0.1)


def _bpf_ids_alive(ids):
    alive = {}
    for kind, wanted in ids.items():
        if not wanted:
            continue
        out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True,
                             text=True, check=True).stdout
        now = {o["id"] for o in json.loads(out or "[]")}
        if wanted & now:
            alive[kind] = sorted(wanted & now)
    return alive


class Agent:
    """A `bpfport run` in the background, its stdout read as it comes."""

    def __init__(self, bpfport, args, env=None):
        self.cmd = [bpfport, "run"] + list(args)
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.lines = []
        self.err = []
        self.running = threading.Event()
        self.bpf_ids = None  # BPF objects it held once running
        self._t_out = threading.Thread(target=self._read_out, daemon=True)
        self._t_err = threading.Thread(target=self._read_err, daemon=True)
        self._t_out.start()
        self._t_err.start()

    def _read_out(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def _read_err(self):
        for line in self.proc.stderr:
            s = line.decode(errors="replace").rstrip("\n")
            self.err.append(s)
            if s.startswith("bpfport: running "):
                try:
                    self.bpf_ids = agent_bpf_ids(self.proc.pid)
                except OSError:
                    self.bpf_ids = None
                self.running.set()

    def wait_running(self, timeout=60):
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if self.running.wait(0.1):
                return
            if self.proc.poll() is not None:
                self._t_err.join(5)
                raise Failure("bpfport exited with %s before running: %s"
                              % (self.proc.returncode, " | ".join(self.err)))
        self.proc.kill()
        raise Failure("bpfport did not report running within %ss" % timeout)

    def stop(self, sig=signal.SIGINT, timeout=60):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("bpfport did not exit within %ss of %s"
                          % (timeout, sig.name))
        self._t_out.join(10)
        self._t_err.join(10)
        return self.proc.returncode

    def wait(self, timeout=60):
        """For runs that end by themselves (--duration)."""
        try:
            self.proc.wait(timeout * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("bpfport did not exit within %ss" % timeout)
        self._t_out.join(10)
        self._t_err.join(10)
        return self.proc.returncode

    def events(self):
        evs = []
        for raw in self.lines:
            try:
                evs.append(json.loads(raw))
            except ValueError as e:
                raise Failure("stdout line is not JSON (%s): %r" % (e, raw[:200]))
        return evs

    def summary(self):
        """The exit summary as a dict of key=value fields."""
        for s in reversed(self.err):
            if s.startswith("bpfport: done ") or s.startswith("bpfport: failed "):
                return parse_summary(s.split(" ", 2)[2])
        raise Failure("no summary line on stderr: %s" % " | ".join(self.err))


def parse_summary(text):
    out = {}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            if k in out:  # repeated keys (skipped=) become lists
                out[k] = out[k] + [v] if isinstance(out[k], list) else [out[k], v]
            else:
                out[k] = v
    return out


def run_main(fn):
    try:
        fn()
    except Failure as e:
        print("FAIL %s: %s" % (context(), e))
        sys.exit(1)
    print("PASS")
    sys.exit(0)
