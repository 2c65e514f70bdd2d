/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one-line messages of the (char *err, size_t errlen) convention:
 * functions return a negative errno and write there the cause (and, where
 * they know it, the fix). err may be NULL when errlen is 0; a message that
 * does not fit is cut, never overflows.
 */
#ifndef BPFPORT_UTIL_MSG_H
#define BPFPORT_UTIL_MSG_H

#include <stddef.h>

/* Writes the message (printf format) into @err; returns @ret, so that
 * "return msg_set(err, errlen, -EINVAL, ...);" is one statement. */
int msg_set(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Appends to the message at *@at (its length so far), which it advances;
 * for messages built in parts, such as lists. */
void msg_add(char *err, size_t errlen, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* BPFPORT_UTIL_MSG_H */
