#!/usr/bin/env python3
"""run --ready-file and bpfport ready (the DaemonSet's readiness probe).

  ready_test.py --bpfport PATH

As root on a kernel with BTF: a stale file (the pid of a process gone) is
not ready, and run removes it before it loads; once run says running, the
file holds the agent's pid and its running line and `ready` exits 0; after
SIGINT the file is gone and `ready` exits 1. A run that fails to load never
writes it; one that cannot write it exits 1 naming it, without events.
`ready` with no FILE or two is bad usage (2).
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import check  # noqa: E402


def ready(bpfport, path):
    p = subprocess.run([bpfport, "ready", path], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stderr.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    args = ap.parse_args()
    harness.set_context("mode=core")
    bpfport = args.bpfport

    for argv in ([], ["a", "b"], ["--json"]):
        p = subprocess.run([bpfport, "ready"] + argv, capture_output=True, text=True)
        check(p.returncode == 2 and p.stderr.startswith("bpfport: error: "),
              "ready %s: exit %d, stderr %r: expected bad usage (2)" % (argv, p.returncode, p.stderr))
    print("ok   ready with no FILE, two, or an option: exit 2")

    harness.require_root_bpf("core")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPFPORT_")}
    with tempfile.TemporaryDirectory(prefix="bpfport-ready-") as tmp:
        path = os.path.join(tmp, "ready")
        rc, err = ready(bpfport, path)
        check(rc == 1 and "No such file" in err, "ready, no file: exit %d %r" % (rc, err))
        gone = subprocess.Popen(["true"])
        gone.wait()
        with open(path, "w") as f:
            f.write("%d\nrunning mode=core\n" % gone.pid)
        rc, err = ready(bpfport, path)
        check(rc == 1 and "not running" in err, "ready, stale file: exit %d %r" % (rc, err))
        print("ok   no file, a stale file (pid %d gone): not ready (1)" % gone.pid)

        agent = harness.Agent(bpfport, ["--probes", "exec", "--ready-file", path], env=env)
        try:
            agent.wait_running()
            running = [l for l in agent.err if l.startswith("bpfport: running ")][0]
            text = open(path).read()
            want = "%d\n%s\n" % (agent.proc.pid, running[len("bpfport: "):])
            check(text == want, "ready file %r, expected %r" % (text, want))
            rc, err = ready(bpfport, path)
            check(rc == 0, "ready while the agent runs: exit %d %r" % (rc, err))
            check(os.listdir(tmp) == ["ready"], "beside the ready file: %s" % os.listdir(tmp))
        finally:
            rc = agent.stop()
        check(rc == 0, "run exited %d after SIGINT: %s" % (rc, agent.err[-3:]))
        check(not os.path.exists(path), "the ready file is left after the agent's exit")
        rc, err = ready(bpfport, path)
        check(rc == 1, "ready after the agent's exit: exit %d" % rc)
        print("ok   run --ready-file: the stale file replaced by the agent's pid and running "
              "line once attached, ready 0; removed at exit, ready 1")

        failing = dict(env, BPFPORT_NATIVE_BTF=os.path.join(tmp, "no-such-btf"))
        harness.run_failing(bpfport, ["--mode", "core", "--probes", "exec", "--ready-file", path],
                            env=failing, what="run --mode core without BTF")
        check(not os.path.exists(path), "a run that failed to load wrote the ready file")
        print("ok   a run that fails to load never writes it")

        bad = os.path.join(tmp, "no-such-dir", "ready")
        p = subprocess.run([bpfport, "run", "--probes", "exec", "--ready-file", bad],
                           capture_output=True, text=True, env=env, timeout=120)
        errs = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error:")]
        check(p.returncode == 1 and len(errs) == 1 and bad in errs[0] and not p.stdout,
              "run --ready-file in a missing dir: exit %d, stderr %r, stdout %r"
              % (p.returncode, p.stderr[-500:], p.stdout[:200]))
        check(any(l.startswith("bpfport: failed ") for l in p.stderr.splitlines()),
              "run --ready-file in a missing dir: no failed summary: %r" % p.stderr[-500:])
        print("ok   an unwritable ready file: exit 1, %s" % errs[0])


if __name__ == "__main__":
    harness.run_main(main)
