#!/usr/bin/env python3
"""The packages (cmake/packages.cmake): the .deb and the .rpm.

  package_test.py --deb D --rpm R build --build-dir B --cmake C
      builds the `packages` target of the release build B (the release
      fixture's): D and R.
  package_test.py --deb D --rpm R contents --tarball T
      the file lists (dpkg-deb -c, rpm -qlp) are the same set, the one
      PACKAGE_FILES names (the .deb adds its lintian overrides), with their
      modes and root's; the same bytes in both, and the executables and
      README.md the tarball's; every time stamp one (SOURCE_DATE_EPOCH); the
      control fields (dpkg-deb -f: no Depends of any kind; rpm: nothing
      required but the scriptlets' /bin/sh); the unit's ExecStart, the man
      pages gzip -n'd, the copyright and changelog; and lintian: no error, no
      warning, no override unused.
  package_test.py --deb D --rpm R scripts
      as root, in a private mount namespace (a tmpfs /run and /var/cache):
      the maintainer scripts of both packages, each hook with dpkg's and
      rpm's arguments, with systemd running or not and with or without
      systemctl (a stand-in that logs its calls): the calls each makes, and
      whether the purge removed /var/cache/bpfport.
  package_test.py --deb D --rpm R rpm-root
      as root: rpm -i --root into an empty root (busybox as its /bin/sh, for
      the scriptlets), rpm -V, then from there check_core_support --json
      (auto picks core; the helper is found) and run --mode core, which must
      see a `sh -c 'exit 7'` child; rpm -e leaves nothing, the cache neither.
The .deb in a Debian bullseye root, installed by its dpkg, checked and run,
removed and purged: bullseye_test.py --deb.
"""
import argparse
import gzip
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

EXECUTABLES = ("/usr/bin/bpfport", "/usr/libexec/bpfport/bpfport-cc")
# what both packages hold: path -> mode, or "-> TARGET" for a link
PACKAGE_FILES = {
    "/usr/bin/bpfport": 0o755,
    "/usr/bin/check_core_support": "-> bpfport",
    "/usr/libexec/bpfport/bpfport-cc": 0o755,
    "/usr/lib/systemd/system/bpfport.service": 0o644,
    "/usr/share/man/man8/bpfport.8.gz": 0o644,
    "/usr/share/man/man8/check_core_support.8.gz": 0o644,
    "/usr/share/bash-completion/completions/bpfport": 0o644,
    "/usr/share/bash-completion/completions/check_core_support": 0o644,
    "/usr/share/doc/bpfport/README.md": 0o644,
    "/usr/share/doc/bpfport/copyright": 0o644,
    "/usr/share/doc/bpfport/changelog.gz": 0o644,
    "/usr/share/doc/bpfport/examples/events-to-file.conf": 0o644,
    "/usr/share/doc/bpfport/examples/bpf-perfmon-only.conf": 0o644,
}
DEB_ONLY = {"/usr/share/lintian/overrides/bpfport": 0o644}
# the directories the .rpm owns (the others are the system's)
RPM_DIRS = {"/usr/libexec/bpfport", "/usr/share/doc/bpfport", "/usr/share/doc/bpfport/examples"}
# what the tarball holds of them, under its top dir
FROM_TARBALL = {"/usr/bin/bpfport": "bin/bpfport",
                "/usr/libexec/bpfport/bpfport-cc": "libexec/bpfport/bpfport-cc",
                "/usr/share/doc/bpfport/README.md": "share/doc/bpfport/README.md"}
CACHE = "/var/cache/bpfport"


