// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfport fleet: the coverage table (fleet_table.c) of a fleet. Either the
 * kernels of a btfhub-archive tree: would each probe run there with CO-RE?
 * The answer comes from libbpf's own relocation against that kernel's BTF
 * (a dry-run load, checked by this kernel's verifier), not from hand-rolled
 * offset matching. Or, with --reports, real hosts: what their
 * `check --json` says (fleet_reports.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "args.h"
#include "cli.h"
#include "fleet.h"

static int walk(const char *root, const char *rel, int depth,
		bool (*want)(const char *name), struct fleet_file **out, size_t *n)
{
	char path[4096];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "", rel);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char sub[1024];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (S_ISDIR(st.st_mode) && depth < 4) {
			walk(root, sub, depth + 1, want, out, n);
		} else if (S_ISREG(st.st_mode) && want(de->d_name)) {
			struct fleet_file *k = realloc(*out, (*n + 1) * sizeof(**out));

			if (!k)
				break;
			*out = k;
			snprintf(k[*n].rel, sizeof(k[*n].rel), "%s", sub);
			snprintf(k[*n].path, sizeof(k[*n].path), "%s/%s", root, sub);
			(*n)++;
		}
	}
	closedir(d);
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct fleet_file *)a)->rel, ((const struct fleet_file *)b)->rel);
}

int fleet_walk(const char *root, bool (*want)(const char *name),
	       struct fleet_file **out, size_t *n)
{
	int ret;

	*out = NULL;
	*n = 0;
	ret = walk(root, "", 0, want, out, n);
	if (ret) {
		free(*out);
		*out = NULL;
		*n = 0;
		return ret;
	}
	if (*n)		/* qsort(NULL, 0, ...) is undefined */
		qsort(*out, *n, sizeof(**out), file_cmp);
	return 0;
}

/* ---- the archive tree ---- */

static bool is_btf_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 4 && !strcmp(n + l - 4, ".btf")) ||
	       (l > 11 && !strcmp(n + l - 11, ".btf.tar.xz"));
}

/* ---- one kernel ---- */

static void json_relocs(struct jw *jw, const struct probe_status *p)
{
	jw_key(jw, "relocations");
	jw_start_array(jw);
	for (size_t k = 0; k < p->prog_cnt; k++)
		for (size_t q = 0; q < p->progs[k].relo_cnt; q++) {
			const struct relo_status *r = &p->progs[k].relos[q];

			jw_start_object(jw);
			jw_kv_str(jw, "program", p->progs[k].name);
			jw_kv_str(jw, "spec", r->spec);
			jw_kv_bool(jw, "ok", r->ok && !r->failed);
			jw_key(jw, "target");
			if (r->has_target)
				jw_int(jw, r->target);
			else
				jw_null(jw);
			jw_end_object(jw);
		}
	jw_end_array(jw);
}

struct kernel_row {
	const struct target_facts *f;
	const struct probe_status *st;
};

/* JSON: the kernel's notes, and each probe's relocations */
static void kernel_json(struct jw *jw, const void *ctx, int probe)
{
	const struct kernel_row *k = ctx;
	size_t i;

	if (probe >= 0) {
		json_relocs(jw, &k->st[probe]);
		return;
	}
	jw_key(jw, "notes");
	jw_start_array(jw);
	for (i = 0; i < k->f->note_cnt; i++)
		jw_string(jw, k->f->notes[i]);
	jw_end_array(jw);
}

static const struct fleet_col kernel_cols[] = {
	{ "kernel", "KERNEL", false }, { "arch", NULL, false }, { "ringbuf", NULL, true },
};

