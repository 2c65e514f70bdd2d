/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_EXEC_H
#define BPFPORT_EXEC_H
#include "events.h"

enum { BPFPORT_EV_EXEC = 1, BPFPORT_EV_FORK = 2, BPFPORT_EV_EXIT = 3 };

/* One layout for exec, fork and exit (hdr.type tells which). */
struct exec_event {
	struct bpfport_ev_hdr hdr;	/* pid: the process (child for fork) */
	__u32 ppid;			/* task->real_parent->tgid */
	__u32 uid;
	__s32 exit_code;		/* exit: (exit_code >> 8) & 0xff */
	__u32 signal;			/* exit: terminating signal, 0 if none */
	__u64 lifetime_ns;		/* exit: now - task->start_time */
	char comm[BPFPORT_COMM_LEN];
	char filename[BPFPORT_PATH_LEN];	/* exec only */
};
#endif
