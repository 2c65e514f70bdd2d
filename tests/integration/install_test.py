#!/usr/bin/env python3
"""An installed tree can be moved, and it is whole for a library user.
`cmake --install --prefix A`, then the tree moved to B:

- B/bin/check_core_support (a relative link made at install time, where
  --prefix put it) still finds the runtime compiler helper relative to the
  binary;
- B holds the library: include/bpfport/{bpfport,events}.h, libbpfport.a,
  libbpfport.so (soname libbpfport.so.0; it exports exactly the functions
  the installed header marks BPFPORT_API), bpfport.pc and the CMake
  package; no installed file names A;
- tests/consumer/ is built against B with pkg-config (libbpfport.so) and
  with find_package(bpfport) (libbpfport.so and libbpfport.a), and
  pkg-config's compiler_helper and CMake's bpfport_COMPILER_HELPER both
  name B's helper;
- each consumer, run as root on a kernel with BTF, gets its child's exec and
  exit events (ppid, exit code 7) through the library API. Without root or
  BTF only that last step SKIPs (77; a failure under CI).

With --static-only (a -DBPFPORT_STATIC=ON build: no libbpfport.so, the
library's files installed with --component devel) every consumer links
libbpfport.a."""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402

SONAME = "libbpfport.so.0"


def run(cmd, env=None, cwd=None, timeout=300):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    check(p.returncode == 0, "%s: exit %d:\n%s%s" % (" ".join(cmd), p.returncode,
                                                     p.stdout[-3000:], p.stderr[-3000:]))
    return p.stdout


def install_moved(args, tmp):
    """cmake --install into tmp/a, then the tree moved to tmp/moved;
    returns (a, moved)."""
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "moved")
    run([args.cmake, "--install", args.build, "--prefix", a])
    if args.static_only:
        run([args.cmake, "--install", args.build, "--prefix", a, "--component", "devel"])
    link = os.path.join(a, "bin", "check_core_support")
    check(os.path.islink(link) and os.readlink(link) == "bpfport",
          "check_core_support: %s" % (os.readlink(link) if os.path.islink(link) else "missing"))
    shutil.move(a, b)
    return a, b


def check_helper(b):
    p = subprocess.run([os.path.join(b, "bin", "check_core_support"), "--json"],
                       capture_output=True, text=True, timeout=300)
    doc = json.loads(p.stdout)
    helper = doc["runtime"]["compiler"]
    check(helper["available"], "moved install: runtime compiler helper not found: %s" % helper)
    # and its default btfhub-archive dir, share/bpfport/btfhub-archive
    arch = os.path.join(b, "share", "bpfport", "btfhub-archive", "testos", "1", platform.machine())
    os.makedirs(arch)
    shutil.copyfile("/sys/kernel/btf/vmlinux", os.path.join(arch, platform.release() + ".btf"))
    osr = os.path.join(b, "os-release")
    with open(osr, "w") as f:
        f.write("ID=testos\nVERSION_ID=1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPFPORT_")}
    p = subprocess.run([os.path.join(b, "bin", "bpfport"), "check", "--json", "--mode", "core-btfhub",
                        "--hide-native-btf", "--os-release", osr],
                       capture_output=True, text=True, timeout=300, env=env)
    doc = json.loads(p.stdout)
    got = [m for m in doc["modes"] if m.get("source") == "archive"]
    check(doc["verdict"]["reason"] == "btf-archive" and got and
          os.path.realpath(b) in os.path.realpath(got[0]["detail"].split("relocated against ")[-1]),
          "moved install: the default btfhub-archive dir is not the moved tree's: %s %s" % (doc["verdict"], got))
    shutil.rmtree(os.path.join(b, "share", "bpfport", "btfhub-archive"))
    os.unlink(osr)
    print("ok   a moved install finds its compiler helper and its btfhub-archive dir; "
          "check_core_support is a relative link")


def api_functions(header):
    """The names the header marks BPFPORT_API, in its declarations."""
    text = open(header).read()
    return set(re.findall(r"^BPFPORT_API\b[^;(]*?\b(\w+)\s*\(", text, re.M))


