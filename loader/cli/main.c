// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bpfport CLI: one command table, each subcommand with its own help and
 * its own file (run.c, check.c, fleet.c, ...); this one holds the table,
 * version and help. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpfport/bpfport.h>
#include <bpfport/rtc.h>

#include "args.h"
#include "btfhub.h"
#include "cli.h"
#include "json.h"

bool cli_verbose;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("bpfport: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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

int cli_print(enum bpfport_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPORT_DEBUG && !cli_verbose)
		return 0;
	fputs("bpfport: ", stderr);
	return vfprintf(stderr, fmt, ap);
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
	printf("runtime compiler: %s\n", rtc ? "installed" : why);
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
	{ "fleet", do_fleet, "CO-RE coverage of every kernel in a btfhub-archive tree" },
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
