// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Fleet preflight: for every kernel of a btfhub-archive tree, would each
 * probe run with CO-RE? The answer comes from libbpf's own relocation
 * against that kernel's BTF (a dry-run load, checked by this kernel's
 * verifier), not from hand-rolled offset matching. Plus `bpfport btf`,
 * the embedded minimized archive.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "args.h"
#include "btfhub.h"
#include "cli.h"

/* ---- the archive tree ---- */

struct kfile {
	char rel[1024];		/* archive-relative path */
	char path[4096];
};

static bool is_btf_name(const char *n)
{
	size_t l = strlen(n);

	return (l > 4 && !strcmp(n + l - 4, ".btf")) ||
	       (l > 11 && !strcmp(n + l - 11, ".btf.tar.xz"));
}

/* Collects BTF files up to depth 4, never following symlinks. */
static int walk(const char *root, const char *rel, int depth,
		struct kfile **out, size_t *n)
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
			walk(root, sub, depth + 1, out, n);
		} else if (S_ISREG(st.st_mode) && is_btf_name(de->d_name)) {
			struct kfile *k = realloc(*out, (*n + 1) * sizeof(**out));

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

static int kfile_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kfile *)a)->rel, ((const struct kfile *)b)->rel);
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

int do_fleet(int argc, char **argv)
{
	struct kfile *files = NULL;
	struct fleet_args a;
	struct jw jw;
	char err[512];
	size_t n = 0, i, j;
	bool all_ok = true;
	int width = 6;
	uint32_t mask;
	int ret;

	ret = cli_parsed(fleet_args_parse(argc, argv, &a, err, sizeof(err)), fleet_usage, err);
	if (ret >= 0)
		return ret;
	cli_verbose = a.verbose;
	if (probe_list_parse(a.probes, &mask)) {
		cli_error("%s", bpfport_errmsg());
		return 2;
	}
	ret = walk(a.dir, "", 0, &files, &n);
	if (ret || !n) {
		cli_error("%s: %s", a.dir, ret ? strerror(-ret) :
			  "no <id>/<version>/<arch>/<release>.btf[.tar.xz] in it: is it a btfhub-archive tree?");
		free(files);
		return 1;
	}
	qsort(files, n, sizeof(*files), kfile_cmp);
	for (i = 0; i < n; i++)
		if ((int)strlen(files[i].rel) > width)
			width = strlen(files[i].rel);
	bpfport_set_print(a.verbose ? cli_print : NULL);

	if (a.json) {
		jw_init(&jw, stdout, false, false);
		jw_start_object(&jw);
		jw_kv_str(&jw, "archive", a.dir);
		jw_key(&jw, "kernels");
		jw_start_array(&jw);
	} else if (a.csv) {
		cli_printf("kernel,arch,ringbuf,probe,verdict,detail\n");
	} else {
		cli_printf("%-*s", width, "KERNEL");
		for (j = 0; j < probe_cnt; j++)
			if (mask & (1u << j))
				cli_printf("  %-21s", probe_table[j]->name);
		cli_printf("  NOTES\n");
	}

	cli_catch_signals();
	for (i = 0; i < n && !cli_signal(); i++) {
		struct target_facts f;
		const struct probe_status *st;
		struct bpfport *bp;
		char key[1024];
		size_t l;

		snprintf(key, sizeof(key), "%s", files[i].rel);
		l = strlen(key);
		if (l > 7 && !strcmp(key + l - 7, ".tar.xz"))
			key[l - 7] = '\0';
		if (target_facts_read(files[i].path, &f, err, sizeof(err))) {
			all_ok = false;
			if (a.json) {
				jw_start_object(&jw);
				jw_kv_str(&jw, "kernel", key);
				jw_kv_str(&jw, "error", err);
				jw_end_object(&jw);
			} else if (a.csv) {
				cli_csv_field(key, false, false);
				fputs(",,,error,", stdout);
				cli_csv_field(err, true, true);
			} else {
				cli_printf("%-*s  error: %s\n", width, key, err);
			}
			continue;
		}
		BPFPORT_OPTS(opts, .probes = a.probes, .dry_run = true,
			     .mode = BPFPORT_MODE_CORE_BTFHUB, .btf_only = true,
			     .btf_path = files[i].path,
			     .output = f.ringbuf ? BPFPORT_OUTPUT_AUTO : BPFPORT_OUTPUT_PERFBUF);
		bp = bpfport__open(&opts);
		if (!bp && cli_signal()) {
			target_facts_free(&f);
			break;
		}
		if (!bp) {
			cli_error("%s: %s", key, bpfport_errmsg());
			target_facts_free(&f);
			free(files);
			return 1;
		}
		bpfport__probe_status(bp, &st);
		if (a.json) {
			jw_start_object(&jw);
			jw_kv_str(&jw, "kernel", key);
			jw_key(&jw, "arch");
			if (f.arch)
				jw_string(&jw, f.arch);
			else
				jw_null(&jw);
			jw_kv_bool(&jw, "ringbuf", f.ringbuf);
			jw_key(&jw, "notes");
			jw_start_array(&jw);
			for (j = 0; j < f.note_cnt; j++)
				jw_string(&jw, f.notes[j]);
			jw_end_array(&jw);
			jw_key(&jw, "probes");
			jw_start_object(&jw);
		} else if (!a.csv) {
			cli_printf("%-*s", width, key);
		}
		for (j = 0; j < probe_cnt; j++) {
			struct probe_verdict v;

			if (!st[j].selected)
				continue;
			probe_verdict(&st[j], &f, &v);
			if (!v.ok && !probe_table[j]->optional)
				all_ok = false;
			if (a.json) {
				jw_key(&jw, probe_table[j]->name);
				jw_start_object(&jw);
				jw_kv_str(&jw, "verdict", v.word);
				jw_kv_str(&jw, "detail", v.detail);
				json_relocs(&jw, &st[j]);
				jw_end_object(&jw);
			} else if (a.csv) {
				cli_csv_field(key, false, false);
				cli_csv_field(f.arch ? f.arch : "", false, false);
				cli_csv_field(f.ringbuf ? "yes" : "no", false, false);
				cli_csv_field(probe_table[j]->name, false, false);
				cli_csv_field(v.word, false, false);
				cli_csv_field(v.detail, true, true);
			} else {
				cli_printf("  %-21s", v.word);
			}
		}
		if (a.json) {
			jw_end_object(&jw);
			jw_end_object(&jw);
		} else if (!a.csv) {
			cli_printf("  %s%s\n", f.arch ? f.arch : "arch?",
				   f.ringbuf ? "" : ", no ringbuf: perfbuf");
			for (j = 0; j < probe_cnt; j++) {
				struct probe_verdict v;

				if (!st[j].selected)
					continue;
				probe_verdict(&st[j], &f, &v);
				if (v.detail[0])
					cli_printf("    %s: %s\n", probe_table[j]->name, v.detail);
			}
		}
		bpfport__destroy(bp);
		target_facts_free(&f);
	}
	if (cli_signal()) {
		free(files);
		return cli_die_of_signal("the table stops at the kernel it was at; nothing left loaded");
	}
	if (a.json) {
		jw_end_array(&jw);
		jw_kv_bool(&jw, "all_ok", all_ok);
		jw_end_object(&jw);
		fputc('\n', stdout);
	}
	free(files);
	return all_ok ? 0 : 1;
}

/* ---- bpfport btf list|extract ---- */
