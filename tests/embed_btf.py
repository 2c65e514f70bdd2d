#!/usr/bin/env python3
"""Build-time helper for the tests' embedded archives: lays kernel BTFs out
as a btfhub-archive (<ID>/<VERSION_ID>/<arch>/<release>.btf) and minimizes
them into an archive with btfhub/mkarchive.py, exactly as the product's
embedded archive is made. The BTFs are either the build host's own kernel
(--host: the embedded-archive end-to-end test; without native BTF on the
build host it writes an empty archive, and that test skips, saying why) or
the project's BTF fixtures under the keys given (--btf KEY=FILE: the unit
tests' archive, so that they need nothing outside the repository).

  embed_btf.py --stage DIR --out FILE --mkarchive PY --bpftool PATH
               (--host | --btf ID/VERSION/ARCH/RELEASE.btf=FILE...) OBJ...
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys


def host_key():
    osr = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(path):
            for line in open(path):
                k, _, v = line.strip().partition("=")
                osr[k] = v.strip("\"'")
            break
    arch = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
    return "/".join((osr.get("ID", "linux"), osr.get("VERSION_ID", ""), arch,
                     platform.release() + ".btf"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mkarchive", required=True)
    ap.add_argument("--bpftool", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--host", action="store_true")
    src.add_argument("--btf", action="append", metavar="KEY=FILE")
    ap.add_argument("objs", nargs="+")
    a = ap.parse_args()
    shutil.rmtree(a.stage, ignore_errors=True)
    os.makedirs(a.stage)
    if a.host:
        if not os.path.exists("/sys/kernel/btf/vmlinux"):
            open(a.out, "wb").close()
            print("embed_btf: no native BTF on this build host: empty archive")
            return 0
        btfs = [(host_key(), "/sys/kernel/btf/vmlinux")]
    else:
        btfs = [b.split("=", 1) for b in a.btf]
    for key, path in btfs:
        os.makedirs(os.path.join(a.stage, os.path.dirname(key)), exist_ok=True)
        shutil.copyfile(path, os.path.join(a.stage, key))
    return subprocess.call([sys.executable, a.mkarchive, "--archive", a.stage, "--bpftool",
                            a.bpftool, "--out", a.out,
                            "--require", "task_struct.real_parent", "--require", "task_struct.tgid"]
                           + a.objs)


if __name__ == "__main__":
    sys.exit(main())
