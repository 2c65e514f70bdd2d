#!/usr/bin/env python3
"""Every probe, one build mode, one output path: real events, real content.

  probes_test.py --bpfport PATH --mode core|core-btfhub|runtime|auto
                 --output ringbuf|perfbuf|auto

Starts `bpfport run` with all probes, then makes things happen (a child
exiting 7, a child killed by SIGKILL, opens, TCP over v4 and v6, an OOM kill
where kprobes exist) and asserts the events' content: pids, ppid, exit
code, path, flags, ports, byte counts. Failures name the kernel, mode,
output, probe and assertion.

--output auto gives no --output: the summary must say ringbuf on 5.8+ and
perfbuf before (from uname -r, not from bpfport's own probe).

Kernels without native BTF: core must fail with no-native-btf; core-btfhub
and auto are served the kernel's BTF from $BPFPORT_KERNEL_BTF through a
btfhub-archive tree. On kernels with BTF, core-btfhub, runtime and auto hide
it from the loader (BPFPORT_HIDE_NATIVE_BTF=1) so they test the same thing.
--mode auto: check --json and then run, both with the archive (auto picks
core-btfhub; every probe asserted) and with no BTF at all (auto picks
runtime: the exec probe asserted; without headers for this kernel, as on a
build host, auto must fail naming every step).
"""
import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import Failure, check  # noqa: E402
from probe_checks import (Facts, agrees_with_check, check_doc, check_exec,  # noqa: E402
                          check_open, check_probes, check_tcp, expect_summary)

N_SENT = 12345
M_REPLY = 100


class Ctx(Facts):
    """The facts of a workload that this process runs (do_exec, do_open,
    do_tcp, do_oom fill in the rest): it forks, opens and connects itself."""

    def __init__(self):
        self.parent = self.open_pid = os.getpid()
        self.uid = os.getuid()
        self.tcp_sent, self.tcp_reply = N_SENT, M_REPLY


def do_exec(ctx, tmp):
    # a uniquely named link to sh: exec filename and comm are ours alone
    name = "bpx-" + uuid.uuid4().hex[:8]
    link = os.path.join(tmp, name)
    os.symlink(shutil.which("sh"), link)
    child = subprocess.Popen([link, "-c", "exit 7"])
    check(child.wait() == 7, "exec: child did not exit 7")
    ctx.exec_path, ctx.exec_comm, ctx.exec_pid = link, name, child.pid
    killed = subprocess.Popen([link, "-c", "kill -9 $$"])
    killed.wait()
    ctx.killed_pid = killed.pid
    # hostile bytes in comm and filename: newline, quote, backslash, not UTF-8
    hname = b'bq\n"\\\xff' + uuid.uuid4().hex[:6].encode()
    hlink = os.path.join(tmp.encode(), hname)
    os.symlink(shutil.which("sh"), hlink)
    h = subprocess.Popen([hlink, b"-c", b"exit 3"])
    check(h.wait() == 3, "exec: hostile-named child did not exit 3")
    ctx.hostile = (h.pid, hlink.decode("utf-8", "replace"), hname.decode("utf-8", "replace"))


def do_open(ctx, tmp):
    ctx.open_path = os.path.join(tmp, "bpfport-open-" + uuid.uuid4().hex)
    ctx.open_flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    ctx.open_fd = os.open(ctx.open_path, ctx.open_flags, 0o600)
    ctx.open_tid = threading.get_native_id()
    os.close(ctx.open_fd)
    try:
        os.open(ctx.open_path + ".missing", os.O_RDONLY)
    except FileNotFoundError:
        pass


def tcp_exchange(family, host):
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    cli = socket.socket(family, socket.SOCK_STREAM)
    cli.connect((host, port))
    cport = cli.getsockname()[1]
    conn, _ = srv.accept()
    cli.sendall(b"x" * N_SENT)
    got = 0
    while got < N_SENT:
        got += len(conn.recv(65536))
    conn.sendall(b"y" * M_REPLY)
    got = 0
    while got < M_REPLY:
        got += len(cli.recv(65536))
    cli.close()
    conn.close()
    srv.close()
    return port, cport


def do_tcp(ctx, tmp):
    ctx.tcp = {"inet": tcp_exchange(socket.AF_INET, "127.0.0.1") + (os.getpid(),)}
    if socket.has_ipv6:
        try:
            ctx.tcp["inet6"] = tcp_exchange(socket.AF_INET6, "::1") + (os.getpid(),)
        except OSError:
            pass  # no IPv6 loopback here (e.g. ipv6.disable=1)


