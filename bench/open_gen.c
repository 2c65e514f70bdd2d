// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event generator for the throughput benchmark: open("/dev/null") + close()
 * in a tight loop for SECONDS on one CPU (default 1), then one line on
 * stdout:
 *
 *   opens=N seconds=S rate=R
 *
 * Each iteration is one openat(2) syscall, i.e. one bpfport "open" event.
 *
 * Usage: bench_open_gen SECONDS [CPU]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK_EVERY 256	/* iterations between two clock reads */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned long long opens = 0;
	double seconds, start, end, elapsed;
	char *endp;
	cpu_set_t set;
	int cpu = 1, fd, i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s SECONDS [CPU]\n", argv[0]);
		return 2;
	}
	seconds = strtod(argv[1], &endp);
	if (*endp || seconds <= 0) {
		fprintf(stderr, "open_gen: bad SECONDS '%s'\n", argv[1]);
		return 2;
	}
	if (argc == 3) {
		cpu = (int)strtol(argv[2], &endp, 10);
		if (*endp || cpu < 0 || cpu >= CPU_SETSIZE) {
			fprintf(stderr, "open_gen: bad CPU '%s'\n", argv[2]);
			return 2;
		}
	}

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "open_gen: cannot pin to CPU %d: %s\n", cpu,
			strerror(errno));
		return 1;
	}

	start = now_s();
	end = start + seconds;
	do {
		for (i = 0; i < CHECK_EVERY; i++) {
			fd = open("/dev/null", O_RDONLY);
			if (fd < 0) {
				fprintf(stderr, "open_gen: open /dev/null: %s\n",
					strerror(errno));
				return 1;
			}
			close(fd);
		}
		opens += CHECK_EVERY;
	} while (now_s() < end);
	elapsed = now_s() - start;

	printf("opens=%llu seconds=%.3f rate=%.0f\n", opens, elapsed,
	       opens / elapsed);
	return 0;
}
