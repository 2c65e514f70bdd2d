/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_CLI_H
#define BPFPORT_CLI_H

#include <stdbool.h>

#define BPFPORT_VERSION "0.1.0"

extern bool cli_verbose;
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap);

/* What can be told of a target kernel from its BTF alone. */
struct target_facts {
	char path[4096];
	const char *arch;	/* NULL: cannot tell (minimized BTF) */
	bool ringbuf;		/* struct bpf_ringbuf exists: 5.8+ */
	bool oom_kill_process;	/* the oom probe's kprobe target exists */
	size_t note_cnt;
	char notes[4][160];
};
int target_facts_read(const char *path, struct target_facts *f, char *err,
		      size_t len);

int do_run(int argc, char **argv);
int do_check(int argc, char **argv);
int do_fleet(int argc, char **argv);
int do_btf(int argc, char **argv);
int do_compile(int argc, char **argv);
int do_cache(int argc, char **argv);

#endif
