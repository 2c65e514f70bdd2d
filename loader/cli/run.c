// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport run: load the probes and stream their events until a signal or
 * --duration, then one summary line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpfport/bpfport.h>

#include "args.h"
#include "cli.h"

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

/* --ready-file: the pid and the running line, written whole (a reader
 * never sees half of it) */
static int ready_write(const char *path, const char *summary)
{
	char tmp[4096];
	FILE *f;
	int err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "%d\nrunning %s\n", (int)getpid(), summary);
	if (fclose(f))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int do_run(int argc, char **argv)
{
	static char outbuf[1 << 20];	/* what one delivery prints, one write */
	struct bpfport *bp = NULL;
	struct run_args a;
	struct run_ctx rc;
	char err[256], summary[1024];
	double deadline;
	bool ready = false;
	int ret = 1, n;

	switch (run_args_parse(argc, argv, &a, err, sizeof(err))) {
	case ARGS_HELP:
		run_usage_print(stdout);
		return 0;
	case ARGS_ERROR:
		cli_error("%s", err);
		return 2;
	}
	cli_verbose = a.verbose;
	rc.format = a.format;

	/* a signal before "running" stops the loading (nothing is left
	 * loaded or attached, and it dies of the signal); after it, it ends
	 * the run as --duration does */
	cli_catch_signals();
	/* a previous agent's, left by a SIGKILL: ready only once attached */
	if (a.ready_file && unlink(a.ready_file) && errno != ENOENT) {
		cli_error("--ready-file %s: %s", a.ready_file, strerror(errno));
		return 1;
	}

	/* events are written in batches: one write(2) per delivery (the
	 * flush after each bpfport__poll() below), not one per event */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

	BPFPORT_OPTS(opts, .probes = a.probes, .mode = a.mode,
		     .output = a.output, .on_event = on_event, .ctx = &rc,
		     .buffer_size = a.buffer_size,
		     .flush_interval_ms = a.flush_interval_ms,
		     .btf_path = a.btf.btf, .btf_archive = a.btf.btf_archive,
		     .os_release = a.btf.os_release,
		     .hide_native_btf = a.btf.hide_native_btf,
		     .kernel_headers = a.btf.kernel_headers,
		     .cache_dir = a.btf.cache_dir);
	bp = bpfport__open(&opts);
	if (!bp && cli_signal())
		return cli_die_of_signal("stopped before anything was attached, nothing left loaded");
	if (!bp) {
		cli_error("%s", bpfport_errmsg());
		/* an unknown probe is a usage error */
		return errno == EINVAL && a.probes ? 2 : 1;
	}
	if (bpfport__attach(bp)) {
		if (cli_signal()) {
			bpfport__destroy(bp);
			return cli_die_of_signal("stopped before everything was attached, all detached and unloaded");
		}
		cli_error("%s", bpfport_errmsg());
		goto cleanup;
	}
	bpfport__summary(bp, summary, sizeof(summary), false);
	/* the file first: whoever sees the running line finds it */
	if (a.ready_file) {
		n = ready_write(a.ready_file, summary);
		if (n) {
			cli_error("--ready-file %s: %s", a.ready_file, strerror(-n));
			goto cleanup;
		}
		ready = true;
	}
	cli_log("running %s\n", summary);

	deadline = a.duration >= 0 ? now_s() + a.duration : 0;
	while (!cli_signal()) {
		/* until events are due (at the latest the flush interval)
		 * or the signal (EINTR; one that comes just before the wait
		 * is seen at the next flush) */
		int timeout = -1;

		if (a.duration >= 0) {
			double left = deadline - now_s();

			if (left <= 0)
				break;
			if (left < 3600)
				timeout = (int)(left * 1000) + 1;
		}
		/* what was due, written at once */
		n = bpfport__poll(bp, timeout);
		if (n > 0)
			fflush(stdout);
		if (n < 0) {
			cli_error("polling events: %s", strerror(-n));
			goto cleanup;
		}
	}
	/* detached first, then drained: every event the probes output is
	 * printed or counted as dropped */
	bpfport__detach(bp);
	n = bpfport__poll(bp, 0);
	fflush(stdout);
	if (n < 0) {
		cli_error("polling events: %s", strerror(-n));
		goto cleanup;
	}
	ret = 0;
cleanup:
	if (ready)
		unlink(a.ready_file);
	bpfport__summary(bp, summary, sizeof(summary), true);
	cli_log("%s %s\n", ret ? "failed" : "done", summary);
	bpfport__destroy(bp);
	return ret;
}

