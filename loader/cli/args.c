// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "internal.h"

/* %s: the probe names, from the probe table (run_usage_print()) */
static const char run_usage[] =
"Usage: bpfport run [OPTIONS]\n"
"Load the probes in the best mode this kernel allows and print their events,\n"
"one per line, until SIGINT/SIGTERM or --duration.\n"
"\n"
"  -p, --probes LIST     comma-separated: %s (default: all)\n"
"  -m, --mode MODE       auto|core|core-btfhub|runtime (default: auto)\n"
"      --btf FILE        external BTF for this kernel (raw .btf or btfhub .btf.tar.xz)\n"
"      --btf-archive DIR btfhub-archive directory to look this kernel up in\n"
"      --os-release FILE os-release for that lookup (containers: the host's)\n"
"      --hide-native-btf behave as if /sys/kernel/btf/vmlinux were absent\n"
"      --kernel-headers DIR  runtime mode: the kernel headers to compile against\n"
"      --cache-dir DIR   runtime mode: compiled objects (default /var/cache/bpfport)\n"
"  -d, --duration S      stop after S seconds (decimal; 0: load, attach, detach)\n"
"      --output OUT      ringbuf|perfbuf|auto (default: auto = ringbuf if supported)\n"
"      --buffer-size SIZE  the ring buffer's bytes, or each CPU's perf buffer's: a\n"
"                        power of 2 from a page to 1G, e.g. 64M (default: 16M; the\n"
"                        perf buffer: 8M over the CPUs, at least 256K each)\n"
"      --flush-interval MS  events reach stdout at most MS ms after the probe\n"
"                        output them (1-10000, default 20): output is written in\n"
"                        batches, and the probes wake the agent only when the\n"
"                        buffer is 1/8 full (the perf buffer: 1/4)\n"
"  -f, --format FMT      json|text (default: json)\n"
"      --ready-file PATH written once every probe is attached (the pid, the\n"
"                        running line), removed at exit: 'bpfport ready PATH'\n"
"  -v, --verbose         libbpf and loader debug messages on stderr\n"
"  -h, --help\n"
"\n"
"Examples:\n"
"  bpfport run                         # everything, JSON lines on stdout\n"
"  bpfport run -p exec,tcp -f text     # two probes, human-readable\n"
"  bpfport run -d 10 --output perfbuf  # ten seconds over the perf buffer\n"
"  bpfport run --btf-archive /srv/btfhub-archive   # kernels without native BTF\n";

void run_usage_print(FILE *out)
{
	char names[256];

	fprintf(out, run_usage, probe_names(names, sizeof(names)));
}

const char fleet_usage[] =
"Usage: bpfport fleet DIR [-j|--json|-c|--csv] [-p|--probes LIST] [-v|--verbose]\n"
"       bpfport fleet -r|--reports DIR [-j|--json|-c|--csv] [-p|--probes LIST] [-v|--verbose]\n"
"For every kernel BTF in a btfhub-archive tree (<id>/<version>/<arch>/<release>.btf[.tar.xz]),\n"
"whether each probe's CO-RE relocations resolve against it (libbpf's own relocation,\n"
"verified by this kernel's verifier; needs root): ok, needs-runtime-compile (a field\n"
"is missing: named), or unsupported (the hook does not exist there).\n"
"With --reports: the same table for real hosts, from their 'bpfport check --json'\n"
"(every *.json and *.jsonl under DIR, or the one file DIR; a file of JSON lines such as\n"
"collected container logs is searched for them): per host the mode auto picks, why,\n"
"the steps it skipped and each probe (ok, or why not). No privilege needed.\n"
"Exit status: 0 every kernel (host) can run every required probe (kernels: with CO-RE),\n"
"1 not, or a report is unreadable, 2 bad usage.\n";

