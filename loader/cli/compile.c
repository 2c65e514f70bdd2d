// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport compile: the runtime build of the probes, without loading them
 * (to pre-warm the cache, or to debug). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "args.h"
#include "cli.h"
#include "rtcache.h"
#include "util/fsio.h"

static int write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	int err;

	if (fd < 0)
		return -errno;
	err = fsio_write_all(fd, data, size);
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int do_compile(int argc, char **argv)
{
	BPFPORT_OPTS(given);
	struct bpfport_opts opts;
	struct compile_args ca;
	struct runtime_objs ro;
	const char *reason;
	char detail[1024], err[512];
	uint32_t mask;
	struct jw jw;
	size_t i, n = 0;
	int ret;

	ret = cli_parsed(compile_args_parse(argc, argv, &ca, err, sizeof(err)), compile_usage, err);
	if (ret >= 0)
		return ret;
	given.kernel_headers = ca.kernel_headers;
	given.probes = ca.probes;
	given.cache_dir = ca.cache_dir;
	cli_verbose = ca.verbose;
	if (probe_list_parse(given.probes, &mask) || bp_opts_complete(&given, &opts)) {
		cli_error("%s", bpfport_errmsg());
		return 2;
	}
	cli_catch_signals();
	ret = runtime_prepare(&opts, mask, &ro, &reason, detail, sizeof(detail));
	if (ret && cli_signal())
		return cli_die_of_signal("nothing written; the extracted headers removed");
	if (ret) {
		cli_error("%s: %s", reason, detail);
		return 1;
	}
	for (i = 0; i < probe_cnt; i++)
		n += ro.obj[i] != NULL;
	if (n > 1 && mkdir(ca.out, 0755) && errno != EEXIST) {
		cli_error("cannot create directory %s: %s", ca.out, strerror(errno));
		runtime_objs_free(&ro);
		return 1;
	}
	if (ca.json) {
		jw_init(&jw, stdout, false, false);
		jw_start_array(&jw);
	}
	for (i = 0; i < probe_cnt; i++) {
		char path[4096];

		if (!ro.obj[i])
			continue;
		if (n > 1)
			snprintf(path, sizeof(path), "%s/%s.bpf.o", ca.out, probe_table[i]->name);
		else
			snprintf(path, sizeof(path), "%s", ca.out);
		ret = write_file(path, ro.obj[i], ro.size[i]);
		if (ret) {
			cli_error("cannot write %s: %s", path, strerror(-ret));
			runtime_objs_free(&ro);
			return 1;
		}
		if (!ca.json) {
			cli_printf("%s: %zu bytes, %s (headers %s)\n", path, ro.size[i],
				   ro.from_cache[i] ? "from the cache" : "compiled", ro.headers);
			continue;
		}
		jw_start_object(&jw);
		jw_kv_str(&jw, "probe", probe_table[i]->name);
		jw_kv_str(&jw, "path", path);
		jw_kv_uint(&jw, "size", ro.size[i]);
		jw_kv_bool(&jw, "cached", ro.from_cache[i]);
		jw_kv_str(&jw, "headers", ro.headers);
		jw_end_object(&jw);
	}
	if (ca.json) {
		jw_end_array(&jw);
		putchar('\n');
	}
	runtime_objs_free(&ro);
	return 0;
}
