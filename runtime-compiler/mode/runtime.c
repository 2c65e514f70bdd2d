// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Runtime mode: the same bpf/ *.bpf.c sources (embedded), compiled against
 * the running kernel's headers by the runtime compiler (a forked, capped
 * child that alone maps LLVM), cached on disk, then loaded like the CO-RE
 * objects, without any BTF of the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpfport/rtc.h>

#include "internal.h"
#include "kheaders.h"
#include "rtcache.h"
#include "tpformat.h"

void runtime_reap_stale(void)
{
	kheaders_reap_stale();
}

void runtime_objs_free(struct runtime_objs *ro)
{
	for (size_t i = 0; i < ARRAY_SIZE(ro->obj); i++) {
		free(ro->obj[i]);
		ro->obj[i] = NULL;
	}
	ro->active = false;
}

/* Appends one record, struct trace_event_raw_<event>, for "cat/event";
 * a tracepoint this kernel lacks is left out (that probe's compile will
 * say so). */
static int tp_record_add(const char *tracefs, const char *rec, char **text,
			 size_t *len)
{
	const char *slash = strchr(rec, '/');
	char cat[64], name[128], *c = NULL, why[256];
	char *n;
	size_t cl;

	if (!slash || slash - rec >= (long)sizeof(cat))
		return 0;
	snprintf(cat, sizeof(cat), "%.*s", (int)(slash - rec), rec);
	snprintf(name, sizeof(name), BP_TP_RECORD "%s", slash + 1);
	if (tpformat_struct(tracefs, cat, slash + 1, name, &c, why, sizeof(why))) {
		pr_debug("runtime: no record for %s: %s\n", slash + 1, why);
		return 0;
	}
	cl = strlen(c);
	n = realloc(*text, *len + cl + 2);
	if (!n) {
		free(c);
		return -ENOMEM;
	}
	*text = n;
	memcpy(n + *len, c, cl);
	n[*len + cl] = '\n';
	n[*len + cl + 1] = '\0';
	*len += cl + 1;
	free(c);
	return 0;
}

/* bpfport_tp.h: one struct per tracepoint record a probe reads (its
 * descriptor's tp_records) that this kernel has. */
static int gen_tp_header(char **out, char *err, size_t errlen)
{
	const char *tracefs = tracefs_path();
	size_t len = 0, i, j;
	char *text = NULL;

	if (!tracefs) {
		snprintf(err, errlen, "tracefs is not mounted: the tracepoint records come from its format files");
		return -ENOENT;
	}
	text = strdup("/* generated from tracefs format files by bpfport */\n");
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	for (i = 0; i < probe_cnt; i++)
		for (j = 0; j < ARRAY_SIZE(probe_table[i]->tp_records) &&
			    probe_table[i]->tp_records[j]; j++)
			if (tp_record_add(tracefs, probe_table[i]->tp_records[j],
					  &text, &len)) {
				free(text);
				return -ENOMEM;
			}
	*out = text;
	return 0;
}

/* The first error line of clang's diagnostics, for a one-line reason. */
static void first_error(const char *diag, char *buf, size_t len)
{
	const char *p = diag ? strstr(diag, "error:") : NULL, *b, *e;

	if (!p) {
		snprintf(buf, len, "%s", diag && *diag ? diag : "no diagnostics");
		return;
	}
	for (b = p; b > diag && b[-1] != '\n'; b--)
		;
	e = strchr(p, '\n');
	snprintf(buf, len, "%.*s", (int)(e ? e - b : (long)strlen(b)), b);
}

