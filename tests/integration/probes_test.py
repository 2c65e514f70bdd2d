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
import errno
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

N_SENT = 12345
M_REPLY = 100


class Ctx:
    pass


def do_exec(ctx, tmp):
    # a uniquely named link to sh: exec filename and comm are ours alone
    name = "bpx-" + uuid.uuid4().hex[:8]
    link = os.path.join(tmp, name)
    os.symlink(shutil.which("sh"), link)
    child = subprocess.Popen([link, "-c", "exit 7"])
    check(child.wait() == 7, "exec: child did not exit 7")
    ctx.exec_link, ctx.exec_name, ctx.exec_pid = link, name, child.pid
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


def check_exec(ctx, evs):
    me = os.getpid()
    mine = [e for e in evs if e["type"] in ("exec", "fork", "exit")
            and e["pid"] == ctx.exec_pid]
    seen = " seen for pid %d: %s" % (ctx.exec_pid, mine)
    forks = [e for e in mine if e["type"] == "fork"]
    check(forks, "exec: no fork event" + seen)
    check(forks[0]["ppid"] == me, "exec: fork ppid %s != test pid %d" % (forks[0]["ppid"], me) + seen)
    execs = [e for e in mine if e["type"] == "exec"]
    check(execs, "exec: no exec event" + seen)
    e = execs[0]
    check(e["filename"] == ctx.exec_link, "exec: filename %r != %r" % (e["filename"], ctx.exec_link))
    check(e["ppid"] == me, "exec: ppid %s != test pid %d (task->real_parent->tgid)" % (e["ppid"], me))
    check(e["comm"] == ctx.exec_name, "exec: comm %r != %r" % (e["comm"], ctx.exec_name))
    check(e["uid"] == os.getuid(), "exec: uid %s != %d" % (e["uid"], os.getuid()))
    exits = [e for e in mine if e["type"] == "exit"]
    check(exits, "exec: no exit event" + seen)
    x = exits[0]
    check(x["exit_code"] == 7 and x["signal"] == 0,
          "exec: exit_code/signal %s/%s != 7/0" % (x["exit_code"], x["signal"]))
    check(x["ppid"] == me, "exec: exit ppid %s != %d" % (x["ppid"], me))
    check(0 < x["lifetime_ns"] < 120e9, "exec: lifetime_ns %s out of range" % x["lifetime_ns"])
    check(x["ts_ns"] >= e["ts_ns"], "exec: exit before exec")
    hpid, hpath, hcomm = ctx.hostile
    hx = [e for e in evs if e["type"] == "exec" and e["pid"] == hpid]
    check(hx and hx[0]["filename"] == hpath and hx[0]["comm"] == hcomm,
          "exec: hostile names: expected %r / %r, got %s" % (hpath, hcomm, hx))
    kx = [e for e in evs if e["type"] == "exit" and e["pid"] == ctx.killed_pid]
    check(kx, "exec: no exit event for the SIGKILLed child %d" % ctx.killed_pid)
    check(kx[0]["signal"] == signal.SIGKILL and kx[0]["exit_code"] == 0,
          "exec: killed child signal/exit_code %s/%s != 9/0" % (kx[0]["signal"], kx[0]["exit_code"]))


def do_open(ctx, tmp):
    ctx.open_path = os.path.join(tmp, "bpfport-open-" + uuid.uuid4().hex)
    ctx.open_flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    ctx.open_fd = os.open(ctx.open_path, ctx.open_flags, 0o600)
    ctx.open_tid = threading.get_native_id()
    os.close(ctx.open_fd)
    ctx.missing = ctx.open_path + ".missing"
    try:
        os.open(ctx.missing, os.O_RDONLY)
    except FileNotFoundError:
        pass


def check_open(ctx, evs):
    opens = [e for e in evs if e["type"] == "open"]
    mine = [e for e in opens if e["path"] == ctx.open_path]
    check(mine, "open: no event with path %s (%d open events)" % (ctx.open_path, len(opens)))
    e = mine[0]
    check(e["pid"] == os.getpid() and e["tid"] == ctx.open_tid,
          "open: pid/tid %s/%s != %d/%d" % (e["pid"], e["tid"], os.getpid(), ctx.open_tid))
    mask = os.O_ACCMODE | os.O_CREAT | os.O_EXCL
    check(e["flags"] & mask == ctx.open_flags,
          "open: flags %#o, expected O_WRONLY|O_CREAT|O_EXCL (%#o)" % (e["flags"], ctx.open_flags))
    check(e["ret"] == ctx.open_fd, "open: ret %s != fd %d" % (e["ret"], ctx.open_fd))
    miss = [e for e in opens if e["path"] == ctx.missing]
    check(miss and miss[0]["ret"] == -errno.ENOENT,
          "open: missing file: expected ret -ENOENT, got %s" % miss)


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
    ctx.v4 = tcp_exchange(socket.AF_INET, "127.0.0.1")
    ctx.v6 = None
    if socket.has_ipv6:
        try:
            ctx.v6 = tcp_exchange(socket.AF_INET6, "::1")
        except OSError:
            ctx.v6 = None  # no IPv6 loopback here (e.g. ipv6.disable=1)


