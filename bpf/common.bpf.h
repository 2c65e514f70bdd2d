/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Maps and output path shared by every probe object.
 *
 * Output: every program is built twice from one body, a ringbuf variant
 * (name_rb) and a perf-buffer variant (name_pb), with the choice a compile
 * time constant so that each variant holds only one helper call. The
 * loader loads one set (feature probe, or --output) and leaves the other
 * unloaded, so a kernel without ringbuf (< 5.8) never sees
 * bpf_ringbuf_output(). This works in every build mode, unlike a CO-RE
 * bpf_core_type_exists() switch, which needs kernel BTF.
 *
 * events_rb, events_pb and drops are created once by the loader and
 * shared by all probe objects (bpf_map__reuse_fd), so one consumer reads
 * every probe.
 */
#ifndef BPFPORT_COMMON_BPF_H
#define BPFPORT_COMMON_BPF_H

#include "compat.bpf.h"
#include "events.h"

struct {
	__uint(type, BP_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);	/* resized by the loader */
} events_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events_pb SEC(".maps");

/* Events the kernel side failed to output (buffer full). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpfport_cfg);
} cfg SEC(".maps");

/* Per-CPU scratch for building an event: events exceed the 512-byte stack. */
#define BPFPORT_HEAP(val_t)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, val_t);					\
	} heap SEC(".maps")

static __always_inline void *bpfport_scratch(void *heap_map)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(heap_map, &zero);
}

static __always_inline struct bpfport_cfg *bpfport_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cfg, &zero);
}

/* True when the current task's events are not wanted: the agent's own,
 * or (tests) any but the one task asked for. */
static __always_inline int bpfport_skip(void)
{
	struct bpfport_cfg *c = bpfport_cfg();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	return c && (c->self_tgid == tgid ||
		     (c->test_only_tgid && c->test_only_tgid != tgid));
}

static __always_inline void bpfport_hdr(struct bpfport_ev_hdr *h, __u16 type,
					__u16 size, __u32 pid)
{
	h->type = type;
	h->size = size;
	h->pid = pid;
	h->ts_ns = bpf_ktime_get_ns();
}

/*
 * Outputs one event; a failure (buffer full) is counted in drops.
 *
 * Wakeups are batched: a consumer woken for every record costs more than
 * the probe itself (bench/README.md). A ring buffer record wakes the
 * consumer only when it takes what waits past cfg.wakeup_bytes (a
 * fraction of the buffer, set by the loader): once per filling, not for
 * every record above the mark, since each wakeup costs the producer an
 * interrupt even when the consumer is already awake but not yet running.
 * Every other record wakes no one, and the consumer's flush timer
 * collects it (loader/src/bpfport.c); the timer also covers a crossing
 * that two CPUs' records both missed. The perf buffer gets the same from
 * its wakeup watermark, set by the loader on the perf events themselves.
 */
static __always_inline void bpfport_emit(void *ctx, void *ev, __u64 size,
					 const int rb)
{
	__u32 zero = 0;
	long err;

#ifdef BPFPORT_TEST_VERIFIER_REJECT
	/* fault injection (tests): a context read far out of bounds, which
	 * every verifier refuses */
	size += *(volatile long *)((char *)ctx + 8192);
#endif
#ifdef BPFPORT_BENCH_NO_OUTPUT
	/* the benchmark's limit: the probe without its output (bench/) */
	return;
#endif
	if (rb) {
		struct bpfport_cfg *c = bpfport_cfg();
		__u64 avail = bpf_ringbuf_query(&events_rb, BP_RB_AVAIL_DATA);
		__u64 flags = BP_RB_NO_WAKEUP;

		if (!c || (avail <= c->wakeup_bytes && avail + size > c->wakeup_bytes))
			flags = BP_RB_FORCE_WAKEUP;
		err = bpf_ringbuf_output(&events_rb, ev, size, flags);
	} else {
		err = bpf_perf_event_output(ctx, &events_pb, BPF_F_CURRENT_CPU,
					    ev, size);
	}
	if (err) {
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);

		if (n)
			*n += 1;	/* per-CPU slot: no atomics needed */
	}
}

/* Defines name_rb and name_pb, both calling fn(ctx, rb). */
#define BPFPORT_PROG(sec, name, fn)					\
	SEC(sec) int name##_rb(void *ctx) { return fn(ctx, 1); }	\
	SEC(sec) int name##_pb(void *ctx) { return fn(ctx, 0); }

#endif /* BPFPORT_COMMON_BPF_H */
