# Shared helpers of the kernel-matrix scripts (bash; sourced, not run).

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KCACHE=${BPFPORT_KERNEL_CACHE:-/var/cache/bpfport-kernels}
KCONF=${BPFPORT_KERNELS_CONF:-$KDIR/kernels.conf}
BUSYBOX=${BPFPORT_BUSYBOX:-/bin/busybox}   # static: the guests' init and tools
DEBIAN_MIRROR=${BPFPORT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${BPFPORT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Kernels that Debian no longer serves come from the project's shared data,
# beside the repository: <repo>/../shared/kernels/<NAME> (see kernels.conf).
SHARED_DIR=${BPFPORT_SHARED_DIR:-$(cd "$KDIR/../../.." && pwd)/shared}

# Exit codes shared by the scripts (automake/CTest conventions).
EX_SKIP=77
EX_TIMEOUT=124
EX_CRASH=125

log()  { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die()  { log "error: $*"; exit 1; }

# Known kernels, in file order.
conf_kvers() {
    sed -e 's/#.*//' "$KCONF" | awk 'NF { print $1 }'
}

# The sources of one kernel (Debian suites, or shared:NAME), space separated;
# fails for an unknown KVER.
conf_sources() {
    local line
    line=$(sed -e 's/#.*//' "$KCONF" | awk -v k="$1" '$1 == k { $1 = ""; print; exit }')
    [ -n "${line// /}" ] || return 1
    echo $line
}

# Where KVER comes from: "debian" (suites) or "shared" (shared:NAME).
kernel_origin() {
    case $(conf_sources "$1") in
        shared:*) echo shared ;;
        *) echo debian ;;
    esac
}

check_kver() {
    conf_sources "$1" >/dev/null ||
        die "unknown kernel '$1' (known: $(conf_kvers | tr '\n' ' ')— see $KCONF)"
}

# Stop with 77 (skip) and a one-line reason, or fail (1) when $CI is set:
# in CI nothing may skip.
skip_or_fail() {
    if [ -n "${CI:-}" ]; then
        log "error: $* (CI is set, so this is a failure)"
        exit 1
    fi
    log "skip: $*"
    exit $EX_SKIP
}

# Stop with 77 (skip) when qemu is missing, or fail when running in CI.
require_qemu() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
    skip_or_fail "qemu-system-x86_64 not found (apt-get install qemu-system-x86 to run the kernel matrix)"
}

# Quote each argument for sh, joined by spaces.
sh_quote() {
    local a out=
    for a in "$@"; do
        out+="'${a//\'/\'\\\'\'}' "
    done
    printf '%s' "${out% }"
}

# The completed cache dir of KVER from the last successful fetch, or nothing.
cached_kernel_dir() {
    local link="$KCACHE/current-$1" d
    [ -L "$link" ] || return 1
    d=$KCACHE/$(readlink "$link")
    [ -f "$d/.complete" ] || return 1
    printf '%s\n' "$d"
}

# The header layouts of a fetched kernel dir, the kernel's native one first:
# "split" (Debian: usr/src/linux-headers-R, the flavour's generated files,
# over usr/src/linux-headers-ABI-common, the sources) and "tree" (one
# complete build tree at usr/src/kernels/R, as RHEL's kernel-devel).
kernel_layouts() {
    local r
    r=$(cat "$1/release")
    [ ! -d "$1/root/usr/src/linux-headers-$r" ] || echo split
    [ ! -d "$1/root/usr/src/kernels/$r" ] || echo tree
}
