// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Can probe P run? One answer for check (this kernel) and fleet (another
 * kernel, from its BTF), read from the probe's status after a dry-run load
 * in the mode tried: each program's hook, each CO-RE relocation, the load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "internal.h"
#include "btfhub.h"
#include "cli.h"

int target_facts_read(const char *path, struct target_facts *f, char *err,
		      size_t len)
{
	struct btf *btf;
	void *data = NULL;
	size_t size = 0;
	int ret;

	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	ret = btfhub_read_file(path, &data, &size, err, len);
	if (ret)
		return ret;
	btf = btf__new(data, size);
	free(data);
	if (!btf) {
		snprintf(err, len, "%s: not a BTF libbpf can parse (%s)", path,
			 strerror(errno));
		return -EINVAL;
	}
	f->btf = btf;
	f->arch = btf_arch_guess(btf);
	f->ringbuf = btf__find_by_name_kind(btf, "bpf_ringbuf", BTF_KIND_STRUCT) > 0;
	if (!f->ringbuf)
		snprintf(f->notes[f->note_cnt++], sizeof(f->notes[0]),
			 "no BPF ring buffer (kernel < 5.8): the perf buffer will be used");
	snprintf(f->notes[f->note_cnt++], sizeof(f->notes[0]),
		 "external BTF: this kernel runs in mode core-btfhub with this BTF");
	return 0;
}

void target_facts_free(struct target_facts *f)
{
	btf__free(f->btf);
	f->btf = NULL;
}

/* Does the program's hook exist? Here: the pre-attach check (tracefs id,
 * kprobes, kallsyms). In a target kernel: a kprobe's function is in its
 * BTF; its tracepoints answer through their records' relocations. */
static bool hook_exists(const struct prog_status *ps,
			const struct target_facts *t, struct probe_verdict *v)
{
	const char *fn;

	if (!t) {
		if (ps->attachable)
			return true;
		v->reason = ps->reason;
		snprintf(v->detail, sizeof(v->detail), "%s", ps->detail);
		return false;
	}
	if (!strncmp(ps->section, "kprobe/", 7) || !strncmp(ps->section, "kretprobe/", 10)) {
		fn = strchr(ps->section, '/') + 1;
		if (btf__find_by_name_kind(t->btf, fn, BTF_KIND_FUNC) <= 0) {
			v->reason = R_SYMBOL_NOT_FOUND;
			snprintf(v->detail, sizeof(v->detail),
				 "%s: function not in this kernel", fn);
			return false;
		}
	}
	return true;
}

void probe_verdict(const struct probe_status *p, const struct target_facts *t,
		   struct probe_verdict *v)
{
	size_t k, q;

	v->ok = true;
	v->word = "ok";
	v->reason = NULL;
	v->detail[0] = '\0';
	for (k = 0; k < p->prog_cnt; k++) {
		const struct prog_status *ps = &p->progs[k];

		if (!hook_exists(ps, t, v)) {
			v->ok = false;
			v->word = "unsupported";
			return;
		}
		/* here the kernel judged the relocations (the load); for
		 * another kernel they are the evidence, and this kernel's
		 * verifier the rest */
		for (q = 0; t && q < ps->relo_cnt; q++) {
			const struct relo_status *r = &ps->relos[q];

			if (!r->failed)
				continue;
			v->ok = false;
			if (r->tp_record) {
				v->word = "unsupported";
				v->reason = R_TRACEPOINT_MISSING;
				snprintf(v->detail, sizeof(v->detail),
					 "%s: tracepoint record missing (%s)",
					 ps->section, r->spec);
				return;
			}
			v->word = "needs-runtime-compile";
			v->reason = R_RELOCATION_FAILED;
			snprintf(v->detail, sizeof(v->detail), "%s: %s not in this kernel",
				 ps->name, r->spec);
		}
	}
	if (v->ok && !p->loaded) {
		v->ok = false;
		v->word = "needs-runtime-compile";
		v->reason = p->reason ? p->reason : R_LOAD_FAILED;
		snprintf(v->detail, sizeof(v->detail), "%s: %s", v->reason, p->detail);
	}
}
