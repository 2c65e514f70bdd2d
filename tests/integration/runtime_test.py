#!/usr/bin/env python3
"""Runtime mode on this host. No headers match the running kernel here, so
this compiles against another kernel's exact Debian headers (from the VM
matrix's cache: tests/kernels/fetch), proves compile + verifier load, the
cache (miss, hit, corrupt entry, unsafe directory), and every fallback
transition with its reason code. Event content in runtime mode is proven
inside the kernel VMs (tests/kernels, mode runtime).

  runtime_test.py --bpfport PATH --headers-from KDIR --group NAME
"""
import argparse
import glob
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402


def bp(args, *argv, env=None, timeout=600):
    return subprocess.run([args.bpfport] + list(argv), capture_output=True, text=True,
                          env=env, timeout=timeout * harness.SLOW)


def find_headers(kdir):
    hs = sorted(glob.glob(os.path.join(kdir, "root/usr/src/linux-headers-*-amd64")))
    return hs[0] if hs else None


def summary_of(p):
    s = [l for l in p.stderr.splitlines() if l.startswith(("bpfport: done ", "bpfport: failed "))]
    return harness.parse_summary(s[-1].split(" ", 2)[2]) if s else {}


def test_compile(args, headers, env):
    """compile + verifier load, and the cache"""
    with tempfile.TemporaryDirectory(prefix="bpfport-rt-") as tmp:
        cache = os.path.join(tmp, "cache")
        out = os.path.join(tmp, "objs")
        e = dict(env, BPFPORT_ALLOW_HEADERS_MISMATCH="1")
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache, "-o", out, env=e)
        check(p.returncode == 0, "compile: %d %s" % (p.returncode, p.stderr[-800:]))
        objs = sorted(os.listdir(out))
        check(objs == ["exec.bpf.o", "oom.bpf.o", "open.bpf.o", "tcp.bpf.o"], "objects %s" % objs)
        check(p.stdout.count("compiled") == 4, "first compile must compile: %s" % p.stdout)
        for o in objs:
            with open(os.path.join(out, o), "rb") as f:
                check(f.read(4) == b"\x7fELF", "%s is not ELF" % o)
        # second start: from the cache
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache, "-o", out, env=e)
        check(p.returncode == 0 and p.stdout.count("from the cache") == 4, "cache hit: %s" % p.stdout)
        p = bp(args, "cache", "list", "--cache-dir", cache)
        check(p.returncode == 0 and p.stdout.count(".obj") == 4, "cache list: %s" % p.stdout)
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache, "-o", out,
               "--json", env=e)
        objs = json.loads(p.stdout)
        check(p.returncode == 0 and sorted(o["probe"] for o in objs) == ["exec", "oom", "open", "tcp"]
              and all(o["cached"] and o["size"] == os.path.getsize(o["path"]) for o in objs),
              "compile --json: %r" % p.stdout[:400])
        p = bp(args, "cache", "list", "--json", "--cache-dir", cache)
        entries = json.loads(p.stdout)
        check(p.returncode == 0 and len(entries) == 4
              and all(e["ok"] and e["file"].endswith(".obj") and e["size"] > 0
                      and "headers=" in e["key"] for e in entries),
              "cache list --json: %r" % p.stdout[:400])
        # an output that cannot be written: the write's own error, exit 1
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache,
               "-p", "exec", "-o", "/dev/full", env=e)
        check(p.returncode == 1 and "cannot write /dev/full: No space left on device" in p.stderr,
              "unwritable output: %d %r" % (p.returncode, p.stderr[-400:]))
        # verifier load in mode runtime (dry run: check), served from the cache
        p = bp(args, "check", "--json", "--mode", "runtime", "--kernel-headers", headers,
               "--cache-dir", cache, env=e)
        doc = json.loads(p.stdout)
        rt = [m for m in doc["modes"] if m["mode"] == "runtime"]
        check(p.returncode == 0 and doc["verdict"]["auto_mode"] == "runtime" and rt and rt[0]["ok"],
              "runtime dry run: %d %s %s" % (p.returncode, doc["verdict"], doc["modes"]))
        check("cache hit" in rt[0]["detail"] and headers in rt[0]["detail"], "detail %s" % rt[0]["detail"])
        for pr in doc["probes"]:
            if pr["name"] != "oom":
                check(pr["load"] == "ok", "probe %s did not pass the verifier: %s" % (pr["name"], pr))
        r = doc["runtime"]
        check(r["compiler"]["available"] and r["headers"]["found"] and r["headers"]["path"] == headers
              and not r["headers"]["matching"] and platform.release() in r["headers"]["detail"]
              and r["cache"]["usable"] and r["cache"]["entries"] == 4, "check runtime section: %s" % r)
        # a corrupt entry is compiled again, never loaded
        victim = sorted(glob.glob(os.path.join(cache, "*.obj")))[0]
        with open(victim, "r+b") as f:
            f.seek(200)
            f.write(b"\xde\xad\xbe\xef")
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache, "-o", out, env=e)
        check(p.returncode == 0 and p.stdout.count("compiled") == 1 and "corrupt" in p.stderr,
              "corrupt entry: %s %s" % (p.stdout, p.stderr[-400:]))
        # an unsafe cache directory is refused
        os.chmod(cache, 0o777)
        p = bp(args, "compile", "--kernel-headers", headers, "--cache-dir", cache, "-o", out, env=e)
        check(p.returncode == 1 and "cache-unsafe" in p.stderr and "writable by group/other" in p.stderr,
              "unsafe cache: %d %r" % (p.returncode, p.stderr))
        p = bp(args, "cache", "clear", "--cache-dir", cache)
        check(p.returncode == 1, "cache clear on an unsafe dir must fail")
        os.chmod(cache, 0o700)
        p = bp(args, "cache", "clear", "--cache-dir", cache)
        check(p.returncode == 0 and not glob.glob(os.path.join(cache, "*.obj")), "cache clear")


