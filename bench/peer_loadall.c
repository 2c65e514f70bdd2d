// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cold-start peer: what "bpftool prog loadall OBJ DIR autoattach" does in
 * newer bpftool, with plain libbpf and nothing else. For each object given:
 * bpf_object__open_file() and bpf_object__load(); then attach every
 * autoload program with bpf_program__attach(); then detach and close
 * everything. No feature probes, no privilege/tracefs/bpffs checks, no
 * shared maps, no consumer.
 *
 * Fairness: bpfport's objects hold every program twice (name_rb and
 * name_pb) and bpfport loads one set. This peer does the same for the
 * ringbuf set: programs whose name ends in "_pb" get autoload=false and
 * the map "events_pb" autocreate=false. Unlike bpfport, each object keeps
 * its own events_rb (256 KiB, the size in the object), drops and cfg maps.
 *
 * With --hold it keeps everything attached until SIGINT or SIGTERM, then
 * detaches: with open_nooutput.bpf.o (bpfport's open probe built with
 * -DBPFPORT_BENCH_NO_OUTPUT), that is the throughput benchmark's limit,
 * what the probe costs without its output.
 *
 * Usage: bench_peer_loadall [--hold] OBJ.bpf.o...   (exit 0 on success)
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#define MAX_OBJS 16
#define MAX_LINKS 64

static void on_signal(int sig)
{
	(void)sig;	/* only ends sigsuspend() */
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Opens path and leaves only the ringbuf variant to be loaded. */
static struct bpf_object *open_one(const char *path)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "peer_loadall: open %s: %s\n", path,
			strerror(errno));
		return NULL;
	}
	bpf_object__for_each_program(prog, obj)
		if (ends_with(bpf_program__name(prog), "_pb"))
			bpf_program__set_autoload(prog, false);
	map = bpf_object__find_map_by_name(obj, "events_pb");
	if (map) {
		err = bpf_map__set_autocreate(map, false);
		if (err) {
			fprintf(stderr, "peer_loadall: %s: events_pb: %s\n",
				path, strerror(-err));
			bpf_object__close(obj);
			return NULL;
		}
	}
	return obj;
}

int main(int argc, char **argv)
{
	struct bpf_object *objs[MAX_OBJS] = {};
	struct bpf_link *links[MAX_LINKS] = {};
	struct bpf_program *prog;
	int nobjs = 0, nlinks = 0, ret = 1, err, i, first = 1;
	bool hold = argc > 1 && !strcmp(argv[1], "--hold");
	sigset_t stop, unblocked;

	first += hold;
	if (argc <= first || argc - first > MAX_OBJS) {
		fprintf(stderr, "usage: %s [--hold] OBJ.bpf.o... (at most %d)\n",
			argv[0], MAX_OBJS);
		return 2;
	}
	libbpf_set_print(print_fn);
	if (hold) {
		struct sigaction sa = { .sa_handler = on_signal };

		/* blocked until sigsuspend() below: none is missed */
		sigemptyset(&stop);
		sigaddset(&stop, SIGINT);
		sigaddset(&stop, SIGTERM);
		sigprocmask(SIG_BLOCK, &stop, &unblocked);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	for (i = first; i < argc; i++) {
		objs[nobjs] = open_one(argv[i]);
		if (!objs[nobjs])
			goto cleanup;
		nobjs++;
		err = bpf_object__load(objs[nobjs - 1]);
		if (err) {
			fprintf(stderr, "peer_loadall: load %s: %s\n", argv[i],
				strerror(-err));
			goto cleanup;
		}
	}

	for (i = 0; i < nobjs; i++) {
		bpf_object__for_each_program(prog, objs[i]) {
			if (!bpf_program__autoload(prog))
				continue;
			if (nlinks >= MAX_LINKS) {
				fprintf(stderr, "peer_loadall: more than %d programs\n",
					MAX_LINKS);
				goto cleanup;
			}
			links[nlinks] = bpf_program__attach(prog);
			if (!links[nlinks]) {
				fprintf(stderr, "peer_loadall: attach %s: %s\n",
					bpf_program__name(prog), strerror(errno));
				goto cleanup;
			}
			nlinks++;
		}
	}
	/* the ready point: everything loaded and attached */
	fprintf(stderr, "peer_loadall: attached objects=%d programs=%d\n",
		nobjs, nlinks);
	if (hold)
		sigsuspend(&unblocked);
	ret = 0;

cleanup:
	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	for (i = 0; i < nobjs; i++)
		bpf_object__close(objs[i]);
	return ret;
}
