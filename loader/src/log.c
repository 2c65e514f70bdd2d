// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

static bpfport_print_fn print_fn;
static __thread char errmsg[4096];

bpfport_print_fn bpfport_set_print(bpfport_print_fn fn)
{
	bpfport_print_fn old = print_fn;

	print_fn = fn;
	return old;
}

void bp_pr(enum bpfport_print_level level, const char *fmt, ...)
{
	va_list ap;

	if (!print_fn)
		return;
	va_start(ap, fmt);
	print_fn(level, fmt, ap);
	va_end(ap);
}

int bp_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	pr_debug("error: %s\n", errmsg);
	errno = err;
	return -err;
}

static bool cli_names;

void bpfport_set_cli_names(bool cli)
{
	cli_names = cli;
}

const char *bp_setting_name(enum bp_setting s, bool arg)
{
	static const char *const names[][3] = {	/* library, option, option ARG */
		[BP_SET_KERNEL_HEADERS] = { "opts.kernel_headers ($BPFPORT_KERNEL_HEADERS)",
					    "--kernel-headers", "--kernel-headers DIR" },
		[BP_SET_CACHE_DIR] = { "opts.cache_dir ($BPFPORT_CACHE_DIR)", "--cache-dir",
				       "--cache-dir DIR" },
		[BP_SET_BTF_ARCHIVE] = { "opts.btf_archive ($BPFPORT_BTF_ARCHIVE)",
					 "--btf-archive", "--btf-archive DIR" },
		[BP_SET_HIDE_NATIVE_BTF] = { "opts.hide_native_btf ($BPFPORT_HIDE_NATIVE_BTF)",
					     "--hide-native-btf", "--hide-native-btf" },
		[BP_SET_OUTPUT] = { "opts.output", "--output", "--output" },
		[BP_SET_BUFFER_SIZE] = { "opts.buffer_size", "--buffer-size",
					 "--buffer-size SIZE" },
		[BP_SET_FLUSH_INTERVAL] = { "opts.flush_interval_ms", "--flush-interval",
					    "--flush-interval MS" },
	};

	return names[s][cli_names ? 1 + arg : 0];
}

const char *bpfport_errmsg(void)
{
	return errmsg[0] ? errmsg : strerror(errno);
}

/* ---- interruption (bpfport_interrupt()) ---- */

static volatile sig_atomic_t interrupted;

void bpfport_interrupt(void)
{
	interrupted = 1;
}

bool bp_interrupted(void)
{
	return interrupted;
}

int bp_err_interrupted(void)
{
	return bp_err(EINTR, "interrupted (bpfport_interrupt()): stopped before the next step");
}

void bp_test_stall(const char *phase)
{
	static bool stalled;
	const char *want = getenv("BPFPORT_TEST_STALL");
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	if (stalled || !want || strcmp(want, phase))
		return;
	stalled = true;
	pr_warn("test: stalled at %s\n", phase);
	for (int i = 0; i < 3000 && !interrupted; i++)
		nanosleep(&nap, NULL);
}
