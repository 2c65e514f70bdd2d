// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* open probe: openat(2) with its result. */
#include "common.bpf.h"
#include "open.h"

char LICENSE[] SEC("license") = "GPL";

BPFPORT_HEAP(struct open_event);

struct open_args {
	__u64 filename;		/* user pointer */
	__s32 flags;
	__u32 pad;
};

/* Entry arguments by thread id, removed at syscall exit. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_args);
} start SEC(".maps");

static __always_inline int on_enter(void *ctx, const int rb)
{
	struct trace_event_raw_sys_enter *tp = ctx;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_args a = {};

	if (bpfport_skip())
		return 0;
	a.filename = tp->args[1];
	a.flags = (__s32)tp->args[2];
	bpf_map_update_elem(&start, &tid, &a, BPF_ANY);
	return 0;
}

static __always_inline int on_exit(void *ctx, const int rb)
{
	struct trace_event_raw_sys_exit *tp = ctx;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct open_args *a;
	struct open_event *ev;

	a = bpf_map_lookup_elem(&start, &tid);
	if (!a)
		return 0;
	ev = bpfport_scratch(&heap);
	if (!ev)
		goto cleanup;
	bpfport_hdr(&ev->hdr, BPFPORT_EV_OPEN, sizeof(*ev), id >> 32);
	ev->tid = tid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->flags = a->flags;
	ev->ret = (__s32)tp->ret;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	if (bpf_probe_read_user_str(ev->path, sizeof(ev->path),
				    (const char *)a->filename) < 0)
		ev->path[0] = '\0';
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
cleanup:
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

BPFPORT_PROG("tracepoint/syscalls/sys_enter_openat", open_enter, on_enter)
BPFPORT_PROG("tracepoint/syscalls/sys_exit_openat", open_exit, on_exit)
