// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe table: each probe's embedded CO-RE object and its decoder. */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "events.h"
#include "exec/exec.h"
#include "open/open.h"
#include "oom/oom.h"
#include "tcp/tcp.h"

/* Defined by the generated embed_*.S (CMake bpf_object()). */
#define EMBEDDED(name)							\
	extern const unsigned char bpfport_obj_##name##_start[];	\
	extern const unsigned char bpfport_obj_##name##_end[]
EMBEDDED(exec);
EMBEDDED(open);
EMBEDDED(tcp);
EMBEDDED(oom);

const struct probe_desc probe_table[] = {
	{
		.name = "exec",
		.summary = "process exec, fork and exit",
		.obj_start = bpfport_obj_exec_start,
		.obj_end = bpfport_obj_exec_end,
		.print = exec_print,
		.types = { BPFPORT_EV_EXEC, BPFPORT_EV_FORK, BPFPORT_EV_EXIT },
		.event_size = sizeof(struct exec_event),
	},
	{
		.name = "open",
		.summary = "file opens (openat)",
		.obj_start = bpfport_obj_open_start,
		.obj_end = bpfport_obj_open_end,
		.print = open_print,
		.types = { BPFPORT_EV_OPEN },
		.event_size = sizeof(struct open_event),
	},
	{
		.name = "tcp",
		.summary = "TCP state changes, lifetime and bytes on close",
		.obj_start = bpfport_obj_tcp_start,
		.obj_end = bpfport_obj_tcp_end,
		.print = tcp_print,
		.types = { BPFPORT_EV_TCP },
		.event_size = sizeof(struct tcp_event),
	},
	{
		.name = "oom",
		.summary = "OOM kills (kprobe, optional)",
		.optional = true,
		.obj_start = bpfport_obj_oom_start,
		.obj_end = bpfport_obj_oom_end,
		.print = oom_print,
		.types = { BPFPORT_EV_OOM },
		.event_size = sizeof(struct oom_event),
	},
};
const size_t probe_cnt = ARRAY_SIZE(probe_table);

const struct probe_desc *probe_by_event_type(uint16_t type)
{
	size_t i, j;

	for (i = 0; i < probe_cnt; i++)
		for (j = 0; j < ARRAY_SIZE(probe_table[i].types); j++)
			if (type && probe_table[i].types[j] == type)
				return &probe_table[i];
	return NULL;
}

int probe_list_parse(const char *list, uint32_t *mask)
{
	const char *p = list;

	*mask = 0;
	if (!list || !strcmp(list, "all")) {
		*mask = (1u << probe_cnt) - 1;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < probe_cnt; i++)
			if (strlen(probe_table[i].name) == n &&
			    !strncmp(probe_table[i].name, p, n))
				break;
		if (i == probe_cnt)
			return bp_err(EINVAL,
				      "unknown probe '%.*s': choose from exec,open,tcp,oom",
				      (int)(n > 64 ? 64 : n), p);
		*mask |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return bp_err(EINVAL, "empty probe list: choose from exec,open,tcp,oom");
	return 0;
}

int event_validate(const void *data, size_t size)
{
	const struct bpfport_ev_hdr *h = data;
	const struct probe_desc *d;

	if (!data || size < sizeof(*h))
		return -EINVAL;
	d = probe_by_event_type(h->type);
	if (!d || h->size != d->event_size || h->size > size)
		return -EINVAL;
	return 0;
}

static const char *event_type_name(uint16_t type)
{
	switch (type) {
	case BPFPORT_EV_EXEC: return "exec";
	case BPFPORT_EV_FORK: return "fork";
	case BPFPORT_EV_EXIT: return "exit";
	default: return probe_by_event_type(type)->name;
	}
}

int bpfport_event__fprint(FILE *out, const void *data, size_t size,
			  enum bpfport_format fmt)
{
	const struct bpfport_ev_hdr *h = data;
	struct jw jw;

	if (event_validate(data, size))
		return -EINVAL;
	jw_init(&jw, out, fmt == BPFPORT_FORMAT_TEXT, false);
	if (jw.text) /* text: the type first, bare */
		fprintf(out, "%s ", event_type_name(h->type));
	jw_start_object(&jw);
	if (!jw.text)
		jw_kv_str(&jw, "type", event_type_name(h->type));
	jw_kv_uint(&jw, "ts_ns", h->ts_ns);
	jw_kv_uint(&jw, "pid", h->pid);
	probe_by_event_type(h->type)->print(&jw, data, size);
	jw_end_object(&jw);
	return 0;
}
