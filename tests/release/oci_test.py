#!/usr/bin/env python3
"""The OCI image (cmake/image.cmake) and the DaemonSet
(deploy/kubernetes/bpfport-daemonset.yaml), run under podman here.

  oci_test.py --archive A --daemonset Y build --build-dir B --cmake C
      builds the `image` target of the release build B: A.
  oci_test.py --archive A --daemonset Y image --tarball T --cmake C --script S
      A holds one layer with bin/bpfport, bin/check_core_support ->
      bpfport and libexec/bpfport/bpfport-cc, the tarball's bytes, 0:0,
      the tarball's time stamp everywhere, entrypoint /bin/bpfport;
      compressed at most 40 MiB; made again from T by S, the same bytes.
      podman load names it localhost/bpfport:<version>; `podman run
      --privileged --pid=host` with the DaemonSet's mounts and environment
      streams the exec, fork and exit events (ppid, exit code 7, SIGKILL,
      hostile names) of children this test spawns.
  oci_test.py --archive A --daemonset Y own-pidns
      the same without --pid=host: the agent says which pid the kernel
      knows it by, and it is the one podman gives; none of its own events
      (its opens while it attaches the tcp probe, after the open probe)
      is reported, and the host's are.
  oci_test.py --archive A --daemonset Y yaml --version V
      the manifest's structure (no podman, no root).
  oci_test.py --archive A --daemonset Y play
      the DaemonSet's pod template as a Pod under `podman kube play` (the
      image, the mounts, the capabilities; not privileged): `bpfport ready`
      in it says ready, the agent holds exactly the capabilities the
      manifest adds (those this machine has), and its container's log has the exec events of a
      child this test spawns and a clean exit summary.
"""
import argparse
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
import probes_test  # noqa: E402
from harness import Failure, check  # noqa: E402
from probe_checks import check_exec, expect_summary  # noqa: E402
from podman import (Podman, daemonset_mounts, podman_volume_args,  # noqa: E402
                    require_podman, unique)

LAYER_FILES = {"bin/bpfport": 0o755, "libexec/bpfport/bpfport-cc": 0o755}
LAYER_DIRS = {"bin", "libexec", "libexec/bpfport"}
LIMIT_MIB = 40
READY = "/run/bpfport/ready"
# the manifest's capabilities, as /proc/PID/status CapEff numbers them
CAPS = {"SYS_ADMIN": 21, "SYS_RESOURCE": 24, "PERFMON": 38, "BPF": 39}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def load_yaml(path):
    try:
        import yaml
    except ImportError:
        harness.skip("no python3-yaml (Debian: apt-get install python3-yaml; ci/install-deps)")
    with open(path) as f:
        return yaml.safe_load(f)


def template_spec(doc):
    return doc["spec"]["template"]["spec"]


def version_of(archive):
    m = re.match(r"bpfport-(.+)-[^-]+-linux\.oci\.tar$", os.path.basename(archive))
    check(m, "archive name %s" % archive)
    return m.group(1)


def group_build(args):
    require_podman()
    if not shutil.which("umoci"):
        harness.skip("no umoci (Debian: apt-get install umoci; ci/install-deps)")
    p = subprocess.run([args.cmake, "--build", args.build_dir, "--target", "image"],
                       capture_output=True, text=True)
    check(p.returncode == 0, "cmake --build %s --target image: exit %d:\n%s%s"
          % (args.build_dir, p.returncode, p.stdout[-3000:], p.stderr[-3000:]))
    check(os.path.isfile(args.archive), "the image target made no %s" % args.archive)
    print("ok   %s" % args.archive)


def read_blob(t, digest):
    return t.extractfile("blobs/sha256/" + digest.split(":", 1)[1]).read()


