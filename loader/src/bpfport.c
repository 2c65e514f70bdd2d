// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader: choose a mode, load every selected probe, attach, consume.
 *
 * Order of things (and of cleanup): privileges -> tracefs/bpffs -> mode ->
 * output -> shared maps -> per probe open/configure/load -> attach ->
 * consumer. Every resource starts as a sentinel and bpfport__destroy()
 * releases only what was acquired; nothing is pinned, so a crash or a
 * signal leaves nothing behind in the kernel either. bpfport_interrupt()
 * stops open and attach between their steps (chain, probes, programs):
 * they fail with EINTR and the caller destroys what there is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "events.h"

/* The default buffers. The ring buffer: 16 MiB, some 50 ms of a producer
 * that saturates a CPU with opens (bench/README.md), for an agent that
 * shares its CPU. The perf buffer: 8 MiB split over the CPUs, at least
 * 256 KiB each (a power of 2), which stays within the locked memory a
 * process without CAP_IPC_LOCK may map by default (perf_event_mlock_kb per
 * CPU, plus an RLIMIT_MEMLOCK of 8 MiB). */
#define RINGBUF_SIZE_DEFAULT	((size_t)16 << 20)
#define PERFBUF_TOTAL_DEFAULT	((size_t)8 << 20)
#define PERFBUF_SIZE_MIN	((size_t)256 << 10)
#define FLUSH_MS_DEFAULT	20

/* ---- names ---- */

const char *bpfport_mode_name(enum bpfport_mode mode)
{
	switch (mode) {
	case BPFPORT_MODE_AUTO: return "auto";
	case BPFPORT_MODE_CORE: return "core";
	case BPFPORT_MODE_CORE_BTFHUB: return "core-btfhub";
	case BPFPORT_MODE_RUNTIME: return "runtime";
	default: return "none";
	}
}

const char *bpfport_output_name(enum bpfport_output output)
{
	switch (output) {
	case BPFPORT_OUTPUT_RINGBUF: return "ringbuf";
	case BPFPORT_OUTPUT_PERFBUF: return "perfbuf";
	default: return "auto";
	}
}

/* ---- consumer ---- */

static int deliver(struct bpfport *bp, const void *data, size_t size)
{
	const struct bpfport_ev_hdr *h;
	struct event_copy copy;
	int r;

	data = event_aligned(data, &size, &copy);
	if (event_validate(data, size)) {
		bp->malformed++;
		return 0;
	}
	bp->events++;
	if (!bp->on_event)
		return 0;
	h = data;
	r = bp->on_event(bp->ctx, data, h->size);
	if (r)
		bp->cb_ret = r;
	return r;
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

/* A perf buffer record, as perf_buffer__new() would have split it: the
 * raw sample of bpf_perf_event_output(), or the count of samples lost. */
static enum bpf_perf_event_ret pb_record(void *ctx, int cpu,
					 struct perf_event_header *h)
{
	struct bpfport *bp = ctx;

	(void)cpu;
	if (h->type == PERF_RECORD_SAMPLE) {
		const struct { struct perf_event_header h; __u32 size; char data[]; } *s =
			(const void *)h;

		deliver(bp, s->data, s->size);
	} else if (h->type == PERF_RECORD_LOST) {
		const struct { struct perf_event_header h; __u64 id, lost; } *l =
			(const void *)h;

		bp->lost += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

/* The flush timer: due flush_ms after the last delivery (one shot, armed
 * again by each delivery), so a quiet buffer costs no wakeups while the
 * probes wake the consumer often enough by themselves. */
static int flush_timer_arm(struct bpfport *bp)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = bp->flush_ms / 1000,
			      .tv_nsec = (long)(bp->flush_ms % 1000) * 1000000 },
	};

	return timerfd_settime(bp->timer_fd, 0, &its, NULL) ? -errno : 0;
}

/* Adds fd to the consumer's epoll. Edge-triggered: reported once per
 * wakeup of the probes', not again while records wait, so that the
 * consumer sleeps between two batches however fast records come. */
