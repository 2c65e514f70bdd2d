// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* open probe, user side. */
#include "internal.h"
#include "open.h"

static int open_print(struct jw *jw, const void *data, size_t size)
{
	const struct open_event *e = data;

	(void)size;
	jw_kv_uint(jw, "tid", e->tid);
	jw_kv_uint(jw, "uid", e->uid);
	jw_kv_strn(jw, "comm", e->comm, sizeof(e->comm));
	jw_kv_int(jw, "flags", e->flags);
	jw_kv_int(jw, "ret", e->ret);
	jw_kv_strn(jw, "path", e->path, sizeof(e->path));
	return 0;
}

PROBE(open,
	.summary = "file opens (openat)",
	.print = open_print,
	.events = { { BPFPORT_EV_OPEN, "open" } },
	.event_size = sizeof(struct open_event));
