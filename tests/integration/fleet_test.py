#!/usr/bin/env python3
"""bpfport fleet --reports: real hosts' check --json in the fleet table.

  fleet_test.py --bpfport PATH --schema tests/check-schema.json

The reports are made here: this host's own `check --json`, and hosts made
from it as other kernels' reports read (core-btfhub on a kernel without
BTF, runtime, no mode at all, a report from before check named its host),
each checked against the schema first; then the ones fleet must refuse
(malformed JSON, another document, check's own error, a wrong type, an
inconsistent verdict), a file of JSON lines as collected logs hold them, and
a hostile one: its file name, hostname, distro and a probe's detail hold
newlines, escape sequences, a C1 CSI. Asserted: one row per report with
the mode, reasons and probes it gives, the counts, the exit status, and
that neither the text table nor the CSV lets a hostile string forge a row
or reach the terminal raw. fleet --reports needs no privilege: it runs as
nobody.
"""
import argparse
import copy
import csv
import io
import json
import os
import platform
import pwd
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
from schema import validate  # noqa: E402

HOSTILE_NAME = "evil\n\x1b[31mFORGED\r.json"
# raw control characters the output must never hold (C0 but \n, DEL, C1)
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f\x80-\x9f]")


def nobody():
    pw = pwd.getpwnam("nobody")

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    return drop


def fleet(args, *argv):
    p = subprocess.run([args.bin, "fleet"] + list(argv), capture_output=True,
                       preexec_fn=nobody(), timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "surrogateescape"), p.stderr.decode()


def probe(doc, name):
    return [p for p in doc["probes"] if p["name"] == name][0]


def make_hosts(base):
    """Reports of other hosts, made from this host's as their check writes
    them: name -> (document, the row fleet must make of it)."""
    hosts = {}

    def mode(m, source, ok, reason, detail=""):
        return {"mode": m, "source": source, "ok": ok, "reason": reason, "detail": detail}

    # an Ubuntu 18.04 kernel without BTF: the embedded archive has it
    d = copy.deepcopy(base)
    d["system"].update(hostname="web-1", kernel_release="4.15.0-1054-aws")
    d["system"]["os"] = {"id": "ubuntu", "version_id": "18.04", "pretty_name": "Ubuntu 18.04.6 LTS"}
    d["native_btf"].update(present=False, valid=False, error="absent")
    d["features"]["ringbuf"] = False
    d["modes"] = [mode("core", "native", False, "no-native-btf"),
                  mode("core-btfhub", "embedded", True, "btf-embedded")]
    d["verdict"] = {"ok": True, "auto_mode": "core-btfhub", "reason": "btf-embedded", "detail": ""}
    hosts["btfhub.json"] = (d, {"host": "web-1", "kernel": "4.15.0-1054-aws", "distro": "ubuntu/18.04",
                                "ringbuf": False, "mode": "core-btfhub", "reason": "btf-embedded",
                                "skipped": "core/native:no-native-btf", "ok": True})

    # runtime, and the optional oom cannot attach there
    d = copy.deepcopy(base)
    d["system"].update(hostname="db-2", kernel_release="5.4.286")
    d["modes"] = [mode("core", "native", False, "no-native-btf"),
                  mode("core-btfhub", "embedded", False, "btf-not-found"),
                  mode("core-btfhub", "archive", False, "btf-not-found"),
                  mode("runtime", "headers", True, "compiled")]
    d["verdict"] = {"ok": True, "auto_mode": "runtime", "reason": "compiled", "detail": ""}
    oom = probe(d, "oom")
    oom["usable"] = False
    oom["programs"][0].update(attach="unavailable", reason="kprobes-unavailable",
                              detail="kernel built without CONFIG_KPROBES")
    hosts["sub/runtime.json"] = (d, {
        "host": "db-2", "mode": "runtime", "reason": "compiled",
        "skipped": "core/native:no-native-btf core-btfhub/embedded:btf-not-found "
                   "core-btfhub/archive:btf-not-found",
        "ok": True, "cells": {"oom": "kprobes-unavailable", "exec": "ok"}})

    # no mode: no headers for runtime
    d = copy.deepcopy(base)
    d["system"]["hostname"] = "old-3"
    d["probes"] = []
    d["modes"] = [mode("core", "native", False, "no-native-btf"),
                  mode("runtime", "headers", False, "no-headers", "install linux-headers")]
    d["verdict"] = {"ok": False, "auto_mode": "none", "reason": "no-native-btf",
                    "detail": "no usable mode: runtime/headers: no-headers"}
    hosts["sub/deeper/none.json"] = (d, {
        "host": "old-3", "mode": "none", "reason": "no-native-btf", "ok": False,
        "verdict_detail": "no usable mode: runtime/headers: no-headers",
        "skipped": "core/native:no-native-btf runtime/headers:no-headers", "cells": {}})

    # a report from before check named its host
    d = copy.deepcopy(base)
    del d["system"]["hostname"]
    hosts["old-version.json"] = (d, {"host": None, "mode": base["verdict"]["auto_mode"]})

    # hostile strings everywhere a host writes text
    d = copy.deepcopy(base)
    d["system"]["hostname"] = "h\nFORGED-ROW"
    d["system"]["os"] = {"id": "evil\x1b[2J", "version_id": "1\r", "pretty_name": "\x1b]0;pwned\x07 OS\x9b"}
    ex = probe(d, "exec")
    ex.update(load="failed", reason="verifier-rejected", usable=False,
              detail="line1\nFORGED-LINE \x9b31m \x1b[0m")
    d["verdict"] = {"ok": False, "auto_mode": "none", "reason": "verifier-rejected",
                    "detail": "probe exec:\nFORGED-DETAIL"}
    hosts[HOSTILE_NAME] = (d, {"host": "h\nFORGED-ROW", "distro": "evil\x1b[2J/1\r", "mode": "none",
                               "ok": False, "cells": {"exec": "verifier-rejected"}})
    return hosts