def check_archive(args, version):
    """The archive's layout, config and single layer against the tarball."""
    with tarfile.open(args.tarball) as rel:
        top = rel.getmembers()[0].name.split("/")[0]
        epoch = rel.getmember(top + "/bin/bpfport").mtime
        want = {rel_path: rel.extractfile(top + "/" + rel_path).read() for rel_path in LAYER_FILES}
    with tarfile.open(args.archive) as t:
        names = sorted(m.name for m in t.getmembers() if m.isfile())
        index = json.loads(t.extractfile("index.json").read())
        (entry,) = index["manifests"]
        ref = entry["annotations"]["org.opencontainers.image.ref.name"]
        check(ref == "bpfport:" + version, "index.json ref.name %r" % ref)
        manifest = json.loads(read_blob(t, entry["digest"]))
        config = json.loads(read_blob(t, manifest["config"]["digest"]))
        (layer,) = manifest["layers"]
        check(layer["mediaType"].endswith("tar+gzip"), "layer %s" % layer["mediaType"])
        blob = read_blob(t, layer["digest"])
        stamps = {m.mtime for m in t.getmembers()}
    blobs = sorted("blobs/sha256/" + d.split(":", 1)[1] for d in
                   (entry["digest"], manifest["config"]["digest"], layer["digest"]))
    check(names == sorted(["oci-layout", "index.json"] + blobs),
          "archive members %s" % names)
    check(stamps == {epoch}, "archive entries' times %s, expected the tarball's %d" % (stamps, epoch))
    cfg = config["config"]
    check(cfg.get("Entrypoint") == ["/bin/bpfport"] and cfg.get("Cmd") == ["run"],
          "config entrypoint %s cmd %s" % (cfg.get("Entrypoint"), cfg.get("Cmd")))
    check(not cfg.get("Env"), "config sets an environment: %s" % cfg.get("Env"))
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    check(config["created"] == created and all(h["created"] == created for h in config["history"]),
          "config created %s, history %s: expected %s" % (config["created"], config["history"], created))
    check(config["os"] == "linux", "config os %s" % config["os"])

    with tempfile.TemporaryFile() as f:
        f.write(blob)
        f.seek(0)
        with tarfile.open(fileobj=f) as layer_tar:
            members = layer_tar.getmembers()
            got = {}
            for m in members:
                name = m.name.lstrip("./").rstrip("/")
                check(m.uid == 0 and m.gid == 0, "layer %s owned by %d:%d" % (m.name, m.uid, m.gid))
                check(m.mtime == epoch, "layer %s time %d, expected %d" % (m.name, m.mtime, epoch))
                if not name:
                    continue
                if m.isfile():
                    check(m.mode & 0o7777 == LAYER_FILES.get(name),
                          "layer %s mode %o" % (name, m.mode))
                    check(layer_tar.extractfile(m).read() == want.get(name),
                          "layer %s: not the tarball's bytes" % name)
                    got[name] = "file"
                elif m.issym():
                    got[name] = "-> " + m.linkname
                else:
                    check(m.isdir(), "layer %s: type %s" % (name, m.type))
                    got[name] = "dir"
    expect = dict({n: "file" for n in LAYER_FILES}, **{d: "dir" for d in LAYER_DIRS})
    expect["bin/check_core_support"] = "-> bpfport"
    check(got == expect, "layer holds %s, expected %s" % (got, expect))
    size = len(blob)
    print("ok   one layer: %s; 0:0, time %s (the tarball's), entrypoint /bin/bpfport"
          % (", ".join(sorted(got)), created))
    return size


def group_image(args):
    version = version_of(args.archive)
    check(os.path.isfile(args.archive), "no %s (the image-build fixture)" % args.archive)
    size = check_archive(args, version)
    mib = size / (1 << 20)
    check(mib <= LIMIT_MIB, "compressed layer %.1f MiB, goal <= %d MiB" % (mib, LIMIT_MIB))
    print("ok   size: compressed layer %.1f MiB (goal <= %d), archive %.1f MiB"
          % (mib, LIMIT_MIB, os.path.getsize(args.archive) / (1 << 20)))

    require_podman()
    if shutil.which("umoci"):
        name = os.path.basename(args.archive)[:-len(".oci.tar")]
        with tempfile.TemporaryDirectory(prefix="bpfport-image-again-") as again:
            shutil.copy(args.tarball, again)
            arch = "amd64" if os.uname().machine == "x86_64" else "arm64"
            p = subprocess.run([args.cmake, "-DBUILD=" + again, "-DNAME=" + name,
                                "-DVERSION=" + version, "-DARCH=" + arch,
                                "-DUMOCI=" + shutil.which("umoci"), "-P", args.script],
                               capture_output=True, text=True)
            check(p.returncode == 0, "image script again: %s%s" % (p.stdout, p.stderr))
            a, b = sha256(args.archive), sha256(os.path.join(again, name + ".oci.tar"))
            check(a == b, "the image made again from %s differs: sha256 %s != %s"
                  % (args.tarball, a, b))
        print("ok   made again from the tarball: the same bytes (sha256 %s)" % a)

    harness.require_root_bpf("core")
    spec = template_spec(load_yaml(args.daemonset))
    with tempfile.TemporaryDirectory(prefix="bpfport-podman-") as tmp:
        pm = Podman(tmp)
        try:
            image = pm.load(args.archive)
            check(image == "localhost/bpfport:" + version, "podman load named it %s" % image)
            print("ok   podman load: %s" % image)
            (container,) = spec["containers"]
            env = sum((["-e", "%s=%s" % (e["name"], e["value"])] for e in container["env"]), [])
            run_args = (["--pull=never", "--rm", "--privileged", "--pid=host", "--network=none",
                         "--cgroup-parent=/" + pm.cgroup_parent]
                        + podman_volume_args(daemonset_mounts(spec, tmp)) + env
                        + [image, "run", "--mode", "core", "--format", "json"])
            probes_test.exec_run(probes_test.Ctx(), "podman", run_args, pm.env,
                                 {"mode": "core", "reason": "native-btf", "attached": "exec"},
                                 "podman run --privileged --pid=host", probes="exec")
        finally:
            pm.close()


