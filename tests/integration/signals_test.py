#!/usr/bin/env python3
"""SIGTERM and SIGINT at each phase of `run`, `check`, `compile` and `fleet`:
the command stops at once, leaves nothing loaded, attached or pinned, removes
the kernel headers it extracted, says so in one line and dies of the signal.
A phase is held open with $BPFPORT_TEST_STALL (the library waits there until
it is interrupted); kheaders.tar.xz is a fake one under $BPFPORT_SYSROOT.
And the private dir of an extraction that was SIGKILLed is removed by the
next start, while the same name owned by another uid, a link, a file, other
names and a live process's dir are left alone."""
import argparse
import io
import os
import platform
import pwd
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

PROMPT = 3.0  # seconds from the signal to the exit


def kheaders_dirs():
    out = set()
    for base in ("/run", "/tmp"):
        try:
            out |= {os.path.join(base, n) for n in os.listdir(base)
                    if n.startswith("bpfport-kheaders-")}
        except OSError:
            pass
    return out


def fake_sysroot(root):
    """<root>/sys/kernel/kheaders.tar.xz for this kernel (a small tree plus
    filler files) and an os-release."""
    rel = platform.release()
    karch = {"x86_64": "x86", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    files = {
        "include/generated/utsrelease.h": '#define UTS_RELEASE "%s"\n' % rel,
        "arch/%s/include/generated/asm/gen.h" % karch: "\n",
        "include/generated/autoconf.h": "#define CONFIG_X86_64 1\n",
        "include/generated/uapi/linux/version.h": "#define LINUX_VERSION_CODE 393216\n",
        "include/linux/kconfig.h": "\n",
    }
    for i in range(400):
        files["include/filler/f%03d.h" % i] = "/* %d */\n" % i + "x" * 4000 + "\n"
    os.makedirs(os.path.join(root, "sys/kernel"))
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc/os-release"), "w") as f:
        f.write("ID=debian\nVERSION_ID=12\n")
    with tarfile.open(os.path.join(root, "sys/kernel/kheaders.tar.xz"), "w:xz", preset=0) as t:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))


def compiler_child(parent, pid=None):
    """The pid of parent's bpfport-cc child (or whether pid still is a
    live bpfport-cc), else None."""
    pids = [pid] if pid else []
    if parent:
        for t in os.listdir("/proc/%d/task" % parent):
            try:
                pids += [int(c) for c in open("/proc/%d/task/%s/children" % (parent, t)).read().split()]
            except OSError:
                pass
    for c in pids:
        try:
            if (os.readlink("/proc/%d/exe" % c).endswith("/bpfport-cc")
                    and open("/proc/%d/stat" % c).read().rsplit(")", 1)[1].split()[0] != "Z"):
                return c
        except OSError:
            pass
    return None


