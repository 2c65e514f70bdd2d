// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport compile, bpfport cache list|clear: the runtime mode's tools. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static const char compile_usage[] =
"Usage: bpfport compile [--kernel-headers DIR] [--probes LIST] [--cache-dir DIR] -o OUT\n"
"Compile the probes against kernel headers (runtime mode) without loading them:\n"
"to pre-warm the cache, or to debug. OUT is a file for one probe, else a directory\n"
"that gets <probe>.bpf.o files. The headers must be those of the running kernel.\n";

static int write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, size);
	if (close(fd) || n != (ssize_t)size)
		return -EIO;
	return 0;
}

int do_compile(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "kernel-headers", required_argument, NULL, 'k' },
		{ "probes", required_argument, NULL, 'p' },
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	BPFPORT_OPTS(opts);
	struct runtime_objs ro;
	const char *out = NULL, *reason;
	char detail[1024];
	uint32_t mask;
	size_t i, n = 0;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:p:c:o:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'k': opts.kernel_headers = optarg; break;
		case 'p': opts.probes = optarg; break;
		case 'c': opts.cache_dir = optarg; break;
		case 'o': out = optarg; break;
		case 'v': cli_verbose = true; break;
		case 'h': fputs(compile_usage, stdout); return 0;
		default:
			cli_error("bad option '%s' (see 'bpfport compile --help')", argv[optind - 1]);
			return 2;
		}
	}
	if (!out || optind != argc) {
		cli_error("compile needs -o OUT and no other argument (see 'bpfport compile --help')");
		return 2;
	}
	if (probe_list_parse(opts.probes, &mask)) {
		cli_error("%s", bpfport_errmsg());
		return 2;
	}
	ret = runtime_prepare(&opts, mask, &ro, &reason, detail, sizeof(detail));
	if (ret) {
		cli_error("%s: %s", reason, detail);
		return 1;
	}
	for (i = 0; i < probe_cnt; i++)
		n += ro.obj[i] != NULL;
	if (n > 1 && mkdir(out, 0755) && errno != EEXIST) {
		cli_error("cannot create directory %s: %s", out, strerror(errno));
		runtime_objs_free(&ro);
		return 1;
	}
	for (i = 0; i < probe_cnt; i++) {
		char path[4096];

		if (!ro.obj[i])
			continue;
		if (n > 1)
			snprintf(path, sizeof(path), "%s/%s.bpf.o", out, probe_table[i].name);
		else
			snprintf(path, sizeof(path), "%s", out);
		if (write_file(path, ro.obj[i], ro.size[i])) {
			cli_error("cannot write %s: %s", path, strerror(errno));
			runtime_objs_free(&ro);
			return 1;
		}
		printf("%s: %zu bytes, %s (headers %s)\n", path, ro.size[i],
		       ro.from_cache[i] ? "from the cache" : "compiled", ro.headers);
	}
	runtime_objs_free(&ro);
	return 0;
}

static int print_entry(const struct rtcache_entry *e, void *ctx)
{
	char when[32];
	struct tm tm;

	(void)ctx;
	localtime_r(&e->mtime, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	printf("%s  %8zu bytes  %s  %s\n", e->file, e->size, when,
	       e->status ? strerror(-e->status) : "ok");
	if (e->key)
		printf("    %s\n", e->key);
	return 0;
}

int do_cache(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "", *dir = getenv("BPFPORT_CACHE_DIR");
	char err[1024];
	int fd, ret, i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--cache-dir") && i + 1 < argc) {
			dir = argv[++i];
		} else {
			cli_error("cache: unexpected '%s' (usage: bpfport cache list|clear [--cache-dir DIR])", argv[i]);
			return 2;
		}
	}
	if (strcmp(sub, "list") && strcmp(sub, "clear")) {
		printf("Usage: bpfport cache list|clear [--cache-dir DIR]   (default %s)\n",
		       RTCACHE_DEFAULT_DIR);
		return strcmp(sub, "-h") && strcmp(sub, "--help") ? 2 : 0;
	}
	if (!dir || !*dir)
		dir = RTCACHE_DEFAULT_DIR;
	ret = rtcache_open_dir(dir, &fd, err, sizeof(err));
	if (ret) {
		cli_error("%s", err);
		return 1;
	}
	ret = !strcmp(sub, "list") ? rtcache_list(fd, print_entry, NULL) : rtcache_clear(fd);
	close(fd);
	if (ret < 0) {
		cli_error("cache %s %s: %s", sub, dir, strerror(-ret));
		return 1;
	}
	if (!strcmp(sub, "clear"))
		printf("cache %s cleared\n", dir);
	return 0;
}
