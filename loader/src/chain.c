// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The fallback chain: one table of steps, one loop.
 *
 * A step is a mode, the source it takes its BTF or objects from, and the
 * door of the room that resolves that source: btfhub/ for every BTF
 * (btf_src_resolve(), native BTF included), runtime-compiler/ for the
 * objects compiled against the kernel headers (runtime_prepare()). The
 * loop resolves each step, loads the probes with what it got, and keeps
 * the first step under which every required probe loads. Each step tried
 * is recorded as a mode attempt with its reason code: the run summary,
 * `check` and the logs all read these.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader.h"

/* What a step's door gave, for the attempt it is recorded as. */
struct step_out {
	const char *reason;	/* failed: why; NULL: the step does not exist */
	char detail[1024];
	const char *ok_reason;	/* resolved: the reason if it loads */
	char label[2 * 4096 + 256];	/* resolved: what the probes were loaded from */
};

struct chain_step {
	enum bpfport_mode mode;
	const char *source;		/* the attempt's source name */
	enum btf_src_kind kind;		/* BTF steps: which source */
	int (*resolve)(struct bpfport *bp, const struct chain_step *s,
		       const struct bpfport_opts *o, struct step_out *out);
	/* Puts what resolve got in place, once the previous step's probes
	 * are closed. */
	void (*install)(struct bpfport *bp);
};

/* ---- the BTF modes: btfhub/ ---- */

static struct btf_src btf_cand;	/* large; bpfport__open is not reentrant */

static int btf_resolve(struct bpfport *bp, const struct chain_step *s,
		       const struct bpfport_opts *o, struct step_out *out)
{
	int err;

	(void)bp;
	err = btf_src_resolve(s->kind, o, &btf_cand, &out->reason, out->detail,
			      sizeof(out->detail));
	if (err) {
		btf_src_release(&btf_cand);
		return err;
	}
	out->ok_reason = btf_cand.ok_reason;
	snprintf(out->label, sizeof(out->label), "%s", btf_cand.label);
	return 0;
}

static void btf_install(struct bpfport *bp)
{
	btf_src_release(&bp->btf);
	bp->btf = btf_cand;
	btf_cand.memfd = -1;
}

/* ---- the runtime mode: runtime-compiler/ ---- */

static int runtime_resolve(struct bpfport *bp, const struct chain_step *s,
			   const struct bpfport_opts *o, struct step_out *out)
{
	int err;

	(void)s;
	err = runtime_prepare(o, bp->mask, &bp->rt, &out->reason, out->detail,
			      sizeof(out->detail));
	if (err)
		return err;
	out->ok_reason = R_COMPILED;
	snprintf(out->label, sizeof(out->label), "%s (%s), cache %s: %s",
		 bp->rt.headers, bp->rt.headers_source,
		 bp->rt.all_cached ? "hit" : bp->rt.any_cached ? "partial" : "miss",
		 bp->rt.cache_dir);
	return 0;
}

static void runtime_install(struct bpfport *bp)
{
	/* the compiled objects replace the CO-RE ones: no BTF for libbpf */
	btf_src_release(&bp->btf);
	memset(&bp->btf, 0, sizeof(bp->btf));
	bp->btf.memfd = -1;
	bp->rt.active = true;
}

/* THE order: explicit BTF first, then native BTF, then the BTF the
 * project ships or the host keeps, then compiling against the headers. */
static const struct chain_step chain[] = {
	{ BPFPORT_MODE_CORE_BTFHUB, "file", BTF_SRC_FILE, btf_resolve, btf_install },
	{ BPFPORT_MODE_CORE_BTFHUB, "env", BTF_SRC_ENV, btf_resolve, btf_install },
	{ BPFPORT_MODE_CORE, "native", BTF_SRC_NATIVE, btf_resolve, btf_install },
	{ BPFPORT_MODE_CORE_BTFHUB, "embedded", BTF_SRC_EMBEDDED, btf_resolve, btf_install },
	{ BPFPORT_MODE_CORE_BTFHUB, "archive", BTF_SRC_ARCHIVE, btf_resolve, btf_install },
	{ BPFPORT_MODE_RUNTIME, "headers", 0, runtime_resolve, runtime_install },
};

static void attempt_add(struct bpfport *bp, const struct chain_step *s,
			bool ok, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void attempt_add(struct bpfport *bp, const struct chain_step *s,
			bool ok, const char *reason, const char *fmt, ...)
{
	struct mode_attempt *a;
	va_list ap;

	if (bp->attempt_cnt >= ARRAY_SIZE(bp->attempts))
		bp->attempt_cnt = ARRAY_SIZE(bp->attempts) - 1;
	a = &bp->attempts[bp->attempt_cnt++];
	a->mode = s->mode;
	a->source = s->source;
	a->ok = ok;
	a->reason = reason;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
}

static bool step_wanted(const struct chain_step *s, const struct bpfport_opts *o)
{
	if (o->btf_only)	/* a preflight of one BTF file */
		return s->resolve == btf_resolve && s->kind == BTF_SRC_FILE;
	return o->mode == BPFPORT_MODE_AUTO || o->mode == s->mode;
}

int chain_run(struct bpfport *bp, const struct bpfport_opts *o)
{
	static struct step_out out;	/* large, like btf_cand */
	bool tried = false;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(chain); i++) {
		const struct chain_step *s = &chain[i];

		if (!step_wanted(s, o))
			continue;
		if (bp_interrupted())
			return bp_err_interrupted();
		memset(&out, 0, sizeof(out));
		if (s->resolve(bp, s, o, &out)) {
			if (bp_interrupted())
				return bp_err_interrupted();
			/* no reason: --btf / $BPFPORT_BTF not given, no step */
			if (out.reason)
				attempt_add(bp, s, false, out.reason, "%s", out.detail);
			continue;
		}
		if (tried)
			probes_reset(bp);
		s->install(bp);
		tried = true;
		pr_debug("trying %s/%s: %s\n", bpfport_mode_name(s->mode), s->source,
			 out.label);
		if (!load_probes(bp)) {
			attempt_add(bp, s, true, out.ok_reason, "%s %s",
				    s->mode == BPFPORT_MODE_RUNTIME ? "compiled against"
								    : "relocated against",
				    out.label);
			bp->mode = s->mode;
			return 0;
		}
		if (bp_interrupted())
			return bp_err_interrupted();
		attempt_add(bp, s, false, first_failure(bp), "%s: %s", out.label,
			    bpfport_errmsg());
	}
	/* a dry run (check) reports the statuses of the last step tried */
	if (!bp->dry_run)
		probes_reset(bp);
	return -ENOTSUP;
}
