// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel feature probes, a table in the manner of libbpf's features.c:
 * each answers yes / no / error, once. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "util/fsio.h"

static int probe_bpf_syscall(void)
{
	/* an invalid-but-harmless call: ENOSYS means no bpf() at all */
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return errno == ENOSYS ? 0 : (errno == EPERM ? -EPERM : 1);
}

static int probe_ringbuf(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
}

static int probe_perf_array(void)
{
	return libbpf_probe_bpf_map_type(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL);
}

static int probe_kprobes(void)
{
	const char *t = tracefs_path();
	char p[256];

	/* the kprobe PMU (4.17+) is what libbpf uses; kprobe_events is the
	 * legacy interface it falls back to */
	if (!access("/sys/bus/event_source/devices/kprobe/type", R_OK))
		return 1;
	if (t) {
		snprintf(p, sizeof(p), "%s/kprobe_events", t);
		if (!access(p, F_OK))
			return 1;
	}
	return 0;
}

static int probe_tracepoints(void)
{
	const char *t = tracefs_path();
	char p[256];

	if (!t)
		return 0;
	snprintf(p, sizeof(p), "%s/events", t);
	return access(p, R_OK) ? 0 : 1;
}

static const struct {
	const char *name;
	int (*probe)(void);
} features[FEAT_CNT] = {
	[FEAT_BPF_SYSCALL] = { "bpf_syscall", probe_bpf_syscall },
	[FEAT_RINGBUF] = { "ringbuf", probe_ringbuf },
	[FEAT_PERF_EVENT_ARRAY] = { "perf_event_array", probe_perf_array },
	[FEAT_KPROBES] = { "kprobes", probe_kprobes },
	[FEAT_TRACEPOINTS] = { "tracepoints", probe_tracepoints },
};

int feature_probe(enum feature f)
{
	static int cache[FEAT_CNT];	/* 0 unknown, else result + 2 */

	if (f >= FEAT_CNT)
		return -EINVAL;
	if (!cache[f])
		cache[f] = features[f].probe() + 2;
	return cache[f] - 2;
}

const char *feature_name(enum feature f)
{
	return f < FEAT_CNT ? features[f].name : "?";
}

const char *native_btf_path(void)
{
	const char *p = getenv("BPFPORT_NATIVE_BTF");

	return p && *p ? p : "/sys/kernel/btf/vmlinux";
}

bool native_btf_hidden(void)
{
	const char *p = getenv("BPFPORT_HIDE_NATIVE_BTF");

	return p && *p && strcmp(p, "0");
}

static bool ksym_exists(const char *sym)
{
	char line[512], name[256];
	bool found = false;
	FILE *f;
	int fd;

	fd = fsio_open_input(AT_FDCWD, "/proc/kallsyms", 0, SIZE_MAX, NULL);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		if (fd >= 0)
			close(fd);
		return true;	/* can't tell: let attach decide */
	}
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*c %255s", name) == 1 && !strcmp(name, sym))
			found = true;
	}
	fclose(f);
	return found;
}

bool section_attachable(const char *sec, const char **reason, char *detail,
			size_t dlen)
{
	const char *t;
	char p[512];

	*reason = NULL;
	detail[0] = '\0';
	if (!strncmp(sec, "tracepoint/", 11) || !strncmp(sec, "tp/", 3)) {
		const char *tp = strchr(sec, '/') + 1;

		t = tracefs_path();
		if (!t) {
			*reason = R_TRACEFS_MISSING;
			snprintf(detail, dlen, "tracefs is not mounted");
			return false;
		}
		snprintf(p, sizeof(p), "%s/events/%s/id", t, tp);
		if (access(p, R_OK) && errno != ENOENT) {
			/* tracefs is root's (0700) unless remounted: a
			 * CAP_BPF + CAP_PERFMON user may not read it */
			*reason = R_NO_PRIVILEGE;
			snprintf(detail, dlen, "tracefs %s: %s: run as root, or remount it mode=755",
				 t, strerror(errno));
			return false;
		}
		if (access(p, F_OK)) {
			*reason = R_TRACEPOINT_MISSING;
			snprintf(detail, dlen, "tracepoint %s not in this kernel", tp);
			return false;
		}
		return true;
	}
	if (!strncmp(sec, "kprobe/", 7) || !strncmp(sec, "kretprobe/", 10)) {
		const char *fn = strchr(sec, '/') + 1;

		if (feature_probe(FEAT_KPROBES) != 1) {
			*reason = R_KPROBES_UNAVAILABLE;
			snprintf(detail, dlen, "kernel built without CONFIG_KPROBES");
			return false;
		}
		if (!ksym_exists(fn)) {
			*reason = R_SYMBOL_NOT_FOUND;
			snprintf(detail, dlen, "%s not in /proc/kallsyms", fn);
			return false;
		}
		return true;
	}
	*reason = R_ATTACH_FAILED;
	snprintf(detail, dlen, "unknown section %s", sec);
	return false;
}
