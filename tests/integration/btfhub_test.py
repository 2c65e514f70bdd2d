#!/usr/bin/env python3
"""External BTF (core-btfhub): the preflight against BTF fixtures built
here, the fleet table over a tree of them and, when ../shared has it, over
the shared btfhub-archive (offsets libbpf resolves must match
PROVENANCE.md), and bad or crafted BTF input: each a clear error and a
fallback, never a crash. Nothing here needs ../shared.

  btfhub_test.py --bpfport PATH --group G --fixtures BUILD/btf-fixtures
                 --bad-fixtures tests/fixtures/btfhub --crafter BUILD/tests/test_btfhub
                 [--shared-archive DIR]
"""
import argparse
import csv
import io
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

# bytes into struct task_struct, from ../shared/btfhub-archive/PROVENANCE.md
KNOWN = {
    "amzn/2/x86_64/4.14.262-200.489.amzn2.x86_64.btf": (2228, 2240),
    "ubuntu/18.04/x86_64/4.15.0-1054-aws.btf": (2220, 2232),
    "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf": (1860, 1872),
}


def bp(args, *argv, env=None):
    return subprocess.run([args.bpfport] + list(argv), capture_output=True, text=True,
                          env=env, timeout=600 * harness.SLOW)


def relocs(doc, probe, program):
    for p in doc["probes"]:
        if p["name"] == probe:
            for g in p["programs"]:
                if g["name"] == program:
                    return {r["spec"]: r for r in g["relocations"]}
    raise harness.Failure("no program %s/%s in %s" % (probe, program, doc["probes"]))


def test_fixtures(args):
    alt = os.path.join(args.fixtures, "task_alt.btf")
    p = bp(args, "check", "--json", "--probes", "exec", "--btf", alt)
    doc = json.loads(p.stdout)
    check(p.returncode == 0 and doc["verdict"]["ok"], "task_alt: exit %d verdict %s" % (p.returncode, doc["verdict"]))
    check(doc["verdict"]["auto_mode"] == "core-btfhub" and doc["verdict"]["reason"] == "btf-file",
          "task_alt verdict %s" % doc["verdict"])
    check(doc["preflight"]["btf"] == alt and not doc["preflight"]["ringbuf"], "preflight %s" % doc["preflight"])
    r = relocs(doc, "exec", "exec")
    want = {"<byte_off> struct task_struct.real_parent": 1000,
            "<byte_off> struct task_struct.tgid": 1204}
    for spec, off in want.items():
        check(spec in r and r[spec]["ok"] and r[spec]["target"] == off,
              "task_alt: %s should relocate to %d: %s" % (spec, off, r.get(spec)))
    x = relocs(doc, "exec", "exit")
    check(x["<byte_off> struct task_struct.start_time"]["target"] == 600, "start_time: %s" % x)

    missing = os.path.join(args.fixtures, "task_missing.btf")
    p = bp(args, "check", "--json", "--probes", "exec", "--btf", missing)
    doc = json.loads(p.stdout)
    check(p.returncode == 1 and not doc["verdict"]["ok"], "task_missing: exit %d" % p.returncode)
    ex = [q for q in doc["probes"] if q["name"] == "exec"][0]
    check(ex["load"] == "failed" and ex["reason"] == "relocation-failed",
          "task_missing: exec %s/%s" % (ex["load"], ex["reason"]))
    check("task_struct.start_time" in ex["detail"], "field not named in detail: %r" % ex["detail"])
    x = relocs(doc, "exec", "exit")
    bad = [s for s, v in x.items() if not v["ok"]]
    check(bad == ["<byte_off> struct task_struct.start_time"], "failing relocations: %s" % bad)
    p = bp(args, "check", "--probes", "exec", "--btf", missing)
    check("struct task_struct.start_time" in p.stdout and "FAILED" in p.stdout,
          "text preflight does not name the field: %s" % p.stdout[-600:])


# tests/fixtures/btfhub (made by make-fixtures.py there): each must be a
# clear one-line error naming the file, and run must fall back past it
BAD = {
    "empty.btf": "empty", "random.bin": "not BTF", "badhdr.btf": "corrupt",
    "badsec.btf": "truncated", "bigendian.btf": "other byte order",
    "truncated-tar.btf.tar.xz": "truncated", "truncated-xz.btf.tar.xz": "truncated",
    "corrupt-xz.btf.tar.xz": "corrupt", "badsum.btf.tar.xz": "checksum",
    "dotdot.btf.tar.xz": "'..'", "pax-evil.btf.tar.xz": "'..'",
    "absolute.btf.tar.xz": "absolute", "symlink.btf.tar.xz": "symbolic link",
    "hardlink.btf.tar.xz": "hard link", "bomb.xz": "more than",
    "hugesize.btf.tar.xz": "limit", "nobtf.btf.tar.xz": "no *.btf",
    "two.btf.tar.xz": "two .btf", "notbtf-payload.btf.tar.xz": "not BTF",
    "gzip.btf.tar.gz": "gzip",
}


