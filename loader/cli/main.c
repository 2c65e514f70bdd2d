// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport CLI: one command table, each subcommand with its own help. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpfport/bpfport.h>

#include "args.h"
#include "btfhub.h"
#include "cli.h"
#include <bpfport/rtc.h>

bool cli_verbose;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfport: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPORT_DEBUG && !cli_verbose)
		return 0;
	fputs("bpfport: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

/* ---- run ---- */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct run_ctx {
	enum bpfport_format format;
};

static int on_event(void *ctx, const void *data, size_t size)
{
	struct run_ctx *rc = ctx;

	if (!bpfport_event__fprint(stdout, data, size, rc->format))
		fputc('\n', stdout);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int do_run(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpfport *bp = NULL;
	struct run_args a;
	struct run_ctx rc;
	char err[256], summary[1024];
	double deadline;
	int ret = 1, n;

	switch (run_args_parse(argc, argv, &a, err, sizeof(err))) {
	case ARGS_HELP:
		fputs(run_usage, stdout);
		return 0;
	case ARGS_ERROR:
		cli_error("%s", err);
		return 2;
	}
	cli_verbose = a.verbose;
	rc.format = a.format;

	/* SA_RESTART: a write to a full stdout pipe that a signal interrupts
	 * resumes (stdio would drop the rest of the line); poll and
	 * epoll_wait return EINTR whatever the flag (signal(7)), so the signal
	 * still ends the wait */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	BPFPORT_OPTS(opts, .probes = a.probes, .mode = a.mode,
		     .output = a.output, .on_event = on_event, .ctx = &rc,
		     .btf_path = a.btf.btf, .btf_archive = a.btf.btf_archive,
		     .os_release = a.btf.os_release,
		     .hide_native_btf = a.btf.hide_native_btf,
		     .kernel_headers = a.btf.kernel_headers,
		     .cache_dir = a.btf.cache_dir);
	bp = bpfport__open(&opts);
	if (!bp) {
		cli_error("%s", bpfport_errmsg());
		/* an unknown probe is a usage error */
		return errno == EINVAL && a.probes ? 2 : 1;
	}
	if (bpfport__attach(bp)) {
		cli_error("%s", bpfport_errmsg());
		goto cleanup;
	}
	bpfport__summary(bp, summary, sizeof(summary), false);
	fprintf(stderr, "bpfport: running %s\n", summary);

	deadline = a.duration >= 0 ? now_s() + a.duration : 0;
	while (!stop) {
		int timeout = 100;

		if (a.duration >= 0) {
			double left = deadline - now_s();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		n = bpfport__poll(bp, timeout);
		fflush(stdout);
		if (n < 0) {
			cli_error("polling events: %s", strerror(-n));
			goto cleanup;
		}
	}
	/* drain what is already buffered */
	bpfport__poll(bp, 0);
	fflush(stdout);
	ret = 0;
cleanup:
	bpfport__summary(bp, summary, sizeof(summary), true);
	fprintf(stderr, "bpfport: %s %s\n", ret ? "failed" : "done", summary);
	bpfport__destroy(bp);
	return ret;
}

/* ---- table ---- */

static int do_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	char why[512];
	int n = btfhub_embedded_count();

	printf("bpfport %s\nmodes: core core-btfhub runtime\nembedded BTF: %d kernels\n",
	       BPFPORT_VERSION, n > 0 ? n : 0);
	printf("runtime compiler: %s\n", rtc_plugin_available(NULL, why, sizeof(why)) ?
	       "installed" : why);
	return 0;
}

static int do_help(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "run", do_run, "load the probes and stream their events" },
	{ "check", do_check, "what this host supports and which mode run would use" },
	{ "fleet", do_fleet, "CO-RE coverage of every kernel in a btfhub-archive tree" },
	{ "btf", do_btf, "embedded BTF: list, extract" },
	{ "compile", do_compile, "compile the probes against kernel headers (runtime mode)" },
	{ "cache", do_cache, "the runtime mode's object cache: list, clear" },
	{ "version", do_version, "version and build features" },
	{ "help", do_help, "this text" },
};

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("Usage: bpfport COMMAND [OPTIONS]   ('bpfport COMMAND --help' for details)\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-8s %s\n", cmds[i].name, cmds[i].summary);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	bpfport_set_print(cli_print);
	if (!strcmp(base, "check_core_support"))
		return do_check(argc, argv);
	if (argc < 2) {
		do_help(argc, argv);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return do_help(argc, argv);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return do_version(argc, argv);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see 'bpfport help')", argv[1]);
	return 2;
}
