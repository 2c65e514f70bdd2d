// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The loader: choose a mode, load every selected probe, attach, consume.
 *
 * Order of things (and of cleanup): privileges -> tracefs/bpffs -> mode ->
 * output -> shared maps -> per probe open/configure/load -> attach ->
 * consumer. Every resource starts as a sentinel and bpfport__destroy()
 * releases only what was acquired; nothing is pinned, so a crash or a
 * signal leaves nothing behind in the kernel either.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "events.h"

#define MAX_PROBES 8
#define RINGBUF_SIZE (4u << 20)	/* bytes, shared by all probes */
#define PERFBUF_PAGES 64	/* per CPU */

struct bpfport {
	uint32_t mask;
	bool dry_run;
	bpfport_event_fn on_event;
	void *ctx;

	enum bpfport_mode mode;
	struct mode_attempt attempts[8];
	size_t attempt_cnt;
	struct btf_src btf;		/* the BTF relocations use */
	struct runtime_objs rt;		/* mode runtime: compiled objects */

	enum bpfport_output output;
	const char *output_reason;

	struct probe_status st[MAX_PROBES];
	struct bpf_object *objs[MAX_PROBES];
	struct bpf_link *links[MAX_PROBES][BP_MAX_PROGS];

	int events_fd;
	int drops_fd;
	struct ring_buffer *rb;
	struct perf_buffer *pb;

	uint64_t events, lost, malformed;
	int cb_ret;
};

/* ---- libbpf messages: forwarded as debug, captured during a load so that
 * a failure can be classified (relocation vs verifier) and explained ---- */

static char libbpf_log[512 * 1024];
static size_t libbpf_log_len;
static bool libbpf_capture;

static int libbpf_print_cb(enum libbpf_print_level level __attribute__((unused)), const char *fmt,
			   va_list ap)
{
	va_list cp;

	if (libbpf_capture && libbpf_log_len < sizeof(libbpf_log) - 1) {
		va_copy(cp, ap);
		libbpf_log_len += vsnprintf(libbpf_log + libbpf_log_len,
					    sizeof(libbpf_log) - libbpf_log_len,
					    fmt, cp);
		va_end(cp);
		if (libbpf_log_len > sizeof(libbpf_log) - 1)
			libbpf_log_len = sizeof(libbpf_log) - 1;
	}
	{
		char line[1024];

		vsnprintf(line, sizeof(line), fmt, ap);
		bp_pr(BPFPORT_DEBUG, "libbpf: %s", line);
	}
	return 0;
}

static void capture_start(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
	libbpf_capture = true;
}

