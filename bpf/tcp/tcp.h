/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_TCP_H
#define BPFPORT_TCP_H
#include "events.h"

enum { BPFPORT_EV_TCP = 5 };

struct tcp_event {
	struct bpfport_ev_hdr hdr;	/* pid: task that first touched the socket */
	__u16 family;			/* AF_INET (2) or AF_INET6 (10) */
	__u16 sport;			/* host byte order */
	__u16 dport;
	__u8 oldstate;			/* TCP_ESTABLISHED (1) ... TCP_NEW_SYN_RECV (12) */
	__u8 newstate;
	__u8 saddr[16];			/* v4 in the first 4 bytes */
	__u8 daddr[16];
	__u64 lifetime_ns;		/* on close: since the first state change seen */
	__u64 bytes_sent;		/* on close: tcp_sock.bytes_acked */
	__u64 bytes_received;		/* on close: tcp_sock.bytes_received */
	__u64 skaddr;			/* kernel socket address, to pair events */
	char comm[BPFPORT_COMM_LEN];
};
#endif
