/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The loader's own private header: the object behind the public
 * struct bpfport, shared by bpfport.c (the public API), chain.c (the
 * fallback chain) and load.c (loading the probes in the chosen mode).
 */
#ifndef BPFPORT_LOADER_H
#define BPFPORT_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "internal.h"

struct bpfport {
	uint32_t mask;
	bool dry_run;
	uint32_t self_tgid;		/* the probes drop its events; 0: none */
	bpfport_event_fn on_event;
	void *ctx;

	enum bpfport_mode mode;
	struct mode_attempt attempts[8];
	size_t attempt_cnt;
	struct btf_src btf;		/* the BTF relocations use */
	struct runtime_objs rt;		/* mode runtime: compiled objects */

	enum bpfport_output output;
	const char *output_reason;

	struct probe_status st[BP_MAX_PROBES];
	struct bpf_object *objs[BP_MAX_PROBES];
	struct bpf_link *links[BP_MAX_PROBES][BP_MAX_PROGS];

	int events_fd;
	int drops_fd;
	size_t buf_size;		/* the ring buffer, or a CPU's perf buffer */
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	int epoll_fd;			/* the buffer's and the flush timer's */
	int timer_fd;
	unsigned int flush_ms;

	uint64_t events, lost, malformed;
	int cb_ret;
};


/* ---- load.c ---- */
/* The event buffer (ring buffer or perf event array) and the drops
 * counter every probe shares. */
int create_shared_maps(struct bpfport *bp);
/* Loads the selected probes with bp->btf or bp->rt; fills statuses.
 * Returns 0 when every required probe loaded, else the first error
 * (-EINTR: interrupted, before the next probe). */
int load_probes(struct bpfport *bp);
/* Reason of the first required probe that did not load. */
const char *first_failure(const struct bpfport *bp);
/* Closes every probe and clears its status, for the next attempt. */
void probes_reset(struct bpfport *bp);
void probe_close(struct bpfport *bp, size_t i);
/* Destroys probe i's links; its object stays loaded. */
void probe_detach(struct bpfport *bp, size_t i);
/* While an object is open, libbpf's messages go through bp_pr() and are
 * captured during a load so that a failure can be classified (relocation
 * vs verifier); the caller's own libbpf callback is restored when the last
 * object is destroyed. Each open object installs once and releases once. */
void libbpf_print_install(void);
void libbpf_print_release(void);

/* ---- chain.c ---- */
/* Tries the modes in order (or the one asked for); the first whose source
 * resolves and loads every required probe wins. Returns 0 with bp->mode
 * set, -ENOTSUP when none worked (bp->attempts say why), or -EINTR when
 * bpfport_interrupt() stopped it. */
int chain_run(struct bpfport *bp, const struct bpfport_opts *o);

#endif /* BPFPORT_LOADER_H */
