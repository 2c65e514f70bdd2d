"""What the events, the summary and check --json must say after a workload:
the probe tests' assertions, shared by probes_test.py (its workload runs in
its own process, on this host or in a guest of the host's userland) and
tests/kernels/release-guest/check.py (its workload ran under busybox in a
release guest and recorded what it did). The workload's facts come in a
Facts object; every check raises harness.Failure naming what differs.
"""
import errno
import os
import signal

from harness import Failure, check, skipped

OPEN_FLAGS_MASK = os.O_ACCMODE | os.O_CREAT | os.O_EXCL


class Facts:
    """What a workload did. Every pid is a tgid.

    parent       the process that forked the exec children below
    uid          their uid
    exec_pid     a child that exec'd exec_path (its comm: exec_comm) and exited 7
    killed_pid   a child that exec'd and was killed by SIGKILL
    hostile      (pid, path, comm) of a child whose exec'd path and comm hold a
                 newline, a quote, a backslash and a byte that is not UTF-8
                 (decoded with "replace", as the JSON gives them), or None
    open_pid, open_tid, open_path, open_flags, open_fd
                 an open(2) that returned open_fd (flags: open_flags, as far as
                 OPEN_FLAGS_MASK goes); open_path + ".missing" then failed
                 with ENOENT
    tcp          {"inet": (port, cport, pid), "inet6": ...}: a connection from
                 the client port cport of process pid to a listener on port,
                 loopback, which received tcp_sent bytes and replied
                 tcp_reply before the client closed; inet6 may be absent
    """
    hostile = None

    @classmethod
    def from_manifest(cls, m):
        """The facts of a shell workload that recorded them as KEY=VALUE
        (tests/kernels/release-guest/workload, the bullseye test's): its
        exec, killed and hostile children and its open; TCP, open_flags and
        open_fd if it recorded them."""
        check(m["exec_rc"] == "7" and m["killed_rc"] == "137" and m["hostile_rc"] == "3",
              "workload: exit statuses exec/killed/hostile %s/%s/%s, expected 7/137/3"
              % (m["exec_rc"], m["killed_rc"], m["hostile_rc"]))
        f = cls()
        f.parent, f.uid = int(m["parent"]), int(m["uid"])
        f.exec_pid, f.exec_path = int(m["exec_pid"]), m["exec_path"]
        f.exec_comm = os.path.basename(f.exec_path)
        f.killed_pid = int(m["killed_pid"])
        hpath = bytes.fromhex(m["hostile_path_hex"])
        f.hostile = (int(m["hostile_pid"]), hpath.decode("utf-8", "replace"),
                     os.path.basename(hpath).decode("utf-8", "replace"))
        f.open_pid = f.open_tid = int(m["open_pid"])
        f.open_path = m["open_path"]
        if "open_flags" in m:
            f.open_flags, f.open_fd = int(m["open_flags"], 8), int(m["open_fd"])
        f.tcp = {}
        for family in ("inet", "inet6"):
            if "tcp_" + family in m:
                f.tcp[family] = tuple(int(x) for x in m["tcp_" + family].split(","))
        if f.tcp:
            f.tcp_sent, f.tcp_reply = int(m["tcp_sent"]), int(m["tcp_reply"])
        return f


def check_exec(f, evs):
    mine = [e for e in evs if e["type"] in ("exec", "fork", "exit")
            and e["pid"] == f.exec_pid]
    seen = " seen for pid %d: %s" % (f.exec_pid, mine)
    forks = [e for e in mine if e["type"] == "fork"]
    check(forks, "exec: no fork event" + seen)
    check(forks[0]["ppid"] == f.parent, "exec: fork ppid %s != parent %d" % (forks[0]["ppid"], f.parent) + seen)
    execs = [e for e in mine if e["type"] == "exec"]
    check(execs, "exec: no exec event" + seen)
    e = execs[0]
    check(e["filename"] == f.exec_path, "exec: filename %r != %r" % (e["filename"], f.exec_path))
    check(e["ppid"] == f.parent, "exec: ppid %s != parent %d (task->real_parent->tgid)" % (e["ppid"], f.parent))
    check(e["comm"] == f.exec_comm, "exec: comm %r != %r" % (e["comm"], f.exec_comm))
    check(e["uid"] == f.uid, "exec: uid %s != %d" % (e["uid"], f.uid))
    exits = [e for e in mine if e["type"] == "exit"]
    check(exits, "exec: no exit event" + seen)
    x = exits[0]
    check(x["exit_code"] == 7 and x["signal"] == 0,
          "exec: exit_code/signal %s/%s != 7/0" % (x["exit_code"], x["signal"]))
    check(x["ppid"] == f.parent, "exec: exit ppid %s != %d" % (x["ppid"], f.parent))
    check(0 < x["lifetime_ns"] < 120e9, "exec: lifetime_ns %s out of range" % x["lifetime_ns"])
    check(x["ts_ns"] >= e["ts_ns"], "exec: exit before exec")
    if f.hostile:
        hpid, hpath, hcomm = f.hostile
        hx = [e for e in evs if e["type"] == "exec" and e["pid"] == hpid]
        check(hx and hx[0]["filename"] == hpath and hx[0]["comm"] == hcomm,
              "exec: hostile names: expected %r / %r, got %s" % (hpath, hcomm, hx))
    kx = [e for e in evs if e["type"] == "exit" and e["pid"] == f.killed_pid]
    check(kx, "exec: no exit event for the SIGKILLed child %d" % f.killed_pid)
    check(kx[0]["signal"] == signal.SIGKILL and kx[0]["exit_code"] == 0,
          "exec: killed child signal/exit_code %s/%s != 9/0" % (kx[0]["signal"], kx[0]["exit_code"]))


