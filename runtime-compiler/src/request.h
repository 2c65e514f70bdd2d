/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_RTC_REQUEST_H
#define BPFPORT_RTC_REQUEST_H

#include "bpfport/rtc.h"

/* The request for a compile of @o (NULL: a version query) in a new memfd,
 * at offset 0, into *@fd (close-on-exec). 0 or -errno. */
int request_write(const struct rtc_opts *o, int *fd);

#endif /* BPFPORT_RTC_REQUEST_H */