def oom_expectation():
    """Whether the oom probe can attach here, decided without bpfport: None
    if it can, else the optional-missing reason expected."""
    if not harness.kprobes_available():
        return "kprobes-unavailable"
    if not harness.ksym_exists("oom_kill_process"):
        return "symbol-not-found"
    return None


def do_oom(ctx, tmp):
    """OOM-kill a child in a 32 MiB memory cgroup (cgroup v2)."""
    ctx.oom_pid = None
    if ctx.oom_missing:
        return
    root = "/sys/fs/cgroup"
    if "memory" not in open(root + "/cgroup.controllers").read().split():
        raise Failure("oom: cannot trigger an OOM kill: no memory controller in %s" % root)
    with open(root + "/cgroup.subtree_control", "w") as f:
        f.write("+memory")
    cg = os.path.join(root, "bpfport-oom-%d" % os.getpid())
    os.mkdir(cg)
    try:
        with open(cg + "/memory.max", "w") as f:
            f.write(str(32 << 20))
        if os.path.exists(cg + "/memory.swap.max"):
            with open(cg + "/memory.swap.max", "w") as f:
                f.write("0")
        hog = ("import os\nopen('%s/cgroup.procs','w').write(str(os.getpid()))\n"
               "a=[]\nwhile True: a.append(bytearray(4<<20))\n" % cg)
        child = subprocess.Popen([sys.executable, "-c", hog])
        rc = child.wait(timeout=120 * harness.SLOW)
        check(rc == -signal.SIGKILL, "oom: the memory hog was not OOM-killed (rc %s)" % rc)
        ctx.oom_pid = child.pid
    finally:
        time.sleep(0.2)
        os.rmdir(cg)


