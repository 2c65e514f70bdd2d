#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Build the embedded minimized BTF archive (format: btfhub/README.md).

For every kernel BTF under a btfhub-archive directory
(<id>/<version>/<arch>/<release>.btf.tar.xz or .btf), run
`bpftool gen min_core_btf FULL OUT OBJ...` over all our CO-RE objects,
check that the result holds every --require'd struct member (min_core_btf
exits 0 even when nothing matched), warn about and leave out the kernels
that fail, and pack the rest into one archive.

  mkarchive.py --archive DIR --bpftool PATH --out FILE
               [--require STRUCT.MEMBER ...] [--sizes FILE.tsv] [--jobs N] OBJ...
"""
import argparse
import concurrent.futures
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib

MAGIC = b"BPFPBTFA"
VERSION = 1
HDR = struct.Struct("<8sIIIIIIII")   # 40 bytes
REC = struct.Struct("<IIIII")        # 20 bytes
SUFFIXES = (".btf.tar.xz", ".btf")

# BTF kinds, and the bytes each kind's record has after struct btf_type
KIND_STRUCT, KIND_UNION = 4, 5
KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG = 8, 9, 10, 11, 18
EXTRA_FIXED = {1: 4, 3: 12, 14: 4, 17: 4}            # INT, ARRAY, VAR, DECL_TAG
EXTRA_PER_VLEN = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}


def warn(msg):
    print("btfhub: warning: " + msg, file=sys.stderr, flush=True)


def die(msg):
    print("btfhub: error: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def find_kernels(root):
    """{key "<id>/<version>/<arch>/<release>.btf": source path}; never follows symlinks."""
    found = {}
    root = os.path.abspath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        depth = 0 if rel == "." else rel.count(os.sep) + 1
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and depth < 3)
        if depth != 3:
            continue
        for f in sorted(filenames):
            for suf in SUFFIXES:
                if f.endswith(suf) and len(f) > len(suf):
                    key = rel.replace(os.sep, "/") + "/" + f[: -len(suf)] + ".btf"
                    path = os.path.join(dirpath, f)
                    if os.path.islink(path):
                        warn("%s: a symlink, skipped" % path)
                    elif key in found:
                        warn("%s: %s is there too, skipped" % (path, found[key]))
                    else:
                        found[key] = path
                    break
    return found


def read_btf(path):
    """The raw BTF of a .btf or a btfhub .btf.tar.xz (one regular *.btf, read in memory)."""
    with open(path, "rb") as f:
        head = f.read(6)
    if head != b"\xfd7zXZ\x00":
        with open(path, "rb") as f:
            return f.read()
    with tarfile.open(path, "r:xz") as tf:
        members = [m for m in tf.getmembers() if m.name.endswith(".btf")]
        if len(members) != 1 or not members[0].isreg():
            raise ValueError("expected one regular *.btf entry, found %d" % len(members))
        return tf.extractfile(members[0]).read()


def btf_structs(data):
    """{struct name: [(member name, member type id)]...} plus {id: (kind, type)} (little-endian BTF)."""
    magic, version, _flags, hdr_len = struct.unpack_from("<HBBI", data, 0)
    if magic != 0xEB9F or version != 1:
        raise ValueError("not little-endian BTF v1")
    type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, 8)
    types = data[hdr_len + type_off: hdr_len + type_off + type_len]
    strs = data[hdr_len + str_off: hdr_len + str_off + str_len]

    def name(off):
        return strs[off: strs.index(b"\0", off)].decode()

    kinds = {}      # id -> (kind, name, type or members)
    pos, tid = 0, 1
    while pos < len(types):
        name_off, info, size_type = struct.unpack_from("<III", types, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        pos += 12
        members = None
        if kind in (KIND_STRUCT, KIND_UNION):
            members = []
            for i in range(vlen):
                m_name, m_type, _off = struct.unpack_from("<III", types, pos + 12 * i)
                members.append((name(m_name), m_type))
        kinds[tid] = (kind, name(name_off), members if members is not None else size_type)
        pos += EXTRA_FIXED.get(kind, 0) + EXTRA_PER_VLEN.get(kind, 0) * vlen
        tid += 1
    return kinds


def has_member(kinds, sname, member):
    """Some struct @sname has @member, directly or in an anonymous struct/union member."""
    def strip(tid):
        while tid in kinds and kinds[tid][0] in (KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST,
                                                 KIND_RESTRICT, KIND_TYPE_TAG):
            tid = kinds[tid][2]
        return tid

    def search(tid, depth):
        kind, _n, members = kinds[tid]
        for mname, mtype in members:
            if mname == member:
                return True
            t = strip(mtype)
            if not mname and depth < 8 and t in kinds and kinds[t][0] in (KIND_STRUCT, KIND_UNION):
                if search(t, depth + 1):
                    return True
        return False

    return any(k[0] == KIND_STRUCT and k[1] == sname and search(tid, 0) for tid, k in kinds.items())


def minimize(key, src, bpftool, objs, require, tmp):
    """(key, full size, min BTF bytes or None, problem)."""
    try:
        full = read_btf(src)
    except (OSError, ValueError, tarfile.TarError, EOFError) as e:
        return key, 0, None, "cannot read %s: %s" % (src, e)
    base = os.path.join(tmp, key.replace("/", "_"))
    with open(base + ".full", "wb") as f:
        f.write(full)
    r = subprocess.run([bpftool, "gen", "min_core_btf", base + ".full", base + ".min"] + objs,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    os.unlink(base + ".full")
    if r.returncode != 0:
        last = (r.stdout.strip().splitlines() or ["no output"])[-1]
        return key, len(full), None, "bpftool gen min_core_btf failed: %s" % last
    with open(base + ".min", "rb") as f:
        mini = f.read()
    os.unlink(base + ".min")
    try:
        kinds = btf_structs(mini)
    except (ValueError, struct.error, IndexError) as e:
        return key, len(full), None, "minimized BTF unreadable: %s" % e
    missing = [r for r in require if not has_member(kinds, *r.split(".", 1))]
    if missing:
        return key, len(full), None, "minimized BTF lacks %s" % ", ".join(
            "struct %s.%s" % tuple(m.split(".", 1)) for m in missing)
    return key, len(full), mini, None


def pack(entries):
    """entries: sorted [(key, btf bytes)] -> archive bytes."""
    strings, recs, raw = bytearray(), [], bytearray()
    for key, data in entries:
        kb = key.encode()
        recs.append((len(strings), len(kb), len(raw), len(data), zlib.crc32(data)))
        strings += kb + b"\0"
        raw += data
    blob = zlib.compress(bytes(raw), 9)
    index_off = HDR.size
    strings_off = index_off + REC.size * len(recs)
    blob_off = strings_off + len(strings)
    out = bytearray(HDR.pack(MAGIC, VERSION, len(recs), index_off, strings_off,
                             len(strings), blob_off, len(blob), len(raw)))
    for r in recs:
        out += REC.pack(*r)
    return bytes(out + strings + blob)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--archive", required=True, help="btfhub-archive directory")
    ap.add_argument("--bpftool", default="bpftool")
    ap.add_argument("--out", required=True)
    ap.add_argument("--require", action="append", default=[], metavar="STRUCT.MEMBER")
    ap.add_argument("--sizes", help="write key, tarball, full and minimized sizes (TSV)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("objs", nargs="+", help="the CO-RE objects (.bpf.o)")
    a = ap.parse_args()

    for r in a.require:
        if "." not in r:
            die("--require %s: expected STRUCT.MEMBER" % r)
    for o in a.objs:
        if not os.path.isfile(o):
            die("BPF object %s missing: build the bpf_objects target first" % o)
    if not os.path.isdir(a.archive):
        die("BTFHUB_ARCHIVE=%s is not a directory: give a btfhub-archive checkout" % a.archive)
    kernels = find_kernels(a.archive)
    if not kernels:
        die("no <id>/<version>/<arch>/<release>.btf[.tar.xz] under %s: "
            "is BTFHUB_ARCHIVE a btfhub-archive directory?" % a.archive)

    results = []
    with tempfile.TemporaryDirectory(prefix="btfhub-") as tmp, \
            concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as ex:
        futs = [ex.submit(minimize, k, p, a.bpftool, a.objs, a.require, tmp)
                for k, p in sorted(kernels.items())]
        results = [f.result() for f in futs]

    kept, sizes = [], []
    for key, full, mini, problem in results:
        if problem:
            warn("%s: %s; left out of the embedded archive (our CO-RE relocations "
                 "would fail on this kernel)" % (key, problem))
            continue
        kept.append((key, mini))
        sizes.append((key, os.path.getsize(kernels[key]), full, len(mini)))
    blob = pack(kept)
    tmp_out = a.out + ".tmp"
    with open(tmp_out, "wb") as f:
        f.write(blob)
    os.replace(tmp_out, a.out)
    if a.sizes:
        with open(a.sizes + ".tmp", "w") as f:
            f.write("key\tsource_bytes\tfull_btf_bytes\tmin_btf_bytes\n")
            for row in sizes:
                f.write("%s\t%d\t%d\t%d\n" % row)
            f.write("archive\t-\t%d\t%d\n" % (sum(s[2] for s in sizes), len(blob)))
        os.replace(a.sizes + ".tmp", a.sizes)
    print("btfhub: %d of %d kernels embedded, %d bytes (minimized BTF %d bytes raw)"
          % (len(kept), len(kernels), len(blob), sum(len(m) for _, m in kept)))
    if not kept:
        warn("no kernel of %s passed the checks: the embedded archive is empty" % a.archive)


if __name__ == "__main__":
    main()