int runtime_prepare(const struct bpfport_opts *o, uint32_t mask,
		    struct runtime_objs *ro, const char **reason, char *detail,
		    size_t dlen)
{
	const char *defines[8] = { "BPFPORT_RUNTIME" };
	size_t define_cnt = 1;
	char test_defs[256] = "";
	struct rtcache_blob blobs[64];
	struct rtc_file files[64];
	struct kheaders kh;
	char kinc[KHEADERS_MAX_INCLUDE][PATH_MAX], kconfig_h[PATH_MAX], tree[2 * PATH_MAX + 64];
	const char *kinc_ptr[KHEADERS_MAX_INCLUDE];
	size_t kinc_cnt;
	struct utsname u;
	char err[512], cfg_hash[80] = "", compiler[256];
	char *tp = NULL, key[4096];
	const char *p, *cache_dir;
	size_t nfiles = 0, i;
	int dirfd = -1, lockfd = -1, ret;

	memset(ro, 0, sizeof(*ro));
	*reason = NULL;
	uname(&u);
	/* fault injection for the tests: extra defines, e.g. the one that
	 * makes the objects fail the verifier (common.bpf.h) */
	p = getenv("BPFPORT_TEST_DEFINES");
	if (p && *p) {
		char *save, *tok;

		snprintf(test_defs, sizeof(test_defs), "%s", p);
		for (tok = strtok_r(test_defs, ",", &save); tok && define_cnt < ARRAY_SIZE(defines);
		     tok = strtok_r(NULL, ",", &save))
			defines[define_cnt++] = tok;
	}

	p = o->kernel_headers ? o->kernel_headers : NULL;
	ret = kheaders_find(p, NULL, &kh, err, sizeof(err));
	if (ret) {
		*reason = R_NO_HEADERS;
		snprintf(detail, dlen, "%s", err);
		return ret;
	}
	snprintf(ro->headers, sizeof(ro->headers), "%s", kh.objtree);
	ro->headers_source = kh.source;
	kheaders_describe(&kh, tree, sizeof(tree));
	kinc_cnt = kheaders_include_dirs(&kh, kinc, kconfig_h);
	if (!kinc_cnt) {
		*reason = R_NO_HEADERS;
		snprintf(detail, dlen, "kernel headers %s: path too long: give a shorter %s",
			 kh.objtree, bp_setting_name(BP_SET_KERNEL_HEADERS, false));
		ret = -ENAMETOOLONG;
		goto out;
	}
	for (i = 0; i < kinc_cnt; i++)
		kinc_ptr[i] = kinc[i];
	p = getenv("BPFPORT_ALLOW_HEADERS_MISMATCH");	/* tests only */
	if (!(p && *p && strcmp(p, "0")) &&
	    kheaders_check_release(&kh, u.release, err, sizeof(err))) {
		*reason = R_HEADERS_MISMATCH;
		snprintf(detail, dlen, "%s", err);
		ret = -EINVAL;
		goto out;
	}
	ret = gen_tp_header(&tp, err, sizeof(err));
	if (ret) {
		*reason = R_COMPILE_FAILED;
		snprintf(detail, dlen, "%s", err);
		goto out;
	}

	for (i = 0; i < embedded_source_cnt && nfiles < ARRAY_SIZE(files) - 1; i++) {
		files[nfiles] = (struct rtc_file){ embedded_sources[i].name,
			embedded_sources[i].start,
			(size_t)(embedded_sources[i].end - embedded_sources[i].start) };
		blobs[nfiles] = (struct rtcache_blob){ files[nfiles].name,
			files[nfiles].data, files[nfiles].size };
		nfiles++;
	}
	files[nfiles] = (struct rtc_file){ "bpfport_tp.h", tp, strlen(tp) };
	blobs[nfiles] = (struct rtcache_blob){ "bpfport_tp.h", tp, strlen(tp) };
	nfiles++;

	cache_dir = o->cache_dir;	/* bp_opts_complete(): option, env, default */
	ret = rtcache_open_dir(cache_dir, &dirfd, err, sizeof(err));
	if (ret) {
		*reason = R_CACHE_UNSAFE;
		snprintf(detail, dlen, "%s", err);
		goto out;
	}
	snprintf(ro->cache_dir, sizeof(ro->cache_dir), "%s", cache_dir);
	if (rtcache_config_hash(NULL, u.release, cfg_hash, sizeof(cfg_hash)))
		cfg_hash[0] = '\0';
	/* the compiler's identity without starting it: the helper's build-id
	 * (a missing helper fails the compile below) */
	if (!rtc_compiler_id(o->rtc_compiler, compiler, sizeof(compiler)))
		snprintf(compiler, sizeof(compiler), "none");

	/* two agents starting together compile once: the second waits here,
	 * then finds the first one's objects */
	ret = rtcache_lock(dirfd, &lockfd);
	if (ret) {
		*reason = R_CACHE_UNSAFE;
		snprintf(detail, dlen, "cache %s: cannot lock: %s", cache_dir, strerror(-ret));
		goto out;
	}
	ro->all_cached = true;
	for (i = 0; i < probe_cnt; i++) {
		const char *flags[] = { "-DBPFPORT_RUNTIME", "-mcpu=v2", NULL,
					getenv("BPFPORT_TEST_DEFINES") ? : "" };
		char main_file[64], *diag = NULL;
		struct rtcache_key_parts kp = {
			.kernel_release = u.release, .kernel_version = u.version,
			.config_hash = cfg_hash[0] ? cfg_hash : NULL,
			.headers_release = kh.release,
			.headers_version_code = kh.version_code,
			.headers_tree = tree,
			.sources = blobs, .source_cnt = nfiles,
			.flags = flags, .flag_cnt = 4, .compiler = compiler,
		};
		struct rtc_stats stats = { .sz = sizeof(stats) };

		if (!(mask & (1u << i)))
			continue;
		if (bp_interrupted()) {
			*reason = R_COMPILE_FAILED;
			snprintf(detail, dlen, "interrupted");
			ret = bp_err_interrupted();
			goto out;
		}
		snprintf(main_file, sizeof(main_file), "%s.bpf.c", probe_table[i]->name);
		flags[2] = main_file;
		rtcache_key(&kp, key, sizeof(key));
		ret = rtcache_get(dirfd, key, &ro->obj[i], &ro->size[i], err, sizeof(err));
		if (!ret) {
			ro->from_cache[i] = true;
			ro->any_cached = true;
			continue;
		}
		if (ret == -EBADMSG)
			pr_warn("runtime: cache entry for %s is corrupt, compiling again: %s\n",
				probe_table[i]->name, err);
		ro->all_cached = false;
		/* no separate helper check: that would start LLVM in one more
		 * child; the compile itself says -RTC_ERR_NO_COMPILER */
		{
			RTC_OPTS(ropts, .main_file = main_file, .files = files,
				 .file_cnt = nfiles, .defines = defines, .define_cnt = define_cnt,
				 .kernel_include_dirs = kinc_ptr,
				 .kernel_include_dir_cnt = kinc_cnt,
				 .kernel_config_header = kconfig_h,
				 .timeout_ms = o->compile_timeout_ms,
				 .compiler_path = o->rtc_compiler, .stats = &stats,
				 .stop = bp_interrupted);

			ret = rtc_compile(&ropts, &ro->obj[i], &ro->size[i], &diag);
		}
		if (ret == -EINTR) {	/* bpfport_interrupt(): the helper is gone */
			free(diag);
			*reason = R_COMPILE_FAILED;
			snprintf(detail, dlen, "interrupted");
			ret = bp_err_interrupted();
			goto out;
		}
		if (ret && probe_table[i]->optional) {
			/* an optional probe that does not compile here is
			 * recorded as missing, like one that cannot attach */
			char line[512];

			first_error(diag, line, sizeof(line));
			ro->skip_reason[i] = R_COMPILE_FAILED;
			snprintf(ro->skip_detail[i], sizeof(ro->skip_detail[i]),
				 "%s: %s", main_file, line);
			free(diag);
			ret = 0;
			continue;
		}
		if (ret) {
			char line[512];

			*reason = ret == -RTC_ERR_TIMEOUT ? R_COMPILE_TIMEOUT :
				  ret == -RTC_ERR_CRASHED ? R_COMPILE_CRASHED :
				  ret == -RTC_ERR_OOM ? R_COMPILE_OOM :
				  ret == -RTC_ERR_NO_COMPILER ? R_RUNTIME_NOT_INSTALLED :
				  R_COMPILE_FAILED;
			first_error(diag, line, sizeof(line));
			if (ret == -RTC_ERR_NO_COMPILER)	/* the diagnostics say where */
				snprintf(detail, dlen, "%s", line);
			else
				snprintf(detail, dlen, "%s against %s: %s: %s", main_file,
					 kh.objtree, rtc_strerror(ret), line);
			free(diag);
			goto out;
		}
		free(diag);
		pr_info("runtime: compiled %s against %s in %.2f s (child peak RSS %ld MiB, "
			"%lu header function bodies skipped%s)\n",
			main_file, tree, stats.wall_us / 1e6, stats.child_maxrss_kib / 1024,
			stats.skipped_bodies, stats.reparsed ? ", parsed again in full" : "");
		if (rtcache_put(dirfd, key, ro->obj[i], ro->size[i], err, sizeof(err)))
			pr_warn("runtime: not cached: %s\n", err);
	}
	ret = 0;
out:
	if (lockfd >= 0)
		rtcache_unlock(lockfd);
	if (dirfd >= 0)
		close(dirfd);
	free(tp);
	kheaders_cleanup(&kh);
	if (ret)
		runtime_objs_free(ro);
	return ret;
}
