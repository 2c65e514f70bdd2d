// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Event generator for the throughput benchmark: open("/dev/null") + close()
 * in a tight loop for SECONDS on one CPU (default 1), then one line on
 * stdout:
 *
 *   opens=N seconds=S rate=R
 *
 * Each iteration is one openat(2) syscall, i.e. one bpfport "open" event.
 * With RATE, it paces itself to RATE opens per second instead (the
 * latency benchmark), sleeping to absolute deadlines.
 *
 * Usage: bench_open_gen SECONDS [CPU [RATE]]
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

static int open_close(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "open_gen: open /dev/null: %s\n", strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long opens = 0;
	double seconds, start, end, elapsed, rate = 0;
	char *endp;
	cpu_set_t set;
	int cpu = 1, i;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s SECONDS [CPU [RATE]]\n", argv[0]);
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

	if (argc == 4) {
		rate = strtod(argv[3], &endp);
		if (*endp || rate <= 0 || rate > 1e6) {
			fprintf(stderr, "open_gen: bad RATE '%s'\n", argv[3]);
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
	while (rate && now_s() < end) {
		struct timespec at;
		double t = start + opens / rate;

		at.tv_sec = (time_t)t;
		at.tv_nsec = (long)((t - (double)at.tv_sec) * 1e9);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
		if (open_close())
			return 1;
		opens++;
	}
	while (!rate) {
		for (i = 0; i < CHECK_EVERY; i++)
			if (open_close())
				return 1;
		opens += CHECK_EVERY;
		if (now_s() >= end)
			break;
	}
	elapsed = now_s() - start;

	printf("opens=%llu seconds=%.3f rate=%.0f\n", opens, elapsed,
	       opens / elapsed);
	return 0;
}