def check_oom(ctx, evs, summary):
    if ctx.oom_missing:
        want = "oom:" + ctx.oom_missing
        check(summary.get("optional-missing") == want,
              "oom: expected optional-missing=%s, summary %s" % (want, summary))
        check("oom" not in summary["attached"].split(","), "oom: attached without %s?"
              % ("kprobes" if ctx.oom_missing == "kprobes-unavailable" else "oom_kill_process"))
        return
    check("oom" in summary["attached"].split(","),
          "oom: kprobes and oom_kill_process exist but the probe is not attached: %s" % summary)
    ooms = [e for e in evs if e["type"] == "oom" and e["victim_pid"] == ctx.oom_pid]
    check(ooms, "oom: no event with victim_pid %s (oom events: %s)"
          % (ctx.oom_pid, [e for e in evs if e["type"] == "oom"]))
    o = ooms[0]
    check(o["victim_comm"].startswith("python"), "oom: victim_comm %r" % o["victim_comm"])
    check(o["pages"] == (32 << 20) // os.sysconf("SC_PAGE_SIZE"),
          "oom: pages %s != memcg limit %d" % (o["pages"], (32 << 20) // os.sysconf("SC_PAGE_SIZE")))


ALL_PROBES = "exec,open,tcp,oom"


def agent_run(ctx, bpfport, run_args, env, want, what, timeout, actions, probes=ALL_PROBES):
    """Starts an agent with probes (every one by default), runs each of
    actions (do_exec, ...), stops it with SIGINT and asserts a clean exit
    and the summary fields in want. Returns the stopped agent and its
    summary."""
    agent = harness.Agent(bpfport, run_args + ["--probes", probes], env=env)
    try:
        agent.wait_running(timeout=timeout)
        with tempfile.TemporaryDirectory(prefix="bpfport-test-") as tmp:
            for act in actions:
                act(ctx, tmp)
            time.sleep(0.5 * harness.SLOW)
    finally:
        rc = agent.stop()
    check(rc == 0, "%s: bpfport exited %s after SIGINT: %s" % (what, rc, agent.err[-3:]))
    summary = agent.summary()
    expect_summary(summary, want, what)
    return agent, summary


def full_run(ctx, bpfport, run_args, env, want, what, timeout=120):
    """Makes every event happen under an agent with every probe and asserts:
    the summary fields in want, the events of every probe, and that nothing
    stays in the kernel. Returns (summary, probe failures)."""
    agent, summary = agent_run(ctx, bpfport, run_args, env, want, what, timeout,
                               (do_exec, do_open, do_tcp, do_oom))
    evs = agent.events()
    for p in ("exec", "open", "tcp"):
        check(p in summary["attached"].split(","), "%s: probe %s not attached: %s" % (what, p, summary))
    check(summary.get("malformed") == "0", "%s: malformed events: %s" % (what, summary.get("malformed")))
    failures = check_probes((("exec", lambda: check_exec(ctx, evs)),
                             ("open", lambda: check_open(ctx, evs)),
                             ("tcp", lambda: check_tcp(ctx, evs)),
                             ("oom", lambda: check_oom(ctx, evs, summary))), what)
    check(agent.bpf_ids and len(agent.bpf_ids["prog"]) >= 6,
          "%s: agent held no BPF programs while running: %s" % (what, agent.bpf_ids))
    check(agent.bpf_ids["link"] or agent.bpf_ids["prog"], "%s: no links" % what)
    left = harness.bpf_ids_alive(agent.bpf_ids)
    check(not left, "%s: BPF objects still in the kernel after exit: %s" % (what, left))
    print("%s: %d events, summary: %s" % (what, len(evs), summary))
    return summary, failures


def exec_run(ctx, bpfport, run_args, env, want, what, timeout=120, probes=ALL_PROBES):
    """A shorter run: the agent's summary and the exec probe's events."""
    agent, summary = agent_run(ctx, bpfport, run_args, env, want, what, timeout, (do_exec,),
                               probes)
    try:
        check_exec(ctx, agent.events())
    except Failure as e:
        raise Failure("%s probe=exec: %s" % (what, e))
    print("ok   %s probe=exec" % what)
    print("%s: summary: %s" % (what, summary))
    return summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--mode", default="core", choices=["core", "core-btfhub", "runtime", "auto"])
    ap.add_argument("--output", default="ringbuf", choices=["ringbuf", "perfbuf", "auto"],
                    help="auto: no --output given; the summary must say ringbuf on 5.8+, "
                         "perfbuf before")
    ap.add_argument("--extra-env", action="append", default=[],
                    help="KEY=VALUE for the agent (e.g. to hide native BTF)")
    ap.add_argument("--btf-source", choices=["archive", "embedded"], default="archive",
                    help="core-btfhub: serve this kernel's BTF from a btfhub-archive "
                         "directory, or expect it in the binary's embedded archive")
    args = ap.parse_args()
    harness.set_context("mode=%s output=%s" % (args.mode, args.output))
    harness.require_root_bpf(None)
    release = platform.release()
    native = os.path.exists(harness.NATIVE_BTF)
    ringbuf = harness.kernel_has_ringbuf()
    if args.output == "ringbuf" and not ringbuf:
        harness.skip("kernel %s has no BPF ring buffer (5.8+): use --output perfbuf or auto"
                     % release)
    want_output = args.output if args.output != "auto" else "ringbuf" if ringbuf else "perfbuf"
    out_args = [] if args.output == "auto" else ["--output", args.output]
    label = "mode=%s output=%s" % (args.mode, args.output)
    # the agent's environment: no BTF from the caller's environment
    env = {k: v for k, v in os.environ.items() if k not in ("BPFPORT_BTF", "BPFPORT_BTF_ARCHIVE")}
    for kv in args.extra_env:
        k, v = kv.split("=", 1)
        env[k] = v
    if native and args.mode in ("core-btfhub", "runtime", "auto"):
        # a kernel with BTF plays one without: the loader must not see it
        env["BPFPORT_HIDE_NATIVE_BTF"] = "1"
    tmps = []

    def tmpdir(prefix):
        t = tempfile.TemporaryDirectory(prefix=prefix)
        tmps.append(t)
        return t.name

    def archive():
        """This kernel's BTF served through a btfhub-archive tree (native
        hidden, or none): the path BPFPORT_BTF_ARCHIVE leads to."""
        src = harness.kernel_btf_source()
        if not src:
            harness.skip("no BTF for kernel %s: no %s and no $BPFPORT_KERNEL_BTF"
                         % (release, harness.NATIVE_BTF))
        root = tmpdir("bpfport-test-archive-")
        return root, os.path.join(root, harness.archive_from_btf(root, src))

    ctx = Ctx()
    ctx.oom_missing = oom_expectation()
    base = {"output": want_output}

    def body_core():
        if not native:
            # no native BTF: forced core must fail, naming why
            err, summ = harness.run_failing(args.bpfport, ["--mode", "core", "--probes", ALL_PROBES,
                                                           "--duration", "0"] + out_args, env=env,
                                            what="core without native BTF")
            check("core/native: no-native-btf" in err,
                  "core without native BTF: error %r does not name core/native: no-native-btf" % err)
            if summ:
                check("core/native:no-native-btf" in harness.skipped(summ),
                      "core without native BTF: failed summary %s" % summ)
            print("ok   %s no native BTF: %s" % (label, err))
            return
        _, failures = full_run(ctx, args.bpfport, ["--mode", "core"] + out_args, env,
                               dict(base, mode="core", reason="native-btf", btf=harness.NATIVE_BTF),
                               label)
        if failures:
            raise Failure("\n  ".join(failures))

    def body_btfhub():
        if args.btf_source == "embedded":
            # bpfport-hostbtf embeds this host's kernel: native hidden, nothing else
            p = subprocess.run([args.bpfport, "btf", "list"], capture_output=True, text=True)
            if "/%s.btf" % release not in p.stdout:
                harness.skip("this kernel (%s) is not in the embedded archive (built on "
                             "another host, or one without native BTF): %s"
                             % (release, p.stdout.strip()[:200]))
            env["BPFPORT_BTF_ARCHIVE"] = "/nonexistent"
            summary, failures = full_run(ctx, args.bpfport, ["--mode", "core-btfhub"] + out_args,
                                         env, dict(base, mode="core-btfhub", reason="btf-embedded"),
                                         label)
            check(summary.get("btf", "").startswith("embedded:")
                  and summary["btf"].endswith("/%s.btf" % release),
                  "core-btfhub: BTF %s, expected this kernel's in the embedded archive"
                  % summary.get("btf"))
        else:
            root, want_btf = archive()
            env["BPFPORT_BTF_ARCHIVE"] = root
            summary, failures = full_run(ctx, args.bpfport, ["--mode", "core-btfhub"] + out_args,
                                         env, dict(base, mode="core-btfhub", reason="btf-archive",
                                                   btf=want_btf), label)
        # forced core-btfhub: the native step is not even tried
        check(not any(s.startswith("core/") for s in harness.skipped(summary)),
              "native BTF tried in forced core-btfhub: %s" % harness.skipped(summary))
        if failures:
            raise Failure("\n  ".join(failures))

    def runtime_env():
        # no BTF anywhere (native hidden where there is some): compiled
        # against this kernel's own headers, into a private cache
        env["BPFPORT_BTF_ARCHIVE"] = "/nonexistent"
        env["BPFPORT_CACHE_DIR"] = os.path.join(tmpdir("bpfport-rtcache-"), "c")

    def body_runtime():
        headers = harness.kernel_headers_dir()
        if not headers:
            harness.skip("no kernel headers for %s (/lib/modules/%s/build): runtime mode "
                         "runs its events in the kernel matrix" % (release, release))
        runtime_env()
        # a runtime start compiles first (slow in a TCG guest)
        _, failures = full_run(ctx, args.bpfport, ["--mode", "runtime"] + out_args, env,
                               dict(base, mode="runtime", reason="compiled", cache="miss",
                                    headers=headers), label, timeout=900)
        # the second start is served from the cache
        again = harness.Agent(args.bpfport, ["--mode", "runtime", "--duration", "0"] + out_args,
                              env=env)
        check(again.wait(timeout=300) == 0, "runtime second start failed: %s" % again.err[-3:])
        expect_summary(again.summary(), dict(base, mode="runtime", cache="hit", headers=headers),
                       "runtime second start (expected a cache hit)")
        print("ok   %s second start: cache=hit" % label)
        if failures:
            raise Failure("\n  ".join(failures))

    def body_auto():
        schema = json.load(open(os.path.join(HERE, "..", "check-schema.json")))
        headers = harness.kernel_headers_dir()
        no_native = "core/native:no-native-btf"

        def common_doc(doc, what):
            check(doc["system"]["kernel_release"] == release, "%s: check kernel_release %s"
                  % (what, doc["system"]["kernel_release"]))
            check(doc["features"]["ringbuf"] is ringbuf,
                  "%s: check features.ringbuf=%s, expected %s for kernel %s (BPF ring buffer: 5.8+)"
                  % (what, doc["features"]["ringbuf"], ringbuf, release))
            # check describes the machine: native BTF hidden from the loader is still there
            check(doc["native_btf"]["present"] is native,
                  "%s: check native_btf.present=%s, %s exists: %s"
                  % (what, doc["native_btf"]["present"], harness.NATIVE_BTF, native))
            core = [m for m in doc["modes"] if m["mode"] == "core"]
            check(len(core) == 1 and core[0]["reason"] == "no-native-btf" and not core[0]["ok"],
                  "%s: check core verdict %s, expected no-native-btf" % (what, core))
            h = doc["runtime"]["headers"]
            check(h["found"] == bool(headers) and (not headers or (h["path"] == headers
                                                                   and h["matching"])),
                  "%s: check runtime headers %s, expected %s" % (what, h, headers or "none"))
            if headers and "layout" in h:
                # sources and generated files in one tree (RHEL), or split (Debian)
                layout = ("complete" if os.path.exists(os.path.join(headers, "include/linux/kconfig.h"))
                          else "split")
                check(h["layout"] == layout, "%s: check runtime headers layout %s, expected %s (%s)"
                      % (what, h["layout"], layout, headers))

        # a. and b.: this kernel's BTF in a btfhub-archive tree
        what = label + " btf=archive"
        root, want_btf = archive()
        env["BPFPORT_BTF_ARCHIVE"] = root
        rc, doc = harness.run_check_json(args.bpfport, env=env, report=args.output + "-btf-archive")
        check_doc(doc, rc, schema, what)
        common_doc(doc, what)
        arch = [m for m in doc["modes"] if m["mode"] == "core-btfhub" and m["source"] == "archive"]
        check(arch and arch[0]["ok"] and arch[0]["reason"] == "btf-archive" and want_btf in arch[0]["detail"],
              "%s: check core-btfhub/archive verdict %s, expected ok btf-archive %s"
              % (what, arch, want_btf))
        check(doc["verdict"]["auto_mode"] == "core-btfhub" and doc["verdict"]["reason"] == "btf-archive",
              "%s: check says auto picks %s, expected core-btfhub (btf-archive)" % (what, doc["verdict"]))
        print("ok   %s check: ringbuf=%s native_btf=%s auto -> %s" % (what, ringbuf, native,
                                                                    doc["verdict"]["auto_mode"]))
        summary, failures = full_run(ctx, args.bpfport, out_args, env,
                                     dict(base, mode="core-btfhub", reason="btf-archive",
                                          btf=want_btf), what)
        check(no_native in harness.skipped(summary), "%s: skipped %s lacks %s"
              % (what, harness.skipped(summary), no_native))
        agrees_with_check(doc, summary, what)
        # the probe failures of b. are reported after c. has run too
        try:
            auto_no_btf(schema, headers, no_native, common_doc)
        except Failure as e:
            failures.append(str(e))
        if failures:
            raise Failure("\n  ".join(failures))

    def auto_no_btf(schema, headers, no_native, common_doc):
        # c. no BTF at all: runtime, when this kernel's headers are there
        what = label + " btf=none"
        runtime_env()
        rc, doc = harness.run_check_json(args.bpfport, env=env, timeout=900,
                                         report=args.output + "-btf-none")
        check_doc(doc, rc, schema, what)
        common_doc(doc, what)
        steps = [(m["mode"], m["source"], m["reason"]) for m in doc["modes"]]
        check(("core-btfhub", "archive", "btf-not-found") in steps,
              "%s: check modes %s lack core-btfhub/archive btf-not-found" % (what, steps))
        if not headers:
            # (the host): no mode at all, and run says so
            check(steps[-1] == ("runtime", "headers", "no-headers") and not doc["verdict"]["ok"],
                  "%s: no headers: check modes %s verdict %s" % (what, steps, doc["verdict"]))
            err, _ = harness.run_failing(args.bpfport, ["--duration", "0"] + out_args, env=env,
                                         what=what)
            for step in ("core/native: no-native-btf", "core-btfhub/archive: btf-not-found",
                         "runtime/headers: no-headers"):
                check(step in err, "%s: error %r does not name %s" % (what, err, step))
            print("ok   %s no headers for %s here: auto fails naming every step (runtime "
                  "events run in the kernel matrix)" % (what, release))
            return
        check(doc["verdict"]["auto_mode"] == "runtime" and doc["verdict"]["reason"] == "compiled",
              "%s: check says auto picks %s, expected runtime (compiled)" % (what, doc["verdict"]))
        print("ok   %s check: auto -> runtime, headers %s" % (what, headers))
        summary = exec_run(ctx, args.bpfport, out_args, env,
                           dict(base, mode="runtime", reason="compiled", headers=headers),
                           what, timeout=900)
        sk = harness.skipped(summary)
        check(no_native in sk and "core-btfhub/archive:btf-not-found" in sk,
              "%s: skipped %s, expected %s and core-btfhub/archive:btf-not-found" % (what, sk, no_native))
        agrees_with_check(doc, summary, what)

    body = {"core": body_core, "core-btfhub": body_btfhub, "runtime": body_runtime,
            "auto": body_auto}[args.mode]
    try:
        harness.run_main(body)
    finally:
        for t in tmps:
            t.cleanup()


if __name__ == "__main__":
    main()
