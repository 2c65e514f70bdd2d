#!/usr/bin/env python3
"""`bpfport check --json`: valid against tests/check-schema.json, true to
the machine (checked independently here), and in agreement with what
`bpfport run` then does; plus injected native-BTF faults, each with its
reason code in both check and run."""
import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
from schema import validate  # noqa: E402


def run_check(bpfport, *extra, env=None, argv0=None):
    cmd = [argv0 or bpfport, "check", "--json"] if not argv0 else [argv0, "--json"]
    p = subprocess.run(cmd + list(extra), capture_output=True, text=True, env=env, timeout=300)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise harness.Failure("check --json printed no JSON document: %r / %r"
                              % (p.stdout[:300], p.stderr[:300]))
    return p.returncode, doc


def kconfig_value(name):
    for path in ("/boot/config-" + platform.release(), "/proc/config.gz"):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                for line in f:
                    if line.startswith(name + "="):
                        return line.strip().split("=", 1)[1]
            return "n"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--schema", required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")
    schema = json.load(open(args.schema))

    def body():
        rc, doc = run_check(args.bpfport)
        errs = validate(doc, schema)
        check(not errs, "schema: " + "; ".join(errs[:10]))
        check(rc == 0 and doc["verdict"]["ok"], "check exit %d, verdict %s" % (rc, doc["verdict"]))

        # true to the machine
        check(doc["system"]["kernel_release"] == platform.release(), "kernel_release")
        check(doc["system"]["arch"] == platform.machine(), "arch")
        check(doc["system"]["hostname"] == platform.node(), "hostname %r, uname says %r"
              % (doc["system"]["hostname"], platform.node()))
        for opt in ("CONFIG_KPROBES", "CONFIG_DEBUG_INFO_BTF", "CONFIG_BPF_SYSCALL"):
            want = kconfig_value(opt)
            if want is not None:
                check(doc["kconfig"]["options"].get(opt) == want,
                      "kconfig %s: check says %s, config says %s"
                      % (opt, doc["kconfig"]["options"].get(opt), want))
        check(doc["features"]["kprobes"] == harness.kprobes_available(), "features.kprobes")
        check(doc["native_btf"]["present"] and doc["native_btf"]["valid"], "native_btf")
        check(doc["verdict"]["auto_mode"] == "core" and doc["verdict"]["reason"] == "native-btf",
              "verdict: %s" % doc["verdict"])
        probes = {p["name"]: p for p in doc["probes"]}
        check(sorted(probes) == ["exec", "oom", "open", "tcp"], "probes listed: %s" % sorted(probes))
        for name in ("exec", "open", "tcp"):
            check(probes[name]["usable"] and probes[name]["load"] == "ok",
                  "probe %s not usable: %s" % (name, probes[name]))
        oom = probes["oom"]
        check(oom["optional"], "oom must be optional")
        check(oom["usable"] == harness.kprobes_available(),
              "oom usable=%s but kprobes available=%s" % (oom["usable"], harness.kprobes_available()))
        if not harness.kprobes_available():
            check(oom["programs"][0]["reason"] == "kprobes-unavailable", "oom reason: %s" % oom)

        # the runtime path is reported whatever auto picks: no headers for
        # this kernel here, and the error names the package to install
        r = doc["runtime"]
        check(r["compiler"]["available"], "runtime compiler helper not found: %s" % r["compiler"])
        if not os.path.exists("/lib/modules/%s/build" % platform.release()):
            check(not r["headers"]["found"] and "linux-headers-" + platform.release() in r["headers"]["detail"],
                  "runtime headers: %s" % r["headers"])

        # the dry run agrees with what run does
        agent = harness.Agent(args.bpfport, ["--duration", "0"])
        check(agent.wait(timeout=120) == 0, "run --duration 0 failed: %s" % agent.err)
        s = agent.summary()
        check(s["mode"] == doc["verdict"]["auto_mode"], "run mode %s != check %s" % (s["mode"], doc["verdict"]["auto_mode"]))
        usable = sorted(p["name"] for p in doc["probes"] if p["usable"])
        check(sorted(s["attached"].split(",")) == usable,
              "run attached %s, check said usable %s" % (s["attached"], usable))
        missing = sorted("%s:%s" % (p["name"], p["programs"][0]["reason"])
                         for p in doc["probes"] if p["optional"] and not p["usable"])
        got = s.get("optional-missing")
        check(sorted(got.split(",")) == missing if got else not missing,
              "run optional-missing %s, check said %s" % (got, missing))

        # the distro comes from --os-release as the archive lookup's does
        # (option, then $BPFPORT_OS_RELEASE, then /etc/os-release)
        fixtures = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
        env = dict(os.environ, BPFPORT_OS_RELEASE=os.path.join(fixtures, "os-release-debian"))
        _, d = run_check(args.bpfport, "--os-release", os.path.join(fixtures, "os-release-centos8"),
                         env=env)
        check(d["system"]["os"] and d["system"]["os"]["id"] == "centos"
              and d["system"]["os"]["version_id"] == "8",
              "check --os-release: system.os %s (the option must win over the env)" % d["system"]["os"])
        _, d = run_check(args.bpfport, env=env)
        check(d["system"]["os"] and d["system"]["os"]["id"] == "debian",
              "check with $BPFPORT_OS_RELEASE: system.os %s" % d["system"]["os"])

        # long lines and IDs: one reader, one verdict. A too-long ID is the
        # same error in check (JSON and text) as in the archive lookup; a
        # long PRETTY_NAME line is read whole and cut to the same value in
        # both outputs
        with tempfile.TemporaryDirectory() as tmp:
            longid = os.path.join(tmp, "longid")
            with open(longid, "w") as f:
                f.write('PRETTY_NAME="%s"\nID=%s\nVERSION_ID=12\nID_LIKE=debian\n'
                        % ("p" * 20000, "x" * 100))
            want = "os-release %s: ID or VERSION_ID longer than 63 bytes" % longid
            rc, d = run_check(args.bpfport, "--os-release", longid)
            errs = validate(d, schema)
            check(not errs, "schema (long ID): %s" % errs[:5])
            check(d["system"]["os"] is None and want in (d["system"].get("os_error") or ""),
                  "check, long ID: os %s, os_error %r" % (d["system"]["os"], d["system"].get("os_error")))
            p = subprocess.run([args.bpfport, "check", "--os-release", longid], capture_output=True,
                               text=True, timeout=300)
            distro = [l for l in p.stdout.splitlines() if l.startswith("  distro:")]
            check(len(distro) == 1 and distro[0].startswith("  distro:        unknown: " + want),
                  "check text, long ID: %r" % distro)
            r = subprocess.run([args.bpfport, "run", "-d", "0", "--mode", "core-btfhub",
                                "--hide-native-btf", "--os-release", longid],
                               capture_output=True, text=True, timeout=300)
            check(r.returncode == 1 and want in r.stderr, "run, long ID: %r" % r.stderr[-600:])
            longline = os.path.join(tmp, "longline")
            with open(longline, "w") as f:
                f.write('NAME=%s\nPRETTY_NAME="%s"\nID=debian\nVERSION_ID=12\n' % ("n" * 30000, "p" * 20000))
            rc, d = run_check(args.bpfport, "--os-release", longline)
            check(d["system"]["os"] == {"id": "debian", "version_id": "12", "pretty_name": "p" * 255}
                  and d["system"]["os_error"] is None, "check, long line: %s" % str(d["system"])[:300])
            p = subprocess.run([args.bpfport, "check", "--os-release", longline], capture_output=True,
                               text=True, timeout=300)
            check("  distro:        %s\n" % ("p" * 255) in p.stdout, "check text, long line: %r"
                  % [l for l in p.stdout.splitlines() if "distro" in l])

        # text mode and the check_core_support name
        p = subprocess.run([args.bpfport, "check"], capture_output=True, text=True, timeout=300)
        check(p.returncode == 0 and "Verdict: auto would use mode core (native-btf)" in p.stdout,
              "text check: %d %s" % (p.returncode, p.stdout[-300:]))
        ccs = os.path.join(os.path.dirname(args.bpfport), "check_core_support")
        rc2, doc2 = run_check(args.bpfport, argv0=ccs)
        check(rc2 == 0 and doc2["verdict"] == doc["verdict"], "check_core_support verdict differs")

        # injected faults: each a reason code, in check and in run alike
        with tempfile.TemporaryDirectory() as tmp:
            corrupt = os.path.join(tmp, "random.btf")
            with open(corrupt, "wb") as f:
                f.write(os.urandom(8192))
            truncated = os.path.join(tmp, "truncated.btf")
            with open("/sys/kernel/btf/vmlinux", "rb") as src, open(truncated, "wb") as f:
                f.write(src.read(200000))
            for path, reason, words in (
                    (os.path.join(tmp, "absent"), "no-native-btf", "No such file"),
                    (corrupt, "btf-corrupt", "random.btf: not BTF"),
                    (truncated, "btf-corrupt", "truncated.btf: BTF sections")):
                env = dict(os.environ, BPFPORT_NATIVE_BTF=path)
                rc, d = run_check(args.bpfport, env=env)
                errs = validate(d, schema)
                check(not errs, "schema (%s): %s" % (reason, errs[:5]))
                core = [m for m in d["modes"] if m["mode"] == "core"]
                check(rc == 1 and not d["verdict"]["ok"], "%s: check exit %d verdict %s" % (reason, rc, d["verdict"]))
                check(core and core[0]["reason"] == reason and words in core[0]["detail"],
                      "%s: check modes %s" % (reason, d["modes"]))
                # then the external-BTF steps (nothing embedded or archived
                # for this host), then runtime (no headers for this kernel)
                later = [(m["mode"], m["source"], m["reason"]) for m in d["modes"][1:]]
                check(later == [("core-btfhub", "embedded", "btf-not-found"),
                                ("core-btfhub", "archive", "btf-not-found"),
                                ("runtime", "headers", "no-headers")],
                      "%s: later modes: %s" % (reason, later))
                r = subprocess.run([args.bpfport, "run", "-d", "0"], capture_output=True,
                                   text=True, env=env, timeout=300)
                err_lines = [l for l in r.stderr.splitlines() if l.startswith("bpfport: error:")]
                check(r.returncode == 1 and len(err_lines) == 1 and ("core/native: " + reason) in err_lines[0],
                      "%s: run exit %d stderr %r" % (reason, r.returncode, r.stderr))
                r = subprocess.run([args.bpfport, "run", "-d", "0", "--mode", "core"],
                                   capture_output=True, text=True, env=env, timeout=300)
                check(r.returncode == 1 and reason in r.stderr, "%s: --mode core: %r" % (reason, r.stderr))

    harness.run_main(body)


if __name__ == "__main__":
    main()