def find_all(top, name):
    return [os.path.join(d, name) for d, _, files in os.walk(top) if name in files]


class Tree:
    """The moved install as bpfport.pc describes it: every directory it
    names must lie in the moved tree."""

    def __init__(self, args, b):
        pcs = find_all(b, "bpfport.pc")
        check(len(pcs) == 1, "installed tree holds %d bpfport.pc" % len(pcs))
        self.args, self.b = args, b
        self.env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]))
        self.libdir = self.pc_path("libdir")
        self.includedir = self.pc_path("includedir")
        helpers = find_all(b, "bpfport-cc")
        check(len(helpers) <= 1, "installed tree holds %d bpfport-cc" % len(helpers))
        self.helper = helpers[0] if helpers else ""

    def pkg_config(self, *args):
        return run([self.args.pkg_config] + list(args), env=self.env).strip()

    def pc_path(self, var):
        path = os.path.realpath(self.pkg_config("--variable=" + var, "bpfport"))
        check(path.startswith(os.path.realpath(self.b) + "/") and os.path.isdir(path),
              "bpfport.pc: %s=%s is not a directory in the moved tree" % (var, path))
        return path


def check_library(args, a, tree):
    for path in (os.path.join(tree.includedir, "bpfport", "bpfport.h"),
                 os.path.join(tree.includedir, "bpfport", "events.h"),
                 os.path.join(tree.libdir, "libbpfport.a"),
                 os.path.join(tree.libdir, "cmake", "bpfport", "bpfportConfig.cmake"),
                 os.path.join(tree.libdir, "cmake", "bpfport", "bpfportConfigVersion.cmake")):
        check(os.path.isfile(path), "installed tree lacks %s" % path)
    names = []
    for dirpath, _, files in os.walk(tree.b):
        for n in files:
            path = os.path.join(dirpath, n)
            if not os.path.islink(path) and a.encode() in open(path, "rb").read():
                names.append(os.path.relpath(path, tree.b))
    # but the unit, whose ExecStart names the installed bpfport: the one
    # absolute path of an install (README.md, "As a systemd service")
    unit = os.path.join("lib", "systemd", "system", "bpfport.service")
    check(names in ([], [unit]), "installed files name the install prefix %s: %s" % (a, names))
    helper = tree.pkg_config("--variable=compiler_helper", "bpfport")
    check((os.path.realpath(helper) if helper else "") == tree.helper,
          "pkg-config compiler_helper: %r, expected %r" % (helper, tree.helper))
    libs = tree.pkg_config("--static", "--libs", "bpfport").split()
    check({"-lbpfport", "-lbpf", "-llzma", "-lz"} <= set(libs),
          "pkg-config --static --libs bpfport: %s" % " ".join(libs))
    if args.static_only:
        check(not [n for n in os.listdir(tree.libdir) if n.startswith("libbpfport.so")],
              "a static-only build installed a libbpfport.so")
        print("ok   library: headers, libbpfport.a, bpfport.pc, CMake package; no file names "
              "the install prefix")
        return
    link = os.path.join(tree.libdir, "libbpfport.so")
    check(os.readlink(link) == SONAME, "libbpfport.so is not a relative link to %s" % SONAME)
    so = os.path.realpath(link)
    check(os.path.dirname(so) == tree.libdir, "libbpfport.so leads out of its dir: %s" % so)
    dyn = run(["readelf", "-d", so])
    check("Library soname: [%s]" % SONAME in dyn, "%s: soname is not %s:\n%s" % (so, SONAME, dyn))
    syms = {}
    for line in run(["nm", "-D", "--defined-only", so]).splitlines():
        kind, name = line.split()[-2:]
        syms[name.split("@")[0]] = kind
    exported = {n for n, kind in syms.items() if kind != "A"}  # A: the version node
    api = api_functions(os.path.join(tree.includedir, "bpfport", "bpfport.h"))
    check(len(api) > 10, "found %d BPFPORT_API functions in bpfport.h" % len(api))
    check(exported == api, "libbpfport.so exports %s beyond the API and lacks %s"
          % (sorted(exported - api), sorted(api - exported)))
    print("ok   library: headers, libbpfport.a, %s exporting the %d API functions only, "
          "bpfport.pc, CMake package; no file names the install prefix" % (SONAME, len(api)))


