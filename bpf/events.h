/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Event header shared by every probe, kernel and user side.
 * Fixed-width types and explicit padding only: the same bytes are read by
 * the user-space decoders whatever compiler produced the BPF object.
 */
#ifndef BPFPORT_EVENTS_H
#define BPFPORT_EVENTS_H

#include <linux/types.h>

#define BPFPORT_COMM_LEN 16
#define BPFPORT_PATH_LEN 256

struct bpfport_ev_hdr {
	__u16 type;	/* each probe's <name>.h names its own; unique over
			 * all probes (unit-probes checks) */
	__u16 size;	/* sizeof the whole event, checked by the decoder */
	__u32 pid;	/* tgid of the task the event is about */
	__u64 ts_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/* Config shared with user space through the "cfg" array map: no global
 * variables, since kernels before 5.2 have no global data. */
struct bpfport_cfg {
	__u32 self_tgid;	/* events caused by the agent itself are dropped:
				 * its tgid in the initial pid namespace, as
				 * bpf_get_current_pid_tgid() gives it; 0: none */
	__u32 test_only_tgid;	/* tests ($BPFPORT_TEST_ONLY_TGID): only the
				 * events this tgid causes; 0: every task's */
	__u64 wakeup_bytes;	/* ring buffer: the record that takes what
				 * waits past this many bytes wakes the
				 * consumer, no other record does (its flush
				 * timer collects them) */
};

#endif