static int epoll_add(struct bpfport *bp, int fd, bool edge)
{
	struct epoll_event ev = { .events = EPOLLIN | (edge ? EPOLLET : 0) };

	return epoll_ctl(bp->epoll_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/*
 * The consumer: libbpf's ring buffer or perf buffer, with batched wakeups
 * (see bpfport_emit() in bpf/common.bpf.h), and a flush timer; one epoll
 * fd of ours waits for either (bpfport__poll(), bpfport__epoll_fd()).
 */
static int consumer_create(struct bpfport *bp)
{
	int err = 0;

	bp->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (bp->epoll_fd < 0)
		return bp_err(errno, "epoll_create1: %s", strerror(errno));
	bp->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (bp->timer_fd < 0)
		return bp_err(errno, "timerfd_create: %s", strerror(errno));
	if (bp->output == BPFPORT_OUTPUT_RINGBUF) {
		bp->rb = ring_buffer__new(bp->events_fd, rb_sample, bp, NULL);
		if (!bp->rb)
			return bp_err(errno, "cannot map the ring buffer: %s",
				      strerror(errno));
		err = epoll_add(bp, bp->events_fd, true);
	} else {
		struct perf_event_attr attr = {
			.size = sizeof(attr),
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1,
			/* a wakeup once a quarter of the CPU's buffer was
			 * written since the last one, not one per sample as
			 * perf_buffer__new() asks */
			.watermark = 1,
			.wakeup_watermark = (__u32)(bp->buf_size / 4),
		};

		bp->pb = perf_buffer__new_raw(bp->events_fd,
					      bp->buf_size / bp_page_size(), &attr,
					      pb_record, bp, NULL);
		if (!bp->pb)
			return bp_err(errno, "cannot open the perf buffer (%zu KiB per CPU): %s%s%s",
				      bp->buf_size >> 10, strerror(errno),
				      errno == EPERM ? ": over the locked memory limit (RLIMIT_MEMLOCK): raise it, or give a smaller " : "",
				      errno == EPERM ? bp_setting_name(BP_SET_BUFFER_SIZE, true) : "");
		for (size_t i = 0; !err && i < perf_buffer__buffer_cnt(bp->pb); i++)
			err = epoll_add(bp, perf_buffer__buffer_fd(bp->pb, i), true);
	}
	if (!err)
		err = epoll_add(bp, bp->timer_fd, false);
	if (!err)
		err = flush_timer_arm(bp);
	if (err)
		return bp_err(-err, "cannot set up the event consumer: %s", strerror(-err));
	return 0;
}

static size_t perfbuf_size_default(void)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t share = PERFBUF_TOTAL_DEFAULT / (size_t)(ncpu > 0 ? ncpu : 1);
	size_t size = PERFBUF_SIZE_MIN;

	while (size * 2 <= share)
		size *= 2;
	return size;
}

/* ---- public ---- */

static int choose_output(struct bpfport *bp, enum bpfport_output want)
{
	int rb = feature_probe(FEAT_RINGBUF);

	switch (want) {
	case BPFPORT_OUTPUT_RINGBUF:
		if (rb != 1)
			return bp_err(ENOTSUP,
				      "this kernel has no BPF ring buffer (needs 5.8+): use %s perfbuf or auto",
				      bp_setting_name(BP_SET_OUTPUT, false));
		bp->output = want;
		bp->output_reason = R_FORCED;
		return 0;
	case BPFPORT_OUTPUT_PERFBUF:
		bp->output = want;
		bp->output_reason = R_FORCED;
		return 0;
	default:
		bp->output = rb == 1 ? BPFPORT_OUTPUT_RINGBUF : BPFPORT_OUTPUT_PERFBUF;
		bp->output_reason = rb == 1 ? R_RINGBUF_SUPPORTED : R_NO_RINGBUF;
		return 0;
	}
}

struct bpfport *bpfport__open(const struct bpfport_opts *opts)
{
	struct bpfport_opts o;
	struct bpfport *bp;
	const char *tracefs;
	bool mounted;
	char why[256];
	int err;
	size_t i;

	if (bp_opts_complete(opts, &o))
		return NULL;
	opts = &o;
	bp = calloc(1, sizeof(*bp));
	if (!bp) {
		bp_err(ENOMEM, "out of memory");
		return NULL;
	}
	bp->events_fd = bp->drops_fd = bp->epoll_fd = bp->timer_fd = -1;
	bp->flush_ms = opts->flush_interval_ms ? opts->flush_interval_ms : FLUSH_MS_DEFAULT;
	bp->btf.memfd = -1;
	bp->mode = BPFPORT_MODE_NONE;
	bp->dry_run = opts->dry_run;
	bp->on_event = opts->on_event;
	bp->ctx = opts->ctx;
	libbpf_print_install();

	err = probe_list_parse(opts->probes, &bp->mask);
	if (err)
		goto fail;
	for (i = 0; i < probe_cnt; i++) {
		bp->st[i].desc = probe_table[i];
		bp->st[i].selected = bp->mask & (1u << i);
	}

	err = privileges_check(why, sizeof(why));
	if (err) {
		bp_err(EPERM, "%s", why);
		goto fail;
	}
	runtime_reap_stale();
	err = ensure_tracefs(&tracefs, &mounted);
	if (err)
		goto fail;
	if (mounted)
		pr_warn("tracefs was not mounted: mounted it at %s\n", tracefs);
	err = ensure_bpffs(&mounted);
	if (err)
		goto fail;
	if (mounted)
		pr_warn("bpffs was not mounted: mounted it at /sys/fs/bpf\n");

	err = choose_output(bp, opts->output);
	if (err)
		goto fail;
	bp->buf_size = opts->buffer_size ? opts->buffer_size :
		       bp->output == BPFPORT_OUTPUT_RINGBUF ? RINGBUF_SIZE_DEFAULT :
		       perfbuf_size_default();

	err = create_shared_maps(bp);
	if (err)
		goto fail;
	if (!bp->dry_run)
		bp->self_tgid = self_tgid();
	bp_test_stall("open");
	err = chain_run(bp, opts);
	if (err == -EINTR)
		goto fail;
	if (err)
		goto no_mode;

	if (!bp->dry_run) {
		err = consumer_create(bp);
		if (err)
			goto fail;
	}
	return bp;

no_mode:
	{
		char msg[4000];
		size_t off = 0;

		for (i = 0; i < bp->attempt_cnt && off < sizeof(msg); i++)
			off += snprintf(msg + off, sizeof(msg) - off, "%s%s%s%s: %s (%s)",
					i ? "; " : "",
					bpfport_mode_name(bp->attempts[i].mode),
					bp->attempts[i].source ? "/" : "",
					bp->attempts[i].source ? bp->attempts[i].source : "",
					bp->attempts[i].reason,
					bp->attempts[i].detail);
		bp_err(ENOTSUP, "no usable mode: %s", msg);
	}
	if (bp->dry_run)
		return bp;	/* check reads the attempts */
fail:
	err = errno;
	bpfport__destroy(bp);
	errno = err;
	return NULL;
}

int bpfport__attach(struct bpfport *bp)
{
	size_t i, k;

	if (!bp || bp->dry_run || bp->mode == BPFPORT_MODE_NONE)
		return bp_err(EINVAL, "nothing loaded to attach");
	for (i = 0; i < probe_cnt; i++) {
		struct probe_status *st = &bp->st[i];
		struct bpf_program *prog;

		if (!st->loaded)
			continue;
		k = 0;
		bpf_object__for_each_program(prog, bp->objs[i]) {
			struct prog_status *ps;
			struct bpf_link *l;

			if (!bpf_program__autoload(prog))
				continue;
			if (bp_interrupted())
				return bp_err_interrupted();
			ps = &st->progs[k];
			l = bpf_program__attach(prog);
			if (!l) {
				int err = -errno;

				ps->reason = R_ATTACH_FAILED;
				snprintf(ps->detail, sizeof(ps->detail), "%s",
					 strerror(-err));
				st->reason = R_ATTACH_FAILED;
				snprintf(st->detail, sizeof(st->detail),
					 "%s (%s): %s", ps->name, ps->section,
					 strerror(-err));
				probe_close(bp, i);
				st->loaded = false;
				if (probe_table[i]->optional)
					break;
				return bp_err(-err, "probe '%s' failed to attach %s: %s",
					      probe_table[i]->name, ps->section,
					      strerror(-err));
			}
			bp->links[i][k] = l;
			ps->attached = true;
			k++;
			bp_test_stall("attach");
		}
		st->attached = st->loaded;
	}
	return 0;
}

int bpfport__poll(struct bpfport *bp, int timeout_ms)
{
	struct epoll_event evs[16];
	uint64_t before;
	int n;

	if (!bp || (!bp->rb && !bp->pb))
		return -EINVAL;
	/* even without a wait: takes the wakeups it reports off the epoll
	 * fd, which a caller's own loop watches (bpfport__epoll_fd()) */
	n = epoll_wait(bp->epoll_fd, evs, ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (!n && timeout_ms)
		return 0;	/* nothing due yet: the flush interval holds */
	/* everything buffered, every ring or CPU buffer, in one go */
	before = bp->events;
	bp->cb_ret = 0;
	n = bp->rb ? ring_buffer__consume(bp->rb) : perf_buffer__consume(bp->pb);
	if (bp->cb_ret)
		return bp->cb_ret;
	if (n < 0)
		return n;
	n = flush_timer_arm(bp);
	if (n)
		return n;
	return (int)(bp->events - before);
}

int bpfport__detach(struct bpfport *bp)
{
	size_t i;

	if (!bp || (!bp->rb && !bp->pb))
		return bp_err(EINVAL, "nothing attached to detach");
	/* st[].attached stays: what was attached (bpfport__probe(), the
	 * summary) */
	for (i = 0; i < probe_cnt; i++)
		probe_detach(bp, i);
	return 0;
}

void bpfport__destroy(struct bpfport *bp)
{
	size_t i;

	if (!bp)
		return;
	ring_buffer__free(bp->rb);
	perf_buffer__free(bp->pb);
	if (bp->epoll_fd >= 0)
		close(bp->epoll_fd);
	if (bp->timer_fd >= 0)
		close(bp->timer_fd);
	for (i = 0; i < probe_cnt; i++)
		probe_close(bp, i);
	if (bp->events_fd >= 0)
		close(bp->events_fd);
	if (bp->drops_fd >= 0)
		close(bp->drops_fd);
	btf_src_release(&bp->btf);
	runtime_objs_free(&bp->rt);
	libbpf_print_release();
	free(bp);
}

int bpfport__stats(const struct bpfport *bp, struct bpfport_stats *s)
{
	int ncpu = libbpf_num_possible_cpus();
	size_t sz;

	if (!bp || !s || s->sz < sizeof(size_t))
		return -EINVAL;
	sz = s->sz < sizeof(*s) ? s->sz : sizeof(*s);
	{
		struct bpfport_stats tmp = { .sz = sz };

		tmp.events = bp->events;
		tmp.lost = bp->lost;
		tmp.malformed = bp->malformed;
		if (bp->drops_fd >= 0 && ncpu > 0) {
			uint64_t *v = calloc(ncpu, sizeof(*v));
			__u32 zero = 0;

			if (v && !bpf_map_lookup_elem(bp->drops_fd, &zero, v))
				for (int c = 0; c < ncpu; c++)
					tmp.drops += v[c];
			free(v);
		}
		memcpy(s, &tmp, sz);
	}
	return 0;
}

int bpfport__epoll_fd(const struct bpfport *bp)
{
	if (!bp || bp->epoll_fd < 0)
		return -EINVAL;
	return bp->epoll_fd;
}

size_t bpfport__attempt_cnt(const struct bpfport *bp)
{
	return bp ? bp->attempt_cnt : 0;
}

int bpfport__attempt(const struct bpfport *bp, size_t i, struct bpfport_attempt *a)
{
	const struct mode_attempt *m;

	if (!bp || !a || i >= bp->attempt_cnt)
		return -EINVAL;
	m = &bp->attempts[i];
	*a = (struct bpfport_attempt){ .mode = m->mode, .source = m->source,
				       .ok = m->ok, .reason = m->reason,
				       .detail = m->detail };
	return 0;
}

size_t bpfport__probe_cnt(const struct bpfport *bp)
{
	return bp ? probe_cnt : 0;
}

int bpfport__probe(const struct bpfport *bp, size_t i, struct bpfport_probe *p)
{
	const struct probe_status *st;

	if (!bp || !p || i >= probe_cnt)
		return -EINVAL;
	st = &bp->st[i];
	*p = (struct bpfport_probe){ .name = probe_table[i]->name,
				     .optional = probe_table[i]->optional,
				     .selected = st->selected, .loaded = st->loaded,
				     .attached = st->attached,
				     .reason = st->selected && !st->attached ? st->reason : NULL,
				     .detail = st->selected && !st->attached ? st->detail : NULL };
	return 0;
}

enum bpfport_mode bpfport__mode(const struct bpfport *bp)
{
	return bp ? bp->mode : BPFPORT_MODE_NONE;
}

enum bpfport_output bpfport__output(const struct bpfport *bp)
{
	return bp ? bp->output : BPFPORT_OUTPUT_AUTO;
}

size_t bpfport__probe_status(const struct bpfport *bp,
			     const struct probe_status **st)
{
	*st = bp->st;
	return probe_cnt;
}

size_t bpfport__mode_attempts(const struct bpfport *bp,
			      const struct mode_attempt **att)
{
	*att = bp->attempts;
	return bp->attempt_cnt;
}

int bpfport__summary(const struct bpfport *bp, char *buf, size_t len,
		     bool with_stats)
{
	const struct mode_attempt *ok = NULL;
	size_t off = 0, i;
	bool first;

#define ADD(...)							\
	do {								\
		if (off < len)						\
			off += snprintf(buf + off, len - off, __VA_ARGS__); \
	} while (0)

	if (!bp || !len)
		return -EINVAL;
	for (i = 0; i < bp->attempt_cnt; i++)
		if (bp->attempts[i].ok)
			ok = &bp->attempts[i];
	ADD("mode=%s reason=%s", bpfport_mode_name(bp->mode),
	    ok ? ok->reason : "none");
	for (i = 0; i < bp->attempt_cnt; i++)
		if (!bp->attempts[i].ok)
			ADD(" skipped=%s%s%s:%s", bpfport_mode_name(bp->attempts[i].mode),
			    bp->attempts[i].source ? "/" : "",
			    bp->attempts[i].source ? bp->attempts[i].source : "",
			    bp->attempts[i].reason);
	if (bp->mode == BPFPORT_MODE_RUNTIME)
		ADD(" headers=%s cache=%s", bp->rt.headers,
		    bp->rt.all_cached ? "hit" : bp->rt.any_cached ? "partial" : "miss");
	else if (bp->mode != BPFPORT_MODE_NONE)
		ADD(" btf=%s", bp->btf.label);
	ADD(" output=%s", bpfport_output_name(bp->output));
	ADD(" attached=");
	first = true;
	for (i = 0; i < probe_cnt; i++)
		if (bp->st[i].attached) {
			ADD("%s%s", first ? "" : ",", probe_table[i]->name);
			first = false;
		}
	if (first)
		ADD("none");
	first = true;
	for (i = 0; i < probe_cnt; i++)
		if (bp->st[i].selected && !bp->st[i].attached &&
		    probe_table[i]->optional) {
			ADD("%s%s:%s", first ? " optional-missing=" : ",",
			    probe_table[i]->name,
			    bp->st[i].reason ? bp->st[i].reason : "not-attached");
			first = false;
		}
	if (with_stats) {
		struct bpfport_stats s = { .sz = sizeof(s) };

		bpfport__stats(bp, &s);
		ADD(" events=%llu drops=%llu lost=%llu malformed=%llu",
		    (unsigned long long)s.events, (unsigned long long)s.drops,
		    (unsigned long long)s.lost, (unsigned long long)s.malformed);
	}
#undef ADD
	return 0;
}
