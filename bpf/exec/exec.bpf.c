// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exec probe: process exec, fork and exit. */
#include "common.bpf.h"
#include "exec.h"

char LICENSE[] SEC("license") = "GPL";

BPFPORT_HEAP(struct exec_event);

static __always_inline struct exec_event *
exec_event_init(__u16 type, struct task_struct *task, __u32 pid)
{
	struct exec_event *ev = bpfport_scratch(&heap);
	struct task_struct *parent = NULL;
	__u32 ppid = 0;

	if (!ev)
		return NULL;
	bpfport_hdr(&ev->hdr, type, sizeof(*ev), pid);
	BP_READ(parent, task, real_parent);
	if (parent)
		BP_READ(ppid, parent, tgid);
	ev->ppid = ppid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->exit_code = 0;
	ev->signal = 0;
	ev->lifetime_ns = 0;
	ev->filename[0] = '\0';
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	return ev;
}

static __always_inline int on_exec(void *ctx, const int rb)
{
	struct trace_event_raw_sched_process_exec *tp = ctx;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct exec_event *ev;
	unsigned int off;

	if (bpfport_skip())
		return 0;
	ev = exec_event_init(BPFPORT_EV_EXEC, task,
			     bpf_get_current_pid_tgid() >> 32);
	if (!ev)
		return 0;
	/* __data_loc: low 16 bits are the offset from the record start */
	off = tp->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(ev->filename, sizeof(ev->filename),
				  (char *)ctx + off);
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
	return 0;
}

static __always_inline int on_fork(void *ctx, const int rb)
{
	struct trace_event_raw_sched_process_fork *tp = ctx;
	struct task_struct *task = (void *)bpf_get_current_task();
	struct exec_event *ev;
	__u64 id = bpf_get_current_pid_tgid();
	pid_t child = tp->child_pid;

	/* Fires for threads too (clone with CLONE_THREAD): child_pid is the
	 * new task's id, equal to its tgid for a new process. */
	if (bpfport_skip())
		return 0;
	ev = exec_event_init(BPFPORT_EV_FORK, task, child);
	if (!ev)
		return 0;
	/* the child's parent is the forking process */
	ev->ppid = id >> 32;
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
	return 0;
}

static __always_inline int on_exit(void *ctx, const int rb)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct exec_event *ev;
	__u64 id = bpf_get_current_pid_tgid();
	__u64 start = 0;
	int code = 0;

	/* report processes, not threads */
	if ((__u32)id != (__u32)(id >> 32))
		return 0;
	if (bpfport_skip())
		return 0;
	ev = exec_event_init(BPFPORT_EV_EXIT, task, id >> 32);
	if (!ev)
		return 0;
	BP_READ(code, task, exit_code);
	BP_READ(start, task, start_time);
	ev->exit_code = (code >> 8) & 0xff;
	ev->signal = code & 0x7f;
	ev->lifetime_ns = bpf_ktime_get_ns() - start;
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
	return 0;
}

BPFPORT_PROG("tracepoint/sched/sched_process_exec", exec, on_exec)
BPFPORT_PROG("tracepoint/sched/sched_process_fork", fork, on_fork)
BPFPORT_PROG("tracepoint/sched/sched_process_exit", exit, on_exit)
