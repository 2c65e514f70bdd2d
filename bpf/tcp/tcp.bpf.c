// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tcp probe: TCP state changes, with lifetime and byte counts on close. */
#define BPFPORT_NEED_NET	/* kernel headers this probe needs (runtime build) */
#include "common.bpf.h"
#include "tcp.h"

char LICENSE[] SEC("license") = "GPL";

#define BP_AF_INET 2
#define BP_AF_INET6 10
#define BP_IPPROTO_TCP 6
#define BP_TCP_CLOSE 7

BPFPORT_HEAP(struct tcp_event);

/* First sighting of a socket: when, and by whom (state changes often run
 * in softirq context, where "current" is whoever was interrupted). */
struct sk_info {
	__u64 ts;
	__u32 pid;
	__u32 pad;
	char comm[BPFPORT_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sk_info);
} socks SEC(".maps");

static __always_inline int on_state(void *ctx, const int rb)
{
	struct trace_event_raw_inet_sock_set_state *tp = ctx;
	struct sk_info fresh = {}, *info;
	struct tcp_event *ev;
	__u64 sk = (__u64)tp->skaddr;
	__u16 family = tp->family;
	int newstate = tp->newstate;

	/* "protocol" exists from 5.6 (MPTCP/SCTP share the tracepoint): CO-RE
	 * asks the kernel's BTF, the runtime build its tracefs format */
#if !defined(BPFPORT_RUNTIME) || defined(BPFPORT_TP_HAS_inet_sock_set_state_protocol)
	if (BP_FIELD_EXISTS(tp, protocol) && tp->protocol != BP_IPPROTO_TCP)
		return 0;
#endif
	if (family != BP_AF_INET && family != BP_AF_INET6)
		return 0;

	info = bpf_map_lookup_elem(&socks, &sk);
	if (!info) {
		fresh.ts = bpf_ktime_get_ns();
		fresh.pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		if (newstate != BP_TCP_CLOSE)
			bpf_map_update_elem(&socks, &sk, &fresh, BPF_ANY);
		info = &fresh;
	}

	ev = bpfport_scratch(&heap);
	if (!ev)
		goto out;
	bpfport_hdr(&ev->hdr, BPFPORT_EV_TCP, sizeof(*ev), info->pid);
	__builtin_memcpy(ev->comm, info->comm, sizeof(ev->comm));
	ev->family = family;
	ev->sport = tp->sport;
	ev->dport = tp->dport;
	ev->oldstate = tp->oldstate;
	ev->newstate = newstate;
	ev->skaddr = sk;
	__builtin_memset(ev->saddr, 0, sizeof(ev->saddr));
	__builtin_memset(ev->daddr, 0, sizeof(ev->daddr));
	/* ctx at a computed offset is not allowed: copy through probe_read */
	if (family == BP_AF_INET) {
		bpf_probe_read_kernel(ev->saddr, 4, tp->saddr);
		bpf_probe_read_kernel(ev->daddr, 4, tp->daddr);
	} else {
		bpf_probe_read_kernel(ev->saddr, 16, tp->saddr_v6);
		bpf_probe_read_kernel(ev->daddr, 16, tp->daddr_v6);
	}
	ev->lifetime_ns = 0;
	ev->bytes_sent = 0;
	ev->bytes_received = 0;
	if (newstate == BP_TCP_CLOSE) {
		struct tcp_sock *tsk = (void *)sk;

		ev->lifetime_ns = bpf_ktime_get_ns() - info->ts;
		BP_READ(ev->bytes_sent, tsk, bytes_acked);
		BP_READ(ev->bytes_received, tsk, bytes_received);
	}
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
out:
	if (newstate == BP_TCP_CLOSE)
		bpf_map_delete_elem(&socks, &sk);
	return 0;
}

BPFPORT_PROG("tracepoint/sock/inet_sock_set_state", tcp_state, on_state)
