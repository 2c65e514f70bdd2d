#!/usr/bin/env python3
"""The release tarball (cmake/release.cmake).

  release_test.py --tarball T build --build-dir B --cmake C --source S ...
      configures B from S as the release is built (-DBPFPORT_STATIC=ON,
      Release, no tests) and builds its `release` target: T.
  release_test.py --tarball T static --schema check-schema.json
      T unpacked into a fresh temp dir (a moved install): one top dir, the
      layout, SHA256SUMS and T.sha256 verify, every executable static
      (no PT_INTERP, ldd: not a dynamic executable) and stripped; then, as
      root on a kernel with BTF, check --json (as bpfport check and as
      check_core_support: auto picks core, the runtime compiler helper is
      found and answers) and a run --mode core --probes exec that sees a
      `sh -c 'exit 7'` child with its ppid and exit code.
  release_test.py --tarball T reproducible --cmake C --source S ... [--package P]...
      the release (and the packages P, cmake/packages.cmake) built again in
      another build dir: the same bytes, and no string of its binaries names
      the source dir or either build dir.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
import probes_test  # noqa: E402
from harness import Failure, check  # noqa: E402
from schema import validate  # noqa: E402

EXECUTABLES = ("bin/bpfport", "libexec/bpfport/bpfport-cc")


def build_release(args, build_dir, targets=("release",)):
    """Configures build_dir as a release build of args.source and builds
    the targets; returns the tarball's path."""
    cfg = [args.cmake, "-S", args.source, "-B", build_dir, "-G", args.generator,
           "-DBPFPORT_STATIC=ON", "-DCMAKE_BUILD_TYPE=Release", "-DBPFPORT_TESTS=OFF",
           "-DBTFHUB_ARCHIVE=" + args.btfhub_archive]
    for cmd in (cfg, [args.cmake, "--build", build_dir, "--target", *targets,
                      "--parallel", str(os.cpu_count() or 1)]):
        p = subprocess.run(cmd, capture_output=True, text=True)
        check(p.returncode == 0, "%s: exit %d:\n%s%s" % (" ".join(cmd), p.returncode,
                                                         p.stdout[-3000:], p.stderr[-3000:]))
    tarball = os.path.join(build_dir, os.path.basename(args.tarball))
    check(os.path.isfile(tarball), "the release target made no %s" % tarball)
    return tarball


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def unpack(tarball, into):
    """tar xzf, as a user would; returns the top dir."""
    subprocess.run(["tar", "-xzf", tarball, "-C", into], check=True)
    top = os.listdir(into)
    name = os.path.basename(tarball)[:-len(".tar.gz")]
    check(top == [name], "%s: top level %s, expected one dir %s" % (tarball, top, name))
    return os.path.join(into, name)


def check_layout(tarball, top):
    files, links = set(), {}
    for dirpath, _, names in os.walk(top):
        for n in names:
            path = os.path.join(dirpath, n)
            rel = os.path.relpath(path, top)
            if os.path.islink(path):
                links[rel] = os.readlink(path)
            else:
                files.add(rel)
    want = set(EXECUTABLES) | {"share/doc/bpfport/README.md", "SHA256SUMS"}
    check(files == want, "files %s, expected %s" % (sorted(files), sorted(want)))
    check(links == {"bin/check_core_support": "bpfport"},
          "links %s, expected bin/check_core_support -> bpfport (relative)" % links)
    for rel in files:
        mode = os.stat(os.path.join(top, rel)).st_mode & 0o777
        check(mode == (0o755 if rel in EXECUTABLES else 0o644), "%s: mode %o" % (rel, mode))
    sums = [l.split("  ", 1) for l in open(os.path.join(top, "SHA256SUMS")).read().splitlines()]
    check(sorted(n for _, n in sums) == sorted(files - {"SHA256SUMS"}),
          "SHA256SUMS lists %s" % [n for _, n in sums])
    p = subprocess.run(["sha256sum", "--strict", "-c", "SHA256SUMS"], cwd=top,
                       capture_output=True, text=True)
    check(p.returncode == 0, "sha256sum -c SHA256SUMS: %s%s" % (p.stdout, p.stderr))
    beside = open(tarball + ".sha256").read()
    check(beside == "%s  %s\n" % (sha256(tarball), os.path.basename(tarball)),
          "%s.sha256: %r" % (tarball, beside))
    with tarfile.open(tarball) as t:
        members = t.getmembers()
    check(all(m.uid == 0 and m.gid == 0 and m.uname == m.gname == "" for m in members),
          "members not owned by 0:0 (numeric): %s"
          % [(m.name, m.uid, m.gid, m.uname) for m in members if m.uid or m.gid or m.uname])
    check(len({m.mtime for m in members}) == 1,
          "members carry %d time stamps, expected one (SOURCE_DATE_EPOCH)"
          % len({m.mtime for m in members}))
    print("ok   layout: %s; SHA256SUMS and %s.sha256 verify"
          % (", ".join(sorted(files)), os.path.basename(tarball)))


def check_static(top, rel):
    path = os.path.join(top, rel)
    p = subprocess.run(["readelf", "-lS", "-W", path], capture_output=True, text=True)
    check(p.returncode == 0, "readelf %s: %s" % (path, p.stderr))
    check("INTERP" not in p.stdout, "%s has a PT_INTERP: a dynamic executable" % path)
    check(".symtab" not in p.stdout, "%s is not stripped (.symtab)" % path)
    p = subprocess.run(["ldd", path], capture_output=True, text=True)
    out = (p.stdout + p.stderr).strip()
    check("not a dynamic executable" in out, "ldd %s: %r" % (path, out))
    print("ok   static, stripped: %s (%d bytes)" % (rel, os.path.getsize(path)))


