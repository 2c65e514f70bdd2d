#!/usr/bin/env python3
"""Bad input and clean exits: each a clear one-line error, the right exit
status, and nothing left loaded or pinned in the kernel."""
import argparse
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402


def run(cmd, user=None, env=None, timeout=120):
    pre = None
    if user:
        pw = pwd.getpwnam(user)

        def pre():
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
    return subprocess.run(cmd, capture_output=True, text=True, preexec_fn=pre,
                          env=env, timeout=timeout * harness.SLOW)


def one_error_line(p, what, words):
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    errs = [l for l in lines if l.startswith("bpfport: error: ")]
    check(len(errs) == 1, "%s: expected one 'bpfport: error:' line, stderr %r" % (what, p.stderr))
    for w in words:
        check(w in errs[0], "%s: %r not in %r" % (what, w, errs[0]))


def pinned():
    return sorted(os.listdir("/sys/fs/bpf")) if os.path.isdir("/sys/fs/bpf") else []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")
    bp = args.bpfport
    # nobody must be able to reach the binary: copy it somewhere world-readable
    tmpbin = "/tmp/bpfport-cli-test-%d" % os.getpid()
    shutil.copy(bp, tmpbin)
    os.chmod(tmpbin, 0o755)

    def body():
        before_pins = pinned()
        # usage errors: exit 2
        for argv, words in ((["run", "--probes", "exec,bogus"], ["unknown probe 'bogus'", "exec,open,tcp,oom"]),
                            (["run", "--duration", "abc"], ["bad --duration 'abc'"]),
                            (["run", "--duration", "-5"], ["bad --duration '-5'"]),
                            (["run", "--output", "pipe"], ["bad --output 'pipe'"]),
                            (["run", "--mode", "magic"], ["bad --mode 'magic'"]),
                            (["run", "--nope"], ["unknown option '--nope'"]),
                            (["frobnicate"], ["unknown command 'frobnicate'"]),
                            (["check", "--probes", "bogus"], ["unknown probe 'bogus'"])):
            p = run([bp] + argv)
            check(p.returncode == 2, "%s: exit %d, expected 2" % (argv, p.returncode))
            one_error_line(p, " ".join(argv), words)
            check(p.stdout == "", "%s: stdout not empty: %r" % (argv, p.stdout))
        # version: plain and JSON (the build's features, like bpftool version -j)
        p = run([bp, "version", "--json"])
        doc = json.loads(p.stdout)
        check(p.returncode == 0 and doc["modes"] == ["core", "core-btfhub", "runtime"]
              and isinstance(doc["runtime_compiler"], bool) and doc["version"],
              "version --json: %d %r" % (p.returncode, p.stdout))
        p = run([bp, "version"])
        check(p.returncode == 0 and p.stdout.startswith("bpfport " + doc["version"]),
              "version: %r" % p.stdout)
        p = run([bp, "check", "--json", "--probes", "bogus"])
        check(p.returncode == 2, "check --json bad probe: exit %d" % p.returncode)
        doc = json.loads(p.stdout)
        check(list(doc) == ["error"] and "unknown probe 'bogus'" in doc["error"],
              "check --json error document: %r" % p.stdout)

        # no privilege: run refuses in one line naming what is missing
        p = run([tmpbin, "run", "--duration", "1"], user="nobody")
        check(p.returncode == 1, "run as nobody: exit %d" % p.returncode)
        one_error_line(p, "run as nobody", ["need root or CAP_BPF and CAP_PERFMON", "setcap"])
        p = run([tmpbin, "check", "--json"], user="nobody")
        doc = json.loads(p.stdout)
        check(p.returncode == 1 and doc["verdict"]["reason"] == "no-privilege"
              and not doc["privileges"]["ok"] and "CAP_BPF" in doc["privileges"]["error"],
              "check as nobody: exit %d %s" % (p.returncode, doc.get("verdict")))

        # SIGTERM and SIGINT detach cleanly; SIGKILL leaves nothing either
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            agent = harness.Agent(bp, [])
            agent.wait_running(timeout=120)
            check(agent.bpf_ids and len(agent.bpf_ids["prog"]) >= 6,
                  "programs not loaded while running: %s" % agent.bpf_ids)
            rc = agent.stop(sig)
            if sig != signal.SIGKILL:
                check(rc == 0, "%s: exit %d" % (sig.name, rc))
                check(agent.summary().get("attached", "").startswith("exec,open,tcp"),
                      "%s: summary %s" % (sig.name, agent.err[-1:]))
            left = harness.bpf_ids_alive(agent.bpf_ids)
            check(not left, "%s: BPF objects still in the kernel: %s" % (sig.name, left))
        check(pinned() == before_pins, "bpffs changed: %s -> %s" % (before_pins, pinned()))

        # SIGINT while stdout is a full pipe (a slow reader): the write in
        # progress is finished, never cut, so every line stays one JSON object
        bad = []
        for it in range(3):
            p = subprocess.Popen([bp, "run", "--probes", "open"], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            while True:
                line = p.stderr.readline().decode()
                if not line or line.startswith("bpfport: running"):
                    break
            for i in range(3000):	# ~400 KB of events: the 64 KB pipe fills
                try:
                    os.close(os.open("/nonexistent-bpfport-sigint-%d" % i, os.O_RDONLY))
                except OSError:
                    pass
            time.sleep(0.3 * harness.SLOW)	# the agent is now blocked writing
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=120 * harness.SLOW)
            check(p.returncode == 0, "SIGINT with a full stdout: exit %d: %r" % (p.returncode, err[-300:]))
            lines = out.decode(errors="replace").splitlines()
            check(len(lines) > 1000, "SIGINT with a full stdout: only %d events" % len(lines))
            for n, line in enumerate(lines):
                try:
                    json.loads(line)
                except ValueError:
                    bad.append("run %d line %d/%d: %r" % (it, n, len(lines), line[:120]))
        check(not bad, "SIGINT with a full stdout pipe cut event lines: %s" % bad[:5])

        # tracefs and bpffs missing: mounted, and said so (in a private
        # mount namespace, so the host's mounts are left alone)
        if shutil.which("unshare"):
            script = ("umount /sys/kernel/tracing 2>/dev/null; umount /sys/kernel/debug/tracing 2>/dev/null; "
                      "umount /sys/fs/bpf 2>/dev/null; exec %s run --duration 0 --probes exec" % bp)
            p = run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
            check(p.returncode == 0, "missing tracefs: exit %d: %s" % (p.returncode, p.stderr))
            check("tracefs was not mounted: mounted it at /sys/kernel/tracing" in p.stderr,
                  "missing tracefs not reported: %r" % p.stderr)
            check("bpffs was not mounted: mounted it at /sys/fs/bpf" in p.stderr,
                  "missing bpffs not reported: %r" % p.stderr)
        else:
            harness.skip("unshare (util-linux) missing")

    try:
        harness.run_main(body)
    finally:
        os.unlink(tmpbin)


if __name__ == "__main__":
    main()
