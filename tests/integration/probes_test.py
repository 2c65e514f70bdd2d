#!/usr/bin/env python3
"""Every probe, one build mode, one output path: real events, real content.

  probes_test.py --bpfport PATH --mode core --output ringbuf|perfbuf

Starts `bpfport run` with all probes, then makes things happen (a child
exiting 7, a child killed by SIGKILL, opens, TCP over v4 and v6, an OOM kill
where kprobes exist) and asserts the events' content: pids, ppid, exit
code, path, flags, ports, byte counts. Failures name the kernel, mode,
output, probe and assertion.
"""
import argparse
import errno
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
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


def do_oom(ctx, tmp):
    """OOM-kill a child in a 32 MiB memory cgroup (cgroup v2)."""
    ctx.oom_pid = None
    if not ctx.kprobes:
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
    if not ctx.kprobes:
        check(summary.get("optional-missing") == "oom:kprobes-unavailable",
              "oom: expected optional-missing=oom:kprobes-unavailable, summary %s" % summary)
        check("oom" not in summary["attached"].split(","), "oom: attached without kprobes?")
        return
    check("oom" in summary["attached"].split(","),
          "oom: kprobes exist but the probe is not attached: %s" % summary)
    ooms = [e for e in evs if e["type"] == "oom" and e["victim_pid"] == ctx.oom_pid]
    check(ooms, "oom: no event with victim_pid %s (oom events: %s)"
          % (ctx.oom_pid, [e for e in evs if e["type"] == "oom"]))
    o = ooms[0]
    check(o["victim_comm"].startswith("python"), "oom: victim_comm %r" % o["victim_comm"])
    check(o["pages"] == (32 << 20) // os.sysconf("SC_PAGE_SIZE"),
          "oom: pages %s != memcg limit %d" % (o["pages"], (32 << 20) // os.sysconf("SC_PAGE_SIZE")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--mode", default="core")
    ap.add_argument("--output", default="ringbuf", choices=["ringbuf", "perfbuf"])
    ap.add_argument("--extra-env", action="append", default=[],
                    help="KEY=VALUE for the agent (e.g. to hide native BTF)")
    ap.add_argument("--btf-source", choices=["archive", "embedded"], default="archive",
                    help="core-btfhub: serve this kernel's BTF from a btfhub-archive "
                         "directory, or expect it in the binary's embedded archive")
    args = ap.parse_args()
    harness.require_root_bpf("core")  # every mode here needs the kernel's own BTF somewhere
    archive = None
    embedded = args.mode == "core-btfhub" and args.btf_source == "embedded"
    if embedded:
        # bpfport-hostbtf embeds this host's kernel: native hidden, nothing else
        p = subprocess.run([args.bpfport, "btf", "list"], capture_output=True, text=True)
        if "/%s.btf" % platform.release() not in p.stdout:
            harness.skip("this kernel (%s) is not in the embedded archive (built on "
                         "another host, or one without native BTF): %s"
                         % (platform.release(), p.stdout.strip()[:200]))
        args.extra_env += ["BPFPORT_HIDE_NATIVE_BTF=1", "BPFPORT_BTF_ARCHIVE=/nonexistent"]
    elif args.mode == "runtime":
        # native BTF hidden, no external BTF: compiled against this kernel's
        # own headers (where the distro puts them), into a private cache
        archive = None
        rt_cache = tempfile.TemporaryDirectory(prefix="bpfport-rtcache-")
        args.extra_env += ["BPFPORT_HIDE_NATIVE_BTF=1", "BPFPORT_BTF_ARCHIVE=/nonexistent",
                           "BPFPORT_CACHE_DIR=" + os.path.join(rt_cache.name, "c")]
    elif args.mode == "core-btfhub":
        # native BTF hidden from the loader; this kernel's BTF served
        # through the btfhub-archive lookup, as a kernel without BTF gets it
        archive = tempfile.TemporaryDirectory(prefix="bpfport-btfhub-")
        rel = harness.archive_from_native(archive.name)
        args.extra_env += ["BPFPORT_HIDE_NATIVE_BTF=1", "BPFPORT_BTF_ARCHIVE=" + archive.name]
        want_btf = os.path.join(archive.name, rel)
    ctx = Ctx()
    ctx.kprobes = harness.kprobes_available()
    env = dict(os.environ)
    for kv in args.extra_env:
        k, v = kv.split("=", 1)
        env[k] = v
    label = "mode=%s output=%s" % (args.mode, args.output)

    def body():
        agent = harness.Agent(args.bpfport, ["--mode", args.mode, "--output", args.output,
                                             "--probes", "exec,open,tcp,oom"], env=env)
        try:
            # a runtime start compiles first (slow in a TCG guest)
            agent.wait_running(timeout=900 if args.mode == "runtime" else 120)
            with tempfile.TemporaryDirectory(prefix="bpfport-test-") as tmp:
                do_exec(ctx, tmp)
                do_open(ctx, tmp)
                do_tcp(ctx, tmp)
                do_oom(ctx, tmp)
                time.sleep(0.5 * harness.SLOW)
        finally:
            rc = agent.stop()
        check(rc == 0, "bpfport exited %s after SIGINT: %s" % (rc, agent.err[-3:]))
        summary = agent.summary()
        evs = agent.events()
        for key, want in (("mode", args.mode), ("output", args.output)):
            check(summary.get(key) == want, "summary %s=%s, expected %s" % (key, summary.get(key), want))
        if args.mode == "runtime":
            check(summary.get("reason") == "compiled" and summary.get("cache") == "miss"
                  and summary.get("headers"),
                  "runtime: %s" % {k: summary.get(k) for k in ("reason", "headers", "cache")})
        if embedded:
            check(summary.get("reason") == "btf-embedded"
                  and summary.get("btf", "").startswith("embedded:")
                  and summary["btf"].endswith("/%s.btf" % platform.release()),
                  "core-btfhub: BTF source %s/%s, expected the embedded archive"
                  % (summary.get("reason"), summary.get("btf")))
        if archive:
            check(summary.get("reason") == "btf-archive" and summary.get("btf") == want_btf,
                  "core-btfhub: BTF source %s/%s, expected btf-archive %s"
                  % (summary.get("reason"), summary.get("btf"), want_btf))
            # forced core-btfhub: the native step is not even tried
            check("core/native" not in str(summary.get("skipped")),
                  "native BTF tried in forced core-btfhub: %s" % summary.get("skipped"))
        for p in ("exec", "open", "tcp"):
            check(p in summary["attached"].split(","), "probe %s not attached: %s" % (p, summary))
        check(summary.get("malformed") == "0", "malformed events: %s" % summary.get("malformed"))
        failures = []
        for name, fn in (("exec", lambda: check_exec(ctx, evs)),
                         ("open", lambda: check_open(ctx, evs)),
                         ("tcp", lambda: check_tcp(ctx, evs)),
                         ("oom", lambda: check_oom(ctx, evs, summary))):
            try:
                fn()
                print("ok   %s probe=%s" % (label, name))
            except Failure as e:
                failures.append("%s probe=%s: %s" % (label, name, e))
        check(agent.bpf_ids and len(agent.bpf_ids["prog"]) >= 6,
              "agent held no BPF programs while running: %s" % agent.bpf_ids)
        check(agent.bpf_ids["link"] or agent.bpf_ids["prog"], "no links")
        left = harness.bpf_ids_alive(agent.bpf_ids)
        check(not left, "BPF objects still in the kernel after exit: %s" % left)
        if args.mode == "runtime":
            # the second start is served from the cache
            again = harness.Agent(args.bpfport, ["--mode", "runtime", "--output", args.output,
                                                 "--duration", "0"], env=env)
            check(again.wait(timeout=300) == 0, "runtime second start failed: %s" % again.err[-3:])
            s2 = again.summary()
            check(s2.get("mode") == "runtime" and s2.get("cache") == "hit",
                  "runtime second start: mode %s cache %s (expected a cache hit)"
                  % (s2.get("mode"), s2.get("cache")))
            print("ok   %s second start: cache=hit" % label)
        if failures:
            raise Failure("\n  ".join(failures))
        print("%d events, summary: %s" % (len(evs), summary))

    harness.run_main(body)


if __name__ == "__main__":
    main()
