// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport CLI: one command table, each subcommand with its own help and
 * its own file (run.c, check.c, fleet.c, ...); this one holds the table,
 * version and help, and what all of them share: the text output they write
 * through, the handling of SIGINT and SIGTERM. */
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpfport/bpfport.h>
#include <bpfport/rtc.h>

#include "args.h"
#include "btfhub.h"
#include "cli.h"
#include "json.h"
#include "util/esc.h"

bool cli_verbose;

/* ---- text output: every line escaped by util/esc.h (ESC_TEXT) ---- */

/* @prefix, then the formatted text escaped, then a newline when it ended
 * with one: the only newline that passes raw. */
static int vprint_escaped(FILE *f, const char *prefix, const char *fmt, va_list ap)
{
	char small[1024], esmall[1024], *raw = small, *esc = esmall;
	size_t len, elen;
	bool nl;
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof(small), fmt, cp);
	va_end(cp);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(small)) {
		raw = malloc((size_t)n + 1);
		if (!raw)
			return -1;
		vsnprintf(raw, (size_t)n + 1, fmt, ap);
	}
	len = (size_t)n;
	nl = len && raw[len - 1] == '\n';
	len -= nl;
	elen = esc_str(esmall, sizeof(esmall), raw, len, ESC_TEXT);
	if (elen >= sizeof(esmall)) {
		esc = malloc(elen + 1);
		if (esc)
			esc_str(esc, elen + 1, raw, len, ESC_TEXT);
	}
	n = -1;
	if (esc)
		n = fprintf(f, "%s%s%s", prefix, esc, nl ? "\n" : "");
	if (esc != esmall)
		free(esc);
	if (raw != small)
		free(raw);
	return n;
}

int cli_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprint_escaped(stdout, "", fmt, ap);
	va_end(ap);
	return n;
}

void cli_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_escaped(stderr, "bpfport: ", fmt, ap);
	va_end(ap);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_escaped(stderr, "bpfport: error: ", fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_csv_field(const char *s, bool quote, bool last)
{
	char small[1024], *esc = small;
	size_t n = esc_str(small, sizeof(small), s, strlen(s), ESC_CSV);

	if (n >= sizeof(small)) {
		esc = malloc(n + 1);
		if (!esc)
			return;
		esc_str(esc, n + 1, s, strlen(s), ESC_CSV);
	}
	quote |= strpbrk(s, ",\"") != NULL;
	printf("%s%s%s%s", quote ? "\"" : "", esc, quote ? "\"" : "", last ? "\n" : ",");
	if (esc != small)
		free(esc);
}

int cli_parsed(int ret, const char *usage, const char *err)
{
	switch (ret) {
	case ARGS_HELP:
		fputs(usage, stdout);
		return 0;
	case ARGS_ERROR:
		cli_error("%s", err);
		return 2;
	}
	return -1;
}

/* ---- SIGINT and SIGTERM ---- */

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
	bpfport_interrupt();
}

void cli_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa = { .sa_handler = on_signal }, old;

	/* SA_RESTART: a write to a full stdout pipe that a signal interrupts
	 * resumes (stdio would drop the rest of the line); poll and
	 * epoll_wait return EINTR whatever the flag (signal(7)), so the signal
	 * still ends the wait */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		/* one the caller ignores (nohup, a background job) stays so */
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}

int cli_signal(void)
{
	return caught;
}

int cli_die_of_signal(const char *what)
{
	int sig = caught;

	cli_log("interrupted by %s: %s\n", sig == SIGINT ? "SIGINT" : "SIGTERM", what);
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
	return 128 + sig;
}

int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPORT_DEBUG && !cli_verbose)
		return 0;
	return vprint_escaped(stderr, "bpfport: ", fmt, ap);
}

/* ---- table ---- */

static int do_version(int argc, char **argv)
{
	char why[512];
	int n = btfhub_embedded_count();
	bool rtc = rtc_compiler_available(NULL, why, sizeof(why));
	struct jw jw;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json"))) {
		cli_error("version: unexpected '%s' (usage: bpfport version [--json])", argv[1]);
		return 2;
	}
	if (argc == 2) {	/* like bpftool version -j: the build's features */
		jw_init(&jw, stdout, false, false);
		jw_start_object(&jw);
		jw_kv_str(&jw, "version", BPFPORT_VERSION);
		jw_key(&jw, "modes");
		jw_start_array(&jw);
		for (int m = BPFPORT_MODE_CORE; m <= BPFPORT_MODE_RUNTIME; m++)
			jw_string(&jw, bpfport_mode_name(m));
		jw_end_array(&jw);
		jw_kv_int(&jw, "embedded_btf_kernels", n > 0 ? n : 0);
		jw_kv_bool(&jw, "runtime_compiler", rtc);
		jw_kv_str(&jw, "runtime_compiler_detail", rtc ? "" : why);
		jw_end_object(&jw);
		putchar('\n');
		return 0;
	}
	printf("bpfport %s\nmodes: core core-btfhub runtime\nembedded BTF: %d kernels\n",
	       BPFPORT_VERSION, n > 0 ? n : 0);
	cli_printf("runtime compiler: %s\n", rtc ? "installed" : why);
	return 0;
}

static int do_help(int argc, char **argv);

static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} cmds[] = {
	{ "run", do_run, "load the probes and stream their events" },
	{ "check", do_check, "what this host supports and which mode run would use" },
	{ "fleet", do_fleet, "coverage table: a btfhub-archive tree, or hosts' check --json reports" },
	{ "btf", do_btf, "embedded BTF: list, extract" },
	{ "compile", do_compile, "compile the probes against kernel headers (runtime mode)" },
	{ "cache", do_cache, "the runtime mode's object cache: list, clear" },
	{ "ready", do_ready, "is the agent of run --ready-file FILE attached" },
	{ "version", do_version, "version and build features" },
	{ "help", do_help, "this text (--options: every command and option, one a line)" },
};

static int do_help(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--options")) {
		/* what the man page and the shell completion are tested against */
		puts("--help -h\n--version -V");
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			puts(cmds[i].name);
		puts("version --json\nhelp --options");
		args_options_print(stdout);
		return 0;
	}
	printf("Usage: bpfport COMMAND [OPTIONS]   ('bpfport COMMAND --help' for details)\n\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-8s %s\n", cmds[i].name, cmds[i].summary);
	return 0;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base ? base + 1 : argv[0];
	bpfport_set_print(cli_print);
	bpfport_set_cli_names(true);	/* messages say --kernel-headers DIR */
	if (!strcmp(base, "check_core_support"))
		return do_check(argc, argv);
	if (argc < 2) {
		do_help(argc, argv);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return do_help(argc, argv);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))
		return do_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see 'bpfport help')", argv[1]);
	return 2;
}