def group_own_pidns(args):
    require_podman()
    harness.require_root_bpf("core")
    spec = template_spec(load_yaml(args.daemonset))
    version = version_of(args.archive)
    with tempfile.TemporaryDirectory(prefix="bpfport-podman-") as tmp:
        pm = Podman(tmp)
        try:
            image = pm.load(args.archive)
            check(image == "localhost/bpfport:" + version, "podman load named it %s" % image)
            name = unique("bpfport-pidns")
            agent = harness.Agent("podman", [
                "--pull=never", "--rm", "--privileged", "--network=none", "--name", name,
                "--cgroup-parent=/" + pm.cgroup_parent]
                + podman_volume_args(daemonset_mounts(spec, tmp))
                + [image, "run", "--mode", "core", "--probes", "exec,open,tcp", "--verbose"],
                env=pm.env)
            ctx = probes_test.Ctx()
            try:
                agent.wait_running()
                kpid = int(pm("inspect", "--format", "{{.State.Pid}}", name).stdout)
                with tempfile.TemporaryDirectory(prefix="bpfport-test-") as work:
                    probes_test.do_exec(ctx, work)
                    time.sleep(0.5 * harness.SLOW)
            finally:
                rc = agent.stop()
            check(rc == 0, "the agent exited %s: %s" % (rc, agent.err[-3:]))
            said = [l for l in agent.err if "in a pid namespace of its own" in l]
            check(said and said[0].endswith("pid 1 here, %d to the kernel" % kpid),
                  "the agent's kernel pid: podman says %d, the agent %s" % (kpid, said))
            print("ok   %s" % said[0])
            evs = agent.events()
            mine = [e for e in evs if e["pid"] == kpid]
            check(not mine, "%d events of the agent itself (pid %d) reported: %s"
                  % (len(mine), kpid, mine[:3]))
            check_exec(ctx, evs)
            print("ok   without --pid=host: none of the agent's own events among %d; the host's "
                  "exec events with their ppid and exit code" % len(evs))
        finally:
            pm.close()


def quantity(q):
    """A Kubernetes memory quantity in bytes."""
    m = re.match(r"^(\d+)(Ki|Mi|Gi)?$", str(q))
    check(m, "memory quantity %r" % q)
    return int(m.group(1)) << {None: 0, "Ki": 10, "Mi": 20, "Gi": 30}[m.group(2)]