# reports fleet must refuse: file -> text, words of its error
BAD = {
    "broken.json": ('{"bpfport_version": "0.1.0",\n "system": {', "line 2, column"),
    "other.json": ('{"type": "exec", "pid": 1}', "not a check --json document"),
    "check-error.json": ('{"error": "unknown probe \'bogus\'"}', "check failed: unknown probe"),
    "empty.json": ("", "expected a value"),
}


def test_reports(args, tmp):
    p = subprocess.run([args.bpfport, "check", "--json"], capture_output=True, text=True, timeout=300)
    base = json.loads(p.stdout)
    schema = json.load(open(args.schema))
    check(not validate(base, schema), "this host's check --json: %s" % validate(base, schema)[:3])
    d = os.path.join(tmp, "reports")
    os.makedirs(os.path.join(d, "sub", "deeper"))
    want = {"this-host.json": (base, {"host": platform.node(), "kernel": platform.release(),
                                      "mode": base["verdict"]["auto_mode"],
                                      "reason": base["verdict"]["reason"],
                                      "ok": base["verdict"]["ok"]})}
    want.update(make_hosts(base))
    for name, (doc, _) in want.items():
        if name != "old-version.json":
            errs = validate(doc, schema)
            check(not errs, "fixture %r is not what check writes: %s" % (name, errs[:3]))
        with open(os.path.join(d, name), "w") as f:
            json.dump(doc, f, indent=2 if name == "btfhub.json" else None)
    bad = dict(BAD)
    wrong = copy.deepcopy(base)
    wrong["verdict"]["ok"] = "yes"
    bad["wrong-type.json"] = (json.dumps(wrong), "verdict.ok: string, expected boolean")
    liar = copy.deepcopy(base)
    probe(liar, "exec")["usable"] = False
    liar["verdict"]["ok"] = True
    bad["liar.json"] = (json.dumps(liar), "required probe exec is not usable")
    for name, (text, _) in bad.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    # collected logs: text, events, a report after a CRI prefix, a broken one
    cut = copy.deepcopy(base)
    del cut["verdict"]
    with open(os.path.join(d, "node-logs.jsonl"), "w") as f:
        f.write("bpfport: running mode=core\n")
        f.write('{"type":"exec","ts_ns":1,"pid":2}\n')
        f.write("2024-05-01T10:00:00Z stdout F " + json.dumps(base) + "\n")
        f.write(json.dumps(cut) + "\n")
    want["node-logs.jsonl:3"] = (base, {"mode": base["verdict"]["auto_mode"]})
    bad["node-logs.jsonl:4"] = (None, "verdict: missing")
    # not reports: another extension, a symlink (never followed)
    open(os.path.join(d, "notes.txt"), "w").write("{}")
    os.symlink(os.path.join(d, "this-host.json"), os.path.join(d, "link.json"))
    os.chmod(tmp, 0o755)

    rc, out, err = fleet(args, "--reports", d, "--json")
    check(rc == 1, "fleet --reports: exit %d (a host has no mode: 1), stderr %r" % (rc, err))
    doc = json.loads(out)
    rows = {h["report"]: h for h in doc["hosts"]}
    check(sorted(rows) == sorted(list(want) + list(bad)) and len(doc["hosts"]) == len(rows),
          "rows %s, expected %s" % (sorted(rows), sorted(list(want) + list(bad))))
    for name, (_, words) in bad.items():
        check(set(rows[name]) == {"report", "error"} and words in rows[name]["error"],
              "%s: expected an error with %r: %s" % (name, words, rows[name]))
    for name, (src, w) in want.items():
        row = rows[name]
        check("error" not in row, "%s: %s" % (name, row.get("error")))
        for k, v in w.items():
            if k == "cells":
                for pname, word in v.items():
                    check(row["probes"][pname]["verdict"] == word,
                          "%s: probe %s %s, expected %s" % (name, pname, row["probes"][pname], word))
                if not v:
                    check(row["probes"] == {}, "%s: probes %s, expected none" % (name, row["probes"]))
            else:
                check(row[k] == v, "%s: %s=%r, expected %r" % (name, k, row[k], v))
        usable = {p["name"]: p["usable"] for p in src["probes"]}
        check(sorted(row["missing"]) == sorted(n for n, u in usable.items() if not u),
              "%s: missing %s, the report says usable %s" % (name, row["missing"], usable))
        check(row["bpfport_version"] == src["bpfport_version"]
              and row["arch"] == src["system"]["arch"], "%s: %s" % (name, row))
    readable = [h for h in doc["hosts"] if "error" not in h]
    modes = {}
    for h in readable:
        modes[h["mode"]] = modes.get(h["mode"], 0) + 1
    c = doc["counts"]
    check(c["total"] == len(rows) and c["unreadable"] == len(bad)
          and c["ok"] == sum(h["ok"] for h in readable) and c["mode"] == modes
          and c["ok"] + c["not_ok"] + c["unreadable"] == c["total"],
          "counts %s (modes %s)" % (c, modes))
    check(c["probes"]["exec"].get("verifier-rejected") == 1 and doc["all_ok"] is False,
          "counts.probes %s all_ok %s" % (c["probes"], doc["all_ok"]))
    print("ok   json: %d rows (%d unreadable), modes %s" % (len(rows), len(bad), modes))

    # text: one line per row (an error row too), details indented below it;
    # nothing raw, the hostile strings escaped in place
    rc, out, _ = fleet(args, "--reports", d)
    check(rc == 1 and not RAW.search(out), "text: exit %d, raw control characters: %r"
          % (rc, RAW.findall(out)[:5]))
    lines = out.split("\n")
    table = lines[:lines.index("")]
    check(table[0].split()[:6] == ["REPORT", "HOST", "KERNEL", "DISTRO", "MODE", "REASON"]
          and table[0].rstrip().endswith("NOTES"), "header %r" % table[0])
    starts = [l.split()[0] for l in table[1:] if not l.startswith(" ")]
    esc_name = json.dumps(HOSTILE_NAME)[1:-1]
    check(sorted(starts) == sorted(json.dumps(n)[1:-1] for n in list(want) + list(bad)),
          "text rows %s" % starts)
    check(not any(l.lstrip().startswith("FORGED") for l in lines), "a forged line: %r" % out)
    hostile = [l for l in table if l.startswith(esc_name)][0]
    check("h\\nFORGED-ROW" in hostile and "evil\\u001b[2J/1\\r" in hostile
          and "verifier-rejected" in hostile, "hostile row %r" % hostile)
    check("    exec: line1\\nFORGED-LINE \\u009b31m \\u001b[0m" in table, "hostile detail: %r" % table)
    row = [l for l in table if l.startswith("sub/runtime.json")][0]
    check(re.search(r"\bdb-2\s+5\.4\.286\s+\S+\s+runtime\s+compiled\b", row), "runtime row %r" % row)
    foot = lines[lines.index("") + 1:]
    check(foot[0] == "%d hosts: %d ok, %d not, %d unreadable" % (c["total"], c["ok"], c["not_ok"],
                                                              c["unreadable"])
          and foot[1].startswith("mode: ") and any(l.startswith("exec: ") for l in foot),
          "footer %r" % foot)
    print("ok   text: %d rows, hostile strings escaped" % len(starts))

    # CSV: one line per host and probe, an error row each; nothing raw
    rc, out, _ = fleet(args, "--reports", d, "--csv")
    check(rc == 1 and not RAW.search(out), "csv: raw control characters %r" % RAW.findall(out)[:5])
    recs = list(csv.DictReader(io.StringIO(out)))
    n = sum(len(h["probes"]) for h in readable) + len(bad)
    check(len(recs) == n and len(out.splitlines()) == n + 1,
          "csv: %d records in %d lines, expected %d" % (len(recs), len(out.splitlines()) - 1, n))
    check(recs and list(recs[0])[:3] == ["report", "host", "kernel"]
          and list(recs[0])[-3:] == ["probe", "verdict", "detail"], "csv header %s" % list(recs[0]))
    h = [r for r in recs if r["report"] == esc_name and r["probe"] == "exec"]
    check(h and h[0]["host"] == "h\\nFORGED-ROW" and h[0]["verdict"] == "verifier-rejected",
          "csv hostile row %s" % h)
    check(sum(r["verdict"] == "error" for r in recs) == len(bad), "csv error rows")
    print("ok   csv: %d records" % len(recs))

    # --probes: those columns only; one file (the logs) as --reports
    rc, out, _ = fleet(args, "--reports", os.path.join(d, "node-logs.jsonl"), "--probes", "exec,tcp",
                       "--json")
    doc = json.loads(out)
    check(rc == 1 and [h["report"].rsplit(":", 1)[1] for h in doc["hosts"]] == ["3", "4"]
          and set(doc["hosts"][0]["probes"]) == {"exec", "tcp"},
          "one file, --probes exec,tcp: %d %s" % (rc, doc["hosts"]))

    # only good reports: exit 0
    good = os.path.join(tmp, "good")
    os.makedirs(good)
    shutil.copy(os.path.join(d, "btfhub.json"), good)
    shutil.copy(os.path.join(d, "sub", "runtime.json"), good)
    rc, out, err = fleet(args, "--reports", good)
    check(rc == 0 and "2 hosts: 2 ok, 0 not, 0 unreadable" in out, "good reports: %d %r %r" % (rc, out, err))

    # only bad ones: rows of errors, no counts (sorting no counts was
    # undefined: the sanitizer lane stopped on it)
    only_bad = os.path.join(tmp, "only-bad")
    os.makedirs(only_bad)
    shutil.copy(os.path.join(d, "other.json"), only_bad)
    for fmt in ("--json", "--csv", None):
        rc, out, err = fleet(args, "--reports", only_bad, *([fmt] if fmt else []))
        check(rc == 1 and "other.json" in out and "not a check --json document" in out,
              "only bad reports %s: %d %r %r" % (fmt, rc, out, err))


