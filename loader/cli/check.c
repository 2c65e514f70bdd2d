// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpfport check / check_core_support: what this host supports, and which
 * mode `run` would pick and why. Modelled on `bpftool feature probe`: the
 * system first, then bpf() itself, kernel config, filesystems, BTF,
 * features, and a real dry-run load of every probe (verifier included,
 * never attached). Every fact is gathered once into `struct report`, then
 * printed as text or JSON from the same data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <sys/stat.h>

#include <bpfport/rtc.h>

#include "internal.h"
#include "args.h"
#include "cli.h"
#include "kheaders.h"
#include "rtcache.h"

static const char *const kconfig_names[] = {
	"CONFIG_BPF", "CONFIG_BPF_SYSCALL", "CONFIG_BPF_JIT",
	"CONFIG_DEBUG_INFO_BTF", "CONFIG_DEBUG_INFO_BTF_MODULES",
	"CONFIG_BPF_EVENTS", "CONFIG_KPROBES", "CONFIG_KPROBE_EVENTS",
	"CONFIG_FTRACE_SYSCALLS", "CONFIG_TRACEPOINTS", "CONFIG_PERF_EVENTS",
	"CONFIG_IKHEADERS", "CONFIG_BPF_LSM",
};
#define KCONFIG_CNT ARRAY_SIZE(kconfig_names)

struct report {
	struct bpfport_opts opts;	/* the arguments, completed */
	struct utsname uts;
	struct os_release os;
	bool os_ok;
	char os_err[1024];	/* when !os_ok: the reader's message, as the
				 * btfhub lookup reports it */
	bool priv_ok;
	char priv_err[256];
	bool cap_admin, cap_bpf, cap_perfmon;
	int bpf_syscall;
	char kconfig_path[256];
	struct kconfig_item kconfig[KCONFIG_CNT];
	bool kconfig_ok;
	const char *tracefs;
	bool tracefs_mounted_now, bpffs, bpffs_mounted_now;
	const char *btf_path;
	bool btf_present, btf_valid;
	char btf_err[256];
	int feat[FEAT_CNT];
	struct bpfport *bp;		/* dry-run result, NULL if not run */
	bool preflight;			/* --btf: answering for that kernel */
	/* the runtime path, whatever mode auto picks */
	bool rt_compiler;
	char rt_compiler_why[512];
	bool rt_headers, rt_match;
	struct kheaders kh;
	char rt_headers_why[1024];
	const char *rt_cache_dir;
	bool rt_cache_exists, rt_cache_ok;
	int rt_cache_entries;
	char rt_cache_why[512];
	struct target_facts target;
	char dry_err[512];
	bool ok;
	const char *mode;
	const char *reason;
};