def agent_tmp_files():
    """What the agent could leave in /tmp: nothing, BTF goes through a memfd.
    (Tests name their own temp dirs otherwise: bpfport-test-*, -rt-, ...)"""
    return {f for f in os.listdir("/tmp") if f.startswith("bpfport-btf")}


def test_bad_input(args):
    tmp_before = agent_tmp_files()
    for name, words in sorted(BAD.items()):
        path = os.path.join(args.bad_fixtures, name)
        check(os.path.exists(path), "bad fixture %s missing" % path)
        p = bp(args, "check", "--json", "--btf", path)
        doc = json.loads(p.stdout)
        check(p.returncode == 1 and list(doc) == ["error"] and words in doc["error"],
              "%s: check --btf exit %d, %r" % (name, p.returncode, p.stdout[:300]))
        errs = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
        check(len(errs) == 1 and name in errs[0], "%s: one error line naming the file: %r" % (name, p.stderr))
        # run reports the bad step and falls back to the next source: native here
        p = bp(args, "run", "--duration", "0", "--probes", "exec", "--btf", path)
        s = [l for l in p.stderr.splitlines() if l.startswith("bpfport: done ")]
        check(p.returncode == 0 and s and "mode=core reason=native-btf" in s[0]
              and "skipped=core-btfhub/file:btf-" in s[0],
              "%s: run --btf should fall back to native: %d %r" % (name, p.returncode, p.stderr[-400:]))
    # BTF of another architecture: refused by run (check --btf would answer
    # for that kernel: a preflight may look at any arch). The fixture's, and
    # a real arm64 kernel's when ../shared has it
    arms = [os.path.join(args.fixtures, "task_arm64.btf")]
    real_arm = os.path.join(args.shared_archive or "",
                            "centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf.tar.xz")
    if os.path.exists(real_arm):
        arms.append(real_arm)
    for arm in arms:
        p = bp(args, "run", "--duration", "0", "--probes", "exec", "--btf", arm)
        check(p.returncode == 0 and "skipped=core-btfhub/file:btf-wrong-arch" in p.stderr
              and "mode=core reason=native-btf" in p.stderr,
              "wrong arch %s: %r" % (arm, p.stderr[-400:]))
    # nothing of the agent's may stay behind: no temp files, BTF went through a memfd
    left = agent_tmp_files() - tmp_before
    check(not left, "temp BTF files left in /tmp: %s" % sorted(left))


def tarxz(raw, out):
    """A btfhub-style tarball holding @raw as its one .btf entry."""
    import tarfile
    with tarfile.open(out, "w:xz", preset=1) as t:
        t.add(raw, arcname=os.path.basename(raw))
    return out


def no_crash(p, what):
    check(p.returncode >= 0, "%s: killed by signal %d: %r" % (what, -p.returncode, p.stderr[-500:]))