/* Copies the line of the captured log containing needle into out. */
static bool log_line(const char *needle, char *out, size_t len)
{
	const char *p = strstr(libbpf_log, needle), *b, *e;

	if (!p)
		return false;
	for (b = p; b > libbpf_log && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	if (!e)
		e = p + strlen(p);
	snprintf(out, len, "%.*s", (int)(e - b), b);
	return true;
}

/* Classifies a failed load from what libbpf said. */
static const char *classify_load_failure(int err, char *detail, size_t len)
{
	const char *end;

	libbpf_capture = false;
	/* a poisoned CO-RE relocation (not the debug "relo #N: insn #M
	 * against 'map'" lines every load prints) */
	if (log_line("failed to resolve CO-RE relocation", detail, len) ||
	    log_line("w/ invalid insn", detail, len) ||
	    log_line("unknown#195896080", detail, len))
		return R_RELOCATION_FAILED;
	end = strstr(libbpf_log, "-- END PROG LOAD LOG --");
	if (end) {
		/* the verifier's verdict is the last line of its log */
		const char *b = end, *e;

		while (b > libbpf_log && b[-1] == '\n')
			b--;
		e = b;
		while (b > libbpf_log && b[-1] != '\n')
			b--;
		/* skip the "processed N insns" statistics line */
		if (!strncmp(b, "processed ", 10) && b > libbpf_log) {
			e = b - 1;
			b = e;
			while (b > libbpf_log && b[-1] != '\n')
				b--;
		}
		snprintf(detail, len, "%.*s", (int)(e - b), b);
		return R_VERIFIER_REJECTED;
	}
	snprintf(detail, len, "%s", strerror(-err));
	return R_LOAD_FAILED;
}

/* Records libbpf's CO-RE relocation results for the programs of st, from
 * the captured log (libbpf exposes no API for them). Lines look like
 *   prog 'exec_rb': relo #0: <byte_off> [45] struct task_struct.real_parent (0:4 @ offset 24)
 *   prog 'exec_rb': relo #0: matching candidate #0 <byte_off> [140] struct ... (0:57 @ offset 2240)
 *   prog 'exec_rb': relo #0: patched insn #9 (LDX/ST/STX) off 24 -> 2240
 *   prog 'exit_rb': relo #3: substituting insn #31 w/ invalid insn
 */
static void relos_parse(struct probe_status *st)
{
	const char *line = libbpf_log;

	while (line && *line) {
		const char *nl = strchr(line, '\n'), *p, *q, *rest;
		struct prog_status *ps = NULL;
		struct relo_status *r = NULL;
		size_t k, n;
		int idx;

		p = strstr(line, "prog '");
		if (!p || (nl && p > nl))
			goto next;
		p += 6;
		q = strchr(p, '\'');
		if (!q || strncmp(q, "': relo #", 9))
			goto next;
		n = q - p;
		if (n > 3 && p[n - 3] == '_')
			n -= 3;	/* name_rb / name_pb -> name */
		for (k = 0; k < st->prog_cnt; k++)
			if (strlen(st->progs[k].name) == n &&
			    !strncmp(st->progs[k].name, p, n))
				ps = &st->progs[k];
		if (!ps)
			goto next;
		idx = atoi(q + 9);
		rest = strstr(q + 9, ": ");
		if (!rest)
			goto next;
		rest += 2;
		for (k = 0; k < ps->relo_cnt; k++)
			if (ps->relos[k].idx == idx)
				r = &ps->relos[k];
		if (!r) {
			if (ps->relo_cnt >= BP_MAX_RELOS)
				goto next;
			r = &ps->relos[ps->relo_cnt++];
			memset(r, 0, sizeof(*r));
			r->idx = idx;
		}
		if (*rest == '<' && !r->spec[0]) {
			/* drop the "[type id] " and the trailing access spec */
			const char *kind_end = strchr(rest, '>');
			const char *sp = kind_end ? strstr(kind_end, "] ") : NULL;
			const char *end = strstr(rest, " (");
			size_t eol = nl ? (size_t)(nl - rest) : strlen(rest);

			if (kind_end && sp && end && end > sp)
				snprintf(r->spec, sizeof(r->spec), "%.*s %.*s",
					 (int)(kind_end - rest + 1), rest,
					 (int)(end - sp - 2), sp + 2);
			else
				snprintf(r->spec, sizeof(r->spec), "%.*s", (int)eol, rest);
		} else if (!strncmp(rest, "matching candidate #", 20) && !r->has_target) {
			const char *o = strstr(rest, "@ offset ");

			if (o && (!nl || o < nl)) {
				r->target = atoll(o + 9);
				r->has_target = true;
			}
		} else if (!strncmp(rest, "patched insn", 12)) {
			r->ok = true;
		} else if (!strncmp(rest, "substituting insn", 17)) {
			r->failed = true;
		}
next:
		line = nl ? nl + 1 : NULL;
	}
}

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

/* ---- mode selection ---- */

static struct mode_attempt *attempt_add(struct bpfport *bp,
					enum bpfport_mode mode,
					const char *source, bool ok,
					const char *reason, const char *fmt, ...)
{
	struct mode_attempt *a;
	va_list ap;

	if (bp->attempt_cnt >= ARRAY_SIZE(bp->attempts))
		bp->attempt_cnt = ARRAY_SIZE(bp->attempts) - 1;
	a = &bp->attempts[bp->attempt_cnt++];
	a->mode = mode;
	a->source = source;
	a->ok = ok;
	a->reason = reason;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	return a;
}

/* ---- shared maps ---- */

static int create_shared_maps(struct bpfport *bp)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 0)
		return bp_err(-ncpu, "cannot count CPUs: %s", strerror(-ncpu));
	if (bp->output == BPFPORT_OUTPUT_RINGBUF)
		bp->events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF,
					       "bpfport_events", 0, 0,
					       RINGBUF_SIZE, NULL);
	else
		bp->events_fd = bpf_map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY,
					       "bpfport_events", 4, 4, ncpu,
					       NULL);
	if (bp->events_fd < 0)
		return bp_err(errno, "cannot create the %s event buffer: %s",
			      bpfport_output_name(bp->output), strerror(errno));
	bp->drops_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "bpfport_drops",
				      4, 8, 1, NULL);
	if (bp->drops_fd < 0)
		return bp_err(errno, "cannot create the drops counter: %s",
			      strerror(errno));
	return 0;
}

