// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* oom probe, user side. */
#include "internal.h"
#include "oom.h"

static int oom_print(struct jw *jw, const void *data, size_t size)
{
	const struct oom_event *e = data;

	(void)size;
	jw_kv_strn(jw, "comm", e->comm, sizeof(e->comm));
	jw_kv_uint(jw, "victim_pid", e->victim_pid);
	jw_kv_strn(jw, "victim_comm", e->victim_comm, sizeof(e->victim_comm));
	jw_kv_uint(jw, "pages", e->pages);
	return 0;
}

PROBE(oom,
	.summary = "OOM kills (kprobe, optional)",
	.optional = true,	/* kprobes: not on every kernel */
	.print = oom_print,
	.events = { { BPFPORT_EV_OOM, "oom" } },
	.event_size = sizeof(struct oom_event));