def test_crafted(args):
    """Crafted BTF (test_btfhub write-crafted: a type id past the last type
    for each kind of reference, string offsets past the strings, bad
    lengths, types containing themselves) is refused before libbpf sees
    it, whatever the entry point: check --btf, run --btf, $BPFPORT_BTF, the
    archive chain, fleet. Each a one-line error naming the file and the
    fault, then the next source; never a crash (libbpf 1.1 segfaults on a
    member of type 9999, loops forever on a typedef of itself)."""
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory(prefix="bpfport-test-crafted-") as tmp:
        subprocess.run([args.crafter, "write-crafted", tmp], check=True)
        with open(os.path.join(tmp, "crafted.tsv")) as f:
            cases = [l.rstrip("\n").split("\t", 1) for l in f]
        check(len(cases) >= 30, "crafted cases: %d" % len(cases))
        fleet = os.path.join(tmp, "fleet")
        hidden = dict(os.environ, BPFPORT_HIDE_NATIVE_BTF="1")
        for name, msg in cases:
            raw = os.path.join(tmp, name + ".btf")
            txz = tarxz(raw, os.path.join(tmp, name + ".btf.tar.xz"))
            # check --btf: the preflight reads it first
            p = bp(args, "check", "--json", "--btf", raw)
            no_crash(p, "%s: check --btf" % name)
            doc = json.loads(p.stdout)
            check(p.returncode == 1 and list(doc) == ["error"]
                  and (raw + ": invalid BTF: ") in doc["error"] and msg in doc["error"],
                  "%s: check --btf exit %d, %r (want %r)" % (name, p.returncode, p.stdout[:400], msg))
            errs = [l for l in p.stderr.splitlines() if l.startswith("bpfport: error: ")]
            check(len(errs) == 1 and msg in errs[0], "%s: one error line: %r" % (name, p.stderr))
            # run --btf (the tarball) and $BPFPORT_BTF (raw): both skipped, native runs
            p = bp(args, "run", "--duration", "0", "--probes", "exec", "--btf", txz,
                   env=dict(os.environ, BPFPORT_BTF=raw))
            no_crash(p, "%s: run" % name)
            s = harness.summary_of(p.stderr.splitlines())
            check(p.returncode == 0 and s.get("mode") == "core" and s.get("reason") == "native-btf"
                  and {"core-btfhub/file:btf-corrupt", "core-btfhub/env:btf-corrupt"}
                  <= set(harness.skipped(s)), "%s: run: %d %s" % (name, p.returncode, s))
            # the archive chain, and each step's detail as check reports it
            arc = os.path.join(tmp, "archive-" + name)
            rel = harness.archive_from_btf(arc, raw)
            p = bp(args, "check", "--json", "--btf-archive", arc, env=dict(hidden, BPFPORT_BTF=raw))
            no_crash(p, "%s: check, env and archive" % name)
            modes = {m["source"]: m for m in json.loads(p.stdout)["modes"]}
            for src, path in (("env", raw), ("archive", os.path.join(arc, rel))):
                m = modes.get(src, {})
                check(m.get("reason") == "btf-corrupt" and path in m.get("detail", "")
                      and msg in m.get("detail", ""), "%s: check, %s: %s" % (name, src, m))
            err, _ = harness.run_failing(args.bpfport, ["--duration", "0", "--mode", "core-btfhub",
                                                        "--btf-archive", arc], env=hidden,
                                         what="%s: run over the archive" % name)
            check("core-btfhub/archive: btf-corrupt" in err and msg in err,
                  "%s: run over the archive: %r" % (name, err))
            os.makedirs(os.path.join(fleet, "crafted", "1", "x86_64"), exist_ok=True)
            shutil.copy(txz, os.path.join(fleet, "crafted", "1", "x86_64"))
        # fleet: each crafted kernel an error row; a good one beside them is checked
        os.makedirs(os.path.join(fleet, "fixture", "1", "x86_64"))
        shutil.copy(os.path.join(args.fixtures, "task_alt.btf"),
                    os.path.join(fleet, "fixture", "1", "x86_64", "5.4.0-alt.btf"))
        p = bp(args, "fleet", "--json", "--probes", "exec", fleet)
        no_crash(p, "fleet --json")
        kernels = {k["kernel"]: k for k in json.loads(p.stdout)["kernels"]}
        check(p.returncode == 1 and len(kernels) == len(cases) + 1, "fleet: %d, %s" % (p.returncode, sorted(kernels)))
        check(kernels["fixture/1/x86_64/5.4.0-alt.btf"]["probes"]["exec"]["verdict"] == "ok",
              "fleet: the good kernel %s" % kernels["fixture/1/x86_64/5.4.0-alt.btf"])
        for name, msg in cases:
            k = kernels.get("crafted/1/x86_64/%s.btf" % name, {})
            check(": invalid BTF: " in k.get("error", "") and msg in k.get("error", ""),
                  "fleet: %s: %s" % (name, k))
        p = bp(args, "fleet", "--probes", "exec", fleet)
        no_crash(p, "fleet")
        rows = [l for l in p.stdout.splitlines() if l.startswith("crafted/")]
        check(p.returncode == 1 and len(rows) == len(cases) and all("error: " in r and "invalid BTF" in r for r in rows),
              "fleet text: %d %r" % (p.returncode, p.stdout[-600:]))