/* ---- one probe ---- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int probe_open(struct bpfport *bp, size_t i)
{
	const struct probe_desc *d = &probe_table[i];
	struct probe_status *st = &bp->st[i];
	const char *keep = bp->output == BPFPORT_OUTPUT_RINGBUF ? "_rb" : "_pb";
	const char *drop = bp->output == BPFPORT_OUTPUT_RINGBUF ? "_pb" : "_rb";
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = d->name,
		    .btf_custom_path = bp->btf.custom ? bp->btf.path : NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	struct bpf_object *obj;
	bool all_attachable = true;
	int err;

	if (bp->rt.active && !bp->rt.obj[i]) {
		st->reason = bp->rt.skip_reason[i] ? bp->rt.skip_reason[i] : R_COMPILE_FAILED;
		snprintf(st->detail, sizeof(st->detail), "%s", bp->rt.skip_detail[i]);
		return -ENOENT;
	}
	capture_start();
	if (bp->rt.active)	/* runtime mode: compiled here, no CO-RE */
		obj = bpf_object__open_mem(bp->rt.obj[i], bp->rt.size[i], &oo);
	else
		obj = bpf_object__open_mem(d->obj_start, d->obj_end - d->obj_start, &oo);
	if (!obj) {
		err = -errno;
		st->reason = classify_load_failure(err, st->detail,
						   sizeof(st->detail));
		return err;
	}
	bp->objs[i] = obj;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		struct prog_status *ps;

		if (ends_with(name, drop)) {
			bpf_program__set_autoload(prog, false);
			continue;
		}
		if (!ends_with(name, keep) || st->prog_cnt >= BP_MAX_PROGS)
			continue;
		ps = &st->progs[st->prog_cnt++];
		snprintf(ps->name, sizeof(ps->name), "%.*s",
			 (int)(strlen(name) - 3), name);
		snprintf(ps->section, sizeof(ps->section), "%s",
			 bpf_program__section_name(prog));
		ps->attachable = section_attachable(ps->section, &ps->reason,
						    ps->detail,
						    sizeof(ps->detail));
		all_attachable &= ps->attachable;
	}

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (!strcmp(name, "events_rb") || !strcmp(name, "events_pb")) {
			if (ends_with(name, keep))
				err = bpf_map__reuse_fd(map, bp->events_fd);
			else
				err = bpf_map__set_autocreate(map, false);
		} else if (!strcmp(name, "drops")) {
			err = bpf_map__reuse_fd(map, bp->drops_fd);
		} else {
			err = 0;
		}
		if (err) {
			libbpf_capture = false;
			st->reason = R_LOAD_FAILED;
			snprintf(st->detail, sizeof(st->detail),
				 "map %s: %s", name, strerror(-err));
			return err;
		}
	}

	if (!all_attachable && !bp->dry_run) {
		size_t k;

		libbpf_capture = false;
		for (k = 0; k < st->prog_cnt && st->progs[k].attachable; k++)
			;
		st->reason = st->progs[k].reason;
		snprintf(st->detail, sizeof(st->detail), "%s: %s",
			 st->progs[k].name, st->progs[k].detail);
		return -ENOTSUP;
	}

	err = bpf_object__load(obj);
	relos_parse(st);
	if (err) {
		st->reason = classify_load_failure(err, st->detail,
						   sizeof(st->detail));
		return err;
	}
	libbpf_capture = false;
	st->loaded = true;
	for (size_t k = 0; k < st->prog_cnt; k++)
		st->progs[k].loaded = true;

	map = bpf_object__find_map_by_name(obj, "cfg");
	if (map) {
		struct bpfport_cfg c = { .self_tgid = getpid() };
		__u32 zero = 0;

		err = bpf_map__update_elem(map, &zero, sizeof(zero), &c,
					   sizeof(c), BPF_ANY);
		if (err) {
			st->reason = R_LOAD_FAILED;
			snprintf(st->detail, sizeof(st->detail),
				 "cfg map update: %s", strerror(-err));
			st->loaded = false;
			return err;
		}
	}
	return 0;
}

