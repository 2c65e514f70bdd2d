// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The public API as another agent would use it, through <bpfport/bpfport.h>
 * alone: the options checked before anything happens, a real exec event
 * received through the caller's own epoll loop (bpfport__epoll_fd: the
 * flush timer makes it readable for a lone event), with each output (ring
 * buffer, perf buffer: events aligned as their structs), nothing after
 * bpfport__detach(), the
 * mode attempts and probe states the CLI reports, and the caller's libbpf
 * print callback given back at destroy. Needs root and BPF: SKIP (77)
 * otherwise, a failure under CI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <bpfport/bpfport.h>
#include <bpfport/events.h>

#include "check.h"

static char want_path[256];
static int seen_exec, misaligned;

/* The event structs of <bpfport/events.h>, as a library user reads them */
static int on_event(void *ctx, const void *data, size_t size)
{
	const struct bpfport_ev_hdr *h = data;
	const struct exec_event *e = data;

	(void)ctx;
	if ((uintptr_t)data % _Alignof(struct exec_event))
		misaligned++;
	if (size >= sizeof(*e) && h->type == BPFPORT_EV_EXEC &&
	    !strcmp(e->filename, want_path) && e->ppid == (__u32)getpid())
		seen_exec++;
	return 0;
}

static int quiet(enum bpfport_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int my_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* One agent's life through the API with output @out: exec events through
 * the caller's own epoll loop, every one aligned as its struct, and what
 * the CLI's summary says. */
static void session(enum bpfport_output out)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	struct bpfport_attempt a;
	struct bpfport_probe p;
	struct bpfport *bp;
	int efd, fd, tries;
	size_t i, n;
	pid_t pid;

	seen_exec = misaligned = 0;
	{
		BPFPORT_OPTS(o, .probes = "exec", .mode = BPFPORT_MODE_CORE,
			     .output = out, .on_event = on_event);

		bp = bpfport__open(&o);
	}
	CHECK(bp != NULL);
	if (!bp) {
		fprintf(stderr, "bpfport__open: %s\n", bpfport_errmsg());
		return;
	}
	CHECK(bpfport__attach(bp) == 0);

	/* the caller's own loop: epoll on the library's fd */
	fd = bpfport__epoll_fd(bp);
	CHECK(fd >= 0);
	efd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(efd >= 0 && !epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev));
	pid = fork();
	if (!pid) {
		execl(want_path, want_path, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, NULL, 0) == pid);
	/* one exec: the probes wake no one for it, the flush timer does */
	for (tries = 0; tries < 50 && !seen_exec; tries++)
		if (epoll_wait(efd, &got, 1, 100) == 1)
			CHECK(bpfport__poll(bp, 0) >= 0);
	CHECK(seen_exec == 1);
	/* a perf buffer sample is 4-byte aligned: the library copies it */
	CHECK(misaligned == 0);
	close(efd);

	/* detached: the exec after it is never output; bpfport__poll(bp, 0)
	 * still delivers what waited */
	CHECK(bpfport__detach(bp) == 0);
	pid = fork();
	if (!pid) {
		execl(want_path, want_path, (char *)NULL);
		_exit(127);
	}
	CHECK(pid > 0 && waitpid(pid, NULL, 0) == pid);
	CHECK(bpfport__poll(bp, 0) >= 0);
	CHECK(seen_exec == 1);

	/* what the CLI's summary says, through the API */
	CHECK(bpfport__mode(bp) == BPFPORT_MODE_CORE);
	CHECK(bpfport__output(bp) == out);
	n = bpfport__attempt_cnt(bp);
	CHECK(n == 1);
	CHECK(bpfport__attempt(bp, 0, &a) == 0);
	CHECK(a.ok && a.mode == BPFPORT_MODE_CORE);
	CHECK_STR(a.source, "native");
	CHECK_STR(a.reason, "native-btf");
	CHECK(bpfport__attempt(bp, n, &a) == -EINVAL);
	n = bpfport__probe_cnt(bp);
	CHECK(n >= 4);
	for (i = 0; i < n; i++) {
		CHECK(bpfport__probe(bp, i, &p) == 0);
		if (!strcmp(p.name, "exec"))
			CHECK(p.selected && p.loaded && p.attached && !p.reason);
		else
			CHECK(!p.selected && !p.attached);
	}
	CHECK(bpfport__probe(bp, n, &p) == -EINVAL);
	bpfport__destroy(bp);
}

int main(void)
{
	struct {
		struct bpfport_opts o;
		long newer;	/* a field of a later libbpfport */
	} big = { .o = { .sz = sizeof(big) }, .newer = 1 };
	struct bpfport *bp;

	if (geteuid())
		return skip_test("needs root (BPF load and attach)");
	if (access("/sys/kernel/btf/vmlinux", R_OK))
		return skip_test("needs native BTF (mode core)");
	bpfport_set_print(quiet);
	libbpf_set_print(my_libbpf_print);

	/* options a newer caller set: refused before anything is loaded */
	bp = bpfport__open(&big.o);
	CHECK(!bp && errno == EINVAL);
	CHECK_HAS(bpfport_errmsg(), "beyond what this libbpfport knows");
	{
		BPFPORT_OPTS(o, .probes = "exec", .buffer_size = 3000);

		bp = bpfport__open(&o);
		CHECK(!bp && errno == EINVAL);
		CHECK_HAS(bpfport_errmsg(), "bad opts.buffer_size 3000: give a power of 2");
	}

	snprintf(want_path, sizeof(want_path), "/tmp/bpfport-api-true-%d", getpid());
	unlink(want_path);
	CHECK(!symlink("/bin/true", want_path));
	session(BPFPORT_OUTPUT_RINGBUF);
	session(BPFPORT_OUTPUT_PERFBUF);

	/* the caller's libbpf print callback is back */
	CHECK(libbpf_set_print(NULL) == my_libbpf_print);
	unlink(want_path);

	/* a program on its way out (a signal handler called this): every
	 * open stops before loading anything, with EINTR */
	bpfport_interrupt();
	{
		BPFPORT_OPTS(o, .probes = "exec", .mode = BPFPORT_MODE_CORE);

		bp = bpfport__open(&o);
	}
	CHECK(!bp && errno == EINTR);
	CHECK_HAS(bpfport_errmsg(), "interrupted");
	if (failures) {
		printf("FAIL: %d check(s) failed\n", failures);
		return 1;
	}
	printf("PASS\n");
	return 0;
}
