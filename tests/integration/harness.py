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


_context = []
_kernel = []


def set_context(label, kernel=None):
    """Words added to every FAIL/SKIP line after kernel= (e.g. mode, output),
    and the kernel it names when not this one (a guest's, checked here)."""
    _context[:] = [label]
    _kernel[:] = [kernel] if kernel else []


def context():
    return " ".join(["kernel=%s" % (_kernel or [platform.release()])[0]] + _context)


def skip(reason):
    if CI:
        print("FAIL %s: cannot run under CI: %s" % (context(), reason))
        sys.exit(1)
    print("SKIP: %s [%s]" % (reason, context()))
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


NATIVE_BTF = "/sys/kernel/btf/vmlinux"


def kernel_version(release=None):
    """(major, minor) of a release string like 5.4.286 or 6.1.0-56-amd64."""
    import re
    m = re.match(r"(\d+)\.(\d+)", release or platform.release())
    if not m:
        raise Failure("cannot parse the kernel release %r" % (release or platform.release()))
    return int(m.group(1)), int(m.group(2))


def kernel_has_ringbuf(release=None):
    """BPF ring buffer: mainline 5.8. From the version alone (this kernel's,
    or release's), independent of bpfport's own feature probe (distro
    backports, e.g. RHEL 8.x 4.18, would need a table here)."""
    return kernel_version(release) >= (5, 8)


def kernel_btf_source():
    """Where this kernel's own BTF can be had, for serving it through a
    btfhub-archive tree: $BPFPORT_KERNEL_BTF (set by the kernel matrix for
    guests without native BTF: a btfhub .btf.tar.xz or a raw .btf), else the
    native /sys/kernel/btf/vmlinux, else None."""
    env = os.environ.get("BPFPORT_KERNEL_BTF")
    if env:
        if not os.path.isfile(env):
            raise Failure("BPFPORT_KERNEL_BTF=%s: no such file" % env)
        return env
    if os.path.exists(NATIVE_BTF):
        return NATIVE_BTF
    return None


def kernel_headers_dir():
    """The kernel headers bpfport must find for the running kernel, decided
    here without bpfport: /lib/modules/R/build resolved (Debian: the
    linux-headers-R tree; RHEL: /usr/src/kernels/R), else the other places
    the distros use; only a configured tree of this release counts. None
    when there is none."""
    r = platform.release()
    for d in ("/lib/modules/%s/build" % r, "/lib/modules/%s/source" % r,
              "/usr/src/linux-headers-%s" % r, "/usr/src/kernels/%s" % r):
        try:
            text = open(os.path.join(d, "include/generated/utsrelease.h")).read()
        except OSError:
            continue
        if '"%s"' % r in text:
            return os.path.realpath(d)
    return None


def ksym_exists(name):
    with open("/proc/kallsyms") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[2] == name:
                return True
    return False


def archive_from_native(root):
    """Lays this kernel's own native BTF out as btfhub-archive does."""
    return archive_from_btf(root, NATIVE_BTF)


def archive_from_btf(root, btf):
    """Lays a BTF for this kernel out as btfhub-archive does:
    <ID>/<VERSION_ID>/<arch>/<uname -r>.btf.tar.xz under root. btf is the
    native /sys/kernel/btf/vmlinux or a raw .btf (packed into a one-member
    tarball), or a btfhub .btf.tar.xz (copied as it is: btfhub's own
    tarball). Returns the path relative to root."""
    import io
    import shutil
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
    if btf.endswith(".tar.xz"):
        shutil.copyfile(btf, os.path.join(root, rel))
        return rel
    data = open(btf, "rb").read()
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
        return parse_events(self.lines)

    def summary(self):
        return summary_of(self.err)


def parse_events(lines):
    """`run --format json` output lines (str or bytes) as a list of events."""
    evs = []
    for n, raw in enumerate(lines):
        try:
            evs.append(json.loads(raw))
        except ValueError as e:
            raise Failure("stdout line %d of %d is not JSON (%s): %r"
                          % (n + 1, len(lines), e, raw[:200]))
    return evs


def summary_of(err):
    """The exit summary in `run`'s stderr lines, as a dict of key=value fields."""
    for s in reversed(err):
        if s.startswith("bpfport: done ") or s.startswith("bpfport: failed "):
            return parse_summary(s.split(" ", 2)[2])
    raise Failure("no summary line on stderr: %s" % " | ".join(err))


def skipped(summary):
    """The summary's skipped= steps as a list ("MODE/SOURCE:REASON")."""
    v = summary.get("skipped", [])
    return v if isinstance(v, list) else [v]


def run_check_json(bpfport, args=(), env=None, timeout=300, report=None):
    """`bpfport check --json ARGS`: (exit status, document). With a report
    name and $BPFPORT_TEST_REPORTS (a directory: the kernel matrix keeps
    its guests' reports there, for `bpfport fleet --reports`), the document
    is saved there too, as REPORT.json."""
    p = subprocess.run([bpfport, "check", "--json"] + list(args), capture_output=True,
                       text=True, env=env, timeout=timeout * SLOW)
    if report and os.environ.get("BPFPORT_TEST_REPORTS"):
        with open(os.path.join(os.environ["BPFPORT_TEST_REPORTS"], report + ".json"), "w") as f:
            f.write(p.stdout)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        raise Failure("check --json printed no JSON document (exit %d): %r / %r"
                      % (p.returncode, p.stdout[:300], p.stderr[-300:]))


def run_failing(bpfport, args, env=None, timeout=300, what="run"):
    """A `bpfport run ARGS` that must fail: exit 1 and one `bpfport: error:`
    line. Returns (error line, failed-summary dict or None: a run that
    fails before any mode loads prints no summary)."""
    p = subprocess.run([bpfport, "run"] + list(args), capture_output=True, text=True,
                       env=env, timeout=timeout * SLOW)
    lines = p.stderr.splitlines()
    errs = [l for l in lines if l.startswith("bpfport: error:")]
    check(p.returncode == 1 and len(errs) == 1,
          "%s: expected exit 1 and one 'bpfport: error:' line, got exit %d, stderr %r"
          % (what, p.returncode, p.stderr[-1000:]))
    check(not any(l.startswith(("bpfport: running ", "bpfport: done ")) for l in lines),
          "%s: a failed run said running/done: %r" % (what, p.stderr[-1000:]))
    check(not p.stdout, "%s: a failed run printed events: %r" % (what, p.stdout[:300]))
    summ = [l for l in lines if l.startswith("bpfport: failed ")]
    return errs[0], parse_summary(summ[-1].split(" ", 2)[2]) if summ else None


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