static void probe_close(struct bpfport *bp, size_t i)
{
	size_t k;

	for (k = 0; k < BP_MAX_PROGS; k++) {
		bpf_link__destroy(bp->links[i][k]);
		bp->links[i][k] = NULL;
	}
	bpf_object__close(bp->objs[i]);
	bp->objs[i] = NULL;
}

/* ---- consumer ---- */

static int deliver(struct bpfport *bp, const void *data, size_t size)
{
	const struct bpfport_ev_hdr *h = data;
	int r;

	if (event_validate(data, size)) {
		bp->malformed++;
		return 0;
	}
	bp->events++;
	if (!bp->on_event)
		return 0;
	r = bp->on_event(bp->ctx, data, h->size);
	if (r)
		bp->cb_ret = r;
	return r;
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size);
}

static void pb_sample(void *ctx, int cpu, void *data, __u32 size)
{
	(void)cpu;
	deliver(ctx, data, size);
}

static void pb_lost(void *ctx, int cpu, __u64 cnt)
{
	struct bpfport *bp = ctx;

	(void)cpu;
	bp->lost += cnt;
}

static int consumer_create(struct bpfport *bp)
{
	if (bp->output == BPFPORT_OUTPUT_RINGBUF) {
		bp->rb = ring_buffer__new(bp->events_fd, rb_sample, bp, NULL);
		if (!bp->rb)
			return bp_err(errno, "cannot map the ring buffer: %s",
				      strerror(errno));
	} else {
		bp->pb = perf_buffer__new(bp->events_fd, PERFBUF_PAGES,
					  pb_sample, pb_lost, bp, NULL);
		if (!bp->pb)
			return bp_err(errno, "cannot open the perf buffer: %s",
				      strerror(errno));
	}
	return 0;
}

/* ---- public ---- */

static int choose_output(struct bpfport *bp, enum bpfport_output want)
{
	int rb = feature_probe(FEAT_RINGBUF);

	switch (want) {
	case BPFPORT_OUTPUT_RINGBUF:
		if (rb != 1)
			return bp_err(ENOTSUP,
				      "this kernel has no BPF ring buffer (needs 5.8+): use --output perfbuf or auto");
		bp->output = want;
		bp->output_reason = R_FORCED;
		return 0;
	case BPFPORT_OUTPUT_PERFBUF:
		bp->output = want;
		bp->output_reason = R_FORCED;
		return 0;
	default:
		bp->output = rb == 1 ? BPFPORT_OUTPUT_RINGBUF : BPFPORT_OUTPUT_PERFBUF;
		bp->output_reason = rb == 1 ? "ringbuf-supported" : R_NO_RINGBUF;
		return 0;
	}
}

/* Loads the selected probes in the mode chosen; fills statuses. Returns
 * 0 when every required probe loaded, else the first error. */
static int load_probes(struct bpfport *bp)
{
	int first_err = 0;
	size_t i;

	for (i = 0; i < probe_cnt; i++) {
		struct probe_status *st = &bp->st[i];
		int err;

		if (!st->selected)
			continue;
		err = probe_open(bp, i);
		if (!err)
			continue;
		if (!bp->dry_run)
			probe_close(bp, i);
		if (probe_table[i].optional) {
			pr_info("optional probe %s not loaded: %s (%s)\n",
				probe_table[i].name, st->reason, st->detail);
			continue;
		}
		if (!first_err) {
			first_err = err;
			bp_err(-err, "probe '%s' failed: %s: %s",
			       probe_table[i].name, st->reason, st->detail);
		}
	}
	return first_err;
}

