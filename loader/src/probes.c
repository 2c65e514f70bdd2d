// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The probe table's readers: event types, the --probes list, the decoder.
 * The rows are in bpf/<name>/<name>.c; the table is generated from the
 * list (CMakeLists.txt BPFPORT_PROBES). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "events.h"

/* The probe whose events have this type, and that type's row. */
static const struct probe_desc *event_type_find(uint16_t type,
						const struct probe_event_type **et)
{
	size_t i, j;

	for (i = 0; type && i < probe_cnt; i++)
		for (j = 0; j < ARRAY_SIZE(probe_table[i]->events); j++)
			if (probe_table[i]->events[j].type == type) {
				if (et)
					*et = &probe_table[i]->events[j];
				return probe_table[i];
			}
	return NULL;
}

const struct probe_desc *probe_by_event_type(uint16_t type)
{
	return event_type_find(type, NULL);
}

const char *probe_names(char *buf, size_t len)
{
	size_t off = 0, i;

	buf[0] = '\0';
	for (i = 0; i < probe_cnt && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				probe_table[i]->name);
	return buf;
}

int probe_list_parse(const char *list, uint32_t *mask)
{
	const char *p = list;
	char names[256];

	*mask = 0;
	if (!list || !strcmp(list, "all")) {
		*mask = (1u << probe_cnt) - 1;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < probe_cnt; i++)
			if (strlen(probe_table[i]->name) == n &&
			    !strncmp(probe_table[i]->name, p, n))
				break;
		if (i == probe_cnt)
			return bp_err(EINVAL,
				      "unknown probe '%.*s': choose from %s",
				      (int)(n > 64 ? 64 : n), p,
				      probe_names(names, sizeof(names)));
		*mask |= 1u << i;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return bp_err(EINVAL, "empty probe list: choose from %s",
			      probe_names(names, sizeof(names)));
	return 0;
}

const void *event_aligned(const void *data, size_t *size, struct event_copy *c)
{
	if (!data || !((uintptr_t)data % _Alignof(struct bpfport_ev_hdr)))
		return data;
	if (*size > sizeof(c->b))
		*size = sizeof(c->b);
	memcpy(c->b, data, *size);
	return c->b;
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

int bpfport_event__fprint(FILE *out, const void *data, size_t size,
			  enum bpfport_format fmt)
{
	const struct bpfport_ev_hdr *h;
	const struct probe_event_type *et = NULL;
	const struct probe_desc *d;
	struct event_copy copy;
	struct jw jw;

	data = event_aligned(data, &size, &copy);
	if (event_validate(data, size))
		return -EINVAL;
	h = data;
	d = event_type_find(h->type, &et);	/* validated: found */
	jw_init(&jw, out, fmt == BPFPORT_FORMAT_TEXT, false);
	if (jw.text) /* text: the type first, bare */
		fprintf(out, "%s ", et->name);
	jw_start_object(&jw);
	if (!jw.text)
		jw_kv_str(&jw, "type", et->name);
	jw_kv_uint(&jw, "ts_ns", h->ts_ns);
	jw_kv_uint(&jw, "pid", h->pid);
	d->print(&jw, data, size);
	jw_end_object(&jw);
	return 0;
}
