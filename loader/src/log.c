// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

const char *bpfport_errmsg(void)
{
	return errmsg[0] ? errmsg : strerror(errno);
}
