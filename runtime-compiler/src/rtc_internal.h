/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between librtc's parent (rtc.c) and its compile child (child.c): the
 * job the parent prepares before fork(), and the frames the child sends
 * back over the pipe.
 */
#ifndef BPFPORT_RTC_INTERNAL_H
#define BPFPORT_RTC_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "bpfport/rtc.h"

#define RTC_EXIT_OOM 90		/* child: out of memory under the cap */

enum frame_type {
	FRAME_VERSION = 1,
	FRAME_DIAG = 2,
	FRAME_OBJ = 3,
	FRAME_RESULT = 4,
	FRAME_INFO = 5,		/* struct frame_info */
};

struct frame_info {
	uint64_t skipped_bodies;
	uint32_t reparsed;
	uint32_t pad;
};

struct frame_hdr {
	uint32_t type;
	uint32_t zero;
	uint64_t len;
};

enum job_kind { JOB_COMPILE, JOB_VERSION };

/* Everything the child needs, prepared by the parent before fork(). */
struct job {
	enum job_kind kind;
	struct rtc_opts o;		/* normalized copy */
	char plugin[PATH_MAX];
	unsigned long budget;		/* address space added to the fork's */
	unsigned int timeout_ms;
	int wfd;
};

/* The child, after fork(): caps itself, loads the plugin, compiles (or
 * asks the version), sends the frames on j->wfd and exits. */
void child_main(const struct job *j) __attribute__((noreturn));

#endif /* BPFPORT_RTC_INTERNAL_H */