static int count_entry(const struct rtcache_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

/* Headers found and matching, compiler helper present, cache state: cheap facts,
 * no compile (a compile happens in the dry run when auto gets there). */
static void gather_runtime(struct report *r, const struct check_args *a)
{
	struct stat st;
	int fd;

	r->rt_compiler = rtc_compiler_available(NULL, r->rt_compiler_why,
					    sizeof(r->rt_compiler_why));
	r->rt_headers = !kheaders_find(a->btf.kernel_headers, NULL, &r->kh,
				       r->rt_headers_why, sizeof(r->rt_headers_why));
	if (r->rt_headers) {
		r->rt_match = !kheaders_check_release(&r->kh, r->uts.release,
						      r->rt_headers_why,
						      sizeof(r->rt_headers_why));
		kheaders_cleanup(&r->kh);
	}
	r->rt_cache_dir = r->opts.cache_dir;
	r->rt_cache_exists = !lstat(r->rt_cache_dir, &st);
	if (!r->rt_cache_exists) {
		snprintf(r->rt_cache_why, sizeof(r->rt_cache_why),
			 "absent: created on the first runtime start");
		return;
	}
	if (!rtcache_open_dir(r->rt_cache_dir, &fd, r->rt_cache_why,
			      sizeof(r->rt_cache_why))) {
		r->rt_cache_ok = true;
		rtcache_list(fd, count_entry, &r->rt_cache_entries);
		close(fd);
	}
}

static void gather(struct report *r, const struct check_args *a)
{
	const char *probes = a->probes;
	int err;
	size_t i;

	/* the dry run below gets the same options */
	BPFPORT_OPTS(given, .probes = probes, .dry_run = true, .mode = a->mode,
		     .btf_path = a->btf.btf, .btf_archive = a->btf.btf_archive,
		     .os_release = a->btf.os_release,
		     .hide_native_btf = a->btf.hide_native_btf,
		     .kernel_headers = a->btf.kernel_headers,
		     .cache_dir = a->btf.cache_dir);
	bp_opts_complete(&given, &r->opts);	/* args.c checked mode and output */
	uname(&r->uts);
	r->os_ok = !os_release_read(r->opts.os_release, &r->os, r->os_err, sizeof(r->os_err));
	r->cap_admin = cap_effective(CAP_SYS_ADMIN);
	r->cap_bpf = cap_effective(CAP_BPF);
	r->cap_perfmon = cap_effective(CAP_PERFMON);
	r->priv_ok = !privileges_check(r->priv_err, sizeof(r->priv_err));

	for (i = 0; i < KCONFIG_CNT; i++)
		r->kconfig[i].name = kconfig_names[i];
	r->kconfig_ok = !kconfig_find(NULL, r->kconfig_path, sizeof(r->kconfig_path)) &&
			!kconfig_read(r->kconfig_path, r->kconfig, KCONFIG_CNT);

	r->btf_path = native_btf_path();
	err = btf_native_check(r->btf_path, r->btf_err, sizeof(r->btf_err));
	r->btf_present = err != -ENOENT;
	r->btf_valid = !err;

	if (r->priv_ok) {
		if (ensure_tracefs(&r->tracefs, &r->tracefs_mounted_now))
			r->tracefs = NULL;
		r->bpffs = !ensure_bpffs(&r->bpffs_mounted_now);
	} else {
		r->tracefs = tracefs_path();
		r->bpffs = fs_is("/sys/fs/bpf", 0xcafe4a11);
	}
	for (i = 0; i < FEAT_CNT; i++)
		r->feat[i] = r->priv_ok || i == FEAT_KPROBES ||
			     i == FEAT_TRACEPOINTS ? feature_probe(i) : -EPERM;
	r->bpf_syscall = r->feat[FEAT_BPF_SYSCALL];

	gather_runtime(r, a);
	r->mode = "none";
	if (!r->priv_ok) {
		r->reason = R_NO_PRIVILEGE;
		snprintf(r->dry_err, sizeof(r->dry_err), "%s", r->priv_err);
		return;
	}
	if (r->bpf_syscall != 1) {
		r->reason = R_NO_BPF_SYSCALL;
		snprintf(r->dry_err, sizeof(r->dry_err),
			 "bpf() is not available: kernel built without CONFIG_BPF_SYSCALL");
		return;
	}
	struct bpfport_opts opts = r->opts;

	if (r->preflight) {
		/* another kernel's BTF: that BTF alone, and the output path
		 * that kernel would use */
		opts.mode = BPFPORT_MODE_CORE_BTFHUB;
		opts.btf_only = true;
		opts.output = r->target.ringbuf ? BPFPORT_OUTPUT_AUTO : BPFPORT_OUTPUT_PERFBUF;
	}
	r->bp = bpfport__open(&opts);
	if (!r->bp) {
		r->reason = R_DRY_RUN_FAILED;
		snprintf(r->dry_err, sizeof(r->dry_err), "%s", bpfport_errmsg());
		return;
	}
	if (bpfport__mode(r->bp) == BPFPORT_MODE_NONE) {
		const struct mode_attempt *att;
		size_t n = bpfport__mode_attempts(r->bp, &att);

		r->reason = n ? att[0].reason : R_NO_MODE;
		snprintf(r->dry_err, sizeof(r->dry_err), "%s", bpfport_errmsg());
		return;
	}
	/* a mode loads every required probe; it can run them only if each
	 * of their programs can also attach here */
	{
		const struct probe_status *st;
		size_t n = bpfport__probe_status(r->bp, &st);
		struct probe_verdict v;

		for (i = 0; i < n; i++) {
			if (!st[i].selected || st[i].desc->optional)
				continue;
			probe_verdict(&st[i], NULL, &v);
			if (!v.ok) {
				r->reason = v.reason;
				snprintf(r->dry_err, sizeof(r->dry_err), "probe %s: %s",
					 st[i].desc->name, v.detail);
				return;
			}
		}
	}
	r->ok = true;
	r->mode = bpfport_mode_name(bpfport__mode(r->bp));
	{
		const struct mode_attempt *att;
		size_t n = bpfport__mode_attempts(r->bp, &att);

		for (i = 0; i < n; i++)
			if (att[i].ok)
				r->reason = att[i].reason;
	}
}

static const char *tri(int v)
{
	return v == 1 ? "yes" : v == 0 ? "no" : v == -EPERM ? "unknown (needs root)" : "error";
}

static void print_json(const struct report *r, bool pretty)
{
	struct jw jw;
	size_t i;

	jw_init(&jw, stdout, false, pretty);
	jw_start_object(&jw);
	jw_kv_str(&jw, "bpfport_version", BPFPORT_VERSION);

	jw_key(&jw, "system");
	jw_start_object(&jw);
	jw_kv_str(&jw, "hostname", r->uts.nodename);
	jw_kv_str(&jw, "kernel_release", r->uts.release);
	jw_kv_str(&jw, "kernel_version", r->uts.version);
	jw_kv_str(&jw, "arch", r->uts.machine);
	jw_key(&jw, "os");
	if (r->os_ok) {
		jw_start_object(&jw);
		jw_kv_str(&jw, "id", r->os.id);
		jw_kv_str(&jw, "version_id", r->os.version_id);
		jw_kv_str(&jw, "pretty_name", r->os.pretty_name);
		jw_end_object(&jw);
	} else {
		jw_null(&jw);
	}
	jw_kv_str_or_null(&jw, "os_error", r->os_ok ? NULL : r->os_err);
	jw_end_object(&jw);

	jw_key(&jw, "privileges");
	jw_start_object(&jw);
	jw_kv_uint(&jw, "euid", geteuid());
	jw_kv_bool(&jw, "cap_sys_admin", r->cap_admin);
	jw_kv_bool(&jw, "cap_bpf", r->cap_bpf);
	jw_kv_bool(&jw, "cap_perfmon", r->cap_perfmon);
	jw_kv_bool(&jw, "ok", r->priv_ok);
	jw_kv_str_or_null(&jw, "error", r->priv_ok ? NULL : r->priv_err);
	jw_end_object(&jw);

	jw_key(&jw, "kconfig");
	jw_start_object(&jw);
	jw_kv_str_or_null(&jw, "source", r->kconfig_ok ? r->kconfig_path : NULL);
	jw_key(&jw, "options");
	jw_start_object(&jw);
	for (i = 0; r->kconfig_ok && i < KCONFIG_CNT; i++)
		jw_kv_str(&jw, r->kconfig[i].name, r->kconfig[i].value);
	jw_end_object(&jw);
	jw_end_object(&jw);

	jw_key(&jw, "filesystems");
	jw_start_object(&jw);
	jw_key(&jw, "tracefs");
	jw_start_object(&jw);
	jw_kv_bool(&jw, "mounted", r->tracefs != NULL);
	jw_kv_str_or_null(&jw, "path", r->tracefs);
	jw_kv_bool(&jw, "mounted_now", r->tracefs_mounted_now);
	jw_end_object(&jw);
	jw_key(&jw, "bpffs");
	jw_start_object(&jw);
	jw_kv_bool(&jw, "mounted", r->bpffs);
	jw_kv_str(&jw, "path", "/sys/fs/bpf");
	jw_kv_bool(&jw, "mounted_now", r->bpffs_mounted_now);
	jw_end_object(&jw);
	jw_end_object(&jw);

	jw_key(&jw, "native_btf");
	jw_start_object(&jw);
	jw_kv_str(&jw, "path", r->btf_path);
	jw_kv_bool(&jw, "present", r->btf_present);
	jw_kv_bool(&jw, "valid", r->btf_valid);
	jw_kv_str_or_null(&jw, "error", r->btf_valid ? NULL : r->btf_err);
	jw_end_object(&jw);

	jw_key(&jw, "features");
	jw_start_object(&jw);
	for (i = 0; i < FEAT_CNT; i++) {
		jw_key(&jw, feature_name(i));
		if (r->feat[i] < 0)
			jw_null(&jw);
		else
			jw_bool(&jw, r->feat[i] == 1);
	}
	jw_end_object(&jw);

	jw_key(&jw, "probes");
	jw_start_array(&jw);
	if (r->bp) {
		const struct probe_status *st;
		size_t n = bpfport__probe_status(r->bp, &st);

		for (i = 0; i < n; i++) {
			const struct probe_status *p = &st[i];
			struct probe_verdict v;

			if (!p->selected)
				continue;
			probe_verdict(p, NULL, &v);
			jw_start_object(&jw);
			jw_kv_str(&jw, "name", p->desc->name);
			jw_kv_bool(&jw, "optional", p->desc->optional);
			jw_kv_str(&jw, "load", p->loaded ? "ok" : "failed");
			jw_kv_str_or_null(&jw, "reason", p->loaded ? NULL :
					  p->reason ? p->reason : R_LOAD_FAILED);
			jw_kv_str(&jw, "detail", p->loaded ? "" : p->detail);
			jw_kv_bool(&jw, "usable", v.ok);
			jw_key(&jw, "programs");
			jw_start_array(&jw);
			for (size_t k = 0; k < p->prog_cnt; k++) {
				const struct prog_status *ps = &p->progs[k];

				jw_start_object(&jw);
				jw_kv_str(&jw, "name", ps->name);
				jw_kv_str(&jw, "section", ps->section);
				jw_kv_str(&jw, "attach", ps->attachable ? "ok" : "unavailable");
				jw_kv_str_or_null(&jw, "reason", ps->attachable ? NULL : ps->reason);
				jw_kv_str(&jw, "detail", ps->detail);
				jw_key(&jw, "relocations");
				jw_start_array(&jw);
				for (size_t q = 0; q < ps->relo_cnt; q++) {
					const struct relo_status *rl = &ps->relos[q];

					jw_start_object(&jw);
					jw_kv_str(&jw, "spec", rl->spec);
					jw_kv_bool(&jw, "ok", rl->ok && !rl->failed);
					jw_key(&jw, "target");
					if (rl->has_target)
						jw_int(&jw, rl->target);
					else
						jw_null(&jw);
					jw_end_object(&jw);
				}
				jw_end_array(&jw);
				jw_end_object(&jw);
			}
			jw_end_array(&jw);
			jw_end_object(&jw);
		}
	}
	jw_end_array(&jw);

	jw_key(&jw, "modes");
	jw_start_array(&jw);
	if (r->bp) {
		const struct mode_attempt *att;
		size_t n = bpfport__mode_attempts(r->bp, &att);

		for (i = 0; i < n; i++) {
			jw_start_object(&jw);
			jw_kv_str(&jw, "mode", bpfport_mode_name(att[i].mode));
			jw_kv_str_or_null(&jw, "source", att[i].source);
			jw_kv_bool(&jw, "ok", att[i].ok);
			jw_kv_str(&jw, "reason", att[i].reason);
			jw_kv_str(&jw, "detail", att[i].detail);
			jw_end_object(&jw);
		}
	}
	jw_end_array(&jw);

	jw_key(&jw, "runtime");
	jw_start_object(&jw);
	jw_key(&jw, "compiler");
	jw_start_object(&jw);
	jw_kv_bool(&jw, "available", r->rt_compiler);
	jw_kv_str(&jw, "detail", r->rt_compiler ? "" : r->rt_compiler_why);
	jw_end_object(&jw);
	jw_key(&jw, "headers");
	jw_start_object(&jw);
	jw_kv_bool(&jw, "found", r->rt_headers);
	jw_kv_str_or_null(&jw, "path", r->rt_headers ? r->kh.objtree : NULL);
	jw_kv_str_or_null(&jw, "sources", r->rt_headers ? r->kh.srctree : NULL);
	jw_kv_str_or_null(&jw, "layout", r->rt_headers ? r->kh.layout : NULL);
	jw_kv_str_or_null(&jw, "release", r->rt_headers ? r->kh.release : NULL);
	jw_kv_bool(&jw, "matching", r->rt_headers && r->rt_match);
	jw_kv_str(&jw, "detail", r->rt_headers && r->rt_match ? "" : r->rt_headers_why);
	jw_end_object(&jw);
	jw_key(&jw, "cache");
	jw_start_object(&jw);
	jw_kv_str(&jw, "dir", r->rt_cache_dir);
	jw_kv_bool(&jw, "exists", r->rt_cache_exists);
	jw_kv_bool(&jw, "usable", r->rt_cache_ok);
	jw_kv_int(&jw, "entries", r->rt_cache_entries);
	jw_kv_str(&jw, "detail", r->rt_cache_ok ? "" : r->rt_cache_why);
	jw_end_object(&jw);
	jw_end_object(&jw);

	jw_key(&jw, "preflight");
	if (r->preflight) {
		jw_start_object(&jw);
		jw_kv_str(&jw, "btf", r->target.path);
		jw_kv_str_or_null(&jw, "arch", r->target.arch);
		jw_kv_bool(&jw, "ringbuf", r->target.ringbuf);
		jw_key(&jw, "notes");
		jw_start_array(&jw);
		for (i = 0; i < r->target.note_cnt; i++)
			jw_string(&jw, r->target.notes[i]);
		jw_end_array(&jw);
		jw_end_object(&jw);
	} else {
		jw_null(&jw);
	}

	jw_key(&jw, "verdict");
	jw_start_object(&jw);
	jw_kv_bool(&jw, "ok", r->ok);
	jw_kv_str(&jw, "auto_mode", r->mode);
	jw_kv_str(&jw, "reason", r->reason ? r->reason : "none");
	jw_kv_str(&jw, "detail", r->ok ? "" : r->dry_err);
	jw_end_object(&jw);
	jw_end_object(&jw);
	fputc('\n', stdout);
}

static void print_text(const struct report *r)
{
	char tree[2 * PATH_MAX + 64];
	size_t i;

	cli_printf("System\n");
	cli_printf("  host:          %s\n", r->uts.nodename);
	cli_printf("  kernel:        %s %s\n", r->uts.release, r->uts.version);
	cli_printf("  arch:          %s\n", r->uts.machine);
	cli_printf("  distro:        %s%s\n", r->os_ok ? "" : "unknown: ",
		   r->os_ok ? r->os.pretty_name : r->os_err);
	cli_printf("Privileges\n");
	cli_printf("  euid %u, CAP_SYS_ADMIN %s, CAP_BPF %s, CAP_PERFMON %s: %s\n",
		   (unsigned)geteuid(), r->cap_admin ? "yes" : "no",
		   r->cap_bpf ? "yes" : "no", r->cap_perfmon ? "yes" : "no",
		   r->priv_ok ? "ok" : r->priv_err);
	cli_printf("Kernel config (%s)\n", r->kconfig_ok ? r->kconfig_path : "not found: /boot/config-R nor /proc/config.gz");
	for (i = 0; r->kconfig_ok && i < KCONFIG_CNT; i++)
		cli_printf("  %-30s %s\n", r->kconfig[i].name, r->kconfig[i].value);
	cli_printf("Filesystems\n");
	cli_printf("  tracefs:       %s%s\n", r->tracefs ? r->tracefs : "not mounted",
		   r->tracefs_mounted_now ? " (mounted now)" : "");
	cli_printf("  bpffs:         %s%s\n", r->bpffs ? "/sys/fs/bpf" : "not mounted",
		   r->bpffs_mounted_now ? " (mounted now)" : "");
	cli_printf("Native BTF\n");
	cli_printf("  %s: %s\n", r->btf_path, r->btf_valid ? "ok" : r->btf_err);
	cli_printf("Features\n");
	for (i = 0; i < FEAT_CNT; i++)
		cli_printf("  %-18s %s\n", feature_name(i), tri(r->feat[i]));
	if (r->bp) {
		const struct probe_status *st;
		const struct mode_attempt *att;
		size_t n = bpfport__probe_status(r->bp, &st);

		cli_printf("Probes (dry-run load, no attach)\n");
		for (i = 0; i < n; i++) {
			const struct probe_status *p = &st[i];
			struct probe_verdict v;

			if (!p->selected)
				continue;
			probe_verdict(p, NULL, &v);
			cli_printf("  %-6s %s%s: load %s%s%s\n", p->desc->name,
				   v.ok ? "usable" : "NOT usable",
				   p->desc->optional ? " (optional)" : "",
				   p->loaded ? "ok" : p->reason,
				   p->loaded ? "" : ": ", p->loaded ? "" : p->detail);
			for (size_t k = 0; k < p->prog_cnt; k++) {
				const struct prog_status *ps = &p->progs[k];

				cli_printf("         %-12s %-40s attach %s%s%s\n",
					   ps->name, ps->section,
					   ps->attachable ? "ok" : ps->reason,
					   ps->attachable ? "" : ": ", ps->detail);
				for (size_t q = 0; r->preflight && q < ps->relo_cnt; q++)
					cli_printf("           relo %-52s %s\n", ps->relos[q].spec,
						   ps->relos[q].failed ? "FAILED: no such field in the target" :
						   ps->relos[q].ok ? "ok" : "?");
			}
		}
		n = bpfport__mode_attempts(r->bp, &att);
		cli_printf("Modes\n");
		for (i = 0; i < n; i++)
			cli_printf("  %-12s %-4s %-18s %s\n", bpfport_mode_name(att[i].mode),
				   att[i].ok ? "ok" : "no", att[i].reason, att[i].detail);
	}
	cli_printf("Runtime compilation\n");
	cli_printf("  compiler helper: %s\n", r->rt_compiler ? "installed" : r->rt_compiler_why);
	cli_printf("  kernel headers:  %s%s%s\n",
		   r->rt_headers ? kheaders_describe(&r->kh, tree, sizeof(tree)) : "",
		   r->rt_headers ? (r->rt_match ? " (match the running kernel)" : ": ") : "",
		   r->rt_headers && r->rt_match ? "" : r->rt_headers_why);
	cli_printf("  cache:           %s: %s", r->rt_cache_dir,
		   r->rt_cache_ok ? "" : r->rt_cache_why);
	if (r->rt_cache_ok)
		cli_printf("%d entries", r->rt_cache_entries);
	cli_printf("\n");
	if (r->preflight) {
		cli_printf("Preflight for %s (%s)\n", r->target.path,
			   r->target.arch ? r->target.arch : "arch unknown");
		for (i = 0; i < r->target.note_cnt; i++)
			cli_printf("  note: %s\n", r->target.notes[i]);
	}
	if (r->ok)
		cli_printf("Verdict: %s mode %s (%s)\n",
			   r->preflight ? "that kernel can run the probes in" : "auto would use",
			   r->mode, r->reason);
	else
		cli_printf("Verdict: no mode can run the required probes: %s (%s)\n",
			   r->reason ? r->reason : "none", r->dry_err);
}

/* One line on stderr; in JSON mode also the {"error": ...} document. */
static void report_error(bool json, const char *err)
{
	if (json) {
		struct jw jw;

		jw_init(&jw, stdout, false, false);
		jw_start_object(&jw);
		jw_kv_str(&jw, "error", err);
		jw_end_object(&jw);
		fputc('\n', stdout);
	}
	cli_error("%s", err);
}

int do_check(int argc, char **argv)
{
	struct report r = {};
	struct check_args a;
	char err[256];
	uint32_t mask;

	switch (check_args_parse(argc, argv, &a, err, sizeof(err))) {
	case ARGS_HELP:
		fputs(check_usage, stdout);
		return 0;
	case ARGS_ERROR:
		goto usage;
	}
	cli_verbose = a.verbose;
	if (probe_list_parse(a.probes, &mask)) {
		snprintf(err, sizeof(err), "%s", bpfport_errmsg());
		goto usage;
	}
	if (a.json) {
		/* in JSON mode stdout holds one document: chatter stays off */
		bpfport_set_print(a.verbose ? cli_print : NULL);
	}
	if (a.btf.btf) {
		r.preflight = true;
		if (target_facts_read(a.btf.btf, &r.target, err, sizeof(err)))
			goto fail;
	}
	cli_catch_signals();
	gather(&r, &a);
	if (cli_signal()) {
		bpfport__destroy(r.bp);
		target_facts_free(&r.target);
		return cli_die_of_signal("no report; nothing left loaded or extracted");
	}
	if (a.json)
		print_json(&r, a.pretty);
	else
		print_text(&r);
	bpfport__destroy(r.bp);
	target_facts_free(&r.target);
	return r.ok ? 0 : 1;
fail:
	report_error(a.json, err);
	return 1;
usage:
	report_error(a.json, err);
	return 2;
}
