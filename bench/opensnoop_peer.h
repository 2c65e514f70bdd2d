/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The opensnoop-style peer's event (bench/README.md, section 2). */
#ifndef BENCH_OPENSNOOP_PEER_H
#define BENCH_OPENSNOOP_PEER_H

struct peer_event {
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__s32 flags;
	char comm[16];
	char path[256];
};
#endif