def group_yaml(args):
    doc = load_yaml(args.daemonset)
    check(doc["apiVersion"] == "apps/v1" and doc["kind"] == "DaemonSet",
          "%s/%s, expected apps/v1 DaemonSet" % (doc["apiVersion"], doc["kind"]))
    tmpl = doc["spec"]["template"]
    check(doc["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(),
          "the selector does not select the template's labels")
    spec = tmpl["spec"]
    check(spec.get("hostPID") is True, "hostPID is not true")
    check({"operator": "Exists"} in spec.get("tolerations", []),
          "no toleration of every taint (operator: Exists): %s" % spec.get("tolerations"))
    (c,) = spec["containers"]
    check(c["image"] == "localhost/bpfport:" + args.version,
          "image %s, expected localhost/bpfport:%s (podman load's name)" % (c["image"], args.version))
    check("command" not in c, "the container overrides the entrypoint /bin/bpfport")
    argv = c["args"]
    check(argv[0] == "run" and "--format" not in argv and "--duration" not in argv,
          "args %s: expected run, events as JSON on stdout until stopped" % argv)
    check(argv[argv.index("--ready-file") + 1] == READY, "args %s: no --ready-file %s" % (argv, READY))
    probe = c["readinessProbe"]["exec"]["command"]
    check(probe == ["/bin/bpfport", "ready", READY], "readinessProbe %s" % probe)
    env = {e["name"]: e["value"] for e in c.get("env", [])}
    check(env == {"BPFPORT_SYSROOT": "/host"}, "env %s" % env)

    vols = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    check(sorted(m["name"] for m in mounts.values()) == sorted(vols),
          "volumes %s, mounted %s" % (sorted(vols), sorted(m["name"] for m in mounts.values())))
    # container path: (host path, hostPath type, read-only)
    want = {"/sys/kernel/tracing": ("/sys/kernel/tracing", "Directory", False),
            "/sys/kernel/debug": ("/sys/kernel/debug", "Directory", False),
            "/sys/fs/bpf": ("/sys/fs/bpf", "Directory", False),
            "/host/lib/modules": ("/lib/modules", "DirectoryOrCreate", True),
            "/host/usr/src": ("/usr/src", "DirectoryOrCreate", True),
            "/host/boot": ("/boot", "DirectoryOrCreate", True),
            "/host/etc/os-release": ("/etc/os-release", "File", True),
            "/var/cache/bpfport": ("/var/cache/bpfport", "DirectoryOrCreate", False)}
    for path, (host, kind, ro) in want.items():
        check(path in mounts, "no mount at %s" % path)
        v = vols[mounts[path]["name"]]
        got = (v.get("hostPath", {}).get("path"), v.get("hostPath", {}).get("type"),
               mounts[path].get("readOnly", False))
        check(got == (host, kind, ro), "mount %s: hostPath, type, readOnly %s, expected %s"
              % (path, got, (host, kind, ro)))
    run_dir = mounts.get(os.path.dirname(READY))
    check(run_dir and "emptyDir" in vols[run_dir["name"]],
          "the ready file's dir %s is no emptyDir" % os.path.dirname(READY))
    extra = set(mounts) - set(want) - {os.path.dirname(READY)}
    check(not extra, "mounts beyond the node's needs: %s" % sorted(extra))

    sc = c["securityContext"]
    check(not sc.get("privileged") and not spec.get("securityContext", {}).get("privileged"),
          "privileged: capabilities instead")
    check(sc["capabilities"]["drop"] == ["ALL"], "capabilities drop %s" % sc["capabilities"]["drop"])
    check(sorted(sc["capabilities"]["add"]) == sorted(CAPS),
          "capabilities add %s, expected %s" % (sc["capabilities"]["add"], sorted(CAPS)))
    check(sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True,
          "securityContext %s" % sc)

    res = c["resources"]
    budget = 1 << 30	# rtc.c DEFAULT_AS_BUDGET: the helper's address-space cap
    limit = quantity(res["limits"]["memory"])
    request = quantity(res["requests"]["memory"])
    check(limit >= budget + (256 << 20),
          "memory limit %s leaves no room beside the helper's 1 GiB cap" % res["limits"]["memory"])
    check(100 << 20 <= request <= limit,
          "memory request %s: at least a compile's ~100 MiB, at most the limit"
          % res["requests"]["memory"])
    check("cpu" not in res["limits"], "a CPU limit (could time the compile helper out)")
    print("ok   %s: DaemonSet, hostPID, tolerates every taint, image %s, every node mount, "
          "sysroot /host, capabilities %s (not privileged), memory %s..%s, ready probe %s"
          % (os.path.basename(args.daemonset), c["image"], ",".join(sorted(CAPS)),
             res["requests"]["memory"], res["limits"]["memory"], " ".join(probe)))


def cap_set(pid, which):
    """CapEff, CapBnd, ... of a process, as a mask."""
    for line in open("/proc/%d/status" % pid):
        if line.startswith(which + ":"):
            return int(line.split()[1], 16)
    raise Failure("no %s in /proc/%d/status" % (which, pid))


def group_play(args):
    require_podman()
    harness.require_root_bpf("core")
    import yaml
    doc = load_yaml(args.daemonset)
    tmpl = doc["spec"]["template"]
    with tempfile.TemporaryDirectory(prefix="bpfport-kube-") as tmp:
        pm = Podman(tmp)
        try:
            image = pm.load(args.archive)
            spec = copy.deepcopy(tmpl["spec"])
            (c,) = spec["containers"]
            check(c["image"] == image, "the manifest's image %s, loaded %s" % (c["image"], image))
            c["imagePullPolicy"] = "Never"	# no registry here
            hosts = {m.name: m.host for m in daemonset_mounts(spec, tmp) if m.host}
            for v in spec["volumes"]:
                if "hostPath" in v:
                    v["hostPath"]["path"] = hosts[v["name"]]
            pod = unique("bpfport-kube")
            podfile = os.path.join(tmp, "pod.yaml")
            with open(podfile, "w") as f:
                yaml.safe_dump({"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": pod, "labels": tmpl["metadata"]["labels"]},
                                "spec": spec}, f)
            # the agent needs no network: no CNI setup to leave behind
            pm("kube", "play", "--network", "none", podfile)
            ctr = "%s-%s" % (pod, c["name"])
            deadline = time.time() + 120 * harness.SLOW
            while True:
                p = pm("exec", ctr, *c["readinessProbe"]["exec"]["command"], check_rc=False)
                if p.returncode == 0:
                    break
                state = pm("inspect", "--format", "{{.State.Status}}", ctr).stdout.strip()
                if state != "running" or time.time() > deadline:
                    logs = pm("logs", ctr, check_rc=False)
                    raise Failure("not ready (%s: %s), container %s: %s" % (
                        " ".join(c["readinessProbe"]["exec"]["command"]), p.stderr.strip(),
                        state, logs.stderr[-1500:]))
                time.sleep(0.2)
            print("ok   kube play: ready (%s exits 0)" % " ".join(c["readinessProbe"]["exec"]["command"]))

            info = json.loads(pm("inspect", ctr).stdout)[0]
            check(info["HostConfig"]["Privileged"] is False, "the pod's container is privileged")
            add = c["securityContext"]["capabilities"]["add"]
            # podman grants no capability its own bounding set lacks
            here = cap_set(os.getpid(), "CapBnd")
            lacking = [n for n in add if not here >> CAPS[n] & 1]
            if lacking:
                print("note this machine's bounding set lacks %s: not granted here" % lacking)
            want_caps = sum(1 << CAPS[n] for n in add if n not in lacking)
            got_caps = cap_set(info["State"]["Pid"], "CapEff")
            check(got_caps == want_caps, "the agent's CapEff %#x, the manifest's %#x"
                  % (got_caps, want_caps))
            print("ok   not privileged: the agent holds CapEff %#x (%s)"
                  % (got_caps, ",".join(n for n in add if n not in lacking)))

            ctx = probes_test.Ctx()
            with tempfile.TemporaryDirectory(prefix="bpfport-test-") as work:
                probes_test.do_exec(ctx, work)
                time.sleep(0.5 * harness.SLOW)
            pm("pod", "stop", "-t", str(tmpl["spec"]["terminationGracePeriodSeconds"]), pod)
            code = pm("inspect", "--format", "{{.State.ExitCode}}", ctr).stdout.strip()
            logs = pm("logs", ctr)
            err = logs.stderr.splitlines()
            check(code == "0", "the agent exited %s: %s" % (code, err[-3:]))
            summary = harness.summary_of(err)
            expect_summary(summary, {"mode": "core", "reason": "native-btf"}, "kube play")
            check({"exec", "open", "tcp"} <= set(summary["attached"].split(",")),
                  "kube play: attached %s" % summary["attached"])
            evs = harness.parse_events(logs.stdout.splitlines())
            check_exec(ctx, evs)
            print("ok   the container's log: %d events, the child's exec, fork and exit (ppid, "
                  "exit 7, SIGKILL); %s" % (len(evs), err[-1]))
        finally:
            pm.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", required=True)
    ap.add_argument("--daemonset", required=True)
    sub = ap.add_subparsers(dest="group", required=True)
    p = sub.add_parser("build")
    p.add_argument("--build-dir", required=True)
    p.add_argument("--cmake", required=True)
    p = sub.add_parser("image")
    p.add_argument("--tarball", required=True)
    p.add_argument("--cmake", required=True)
    p.add_argument("--script", required=True)
    sub.add_parser("own-pidns")
    sub.add_parser("yaml").add_argument("--version", required=True)
    sub.add_parser("play")
    args = ap.parse_args()
    harness.set_context("oci")
    harness.run_main(lambda: {"build": group_build, "image": group_image,
                              "own-pidns": group_own_pidns, "yaml": group_yaml,
                              "play": group_play}[args.group](args))


if __name__ == "__main__":
    main()
