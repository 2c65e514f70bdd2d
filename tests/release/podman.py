"""A podman of the test's own, and the DaemonSet's mounts (oci_test.py).

Podman here: cgroup v1 hybrid, where crun refuses to run, so runc with the
cgroupfs manager, and ulimits no higher than the test's own; all its state
(storage, run and tmp dirs, locks, events) in one private temp dir, so that
tests do not collide and nothing is left once it is removed; nothing is
ever pulled (no registry is reachable). The cgroups that runc creates
outlive the containers: the ones this podman created are removed too, that
is the new ones below its parents (a `podman run` gets a parent of its own,
--cgroup-parent; pods get podman's, libpod_parent). Whatever the storage,
`podman load` writes a blob cache into /var/lib/containers/cache (root's
default of containers/image); the directory goes too when podman made it.
The tests that use it hold the CTest resource lock "podman", so none
removes it under another.
"""
import os
import shutil
import subprocess
import uuid

from harness import Failure, check, skip

CGROUP_ROOT = "/sys/fs/cgroup"
SYSTEM_STATE = "/var/lib/containers"


def require_podman():
    if os.geteuid() != 0:
        skip("needs root (podman with BPF, privileged containers)")
    for tool in ("podman", "runc"):
        if not shutil.which(tool):
            skip("no %s (Debian: apt-get install podman runc; ci/install-deps)" % tool)


def cgroup_dirs(parents):
    """The cgroup directories below parents (names at the top of a
    hierarchy), over all hierarchies (v1 and v2), parents included."""
    found = set()
    for hier in os.listdir(CGROUP_ROOT):
        for parent in parents:
            for top, dirs, _ in os.walk(os.path.join(CGROUP_ROOT, hier, parent)):
                found.add(top)
                found.update(os.path.join(top, d) for d in dirs)
    return found


class Podman:
    """podman with its state in root (a fresh directory of the test's)."""

    def __init__(self, root):
        self.root = root
        nofile = min(4096, os.sysconf("SC_OPEN_MAX"))
        conf = os.path.join(root, "containers.conf")
        with open(conf, "w") as f:
            f.write('[containers]\n'
                    'default_ulimits = ["nofile=%d:%d", "nproc=4096:4096"]\n'
                    '[engine]\n'
                    'runtime = "runc"\n'
                    'cgroup_manager = "cgroupfs"\n'
                    'events_logger = "file"\n'
                    'events_logfile_path = "%s/events.log"\n'
                    'tmp_dir = "%s/tmp"\n'
                    'volume_path = "%s/volumes"\n'
                    'lock_type = "file"\n' % (nofile, nofile, root, root, root))
        storage = os.path.join(root, "storage.conf")
        with open(storage, "w") as f:
            # vfs: no overlay mounts to leave behind
            f.write('[storage]\ndriver = "vfs"\ngraphroot = "%s/graph"\nrunroot = "%s/run"\n'
                    % (root, root))
        self.env = dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage)
        self.cgroup_parent = unique("bpfport-test")	# for `podman run --cgroup-parent`
        self.parents = (self.cgroup_parent, "libpod_parent")
        self.cgroups_before = cgroup_dirs(self.parents)
        self.made_system_state = not os.path.exists(SYSTEM_STATE)

    def __call__(self, *args, timeout=300, check_rc=True):
        p = subprocess.run(["podman"] + list(args), capture_output=True, text=True,
                           env=self.env, timeout=timeout)
        if check_rc and p.returncode:
            raise Failure("podman %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                       p.stderr.strip()[-1500:]))
        return p

    def load(self, archive):
        """podman load; returns the image's name."""
        out = self("load", "-i", archive).stdout
        names = [l.split(": ", 1)[1] for l in out.splitlines() if l.startswith("Loaded image")]
        check(len(names) == 1, "podman load %s: %r" % (archive, out))
        return names[0]

    def close(self):
        """Removes every pod, container and image, then the cgroups podman
        made; the caller removes root."""
        self("pod", "rm", "-af", "-t", "5", check_rc=False)
        self("rm", "-af", "-t", "5", check_rc=False)
        self("rmi", "-af", check_rc=False)
        if self.made_system_state:
            shutil.rmtree(SYSTEM_STATE, ignore_errors=True)
        left = []
        for d in sorted(cgroup_dirs(self.parents) - self.cgroups_before, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError as e:
                left.append("%s (%s)" % (d, e.strerror))
        check(not left, "cgroups podman left: %s" % left)


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


class Mount:
    def __init__(self, name, host, path, read_only, kind):
        self.name, self.host, self.path, self.read_only, self.kind = (
            name, host, path, read_only, kind)


def daemonset_mounts(spec, tmp):
    """The container's mounts in a pod spec (the DaemonSet's template):
    hostPath ones with their host path, emptyDir ones as kind "emptyDir".
    A host path this machine lacks (e.g. /lib/modules: no kernel headers
    installed here) is served from an empty directory under tmp, as a
    DirectoryOrCreate volume gets one on a node; said on stdout."""
    vols = {v["name"]: v for v in spec["volumes"]}
    (container,) = spec["containers"]
    mounts = []
    for m in container["volumeMounts"]:
        v = vols[m["name"]]
        if "hostPath" in v:
            host = v["hostPath"]["path"]
            if not os.path.exists(host):
                empty = os.path.join(tmp, "empty-" + v["name"])
                os.makedirs(empty, exist_ok=True)
                print("note %s: not on this host: an empty directory instead" % host)
                host = empty
            mounts.append(Mount(v["name"], host, m["mountPath"], m.get("readOnly", False),
                                "hostPath"))
        else:
            check("emptyDir" in v, "volume %s: neither hostPath nor emptyDir" % v["name"])
            mounts.append(Mount(v["name"], None, m["mountPath"], False, "emptyDir"))
    return mounts


def podman_volume_args(mounts):
    """The same mounts as `podman run` options."""
    args = []
    for m in mounts:
        if m.kind == "emptyDir":
            args += ["--tmpfs", m.path]
        else:
            args += ["-v", "%s:%s%s" % (m.host, m.path, ":ro" if m.read_only else "")]
    return args