/* One kernel of the tree: a preflight against its BTF. */
static void kernel(struct fleet_table *t, const struct fleet_file *file, const char *probes)
{
	struct probe_verdict v[FLEET_PROBES_MAX];
	struct fleet_row row = { .json_extra = kernel_json };
	const struct probe_status *st;
	struct kernel_row k;
	struct target_facts f;
	const char *vals[3];
	struct bpfport *bp;
	char key[1024], note[64], err[512];
	size_t l, j;

	snprintf(key, sizeof(key), "%s", file->rel);
	l = strlen(key);
	if (l > 7 && !strcmp(key + l - 7, ".tar.xz"))
		key[l - 7] = '\0';
	vals[0] = key;
	row.vals = vals;
	if (target_facts_read(file->path, &f, err, sizeof(err))) {
		row.error = err;
		fleet_table_row(t, &row);
		return;
	}
	BPFPORT_OPTS(opts, .probes = probes, .dry_run = true,
		     .mode = BPFPORT_MODE_CORE_BTFHUB, .btf_only = true,
		     .btf_path = file->path,
		     .output = f.ringbuf ? BPFPORT_OUTPUT_AUTO : BPFPORT_OUTPUT_PERFBUF);
	bp = bpfport__open(&opts);
	if (!bp && cli_signal()) {	/* interrupted: no row, the table stops */
		target_facts_free(&f);
		return;
	}
	if (!bp) {
		row.error = bpfport_errmsg();
		fleet_table_row(t, &row);
		target_facts_free(&f);
		return;
	}
	bpfport__probe_status(bp, &st);
	row.ok = true;
	for (j = 0; j < probe_cnt; j++) {
		if (!st[j].selected)
			continue;
		probe_verdict(&st[j], &f, &v[j]);
		row.cells[j] = (struct fleet_cell){ v[j].word, v[j].detail, v[j].ok };
		if (!v[j].ok && !probe_table[j]->optional)
			row.ok = false;
	}
	vals[1] = f.arch;
	vals[2] = f.ringbuf ? "yes" : "no";
	fleet_note(note, sizeof(note), f.arch, !f.ringbuf);
	row.note = note;
	k = (struct kernel_row){ &f, st };
	row.ctx = &k;
	fleet_table_row(t, &row);
	bpfport__destroy(bp);
	target_facts_free(&f);
}

int do_fleet(int argc, char **argv)
{
	struct fleet_table t = { .count_col = -1 };
	struct fleet_file *files = NULL;
	struct fleet_args a;
	char err[512];
	size_t n = 0, i;
	int ret;

	ret = cli_parsed(fleet_args_parse(argc, argv, &a, err, sizeof(err)), fleet_usage, err);
	if (ret >= 0)
		return ret;
	cli_verbose = a.verbose;
	if (probe_list_parse(a.probes, &t.mask)) {
		cli_error("%s", bpfport_errmsg());
		return 2;
	}
	t.fmt = a.json ? FLEET_JSON : a.csv ? FLEET_CSV : FLEET_TEXT;
	if (a.reports) {
		t.src_key = "reports";
		t.src = a.reports;
		ret = fleet_reports(a.reports, &t, err, sizeof(err));
		if (ret < 0)
			cli_error("%s", err);
		return ret ? 1 : 0;
	}
	ret = fleet_walk(a.dir, is_btf_name, &files, &n);
	if (ret || !n) {
		cli_error("%s: %s", a.dir, ret ? strerror(-ret) :
			  "no <id>/<version>/<arch>/<release>.btf[.tar.xz] in it: is it a btfhub-archive tree?");
		free(files);
		return 1;
	}
	bpfport_set_print(a.verbose ? cli_print : NULL);
	t.src_key = "archive";
	t.src = a.dir;
	t.rows_key = "kernels";
	t.cols = kernel_cols;
	t.col_cnt = ARRAY_SIZE(kernel_cols);
	fleet_table_begin(&t);
	cli_catch_signals();
	for (i = 0; i < n && !cli_signal(); i++)
		kernel(&t, &files[i], a.probes);
	if (cli_signal()) {
		free(files);
		return cli_die_of_signal("the table stops at the kernel it was at; nothing left loaded");
	}
	free(files);
	return fleet_table_end(&t) ? 0 : 1;
}
