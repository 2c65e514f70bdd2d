#!/usr/bin/env python3
"""Build-time helper for the embedded-archive end-to-end test: lays the
build host's own kernel BTF out as a one-kernel btfhub-archive
(<ID>/<VERSION_ID>/<arch>/<release>.btf) and minimizes it into an archive
with btfhub/mkarchive.py, exactly as the product's embedded archive is made.
Without native BTF on the build host it writes an empty archive (the test
then skips, saying why).

  embed_host_btf.py --stage DIR --out FILE --mkarchive PY --bpftool PATH OBJ...
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--mkarchive", required=True)
    ap.add_argument("--bpftool", required=True)
    ap.add_argument("objs", nargs="+")
    a = ap.parse_args()
    shutil.rmtree(a.stage, ignore_errors=True)
    os.makedirs(a.stage)
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        open(a.out, "wb").close()
        print("embed_host_btf: no native BTF on this build host: empty archive")
        return 0
    osr = {}
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if os.path.exists(path):
            for line in open(path):
                k, _, v = line.strip().partition("=")
                osr[k] = v.strip("\"'")
            break
    arch = {"aarch64": "arm64"}.get(platform.machine(), platform.machine())
    d = os.path.join(a.stage, osr.get("ID", "linux"), osr.get("VERSION_ID", ""), arch)
    os.makedirs(d)
    shutil.copyfile("/sys/kernel/btf/vmlinux", os.path.join(d, platform.release() + ".btf"))
    return subprocess.call([sys.executable, a.mkarchive, "--archive", a.stage, "--bpftool",
                            a.bpftool, "--out", a.out,
                            "--require", "task_struct.real_parent", "--require", "task_struct.tgid"]
                           + a.objs)


if __name__ == "__main__":
    sys.exit(main())
