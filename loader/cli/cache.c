// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport cache list|clear: the runtime mode's object cache. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "args.h"
#include "cli.h"
#include "rtcache.h"

static int print_entry(const struct rtcache_entry *e, void *ctx)
{
	struct jw *jw = ctx;
	char when[32];
	struct tm tm;

	if (jw) {
		jw_start_object(jw);
		jw_kv_str(jw, "file", e->file);
		jw_kv_uint(jw, "size", e->size);
		jw_kv_int(jw, "mtime", (int64_t)e->mtime);
		jw_kv_bool(jw, "ok", !e->status);
		jw_kv_str_or_null(jw, "error", e->status ? strerror(-e->status) : NULL);
		jw_kv_str_or_null(jw, "key", e->key);
		jw_end_object(jw);
		return 0;
	}
	localtime_r(&e->mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	cli_printf("%s  %8zu bytes  %s  %s\n", e->file, e->size, when,
		   e->status ? strerror(-e->status) : "ok");
	if (e->key)
		cli_printf("    %s\n", e->key);
	return 0;
}

int do_cache(int argc, char **argv)
{
	BPFPORT_OPTS(given);
	struct bpfport_opts opts;
	struct sub_args a;
	char err[1024];
	struct jw jw;
	int fd, ret;

	ret = cli_parsed(cache_args_parse(argc, argv, &a, err, sizeof(err)), cache_usage, err);
	if (ret >= 0)
		return ret;
	given.cache_dir = a.cache_dir;
	bp_opts_complete(&given, &opts);	/* --cache-dir, else the env, else the default */
	ret = rtcache_open_dir(opts.cache_dir, &fd, err, sizeof(err));
	if (ret) {
		cli_error("%s", err);
		return 1;
	}
	if (!strcmp(a.sub, "list")) {
		if (a.json) {
			jw_init(&jw, stdout, false, false);
			jw_start_array(&jw);
		}
		ret = rtcache_list(fd, print_entry, a.json ? &jw : NULL);
		if (a.json) {
			jw_end_array(&jw);
			putchar('\n');
		}
	} else {
		ret = rtcache_clear(fd);
	}
	close(fd);
	if (ret < 0) {
		cli_error("cache %s %s: %s", a.sub, opts.cache_dir, strerror(-ret));
		return 1;
	}
	if (!strcmp(a.sub, "clear"))
		cli_printf("cache %s cleared\n", opts.cache_dir);
	return 0;
}