def test_usage(args, tmp):
    """Exit 2 on bad usage, 1 with one error line when there is nothing to read."""
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    for argv, status, words in ((["--reports"], 2, "needs a value"),
                                (["--reports", empty, "extra"], 2, "unexpected argument 'extra'"),
                                (["--reports", empty, "--json", "--csv"], 2, "exclude each other"),
                                (["--reports", empty, "--probes", "bogus"], 2, "unknown probe 'bogus'"),
                                (["--reports", empty], 1, "no *.json or *.jsonl file"),
                                (["--reports", os.path.join(tmp, "absent")], 1, "No such file"),
                                ([], 2, "--reports DIR")):
        rc, out, err = fleet(args, *argv)
        errs = [l for l in err.splitlines() if l.startswith("bpfport: error: ")]
        check(rc == status and len(errs) == 1 and words in errs[0] and not out,
              "fleet %s: exit %d, expected %d and one error with %r: %r %r"
              % (argv, rc, status, words, out, err))
    print("ok   usage errors")


def test_archive_names(args, tmp):
    """The btfhub-archive table escapes its file names the same way."""
    root = os.path.join(tmp, "archive")
    os.makedirs(os.path.join(root, "evil", "1", "x86_64"))
    with open(os.path.join(root, "evil", "1", "x86_64", "5.0\n\x1b[2JFORGED.btf"), "wb") as f:
        f.write(b"not BTF")
    for fmt in ([], ["--csv"]):
        rc, out, _ = fleet(args, root, *fmt)
        check(rc == 1 and not RAW.search(out) and "5.0\\n\\u001b[2JFORGED" in out
              and not any(l.startswith("FORGED") for l in out.splitlines()),
              "archive %s: %d %r" % (fmt, rc, out))
    print("ok   archive file names escaped")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")

    def body():
        with tempfile.TemporaryDirectory(prefix="bpfport-test-fleet-") as tmp:
            os.chmod(tmp, 0o755)
            # where nobody can run it
            args.bin = os.path.join(tmp, "bpfport")
            shutil.copy(args.bpfport, args.bin)
            os.chmod(args.bin, 0o755)
            test_reports(args, tmp)
            test_usage(args, tmp)
            test_archive_names(args, tmp)
    harness.run_main(body)


if __name__ == "__main__":
    main()
