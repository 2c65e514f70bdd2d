/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_RTC_CHILD_H
#define BPFPORT_RTC_CHILD_H

/* What the compile child needs, all prepared by the parent before fork. */
struct child {
	int req_fd;		/* the request (request_write()) */
	int reply_fd;		/* the pipe's write end */
	int null_fd;		/* /dev/null */
	int helper_fd;		/* the checked helper (rtc.c) */
	unsigned long cpu_s;	/* RLIMIT_CPU: a backstop for the parent's timer */
	unsigned long as_cap;	/* RLIMIT_AS; 0: none */
	const char *hook_env;	/* "BPFPORT_RTC_TEST_HOOK=..." or NULL */
};

/* After fork(): sandbox, exec the helper; never returns. */
void child_exec(const struct child *c) __attribute__((noreturn));

#endif /* BPFPORT_RTC_CHILD_H */
