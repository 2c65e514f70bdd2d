#!/bin/bash
# Runs in a kernel-matrix guest (tests/kernels/vm-run), started by
# systemd_vm_test.py:
#   systemd_guest.sh boot PREFIX OUT
# installs PREFIX's bpfport.service (from `cmake --install`) and variants of
# it in /run/systemd/system and runs systemd 252 as PID 1 of a new pid
# namespace, which starts them;
#   systemd_guest.sh check PREFIX OUT
# is that systemd's last unit: it execs a marker program, waits for each
# service's events, writes what it saw into OUT and stops systemd. The
# services (each a unit of its own, with the drop-ins of
# share/doc/bpfport/examples where named):
#   bpfport          the unit as installed (its ExecStart names PREFIX's
#                    bpfport): every probe, events to the journal
#   bpfport-file     + events-to-file.conf, the file moved to OUT/events.json
#   bpfport-runtime  + ExecStart with --mode runtime (compiled in the sandbox)
#   bpfport-lp       + bpf-perfmon-only.conf, started last on kernels that know
#                    CAP_BPF, after kernel.perf_event_paranoid=2
set -u
step=$1 prefix=$2 out=$3
units=/run/systemd/system
examples=$prefix/share/doc/bpfport/examples
self=$(readlink -f "$0")

variant() {	# NAME DROPIN-TEXT: bpfport.service as NAME.service, with a drop-in
	cp "$units/bpfport.service" "$units/$1.service"
	mkdir -p "$units/$1.service.d"
	printf '%s\n' "$2" > "$units/$1.service.d/test.conf"
}

if [ "$step" = boot ]; then
	# the guest shows the host's /var/cache entries as read-only links:
	# CacheDirectory= must create its own
	rm -f /var/cache/bpfport
	mkdir -p "$units"
	# binfmt_misc cannot be mounted in the guest: its automount would retry
	# for ever
	ln -s /dev/null "$units/proc-sys-fs-binfmt_misc.automount"
	ln -s /dev/null "$units/systemd-binfmt.service"
	cp "$prefix/lib/systemd/system/bpfport.service" "$units/bpfport.service"
	variant bpfport-file "$(sed "s|/var/log/bpfport.json|$out/events.json|" \
		"$examples/events-to-file.conf")"
	variant bpfport-runtime "[Service]
ExecStart=
ExecStart=$prefix/bin/bpfport run --mode runtime"
	variant bpfport-lp "$(cat "$examples/bpf-perfmon-only.conf")"
	cat > "$units/bpfport-check.service" <<EOF
[Unit]
After=bpfport.service bpfport-file.service bpfport-runtime.service
[Service]
Type=oneshot
ExecStart=/bin/bash $self check $prefix $out
EOF
	cat > "$units/bpfport-test.target" <<EOF
[Unit]
Wants=bpfport.service bpfport-file.service bpfport-runtime.service bpfport-check.service
EOF
	exec unshare --pid --fork --mount-proc env -i container=bpfport-test \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin /lib/systemd/systemd --system \
		--unit=bpfport-test.target --log-target=console --show-status=no
fi

# ---- check: inside systemd ----
deadline=$((SECONDS + 600))
running() {	# UNIT: attached (its "running" line), or 1 once it has failed
	while ((SECONDS < deadline)); do
		if journalctl -u "$1" -o cat --no-pager | grep -q '^bpfport: running '; then
			echo "$1 running after ${SECONDS}s" >> "$out/check.log"
			return 0
		fi
		systemctl -q is-failed "$1" && break
		sleep 1
	done
	echo "$1 not running after ${SECONDS}s" >> "$out/check.log"
	return 1
}

collect() {	# UNIT: its journal and state into OUT
	journalctl -u "$1" -o cat --no-pager > "$out/$1.journal"
	systemctl show "$1" -p ActiveState -p SubState -p ExecMainStatus > "$out/$1.state"
}

marker() {	# exec a program named NAME, for the exec probe to see
	ln -sf /bin/true "/run/$1"
	"/run/$1"
	echo "/run/$1" > "$out/$1"
}

for u in bpfport bpfport-file bpfport-runtime; do
	running $u
done
marker bpfport-marker-1
sleep 3
for u in bpfport bpfport-file bpfport-runtime; do
	collect $u
done
if [ "$(cat /proc/sys/kernel/cap_last_cap)" -ge 39 ]; then	# CAP_BPF is 39
	echo 2 > /proc/sys/kernel/perf_event_paranoid
	systemctl start --no-block bpfport-lp
	running bpfport-lp
	marker bpfport-marker-2
	sleep 3
	collect bpfport-lp
fi
systemctl exit 0
