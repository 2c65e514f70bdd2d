/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_OPEN_H
#define BPFPORT_OPEN_H
#include "events.h"

enum { BPFPORT_EV_OPEN = 4 };

struct open_event {
	struct bpfport_ev_hdr hdr;
	__u32 tid;
	__u32 uid;
	__s32 flags;			/* openat(2) flags */
	__s32 ret;			/* fd, or -errno */
	char comm[BPFPORT_COMM_LEN];
	char path[BPFPORT_PATH_LEN];
};
#endif
