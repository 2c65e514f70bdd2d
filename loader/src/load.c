// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Loading the probes in the mode the chain chose: each embedded CO-RE
 * object relocated against bp->btf, or each object the runtime mode
 * compiled (bp->rt); the shared event maps reused; the programs of the
 * other output path not loaded; what libbpf said captured, so that a
 * failure is classified (relocation-failed, verifier-rejected,
 * load-failed) and each CO-RE relocation's result recorded for check.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"
#include "events.h"

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
		char text[1024];
		const char *p, *nl;

		/* a log line per line (a verifier log is many lines) */
		vsnprintf(text, sizeof(text), fmt, ap);
		for (p = text; *p; p = nl ? nl + 1 : p + strlen(p)) {
			nl = strchr(p, '\n');
			bp_pr(BPFPORT_DEBUG, "libbpf: %.*s\n",
			      (int)(nl ? nl - p : (long)strlen(p)), p);
		}
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
			r->tp_record = strstr(r->spec, BP_TP_RECORD) != NULL;
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

static libbpf_print_fn_t libbpf_print_prev;
static unsigned int libbpf_print_users;

void libbpf_print_install(void)
{
	if (!libbpf_print_users++)
		libbpf_print_prev = libbpf_set_print(libbpf_print_cb);
}

void libbpf_print_release(void)
{
	if (libbpf_print_users && !--libbpf_print_users)
		libbpf_set_print(libbpf_print_prev);
}

/* ---- shared maps ---- */

int create_shared_maps(struct bpfport *bp)
{
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu < 0)
		return bp_err(-ncpu, "cannot count CPUs: %s", strerror(-ncpu));
	if (bp->output == BPFPORT_OUTPUT_RINGBUF)
		bp->events_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF,
					       "bpfport_events", 0, 0,
					       (__u32)bp->buf_size, NULL);
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

/* Tests: $BPFPORT_TEST_ONLY_TGID, the one process whose events the probes
 * output (struct bpfport_cfg.test_only_tgid), so that a test can count
 * every event and every drop of its own; 0: every process's. */
static __u32 test_only_tgid(void)
{
	const char *v = getenv("BPFPORT_TEST_ONLY_TGID");

	return v ? (__u32)strtoul(v, NULL, 10) : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static int probe_open(struct bpfport *bp, size_t i)
{
	const struct probe_desc *d = probe_table[i];
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
		struct bpfport_cfg c = {
			.self_tgid = bp->self_tgid,
			.test_only_tgid = test_only_tgid(),
			/* the consumer is woken when 1/8 of the buffer waits:
			 * rarely, with room for a slow consumer to catch up */
			.wakeup_bytes = bp->buf_size / 8,
		};
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

void probe_detach(struct bpfport *bp, size_t i)
{
	size_t k;

	for (k = 0; k < BP_MAX_PROGS; k++) {
		bpf_link__destroy(bp->links[i][k]);
		bp->links[i][k] = NULL;
	}
}

void probe_close(struct bpfport *bp, size_t i)
{
	probe_detach(bp, i);
	bpf_object__close(bp->objs[i]);
	bp->objs[i] = NULL;
}

/* Loads the selected probes in the mode chosen; fills statuses. Returns
 * 0 when every required probe loaded, else the first error. */
int load_probes(struct bpfport *bp)
{
	int first_err = 0;
	size_t i;

	for (i = 0; i < probe_cnt; i++) {
		struct probe_status *st = &bp->st[i];
		int err;

		if (!st->selected)
			continue;
		if (bp_interrupted())
			return bp_err_interrupted();
		err = probe_open(bp, i);
		if (!err) {
			bp_test_stall("load");
			continue;
		}
		if (!bp->dry_run)
			probe_close(bp, i);
		if (probe_table[i]->optional) {
			pr_info("optional probe %s not loaded: %s (%s)\n",
				probe_table[i]->name, st->reason, st->detail);
			continue;
		}
		if (!first_err) {
			first_err = err;
			bp_err(-err, "probe '%s' failed: %s: %s",
			       probe_table[i]->name, st->reason, st->detail);
		}
	}
	return first_err;
}

/* Reason of the first required probe that did not load. */
const char *first_failure(const struct bpfport *bp)
{
	size_t i;

	for (i = 0; i < probe_cnt; i++)
		if (bp->st[i].selected && !bp->st[i].loaded &&
		    !probe_table[i]->optional && bp->st[i].reason)
			return bp->st[i].reason;
	return R_LOAD_FAILED;
}

void probes_reset(struct bpfport *bp)
{
	size_t i;

	for (i = 0; i < probe_cnt; i++) {
		probe_close(bp, i);
		memset(&bp->st[i], 0, sizeof(bp->st[i]));
		bp->st[i].desc = probe_table[i];
		bp->st[i].selected = bp->mask & (1u << i);
	}
}

