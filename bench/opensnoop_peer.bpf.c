// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel side of the benchmark's peer (bench/README.md, section 2):
 * an open tracer built the way libbpf-tools' opensnoop is, the tool a user
 * would otherwise run. The same two tracepoints as bpfport's open probe
 * and a map of the entry arguments by thread; each event reserved in a
 * 256 KiB ring buffer (opensnoop's size), filled there and submitted with
 * the default wakeup (flags 0: the kernel wakes the consumer whenever it
 * has caught up). No self-filter, no drop counter (opensnoop has neither).
 */
#include "compat.bpf.h"
#include "opensnoop_peer.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BP_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

struct entry {
	__u64 path;	/* user pointer */
	__s32 flags;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct entry);
} entries SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int peer_enter(struct trace_event_raw_sys_enter *tp)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct entry e = { .path = tp->args[1], .flags = (__s32)tp->args[2] };

	bpf_map_update_elem(&entries, &tid, &e, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int peer_exit(struct trace_event_raw_sys_exit *tp)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct peer_event *ev;
	struct entry *e;

	e = bpf_map_lookup_elem(&entries, &tid);
	if (!e)
		return 0;
	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (ev) {
		ev->pid = id >> 32;
		ev->uid = (__u32)bpf_get_current_uid_gid();
		ev->ret = (__s32)tp->ret;
		ev->flags = e->flags;
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
		bpf_probe_read_user_str(ev->path, sizeof(ev->path),
					(const char *)e->path);
		bpf_ringbuf_submit(ev, 0);
	}
	bpf_map_delete_elem(&entries, &tid);
	return 0;
}
