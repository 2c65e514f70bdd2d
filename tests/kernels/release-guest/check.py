#!/usr/bin/env python3
"""The host's assertions on a release guest's run (release-guest/run):

  check.py --out DIR --mode core|core-btfhub|runtime

DIR holds what release-guest/workload left: manifest (the facts of the
workload and of the guest), events.json and run.err (bpfport run),
run2.err (runtime: the second start), check.json (bpfport check --json).
Asserted: the guest had no shared object and no python; the run chose MODE
(--mode auto) for the reason MODE's guest gives it, over the output the
kernel has (ringbuf on 5.8+, else the perf buffer), and exited 0 on SIGTERM;
every probe's events, with the probe tests' own assertions (probe_checks.py:
pids, ppid, exit code and signal, exec'd path and comm, open path, flags and
fd, TCP ports, pids and byte counts); runtime: the second start was served
from the cache; check --json follows its schema and agrees with what run did.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "..", "integration")
sys.path.insert(0, INTEGRATION)
import harness  # noqa: E402
from harness import Failure, check  # noqa: E402
from probe_checks import (Facts, agrees_with_check, check_doc, check_exec,  # noqa: E402
                          check_open, check_probes, check_tcp, expect_summary)

NATIVE_BTF = "/sys/kernel/btf/vmlinux"


def read_manifest(path, mode):
    m = {}
    for line in open(path):
        k, sep, v = line.rstrip("\n").partition("=")
        check(sep and k not in m, "manifest: bad line %r" % line)
        m[k] = v
    harness.set_context("release mode=%s" % mode, kernel=m.get("kernel_release"))
    check(m.get("complete") == "yes",
          "the workload did not finish: manifest %s" % m)
    return m


def workload_facts(m):
    """The probe_checks.Facts of the workload, from its manifest."""
    f = Facts.from_manifest(m)
    check("inet" in f.tcp, "workload: no inet TCP exchange")
    return f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", required=True, choices=["core", "core-btfhub", "runtime"])
    args = ap.parse_args()
    out = args.out
    harness.set_context("release mode=%s" % args.mode)

    def body():
        m = read_manifest(os.path.join(out, "manifest"), args.mode)
        release = m["kernel_release"]
        what = "release mode=%s" % args.mode
        # the premise: nothing of a distribution's userland in the guest
        check(m["shared_objects"] == "0" and not m["python"],
              "the guest is not bare: %s shared objects, python %r"
              % (m["shared_objects"], m["python"]))
        native = m["native_btf"] == "yes"
        ringbuf = harness.kernel_has_ringbuf(release)

        want = {"mode": args.mode, "output": "ringbuf" if ringbuf else "perfbuf"}
        if args.mode == "core":
            want.update(reason="native-btf", btf=NATIVE_BTF)
        elif args.mode == "core-btfhub":
            want.update(reason="btf-file", btf=m["btf_file"])
        else:
            check(m["headers"], "%s: the guest has no /lib/modules/%s/build" % (what, release))
            want.update(reason="compiled", cache="miss", headers=m["headers"])
        err = open(os.path.join(out, "run.err"), errors="replace").read().splitlines()
        check(m["run_rc"] == "0", "%s: bpfport run exited %s after SIGTERM: %s"
              % (what, m["run_rc"], err[-3:]))
        summary = harness.summary_of(err)
        expect_summary(summary, want, what)
        check(summary["attached"] == "exec,open,tcp" and summary.get("malformed") == "0",
              "%s: attached %s, malformed %s" % (what, summary["attached"], summary.get("malformed")))
        with open(os.path.join(out, "events.json"), "rb") as fh:
            evs = harness.parse_events(fh.readlines())
        facts = workload_facts(m)
        failures = check_probes((("exec", lambda: check_exec(facts, evs)),
                                 ("open", lambda: check_open(facts, evs)),
                                 ("tcp", lambda: check_tcp(facts, evs))), what)
        print("%s: %d events, summary: %s" % (what, len(evs), summary))

        if args.mode == "runtime":
            err2 = open(os.path.join(out, "run2.err"), errors="replace").read().splitlines()
            check(m["run2_rc"] == "0", "%s: second start exited %s: %s" % (what, m["run2_rc"], err2[-3:]))
            expect_summary(harness.summary_of(err2), dict(want, cache="hit"),
                           what + " second start (expected a cache hit)")
            print("ok   %s second start: cache=hit" % what)

        schema = json.load(open(os.path.join(INTEGRATION, "..", "check-schema.json")))
        with open(os.path.join(out, "check.json")) as fh:
            try:
                doc = json.load(fh)
            except ValueError as e:
                raise Failure("%s: check --json printed no JSON document (%s)" % (what, e))
        check_doc(doc, int(m["check_rc"]), schema, what)
        check(doc["system"]["kernel_release"] == release
              and doc["features"]["ringbuf"] is ringbuf
              and doc["native_btf"]["present"] is native,
              "%s: check says kernel %s ringbuf %s native BTF %s; the guest: %s, %s, %s"
              % (what, doc["system"]["kernel_release"], doc["features"]["ringbuf"],
                 doc["native_btf"]["present"], release, ringbuf, native))
        agrees_with_check(doc, summary, what)
        print("ok   %s check: auto -> %s (%s)" % (what, doc["verdict"]["auto_mode"],
                                                doc["verdict"]["reason"]))
        if failures:
            raise Failure("\n  ".join(failures))

    harness.run_main(body)


if __name__ == "__main__":
    main()