def test_auto_fallback(args):
    """auto on a host whose native BTF is hidden: core is skipped with its
    reason, the embedded archive has no entry for this host, the archive
    directory has: core-btfhub from the archive."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        rel = harness.archive_from_native(tmp)
        env = dict(os.environ, BPFPORT_HIDE_NATIVE_BTF="1")
        p = bp(args, "run", "--duration", "0", "--btf-archive", tmp, env=env)
        s = [l for l in p.stderr.splitlines() if l.startswith("bpfport: done ")]
        check(p.returncode == 0 and s, "hidden native: run failed: %r" % p.stderr)
        summ = harness.parse_summary(s[0].split(" ", 2)[2])
        check(summ["mode"] == "core-btfhub" and summ["reason"] == "btf-archive"
              and summ["btf"] == os.path.join(tmp, rel), "summary %s" % summ)
        check("core/native:no-native-btf" in summ.get("skipped", []), "skipped %s" % summ.get("skipped"))
        # the same via check, and check agrees with run
        p = bp(args, "check", "--json", "--btf-archive", tmp, env=env)
        doc = json.loads(p.stdout)
        check(p.returncode == 0 and doc["verdict"]["auto_mode"] == "core-btfhub"
              and doc["verdict"]["reason"] == "btf-archive", "check verdict %s" % doc["verdict"])
        check(doc["modes"][0]["source"] == "native" and doc["modes"][0]["reason"] == "no-native-btf",
              "check modes %s" % doc["modes"])
        # an archive holding this release twice, under two versions: ambiguous
        dup = os.path.join(tmp, "debian", "11", os.path.basename(os.path.dirname(rel)))
        os.makedirs(dup)
        os.link(os.path.join(tmp, rel), os.path.join(dup, os.path.basename(rel)))
        p = bp(args, "run", "--duration", "0", "--btf-archive", tmp,
               "--os-release", os.path.join(args.os_release_fixtures, "os-release-centos8"), env=env)
        check(p.returncode == 1 and "btf-ambiguous" in p.stderr and "debian/11/" in p.stderr,
              "ambiguous release: %d %r" % (p.returncode, p.stderr[-500:]))


def fleet_fixtures(args):
    """fleet over a btfhub-archive tree of the BTF fixtures: the offsets
    libbpf resolves there, the field a kernel lacks, the arch told."""
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory(prefix="bpfport-test-fleet-") as tmp:
        for key, fx in (("fixture/1/x86_64/5.4.0-alt.btf", "task_alt.btf"),
                        ("fixture/2/x86_64/5.4.0-missing.btf", "task_missing.btf"),
                        ("fixture/2/arm64/5.4.0-arm64.btf", "task_arm64.btf")):
            os.makedirs(os.path.join(tmp, os.path.dirname(key)), exist_ok=True)
            shutil.copy(os.path.join(args.fixtures, fx), os.path.join(tmp, key))
        p = bp(args, "fleet", "--json", "--probes", "exec", tmp)
        doc = json.loads(p.stdout)
        kernels = {k["kernel"]: k for k in doc["kernels"]}
        check(p.returncode == 1 and doc["all_ok"] is False and len(kernels) == 3,
              "fleet over the fixtures: exit %d, %s" % (p.returncode, sorted(kernels)))
        for key in ("fixture/1/x86_64/5.4.0-alt.btf", "fixture/2/arm64/5.4.0-arm64.btf"):
            exe = kernels[key]["probes"]["exec"]
            rel = {r["spec"]: r["target"] for r in exe["relocations"] if r["program"] == "exec"}
            check(exe["verdict"] == "ok" and rel.get("<byte_off> struct task_struct.tgid") == 1204
                  and rel.get("<byte_off> struct task_struct.real_parent") == 1000,
                  "fleet %s: %s" % (key, exe))
        miss = kernels["fixture/2/x86_64/5.4.0-missing.btf"]["probes"]["exec"]
        check(miss["verdict"] == "needs-runtime-compile" and "task_struct.start_time" in miss["detail"],
              "fleet, task_missing: %s" % miss)
        check(kernels["fixture/2/arm64/5.4.0-arm64.btf"]["arch"] == "arm64"
              and kernels["fixture/1/x86_64/5.4.0-alt.btf"]["arch"] is None,
              "fleet: arch %s" % {k: v["arch"] for k, v in kernels.items()})
        p = bp(args, "fleet", "--csv", "--probes", "exec", tmp)
        rows = list(csv.DictReader(io.StringIO(p.stdout)))
        check([(r["kernel"], r["verdict"]) for r in rows]
              == [("fixture/1/x86_64/5.4.0-alt.btf", "ok"),
                  ("fixture/2/arm64/5.4.0-arm64.btf", "ok"),
                  ("fixture/2/x86_64/5.4.0-missing.btf", "needs-runtime-compile")],
              "fleet --csv over the fixtures: %r" % p.stdout)


def test_fleet(args):
    fleet_fixtures(args)
    if not args.shared_archive or not os.path.isdir(args.shared_archive):
        print("NOTE: no ../shared/btfhub-archive: fleet over the real kernels not checked")
        return
    p = bp(args, "fleet", "--json", args.shared_archive)
    doc = json.loads(p.stdout)
    kernels = {k["kernel"]: k for k in doc["kernels"]}
    check(len(kernels) == 5, "fleet reported %d kernels: %s" % (len(kernels), sorted(kernels)))
    for key, k in kernels.items():
        check("error" not in k, "%s: %s" % (key, k.get("error")))
        for probe in ("exec", "open", "oom"):
            check(k["probes"][probe]["verdict"] == "ok", "%s %s: %s" % (key, probe, k["probes"][probe]))
        # sock:inet_sock_set_state appeared in 4.16
        old = "/4.14." in key or "/4.15." in key
        tcp = k["probes"]["tcp"]
        check(tcp["verdict"] == ("unsupported" if old else "ok")
              and (not old or "trace_event_raw_inet_sock_set_state" in tcp["detail"]),
              "%s tcp: %s" % (key, tcp))
        check(k["ringbuf"] is False and any("perf buffer" in n for n in k["notes"]),
              "%s: kernels < 5.8 have no ringbuf: %s" % (key, k["notes"]))
        check(k["ok"] is not old and k["missing"] == (["tcp"] if old else []),
              "%s: ok %s missing %s" % (key, k["ok"], k["missing"]))
    # a required probe is unsupported on two kernels: not all ok, exit 1
    check(p.returncode == 1 and doc["all_ok"] is False, "fleet exit %d all_ok %s" % (p.returncode, doc["all_ok"]))
    c = doc["counts"]
    check((c["total"], c["ok"], c["not_ok"], c["unreadable"]) == (5, 3, 2, 0)
          and c["probes"]["tcp"] == {"ok": 3, "unsupported": 2} and c["probes"]["exec"] == {"ok": 5},
          "counts %s" % c)
    check(kernels["centos/8/arm64/4.18.0-147.5.1.el8_1.aarch64.btf"]["arch"] == "arm64", "arm64 not told")
    for key, (tgid, parent) in KNOWN.items():
        rel = {r["spec"]: r["target"] for r in kernels[key]["probes"]["exec"]["relocations"]
               if r["program"] == "exec"}
        got = (rel.get("<byte_off> struct task_struct.tgid"), rel.get("<byte_off> struct task_struct.real_parent"))
        check(got == (tgid, parent), "%s: libbpf resolved tgid/real_parent %s, PROVENANCE says %s"
              % (key, got, (tgid, parent)))
    p = bp(args, "fleet", "--csv", args.shared_archive)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    check(len(rows) == 20 and {r["probe"] for r in rows} == {"exec", "open", "tcp", "oom"},
          "csv rows: %d" % len(rows))
    p = bp(args, "fleet", args.shared_archive)
    check(sum(1 for l in p.stdout.splitlines() if l.startswith(("amzn/", "ubuntu/", "centos/", "bclinux/"))) == 5,
          "text table: %s" % p.stdout)
    check("\n5 kernels: 3 ok, 2 not, 0 unreadable\n" in p.stdout and "\ntcp: ok 3, unsupported 2\n" in p.stdout,
          "text counts: %s" % p.stdout)
    # the build embedded the same archive, minimized: btf list, text and JSON
    p = bp(args, "btf", "list", "--json")
    emb = json.loads(p.stdout)
    check(p.returncode == 0 and sorted(e["key"] for e in emb) == sorted(kernels)
          and all(0 < e["size"] < 100000 for e in emb),
          "btf list --json: %r (fleet saw %s)" % (p.stdout[:300], sorted(kernels)))
    p = bp(args, "btf", "list")
    check(p.stdout.startswith("%d kernel BTFs embedded" % len(emb)), "btf list: %r" % p.stdout[:200])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpfport", required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--bad-fixtures", required=True)
    ap.add_argument("--shared-archive")
    ap.add_argument("--os-release-fixtures", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
    ap.add_argument("--crafter", help="test_btfhub, which writes the crafted BTFs")
    ap.add_argument("--group", choices=["fixtures", "bad-input", "crafted", "fleet", "auto"],
                    required=True)
    args = ap.parse_args()
    harness.require_root_bpf("core")
    fn = {"fixtures": test_fixtures, "bad-input": test_bad_input, "crafted": test_crafted,
          "fleet": test_fleet, "auto": test_auto_fallback}[args.group]
    harness.run_main(lambda: fn(args))


if __name__ == "__main__":
    main()