const char check_usage[] =
"Usage: bpfport check [OPTIONS]      (also installed as check_core_support)\n"
"Report what this host supports and which mode 'bpfport run' would use, and why.\n"
"Each probe is really loaded (verifier included) but never attached.\n"
"Exit status: 0 some mode can run every required probe, 1 none can, 2 bad usage.\n"
"\n"
"  -j, --json            one JSON document ({\"error\": ...} on failure)\n"
"  -P, --pretty          indented JSON (implies --json)\n"
"  -p, --probes LIST     probes to check (default: all)\n"
"  -m, --mode MODE       auto|core|core-btfhub|runtime (default: auto)\n"
"      --btf FILE        preflight: would the probes relocate against this kernel's\n"
"                        BTF (another kernel's, offline)? per program, per relocation\n"
"      --btf-archive DIR, --os-release FILE, --hide-native-btf,\n"
"      --kernel-headers DIR, --cache-dir DIR: as for run\n"
"  -v, --verbose         libbpf and loader debug messages on stderr\n"
"  -h, --help\n";

int parse_duration(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	/* decimal seconds only: no hex, inf, nan, exponents, signs */
	if (errno || *end || !isfinite(v) || v < 0 || v > 30 * 86400.0 ||
	    strspn(s, "0123456789.") != strlen(s))
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_size(const char *s, size_t *out)
{
	static const char units[] = "KMG";
	size_t n = strspn(s, "0123456789");
	const char *u = NULL;
	unsigned long long v;

	if (!n || n > 13 || (s[n] && (s[n + 1] || !(u = strchr(units, s[n])))))
		return -EINVAL;
	v = strtoull(s, NULL, 10);
	if (s[n])
		v <<= 10 * (u - units + 1);
	if (v > 1ULL << 40)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

int parse_mode(const char *s, enum bpfport_mode *out)
{
	static const struct { const char *n; enum bpfport_mode m; } t[] = {
		{ "auto", BPFPORT_MODE_AUTO },
		{ "core", BPFPORT_MODE_CORE },
		{ "core-btfhub", BPFPORT_MODE_CORE_BTFHUB },
		{ "runtime", BPFPORT_MODE_RUNTIME },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].n)) {
			*out = t[i].m;
			return 0;
		}
	return -EINVAL;
}

int parse_output(const char *s, enum bpfport_output *out)
{
	if (!strcmp(s, "auto"))
		*out = BPFPORT_OUTPUT_AUTO;
	else if (!strcmp(s, "ringbuf"))
		*out = BPFPORT_OUTPUT_RINGBUF;
	else if (!strcmp(s, "perfbuf"))
		*out = BPFPORT_OUTPUT_PERFBUF;
	else
		return -EINVAL;
	return 0;
}

int parse_format(const char *s, enum bpfport_format *out)
{
	if (!strcmp(s, "json"))
		*out = BPFPORT_FORMAT_JSON;
	else if (!strcmp(s, "text"))
		*out = BPFPORT_FORMAT_TEXT;
	else
		return -EINVAL;
	return 0;
}

/* getopt error text, shared by the parsers */
static int bad_option(char **argv, int c, const char *cmd, char *err,
		      size_t len)
{
	if (c == ':')
		snprintf(err, len, "option '%s' needs a value (see 'bpfport %s --help')",
			 argv[optind - 1], cmd);
	else
		snprintf(err, len, "unknown option '%s' (see 'bpfport %s --help')",
			 argv[optind - 1], cmd);
	return ARGS_ERROR;
}

static int mode_arg(const char *s, enum bpfport_mode *m, char *err, size_t len)
{
	if (!parse_mode(s, m))
		return ARGS_OK;
	snprintf(err, len, "bad --mode '%s': use auto, core, core-btfhub or runtime", s);
	return ARGS_ERROR;
}

/* after the options: no operands */
static int no_operands(int argc, char **argv, const char *cmd, char *err,
		       size_t len)
{
	if (optind >= argc)
		return ARGS_OK;
	snprintf(err, len, "unexpected argument '%s' (see 'bpfport %s --help')",
		 argv[optind], cmd);
	return ARGS_ERROR;
}

enum { OPT_BTF = 0x100, OPT_BTF_ARCHIVE, OPT_OS_RELEASE, OPT_HIDE_NATIVE,
       OPT_KHEADERS, OPT_CACHE_DIR, OPT_OUTPUT, OPT_READY_FILE,
       OPT_BUFFER_SIZE, OPT_FLUSH_INTERVAL };