def test_fallbacks(args, headers, env):
    """each transition, its reason codes, and the mode finally chosen"""
    hidden = dict(env, BPFPORT_HIDE_NATIVE_BTF="1", BPFPORT_BTF_ARCHIVE="/nonexistent")
    with tempfile.TemporaryDirectory(prefix="bpfport-rt-") as tmp:
        cache = os.path.join(tmp, "cache")
        # mismatched headers: refused, both releases named
        p = bp(args, "run", "-d", "0", "--kernel-headers", headers, "--cache-dir", cache, env=hidden)
        s = summary_of(p)
        err = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
        check(p.returncode == 1 and err and "runtime/headers: headers-mismatch" in err[0]
              and platform.release() in err[0] and os.path.basename(headers).replace("linux-headers-", "") in err[0],
              "mismatch: %d %r" % (p.returncode, p.stderr[-600:]))
        for step in ("core/native: no-native-btf", "core-btfhub/embedded: btf-not-found",
                     "core-btfhub/archive: btf-not-found"):
            check(step in err[0], "%s not recorded: %s" % (step, err[0]))
        # no headers at all: the package to install is named
        p = bp(args, "run", "-d", "0", "--mode", "runtime", "--cache-dir", cache,
               env=dict(hidden, BPFPORT_SYSROOT=tmp))
        check(p.returncode == 1 and "runtime/headers: no-headers" in p.stderr
              and "linux-headers-" in p.stderr, "no headers: %r" % p.stderr[-600:])
        # a compile that times out
        e = dict(hidden, BPFPORT_ALLOW_HEADERS_MISMATCH="1", BPFPORT_COMPILE_TIMEOUT_MS="50")
        p = bp(args, "run", "-d", "0", "--mode", "runtime", "--kernel-headers", headers,
               "--cache-dir", cache, env=e)
        check(p.returncode == 1 and "compile-timeout" in p.stderr, "timeout: %r" % p.stderr[-600:])
        # a verifier rejection: the compiled objects fail to load
        e = dict(hidden, BPFPORT_ALLOW_HEADERS_MISMATCH="1",
                 BPFPORT_TEST_DEFINES="BPFPORT_TEST_VERIFIER_REJECT")
        p = bp(args, "run", "-d", "0", "--kernel-headers", headers, "--cache-dir", cache, env=e)
        err = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
        check(p.returncode == 1 and err and "runtime/headers: verifier-rejected" in err[0]
              and "core/native: no-native-btf" in err[0], "verifier reject: %r" % p.stderr[-600:])
        # a deployment without the compiler helper: the CO-RE modes still run,
        # check says why runtime compilation is unavailable, runtime fails clearly
        lone = os.path.join(tmp, "bin", "bpfport")
        os.makedirs(os.path.dirname(lone))
        shutil.copy(args.bpfport, lone)
        p = subprocess.run([lone, "run", "-d", "0", "--probes", "exec"], capture_output=True, text=True)
        check(p.returncode == 0 and "mode=core reason=native-btf" in p.stderr,
              "no helper: CO-RE must still run: %r" % p.stderr[-300:])
        p = subprocess.run([lone, "check", "--json"], capture_output=True, text=True)
        doc = json.loads(p.stdout)
        check(p.returncode == 0 and not doc["runtime"]["compiler"]["available"]
              and "not installed" in doc["runtime"]["compiler"]["detail"], "no helper: check %s" % doc["runtime"])
        p = subprocess.run([lone, "run", "-d", "0", "--mode", "runtime", "--kernel-headers", headers,
                            "--cache-dir", cache], capture_output=True, text=True,
                           env=dict(hidden, BPFPORT_ALLOW_HEADERS_MISMATCH="1"))
        err = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
        check(p.returncode == 1 and err and "runtime/headers: runtime-not-installed" in err[0]
              and "bpfport-cc missing" in err[0], "no helper: runtime %r" % p.stderr[-400:])
        # native BTF corrupt, but headers fine (mismatch allowed for this host): runtime chosen
        bad = os.path.join(tmp, "bad.btf")
        open(bad, "wb").write(os.urandom(4096))
        e = dict(env, BPFPORT_NATIVE_BTF=bad, BPFPORT_BTF_ARCHIVE="/nonexistent",
                 BPFPORT_ALLOW_HEADERS_MISMATCH="1")
        p = bp(args, "run", "-d", "0", "--kernel-headers", headers, "--cache-dir", cache, env=e)
        s = summary_of(p)
        check(p.returncode == 0 and s.get("mode") == "runtime" and s.get("reason") == "compiled"
              and "core/native:btf-corrupt" in s.get("skipped", []), "corrupt native: %d %s %r"
              % (p.returncode, s, p.stderr[-400:]))
        check(s.get("headers") == headers and s.get("cache") in ("miss", "partial"), "summary %s" % s)
        # ... and the next start is served from the cache
        p = bp(args, "run", "-d", "0", "--kernel-headers", headers, "--cache-dir", cache, env=e)
        s = summary_of(p)
        check(p.returncode == 0 and s.get("cache") == "hit", "second start: %s" % s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--headers-from", required=True, help="tests/kernels/fetch output dir")
    ap.add_argument("--group", choices=["compile", "fallbacks"], required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")
    kdir = args.headers_from
    if not os.path.isdir(kdir):
        # the fetch script prints the dir; a KVER is accepted too
        p = subprocess.run([os.path.join(os.path.dirname(__file__), "..", "kernels", "fetch"),
                            "--prefer-cached", kdir], capture_output=True, text=True)
        kdir = p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else ""
    headers = find_headers(kdir) if kdir else None
    if not headers:
        harness.skip("no Debian kernel headers to compile against: run tests/kernels/fetch %s"
                     % args.headers_from)
    env = dict(os.environ)
    fn = {"compile": test_compile, "fallbacks": test_fallbacks}[args.group]
    harness.run_main(lambda: fn(args, headers, env))


if __name__ == "__main__":
    main()
