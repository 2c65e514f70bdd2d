/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_OOM_H
#define BPFPORT_OOM_H
#include "events.h"

enum { BPFPORT_EV_OOM = 6 };

struct oom_event {
	struct bpfport_ev_hdr hdr;	/* pid: task that triggered the OOM kill */
	__u32 victim_pid;
	__u32 pad;
	__u64 pages;			/* oom_control.totalpages */
	char comm[BPFPORT_COMM_LEN];
	char victim_comm[BPFPORT_COMM_LEN];
};
#endif
