// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport ready FILE: is the agent that `run --ready-file FILE` started
 * attached and running? For an exec readiness probe in an image that holds
 * nothing but bpfport (no shell, no test(1)). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <bpfport/bpfport.h>

#include "cli.h"
#include "util/fsio.h"

static const char ready_usage[] =
"Usage: bpfport ready FILE\n"
"Exit 0 when FILE, which 'bpfport run --ready-file FILE' writes once every probe is\n"
"attached and removes at exit, names a running agent; else 1, and one line says why.\n"
"Exit status 2: bad usage.\n";

int do_ready(int argc, char **argv)
{
	char text[32];
	int n, pid = 0;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(ready_usage, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		cli_error("ready needs one FILE, the agent's --ready-file (see 'bpfport ready --help')");
		return 2;
	}
	n = fsio_read_small(argv[1], text, sizeof(text));
	if (n < 0) {
		cli_log("not ready: %s: %s\n", argv[1], fsio_strerror(n));
		return 1;
	}
	if (sscanf(text, "%d", &pid) != 1 || pid <= 0) {
		cli_log("not ready: %s names no agent pid\n", argv[1]);
		return 1;
	}
	/* its writer removes it at exit; after a SIGKILL the pid is gone */
	if (kill(pid, 0) && errno == ESRCH) {
		cli_log("not ready: %s names pid %d, which is not running\n", argv[1], pid);
		return 1;
	}
	return 0;
}
