# Shared helpers of the kernel-matrix scripts (bash; sourced, not run).

KDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KCACHE=${BPFPORT_KERNEL_CACHE:-/var/cache/bpfport-kernels}
KCONF=${BPFPORT_KERNELS_CONF:-$KDIR/kernels.conf}
DEBIAN_MIRROR=${BPFPORT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
DEBIAN_SECURITY_MIRROR=${BPFPORT_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

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

# The suites of one kernel, space separated; fails for an unknown KVER.
conf_suites() {
    local line
    line=$(sed -e 's/#.*//' "$KCONF" | awk -v k="$1" '$1 == k { $1 = ""; print; exit }')
    [ -n "${line// /}" ] || return 1
    echo $line
}

check_kver() {
    conf_suites "$1" >/dev/null ||
        die "unknown kernel '$1' (known: $(conf_kvers | tr '\n' ' ')— see $KCONF)"
}

# Stop with 77 (skip) when qemu is missing, or fail when running in CI.
require_qemu() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
    if [ -n "${CI:-}" ]; then
        log "error: qemu-system-x86_64 not found (CI is set, so this is a failure; apt-get install qemu-system-x86)"
        exit 1
    fi
    log "skip: qemu-system-x86_64 not found (apt-get install qemu-system-x86 to run the kernel matrix)"
    exit $EX_SKIP
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