def check_tcp_pair(evs, family, addr, port, cport):
    tcp = [e for e in evs if e["type"] == "tcp" and e["family"] == family]
    client = [e for e in tcp if e["dport"] == port and e["daddr"] == addr]
    server = [e for e in tcp if e["sport"] == port and e["dport"] == cport]
    what = "tcp %s port %d:" % (family, port)
    seen = " seen: %s" % [(e["oldstate"], e["newstate"], e["sport"], e["dport"]) for e in client + server]
    check(any(e["newstate"] == "LISTEN" for e in tcp if e["sport"] == port),
          what + " no LISTEN event" + seen)
    syn = [e for e in client if e["newstate"] == "SYN_SENT"]
    check(syn, what + " no CLOSE->SYN_SENT event" + seen)
    check(syn[0]["pid"] == os.getpid(), what + " SYN_SENT pid %s != %d" % (syn[0]["pid"], os.getpid()))
    check(any(e["oldstate"] == "SYN_SENT" and e["newstate"] == "ESTABLISHED"
              and e["sport"] == cport for e in client),
          what + " no SYN_SENT->ESTABLISHED with sport %d" % cport + seen)
    cclose = [e for e in client if e["newstate"] == "CLOSE" and e["sport"] == cport]
    check(cclose, what + " no client CLOSE event" + seen)
    c = cclose[0]
    check(c["saddr"] == addr, what + " client saddr %s != %s" % (c["saddr"], addr))
    # bytes_acked / bytes_received count sequence space: SYN and FIN add 1
    check(N_SENT <= c["bytes_sent"] <= N_SENT + 2,
          what + " client bytes_sent %s, expected %d..%d" % (c["bytes_sent"], N_SENT, N_SENT + 2))
    check(M_REPLY <= c["bytes_received"] <= M_REPLY + 1,
          what + " client bytes_received %s, expected %d..%d" % (c["bytes_received"], M_REPLY, M_REPLY + 1))
    check(0 < c["lifetime_ns"] < 120e9, what + " client lifetime_ns %s" % c["lifetime_ns"])
    check(c["pid"] == os.getpid(), what + " client close pid %s != %d" % (c["pid"], os.getpid()))
    sclose = [e for e in server if e["newstate"] == "CLOSE"]
    check(sclose, what + " no server-side CLOSE event" + seen)
    s = sclose[0]
    check(N_SENT <= s["bytes_received"] <= N_SENT + 1,
          what + " server bytes_received %s, expected %d..%d" % (s["bytes_received"], N_SENT, N_SENT + 1))
    check(M_REPLY <= s["bytes_sent"] <= M_REPLY + 2,
          what + " server bytes_sent %s, expected %d..%d" % (s["bytes_sent"], M_REPLY, M_REPLY + 2))


def check_tcp(ctx, evs):
    check_tcp_pair(evs, "inet", "127.0.0.1", *ctx.v4)
    if ctx.v6:
        check_tcp_pair(evs, "inet6", "::1", *ctx.v6)


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


def expect_summary(summary, want, what):
    """want: {key: value}; a value None means the key must be absent."""
    for key, val in want.items():
        check(summary.get(key) == val, "%s: summary %s=%s, expected %s (summary %s)"
              % (what, key, summary.get(key), val, summary))


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
    failures = []
    for name, fn in (("exec", lambda: check_exec(ctx, evs)),
                     ("open", lambda: check_open(ctx, evs)),
                     ("tcp", lambda: check_tcp(ctx, evs)),
                     ("oom", lambda: check_oom(ctx, evs, summary))):
        try:
            fn()
            print("ok   %s probe=%s" % (what, name))
        except Failure as e:
            failures.append("%s probe=%s: %s" % (what, name, e))
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


def check_doc(doc, rc, schema, what):
    from schema import validate
    errs = validate(doc, schema)
    check(not errs, "%s: check --json schema: %s" % (what, "; ".join(errs[:5])))
    check(rc == (0 if doc["verdict"]["ok"] else 1),
          "%s: check exit %d with verdict %s" % (what, rc, doc["verdict"]))


def agrees_with_check(doc, summary, what):
    """What run did is what check said auto would do."""
    check(summary["mode"] == doc["verdict"]["auto_mode"]
          and summary["reason"] == doc["verdict"]["reason"],
          "%s: run mode=%s reason=%s, check said %s" % (what, summary["mode"], summary["reason"],
                                                        doc["verdict"]))
    usable = sorted(p["name"] for p in doc["probes"] if p["usable"])
    check(sorted(summary["attached"].split(",")) == usable,
          "%s: run attached %s, check said usable %s" % (what, summary["attached"], usable))
    steps = ["%s/%s:%s" % (m["mode"], m["source"], m["reason"]) for m in doc["modes"] if not m["ok"]]
    check(harness.skipped(summary) == steps,
          "%s: run skipped %s, check's failed steps %s" % (what, harness.skipped(summary), steps))


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
        rc, doc = harness.run_check_json(args.bpfport, env=env)
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
        rc, doc = harness.run_check_json(args.bpfport, env=env, timeout=900)
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