class Stalled:
    """A bpfport command held at a phase ($BPFPORT_TEST_STALL); what it held
    then (BPF object ids from its fds) and which kheaders dirs were new."""

    all = []  # to kill what a failed test leaves stalled

    def __init__(self, argv, phase, env=None):
        self.before_dirs = kheaders_dirs()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=dict(env or os.environ, BPFPORT_TEST_STALL=phase))
        Stalled.all.append(self.proc)
        self.err = []
        self.ids = None
        self.dirs = None
        self.stalled = threading.Event()
        self.out = b""
        self._t = threading.Thread(target=self._read_err, daemon=True)
        self._t.start()
        self._to = threading.Thread(target=self._read_out, daemon=True)
        self._to.start()
        if not self.stalled.wait(60 * harness.SLOW):
            self.proc.kill()
            raise harness.Failure("%s: never stalled at %s: %s" % (argv, phase, self.err))

    def _read_err(self):
        for line in self.proc.stderr:
            s = line.decode(errors="replace").rstrip("\n")
            self.err.append(s)
            if "test: stalled at " in s:
                self.ids = harness.agent_bpf_ids(self.proc.pid)
                self.dirs = kheaders_dirs() - self.before_dirs
                self.stalled.set()

    def _read_out(self):
        self.out = self.proc.stdout.read()

    def signal(self, sig):
        """Sends sig; returns (exit status, seconds it took)."""
        t0 = time.time()
        self.proc.send_signal(sig)
        try:
            self.proc.wait(30 * harness.SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise harness.Failure("no exit within 30 s of %s: %s" % (sig.name, self.err))
        self._t.join(10)
        self._to.join(10)
        return self.proc.returncode, time.time() - t0


def expect_stopped(what, s, sig, rc, took, held=None):
    check(rc == -sig, "%s: exit status %s, expected death by %s; stderr %s" % (what, rc, sig.name, s.err))
    check(took < PROMPT * harness.SLOW, "%s: exit %.1f s after %s" % (what, took, sig.name))
    check(any(("interrupted by %s: " % sig.name) in l for l in s.err),
          "%s: no 'interrupted by %s' line: %s" % (what, sig.name, s.err))
    check(not any(l.startswith("bpfport: running") for l in s.err),
          "%s: it went on running: %s" % (what, s.err))
    if held:
        check(any(s.ids[k] for k in held), "%s: held no BPF %s when stalled: %s" % (what, held, s.ids))
    left = harness.bpf_ids_alive(s.ids)
    check(not left, "%s: BPF objects left in the kernel: %s" % (what, left))
    left = [d for d in (s.dirs or ()) if os.path.lexists(d)]
    check(not left, "%s: extracted headers left: %s" % (what, left))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")
    bp = args.bpfport
    pinned = lambda: sorted(os.listdir("/sys/fs/bpf")) if os.path.isdir("/sys/fs/bpf") else []
    tmp = tempfile.mkdtemp(prefix="bpfport-test-signals-")
    decoys = []

    def body():
        before_pins = pinned()

        # run: before the load, during it, during the attach
        for phase, sig, held in (("open", signal.SIGTERM, ["map"]),
                                 ("load", signal.SIGTERM, ["prog"]),
                                 ("load", signal.SIGINT, ["prog"]),
                                 ("attach", signal.SIGTERM, ["link"])):
            s = Stalled([bp, "run", "--probes", "exec,open"], phase)
            rc, took = s.signal(sig)
            expect_stopped("run at %s, %s" % (phase, sig.name), s, sig, rc, took, held)
            check(not s.out, "run at %s: printed events: %r" % (phase, s.out[:200]))

        # check: during its dry-run load
        s = Stalled([bp, "check", "--probes", "exec,open"], "load")
        rc, took = s.signal(signal.SIGTERM)
        expect_stopped("check during its dry-run load", s, signal.SIGTERM, rc, took, ["prog"])
        check(not s.out, "check: printed a report: %r" % s.out[:300])

        # the kernel headers run, check and compile extract
        sysroot = os.path.join(tmp, "root")
        fake_sysroot(sysroot)
        env = dict(os.environ, BPFPORT_SYSROOT=sysroot)
        out = os.path.join(tmp, "out.o")
        for what, argv in (("run --mode runtime", [bp, "run", "--mode", "runtime"]),
                           ("check", [bp, "check", "--probes", "exec"]),
                           ("compile", [bp, "compile", "--probes", "exec", "-o", out])):
            s = Stalled(argv, "extract", env)
            check(len(s.dirs) == 1, "%s: stalled extracting, but new dirs %s" % (what, s.dirs))
            rc, took = s.signal(signal.SIGTERM)
            expect_stopped("%s while extracting" % what, s, signal.SIGTERM, rc, took)
            check(not s.out, "%s: printed %r" % (what, s.out[:300]))
        check(not os.path.exists(out), "compile: %s written" % out)

        # compile while the compiler helper runs (it sleeps: test hook):
        # the helper is killed, the headers removed, nothing written
        before = kheaders_dirs()
        proc = subprocess.Popen([bp, "compile", "--probes", "exec", "-o", out],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=dict(env, BPFPORT_RTC_TEST_HOOK="sleep"))
        Stalled.all.append(proc)
        helper = None
        for _ in range(int(600 * harness.SLOW)):
            helper = compiler_child(proc.pid)
            if helper or proc.poll() is not None:
                break
            time.sleep(0.1)
        check(helper, "compile: no bpfport-cc child appeared (exit %s)" % proc.poll())
        dirs = kheaders_dirs() - before
        t0 = time.time()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30 * harness.SLOW)
        took = time.time() - t0
        err = err.decode(errors="replace")
        check(proc.returncode == -signal.SIGTERM and took < PROMPT * harness.SLOW,
              "compile while compiling: status %s %.1f s after SIGTERM: %s" % (proc.returncode, took, err))
        check("interrupted by SIGTERM: " in err, "compile while compiling: no interrupted line: %r" % err)
        check(not os.path.exists("/proc/%d" % helper) or compiler_child(None, helper) is None,
              "compile while compiling: the helper %d outlived it" % helper)
        check(not any(os.path.lexists(d) for d in dirs), "compile while compiling: headers left %s" % dirs)
        check(not os.path.exists(out), "compile while compiling: %s written" % out)

        # fleet: a dry-run load per kernel, stopped during the first
        arch = os.path.join(tmp, "archive")
        for v in ("20.04", "22.04"):
            d = os.path.join(arch, "ubuntu", v, platform.machine())
            os.makedirs(d)
            shutil.copyfile(harness.NATIVE_BTF, os.path.join(d, platform.release() + ".btf"))
        s = Stalled([bp, "fleet", "-v", "--probes", "exec,open", arch], "load")
        rc, took = s.signal(signal.SIGTERM)
        expect_stopped("fleet during a load", s, signal.SIGTERM, rc, took, ["prog"])
        check(b"ubuntu/" not in s.out, "fleet: went on to print rows: %r" % s.out)

        # a SIGKILLed extraction leaves its dir; the next start removes it,
        # and nothing else: a live extraction's dir, the same name owned by
        # another uid, a link to a dir, a file, and names not ours
        live = Stalled([bp, "compile", "--probes", "exec", "-o", out], "extract", env)
        base = os.path.dirname(next(iter(live.dirs)))
        nobody = pwd.getpwnam("nobody")
        target = tempfile.mkdtemp(prefix="bpfport-test-target-")
        for name, make in (("bpfport-kheaders-N0b0dy", "nobody"), ("bpfport-kheaders-L1nk00", "link"),
                           ("bpfport-kheaders-F1le00", "file"), ("bpfport-kheaders-toolong", "dir"),
                           ("bpfport-kheaders-ab", "dir"), ("bpfport-kheadersXabc12", "dir"),
                           ("bpfport-kheaders-ab.c12", "dir")):
            p = os.path.join(base, name)
            decoys.append(p)
            if make == "link":
                os.symlink(target, p)
            elif make == "file":
                open(p, "w").close()
            else:
                os.mkdir(p, 0o700)
                if make == "nobody":
                    os.chown(p, nobody.pw_uid, nobody.pw_gid)
        s = Stalled([bp, "compile", "--probes", "exec", "-o", out], "extract", env)
        killed = s.dirs
        s.signal(signal.SIGKILL)
        check(len(killed) == 1 and all(os.path.isdir(d) for d in killed),
              "SIGKILL while extracting: no dir left to reap (%s): the test needs one" % killed)
        p = subprocess.run([bp, "check", "--probes", "exec"], capture_output=True, text=True,
                           timeout=300 * harness.SLOW)
        check(not any(os.path.lexists(d) for d in killed),
              "the next start left the killed extraction's dir %s: %s" % (killed, p.stderr[-500:]))
        check("removing %s: kernel headers a bpfport that was killed extracted" % next(iter(killed))
              in p.stderr, "the next start did not say what it removed: %r" % p.stderr[-500:])
        kept = [d for d in decoys if not os.path.lexists(d)]
        check(not kept, "the next start removed what is not its own: %s" % kept)
        check(os.path.isdir(target), "the next start removed a link's target")
        check(all(os.path.isdir(d) for d in live.dirs), "the next start removed a live extraction's dir")
        rc, took = live.signal(signal.SIGTERM)
        expect_stopped("compile while extracting (the live one)", live, signal.SIGTERM, rc, took)
        os.rmdir(target)

        check(pinned() == before_pins, "bpffs changed: %s -> %s" % (before_pins, pinned()))

    try:
        harness.run_main(body)
    finally:
        for proc in Stalled.all:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for d in decoys:
            if os.path.islink(d) or os.path.isfile(d):
                os.unlink(d)
            elif os.path.isdir(d):
                os.rmdir(d)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