def run(cmd, what=None, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    check(p.returncode == 0, "%s: exit %d: %s" % (what or " ".join(cmd), p.returncode,
                                                  (p.stdout + p.stderr)[-2000:]))
    return p.stdout


def version_of(deb):
    m = re.fullmatch(r"bpfport_(.+)_amd64\.deb", os.path.basename(deb))
    check(m, "%s: not bpfport_VERSION_amd64.deb" % deb)
    return m.group(1)


def deb_entries(deb):
    """{path: (mode or "-> target" or "dir", owner, time)} of dpkg-deb -c"""
    entries = {}
    for line in run(["dpkg-deb", "-c", deb]).splitlines():
        perms, owner, _, day, hm, path = line.split(None, 5)
        path, _, target = path.partition(" -> ")
        path = path[1:].rstrip("/") or "/"
        kind = ("dir" if perms[0] == "d" else "-> " + target if perms[0] == "l"
                else int(perms_octal(perms[1:]), 8))
        entries[path] = (kind, owner, day + " " + hm)
    return entries


def perms_octal(rwx):
    bits = "".join("0" if c == "-" else "1" for c in rwx)
    return "%o" % int(bits, 2)


def rpm_entries(rpm):
    """{path: (mode or "-> target" or "dir", owner, mtime)} of the .rpm"""
    fmt = "[%{FILEMODES:perms} %{FILEUSERNAME}/%{FILEGROUPNAME} %{FILEMTIMES} %{FILENAMES}" \
          " %{FILELINKTOS}\\n]"
    entries = {}
    for line in run(["rpm", "-qp", "--qf", fmt, rpm]).splitlines():
        perms, owner, mtime, path, *target = line.split(" ")
        kind = ("dir" if perms[0] == "d" else "-> " + target[0] if perms[0] == "l"
                else int(perms_octal(perms[1:]), 8))
        entries[path] = (kind, owner, int(mtime))
    return entries


def check_lists(deb, rpm):
    de, re_ = deb_entries(deb), rpm_entries(rpm)
    dfiles = {p: v[0] for p, v in de.items() if v[0] != "dir"}
    rfiles = {p: v[0] for p, v in re_.items() if v[0] != "dir"}
    want = dict(PACKAGE_FILES)
    check(rfiles == want, "rpm -qlp: %s; expected %s" % (sorted(rfiles.items()),
                                                         sorted(want.items())))
    want.update(DEB_ONLY)
    check(dfiles == want, "dpkg-deb -c: %s; expected %s" % (sorted(dfiles.items()),
                                                            sorted(want.items())))
    rdirs = {p for p, v in re_.items() if v[0] == "dir"}
    check(rdirs == RPM_DIRS, "the .rpm owns the directories %s, expected %s"
          % (sorted(rdirs), sorted(RPM_DIRS)))
    owners = {v[1] for v in de.values()} | {v[1] for v in re_.values()}
    check(owners == {"root/root"}, "owners %s, expected root/root alone" % owners)
    # one time stamp in each (SOURCE_DATE_EPOCH; dpkg-deb -c shows minutes)
    for what, entries in (("the .deb", de), ("the .rpm", re_)):
        times = {v[2] for v in entries.values()}
        check(len(times) == 1, "%s's files carry %d time stamps: %s"
              % (what, len(times), sorted(times)[:5]))
    print("ok   the same %d files in both (the .deb adds %s), modes, root/root, one time stamp; "
          "the .rpm owns %s" % (len(PACKAGE_FILES), ", ".join(DEB_ONLY), ", ".join(sorted(rdirs))))


def extract(deb, rpm, tarball, tmp):
    dd, rd, td = (os.path.join(tmp, d) for d in ("deb", "rpm", "tar"))
    for d in (dd, rd, td):
        os.mkdir(d)
    run(["dpkg-deb", "-x", deb, dd])
    p = subprocess.run("rpm2cpio '%s' | cpio -idm --quiet" % rpm, shell=True, cwd=rd,
                       capture_output=True, text=True)
    check(p.returncode == 0, "rpm2cpio | cpio: %s" % p.stderr)
    with tarfile.open(tarball) as t:
        t.extractall(td)
    (top,) = os.listdir(td)
    return dd, rd, os.path.join(td, top)


def content(root, path):
    full = os.path.join(root, path.lstrip("/"))
    if os.path.islink(full):
        return "-> " + os.readlink(full)
    with open(full, "rb") as f:
        return f.read()


def check_bytes(dd, rd, top):
    for path in PACKAGE_FILES:
        check(content(dd, path) == content(rd, path), "%s differs between the .deb and the .rpm"
              % path)
    for path, rel in FROM_TARBALL.items():
        check(content(dd, path) == content(top, rel), "%s is not the tarball's %s" % (path, rel))
    print("ok   the same bytes in both; %s the tarball's" % ", ".join(FROM_TARBALL))


def check_fields(deb, rpm, version):
    fields = {}
    for line in run(["dpkg-deb", "-f", deb]).splitlines():
        if not line.startswith(" "):
            k, _, v = line.partition(": ")
            fields[k] = v
    want = {"Package": "bpfport", "Version": version, "Architecture": "amd64",
            "Section": "admin", "Priority": "optional"}
    for k, v in want.items():
        check(fields.get(k) == v, "dpkg-deb -f: %s: %r, expected %r" % (k, fields.get(k), v))
    check(re.fullmatch(r"[^<>]+ <[^@<>\s]+@[^@<>\s]+>", fields.get("Maintainer", "")),
          "Maintainer: %r" % fields.get("Maintainer"))
    check(fields.get("Description", "").strip() and int(fields.get("Installed-Size", 0)) > 0,
          "Description %r, Installed-Size %r" % (fields.get("Description"),
                                                 fields.get("Installed-Size")))
    relations = {"Depends", "Pre-Depends", "Recommends", "Suggests", "Conflicts", "Breaks",
                 "Provides", "Replaces"} & fields.keys()
    check(not relations, "the .deb has relations: %s" % {k: fields[k] for k in relations})
    print("ok   dpkg-deb -f: %s; no Depends of any kind"
          % ", ".join("%s %s" % kv for kv in sorted(want.items())))

    q = run(["rpm", "-qp", "--qf", "%{NAME} %{VERSION} %{RELEASE} %{ARCH}\\n%{LICENSE}", rpm])
    nvra, lic = q.split("\n", 1)
    check(nvra == "bpfport %s 1 x86_64" % version, "rpm: %s" % nvra)
    check(lic == "LGPL-2.1-only OR BSD-2-Clause", "rpm License: %s" % lic)
    reqs = run(["rpm", "-qpR", rpm]).split("\n")
    other = [r for r in reqs if r and r != "/bin/sh" and not r.startswith("rpmlib(")]
    check(not other, "the .rpm requires %s" % other)
    print("ok   rpm: %s, %s; requires nothing but /bin/sh (its scriptlets)" % (nvra, lic))


def check_docs(dd, version):
    unit = open(os.path.join(dd, "usr/lib/systemd/system/bpfport.service")).read()
    execs = re.findall(r"^ExecStart=(.*)$", unit, re.M)
    check(execs == ["/usr/bin/bpfport run"] and "@BPFPORT_BINDIR@" not in unit,
          "the unit's ExecStart: %s" % execs)
    for page in ("bpfport", "check_core_support"):
        path = os.path.join(dd, "usr/share/man/man8/%s.8.gz" % page)
        head = open(path, "rb").read(10)
        # gzip -n: no name (FLG.FNAME, 0x08), no time (MTIME 0)
        check(head[:2] == b"\x1f\x8b" and not head[3] & 0x08 and head[4:8] == b"\0\0\0\0",
              "%s is not gzip -n'd: %s" % (path, head.hex()))
        roff = gzip.open(path, "rt").read()
        check(roff.startswith(".TH %s 8 " % page.upper()), "%s: %r" % (path, roff[:40]))
    doc = os.path.join(dd, "usr/share/doc/bpfport")
    first = open(os.path.join(doc, "copyright")).readline().strip()
    check(first == "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/",
          "copyright: %r" % first)
    log = gzip.open(os.path.join(doc, "changelog.gz"), "rt").readline().strip()
    check(log == "bpfport (%s) unstable; urgency=medium" % version, "changelog.gz: %r" % log)
    print("ok   ExecStart=/usr/bin/bpfport run; man pages gzip -n; copyright (DEP-5); "
          "changelog %s" % version)


def check_lintian(deb):
    if not shutil.which("lintian"):
        harness.skip("no lintian (ci/install-deps installs it)")
    p = subprocess.run(["lintian", "--display-info", "--fail-on", "error,warning", deb],
                       capture_output=True, text=True, timeout=600)
    tags = [l for l in p.stdout.splitlines() if re.match(r"[EWIXOPN]: ", l)]
    bad = [l for l in tags if l[0] in "EW" or re.search(r"\b(unused|mismatched)-override\b", l)]
    check(p.returncode == 0 and not bad, "lintian (exit %d): %s %s"
          % (p.returncode, bad or tags[:20], p.stderr.strip()[-500:]))
    print("ok   lintian: no error, no warning, every override used (%d info tags)" % len(tags))


def group_contents(args):
    version = version_of(args.deb)
    check_lists(args.deb, args.rpm)
    with tempfile.TemporaryDirectory(prefix="bpfport-packages-") as tmp:
        dd, rd, top = extract(args.deb, args.rpm, args.tarball, tmp)
        check_bytes(dd, rd, top)
        check_docs(dd, version)
    check_fields(args.deb, args.rpm, version)
    check_lintian(args.deb)


# ---- the maintainer scripts ----
# (format, hook, args) -> {situation: the systemctl calls}; situations:
# "booted" systemd is PID 1, "offline" systemctl there but systemd not
# running, "none" no systemctl either (as in a minimal chroot)
RELOAD = "--system daemon-reload"
RESTART = "try-restart bpfport.service"
STOP = "--no-reload disable --now bpfport.service"
DISABLE = "--no-reload disable bpfport.service"
SCRIPT_CASES = [
    ("deb", "postinst", ["configure", ""], {"booted": [RELOAD]}),
    ("deb", "postinst", ["configure", "0.0.9"], {"booted": [RELOAD, RESTART]}),
    ("deb", "prerm", ["remove"], {"booted": [STOP], "offline": [DISABLE]}),
    ("deb", "prerm", ["upgrade", "0.2"], {}),
    ("deb", "postrm", ["remove"], {"booted": [RELOAD]}),
    ("deb", "postrm", ["purge"], {}),
    ("deb", "postrm", ["upgrade", "0.2"], {}),
    ("rpm", "post", ["1"], {"booted": [RELOAD]}),
    ("rpm", "post", ["2"], {"booted": [RELOAD, RESTART]}),
    ("rpm", "preun", ["0"], {"booted": [STOP], "offline": [DISABLE]}),
    ("rpm", "preun", ["1"], {}),
    ("rpm", "postun", ["0"], {"booted": [RELOAD]}),
    ("rpm", "postun", ["1"], {}),
]
# the hooks after which the cache is gone
PURGES = {("deb", "postrm", "purge"), ("rpm", "postun", "0")}


def package_scripts(deb, rpm, tmp):
    """{(format, hook): the script's text}"""
    scripts = {}
    ctl = os.path.join(tmp, "control")
    run(["dpkg-deb", "-e", deb, ctl])
    for hook in ("postinst", "prerm", "postrm"):
        path = os.path.join(ctl, hook)
        check(os.stat(path).st_mode & 0o777 == 0o755, "the .deb's %s: mode %o"
              % (hook, os.stat(path).st_mode & 0o777))
        scripts["deb", hook] = open(path).read()
    for hook, tag in (("post", "POSTIN"), ("preun", "PREUN"), ("postun", "POSTUN")):
        text = run(["rpm", "-qp", "--qf", "%%{%s}" % tag, rpm]).lstrip("\n")
        check(text.startswith("#!/bin/sh\n"), "the .rpm's %%%s: %r" % (hook, text[:80]))
        scripts["rpm", hook] = text
    return scripts


def group_scripts(args):
    if os.geteuid() != 0:
        harness.skip("needs root (a private mount namespace with its own /run and /var/cache)")
    if not os.environ.get("BPFPORT_PACKAGE_NS"):
        # again, in a mount namespace that goes with it
        os.execvpe("unshare", ["unshare", "--mount", "--propagation", "private", "--",
                               sys.executable] + sys.argv,
                   dict(os.environ, BPFPORT_PACKAGE_NS="1"))
    for d in ("/run", "/var/cache"):
        run(["mount", "-t", "tmpfs", "tmpfs", d])
    with tempfile.TemporaryDirectory(prefix="bpfport-scripts-") as tmp:
        scripts = package_scripts(args.deb, args.rpm, tmp)
        fake, empty, log = (os.path.join(tmp, n) for n in ("fake", "empty", "log"))
        os.mkdir(fake)
        os.mkdir(empty)
        with open(os.path.join(fake, "systemctl"), "w") as f:
            f.write('#!/bin/sh\necho "$*" >> %s\n' % log)
        os.chmod(os.path.join(fake, "systemctl"), 0o755)
        n = 0
        for situation in ("booted", "offline", "none"):
            if situation == "booted":
                os.makedirs("/run/systemd/system")
            elif os.path.isdir("/run/systemd"):
                shutil.rmtree("/run/systemd")
            # "none": no systemctl, and no rm either: those hooks need none
            path = empty if situation == "none" else fake + ":/usr/bin:/bin"
            for fmt, hook, argv, calls in SCRIPT_CASES:
                if situation == "none" and (fmt, hook, argv[0]) in PURGES:
                    continue
                os.makedirs(os.path.join(CACHE, "entry"), exist_ok=True)
                if os.path.exists(log):
                    os.unlink(log)
                what = "%s %s %s (%s)" % (fmt, hook, " ".join(argv), situation)
                p = subprocess.run(["/bin/sh", "-c", scripts[fmt, hook], hook] + argv,
                                   env={"PATH": path}, capture_output=True, text=True)
                check(p.returncode == 0 and not p.stderr, "%s: exit %d: %s"
                      % (what, p.returncode, p.stderr))
                made = open(log).read().splitlines() if os.path.exists(log) else []
                check(made == calls.get(situation, []), "%s: systemctl calls %s, expected %s"
                      % (what, made, calls.get(situation, [])))
                purged = (fmt, hook, argv[0]) in PURGES
                check(os.path.exists(CACHE) != purged, "%s: %s %s" % (
                    what, CACHE, "left" if purged else "removed"))
                n += 1
    print("ok   maintainer scripts: %d runs (each hook of both packages, systemd running or "
          "not, with and without systemctl): the calls each makes; the purges remove %s"
          % (n, CACHE))


# ---- the .rpm in an empty root ----
def group_rpm_root(args):
    harness.require_root_bpf("core")
    for tool in ("rpm", "busybox"):
        if not shutil.which(tool):
            harness.skip("no %s (ci/install-deps installs it)" % tool)
    version = version_of(args.deb)
    with tempfile.TemporaryDirectory(prefix="bpfport-rpm-root-") as root:
        # the scriptlets' /bin/sh (and rm): busybox, static
        os.makedirs(os.path.join(root, "bin"))
        shutil.copy(shutil.which("busybox"), os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "rm"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        before = tree(root)
        rpm = ["rpm", "--root", root, "--dbpath", "/var/lib/rpm"]
        run(rpm + ["--initdb"])
        # --nodeps: this root's rpm database knows no package providing /bin/sh
        run(rpm + ["-i", "--nodeps", args.rpm])
        check(run(rpm + ["-q", "bpfport"]).strip() == "bpfport-%s-1.x86_64" % version,
              "rpm -q bpfport in the root")
        run(rpm + ["-V", "--nodeps", "bpfport"],
            "rpm -V bpfport (the installed files against the package)")
        print("ok   rpm -i --root %s: installed, rpm -V verifies" % root)

        env = {k: v for k, v in os.environ.items() if not k.startswith("BPFPORT_")}
        check_core = os.path.join(root, "usr/bin/check_core_support")
        p = subprocess.run([check_core, "--json"], capture_output=True, text=True, env=env,
                           timeout=300)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            raise Failure("check_core_support --json: no JSON (exit %d): %r"
                          % (p.returncode, p.stderr[-500:]))
        check(p.returncode == 0 and doc["verdict"]["auto_mode"] == "core"
              and doc["runtime"]["compiler"]["available"] and doc["bpfport_version"] == version,
              "check_core_support --json: exit %d, version %s, verdict %s, compiler %s"
              % (p.returncode, doc.get("bpfport_version"), doc["verdict"],
                 doc["runtime"]["compiler"]))
        print("ok   %s --json: auto -> core, the helper in usr/libexec/bpfport found" % check_core)
        probes_test.exec_run(probes_test.Ctx(), os.path.join(root, "usr/bin/bpfport"),
                             ["--mode", "core", "--format", "json"], env,
                             {"mode": "core", "reason": "native-btf", "attached": "exec"},
                             "rpm root run --mode core --probes exec", probes="exec")

        # the runtime mode's cache, as a run would leave it: the erase removes it
        cache = os.path.join(root, CACHE.lstrip("/"))
        os.makedirs(cache)
        open(os.path.join(cache, "entry"), "w").close()
        run(rpm + ["-e", "bpfport"])
        # what rpm made and does not own (/usr, /usr/bin, ...) may stay
        left = [p for p in sorted(set(tree(root)) - set(before))
                if not p.startswith("var/lib/rpm")
                and not (os.path.isdir(os.path.join(root, p)) and "/" + p not in RPM_DIRS)]
        check(not left and not os.path.exists(cache), "rpm -e left %s" % (left or cache))
        print("ok   rpm -e: nothing left of the package, nor %s" % CACHE)


def tree(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        for n in dirs + files:
            out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return out


def group_build(args):
    cmd = [args.cmake, "--build", args.build_dir, "--target", "packages"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == 0, "%s: exit %d:\n%s%s" % (" ".join(cmd), p.returncode,
                                                     p.stdout[-3000:], p.stderr[-3000:]))
    for f in (args.deb, args.rpm):
        check(os.path.isfile(f), "the packages target made no %s" % f)
        print("ok   %s (%d bytes)" % (f, os.path.getsize(f)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deb", required=True)
    ap.add_argument("--rpm", required=True)
    sub = ap.add_subparsers(dest="group", required=True)
    b = sub.add_parser("build")
    b.add_argument("--build-dir", required=True)
    b.add_argument("--cmake", required=True)
    sub.add_parser("contents").add_argument("--tarball", required=True)
    sub.add_parser("scripts")
    sub.add_parser("rpm-root")
    args = ap.parse_args()
    harness.set_context("packages")
    body = {"build": group_build, "contents": group_contents, "scripts": group_scripts,
            "rpm-root": group_rpm_root}[args.group]
    harness.run_main(lambda: body(args))


if __name__ == "__main__":
    main()
