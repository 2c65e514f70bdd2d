/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The runtime mode's door (runtime-compiler/mode/): the embedded probe
 * sources compiled against the running kernel's headers (or taken from
 * the cache), ready for the loader to load instead of the CO-RE objects.
 * Everything behind it -- header layouts and discovery (kheaders), the
 * tracefs records (tpformat), the object cache (rtcache) and librtc --
 * is this room's own.
 */
#ifndef BPFPORT_RUNTIME_H
#define BPFPORT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpfport_opts;

/* by probe_table index (BP_MAX_PROBES: internal.h) */
struct runtime_objs {
	void *obj[BP_MAX_PROBES];
	size_t size[BP_MAX_PROBES];
	bool from_cache[BP_MAX_PROBES];
	const char *skip_reason[BP_MAX_PROBES];	/* optional probe not compiled */
	char skip_detail[BP_MAX_PROBES][640];
	bool active;			/* these objects replace the CO-RE ones */
	bool any_cached, all_cached;
	char headers[4096];
	const char *headers_source;
	char cache_dir[4096];
};
/* @o completed by bp_opts_complete(). 0, or -errno with *reason (a reason
 * code) and detail (one line) saying why; -EINTR when bpfport_interrupt()
 * stopped it before the next compile (nothing left extracted). */
int runtime_prepare(const struct bpfport_opts *o, uint32_t mask,
		    struct runtime_objs *ro, const char **reason, char *detail,
		    size_t dlen);
void runtime_objs_free(struct runtime_objs *ro);
/* Removes what a killed runtime build left behind (its extracted kernel
 * headers): bpfport__open() calls it at each start, whatever the mode. */
void runtime_reap_stale(void);

#endif /* BPFPORT_RUNTIME_H */
