// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

int msg_set(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

void msg_add(char *err, size_t errlen, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || *at >= errlen)
		return;
	va_start(ap, fmt);
	n = vsnprintf(err + *at, errlen - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}
