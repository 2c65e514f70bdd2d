#!/usr/bin/env python3
"""An installed tree can be moved: `cmake --install --prefix A`, then the
tree moved to B, and `B/bin/check_core_support` (a relative link made at
install time, where --prefix put it) still finds the runtime compiler
helper relative to the binary. Needs no privilege."""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cmake", required=True)
    ap.add_argument("--build", required=True)
    args = ap.parse_args()

    def body():
        with tempfile.TemporaryDirectory(prefix="bpfport-install-") as tmp:
            a, b = os.path.join(tmp, "a"), os.path.join(tmp, "moved")
            p = subprocess.run([args.cmake, "--install", args.build, "--prefix", a],
                               capture_output=True, text=True, timeout=300)
            check(p.returncode == 0, "cmake --install: %s" % p.stderr[-500:])
            link = os.path.join(a, "bin", "check_core_support")
            check(os.path.islink(link) and os.readlink(link) == "bpfport",
                  "check_core_support: %s" % (os.readlink(link) if os.path.islink(link) else "missing"))
            shutil.move(a, b)
            p = subprocess.run([os.path.join(b, "bin", "check_core_support"), "--json"],
                               capture_output=True, text=True, timeout=300)
            doc = json.loads(p.stdout)
            helper = doc["runtime"]["compiler"]
            check(helper["available"], "moved install: runtime compiler helper not found: %s" % helper)
        print("ok   a moved install finds its compiler helper; check_core_support is a relative link")

    harness.run_main(body)


if __name__ == "__main__":
    main()