#define BTF_LONG_OPTIONS						\
	{ "btf", required_argument, NULL, OPT_BTF },			\
	{ "btf-archive", required_argument, NULL, OPT_BTF_ARCHIVE },	\
	{ "os-release", required_argument, NULL, OPT_OS_RELEASE },	\
	{ "hide-native-btf", no_argument, NULL, OPT_HIDE_NATIVE },	\
	{ "kernel-headers", required_argument, NULL, OPT_KHEADERS },	\
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR }

/* 1 when c was a BTF option (and is now stored), else 0 */
static int btf_option(int c, struct btf_args *b)
{
	switch (c) {
	case OPT_BTF: b->btf = optarg; return 1;
	case OPT_BTF_ARCHIVE: b->btf_archive = optarg; return 1;
	case OPT_OS_RELEASE: b->os_release = optarg; return 1;
	case OPT_HIDE_NATIVE: b->hide_native_btf = true; return 1;
	case OPT_KHEADERS: b->kernel_headers = optarg; return 1;
	case OPT_CACHE_DIR: b->cache_dir = optarg; return 1;
	}
	return 0;
}

/* ---- every command's options: one table each, read by its parser and
 * by args_options_print() (bpfport help --options) ---- */

struct cmd_options {
	const char *cmd;
	const char *const *subs;	/* btf, cache: SUB comes first; else NULL */
	const struct option *lo;
	const char *so;			/* getopt's short options */
};

static const struct option run_lo[] = {
	{ "probes", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },
	{ "duration", required_argument, NULL, 'd' },
	/* long only: -o names an output file (compile, btf extract) */
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER_SIZE },
	{ "flush-interval", required_argument, NULL, OPT_FLUSH_INTERVAL },
	{ "format", required_argument, NULL, 'f' },
	{ "ready-file", required_argument, NULL, OPT_READY_FILE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	BTF_LONG_OPTIONS,
	{},
};
static const struct cmd_options run_opts = { "run", NULL, run_lo, ":p:m:d:f:vh" };

static const struct option check_lo[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'P' },
	{ "probes", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, 'm' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	BTF_LONG_OPTIONS,
	{},
};
static const struct cmd_options check_opts = { "check", NULL, check_lo, ":jPp:m:vh" };

static const struct option fleet_lo[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "csv", no_argument, NULL, 'c' },
	{ "reports", required_argument, NULL, 'r' },
	{ "probes", required_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};
static const struct cmd_options fleet_opts = { "fleet", NULL, fleet_lo, ":jcr:p:vh" };

static const char *const btf_subs[] = { "list", "extract", NULL };
static const struct option btf_lo[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "out", required_argument, NULL, 'o' },
	{ "os-release", required_argument, NULL, OPT_OS_RELEASE },
	{ "help", no_argument, NULL, 'h' },
	{},
};
static const struct cmd_options btf_opts = { "btf", btf_subs, btf_lo, ":jo:h" };

static const char *const cache_subs[] = { "list", "clear", NULL };
static const struct option cache_lo[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "help", no_argument, NULL, 'h' },
	{},
};
static const struct cmd_options cache_opts = { "cache", cache_subs, cache_lo, ":jh" };

static const struct option compile_lo[] = {
	{ "kernel-headers", required_argument, NULL, 'k' },
	{ "probes", required_argument, NULL, 'p' },
	{ "cache-dir", required_argument, NULL, OPT_CACHE_DIR },
	{ "out", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};
static const struct cmd_options compile_opts = { "compile", NULL, compile_lo, ":k:p:o:jvh" };

/* the short alias of @o, or 0: its value, when getopt's string has it
 * (every option has a long name) */
static int short_of(const struct cmd_options *c, const struct option *o)
{
	return o->val > 0 && o->val < 0x100 && strchr(c->so, o->val) ? o->val : 0;
}

void args_options_print(FILE *out)
{
	static const struct cmd_options *const all[] = {
		&run_opts, &check_opts, &fleet_opts, &btf_opts, &cache_opts, &compile_opts,
	};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		const struct cmd_options *c = all[i];

		for (const char *const *s = c->subs; s && *s; s++)
			fprintf(out, "%s %s\n", c->cmd, *s);
		for (const struct option *o = c->lo; o->name; o++) {
			int sh = short_of(c, o);

			fprintf(out, "%s --%s", c->cmd, o->name);
			if (sh)
				fprintf(out, " -%c", sh);
			fputs(o->has_arg ? " ARG\n" : "\n", out);
		}
	}
}

