// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The benchmark's peer (bench/README.md, section 2): the user side of an
 * open tracer built the way libbpf-tools' opensnoop is. Loads
 * opensnoop_peer.bpf.o, attaches, then ring_buffer__poll() with a 100 ms
 * timeout in a loop, and one printf() per event in opensnoop's columns
 * (stdio's own buffering, as opensnoop has it) until SIGINT or SIGTERM.
 * For the benchmark only, two lines on stderr: "peer: attached" once
 * attached, "peer: done events=N" at exit.
 *
 * Usage: bench_opensnoop_peer OBJ.bpf.o
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "opensnoop_peer.h"

static volatile sig_atomic_t stop;
static unsigned long long events;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, ap);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct peer_event *e = data;
	int fd = e->ret >= 0 ? e->ret : -1, err = e->ret >= 0 ? 0 : -e->ret;

	(void)ctx;
	(void)size;
	events++;
	printf("%-6u %-16s %3d %3d %s\n", e->pid, e->comm, fd, err, e->path);
	return 0;
}

int main(int argc, char **argv)
{
	struct bpf_link *enter = NULL, *exit_ = NULL;
	struct ring_buffer *rb = NULL;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct sigaction sa = { .sa_handler = on_signal };
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ.bpf.o\n", argv[0]);
		return 2;
	}
	libbpf_set_print(print_fn);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "peer: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = bpf_object__load(obj);
	if (err)
		goto cleanup;
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link **l = enter ? &exit_ : &enter;

		*l = bpf_program__attach(prog);
		if (!*l) {
			err = -errno;
			goto cleanup;
		}
	}
	rb = ring_buffer__new(bpf_object__find_map_fd_by_name(obj, "events"),
			      handle_event, NULL, NULL);
	if (!exit_ || !rb) {
		err = rb ? -ENOENT : -errno;
		goto cleanup;
	}
	printf("%-6s %-16s %3s %3s %s\n", "PID", "COMM", "FD", "ERR", "PATH");
	fprintf(stderr, "peer: attached\n");
	while (!stop) {
		err = ring_buffer__poll(rb, 100);
		if (err < 0 && err != -EINTR)
			break;
		err = 0;
	}
	fprintf(stderr, "peer: done events=%llu\n", events);
cleanup:
	if (err)
		fprintf(stderr, "peer: %s\n", strerror(-err));
	ring_buffer__free(rb);
	bpf_link__destroy(enter);
	bpf_link__destroy(exit_);
	bpf_object__close(obj);
	return err ? 1 : 0;
}
