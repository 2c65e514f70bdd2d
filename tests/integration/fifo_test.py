#!/usr/bin/env python3
"""FIFOs as file inputs: every file bpfport reads is opened without
blocking and must be a regular file (util/fsio.h: fsio_open_input()), so
a FIFO given or planted as one (BTF, os-release, kernel config, kernel
headers, archive and fleet trees, cache entries, bpfport ready's file) is
a clear error at once, never a hang. Every command runs under a timeout
that fails the test.

  fifo_test.py --bpfport PATH --fixtures tests/fixtures
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

TIMEOUT = 30


def bp(args, *argv, env=None):
    try:
        return subprocess.run([args.bpfport] + list(argv), capture_output=True, text=True,
                              env=env, timeout=TIMEOUT * harness.SLOW)
    except subprocess.TimeoutExpired:
        raise harness.Failure("bpfport %s hung (%d s)" % (" ".join(argv), TIMEOUT))


def check_json(args, *argv, env=None):
    p = bp(args, "check", "--json", *argv, env=env)
    check(p.returncode in (0, 1), "check %s: exit %d %r" % (argv, p.returncode, p.stderr[-300:]))
    return p.returncode, json.loads(p.stdout)


def modes(doc):
    return {m["source"]: m for m in doc.get("modes", [])}


def test(args, tmp):
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    nofifo = "not a regular file"
    hidden = dict(os.environ, BPFPORT_HIDE_NATIVE_BTF="1")

    # --btf: check's preflight refuses it; run goes on to native BTF
    p = bp(args, "check", "--json", "--btf", fifo)
    check(p.returncode == 1 and json.loads(p.stdout) == {"error": fifo + ": " + nofifo
                                                         + ": give a .btf or .btf.tar.xz file"},
          "check --btf FIFO: %d %r" % (p.returncode, p.stdout))
    for argv, env, step in ((["--btf", fifo], None, "file"),
                            ([], dict(os.environ, BPFPORT_BTF=fifo), "env")):
        p = bp(args, "run", "--duration", "0", "--probes", "exec", *argv, env=env)
        s = harness.summary_of(p.stderr.splitlines())
        check(p.returncode == 0 and s.get("mode") == "core"
              and "core-btfhub/%s:btf-corrupt" % step in harness.skipped(s),
              "run, %s FIFO: %d %s" % (step, p.returncode, s))
    _, doc = check_json(args, env=dict(os.environ, BPFPORT_BTF=fifo))
    check(nofifo in modes(doc)["env"]["detail"], "check, $BPFPORT_BTF FIFO: %s" % modes(doc)["env"])

    # native BTF (BPFPORT_NATIVE_BTF, the fault injection knob)
    _, doc = check_json(args, env=dict(os.environ, BPFPORT_NATIVE_BTF=fifo))
    check(doc["native_btf"]["present"] and not doc["native_btf"]["valid"]
          and nofifo in doc["native_btf"]["error"], "native BTF FIFO: %s" % doc["native_btf"])
    check(modes(doc)["native"]["reason"] == "btf-corrupt", "native FIFO: %s" % modes(doc)["native"])

    # os-release: --os-release, $BPFPORT_OS_RELEASE, below $BPFPORT_SYSROOT
    want = "os-release %s: %s" % (fifo, nofifo)
    for argv, env in ((["--os-release", fifo], hidden),
                      ([], dict(hidden, BPFPORT_OS_RELEASE=fifo))):
        _, doc = check_json(args, *argv, env=env)
        check(doc["system"]["os"] is None and want in modes(doc)["embedded"]["detail"],
              "os-release FIFO %s: %s %s" % (argv, doc["system"]["os"], modes(doc).get("embedded")))
        err, _ = harness.run_failing(args.bpfport, ["--duration", "0", "--mode", "core-btfhub"] + argv,
                                     env=env, what="run, os-release FIFO")
        check(want in err, "run, os-release FIFO: %r" % err)
    root = os.path.join(tmp, "root")
    for d in ("etc", "boot", "usr/lib"):
        os.makedirs(os.path.join(root, d))
    os.mkfifo(os.path.join(root, "etc/os-release"))
    os.mkfifo(os.path.join(root, "usr/lib/os-release"))
    # the kernel config below the sysroot too
    os.mkfifo(os.path.join(root, "boot", "config-" + platform.release()))
    _, doc = check_json(args, env=dict(hidden, BPFPORT_SYSROOT=root))
    check(doc["system"]["os"] is None and doc["kconfig"]["source"] is None
          and (root + "/etc/os-release: " + nofifo) in modes(doc)["embedded"]["detail"],
          "sysroot FIFOs: %s %s %s" % (doc["system"]["os"], doc["kconfig"], modes(doc).get("embedded")))

    # a btfhub-archive whose entry for this host is a FIFO: not a BTF file
    arc = os.path.join(tmp, "archive")
    rel = harness.archive_from_btf(arc, os.path.join(args.fixtures, "btfhub", "good.btf"))
    os.unlink(os.path.join(arc, rel))
    os.mkfifo(os.path.join(arc, rel))
    err, _ = harness.run_failing(args.bpfport, ["--duration", "0", "--mode", "core-btfhub",
                                                "--btf-archive", arc], env=hidden,
                                 what="run, archive FIFO")
    check("core-btfhub/archive: btf-not-found" in err, "run, archive FIFO: %r" % err)
    # fleet: a FIFO beside a BTF is not a kernel of the tree
    fleet = os.path.join(tmp, "fleet", "fixture", "1", "x86_64")
    os.makedirs(fleet)
    shutil.copy(os.path.join(args.fixtures, "btfhub", "good.btf.tar.xz"),
                os.path.join(fleet, "5.4.0-good.btf.tar.xz"))
    os.mkfifo(os.path.join(fleet, "5.4.0-fifo.btf.tar.xz"))
    p = bp(args, "fleet", "--json", "--probes", "exec", os.path.join(tmp, "fleet"))
    kernels = [k["kernel"] for k in json.loads(p.stdout)["kernels"]]
    check(kernels == ["fixture/1/x86_64/5.4.0-good.btf"], "fleet with a FIFO: %s" % kernels)

    # kernel headers whose files are FIFOs
    hdr = os.path.join(tmp, "headers")
    os.makedirs(os.path.join(hdr, "include", "generated"))
    os.mkfifo(os.path.join(hdr, "Makefile"))
    os.mkfifo(os.path.join(hdr, "include", "generated", "utsrelease.h"))
    p = bp(args, "compile", "--kernel-headers", hdr, "--probes", "exec", "-o", os.path.join(tmp, "out"))
    errs = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
    check(p.returncode == 1 and len(errs) == 1 and hdr in errs[0] and "utsrelease.h" in errs[0],
          "compile, header FIFOs: %d %r" % (p.returncode, p.stderr[-500:]))

    # a FIFO as bpfport ready's FILE (run --ready-file's)
    p = bp(args, "ready", fifo)
    check(p.returncode == 1 and p.stderr == "bpfport: not ready: %s: %s (a FIFO, a device or a socket)\n"
          % (fifo, nofifo), "ready FIFO: %d %r" % (p.returncode, p.stderr))

    # a FIFO planted in the runtime cache as an entry
    cache = os.path.join(tmp, "cache")
    os.mkdir(cache, 0o700)
    os.mkfifo(os.path.join(cache, "0123456789abcdef.obj"), 0o600)
    p = bp(args, "cache", "list", "--json", "--cache-dir", cache)
    entries = json.loads(p.stdout) if p.returncode == 0 else None
    check(entries and len(entries) == 1 and not entries[0]["ok"],
          "cache list, FIFO entry: %d %r %r" % (p.returncode, p.stdout[:300], p.stderr[-300:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--fixtures", required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")

    def body():
        with tempfile.TemporaryDirectory(prefix="bpfport-test-fifo-") as tmp:
            test(args, tmp)
    harness.run_main(body)


if __name__ == "__main__":
    main()
