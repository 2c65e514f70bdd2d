// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* exec probe, user side: exec / fork / exit events. */
#include "internal.h"
#include "exec.h"

static int exec_print(struct jw *jw, const void *data, size_t size)
{
	const struct exec_event *e = data;

	(void)size;
	jw_kv_uint(jw, "ppid", e->ppid);
	jw_kv_uint(jw, "uid", e->uid);
	jw_kv_strn(jw, "comm", e->comm, sizeof(e->comm));
	switch (e->hdr.type) {
	case BPFPORT_EV_EXEC:
		jw_kv_strn(jw, "filename", e->filename, sizeof(e->filename));
		break;
	case BPFPORT_EV_EXIT:
		jw_kv_int(jw, "exit_code", e->exit_code);
		jw_kv_uint(jw, "signal", e->signal);
		jw_kv_uint(jw, "lifetime_ns", e->lifetime_ns);
		break;
	}
	return 0;
}

PROBE(exec,
	.summary = "process exec, fork and exit",
	.print = exec_print,
	.events = { { BPFPORT_EV_EXEC, "exec" }, { BPFPORT_EV_FORK, "fork" },
		    { BPFPORT_EV_EXIT, "exit" } },
	.event_size = sizeof(struct exec_event),
	.tp_records = { "sched/sched_process_exec", "sched/sched_process_fork" });