def needs_libbpfport(exe):
    return "Shared library: [%s]" % SONAME in run(["readelf", "-d", exe])


def build_consumers(args, tree, tmp):
    """tests/consumer built against the tree with pkg-config and with CMake;
    returns [(what, executable)]."""
    exe_pc = os.path.join(tmp, "consumer-pkg-config")
    flags = tree.pkg_config(*(["--static"] if args.static_only else []),
                            "--cflags", "--libs", "bpfport").split()
    run([args.cc, "-Wall", "-Werror"] + args.cflags.split() +
        [os.path.join(args.consumer, "consumer.c"), "-o", exe_pc] + flags +
        ["-Wl,-rpath," + tree.libdir])

    cb = os.path.join(tmp, "consumer-cmake")
    out = run([args.cmake, "-S", args.consumer, "-B", cb, "-DCMAKE_PREFIX_PATH=" + tree.b,
               "-DCMAKE_C_COMPILER=" + args.cc,
               "-DCMAKE_C_FLAGS=" + " ".join(["-Wall", "-Werror"] + args.cflags.split())])
    m = re.search(r"bpfport_COMPILER_HELPER=(.*)", out)
    check(m and m.group(1) == tree.helper, "CMake bpfport_COMPILER_HELPER: %r, expected %r"
          % (m and m.group(1), tree.helper))
    run([args.cmake, "--build", cb])
    built = [("pkg-config", exe_pc), ("find_package bpfport::bpfport", os.path.join(cb, "consumer")),
             ("find_package bpfport::bpfport_static", os.path.join(cb, "consumer-static"))]
    for what, exe in built:
        shared = not args.static_only and not what.endswith("_static")
        check(needs_libbpfport(exe) == shared, "%s: %s %s" % (
            what, exe, "does not link libbpfport.so" if shared else "links libbpfport.so"))
        if shared:
            ldd = run(["ldd", exe])
            m = re.search(r"^\s*%s => (\S+)" % re.escape(SONAME), ldd, re.M)
            check(m and os.path.realpath(os.path.dirname(m.group(1))) == tree.libdir,
                  "%s: libbpfport.so is not the moved tree's:\n%s" % (exe, ldd))
    print("ok   tests/consumer built against the moved tree: %s" % ", ".join(
        "%s (%s)" % (w, "libbpfport.a" if args.static_only or w.endswith("_static")
                     else "libbpfport.so") for w, _ in built))
    return built


def run_consumers(built):
    for what, exe in built:
        p = subprocess.run([exe], capture_output=True, text=True, timeout=120)
        out = (p.stdout + p.stderr).strip()
        if p.returncode == harness.SKIP:
            harness.skip("consumer: %s" % out.replace("SKIP: ", ""))
        check(p.returncode == 0, "consumer (%s): exit %d: %s" % (what, p.returncode, out))
        print("ok   consumer (%s): %s" % (what, out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--consumer", required=True, help="tests/consumer")
    ap.add_argument("--cc", required=True)
    ap.add_argument("--pkg-config", required=True)
    ap.add_argument("--cflags", default="",
                    help="the build's sanitizer flags, which a consumer of its library needs too")
    ap.add_argument("--static-only", action="store_true",
                    help="a -DBPFPORT_STATIC=ON build: no libbpfport.so")
    args = ap.parse_args()

    def body():
        with tempfile.TemporaryDirectory(prefix="bpfport-install-") as tmp:
            a, b = install_moved(args, tmp)
            check_helper(b)
            tree = Tree(args, b)
            check_library(args, a, tree)
            built = build_consumers(args, tree, tmp)
            run_consumers(built)

    harness.run_main(body)


if __name__ == "__main__":
    main()