/* Reason of the first required probe that did not load. */
static const char *first_failure(const struct bpfport *bp)
{
	size_t i;

	for (i = 0; i < probe_cnt; i++)
		if (bp->st[i].selected && !bp->st[i].loaded &&
		    !probe_table[i].optional && bp->st[i].reason)
			return bp->st[i].reason;
	return R_LOAD_FAILED;
}

static void probes_reset(struct bpfport *bp)
{
	size_t i;

	for (i = 0; i < probe_cnt; i++) {
		probe_close(bp, i);
		memset(&bp->st[i], 0, sizeof(bp->st[i]));
		bp->st[i].desc = &probe_table[i];
		bp->st[i].selected = bp->mask & (1u << i);
	}
}

/*
 * Walks the BTF sources in order; the first that exists and loads every
 * required probe wins. A source that is absent or bad, or whose BTF the
 * probes cannot be relocated against, is recorded and the next is tried.
 * Returns 0 with bp->mode set, or -ENOTSUP when no source worked (the
 * attempts say why).
 */
/* The last fallback: compile the embedded sources against the kernel's
 * headers (or take them from the cache), then load them. */
static int try_runtime(struct bpfport *bp, const struct bpfport_opts *o,
		       bool tried)
{
	const char *reason;
	char detail[1024];
	int err;

	if (tried)
		probes_reset(bp);
	btf_src_release(&bp->btf);
	memset(&bp->btf, 0, sizeof(bp->btf));
	bp->btf.memfd = -1;
	err = runtime_prepare(o, bp->mask, &bp->rt, &reason, detail, sizeof(detail));
	bp->rt.active = !err;
	if (err) {
		attempt_add(bp, BPFPORT_MODE_RUNTIME, "headers", false, reason,
			    "%s", detail);
		return -ENOTSUP;
	}
	err = load_probes(bp);
	if (err) {
		attempt_add(bp, BPFPORT_MODE_RUNTIME, "headers", false,
			    first_failure(bp), "%s", bpfport_errmsg());
		if (!bp->dry_run)
			probes_reset(bp);
		return -ENOTSUP;
	}
	attempt_add(bp, BPFPORT_MODE_RUNTIME, "headers", true, "compiled",
		    "compiled against %s (%s), cache %s: %s", bp->rt.headers,
		    bp->rt.headers_source,
		    bp->rt.all_cached ? "hit" : bp->rt.any_cached ? "partial" : "miss",
		    bp->rt.cache_dir);
	bp->mode = BPFPORT_MODE_RUNTIME;
	return 0;
}

static int try_btf_sources(struct bpfport *bp, const struct bpfport_opts *o)
{
	static struct btf_src cand;	/* large; bpfport__open is not reentrant anyway */
	bool tried = false;
	char detail[1024];
	int kind, err;

	for (kind = 0; kind < BTF_SRC_CNT; kind++) {
		enum bpfport_mode m = kind == BTF_SRC_NATIVE ? BPFPORT_MODE_CORE
							   : BPFPORT_MODE_CORE_BTFHUB;
		const char *reason;

		if ((o->btf_only && kind != BTF_SRC_FILE) ||
		    (o->mode != BPFPORT_MODE_AUTO && m != o->mode))
			continue;
		err = btf_src_resolve(kind, o, &cand, &reason, detail, sizeof(detail));
		if (err) {
			/* reason NULL: --btf / $BPFPORT_BTF not given, no step */
			if (reason)
				attempt_add(bp, m, btf_src_kind_name(kind), false,
					    reason, "%s", detail);
			btf_src_release(&cand);
			continue;
		}
		if (tried)
			probes_reset(bp);
		btf_src_release(&bp->btf);
		bp->btf = cand;
		cand.memfd = -1;
		tried = true;
		pr_debug("trying %s BTF %s\n", btf_src_kind_name(kind), bp->btf.label);
		err = load_probes(bp);
		if (!err) {
			attempt_add(bp, m, btf_src_kind_name(kind), true,
				    bp->btf.ok_reason, "relocated against %s",
				    bp->btf.label);
			bp->mode = m;
			return 0;
		}
		attempt_add(bp, m, btf_src_kind_name(kind), false,
			    first_failure(bp), "%s: %s", bp->btf.label,
			    bpfport_errmsg());
	}
	/* check (dry run) reports the statuses of the last source tried */
	if (!bp->dry_run)
		probes_reset(bp);
	if (!o->btf_only &&
	    (o->mode == BPFPORT_MODE_AUTO || o->mode == BPFPORT_MODE_RUNTIME))
		return try_runtime(bp, o, tried);
	return -ENOTSUP;
}

