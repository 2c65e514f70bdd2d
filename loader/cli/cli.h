/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_CLI_H
#define BPFPORT_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

extern bool cli_verbose;
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap);
/* After a command's args parser (ARGS_OK, ARGS_HELP, ARGS_ERROR): -1 to
 * go on, else the exit status once the help (0) or the one error line
 * (2) is printed. */
int cli_parsed(int ret, const char *usage, const char *err);

/* ---- verdict.c ---- */
/* What can be told of a target kernel from its BTF alone. */
struct target_facts {
	char path[4096];
	struct btf *btf;	/* its BTF: which functions it has */
	const char *arch;	/* NULL: cannot tell (minimized BTF) */
	bool ringbuf;		/* struct bpf_ringbuf exists: 5.8+ */
	size_t note_cnt;
	char notes[4][160];
};
int target_facts_read(const char *path, struct target_facts *f, char *err,
		      size_t len);
void target_facts_free(struct target_facts *f);

/* Can this probe run, from its status after a dry-run load in the mode
 * tried? Here (t NULL): it loaded and each program can attach on this
 * kernel. In the kernel of t: each kprobe's function is in its BTF, every
 * relocation resolves there (a tracepoint record's failing: the tracepoint
 * is not there), and it loaded. The one answer check and fleet read. */
struct probe_verdict {
	bool ok;
	const char *word;	/* ok, needs-runtime-compile, unsupported */
	const char *reason;	/* a reason code, when not ok */
	char detail[400];
};
struct probe_status;
void probe_verdict(const struct probe_status *p, const struct target_facts *t,
		   struct probe_verdict *v);

int do_run(int argc, char **argv);
int do_check(int argc, char **argv);
int do_fleet(int argc, char **argv);
int do_btf(int argc, char **argv);
int do_compile(int argc, char **argv);
int do_cache(int argc, char **argv);
int do_ready(int argc, char **argv);

#endif