int run_args_parse(int argc, char **argv, struct run_args *a, char *err,
		   size_t len)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->duration = -1;
	optind = 0;	/* GNU: full re-initialisation, for repeated calls */
	opterr = 0;
	while ((c = getopt_long(argc, argv, run_opts.so, run_opts.lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->probes = optarg;
			break;
		case 'm':
			if (mode_arg(optarg, &a->mode, err, len))
				return ARGS_ERROR;
			break;
		case 'd':
			if (parse_duration(optarg, &a->duration)) {
				snprintf(err, len, "bad --duration '%s': give seconds as a non-negative number, at most 2592000", optarg);
				return ARGS_ERROR;
			}
			break;
		case OPT_OUTPUT:
			if (parse_output(optarg, &a->output)) {
				snprintf(err, len, "bad --output '%s': use ringbuf, perfbuf or auto", optarg);
				return ARGS_ERROR;
			}
			break;
		case 'f':
			if (parse_format(optarg, &a->format)) {
				snprintf(err, len, "bad --format '%s': use json or text", optarg);
				return ARGS_ERROR;
			}
			break;
		case OPT_READY_FILE:
			a->ready_file = optarg;
			break;
		case OPT_BUFFER_SIZE:
			if (parse_size(optarg, &a->buffer_size)) {
				snprintf(err, len, "bad --buffer-size '%s': give bytes, with K, M or G for KiB, MiB or GiB (e.g. 4M)", optarg);
				return ARGS_ERROR;
			}
			if (bp_buffer_size_check(a->buffer_size, optarg)) {
				snprintf(err, len, "%s", bpfport_errmsg());
				return ARGS_ERROR;
			}
			break;
		case OPT_FLUSH_INTERVAL: {
			size_t n = strlen(optarg);

			/* digits only; anything else is out of range */
			a->flush_interval_ms = n && n <= 5 && strspn(optarg, "0123456789") == n ?
					       (unsigned int)strtoul(optarg, NULL, 10) : 0;
			if (bp_flush_interval_check(a->flush_interval_ms, optarg)) {
				snprintf(err, len, "%s", bpfport_errmsg());
				return ARGS_ERROR;
			}
			break;
		}
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			return ARGS_HELP;
		default:
			if (btf_option(c, &a->btf))
				break;
			return bad_option(argv, c, "run", err, len);
		}
	}
	return no_operands(argc, argv, "run", err, len);
}

int check_args_parse(int argc, char **argv, struct check_args *a, char *err,
		     size_t len)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, check_opts.so, check_opts.lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'P':
			a->json = a->pretty = true;
			break;
		case 'p':
			a->probes = optarg;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'm':
			if (mode_arg(optarg, &a->mode, err, len))
				return ARGS_ERROR;
			break;
		case 'h':
			return ARGS_HELP;
		default:
			if (btf_option(c, &a->btf))
				break;
			return bad_option(argv, c, "check", err, len);
		}
	}
	return no_operands(argc, argv, "check", err, len);
}

int fleet_args_parse(int argc, char **argv, struct fleet_args *a, char *err,
		     size_t len)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, fleet_opts.so, fleet_opts.lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'c':
			a->csv = true;
			break;
		case 'r':
			a->reports = optarg;
			break;
		case 'p':
			a->probes = optarg;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			return ARGS_HELP;
		default:
			return bad_option(argv, c, "fleet", err, len);
		}
	}
	if (a->json && a->csv) {
		snprintf(err, len, "--json and --csv exclude each other");
		return ARGS_ERROR;
	}
	if (a->reports)
		return no_operands(argc, argv, "fleet", err, len);
	if (optind != argc - 1) {
		snprintf(err, len, "fleet needs one btfhub-archive directory, or --reports DIR (see 'bpfport fleet --help')");
		return ARGS_ERROR;
	}
	a->dir = argv[optind];
	return ARGS_OK;
}

