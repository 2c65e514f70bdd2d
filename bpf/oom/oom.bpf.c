// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* oom probe: OOM kills. Needs kprobes, hence optional. */
#define BPFPORT_NEED_OOM	/* kernel headers this probe needs (runtime build) */
#include "common.bpf.h"
#include "oom.h"

char LICENSE[] SEC("license") = "GPL";

BPFPORT_HEAP(struct oom_event);

static __always_inline int on_oom_kill(struct pt_regs *ctx, const int rb)
{
	struct oom_control *oc = (void *)PT_REGS_PARM1(ctx);
	struct task_struct *victim = NULL;
	struct oom_event *ev;

	ev = bpfport_scratch(&heap);
	if (!ev)
		return 0;
	bpfport_hdr(&ev->hdr, BPFPORT_EV_OOM, sizeof(*ev),
		    bpf_get_current_pid_tgid() >> 32);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->victim_pid = 0;
	ev->pad = 0;
	ev->pages = 0;
	__builtin_memset(ev->victim_comm, 0, sizeof(ev->victim_comm));
	BP_READ(victim, oc, chosen);
	BP_READ(ev->pages, oc, totalpages);
	if (victim) {
		BP_READ(ev->victim_pid, victim, tgid);
		BP_READ(ev->victim_comm, victim, comm);
	}
	bpfport_emit(ctx, ev, sizeof(*ev), rb);
	return 0;
}

BPFPORT_PROG("kprobe/oom_kill_process", oom_kill, on_oom_kill)