def check_open(f, evs):
    opens = [e for e in evs if e["type"] == "open"]
    mine = [e for e in opens if e["path"] == f.open_path]
    check(mine, "open: no event with path %s (%d open events)" % (f.open_path, len(opens)))
    e = mine[0]
    check(e["pid"] == f.open_pid and e["tid"] == f.open_tid,
          "open: pid/tid %s/%s != %d/%d" % (e["pid"], e["tid"], f.open_pid, f.open_tid))
    check(e["flags"] & OPEN_FLAGS_MASK == f.open_flags,
          "open: flags %#o, expected %#o in %#o" % (e["flags"], f.open_flags, OPEN_FLAGS_MASK))
    check(e["ret"] == f.open_fd, "open: ret %s != fd %d" % (e["ret"], f.open_fd))
    missing = f.open_path + ".missing"
    miss = [e for e in opens if e["path"] == missing]
    check(miss and miss[0]["ret"] == -errno.ENOENT,
          "open: missing file: expected ret -ENOENT, got %s" % miss)


def check_tcp_pair(evs, family, addr, port, cport, pid, sent, reply):
    tcp = [e for e in evs if e["type"] == "tcp" and e["family"] == family]
    client = [e for e in tcp if e["dport"] == port and e["daddr"] == addr]
    server = [e for e in tcp if e["sport"] == port and e["dport"] == cport]
    what = "tcp %s port %d:" % (family, port)
    seen = " seen: %s" % [(e["oldstate"], e["newstate"], e["sport"], e["dport"]) for e in client + server]
    check(any(e["newstate"] == "LISTEN" for e in tcp if e["sport"] == port),
          what + " no LISTEN event" + seen)
    syn = [e for e in client if e["newstate"] == "SYN_SENT"]
    check(syn, what + " no CLOSE->SYN_SENT event" + seen)
    check(syn[0]["pid"] == pid, what + " SYN_SENT pid %s != %d" % (syn[0]["pid"], pid))
    check(any(e["oldstate"] == "SYN_SENT" and e["newstate"] == "ESTABLISHED"
              and e["sport"] == cport for e in client),
          what + " no SYN_SENT->ESTABLISHED with sport %d" % cport + seen)
    cclose = [e for e in client if e["newstate"] == "CLOSE" and e["sport"] == cport]
    check(cclose, what + " no client CLOSE event" + seen)
    c = cclose[0]
    check(c["saddr"] == addr, what + " client saddr %s != %s" % (c["saddr"], addr))
    # bytes_acked / bytes_received count sequence space: SYN and FIN add 1
    check(sent <= c["bytes_sent"] <= sent + 2,
          what + " client bytes_sent %s, expected %d..%d" % (c["bytes_sent"], sent, sent + 2))
    check(reply <= c["bytes_received"] <= reply + 1,
          what + " client bytes_received %s, expected %d..%d" % (c["bytes_received"], reply, reply + 1))
    check(0 < c["lifetime_ns"] < 120e9, what + " client lifetime_ns %s" % c["lifetime_ns"])
    check(c["pid"] == pid, what + " client close pid %s != %d" % (c["pid"], pid))
    sclose = [e for e in server if e["newstate"] == "CLOSE"]
    check(sclose, what + " no server-side CLOSE event" + seen)
    s = sclose[0]
    check(sent <= s["bytes_received"] <= sent + 1,
          what + " server bytes_received %s, expected %d..%d" % (s["bytes_received"], sent, sent + 1))
    check(reply <= s["bytes_sent"] <= reply + 2,
          what + " server bytes_sent %s, expected %d..%d" % (s["bytes_sent"], reply, reply + 2))


LOOPBACK = {"inet": "127.0.0.1", "inet6": "::1"}


def check_tcp(f, evs):
    for family, (port, cport, pid) in sorted(f.tcp.items()):
        check_tcp_pair(evs, family, LOOPBACK[family], port, cport, pid, f.tcp_sent, f.tcp_reply)


def expect_summary(summary, want, what):
    """want: {key: value}; a value None means the key must be absent."""
    for key, val in want.items():
        check(summary.get(key) == val, "%s: summary %s=%s, expected %s (summary %s)"
              % (what, key, summary.get(key), val, summary))


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
    check(skipped(summary) == steps,
          "%s: run skipped %s, check's failed steps %s" % (what, skipped(summary), steps))


def check_probes(checks, what):
    """Runs each (probe, fn) of checks, printing ok per probe; returns the
    failures, each naming the probe, so that one probe's failure does not hide
    another's."""
    failures = []
    for name, fn in checks:
        try:
            fn()
            print("ok   %s probe=%s" % (what, name))
        except Failure as e:
            failures.append("%s probe=%s: %s" % (what, name, e))
    return failures