struct bpfport *bpfport__open(const struct bpfport_opts *opts)
{
	struct bpfport *bp;
	const char *tracefs;
	bool mounted;
	char why[256];
	int err;
	size_t i;

	if (!opts || opts->sz < sizeof(size_t)) {
		bp_err(EINVAL, "bpfport__open: missing options");
		return NULL;
	}
	bp = calloc(1, sizeof(*bp));
	if (!bp) {
		bp_err(ENOMEM, "out of memory");
		return NULL;
	}
	bp->events_fd = bp->drops_fd = -1;
	bp->btf.memfd = -1;
	bp->mode = BPFPORT_MODE_NONE;
	bp->dry_run = opts->dry_run;
	bp->on_event = opts->on_event;
	bp->ctx = opts->ctx;
	libbpf_set_print(libbpf_print_cb);

	err = probe_list_parse(opts->probes, &bp->mask);
	if (err)
		goto fail;
	for (i = 0; i < probe_cnt; i++) {
		bp->st[i].desc = &probe_table[i];
		bp->st[i].selected = bp->mask & (1u << i);
	}

	err = privileges_check(why, sizeof(why));
	if (err) {
		bp_err(EPERM, "%s", why);
		goto fail;
	}
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

	err = create_shared_maps(bp);
	if (err)
		goto fail;
	if (opts->mode > BPFPORT_MODE_RUNTIME) {
		bp_err(EINVAL, "unknown mode %d", opts->mode);
		goto fail;
	}
	if (try_btf_sources(bp, opts))
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
				if (probe_table[i].optional)
					break;
				return bp_err(-err, "probe '%s' failed to attach %s: %s",
					      probe_table[i].name, ps->section,
					      strerror(-err));
			}
			bp->links[i][k] = l;
			ps->attached = true;
			k++;
		}
		st->attached = st->loaded;
	}
	return 0;
}

int bpfport__poll(struct bpfport *bp, int timeout_ms)
{
	uint64_t before;
	int n;

	if (!bp || (!bp->rb && !bp->pb))
		return -EINVAL;
	before = bp->events;
	bp->cb_ret = 0;
	n = bp->rb ? ring_buffer__poll(bp->rb, timeout_ms)
		   : perf_buffer__poll(bp->pb, timeout_ms);
	if (bp->cb_ret)
		return bp->cb_ret;
	if (n < 0 && n != -EINTR)
		return n;
	return (int)(bp->events - before);
}

void bpfport__destroy(struct bpfport *bp)
{
	size_t i;

	if (!bp)
		return;
	ring_buffer__free(bp->rb);
	perf_buffer__free(bp->pb);
	for (i = 0; i < probe_cnt; i++)
		probe_close(bp, i);
	if (bp->events_fd >= 0)
		close(bp->events_fd);
	if (bp->drops_fd >= 0)
		close(bp->drops_fd);
	btf_src_release(&bp->btf);
	runtime_objs_free(&bp->rt);
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
			ADD("%s%s", first ? "" : ",", probe_table[i].name);
			first = false;
		}
	if (first)
		ADD("none");
	first = true;
	for (i = 0; i < probe_cnt; i++)
		if (bp->st[i].selected && !bp->st[i].attached &&
		    probe_table[i].optional) {
			ADD("%s%s:%s", first ? " optional-missing=" : ",",
			    probe_table[i].name,
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