def group_static(args):
    version = re.match(r"bpfport-(.+)-[^-]+-linux\.tar\.gz$", os.path.basename(args.tarball))
    check(version, "tarball name %s" % args.tarball)
    schema = json.load(open(args.schema))
    with tempfile.TemporaryDirectory(prefix="bpfport-moved-") as tmp:
        top = unpack(args.tarball, tmp)
        check_layout(args.tarball, top)
        for rel in EXECUTABLES:
            check_static(top, rel)
        bpfport = os.path.join(top, "bin/bpfport")
        p = subprocess.run([bpfport, "version", "--json"], capture_output=True, text=True)
        got = json.loads(p.stdout)["version"]
        check(got == version.group(1), "bpfport version %s, tarball %s" % (got, version.group(1)))

        harness.require_root_bpf("core")
        # nothing from the build tree: the unpacked tree alone
        env = {k: v for k, v in os.environ.items() if not k.startswith("BPFPORT_")}
        for what in ("bin/bpfport check", "bin/check_core_support"):
            argv = what.split()
            p = subprocess.run([os.path.join(top, argv[0])] + argv[1:] + ["--json"],
                               capture_output=True, text=True, env=env, timeout=300)
            try:
                doc = json.loads(p.stdout)
            except ValueError:
                raise Failure("%s --json: no JSON (exit %d): %r" % (what, p.returncode,
                                                                    p.stderr[-500:]))
            errs = validate(doc, schema)
            check(not errs, "%s --json: schema: %s" % (what, "; ".join(errs[:5])))
            check(p.returncode == 0 and doc["verdict"]["auto_mode"] == "core",
                  "%s --json: exit %d, verdict %s" % (what, p.returncode, doc["verdict"]))
            # the helper found from the moved binary, and run
            compiler = doc["runtime"]["compiler"]
            check(compiler["available"], "%s --json: runtime compiler %s" % (what, compiler))
            print("ok   %s --json: auto -> core, runtime compiler available" % what)
        probes_test.exec_run(probes_test.Ctx(), bpfport, ["--mode", "core", "--format", "json"],
                             env, {"mode": "core", "reason": "native-btf", "attached": "exec"},
                             "release run --mode core --probes exec", probes="exec")


def group_reproducible(args):
    check(os.path.isfile(args.tarball), "no %s (the release-build fixture)" % args.tarball)
    first = os.path.dirname(os.path.abspath(args.tarball))
    with tempfile.TemporaryDirectory(prefix="bpfport-release-again-") as again:
        second = build_release(args, again, ["release"] + (["packages"] if args.package else []))
        a, b = sha256(args.tarball), sha256(second)
        if a != b:
            with tarfile.open(args.tarball) as ta, tarfile.open(second) as tb:
                da = {m.name: (m.mode, m.mtime, ta.extractfile(m).read() if m.isfile() else
                               m.linkname) for m in ta.getmembers()}
                db = {m.name: (m.mode, m.mtime, tb.extractfile(m).read() if m.isfile() else
                               m.linkname) for m in tb.getmembers()}
            none = (None, None, None)
            differ = ["%s (%s)" % (n, ",".join(f for i, f in enumerate(("mode", "mtime", "content"))
                                             if da.get(n, none)[i] != db.get(n, none)[i]))
                      for n in sorted(da.keys() | db.keys()) if da.get(n) != db.get(n)]
            raise Failure("built twice (%s, %s): sha256 %s != %s; members that differ: %s"
                          % (first, again, a, b, differ or "none (the tar or gzip framing)"))
        print("ok   built twice, in %s and %s: the same bytes (sha256 %s)" % (first, again, a))
        for package in args.package:
            a, b = sha256(package), sha256(os.path.join(again, os.path.basename(package)))
            check(a == b, "%s built twice (%s, %s): sha256 %s != %s"
                  % (os.path.basename(package), first, again, a, b))
            print("ok   built twice: the same %s (sha256 %s)" % (os.path.basename(package), a))
        dirs = [os.path.realpath(d) for d in (args.source, first, again)]
        # a dir as a whole path, not inside another (/src is not /usr/src)
        leak = re.compile(r"(?<![\w.+-])(%s)(?![\w.+-])" % "|".join(re.escape(d) for d in dirs))
        with tempfile.TemporaryDirectory(prefix="bpfport-unpacked-") as tmp:
            top = unpack(second, tmp)
            for rel in EXECUTABLES:
                out = subprocess.run(["strings", "-a", os.path.join(top, rel)], capture_output=True, text=True,
                                     check=True).stdout
                hits = sorted({l for l in out.splitlines() if leak.search(l)})
                check(not hits, "%s names a build path: %s" % (rel, hits[:10]))
                print("ok   strings %s: none of %s" % (rel, ", ".join(dirs)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tarball", required=True)
    sub = ap.add_subparsers(dest="group", required=True)
    for name in ("build", "reproducible"):
        p = sub.add_parser(name)
        p.add_argument("--cmake", required=True)
        p.add_argument("--source", required=True)
        p.add_argument("--generator", required=True)
        p.add_argument("--btfhub-archive", default="")
        if name == "build":
            p.add_argument("--build-dir", required=True)
        if name == "reproducible":
            p.add_argument("--package", action="append", default=[])
    sub.add_parser("static").add_argument("--schema", required=True)
    args = ap.parse_args()
    harness.set_context("release")
    body = {"build": lambda: print("ok   %s" % build_release(args, args.build_dir)),
            "static": lambda: group_static(args),
            "reproducible": lambda: group_reproducible(args)}[args.group]
    harness.run_main(body)


if __name__ == "__main__":
    main()
