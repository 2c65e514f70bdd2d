/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef BPFPORT_CLI_H
#define BPFPORT_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct btf;

extern bool cli_verbose;

/* Text output. Whatever it holds from outside (file and tar member names,
 * os-release strings, messages naming them) is escaped by util/esc.h's
 * rules, so that one entry stays one line and no control character
 * reaches the terminal: every text line of every command and every log
 * line goes through these (JSON through json.h, which escapes the same
 * way). Only a newline ending the formatted text is written raw. */
/* printf to stdout, escaped */
int cli_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "bpfport: " and the text on stderr, escaped: the log lines */
void cli_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "bpfport: error: ", the text and a newline on stderr, escaped */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The library's print callback: cli_log()'s lines (debug ones with -v). */
int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap);
/* One CSV field on stdout (RFC 4180), escaped (ESC_CSV), then a comma or,
 * when @last, the end of the row. In double quotes when @quote or when it
 * holds a comma or a double quote. */
void cli_csv_field(const char *s, bool quote, bool last);
/* After a command's args parser (ARGS_OK, ARGS_HELP, ARGS_ERROR): -1 to
 * go on, else the exit status once the help (0) or the one error line
 * (2) is printed. */
int cli_parsed(int ret, const char *usage, const char *err);

/* SIGINT and SIGTERM, for a command that cleans up: the handler records
 * the signal and calls bpfport_interrupt(), so that the library stops and
 * releases what it holds (programs, links, extracted headers) at its next
 * step; the command then checks cli_signal() (0: none) and, when it was
 * stopped, ends with cli_die_of_signal(): one line saying so ("interrupted
 * by SIGTERM: @what") and death by that signal, as a shell expects of a
 * program it interrupted. A signal the caller ignores stays ignored. */
void cli_catch_signals(void);
int cli_signal(void);
int cli_die_of_signal(const char *what);

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