const char btf_usage[] =
"Usage: bpfport btf list [-j|--json]         the minimized kernel BTFs embedded in bpfport\n"
"       bpfport btf extract [-o|--out FILE] [--os-release FILE]\n"
"                                            write this host's one (default <release>.btf)\n";

const char cache_usage[] =
"Usage: bpfport cache list [-j|--json] [--cache-dir DIR]   the runtime mode's compiled objects\n"
"       bpfport cache clear [--cache-dir DIR]\n"
"The cache dir: --cache-dir, else $BPFPORT_CACHE_DIR, else /var/cache/bpfport.\n";

/* SUB [options]: the subcommand first, then its options (getopt from the
 * second word); @o names the subcommands and the options they take. */
static int sub_args_parse(int argc, char **argv, struct sub_args *a,
			  const struct cmd_options *o, char *err, size_t len)
{
	const char *cmd = o->cmd;
	size_t i;
	int c;

	memset(a, 0, sizeof(*a));
	if (argc < 2) {
		snprintf(err, len, "%s needs a subcommand (see 'bpfport %s --help')", cmd, cmd);
		return ARGS_ERROR;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return ARGS_HELP;
	for (i = 0; o->subs[i] && strcmp(argv[1], o->subs[i]); i++)
		;
	if (!o->subs[i]) {
		snprintf(err, len, "unknown %s subcommand '%s' (see 'bpfport %s --help')",
			 cmd, argv[1], cmd);
		return ARGS_ERROR;
	}
	a->sub = o->subs[i];
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, o->so, o->lo, NULL)) != -1) {
		switch (c) {
		case 'j': a->json = true; break;
		case 'o': a->out = optarg; break;
		case OPT_OS_RELEASE: a->os_release = optarg; break;
		case OPT_CACHE_DIR: a->cache_dir = optarg; break;
		case 'h': return ARGS_HELP;
		default: return bad_option(argv + 1, c, cmd, err, len);
		}
	}
	if (a->json && strcmp(a->sub, "list")) {
		snprintf(err, len, "--json is for '%s list'", cmd);
		return ARGS_ERROR;
	}
	if (a->out && strcmp(a->sub, "extract")) {
		snprintf(err, len, "-o is for '%s extract'", cmd);
		return ARGS_ERROR;
	}
	return no_operands(argc - 1, argv + 1, cmd, err, len);
}

int btf_args_parse(int argc, char **argv, struct sub_args *a, char *err,
		   size_t len)
{
	return sub_args_parse(argc, argv, a, &btf_opts, err, len);
}

int cache_args_parse(int argc, char **argv, struct sub_args *a, char *err,
		     size_t len)
{
	return sub_args_parse(argc, argv, a, &cache_opts, err, len);
}

const char compile_usage[] =
"Usage: bpfport compile [-k|--kernel-headers DIR] [-p|--probes LIST] [--cache-dir DIR]\n"
"                       [-j|--json] [-v|--verbose] -o|--out OUT\n"
"Compile the probes against kernel headers (runtime mode) without loading them:\n"
"to pre-warm the cache, or to debug. OUT is a file for one probe, else a directory\n"
"that gets <probe>.bpf.o files. The headers must be those of the running kernel.\n";

int compile_args_parse(int argc, char **argv, struct compile_args *a, char *err,
		       size_t len)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, compile_opts.so, compile_opts.lo, NULL)) != -1) {
		switch (c) {
		case 'k': a->kernel_headers = optarg; break;
		case 'p': a->probes = optarg; break;
		case OPT_CACHE_DIR: a->cache_dir = optarg; break;
		case 'o': a->out = optarg; break;
		case 'j': a->json = true; break;
		case 'v': a->verbose = true; break;
		case 'h': return ARGS_HELP;
		default: return bad_option(argv, c, "compile", err, len);
		}
	}
	if (!a->out || optind != argc) {
		snprintf(err, len, "compile needs -o OUT and no other argument "
			 "(see 'bpfport compile --help')");
		return ARGS_ERROR;
	}
	return ARGS_OK;
}
